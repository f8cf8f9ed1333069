#include "claims_guard.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct slot {
    char terminal_id[TSR_CALLER_ID_MAX]; /* "" = free */
    int64_t window_start_ns;             /* first failure of the current window */
    int64_t failures;
} slot;

struct tsr_claim_guard {
    int64_t failures_max, window_ns;
    slot slots[TSR_CLAIM_GUARD_SLOTS];
};

tsr_status tsr_claim_guard_create(tsr_claim_guard **out, int64_t failures_max, int64_t window_ns)
{
    if (failures_max <= 0 || window_ns <= 0)
        return TSR_ERR_ARG;
    tsr_claim_guard *g = calloc(1, sizeof *g);
    if (!g)
        return TSR_ERR_NOMEM;
    g->failures_max = failures_max;
    g->window_ns = window_ns;
    *out = g;
    return TSR_OK;
}

void tsr_claim_guard_destroy(tsr_claim_guard *g) { free(g); }

static bool expired(const tsr_claim_guard *g, const slot *s, int64_t now_ns)
{
    return !s->terminal_id[0] || now_ns - s->window_start_ns >= g->window_ns;
}

/* The terminal's slot; with `take`, a free or expired one when it has none
 * (NULL when every slot is live). A linear scan: 1024 short string
 * compares cost a few microseconds, and only claim lookups pay them. */
static slot *find(tsr_claim_guard *g, const char *terminal_id, int64_t now_ns, bool take)
{
    slot *spare = NULL;
    for (size_t i = 0; i < TSR_CLAIM_GUARD_SLOTS; i++) {
        slot *s = &g->slots[i];
        if (s->terminal_id[0] && strcmp(s->terminal_id, terminal_id) == 0)
            return s;
        if (!spare && expired(g, s, now_ns))
            spare = s;
    }
    if (!take || !spare)
        return NULL;
    memset(spare, 0, sizeof *spare);
    snprintf(spare->terminal_id, sizeof spare->terminal_id, "%s", terminal_id);
    spare->window_start_ns = now_ns;
    return spare;
}

tsr_status tsr_claim_guard_check(tsr_claim_guard *g, const char *terminal_id, int64_t now_ns,
                                 int64_t *retry_after_ns)
{
    *retry_after_ns = 0;
    slot *s = find(g, terminal_id, now_ns, false);
    if (!s) {
        /* A terminal with no failures counted: refused only when no slot
         * could count its next one. */
        for (size_t i = 0; i < TSR_CLAIM_GUARD_SLOTS; i++)
            if (expired(g, &g->slots[i], now_ns))
                return TSR_OK;
        *retry_after_ns = g->window_ns;
        return TSR_ERR_CLAIM_RATE;
    }
    if (expired(g, s, now_ns) || s->failures < g->failures_max)
        return TSR_OK;
    *retry_after_ns = s->window_start_ns + g->window_ns - now_ns;
    return TSR_ERR_CLAIM_RATE;
}

void tsr_claim_guard_fail(tsr_claim_guard *g, const char *terminal_id, int64_t now_ns)
{
    slot *s = find(g, terminal_id, now_ns, true);
    if (!s)
        return; /* every slot live: check already refuses unknown terminals */
    if (expired(g, s, now_ns)) {
        s->window_start_ns = now_ns;
        s->failures = 0;
    }
    s->failures++;
}

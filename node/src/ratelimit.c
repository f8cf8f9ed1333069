/* Token buckets in a fixed table (ratelimit.h). Tokens are kept in units
 * of 1/(60e9) so a bucket refilling `per_min` tokens a minute gains exactly
 * per_min units per elapsed nanosecond. */
#include "ratelimit.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_MIN INT64_C(60000000000)
/* Elapsed time is capped at an hour before the multiplication so it
 * cannot overflow; with the defaults every bucket is full long before, and
 * for a slower configured refill the cap only makes an idle bucket refill
 * less, never more. */
#define ELAPSED_CAP_NS (INT64_C(3600) * 1000000000)

typedef struct bucket {
    bool used;
    char key[TSR_RATE_KEY_MAX];
    int64_t tokens; /* scaled by NS_PER_MIN */
    int64_t last_ns;
} bucket;

struct tsr_ratelimit {
    bucket *slots;
    size_t mask;
    uint8_t hash_key[crypto_shorthash_KEYBYTES];
};

_Static_assert((int64_t)TSR_RATE_BURST_MAX * NS_PER_MIN < INT64_MAX / 2, "burst scale fits");
_Static_assert((int64_t)TSR_RATE_PER_MIN_MAX * ELAPSED_CAP_NS < INT64_MAX / 2, "refill fits");

tsr_status tsr_ratelimit_create(tsr_ratelimit **out, size_t slots, tsr_rng *rng)
{
    if (slots < TSR_RATE_PROBE || slots > ((size_t)1 << 24))
        return TSR_ERR_ARG;
    size_t n = TSR_RATE_PROBE;
    while (n < slots)
        n <<= 1;
    tsr_ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl || !(rl->slots = calloc(n, sizeof *rl->slots))) {
        free(rl);
        return TSR_ERR_NOMEM;
    }
    rl->mask = n - 1;
    tsr_rng_bytes(rng, rl->hash_key, sizeof rl->hash_key);
    *out = rl;
    return TSR_OK;
}

void tsr_ratelimit_destroy(tsr_ratelimit *rl)
{
    if (!rl)
        return;
    free(rl->slots);
    free(rl);
}

static void refill(bucket *b, int64_t per_min, int64_t burst, int64_t now_ns)
{
    int64_t elapsed = now_ns - b->last_ns;
    if (elapsed < 0)
        elapsed = 0;
    if (elapsed > ELAPSED_CAP_NS)
        elapsed = ELAPSED_CAP_NS;
    int64_t cap = burst * NS_PER_MIN;
    b->tokens += elapsed * per_min;
    if (b->tokens > cap)
        b->tokens = cap;
    b->last_ns = now_ns;
}

/* The slot of `key`: its own, else a free one, else a refilled one, else
 * the least recently used of the probe window (reset to a full bucket). */
static bucket *find(tsr_ratelimit *rl, const char *key, int64_t per_min, int64_t burst,
                    int64_t now_ns)
{
    uint64_t h;
    crypto_shorthash((unsigned char *)&h, (const unsigned char *)key, strlen(key), rl->hash_key);
    bucket *reuse = NULL, *oldest = NULL;
    for (size_t i = 0; i < TSR_RATE_PROBE; i++) {
        bucket *b = &rl->slots[(h + i) & rl->mask];
        if (b->used && strcmp(b->key, key) == 0)
            return b;
        if (!b->used) {
            reuse = reuse ? reuse : b;
            continue;
        }
        bucket probe = *b;
        refill(&probe, per_min, burst, now_ns);
        if (!reuse && probe.tokens >= burst * NS_PER_MIN)
            reuse = b;
        if (!oldest || b->last_ns < oldest->last_ns)
            oldest = b;
    }
    bucket *b = reuse ? reuse : oldest;
    b->used = true;
    memcpy(b->key, key, strlen(key) + 1);
    b->tokens = burst * NS_PER_MIN;
    b->last_ns = now_ns;
    return b;
}

bool tsr_ratelimit_take(tsr_ratelimit *rl, const char *key, int64_t per_min, int64_t burst,
                        int64_t now_ns, int64_t *retry_s)
{
    *retry_s = 0;
    if (per_min <= 0)
        return true;
    if (per_min > TSR_RATE_PER_MIN_MAX)
        per_min = TSR_RATE_PER_MIN_MAX;
    if (burst < 1)
        burst = 1;
    if (burst > TSR_RATE_BURST_MAX)
        burst = TSR_RATE_BURST_MAX;
    char k[TSR_RATE_KEY_MAX];
    size_t len = strnlen(key, sizeof k - 1);
    memcpy(k, key, len);
    k[len] = '\0';
    bucket *b = find(rl, k, per_min, burst, now_ns);
    refill(b, per_min, burst, now_ns);
    if (b->tokens >= NS_PER_MIN) {
        b->tokens -= NS_PER_MIN;
        return true;
    }
    int64_t wait_ns = (NS_PER_MIN - b->tokens + per_min - 1) / per_min;
    *retry_s = (wait_ns + 999999999) / 1000000000;
    if (*retry_s < 1)
        *retry_s = 1;
    return false;
}

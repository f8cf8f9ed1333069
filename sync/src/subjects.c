/* Subject, consumer and message-id names of the edge-central bus. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tessera/keys.h"
#include "tessera/subjects.h"

static const char *const ctl_names[TSR_CTL_KIND_COUNT + 1] = {
    NULL, "catalog", "token", "exclusion", "result", "payout",
};

/* Node names become one subject token, so a '.' (which tsr_name_valid
 * allows) would split them; the bus refuses such names. */
static bool bus_name_ok(const char *node)
{
    return node && tsr_name_valid(node) && !strchr(node, '.');
}

/* Checks snprintf's result against the buffer size. */
static tsr_status put(size_t cap, int n)
{
    if (n < 0 || (size_t)n >= cap)
        return TSR_ERR_TOO_LARGE;
    return TSR_OK;
}

tsr_status tsr_subject_node(tsr_subject_kind kind, const char *node, char *out, size_t cap)
{
    if (!bus_name_ok(node))
        return TSR_ERR_RANGE;
    const char *fmt;
    switch (kind) {
    case TSR_SUBJ_TICKETS: fmt = "tsr.tickets.%s"; break;
    case TSR_SUBJ_SEALS: fmt = "tsr.seals.%s"; break;
    case TSR_SUBJ_RECEIPTS: fmt = "tsr.receipts.%s"; break;
    case TSR_SUBJ_REPLAY: fmt = "tsr.replay.%s"; break;
    case TSR_SUBJ_STATUS: fmt = "tsr.status.%s"; break;
    case TSR_SUBJ_CTL_ALL: fmt = "tsr.ctl.%s.>"; break;
    default: return TSR_ERR_ARG;
    }
    return put(cap, snprintf(out, cap, fmt, node));
}

const char *tsr_ctl_kind_name(tsr_ctl_kind kind)
{
    if ((int)kind < 1 || (int)kind > TSR_CTL_KIND_COUNT)
        return NULL;
    return ctl_names[kind];
}

tsr_status tsr_ctl_kind_parse(const char *name, tsr_ctl_kind *out)
{
    for (int k = 1; name && k <= TSR_CTL_KIND_COUNT; k++) {
        if (strcmp(name, ctl_names[k]) == 0) {
            *out = (tsr_ctl_kind)k;
            return TSR_OK;
        }
    }
    return TSR_ERR_NOT_FOUND;
}

tsr_status tsr_subject_ctl(const char *node, tsr_ctl_kind kind, char *out, size_t cap)
{
    if (!bus_name_ok(node))
        return TSR_ERR_RANGE;
    const char *k = tsr_ctl_kind_name(kind);
    if (!k)
        return TSR_ERR_ARG;
    return put(cap, snprintf(out, cap, "tsr.ctl.%s.%s", node, k));
}

/* Splits a subject on '.' into at most 5 tokens; returns the count, or -1
 * when it has more tokens or an empty one. */
static int split(const char *subject, char tok[5][TSR_SUBJECT_MAX])
{
    int n = 0;
    const char *p = subject;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (n == 5 || len == 0 || len >= TSR_SUBJECT_MAX)
            return -1;
        memcpy(tok[n], p, len);
        tok[n++][len] = '\0';
        if (!dot)
            return n;
        p = dot + 1;
    }
}

tsr_status tsr_subject_node_of(const char *subject, char *node, size_t cap)
{
    char tok[5][TSR_SUBJECT_MAX];
    int n = subject ? split(subject, tok) : -1;
    if (n < 3 || strcmp(tok[0], "tsr") != 0)
        return TSR_ERR_PROTO;
    const char *name = NULL;
    if (n == 3 && (strcmp(tok[1], "tickets") == 0 || strcmp(tok[1], "seals") == 0 ||
                   strcmp(tok[1], "receipts") == 0 || strcmp(tok[1], "replay") == 0 ||
                   strcmp(tok[1], "status") == 0))
        name = tok[2];
    else if (n == 4 && strcmp(tok[1], "ctl") == 0)
        name = tok[2];
    if (!name || !bus_name_ok(name) || strlen(name) >= cap)
        return TSR_ERR_PROTO;
    strcpy(node, name);
    return TSR_OK;
}

tsr_status tsr_durable_node(const char *node, char *out, size_t cap)
{
    if (!bus_name_ok(node))
        return TSR_ERR_RANGE;
    return put(cap, snprintf(out, cap, "node-%s", node));
}

tsr_status tsr_batch_msg_id(const char *node, unsigned long long first_seq,
                            unsigned long long last_seq, char *out, size_t cap)
{
    if (!bus_name_ok(node) || first_seq == 0 || first_seq > last_seq)
        return TSR_ERR_RANGE;
    return put(cap, snprintf(out, cap, "%s:%llu-%llu", node, first_seq, last_seq));
}

/* Private to central/src/day_*.c and payout_*.c: the lifecycle's state. */
#ifndef TSR_DAY_INT_H
#define TSR_DAY_INT_H

#include "central_int.h"
#include "tessera/day.h"
#include "tessera/results.h"
#include "tessera/settle.h"

/* Paths of manifest and record files. */
#define DAY_PATH_MAX 512

struct tsr_day {
    tsr_day_opts o;
    cdb db; /* own connection to central's store */
};

/* One day_draws row (blobs owned, freed by day_row_free). */
typedef struct day_row {
    char game[TSR_NAME_MAX];
    uint32_t draw;
    tsr_day_state state;
    bool cancelled;
    int64_t sales_open_at_ns, cutoff_at_ns, results_at_ns;
    uint8_t seed[TSR_DRAW_SEED_LEN];
    bool has_seed;
    uint8_t *token; /* packed cutoff token */
    size_t token_len;
    char *commitments; /* JSON array of witness commitments */
    char *manifest;    /* manifest JSON, once built (never rebuilt) */
    char *record;      /* record JSON, compact sorted (results.h) */
    int64_t carry_cents, jackpot_next_cents;
    char *report; /* settlement report JSON */
} day_row;

int64_t day_now(const tsr_day *d);

/* day_store.c */
tsr_status day_schema(cdb *db) TSR_MUST_CHECK;
tsr_status day_begin(tsr_day *d) TSR_MUST_CHECK;
tsr_status day_commit(tsr_day *d) TSR_MUST_CHECK;
void day_rollback(tsr_day *d);
/* TSR_ERR_DAY_NO_DRAW when no row. */
tsr_status day_row_load(tsr_day *d, const char *game, uint32_t draw, day_row *r) TSR_MUST_CHECK;
void day_row_free(day_row *r);
/* Inserts a scheduled row when absent (idempotent). */
tsr_status day_row_schedule(tsr_day *d, const char *game, uint32_t draw, int64_t open_ns,
                            int64_t cutoff_ns, int64_t results_ns) TSR_MUST_CHECK;
/* Writes every column of r (inside the caller's transaction) and clears
 * the waiting reason. */
tsr_status day_row_save(tsr_day *d, const day_row *r) TSR_MUST_CHECK;
/* Keeps why a step waits (own statement, outside transactions). */
tsr_status day_set_waiting(tsr_day *d, const char *game, uint32_t draw, const char *why) TSR_MUST_CHECK;
/* A hash-chained audit row: event "day_<what>", detail JSON of game, draw
 * and extra (taken; may be NULL). */
tsr_status day_audit(tsr_day *d, const char *what, const char *game, uint32_t draw,
                     json_t *extra) TSR_MUST_CHECK;
/* Stores a message to publish with tsr_central_ctl_publish(node, kind, id)
 * (idempotent on kind, node, id). node NULL: every node. */
tsr_status day_msg_put(tsr_day *d, const char *game, uint32_t draw, const char *node,
                       tsr_ctl_kind kind, uint32_t idx, const char *id, const void *bytes,
                       size_t len) TSR_MUST_CHECK;
/* Publishes every stored, unpublished message (needs a central). */
tsr_status day_msg_flush(tsr_day *d) TSR_MUST_CHECK;
/* True when (game, draw) has stored messages and all are published. */
tsr_status day_msg_all_published(tsr_day *d, const char *game, uint32_t draw,
                                 bool *yes) TSR_MUST_CHECK;
/* Names of the nodes marked active in central's store (caller frees). */
tsr_status day_active_nodes(tsr_day *d, char (**names)[TSR_NAME_MAX], size_t *n) TSR_MUST_CHECK;

/* day_open.c: scheduled -> open (seed, commitments, token). */
tsr_status day_do_open(tsr_day *d, day_row *r, char *why, size_t why_len) TSR_MUST_CHECK;

/* day_draw.c: reconciled -> drawn (manifest, reveals, record). */
tsr_status day_do_draw(tsr_day *d, day_row *r, char *why, size_t why_len) TSR_MUST_CHECK;
/* The settlement view of a record's numbers for game g. */
tsr_status day_result_of(const tsr_game *g, const tsr_draw_numbers *n,
                         tsr_draw_result *out) TSR_MUST_CHECK;

/* payout_settle.c: drawn (or cancelled and reconciled) -> settled. */
tsr_status day_do_settle(tsr_day *d, day_row *r, char *why, size_t why_len) TSR_MUST_CHECK;

/* payout_publish.c: settled -> paid (result and batches built, stored). */
tsr_status day_do_payout(tsr_day *d, day_row *r, char *why, size_t why_len) TSR_MUST_CHECK;

#endif

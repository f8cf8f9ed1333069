/*
 * The node relay: streams a node's outbox to central over JetStream and
 * carries central's answers back. It runs inside tessera-node on its own
 * thread (or is stepped by a test) and reaches the node's store only
 * through the function pointers of tsr_relay_ops, so sync/ never depends on
 * node/.
 *
 * What it does, in order, each step:
 *   1. forms batches from outbox rows in seq order (at most
 *      TSR_BATCH_MAX_ENTRIES each), persisting each boundary with
 *      ops.batch_put BEFORE publishing it, so a restarted relay re-forms the
 *      very same batches (same bytes, same Nats-Msg-Id "<node>:<first>-<last>");
 *   2. publishes them asynchronously, at most TSR_RELAY_WINDOW unreceipted
 *      batches and max_inflight unacknowledged ones, each with a MaxWait;
 *      a failed or timed-out publish, and every unreceipted batch after a
 *      reconnect, is re-sent with the same id (JetStream drops the
 *      duplicate, central is idempotent anyway);
 *   3. reads central's signed receipts (tsr.receipts.<node>), checks the
 *      signature against the pinned central key and the receipt's chain
 *      against the node's own rows, and only then calls ops.release to
 *      delete the covered rows. A JetStream ack alone never deletes
 *      anything: nats-server 2.9 fsyncs lazily;
 *   4. publishes the node's signed seals (ops.seals) on tsr.seals.<node>;
 *   5. answers replay requests (tsr.replay.<node>) by re-publishing the
 *      batches or seal asked for;
 *   6. applies control messages (tsr.ctl.<node>.<kind>) through
 *      ops.control, acking each only when the apply returned TSR_OK (so a
 *      node that was cut off catches up from its durable consumer);
 *   7. checks central's time beacons against the node clock: beyond
 *      time_bound_ms, tsr_relay_time_ok() turns false (fail closed for
 *      sales) until a beacon agrees again;
 *   8. publishes a status message on tsr.status.<node> every
 *      status_interval_ms: {"node","last_seq","outbox_lag","released_seq",
 *      "last_beacon_seq","time_ok","beacon_skew_ns","at_ns"}.
 *
 * The node's side (all called on the relay thread only; use your own
 * SQLite connection there, WAL lets it run beside the writer):
 *
 *   static tsr_status my_read(void *ctx, uint64_t from, size_t max,
 *                             tsr_relay_row_fn row, void *arg) {
 *       // SELECT seq, kind, bytes FROM outbox WHERE seq >= ?from
 *       //   ORDER BY seq LIMIT ?max;  for each: row(arg, seq, kind, bytes, len)
 *   }
 *   tsr_relay_ops ops = {.ctx = store, .read = my_read,
 *       .batch_put = my_batch_put,     // INSERT OR IGNORE INTO batches(first,last,msg_id)
 *       .batches_load = my_batches,    // SELECT first,last FROM batches WHERE first > ? ORDER BY first
 *       .release = my_release,         // one txn: DELETE outbox seq <= N, batches last <= N,
 *                                      //   store (N, chain) as the anchor
 *       .anchor = my_anchor,           // the stored (N, chain), or (0, zeros)
 *       .seals = my_seals, .seal_published = my_seal_published,
 *       .control = my_apply_control, .last_seq = my_last_seq};
 *   tsr_relay_opts o = {.node = "n1", .nats_url = url, .node_key = &kp,
 *       .central_keys = kr_receipts, .beacon_keys = kr_beacons,
 *       .ops = ops, .env = &env, .time_bound_ms = 250};
 *   tsr_relay *r;
 *   if (tsr_relay_start(&r, &o) != TSR_OK) ...   // its own thread
 *   ... sell: if (!tsr_relay_time_ok(r)) refuse with TSR_ERR_BEACON_SKEW ...
 *   tsr_relay_stop(r);
 *
 * Outbox rows must be tickets or cancels (TSR_ENTRY_TICKET / _CANCEL with
 * their canonical bytes) numbered 1, 2, 3... without gaps: the batch format
 * and central's receipt chain are over exactly that sequence. Seals are NOT
 * outbox rows; they come through ops.seals.
 */
#ifndef TESSERA_RELAY_H
#define TESSERA_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/codec.h"
#include "tessera/env.h"
#include "tessera/keys.h"
#include "tessera/status.h"
#include "tessera/subjects.h"

/* Unreceipted batches the relay holds in memory (and keeps in flight):
 * 16 x 1024 tickets covers a couple of seconds at the 15k bets/s peak, so
 * central's receipt interval never stalls the pipe, while bounding memory
 * to 16 x 512 KiB. */
#define TSR_RELAY_WINDOW 16
/* Seals examined per pass (one per open draw; a node runs a handful). */
#define TSR_RELAY_SEALS_MAX 64

/* Called by ops.read for each row: seq, kind (TSR_ENTRY_TICKET or
 * TSR_ENTRY_CANCEL) and the canonical bytes (borrowed for the call). */
typedef tsr_status (*tsr_relay_row_fn)(void *arg, uint64_t seq, int kind, const void *bytes,
                                       size_t len);
/* Called by ops.batches_load for each persisted boundary. */
typedef tsr_status (*tsr_relay_range_fn)(void *arg, uint64_t first_seq, uint64_t last_seq);
/* Called by ops.seals for each seal: its signed bytes (tsr_seal_sign form,
 * borrowed) and whether it was published already. */
typedef tsr_status (*tsr_relay_seal_fn)(void *arg, const char *game, uint32_t draw,
                                        const void *signed_seal, size_t len, bool published);

typedef struct tsr_relay_ops {
    void *ctx;
    /* Rows with seq >= from_seq in order, at most max. */
    tsr_status (*read)(void *ctx, uint64_t from_seq, size_t max, tsr_relay_row_fn fn, void *arg);
    /* Persists a batch boundary; idempotent for the same boundary. */
    tsr_status (*batch_put)(void *ctx, uint64_t first_seq, uint64_t last_seq, const char *msg_id);
    /* Persisted boundaries with first_seq > after_seq, in order. */
    tsr_status (*batches_load)(void *ctx, uint64_t after_seq, tsr_relay_range_fn fn, void *arg);
    /* Central holds rows 1..up_to_seq (signed receipt checked): delete them
     * and their batches, and store (up_to_seq, chain) as the anchor, in one
     * transaction. */
    tsr_status (*release)(void *ctx, uint64_t up_to_seq, const uint8_t chain[TSR_HASH_LEN]);
    /* The last stored anchor, or seq 0 and the zero chain. */
    tsr_status (*anchor)(void *ctx, uint64_t *seq, uint8_t chain[TSR_HASH_LEN]);
    /* Every seal the node holds (optional: NULL when the node has none). */
    tsr_status (*seals)(void *ctx, tsr_relay_seal_fn fn, void *arg);
    tsr_status (*seal_published)(void *ctx, const char *game, uint32_t draw);
    /* Applies a control message idempotently (optional). Anything but
     * TSR_OK leaves it for redelivery. */
    tsr_status (*control)(void *ctx, tsr_ctl_kind kind, const void *bytes, size_t len);
    /* The highest outbox seq assigned so far (optional; for outbox lag). */
    tsr_status (*last_seq)(void *ctx, uint64_t *seq);
} tsr_relay_ops;

typedef struct tsr_relay_opts {
    const char *node;                /* borrowed: this node's name */
    const char *nats_url;            /* borrowed */
    const tsr_keypair *node_key;     /* borrowed: signs batches */
    const uint8_t *central_pk;       /* borrowed, TSR_PK_LEN bytes: central's receipt key */
    const tsr_keyring *beacon_keys;  /* borrowed: draw-authority keys; NULL: ignore beacons */
    tsr_relay_ops ops;
    const tsr_env *env;              /* borrowed: the node's clock and log */
    int max_inflight;                /* unacked publishes, 1..TSR_RELAY_WINDOW (0: 8) */
    int64_t publish_timeout_ms;      /* MaxWait of each publish (0: 5000) */
    int64_t resend_after_ms;         /* re-send an acked batch with no receipt after (0: 30000) */
    int64_t status_interval_ms;      /* 0: 1000 */
    int64_t time_bound_ms;           /* beacon disagreement that closes sales (0: 250) */
    int64_t beacon_max_age_ms;       /* older beacons are ignored (0: 10000) */
    int64_t beacon_transit_ms;       /* delivery delay tolerated when the node
                                        runs ahead of a beacon (0: 5000): a late
                                        beacon only makes the node look ahead,
                                        which can close sales early but never
                                        lets a bet in after the cutoff; behind
                                        by more than time_bound_ms always
                                        closes sales */
    int64_t poll_ms;                 /* idle wait per step when run on a thread (0: 20) */
} tsr_relay_opts;

typedef struct tsr_relay tsr_relay;

/* Creates a relay (connecting in the background: the node starts even when
 * NATS is down) without starting a thread. Owns *out. TSR_ERR_ARG,
 * TSR_ERR_RANGE (node name), TSR_ERR_NOMEM, or an ops.anchor error. */
tsr_status tsr_relay_create(tsr_relay **out, const tsr_relay_opts *o) TSR_MUST_CHECK;

/* One pass of the steps above, waiting at most wait_ms for messages. Never
 * fails because NATS is away (it retries next step); returns ops errors. */
tsr_status tsr_relay_step(tsr_relay *r, int64_t wait_ms) TSR_MUST_CHECK;

/* create + a thread that steps until tsr_relay_stop. */
tsr_status tsr_relay_start(tsr_relay **out, const tsr_relay_opts *o) TSR_MUST_CHECK;

/* Stops the thread (if any) and frees; NULL-safe. */
void tsr_relay_stop(tsr_relay *r);

/* False while central's beacons disagree with the node clock beyond the
 * bound. Thread-safe. */
bool tsr_relay_time_ok(tsr_relay *r);

typedef struct tsr_relay_stats {
    uint64_t released_seq;    /* rows 1..released_seq confirmed by central and deleted */
    uint64_t formed_seq;      /* rows batched so far */
    uint64_t published, acked, resent, receipts, receipt_rejected, replays, seals_published,
        controls_applied, beacons;
    int64_t beacon_skew_ns;
    bool time_ok, connected;
} tsr_relay_stats;

/* A snapshot of the counters. Thread-safe. */
void tsr_relay_get_stats(tsr_relay *r, tsr_relay_stats *out);

#endif

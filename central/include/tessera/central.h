/*
 * tessera-central's reconciler: JetStream ingestion of node batches into a
 * SQLite store, signed receipts back to nodes, per-node sequence tracking
 * with replay requests, seals and per-draw reconciliation, control fan-out
 * (catalogue, tokens, exclusions, results, payouts), time beacons, status.
 *
 * One tsr_central is driven by one thread calling tsr_central_step() in a
 * loop (tsr_central_run does that); every other function may be called from
 * that thread between steps. The store can be read by other processes
 * (`tessera-central status`, settlement) through their own connections.
 *
 * Central's store (SQLite, WAL, synchronous=FULL), the tables others read:
 *   nodes(node_id INTEGER PK, node TEXT UNIQUE, active, contig_seq, chain,
 *         max_seq, want_seq, entries, tickets, receipted_seq, ...)
 *   entries(node_id, seq, kind 1=ticket 2=cancel, ticket_id BLOB(16), game,
 *         draw, amount (stake or refund cents), accepted_at_ns, leaf, bytes
 *         (canonical ticket/cancel encoding), conflict, cancelled;
 *         UNIQUE(node_id, seq); ticket_id unique among live tickets)
 *   seals(node_id, game, draw, ..., state 'sealed'|'reconciled'|'mismatch',
 *         diff JSON), exclusions, draws(game, draw, cutoff_at_ns), alarms,
 *         audit (hash-chained), receipts.
 * Settlement reads a draw's tickets with
 *   SELECT bytes FROM entries WHERE kind=1 AND conflict=0 AND cancelled=0
 *     AND game=? AND draw=? -- only once tsr_central_draw_ready says ready.
 */
#ifndef TESSERA_CENTRAL_H
#define TESSERA_CENTRAL_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "tessera/codec.h"
#include "tessera/env.h"
#include "tessera/keys.h"
#include "tessera/status.h"
#include "tessera/subjects.h"

/* Nodes one central serves (each has a durable position and a row). */
#define TSR_CENTRAL_NODES_MAX 256
/* Entries asked for in one replay request: one batch's worth, so a replay
 * is answered with one re-published batch. */
#define TSR_CENTRAL_REPLAY_MAX TSR_BATCH_MAX_ENTRIES

typedef struct tsr_central tsr_central;

typedef struct tsr_central_opts {
    const char *nats_url;            /* borrowed */
    const char *db_path;             /* borrowed */
    const tsr_keypair *receipt_key;  /* borrowed: signs node receipts */
    const tsr_keypair *beacon_key;   /* borrowed: signs time beacons (draw authority); may be NULL: no beacons */
    const tsr_keyring *node_keys;    /* borrowed: each node's key pinned under its name */
    const char *const *nodes;        /* borrowed: active node names, n_nodes of them */
    size_t n_nodes;
    int replicas;                    /* 1 or 3 */
    int64_t receipt_interval_ms;     /* min time between receipts per node (0: every step) */
    int64_t beacon_interval_ms;      /* 0: 1000 */
    int64_t replay_grace_ms;         /* a gap older than this is asked for (0: 2000) */
    int64_t replay_interval_ms;      /* min time between replay requests per node (0: 2000) */
    int64_t seal_grace_ms;           /* after cutoff, a missing seal is asked for (0: 5000) */
    int64_t status_stale_ms;         /* a node silent this long shows disconnected (0: 5000) */
    const tsr_env *env;              /* borrowed: central's clock is the clock seam */
} tsr_central_opts;

/* Opens the store (creating the schema), connects, ensures the streams
 * (idempotent) and the consumers, registers the configured nodes. Owns
 * *out. TSR_ERR_ARG, TSR_ERR_IO (store), TSR_ERR_UNAVAILABLE (NATS),
 * TSR_ERR_JS_STREAM_CONFIG, TSR_ERR_KEY_UNKNOWN (a node without a key). */
tsr_status tsr_central_open(tsr_central **out, const tsr_central_opts *o) TSR_MUST_CHECK;

/* Closes; NULL-safe. */
void tsr_central_close(tsr_central *c);

/* What one step did. */
typedef struct tsr_central_step_stats {
    uint64_t batches, entries_new, entries_dup, rejected, seals, receipts, replays;
} tsr_central_step_stats;

/* One loop iteration: fetch and ingest ticket batches (one SQLite
 * transaction, committed before the JetStream acks), fetch and reconcile
 * seals, read node status, issue receipts, ask for replays, publish a
 * beacon when due. Waits at most wait_ms for messages. stats may be NULL
 * (adds to it otherwise). TSR_OK even when NATS is down (it retries);
 * TSR_ERR_IO when the store fails. */
tsr_status tsr_central_step(tsr_central *c, int64_t wait_ms,
                            tsr_central_step_stats *stats) TSR_MUST_CHECK;

/* Steps until *stop becomes non-zero. */
tsr_status tsr_central_run(tsr_central *c, volatile sig_atomic_t *stop) TSR_MUST_CHECK;

/* Registers a draw central expects seals for (idempotent; a later call may
 * move the cutoff). TSR_ERR_RANGE for a bad game name, TSR_ERR_IO. */
tsr_status tsr_central_draw_add(tsr_central *c, const char *game, uint32_t draw,
                                int64_t cutoff_at_ns) TSR_MUST_CHECK;

/* TSR_OK when every active node is reconciled or excluded for the draw;
 * TSR_ERR_DRAW_NOT_READY otherwise. *why (may be NULL; caller owns) lists
 * each node's state. TSR_ERR_IO. */
tsr_status tsr_central_draw_ready(tsr_central *c, const char *game, uint32_t draw,
                                  json_t **why) TSR_MUST_CHECK;

/* Central's totals for a draw over all nodes (live tickets only). */
tsr_status tsr_central_draw_totals(tsr_central *c, const char *game, uint32_t draw,
                                   uint64_t *count, int64_t *stake_cents) TSR_MUST_CHECK;

/* Operator exclusion of a node from a draw (audited: operator and reason
 * recorded in the hash-chained audit). The node's tickets for the draw are
 * refunded by the node later; they are never deleted here. Works on a
 * store path so `tessera-central admin` can run beside a live central.
 * TSR_ERR_NODE_UNKNOWN, TSR_ERR_ARG, TSR_ERR_EXISTS (already excluded),
 * TSR_ERR_IO. */
tsr_status tsr_central_exclude(const char *db_path, const char *node, const char *game,
                               uint32_t draw, const char *operator_name, const char *reason,
                               int64_t now_ns) TSR_MUST_CHECK;

/* Publishes a signed control message (bytes borrowed; produced by their
 * owners: catalogue, token, exclusion, result, payout) to `node`, or to
 * every configured node when node is NULL, on tsr.ctl.<node>.<kind> with
 * Nats-Msg-Id "<kind>:<id>" so a repeat is deduplicated. TSR_ERR_ARG,
 * TSR_ERR_NODE_UNKNOWN, TSR_ERR_TIMEOUT / TSR_ERR_UNAVAILABLE / TSR_ERR_JS. */
tsr_status tsr_central_ctl_publish(tsr_central *c, const char *node, tsr_ctl_kind kind,
                                   const char *id, const void *bytes, size_t len) TSR_MUST_CHECK;

/* Status of every node as JSON (caller owns), from a store path so the CLI
 * can read it beside a live central:
 *   {"nodes":[{"node","active","connected","last_status_at_ns",
 *     "last_beacon_seq","tickets","contig_seq","max_seq","outbox_lag",
 *     "time_ok","draws":[{"game","draw","state","diff"}]}],
 *    "alarms":n}
 * now_ns decides "connected" (status newer than stale_ms). TSR_ERR_IO. */
tsr_status tsr_central_status_json(const char *db_path, int64_t now_ns, int64_t stale_ms,
                                   json_t **out) TSR_MUST_CHECK;

/* Alarms raised so far (forged batches, conflicting entries, unknown
 * nodes), newest last, as a JSON array (caller owns). TSR_ERR_IO. */
tsr_status tsr_central_alarms_json(const char *db_path, json_t **out) TSR_MUST_CHECK;

#endif

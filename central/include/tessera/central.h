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
 *   ticket_ids(ticket_id PK, node_id, seq): the live tickets' ids, which
 *         keeps ids unique (entries has no index on ticket_id: look an id
 *         up here, then read entries by (node_id, seq)),
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
#include "tessera/config.h"
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
    const char *name;                /* borrowed: NATS connection name; NULL: "tessera-central" */
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
 * TSR_ERR_SEAL_MISMATCH when some node's seal disagrees with what central
 * holds (it waits for a replay or an operator's exclusion);
 * TSR_ERR_DRAW_NOT_READY when nodes are only still open or sealed and
 * waiting for entries. *why (may be NULL; caller owns) says why, per node:
 *   {"<node>": {"state": "open"|"sealed"|"mismatch"|"reconciled"|"excluded",
 *               "diff": {...}|null, "late": bool}}
 * where "late" means no seal arrived by cutoff + seal grace. TSR_ERR_RANGE
 * for a bad game name, TSR_ERR_IO. The first time a draw is ready is
 * recorded (draws.ready_at_ns). */
tsr_status tsr_central_draw_ready(tsr_central *c, const char *game, uint32_t draw,
                                  json_t **why) TSR_MUST_CHECK;

/* The same over a store path (the nodes marked active by the running
 * central), so `tessera-central draw-ready` can ask beside a live central.
 * now_ns decides "late"; seal_grace_ms as in the options. Errors as above,
 * and TSR_ERR_NOT_FOUND when no store exists at db_path. */
tsr_status tsr_central_draw_ready_db(const char *db_path, const char *game, uint32_t draw,
                                     int64_t now_ns, int64_t seal_grace_ms,
                                     json_t **why) TSR_MUST_CHECK;

/* Registers a draw on a store path (as tsr_central_draw_add) for the admin
 * CLI: the running central asks for missing seals after its cutoff.
 * TSR_ERR_RANGE, TSR_ERR_NOT_FOUND (no store), TSR_ERR_IO. */
tsr_status tsr_central_draw_add_db(const char *db_path, const char *game, uint32_t draw,
                                   int64_t cutoff_at_ns) TSR_MUST_CHECK;

/* Central's totals for a draw over all nodes (live tickets only). */
tsr_status tsr_central_draw_totals(tsr_central *c, const char *game, uint32_t draw,
                                   uint64_t *count, int64_t *stake_cents) TSR_MUST_CHECK;

/* Operator exclusion of a node from a draw (audited: operator and reason
 * recorded in the hash-chained audit). The node's tickets for the draw are
 * refunded by the node later; they are never deleted here. Works on a
 * store path so `tessera-central admin` can run beside a live central.
 * TSR_ERR_NODE_UNKNOWN, TSR_ERR_ARG, TSR_ERR_EXISTS (already excluded),
 * TSR_ERR_NOT_FOUND (no store at db_path), TSR_ERR_IO. */
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
 *     "last_beacon_seq","tickets","contig_seq","max_seq","receipted_seq",
 *     "outbox_lag","last_seq","time_ok","beacon_skew_ns",
 *     "draws":[{"game","draw","state","diff"}]}],
 *    "alarms":n}
 * (outbox_lag, last_seq, last_beacon_seq, time_ok, beacon_skew_ns are what
 * the node last reported, null before its first status message). now_ns
 * decides "connected" (status newer than stale_ms). TSR_ERR_NOT_FOUND when
 * no store exists at db_path, TSR_ERR_IO. */
tsr_status tsr_central_status_json(const char *db_path, int64_t now_ns, int64_t stale_ms,
                                   json_t **out) TSR_MUST_CHECK;

/* Alarms raised so far (forged batches, conflicting entries, unknown
 * nodes), newest last, as a JSON array (caller owns) of
 *   {"at_ns","node","kind","status","detail"}
 * where status names the code of the fault (e.g. TSR_ERR_TICKET_CONFLICT
 * for kind ticket_conflict, TSR_ERR_SIGNATURE for forged_batch).
 * TSR_ERR_NOT_FOUND when no store exists at db_path, TSR_ERR_IO. */
tsr_status tsr_central_alarms_json(const char *db_path, json_t **out) TSR_MUST_CHECK;

/* ---- the daemon's configuration (docs/streaming.md) ---------------------- */

/* Path buffers of the config. */
#define TSR_CENTRAL_PATH_MAX 256

typedef struct tsr_central_config {
    char central_id[TSR_NAME_MAX];
    char nats_url[TSR_CENTRAL_PATH_MAX];
    char db_path[TSR_CENTRAL_PATH_MAX];
    char central_key[TSR_CENTRAL_PATH_MAX];        /* secret key: signs receipts */
    char draw_authority_key[TSR_CENTRAL_PATH_MAX]; /* secret key: signs beacons, tokens */
    char keys_manifest[TSR_CENTRAL_PATH_MAX];      /* tessera keygen manifest ("" = none) */
    json_t *nodes; /* owned: ["n1", {"name":"n2","public_key":"n2.pub"}, ...] */
    int64_t replicas, beacon_interval_ms, receipt_interval_ms, replay_grace_ms,
        replay_interval_ms, seal_grace_ms, status_stale_ms;
    char clock_mode[16];
    int64_t clock_offset_ms, clock_offset_error_ms;
    char log_level[16];
} tsr_central_config;

/* The config table (static), its length in *n. */
const tsr_cfg_field *tsr_central_config_fields(size_t *n);

/* Loads and cross-checks a config file into *cfg (always release it with
 * tsr_central_config_free). err names the key and the bounds. Errors of
 * tsr_config_load_file, and TSR_ERR_CONFIG_RANGE / TSR_ERR_CONFIG_TYPE for
 * a bad clock mode, log level, replicas or nodes list. */
tsr_status tsr_central_config_load(tsr_central_config *cfg, const char *path, char *err,
                                   size_t errlen) TSR_MUST_CHECK;

/* Releases what a config holds; NULL-safe. */
void tsr_central_config_free(tsr_central_config *cfg);

/* The configured node names and their pinned public keys: *names (caller
 * frees the array; the strings are borrowed from cfg) and *keys (owned,
 * tsr_keyring_destroy). Keys come from each node's public_key file or,
 * for a bare name, from keys_manifest. TSR_ERR_KEY_FILE,
 * TSR_ERR_KEY_UNKNOWN (a node with no key), TSR_ERR_EXISTS (a node listed
 * twice), TSR_ERR_NOMEM; err says which node. */
tsr_status tsr_central_config_nodes(const tsr_central_config *cfg, const char ***names,
                                    size_t *n, tsr_keyring **keys, char *err,
                                    size_t errlen) TSR_MUST_CHECK;

/* The body of the tessera-central program:
 *   tessera-central run --config FILE
 *   tessera-central status --config FILE [--json]
 *   tessera-central alarms --config FILE [--json]
 *   tessera-central exclude --config FILE --node N --game G --draw D --reason TEXT [--operator NAME]
 *   tessera-central draw-add --config FILE --game G --draw D --cutoff-at-ns T
 *   tessera-central draw-ready --config FILE --game G --draw D [--json]
 * Returns a sysexits(3) code. */
int tsr_central_main(int argc, char **argv);

#endif

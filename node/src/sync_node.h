/*
 * The node's side of the streaming layer (the "sync" module): the relay of
 * sync/include/tessera/relay.h plugged into the node store, and the apply
 * of central's control messages (catalogue, cutoff tokens, exclusions,
 * results, payouts).
 *
 * Threads and writes. The relay runs on its own thread and calls the
 * tsr_relay_ops below there. Reads use the module's own read-only
 * connection (WAL readers never block the writer). Every write (batch
 * boundaries, releases with their anchor, seal flags, control applies)
 * goes through the node's writer as an internal job, and the relay thread
 * waits for that job's commit: the node keeps exactly one SQLite writer,
 * the audit chain stays in the writer's transaction, and a control message
 * is acknowledged to JetStream only once its effect is on disk.
 *
 * Keys. Receipts, results, payout batches, catalogues and exclusions are
 * signed by central's key (config "central_key"); cutoff tokens and time
 * beacons by the draw authority (config "draw_authority_key", already
 * pinned by the core). A message that does not verify is refused: logged
 * as an alarm, counted in /v1/health, terminated on JetStream (never
 * redelivered) and nothing is written.
 *
 * Wiring: tsr_sync_module is a node module (daemon_main.c lists it); the
 * relay starts on the first CoAP-loop tick after the writer runs when the
 * config has a nats_url, and tsr_sync_stop (called by tsr_node_stop before
 * the writer is destroyed) stops it.
 */
#ifndef TSR_NODE_SYNC_H
#define TSR_NODE_SYNC_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon.h"
#include "server.h"
#include "store.h"
#include "sync_pay.h"
#include "tessera/relay.h"

/* How long the relay thread waits for one of its writer jobs to commit.
 * The writer commits a group in milliseconds; a minute only passes when
 * the node is wedged, and then the relay retries the step rather than
 * hang its thread forever. */
#define TSR_SYNC_JOB_WAIT_MS 60000
/* Outbox rows read per query while forming a batch or checking a receipt
 * chain: bounds the memory of one read to 256 rows of at most 314 bytes. */
#define TSR_SYNC_READ_CHUNK 256
/* A catalogue or exclusion control message: the catalogue JSON is tens of
 * KiB; 1 MiB is NATS's max_payload. */
#define TSR_SYNC_CTL_MAX (1024 * 1024)

/* DDL of the module's tables (schema_sync.c), run by store.c in
 * migration 1 after the core and accounts DDL. */
extern const char *const tsr_schema_sync_v1;

/* Counters for /v1/health (a snapshot). */
typedef struct tsr_sync_counters {
    uint64_t controls_applied;  /* control messages applied (new or repeated) */
    uint64_t controls_refused;  /* forged, malformed or conflicting: alarms */
    uint64_t payouts_applied;   /* payout entries newly booked */
    uint64_t results_applied;   /* results newly stored */
} tsr_sync_counters;

typedef struct tsr_sync tsr_sync;

/* The module (name "sync"). Its init pins central's key when configured,
 * opens the relay's reader connection and registers the tick that starts
 * the relay. Without nats_url it still applies nothing and starts nothing. */
extern const tsr_node_module tsr_sync_module;

/* The module state of a server (borrowed), or NULL when not loaded. */
tsr_sync *tsr_sync_of(const tsr_server *srv);

/* Stops the relay thread if it runs; NULL-safe, idempotent. tsr_node_stop
 * calls it before it destroys the writer. */
void tsr_sync_stop(tsr_server *srv);

/* Adds {"relay": {...}} to a health object (borrowed): running, connected,
 * time_ok, last_seq, released_seq, outbox_lag, receipts, last_receipt_at_ns,
 * controls applied/refused. Appends a sentence to `reasons` (borrowed
 * array; health.c sells only while it is empty) when central's beacons say
 * the clock disagrees. A node without the module adds nothing. */
void tsr_sync_health(tsr_server *srv, json_t *health, json_t *reasons);

/* False while central's time beacons disagree with the node clock beyond
 * beacon_bound_ms (sales must close); true without a relay. Any thread. */
bool tsr_sync_time_ok(tsr_server *srv);

/* A snapshot of the counters. */
void tsr_sync_get_counters(tsr_sync *s, tsr_sync_counters *out);

/* The relay ops over this node's store (ctx = the tsr_sync). Exposed so a
 * test can step a relay by hand. */
tsr_relay_ops tsr_sync_relay_ops(tsr_sync *s);

/* Applies one control message (the relay's ops.control), on any thread
 * but the writer's and the CoAP thread's (it waits for the writer):
 * verifies it, applies it in one writer transaction, returns TSR_OK when it
 * is on disk (also for a message applied before: every apply is
 * idempotent). Refusals: TSR_ERR_SIGNATURE / TSR_ERR_KEY_UNKNOWN (forged),
 * TSR_ERR_ENCODING / TSR_ERR_VERSION / TSR_ERR_JSON / TSR_ERR_FIELD_* /
 * TSR_ERR_RANGE (malformed), TSR_ERR_TOKEN_EXPIRED, TSR_ERR_BATCH_NODE (a
 * payout batch for another node), TSR_ERR_CONTROL_REFUSED (a conflict with
 * what the node holds: a different token or catalogue under the same id, a
 * payout for a ticket this node never sold or with other content).
 * Transient: TSR_ERR_BUSY / TSR_ERR_SHUTTING_DOWN / TSR_ERR_TIMEOUT /
 * TSR_ERR_IO (left for redelivery). TSR_ERR_CONFIG when central's key is
 * not configured (results, payouts, catalogue, exclusions need it). */
tsr_status tsr_sync_control(tsr_sync *s, tsr_ctl_kind kind, const void *bytes,
                            size_t len) TSR_MUST_CHECK;

/* ---- private to sync_*.c --------------------------------------------------- */

/* Runs fn(txn, srv, arg) as an internal writer job and waits for its
 * commit (TSR_SYNC_JOB_WAIT_MS at most). arg is taken: arg_free (may be
 * NULL) frees it when the job is done, even after a timed-out wait.
 * `notify` (copied; may be NULL) is an observable path marked changed
 * after the commit. Returns fn's status, TSR_ERR_IO when the commit failed,
 * TSR_ERR_BUSY / TSR_ERR_SHUTTING_DOWN from the queue, TSR_ERR_TIMEOUT. */
typedef tsr_status (*tsr_sync_apply_fn)(tsr_store_txn *txn, tsr_server *srv, void *arg);
tsr_status tsr_sync_run(tsr_sync *s, const char *kind, tsr_sync_apply_fn fn, void *arg,
                        void (*arg_free)(void *), const char *notify) TSR_MUST_CHECK;

/* Logs a refused control message as an alarm and counts it. Returns st. */
tsr_status tsr_sync_refuse(tsr_sync *s, tsr_ctl_kind kind, tsr_status st, const char *why);

/* The module state (sync_module.c owns it; the other sync_*.c read it). */
struct tsr_sync {
    tsr_server *srv;
    tsr_core *core;
    const tsr_node_config *cfg;
    tsr_store_conn *reader;      /* the relay thread's read connection */
    uint8_t central_pk[TSR_PK_LEN];
    bool have_central;
    tsr_relay *relay;
    bool relay_tried;
    pthread_mutex_t mu;          /* guards relay, counters, last_release_ns, every sync_call */
    pthread_cond_t cv;
    tsr_sync_counters counters;
    int64_t last_release_ns;     /* when central's last receipt released rows (0: never) */
};

tsr_server *tsr_sync_server(tsr_sync *s);
const uint8_t *tsr_sync_central_pk(tsr_sync *s); /* NULL when not configured */
void tsr_sync_count(tsr_sync *s, uint64_t applied, uint64_t payouts, uint64_t results);

/* Per-kind applies (sync_control.c, sync_payout.c). */
tsr_status tsr_sync_apply_result(tsr_sync *s, const void *bytes, size_t len) TSR_MUST_CHECK;
tsr_status tsr_sync_apply_payouts(tsr_sync *s, const void *bytes, size_t len) TSR_MUST_CHECK;

#endif

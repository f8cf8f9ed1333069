/* Private to central/: the reconciler's state and the store helpers. */
#ifndef TSR_CENTRAL_INT_H
#define TSR_CENTRAL_INT_H

#include <sqlite3.h>

#include "tessera/central.h"
#include "tessera/transport.h"

/* Prepared statements cached per connection (all SQL is constant). */
#define CDB_STMT_MAX 64
/* Seals fetched per step (rare messages: one per node per draw). */
#define CENTRAL_SEAL_FETCH 64
/* Node status messages read per step. */
#define CENTRAL_STATUS_PER_STEP 256
/* A node status JSON message is small; anything larger is dropped. */
#define CENTRAL_STATUS_MSG_MAX 4096

/* Discards a status where failing is harmless (best-effort ROLLBACK, ack
 * of a message that is redelivered anyway); gcc ignores (void) casts on
 * warn_unused_result. */
#define CENTRAL_BEST_EFFORT(x)                                                 \
    do {                                                                       \
        tsr_status best_effort_ = (x);                                         \
        (void)best_effort_;                                                    \
    } while (0)

typedef struct cdb {
    sqlite3 *db;
    struct { const char *sql; sqlite3_stmt *st; } cache[CDB_STMT_MAX];
    int n;
} cdb;

/* Opens (creating) the store at path with WAL and synchronous=FULL and
 * creates the schema. TSR_ERR_IO. */
tsr_status cdb_open(cdb *d, const char *path) TSR_MUST_CHECK;
void cdb_close(cdb *d);
/* cdb_open for the admin side: TSR_ERR_NOT_FOUND when no store exists at
 * path (a typo must not create an empty store). */
tsr_status cdb_open_existing(cdb *d, const char *path) TSR_MUST_CHECK;
/* A cached statement for constant sql (keyed by pointer), reset. */
tsr_status cdb_stmt(cdb *d, const char *sql, sqlite3_stmt **out) TSR_MUST_CHECK;
tsr_status cdb_exec(cdb *d, const char *sql) TSR_MUST_CHECK;
/* Maps SQLite codes: DONE/ROW/OK → OK, CONSTRAINT → EXISTS, FULL →
 * DISK_FULL, else IO. */
tsr_status cdb_rc(int rc);
/* Steps a no-row statement and resets it. */
tsr_status cdb_step_done(sqlite3_stmt *st) TSR_MUST_CHECK;
/* Records an alarm row (inside the caller's transaction). */
tsr_status cdb_alarm(cdb *d, int64_t now_ns, const char *node, const char *kind,
                     const char *detail) TSR_MUST_CHECK;
/* Appends a hash-chained audit row: hash = H(prev || at || event || detail). */
tsr_status cdb_audit(cdb *d, int64_t now_ns, const char *event, const char *detail) TSR_MUST_CHECK;
/* node_id of a name, TSR_ERR_NODE_UNKNOWN when none. */
tsr_status cdb_node_id(cdb *d, const char *node, int64_t *id) TSR_MUST_CHECK;

/* Per-node state kept in memory between steps (the store is the truth). */
typedef struct cnode {
    char name[TSR_NAME_MAX];
    int64_t id;
    uint8_t pk[TSR_PK_LEN];
    uint64_t contig_seq, max_seq, want_seq, receipted_seq;
    uint8_t chain[TSR_HASH_LEN];
    bool has_cancels; /* a cancel entry is stored: tickets must look for theirs */
    int64_t gap_since_ns, last_replay_ns, last_receipt_ns;
    char subj_receipts[TSR_SUBJECT_MAX], subj_replay[TSR_SUBJECT_MAX];
} cnode;

struct tsr_central {
    tsr_central_opts o;
    cdb db;
    tsr_js *js;
    tsr_js_pull *tickets, *seals;
    tsr_js_sub *status;
    cnode nodes[TSR_CENTRAL_NODES_MAX];
    size_t n_nodes;
    uint64_t beacon_seq;
    int64_t last_beacon_ns;
    bool streams_ready;
    /* The leaves of the batch being ingested, in seq order, so the receipt
     * chain advances from memory instead of re-reading the rows. */
    uint8_t leaves[TSR_BATCH_MAX_ENTRIES][TSR_HASH_LEN];
};

int64_t central_now(tsr_central *c);
cnode *central_node(tsr_central *c, const char *name);

/* ingest.c: verifies and stores the batches of one fetch (one transaction
 * opened by the caller). Returns TSR_OK for handled messages (stored,
 * duplicate or rejected with an alarm); TSR_ERR_IO aborts the transaction. */
tsr_status central_ingest_batch(tsr_central *c, const char *subject, const void *data,
                                size_t len, tsr_central_step_stats *st) TSR_MUST_CHECK;
/* Advances a node's contiguous sequence and receipt chain over stored
 * entries. */
tsr_status central_advance(tsr_central *c, cnode *n) TSR_MUST_CHECK;
/* Stores a node's advanced contig_seq and chain, re-evaluates its seals. */
tsr_status central_advance_store(tsr_central *c, cnode *n) TSR_MUST_CHECK;

/* recon.c */
tsr_status central_seal_ingest(tsr_central *c, const char *subject, const void *data,
                               size_t len) TSR_MUST_CHECK;
/* Re-evaluates a node's seals that are not reconciled (after entries
 * arrived); waiting_only limits it to seals still waiting for entries
 * (cheap: no Merkle root), for the periodic pass. */
tsr_status central_recheck_seals(tsr_central *c, cnode *n, bool waiting_only) TSR_MUST_CHECK;
/* Asks for seals missing past cutoff + grace. */
tsr_status central_request_missing_seals(tsr_central *c) TSR_MUST_CHECK;
/* Publishes a replay request for [from, to] (or for a seal when game). */
tsr_status central_replay_request(tsr_central *c, cnode *n, uint64_t from, uint64_t to,
                                  const char *game, uint32_t draw) TSR_MUST_CHECK;

#endif

/* Private to central/: the reconciler's state and the store helpers. */
#ifndef TSR_CENTRAL_INT_H
#define TSR_CENTRAL_INT_H

#include <sqlite3.h>

#include "tessera/central.h"
#include "tessera/transport.h"

/* The store's schema version (PRAGMA user_version). 2: live ticket ids in
 * the table ticket_ids instead of a unique index on entries. cdb_open
 * migrates older stores and refuses newer ones (TSR_ERR_VERSION). */
#define CDB_SCHEMA_VERSION 2
/* A numeric constant as an SQL literal. */
#define CDB_STR_(x) #x
#define CDB_STR(x) CDB_STR_(x)
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

/* Fetches of ticket batches the worker thread verifies and decodes ahead
 * of the writer (ingest_pipe.c); the writer takes every ready one into one
 * transaction, so a backlog is written with few commits. */
#define CENTRAL_PIPE_SLOTS 4
/* How long one worker fetch waits for messages: also how long closing
 * central waits for the worker to notice. */
#define CENTRAL_PIPE_FETCH_WAIT_MS 20
/* Entries one ingest transaction takes at most (it always takes one
 * fetch): bounds the time between a batch's arrival and its receipt. */
#define CENTRAL_TXN_ENTRIES_MAX (256 * 1024)

/* One decoded ticket or cancel of a verified batch, as the store needs it
 * (bytes borrowed from the fetched message). */
typedef struct centry {
    tsr_entry_kind kind;
    uint32_t len;
    uint64_t seq;
    uint32_t draw;
    int64_t amount; /* stake or refund cents */
    int64_t at_ns;  /* accepted or cancelled at */
    uint8_t id[TSR_TICKET_ID_LEN]; /* the ticket's id (a cancel: the cancelled ticket's) */
    uint8_t leaf[TSR_HASH_LEN];
    char game[TSR_NAME_MAX];
    const uint8_t *bytes;
} centry;

/* A growable array of entries (owned by one pipeline slot). */
typedef struct centries {
    centry *v;
    size_t n, cap;
} centries;

struct cnode;
/* One fetched message after the worker looked at it: either a verdict to
 * alarm on, or a verified batch whose entries are e[first..first+count). */
typedef struct cmsg {
    char node[TSR_NAME_MAX];  /* "" when the subject named none */
    struct cnode *n;          /* the sending node when verified */
    tsr_status verdict;       /* TSR_OK: verified */
    const char *reject_kind;  /* static: the alarm kind when refused */
    tsr_batch_info info;
    size_t first;
    uint32_t count;
} cmsg;

typedef struct cpipe cpipe;
typedef struct cids cids;

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
    cpipe *pipe; /* owned: the fetch/verify worker, started with the bus */
    cids *ids;   /* owned: ticket-id claims and their filter */
};

int64_t central_now(tsr_central *c);
/* (Re)loads every node's row into memory (after a rollback: memory never
 * runs ahead of the disk). */
tsr_status central_load_nodes(tsr_central *c) TSR_MUST_CHECK;
cnode *central_node(tsr_central *c, const char *name);

/* ingest.c: verifies and stores the batches of one fetch (one transaction
 * opened by the caller). Returns TSR_OK for handled messages (stored,
 * duplicate or rejected with an alarm); TSR_ERR_IO aborts the transaction. */
tsr_status central_ingest_batch(tsr_central *c, const char *subject, const void *data,
                                size_t len, tsr_central_step_stats *st) TSR_MUST_CHECK;
/* Worker side (no store access): checks the subject, node and signature of
 * one message and decodes its entries onto the end of *out. The verdict is
 * in m (a refused message has no entries). TSR_ERR_NOMEM only. */
tsr_status central_prepare(tsr_central *c, const char *subject, const void *data, size_t len,
                           cmsg *m, centries *out) TSR_MUST_CHECK;
/* Writer side: stores one prepared message (alarm for a refused one)
 * inside the caller's transaction. Same results as central_ingest_batch. */
tsr_status central_ingest_prepared(tsr_central *c, const cmsg *m, const centry *e,
                                   tsr_central_step_stats *st) TSR_MUST_CHECK;

/* ingest_pipe.c: one ingest step: starts the worker once the bus is up,
 * waits at most wait_ms for prepared fetches, writes every ready one (up to
 * CENTRAL_TXN_ENTRIES_MAX entries) in one transaction, and acks them only
 * after COMMIT; on failure rolls back, reloads the nodes and naks.
 * TSR_ERR_IO / TSR_ERR_DISK_FULL when the store fails. */
tsr_status central_pipe_step(tsr_central *c, int64_t wait_ms,
                             tsr_central_step_stats *st) TSR_MUST_CHECK;
/* Stops the worker and hands back (nak) what it fetched but nobody wrote;
 * NULL-safe, idempotent. */
void central_pipe_stop(tsr_central *c);

/* ingest_ids.c: which live ticket holds a ticket id (table ticket_ids,
 * inserted sorted per transaction, behind an in-memory filter). */
tsr_status cids_open(tsr_central *c) TSR_MUST_CHECK;
void cids_close(tsr_central *c);
/* Claims id for (node_id, seq): *taken and the holder when a live ticket
 * already has it (nothing claimed then). The claim is written at
 * cids_flush. */
tsr_status cids_claim(tsr_central *c, const uint8_t id[TSR_TICKET_ID_LEN], int64_t node_id,
                      uint64_t seq, bool *taken, int64_t *held_node,
                      uint64_t *held_seq) TSR_MUST_CHECK;
/* The live ticket holding id, if any. */
tsr_status cids_find(tsr_central *c, const uint8_t id[TSR_TICKET_ID_LEN], bool *found,
                     int64_t *node_id, uint64_t *seq) TSR_MUST_CHECK;
/* Writes the pending claims, sorted; before COMMIT. */
tsr_status cids_flush(tsr_central *c) TSR_MUST_CHECK;
/* Forgets pending claims (the transaction rolled back). */
void cids_rollback(tsr_central *c);
/* Exact lookups made so far (filter hits: reuses and false positives). */
uint64_t cids_lookups(const tsr_central *c);

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

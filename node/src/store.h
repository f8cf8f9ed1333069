/*
 * The node's store: one SQLite database in WAL mode with synchronous=FULL,
 * versioned migrations (PRAGMA user_version), one write connection owned by
 * the writer thread and read-only connections for the CoAP thread.
 *
 * Schema v1 is the union of two DDL strings: tsr_schema_core_v1
 * (schema_core.c: agents, terminals, tickets, outbox, batches, seals,
 * tokens, catalog, audit, idempotency, notifications) and
 * tsr_schema_accounts_v1 (schema_accounts.c: players, sessions, accounts,
 * ledger_entries, payouts, psp_events, limits, exclusions, ...). Migration 1
 * runs both in one transaction; migration 2 (store.c) adds the receipt
 * batches and the idempotency replay reference. A database whose user_version is above
 * TSR_STORE_SCHEMA_VERSION is refused (TSR_ERR_DB_NEWER) — an old binary
 * must never write into a newer layout.
 *
 * Threading: a tsr_store_conn is used by one thread at a time. The write
 * connection is only touched by the writer thread through tsr_store_txn; a
 * reader connection belongs to the thread that opened it (the CoAP thread).
 */
#ifndef TSR_NODE_STORE_H
#define TSR_NODE_STORE_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "tessera/env.h"
#include "tessera/status.h"

/* The schema this binary writes. Bump with a new migration step. */
#define TSR_STORE_SCHEMA_VERSION 2
/* Prepared statements cached per connection: every statement the node runs
 * is a compile-time constant, a few dozen in all; 128 leaves room. */
#define TSR_STORE_STMT_CACHE_MAX 128
/* Page cache of the write connection, in KiB (negative = KiB for SQLite):
 * a group commit of 512 bets dirties a few thousand pages of random-key
 * indexes; with SQLite's 2 MiB default the transaction spills dirty pages
 * into the WAL mid-group and rewrites them, multiplying the writes. */
#define TSR_STORE_CACHE_PRAGMA "-65536"
/* The write connection also keeps temp_store=MEMORY: every job runs in a
 * SAVEPOINT, and SQLite saves each page a savepoint first touches into a
 * sub-journal; as a temp file that was ~60 pwrite calls per bet. */
/* How long a reader waits on a lock before reporting busy (WAL readers
 * normally never wait; only checkpoints with TRUNCATE could block them). */
#define TSR_STORE_BUSY_TIMEOUT_MS 5000

/* DDL of schema v1, one per engineer (schema_core.c, schema_accounts.c). */
extern const char *const tsr_schema_core_v1;
extern const char *const tsr_schema_accounts_v1;
extern const char *const tsr_schema_sync_v1; /* schema_sync.c: the relay's tables */
extern const char *const tsr_schema_edge_v1; /* nodefinish: schema_edge.c (geo state, reads) */

typedef struct tsr_store tsr_store;
typedef struct tsr_store_conn tsr_store_conn;
typedef struct tsr_store_txn tsr_store_txn;

/* ---- opening ------------------------------------------------------------ */

/* Opens (creating if needed) the database at `path`, sets WAL and
 * synchronous=FULL, runs pending migrations. Owns *out. `log` is borrowed
 * (may be NULL). TSR_ERR_DB_NEWER for a database from a newer schema,
 * TSR_ERR_IO when it cannot be opened or migrated. */
tsr_status tsr_store_open(tsr_store **out, const char *path, tsr_log *log) TSR_MUST_CHECK;

/* Closes the write connection (checkpointing the WAL); NULL-safe. Every
 * reader must have been closed first. */
void tsr_store_close(tsr_store *s);

/* The schema version of the open database. */
int tsr_store_schema_version(const tsr_store *s);

/* The write connection (borrowed; writer thread only). */
tsr_store_conn *tsr_store_writer(tsr_store *s);

/* Opens a read-only connection for the calling thread. Owns *out; close
 * with tsr_store_reader_close. TSR_ERR_IO on failure. */
tsr_status tsr_store_reader_open(tsr_store *s, tsr_store_conn **out) TSR_MUST_CHECK;

/* nodefinish: opens a read-only connection on the database file at `path`
 * without a tsr_store (no migration, no write): for tools that inspect a
 * node's database beside the running node (tessera audit-verify). Owns
 * *out; close with tsr_store_reader_close. TSR_ERR_IO. */
tsr_status tsr_store_reader_open_path(const char *path, tsr_log *log,
                                      tsr_store_conn **out) TSR_MUST_CHECK;

/* Moves the store's WAL checkpoints off the writer's thread: a thread with
 * its own connection runs them whenever the WAL passes ~1000 pages (see
 * store_checkpoint.c). For the running node; tools keep SQLite's
 * automatic checkpoint. Stopped by tsr_store_close. TSR_ERR_IO,
 * TSR_ERR_NOMEM, TSR_ERR_INTERNAL; TSR_ERR_EXISTS when already running. */
tsr_status tsr_store_checkpoint_in_background(tsr_store *s) TSR_MUST_CHECK;

/* The checkpointer itself (store_checkpoint.c; the store uses these). */
typedef struct tsr_checkpointer tsr_checkpointer;
tsr_status tsr_checkpointer_start(const char *path, sqlite3 *writer, tsr_log *log,
                                  tsr_checkpointer **out) TSR_MUST_CHECK;
void tsr_checkpointer_stop(tsr_checkpointer *c, sqlite3 *writer); /* NULL-safe */

/* Closes a reader; NULL-safe. */
void tsr_store_reader_close(tsr_store_conn *c);

/* ---- statements ------------------------------------------------------- */

/* The raw SQLite handle of a connection (borrowed). */
sqlite3 *tsr_store_conn_db(tsr_store_conn *c);

/* A prepared statement for `sql` from the connection's cache, reset and
 * with its bindings cleared. `sql` must be a string with static storage
 * (the cache is keyed by the pointer). The statement is borrowed: never
 * finalize it; it stays valid until the connection closes. TSR_ERR_INTERNAL
 * when the SQL does not compile (a bug: logged with the SQLite message),
 * TSR_ERR_TOO_LARGE when the cache is full. */
tsr_status tsr_store_stmt(tsr_store_conn *c, const char *sql,
                          sqlite3_stmt **out) TSR_MUST_CHECK;

/* Maps an SQLite result code to a status: SQLITE_OK/ROW/DONE → TSR_OK,
 * CONSTRAINT → TSR_ERR_EXISTS, FULL → TSR_ERR_DISK_FULL, BUSY/LOCKED →
 * TSR_ERR_BUSY, anything else → TSR_ERR_IO. */
tsr_status tsr_store_status(int sqlite_rc);

/* Steps a statement that returns no rows: TSR_OK on SQLITE_DONE, else the
 * mapped error. Resets the statement either way. */
tsr_status tsr_store_exec_stmt(sqlite3_stmt *st) TSR_MUST_CHECK;

/* Runs a constant SQL text with no parameters (DDL, pragmas). */
tsr_status tsr_store_exec(tsr_store_conn *c, const char *sql) TSR_MUST_CHECK;

/* Reads one int64 from a single-row query with no parameters (count(*)
 * and the like); TSR_ERR_NOT_FOUND when there is no row. */
tsr_status tsr_store_query_int(tsr_store_conn *c, const char *sql, int64_t *out) TSR_MUST_CHECK;

/* ---- the writer's transaction ----------------------------------------- */

/* A transaction as seen by job apply functions: the write connection plus
 * the time the group was started (one reading at BEGIN, taken again only
 * when the group takes in jobs that arrived later) and the node's env. All
 * borrowed. */
tsr_store_conn *tsr_store_txn_conn(tsr_store_txn *t);
tsr_clock_reading tsr_store_txn_now(const tsr_store_txn *t);

/* Reads the clock again for the jobs still to run in the transaction: the
 * writer does when a group takes in jobs that arrived after its BEGIN, so
 * no bet is checked against the cutoff with a time older than its arrival. */
void tsr_store_txn_read_clock(tsr_store_txn *t);
const tsr_env *tsr_store_txn_env(const tsr_store_txn *t);

/* Starts a group transaction with BEGIN IMMEDIATE on the write connection
 * and reads the clock once for it. The store has one transaction object
 * (one writer): *out is borrowed and valid until commit or abort. Used by
 * the writer thread, and by unit tests of apply functions. env borrowed.
 * TSR_ERR_BUSY when a transaction is already open, TSR_ERR_IO. */
tsr_status tsr_store_txn_begin(tsr_store *s, const tsr_env *env,
                               tsr_store_txn **out) TSR_MUST_CHECK;
/* SAVEPOINT job / RELEASE job / ROLLBACK TO job: one per job of a group.
 * ROLLBACK TO also gives back the outbox seqs the job reserved. */
tsr_status tsr_store_txn_savepoint(tsr_store_txn *t) TSR_MUST_CHECK;
tsr_status tsr_store_txn_release(tsr_store_txn *t) TSR_MUST_CHECK;
tsr_status tsr_store_txn_rollback_to(tsr_store_txn *t) TSR_MUST_CHECK;
/* SAVEPOINT run / RELEASE run / ROLLBACK TO run: one savepoint shared by a
 * run of jobs that can be applied again (bets). SQLite copies each page a
 * savepoint first touches into its sub-journal, so one per job cost ~14 %
 * of the writer's instructions per bet; a run pays that once per page.
 * Rollback also gives back the outbox seqs reserved since run_begin. */
tsr_status tsr_store_txn_run_begin(tsr_store_txn *t) TSR_MUST_CHECK;
tsr_status tsr_store_txn_run_release(tsr_store_txn *t) TSR_MUST_CHECK;
tsr_status tsr_store_txn_run_rollback(tsr_store_txn *t) TSR_MUST_CHECK;
/* True when SQLite rolled the whole transaction back behind our back (it
 * does on SQLITE_FULL, I/O errors and a few others, whatever savepoints
 * were open): the connection is in autocommit again, so any further
 * statement would commit on its own. The writer fails the group then. */
bool tsr_store_txn_lost(const tsr_store_txn *t);
/* Rows changed so far on the write connection (sqlite3_total_changes64):
 * a job in a run that fails with this number unchanged wrote nothing. */
int64_t tsr_store_txn_changes(const tsr_store_txn *t);
/* The outbox seq state of the transaction, so a job that failed without
 * writing gives back the seqs it reserved without a savepoint. */
typedef struct tsr_store_seq_mark {
    bool loaded, dirty;
    int64_t last;
} tsr_store_seq_mark;
tsr_store_seq_mark tsr_store_txn_seq_mark(const tsr_store_txn *t);
void tsr_store_txn_seq_restore(tsr_store_txn *t, tsr_store_seq_mark m);
/* COMMIT or ROLLBACK. On disk when it returns with synchronous=FULL; with
 * deferred sync (tsr_store_defer_sync) only after the next tsr_store_sync,
 * and no reply may be sent before that. */
tsr_status tsr_store_txn_commit(tsr_store_txn *t) TSR_MUST_CHECK;
void tsr_store_txn_abort(tsr_store_txn *t);

/* ---- outbox: every accepted ticket and cancel, gapless per node -------- */

/* Kinds of outbox rows (the `kind` column). */
#define TSR_OUTBOX_TICKET 1
#define TSR_OUTBOX_CANCEL 2
#define TSR_OUTBOX_SEAL 3

/* Appends a row with the next seq (max+1, inside the writer's transaction,
 * so seqs are gapless: a rolled-back savepoint gives its seq back). `bytes`
 * is copied. Writes the seq to *seq_out. */
tsr_status tsr_outbox_append(tsr_store_txn *t, int kind, const void *bytes, size_t len,
                             int64_t *seq_out) TSR_MUST_CHECK;

/* One outbox row as read by the relay. */
typedef struct tsr_outbox_row {
    int64_t seq;
    int kind;
    void *bytes; /* owned by the row; tsr_outbox_rows_free */
    size_t len;
} tsr_outbox_row;

/* The two halves of append, for rows whose bytes contain their own seq (a
 * ticket's canonical bytes carry it): reserve the next seq, then put the
 * row. A reserved seq must be put in the same savepoint. */
tsr_status tsr_outbox_reserve(tsr_store_txn *t, int64_t *seq_out) TSR_MUST_CHECK;

/* ---- deferred sync ------------------------------------------------------------
 *
 * With synchronous=FULL every COMMIT waits for its fdatasync on the writer
 * thread (~1-3 ms a group, a quarter of the writer's time at 10k bets/s).
 * Deferred: the writer commits with synchronous=NORMAL (the WAL frames are
 * written, not synced; SQLite still syncs the WAL before any checkpoint
 * copies pages into the database), goes on with the next group, and a
 * syncer thread calls tsr_store_sync; replies of a group go out only after
 * a sync that started after its COMMIT, so every answered bet is on disk,
 * and the relay publishes only outbox rows up to tsr_store_durable_seq. */

/* Switches the writer to deferred sync (the daemon does, tools do not):
 * syncs what is there, opens the WAL file. TSR_ERR_EXISTS, TSR_ERR_IO. */
tsr_status tsr_store_defer_sync(tsr_store *s) TSR_MUST_CHECK;

/* Syncs the WAL (any thread; without deferred sync a no-op): everything
 * committed before the call is on disk when it returns TSR_OK.
 * TSR_ERR_DISK_SYNC when the fdatasync fails, and from then on for good
 * (tsr_store_sync_failed): a later sync cannot vouch for what a failed one
 * covered, so the node takes no more writes until it is restarted. */
tsr_status tsr_store_sync(tsr_store *s) TSR_MUST_CHECK;

/* True once a deferred sync failed (any thread). */
bool tsr_store_sync_failed(tsr_store *s);

/* The highest outbox seq known to be on disk (any thread); INT64_MAX
 * without deferred sync (every COMMIT is). */
int64_t tsr_store_durable_seq(tsr_store *s);

/* True once tsr_store_defer_sync succeeded. */
bool tsr_store_sync_deferred(const tsr_store *s);

/* The next outbox seq of the open transaction (what tsr_outbox_reserve
 * uses): outbox_meta.last_seq is read on first use, counted in memory and
 * written back by tsr_store_txn_commit, so other code must reserve seqs
 * only through this within a writer transaction. TSR_ERR_IO. */
tsr_status tsr_store_txn_next_seq(tsr_store_txn *t, int64_t *seq) TSR_MUST_CHECK;
tsr_status tsr_outbox_put(tsr_store_txn *t, int64_t seq, int kind, const void *bytes,
                          size_t len) TSR_MUST_CHECK;

/* Reads up to `max` rows with seq >= from_seq in order into rows[] (caller
 * array of `max`), count into *n. Each row owns its bytes. */
tsr_status tsr_outbox_read(tsr_store_conn *c, int64_t from_seq, size_t max,
                           tsr_outbox_row *rows, size_t *n) TSR_MUST_CHECK;
void tsr_outbox_rows_free(tsr_outbox_row *rows, size_t n);

/* Persists a batch boundary [first_seq, last_seq] with its message id
 * (idempotent: the same boundary again is a no-op; an overlapping different
 * one is TSR_ERR_EXISTS). So a restarted relay re-forms the same batches. */
tsr_status tsr_outbox_batch_put(tsr_store_conn *c, int64_t first_seq, int64_t last_seq,
                                const char *msg_id) TSR_MUST_CHECK;

/* Deletes outbox rows and batches with seq <= upto_seq (central's signed
 * receipt covers them). */
tsr_status tsr_outbox_delete_upto(tsr_store_conn *c, int64_t upto_seq) TSR_MUST_CHECK;

/* The highest seq ever assigned (0 when none), from the outbox's meta row
 * so deleting delivered rows never reuses a seq. */
tsr_status tsr_outbox_last_seq(tsr_store_conn *c, int64_t *out) TSR_MUST_CHECK;

/* ---- audit: hash-chained log ------------------------------------------ */

/* Appends an audit row: event (static name, e.g. "bet_cancelled"),
 * evidence (borrowed JSON object, serialized canonically with sorted keys),
 * hash = BLAKE2b-256(prev_hash || canonical record). */
tsr_status tsr_audit_append(tsr_store_txn *t, const char *event,
                            const json_t *evidence) TSR_MUST_CHECK;

/* Recomputes the whole chain on connection c: TSR_OK when intact,
 * TSR_ERR_AUDIT_CHAIN (with the first bad row id in *bad_id) otherwise. */
tsr_status tsr_audit_verify(tsr_store_conn *c, int64_t *bad_id) TSR_MUST_CHECK;

#endif

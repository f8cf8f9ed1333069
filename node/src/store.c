/* The node's SQLite store: open, migrate, statement cache, transactions. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tessera/log.h"

typedef struct stmt_slot {
    const char *sql; /* static text: the cache key is the pointer */
    sqlite3_stmt *st;
} stmt_slot;

struct tsr_store_conn {
    sqlite3 *db;
    tsr_log *log;
    stmt_slot cache[TSR_STORE_STMT_CACHE_MAX];
    size_t n_cached;
};

/* The outbox sequence of an open transaction: read once, counted in
 * memory, written back once before COMMIT (one statement per group instead
 * of one per ticket). A job's savepoint remembers it, so a rolled-back job
 * gives its seqs back and the outbox stays gapless. */
typedef struct txn_seq {
    bool loaded, dirty;
    int64_t last;          /* the last seq reserved in this transaction */
    int64_t at_savepoint;  /* `last` when the job's savepoint was taken */
} txn_seq;

struct tsr_store_txn {
    tsr_store *store;
    const tsr_env *env;
    tsr_clock_reading now;
    bool open;
    txn_seq seq;
    tsr_store_seq_mark seq_at_run; /* at SAVEPOINT run */
};

struct tsr_store {
    char *path;
    tsr_log *log;
    tsr_store_conn *writer;
    tsr_store_txn txn;
    int version;
    tsr_checkpointer *ckpt; /* NULL: SQLite's automatic checkpoint */
    /* Deferred sync (tsr_store_defer_sync): the writer commits with
     * synchronous=NORMAL and the WAL is synced through wal_fd by
     * tsr_store_sync; -1 when off. */
    int wal_fd;
    _Atomic int64_t committed_seq; /* outbox seq of the last COMMIT */
    _Atomic int64_t durable_seq;   /* outbox seq known to be on disk */
    _Atomic bool sync_failed;      /* a WAL sync failed: nothing is trusted after */
};

tsr_status tsr_store_status(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE: return TSR_OK;
    case SQLITE_CONSTRAINT: return TSR_ERR_EXISTS;
    case SQLITE_FULL: return TSR_ERR_DISK_FULL;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return TSR_ERR_BUSY;
    case SQLITE_NOMEM: return TSR_ERR_NOMEM;
    default: return TSR_ERR_IO;
    }
}

static void conn_free(tsr_store_conn *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_cached; i++)
        sqlite3_finalize(c->cache[i].st);
    sqlite3_close(c->db);
    free(c);
}

static tsr_status conn_open(const char *path, int flags, tsr_log *log, tsr_store_conn **out)
{
    tsr_store_conn *c = calloc(1, sizeof *c);
    if (!c)
        return TSR_ERR_NOMEM;
    c->log = log;
    int rc = sqlite3_open_v2(path, &c->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        tsr_log_error(log, "store_open_failed", "path=%s sqlite=\"%s\"", path,
                      c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        conn_free(c);
        return TSR_ERR_IO;
    }
    sqlite3_busy_timeout(c->db, TSR_STORE_BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(c->db, 1);
    *out = c;
    return TSR_OK;
}

sqlite3 *tsr_store_conn_db(tsr_store_conn *c) { return c->db; }

tsr_status tsr_store_stmt(tsr_store_conn *c, const char *sql, sqlite3_stmt **out)
{
    for (size_t i = 0; i < c->n_cached; i++) {
        if (c->cache[i].sql == sql) {
            sqlite3_reset(c->cache[i].st);
            sqlite3_clear_bindings(c->cache[i].st);
            *out = c->cache[i].st;
            return TSR_OK;
        }
    }
    if (c->n_cached == TSR_STORE_STMT_CACHE_MAX)
        return TSR_ERR_TOO_LARGE;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        tsr_log_error(c->log, "store_sql_error", "sqlite=\"%s\" sql=\"%.80s\"",
                      sqlite3_errmsg(c->db), sql);
        return TSR_ERR_INTERNAL;
    }
    c->cache[c->n_cached].sql = sql;
    c->cache[c->n_cached].st = st;
    c->n_cached++;
    *out = st;
    return TSR_OK;
}

tsr_status tsr_store_exec_stmt(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW)
        return TSR_OK;
    return tsr_store_status(rc);
}

tsr_status tsr_store_exec(tsr_store_conn *c, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        tsr_log_error(c->log, "store_exec_failed", "sqlite=\"%s\" sql=\"%.60s\"",
                      msg ? msg : sqlite3_errstr(rc), sql);
        sqlite3_free(msg);
        return tsr_store_status(rc);
    }
    return TSR_OK;
}

tsr_status tsr_store_query_int(tsr_store_conn *c, const char *sql, int64_t *out)
{
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(c, sql, &st);
    if (s != TSR_OK)
        return s;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return TSR_OK;
    return rc == SQLITE_DONE ? TSR_ERR_NOT_FOUND : tsr_store_status(rc);
}

/* ---- migrations ------------------------------------------------------------ */

static tsr_status migrate_to_1(tsr_store_conn *c)
{
    tsr_status s = tsr_store_exec(c, tsr_schema_core_v1);
    if (s == TSR_OK)
        s = tsr_store_exec(c, tsr_schema_accounts_v1);
    if (s == TSR_OK)
        s = tsr_store_exec(c, tsr_schema_sync_v1);
    if (s == TSR_OK)
        s = tsr_store_exec(c, tsr_schema_edge_v1); /* nodefinish */
    return s;
}

/* Schema v2: receipts are signed per batch of tickets (receipts.h), not
 * per ticket; tickets sold from v2 on store an empty tickets.sig. An
 * idempotent bet stores the first seq of its tickets (replay_ref) instead of
 * its reply text, and its replay rebuilds the reply from the tickets. */
static const char SCHEMA_V2[] =
    "CREATE TABLE receipt_batches ("
    "  first_seq INTEGER PRIMARY KEY,"
    "  last_seq INTEGER NOT NULL,"
    "  count INTEGER NOT NULL CHECK (count >= 1),"
    "  root BLOB NOT NULL CHECK (length(root) = 32),"
    "  sig BLOB NOT NULL CHECK (length(sig) = 64),"
    "  CHECK (last_seq >= first_seq));"
    "ALTER TABLE idempotency ADD COLUMN replay_ref INTEGER;";

static tsr_status migrate_to_2(tsr_store_conn *c) { return tsr_store_exec(c, SCHEMA_V2); }

typedef tsr_status (*migration_fn)(tsr_store_conn *c);
static const migration_fn MIGRATIONS[TSR_STORE_SCHEMA_VERSION] = {migrate_to_1, migrate_to_2};

/* One step in its own transaction together with the user_version bump, so
 * a crash mid-migration leaves the old version. */
static tsr_status migrate_step(tsr_store *s, int to)
{
    char bump[64];
    snprintf(bump, sizeof bump, "PRAGMA user_version = %d; COMMIT", to);
    tsr_status st = tsr_store_exec(s->writer, "BEGIN IMMEDIATE");
    if (st == TSR_OK)
        st = MIGRATIONS[to - 1](s->writer);
    if (st == TSR_OK)
        st = tsr_store_exec(s->writer, bump);
    if (st != TSR_OK) {
        sqlite3_exec(s->writer->db, "ROLLBACK", NULL, NULL, NULL);
        return st == TSR_ERR_INTERNAL ? st : TSR_ERR_IO;
    }
    tsr_log_info(s->log, "store_migrated", "path=%s version=%d", s->path, to);
    return TSR_OK;
}

/* Runs each missing step in order. */
static tsr_status migrate(tsr_store *s)
{
    int64_t v = 0;
    tsr_status st = tsr_store_query_int(s->writer, "PRAGMA user_version", &v);
    if (st != TSR_OK)
        return st;
    if (v > TSR_STORE_SCHEMA_VERSION) {
        tsr_log_error(s->log, "store_schema_newer",
                      "path=%s db_version=%lld binary_version=%d "
                      "hint=\"this database was written by a newer tessera-node\"",
                      s->path, (long long)v, TSR_STORE_SCHEMA_VERSION);
        return TSR_ERR_DB_NEWER;
    }
    for (; st == TSR_OK && v < TSR_STORE_SCHEMA_VERSION; v++)
        st = migrate_step(s, (int)v + 1);
    if (st == TSR_OK)
        s->version = (int)v;
    return st;
}

/* Process-wide SQLite settings, before its first use: no memory
 * statistics (they take a global mutex on every allocation, and the
 * writer allocates on every statement). Ignored (SQLITE_MISUSE) when
 * SQLite was already initialized by other code of the process. */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;
static void sqlite_global_config(void) { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

/* Lookaside slots of the write connection: small allocations of its
 * statements come from there instead of malloc (SQLite's default is 100
 * slots; a bet's savepoints and statements use a few hundred). */
#define WRITER_LOOKASIDE_SLOT 1200
#define WRITER_LOOKASIDE_COUNT 1000

tsr_status tsr_store_open(tsr_store **out, const char *path, tsr_log *log)
{
    pthread_once(&sqlite_once, sqlite_global_config);
    tsr_store *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        return TSR_ERR_NOMEM;
    }
    s->log = log;
    s->wal_fd = -1;
    tsr_status st = conn_open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, log, &s->writer);
    if (st == TSR_OK)
        (void)sqlite3_db_config(s->writer->db, SQLITE_DBCONFIG_LOOKASIDE, NULL,
                                WRITER_LOOKASIDE_SLOT, WRITER_LOOKASIDE_COUNT);
    if (st == TSR_OK)
        st = tsr_store_exec(s->writer, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                                       " PRAGMA foreign_keys=ON; PRAGMA cache_size=" TSR_STORE_CACHE_PRAGMA ";"
                                       " PRAGMA temp_store=MEMORY;");
    if (st == TSR_OK)
        st = migrate(s);
    if (st != TSR_OK) {
        tsr_store_close(s);
        return st == TSR_ERR_DB_NEWER || st == TSR_ERR_NOMEM ? st : TSR_ERR_IO;
    }
    s->txn.store = s;
    *out = s;
    return TSR_OK;
}

void tsr_store_close(tsr_store *s)
{
    if (!s)
        return;
    if (s->writer && s->txn.open)
        tsr_store_txn_abort(&s->txn);
    if (s->writer)
        tsr_checkpointer_stop(s->ckpt, s->writer->db);
    if (s->writer)
        sqlite3_exec(s->writer->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    if (s->wal_fd >= 0)
        close(s->wal_fd);
    conn_free(s->writer);
    free(s->path);
    free(s);
}

int tsr_store_schema_version(const tsr_store *s) { return s->version; }

tsr_store_conn *tsr_store_writer(tsr_store *s) { return s->writer; }

tsr_status tsr_store_checkpoint_in_background(tsr_store *s)
{
    if (s->ckpt)
        return TSR_ERR_EXISTS;
    return tsr_checkpointer_start(s->path, s->writer->db, s->log, &s->ckpt);
}

/* ---- deferred sync ---------------------------------------------------------------- */

tsr_status tsr_store_defer_sync(tsr_store *s)
{
    char wal[4096];
    int64_t last = 0;
    if (s->wal_fd >= 0)
        return TSR_ERR_EXISTS;
    if (snprintf(wal, sizeof wal, "%s-wal", s->path) >= (int)sizeof wal)
        return TSR_ERR_TOO_LONG;
    /* Everything written before now becomes durable here, so the seq read
     * next is on disk. The WAL exists: opening the store wrote to it. */
    int fd = open(wal, O_RDWR | O_CLOEXEC);
    if (fd < 0 || fdatasync(fd) != 0 ||
        tsr_store_query_int(s->writer, "SELECT last_seq FROM outbox_meta WHERE id = 1", &last) !=
            TSR_OK ||
        tsr_store_exec(s->writer, "PRAGMA synchronous=NORMAL") != TSR_OK) {
        if (fd >= 0)
            close(fd);
        return TSR_ERR_IO;
    }
    atomic_store(&s->committed_seq, last);
    atomic_store(&s->durable_seq, last);
    s->wal_fd = fd;
    return TSR_OK;
}

tsr_status tsr_store_sync(tsr_store *s)
{
    if (s->wal_fd < 0)
        return TSR_OK;
    if (atomic_load(&s->sync_failed))
        return TSR_ERR_DISK_SYNC;
    /* What was committed before the fdatasync starts is on disk after it. */
    int64_t seq = atomic_load(&s->committed_seq);
    if (fdatasync(s->wal_fd) != 0) {
        /* Sticky: after a failed fdatasync Linux may report the next one
         * as a success although the pages were lost, so no later sync may
         * vouch for what this one covered. */
        int err = errno;
        atomic_store(&s->sync_failed, true);
        tsr_log_error(s->log, "wal_sync_failed", "path=%s errno=%d action=\"no writes until restart\"",
                      s->path, err);
        return TSR_ERR_DISK_SYNC;
    }
    atomic_store(&s->durable_seq, seq);
    return TSR_OK;
}

bool tsr_store_sync_failed(tsr_store *s) { return atomic_load(&s->sync_failed); }

int64_t tsr_store_durable_seq(tsr_store *s)
{
    return s->wal_fd < 0 ? INT64_MAX : atomic_load(&s->durable_seq);
}

bool tsr_store_sync_deferred(const tsr_store *s) { return s->wal_fd >= 0; }

tsr_status tsr_store_reader_open(tsr_store *s, tsr_store_conn **out)
{
    tsr_store_conn *c;
    tsr_status st = conn_open(s->path, SQLITE_OPEN_READONLY, s->log, &c);
    if (st != TSR_OK)
        return st;
    *out = c;
    return TSR_OK;
}

void tsr_store_reader_close(tsr_store_conn *c) { conn_free(c); }

tsr_status tsr_store_reader_open_path(const char *path, tsr_log *log, tsr_store_conn **out)
{
    return conn_open(path, SQLITE_OPEN_READONLY, log, out); /* nodefinish: audit-verify */
}

/* ---- transactions ------------------------------------------------------------ */

tsr_store_conn *tsr_store_txn_conn(tsr_store_txn *t) { return t->store->writer; }

tsr_clock_reading tsr_store_txn_now(const tsr_store_txn *t) { return t->now; }

void tsr_store_txn_read_clock(tsr_store_txn *t) { t->now = tsr_clock_read(t->env->clock); }

const tsr_env *tsr_store_txn_env(const tsr_store_txn *t) { return t->env; }

static tsr_status txn_exec(tsr_store_txn *t, const char *sql)
{
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(t->store->writer, sql, &st);
    return s == TSR_OK ? tsr_store_exec_stmt(st) : s;
}

tsr_status tsr_store_txn_begin(tsr_store *s, const tsr_env *env, tsr_store_txn **out)
{
    if (s->txn.open)
        return TSR_ERR_BUSY;
    s->txn.env = env;
    tsr_status st = txn_exec(&s->txn, "BEGIN IMMEDIATE");
    if (st != TSR_OK)
        return st;
    s->txn.now = tsr_clock_read(env->clock);
    s->txn.open = true;
    memset(&s->txn.seq, 0, sizeof s->txn.seq);
    *out = &s->txn;
    return TSR_OK;
}

tsr_status tsr_store_txn_savepoint(tsr_store_txn *t)
{
    t->seq.at_savepoint = t->seq.last;
    return txn_exec(t, "SAVEPOINT job");
}

tsr_status tsr_store_txn_release(tsr_store_txn *t) { return txn_exec(t, "RELEASE job"); }

tsr_status tsr_store_txn_rollback_to(tsr_store_txn *t)
{
    tsr_status s = txn_exec(t, "ROLLBACK TO job");
    t->seq.last = t->seq.at_savepoint;
    return s == TSR_OK ? txn_exec(t, "RELEASE job") : s;
}

tsr_status tsr_store_txn_run_begin(tsr_store_txn *t)
{
    t->seq_at_run = tsr_store_txn_seq_mark(t);
    return txn_exec(t, "SAVEPOINT run");
}

tsr_status tsr_store_txn_run_release(tsr_store_txn *t) { return txn_exec(t, "RELEASE run"); }

tsr_status tsr_store_txn_run_rollback(tsr_store_txn *t)
{
    tsr_status s = txn_exec(t, "ROLLBACK TO run");
    tsr_store_txn_seq_restore(t, t->seq_at_run);
    return s == TSR_OK ? txn_exec(t, "RELEASE run") : s;
}

bool tsr_store_txn_lost(const tsr_store_txn *t)
{
    return t->open && sqlite3_get_autocommit(t->store->writer->db);
}

int64_t tsr_store_txn_changes(const tsr_store_txn *t)
{
    return (int64_t)sqlite3_total_changes64(t->store->writer->db);
}

tsr_store_seq_mark tsr_store_txn_seq_mark(const tsr_store_txn *t)
{
    return (tsr_store_seq_mark){t->seq.loaded, t->seq.dirty, t->seq.last};
}

void tsr_store_txn_seq_restore(tsr_store_txn *t, tsr_store_seq_mark m)
{
    t->seq.loaded = m.loaded;
    t->seq.dirty = m.dirty;
    t->seq.last = m.last;
}

static const char SQL_SEQ_GET[] = "SELECT last_seq FROM outbox_meta WHERE id = 1";
static const char SQL_SEQ_PUT[] = "UPDATE outbox_meta SET last_seq = ?1 WHERE id = 1";

tsr_status tsr_store_txn_next_seq(tsr_store_txn *t, int64_t *seq)
{
    if (!t->seq.loaded) {
        tsr_status s = tsr_store_query_int(t->store->writer, SQL_SEQ_GET, &t->seq.last);
        if (s != TSR_OK)
            return s;
        t->seq.loaded = true;
        t->seq.at_savepoint = t->seq.last;
    }
    *seq = ++t->seq.last;
    t->seq.dirty = true;
    return TSR_OK;
}

/* Writes the transaction's last seq back (before COMMIT). */
static tsr_status seq_flush(tsr_store_txn *t)
{
    if (!t->seq.dirty)
        return TSR_OK;
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(t->store->writer, SQL_SEQ_PUT, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, t->seq.last);
    return tsr_store_exec_stmt(st);
}

tsr_status tsr_store_txn_commit(tsr_store_txn *t)
{
    tsr_status s = seq_flush(t);
    if (s == TSR_OK)
        s = txn_exec(t, "COMMIT");
    if (s != TSR_OK) {
        tsr_store_txn_abort(t);
        return s;
    }
    t->open = false;
    if (t->seq.loaded)
        atomic_store(&t->store->committed_seq, t->seq.last);
    return TSR_OK;
}

void tsr_store_txn_abort(tsr_store_txn *t)
{
    /* Not through the cache: after a failed COMMIT the cached statement may
     * be the one in error. A ROLLBACK with no transaction is harmless. */
    sqlite3_exec(t->store->writer->db, "ROLLBACK", NULL, NULL, NULL);
    t->open = false;
}

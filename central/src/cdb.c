/* Central's SQLite store: schema, cached statements, alarms, audit. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "central_int.h"
#include "tessera/hash.h"

/* The schema (version CDB_SCHEMA_VERSION). Entries hold every ticket and
 * cancel a node streamed, keyed by (node, seq) as the node numbered them, so
 * a node's entries are appended in order. A ticket id is unique among live
 * (non-conflicting) tickets: ticket_ids holds one row per live ticket and
 * its key forbids a second one, so the same id with other content is stored
 * as evidence (conflict=1) without ever being merged. (Version 1 had a
 * unique index on entries(ticket_id) instead; its random inserts were half
 * of the ingest time.) */
static const char *const schema =
    "CREATE TABLE IF NOT EXISTS nodes(node_id INTEGER PRIMARY KEY, node TEXT UNIQUE NOT NULL,"
    " active INTEGER NOT NULL DEFAULT 1, contig_seq INTEGER NOT NULL DEFAULT 0,"
    " chain BLOB NOT NULL, max_seq INTEGER NOT NULL DEFAULT 0, want_seq INTEGER NOT NULL DEFAULT 0,"
    " entries INTEGER NOT NULL DEFAULT 0, tickets INTEGER NOT NULL DEFAULT 0,"
    " receipted_seq INTEGER NOT NULL DEFAULT 0, last_batch_ns INTEGER NOT NULL DEFAULT 0,"
    " last_status_ns INTEGER NOT NULL DEFAULT 0, status TEXT);"
    "CREATE TABLE IF NOT EXISTS entries(node_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
    " kind INTEGER NOT NULL, ticket_id BLOB NOT NULL, game TEXT NOT NULL, draw INTEGER NOT NULL,"
    " amount INTEGER NOT NULL, accepted_at_ns INTEGER NOT NULL, leaf BLOB NOT NULL,"
    " bytes BLOB NOT NULL, conflict INTEGER NOT NULL DEFAULT 0, cancelled INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(node_id, seq)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS ticket_ids(ticket_id BLOB PRIMARY KEY, node_id INTEGER NOT NULL,"
    " seq INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS entries_cancel ON entries(ticket_id) WHERE kind=2;"
    "CREATE TABLE IF NOT EXISTS node_draw(node_id INTEGER NOT NULL, game TEXT NOT NULL,"
    " draw INTEGER NOT NULL, count INTEGER NOT NULL DEFAULT 0, stake INTEGER NOT NULL DEFAULT 0,"
    " min_seq INTEGER, max_seq INTEGER, PRIMARY KEY(node_id, game, draw));"
    "CREATE TABLE IF NOT EXISTS draws(game TEXT NOT NULL, draw INTEGER NOT NULL,"
    " cutoff_at_ns INTEGER NOT NULL DEFAULT 0, ready_at_ns INTEGER, PRIMARY KEY(game, draw));"
    "CREATE TABLE IF NOT EXISTS seals(node_id INTEGER NOT NULL, game TEXT NOT NULL,"
    " draw INTEGER NOT NULL, count INTEGER NOT NULL, stake INTEGER NOT NULL,"
    " first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, root BLOB NOT NULL,"
    " sealed_at_ns INTEGER NOT NULL, signed BLOB NOT NULL, received_at_ns INTEGER NOT NULL,"
    " state TEXT NOT NULL, diff TEXT, PRIMARY KEY(node_id, game, draw));"
    "CREATE TABLE IF NOT EXISTS exclusions(node_id INTEGER NOT NULL, game TEXT NOT NULL,"
    " draw INTEGER NOT NULL, operator TEXT NOT NULL, reason TEXT NOT NULL, at_ns INTEGER NOT NULL,"
    " PRIMARY KEY(node_id, game, draw));"
    "CREATE TABLE IF NOT EXISTS alarms(id INTEGER PRIMARY KEY, at_ns INTEGER NOT NULL,"
    " node TEXT, kind TEXT NOT NULL, detail TEXT);"
    "CREATE TABLE IF NOT EXISTS audit(id INTEGER PRIMARY KEY, at_ns INTEGER NOT NULL,"
    " event TEXT NOT NULL, detail TEXT NOT NULL, hash BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS receipts(node_id INTEGER NOT NULL, up_to_seq INTEGER NOT NULL,"
    " chain BLOB NOT NULL, issued_at_ns INTEGER NOT NULL, PRIMARY KEY(node_id, up_to_seq));";

/* Version 1 → 2: the live tickets' ids move from the unique index on
 * entries into ticket_ids. Runs once, in one transaction, at open. */
static const char *const migrate_v2 =
    "INSERT INTO ticket_ids(ticket_id,node_id,seq)"
    " SELECT ticket_id,node_id,seq FROM entries WHERE kind=1 AND conflict=0;"
    "DROP INDEX entries_ticket;";

tsr_status cdb_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE: return TSR_OK;
    case SQLITE_CONSTRAINT: return TSR_ERR_EXISTS;
    case SQLITE_FULL: return TSR_ERR_DISK_FULL;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return TSR_ERR_BUSY;
    default: return TSR_ERR_IO;
    }
}

tsr_status cdb_exec(cdb *d, const char *sql)
{
    return cdb_rc(sqlite3_exec(d->db, sql, NULL, NULL, NULL));
}

static tsr_status int_query(cdb *d, const char *sql, int64_t *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK)
        return TSR_ERR_IO;
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TSR_OK : cdb_rc(rc);
}

/* Creates the schema or brings an older store to CDB_SCHEMA_VERSION, in
 * one write transaction so two processes opening at once do it once. A
 * current store is only read (the admin CLI opens beside a writing daemon
 * and must not queue for its write lock). */
static tsr_status migrate(cdb *d)
{
    int64_t version = 0, v1_index = 0;
    tsr_status st = int_query(d, "PRAGMA user_version", &version);
    if (st != TSR_OK || version == CDB_SCHEMA_VERSION)
        return st;
    if (version > CDB_SCHEMA_VERSION)
        return TSR_ERR_VERSION; /* a newer build's store: do not touch it */
    st = cdb_exec(d, "BEGIN IMMEDIATE");
    if (st == TSR_OK)
        st = cdb_exec(d, schema);
    if (st == TSR_OK)
        st = int_query(d, "SELECT count(*) FROM sqlite_master WHERE type='index'"
                          " AND name='entries_ticket'", &v1_index);
    if (st == TSR_OK && v1_index)
        st = cdb_exec(d, migrate_v2);
    if (st == TSR_OK)
        st = cdb_exec(d, "PRAGMA user_version=" CDB_STR(CDB_SCHEMA_VERSION));
    if (st == TSR_OK)
        return cdb_exec(d, "COMMIT");
    CENTRAL_BEST_EFFORT(cdb_exec(d, "ROLLBACK"));
    return st;
}

tsr_status cdb_open(cdb *d, const char *path)
{
    memset(d, 0, sizeof *d);
    if (sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                        SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        cdb_close(d);
        return TSR_ERR_IO;
    }
    sqlite3_busy_timeout(d->db, 5000);
    /* synchronous=FULL: a receipt is sent only after its commit, and the
     * node deletes on the receipt, so the commit must be on disk. A large
     * page cache keeps the random ticket-id index in memory at 1M tickets. */
    tsr_status st = cdb_exec(d, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                                "PRAGMA cache_size=-131072; PRAGMA foreign_keys=OFF;");
    if (st == TSR_OK)
        st = migrate(d);
    if (st != TSR_OK)
        cdb_close(d);
    return st;
}

tsr_status cdb_open_existing(cdb *d, const char *path)
{
    memset(d, 0, sizeof *d);
    if (!path || access(path, F_OK) != 0)
        return TSR_ERR_NOT_FOUND;
    return cdb_open(d, path);
}

void cdb_close(cdb *d)
{
    for (int i = 0; i < d->n; i++)
        sqlite3_finalize(d->cache[i].st);
    d->n = 0;
    if (d->db)
        sqlite3_close(d->db);
    d->db = NULL;
}

tsr_status cdb_stmt(cdb *d, const char *sql, sqlite3_stmt **out)
{
    for (int i = 0; i < d->n; i++) {
        if (d->cache[i].sql == sql) {
            sqlite3_reset(d->cache[i].st);
            sqlite3_clear_bindings(d->cache[i].st);
            *out = d->cache[i].st;
            return TSR_OK;
        }
    }
    if (d->n == CDB_STMT_MAX)
        return TSR_ERR_TOO_LARGE;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "central: SQL does not compile: %s: %s\n", sqlite3_errmsg(d->db), sql);
        return TSR_ERR_INTERNAL;
    }
    d->cache[d->n].sql = sql;
    d->cache[d->n++].st = st;
    *out = st;
    return TSR_OK;
}

tsr_status cdb_step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? TSR_OK : cdb_rc(rc == SQLITE_ROW ? SQLITE_MISUSE : rc);
}

tsr_status cdb_alarm(cdb *d, int64_t now_ns, const char *node, const char *kind,
                     const char *detail)
{
    static const char *const sql = "INSERT INTO alarms(at_ns,node,kind,detail) VALUES(?,?,?,?)";
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(d, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, now_ns);
    sqlite3_bind_text(st, 2, node, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, detail, -1, SQLITE_TRANSIENT);
    fprintf(stderr, "central: ALARM kind=%s node=%s %s\n", kind, node ? node : "-",
            detail ? detail : "");
    return cdb_step_done(st);
}

tsr_status cdb_audit(cdb *d, int64_t now_ns, const char *event, const char *detail)
{
    static const char *const last = "SELECT hash FROM audit ORDER BY id DESC LIMIT 1";
    static const char *const ins = "INSERT INTO audit(at_ns,event,detail,hash) VALUES(?,?,?,?)";
    uint8_t prev[TSR_HASH_LEN] = {0}, h[TSR_HASH_LEN];
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(d, last, &st);
    if (s != TSR_OK)
        return s;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == TSR_HASH_LEN)
        memcpy(prev, sqlite3_column_blob(st, 0), TSR_HASH_LEN);
    sqlite3_reset(st);
    tsr_hash_ctx hc;
    tsr_hash256_init(&hc);
    tsr_hash256_update(&hc, prev, sizeof prev);
    tsr_hash256_update(&hc, &now_ns, sizeof now_ns);
    tsr_hash256_update(&hc, event, strlen(event) + 1);
    tsr_hash256_update(&hc, detail, strlen(detail) + 1);
    tsr_hash256_final(&hc, h);
    if ((s = cdb_stmt(d, ins, &st)) != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, now_ns);
    sqlite3_bind_text(st, 2, event, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, detail, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 4, h, sizeof h, SQLITE_TRANSIENT);
    return cdb_step_done(st);
}

tsr_status cdb_node_id(cdb *d, const char *node, int64_t *id)
{
    static const char *const sql = "SELECT node_id FROM nodes WHERE node=?";
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(d, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_text(st, 1, node, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? TSR_OK : rc == SQLITE_DONE ? TSR_ERR_NODE_UNKNOWN : cdb_rc(rc);
}

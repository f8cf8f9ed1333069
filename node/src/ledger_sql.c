#include "ledger_sql.h"

#include <stddef.h>

tsr_status tsr_sql_prep(tsr_store_conn *c, const char *sql, sqlite3_stmt **out)
{
    return tsr_store_stmt(c, sql, out);
}

tsr_status tsr_sql_run(sqlite3_stmt *st)
{
    return tsr_store_exec_stmt(st);
}

tsr_status tsr_sql_row(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return TSR_OK;
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? TSR_ERR_NOT_FOUND : tsr_store_status(rc);
}

int64_t tsr_sql_changes(tsr_store_conn *c) { return sqlite3_changes(tsr_store_conn_db(c)); }

int64_t tsr_sql_last_id(tsr_store_conn *c) { return sqlite3_last_insert_rowid(tsr_store_conn_db(c)); }

/* Savepoint statements through the connection's statement cache: every
 * ledger posting opens one, and sqlite3_exec would parse it each time. */
static const char SQL_SP_BEGIN[] = "SAVEPOINT acct";
static const char SQL_SP_RELEASE[] = "RELEASE acct";
static const char SQL_SP_ROLLBACK[] = "ROLLBACK TO acct";

static tsr_status sp_exec(tsr_store_conn *c, const char *sql)
{
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(c, sql, &st);
    return s == TSR_OK ? tsr_store_exec_stmt(st) : s;
}

/* Per thread: only the writer thread posts, one job at a time. */
static _Thread_local bool sp_covered;

void tsr_sql_sp_covered(bool covered) { sp_covered = covered; }

tsr_status tsr_sql_sp_begin(tsr_store_conn *c)
{
    return sp_covered ? TSR_OK : sp_exec(c, SQL_SP_BEGIN);
}

tsr_status tsr_sql_sp_end(tsr_store_conn *c, tsr_status st)
{
    if (sp_covered)
        return st; /* the enclosing job's savepoint undoes a failure */
    if (st == TSR_OK)
        return sp_exec(c, SQL_SP_RELEASE);
    /* Rolling back a savepoint we opened cannot fail short of a broken
     * connection, and then the group's COMMIT reports it. */
    tsr_status r = sp_exec(c, SQL_SP_ROLLBACK);
    if (r == TSR_OK)
        r = sp_exec(c, SQL_SP_RELEASE);
    (void)r;
    return st;
}

tsr_status tsr_sql_int(tsr_store_conn *c, const char *sql, int64_t p1, int64_t *out)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(c, sql, &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_int64(s, 1, p1);
    if ((st = tsr_sql_row(s)) != TSR_OK)
        return st;
    *out = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return TSR_OK;
}

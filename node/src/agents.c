#include "agents.h"

#include <stdio.h>
#include <string.h>

#include "ledger.h"
#include "ledger_sql.h"

static bool name_ok(const char *s, size_t max)
{
    char acct[TSR_LEDGER_NAME_SIZE];
    /* The same alphabet as a ledger key, so a terminal id names an account. */
    return s && strlen(s) <= max && tsr_ledger_float_account(acct, s) == TSR_OK;
}

tsr_status tsr_agents_add(tsr_store_conn *db, const char *terminal_id, const char *name,
                          const char *pin_hash, int64_t now_ns, int64_t *agent_id)
{
    if (!name_ok(terminal_id, TSR_CALLER_ID_MAX - 1) || !name_ok(name, TSR_AGENT_NAME_MAX) ||
        !pin_hash || !*pin_hash)
        return TSR_ERR_ARG;
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, "INSERT INTO agents(terminal_id, name, pin_hash, created_at_ns) "
                                     "VALUES (?1, ?2, ?3, ?4)", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_text(s, 1, terminal_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, pin_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, now_ns);
    if ((st = tsr_sql_run(s)) != TSR_OK)
        return st;
    *agent_id = tsr_sql_last_id(db);
    return TSR_OK;
}

tsr_status tsr_agents_lookup(tsr_store_conn *db, const char *terminal_id, const char *name,
                             int64_t *agent_id, char hash[TSR_SECRET_HASH_SIZE])
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, "SELECT id, pin_hash FROM agents "
                                     "WHERE terminal_id = ?1 AND name = ?2", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_text(s, 1, terminal_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    if ((st = tsr_sql_row(s)) != TSR_OK)
        return st;
    *agent_id = sqlite3_column_int64(s, 0);
    snprintf(hash, TSR_SECRET_HASH_SIZE, "%s", sqlite3_column_text(s, 1));
    sqlite3_reset(s);
    return TSR_OK;
}

typedef struct agent_row {
    char terminal_id[TSR_CALLER_ID_MAX];
    int64_t failed;
    bool locked;
    int64_t last_login_at_ns;
} agent_row;

static tsr_status agent_load(tsr_store_conn *db, int64_t agent_id, agent_row *r)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, "SELECT terminal_id, failed_logins, locked, "
                                     "coalesce(last_login_at_ns, 0) FROM agents WHERE id = ?1", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_int64(s, 1, agent_id);
    if ((st = tsr_sql_row(s)) != TSR_OK)
        return st;
    snprintf(r->terminal_id, sizeof r->terminal_id, "%s", sqlite3_column_text(s, 0));
    r->failed = sqlite3_column_int64(s, 1);
    r->locked = sqlite3_column_int(s, 2) != 0;
    r->last_login_at_ns = sqlite3_column_int64(s, 3);
    sqlite3_reset(s);
    return TSR_OK;
}

static tsr_status agent_update(tsr_store_conn *db, int64_t agent_id, int64_t failed, bool locked,
                               int64_t last_login_at_ns)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, "UPDATE agents SET failed_logins = ?2, locked = ?3, "
                                     "last_login_at_ns = nullif(?4, 0) WHERE id = ?1", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_int64(s, 1, agent_id);
    sqlite3_bind_int64(s, 2, failed);
    sqlite3_bind_int(s, 3, locked);
    sqlite3_bind_int64(s, 4, last_login_at_ns);
    return tsr_sql_run(s);
}

tsr_status tsr_agents_login_finish(const tsr_accounts *a, tsr_store_conn *db, int64_t agent_id,
                                   const char *terminal_id, bool pin_ok, int64_t now_ns,
                                   tsr_login_result *out)
{
    memset(out, 0, sizeof *out);
    out->subject_id = agent_id;
    agent_row r;
    tsr_status st = agent_load(db, agent_id, &r);
    if (st == TSR_ERR_NOT_FOUND || (st == TSR_OK && strcmp(r.terminal_id, terminal_id) != 0)) {
        out->outcome = TSR_ERR_CREDENTIALS;
        return TSR_OK;
    }
    if (st != TSR_OK)
        return st;
    if (r.locked) {
        out->outcome = TSR_ERR_ACCOUNT_LOCKED;
        return TSR_OK;
    }
    if (!pin_ok) {
        r.failed++;
        out->outcome = TSR_ERR_CREDENTIALS;
        out->failures_left = r.failed >= TSR_LOGIN_FAILURES_MAX ? 0 : TSR_LOGIN_FAILURES_MAX - r.failed;
        return agent_update(db, agent_id, r.failed, r.failed >= TSR_LOGIN_FAILURES_MAX,
                            r.last_login_at_ns);
    }
    if ((st = agent_update(db, agent_id, 0, false, now_ns)) != TSR_OK)
        return st;
    out->previous_login_at_ns = r.last_login_at_ns;
    out->outcome = TSR_OK;
    return tsr_session_create(a, db, 0, agent_id, terminal_id, now_ns, out->token,
                              &out->expires_at_ns);
}

tsr_status tsr_agents_unlock(tsr_store_conn *db, int64_t agent_id)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, "UPDATE agents SET locked = 0, failed_logins = 0 WHERE id = ?1", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_int64(s, 1, agent_id);
    if ((st = tsr_sql_run(s)) != TSR_OK)
        return st;
    return tsr_sql_changes(db) == 1 ? TSR_OK : TSR_ERR_NOT_FOUND;
}

tsr_status tsr_agents_float_adjust(tsr_store_conn *db, const char *terminal_id, tsr_cents amount,
                                   const char *ref, int64_t now_ns, int64_t *tx_id)
{
    char acct[TSR_LEDGER_NAME_SIZE];
    tsr_status st = tsr_ledger_float_account(acct, terminal_id);
    if (st != TSR_OK || amount == 0)
        return TSR_ERR_ARG;
    if (amount > TSR_MONEY_MAX || amount < -TSR_MONEY_MAX)
        return TSR_ERR_OVERFLOW;
    if (amount > 0)
        return tsr_ledger_transfer(db, "float_topup", ref, now_ns, "agent_cash", acct, amount, tx_id);
    st = tsr_ledger_transfer(db, "float_settle", ref, now_ns, acct, "agent_cash", -amount, tx_id);
    return st == TSR_ERR_LEDGER_NEGATIVE ? TSR_ERR_FLOAT_FUNDS : st;
}

#include "ledger.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ledger_sql.h"
#include "node_int.h"
#include "tessera/fmt.h"
#include "sales_batch.h"

/* The chart of accounts: a name is one of these prefixes, followed by a key
 * when `keyed`. */
typedef struct account_kind {
    const char *prefix;
    bool keyed;
    int normal;
    bool floor_zero;
} account_kind;

static const account_kind kinds[] = {
    {"player:", true, -1, true},
    {"agent_float:", true, -1, true},
    {"sales:", true, -1, false},
    {"prize_payable", false, -1, true},
    {"withdrawals_pending", false, -1, true},
    {"psp_clearing", false, 1, false},
    {"prize_expense", false, 1, false},
    {"tax_withheld", false, -1, false},
    {"agent_cash", false, 1, false},
};

static bool key_ok(const char *key)
{
    size_t n = strlen(key);
    if (n == 0 || n > TSR_LEDGER_KEY_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

static const account_kind *kind_of(const char *name)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        const account_kind *k = &kinds[i];
        size_t pl = strlen(k->prefix);
        if (k->keyed && strncmp(name, k->prefix, pl) == 0 && key_ok(name + pl))
            return k;
        if (!k->keyed && strcmp(name, k->prefix) == 0)
            return k;
    }
    return NULL;
}

/* Copies rather than snprintf: the bet path names two accounts a ticket,
 * and a printf costs it ~1k instructions each. Prefix + key fit: the
 * longest prefix is 12 bytes, a key at most TSR_LEDGER_KEY_MAX. */
_Static_assert(sizeof "agent_float:" + TSR_LEDGER_KEY_MAX <= TSR_LEDGER_NAME_SIZE,
               "the longest prefix and key fit an account name");

static tsr_status keyed_name(char *out, const char *prefix, const char *key)
{
    out[0] = '\0';
    if (!key || !key_ok(key))
        return TSR_ERR_ARG;
    size_t pl = strlen(prefix), kl = strlen(key);
    memcpy(out, prefix, pl);
    memcpy(out + pl, key, kl + 1);
    return TSR_OK;
}

tsr_status tsr_ledger_player_account(char *out, int64_t player_id)
{
    char key[TSR_FMT_I64_MAX + 1];
    if (player_id <= 0) {
        out[0] = '\0';
        return TSR_ERR_ARG;
    }
    key[tsr_fmt_i64(key, player_id)] = '\0';
    return keyed_name(out, "player:", key);
}

tsr_status tsr_ledger_float_account(char *out, const char *terminal_id)
{
    return keyed_name(out, "agent_float:", terminal_id);
}

tsr_status tsr_ledger_sales_account(char *out, const char *game)
{
    return keyed_name(out, "sales:", game);
}

/* Checks the legs and writes each one's kind to leg_kinds[i]. */
static tsr_status legs_validate(const tsr_ledger_leg *legs, size_t n, const account_kind **leg_kinds)
{
    if (n < 2 || n > TSR_LEDGER_LEGS_MAX)
        return TSR_ERR_ARG;
    tsr_cents sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (!legs[i].account || legs[i].amount == 0 || !(leg_kinds[i] = kind_of(legs[i].account)))
            return TSR_ERR_ARG;
        for (size_t j = 0; j < i; j++)
            if (strcmp(legs[i].account, legs[j].account) == 0)
                return TSR_ERR_ARG;
        if (tsr_money_add(sum, legs[i].amount, &sum) != TSR_OK)
            return TSR_ERR_OVERFLOW;
    }
    return sum == 0 ? TSR_OK : TSR_ERR_LEDGER_UNBALANCED;
}

static tsr_status insert_tx(tsr_store_conn *db, const char *kind, const char *ref, int64_t now_ns,
                            int64_t *tx_id)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, "INSERT INTO ledger_tx(kind, ref, at_ns) VALUES (?1, ?2, ?3)", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, ref ? ref : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, now_ns);
    st = tsr_sql_run(s);
    *tx_id = tsr_sql_last_id(db);
    return st;
}

/* ---- account ids: a per-thread hint ------------------------------------------ */

/* Slots of the id hint (a power of two): a bet touches its bettor's
 * account and its game's sales account; this many covers the terminals and
 * games a node sells for, and a collision only costs a lookup. */
#define ID_HINT_SLOTS 1024

/* name -> id on one connection, learnt from a row this connection read or
 * wrote. Only a hint: the guarded update matches id AND name, so a hint
 * gone stale (its creation rolled back, the id reused by another account,
 * another database whose connection got the same address, a hash
 * collision) updates nothing and sends the leg to the lookup, which
 * replaces it. Accounts are never renamed or deleted, so a row with this
 * id and this name is the account. Per thread: no lock, and a connection
 * is used by one thread at a time. */
typedef struct id_hint {
    const sqlite3 *conn;
    uint64_t hash;
    int64_t id;
} id_hint;

static _Thread_local id_hint hints[ID_HINT_SLOTS];

static uint64_t name_hash(const sqlite3 *conn, const char *name)
{
    return tsr_table_hash((uint64_t)(uintptr_t)conn, name, strlen(name));
}

static id_hint *hint_slot(uint64_t hash)
{
    return &hints[(hash ^ (hash >> 32)) & (ID_HINT_SLOTS - 1)];
}

/* ---- the legs ------------------------------------------------------------------ */

static const char SQL_ACCOUNT_GET[] = "SELECT id, balance FROM accounts WHERE name = ?1";

static tsr_status account_create(tsr_store_conn *db, const char *name, const account_kind *k)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db,
        "INSERT INTO accounts(name, normal, floor_zero) VALUES (?1, ?2, ?3) "
        "ON CONFLICT(name) DO NOTHING", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, k->normal);
    sqlite3_bind_int(s, 3, k->floor_zero);
    return tsr_sql_run(s);
}

/* Reads the account's id and natural balance, creating the account on
 * first use when `create` (else TSR_ERR_NOT_FOUND). */
static tsr_status account_load(tsr_store_conn *db, const char *name, const account_kind *k,
                               bool create, int64_t *id, tsr_cents *balance)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, SQL_ACCOUNT_GET, &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    st = tsr_sql_row(s);
    if (st == TSR_ERR_NOT_FOUND && !create)
        return st;
    if (st == TSR_ERR_NOT_FOUND) {
        if ((st = account_create(db, name, k)) != TSR_OK ||
            (st = tsr_sql_prep(db, SQL_ACCOUNT_GET, &s)) != TSR_OK)
            return st;
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        st = tsr_sql_row(s);
    }
    if (st != TSR_OK)
        return st == TSR_ERR_NOT_FOUND ? TSR_ERR_INTERNAL : st;
    *id = sqlite3_column_int64(s, 0);
    *balance = sqlite3_column_int64(s, 1);
    sqlite3_reset(s);
    return TSR_OK;
}

/* What one leg does to its account: the natural delta and the range the
 * new balance must stay in (the floor, and the money range: |balance| and
 * |delta| are at most TSR_MONEY_MAX, so balance + delta cannot wrap int64
 * inside SQLite, where it would turn into a REAL). */
typedef struct leg_move {
    const char *name;
    uint64_t hash;
    tsr_cents delta, lo;
    int64_t id; /* resolved account id */
} leg_move;

/* One statement per leg on the hot path: adds delta when the row with this
 * id still has this name and the new balance stays in [lo, TSR_MONEY_MAX].
 * *hit false when no row changed (wrong hint, or a refusal). */
static tsr_status guarded_update(tsr_store_conn *db, const leg_move *m, int64_t id, bool *hit)
{
    sqlite3_stmt *s;
    *hit = false;
    tsr_status st = tsr_sql_prep(db,
        "UPDATE accounts SET balance = balance + ?1 "
        "WHERE id = ?2 AND name = ?3 AND balance + ?1 BETWEEN ?4 AND ?5", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_int64(s, 1, m->delta);
    sqlite3_bind_int64(s, 2, id);
    sqlite3_bind_text(s, 3, m->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, m->lo);
    sqlite3_bind_int64(s, 5, TSR_MONEY_MAX);
    if ((st = tsr_sql_run(s)) == TSR_OK)
        *hit = tsr_sql_changes(db) == 1;
    return st;
}

/* The rare path (no hint, a stale one, or a refusal): finds or creates the
 * account by name and says why the guarded update would refuse, in the
 * order the checks always ran: money range, then floor. */
static tsr_status move_by_name(tsr_store_conn *db, const account_kind *k, leg_move *m)
{
    tsr_cents bal = 0, next;
    bool hit;
    /* A new account starts at 0: when that already refuses, the refusal
     * writes nothing (no empty account), so a bet that fails for funds
     * changes nothing and the writer need not undo it (writer.c runs). */
    tsr_status st = account_load(db, m->name, k, m->delta >= m->lo, &m->id, &bal);
    if (st == TSR_ERR_NOT_FOUND)
        return TSR_ERR_LEDGER_NEGATIVE;
    if (st != TSR_OK)
        return st;
    if (tsr_money_add(bal, m->delta, &next) != TSR_OK)
        return TSR_ERR_OVERFLOW;
    if (next < m->lo)
        return TSR_ERR_LEDGER_NEGATIVE;
    if ((st = guarded_update(db, m, m->id, &hit)) != TSR_OK)
        return st;
    return hit ? TSR_OK : TSR_ERR_INTERNAL; /* the row just read refused */
}

static tsr_status move_leg(tsr_store_conn *db, const tsr_ledger_leg *leg, const account_kind *k,
                           leg_move *m)
{
    const sqlite3 *conn = tsr_store_conn_db(db);
    m->name = leg->account;
    m->id = 0;
    if (tsr_money_mul(leg->amount, k->normal, &m->delta) != TSR_OK)
        return TSR_ERR_OVERFLOW;
    m->lo = k->floor_zero ? 0 : -TSR_MONEY_MAX;
    m->hash = name_hash(conn, leg->account);
    id_hint *h = hint_slot(m->hash);
    bool hit = false;
    tsr_status st = TSR_OK;
    if (h->conn == conn && h->hash == m->hash && h->id > 0) {
        st = guarded_update(db, m, h->id, &hit);
        if (hit)
            m->id = h->id;
    }
    if (st != TSR_OK || hit)
        return st;
    st = move_by_name(db, k, m);
    /* Learn the id the lookup read, refused or not; forget a hint that
     * led nowhere when the lookup failed. */
    h->conn = conn;
    h->hash = m->hash;
    h->id = m->id;
    return st;
}

/* One single-row INSERT per entry. A two-row VALUES runs ~3k instructions
 * a ticket fewer (callgrind), but a multi-row INSERT opens a statement
 * journal: each page it touches is copied into a sub-journal and freed
 * at the statement's end. In wall time (perf, bench-node at 13,000
 * bets/s) the writer spent ~5 % more with it. */
static tsr_status insert_entries(tsr_store_conn *db, int64_t tx_id, const tsr_ledger_leg *legs,
                                 const leg_move *m, size_t n)
{
    sqlite3_stmt *s;
    tsr_status st = TSR_OK;
    for (size_t i = 0; st == TSR_OK && i < n; i++) {
        if ((st = tsr_sql_prep(db, "INSERT INTO ledger_entries(tx_id, account_id, amount) "
                                   "VALUES (?1, ?2, ?3)", &s)) != TSR_OK)
            return st;
        sqlite3_bind_int64(s, 1, tx_id);
        sqlite3_bind_int64(s, 2, m[i].id);
        sqlite3_bind_int64(s, 3, legs[i].amount);
        st = tsr_sql_run(s);
    }
    return st;
}

tsr_status tsr_ledger_post(tsr_store_conn *db, const char *kind, const char *ref, int64_t now_ns,
                           const tsr_ledger_leg *legs, size_t n, int64_t *tx_id)
{
    if (!kind || !*kind || !legs)
        return TSR_ERR_ARG;
    const account_kind *leg_kinds[TSR_LEDGER_LEGS_MAX];
    tsr_status st = legs_validate(legs, n, leg_kinds);
    if (st != TSR_OK)
        return st;
    if ((st = tsr_sql_sp_begin(db)) != TSR_OK)
        return st;
    leg_move m[TSR_LEDGER_LEGS_MAX];
    int64_t id = 0;
    for (size_t i = 0; st == TSR_OK && i < n; i++)
        st = move_leg(db, &legs[i], leg_kinds[i], &m[i]);
    if (st == TSR_OK)
        st = insert_tx(db, kind, ref, now_ns, &id);
    if (st == TSR_OK)
        st = insert_entries(db, id, legs, m, n);
    st = tsr_sql_sp_end(db, st);
    if (st == TSR_OK && tx_id)
        *tx_id = id;
    return st;
}

tsr_status tsr_ledger_transfer(tsr_store_conn *db, const char *kind, const char *ref, int64_t now_ns,
                               const char *debit_account, const char *credit_account,
                               tsr_cents amount, int64_t *tx_id)
{
    if (amount <= 0)
        return TSR_ERR_ARG;
    tsr_ledger_leg legs[2] = {{debit_account, amount}, {credit_account, -amount}};
    return tsr_ledger_post(db, kind, ref, now_ns, legs, 2, tx_id);
}

tsr_status tsr_ledger_balance(tsr_store_conn *db, const char *account, tsr_cents *out)
{
    *out = 0;
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, "SELECT balance FROM accounts WHERE name = ?1", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    if ((st = tsr_sql_row(s)) != TSR_OK)
        return st == TSR_ERR_NOT_FOUND ? TSR_OK : st;
    *out = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return TSR_OK;
}

/* Runs a query whose first row, if any, names a problem: column 0 an id or
 * name, column 1 a balance. Returns true when a row came back. */
static tsr_status first_problem(tsr_store_conn *db, const char *sql, bool *found, tsr_ledger_report *r,
                                bool named)
{
    sqlite3_stmt *s;
    *found = false;
    tsr_status st = tsr_sql_prep(db, sql, &s);
    if (st != TSR_OK)
        return st;
    if ((st = tsr_sql_row(s)) != TSR_OK)
        return st == TSR_ERR_NOT_FOUND ? TSR_OK : st;
    *found = true;
    if (named) {
        snprintf(r->bad_account, sizeof r->bad_account, "%s",
                 (const char *)sqlite3_column_text(s, 0));
        r->bad_balance = sqlite3_column_int64(s, 1);
    } else {
        r->bad_tx_id = sqlite3_column_int64(s, 0);
    }
    sqlite3_reset(s);
    return TSR_OK;
}

static tsr_status count_rows(tsr_store_conn *db, tsr_ledger_report *r)
{
    tsr_status st = tsr_store_query_int(db, "SELECT count(*) FROM ledger_tx", &r->tx_count);
    if (st == TSR_OK)
        st = tsr_store_query_int(db, "SELECT count(*) FROM ledger_entries", &r->entry_count);
    if (st == TSR_OK)
        st = tsr_store_query_int(db, "SELECT count(*) FROM accounts", &r->account_count);
    return st;
}

tsr_status tsr_ledger_check(tsr_store_conn *db, tsr_ledger_report *r)
{
    memset(r, 0, sizeof *r);
    tsr_status st = count_rows(db, r);
    bool bad = false;
    if (st == TSR_OK)
        st = first_problem(db,
            "SELECT t.id FROM ledger_tx t LEFT JOIN ledger_entries e ON e.tx_id = t.id "
            "GROUP BY t.id HAVING count(e.tx_id) < 2 OR total(e.amount) <> 0 "
            "OR sum(e.amount) <> 0 "
            "UNION ALL SELECT e.tx_id FROM ledger_entries e "
            "WHERE e.tx_id NOT IN (SELECT id FROM ledger_tx) "
            "OR e.account_id NOT IN (SELECT id FROM accounts) LIMIT 1", &bad, r, false);
    if (st == TSR_OK && bad)
        return TSR_ERR_LEDGER_UNBALANCED;
    if (st == TSR_OK)
        st = first_problem(db,
            "SELECT a.name, a.balance FROM accounts a LEFT JOIN ledger_entries e "
            "ON e.account_id = a.id GROUP BY a.id "
            "HAVING a.balance <> a.normal * coalesce(sum(e.amount), 0) LIMIT 1", &bad, r, true);
    if (st == TSR_OK && bad)
        return TSR_ERR_LEDGER_DRIFT;
    if (st == TSR_OK)
        st = first_problem(db,
            "SELECT name, balance FROM accounts WHERE floor_zero = 1 AND balance < 0 "
            "ORDER BY id LIMIT 1", &bad, r, true);
    if (st == TSR_OK && bad)
        return TSR_ERR_LEDGER_NEGATIVE;
    /* Retail sales posted per group against the tickets they sum. */
    return st == TSR_OK ? tsr_sales_batch_check(db, &r->bad_tx_id) : st;
}

#include "wallet.h"

#include <stdio.h>
#include <string.h>

#include "exclusions.h"
#include "ledger.h"
#include "ledger_sql.h"
#include "limits.h"
#include "tessera/hash.h"

/* Longest ticket id or request reference stored as a ledger ref. */
#define REF_MAX 64

static bool ref_ok(const char *ref)
{
    size_t n = ref ? strlen(ref) : 0;
    return n > 0 && n <= REF_MAX;
}

/* Checks the player may gamble now: verified, not excluded. */
static tsr_status standing(tsr_store_conn *db, int64_t player_id, int64_t now_ns)
{
    tsr_status st = tsr_players_require_verified(db, player_id);
    if (st == TSR_OK)
        st = tsr_exclusions_check(db, player_id, now_ns, NULL);
    return st;
}

static tsr_status bettor_account(const tsr_bettor *who, char *acct)
{
    if (who->player_id > 0)
        return tsr_ledger_player_account(acct, who->player_id);
    return tsr_ledger_float_account(acct, who->terminal_id);
}

/* The wallet covers need (the bet's stake still to charge) and the limits
 * allow it: checked whole at the bet's first ticket. */
static tsr_status covered(tsr_store_conn *db, int64_t player_id, const char *acct, tsr_cents need,
                          int64_t now_ns)
{
    tsr_cents balance = 0;
    tsr_status st = tsr_limits_check(db, player_id, false, need, now_ns);
    if (st == TSR_OK)
        st = tsr_ledger_balance(db, acct, &balance);
    return st == TSR_OK && balance < need ? TSR_ERR_FUNDS : st;
}

static tsr_status debit_player(const tsr_accounts *a, tsr_store_conn *db, int64_t player_id,
                               const char *acct, const char *sales, tsr_cents stake,
                               tsr_cents after, const char *ticket_id, int64_t now_ns)
{
    (void)a;
    /* Every refusal comes before the first write: a refused bet writes
     * nothing, and the writer need not undo its run (writer.c); a bet of
     * several tickets is checked whole at its first, so one short for a
     * later draw is refused before its first ticket is written. */
    tsr_status st = standing(db, player_id, now_ns);
    if (st == TSR_OK)
        st = after > 0 ? covered(db, player_id, acct, stake + after, now_ns)
                       : tsr_limits_check(db, player_id, false, stake, now_ns);
    if (st == TSR_OK)
        st = tsr_ledger_transfer(db, "bet", ticket_id, now_ns, acct, sales, stake, NULL);
    if (st == TSR_OK)
        st = tsr_limits_record(db, player_id, false, stake, now_ns);
    return st == TSR_ERR_LEDGER_NEGATIVE ? TSR_ERR_FUNDS : st;
}

tsr_status tsr_wallet_debit_for_bet(const tsr_accounts *a, tsr_store_conn *db,
                                    const tsr_bettor *who, const char *game, tsr_cents stake,
                                    tsr_cents after, const char *ticket_id, int64_t now_ns)
{
    char acct[TSR_LEDGER_NAME_SIZE], sales[TSR_LEDGER_NAME_SIZE];
    if (who->player_id <= 0 || stake <= 0 || stake > TSR_MONEY_MAX || after < 0 ||
        after > TSR_MONEY_MAX - stake || !ref_ok(ticket_id) ||
        bettor_account(who, acct) != TSR_OK || tsr_ledger_sales_account(sales, game) != TSR_OK)
        return TSR_ERR_ARG;
    tsr_status st = tsr_sql_sp_begin(db);
    if (st != TSR_OK)
        return st;
    st = debit_player(a, db, who->player_id, acct, sales, stake, after, ticket_id, now_ns);
    return tsr_sql_sp_end(db, st);
}

/* The amount the ledger tx of `kind` for ref moved on account acct
 * (debit-positive); TSR_ERR_NOT_FOUND when there is none. */
static tsr_status tx_amount(tsr_store_conn *db, const char *kind, const char *ref, const char *acct,
                            tsr_cents *amount)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db,
        "SELECT e.amount FROM ledger_tx t JOIN ledger_entries e ON e.tx_id = t.id "
        "JOIN accounts a ON a.id = e.account_id "
        "WHERE t.kind = ?1 AND t.ref = ?2 AND a.name = ?3 LIMIT 1", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, ref, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, acct, -1, SQLITE_STATIC);
    if ((st = tsr_sql_row(s)) != TSR_OK)
        return st;
    *amount = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return TSR_OK;
}

/* What a retail ticket's sale debited its float. A terminal's sales are
 * posted per group ("sales", sales_batch.h), so the ticket row is the
 * record: a ticket row is only ever written in the transaction that
 * charged it, and ledger-check proves every "sales" posting sums exactly
 * its tickets. Its stake when this terminal sold it for this game, else
 * TSR_ERR_NOT_FOUND. */
static tsr_status retail_sale_amount(tsr_store_conn *db, const char *terminal, const char *game,
                                     const char *ticket_id, tsr_cents *amount)
{
    uint8_t id[16];
    if (!terminal || tsr_hex_decode(id, sizeof id, ticket_id) != TSR_OK)
        return TSR_ERR_NOT_FOUND;
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db,
        "SELECT stake_cents FROM tickets WHERE id = ?1 AND terminal_id = ?2 AND game = ?3", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_blob(s, 1, id, sizeof id, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, terminal, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, game, -1, SQLITE_STATIC);
    if ((st = tsr_sql_row(s)) != TSR_OK)
        return st;
    *amount = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return TSR_OK;
}

tsr_status tsr_wallet_refund_bet(tsr_store_conn *db, const tsr_bettor *who, const char *game,
                                 tsr_cents stake, const char *ticket_id, int64_t now_ns,
                                 bool *applied)
{
    char acct[TSR_LEDGER_NAME_SIZE], sales[TSR_LEDGER_NAME_SIZE];
    *applied = false;
    if (!ref_ok(ticket_id) || bettor_account(who, acct) != TSR_OK ||
        tsr_ledger_sales_account(sales, game) != TSR_OK)
        return TSR_ERR_ARG;
    tsr_cents paid = 0, done = 0;
    tsr_status st = tx_amount(db, "bet", ticket_id, acct, &paid);
    if (st == TSR_ERR_NOT_FOUND && !who->player_id)
        st = retail_sale_amount(db, who->terminal_id, game, ticket_id, &paid);
    if (st != TSR_OK)
        return st;
    if (paid != stake)
        return TSR_ERR_ARG;
    st = tx_amount(db, "refund", ticket_id, acct, &done);
    if (st == TSR_OK)
        return TSR_OK; /* refunded before: exactly once */
    if (st != TSR_ERR_NOT_FOUND)
        return st;
    st = tsr_ledger_transfer(db, "refund", ticket_id, now_ns, sales, acct, stake, NULL);
    *applied = st == TSR_OK;
    return st;
}

static tsr_status insert_request(tsr_store_conn *db, int64_t player_id, const char *kind,
                                 tsr_cents amount, const char *provider, int64_t now_ns,
                                 int64_t *id)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db,
        "INSERT INTO psp_requests(player_id, kind, amount, state, provider, created_at_ns) "
        "VALUES (?1, ?2, ?3, 'pending', ?4, ?5)", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_int64(s, 1, player_id);
    sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, amount);
    sqlite3_bind_text(s, 4, provider, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, now_ns);
    if ((st = tsr_sql_run(s)) == TSR_OK)
        *id = tsr_sql_last_id(db);
    return st;
}

tsr_status tsr_wallet_deposit_request(tsr_store_conn *db, int64_t player_id, tsr_cents amount,
                                      const char *provider, int64_t now_ns, int64_t *request_id)
{
    if (amount <= 0 || amount > TSR_MONEY_MAX)
        return TSR_ERR_RANGE;
    tsr_status st = tsr_sql_sp_begin(db);
    if (st != TSR_OK)
        return st;
    st = standing(db, player_id, now_ns);
    if (st == TSR_OK)
        st = tsr_limits_use(db, player_id, true, amount, now_ns);
    if (st == TSR_OK)
        st = insert_request(db, player_id, "deposit", amount, provider, now_ns, request_id);
    return tsr_sql_sp_end(db, st);
}

tsr_status tsr_wallet_withdrawal_request(tsr_store_conn *db, int64_t player_id, tsr_cents amount,
                                         const char *provider, int64_t now_ns, int64_t *request_id)
{
    char acct[TSR_LEDGER_NAME_SIZE], ref[24];
    if (amount <= 0 || amount > TSR_MONEY_MAX)
        return TSR_ERR_RANGE;
    tsr_status st = tsr_players_require_verified(db, player_id);
    if (st != TSR_OK)
        return st;
    if ((st = tsr_ledger_player_account(acct, player_id)) != TSR_OK)
        return st;
    if ((st = tsr_sql_sp_begin(db)) != TSR_OK)
        return st;
    st = insert_request(db, player_id, "withdrawal", amount, provider, now_ns, request_id);
    if (st == TSR_OK) {
        snprintf(ref, sizeof ref, "%lld", (long long)*request_id);
        st = tsr_ledger_transfer(db, "withdrawal", ref, now_ns, acct, "withdrawals_pending",
                                 amount, NULL);
    }
    if (st == TSR_ERR_LEDGER_NEGATIVE)
        st = TSR_ERR_FUNDS;
    return tsr_sql_sp_end(db, st);
}

static tsr_status history(tsr_store_conn *db, const char *acct, json_t *arr)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db,
        "SELECT t.id, t.kind, t.ref, -e.amount, t.at_ns FROM ledger_entries e "
        "JOIN ledger_tx t ON t.id = e.tx_id "
        "WHERE e.account_id = (SELECT id FROM accounts WHERE name = ?1) "
        "ORDER BY e.tx_id DESC LIMIT ?2", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_text(s, 1, acct, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, TSR_WALLET_HISTORY_MAX);
    while ((st = tsr_sql_row(s)) == TSR_OK) {
        json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:I, s:I}",
            "tx", (json_int_t)sqlite3_column_int64(s, 0),
            "kind", (const char *)sqlite3_column_text(s, 1),
            "ref", (const char *)sqlite3_column_text(s, 2),
            "amount", (json_int_t)sqlite3_column_int64(s, 3),
            "at", (json_int_t)sqlite3_column_int64(s, 4)));
    }
    return st == TSR_ERR_NOT_FOUND ? TSR_OK : st;
}

tsr_status tsr_wallet_view(tsr_store_conn *db, int64_t player_id, json_t **out)
{
    char acct[TSR_LEDGER_NAME_SIZE];
    tsr_player_info p;
    tsr_cents bal = 0, pending = 0;
    *out = NULL;
    tsr_status st = tsr_players_get(db, player_id, &p);
    if (st == TSR_OK)
        st = tsr_ledger_player_account(acct, player_id);
    if (st == TSR_OK)
        st = tsr_ledger_balance(db, acct, &bal);
    if (st == TSR_OK)
        st = tsr_sql_int(db, "SELECT coalesce(sum(amount), 0) FROM psp_requests WHERE "
                             "player_id = ?1 AND kind = 'withdrawal' AND state = 'pending'",
                         player_id, &pending);
    json_t *h = json_array();
    if (st == TSR_OK)
        st = history(db, acct, h);
    if (st != TSR_OK) {
        json_decref(h);
        return st;
    }
    *out = json_pack("{s:I, s:I, s:I, s:s, s:o}", "player_id", (json_int_t)player_id,
                     "balance", (json_int_t)bal, "pending_withdrawals", (json_int_t)pending,
                     "kyc", tsr_kyc_state_name(p.kyc), "history", h);
    return *out ? TSR_OK : TSR_ERR_NOMEM;
}

tsr_status tsr_wallet_float_view(tsr_store_conn *db, const char *terminal_id, int64_t agent_id,
                                 json_t **out)
{
    char acct[TSR_LEDGER_NAME_SIZE];
    tsr_cents bal = 0;
    *out = NULL;
    tsr_status st = tsr_ledger_float_account(acct, terminal_id);
    if (st == TSR_OK)
        st = tsr_ledger_balance(db, acct, &bal);
    json_t *h = json_array();
    if (st == TSR_OK)
        st = history(db, acct, h);
    if (st != TSR_OK) {
        json_decref(h);
        return st;
    }
    *out = json_pack("{s:s, s:I, s:I, s:o}", "terminal", terminal_id, "agent_id",
                     (json_int_t)agent_id, "float", (json_int_t)bal, "history", h);
    return *out ? TSR_OK : TSR_ERR_NOMEM;
}

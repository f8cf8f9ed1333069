#include "claims.h"

#include <stdio.h>
#include <string.h>

#include "ledger.h"
#include "ledger_sql.h"

static bool id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > TSR_PAYOUT_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return false;
    return true;
}

/* TSR_OK when an identical payout is stored, TSR_ERR_NOT_FOUND when none
 * with this id or ticket is, TSR_ERR_PAYOUT_CONFLICT otherwise. */
static tsr_status existing(tsr_store_conn *db, const tsr_payout *p)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db,
        "SELECT payout_id, ticket_id, coalesce(player_id, 0), gross, withheld, class "
        "FROM payouts WHERE payout_id = ?1 OR ticket_id = ?2 LIMIT 1", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_text(s, 1, p->payout_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, p->ticket_id, -1, SQLITE_STATIC);
    if ((st = tsr_sql_row(s)) != TSR_OK)
        return st;
    const char *klass = p->klass == TSR_PAYOUT_AUTO ? "auto" : "claim_centre";
    bool same = strcmp((const char *)sqlite3_column_text(s, 0), p->payout_id) == 0 &&
                strcmp((const char *)sqlite3_column_text(s, 1), p->ticket_id) == 0 &&
                sqlite3_column_int64(s, 2) == p->player_id && sqlite3_column_int64(s, 3) == p->gross &&
                sqlite3_column_int64(s, 4) == p->withheld &&
                strcmp((const char *)sqlite3_column_text(s, 5), klass) == 0;
    sqlite3_reset(s);
    return same ? TSR_OK : TSR_ERR_PAYOUT_CONFLICT;
}

static tsr_status insert_payout(tsr_store_conn *db, const tsr_payout *p, const char *state,
                                int64_t now_ns)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db,
        "INSERT INTO payouts(payout_id, ticket_id, player_id, gross, withheld, class, state, "
        "applied_at_ns) VALUES (?1, ?2, nullif(?3, 0), ?4, ?5, ?6, ?7, ?8)", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_text(s, 1, p->payout_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, p->ticket_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, p->player_id);
    sqlite3_bind_int64(s, 4, p->gross);
    sqlite3_bind_int64(s, 5, p->withheld);
    sqlite3_bind_text(s, 6, p->klass == TSR_PAYOUT_AUTO ? "auto" : "claim_centre", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 8, now_ns);
    return tsr_sql_run(s);
}

static tsr_status book(tsr_store_conn *db, const tsr_payout *p, int64_t now_ns, const char **state)
{
    char player[TSR_LEDGER_NAME_SIZE];
    bool wallet = p->player_id > 0 && p->klass == TSR_PAYOUT_AUTO;
    if (p->player_id > 0 && tsr_ledger_player_account(player, p->player_id) != TSR_OK)
        return TSR_ERR_ARG;
    *state = wallet ? "credited" : p->klass == TSR_PAYOUT_AUTO ? "payable" : "claim_centre";
    tsr_ledger_leg legs[3] = {{"prize_expense", p->gross},
                              {wallet ? player : "prize_payable", -(p->gross - p->withheld)},
                              {"tax_withheld", -p->withheld}};
    return tsr_ledger_post(db, "payout", p->payout_id, now_ns, legs, p->withheld > 0 ? 3 : 2, NULL);
}

tsr_status tsr_payout_apply(tsr_store_conn *db, const tsr_payout *p, int64_t now_ns, bool *applied)
{
    *applied = false;
    if (!id_ok(p->payout_id) || !id_ok(p->ticket_id) || p->player_id < 0 || p->gross <= 0 ||
        p->gross > TSR_MONEY_MAX || p->withheld < 0 || p->withheld >= p->gross ||
        (p->klass != TSR_PAYOUT_AUTO && p->klass != TSR_PAYOUT_CLAIM_CENTRE))
        return TSR_ERR_ARG;
    tsr_status st = existing(db, p);
    if (st != TSR_ERR_NOT_FOUND)
        return st; /* TSR_OK: the same payout, booked before */
    if ((st = tsr_sql_sp_begin(db)) != TSR_OK)
        return st;
    const char *state = NULL;
    st = book(db, p, now_ns, &state);
    if (st == TSR_OK)
        st = insert_payout(db, p, state, now_ns);
    st = tsr_sql_sp_end(db, st);
    *applied = st == TSR_OK;
    return st;
}

static tsr_status mark_paid(tsr_store_conn *db, const char *ticket_id, const char *terminal_id,
                            int64_t agent_id, int64_t now_ns)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, "UPDATE payouts SET state = 'paid', paid_at_ns = ?2, "
                                     "paid_terminal = ?3, paid_agent_id = nullif(?4, 0) "
                                     "WHERE ticket_id = ?1 AND state = 'payable'", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_text(s, 1, ticket_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, now_ns);
    sqlite3_bind_text(s, 3, terminal_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, agent_id);
    if ((st = tsr_sql_run(s)) != TSR_OK)
        return st;
    return tsr_sql_changes(db) == 1 ? TSR_OK : TSR_ERR_INTERNAL;
}

tsr_status tsr_claim_pay(tsr_store_conn *db, const char *ticket_id, const char *terminal_id,
                         int64_t agent_id, int64_t now_ns, tsr_claim_result *out)
{
    char flt[TSR_LEDGER_NAME_SIZE], state[16];
    memset(out, 0, sizeof *out);
    if (!id_ok(ticket_id) || tsr_ledger_float_account(flt, terminal_id) != TSR_OK)
        return TSR_ERR_ARG;
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, "SELECT state, gross - withheld, coalesce(paid_at_ns, 0), "
                                     "coalesce(paid_terminal, '') FROM payouts WHERE ticket_id = ?1", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_text(s, 1, ticket_id, -1, SQLITE_STATIC);
    if ((st = tsr_sql_row(s)) != TSR_OK)
        return st == TSR_ERR_NOT_FOUND ? TSR_ERR_CLAIM_NO_PRIZE : st;
    snprintf(state, sizeof state, "%s", sqlite3_column_text(s, 0));
    out->amount = sqlite3_column_int64(s, 1);
    out->paid_at_ns = sqlite3_column_int64(s, 2);
    snprintf(out->paid_terminal, sizeof out->paid_terminal, "%s", sqlite3_column_text(s, 3));
    sqlite3_reset(s);
    if (strcmp(state, "paid") == 0)
        return TSR_ERR_CLAIM_PAID;
    if (strcmp(state, "credited") == 0)
        return TSR_ERR_CLAIM_ONLINE;
    if (strcmp(state, "claim_centre") == 0)
        return TSR_ERR_CLAIM_CENTRE;
    if ((st = tsr_sql_sp_begin(db)) != TSR_OK)
        return st;
    st = tsr_ledger_transfer(db, "claim", ticket_id, now_ns, "prize_payable", flt, out->amount, NULL);
    if (st == TSR_OK)
        st = mark_paid(db, ticket_id, terminal_id, agent_id, now_ns);
    if (st == TSR_OK) {
        out->paid_at_ns = now_ns;
        snprintf(out->paid_terminal, sizeof out->paid_terminal, "%s", terminal_id);
    }
    return tsr_sql_sp_end(db, st);
}

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
static tsr_status existing(tsr_store_conn *db, const tsr_node_payout *p)
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
    const char *klass = p->klass == TSR_NODE_PAYOUT_AUTO ? "auto" : "claim_centre";
    bool same = strcmp((const char *)sqlite3_column_text(s, 0), p->payout_id) == 0 &&
                strcmp((const char *)sqlite3_column_text(s, 1), p->ticket_id) == 0 &&
                sqlite3_column_int64(s, 2) == p->player_id && sqlite3_column_int64(s, 3) == p->gross &&
                sqlite3_column_int64(s, 4) == p->withheld &&
                strcmp((const char *)sqlite3_column_text(s, 5), klass) == 0;
    sqlite3_reset(s);
    return same ? TSR_OK : TSR_ERR_PAYOUT_CONFLICT;
}

static tsr_status insert_payout(tsr_store_conn *db, const tsr_node_payout *p, const char *state,
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
    sqlite3_bind_text(s, 6, p->klass == TSR_NODE_PAYOUT_AUTO ? "auto" : "claim_centre", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 8, now_ns);
    return tsr_sql_run(s);
}

static tsr_status book(tsr_store_conn *db, const tsr_node_payout *p, int64_t now_ns, const char **state)
{
    char player[TSR_LEDGER_NAME_SIZE];
    bool wallet = p->player_id > 0 && p->klass == TSR_NODE_PAYOUT_AUTO;
    if (p->player_id > 0 && tsr_ledger_player_account(player, p->player_id) != TSR_OK)
        return TSR_ERR_ARG;
    *state = wallet ? "credited" : p->klass == TSR_NODE_PAYOUT_AUTO ? "payable" : "claim_centre";
    tsr_ledger_leg legs[3] = {{"prize_expense", p->gross},
                              {wallet ? player : "prize_payable", -(p->gross - p->withheld)},
                              {"tax_withheld", -p->withheld}};
    return tsr_ledger_post(db, "payout", p->payout_id, now_ns, legs, p->withheld > 0 ? 3 : 2, NULL);
}

tsr_status tsr_payout_apply(tsr_store_conn *db, const tsr_node_payout *p, int64_t now_ns, bool *applied)
{
    *applied = false;
    if (!id_ok(p->payout_id) || !id_ok(p->ticket_id) || p->player_id < 0 || p->gross <= 0 ||
        p->gross > TSR_MONEY_MAX || p->withheld < 0 || p->withheld >= p->gross ||
        (p->klass != TSR_NODE_PAYOUT_AUTO && p->klass != TSR_NODE_PAYOUT_CLAIM_CENTRE))
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

/* ---- tickets presented at a till ------------------------------------------------ */

static bool serial_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n >= TSR_SERIAL_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* Six decimal digits to their value; -1 when malformed. */
static int64_t check_value(const char *s)
{
    int64_t v = 0;
    if (!s || strlen(s) != TSR_CLAIM_CHECK_DIGITS)
        return -1;
    for (size_t i = 0; i < TSR_CLAIM_CHECK_DIGITS; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static const char SQL_BY_SERIAL[] =
    "SELECT id, check_code, game, draw, coalesce(player_id, 0), coalesce(terminal_id, ''), state "
    "FROM tickets WHERE serial = ?1";

tsr_status tsr_claim_find(tsr_store_conn *db, const char *serial, const char *check,
                          tsr_claim_ticket *out)
{
    memset(out, 0, sizeof *out);
    int64_t code = check_value(check);
    if (!serial_ok(serial) || code < 0)
        return TSR_ERR_RANGE;
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, SQL_BY_SERIAL, &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_text(s, 1, serial, -1, SQLITE_STATIC);
    if ((st = tsr_sql_row(s)) != TSR_OK)
        return st == TSR_ERR_NOT_FOUND ? TSR_ERR_CLAIM_CHECK : st;
    bool match = sqlite3_column_int64(s, 1) == code && sqlite3_column_bytes(s, 0) == TSR_TICKET_ID_LEN;
    if (match) {
        tsr_hex_encode(out->ticket_id, sizeof out->ticket_id, sqlite3_column_blob(s, 0),
                       TSR_TICKET_ID_LEN);
        snprintf(out->serial, sizeof out->serial, "%s", serial);
        snprintf(out->game, sizeof out->game, "%s", sqlite3_column_text(s, 2));
        out->draw = sqlite3_column_int64(s, 3);
        out->player_id = sqlite3_column_int64(s, 4);
        snprintf(out->terminal_id, sizeof out->terminal_id, "%s", sqlite3_column_text(s, 5));
        out->cancelled = sqlite3_column_int(s, 6) != 0;
    }
    sqlite3_reset(s);
    return match ? TSR_OK : TSR_ERR_CLAIM_CHECK;
}

const char *tsr_win_state_name(tsr_win_state s)
{
    static const char *const names[] = {"pending", "lost", "payable", "paid", "claim_centre",
                                        "credited", "cancelled", "refunded"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

/* The booked prize of the ticket: TSR_ERR_NOT_FOUND when none. */
static tsr_status win_of_payout(tsr_store_conn *db, const char *ticket_id, tsr_win *w)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, "SELECT state, gross, withheld, coalesce(paid_at_ns, 0), "
                                     "coalesce(paid_terminal, '') FROM payouts WHERE ticket_id = ?1", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_text(s, 1, ticket_id, -1, SQLITE_STATIC);
    if ((st = tsr_sql_row(s)) != TSR_OK)
        return st;
    const char *state = (const char *)sqlite3_column_text(s, 0);
    w->state = strcmp(state, "payable") == 0 ? TSR_WIN_PAYABLE
             : strcmp(state, "paid") == 0 ? TSR_WIN_PAID
             : strcmp(state, "credited") == 0 ? TSR_WIN_CREDITED
             : TSR_WIN_CLAIM_CENTRE;
    w->gross = sqlite3_column_int64(s, 1);
    w->withheld = sqlite3_column_int64(s, 2);
    w->amount = w->gross - w->withheld;
    w->paid_at_ns = sqlite3_column_int64(s, 3);
    snprintf(w->paid_terminal, sizeof w->paid_terminal, "%s", sqlite3_column_text(s, 4));
    sqlite3_reset(s);
    return TSR_OK;
}

/* The outcome the sync module wrote when the result (or a refund) came:
 * TSR_ERR_NOT_FOUND while the draw has no result here. */
static tsr_status win_of_outcome(tsr_store_conn *db, const char *ticket_id, tsr_win *w)
{
    uint8_t id[TSR_TICKET_ID_LEN];
    if (tsr_hex_decode(id, sizeof id, ticket_id) != TSR_OK)
        return TSR_ERR_ARG;
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, "SELECT outcome FROM sync_outcomes WHERE ticket_id = ?1", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_blob(s, 1, id, sizeof id, SQLITE_STATIC);
    if ((st = tsr_sql_row(s)) != TSR_OK)
        return st;
    const char *o = (const char *)sqlite3_column_text(s, 0);
    /* "won" without a payouts row cannot happen (both are written in one
     * transaction); read it as pending rather than as a loss. */
    w->state = strcmp(o, "lost") == 0 ? TSR_WIN_LOST
             : strncmp(o, "refund", 6) == 0 ? TSR_WIN_REFUNDED
             : TSR_WIN_PENDING;
    sqlite3_reset(s);
    return TSR_OK;
}

tsr_status tsr_claim_status(tsr_store_conn *db, const tsr_claim_ticket *t, tsr_win *out)
{
    memset(out, 0, sizeof *out);
    tsr_status st = win_of_payout(db, t->ticket_id, out);
    if (st != TSR_ERR_NOT_FOUND)
        return st;
    if (t->cancelled) {
        out->state = TSR_WIN_CANCELLED;
        return TSR_OK;
    }
    st = win_of_outcome(db, t->ticket_id, out);
    if (st == TSR_ERR_NOT_FOUND) {
        out->state = TSR_WIN_PENDING;
        return TSR_OK;
    }
    return st;
}

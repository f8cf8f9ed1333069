/* Booking payout entries over the accounts engineer's ledger API: prizes
 * through tsr_payout_apply, refunds through tsr_wallet_refund_bet, each
 * exactly once by payout id (sync_payouts), plus the ticket's outcome and
 * the player's notification. Sees claims.h/wallet.h, never results.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "ledger_sql.h"
#include "sync_pay.h"
#include "tessera/log.h"
#include "tessera/hash.h"
#include "wallet.h"

static const char SQL_TICKET[] =
    "SELECT coalesce(player_id, 0), coalesce(terminal_id, ''), game, draw FROM tickets"
    " WHERE id = ?1";
static const char SQL_PAY_PUT[] =
    "INSERT OR IGNORE INTO sync_payouts(payout_id, ticket_id, game, draw, kind, claim_centre,"
    " amount_cents, withheld_cents, applied_at_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
static const char SQL_PAY_SAME[] =
    "SELECT count(*) FROM sync_payouts WHERE payout_id = ?1 AND ticket_id = ?2 AND game = ?3"
    " AND draw = ?4 AND kind = ?5 AND claim_centre = ?6 AND amount_cents = ?7"
    " AND withheld_cents = ?8";
static const char SQL_OUTCOME[] =
    "INSERT INTO sync_outcomes(ticket_id, game, draw, outcome, amount_cents, at_ns)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(ticket_id) DO UPDATE SET"
    " outcome = excluded.outcome, amount_cents = excluded.amount_cents, at_ns = excluded.at_ns";
static const char SQL_NOTE[] =
    "INSERT INTO notifications(player_id, at_ns, kind, body) VALUES (?1, ?2, 'payout', ?3)";

typedef struct ticket_row {
    uint8_t id[TSR_TICKET_ID_LEN];
    int64_t player_id;
    char terminal[TSR_CALLER_ID_MAX];
    char game[TSR_NAME_MAX];
    uint32_t draw;
} ticket_row;

/* The ticket a payout is for: it must be one this node sold for that draw. */
static tsr_status load_ticket(tsr_store_conn *db, const tsr_sync_pay *e, ticket_row *t)
{
    if (tsr_hex_decode(t->id, sizeof t->id, e->ticket_id) != TSR_OK)
        return TSR_ERR_ENCODING;
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(db, SQL_TICKET, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_blob(st, 1, t->id, sizeof t->id, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        t->player_id = sqlite3_column_int64(st, 0);
        snprintf(t->terminal, sizeof t->terminal, "%s", sqlite3_column_text(st, 1));
        snprintf(t->game, sizeof t->game, "%s", sqlite3_column_text(st, 2));
        t->draw = (uint32_t)sqlite3_column_int64(st, 3);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? TSR_OK : rc == SQLITE_DONE ? TSR_ERR_CONTROL_REFUSED : tsr_store_status(rc);
}

static void bind_pay(sqlite3_stmt *st, const tsr_sync_pay *e, const ticket_row *t,
                     uint8_t pid[TSR_HASH_LEN])
{
    sqlite3_bind_blob(st, 1, pid, TSR_HASH_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 2, t->id, sizeof t->id, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, t->game, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, t->draw);
    sqlite3_bind_int(st, 5, e->refund ? 2 : 1);
    sqlite3_bind_int(st, 6, e->claim_centre ? 1 : 0);
    sqlite3_bind_int64(st, 7, e->amount_cents);
    sqlite3_bind_int64(st, 8, e->withheld_cents);
}

/* Records the entry; *fresh false when this payout id was booked before
 * (with the same content; other content is a refusal). */
static tsr_status record(tsr_store_conn *db, const tsr_sync_pay *e, const ticket_row *t,
                         int64_t now, bool *fresh)
{
    uint8_t pid[TSR_HASH_LEN];
    if (tsr_hex_decode(pid, sizeof pid, e->payout_id) != TSR_OK)
        return TSR_ERR_ENCODING;
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(db, SQL_PAY_PUT, &st);
    if (s != TSR_OK)
        return s;
    bind_pay(st, e, t, pid);
    sqlite3_bind_int64(st, 9, now);
    if ((s = tsr_store_exec_stmt(st)) != TSR_OK)
        return s;
    *fresh = sqlite3_changes(tsr_store_conn_db(db)) == 1;
    if (*fresh)
        return TSR_OK;
    if ((s = tsr_store_stmt(db, SQL_PAY_SAME, &st)) != TSR_OK)
        return s;
    bind_pay(st, e, t, pid);
    bool same = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) == 1;
    sqlite3_reset(st);
    return same ? TSR_OK : TSR_ERR_CONTROL_REFUSED;
}

static tsr_status book_win(tsr_store_conn *db, const tsr_sync_pay *e, const ticket_row *t,
                           int64_t now)
{
    tsr_node_payout p = {.payout_id = e->payout_id, .ticket_id = e->ticket_id,
                    .player_id = t->player_id, .gross = e->amount_cents,
                    .withheld = e->withheld_cents,
                    .klass = e->claim_centre ? TSR_NODE_PAYOUT_CLAIM_CENTRE : TSR_NODE_PAYOUT_AUTO};
    bool applied;
    tsr_status s = tsr_payout_apply(db, &p, now, &applied);
    /* The same prize under another id, or amounts the ledger refuses
     * (withheld = gross): central and node disagree; never pay it here. */
    return s == TSR_ERR_PAYOUT_CONFLICT || s == TSR_ERR_ARG ? TSR_ERR_CONTROL_REFUSED : s;
}

static tsr_status book_refund(tsr_store_conn *db, const tsr_sync_pay *e, const ticket_row *t,
                              int64_t now)
{
    tsr_bettor who = {.player_id = t->player_id, .terminal_id = t->terminal};
    bool applied;
    tsr_status s = tsr_wallet_refund_bet(db, &who, t->game, e->amount_cents, e->ticket_id, now,
                                         &applied);
    /* No bet debit for this ticket, or another stake: not ours to refund. */
    return s == TSR_ERR_NOT_FOUND || s == TSR_ERR_ARG ? TSR_ERR_CONTROL_REFUSED : s;
}

static tsr_status mark_outcome(tsr_store_conn *db, const tsr_sync_pay *e, const ticket_row *t,
                               int64_t now)
{
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(db, SQL_OUTCOME, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_blob(st, 1, t->id, sizeof t->id, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, t->game, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, t->draw);
    sqlite3_bind_text(st, 4, e->refund ? "refunded" : "won", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, e->amount_cents);
    sqlite3_bind_int64(st, 6, now);
    if ((s = tsr_store_exec_stmt(st)) != TSR_OK || t->player_id <= 0)
        return s;
    json_t *j = json_pack("{s:s, s:s, s:I, s:s, s:I, s:I, s:s}", "ticket_id", e->ticket_id,
                          "game", t->game, "draw", (json_int_t)t->draw, "kind",
                          e->refund ? "refund" : "win", "amount_cents",
                          (json_int_t)e->amount_cents, "net_cents",
                          (json_int_t)(e->amount_cents - e->withheld_cents), "class",
                          e->refund ? "refund" : e->claim_centre ? "claim_centre" : "credited");
    char *body = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(j);
    if (!body)
        return TSR_ERR_NOMEM;
    if ((s = tsr_store_stmt(db, SQL_NOTE, &st)) == TSR_OK) {
        sqlite3_bind_int64(st, 1, t->player_id);
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_text(st, 3, body, -1, SQLITE_TRANSIENT);
        s = tsr_store_exec_stmt(st);
    }
    free(body);
    return s;
}

static tsr_status pay_one(tsr_store_conn *db, const char *game, uint32_t draw,
                          const tsr_sync_pay *e, int64_t now, bool *fresh)
{
    ticket_row t;
    memset(&t, 0, sizeof t);
    tsr_status s = load_ticket(db, e, &t);
    if (s == TSR_OK && (strcmp(t.game, game) != 0 || t.draw != draw))
        s = TSR_ERR_CONTROL_REFUSED; /* a payout batch of one draw naming another's ticket */
    if (s == TSR_OK)
        s = record(db, e, &t, now, fresh);
    if (s != TSR_OK || !*fresh)
        return s;
    s = e->refund ? book_refund(db, e, &t, now) : book_win(db, e, &t, now);
    return s == TSR_OK ? mark_outcome(db, e, &t, now) : s;
}

tsr_status tsr_sync_pay_entries(tsr_store_txn *txn, const char *game, uint32_t draw,
                                const tsr_sync_pay *e, size_t n, uint64_t *fresh)
{
    tsr_store_conn *db = tsr_store_txn_conn(txn);
    int64_t now = tsr_store_txn_now(txn).now_ns;
    *fresh = 0;
    /* Any failure refuses the whole batch and the job's savepoint rolls
     * every entry back, so the ledger needs no savepoint per entry. */
    tsr_sql_sp_covered(true);
    tsr_status s = TSR_OK;
    for (size_t i = 0; i < n && s == TSR_OK; i++) {
        bool f = false;
        s = pay_one(db, game, draw, &e[i], now, &f);
        *fresh += f;
    }
    tsr_sql_sp_covered(false);
    return s;
}

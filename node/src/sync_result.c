/* RESULT and PAYOUT control messages (sync/include/tessera/results.h):
 * verify with central's key (and the draw record with the draw authority's),
 * then store the result and mark this node's tickets, or book the payouts
 * through sync_pay.c. This file sees results.h only; sync_pay.c sees the
 * accounts headers (their tsr_payout types differ from catalog.h's). */
#include <stdlib.h>
#include <string.h>

#include "sync_node.h"
#include "tessera/log.h"
#include "tessera/results.h"

static const char SQL_RESULT_PUT[] =
    "INSERT OR IGNORE INTO sync_results(game, draw, state, signed, received_at_ns)"
    " VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_RESULT_GET[] = "SELECT signed FROM sync_results WHERE game = ?1 AND draw = ?2";
/* Every live ticket of the draw without an outcome yet: lost (drawn) or
 * waiting for its refund (cancelled draw). A prize or refund that arrived
 * first keeps its outcome (OR IGNORE). */
static const char SQL_OUTCOMES[] =
    "INSERT OR IGNORE INTO sync_outcomes(ticket_id, game, draw, outcome, amount_cents, at_ns)"
    " SELECT id, game, draw, ?3, 0, ?4 FROM tickets WHERE game = ?1 AND draw = ?2 AND state = 0";
static const char SQL_NOTIFY[] =
    "INSERT INTO notifications(player_id, at_ns, kind, body)"
    " SELECT DISTINCT player_id, ?3, 'result', ?4 FROM tickets"
    " WHERE game = ?1 AND draw = ?2 AND state = 0 AND player_id IS NOT NULL";

typedef struct result_arg {
    char game[TSR_NAME_MAX];
    uint32_t draw;
    int state;
    uint8_t *signed_bytes;
    size_t len;
    char *notice; /* the players' notification body (JSON text) */
    bool fresh;
} result_arg;

static void result_arg_free(void *p)
{
    result_arg *a = p;
    free(a->signed_bytes);
    free(a->notice);
    free(a);
}

/* Runs SQL_OUTCOMES (?3 outcome text, ?4 now) or SQL_NOTIFY (?3 now, ?4
 * body) for the draw of a. */
static tsr_status draw_exec(tsr_store_conn *db, const char *sql, const result_arg *a,
                            const char *text, int64_t now, bool now_first)
{
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(db, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_text(st, 1, a->game, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, a->draw);
    sqlite3_bind_int64(st, now_first ? 3 : 4, now);
    sqlite3_bind_text(st, now_first ? 4 : 3, text, -1, SQLITE_STATIC);
    return tsr_store_exec_stmt(st);
}

/* A second, different result for a draw we hold one for is a conflict. */
static tsr_status result_existing(tsr_store_conn *db, const result_arg *a)
{
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(db, SQL_RESULT_GET, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_text(st, 1, a->game, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, a->draw);
    s = TSR_ERR_CONTROL_REFUSED;
    if (sqlite3_step(st) == SQLITE_ROW && (size_t)sqlite3_column_bytes(st, 0) == a->len &&
        memcmp(sqlite3_column_blob(st, 0), a->signed_bytes, a->len) == 0)
        s = TSR_OK;
    sqlite3_reset(st);
    return s;
}

static tsr_status apply_result(tsr_store_txn *txn, tsr_server *srv, void *arg)
{
    (void)srv;
    result_arg *a = arg;
    tsr_store_conn *db = tsr_store_txn_conn(txn);
    int64_t now = tsr_store_txn_now(txn).now_ns;
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(db, SQL_RESULT_PUT, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_text(st, 1, a->game, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, a->draw);
    sqlite3_bind_int(st, 3, a->state);
    sqlite3_bind_blob(st, 4, a->signed_bytes, (int)a->len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now);
    if ((s = tsr_store_exec_stmt(st)) != TSR_OK)
        return s;
    if (sqlite3_changes(tsr_store_conn_db(db)) == 0)
        return result_existing(db, a); /* a redelivery, or a conflicting result */
    a->fresh = true;
    const char *outcome = a->state == TSR_RESULT_DRAWN ? "lost" : "refund_due";
    if ((s = draw_exec(db, SQL_OUTCOMES, a, outcome, now, false)) != TSR_OK ||
        (s = draw_exec(db, SQL_NOTIFY, a, a->notice, now, true)) != TSR_OK)
        return s;
    json_t *ev = json_pack("{s:s, s:I, s:s}", "game", a->game, "draw", (json_int_t)a->draw,
                           "state", a->state == TSR_RESULT_DRAWN ? "drawn" : "cancelled");
    s = ev ? tsr_audit_append(txn, "result_received", ev) : TSR_ERR_NOMEM;
    json_decref(ev);
    return s;
}

static char *result_notice(const tsr_result *r)
{
    json_t *main = json_array(), *bonus = json_array();
    for (uint8_t i = 0; i < r->main_count; i++)
        json_array_append_new(main, json_integer(r->main[i]));
    for (uint8_t i = 0; i < r->bonus_count; i++)
        json_array_append_new(bonus, json_integer(r->bonus[i]));
    json_t *j = json_pack("{s:s, s:I, s:s, s:o, s:o, s:I}", "game", r->game, "draw",
                          (json_int_t)r->draw, "state",
                          r->state == TSR_RESULT_DRAWN ? "drawn" : "cancelled", "main", main,
                          "bonus", bonus, "multiplier", (json_int_t)r->multiplier);
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(j);
    return text;
}

/* A drawn result must carry a draw record the pinned draw authority signed,
 * with the same game, draw and numbers. */
static tsr_status check_record(tsr_sync *s, const tsr_result *r)
{
    if (r->state != TSR_RESULT_DRAWN)
        return TSR_OK;
    uint8_t pk[TSR_PK_LEN];
    tsr_status st = tsr_keyring_find_name(s->core->authority, "draw-authority", pk);
    char why[160] = "";
    if (st == TSR_OK)
        st = tsr_result_check_record(r, pk, NULL, why, sizeof why);
    if (st != TSR_OK && why[0])
        tsr_log_error(tsr_server_env(s->srv)->log, "ctl_result_record", "game=%s draw=%u why=\"%s\"",
                      r->game, r->draw, why);
    return st;
}

static tsr_status result_prepare(tsr_sync *s, const void *bytes, size_t len, result_arg *a)
{
    tsr_result *r = NULL;
    tsr_status st = tsr_result_open(s->central_pk, bytes, len, &r);
    if (st == TSR_OK)
        st = check_record(s, r);
    if (st == TSR_OK) {
        snprintf(a->game, sizeof a->game, "%s", r->game);
        a->draw = r->draw;
        a->state = r->state;
        a->len = len;
        a->signed_bytes = malloc(len);
        a->notice = result_notice(r);
        if (!a->signed_bytes || !a->notice)
            st = TSR_ERR_NOMEM;
        else
            memcpy(a->signed_bytes, bytes, len);
    }
    tsr_result_destroy(r);
    return st;
}

tsr_status tsr_sync_apply_result(tsr_sync *s, const void *bytes, size_t len)
{
    if (!tsr_sync_central_pk(s))
        return TSR_ERR_CONFIG;
    result_arg *a = calloc(1, sizeof *a);
    if (!a)
        return TSR_ERR_NOMEM;
    tsr_status st = result_prepare(s, bytes, len, a);
    if (st != TSR_OK) {
        result_arg_free(a);
        return st;
    }
    char path[TSR_CORE_PATH_MAX];
    snprintf(path, sizeof path, "/v1/draws/%s", a->game);
    st = tsr_sync_run(s, "ctl_result", apply_result, a, result_arg_free, path);
    if (st == TSR_OK)
        tsr_sync_count(s, 0, 0, 1);
    return st;
}

/* ---- payouts ---------------------------------------------------------------------- */

typedef struct payout_arg {
    tsr_sync *s;
    char game[TSR_NAME_MAX];
    uint32_t draw;
    tsr_sync_pay *e;
    size_t n;
} payout_arg;

static void payout_arg_free(void *p)
{
    payout_arg *a = p;
    free(a->e);
    free(a);
}

static tsr_status apply_payouts(tsr_store_txn *txn, tsr_server *srv, void *arg)
{
    (void)srv;
    payout_arg *a = arg;
    uint64_t fresh = 0;
    tsr_status st = tsr_sync_pay_entries(txn, a->game, a->draw, a->e, a->n, &fresh);
    if (st == TSR_OK && fresh) {
        json_t *ev = json_pack("{s:s, s:I, s:I, s:I}", "game", a->game, "draw",
                               (json_int_t)a->draw, "entries", (json_int_t)a->n, "booked",
                               (json_int_t)fresh);
        st = ev ? tsr_audit_append(txn, "payouts_received", ev) : TSR_ERR_NOMEM;
        json_decref(ev);
    }
    if (st == TSR_OK)
        tsr_sync_count(a->s, 0, fresh, 0); /* counted even if the commit then fails: health only */
    return st;
}

static void pay_from_entry(tsr_sync_pay *p, const tsr_payout_entry *e)
{
    memset(p, 0, sizeof *p);
    tsr_hex_encode(p->payout_id, sizeof p->payout_id, e->payout_id, TSR_HASH_LEN);
    tsr_hex_encode(p->ticket_id, sizeof p->ticket_id, e->ticket_id, TSR_TICKET_ID_LEN);
    p->refund = e->kind == TSR_PAYOUT_KIND_REFUND;
    p->claim_centre = e->klass == TSR_PAYOUT_CLAIM_CENTRE;
    p->tier = p->refund ? -1 : e->tier;
    p->amount_cents = e->amount_cents;
    p->withheld_cents = e->withheld_cents;
}

tsr_status tsr_sync_apply_payouts(tsr_sync *s, const void *bytes, size_t len)
{
    if (!tsr_sync_central_pk(s))
        return TSR_ERR_CONFIG;
    tsr_payout_batch *b = NULL;
    tsr_status st = tsr_payout_batch_open(s->central_pk, bytes, len, &b);
    if (st == TSR_OK && strcmp(b->node, s->cfg->node_id) != 0)
        st = TSR_ERR_BATCH_NODE; /* central signed it for another node: never pay it here */
    payout_arg *a = st == TSR_OK ? calloc(1, sizeof *a) : NULL;
    if (st == TSR_OK && (!a || !(a->e = calloc(b->n ? b->n : 1, sizeof *a->e))))
        st = TSR_ERR_NOMEM;
    if (st == TSR_OK) {
        a->s = s;
        snprintf(a->game, sizeof a->game, "%s", b->game);
        a->draw = b->draw;
        a->n = b->n;
        for (uint32_t i = 0; i < b->n; i++)
            pay_from_entry(&a->e[i], &b->entries[i]);
    }
    tsr_payout_batch_destroy(b);
    if (st != TSR_OK) {
        if (a)
            payout_arg_free(a);
        return st;
    }
    return tsr_sync_run(s, "ctl_payout", apply_payouts, a, payout_arg_free,
                        "/v1/notifications");
}

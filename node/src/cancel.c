/* POST /v1/bets/<ticket>/cancel: retail only, by the selling terminal,
 * within the void window, before the cutoff, for games whose rules allow
 * it; full refund; streamed as a cancel and audited. */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "tessera/hash.h"

static const char SQL_CANCEL[] =
    "UPDATE tickets SET state = 1, cancelled_at_ns = ?2, cancel_seq = ?3 WHERE id = ?1 AND state = 0";

typedef struct cancel_ctx {
    uint8_t id[16];
    tsr_ticket t; /* filled by apply for the done hook */
} cancel_ctx;

static bool game_cancellable(const tsr_node_config *cfg, const char *game)
{
    size_t i;
    json_t *v;
    json_array_foreach(cfg->cancel_games, i, v) {
        if (strcmp(json_string_value(v), game) == 0)
            return true;
    }
    return false;
}

/* Every rule of the void, each with its own status. */
static tsr_status may_cancel(tsr_core *c, tsr_store_txn *txn, const tsr_job *job,
                             const tsr_ticket *t, const char *terminal, bool cancelled)
{
    if (!terminal[0])
        return TSR_ERR_FORBIDDEN_CALLER; /* an online ticket: not voidable at a shop */
    if (strcmp(terminal, job->caller.terminal_id) != 0)
        return TSR_ERR_NOT_SELLER;
    if (cancelled)
        return TSR_ERR_CANCELLED;
    if (!game_cancellable(c->cfg, t->game))
        return TSR_ERR_NOT_CANCELLABLE;
    tsr_clock_reading now = tsr_store_txn_now(txn);
    if (now.now_ns - t->accepted_at_ns > c->cfg->void_window_s * TSR_NS_PER_S)
        return TSR_ERR_VOID_WINDOW;
    core_token tok;
    tsr_status s = tsr_core_token_get(c, t->game, t->draw, &tok);
    if (s != TSR_OK)
        return s;
    tok.tok.sales_open_at_ns = INT64_MIN; /* advance-play tickets are voidable too */
    return tsr_cutoff_check(c->cfg, &tok, &now);
}

static tsr_status record_cancel(tsr_store_txn *txn, const tsr_job *job, const tsr_ticket *t)
{
    tsr_cancel cn;
    memset(&cn, 0, sizeof cn);
    memcpy(cn.ticket_id, t->id, 16);
    snprintf(cn.node, sizeof cn.node, "%s", t->node);
    snprintf(cn.game, sizeof cn.game, "%s", t->game);
    cn.draw = t->draw;
    cn.refund_cents = t->stake_cents;
    cn.cancelled_at_ns = tsr_store_txn_now(txn).now_ns;
    int64_t seq;
    tsr_status s = tsr_outbox_reserve(txn, &seq);
    if (s != TSR_OK)
        return s;
    cn.seq = (uint64_t)seq;
    uint8_t bytes[TSR_CANCEL_ENC_MAX];
    tsr_enc e;
    size_t len;
    tsr_enc_init(&e, bytes, sizeof bytes);
    if ((s = tsr_cancel_encode(&cn, &e)) != TSR_OK || (s = tsr_enc_finish(&e, &len)) != TSR_OK ||
        (s = tsr_outbox_put(txn, seq, TSR_OUTBOX_CANCEL, bytes, len)) != TSR_OK)
        return s;
    sqlite3_stmt *st;
    if ((s = tsr_store_stmt(tsr_store_txn_conn(txn), SQL_CANCEL, &st)) != TSR_OK)
        return s;
    sqlite3_bind_blob(st, 1, t->id, 16, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, cn.cancelled_at_ns);
    sqlite3_bind_int64(st, 3, seq);
    if ((s = tsr_store_exec_stmt(st)) != TSR_OK)
        return s;
    char id[33];
    json_t *ev = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "ticket_id",
                           tsr_hex_encode(id, sizeof id, t->id, 16), "terminal_id",
                           job->caller.terminal_id, "game", t->game, "draw", (json_int_t)t->draw,
                           "refund_cents", (json_int_t)t->stake_cents, "cancel_seq",
                           (json_int_t)seq);
    s = tsr_audit_append(txn, "bet_cancelled", ev);
    json_decref(ev);
    return s;
}

static tsr_status apply_cancel(tsr_store_txn *txn, tsr_job *job)
{
    cancel_ctx *cc = job->ctx;
    tsr_core *c = tsr_core_of(job->srv);
    tsr_receipt_sig sig;
    bool cancelled;
    int64_t player;
    char terminal[TSR_CALLER_ID_MAX];
    tsr_status s = tsr_receipt_load(tsr_store_txn_conn(txn), cc->id, &cc->t, &sig, &cancelled,
                                    &player, terminal);
    if (s == TSR_OK)
        s = may_cancel(c, txn, job, &cc->t, terminal, cancelled);
    const tsr_wallet_hooks *w = tsr_server_wallet_hooks(job->srv);
    if (s == TSR_OK && (!w || !w->refund))
        s = TSR_ERR_UNAVAILABLE;
    char id[33];
    tsr_hex_encode(id, sizeof id, cc->t.id, 16);
    tsr_bet_charge ch = {&job->caller, cc->t.game, cc->t.draw, id, cc->t.stake_cents,
                         tsr_store_txn_now(txn).now_ns};
    if (s == TSR_OK)
        s = w->refund(w->arg, txn, &ch);
    if (s == TSR_OK)
        s = record_cancel(txn, job, &cc->t);
    if (s == TSR_OK) {
        job->response = tsr_receipt_json(&cc->t, &sig, true);
        char refund[TSR_MONEY_STR_MAX];
        json_object_set_new(job->response, "refund",
                            json_string(tsr_money_format(cc->t.stake_cents, refund, sizeof refund)));
    }
    return s;
}

static void cancel_done(tsr_server *srv, tsr_job *job, bool committed)
{
    if (!committed || job->replayed)
        return;
    tsr_core *c = tsr_core_of(srv);
    const tsr_ticket *t = &((cancel_ctx *)job->ctx)->t;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n_tokens; i++) {
        core_token *k = &c->tokens[i];
        if (k->tok.draw == t->draw && strcmp(k->tok.game, t->game) == 0) {
            k->sales_count--;
            k->sales_cents -= t->stake_cents;
        }
    }
    pthread_mutex_unlock(&c->mu);
}

static const tsr_json_field CANCEL_FIELDS[] = {
    {"reason", TSR_JSON_STRING, false, 200},
};

static void handle_cancel(tsr_server *srv, tsr_request *req)
{
    (void)srv;
    json_t *body, *detail;
    tsr_status s = tsr_request_json(req, CANCEL_FIELDS, 1, &body, &detail);
    if (s != TSR_OK) {
        tsr_reply_error(req, s, detail);
        return;
    }
    cancel_ctx *cc = calloc(1, sizeof *cc);
    tsr_job *j = NULL;
    s = !cc ? TSR_ERR_NOMEM : tsr_hex_decode(cc->id, 16, req->params[0]) != TSR_OK
                                  ? TSR_ERR_NOT_FOUND : tsr_job_new(&j, "cancel", apply_cancel);
    if (s != TSR_OK) {
        free(cc);
        json_decref(body);
        tsr_reply_error(req, s, NULL);
        return;
    }
    j->ctx = cc;
    j->ctx_free = free;
    j->done = cancel_done;
    j->request = body;
    tsr_reply_submit(req, j);
}

tsr_status tsr_cancel_routes(tsr_server *srv)
{
    static const tsr_route r = {TSR_POST, "/v1/bets/<ticket>/cancel", TSR_AUTH_TERMINAL,
                                handle_cancel, 0, false};
    return tsr_server_route(srv, &r);
}

/*
 * Routes: GET /v1/wallet, POST /v1/wallet/deposits, POST
 * /v1/wallet/withdrawals, POST /v1/psp/events, PUT /v1/limits, POST
 * /v1/exclusions; and the wallet hooks the bet path charges through.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exclusions.h"
#include "limits.h"
#include "players_api.h"
#include "sales_batch.h"
#include "server_int.h"
#include "sessions.h"
#include "wallet.h"

/* Records use of the caller's session on the writer (idle timeout). */
static tsr_status touch(const tsr_accounts_state *s, tsr_store_txn *txn, const tsr_caller *c)
{
    if (!c->session[0])
        return TSR_OK;
    return tsr_session_touch(&s->acc, tsr_store_txn_conn(txn), c->session,
                             tsr_store_txn_now(txn).now_ns);
}

/* Appends the audit row of a money movement in the job's own savepoint, so
 * the row commits exactly when the movement does. Takes ev. */
static tsr_status audit_money(tsr_store_txn *txn, const char *event, json_t *ev)
{
    tsr_status st = ev ? tsr_audit_append(txn, event, ev) : TSR_ERR_NOMEM;
    json_decref(ev);
    return st;
}

/* ---- the bet path's hooks ---------------------------------------------------- */

static tsr_bettor bettor_of(const tsr_caller *c)
{
    tsr_bettor b = {0, NULL};
    if (c->kind == TSR_CALLER_PLAYER)
        b.player_id = c->player_id;
    else
        b.terminal_id = c->terminal_id;
    return b;
}

static tsr_status hook_charge(void *arg, tsr_store_txn *txn, const tsr_bet_charge *c)
{
    tsr_accounts_state *s = arg;
    if (c->caller->kind != TSR_CALLER_PLAYER) /* retail: hook_charge_retail */
        return TSR_ERR_SESSION_KIND;
    tsr_status st = touch(s, txn, c->caller);
    if (st != TSR_OK)
        return st;
    tsr_bettor b = bettor_of(c->caller);
    return tsr_wallet_debit_for_bet(&s->acc, tsr_store_txn_conn(txn), &b, c->game, c->stake,
                                    c->after, c->ticket_id, c->now_ns);
}

/* A retail sale: counted in the group's sales batch (sales_batch.h), posted
 * by the writer with the terminal's other sales of the group. The session
 * is touched after the funds check, so a refused sale writes nothing. */
static tsr_status hook_charge_retail(void *arg, tsr_store_txn *txn, const tsr_bet_charge *c)
{
    tsr_accounts_state *s = arg;
    if (c->caller->kind != TSR_CALLER_TERMINAL)
        return hook_charge(arg, txn, c);
    tsr_store_conn *db = tsr_store_txn_conn(txn);
    tsr_status st = c->after > 0 ? tsr_sales_batch_covers(s->sales, db, c->caller->terminal_id,
                                                          c->stake + c->after)
                                 : TSR_OK;
    if (st == TSR_OK)
        st = tsr_sales_batch_add(s->sales, db, c->caller->terminal_id, c->game, c->stake, c->seq);
    return st == TSR_OK ? touch(s, txn, c->caller) : st;
}

static tsr_status sales_flush(void *arg, tsr_store_txn *txn)
{
    tsr_accounts_state *s = arg;
    return tsr_sales_batch_flush(s->sales, tsr_store_txn_conn(txn), tsr_store_txn_now(txn).now_ns);
}

static size_t sales_mark(void *arg) { return tsr_sales_batch_mark(((tsr_accounts_state *)arg)->sales); }

static void sales_revert(void *arg, size_t mark)
{
    tsr_sales_batch_revert(((tsr_accounts_state *)arg)->sales, mark);
}

static tsr_status hook_refund(void *arg, tsr_store_txn *txn, const tsr_bet_charge *c)
{
    (void)arg;
    bool applied;
    tsr_bettor b = bettor_of(c->caller);
    return tsr_wallet_refund_bet(tsr_store_txn_conn(txn), &b, c->game, c->stake, c->ticket_id,
                                 c->now_ns, &applied);
}

/* ---- GET /v1/wallet ---------------------------------------------------------- */

/* A player's wallet, or for an agent's session on its terminal the
 * terminal's float (what the till's `balance` shows). */
static void wallet_get(tsr_server *srv, tsr_request *req)
{
    json_t *out = NULL;
    tsr_status st;
    if (req->caller.kind == TSR_CALLER_TERMINAL && req->caller.agent_id <= 0)
        return tsr_reply_error(req, TSR_ERR_SESSION_KIND, NULL);
    if (req->caller.kind == TSR_CALLER_TERMINAL)
        st = tsr_wallet_float_view(tsr_server_reader(srv), req->caller.terminal_id,
                                   req->caller.agent_id, &out);
    else
        st = tsr_wallet_view(tsr_server_reader(srv), req->caller.player_id, &out);
    if (st != TSR_OK)
        return tsr_reply_error(req, st, NULL);
    tsr_reply_json(req, 205, out);
}

/* ---- deposits and withdrawals ------------------------------------------------- */

typedef struct pay_ctx {
    bool withdrawal;
    tsr_cents amount;
    int64_t request_id;
} pay_ctx;

static tsr_status pay_apply(tsr_store_txn *txn, tsr_job *job)
{
    pay_ctx *c = job->ctx;
    tsr_accounts_state *s = tsr_accounts_of(job->srv);
    tsr_store_conn *db = tsr_store_txn_conn(txn);
    int64_t now = tsr_store_txn_now(txn).now_ns, pid = job->caller.player_id;
    tsr_status st = touch(s, txn, &job->caller);
    if (st == TSR_OK)
        st = c->withdrawal
                 ? tsr_wallet_withdrawal_request(db, pid, c->amount, s->cfg.psp_provider, now, &c->request_id)
                 : tsr_wallet_deposit_request(db, pid, c->amount, s->cfg.psp_provider, now, &c->request_id);
    if (st == TSR_OK)
        st = audit_money(txn, c->withdrawal ? "withdrawal_requested" : "deposit_requested",
                         json_pack("{s:I, s:I, s:I}", "player_id", (json_int_t)pid, "request_id",
                                   (json_int_t)c->request_id, "amount_cents", (json_int_t)c->amount));
    if (st != TSR_OK)
        return st;
    job->response = json_pack("{s:I, s:I, s:s}", c->withdrawal ? "withdrawal_id" : "deposit_id",
                              (json_int_t)c->request_id, "amount", (json_int_t)c->amount,
                              "state", "pending");
    return job->response ? TSR_OK : TSR_ERR_NOMEM;
}

/* The provider is created on first use: the node's plain port is bound by
 * then (a config may ask for port 0). */
static tsr_psp *provider(tsr_server *srv, tsr_accounts_state *s)
{
    if (!s->psp && strcmp(s->cfg.psp_provider, "sandbox") == 0 && s->psp_key_set) {
        tsr_status st = tsr_psp_sandbox_create(&s->psp, (uint16_t)srv->port_plain, s->psp_key, 0,
                                               s->acc.env.log);
        if (st != TSR_OK)
            tsr_log_error(s->acc.env.log, "psp_create_failed", "status=%s", tsr_status_name(st));
    }
    return s->psp;
}

/* After the commit: hand the payment to the provider (a replayed request
 * was handed over the first time). */
static void pay_done(tsr_server *srv, tsr_job *job, bool committed)
{
    pay_ctx *c = job->ctx;
    tsr_accounts_state *s = tsr_accounts_of(srv);
    if (!committed || job->replayed)
        return;
    tsr_psp *p = provider(srv, s);
    tsr_psp_start start = {c->request_id, job->caller.player_id, c->withdrawal, c->amount};
    tsr_status st = p ? p->start(p->ctx, &start) : TSR_ERR_UNAVAILABLE;
    if (st != TSR_OK)
        tsr_log_warn(s->acc.env.log, "psp_start_failed", "request=%lld status=%s",
                     (long long)c->request_id, tsr_status_name(st));
}

static const tsr_json_field pay_fields[] = {
    {"amount", TSR_JSON_INT, true, 0},
    {"idempotency_key", TSR_JSON_STRING, false, TSR_IDEM_KEY_MAX},
};

static void pay_handler(tsr_request *req, bool withdrawal)
{
    json_t *body = NULL, *detail = NULL;
    tsr_status st = tsr_request_json(req, pay_fields, 2, &body, &detail);
    if (st != TSR_OK)
        return tsr_reply_error(req, st, detail);
    json_int_t amount = json_integer_value(json_object_get(body, "amount"));
    pay_ctx *c = calloc(1, sizeof *c);
    tsr_job *job = NULL;
    if (amount <= 0 || amount > TSR_MONEY_MAX)
        st = TSR_ERR_RANGE;
    else if (!c)
        st = TSR_ERR_NOMEM;
    if (st == TSR_OK)
        st = tsr_job_new(&job, withdrawal ? "withdrawal" : "deposit", pay_apply);
    if (st == TSR_OK)
        st = tsr_accounts_take_idem(job, body);
    if (st != TSR_OK) {
        json_decref(body);
        free(c);
        tsr_job_free(job);
        return tsr_reply_field_error(req, st, "amount");
    }
    job->request = body; /* the job owns it: the idempotency hash covers it */
    c->withdrawal = withdrawal;
    c->amount = amount;
    job->ctx = c;
    job->ctx_free = free;
    job->done = pay_done;
    job->ok_code = 201;
    tsr_reply_submit(req, job);
}

static void deposit_handler(tsr_server *srv, tsr_request *req)
{
    (void)srv;
    pay_handler(req, false);
}

static void withdrawal_handler(tsr_server *srv, tsr_request *req)
{
    (void)srv;
    pay_handler(req, true);
}

/* ---- POST /v1/psp/events ------------------------------------------------------ */

typedef struct event_ctx {
    tsr_psp_event ev;
    uint8_t body_hash[TSR_HASH_LEN];
} event_ctx;

static tsr_status event_apply(tsr_store_txn *txn, tsr_job *job)
{
    event_ctx *c = job->ctx;
    bool replayed;
    char state[16] = "";
    tsr_status st = tsr_psp_event_apply(tsr_store_txn_conn(txn), &c->ev, c->body_hash,
                                        tsr_store_txn_now(txn).now_ns, &replayed, state);
    if (st == TSR_OK && !replayed)
        st = audit_money(txn, "psp_event",
                         json_pack("{s:s, s:I, s:s, s:I, s:s}", "provider_txn", c->ev.provider_txn,
                                   "request_id", (json_int_t)c->ev.request_id, "kind",
                                   c->ev.withdrawal ? "withdrawal" : "deposit", "amount_cents",
                                   (json_int_t)c->ev.amount, "state", state));
    if (st != TSR_OK)
        return st;
    job->response = json_pack("{s:s, s:I, s:s}", "provider_txn", c->ev.provider_txn, "request_id",
                              (json_int_t)c->ev.request_id, "state", state);
    return job->response ? TSR_OK : TSR_ERR_NOMEM;
}

static const tsr_json_field event_fields[] = {
    {"provider_txn", TSR_JSON_STRING, true, TSR_PSP_TXN_MAX},
    {"request_id", TSR_JSON_INT, true, 0},
    {"kind", TSR_JSON_STRING, true, 16},
    {"amount", TSR_JSON_INT, true, 0},
    {"status", TSR_JSON_STRING, true, 16},
};

/* The signature is checked over the exact bytes before anything is parsed,
 * so an unsigned sender learns nothing about our parser. */
static void event_handler(tsr_server *srv, tsr_request *req)
{
    tsr_accounts_state *s = tsr_accounts_of(srv);
    char sig[TSR_PSP_SIG_HEX_SIZE];
    if (!s->psp_key_set || tsr_request_query(req, "sig", sig, sizeof sig) != TSR_OK ||
        tsr_psp_verify(s->psp_key, req->body, req->body_len, sig) != TSR_OK)
        return tsr_reply_error(req, TSR_ERR_SIGNATURE, NULL);
    json_t *body = NULL, *detail = NULL;
    tsr_status st = tsr_request_json(req, event_fields, 5, &body, &detail);
    if (st != TSR_OK)
        return tsr_reply_error(req, st, detail);
    event_ctx *c = calloc(1, sizeof *c);
    const char *field = NULL;
    tsr_job *job = NULL;
    st = c ? tsr_psp_event_parse(body, &c->ev, &field) : TSR_ERR_NOMEM;
    json_decref(body);
    if (st == TSR_OK)
        st = tsr_job_new(&job, "psp_event", event_apply);
    if (st != TSR_OK) {
        free(c);
        return tsr_reply_field_error(req, st, field ? field : "body");
    }
    tsr_hash256(c->body_hash, req->body, req->body_len);
    job->ctx = c;
    job->ctx_free = free;
    tsr_reply_submit(req, job);
}

/* ---- PUT /v1/limits ----------------------------------------------------------- */

typedef struct limits_ctx {
    bool set[TSR_LIMIT_KINDS];
    tsr_cents amount[TSR_LIMIT_KINDS];
} limits_ctx;

static json_t *limit_json(const tsr_limit_view *v)
{
    json_t *o = json_object();
    json_object_set_new(o, "amount", v->amount == TSR_LIMIT_NONE ? json_null() : json_integer(v->amount));
    if (v->pending)
        json_object_set_new(o, "pending", json_pack("{s:o, s:I}", "amount",
            v->pending_amount == TSR_LIMIT_NONE ? json_null() : json_integer(v->pending_amount),
            "at", (json_int_t)v->pending_at_ns));
    else
        json_object_set_new(o, "pending", json_null());
    return o;
}

static tsr_status limits_apply(tsr_store_txn *txn, tsr_job *job)
{
    limits_ctx *c = job->ctx;
    tsr_accounts_state *s = tsr_accounts_of(job->srv);
    tsr_store_conn *db = tsr_store_txn_conn(txn);
    int64_t now = tsr_store_txn_now(txn).now_ns;
    tsr_limit_view v[TSR_LIMIT_KINDS];
    tsr_status st = touch(s, txn, &job->caller);
    for (int k = 0; st == TSR_OK && k < TSR_LIMIT_KINDS; k++)
        if (c->set[k])
            st = tsr_limits_set(&s->acc, db, job->caller.player_id, (tsr_limit_kind)k, c->amount[k],
                                now, &v[k]);
    if (st == TSR_OK)
        st = tsr_limits_get(db, job->caller.player_id, now, v);
    if (st != TSR_OK)
        return st;
    json_t *lim = json_object();
    for (int k = 0; k < TSR_LIMIT_KINDS; k++)
        json_object_set_new(lim, tsr_limit_kind_name((tsr_limit_kind)k), limit_json(&v[k]));
    job->response = json_pack("{s:o}", "limits", lim);
    return job->response ? TSR_OK : TSR_ERR_NOMEM;
}

static const tsr_json_field limits_fields[] = {
    {"stake_day", TSR_JSON_ANY, false, 0},
    {"stake_week", TSR_JSON_ANY, false, 0},
    {"deposit_day", TSR_JSON_ANY, false, 0},
    {"deposit_week", TSR_JSON_ANY, false, 0},
};

/* Each limit is an integer of cents >= 0, or null to remove it. */
static tsr_status limits_read(const json_t *body, limits_ctx *c, const char **field)
{
    bool any = false;
    for (int k = 0; k < TSR_LIMIT_KINDS; k++) {
        *field = tsr_limit_kind_name((tsr_limit_kind)k);
        json_t *v = json_object_get(body, *field);
        if (!v)
            continue;
        if (!json_is_null(v) && !json_is_integer(v))
            return TSR_ERR_FIELD_TYPE;
        c->amount[k] = json_is_null(v) ? TSR_LIMIT_NONE : json_integer_value(v);
        if (json_is_integer(v) && (c->amount[k] < 0 || c->amount[k] > TSR_MONEY_MAX))
            return TSR_ERR_RANGE;
        c->set[k] = any = true;
    }
    *field = "stake_day";
    return any ? TSR_OK : TSR_ERR_FIELD_MISSING;
}

static void limits_handler(tsr_server *srv, tsr_request *req)
{
    (void)srv;
    json_t *body = NULL, *detail = NULL;
    tsr_status st = tsr_request_json(req, limits_fields, 4, &body, &detail);
    if (st != TSR_OK)
        return tsr_reply_error(req, st, detail);
    limits_ctx *c = calloc(1, sizeof *c);
    const char *field = "body";
    tsr_job *job = NULL;
    st = c ? limits_read(body, c, &field) : TSR_ERR_NOMEM;
    json_decref(body);
    if (st == TSR_OK)
        st = tsr_job_new(&job, "limits", limits_apply);
    if (st != TSR_OK) {
        free(c);
        return tsr_reply_field_error(req, st, field);
    }
    job->ctx = c;
    job->ctx_free = free;
    tsr_reply_submit(req, job);
}

/* ---- POST /v1/exclusions ------------------------------------------------------ */

typedef struct excl_ctx {
    tsr_exclusion_kind kind;
    int64_t duration;
} excl_ctx;

static tsr_status excl_apply(tsr_store_txn *txn, tsr_job *job)
{
    excl_ctx *c = job->ctx;
    tsr_accounts_state *s = tsr_accounts_of(job->srv);
    int64_t end = 0;
    tsr_status st = touch(s, txn, &job->caller);
    if (st == TSR_OK)
        st = tsr_exclusions_add(&s->acc, tsr_store_txn_conn(txn), job->caller.player_id, c->kind,
                                c->duration, tsr_store_txn_now(txn).now_ns, &end);
    if (st != TSR_OK)
        return st;
    job->response = json_pack("{s:s, s:I}", "kind", tsr_exclusion_kind_name(c->kind), "until",
                              (json_int_t)end);
    return job->response ? TSR_OK : TSR_ERR_NOMEM;
}

static const tsr_json_field excl_fields[] = {
    {"kind", TSR_JSON_STRING, true, 16},
    {"days", TSR_JSON_INT, false, 0},
    {"hours", TSR_JSON_INT, false, 0},
};

/* self_exclusion takes "days", cool_off "hours"; the other is refused. */
static tsr_status excl_read(const json_t *body, excl_ctx *c, const char **field)
{
    const char *kind = json_string_value(json_object_get(body, "kind"));
    *field = "kind";
    if (strcmp(kind, "self_exclusion") == 0)
        c->kind = TSR_EXCL_SELF;
    else if (strcmp(kind, "cool_off") == 0)
        c->kind = TSR_EXCL_COOL_OFF;
    else
        return TSR_ERR_RANGE;
    *field = c->kind == TSR_EXCL_SELF ? "days" : "hours";
    const char *other = c->kind == TSR_EXCL_SELF ? "hours" : "days";
    if (json_object_get(body, other)) {
        *field = other;
        return TSR_ERR_FIELD_UNKNOWN;
    }
    json_t *d = json_object_get(body, *field);
    if (!d)
        return TSR_ERR_FIELD_MISSING;
    c->duration = json_integer_value(d);
    return TSR_OK;
}

static void excl_handler(tsr_server *srv, tsr_request *req)
{
    (void)srv;
    json_t *body = NULL, *detail = NULL;
    tsr_status st = tsr_request_json(req, excl_fields, 3, &body, &detail);
    if (st != TSR_OK)
        return tsr_reply_error(req, st, detail);
    excl_ctx *c = calloc(1, sizeof *c);
    const char *field = "kind";
    tsr_job *job = NULL;
    st = c ? excl_read(body, c, &field) : TSR_ERR_NOMEM;
    json_decref(body);
    if (st == TSR_OK)
        st = tsr_job_new(&job, "exclusion", excl_apply);
    if (st != TSR_OK) {
        free(c);
        return tsr_reply_field_error(req, st, field);
    }
    job->ctx = c;
    job->ctx_free = free;
    job->ok_code = 201;
    tsr_reply_submit(req, job);
}

/* ---- init --------------------------------------------------------------------- */

static const tsr_route routes[] = {
    {TSR_GET, "/v1/wallet", TSR_AUTH_PLAYER | TSR_AUTH_TERMINAL, wallet_get, 0, false},
    {TSR_POST, "/v1/wallet/deposits", TSR_AUTH_PLAYER, deposit_handler, 0, false},
    {TSR_POST, "/v1/wallet/withdrawals", TSR_AUTH_PLAYER, withdrawal_handler, 0, false},
    {TSR_POST, "/v1/psp/events", TSR_AUTH_ANON, event_handler, 1024, false},
    {TSR_PUT, "/v1/limits", TSR_AUTH_PLAYER, limits_handler, 0, false},
    {TSR_POST, "/v1/exclusions", TSR_AUTH_PLAYER, excl_handler, 0, false},
};

tsr_status tsr_wallet_api_init(tsr_server *srv, tsr_accounts_state *s)
{
    tsr_status st = TSR_OK;
    for (size_t i = 0; st == TSR_OK && i < sizeof routes / sizeof routes[0]; i++)
        st = tsr_server_route(srv, &routes[i]);
    tsr_wallet_hooks hooks = {hook_charge_retail, hook_refund, s};
    tsr_pending_hooks pending = {sales_flush, sales_mark, sales_revert, s};
    if (st == TSR_OK && !s->sales)
        st = tsr_sales_batch_new(&s->sales);
    if (st == TSR_OK) {
        tsr_server_set_wallet_hooks(srv, &hooks);
        tsr_server_set_pending_hooks(srv, &pending);
    }
    return st;
}

/*
 * Routes: POST /v1/claims — a terminal's agent pays a winning retail ticket,
 * named by its ticket id or by the serial and validation code printed on it
 * (the QR payload TSR1:<serial>:<check>), so any terminal of the node pays
 * it; GET /v1/claims?serial=&check= — the winner check, without paying.
 * Wrong validation codes count toward a per-terminal limit (claims_guard.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "claims_guard.h"
#include "players_api.h"
#include "tessera/clock.h"
#include "tessera/log.h"

typedef struct claim_ctx {
    char ticket_id[TSR_PAYOUT_ID_MAX + 1];
    bool by_serial;
    tsr_claim_ticket ticket; /* by_serial: the ticket found */
} claim_ctx;

static json_t *paid_detail(const tsr_claim_result *r)
{
    char when[40];
    tsr_time_format(r->paid_at_ns, when, sizeof when);
    return json_pack("{s:I, s:s, s:s}", "paid_at", (json_int_t)r->paid_at_ns, "paid_at_utc", when,
                     "terminal", r->paid_terminal);
}

/* The audit row of a paid claim, in the claim's own savepoint: the cash
 * left a till, so the chain must show which, for which ticket, by whom. */
static tsr_status audit_claim(tsr_store_txn *txn, const tsr_job *job, const claim_ctx *c,
                              const tsr_claim_result *r)
{
    json_t *ev = json_pack("{s:s, s:I, s:s, s:I}", "ticket_id", c->ticket_id, "amount_cents",
                           (json_int_t)r->amount, "terminal_id", job->caller.terminal_id,
                           "agent_id", (json_int_t)job->caller.agent_id);
    tsr_status st = ev ? tsr_audit_append(txn, "claim_paid", ev) : TSR_ERR_NOMEM;
    json_decref(ev);
    return st;
}

/* Why a found ticket pays nothing, for the till: {"state": "lost"...}. */
static json_t *no_prize_detail(tsr_store_conn *db, const claim_ctx *c)
{
    tsr_win w;
    if (!c->by_serial || tsr_claim_status(db, &c->ticket, &w) != TSR_OK)
        return NULL;
    return json_pack("{s:s}", "state", tsr_win_state_name(w.state));
}

static tsr_status claim_apply(tsr_store_txn *txn, tsr_job *job)
{
    claim_ctx *c = job->ctx;
    tsr_claim_result r;
    tsr_store_conn *db = tsr_store_txn_conn(txn);
    tsr_status st = tsr_claim_pay(db, c->ticket_id, job->caller.terminal_id, job->caller.agent_id,
                                  tsr_store_txn_now(txn).now_ns, &r);
    if (st == TSR_ERR_CLAIM_PAID)
        job->error_detail = paid_detail(&r);
    if (st == TSR_ERR_CLAIM_NO_PRIZE)
        job->error_detail = no_prize_detail(db, c);
    if (st == TSR_OK)
        st = audit_claim(txn, job, c, &r);
    if (st != TSR_OK)
        return st;
    job->response = json_pack("{s:s, s:I, s:o}", "ticket_id", c->ticket_id, "amount",
                              (json_int_t)r.amount, "paid", paid_detail(&r));
    if (job->response && c->by_serial)
        json_object_set_new(job->response, "serial", json_string(c->ticket.serial));
    return job->response ? TSR_OK : TSR_ERR_NOMEM;
}

/* ---- serial and validation code, rate-limited per terminal --------------------------- */

static void reply_rate(tsr_request *req, int64_t retry_after_ns)
{
    int64_t s = (retry_after_ns + TSR_NS_PER_S - 1) / TSR_NS_PER_S;
    tsr_reply_error(req, TSR_ERR_CLAIM_RATE, json_pack("{s:I}", "retry_after_s", (json_int_t)s));
}

static bool check_well_formed(const char *check)
{
    if (strlen(check) != TSR_CLAIM_CHECK_DIGITS)
        return false;
    for (const char *p = check; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

/* Finds the ticket of serial+check for the calling terminal, counting a
 * wrong code. Replies itself on failure (returns false). */
static bool find_presented(tsr_server *srv, tsr_request *req, const char *serial,
                           const char *check, tsr_claim_ticket *t)
{
    tsr_accounts_state *s = tsr_accounts_of(srv);
    const char *term = req->caller.terminal_id;
    int64_t now = tsr_clock_now_ns(s->acc.env.clock), retry = 0;
    if (tsr_claim_guard_check(s->claim_guard, term, now, &retry) != TSR_OK) {
        reply_rate(req, retry);
        return false;
    }
    tsr_status st = tsr_claim_find(tsr_server_reader(srv), serial, check, t);
    if (st == TSR_ERR_CLAIM_CHECK) {
        tsr_claim_guard_fail(s->claim_guard, term, now);
        tsr_log_warn(s->acc.env.log, "claim_check_wrong", "terminal=%s serial=%.40s", term, serial);
    }
    if (st == TSR_ERR_RANGE)
        tsr_reply_field_error(req, st, check_well_formed(check) ? "serial" : "check");
    else if (st != TSR_OK)
        tsr_reply_error(req, st, NULL);
    return st == TSR_OK;
}

/* ---- POST /v1/claims -------------------------------------------------------------- */

static const tsr_json_field claim_fields[] = {
    {"ticket_id", TSR_JSON_STRING, false, TSR_PAYOUT_ID_MAX},
    {"serial", TSR_JSON_STRING, false, TSR_SERIAL_MAX - 1},
    {"check", TSR_JSON_STRING, false, TSR_CLAIM_CHECK_DIGITS},
    {"idempotency_key", TSR_JSON_STRING, false, TSR_IDEM_KEY_MAX},
};

/* Exactly one way to name the ticket: ticket_id, or serial with check. */
static const char *form_error(const json_t *body, tsr_status *st)
{
    bool id = json_object_get(body, "ticket_id"), serial = json_object_get(body, "serial"),
         check = json_object_get(body, "check");
    *st = TSR_OK;
    if (id && (serial || check))
        *st = TSR_ERR_ARG;
    else if (!id && (!serial || !check))
        *st = TSR_ERR_FIELD_MISSING;
    return !id && serial ? "check" : serial ? "serial" : "ticket_id";
}

static tsr_status claim_job(const json_t *body, const tsr_claim_ticket *t, tsr_job **out)
{
    claim_ctx *c = calloc(1, sizeof *c);
    tsr_job *job = NULL;
    tsr_status st = c ? tsr_job_new(&job, "claim", claim_apply) : TSR_ERR_NOMEM;
    if (st == TSR_OK)
        st = tsr_accounts_take_idem(job, body);
    if (st != TSR_OK) {
        free(c);
        tsr_job_free(job);
        return st;
    }
    c->by_serial = t != NULL;
    if (t)
        c->ticket = *t;
    snprintf(c->ticket_id, sizeof c->ticket_id, "%s",
             t ? t->ticket_id : json_string_value(json_object_get(body, "ticket_id")));
    job->ctx = c;
    job->ctx_free = free;
    job->ok_code = 201;
    *out = job;
    return TSR_OK;
}

static void claim_handler(tsr_server *srv, tsr_request *req)
{
    if (req->caller.agent_id <= 0) /* a terminal alone is not an agent at the till */
        return tsr_reply_error(req, TSR_ERR_SESSION_KIND, NULL);
    json_t *body = NULL, *detail = NULL;
    tsr_status st = tsr_request_json(req, claim_fields, 4, &body, &detail);
    if (st != TSR_OK)
        return tsr_reply_error(req, st, detail);
    const char *field = form_error(body, &st);
    tsr_claim_ticket t;
    bool by_serial = !json_object_get(body, "ticket_id");
    if (st != TSR_OK) {
        json_decref(body);
        return tsr_reply_field_error(req, st, field);
    }
    if (by_serial && !find_presented(srv, req, json_string_value(json_object_get(body, "serial")),
                                     json_string_value(json_object_get(body, "check")), &t)) {
        json_decref(body);
        return;
    }
    tsr_job *job = NULL;
    if ((st = claim_job(body, by_serial ? &t : NULL, &job)) != TSR_OK) {
        json_decref(body);
        return tsr_reply_error(req, st, NULL);
    }
    job->request = body; /* the job owns it: the idempotency hash covers it */
    tsr_reply_submit(req, job);
}

/* ---- GET /v1/claims?serial=&check= ------------------------------------------------ */

/* What the till tells the customer. */
static void win_message(const tsr_accounts_state *s, const tsr_win *w, char *out, size_t len)
{
    char money[TSR_MONEY_STR_MAX], when[40];
    tsr_money_format(w->amount, money, sizeof money);
    switch (w->state) {
    case TSR_WIN_PENDING: snprintf(out, len, "not yet drawn"); break;
    case TSR_WIN_LOST: snprintf(out, len, "not a winner"); break;
    case TSR_WIN_PAYABLE: snprintf(out, len, "winner: pay %s in cash", money); break;
    case TSR_WIN_PAID:
        tsr_time_format(w->paid_at_ns, when, sizeof when);
        snprintf(out, len, "already paid %s at terminal %s", when, w->paid_terminal);
        break;
    case TSR_WIN_CLAIM_CENTRE: snprintf(out, len, "claim centre: go to %s", s->cfg.claim_centre); break;
    case TSR_WIN_CREDITED: snprintf(out, len, "prize credited to the player's online wallet"); break;
    case TSR_WIN_CANCELLED: snprintf(out, len, "cancelled: the stake was refunded"); break;
    case TSR_WIN_REFUNDED: snprintf(out, len, "not in the draw: the stake is refunded"); break;
    }
}

static json_t *win_json(const tsr_accounts_state *s, const tsr_claim_ticket *t, const tsr_win *w)
{
    char msg[200];
    win_message(s, w, msg, sizeof msg);
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:I}", "ticket_id",
                          t->ticket_id, "serial", t->serial, "game", t->game, "draw",
                          (json_int_t)t->draw, "state", tsr_win_state_name(w->state), "message",
                          msg, "amount", (json_int_t)w->amount, "gross", (json_int_t)w->gross,
                          "withheld", (json_int_t)w->withheld);
    if (o && w->state == TSR_WIN_PAID) {
        tsr_claim_result r = {w->amount, w->paid_at_ns, ""};
        snprintf(r.paid_terminal, sizeof r.paid_terminal, "%s", w->paid_terminal);
        json_object_set_new(o, "paid", paid_detail(&r));
    }
    if (o && w->state == TSR_WIN_CLAIM_CENTRE)
        json_object_set_new(o, "claim_centre", json_string(s->cfg.claim_centre));
    return o;
}

static void check_handler(tsr_server *srv, tsr_request *req)
{
    char serial[TSR_SERIAL_MAX + 1], check[TSR_CLAIM_CHECK_DIGITS + 2];
    if (req->caller.agent_id <= 0)
        return tsr_reply_error(req, TSR_ERR_SESSION_KIND, NULL);
    tsr_status st = tsr_request_query(req, "serial", serial, sizeof serial);
    const char *field = "serial";
    if (st == TSR_OK) {
        field = "check";
        st = tsr_request_query(req, "check", check, sizeof check);
    }
    if (st != TSR_OK)
        return tsr_reply_field_error(req, st == TSR_ERR_NOT_FOUND ? TSR_ERR_FIELD_MISSING : TSR_ERR_RANGE,
                                     field);
    tsr_claim_ticket t;
    tsr_win w;
    if (!find_presented(srv, req, serial, check, &t))
        return;
    if ((st = tsr_claim_status(tsr_server_reader(srv), &t, &w)) != TSR_OK)
        return tsr_reply_error(req, st, NULL);
    json_t *o = win_json(tsr_accounts_of(srv), &t, &w);
    if (!o)
        return tsr_reply_error(req, TSR_ERR_NOMEM, NULL);
    tsr_reply_json(req, 205, o);
}

static const tsr_route routes[] = {
    {TSR_POST, "/v1/claims", TSR_AUTH_TERMINAL, claim_handler, 0, false},
    {TSR_GET, "/v1/claims", TSR_AUTH_TERMINAL, check_handler, 0, false},
};

tsr_status tsr_claims_api_init(tsr_server *srv)
{
    tsr_accounts_state *s = tsr_accounts_of(srv);
    tsr_status st = tsr_claim_guard_create(&s->claim_guard, s->cfg.claim_check_failures_max,
                                           s->cfg.claim_check_window_s * TSR_NS_PER_S);
    for (size_t i = 0; st == TSR_OK && i < sizeof routes / sizeof routes[0]; i++)
        st = tsr_server_route(srv, &routes[i]);
    return st;
}

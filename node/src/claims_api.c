/* Route: POST /v1/claims — a terminal's agent pays a winning retail ticket. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "players_api.h"
#include "tessera/log.h"

typedef struct claim_ctx {
    char ticket_id[TSR_PAYOUT_ID_MAX + 1];
} claim_ctx;

static json_t *paid_detail(const tsr_claim_result *r)
{
    char when[40];
    tsr_time_format(r->paid_at_ns, when, sizeof when);
    return json_pack("{s:I, s:s, s:s}", "paid_at", (json_int_t)r->paid_at_ns, "paid_at_utc", when,
                     "terminal", r->paid_terminal);
}

static tsr_status claim_apply(tsr_store_txn *txn, tsr_job *job)
{
    claim_ctx *c = job->ctx;
    tsr_claim_result r;
    tsr_status st = tsr_claim_pay(tsr_store_txn_conn(txn), c->ticket_id, job->caller.terminal_id,
                                  job->caller.agent_id, tsr_store_txn_now(txn).now_ns, &r);
    if (st == TSR_ERR_CLAIM_PAID)
        job->error_detail = paid_detail(&r);
    if (st != TSR_OK)
        return st;
    job->response = json_pack("{s:s, s:I, s:o}", "ticket_id", c->ticket_id, "amount",
                              (json_int_t)r.amount, "paid", paid_detail(&r));
    return job->response ? TSR_OK : TSR_ERR_NOMEM;
}

static const tsr_json_field claim_fields[] = {
    {"ticket_id", TSR_JSON_STRING, true, TSR_PAYOUT_ID_MAX},
    {"idempotency_key", TSR_JSON_STRING, false, TSR_IDEM_KEY_MAX},
};

static void claim_handler(tsr_server *srv, tsr_request *req)
{
    (void)srv;
    if (req->caller.agent_id <= 0) /* a terminal alone is not an agent at the till */
        return tsr_reply_error(req, TSR_ERR_SESSION_KIND, NULL);
    json_t *body = NULL, *detail = NULL;
    tsr_status st = tsr_request_json(req, claim_fields, 2, &body, &detail);
    if (st != TSR_OK)
        return tsr_reply_error(req, st, detail);
    claim_ctx *c = calloc(1, sizeof *c);
    tsr_job *job = NULL;
    st = c ? tsr_job_new(&job, "claim", claim_apply) : TSR_ERR_NOMEM;
    if (st == TSR_OK)
        st = tsr_accounts_take_idem(job, body);
    if (st == TSR_OK)
        snprintf(c->ticket_id, sizeof c->ticket_id, "%s",
                 json_string_value(json_object_get(body, "ticket_id")));
    if (st != TSR_OK) {
        json_decref(body);
        free(c);
        tsr_job_free(job);
        return tsr_reply_error(req, st, NULL);
    }
    job->request = body; /* the job owns it: the idempotency hash covers it */
    job->ctx = c;
    job->ctx_free = free;
    job->ok_code = 201;
    tsr_reply_submit(req, job);
}

static const tsr_route route = {TSR_POST, "/v1/claims", TSR_AUTH_TERMINAL, claim_handler, 0, false};

tsr_status tsr_claims_api_init(tsr_server *srv) { return tsr_server_route(srv, &route); }

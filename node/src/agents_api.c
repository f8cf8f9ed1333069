/*
 * Route: GET /v1/agents/settlement?day=YYYY-MM-DD — an agent's end-of-day
 * settlement of its terminal (the terminal's `settlement` command), read
 * from the ledger on the CoAP thread's read-only connection.
 */
#include <stdio.h>
#include <string.h>

#include "agents.h"
#include "players_api.h"
#include "tessera/clock.h"

#define NS_PER_DAY (INT64_C(86400) * TSR_NS_PER_S)

static json_t *settlement_json(const char *terminal_id, const tsr_settlement *r)
{
    json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "terminal", terminal_id,
                          "day", r->day, "sales", (json_int_t)r->sales, "sales_count",
                          (json_int_t)r->sales_count, "cancels", (json_int_t)r->cancels,
                          "cancels_count", (json_int_t)r->cancels_count, "payouts",
                          (json_int_t)r->payouts, "payouts_count", (json_int_t)r->payouts_count,
                          "cash_in", (json_int_t)r->cash_in);
    json_t *more = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "cash_out", (json_int_t)r->cash_out,
                             "other", (json_int_t)r->other, "net_takings",
                             (json_int_t)r->net_takings, "net_cash_due",
                             (json_int_t)r->net_cash_due, "float_open", (json_int_t)r->float_open,
                             "float_close", (json_int_t)r->float_close);
    if (o && more && json_object_update(o, more) == 0) {
        json_decref(more);
        return o;
    }
    json_decref(o);
    json_decref(more);
    return NULL;
}

/* The day asked for (default: today, UTC), as the start of its midnight.
 * A day in the future, or older than TSR_SETTLEMENT_DAYS_BACK_MAX, is
 * TSR_ERR_RANGE; a malformed one TSR_ERR_DATE. */
static tsr_status day_of(const tsr_request *req, int64_t now_ns, int64_t *start_ns)
{
    char day[16];
    int64_t today = now_ns - now_ns % NS_PER_DAY;
    tsr_status st = tsr_request_query(req, "day", day, sizeof day);
    if (st == TSR_ERR_NOT_FOUND) {
        *start_ns = today;
        return TSR_OK;
    }
    if (st == TSR_OK)
        st = tsr_settlement_day(day, start_ns);
    else
        st = TSR_ERR_DATE; /* too long to be a date */
    if (st == TSR_OK && (*start_ns > today ||
                         *start_ns < today - TSR_SETTLEMENT_DAYS_BACK_MAX * NS_PER_DAY))
        st = TSR_ERR_RANGE;
    return st;
}

static void settlement_handler(tsr_server *srv, tsr_request *req)
{
    if (req->caller.agent_id <= 0) /* the shop's money: an agent at the till */
        return tsr_reply_error(req, TSR_ERR_SESSION_KIND, NULL);
    tsr_accounts_state *s = tsr_accounts_of(srv);
    int64_t start = 0;
    tsr_status st = day_of(req, tsr_clock_now_ns(s->acc.env.clock), &start);
    if (st != TSR_OK)
        return tsr_reply_field_error(req, st, "day");
    tsr_store_conn *db = tsr_server_reader(srv);
    tsr_settlement r;
    /* One read transaction: the sums and the balance are one snapshot. */
    if ((st = tsr_store_exec(db, "BEGIN")) == TSR_OK) {
        st = tsr_settlement_compute(db, req->caller.terminal_id, start, &r);
        tsr_status end = tsr_store_exec(db, "COMMIT");
        if (st == TSR_OK)
            st = end;
    }
    json_t *o = st == TSR_OK ? settlement_json(req->caller.terminal_id, &r) : NULL;
    if (st == TSR_OK && !o)
        st = TSR_ERR_NOMEM;
    if (st != TSR_OK)
        return tsr_reply_error(req, st, NULL);
    tsr_reply_json(req, 205, o);
}

static const tsr_route route = {TSR_GET, "/v1/agents/settlement", TSR_AUTH_TERMINAL,
                                settlement_handler, 0, false};

tsr_status tsr_agents_api_init(tsr_server *srv) { return tsr_server_route(srv, &route); }

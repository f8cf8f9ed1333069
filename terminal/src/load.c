/*
 * The load run: open loop (constant or day profile) and closed loop over
 * one client per target node, with a bounded window of requests in flight.
 *
 * Open loop measures from the intended send time: when the window is full
 * or the generator itself falls behind, the request still counts from when
 * it was meant to go, so the node's stalls are never hidden (coordinated
 * omission). The generator's own lateness is reported (max_send_lag).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "load_int.h"

#define DEFAULT_TIMEOUT_MS 1000
#define DEFAULT_WINDOW 4096
/* A cancel needs a ticket sold earlier; a claim needs a ticket id too. */
#define LATE_SEND_NS (1 * TSR_NS_PER_MS)

static const char *const op_names[TSR_OP_COUNT_] = {"bet", "history", "wallet", "ticket", "cancel",
                                                     "claim"};

const char *tsr_load_op_name(tsr_load_op op)
{
    return op < TSR_OP_COUNT_ ? op_names[op] : "?";
}

void tsr_load_opts_default(tsr_load_opts *o)
{
    memset(o, 0, sizeof *o);
    o->mode = TSR_LOAD_OPEN;
    o->rate = 1000;
    o->concurrency = 64;
    o->day_s = 600;
    o->peak = 15000;
    o->base_fraction = 2000.0 / 15000.0;
    o->surge_fraction = 0.1;
    o->duration_s = 10;
    o->max_requests = 1000000;
    o->players = 8;
    o->deposit_cents = 1000000;
    o->sessions = 1;
    o->window = DEFAULT_WINDOW;
    o->timeout_ms = DEFAULT_TIMEOUT_MS;
    o->attempts = 3;
    o->mix[TSR_OP_BET] = 100;
    o->quick_pick_pct = 30;
    o->advance_pct = 5;
    o->seed = 1;
}

static int64_t now_ns(const load_run *r) { return tsr_clock_mono_ns(r->o->clock); }

/* ---- choosing what to send --------------------------------------------------- */

static uint64_t draw(load_run *r, uint64_t bound)
{
    uint64_t v = 0;
    if (bound > 1 && tsr_rng_uniform(r->rng, bound, &v) != TSR_OK)
        v = 0;
    return v;
}

static tsr_load_op pick_op(load_run *r)
{
    uint64_t x = draw(r, r->mix_total);
    for (int op = 0; op < TSR_OP_COUNT_; op++) {
        if (x < r->o->mix[op])
            return (tsr_load_op)op;
        x -= r->o->mix[op];
    }
    return TSR_OP_BET;
}

/* The JSON text of "key": in body (a string's content, or a bare number)
 * into out; false when absent or too long. A scan, not a parse: the
 * receipts are the node's compact JSON and this runs per answer. */
static bool field_text(const uint8_t *body, size_t len, const char *key, char *out, size_t cap)
{
    char pat[40];
    int n = snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = memmem(body, len, pat, (size_t)n);
    if (!p)
        return false;
    p += n;
    const char *end = (const char *)body + len;
    bool quoted = p < end && *p == '"';
    p += quoted;
    const char *q = p;
    while (q < end && (quoted ? *q != '"' : (*q != ',' && *q != '}')))
        q++;
    if (q >= end || (size_t)(q - p) >= cap)
        return false;
    memcpy(out, p, (size_t)(q - p));
    out[q - p] = '\0';
    return true;
}

static void remember_ticket(load_run *r, const uint8_t *body, size_t len, int user)
{
    load_recent *slot = &r->recent[r->recent_head];
    if (!field_text(body, len, "ticket_id", slot->id, sizeof slot->id))
        return;
    if (!field_text(body, len, "serial", slot->serial, sizeof slot->serial))
        slot->serial[0] = '\0';
    if (!field_text(body, len, "check", slot->check, sizeof slot->check))
        slot->check[0] = '\0';
    slot->user = user;
    r->recent_head = (r->recent_head + 1) % TSR_LOAD_RECENT_MAX;
    if (r->recent_count < TSR_LOAD_RECENT_MAX)
        r->recent_count++;
}

/* The path and body of an operation on the newest ticket sold (still in
 * the void window). A cancel or claim consumes it; a check does not. */
static void build_on_ticket(load_run *r, tsr_load_op op, uint64_t key, int *user, char *path,
                            char *body, size_t *blen)
{
    int ix = (r->recent_head + TSR_LOAD_RECENT_MAX - 1) % TSR_LOAD_RECENT_MAX;
    load_recent *t = &r->recent[ix];
    *user = t->user;
    const char *tok = r->users[*user].token;
    unsigned long long seed = (unsigned long long)r->o->seed, k = (unsigned long long)key;
    if (op != TSR_OP_TICKET) {
        r->recent_count--;
        r->recent_head = ix;
    }
    if (op == TSR_OP_TICKET) {
        snprintf(path, LOAD_PATH_MAX, "/v1/bets/%s?%s", t->id, tok);
    } else if (op == TSR_OP_CANCEL) {
        snprintf(path, LOAD_PATH_MAX, "/v1/bets/%s/cancel?%s", t->id, tok);
        *blen = (size_t)snprintf(body, TSR_CLIENT_BODY_MAX, "{\"reason\":\"load test\"}");
    } else {
        /* before the draw is settled the node refuses: that refusal path
         * is what a claim under load exercises */
        snprintf(path, LOAD_PATH_MAX, "/v1/claims?%s", tok);
        *blen = (size_t)snprintf(body, TSR_CLIENT_BODY_MAX,
                                 "{\"ticket_id\":\"%s\",\"idempotency_key\":\"ld-%llu-%010llu\"}", t->id,
                                 seed, k);
    }
}

static size_t build_bet(load_run *r, uint64_t key, const char *tok, char *path, char *body)
{
    const tsr_gen_game *g = &r->games[draw(r, r->ngames)];
    bool qp = draw(r, 100) < (uint64_t)r->o->quick_pick_pct;
    int draws = draw(r, 100) < (uint64_t)r->o->advance_pct ? 2 + (int)draw(r, 3) : 1;
    char bet[TSR_GEN_BET_JSON_MAX];
    size_t n;
    if (tsr_gen_bet(g, (int)draw(r, (uint64_t)g->ntypes), qp, draws, r->rng, bet, sizeof bet, &n) != TSR_OK)
        snprintf(bet, sizeof bet, "{\"type\":\"%s\",\"quick_pick\":true}", g->types[0]);
    snprintf(path, LOAD_PATH_MAX, "/v1/bets?%s", tok);
    return (size_t)snprintf(body, TSR_CLIENT_BODY_MAX,
                            "{\"game\":\"%s\",\"bet\":%s,\"idempotency_key\":\"ld-%llu-%010llu\"}", g->id,
                            bet, (unsigned long long)r->o->seed, (unsigned long long)key);
}

/* Builds the path and body of one operation; one on a ticket with no ticket
 * sold yet becomes a bet. Returns the operation actually built. */
static tsr_load_op build(load_run *r, tsr_load_op op, int *user, char *path, char *body,
                         size_t *blen)
{
    *blen = 0;
    bool on_ticket = op == TSR_OP_CANCEL || op == TSR_OP_CLAIM || op == TSR_OP_TICKET;
    if (on_ticket && r->recent_count == 0)
        op = TSR_OP_BET;
    uint64_t key = ++r->key_seq;
    const char *tok = r->users[*user].token;
    switch (op) {
    case TSR_OP_HISTORY:
        snprintf(path, LOAD_PATH_MAX, "/v1/bets?%s&limit=10", tok);
        return op;
    case TSR_OP_WALLET:
        snprintf(path, LOAD_PATH_MAX, "/v1/wallet?%s", tok);
        return op;
    case TSR_OP_TICKET:
    case TSR_OP_CANCEL:
    case TSR_OP_CLAIM:
        build_on_ticket(r, op, key, user, path, body, blen);
        return op;
    default:
        *blen = build_bet(r, key, tok, path, body);
        return TSR_OP_BET;
    }
}

/* ---- sending and answers ------------------------------------------------------ */

static void write_receipt(load_run *r, const tsr_response *resp)
{
    if (!r->o->receipts || resp->body_len == 0)
        return;
    /* one receipt per line: the node's compact JSON never holds a newline,
     * and a body that did would break the evidence file, so it is skipped */
    if (memchr(resp->body, '\n', resp->body_len))
        return;
    fwrite(resp->body, 1, resp->body_len, r->o->receipts);
    fputc('\n', r->o->receipts);
    r->rep->receipts++;
}

static bool issue(load_run *r, int user, int64_t intended_ns);

static void on_answer(void *user, const tsr_response *resp)
{
    load_req *q = user;
    load_run *r = q->run;
    tsr_load_report *rep = r->rep;
    int64_t t = now_ns(r);
    r->last_answer_ns = t;
    if (resp->attempts > 1)
        rep->retried++;
    if (resp->code == 0) {
        rep->unanswered++;
        rep->no_answer[q->op]++;
    } else {
        rep->answered++;
        rep->by_status[q->op][resp->status < TSR_STATUS_COUNT_ ? resp->status : TSR_ERR_INTERNAL]++;
        if (q->measured)
            tsr_hist_record(rep->latency[q->op], t - q->intended_ns);
        if (resp->status == TSR_OK) {
            rep->ok[q->op]++;
            if (q->op == TSR_OP_BET) {
                write_receipt(r, resp);
                remember_ticket(r, resp->body, resp->body_len, q->user);
            }
        }
    }
    int u = q->user;
    q->used = false;
    r->free_reqs[r->nfree++] = (int)(q - r->reqs);
    r->users[u].busy = false;
    if (r->sending && r->o->mode == TSR_LOAD_CLOSED)
        (void)issue(r, u, t);
}

/* Sends one request for `user` meant at intended_ns. False when no request
 * slot is free (the window is full). */
static bool issue(load_run *r, int user, int64_t intended_ns)
{
    if (r->nfree == 0 || r->rep->sent >= r->o->max_requests)
        return false;
    int qi = r->free_reqs[--r->nfree];
    load_req *q = &r->reqs[qi];
    char path[LOAD_PATH_MAX], body[TSR_CLIENT_BODY_MAX];
    size_t blen;
    int u = user;
    tsr_load_op op = build(r, pick_op(r), &u, path, body, &blen);
    *q = (load_req){.run = r, .intended_ns = intended_ns, .user = u, .op = (uint8_t)op,
                    .measured = intended_ns >= r->warm_ns, .used = true};
    tsr_method m = op == TSR_OP_HISTORY || op == TSR_OP_WALLET || op == TSR_OP_TICKET ? TSR_METHOD_GET
                                                                                       : TSR_METHOD_POST;
    tsr_client *c = r->clients[r->users[u].target];
    tsr_status st = tsr_client_send(c, u, m, path, blen ? body : NULL, blen, r->o->attempts,
                                    on_answer, q);
    if (st != TSR_OK) { /* the client's window is full: give the slot back */
        q->used = false;
        r->free_reqs[r->nfree++] = qi;
        return false;
    }
    r->users[u].busy = true;
    r->rep->sent++;
    int64_t lag = now_ns(r) - intended_ns;
    if (lag > r->rep->max_send_lag_ns)
        r->rep->max_send_lag_ns = lag;
    return true;
}

/* Polls every client; waits up to wait_ms on the first when there is one. */
static void poll_all(load_run *r, int wait_ms)
{
    for (int i = 0; i < r->o->ntargets; i++) {
        if (tsr_client_poll(r->clients[i], i == 0 && r->o->ntargets == 1 ? wait_ms : 0) != TSR_OK)
            continue;
    }
    if (r->o->ntargets > 1 && wait_ms > 0) {
        struct timespec ts = {0, 200 * 1000}; /* several sockets: nap 0.2 ms */
        nanosleep(&ts, NULL);
    }
}

static size_t in_flight(const load_run *r) { return (size_t)(r->nreqs - r->nfree); }

static bool out_of_time(const load_run *r, int64_t t)
{
    return t - r->start_ns >= (int64_t)(r->o->duration_s * 1e9) || r->rep->sent >= r->o->max_requests;
}

static void progress(load_run *r, int64_t t, int64_t *next_ns, uint64_t *last_sent)
{
    if (!r->o->progress || t < *next_ns)
        return;
    fprintf(r->o->progress, "t=%.0fs sent=%llu (+%llu/s) answered=%llu in_flight=%zu\n",
            (double)(t - r->start_ns) / 1e9, (unsigned long long)r->rep->sent,
            (unsigned long long)(r->rep->sent - *last_sent), (unsigned long long)r->rep->answered,
            in_flight(r));
    fflush(r->o->progress);
    *last_sent = r->rep->sent;
    *next_ns += TSR_NS_PER_S;
}

/* Open loop: request k goes at sched(k), whatever happened to k-1. A full
 * window delays the send but not the intended time. */
static void run_open(load_run *r, const tsr_sched *s)
{
    uint64_t k = 0, last = 0, stalled_k = UINT64_MAX;
    int64_t next_progress = r->start_ns + TSR_NS_PER_S;
    for (;;) {
        int64_t t = now_ns(r);
        if (out_of_time(r, t))
            break;
        int64_t due = tsr_sched_at(s, k);
        if (due == INT64_MAX)
            break;
        bool full = false;
        while (due <= t) {
            if (!issue(r, r->next_user, due)) {
                full = true; /* request k waits for a free slot; its clock runs */
                if (stalled_k != k)
                    r->rep->window_stalls++;
                stalled_k = k;
                break;
            }
            r->next_user = (r->next_user + 1) % r->nusers;
            due = tsr_sched_at(s, ++k);
        }
        progress(r, t, &next_progress, &last);
        /* a full window waits for answers (1 ms) instead of spinning */
        int64_t wait = full ? 1 : (due - now_ns(r)) / TSR_NS_PER_MS;
        poll_all(r, wait > 0 ? (int)(wait > 100 ? 100 : wait) : 0);
    }
}

/* Closed loop: every user keeps one request in flight; answers send the
 * next (on_answer) until time or the request budget is up. */
static void run_closed(load_run *r)
{
    uint64_t last = 0;
    int64_t next_progress = r->start_ns + TSR_NS_PER_S;
    r->sending = true;
    for (int i = 0; i < r->o->concurrency; i++)
        (void)issue(r, i % r->nusers, now_ns(r));
    for (;;) {
        int64_t t = now_ns(r);
        if (out_of_time(r, t))
            break;
        progress(r, t, &next_progress, &last);
        poll_all(r, 10);
    }
    r->sending = false;
}

/* Waits for the answers still due: at most every attempt's timeout. */
static void drain(load_run *r)
{
    int64_t until = now_ns(r) + (r->o->timeout_ms * r->o->attempts + 1000) * TSR_NS_PER_MS;
    while (in_flight(r) > 0 && now_ns(r) < until)
        poll_all(r, 10);
}

/* ---- the run ------------------------------------------------------------------- */

static tsr_status check_opts(const tsr_load_opts *o, char *err, size_t errlen)
{
    const char *bad = NULL;
    unsigned mix = 0;
    for (int i = 0; i < TSR_OP_COUNT_; i++)
        mix += o->mix[i];
    if (o->ntargets < 1 || o->ntargets > TSR_LOAD_TARGETS_MAX)
        bad = "give 1 to 16 --target URIs";
    else if (!(o->duration_s > 0) || o->duration_s > TSR_LOAD_DURATION_MAX_S)
        bad = "--duration must be in (0, 3600] seconds";
    else if (o->max_requests < 1 || o->max_requests > TSR_LOAD_REQUESTS_MAX)
        bad = "--max-requests must be in 1..10^9";
    else if (o->players < 1 || o->players > TSR_LOAD_PLAYERS_MAX)
        bad = "--players must be in 1..10000";
    else if (o->window < 1 || o->window > TSR_CLIENT_PENDING_MAX)
        bad = "--window must be in 1..16384";
    else if (o->attempts < 1 || o->attempts > TSR_CLIENT_ATTEMPTS_MAX || o->timeout_ms < 1)
        bad = "--attempts must be in 1..64 and --timeout-ms positive";
    else if (mix == 0)
        bad = "--mix gives every operation a zero weight";
    else if (o->mode == TSR_LOAD_CLOSED && (o->concurrency < 1 || o->concurrency > o->window))
        bad = "--concurrency must be in 1..window";
    else if (o->warmup_s < 0 || o->warmup_s >= o->duration_s)
        bad = "--warmup must be shorter than --duration";
    if (bad && err)
        snprintf(err, errlen, "%s", bad);
    return bad ? TSR_ERR_ARG : TSR_OK;
}

static tsr_status open_clients(load_run *r, char *err, size_t errlen)
{
    for (int i = 0; i < r->o->ntargets; i++) {
        tsr_client_opts co = {.uri = r->o->targets[i], .psk = r->o->psk,
                              .sessions = r->o->sessions, .confirmable = r->o->confirmable,
                              .loopback_only = true, /* never anything but this machine */
                              .attempt_timeout_ms = r->o->timeout_ms,
                              .max_pending = r->o->window, .clock = r->o->clock};
        tsr_status st = tsr_client_create(&r->clients[i], &co, err, errlen);
        if (st != TSR_OK)
            return st;
    }
    return TSR_OK;
}

static tsr_status alloc_run(load_run *r)
{
    r->nreqs = r->o->window * r->o->ntargets;
    r->reqs = calloc((size_t)r->nreqs, sizeof *r->reqs);
    r->free_reqs = calloc((size_t)r->nreqs, sizeof *r->free_reqs);
    r->users = calloc((size_t)r->o->players, sizeof *r->users);
    if (!r->reqs || !r->free_reqs || !r->users)
        return TSR_ERR_NOMEM;
    for (int i = r->nreqs - 1; i >= 0; i--)
        r->free_reqs[r->nfree++] = i;
    for (int op = 0; op < TSR_OP_COUNT_; op++) {
        r->mix_total += r->o->mix[op];
        if (tsr_hist_create(&r->rep->latency[op]) != TSR_OK)
            return TSR_ERR_NOMEM;
    }
    return tsr_rng_seeded_create(&r->rng, r->o->seed);
}

static void free_run(load_run *r)
{
    for (int i = 0; i < r->o->ntargets; i++)
        tsr_client_destroy(r->clients[i]); /* fails what is still open, counted */
    tsr_rng_destroy(r->rng);
    free(r->reqs);
    free(r->free_reqs);
    free(r->users);
}

static tsr_status make_schedule(load_run *r, tsr_sched **s)
{
    if (r->o->mode == TSR_LOAD_DAY)
        return tsr_sched_day(s, r->start_ns, r->o->day_s, r->o->peak, r->o->base_fraction,
                             r->o->surge_fraction);
    return tsr_sched_constant(s, r->start_ns, r->o->rate);
}

static tsr_status run_phase(load_run *r, char *err, size_t errlen)
{
    r->start_ns = now_ns(r);
    r->warm_ns = r->start_ns + (int64_t)(r->o->warmup_s * 1e9);
    tsr_sched *s = NULL;
    if (r->o->mode == TSR_LOAD_CLOSED) {
        run_closed(r);
    } else {
        tsr_status st = make_schedule(r, &s);
        if (st != TSR_OK) {
            snprintf(err, errlen, "%s", "the rate or day profile is out of range");
            return st;
        }
        run_open(r, s);
    }
    r->rep->send_s = (double)(now_ns(r) - r->start_ns) / 1e9;
    drain(r);
    tsr_sched_destroy(s);
    r->rep->elapsed_s = (double)(r->last_answer_ns - r->start_ns) / 1e9;
    if (r->rep->elapsed_s < r->rep->send_s)
        r->rep->elapsed_s = r->rep->send_s;
    return TSR_OK;
}

tsr_status tsr_load_run(const tsr_load_opts *o, tsr_load_report *rep, char *err, size_t errlen)
{
    if (!o || !rep)
        return TSR_ERR_ARG;
    memset(rep, 0, sizeof *rep);
    char dummy[8];
    if (!err) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    tsr_status st = check_opts(o, err, errlen);
    if (st != TSR_OK)
        return st;
    load_run *r = calloc(1, sizeof *r);
    if (!r)
        return TSR_ERR_NOMEM;
    r->o = o;
    r->rep = rep;
    st = alloc_run(r);
    if (st == TSR_OK)
        st = open_clients(r, err, errlen);
    if (st == TSR_OK)
        st = load_setup(r, err, errlen);
    if (st != TSR_OK)
        snprintf(rep->setup_error, sizeof rep->setup_error, "%s", err);
    if (st == TSR_OK)
        st = run_phase(r, err, errlen);
    free_run(r);
    free(r);
    return st;
}

void tsr_load_report_free(tsr_load_report *rep)
{
    if (!rep)
        return;
    for (int op = 0; op < TSR_OP_COUNT_; op++) {
        tsr_hist_destroy(rep->latency[op]);
        rep->latency[op] = NULL;
    }
}

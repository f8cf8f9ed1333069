/* The sync module: state, relay start/stop, writer jobs the relay thread
 * waits for, health. See sync_node.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server_int.h"
#include "sync_node.h"
#include "tessera/log.h"


/* One writer job the relay thread waits for. Two references: the waiter
 * and the job (dropped by its ctx_free), so a waiter that timed out never
 * frees what the writer still uses. */
typedef struct sync_call {
    tsr_sync *s;
    int refs;
    bool finished;
    tsr_status st;
    tsr_sync_apply_fn fn;
    void *arg;
    void (*arg_free)(void *);
    char notify[TSR_CORE_PATH_MAX]; /* observable path to mark changed; "" for none */
} sync_call;

tsr_sync *tsr_sync_of(const tsr_server *srv) { return tsr_server_module_state(srv, "sync"); }
tsr_server *tsr_sync_server(tsr_sync *s) { return s->srv; }
const uint8_t *tsr_sync_central_pk(tsr_sync *s) { return s->have_central ? s->central_pk : NULL; }

void tsr_sync_count(tsr_sync *s, uint64_t applied, uint64_t payouts, uint64_t results)
{
    pthread_mutex_lock(&s->mu);
    s->counters.controls_applied += applied;
    s->counters.payouts_applied += payouts;
    s->counters.results_applied += results;
    pthread_mutex_unlock(&s->mu);
}

void tsr_sync_get_counters(tsr_sync *s, tsr_sync_counters *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->counters;
    pthread_mutex_unlock(&s->mu);
}

tsr_status tsr_sync_refuse(tsr_sync *s, tsr_ctl_kind kind, tsr_status st, const char *why)
{
    pthread_mutex_lock(&s->mu);
    s->counters.controls_refused++;
    pthread_mutex_unlock(&s->mu);
    const char *k = tsr_ctl_kind_name(kind);
    tsr_log_error(tsr_server_env(s->srv)->log, "sync_control_refused",
                  "alarm=true kind=%s status=%s why=\"%s\"", k ? k : "?", tsr_status_name(st),
                  why ? why : tsr_status_str(st));
    return st;
}

/* ---- writer jobs the relay thread waits for ----------------------------------- */

static void call_unref(sync_call *c)
{
    tsr_sync *s = c->s;
    pthread_mutex_lock(&s->mu);
    bool last = --c->refs == 0;
    pthread_mutex_unlock(&s->mu);
    if (!last)
        return;
    if (c->arg_free)
        c->arg_free(c->arg);
    free(c);
}

static void call_ctx_free(void *ctx) { call_unref(ctx); }

static tsr_status call_apply(tsr_store_txn *txn, tsr_job *job)
{
    sync_call *c = job->ctx;
    return c->fn(txn, job->srv, c->arg);
}

/* CoAP thread, after the group's COMMIT: wake the waiter. */
static void call_done(tsr_server *srv, tsr_job *job, bool committed)
{
    sync_call *c = job->ctx;
    if (committed && c->notify[0]) {
        tsr_status n = tsr_server_notify(srv, c->notify);
        (void)n; /* no observer route for this path: nothing to tell */
    }
    pthread_mutex_lock(&c->s->mu);
    c->finished = true;
    c->st = committed ? TSR_OK : job->status != TSR_OK ? job->status : TSR_ERR_IO;
    pthread_cond_broadcast(&c->s->cv);
    pthread_mutex_unlock(&c->s->mu);
}

static struct timespec deadline_in(int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts); /* pthread_cond_timedwait's clock, not a time source */
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static tsr_status call_wait(sync_call *c)
{
    tsr_sync *s = c->s;
    struct timespec until = deadline_in(TSR_SYNC_JOB_WAIT_MS);
    pthread_mutex_lock(&s->mu);
    int rc = 0;
    while (!c->finished && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&s->cv, &s->mu, &until);
    tsr_status st = c->finished ? c->st : TSR_ERR_TIMEOUT;
    pthread_mutex_unlock(&s->mu);
    return st;
}

tsr_status tsr_sync_run(tsr_sync *s, const char *kind, tsr_sync_apply_fn fn, void *arg,
                        void (*arg_free)(void *), const char *notify)
{
    sync_call *c = calloc(1, sizeof *c);
    tsr_job *j = NULL;
    tsr_status st = c ? tsr_job_new(&j, kind, call_apply) : TSR_ERR_NOMEM;
    if (st != TSR_OK) {
        free(c);
        if (arg_free)
            arg_free(arg);
        return st;
    }
    *c = (sync_call){.s = s, .refs = 2, .fn = fn, .arg = arg, .arg_free = arg_free};
    snprintf(c->notify, sizeof c->notify, "%s", notify ? notify : "");
    j->ctx = c;
    j->ctx_free = call_ctx_free;
    j->done = call_done;
    /* On refusal the server frees the job, dropping the job's reference. */
    st = tsr_server_submit_internal(s->srv, j);
    if (st == TSR_OK)
        st = call_wait(c);
    call_unref(c);
    return st;
}

/* ---- relay lifecycle ------------------------------------------------------------- */

static tsr_status control_op(void *ctx, tsr_ctl_kind kind, const void *bytes, size_t len)
{
    return tsr_sync_control(ctx, kind, bytes, len);
}

/* CoAP thread tick: the writer runs by now, so the relay's first batch
 * boundary can be written. Tried once; a failure is logged and the node
 * keeps selling into its outbox (it streams after a restart). */
static void start_tick(tsr_server *srv, void *arg)
{
    tsr_sync *s = arg;
    (void)srv;
    if (s->relay_tried || !s->cfg->nats_url[0])
        return;
    s->relay_tried = true;
    tsr_relay_ops ops = tsr_sync_relay_ops(s);
    ops.control = control_op;
    tsr_relay_opts o = {.node = s->cfg->node_id, .nats_url = s->cfg->nats_url,
                        .node_key = tsr_server_node_key(s->srv), .central_pk = s->central_pk,
                        .beacon_keys = s->core->authority, .ops = ops,
                        .env = tsr_server_env(s->srv), .time_bound_ms = s->cfg->beacon_bound_ms};
    tsr_relay *r = NULL;
    tsr_status st = tsr_relay_start(&r, &o);
    tsr_log_write(tsr_server_env(s->srv)->log, st == TSR_OK ? TSR_LOG_INFO : TSR_LOG_ERROR,
                  st == TSR_OK ? "relay_started" : "relay_start_failed",
                  "nats_url=%s status=%s", s->cfg->nats_url, tsr_status_name(st));
    pthread_mutex_lock(&s->mu);
    s->relay = st == TSR_OK ? r : NULL;
    pthread_mutex_unlock(&s->mu);
}

void tsr_sync_stop(tsr_server *srv)
{
    tsr_sync *s = srv ? tsr_sync_of(srv) : NULL;
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    tsr_relay *r = s->relay;
    s->relay = NULL;
    pthread_mutex_unlock(&s->mu);
    if (r) {
        tsr_relay_stop(r);
        tsr_log_info(tsr_server_env(srv)->log, "relay_stopped", "node=%s", s->cfg->node_id);
    }
}

static tsr_status pin_central(tsr_sync *s)
{
    if (!s->cfg->central_key[0]) {
        if (s->cfg->nats_url[0]) {
            tsr_log_error(tsr_server_env(s->srv)->log, "sync_config",
                          "why=\"nats_url needs central_key: receipts are checked against it\"");
            return TSR_ERR_CONFIG;
        }
        return TSR_OK;
    }
    tsr_status st = tsr_key_read_public(s->cfg->central_key, s->central_pk);
    if (st != TSR_OK)
        tsr_log_error(tsr_server_env(s->srv)->log, "pin_refused", "file=%s status=%s",
                      s->cfg->central_key, tsr_status_name(st));
    s->have_central = st == TSR_OK;
    return st;
}

static tsr_status sync_init(tsr_server *srv, const json_t *section)
{
    (void)section;
    tsr_sync *s = calloc(1, sizeof *s);
    if (!s)
        return TSR_ERR_NOMEM;
    s->srv = srv;
    s->core = tsr_core_of(srv);
    s->cfg = tsr_server_config(srv);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    tsr_status st = tsr_server_set_module_state(srv, "sync", s);
    if (st != TSR_OK) {
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return st;
    }
    if (!s->core)
        return TSR_ERR_INTERNAL; /* the core module always initialises first */
    if ((st = pin_central(s)) != TSR_OK)
        return st;
    if ((st = tsr_store_reader_open(tsr_server_store(srv), &s->reader)) != TSR_OK)
        return st;
    return tsr_server_add_tick(srv, start_tick, s);
}

static void sync_fini(tsr_server *srv)
{
    tsr_sync *s = tsr_sync_of(srv);
    if (!s)
        return;
    tsr_sync_stop(srv);
    tsr_store_reader_close(s->reader);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

const tsr_node_module tsr_sync_module = {"sync", sync_init, sync_fini};

/* ---- health and sales gate -------------------------------------------------------- */

bool tsr_sync_time_ok(tsr_server *srv)
{
    tsr_sync *s = srv ? tsr_sync_of(srv) : NULL;
    if (!s)
        return true;
    pthread_mutex_lock(&s->mu);
    bool ok = !s->relay || tsr_relay_time_ok(s->relay);
    pthread_mutex_unlock(&s->mu);
    return ok;
}

static json_t *relay_json(tsr_sync *s, tsr_relay *r, bool *time_ok)
{
    tsr_relay_stats st;
    tsr_relay_get_stats(r, &st);
    int64_t last = 0;
    tsr_store_conn *db = tsr_server_reader(s->srv); /* CoAP thread: the server's reader */
    if (tsr_outbox_last_seq(db, &last) != TSR_OK)
        last = -1;
    *time_ok = st.time_ok;
    return json_pack("{s:b, s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "running", true,
                     "connected", st.connected, "time_ok", st.time_ok, "beacon_skew_ns",
                     (json_int_t)st.beacon_skew_ns, "last_seq", (json_int_t)last, "released_seq",
                     (json_int_t)st.released_seq, "outbox_lag",
                     (json_int_t)(last >= 0 ? (uint64_t)last - st.released_seq : 0), "published",
                     (json_int_t)st.published, "receipts", (json_int_t)st.receipts,
                     "receipts_rejected", (json_int_t)st.receipt_rejected, "beacons",
                     (json_int_t)st.beacons);
}

void tsr_sync_health(tsr_server *srv, json_t *health, json_t *reasons)
{
    tsr_sync *s = srv ? tsr_sync_of(srv) : NULL;
    if (!s)
        return;
    tsr_sync_counters c;
    tsr_sync_get_counters(s, &c);
    pthread_mutex_lock(&s->mu);
    bool time_ok = true;
    json_t *j = s->relay ? relay_json(s, s->relay, &time_ok)
                         : json_pack("{s:b, s:b}", "running", false, "configured",
                                     s->cfg->nats_url[0] != '\0');
    int64_t last_release = s->last_release_ns;
    pthread_mutex_unlock(&s->mu);
    if (!j)
        return;
    json_object_set_new(j, "last_receipt_at_ns",
                        last_release ? json_integer((json_int_t)last_release) : json_null());
    json_object_set_new(j, "controls_applied", json_integer((json_int_t)c.controls_applied));
    json_object_set_new(j, "controls_refused", json_integer((json_int_t)c.controls_refused));
    json_object_set_new(j, "payouts_applied", json_integer((json_int_t)c.payouts_applied));
    json_object_set_new(j, "results_applied", json_integer((json_int_t)c.results_applied));
    json_object_set_new(health, "relay", j);
    if (!time_ok && reasons)
        json_array_append_new(reasons, json_string("central's time beacons disagree with the node "
                                                   "clock beyond beacon_bound_ms: no sales"));
}

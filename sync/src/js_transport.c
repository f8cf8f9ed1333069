/* The cnats 3.4 JetStream wrapper; see transport.h for the rules it keeps. */
#include <nats/nats.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tessera/transport.h"

/* Stream limits. Tickets and seals are kept a week: central reads them within
 * seconds, the rest is an audit and recovery margin. Receipts, replay and
 * control keep a week too (a node offline for days still catches up).
 * Beacons and status keep only the latest per subject. */
#define WEEK_NS (INT64_C(7) * 24 * 3600 * 1000000000)
/* Dedup window: long enough to cover a relay's reconnect-and-resend after a
 * broker restart or a network partition of several minutes. */
#define DEDUP_NS (INT64_C(20) * 60 * 1000000000)
#define BEACON_AGE_NS (INT64_C(3600) * 1000000000)

/* How long tsr_js_close waits for cnats to report the connection closed. */
#define CLOSE_WAIT_S 5

struct tsr_js {
    natsConnection *nc;
    jsCtx *js;
    tsr_log *log;
    int64_t timeout_ms, reconnect_min_ms, reconnect_max_ms;
    int max_pending;
    pthread_mutex_t mu;
    pthread_cond_t closed_cv; /* signalled by on_closed */
    bool closed;
    uint64_t reconnects;
    size_t inflight;
    tsr_js_ack ring[TSR_JS_ASYNC_MAX];
    size_t ring_head, ring_len;
    tsr_js_stream_spec specs[7];
    /* Closed subscriptions, freed only once the connection is closed. */
    natsSubscription **retired;
    size_t retired_len, retired_cap;
};

struct tsr_js_pull {
    tsr_js *js;
    natsSubscription *sub;
};

struct tsr_js_sub {
    tsr_js *js;
    natsSubscription *sub;
};

static tsr_status map(natsStatus s)
{
    switch (s) {
    case NATS_OK: return TSR_OK;
    case NATS_TIMEOUT: return TSR_ERR_TIMEOUT;
    case NATS_NO_MEMORY: return TSR_ERR_NOMEM;
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NOT_YET_CONNECTED:
    case NATS_NO_SERVER:
    case NATS_NO_RESPONDERS:
    case NATS_STALE_CONNECTION:
    case NATS_INSUFFICIENT_BUFFER: return TSR_ERR_UNAVAILABLE;
    case NATS_MAX_PAYLOAD: return TSR_ERR_TOO_LARGE;
    default: return TSR_ERR_JS;
    }
}

static void on_reconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    tsr_js *js = closure;
    pthread_mutex_lock(&js->mu);
    js->reconnects++;
    pthread_mutex_unlock(&js->mu);
    tsr_log_info(js->log, "nats_reconnected", NULL);
}

/* A first connect that failed and then succeeded in the background. Being
 * set is what makes the connect asynchronous: with no callback, cnats's
 * natsConnection_Connect blocks until a server answers (forever with
 * MaxReconnect -1), so a node started while NATS is down never served. */
static void on_connected(natsConnection *nc, void *closure)
{
    (void)nc;
    tsr_js *js = closure;
    tsr_log_info(js->log, "nats_connected", "after=background_retry");
}

static void on_disconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    tsr_js *js = closure;
    tsr_log_warn(js->log, "nats_disconnected", NULL);
}

/* cnats's last callback for a connection: after it, no callback touches
 * js any more, so tsr_js_close may free it. */
static void on_closed(natsConnection *nc, void *closure)
{
    (void)nc;
    tsr_js *js = closure;
    pthread_mutex_lock(&js->mu);
    js->closed = true;
    pthread_cond_signal(&js->closed_cv);
    pthread_mutex_unlock(&js->mu);
}

/* Doubling backoff from min to max; cnats calls this before every attempt
 * and MaxReconnect -1 makes it try forever. */
static int64_t reconnect_delay(natsConnection *nc, int attempts, void *closure)
{
    (void)nc;
    tsr_js *js = closure;
    int64_t d = js->reconnect_min_ms;
    for (int i = 1; i < attempts && d < js->reconnect_max_ms; i++)
        d *= 2;
    return d < js->reconnect_max_ms ? d : js->reconnect_max_ms;
}

/* Called by cnats for every async publish: success, server error or
 * MaxWait timeout. With an AckHandler set, cnats hands us the message and we
 * must destroy it. */
static void on_ack(jsCtx *jctx, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
    (void)jctx;
    tsr_js *js = closure;
    tsr_js_ack a = {.status = TSR_OK};
    const char *id = NULL;
    if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) == NATS_OK && id)
        snprintf(a.msg_id, sizeof a.msg_id, "%s", id);
    if (pae)
        a.status = pae->Err == NATS_OK ? TSR_ERR_JS : map(pae->Err);
    else if (pa)
        a.duplicate = pa->Duplicate;
    natsMsg_Destroy(msg);
    pthread_mutex_lock(&js->mu);
    if (js->inflight > 0)
        js->inflight--;
    /* The ring holds TSR_JS_ASYNC_MAX results and publish refuses when
     * inflight + queued would exceed it, so this never overwrites. */
    size_t slot = (js->ring_head + js->ring_len) % TSR_JS_ASYNC_MAX;
    js->ring[slot] = a;
    if (js->ring_len < TSR_JS_ASYNC_MAX)
        js->ring_len++;
    pthread_mutex_unlock(&js->mu);
}

static tsr_status apply_opts(tsr_js *js, const tsr_js_opts *o)
{
    js->log = o->log;
    js->timeout_ms = o->timeout_ms ? o->timeout_ms : 5000;
    js->reconnect_min_ms = o->reconnect_min_ms ? o->reconnect_min_ms : 100;
    js->reconnect_max_ms = o->reconnect_max_ms ? o->reconnect_max_ms : 2000;
    js->max_pending = o->max_pending ? o->max_pending : 256;
    if (!o->url || js->timeout_ms < 0 || js->reconnect_min_ms < 1 ||
        js->reconnect_max_ms < js->reconnect_min_ms || js->max_pending < 1 ||
        js->max_pending > TSR_JS_ASYNC_MAX)
        return TSR_ERR_ARG;
    return TSR_OK;
}

static natsStatus make_nats_opts(tsr_js *js, const tsr_js_opts *o, natsOptions **out)
{
    natsOptions *no = NULL;
    natsStatus s = natsOptions_Create(&no);
    if (s == NATS_OK) s = natsOptions_SetServers(no, (const char *[]){o->url}, 1);
    if (s == NATS_OK && strchr(o->url, ',')) s = natsOptions_SetURL(no, o->url);
    if (s == NATS_OK && o->name) s = natsOptions_SetName(no, o->name);
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(no, -1);
    if (s == NATS_OK) s = natsOptions_SetCustomReconnectDelay(no, reconnect_delay, js);
    if (s == NATS_OK) s = natsOptions_SetReconnectedCB(no, on_reconnected, js);
    if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(no, on_disconnected, js);
    if (s == NATS_OK) s = natsOptions_SetClosedCB(no, on_closed, js);
    if (s == NATS_OK) s = natsOptions_SetTimeout(no, js->timeout_ms);
    if (s == NATS_OK) s = natsOptions_SetMaxPendingMsgs(no, TSR_JS_SUB_PENDING_MAX);
    if (s == NATS_OK && o->background_connect)
        s = natsOptions_SetRetryOnFailedConnect(no, true, on_connected, js);
    if (s != NATS_OK)
        natsOptions_Destroy(no);
    else
        *out = no;
    return s;
}

static tsr_status open_jetstream(tsr_js *js)
{
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = js->timeout_ms;
    jo.PublishAsync.MaxPending = js->max_pending;
    jo.PublishAsync.AckHandler = on_ack;
    jo.PublishAsync.AckHandlerClosure = js;
    jo.PublishAsync.StallWait = 1; /* a full window is BUSY for the caller, not a stall */
    return map(natsConnection_JetStream(&js->js, js->nc, &jo));
}

tsr_status tsr_js_connect(tsr_js **out, const tsr_js_opts *o)
{
    *out = NULL;
    if (!o)
        return TSR_ERR_ARG;
    tsr_js *js = calloc(1, sizeof *js);
    if (!js)
        return TSR_ERR_NOMEM;
    pthread_mutex_init(&js->mu, NULL);
    pthread_cond_init(&js->closed_cv, NULL);
    tsr_status st = apply_opts(js, o);
    natsOptions *no = NULL;
    if (st == TSR_OK)
        st = map(make_nats_opts(js, o, &no));
    if (st == TSR_OK) {
        natsStatus ns = natsConnection_Connect(&js->nc, no);
        if (ns == NATS_NOT_YET_CONNECTED && o->background_connect)
            ns = NATS_OK;
        st = ns == NATS_OK ? TSR_OK : map(ns) == TSR_ERR_JS ? TSR_ERR_UNAVAILABLE : map(ns);
    }
    natsOptions_Destroy(no);
    if (st == TSR_OK)
        st = open_jetstream(js);
    if (st != TSR_OK) {
        tsr_log_warn(o->log, "nats_connect_failed", "url=%s status=%s", o->url,
                     tsr_status_name(st));
        tsr_js_close(js);
        return st;
    }
    *out = js;
    return TSR_OK;
}

/* cnats 3.4.1 takes a subscription from its table and locks it with no
 * reference held: a subscription destroyed while the connection's reader
 * thread holds a message for it is read after free (a crash in CI; fixed
 * upstream in nats.c 0a7dd28b). So a closed subscription is only parked
 * here, and destroyed by tsr_js_close after the reader thread is gone. If
 * the list cannot grow the subscription is leaked: never freed early. */
static void retire_sub(tsr_js *js, natsSubscription *sub)
{
    pthread_mutex_lock(&js->mu);
    if (js->retired_len == js->retired_cap) {
        size_t cap = js->retired_cap ? js->retired_cap * 2 : 8;
        natsSubscription **grown = realloc(js->retired, cap * sizeof *grown);
        if (grown) {
            js->retired = grown;
            js->retired_cap = cap;
        }
    }
    if (js->retired_len < js->retired_cap)
        js->retired[js->retired_len++] = sub;
    pthread_mutex_unlock(&js->mu);
}

static void destroy_retired(tsr_js *js)
{
    for (size_t i = 0; i < js->retired_len; i++)
        natsSubscription_Destroy(js->retired[i]);
    free(js->retired);
    js->retired = NULL;
    js->retired_len = js->retired_cap = 0;
}

void tsr_js_close(tsr_js *js)
{
    if (!js)
        return;
    if (js->js)
        jsCtx_Destroy(js->js);
    if (js->nc) {
        natsConnection_Close(js->nc);
        /* The disconnected and closed callbacks run later on cnats's own
         * thread and use js: wait for the closed one before freeing
         * (found by ASan as a use after free in on_disconnected). */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += CLOSE_WAIT_S;
        pthread_mutex_lock(&js->mu);
        int rc = 0;
        while (!js->closed && rc == 0)
            rc = pthread_cond_timedwait(&js->closed_cv, &js->mu, &until);
        bool closed = js->closed;
        pthread_mutex_unlock(&js->mu);
        if (closed)
            destroy_retired(js); /* the reader thread is gone */
        natsConnection_Destroy(js->nc);
        if (!closed) {
            tsr_log_error(js->log, "nats_close_stuck", "seconds=%d: left allocated", CLOSE_WAIT_S);
            return; /* a late callback must find valid memory: leak rather than crash */
        }
    }
    pthread_cond_destroy(&js->closed_cv);
    pthread_mutex_destroy(&js->mu);
    free(js);
}

bool tsr_js_connected(tsr_js *js)
{
    return js && js->nc && natsConnection_Status(js->nc) == NATS_CONN_STATUS_CONNECTED;
}

uint64_t tsr_js_reconnects(tsr_js *js)
{
    pthread_mutex_lock(&js->mu);
    uint64_t r = js->reconnects;
    pthread_mutex_unlock(&js->mu);
    return r;
}

/* ---- streams ---------------------------------------------------------------- */

const tsr_js_stream_spec *tsr_js_tessera_streams(int replicas, size_t *n)
{
    static tsr_js_stream_spec t[7];
    const tsr_js_stream_spec base[7] = {
        {TSR_STREAM_TICKETS, TSR_SUBJ_TICKETS_ALL, 1, WEEK_NS, -1, -1, DEDUP_NS},
        {TSR_STREAM_SEALS, TSR_SUBJ_SEALS_ALL, 1, WEEK_NS, -1, -1, DEDUP_NS},
        {TSR_STREAM_RECEIPTS, "tsr.receipts.>", 1, WEEK_NS, -1, -1, DEDUP_NS},
        {TSR_STREAM_CTL, "tsr.ctl.>", 1, WEEK_NS, -1, -1, DEDUP_NS},
        {TSR_STREAM_REPLAY, "tsr.replay.>", 1, WEEK_NS, -1, -1, DEDUP_NS},
        {TSR_STREAM_BEACONS, TSR_SUBJ_BEACON, 1, BEACON_AGE_NS, -1, 1, DEDUP_NS},
        {TSR_STREAM_STATUS, TSR_SUBJ_STATUS_ALL, 1, WEEK_NS, -1, 1, DEDUP_NS},
    };
    for (int i = 0; i < 7; i++) {
        t[i] = base[i];
        t[i].replicas = replicas;
    }
    *n = 7;
    return t;
}

static void fill_stream_config(jsStreamConfig *c, const tsr_js_stream_spec *s,
                               const char **subjects)
{
    jsStreamConfig_Init(c);
    subjects[0] = s->subject;
    c->Name = s->name;
    c->Subjects = subjects;
    c->SubjectsLen = 1;
    c->Retention = js_LimitsPolicy;
    c->Storage = js_FileStorage;
    c->Replicas = s->replicas;
    c->MaxAge = s->max_age_ns;
    c->MaxBytes = s->max_bytes;
    c->MaxMsgsPerSubject = s->max_msgs_per_subject;
    c->Duplicates = s->duplicate_window_ns;
    c->MaxMsgSize = TSR_JS_MSG_MAX;
    c->Discard = js_DiscardOld;
}

tsr_status tsr_js_stream_ensure(tsr_js *js, const tsr_js_stream_spec *s)
{
    if (!js || !s || !s->name || !s->subject || (s->replicas != 1 && s->replicas != 3))
        return TSR_ERR_ARG;
    jsStreamConfig c;
    const char *subjects[1];
    fill_stream_config(&c, s, subjects);
    jsErrCode ec = 0;
    jsStreamInfo *si = NULL;
    natsStatus ns = js_AddStream(&si, js->js, &c, NULL, &ec);
    if (ns == NATS_OK) {
        jsStreamInfo_Destroy(si);
        return TSR_OK;
    }
    if (ec != JSStreamNameExistErr)
        return map(ns);
    /* It exists with another config: update what may change (limits,
     * replicas); the server refuses storage or retention changes. */
    ns = js_UpdateStream(&si, js->js, &c, NULL, &ec);
    if (ns == NATS_OK) {
        jsStreamInfo_Destroy(si);
        tsr_log_info(js->log, "stream_updated", "stream=%s", s->name);
        return TSR_OK;
    }
    tsr_log_error(js->log, "stream_incompatible", "stream=%s err=%d %s", s->name, (int)ec,
                  nats_GetLastError(NULL));
    return ns == NATS_ERR ? TSR_ERR_JS_STREAM_CONFIG : map(ns);
}

tsr_status tsr_js_ensure_tessera_streams(tsr_js *js, int replicas)
{
    size_t n;
    const tsr_js_stream_spec *t = tsr_js_tessera_streams(replicas, &n);
    for (size_t i = 0; i < n; i++) {
        tsr_status st = tsr_js_stream_ensure(js, &t[i]);
        if (st != TSR_OK)
            return st;
    }
    return TSR_OK;
}

tsr_status tsr_js_stream_msgs(tsr_js *js, const char *stream, uint64_t *msgs)
{
    jsStreamInfo *si = NULL;
    jsErrCode ec = 0;
    natsStatus ns = js_GetStreamInfo(&si, js->js, stream, NULL, &ec);
    if (ns == NATS_NOT_FOUND)
        return TSR_ERR_NOT_FOUND;
    if (ns != NATS_OK)
        return map(ns);
    *msgs = si->State.Msgs;
    jsStreamInfo_Destroy(si);
    return TSR_OK;
}

/* ---- publishing --------------------------------------------------------------- */

static tsr_status make_msg(natsMsg **m, const char *subject, const char *msg_id,
                           const void *data, size_t len)
{
    if (!subject || (!data && len) || len > TSR_JS_MSG_MAX)
        return len > TSR_JS_MSG_MAX ? TSR_ERR_TOO_LARGE : TSR_ERR_ARG;
    natsStatus ns = natsMsg_Create(m, subject, NULL, data, (int)len);
    if (ns == NATS_OK && msg_id)
        ns = natsMsgHeader_Set(*m, "Nats-Msg-Id", msg_id);
    if (ns != NATS_OK) {
        natsMsg_Destroy(*m);
        *m = NULL;
    }
    return map(ns);
}

tsr_status tsr_js_publish(tsr_js *js, const char *subject, const char *msg_id,
                          const void *data, size_t len, bool *duplicate)
{
    if (duplicate)
        *duplicate = false;
    natsMsg *m = NULL;
    tsr_status st = make_msg(&m, subject, msg_id, data, len);
    if (st != TSR_OK)
        return st;
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = js->timeout_ms;
    jsPubAck *pa = NULL;
    jsErrCode ec = 0;
    natsStatus ns = js_PublishMsg(&pa, js->js, m, &po, &ec);
    natsMsg_Destroy(m);
    if (ns == NATS_OK && duplicate)
        *duplicate = pa->Duplicate;
    jsPubAck_Destroy(pa);
    return map(ns);
}

tsr_status tsr_js_publish_core(tsr_js *js, const char *subject, const void *data, size_t len)
{
    if (!subject || (!data && len))
        return TSR_ERR_ARG;
    if (len > TSR_JS_MSG_MAX)
        return TSR_ERR_TOO_LARGE;
    return map(natsConnection_Publish(js->nc, subject, data, (int)len));
}

tsr_status tsr_js_publish_async(tsr_js *js, const char *subject, const char *msg_id,
                                const void *data, size_t len)
{
    if (!msg_id || strlen(msg_id) >= TSR_SUBJECT_MAX)
        return TSR_ERR_ARG;
    pthread_mutex_lock(&js->mu);
    bool full = js->inflight + js->ring_len >= (size_t)js->max_pending;
    if (!full)
        js->inflight++; /* reserve before publishing: the ack may beat us back */
    pthread_mutex_unlock(&js->mu);
    if (full)
        return TSR_ERR_BUSY;
    natsMsg *m = NULL;
    tsr_status st = make_msg(&m, subject, msg_id, data, len);
    if (st == TSR_OK) {
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MaxWait = js->timeout_ms; /* without it a lost ack never times out */
        /* js_PublishMsgAsync takes the message (sets m to NULL) on success. */
        natsStatus ns = js_PublishMsgAsync(js->js, &m, &po);
        natsMsg_Destroy(m);
        st = map(ns);
        if (ns == NATS_TIMEOUT) /* the MaxPending stall: our window is full */
            st = TSR_ERR_BUSY;
    }
    if (st != TSR_OK) {
        pthread_mutex_lock(&js->mu);
        js->inflight--;
        pthread_mutex_unlock(&js->mu);
    }
    return st;
}

size_t tsr_js_async_results(tsr_js *js, tsr_js_ack *out, size_t cap)
{
    pthread_mutex_lock(&js->mu);
    size_t n = 0;
    while (n < cap && js->ring_len > 0) {
        out[n++] = js->ring[js->ring_head];
        js->ring_head = (js->ring_head + 1) % TSR_JS_ASYNC_MAX;
        js->ring_len--;
    }
    pthread_mutex_unlock(&js->mu);
    return n;
}

size_t tsr_js_async_outstanding(tsr_js *js)
{
    pthread_mutex_lock(&js->mu);
    size_t n = js->inflight + js->ring_len;
    pthread_mutex_unlock(&js->mu);
    return n;
}

/* ---- pull consumers ------------------------------------------------------------ */

static tsr_status add_consumer(tsr_js *js, const tsr_js_consumer_spec *s)
{
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = s->durable;
    cc.FilterSubject = s->filter;
    cc.AckPolicy = js_AckExplicit;
    cc.DeliverPolicy = js_DeliverAll;
    cc.AckWait = s->ack_wait_ns ? s->ack_wait_ns : INT64_C(30) * 1000000000;
    cc.MaxAckPending = s->max_ack_pending ? s->max_ack_pending : 4096;
    cc.MaxDeliver = -1; /* never give up on a message: losing one is worse */
    jsConsumerInfo *ci = NULL;
    jsErrCode ec = 0;
    natsStatus ns = js_AddConsumer(&ci, js->js, s->stream, &cc, NULL, &ec);
    jsConsumerInfo_Destroy(ci);
    if (ns != NATS_OK && ec == JSConsumerNameExistErr)
        ns = NATS_OK; /* exists with another config (e.g. AckWait): keep it */
    if (ns != NATS_OK)
        tsr_log_warn(js->log, "consumer_add_failed", "stream=%s durable=%s err=%d",
                     s->stream, s->durable, (int)ec);
    return map(ns);
}

tsr_status tsr_js_pull_open(tsr_js_pull **out, tsr_js *js, const tsr_js_consumer_spec *spec)
{
    *out = NULL;
    if (!js || !spec || !spec->stream || !spec->durable)
        return TSR_ERR_ARG;
    tsr_status st = add_consumer(js, spec);
    if (st != TSR_OK)
        return st;
    tsr_js_pull *p = calloc(1, sizeof *p);
    if (!p)
        return TSR_ERR_NOMEM;
    p->js = js;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = spec->stream;
    so.Consumer = spec->durable; /* bind to the consumer made above */
    jsErrCode ec = 0;
    natsStatus ns = js_PullSubscribe(&p->sub, js->js, spec->filter ? spec->filter : ">",
                                     spec->durable, NULL, &so, &ec);
    /* The connection-wide limit (TSR_JS_SUB_PENDING_MAX msgs, hence 4 MiB)
     * equals one fetch's byte cap: late answers plus the next one overflow
     * it and cnats drops them silently. No count limit: the consumer's
     * MaxAckPending already bounds what can be queued. */
    if (ns == NATS_OK)
        ns = natsSubscription_SetPendingLimits(p->sub, -1, TSR_JS_PULL_PENDING_BYTES);
    if (ns != NATS_OK) {
        if (p->sub)
            retire_sub(js, p->sub);
        free(p);
        return map(ns);
    }
    *out = p;
    return TSR_OK;
}

void tsr_js_pull_close(tsr_js_pull *p)
{
    if (!p)
        return;
    /* Destroyed with the connection: closed by then, so no UNSUB is sent
     * and the durable consumer stays. */
    retire_sub(p->js, p->sub);
    free(p);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Frees a list that take_msgs filled (its array is ours, not cnats's). */
static void free_list(natsMsgList *l)
{
    for (int i = 0; i < l->Count; i++)
        natsMsg_Destroy(l->Msgs[i]);
    free(l->Msgs);
    free(l);
}

/* Moves src's messages to the end of dst (growing it), then frees src. */
static natsStatus take_msgs(natsMsgList *dst, natsMsgList *src)
{
    natsMsg **grown = realloc(dst->Msgs, (size_t)(dst->Count + src->Count) * sizeof *grown);
    if (!grown && dst->Count + src->Count > 0) {
        natsMsgList_Destroy(src);
        return NATS_NO_MEMORY;
    }
    dst->Msgs = grown;
    for (int i = 0; i < src->Count; i++) {
        dst->Msgs[dst->Count++] = src->Msgs[i];
        src->Msgs[i] = NULL; /* ours now: natsMsgList_Destroy skips NULLs */
    }
    natsMsgList_Destroy(src);
    return NATS_OK;
}

/* Takes messages already queued on the subscription (answers to earlier
 * pull requests that came after their fetch returned), one per cnats call:
 * a batch of 1 that the queue fills sends no new pull request, and stays
 * clear of cnats 3.4's _fetch overflow (it writes past its array when it
 * drained half a batch or more from the queue and then asks the server;
 * fixed upstream in nats.c PR #749). Stops a message short of the byte cap. */
static natsStatus take_queued(tsr_js_pull *p, int max, natsMsgList *out)
{
    size_t bytes = 0;
    int queued = 0;
    while (out->Count < max && bytes + TSR_JS_MSG_MAX <= TSR_JS_FETCH_BYTES_MAX &&
           natsSubscription_GetPending(p->sub, &queued, NULL) == NATS_OK && queued > 0) {
        natsMsgList one = {0};
        jsFetchRequest fr;
        jsFetchRequest_Init(&fr);
        fr.Batch = 1;
        fr.NoWait = true; /* only status lines queued: ask, do not wait */
        natsStatus ns = natsSubscription_FetchRequest(&one, p->sub, &fr);
        if (ns != NATS_OK || one.Count == 0)
            return ns == NATS_OK || ns == NATS_TIMEOUT || ns == NATS_NOT_FOUND ? NATS_OK : ns;
        bytes += (size_t)natsMsg_GetDataLength(one.Msgs[0]);
        if ((ns = take_msgs(out, &one)) != NATS_OK)
            return ns;
    }
    return NATS_OK;
}

/* The description of the server's 409 that ends a pull request at its
 * max_bytes. */
#define STALE_MAX_BYTES "Exceeds MaxBytes"

/* True when a fetch that brought nothing ended on a status line of an older
 * pull request rather than on its own: a 408 before our deadline, a 404
 * when ours waits (only a no-wait request is answered 404: the queue check
 * of take_queued sends one when the queue held only status lines), a 409
 * "Message Size Exceeds MaxBytes" (no message of ours exceeds the cap, so
 * it cannot be this request's), or the one-shot slow-consumer report. */
static bool stale_end(natsStatus ns, bool waiting, int64_t deadline)
{
    if (ns == NATS_SLOW_CONSUMER)
        return true;
    if (ns == NATS_TIMEOUT)
        return mono_ms() < deadline;
    if (ns == NATS_NOT_FOUND)
        return waiting;
    const char *why = ns == NATS_ERR ? nats_GetLastError(NULL) : NULL;
    return why && strstr(why, STALE_MAX_BYTES) != NULL;
}

/* One cnats pull of up to max messages (at most the byte cap) waiting
 * left_ms (> 0), or NoWait when left_ms is 0. */
static natsStatus pull_once(tsr_js_pull *p, int max, int64_t left_ms, natsMsgList *out)
{
    natsMsgList got = {0};
    jsFetchRequest fr;
    jsFetchRequest_Init(&fr);
    fr.Batch = max;
    fr.MaxBytes = TSR_JS_FETCH_BYTES_MAX;
    /* The server expires the request (cnats tells it 10 ms less than it
     * waits itself); NoWait returns what is queued and asks the server,
     * whose answer the next call takes from the queue. */
    if (left_ms == 0)
        fr.NoWait = true;
    else
        fr.Expires = left_ms * INT64_C(1000000);
    natsStatus ns = natsSubscription_FetchRequest(&got, p->sub, &fr);
    if (ns == NATS_OK && got.Count == 0)
        ns = NATS_TIMEOUT;
    if (ns != NATS_OK)
        return ns;
    return take_msgs(out, &got);
}

/* Fills out: first what is already queued; only when nothing is, a pull
 * request, asked again (within wait_ms) when it was cut short by a status
 * line of an older request. */
static natsStatus fetch_into(tsr_js_pull *p, int max, int64_t wait_ms, natsMsgList *out)
{
    int64_t deadline = mono_ms() + wait_ms;
    natsStatus ns;
    for (;;) {
        if ((ns = take_queued(p, max, out)) != NATS_OK || out->Count > 0)
            return ns;
        /* the time left is read once: a second reading could give 0, which
         * cnats refuses for a waiting request (NATS_INVALID_TIMEOUT) */
        int64_t left = wait_ms > 0 ? deadline - mono_ms() : 0;
        if (wait_ms > 0 && left < 1)
            return NATS_TIMEOUT;
        ns = pull_once(p, max, left, out);
        if (ns == NATS_OK || !stale_end(ns, wait_ms > 0, deadline))
            return ns;
        if (wait_ms == 0)
            return NATS_TIMEOUT; /* nothing of ours yet: the next call takes it */
    }
}

tsr_status tsr_js_fetch(tsr_js_pull *p, int max, int64_t wait_ms, tsr_js_msgs *out)
{
    memset(out, 0, sizeof *out);
    if (!p || max < 1 || max > TSR_JS_FETCH_MAX || wait_ms < 0)
        return TSR_ERR_ARG;
    natsMsgList *list = calloc(1, sizeof *list);
    if (!list)
        return TSR_ERR_NOMEM;
    int64_t dropped_before = 0, dropped_after = 0;
    natsSubscription_GetDropped(p->sub, &dropped_before);
    natsStatus ns = fetch_into(p, max, wait_ms, list);
    natsSubscription_GetDropped(p->sub, &dropped_after);
    if (dropped_after > dropped_before) /* back only after the consumer's AckWait */
        tsr_log_warn(p->js->log, "js_fetch_dropped", "count=%lld",
                     (long long)(dropped_after - dropped_before));
    /* Messages we hold are delivered to us: they are returned even when the
     * call also ended on an error (dropping them would stall them until
     * the consumer's AckWait). */
    if (list->Count == 0) {
        free_list(list);
        if (ns == NATS_OK || ns == NATS_NOT_FOUND || ns == NATS_SLOW_CONSUMER)
            ns = NATS_TIMEOUT;
        return map(ns);
    }
    out->list_ = list;
    out->count = list->Count;
    return TSR_OK;
}

static natsMsg *msg_at(const tsr_js_msgs *m, int i)
{
    const natsMsgList *l = m->list_;
    return (l && i >= 0 && i < l->Count) ? l->Msgs[i] : NULL;
}

const void *tsr_js_msg_data(const tsr_js_msgs *m, int i, size_t *len)
{
    natsMsg *msg = msg_at(m, i);
    *len = msg ? (size_t)natsMsg_GetDataLength(msg) : 0;
    return msg ? natsMsg_GetData(msg) : NULL;
}

const char *tsr_js_msg_subject(const tsr_js_msgs *m, int i)
{
    natsMsg *msg = msg_at(m, i);
    return msg ? natsMsg_GetSubject(msg) : NULL;
}

const char *tsr_js_msg_id(const tsr_js_msgs *m, int i)
{
    natsMsg *msg = msg_at(m, i);
    const char *id = NULL;
    if (!msg || natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) != NATS_OK)
        return NULL;
    return id;
}

uint64_t tsr_js_msg_delivered(const tsr_js_msgs *m, int i)
{
    natsMsg *msg = msg_at(m, i);
    jsMsgMetaData *md = NULL;
    if (!msg || natsMsg_GetMetaData(&md, msg) != NATS_OK)
        return 0;
    uint64_t n = md->NumDelivered;
    jsMsgMetaData_Destroy(md);
    return n;
}

uint64_t tsr_js_msg_pending(const tsr_js_msgs *m, int i)
{
    natsMsg *msg = msg_at(m, i);
    jsMsgMetaData *md = NULL;
    if (!msg || natsMsg_GetMetaData(&md, msg) != NATS_OK)
        return 0;
    uint64_t n = md->NumPending;
    jsMsgMetaData_Destroy(md);
    return n;
}

tsr_status tsr_js_msg_ack(const tsr_js_msgs *m, int i)
{
    natsMsg *msg = msg_at(m, i);
    return msg ? map(natsMsg_Ack(msg, NULL)) : TSR_ERR_ARG;
}

tsr_status tsr_js_msg_nak(const tsr_js_msgs *m, int i, int64_t delay_ms)
{
    natsMsg *msg = msg_at(m, i);
    if (!msg || delay_ms < 0)
        return TSR_ERR_ARG;
    return map(natsMsg_NakWithDelay(msg, delay_ms, NULL));
}

tsr_status tsr_js_msg_term(const tsr_js_msgs *m, int i)
{
    natsMsg *msg = msg_at(m, i);
    return msg ? map(natsMsg_Term(msg, NULL)) : TSR_ERR_ARG;
}

void tsr_js_msgs_free(tsr_js_msgs *m)
{
    if (!m || !m->list_)
        return;
    free_list(m->list_);
    m->list_ = NULL;
    m->count = 0;
}

/* ---- plain subscriptions ---------------------------------------------------------- */

tsr_status tsr_js_sub_open(tsr_js_sub **out, tsr_js *js, const char *subject)
{
    *out = NULL;
    if (!js || !subject)
        return TSR_ERR_ARG;
    tsr_js_sub *s = calloc(1, sizeof *s);
    if (!s)
        return TSR_ERR_NOMEM;
    s->js = js;
    natsStatus ns = natsConnection_SubscribeSync(&s->sub, js->nc, subject);
    if (ns == NATS_OK)
        ns = natsSubscription_SetPendingLimits(s->sub, TSR_JS_SUB_PENDING_MAX,
                                               TSR_JS_SUB_PENDING_MAX * 1024);
    if (ns != NATS_OK) {
        if (s->sub) {
            natsSubscription_Unsubscribe(s->sub); /* as tsr_js_sub_close */
            retire_sub(js, s->sub);
        }
        free(s);
        return map(ns);
    }
    *out = s;
    return TSR_OK;
}

void tsr_js_sub_close(tsr_js_sub *s)
{
    if (!s)
        return;
    natsSubscription_Unsubscribe(s->sub); /* no more deliveries */
    retire_sub(s->js, s->sub);
    free(s);
}

tsr_status tsr_js_sub_next(tsr_js_sub *s, int64_t wait_ms, void *buf, size_t cap,
                           size_t *len, char *subject)
{
    natsMsg *m = NULL;
    natsStatus ns = natsSubscription_NextMsg(&m, s->sub, wait_ms > 0 ? wait_ms : 1);
    if (ns != NATS_OK)
        return map(ns);
    size_t n = (size_t)natsMsg_GetDataLength(m);
    tsr_status st = TSR_OK;
    if (n > cap) {
        st = TSR_ERR_TOO_LARGE;
    } else {
        memcpy(buf, natsMsg_GetData(m), n);
        *len = n;
        if (subject)
            snprintf(subject, TSR_SUBJECT_MAX, "%s", natsMsg_GetSubject(m));
    }
    natsMsg_Destroy(m);
    return st;
}

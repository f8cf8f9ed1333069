/* The node relay: outbox -> signed batches -> JetStream, and receipts back
 * (see relay.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "relay_int.h"
#include "tessera/merkle.h"

int64_t relay_now(tsr_relay *r)
{
    return tsr_clock_now_ns(r->o.env->clock);
}

static void stats_add(tsr_relay *r, uint64_t *field, uint64_t n)
{
    pthread_mutex_lock(&r->mu);
    *field += n;
    pthread_mutex_unlock(&r->mu);
}

/* ---- forming batches ------------------------------------------------------- */

typedef struct form_ctx {
    tsr_relay *r;
    uint64_t expect;
    uint64_t last;
    uint64_t stop_at; /* 0: fill the batch */
} form_ctx;

static tsr_status add_row(void *arg, uint64_t seq, int kind, const void *bytes, size_t len)
{
    form_ctx *f = arg;
    if (seq != f->expect || (f->stop_at && seq > f->stop_at))
        return TSR_ERR_BATCH_INCONSISTENT; /* a gap in the outbox: never skip it */
    tsr_status s;
    if (kind == TSR_ENTRY_TICKET) {
        tsr_ticket t;
        s = tsr_ticket_decode(bytes, len, &t);
        if (s == TSR_OK)
            s = tsr_batch_add_ticket(f->r->builder, &t);
    } else if (kind == TSR_ENTRY_CANCEL) {
        tsr_cancel c;
        s = tsr_cancel_decode(bytes, len, &c);
        if (s == TSR_OK)
            s = tsr_batch_add_cancel(f->r->builder, &c);
    } else {
        s = TSR_ERR_ENCODING;
    }
    if (s == TSR_ERR_BUSY)
        return TSR_OK; /* full: the batch ends before this row */
    if (s == TSR_OK) {
        f->last = seq;
        f->expect = seq + 1;
    }
    return s;
}

/* Builds the batch starting at `first` (ending at stop_at when re-forming a
 * persisted boundary) into a new window slot. */
static tsr_status form(tsr_relay *r, uint64_t first, uint64_t stop_at, bool *formed)
{
    *formed = false;
    tsr_batch_builder_reset(r->builder);
    form_ctx f = {.r = r, .expect = first, .stop_at = stop_at};
    size_t max = stop_at ? (size_t)(stop_at - first + 1) : TSR_BATCH_MAX_ENTRIES;
    tsr_status s = r->o.ops.read(r->o.ops.ctx, first, max, add_row, &f);
    if (s != TSR_OK || f.last == 0)
        return s;
    if (stop_at && f.last != stop_at)
        return TSR_ERR_BATCH_INCONSISTENT; /* rows of a persisted batch are missing */
    rbatch *b = &r->win[r->n_win];
    memset(b, 0, sizeof *b);
    b->first = first;
    b->last = f.last;
    if ((s = tsr_batch_msg_id(r->node, first, f.last, b->msg_id, sizeof b->msg_id)) != TSR_OK)
        return s;
    if (!(b->bytes = malloc(TSR_BATCH_MAX_BYTES)))
        return TSR_ERR_NOMEM;
    s = tsr_batch_finish(r->builder, r->o.node_key, b->bytes, TSR_BATCH_MAX_BYTES, &b->len);
    /* Persist the boundary before the first publish: a restart must
     * re-form these exact bytes under this exact id. */
    if (s == TSR_OK && !stop_at)
        s = r->o.ops.batch_put(r->o.ops.ctx, first, f.last, b->msg_id);
    if (s != TSR_OK) {
        free(b->bytes);
        b->bytes = NULL;
        return s;
    }
    r->n_win++;
    r->formed_seq = f.last;
    *formed = true;
    return TSR_OK;
}

typedef struct load_ctx {
    uint64_t first, last;
    bool found;
} load_ctx;

static tsr_status first_range(void *arg, uint64_t first, uint64_t last)
{
    load_ctx *l = arg;
    if (!l->found) {
        l->first = first;
        l->last = last;
        l->found = true;
    }
    return TSR_OK;
}

/* Fills the window: persisted boundaries first (a restart), then new rows. */
static tsr_status fill_window(tsr_relay *r)
{
    while (r->n_win < TSR_RELAY_WINDOW) {
        load_ctx l = {0};
        tsr_status s = r->o.ops.batches_load(r->o.ops.ctx, r->formed_seq, first_range, &l);
        if (s != TSR_OK)
            return s;
        bool formed;
        if (l.found && l.first == r->formed_seq + 1)
            s = form(r, l.first, l.last, &formed);
        else
            s = form(r, r->formed_seq + 1, 0, &formed);
        if (s != TSR_OK || !formed)
            return s;
    }
    return TSR_OK;
}

/* ---- publishing ------------------------------------------------------------ */

static void publish_window(tsr_relay *r)
{
    int64_t now = relay_now(r);
    int inflight = 0;
    for (int i = 0; i < r->n_win; i++)
        inflight += r->win[i].state == RB_SENT;
    for (int i = 0; i < r->n_win && inflight < r->o.max_inflight; i++) {
        rbatch *b = &r->win[i];
        bool stale = b->state == RB_ACKED &&
                     now - b->sent_at_ns >= r->o.resend_after_ms * TSR_NS_PER_MS;
        if (b->state != RB_NEW && !stale)
            continue;
        tsr_status s = tsr_js_publish_async(r->js, r->subj_tickets, b->msg_id, b->bytes, b->len);
        if (s != TSR_OK)
            return; /* busy or disconnected: next step */
        if (stale)
            stats_add(r, &r->stats.resent, 1);
        b->state = RB_SENT;
        b->sent_at_ns = now;
        inflight++;
        stats_add(r, &r->stats.published, 1);
    }
}

static void drain_acks(tsr_relay *r)
{
    tsr_js_ack acks[64];
    size_t n;
    while ((n = tsr_js_async_results(r->js, acks, 64)) > 0) {
        for (size_t k = 0; k < n; k++) {
            for (int i = 0; i < r->n_win; i++) {
                rbatch *b = &r->win[i];
                if (b->state != RB_SENT || strcmp(b->msg_id, acks[k].msg_id) != 0)
                    continue;
                b->state = acks[k].status == TSR_OK ? RB_ACKED : RB_NEW;
                if (acks[k].status == TSR_OK)
                    stats_add(r, &r->stats.acked, 1);
                else
                    tsr_log_warn(r->o.env->log, "relay_publish_failed", "msg_id=%s status=%s",
                                 b->msg_id, tsr_status_name(acks[k].status));
            }
        }
    }
}

/* After a reconnect every unreceipted batch is sent again (same ids): acks
 * in flight across the outage are lost, and a broker restart may have lost
 * what it had not fsynced. */
static void on_reconnect(tsr_relay *r)
{
    uint64_t rc = tsr_js_reconnects(r->js);
    if (rc == r->reconnects_seen)
        return;
    r->reconnects_seen = rc;
    for (int i = 0; i < r->n_win; i++)
        r->win[i].state = RB_NEW;
    tsr_log_info(r->o.env->log, "relay_resend_after_reconnect", "batches=%d", r->n_win);
}

void relay_republish_range(tsr_relay *r, uint64_t from, uint64_t to)
{
    for (int i = 0; i < r->n_win; i++) {
        rbatch *b = &r->win[i];
        if (b->last < from || b->first > to)
            continue;
        char id[TSR_SUBJECT_MAX + 32];
        snprintf(id, sizeof id, "%s:replay%llu", b->msg_id,
                 (unsigned long long)++r->replay_counter);
        if (strlen(id) < TSR_SUBJECT_MAX &&
            tsr_js_publish(r->js, r->subj_tickets, id, b->bytes, b->len, NULL) == TSR_OK)
            stats_add(r, &r->stats.replays, 1);
    }
}

/* ---- receipts ---------------------------------------------------------------- */

typedef struct chain_ctx {
    uint8_t chain[TSR_HASH_LEN], at_release[TSR_HASH_LEN];
    uint64_t expect, release_at;
} chain_ctx;

static tsr_status chain_row(void *arg, uint64_t seq, int kind, const void *bytes, size_t len)
{
    (void)kind;
    chain_ctx *c = arg;
    if (seq != c->expect)
        return TSR_ERR_BATCH_INCONSISTENT;
    uint8_t leaf[TSR_HASH_LEN];
    tsr_merkle_leaf(bytes, len, leaf); /* = tsr_ticket_leaf / tsr_cancel_leaf of the row */
    tsr_chain_next(c->chain, leaf, c->chain);
    if (seq == c->release_at)
        memcpy(c->at_release, c->chain, TSR_HASH_LEN);
    c->expect++;
    return TSR_OK;
}

static void drop_released(tsr_relay *r)
{
    int k = 0;
    for (int i = 0; i < r->n_win; i++) {
        if (r->win[i].last <= r->anchor_seq)
            free(r->win[i].bytes);
        else
            r->win[k++] = r->win[i];
    }
    r->n_win = k;
}

/* Releases rows up to the last batch boundary the receipt covers, after
 * checking that central's chain equals the chain over our own rows. */
static tsr_status apply_receipt(tsr_relay *r, const tsr_node_receipt *rc)
{
    if (rc->up_to_seq <= r->anchor_seq)
        return TSR_OK; /* an older receipt, redelivered */
    uint64_t release_at = 0;
    for (int i = 0; i < r->n_win; i++)
        if (r->win[i].last <= rc->up_to_seq && r->win[i].last > release_at)
            release_at = r->win[i].last;
    if (rc->up_to_seq > r->formed_seq || release_at == 0)
        return TSR_ERR_RECEIPT_CHAIN; /* it claims rows we never sent */
    chain_ctx c = {.expect = r->anchor_seq + 1, .release_at = release_at};
    memcpy(c.chain, r->anchor_chain, TSR_HASH_LEN);
    tsr_status s = r->o.ops.read(r->o.ops.ctx, r->anchor_seq + 1,
                                 (size_t)(rc->up_to_seq - r->anchor_seq), chain_row, &c);
    if (s != TSR_OK)
        return s;
    if (c.expect != rc->up_to_seq + 1 || memcmp(c.chain, rc->chain, TSR_HASH_LEN) != 0)
        return TSR_ERR_RECEIPT_CHAIN;
    if ((s = r->o.ops.release(r->o.ops.ctx, release_at, c.at_release)) != TSR_OK)
        return s;
    r->anchor_seq = release_at;
    memcpy(r->anchor_chain, c.at_release, TSR_HASH_LEN);
    drop_released(r);
    pthread_mutex_lock(&r->mu);
    r->stats.released_seq = release_at;
    r->stats.receipts++;
    pthread_mutex_unlock(&r->mu);
    return TSR_OK;
}

static tsr_status receipt_msg(tsr_relay *r, const tsr_js_msgs *m, int i)
{
    size_t len;
    const void *d = tsr_js_msg_data(m, i, &len);
    tsr_node_receipt rc;
    tsr_status s = tsr_node_receipt_open(r->central_pk, d, len, &rc);
    if (s == TSR_OK && strcmp(rc.node, r->node) != 0)
        s = TSR_ERR_BATCH_NODE;
    if (s == TSR_OK)
        s = apply_receipt(r, &rc);
    if (s == TSR_OK)
        return TSR_OK;
    if (s == TSR_ERR_IO || s == TSR_ERR_DISK_FULL || s == TSR_ERR_BUSY)
        return s; /* our store failed: keep the receipt for redelivery */
    /* A forged or non-matching receipt deletes nothing; it is logged and
     * dropped (a genuine later receipt covers the same rows). */
    stats_add(r, &r->stats.receipt_rejected, 1);
    tsr_log_error(r->o.env->log, "relay_receipt_rejected", "status=%s", tsr_status_name(s));
    return TSR_OK;
}

static tsr_status relay_receipts(tsr_relay *r, int64_t wait_ms)
{
    tsr_js_msgs m;
    tsr_status s = tsr_js_fetch(r->receipts, 16, wait_ms, &m);
    if (s != TSR_OK)
        return TSR_OK; /* none, or NATS away */
    for (int i = 0; i < m.count && s == TSR_OK; i++) {
        s = receipt_msg(r, &m, i);
        tsr_status a = s == TSR_OK ? tsr_js_msg_ack(&m, i) : tsr_js_msg_nak(&m, i, 1000);
        (void)a; /* a lost ack redelivers an old receipt: ignored above */
    }
    tsr_js_msgs_free(&m);
    return s;
}

/* ---- lifecycle ---------------------------------------------------------------- */

static tsr_status make_subjects(tsr_relay *r)
{
    const char *n = r->node;
    tsr_status s = tsr_subject_node(TSR_SUBJ_TICKETS, n, r->subj_tickets, TSR_SUBJECT_MAX);
    if (s == TSR_OK) s = tsr_subject_node(TSR_SUBJ_SEALS, n, r->subj_seals, TSR_SUBJECT_MAX);
    if (s == TSR_OK) s = tsr_subject_node(TSR_SUBJ_STATUS, n, r->subj_status, TSR_SUBJECT_MAX);
    if (s == TSR_OK) s = tsr_subject_node(TSR_SUBJ_RECEIPTS, n, r->subj_receipts, TSR_SUBJECT_MAX);
    if (s == TSR_OK) s = tsr_subject_node(TSR_SUBJ_REPLAY, n, r->subj_replay, TSR_SUBJECT_MAX);
    if (s == TSR_OK) s = tsr_subject_node(TSR_SUBJ_CTL_ALL, n, r->subj_ctl, TSR_SUBJECT_MAX);
    if (s == TSR_OK) s = tsr_durable_node(n, r->durable, TSR_SUBJECT_MAX);
    return s;
}

static tsr_status check_opts(tsr_relay_opts *o)
{
    if (!o->node || !o->nats_url || !o->node_key || !o->central_pk || !o->env ||
        !o->env->clock || !o->ops.read || !o->ops.batch_put || !o->ops.batches_load ||
        !o->ops.release || !o->ops.anchor || (o->ops.seals && !o->ops.seal_published))
        return TSR_ERR_ARG;
    if (!o->max_inflight) o->max_inflight = 8;
    if (!o->publish_timeout_ms) o->publish_timeout_ms = 5000;
    if (!o->resend_after_ms) o->resend_after_ms = 30000;
    if (!o->status_interval_ms) o->status_interval_ms = 1000;
    if (!o->time_bound_ms) o->time_bound_ms = 250;
    if (!o->beacon_max_age_ms) o->beacon_max_age_ms = 10000;
    if (!o->beacon_transit_ms) o->beacon_transit_ms = 5000;
    if (!o->poll_ms) o->poll_ms = 20;
    if (o->max_inflight < 1 || o->max_inflight > TSR_RELAY_WINDOW || o->publish_timeout_ms < 1 ||
        o->time_bound_ms < 1 || o->beacon_transit_ms < 0 || o->resend_after_ms < 1)
        return TSR_ERR_ARG;
    return TSR_OK;
}

tsr_status tsr_relay_create(tsr_relay **out, const tsr_relay_opts *opts)
{
    *out = NULL;
    if (!opts)
        return TSR_ERR_ARG;
    tsr_relay *r = calloc(1, sizeof *r);
    if (!r)
        return TSR_ERR_NOMEM;
    pthread_mutex_init(&r->mu, NULL);
    r->o = *opts;
    tsr_status s = check_opts(&r->o);
    if (s == TSR_OK && strlen(opts->node) >= TSR_NAME_MAX)
        s = TSR_ERR_RANGE;
    if (s == TSR_OK) {
        strcpy(r->node, opts->node);
        memcpy(r->central_pk, opts->central_pk, TSR_PK_LEN);
        s = make_subjects(r);
    }
    if (s == TSR_OK)
        s = tsr_batch_builder_create(&r->builder, r->node);
    if (s == TSR_OK)
        s = r->o.ops.anchor(r->o.ops.ctx, &r->anchor_seq, r->anchor_chain);
    if (s == TSR_OK) {
        r->formed_seq = r->anchor_seq;
        r->stats.released_seq = r->anchor_seq;
        r->stats.time_ok = true;
        tsr_js_opts jo = {.url = r->o.nats_url, .name = r->node, .log = r->o.env->log,
                          .timeout_ms = r->o.publish_timeout_ms,
                          .max_pending = r->o.max_inflight, .background_connect = true};
        s = tsr_js_connect(&r->js, &jo);
    }
    if (s != TSR_OK) {
        tsr_relay_stop(r);
        return s;
    }
    r->reconnects_seen = tsr_js_reconnects(r->js);
    *out = r;
    return TSR_OK;
}

tsr_status tsr_relay_step(tsr_relay *r, int64_t wait_ms)
{
    if (relay_bus_setup(r) != TSR_OK) {
        struct timespec ts = {0, (long)(wait_ms > 0 ? wait_ms : 1) * 1000000L};
        nanosleep(&ts, NULL);
        return TSR_OK;
    }
    on_reconnect(r);
    drain_acks(r);
    tsr_status s = fill_window(r);
    if (s != TSR_OK) {
        tsr_log_error(r->o.env->log, "relay_outbox_failed", "status=%s", tsr_status_name(s));
        return s;
    }
    publish_window(r);
    bool busy = false;
    for (int i = 0; i < r->n_win; i++)
        busy = busy || r->win[i].state == RB_NEW;
    if ((s = relay_receipts(r, busy ? 0 : wait_ms)) != TSR_OK)
        return s;
    drain_acks(r);
    if ((s = relay_replays(r)) != TSR_OK || (s = relay_controls(r)) != TSR_OK)
        return s;
    relay_beacons(r);
    if ((s = relay_seals(r, NULL, 0)) != TSR_OK)
        return s;
    relay_status(r);
    return TSR_OK;
}

static void *relay_thread(void *arg)
{
    tsr_relay *r = arg;
    while (!r->stop) {
        tsr_status s = tsr_relay_step(r, r->o.poll_ms);
        if (s != TSR_OK) { /* the store failed: back off, never spin */
            struct timespec ts = {1, 0};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

tsr_status tsr_relay_start(tsr_relay **out, const tsr_relay_opts *o)
{
    tsr_status s = tsr_relay_create(out, o);
    if (s != TSR_OK)
        return s;
    if (pthread_create(&(*out)->thread, NULL, relay_thread, *out) != 0) {
        tsr_relay_stop(*out);
        *out = NULL;
        return TSR_ERR_NOMEM;
    }
    (*out)->thread_started = true;
    return TSR_OK;
}

void tsr_relay_stop(tsr_relay *r)
{
    if (!r)
        return;
    r->stop = true;
    if (r->thread_started)
        pthread_join(r->thread, NULL);
    tsr_js_pull_close(r->receipts);
    tsr_js_pull_close(r->replay);
    tsr_js_pull_close(r->ctl);
    tsr_js_sub_close(r->beacons);
    tsr_js_close(r->js);
    for (int i = 0; i < r->n_win; i++)
        free(r->win[i].bytes);
    tsr_batch_builder_destroy(r->builder);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

bool tsr_relay_time_ok(tsr_relay *r)
{
    pthread_mutex_lock(&r->mu);
    bool ok = r->stats.time_ok;
    pthread_mutex_unlock(&r->mu);
    return ok;
}

void tsr_relay_get_stats(tsr_relay *r, tsr_relay_stats *out)
{
    pthread_mutex_lock(&r->mu);
    *out = r->stats;
    out->formed_seq = r->formed_seq;
    pthread_mutex_unlock(&r->mu);
    out->connected = tsr_js_connected(r->js);
}

/* The relay's central -> node side: replay requests, control messages,
 * time beacons; and its periodic seals and status. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay_int.h"
#include "tessera/token.h"

/* Replay requests and control messages handled per step. */
#define RELAY_FETCH 16
/* Beacons read per step (one a second is sent). */
#define RELAY_BEACONS_PER_STEP 8
/* How often unpublished seals are looked for. */
#define RELAY_SEAL_PASS_NS (TSR_NS_PER_S / 2)

tsr_status relay_bus_setup(tsr_relay *r)
{
    tsr_status s = TSR_OK;
    if (!r->receipts) {
        tsr_js_consumer_spec c = {TSR_STREAM_RECEIPTS, r->durable, r->subj_receipts, 0, 0};
        s = tsr_js_pull_open(&r->receipts, r->js, &c);
    }
    if (s == TSR_OK && !r->replay) {
        tsr_js_consumer_spec c = {TSR_STREAM_REPLAY, r->durable, r->subj_replay, 0, 0};
        s = tsr_js_pull_open(&r->replay, r->js, &c);
    }
    if (s == TSR_OK && !r->ctl) {
        tsr_js_consumer_spec c = {TSR_STREAM_CTL, r->durable, r->subj_ctl, 0, 0};
        s = tsr_js_pull_open(&r->ctl, r->js, &c);
    }
    if (s == TSR_OK && !r->beacons && r->o.beacon_keys)
        s = tsr_js_sub_open(&r->beacons, r->js, TSR_SUBJ_BEACON);
    return s;
}

static void replay_one(tsr_relay *r, const void *data, size_t len)
{
    json_t *j = json_loadb(data, len, 0, NULL);
    json_int_t from = json_integer_value(json_object_get(j, "from_seq"));
    json_int_t to = json_integer_value(json_object_get(j, "to_seq"));
    const char *game = json_string_value(json_object_get(j, "game"));
    const char *node = json_string_value(json_object_get(j, "node"));
    if (node && strcmp(node, r->node) == 0) {
        if (game) {
            tsr_status s = relay_seals(r, game, (uint32_t)json_integer_value(json_object_get(j, "draw")));
            (void)s;
        } else if (from > 0 && to >= from) {
            relay_republish_range(r, (uint64_t)from, (uint64_t)to);
        }
    }
    json_decref(j);
}

tsr_status relay_replays(tsr_relay *r)
{
    tsr_js_msgs m;
    if (tsr_js_fetch(r->replay, RELAY_FETCH, 0, &m) != TSR_OK)
        return TSR_OK;
    for (int i = 0; i < m.count; i++) {
        size_t len;
        const void *d = tsr_js_msg_data(&m, i, &len);
        replay_one(r, d, len); /* requests are hints: a bad one is dropped */
        tsr_status a = tsr_js_msg_ack(&m, i);
        (void)a;
    }
    tsr_js_msgs_free(&m);
    return TSR_OK;
}

tsr_status relay_controls(tsr_relay *r)
{
    tsr_js_msgs m;
    if (!r->o.ops.control || tsr_js_fetch(r->ctl, RELAY_FETCH, 0, &m) != TSR_OK)
        return TSR_OK;
    for (int i = 0; i < m.count; i++) {
        const char *subject = tsr_js_msg_subject(&m, i);
        const char *dot = subject ? strrchr(subject, '.') : NULL;
        tsr_ctl_kind kind;
        size_t len;
        const void *d = tsr_js_msg_data(&m, i, &len);
        tsr_status s = dot ? tsr_ctl_kind_parse(dot + 1, &kind) : TSR_ERR_PROTO;
        if (s == TSR_OK)
            s = r->o.ops.control(r->o.ops.ctx, kind, d, len);
        tsr_status a;
        if (s == TSR_OK) {
            a = tsr_js_msg_ack(&m, i);
            pthread_mutex_lock(&r->mu);
            r->stats.controls_applied++;
            pthread_mutex_unlock(&r->mu);
        } else if (tsr_status_class_of(s) == TSR_CLASS_INPUT ||
                   tsr_status_class_of(s) == TSR_CLASS_FORBIDDEN) {
            /* Malformed or forged: retrying cannot help; log and drop. */
            tsr_log_error(r->o.env->log, "relay_control_rejected", "subject=%s status=%s",
                          subject ? subject : "-", tsr_status_name(s));
            a = tsr_js_msg_term(&m, i);
        } else {
            a = tsr_js_msg_nak(&m, i, 1000);
        }
        (void)a;
    }
    tsr_js_msgs_free(&m);
    return TSR_OK;
}

static void beacon_one(tsr_relay *r, const void *data, size_t len)
{
    tsr_beacon b;
    tsr_clock_reading now = tsr_clock_read(r->o.env->clock);
    tsr_status s = tsr_beacon_unpack(data, len, &b);
    if (s == TSR_OK)
        s = tsr_beacon_verify(&b, r->o.beacon_keys, now.now_ns,
                              r->o.beacon_max_age_ms * TSR_NS_PER_MS);
    if (s != TSR_OK || b.seq <= r->last_beacon_seq)
        return; /* forged, stale or replayed beacons say nothing */
    r->last_beacon_seq = b.seq;
    int64_t bound = r->o.time_bound_ms * TSR_NS_PER_MS;
    /* Under a selling surge beacons arrive seconds late (seen in the demo at
     * 2,000 bets/s): tolerate that in the harmless direction only. */
    s = tsr_beacon_check_skew(&b, now.now_ns, bound, r->o.beacon_transit_ms * TSR_NS_PER_MS);
    pthread_mutex_lock(&r->mu);
    bool was = r->stats.time_ok;
    r->stats.time_ok = s == TSR_OK;
    r->stats.beacon_skew_ns = now.now_ns - b.time_ns;
    r->stats.beacons++;
    pthread_mutex_unlock(&r->mu);
    if (was != (s == TSR_OK))
        tsr_log_write(r->o.env->log, s == TSR_OK ? TSR_LOG_INFO : TSR_LOG_ERROR,
                      s == TSR_OK ? "time_beacon_agrees" : "time_beacon_skew_sales_closed",
                      "skew_ns=%lld bound_ms=%lld", (long long)(now.now_ns - b.time_ns),
                      (long long)r->o.time_bound_ms);
}

void relay_beacons(tsr_relay *r)
{
    if (!r->beacons)
        return;
    uint8_t buf[TSR_BEACON_PACKED_MAX];
    for (int i = 0; i < RELAY_BEACONS_PER_STEP; i++) {
        size_t len;
        tsr_status s = tsr_js_sub_next(r->beacons, 0, buf, sizeof buf, &len, NULL);
        if (s == TSR_ERR_TOO_LARGE)
            continue;
        if (s != TSR_OK)
            return;
        beacon_one(r, buf, len);
    }
}

typedef struct seal_ctx {
    tsr_relay *r;
    const char *only_game;
    uint32_t only_draw;
    tsr_status st;
} seal_ctx;

static tsr_status seal_one(void *arg, const char *game, uint32_t draw, const void *signed_seal,
                           size_t len, bool published)
{
    seal_ctx *c = arg;
    tsr_relay *r = c->r;
    bool replay = c->only_game != NULL;
    if (replay ? (strcmp(game, c->only_game) != 0 || draw != c->only_draw) : published)
        return TSR_OK;
    char id[TSR_SUBJECT_MAX];
    snprintf(id, sizeof id, "%s:seal:%s:%u%s", r->node, game, draw, replay ? ":replay" : "");
    if (replay)
        snprintf(id + strlen(id), sizeof id - strlen(id), "%llu",
                 (unsigned long long)++r->replay_counter);
    if (tsr_js_publish(r->js, r->subj_seals, id, signed_seal, len, NULL) != TSR_OK)
        return TSR_OK; /* next pass */
    pthread_mutex_lock(&r->mu);
    r->stats.seals_published++;
    pthread_mutex_unlock(&r->mu);
    return published ? TSR_OK : r->o.ops.seal_published(r->o.ops.ctx, game, draw);
}

tsr_status relay_seals(tsr_relay *r, const char *only_game, uint32_t only_draw)
{
    int64_t now = relay_now(r);
    if (!r->o.ops.seals)
        return TSR_OK;
    if (!only_game) {
        if (r->last_seal_pass_ns && now - r->last_seal_pass_ns < RELAY_SEAL_PASS_NS &&
            now >= r->last_seal_pass_ns)
            return TSR_OK;
        r->last_seal_pass_ns = now;
    }
    seal_ctx c = {.r = r, .only_game = only_game, .only_draw = only_draw};
    return r->o.ops.seals(r->o.ops.ctx, seal_one, &c);
}

void relay_status(tsr_relay *r)
{
    int64_t now = relay_now(r);
    if (r->last_status_ns && now - r->last_status_ns < r->o.status_interval_ms * TSR_NS_PER_MS &&
        now >= r->last_status_ns)
        return;
    r->last_status_ns = now;
    uint64_t last = r->formed_seq;
    if (r->o.ops.last_seq && r->o.ops.last_seq(r->o.ops.ctx, &last) != TSR_OK)
        last = r->formed_seq;
    tsr_relay_stats st;
    tsr_relay_get_stats(r, &st);
    json_t *j = json_pack("{s:s,s:I,s:I,s:I,s:I,s:b,s:I,s:I}", "node", r->node,
                          "last_seq", (json_int_t)last,
                          "outbox_lag", (json_int_t)(last - r->anchor_seq),
                          "released_seq", (json_int_t)r->anchor_seq,
                          "last_beacon_seq", (json_int_t)r->last_beacon_seq,
                          "time_ok", st.time_ok, "beacon_skew_ns", (json_int_t)st.beacon_skew_ns,
                          "at_ns", (json_int_t)now);
    char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (body) {
        tsr_status s = tsr_js_publish_core(r->js, r->subj_status, body, strlen(body));
        (void)s; /* status is best effort: the next one follows in a second */
    }
    free(body);
}

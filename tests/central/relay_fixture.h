/* A node stand-in for the relay tests: an in-memory outbox behind
 * tsr_relay_ops that records what the relay asks of it (releases checked
 * against central's own database, seals, control applies). Header-only, on
 * top of stream_fixture.h. */
#ifndef TSR_RELAY_FIXTURE_H
#define TSR_RELAY_FIXTURE_H

#include "stream_fixture.h"
#include "tessera/relay.h"

#define FO_ROWS_MAX 4096
#define FO_CTL_MAX 64

typedef struct fo_ctl {
    tsr_ctl_kind kind;
    char body[128];
} fo_ctl;

typedef struct fake_outbox {
    const char *node;
    const char *central_db;
    uint32_t draw;
    tsr_ticket t[FO_ROWS_MAX];
    uint8_t bytes[FO_ROWS_MAX][TSR_TICKET_ENC_MAX];
    size_t len[FO_ROWS_MAX];
    uint64_t n, deleted;
    uint64_t bfirst[FO_ROWS_MAX], blast[FO_ROWS_MAX];
    size_t nb;
    uint8_t anchor_chain[TSR_HASH_LEN];
    uint8_t seal[256];
    size_t seal_len;
    bool seal_published;
    int violations;
    /* control: applied messages (each body once), attempts, injected failures */
    fo_ctl applied[FO_CTL_MAX];
    int n_applied, attempts, duplicates, fail_next;
    tsr_status fail_with;
} fake_outbox;

static inline void fo_init(fake_outbox *o, const char *node, const char *central_db, uint32_t draw)
{
    memset(o, 0, sizeof *o);
    o->node = node;
    o->central_db = central_db;
    o->draw = draw;
}

static inline void fo_sell(fake_outbox *o, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        uint64_t seq = ++o->n;
        ck_assert_uint_lt(seq, FO_ROWS_MAX);
        fx_ticket(&o->t[seq], o->node, seq, o->draw, 100 + (int64_t)(seq % 7), 0);
        tsr_enc e;
        tsr_enc_init(&e, o->bytes[seq], sizeof o->bytes[seq]);
        ck_assert_int_eq(tsr_ticket_encode(&o->t[seq], &e), TSR_OK);
        ck_assert_int_eq(tsr_enc_finish(&e, &o->len[seq]), TSR_OK);
    }
}

static inline tsr_status fo_read(void *ctx, uint64_t from, size_t max, tsr_relay_row_fn fn, void *arg)
{
    fake_outbox *o = ctx;
    for (uint64_t s = from > o->deleted ? from : o->deleted + 1; s <= o->n && max; s++, max--) {
        tsr_status st = fn(arg, s, TSR_ENTRY_TICKET, o->bytes[s], o->len[s]);
        if (st != TSR_OK)
            return st;
    }
    return TSR_OK;
}

static inline tsr_status fo_batch_put(void *ctx, uint64_t first, uint64_t last, const char *id)
{
    fake_outbox *o = ctx;
    (void)id;
    for (size_t i = 0; i < o->nb; i++)
        if (o->bfirst[i] == first)
            return o->blast[i] == last ? TSR_OK : TSR_ERR_EXISTS;
    o->bfirst[o->nb] = first;
    o->blast[o->nb++] = last;
    return TSR_OK;
}

static inline tsr_status fo_batches(void *ctx, uint64_t after, tsr_relay_range_fn fn, void *arg)
{
    fake_outbox *o = ctx;
    for (size_t i = 0; i < o->nb; i++)
        if (o->bfirst[i] > after) {
            tsr_status s = fn(arg, o->bfirst[i], o->blast[i]);
            if (s != TSR_OK)
                return s;
        }
    return TSR_OK;
}

/* The invariant: when the relay releases rows, central's store (read from
 * its database file, not from the relay) holds every one of them. */
static inline tsr_status fo_release(void *ctx, uint64_t up_to, const uint8_t chain[TSR_HASH_LEN])
{
    fake_outbox *o = ctx;
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM entries e JOIN nodes n USING(node_id) WHERE n.node='%s'"
             " AND e.seq<=%llu", o->node, (unsigned long long)up_to);
    if ((uint64_t)fx_query(o->central_db, sql) != up_to)
        o->violations++;
    o->deleted = up_to;
    memcpy(o->anchor_chain, chain, TSR_HASH_LEN);
    return TSR_OK;
}

static inline tsr_status fo_anchor(void *ctx, uint64_t *seq, uint8_t chain[TSR_HASH_LEN])
{
    fake_outbox *o = ctx;
    *seq = o->deleted;
    if (o->deleted)
        memcpy(chain, o->anchor_chain, TSR_HASH_LEN);
    else
        tsr_chain_init(chain);
    return TSR_OK;
}

static inline tsr_status fo_seals(void *ctx, tsr_relay_seal_fn fn, void *arg)
{
    fake_outbox *o = ctx;
    return o->seal_len ? fn(arg, "lotto", o->draw, o->seal, o->seal_len, o->seal_published)
                       : TSR_OK;
}

static inline tsr_status fo_seal_published(void *ctx, const char *game, uint32_t draw)
{
    fake_outbox *o = ctx;
    ck_assert(strcmp(game, "lotto") == 0 && draw == o->draw);
    o->seal_published = true;
    return TSR_OK;
}

/* An idempotent apply, as the node must have one: the same message applied
 * again (a redelivery) changes nothing. */
static inline tsr_status fo_control(void *ctx, tsr_ctl_kind kind, const void *bytes, size_t len)
{
    fake_outbox *o = ctx;
    o->attempts++;
    if (o->fail_next > 0) {
        o->fail_next--;
        return o->fail_with;
    }
    if (len >= sizeof o->applied[0].body)
        return TSR_ERR_TOO_LARGE;
    for (int i = 0; i < o->n_applied; i++)
        if (o->applied[i].kind == kind && strlen(o->applied[i].body) == len &&
            memcmp(o->applied[i].body, bytes, len) == 0) {
            o->duplicates++;
            return TSR_OK;
        }
    ck_assert_int_lt(o->n_applied, FO_CTL_MAX);
    o->applied[o->n_applied].kind = kind;
    memcpy(o->applied[o->n_applied].body, bytes, len);
    o->applied[o->n_applied++].body[len] = '\0';
    return TSR_OK;
}

static inline tsr_status fo_last_seq(void *ctx, uint64_t *seq)
{
    *seq = ((fake_outbox *)ctx)->n;
    return TSR_OK;
}

/* A relay for node i of the fixture over outbox o; env and beacon keys may
 * be NULL (the fixture's env; no beacons). */
static inline tsr_relay *fo_relay(fx *f, fake_outbox *o, int i, const tsr_env *env,
                                  const tsr_keyring *beacons)
{
    tsr_relay_opts ro = {.node = o->node, .nats_url = f->nats.url, .node_key = &f->node_kp[i],
                         .central_pk = f->central_kp.pk, .beacon_keys = beacons,
                         .env = env ? env : &f->env, .publish_timeout_ms = 2000,
                         .ops = {.ctx = o, .read = fo_read, .batch_put = fo_batch_put,
                                 .batches_load = fo_batches, .release = fo_release,
                                 .anchor = fo_anchor, .seals = fo_seals,
                                 .seal_published = fo_seal_published, .control = fo_control,
                                 .last_seq = fo_last_seq}};
    tsr_relay *r;
    ck_assert_int_eq(tsr_relay_create(&r, &ro), TSR_OK);
    return r;
}

/* Seal over every ticket of the outbox (all of one draw). */
static inline void fo_seal_all(fx *f, fake_outbox *o, int i)
{
    o->seal_len = fx_seal(&f->node_kp[i], o->node, o->draw, &o->t[1], o->n, o->seal,
                          sizeof o->seal);
}

#endif

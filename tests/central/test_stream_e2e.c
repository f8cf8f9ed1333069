/* End to end in one process: three relays over in-memory outboxes, a real
 * nats-server, and central. Sells on all three nodes, seals, reconciles,
 * and checks the invariants: every entry is at central exactly once and no
 * outbox row is released before central holds it (a receipt covers it).
 * Also restarts nats-server mid-stream. (The real tessera-node plugs its
 * SQLite outbox into the same tsr_relay_ops.) */
#include <stdlib.h>

#include "stream_fixture.h"
#include "tessera/relay.h"

#define ROWS_MAX 4096

typedef struct fake_outbox {
    const char *node;
    const char *central_db;
    tsr_ticket t[ROWS_MAX];
    uint8_t bytes[ROWS_MAX][TSR_TICKET_ENC_MAX];
    size_t len[ROWS_MAX];
    uint64_t n;               /* rows 1..n exist (before deletion) */
    uint64_t deleted;         /* rows 1..deleted were released */
    uint64_t bfirst[ROWS_MAX], blast[ROWS_MAX];
    size_t nb;
    uint8_t anchor_chain[TSR_HASH_LEN];
    uint8_t seal[256];
    size_t seal_len;
    bool seal_published;
    int violations;
} fake_outbox;

static void sell(fake_outbox *o, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        uint64_t seq = ++o->n;
        fx_ticket(&o->t[seq], o->node, seq, 9, 100 + (int64_t)(seq % 7), 0);
        tsr_enc e;
        tsr_enc_init(&e, o->bytes[seq], sizeof o->bytes[seq]);
        ck_assert_int_eq(tsr_ticket_encode(&o->t[seq], &e), TSR_OK);
        ck_assert_int_eq(tsr_enc_finish(&e, &o->len[seq]), TSR_OK);
    }
}

static tsr_status fo_read(void *ctx, uint64_t from, size_t max, tsr_relay_row_fn fn, void *arg)
{
    fake_outbox *o = ctx;
    for (uint64_t s = from > o->deleted ? from : o->deleted + 1; s <= o->n && max; s++, max--) {
        tsr_status st = fn(arg, s, TSR_ENTRY_TICKET, o->bytes[s], o->len[s]);
        if (st != TSR_OK)
            return st;
    }
    return TSR_OK;
}

static tsr_status fo_batch_put(void *ctx, uint64_t first, uint64_t last, const char *id)
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

static tsr_status fo_batches(void *ctx, uint64_t after, tsr_relay_range_fn fn, void *arg)
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

/* The invariant: at the moment of release, central's store holds every
 * row up to up_to (read from its database, not from the relay). */
static tsr_status fo_release(void *ctx, uint64_t up_to, const uint8_t chain[TSR_HASH_LEN])
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

static tsr_status fo_anchor(void *ctx, uint64_t *seq, uint8_t chain[TSR_HASH_LEN])
{
    fake_outbox *o = ctx;
    *seq = o->deleted;
    if (o->deleted)
        memcpy(chain, o->anchor_chain, TSR_HASH_LEN);
    else
        tsr_chain_init(chain);
    return TSR_OK;
}

static tsr_status fo_seals(void *ctx, tsr_relay_seal_fn fn, void *arg)
{
    fake_outbox *o = ctx;
    return o->seal_len ? fn(arg, "lotto", 9, o->seal, o->seal_len, o->seal_published) : TSR_OK;
}

static tsr_status fo_seal_published(void *ctx, const char *game, uint32_t draw)
{
    fake_outbox *o = ctx;
    ck_assert(strcmp(game, "lotto") == 0 && draw == 9);
    o->seal_published = true;
    return TSR_OK;
}

static tsr_relay *relay_for(fx *f, fake_outbox *o, int i)
{
    tsr_relay_opts ro = {.node = o->node, .nats_url = f->nats.url, .node_key = &f->node_kp[i],
                         .central_pk = f->central_kp.pk, .env = &f->env,
                         .publish_timeout_ms = 2000,
                         .ops = {.ctx = o, .read = fo_read, .batch_put = fo_batch_put,
                                 .batches_load = fo_batches, .release = fo_release,
                                 .anchor = fo_anchor, .seals = fo_seals,
                                 .seal_published = fo_seal_published}};
    tsr_relay *r;
    ck_assert_int_eq(tsr_relay_create(&r, &ro), TSR_OK);
    return r;
}

static bool all_released(fake_outbox *o, int n)
{
    for (int i = 0; i < n; i++)
        if (o[i].deleted != o[i].n)
            return false;
    return true;
}

static void pump(fx *f, tsr_relay **r, fake_outbox *o, int n, int max_rounds)
{
    for (int k = 0; k < max_rounds && !all_released(o, n); k++) {
        for (int i = 0; i < n; i++)
            ck_assert_int_eq(tsr_relay_step(r[i], 5), TSR_OK);
        ck_assert_int_eq(tsr_central_step(f->central, 5, NULL), TSR_OK);
    }
}

static fake_outbox ob[3];

START_TEST(three_nodes_sell_seal_and_reconcile_through_a_broker_restart)
{
    fx f;
    fx_start(&f, 3);
    tsr_relay *r[3];
    for (int i = 0; i < 3; i++) {
        memset(&ob[i], 0, sizeof ob[i]);
        ob[i].node = f.names[i];
        ob[i].central_db = f.db;
        sell(&ob[i], 1000 + 500 * (size_t)i);
        r[i] = relay_for(&f, &ob[i], i);
    }
    pump(&f, r, ob, 3, 400);
    ck_assert(all_released(ob, 3));
    /* nats-server restarts mid-stream; relays reconnect and re-send. */
    for (int i = 0; i < 3; i++)
        sell(&ob[i], 700);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(tsr_relay_step(r[i], 1), TSR_OK);
    ck_assert(tsr_test_nats_restart(&f.nats));
    pump(&f, r, ob, 3, 3000);
    ck_assert(all_released(ob, 3));
    /* Cutoff: each node seals; central reconciles every node. */
    ck_assert_int_eq(tsr_central_draw_add(f.central, "lotto", 9, FX_T0 + TSR_NS_PER_S), TSR_OK);
    uint64_t want_count = 0;
    int64_t want_stake = 0;
    for (int i = 0; i < 3; i++) {
        ob[i].seal_len = fx_seal(&f.node_kp[i], ob[i].node, 9, &ob[i].t[1], ob[i].n, ob[i].seal,
                                 sizeof ob[i].seal);
        for (uint64_t s = 1; s <= ob[i].n; s++) {
            want_count++;
            want_stake += ob[i].t[s].stake_cents;
        }
    }
    tsr_status ready = TSR_ERR_DRAW_NOT_READY;
    for (int k = 0; k < 200 && ready != TSR_OK; k++) {
        /* Relays look for new seals twice a (test clock) second. */
        ck_assert_int_eq(tsr_clock_test_advance(f.clock, TSR_NS_PER_S / 2), TSR_OK);
        for (int i = 0; i < 3; i++)
            ck_assert_int_eq(tsr_relay_step(r[i], 2), TSR_OK);
        ck_assert_int_eq(tsr_central_step(f.central, 2, NULL), TSR_OK);
        ready = tsr_central_draw_ready(f.central, "lotto", 9, NULL);
    }
    ck_assert_int_eq(ready, TSR_OK);
    uint64_t count;
    int64_t stake;
    ck_assert_int_eq(tsr_central_draw_totals(f.central, "lotto", 9, &count, &stake), TSR_OK);
    ck_assert_uint_eq(count, want_count);
    ck_assert_int_eq(stake, want_stake);
    /* Exactly once, and nothing released early. */
    ck_assert_int_eq(fx_query(f.db, "SELECT count(*) FROM entries"), (int64_t)want_count);
    ck_assert_int_eq(fx_query(f.db, "SELECT count(*) FROM alarms"), 0);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(ob[i].violations, 0);
        tsr_relay_stop(r[i]);
    }
    fx_stop(&f);
}
END_TEST

static Suite *e2e_suite(void)
{
    Suite *s = suite_create("stream_e2e");
    TCase *tc = tcase_create("e2e");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, three_nodes_sell_seal_and_reconcile_through_a_broker_restart);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(e2e_suite()); }

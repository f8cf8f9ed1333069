/* End to end in one process: three relays over in-memory outboxes, a real
 * nats-server, and central. Sells on all three nodes, seals, reconciles,
 * and checks the invariants: every entry is at central exactly once and no
 * outbox row is released before central holds it (a receipt covers it).
 * Also restarts nats-server mid-stream. (The real tessera-node plugs its
 * SQLite outbox into the same tsr_relay_ops.) */
#include <stdlib.h>

#include "relay_fixture.h"

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
        fo_init(&ob[i], f.names[i], f.db, 9);
        fo_sell(&ob[i], 1000 + 500 * (size_t)i);
        r[i] = fo_relay(&f, &ob[i], i, NULL, NULL);
    }
    pump(&f, r, ob, 3, 400);
    ck_assert(all_released(ob, 3));
    /* nats-server restarts mid-stream; relays reconnect and re-send. */
    for (int i = 0; i < 3; i++)
        fo_sell(&ob[i], 700);
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

/* A node offline across the cutoff, then back: the other nodes reconcile,
 * central asks for the missing seal after the grace, the draw waits for
 * the node (never drawn without it or an operator's exclusion), and once
 * the node reconnects its backlog and late seal arrive and reconcile. */
#include <stdlib.h>

#include "relay_fixture.h"

static fake_outbox ob[3];

static void step_nodes(fx *f, tsr_relay **r, int n, int rounds)
{
    for (int k = 0; k < rounds; k++) {
        for (int i = 0; i < n; i++)
            ck_assert_int_eq(tsr_relay_step(r[i], 2), TSR_OK);
        ck_assert_int_eq(tsr_central_step(f->central, 2, NULL), TSR_OK);
    }
}

static json_t *g_why; /* the last answer of reason(), freed by the next */

static json_t *reason(fx *f, const char *node, tsr_status expect)
{
    json_decref(g_why);
    ck_assert_int_eq(tsr_central_draw_ready(f->central, "lotto", 9, &g_why), expect);
    return json_object_get(g_why, node);
}

/* A replay request for n3's seal waits in n3's replay stream. */
static bool seal_requested(fx *f)
{
    tsr_js_pull *p;
    tsr_js_consumer_spec cs = {TSR_STREAM_REPLAY, "test-n3", "tsr.replay.n3", 0, 0};
    ck_assert_int_eq(tsr_js_pull_open(&p, f->js, &cs), TSR_OK);
    tsr_js_msgs m;
    bool found = false;
    while (!found && tsr_js_fetch(p, 16, 100, &m) == TSR_OK) {
        for (int i = 0; i < m.count; i++) {
            size_t len;
            const char *d = tsr_js_msg_data(&m, i, &len);
            found = found || (memmem(d, len, "\"game\":\"lotto\"", 14) && memmem(d, len, "\"draw\":9", 8));
        }
        tsr_js_msgs_free(&m);
    }
    tsr_js_pull_close(p);
    return found;
}

START_TEST(node_offline_across_cutoff_reconciles_late_and_the_draw_waits)
{
    fx f;
    fx_start(&f, 3);
    tsr_relay *r[3];
    for (int i = 0; i < 3; i++) {
        fo_init(&ob[i], f.names[i], f.db, 9);
        fo_sell(&ob[i], 500);
        r[i] = fo_relay(&f, &ob[i], i, NULL, NULL);
    }
    step_nodes(&f, r, 3, 40);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(ob[i].deleted, 500);
    /* n3 is cut off; it keeps selling until the cutoff and seals locally. */
    tsr_relay_stop(r[2]);
    for (int i = 0; i < 3; i++)
        fo_sell(&ob[i], 200);
    int64_t cutoff = tsr_clock_now_ns(f.clock);
    ck_assert_int_eq(tsr_central_draw_add(f.central, "lotto", 9, cutoff), TSR_OK);
    for (int i = 0; i < 3; i++)
        fo_seal_all(&f, &ob[i], i);
    for (int k = 0; k < 20; k++) {
        ck_assert_int_eq(tsr_clock_test_advance(f.clock, TSR_NS_PER_S / 2), TSR_OK);
        step_nodes(&f, r, 2, 1);
    }
    json_t *n3 = reason(&f, "n3", TSR_ERR_DRAW_NOT_READY);
    ck_assert_str_eq(json_string_value(json_object_get(n3, "state")), "open");
    ck_assert(json_is_true(json_object_get(n3, "late"))); /* past cutoff + 5 s grace */
    ck_assert_str_eq(json_string_value(json_object_get(reason(&f, "n1", TSR_ERR_DRAW_NOT_READY), "state")),
                     "reconciled");
    ck_assert(seal_requested(&f));
    json_t *st;
    ck_assert_int_eq(tsr_central_status_json(f.db, tsr_clock_now_ns(f.clock), 5000, &st), TSR_OK);
    json_t *row = json_array_get(json_object_get(st, "nodes"), 2);
    ck_assert_str_eq(json_string_value(json_object_get(row, "node")), "n3");
    ck_assert(!json_is_true(json_object_get(row, "connected")));
    ck_assert_int_eq(json_integer_value(json_object_get(row, "contig_seq")), 500);
    json_decref(st);
    /* The draw still waits a while later: nothing times a node out. */
    ck_assert_int_eq(tsr_clock_test_advance(f.clock, 60 * TSR_NS_PER_S), TSR_OK);
    step_nodes(&f, r, 2, 3);
    reason(&f, "n3", TSR_ERR_DRAW_NOT_READY);
    /* n3 is back: its backlog, then its (late) seal. */
    r[2] = fo_relay(&f, &ob[2], 2, NULL, NULL);
    tsr_status ready = TSR_ERR_DRAW_NOT_READY;
    for (int k = 0; k < 100 && ready != TSR_OK; k++) {
        ck_assert_int_eq(tsr_clock_test_advance(f.clock, TSR_NS_PER_S / 2), TSR_OK);
        step_nodes(&f, r, 3, 1);
        ready = tsr_central_draw_ready(f.central, "lotto", 9, NULL);
    }
    ck_assert_int_eq(ready, TSR_OK);
    n3 = reason(&f, "n3", TSR_OK);
    ck_assert_str_eq(json_string_value(json_object_get(n3, "state")), "reconciled");
    ck_assert(json_is_true(json_object_get(n3, "late")));
    uint64_t count;
    int64_t stake;
    ck_assert_int_eq(tsr_central_draw_totals(f.central, "lotto", 9, &count, &stake), TSR_OK);
    ck_assert_uint_eq(count, 2100);
    ck_assert_int_eq(fx_query(f.db, "SELECT count(*) FROM entries"), 2100);
    step_nodes(&f, r, 3, 10);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(ob[i].violations, 0);
        ck_assert_uint_eq(ob[i].deleted, 700);
        tsr_relay_stop(r[i]);
    }
    reason(&f, "n1", TSR_OK);
    json_decref(g_why);
    g_why = NULL;
    fx_stop(&f);
}
END_TEST

static Suite *cutoff_suite(void)
{
    Suite *s = suite_create("stream_cutoff");
    TCase *tc = tcase_create("cutoff");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, node_offline_across_cutoff_reconciles_late_and_the_draw_waits);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(cutoff_suite()); }

/* The central -> node direction against a real nats-server: control
 * messages reach a node's durable consumer (also after it was offline) and
 * apply idempotently; time beacons close sales beyond the bound and reopen
 * them; node status reaches central's status; the relay answers replay
 * requests (a batch the broker lost is asked for and re-sent); forged or
 * foreign receipts delete nothing. A fake outbox stands in for the node's
 * store (relay_fixture.h). */
#include <nats/nats.h>
#include <stdlib.h>
#include <time.h>

#include "relay_fixture.h"
#include "tessera/token.h"

static fake_outbox ob[3];

static void pump(fx *f, tsr_relay *r, int rounds)
{
    for (int k = 0; k < rounds; k++) {
        ck_assert_int_eq(tsr_relay_step(r, 5), TSR_OK);
        ck_assert_int_eq(tsr_central_step(f->central, 5, NULL), TSR_OK);
    }
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

START_TEST(control_reaches_durable_consumers_and_catches_up)
{
    fx f;
    fx_start(&f, 2);
    fo_init(&ob[0], "n1", f.db, 9);
    fo_init(&ob[1], "n2", f.db, 9);
    tsr_relay *r1 = fo_relay(&f, &ob[0], 0, NULL, NULL);
    ck_assert_int_eq(tsr_relay_step(r1, 5), TSR_OK); /* its durable consumer exists now */
    const char *cat = "catalog-v1", *tok = "token-lotto-9";
    ck_assert_int_eq(tsr_central_ctl_publish(f.central, NULL, TSR_CTL_CATALOG, "v1", cat, strlen(cat)), TSR_OK);
    ck_assert_int_eq(tsr_central_ctl_publish(f.central, "n1", TSR_CTL_TOKEN, "lotto-9", tok, strlen(tok)), TSR_OK);
    /* The same id again is dropped by JetStream's duplicate window. */
    ck_assert_int_eq(tsr_central_ctl_publish(f.central, "n1", TSR_CTL_TOKEN, "lotto-9", tok, strlen(tok)), TSR_OK);
    pump(&f, r1, 5);
    ck_assert_int_eq(ob[0].n_applied, 2);
    ck_assert_int_eq(ob[0].applied[0].kind, TSR_CTL_CATALOG);
    ck_assert_str_eq(ob[0].applied[1].body, tok);
    ck_assert_int_eq(ob[0].attempts, 2);
    /* n1 goes offline; central keeps publishing; n2 has never connected. */
    tsr_relay_stop(r1);
    const char *later[3] = {"result-lotto-9", "payout-77", "exclusion-p5"};
    const tsr_ctl_kind kinds[3] = {TSR_CTL_RESULT, TSR_CTL_PAYOUT, TSR_CTL_EXCLUSION};
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(tsr_central_ctl_publish(f.central, "n1", kinds[i], later[i], later[i],
                                                 strlen(later[i])), TSR_OK);
    r1 = fo_relay(&f, &ob[0], 0, NULL, NULL);
    tsr_relay *r2 = fo_relay(&f, &ob[1], 1, NULL, NULL);
    for (int k = 0; k < 5; k++) {
        ck_assert_int_eq(tsr_relay_step(r2, 5), TSR_OK);
        pump(&f, r1, 1);
    }
    ck_assert_int_eq(ob[0].n_applied, 5); /* caught up, in order, nothing twice */
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(ob[0].applied[2 + i].kind, kinds[i]);
        ck_assert_str_eq(ob[0].applied[2 + i].body, later[i]);
    }
    ck_assert_int_eq(ob[1].n_applied, 1); /* n2: only the broadcast catalogue */
    ck_assert_str_eq(ob[1].applied[0].body, cat);
    /* Bad calls. */
    ck_assert_int_eq(tsr_central_ctl_publish(f.central, "zz", TSR_CTL_TOKEN, "x", "y", 1), TSR_ERR_NODE_UNKNOWN);
    ck_assert_int_eq(tsr_central_ctl_publish(f.central, "n1", (tsr_ctl_kind)99, "x", "y", 1), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_central_ctl_publish(f.central, "n1", TSR_CTL_TOKEN, "", "y", 1), TSR_ERR_ARG);
    tsr_relay_stop(r1);
    tsr_relay_stop(r2);
    fx_stop(&f);
}
END_TEST

START_TEST(failed_applies_are_retried_and_rejected_ones_dropped)
{
    fx f;
    fx_start(&f, 1);
    fo_init(&ob[0], "n1", f.db, 9);
    tsr_relay *r = fo_relay(&f, &ob[0], 0, NULL, NULL);
    ck_assert_int_eq(tsr_relay_step(r, 5), TSR_OK);
    /* The node's store fails once: the message comes back (nak, 1 s). */
    ob[0].fail_next = 1;
    ob[0].fail_with = TSR_ERR_IO;
    ck_assert_int_eq(tsr_central_ctl_publish(f.central, "n1", TSR_CTL_PAYOUT, "p1", "payout-1", 8), TSR_OK);
    for (int k = 0; k < 300 && ob[0].n_applied == 0; k++) {
        pump(&f, r, 1);
        sleep_ms(10);
    }
    ck_assert_int_eq(ob[0].n_applied, 1);
    ck_assert_int_eq(ob[0].attempts, 2);
    /* A forged message (the node's verify says so) is terminated, never retried. */
    ob[0].fail_next = 1;
    ob[0].fail_with = TSR_ERR_SIGNATURE;
    ck_assert_int_eq(tsr_central_ctl_publish(f.central, "n1", TSR_CTL_RESULT, "r1", "forged", 6), TSR_OK);
    pump(&f, r, 3);
    ck_assert_int_eq(ob[0].attempts, 3);
    sleep_ms(1500);
    pump(&f, r, 3);
    ck_assert_int_eq(ob[0].attempts, 3);
    ck_assert_int_eq(ob[0].n_applied, 1);
    tsr_relay_stop(r);
    fx_stop(&f);
}
END_TEST

START_TEST(beacons_close_sales_beyond_the_bound_and_reopen)
{
    fx f;
    fx_start(&f, 1);
    fo_init(&ob[0], "n1", f.db, 9);
    tsr_clock *node_clock;
    ck_assert_int_eq(tsr_clock_test_create(&node_clock, FX_T0), TSR_OK);
    tsr_env node_env = {.clock = node_clock};
    tsr_keyring *authority;
    ck_assert_int_eq(tsr_keyring_create(&authority), TSR_OK);
    ck_assert_int_eq(tsr_keyring_add(authority, f.beacon_kp.pk, "draw-authority"), TSR_OK);
    tsr_relay *r = fo_relay(&f, &ob[0], 0, &node_env, authority);
    ck_assert_int_eq(tsr_relay_step(r, 5), TSR_OK); /* subscribed to tsr.beacon */
    tsr_relay_stats st;
    /* Ahead of the beacon is tolerated up to bound + transit (5 s by
     * default: a late beacon), behind it only up to the bound (250 ms). */
    int64_t skews[5] = {0, 6 * TSR_NS_PER_S, -TSR_NS_PER_S, 100 * TSR_NS_PER_MS, 2 * TSR_NS_PER_S};
    bool expect[5] = {true, false, false, true, true};
    for (int i = 0; i < 5; i++) {
        /* node = central + skew; the central clock moves a second per beacon. */
        ck_assert_int_eq(tsr_clock_test_advance(f.clock, TSR_NS_PER_S), TSR_OK);
        ck_assert_int_eq(tsr_clock_test_set(node_clock, tsr_clock_now_ns(f.clock) + skews[i]), TSR_OK);
        tsr_relay_get_stats(r, &st);
        uint64_t before = st.beacons;
        for (int k = 0; k < 50 && st.beacons == before; k++) {
            ck_assert_int_eq(tsr_central_step(f.central, 2, NULL), TSR_OK);
            ck_assert_int_eq(tsr_relay_step(r, 5), TSR_OK);
            tsr_relay_get_stats(r, &st);
        }
        ck_assert_uint_gt(st.beacons, before);
        ck_assert_msg(tsr_relay_time_ok(r) == expect[i], "skew %lld ns", (long long)skews[i]);
    }
    /* A forged beacon (another key) and a stale one say nothing. */
    tsr_beacon b = {.seq = UINT64_MAX / 2, .time_ns = tsr_clock_now_ns(node_clock) + 5 * TSR_NS_PER_S};
    uint8_t buf[TSR_BEACON_PACKED_MAX];
    size_t len;
    ck_assert_int_eq(tsr_beacon_sign(&b, &f.forger_kp), TSR_OK);
    ck_assert_int_eq(tsr_beacon_pack(&b, buf, sizeof buf, &len), TSR_OK);
    ck_assert_int_eq(tsr_js_publish_core(f.js, TSR_SUBJ_BEACON, buf, len), TSR_OK);
    b.time_ns = tsr_clock_now_ns(node_clock) - 60 * TSR_NS_PER_S;
    ck_assert_int_eq(tsr_beacon_sign(&b, &f.beacon_kp), TSR_OK);
    ck_assert_int_eq(tsr_beacon_pack(&b, buf, sizeof buf, &len), TSR_OK);
    ck_assert_int_eq(tsr_js_publish_core(f.js, TSR_SUBJ_BEACON, buf, len), TSR_OK);
    tsr_relay_get_stats(r, &st);
    uint64_t before = st.beacons;
    for (int k = 0; k < 10; k++)
        ck_assert_int_eq(tsr_relay_step(r, 5), TSR_OK);
    tsr_relay_get_stats(r, &st);
    ck_assert_uint_eq(st.beacons, before);
    ck_assert(tsr_relay_time_ok(r));
    tsr_relay_stop(r);
    tsr_keyring_destroy(authority);
    tsr_clock_destroy(node_clock);
    fx_stop(&f);
}
END_TEST

static json_t *g_status; /* the last answer of node_status(), freed by the next */

static json_t *node_status(fx *f, const char *node)
{
    json_decref(g_status);
    ck_assert_int_eq(tsr_central_status_json(f->db, tsr_clock_now_ns(f->clock), 5000, &g_status),
                     TSR_OK);
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(g_status, "nodes"), i, n)
        if (strcmp(json_string_value(json_object_get(n, "node")), node) == 0)
            return n;
    ck_abort_msg("no node %s in status", node);
    return NULL;
}

START_TEST(node_status_reaches_central)
{
    fx f;
    fx_start(&f, 2);
    fo_init(&ob[0], "n1", f.db, 9);
    fo_sell(&ob[0], 10);
    json_t *n = node_status(&f, "n1");
    ck_assert(!json_is_true(json_object_get(n, "connected")));
    ck_assert(json_is_null(json_object_get(n, "outbox_lag")));
    tsr_relay *r = fo_relay(&f, &ob[0], 0, NULL, NULL);
    ck_assert_int_eq(tsr_relay_step(r, 5), TSR_OK); /* status: 10 rows not yet receipted */
    for (int k = 0; k < 20 && json_is_null(json_object_get(node_status(&f, "n1"), "outbox_lag")); k++)
        ck_assert_int_eq(tsr_central_step(f.central, 5, NULL), TSR_OK);
    n = node_status(&f, "n1");
    ck_assert(json_is_true(json_object_get(n, "connected")));
    ck_assert_int_eq(json_integer_value(json_object_get(n, "outbox_lag")), 10);
    ck_assert_int_eq(json_integer_value(json_object_get(n, "last_seq")), 10);
    ck_assert(!json_is_true(json_object_get(node_status(&f, "n2"), "connected")));
    /* Receipted: the next status (a second later) reports no lag. */
    pump(&f, r, 5);
    ck_assert_uint_eq(ob[0].deleted, 10);
    ck_assert_int_eq(tsr_clock_test_advance(f.clock, 2 * TSR_NS_PER_S), TSR_OK);
    for (int k = 0; k < 20 && json_integer_value(json_object_get(node_status(&f, "n1"), "outbox_lag")); k++)
        pump(&f, r, 1);
    n = node_status(&f, "n1");
    ck_assert_int_eq(json_integer_value(json_object_get(n, "outbox_lag")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(n, "receipted_seq")), 10);
    /* Silent longer than status_stale_ms: disconnected. */
    tsr_relay_stop(r);
    ck_assert_int_eq(tsr_clock_test_advance(f.clock, 6 * TSR_NS_PER_S), TSR_OK);
    ck_assert(!json_is_true(json_object_get(node_status(&f, "n1"), "connected")));
    json_decref(g_status);
    g_status = NULL;
    fx_stop(&f);
}
END_TEST

/* Deletes stream message `seq` from TSR_TICKETS: the broker losing an acked
 * message it had not fsynced (nats-server 2.9 fsyncs lazily). */
static void broker_loses(fx *f, uint64_t seq)
{
    natsConnection *nc;
    natsMsg *reply = NULL;
    char body[64];
    snprintf(body, sizeof body, "{\"seq\":%llu,\"no_erase\":true}", (unsigned long long)seq);
    ck_assert_int_eq(natsConnection_ConnectTo(&nc, f->nats.url), NATS_OK);
    ck_assert_int_eq(natsConnection_RequestString(&reply, nc, "$JS.API.STREAM.MSG.DELETE.TSR_TICKETS",
                                                  body, 2000), NATS_OK);
    ck_assert_msg(strstr(natsMsg_GetData(reply), "\"success\":true"), "%s", natsMsg_GetData(reply));
    natsMsg_Destroy(reply);
    natsConnection_Destroy(nc);
}

START_TEST(relay_answers_replay_of_a_batch_the_broker_lost)
{
    fx f;
    fx_start(&f, 1);
    fo_init(&ob[0], "n1", f.db, 9);
    fo_sell(&ob[0], 2 * TSR_BATCH_MAX_ENTRIES + 100); /* three batches */
    tsr_relay *r = fo_relay(&f, &ob[0], 0, NULL, NULL);
    tsr_relay_stats st;
    for (int k = 0; k < 50; k++) {
        ck_assert_int_eq(tsr_relay_step(r, 5), TSR_OK);
        tsr_relay_get_stats(r, &st);
        if (st.acked == 3)
            break;
    }
    ck_assert_uint_eq(st.acked, 3);
    broker_loses(&f, 2);
    fx_steps(&f, 3);
    ck_assert_int_eq(fx_query(f.db, "SELECT contig_seq FROM nodes"), TSR_BATCH_MAX_ENTRIES);
    pump(&f, r, 3);
    ck_assert_uint_eq(ob[0].deleted, TSR_BATCH_MAX_ENTRIES); /* only what central holds */
    /* After the grace central asks for the gap, the relay re-sends it. */
    ck_assert_int_eq(tsr_clock_test_advance(f.clock, 3 * TSR_NS_PER_S), TSR_OK);
    for (int k = 0; k < 50 && ob[0].deleted != ob[0].n; k++)
        pump(&f, r, 1);
    tsr_relay_get_stats(r, &st);
    ck_assert_uint_ge(st.replays, 1);
    ck_assert_uint_eq(st.resent, 0); /* it was the replay, not the resend timer */
    ck_assert_uint_eq(ob[0].deleted, ob[0].n);
    ck_assert_int_eq(ob[0].violations, 0);
    ck_assert_int_eq(fx_query(f.db, "SELECT count(*) FROM entries"), (int64_t)ob[0].n);
    /* A seal replay re-publishes a seal that was published already. */
    fo_seal_all(&f, &ob[0], 0);
    ck_assert_int_eq(tsr_central_draw_add(f.central, "lotto", 9, FX_T0), TSR_OK);
    ck_assert_int_eq(tsr_clock_test_advance(f.clock, TSR_NS_PER_S), TSR_OK);
    pump(&f, r, 3);
    ck_assert(ob[0].seal_published);
    ck_assert_int_eq(tsr_central_draw_ready(f.central, "lotto", 9, NULL), TSR_OK);
    uint64_t seals = st.seals_published;
    const char *req = "{\"node\":\"n1\",\"game\":\"lotto\",\"draw\":9}";
    ck_assert_int_eq(tsr_js_publish(f.js, "tsr.replay.n1", NULL, req, strlen(req), NULL), TSR_OK);
    pump(&f, r, 3);
    tsr_relay_get_stats(r, &st);
    ck_assert_uint_gt(st.seals_published, seals);
    tsr_relay_stop(r);
    fx_stop(&f);
}
END_TEST

static void publish_receipt(fx *f, const tsr_keypair *kp, const char *node, uint64_t up_to,
                            const uint8_t chain[TSR_HASH_LEN])
{
    tsr_node_receipt rc = {.up_to_seq = up_to, .issued_at_ns = FX_T0};
    snprintf(rc.node, sizeof rc.node, "%s", node);
    memcpy(rc.chain, chain, TSR_HASH_LEN);
    uint8_t buf[TSR_SIGNED_MAX(TSR_NODE_RECEIPT_ENC_MAX)];
    size_t len;
    ck_assert_int_eq(tsr_node_receipt_sign(&rc, kp, buf, sizeof buf, &len), TSR_OK);
    ck_assert_int_eq(tsr_js_publish(f->js, "tsr.receipts.n1", NULL, buf, len, NULL), TSR_OK);
}

START_TEST(forged_or_foreign_receipts_delete_nothing)
{
    fx f;
    fx_start(&f, 1);
    tsr_central_close(f.central); /* no real receipts in this test */
    f.central = NULL;
    fo_init(&ob[0], "n1", f.db, 9);
    fo_sell(&ob[0], 20);
    char *logbuf = NULL;
    size_t loglen = 0;
    FILE *logf = open_memstream(&logbuf, &loglen);
    tsr_log *log;
    ck_assert_int_eq(tsr_log_create(&log, logf, f.clock, "relay", TSR_LOG_INFO), TSR_OK);
    tsr_env env = {.clock = f.clock, .log = log};
    tsr_relay *r = fo_relay(&f, &ob[0], 0, &env, NULL);
    ck_assert_int_eq(tsr_relay_step(r, 5), TSR_OK);
    uint8_t good[TSR_HASH_LEN], bad[TSR_HASH_LEN], leaf[TSR_HASH_LEN];
    tsr_chain_init(good);
    for (int i = 1; i <= 20; i++) {
        ck_assert_int_eq(tsr_ticket_leaf(&ob[0].t[i], leaf), TSR_OK);
        tsr_chain_next(good, leaf, good);
    }
    memcpy(bad, good, sizeof bad);
    bad[0] ^= 1;
    publish_receipt(&f, &f.central_kp, "n1", 20, bad);       /* chain disagrees */
    publish_receipt(&f, &f.central_kp, "n2", 20, good);      /* another node's */
    publish_receipt(&f, &f.forger_kp, "n1", 20, good);       /* not central's key */
    publish_receipt(&f, &f.central_kp, "n1", 999, good);     /* rows never sent */
    tsr_relay_stats st;
    for (int k = 0; k < 20; k++) {
        ck_assert_int_eq(tsr_relay_step(r, 5), TSR_OK);
        tsr_relay_get_stats(r, &st);
        if (st.receipt_rejected == 4)
            break;
    }
    ck_assert_uint_eq(st.receipt_rejected, 4);
    ck_assert_uint_eq(ob[0].deleted, 0);
    fflush(logf);
    ck_assert_msg(strstr(logbuf, "status=TSR_ERR_RECEIPT_CHAIN"), "%s", logbuf);
    ck_assert_msg(strstr(logbuf, "status=TSR_ERR_BATCH_NODE"), "%s", logbuf);
    ck_assert_msg(strstr(logbuf, "status=TSR_ERR_SIGNATURE"), "%s", logbuf);
    /* The genuine receipt releases the rows. */
    publish_receipt(&f, &f.central_kp, "n1", 20, good);
    for (int k = 0; k < 20 && ob[0].deleted != 20; k++)
        ck_assert_int_eq(tsr_relay_step(r, 5), TSR_OK);
    ck_assert_uint_eq(ob[0].deleted, 20);
    tsr_relay_stop(r);
    tsr_log_destroy(log);
    fclose(logf);
    free(logbuf);
    fx_stop(&f);
}
END_TEST

static Suite *control_suite(void)
{
    Suite *s = suite_create("stream_control");
    TCase *tc = tcase_create("control");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, control_reaches_durable_consumers_and_catches_up);
    tcase_add_test(tc, failed_applies_are_retried_and_rejected_ones_dropped);
    tcase_add_test(tc, beacons_close_sales_beyond_the_bound_and_reopen);
    tcase_add_test(tc, node_status_reaches_central);
    tcase_add_test(tc, relay_answers_replay_of_a_batch_the_broker_lost);
    tcase_add_test(tc, forged_or_foreign_receipts_delete_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(control_suite()); }

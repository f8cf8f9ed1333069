/*
 * The node's sync module end to end, in one process: a node (bet path over
 * real CoAP, in-test wallet) with its relay thread, a real nats-server, and
 * central stepped by the test. Checked after every central step: the node
 * never deletes an outbox row central does not hold.
 */
#include "sync_fixture.h"

static sx S;

static void setup(void) { sx_setup(&S, "sync"); }
static void teardown(void) { sx_teardown(&S); }

/* Control: installs the draw's token through central (not the admin path). */
static tsr_cutoff_token open_by_control(void)
{
    tsr_cutoff_token t;
    uint8_t packed[TSR_TOKEN_PACKED_MAX];
    size_t len = sx_token(&S, &S.f.authority_kp, &t, packed);
    json_int_t base = sx_health_relay(&S, "controls_applied");
    ck_assert_int_eq(tsr_central_ctl_publish(S.central, "n1", TSR_CTL_TOKEN, "tok-1", packed, len),
                     TSR_OK);
    sx_wait_counter(&S, "controls_applied", base, 1);
    return t;
}

START_TEST(sold_tickets_reach_central_and_rows_go_only_after_the_receipt)
{
    fx_start(&S.f);
    open_by_control();
    sx_sell(&S, "a", 40);
    ck_assert_int_eq(sx_node_q(&S, "SELECT count(*) FROM outbox"), 40);
    int64_t want = 40;
    ck_assert(sx_until(&S, sx_outbox_empty, &want));
    ck_assert_int_eq(sx_node_q(&S, "SELECT seq FROM relay_anchor"), 40);
    ck_assert_int_eq(sx_node_q(&S, "SELECT count(*) FROM batches"), 0);
    /* exactly once at central, and the same tickets */
    ck_assert_int_eq(sx_central_q(&S, "SELECT count(DISTINCT ticket_id) FROM entries"), 40);
    ck_assert_int_eq(sx_node_q(&S, "SELECT count(*) FROM tickets"), 40);
    ck_assert_int_eq(sx_health_relay(&S, "released_seq"), 40);
    ck_assert_int_eq(sx_health_relay(&S, "outbox_lag"), 0);
    ck_assert_int_eq(sx_health_relay(&S, "time_ok"), 1);
    ck_assert_int_ge(sx_health_relay(&S, "last_receipt_at_ns"), 1);
    /* more sales stream on from the anchor */
    sx_sell(&S, "b", 5);
    want = 45;
    ck_assert(sx_until(&S, sx_outbox_empty, &want));
    ck_assert_int_eq(sx_node_q(&S, "SELECT seq FROM relay_anchor"), 45);
}
END_TEST

START_TEST(a_token_from_central_is_applied_once_and_a_forged_one_changes_nothing)
{
    fx_start(&S.f);
    tsr_cutoff_token t;
    uint8_t packed[TSR_TOKEN_PACKED_MAX];
    size_t len = sx_token(&S, &S.f.authority_kp, &t, packed);
    ck_assert_int_eq(tsr_central_ctl_publish(S.central, "n1", TSR_CTL_TOKEN, "t1", packed, len),
                     TSR_OK);
    sx_wait_counter(&S, "controls_applied", 0, 1);
    /* redelivered under another message id: applied again, stored once */
    ck_assert_int_eq(tsr_central_ctl_publish(S.central, "n1", TSR_CTL_TOKEN, "t1-again", packed, len),
                     TSR_OK);
    sx_wait_counter(&S, "controls_applied", 0, 2);
    ck_assert_int_eq(sx_node_q(&S, "SELECT count(*) FROM tokens"), 1);
    ck_assert_int_eq(sx_node_q(&S, "SELECT count(*) FROM audit WHERE event='token_received'"), 1);
    /* the node sells on it */
    sx_sell(&S, "c", 1);
    /* forged: the other key signs a token for the next draw */
    tsr_cutoff_token f2;
    fx_token(&S.f, "pick3", t.cutoff_at_ns, &S.f.other_kp, &f2);
    ck_assert_int_eq(tsr_cutoff_token_pack(&f2, packed, sizeof packed, &len), TSR_OK);
    ck_assert_int_eq(tsr_central_ctl_publish(S.central, "n1", TSR_CTL_TOKEN, "forged", packed, len),
                     TSR_OK);
    sx_wait_counter(&S, "controls_refused", 0, 1);
    /* a different token for the draw we hold: a conflict, refused */
    tsr_cutoff_token other;
    sx_token(&S, &S.f.authority_kp, &other, packed);
    ck_assert_int_eq(tsr_cutoff_token_pack(&other, packed, sizeof packed, &len), TSR_OK);
    ck_assert_int_eq(tsr_central_ctl_publish(S.central, "n1", TSR_CTL_TOKEN, "conflict", packed, len),
                     TSR_OK);
    sx_wait_counter(&S, "controls_refused", 0, 2);
    ck_assert_int_eq(sx_node_q(&S, "SELECT count(*) FROM tokens"), 1);
    ck_assert_int_eq(sx_health_relay(&S, "controls_applied"), 2);
    /* garbage on the control path */
    ck_assert_int_eq(tsr_central_ctl_publish(S.central, "n1", TSR_CTL_TOKEN, "junk", "xyz", 3),
                     TSR_OK);
    sx_wait_counter(&S, "controls_refused", 0, 3);
}
END_TEST

START_TEST(a_node_offline_catches_up_on_reconnect)
{
    fx_start(&S.f);
    open_by_control();
    sx_sell(&S, "d", 10);
    int64_t want = 10;
    ck_assert(sx_until(&S, sx_outbox_empty, &want));
    /* the bus goes away: the node keeps selling into its outbox */
    tsr_test_nats_stop(&S.nats, false);
    sx_sell(&S, "e", 10);
    ck_assert_int_eq(sx_node_q(&S, "SELECT count(*) FROM outbox"), 10);
    ck_assert(tsr_test_nats_restart(&S.nats));
    want = 20;
    ck_assert(sx_until(&S, sx_outbox_empty, &want));
    /* the node itself is down while central publishes control messages */
    fx_stop_node(&S.f);
    tsr_result r = {.draw = 1, .state = TSR_RESULT_CANCELLED};
    snprintf(r.game, sizeof r.game, "pick3");
    uint8_t *signed_r;
    size_t len;
    ck_assert_int_eq(tsr_result_sign(&r, &S.central_kp, &signed_r, &len), TSR_OK);
    ck_assert_int_eq(tsr_central_ctl_publish(S.central, "n1", TSR_CTL_RESULT, "r1", signed_r, len),
                     TSR_OK);
    free(signed_r);
    fx_start(&S.f);
    sx_wait_counter(&S, "results_applied", 0, 1);
    ck_assert_int_eq(sx_node_q(&S, "SELECT count(*) FROM sync_results WHERE draw=1"), 1);
    ck_assert_int_eq(sx_node_q(&S, "SELECT seq FROM relay_anchor"), 20);
}
END_TEST

/* A payout batch of one draw for node `node`, signed by kp. */
static size_t payout_batch(const char *node, uint32_t draw, const tsr_payout_entry *e, uint32_t n,
                           const tsr_keypair *kp, uint8_t *out)
{
    tsr_payout_batch b = {.draw = draw, .batch_count = 1, .node_entries = n, .n = n,
                          .entries = (tsr_payout_entry *)e};
    snprintf(b.node, sizeof b.node, "%s", node);
    snprintf(b.game, sizeof b.game, "pick3");
    for (uint32_t i = 0; i < n; i++)
        b.node_amount_cents += e[i].amount_cents;
    size_t len;
    ck_assert_int_eq(tsr_payout_batch_sign(&b, kp, out, TSR_PAYOUT_BATCH_SIGNED_MAX, &len), TSR_OK);
    return len;
}

static void ticket_id(int64_t seq, uint8_t id[16])
{
    sqlite3 *d;
    ck_assert_int_eq(sqlite3_open_v2(S.f.cfg.db_path, &d, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(d, "SELECT id FROM tickets WHERE seq=?1", -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(st, 1, seq);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    memcpy(id, sqlite3_column_blob(st, 0), 16);
    sqlite3_finalize(st);
    sqlite3_close(d);
}

static void entry(tsr_payout_entry *e, uint32_t draw, int64_t seq, tsr_payout_kind kind,
                  int64_t amount)
{
    memset(e, 0, sizeof *e);
    ticket_id(seq, e->ticket_id);
    e->kind = (uint8_t)kind;
    e->tier = kind == TSR_PAYOUT_KIND_WIN ? 0 : TSR_PAYOUT_TIER_NONE;
    e->klass = TSR_PAYOUT_AUTO;
    e->amount_cents = amount;
    ck_assert_int_eq(tsr_payout_id("pick3", draw, e->ticket_id, kind, e->payout_id), TSR_OK);
}

/* Entries of a batch must be in ascending payout id order. */
static void sort2(tsr_payout_entry *e)
{
    if (memcmp(e[0].payout_id, e[1].payout_id, TSR_HASH_LEN) > 0) {
        tsr_payout_entry t = e[0];
        e[0] = e[1];
        e[1] = t;
    }
}

static void publish(tsr_ctl_kind kind, const char *id, const uint8_t *b, size_t len)
{
    ck_assert_int_eq(tsr_central_ctl_publish(S.central, "n1", kind, id, b, len), TSR_OK);
}

START_TEST(a_payout_batch_applied_twice_pays_once_and_forgeries_change_nothing)
{
    fx_start(&S.f);
    tsr_cutoff_token t = open_by_control();
    sx_sell(&S, "p", 3);
    static uint8_t buf[TSR_PAYOUT_BATCH_SIGNED_MAX];
    tsr_payout_entry e[2];
    entry(&e[0], t.draw, 1, TSR_PAYOUT_KIND_WIN, 5000);
    size_t len = payout_batch("n1", t.draw, e, 1, &S.central_kp, buf);
    json_int_t base = sx_health_relay(&S, "controls_applied");
    publish(TSR_CTL_PAYOUT, "pay-1", buf, len);
    publish(TSR_CTL_PAYOUT, "pay-1-again", buf, len);
    sx_wait_counter(&S, "controls_applied", base, 2);
    const char *bal = "SELECT balance FROM accounts WHERE name='player:7'";
    ck_assert_int_eq(sx_node_q(&S, bal), 5000);
    ck_assert_int_eq(sx_node_q(&S, "SELECT count(*) FROM sync_payouts"), 1);
    ck_assert_int_eq(sx_node_q(&S, "SELECT count(*) FROM payouts WHERE state='credited'"), 1);
    ck_assert_int_eq(sx_node_q(&S, "SELECT count(*) FROM sync_outcomes WHERE outcome='won'"), 1);
    ck_assert_int_eq(sx_node_q(&S, "SELECT count(*) FROM notifications WHERE kind='payout'"), 1);
    ck_assert_int_eq(sx_health_relay(&S, "payouts_applied"), 1);
    /* forged (another key), another node's batch, and a batch whose second
     * entry cannot be booked (no bet debit to refund: the in-test wallet
     * books none) are refused whole: nothing changes */
    entry(&e[0], t.draw, 2, TSR_PAYOUT_KIND_WIN, 700);
    len = payout_batch("n1", t.draw, e, 1, &S.f.other_kp, buf);
    publish(TSR_CTL_PAYOUT, "forged", buf, len);
    len = payout_batch("n2", t.draw, e, 1, &S.central_kp, buf);
    publish(TSR_CTL_PAYOUT, "other-node", buf, len);
    entry(&e[1], t.draw, 3, TSR_PAYOUT_KIND_REFUND, 100);
    sort2(e);
    len = payout_batch("n1", t.draw, e, 2, &S.central_kp, buf);
    publish(TSR_CTL_PAYOUT, "half-bad", buf, len);
    sx_wait_counter(&S, "controls_refused", 0, 3);
    ck_assert_int_eq(sx_node_q(&S, bal), 5000);
    ck_assert_int_eq(sx_node_q(&S, "SELECT count(*) FROM sync_payouts"), 1);
    ck_assert_int_eq(sx_node_q(&S, "SELECT count(*) FROM payouts"), 1);
    ck_assert_int_eq(sx_health_relay(&S, "payouts_applied"), 1);
    /* the cancelled-draw result marks the rest; the win keeps its outcome */
    tsr_result r = {.draw = t.draw, .state = TSR_RESULT_CANCELLED};
    snprintf(r.game, sizeof r.game, "pick3");
    uint8_t *sr;
    ck_assert_int_eq(tsr_result_sign(&r, &S.central_kp, &sr, &len), TSR_OK);
    publish(TSR_CTL_RESULT, "res", sr, len);
    publish(TSR_CTL_RESULT, "res-again", sr, len);
    free(sr);
    sx_wait_counter(&S, "results_applied", 0, 2);
    ck_assert_int_eq(sx_node_q(&S, "SELECT count(*) FROM sync_outcomes WHERE outcome='won'"), 1);
    ck_assert_int_eq(sx_node_q(&S, "SELECT count(*) FROM sync_outcomes WHERE outcome='refund_due'"), 2);
    ck_assert_int_eq(sx_node_q(&S, "SELECT count(*) FROM notifications WHERE kind='result'"), 1);
    ck_assert_int_eq(sx_node_q(&S, "SELECT count(*) FROM audit WHERE event='result_received'"), 1);
}
END_TEST

static Suite *sync_suite(void)
{
    Suite *s = suite_create("node_sync");
    TCase *tc = tcase_create("stream");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, sold_tickets_reach_central_and_rows_go_only_after_the_receipt);
    tcase_add_test(tc, a_token_from_central_is_applied_once_and_a_forged_one_changes_nothing);
    tcase_add_test(tc, a_node_offline_catches_up_on_reconnect);
    tcase_add_test(tc, a_payout_batch_applied_twice_pays_once_and_forgeries_change_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(sync_suite()); }

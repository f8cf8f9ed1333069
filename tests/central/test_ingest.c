/* Central ingestion against a real nats-server: idempotent inserts, alarms
 * on conflicting or forged batches, signed receipts, gaps and replay
 * requests, seals and reconciliation, operator exclusion. */
#include <stdlib.h>

#include "stream_fixture.h"

static uint8_t buf[TSR_BATCH_MAX_BYTES];

static const char *state_of(json_t *why, const char *node)
{
    return json_string_value(json_object_get(json_object_get(why, node), "state"));
}

/* The status code tessera-central alarms reports for the alarm of `kind`. */
static const char *alarm_status_of(fx *f, const char *kind)
{
    static char out[64];
    json_t *a;
    ck_assert_int_eq(tsr_central_alarms_json(f->db, &a), TSR_OK);
    size_t i;
    json_t *al;
    out[0] = '\0';
    json_array_foreach(a, i, al)
        if (strcmp(json_string_value(json_object_get(al, "kind")), kind) == 0)
            snprintf(out, sizeof out, "%s", json_string_value(json_object_get(al, "status")));
    json_decref(a);
    return out;
}

static void make_tickets(tsr_ticket *t, const char *node, uint64_t first, size_t n, uint32_t draw)
{
    for (size_t i = 0; i < n; i++)
        fx_ticket(&t[i], node, first + i, draw, 200 + (int64_t)i, 0);
}

/* Reads the newest receipt for n1 and checks it against the chain. */
static void expect_receipt(fx *f, const tsr_ticket *t, uint64_t up_to)
{
    tsr_js_pull *p;
    tsr_js_consumer_spec cs = {TSR_STREAM_RECEIPTS, "test-n1", "tsr.receipts.n1", 0, 0};
    ck_assert_int_eq(tsr_js_pull_open(&p, f->js, &cs), TSR_OK);
    tsr_node_receipt r = {0}, last = {0};
    tsr_js_msgs m;
    while (tsr_js_fetch(p, 16, 200, &m) == TSR_OK) {
        for (int i = 0; i < m.count; i++) {
            size_t len;
            const void *d = tsr_js_msg_data(&m, i, &len);
            ck_assert_int_eq(tsr_node_receipt_open(f->central_kp.pk, d, len, &r), TSR_OK);
            last = r;
            ck_assert_int_eq(tsr_js_msg_ack(&m, i), TSR_OK);
        }
        tsr_js_msgs_free(&m);
    }
    tsr_js_pull_close(p);
    ck_assert_uint_eq(last.up_to_seq, up_to);
    uint8_t chain[TSR_HASH_LEN], leaf[TSR_HASH_LEN];
    tsr_chain_init(chain);
    for (uint64_t i = 0; i < up_to; i++) {
        ck_assert_int_eq(tsr_ticket_leaf(&t[i], leaf), TSR_OK);
        tsr_chain_next(chain, leaf, chain);
    }
    ck_assert_mem_eq(chain, last.chain, TSR_HASH_LEN);
}

START_TEST(batches_are_stored_once_and_receipted)
{
    fx f;
    fx_start(&f, 1);
    tsr_ticket t[20];
    make_tickets(t, "n1", 1, 20, 7);
    size_t len = fx_batch(&f.node_kp[0], "n1", t, 10, buf, sizeof buf);
    fx_publish(&f, "n1", buf, len, "n1:1-10");
    fx_publish(&f, "n1", buf, len, "n1:1-10");        /* deduplicated by JetStream */
    fx_publish(&f, "n1", buf, len, "n1:1-10:replay");  /* stored twice: central absorbs it */
    fx_steps(&f, 5);
    ck_assert_int_eq(fx_query(f.db, "SELECT count(*) FROM entries"), 10);
    ck_assert_int_eq(fx_query(f.db, "SELECT contig_seq FROM nodes WHERE node='n1'"), 10);
    ck_assert_int_eq(fx_query(f.db, "SELECT count(*) FROM alarms"), 0);
    len = fx_batch(&f.node_kp[0], "n1", t + 10, 10, buf, sizeof buf);
    fx_publish(&f, "n1", buf, len, "n1:11-20");
    fx_steps(&f, 5);
    ck_assert_int_eq(fx_query(f.db, "SELECT sum(amount) FROM entries"), 20 * 200 + 190);
    expect_receipt(&f, t, 20);
    uint64_t count;
    int64_t stake;
    ck_assert_int_eq(tsr_central_draw_totals(f.central, "lotto", 7, &count, &stake), TSR_OK);
    ck_assert_uint_eq(count, 20);
    ck_assert_int_eq(stake, 20 * 200 + 190);
    fx_stop(&f);
}
END_TEST

START_TEST(reused_ticket_id_raises_alarm_and_keeps_original)
{
    fx f;
    fx_start(&f, 1);
    tsr_ticket t[3];
    make_tickets(t, "n1", 1, 3, 7);
    memcpy(t[2].id, t[0].id, sizeof t[0].id); /* seq 3 reuses seq 1's id */
    size_t len = fx_batch(&f.node_kp[0], "n1", t, 3, buf, sizeof buf);
    fx_publish(&f, "n1", buf, len, "n1:1-3");
    fx_steps(&f, 4);
    ck_assert_int_eq(fx_query(f.db, "SELECT count(*) FROM alarms WHERE kind='ticket_conflict'"), 1);
    ck_assert_int_eq(fx_query(f.db, "SELECT seq FROM entries WHERE kind=1 AND conflict=0 AND "
                                    "ticket_id=(SELECT ticket_id FROM entries WHERE seq=3)"), 1);
    ck_assert_int_eq(fx_query(f.db, "SELECT conflict FROM entries WHERE seq=3"), 1);
    /* Its sequence is still filled: the node signed it, so the receipt moves on. */
    ck_assert_int_eq(fx_query(f.db, "SELECT contig_seq FROM nodes"), 3);
    /* The same seq with other content is an alarm too, and changes nothing. */
    tsr_ticket again;
    fx_ticket(&again, "n1", 2, 7, 999, 1);
    len = fx_batch(&f.node_kp[0], "n1", &again, 1, buf, sizeof buf);
    fx_publish(&f, "n1", buf, len, "n1:2-2");
    fx_steps(&f, 4);
    ck_assert_int_eq(fx_query(f.db, "SELECT count(*) FROM alarms WHERE kind='seq_conflict'"), 1);
    ck_assert_int_eq(fx_query(f.db, "SELECT amount FROM entries WHERE seq=2"), 201);
    ck_assert_str_eq(alarm_status_of(&f, "ticket_conflict"), "TSR_ERR_TICKET_CONFLICT");
    ck_assert_str_eq(alarm_status_of(&f, "seq_conflict"), "TSR_ERR_TICKET_CONFLICT");
    fx_stop(&f);
}
END_TEST

START_TEST(forged_or_misaddressed_batches_are_rejected)
{
    fx f;
    fx_start(&f, 2);
    tsr_ticket t[4];
    make_tickets(t, "n1", 1, 4, 7);
    size_t len = fx_batch(&f.forger_kp, "n1", t, 4, buf, sizeof buf);
    fx_publish(&f, "n1", buf, len, "forged");
    len = fx_batch(&f.node_kp[0], "n1", t, 4, buf, sizeof buf);
    fx_publish(&f, "n2", buf, len, "misaddressed"); /* n1's batch on n2's subject */
    fx_publish(&f, "n1", (const uint8_t *)"garbage", 7, "garbage");
    tsr_ticket u;
    fx_ticket(&u, "n3", 1, 7, 100, 0); /* n3 is not configured at this central */
    len = fx_batch(&f.node_kp[2], "n3", &u, 1, buf, sizeof buf);
    fx_publish(&f, "n3", buf, len, "unknown");
    fx_steps(&f, 5);
    ck_assert_int_eq(fx_query(f.db, "SELECT count(*) FROM entries"), 0);
    ck_assert_int_eq(fx_query(f.db, "SELECT count(*) FROM alarms WHERE kind='forged_batch'"), 1);
    ck_assert_int_eq(fx_query(f.db, "SELECT count(*) FROM alarms WHERE kind='batch_node_mismatch'"), 1);
    ck_assert_int_eq(fx_query(f.db, "SELECT count(*) FROM alarms WHERE kind='malformed_batch'"), 1);
    ck_assert_int_eq(fx_query(f.db, "SELECT count(*) FROM alarms WHERE kind='unknown_node'"), 1);
    ck_assert_str_eq(alarm_status_of(&f, "forged_batch"), "TSR_ERR_SIGNATURE");
    ck_assert_str_eq(alarm_status_of(&f, "batch_node_mismatch"), "TSR_ERR_BATCH_NODE");
    ck_assert_str_eq(alarm_status_of(&f, "malformed_batch"), "TSR_ERR_ENCODING");
    ck_assert_str_eq(alarm_status_of(&f, "unknown_node"), "TSR_ERR_NODE_UNKNOWN");
    /* Rejected messages were acked (terminal), not redelivered forever. */
    fx_steps(&f, 3);
    ck_assert_int_eq(fx_query(f.db, "SELECT count(*) FROM alarms"), 4);
    fx_stop(&f);
}
END_TEST

static void publish_seal(fx *f, const char *node, const uint8_t *s, size_t len)
{
    char subject[TSR_SUBJECT_MAX];
    ck_assert_int_eq(tsr_subject_node(TSR_SUBJ_SEALS, node, subject, sizeof subject), TSR_OK);
    ck_assert_int_eq(tsr_js_publish(f->js, subject, NULL, s, len, NULL), TSR_OK);
}

START_TEST(seals_reconcile_and_gaps_are_replayed)
{
    fx f;
    fx_start(&f, 2);
    tsr_ticket a[30], b[5];
    make_tickets(a, "n1", 1, 30, 7);
    make_tickets(b, "n2", 1, 5, 7);
    uint8_t seal[256];
    size_t len = fx_batch(&f.node_kp[0], "n1", a, 10, buf, sizeof buf);
    fx_publish(&f, "n1", buf, len, "n1:1-10");
    len = fx_batch(&f.node_kp[0], "n1", a + 20, 10, buf, sizeof buf); /* 11-20 lost */
    fx_publish(&f, "n1", buf, len, "n1:21-30");
    len = fx_batch(&f.node_kp[1], "n2", b, 5, buf, sizeof buf);
    fx_publish(&f, "n2", buf, len, "n2:1-5");
    ck_assert_int_eq(tsr_central_draw_add(f.central, "lotto", 7, FX_T0 + TSR_NS_PER_S), TSR_OK);
    publish_seal(&f, "n1", seal, fx_seal(&f.node_kp[0], "n1", 7, a, 30, seal, sizeof seal));
    publish_seal(&f, "n2", seal, fx_seal(&f.node_kp[1], "n2", 7, b, 4, seal, sizeof seal));
    fx_steps(&f, 4);
    json_t *why = NULL;
    /* A mismatch outranks waiting: the draw needs a replay or an operator. */
    ck_assert_int_eq(tsr_central_draw_ready(f.central, "lotto", 7, &why), TSR_ERR_SEAL_MISMATCH);
    ck_assert_str_eq(state_of(why, "n1"), "sealed");
    ck_assert_str_eq(state_of(why, "n2"), "mismatch"); /* count 4 vs 5 */
    json_decref(why);
    /* After the grace the gap is asked for. */
    ck_assert_int_eq(tsr_clock_test_advance(f.clock, 3 * TSR_NS_PER_S), TSR_OK);
    fx_steps(&f, 2);
    tsr_js_pull *p;
    tsr_js_consumer_spec cs = {TSR_STREAM_REPLAY, "test-n1", "tsr.replay.n1", 0, 0};
    ck_assert_int_eq(tsr_js_pull_open(&p, f.js, &cs), TSR_OK);
    tsr_js_msgs m;
    ck_assert_int_eq(tsr_js_fetch(p, 1, 500, &m), TSR_OK);
    size_t rl;
    const char *req = tsr_js_msg_data(&m, 0, &rl);
    ck_assert(strstr(req, "\"from_seq\":11") && strstr(req, "\"to_seq\":30"));
    tsr_js_msgs_free(&m);
    tsr_js_pull_close(p);
    ck_assert_int_eq(fx_query(f.db, "SELECT count(*) FROM seals WHERE state='mismatch'"), 2);
    /* The replay fills the gap: n1 reconciles. */
    len = fx_batch(&f.node_kp[0], "n1", a + 10, 10, buf, sizeof buf);
    fx_publish(&f, "n1", buf, len, "n1:11-20");
    fx_steps(&f, 3);
    ck_assert_int_eq(tsr_central_draw_ready(f.central, "lotto", 7, &why), TSR_ERR_SEAL_MISMATCH);
    ck_assert_str_eq(state_of(why, "n1"), "reconciled");
    json_decref(why);
    /* The same answer from the store path the CLI uses. */
    ck_assert_int_eq(tsr_central_draw_ready_db(f.db, "lotto", 7, FX_T0, 5000, &why),
                     TSR_ERR_SEAL_MISMATCH);
    ck_assert_str_eq(state_of(why, "n2"), "mismatch");
    json_decref(why);
    ck_assert_int_eq(tsr_central_draw_ready_db("/nonexistent/central.db", "lotto", 7, FX_T0, 0,
                                               &why), TSR_ERR_NOT_FOUND);
    ck_assert_ptr_null(why);
    ck_assert_int_eq(tsr_central_draw_ready(f.central, "bad game!", 7, NULL), TSR_ERR_RANGE);
    /* n2 stays a mismatch until an operator excludes it (audited). */
    ck_assert_int_eq(tsr_central_exclude(f.db, "n2", "lotto", 7, "alice", "seal disagrees",
                                         FX_T0), TSR_OK);
    ck_assert_int_eq(tsr_central_exclude(f.db, "n2", "lotto", 7, "alice", "again", FX_T0),
                     TSR_ERR_EXISTS);
    ck_assert_int_eq(tsr_central_exclude(f.db, "zz", "lotto", 7, "alice", "x", FX_T0),
                     TSR_ERR_NODE_UNKNOWN);
    ck_assert_int_eq(tsr_central_exclude(f.db, "n2", "lotto", 7, "", "x", FX_T0), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_central_draw_ready(f.central, "lotto", 7, NULL), TSR_OK);
    ck_assert_int_eq(fx_query(f.db, "SELECT count(*) FROM audit WHERE event='node_excluded'"), 1);
    ck_assert_int_eq(fx_query(f.db, "SELECT count(*) FROM entries WHERE node_id=2"), 5);
    json_t *st;
    ck_assert_int_eq(tsr_central_status_json(f.db, FX_T0, 5000, &st), TSR_OK);
    ck_assert_int_eq(json_array_size(json_object_get(st, "nodes")), 2);
    json_decref(st);
    ck_assert_int_eq(tsr_central_status_json("/nonexistent/c.db", FX_T0, 5000, &st),
                     TSR_ERR_NOT_FOUND);
    ck_assert_int_eq(tsr_central_exclude("/nonexistent/c.db", "n2", "lotto", 7, "a", "b", FX_T0),
                     TSR_ERR_NOT_FOUND);
    fx_stop(&f);
}
END_TEST

static Suite *ingest_suite(void)
{
    Suite *s = suite_create("central_ingest");
    TCase *tc = tcase_create("ingest");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, batches_are_stored_once_and_receipted);
    tcase_add_test(tc, reused_ticket_id_raises_alarm_and_keeps_original);
    tcase_add_test(tc, forged_or_misaddressed_batches_are_rejected);
    tcase_add_test(tc, seals_reconcile_and_gaps_are_replayed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(ingest_suite()); }

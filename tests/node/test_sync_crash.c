/*
 * kill -9 of the real tessera-node between publish and receipt: the node
 * sells, its relay publishes the batches (JetStream holds them) while
 * central is not yet running its loop, so no receipt exists; the node is
 * killed with SIGKILL and restarted; then central ingests. Every ticket
 * the client holds a receipt for is at central exactly once, the outbox
 * lost nothing before central's receipt (checked after every central
 * step), and it is empty once the receipts came.
 */
#include <signal.h>
#include <sys/stat.h>

#include "../../node/src/agents.h"
#include "sync_fixture.h"

#define CRASH_SELL 60

static sx S;
static char cfgp[200], logp[200], bin[256];
static tsr_clock *central_clock;

/* The daemon's offset clock: two hours before the cutoff of the pick3 draw
 * whose token goes in tokens_dir. Central runs on the same offset, so its
 * beacons agree with the node and sales stay open. */
static int64_t deploy_token(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t real_now = (int64_t)ts.tv_sec * TSR_NS_PER_S + ts.tv_nsec;
    tsr_cutoff_token t;
    fx_token(&S.f, "pick3", real_now + 24 * 3600 * TSR_NS_PER_S, &S.f.authority_kp, &t);
    char tokdir[200], p[300];
    fx_path(&S.f, "tokens", tokdir, sizeof tokdir);
    ck_assert_int_eq(mkdir(tokdir, 0700), 0);
    snprintf(p, sizeof p, "%s/pick3.json", tokdir);
    json_t *j = tsr_cutoff_token_to_json(&t);
    ck_assert_int_eq(json_dump_file(j, p, 0), 0);
    json_decref(j);
    return (t.cutoff_at_ns - 2 * 3600 * TSR_NS_PER_S - real_now) / TSR_NS_PER_MS;
}

static void deploy(void)
{
    int64_t offset_ms = deploy_token();
    char tokdir[200];
    fx_path(&S.f, "tokens", tokdir, sizeof tokdir);
    fx_path(&S.f, "node.json", cfgp, sizeof cfgp);
    fx_path(&S.f, "node.log", logp, sizeof logp);
    S.f.port = tsr_test_free_port(true);
    FILE *f = fopen(cfgp, "w");
    fprintf(f,
            "{\"node_id\":\"n1\",\"db_path\":\"%s\",\"node_key\":\"%s\",\"draw_authority_key\":\"%s\","
            "\"psk_table\":\"%s\",\"catalog_file\":\"%s\",\"tokens_dir\":\"%s\","
            "\"allow_plain_coap\":true,\"coap_port\":%d,\"clock\":\"offset\","
            "\"clock_offset_ms\":%lld,\"log_level\":\"info\",\"nats_url\":\"%s\","
            "\"central_key\":\"%s\",\"beacon_bound_ms\":2000}",
            S.f.cfg.db_path, S.f.cfg.node_key, S.f.cfg.draw_authority_key, S.f.cfg.psk_table,
            S.f.cfg.catalog_file, tokdir, S.f.port, (long long)offset_ms, S.nats.url,
            S.f.cfg.central_key);
    fclose(f);
    tsr_store *st;
    ck_assert_int_eq(tsr_store_open(&st, S.f.cfg.db_path, NULL), TSR_OK);
    ck_assert_int_eq(tsr_agents_float_adjust(tsr_store_writer(st), "term-1", 100000000, "float-1",
                                             tsr_clock_now_ns(S.f.clock), NULL),
                     TSR_OK);
    tsr_store_close(st);
    /* central again, on the daemon's offset clock */
    tsr_central_close(S.central);
    ck_assert_int_eq(tsr_clock_offset_create(&central_clock, offset_ms * TSR_NS_PER_MS,
                                             10 * TSR_NS_PER_MS),
                     TSR_OK);
    S.f.env.clock = central_clock;
    sx_central_open(&S);
}

static void setup(void)
{
    sx_setup(&S, "synccrash");
    tsr_test_bin("tessera-node", bin, sizeof bin);
    deploy();
}

static void teardown(void)
{
    tsr_central_close(S.central);
    S.central = NULL;
    S.f.env.clock = S.f.clock;
    tsr_clock_destroy(central_clock);
    sx_teardown(&S);
}

static bool health_up(void)
{
    static fx_resp r;
    memset(&r, 0, sizeof r);
    fx_last_resp_ = &r;
    coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_NON, COAP_REQUEST_CODE_GET, S.f.csess);
    coap_add_token(pdu, 1, (const uint8_t *)"h");
    fx_add_uri(pdu, "v1/health", NULL);
    coap_send(S.f.csess, pdu);
    for (int w = 0; w < 10 && !r.done; w++)
        coap_io_process(S.f.cctx, 10);
    bool up = r.done && r.code == 205;
    json_decref(r.json);
    r.json = NULL;
    return up;
}

static pid_t start_node(void)
{
    char *argv[] = {bin, "--config", cfgp, NULL};
    pid_t pid = tsr_test_spawn(logp, argv);
    ck_assert_int_gt(pid, 0);
    fx_client(&S.f);
    coap_register_response_handler(S.f.cctx, fx_on_response);
    bool up = false;
    for (int i = 0; i < 300 && !up; i++)
        up = health_up();
    if (!up)
        tsr_test_sh("grep -v event=config '%s' | tail -n 20 >&2", logp);
    ck_assert_msg(up, "the node did not come up (log: %s)", logp);
    return pid;
}

static void client_close(void)
{
    coap_session_release(S.f.csess);
    coap_free_context(S.f.cctx);
    S.f.csess = NULL;
    S.f.cctx = NULL;
}

/* Until the daemon's relay formed every batch it may without a receipt
 * (all rows, or a full window of TSR_RELAY_WINDOW unreceipted batches:
 * bets arriving one by one make small batches) and JetStream stored them. */
static bool published_all(sx *s, void *arg)
{
    tsr_js *js = arg;
    uint64_t msgs = 0;
    int64_t formed = sx_node_q(s, "SELECT coalesce(max(last_seq), 0) FROM batches");
    int64_t batches = sx_node_q(s, "SELECT count(*) FROM batches");
    return (formed == CRASH_SELL || batches == TSR_RELAY_WINDOW) &&
           tsr_js_stream_msgs(js, TSR_STREAM_TICKETS, &msgs) == TSR_OK &&
           (int64_t)msgs >= batches;
}

static void wait_published(void)
{
    tsr_js *js;
    tsr_js_opts jo = {.url = S.nats.url, .name = "test-observer"};
    ck_assert_int_eq(tsr_js_connect(&js, &jo), TSR_OK);
    bool ok = false;
    for (int i = 0; i < SX_STEPS_MAX && !ok; i++) {
        ok = published_all(&S, js);
        if (!ok) {
            struct timespec ts = {0, SX_STEP_MS * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    tsr_js_close(js);
    if (!ok) {
        tsr_test_sh("tail -n 5 '%s' >&2", logp);
        fprintf(stderr, "formed=%lld batches=%lld outbox=%lld\n",
                (long long)sx_node_q(&S, "SELECT coalesce(max(last_seq), 0) FROM batches"),
                (long long)sx_node_q(&S, "SELECT count(*) FROM batches"),
                (long long)sx_node_q(&S, "SELECT count(*) FROM outbox"));
    }
    ck_assert_msg(ok, "the relay never published every batch");
}

static int64_t central_has(const char *hex)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM entries WHERE kind=1 AND hex(ticket_id)=upper('%.32s')",
             hex);
    return sx_central_q(&S, sql);
}

START_TEST(kill_9_between_publish_and_receipt_loses_and_duplicates_nothing)
{
    pid_t pid = start_node();
    static char ids[CRASH_SELL][33];
    for (int i = 0; i < CRASH_SELL; i++) {
        char key[40];
        snprintf(key, sizeof key, "crash-key-%06d", i);
        fx_resp *r = fx_bet(&S.f, "terminal=term-1", "pick3", PICK3, key);
        ck_assert_msg(r->code == 201, "bet %d: %d %s", i, r->code, r->body);
        json_t *rc = json_array_get(json_object_get(r->json, "receipts"), 0);
        snprintf(ids[i], sizeof ids[i], "%s", json_string_value(json_object_get(rc, "ticket_id")));
    }
    wait_published();
    /* no receipt yet: not a single row may be gone */
    ck_assert_int_eq(sx_node_q(&S, "SELECT count(*) FROM outbox"), CRASH_SELL);
    ck_assert_int_eq(sx_node_q(&S, "SELECT coalesce(max(seq), 0) FROM relay_anchor"), 0);
    kill(pid, SIGKILL);
    ck_assert_int_eq(tsr_test_wait(pid, 10000), 128 + SIGKILL);
    client_close();
    ck_assert_int_eq(sx_node_q(&S, "SELECT count(*) FROM outbox"), CRASH_SELL);
    pid = start_node();
    int64_t want = CRASH_SELL;
    ck_assert(sx_until(&S, sx_outbox_empty, &want));
    for (int i = 0; i < CRASH_SELL; i++)
        ck_assert_msg(central_has(ids[i]) == 1, "ticket %s at central %lld times", ids[i],
                      (long long)central_has(ids[i]));
    ck_assert_int_eq(sx_central_q(&S, "SELECT count(*) FROM entries"), CRASH_SELL);
    ck_assert_int_eq(sx_node_q(&S, "SELECT seq FROM relay_anchor"), CRASH_SELL);
    ck_assert_int_eq(sx_health_relay(&S, "time_ok"), 1);
    kill(pid, SIGTERM);
    int rc = tsr_test_wait(pid, 10000);
    if (rc != 0)
        tsr_test_sh("tail -n 8 '%s' >&2", logp);
    ck_assert_int_eq(rc, 0);
    client_close();
}
END_TEST

static Suite *crash_suite(void)
{
    Suite *s = suite_create("node_sync_crash");
    TCase *tc = tcase_create("kill9");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, kill_9_between_publish_and_receipt_loses_and_duplicates_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(crash_suite()); }

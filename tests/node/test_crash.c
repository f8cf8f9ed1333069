/*
 * Crash test: bets flow into a tessera-node process, which is killed with
 * SIGKILL under load and restarted. Every receipt the client received must
 * have its ticket in the database exactly once; the client's retries of
 * unanswered bets (same idempotency keys) never make a second ticket; the
 * outbox is gapless; `tessera ledger-check` passes.
 */
#include <signal.h>
#include <sys/stat.h>

#include "../../node/src/agents.h"
#include "load_client.h"
#include "node_fixture.h"

static fx F;
static char cfgp[200], logp[200], bin[256];

/* Bets to send before the kill; the node dies after KILL_AFTER_MS. */
#define CRASH_BETS 20000
#define KILL_AFTER_MS 1500

static void setup(void) { fx_setup(&F, "crash"); }
static void teardown(void) { fx_teardown(&F); }

/* The offset clock puts "now" two hours before a pick3 cutoff, and that
 * draw's token goes in tokens_dir. */
static void deploy(void)
{
    int64_t real_now = tsr_clock_now_ns(F.clock);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    real_now = (int64_t)ts.tv_sec * TSR_NS_PER_S + ts.tv_nsec;
    tsr_cutoff_token t;
    fx_token(&F, "pick3", real_now + 24 * 3600 * TSR_NS_PER_S, &F.authority_kp, &t);
    int64_t offset_ms = (t.cutoff_at_ns - 2 * 3600 * TSR_NS_PER_S - real_now) / TSR_NS_PER_MS;
    char tokdir[200], p[300];
    fx_path(&F, "tokens", tokdir, sizeof tokdir);
    ck_assert_int_eq(mkdir(tokdir, 0700), 0);
    snprintf(p, sizeof p, "%s/pick3.json", tokdir);
    json_t *j = tsr_cutoff_token_to_json(&t);
    ck_assert_int_eq(json_dump_file(j, p, 0), 0);
    json_decref(j);
    fx_path(&F, "node.json", cfgp, sizeof cfgp);
    fx_path(&F, "node.log", logp, sizeof logp);
    FILE *f = fopen(cfgp, "w");
    fprintf(f,
            "{\"node_id\":\"n1\",\"db_path\":\"%s\",\"node_key\":\"%s\",\"draw_authority_key\":\"%s\","
            "\"psk_table\":\"%s\",\"catalog_file\":\"%s\",\"tokens_dir\":\"%s\","
            "\"allow_plain_coap\":true,\"coap_port\":%d,\"clock\":\"offset\","
            "\"clock_offset_ms\":%lld,\"log_level\":\"warn\"}",
            F.cfg.db_path, F.cfg.node_key, F.cfg.draw_authority_key, F.cfg.psk_table,
            F.cfg.catalog_file, tokdir, tsr_test_free_port(true), (long long)offset_ms);
    fclose(f);
    /* the terminal's float covers every bet */
    tsr_store *st;
    ck_assert_int_eq(tsr_store_open(&st, F.cfg.db_path, NULL), TSR_OK);
    ck_assert_int_eq(tsr_agents_float_adjust(tsr_store_writer(st), "term-1", 100000000, "float-1",
                                             real_now, NULL),
                     TSR_OK);
    tsr_store_close(st);
    tsr_test_bin("tessera-node", bin, sizeof bin);
}

static int config_port(void)
{
    char out[4096];
    tsr_test_sh_capture(out, sizeof out, "cat '%s'", cfgp);
    const char *p = strstr(out, "\"coap_port\":");
    return p ? atoi(p + strlen("\"coap_port\":")) : 0;
}

static pid_t start_node(void)
{
    char *argv[] = {bin, "--config", cfgp, NULL};
    pid_t pid = tsr_test_spawn(logp, argv);
    ck_assert_int_gt(pid, 0);
    /* ready when health answers */
    fx tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.port = config_port();
    fx_client(&tmp);
    coap_register_response_handler(tmp.cctx, fx_on_response);
    bool up = false;
    for (int i = 0; i < 100 && !up; i++) {
        static fx_resp r;
        memset(&r, 0, sizeof r);
        fx_last_resp_ = &r;
        coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_NON, COAP_REQUEST_CODE_GET, tmp.csess);
        coap_add_token(pdu, 1, (const uint8_t *)"h");
        fx_add_uri(pdu, "v1/health", NULL);
        coap_send(tmp.csess, pdu);
        for (int w = 0; w < 10 && !r.done; w++)
            coap_io_process(tmp.cctx, 10);
        up = r.done && r.code == 205;
        json_decref(r.json);
    }
    coap_session_release(tmp.csess);
    coap_free_context(tmp.cctx);
    ck_assert_msg(up, "the node did not come up");
    return pid;
}

static int64_t q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

static int64_t tickets_with_id(sqlite3 *db, const char *hex)
{
    uint8_t id[16];
    ck_assert_int_eq(tsr_hex_decode(id, 16, hex), TSR_OK);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM tickets WHERE id = ?1", -1, &st,
                                        NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* Sends bets on a thread while the main thread kills the node. */
typedef struct load_arg {
    lc_state st;
    lc_opts o;
} load_arg;

static void *load_main(void *p)
{
    load_arg *a = p;
    ck_assert(lc_run(&a->st, &a->o));
    return NULL;
}

START_TEST(receipts_survive_kill_9_exactly_once)
{
    deploy();
    pid_t pid = start_node();
    static load_arg a;
    a.o = (lc_opts){.port = config_port(), .identity = "term-1", .window = 256,
                    .max_requests = CRASH_BETS, .duration_ms = 30000, .key_prefix = "crash-key",
                    .con = true};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, load_main, &a), 0);
    usleep(KILL_AFTER_MS * 1000);
    kill(pid, SIGKILL);
    tsr_test_wait(pid, 5000);
    pthread_join(th, NULL);
    uint64_t received = a.st.ok;
    fprintf(stderr, "crash: sent=%llu receipts=%llu before kill -9\n",
            (unsigned long long)a.st.sent, (unsigned long long)received);
    ck_assert_uint_gt(received, 0);
    ck_assert_uint_lt(a.st.replied, a.st.sent); /* it really died mid-load */

    pid = start_node();
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open_v2(F.cfg.db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    for (uint64_t i = 0; i < a.st.sent; i++)
        if (a.st.reqs[i].code == 201)
            ck_assert_int_eq(tickets_with_id(db, a.st.reqs[i].ticket), 1);
    int64_t before_retry = q_int(db, "SELECT count(*) FROM tickets");
    ck_assert_int_ge(before_retry, (int64_t)received);

    /* the client retries every bet it sent with the same keys: committed
     * ones come back with their original receipt, the rest are sold now */
    static load_arg b;
    b.o = a.o;
    b.o.max_requests = a.st.sent;
    b.o.window = 64;
    ck_assert(lc_run(&b.st, &b.o));
    for (uint64_t i = 0; i < a.st.sent && b.st.ok != a.st.sent; i++)
        if (b.st.reqs[i].code != 201)
            fprintf(stderr, "retry %llu: code %d\n", (unsigned long long)i, b.st.reqs[i].code);
    ck_assert_uint_eq(b.st.ok, a.st.sent);
    for (uint64_t i = 0; i < a.st.sent; i++) {
        if (a.st.reqs[i].code == 201)
            ck_assert_str_eq(b.st.reqs[i].ticket, a.st.reqs[i].ticket);
        ck_assert_int_eq(tickets_with_id(db, b.st.reqs[i].ticket), 1);
    }
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM tickets"), (int64_t)a.st.sent);
    /* gapless outbox: seqs 1..N, N = tickets */
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM outbox"), (int64_t)a.st.sent);
    ck_assert_int_eq(q_int(db, "SELECT max(seq) FROM outbox"), (int64_t)a.st.sent);
    ck_assert_int_eq(q_int(db, "SELECT last_seq FROM outbox_meta"), (int64_t)a.st.sent);
    sqlite3_close(db);
    kill(pid, SIGTERM);
    ck_assert_int_eq(tsr_test_wait(pid, 10000), 0);

    char tessera[256];
    tsr_test_bin("tessera", tessera, sizeof tessera);
    ck_assert_int_eq(tsr_test_sh("'%s' ledger-check --db '%s'", tessera, F.cfg.db_path), 0);
    lc_free(&a.st);
    lc_free(&b.st);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("node_crash");
    TCase *t = tcase_create("crash");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, receipts_survive_kill_9_exactly_once);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tsr_test_run(suite()); }

/* The retail till against a real node over CoAP, with the accounts module
 * and real tickets: the winner check and payment of a slip by its serial
 * and validation code at any terminal, the rate limit on wrong codes, the
 * agent's float and end-of-day settlement from the ledger, reads keeping a
 * session alive, and the operator CLI beside the running node. */
#include <sys/stat.h>
#include <sysexits.h>

#include "../../node/src/agents.h"
#include "../../node/src/auth.h"
#include "../../node/src/claims.h"
#include "../../node/src/ledger.h"
#include "../../node/src/players_api.h"
#include "node_fixture.h"

static fx F;
static const char *PICK3 = "{\"type\":\"straight\",\"numbers\":[7,7,7],\"stake\":\"2.00\"}";
#define CENTRE "Central Office, 1 Main St"

static void setup(void)
{
    fx_setup(&F, "retail");
    F.cfg.accounts = json_pack("{s:i, s:i, s:i, s:i, s:i, s:s}", "pwhash_ops", 1, "pwhash_mem_kib",
                               64, "session_idle_s", 600, "claim_check_failures_max", 3,
                               "claim_check_window_s", 300, "claim_centre", CENTRE);
    F.extra[0] = tsr_accounts_module; /* after the fixture's module: its hooks win */
    F.n_extra = 1;
}

static void teardown(void) { fx_teardown(&F); }

/* Agents sam on term-1 and kim on term-2 (PIN 1234), written beside the
 * running node; term-1 gets `float_cents` of float at `float_at_ns`. */
static void side_agents(tsr_cents float_cents, int64_t float_at_ns)
{
    tsr_store *s;
    ck_assert_int_eq(tsr_store_open(&s, F.cfg.db_path, NULL), TSR_OK);
    tsr_store_conn *c = tsr_store_writer(s);
    tsr_accounts_cfg cfg;
    char err[64], h[TSR_SECRET_HASH_SIZE];
    int64_t id;
    json_t *o = json_pack("{s:i, s:i}", "pwhash_ops", 1, "pwhash_mem_kib", 64);
    ck_assert_int_eq(tsr_accounts_cfg_load(o, &cfg, err, sizeof err), TSR_OK);
    json_decref(o);
    ck_assert_int_eq(tsr_auth_hash(&cfg, "1234", h), TSR_OK);
    tsr_accounts_cfg_free(&cfg);
    ck_assert_int_eq(tsr_agents_add(c, "term-1", "sam", h, FX_T0_NS, &id), TSR_OK);
    ck_assert_int_eq(tsr_agents_add(c, "term-2", "kim", h, FX_T0_NS, &id), TSR_OK);
    if (float_cents)
        ck_assert_int_eq(tsr_agents_float_adjust(c, "term-1", float_cents, "cash-1", float_at_ns, NULL),
                         TSR_OK);
    tsr_store_close(s);
}

/* Logs an agent in on its terminal and writes "terminal=T&session=S". */
static void agent_login(const char *terminal, const char *agent, char *q, size_t len)
{
    char tq[64], body[80];
    snprintf(tq, sizeof tq, "terminal=%s", terminal);
    snprintf(body, sizeof body, "{\"agent\":\"%s\",\"pin\":\"1234\"}", agent);
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/sessions", tq, body);
    ck_assert_msg(r->code == 201, "login: %d %s", r->code, r->body);
    snprintf(q, len, "%s&session=%s", tq, json_string_value(json_object_get(r->json, "session")));
}

typedef struct slip {
    char id[33], serial[32], check[8];
} slip;

static slip sell(const char *q, const char *key)
{
    fx_resp *r = fx_bet(&F, q, "pick3", PICK3, key);
    ck_assert_msg(r->code == 201, "sell: %d %s", r->code, r->body);
    const json_t *t = json_array_get(json_object_get(r->json, "receipts"), 0);
    slip s;
    snprintf(s.id, sizeof s.id, "%s", json_string_value(json_object_get(t, "ticket_id")));
    snprintf(s.serial, sizeof s.serial, "%s", json_string_value(json_object_get(t, "serial")));
    snprintf(s.check, sizeof s.check, "%s", json_string_value(json_object_get(t, "check")));
    return s;
}

/* Runs `tessera ARGS` and returns its exit status; output in out. */
static int tessera(char *out, size_t len, const char *args)
{
    char bin[256];
    tsr_test_bin("tessera", bin, sizeof bin);
    return tsr_test_sh_capture(out, len, "'%s' %s 2>&1", bin, args);
}

/* Books a prize for a slip as central's payout batch would
 * (tsr_payout_apply), through the operator CLI beside the node (the
 * claims.h and catalog.h tsr_node_payout types cannot meet in this file). */
static void side_payout(const slip *s, const char *amount, const char *withheld, bool centre)
{
    char args[600], out[1024];
    snprintf(args, sizeof args, "player payout --db '%s' --serial %s --amount %s --withheld %s%s",
             F.cfg.db_path, s->serial, amount, withheld, centre ? " --claim-centre" : "");
    ck_assert_msg(tessera(out, sizeof out, args) == 0, "payout: %s", out);
}

/* Books a retail prize at the test clock's time (the CLI stamps with the
 * real clock, which would put the booking on another day than the test's). */
static void side_payout_at(const slip *s, tsr_cents gross, int64_t at_ns)
{
    tsr_store *st;
    ck_assert_int_eq(tsr_store_open(&st, F.cfg.db_path, NULL), TSR_OK);
    char pid[64];
    snprintf(pid, sizeof pid, "test-%s", s->id);
    tsr_node_payout p = {pid, s->id, 0, gross, 0, TSR_NODE_PAYOUT_AUTO};
    bool applied = false;
    ck_assert_int_eq(tsr_payout_apply(tsr_store_writer(st), &p, at_ns, &applied), TSR_OK);
    ck_assert(applied);
    tsr_store_close(st);
}

static void side_sql(const char *sql)
{
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(F.cfg.db_path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char *err = NULL;
    ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK, "%s", err ? err : "");
    sqlite3_close(db);
}

static int64_t side_int(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_open_v2(F.cfg.db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* GET /v1/claims for a slip from the caller q; returns the response. */
static fx_resp *check_slip(const char *q, const char *serial, const char *check)
{
    char qq[400];
    snprintf(qq, sizeof qq, "%s&serial=%s&check=%s", q, serial, check);
    return fx_req(&F, COAP_REQUEST_CODE_GET, "v1/claims", qq, NULL);
}

static void expect_state(const char *q, const slip *s, const char *state, const char *message)
{
    fx_resp *r = check_slip(q, s->serial, s->check);
    ck_assert_msg(r->code == 205, "check: %d %s", r->code, r->body);
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "state")), state);
    ck_assert_msg(strstr(json_string_value(json_object_get(r->json, "message")), message),
                  "message: %s", r->body);
}

static fx_resp *pay_slip(const char *q, const slip *s, const char *key)
{
    char body[200];
    snprintf(body, sizeof body, "{\"serial\":\"%s\",\"check\":\"%s\",\"idempotency_key\":\"%s\"}",
             s->serial, s->check, key);
    return fx_req(&F, COAP_REQUEST_CODE_POST, "v1/claims", q, body);
}

static void expect(fx_resp *r, int code, const char *error)
{
    ck_assert_msg(r->code == code, "code %d, wanted %d: %s", r->code, code, r->body);
    if (error)
        ck_assert_str_eq(fx_err(r), error);
}

static void ledger_ok(void)
{
    tsr_store *s;
    tsr_ledger_report rep;
    ck_assert_int_eq(tsr_store_open(&s, F.cfg.db_path, NULL), TSR_OK);
    tsr_status st = tsr_ledger_check(tsr_store_writer(s), &rep);
    ck_assert_msg(st == TSR_OK, "ledger: %s %s", tsr_status_name(st), rep.bad_account);
    tsr_store_close(s);
}

START_TEST(a_slip_is_checked_and_paid_once_at_any_terminal)
{
    fx_start(&F);
    side_agents(10000, FX_T0_NS);
    fx_open_draw(&F, "pick3");
    char q1[256], q2[256];
    agent_login("term-1", "sam", q1, sizeof q1);
    agent_login("term-2", "kim", q2, sizeof q2);
    slip a = sell(q1, "key-r-0001"), b = sell(q1, "key-r-0002"), c = sell(q1, "key-r-0003");
    expect_state(q2, &a, "pending", "not yet drawn");
    side_payout(&a, "15.00", "0.00", false);
    side_payout(&b, "900000.00", "216000.00", true);
    char sql[200];
    snprintf(sql, sizeof sql, "INSERT INTO sync_outcomes VALUES (x'%s', 'pick3', 1, 'lost', 0, 1)", c.id);
    side_sql(sql);
    expect_state(q2, &a, "payable", "winner: pay 15.00");
    expect_state(q2, &b, "claim_centre", "claim centre: go to " CENTRE);
    expect_state(q2, &c, "lost", "not a winner");
    /* paid at term-2 (not the seller), once; the retry replays, a new claim is refused */
    fx_resp *r = pay_slip(q2, &a, "pay-a-1");
    expect(r, 201, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(r->json, "amount")), 1500);
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "serial")), a.serial);
    expect(pay_slip(q2, &a, "pay-a-1"), 201, NULL);
    r = pay_slip(q1, &a, "pay-a-2");
    expect(r, 409, "TSR_ERR_CLAIM_PAID");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r->json, "detail"), "terminal")),
                     "term-2");
    expect_state(q1, &a, "paid", "already paid");
    r = pay_slip(q2, &c, "pay-c-1");
    expect(r, 404, "TSR_ERR_CLAIM_NO_PRIZE");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r->json, "detail"), "state")), "lost");
    expect(pay_slip(q2, &b, "pay-b-1"), 403, "TSR_ERR_CLAIM_CENTRE");
    /* the till's float: the prize it paid came back into it */
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/wallet", q2, NULL);
    expect(r, 205, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(r->json, "float")), 1500);
    ck_assert_int_eq(side_int("SELECT count(*) FROM audit WHERE event = 'claim_paid'"), 1);
    ledger_ok();
}
END_TEST

START_TEST(claims_refuse_bad_requests)
{
    fx_start(&F);
    side_agents(10000, FX_T0_NS);
    fx_open_draw(&F, "pick3");
    char q1[256], body[200];
    agent_login("term-1", "sam", q1, sizeof q1);
    slip a = sell(q1, "key-r-0001");
    snprintf(body, sizeof body, "{\"ticket_id\":\"%s\",\"serial\":\"%s\",\"check\":\"%s\"}", a.id,
             a.serial, a.check);
    expect(fx_req(&F, COAP_REQUEST_CODE_POST, "v1/claims", q1, body), 400, "TSR_ERR_ARG");
    snprintf(body, sizeof body, "{\"serial\":\"%s\"}", a.serial);
    expect(fx_req(&F, COAP_REQUEST_CODE_POST, "v1/claims", q1, body), 400, "TSR_ERR_FIELD_MISSING");
    expect(fx_req(&F, COAP_REQUEST_CODE_POST, "v1/claims", q1, "{}"), 400, "TSR_ERR_FIELD_MISSING");
    snprintf(body, sizeof body, "{\"serial\":\"%s\",\"check\":\"12a456\"}", a.serial);
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/claims", q1, body);
    expect(r, 400, "TSR_ERR_RANGE");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r->json, "detail"), "field")), "check");
    expect(fx_req(&F, COAP_REQUEST_CODE_POST, "v1/claims", q1, "{\"serial\":\"a b\",\"check\":\"123456\"}"),
           400, "TSR_ERR_RANGE");
    expect(fx_req(&F, COAP_REQUEST_CODE_POST, "v1/claims", q1, "{\"serial\":7,\"check\":\"123456\"}"),
           400, "TSR_ERR_FIELD_TYPE");
    expect(fx_req(&F, COAP_REQUEST_CODE_POST, "v1/claims", q1, "{\"serial\":\"x\",\"check\":\"1234567\"}"),
           400, "TSR_ERR_TOO_LONG");
    /* a terminal without an agent, and a query without the code */
    expect(check_slip("terminal=term-1", a.serial, a.check), 403, "TSR_ERR_SESSION_KIND");
    snprintf(body, sizeof body, "{\"serial\":\"%s\",\"check\":\"%s\"}", a.serial, a.check);
    expect(fx_req(&F, COAP_REQUEST_CODE_POST, "v1/claims", "terminal=term-1", body), 403,
           "TSR_ERR_SESSION_KIND");
    char qq[300];
    snprintf(qq, sizeof qq, "%s&serial=%s", q1, a.serial);
    expect(fx_req(&F, COAP_REQUEST_CODE_GET, "v1/claims", qq, NULL), 400, "TSR_ERR_FIELD_MISSING");
    expect(check_slip(q1, a.serial, "12345"), 400, "TSR_ERR_RANGE");
    expect(check_slip(q1, a.serial, a.check), 205, NULL); /* none of these counted as guesses */
    expect(check_slip(q1, a.serial, a.check), 205, NULL);
    expect(check_slip(q1, a.serial, a.check), 205, NULL);
    expect(check_slip(q1, a.serial, a.check), 205, NULL);
}
END_TEST

START_TEST(wrong_codes_are_rate_limited_per_terminal)
{
    fx_start(&F);
    side_agents(10000, FX_T0_NS);
    fx_open_draw(&F, "pick3");
    char q1[256], q2[256], wrong[8];
    agent_login("term-1", "sam", q1, sizeof q1);
    agent_login("term-2", "kim", q2, sizeof q2);
    slip a = sell(q1, "key-r-0001");
    snprintf(wrong, sizeof wrong, "%06d", (atoi(a.check) + 1) % 1000000);
    expect(check_slip(q2, a.serial, wrong), 404, "TSR_ERR_CLAIM_CHECK");
    expect(check_slip(q2, "n1-999", a.check), 404, "TSR_ERR_CLAIM_CHECK"); /* unknown serial: same */
    slip w = a;
    snprintf(w.check, sizeof w.check, "%s", wrong);
    expect(pay_slip(q2, &w, "pay-w-1"), 404, "TSR_ERR_CLAIM_CHECK");
    /* the limit (3) is reached: even the right code waits, on this terminal only */
    fx_resp *r = check_slip(q2, a.serial, a.check);
    expect(r, 429, "TSR_ERR_CLAIM_RATE");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r->json, "detail"), "retry_after_s")),
                     300);
    expect(pay_slip(q2, &a, "pay-a-1"), 429, "TSR_ERR_CLAIM_RATE");
    expect(check_slip(q1, a.serial, a.check), 205, NULL);
    ck_assert_int_eq(tsr_clock_test_advance(F.clock, 299 * TSR_NS_PER_S), TSR_OK);
    expect(check_slip(q2, a.serial, a.check), 429, "TSR_ERR_CLAIM_RATE");
    ck_assert_int_eq(tsr_clock_test_advance(F.clock, TSR_NS_PER_S), TSR_OK);
    expect(check_slip(q2, a.serial, a.check), 205, NULL);
}
END_TEST

static json_t *settlement(const char *q, const char *day, int code)
{
    char qq[300];
    snprintf(qq, sizeof qq, "%s%s%s", q, day ? "&day=" : "", day ? day : "");
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/agents/settlement", qq, NULL);
    ck_assert_msg(r->code == code, "settlement %s: %d %s", day ? day : "", r->code, r->body);
    return json_incref(r->json);
}

static int64_t num(const json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

START_TEST(settlement_is_the_days_ledger_of_the_float)
{
    fx_start(&F);
    /* 50.00 of float bought yesterday, 100.00 more today */
    side_agents(5000, FX_T0_NS - 86400 * TSR_NS_PER_S);
    tsr_store *s;
    ck_assert_int_eq(tsr_store_open(&s, F.cfg.db_path, NULL), TSR_OK);
    ck_assert_int_eq(tsr_agents_float_adjust(tsr_store_writer(s), "term-1", 10000, "cash-2", FX_T0_NS, NULL),
                     TSR_OK);
    tsr_store_close(s);
    fx_open_draw(&F, "pick3");
    char q1[256], path[80];
    agent_login("term-1", "sam", q1, sizeof q1);
    slip a = sell(q1, "key-r-0001"), b = sell(q1, "key-r-0002");
    sell(q1, "key-r-0003");
    snprintf(path, sizeof path, "v1/bets/%s/cancel", b.id);
    expect(fx_req(&F, COAP_REQUEST_CODE_POST, path, q1, NULL), 205, NULL);
    /* a day before anything */
    json_t *d = settlement(q1, "2026-11-20", 205);
    ck_assert_int_eq(num(d, "float_open"), 0);
    ck_assert_int_eq(num(d, "float_close"), 0);
    json_decref(d);
    side_payout_at(&a, 1500, FX_T0_NS + TSR_NS_PER_S);
    expect(pay_slip(q1, &a, "pay-a-1"), 201, NULL);
    d = settlement(q1, NULL, 205); /* today by default */
    ck_assert_str_eq(json_string_value(json_object_get(d, "day")), "2026-11-25");
    ck_assert_int_eq(num(d, "sales"), 600);
    ck_assert_int_eq(num(d, "sales_count"), 3);
    ck_assert_int_eq(num(d, "cancels"), 200);
    ck_assert_int_eq(num(d, "cancels_count"), 1);
    ck_assert_int_eq(num(d, "payouts"), 1500);
    ck_assert_int_eq(num(d, "cash_in"), 10000);
    ck_assert_int_eq(num(d, "net_takings"), 600 - 200 - 1500);
    ck_assert_int_eq(num(d, "net_cash_due"), 600 - 200 - 1500 - 10000);
    ck_assert_int_eq(num(d, "float_open"), 5000);
    ck_assert_int_eq(num(d, "float_close"), 5000 + 10000 - 600 + 200 + 1500);
    /* the float the till shows, and the ledger's balance, are the close */
    ck_assert_int_eq(side_int("SELECT balance FROM accounts WHERE name = 'agent_float:term-1'"),
                     num(d, "float_close"));
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/wallet", q1, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(r->json, "float")), num(d, "float_close"));
    json_decref(d);
    d = settlement(q1, "2026-11-24", 205);
    ck_assert_int_eq(num(d, "cash_in"), 5000);
    ck_assert_int_eq(num(d, "sales"), 0);
    ck_assert_int_eq(num(d, "float_open"), 0);
    ck_assert_int_eq(num(d, "float_close"), 5000);
    json_decref(d);
    json_decref(settlement(q1, "2026-02-30", 400));
    json_decref(settlement(q1, "26-11-25", 400));
    json_decref(settlement(q1, "2026-11-26", 400)); /* the future */
    json_decref(settlement(q1, "2026-01-01", 400)); /* beyond 92 days back */
    json_decref(settlement("terminal=term-1", "2026-11-25", 403));
    ledger_ok();
}
END_TEST

/* A job through the writer and back: everything queued before it (a
 * session touch) has committed when its answer comes. */
static void writer_round_trip(void)
{
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/sessions", "terminal=term-2",
                        "{\"agent\":\"nobody\",\"pin\":\"0000\"}");
    ck_assert_int_eq(r->code, 401);
}

START_TEST(reads_keep_a_session_alive)
{
    fx_start(&F);
    side_agents(0, 0);
    char q1[256];
    agent_login("term-1", "sam", q1, sizeof q1);
    ck_assert_int_eq(tsr_clock_test_advance(F.clock, 500 * TSR_NS_PER_S), TSR_OK);
    expect(fx_req(&F, COAP_REQUEST_CODE_GET, "v1/wallet", q1, NULL), 205, NULL);
    writer_round_trip();
    ck_assert_int_eq(tsr_clock_test_advance(F.clock, 200 * TSR_NS_PER_S), TSR_OK); /* 700 s after login */
    expect(fx_req(&F, COAP_REQUEST_CODE_GET, "v1/agents/settlement", q1, NULL), 205, NULL);
    writer_round_trip();
    ck_assert_int_eq(tsr_clock_test_advance(F.clock, 601 * TSR_NS_PER_S), TSR_OK);
    expect(fx_req(&F, COAP_REQUEST_CODE_GET, "v1/wallet", q1, NULL), 401, "TSR_ERR_SESSION_EXPIRED");
}
END_TEST

static off_t wal_size(void)
{
    char p[300];
    struct stat st;
    snprintf(p, sizeof p, "%s-wal", F.cfg.db_path);
    return stat(p, &st) == 0 ? st.st_size : -1;
}

START_TEST(operator_cli_works_beside_the_running_node)
{
    fx_start(&F);
    side_agents(10000, FX_T0_NS);
    fx_open_draw(&F, "pick3");
    char q1[256], out[4096], args[600];
    agent_login("term-1", "sam", q1, sizeof q1);
    slip a = sell(q1, "key-r-0001");
    off_t wal = wal_size();
    ck_assert_int_gt(wal, 0);
    /* ledger-check reads a snapshot, never checkpoints, never writes */
    snprintf(args, sizeof args, "ledger-check --db '%s'", F.cfg.db_path);
    ck_assert_msg(tessera(out, sizeof out, args) == 0, "%s", out);
    ck_assert_msg(strstr(out, "ledger ok"), "%s", out);
    ck_assert_int_eq(wal_size(), wal);
    /* an operator payout (tests/demos only), audited, then paid at the till */
    snprintf(args, sizeof args, "player payout --db '%s' --serial %s --amount 15.00", F.cfg.db_path,
             a.serial);
    ck_assert_msg(tessera(out, sizeof out, args) == 0, "%s", out);
    ck_assert_int_ge(wal_size(), wal); /* appended to, not truncated */
    ck_assert_msg(tessera(out, sizeof out, args) == 0 && strstr(out, "already booked"), "%s", out);
    ck_assert_int_eq(side_int("SELECT count(*) FROM audit WHERE event = 'operator_payout'"), 2);
    expect(pay_slip(q1, &a, "pay-a-1"), 201, NULL);
    snprintf(args, sizeof args, "player payout --db '%s' --ticket %s --amount 9.00 --ref other",
             F.cfg.db_path, a.id);
    ck_assert_int_ne(tessera(out, sizeof out, args), 0); /* one prize per ticket */
    snprintf(args, sizeof args, "player payout --db '%s' --serial n1-404 --amount 1.00", F.cfg.db_path);
    ck_assert_int_ne(tessera(out, sizeof out, args), 0);
    snprintf(args, sizeof args, "player float --db '%s' --terminal term-1 --amount 20.00 --ref r9",
             F.cfg.db_path);
    ck_assert_msg(tessera(out, sizeof out, args) == 0, "%s", out);
    ck_assert_int_eq(side_int("SELECT count(*) FROM audit WHERE event = 'operator_float'"), 1);
    /* the node still sells and reads after all that */
    sell(q1, "key-r-0002");
    snprintf(args, sizeof args, "ledger-check --db '%s'", F.cfg.db_path);
    ck_assert_msg(tessera(out, sizeof out, args) == 0, "%s", out);
    /* a file that is not a node database is refused, not migrated */
    char other[300];
    snprintf(other, sizeof other, "%s/empty.db", F.dir);
    FILE *f = fopen(other, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    snprintf(args, sizeof args, "ledger-check --db '%s'", other);
    ck_assert_int_eq(tessera(out, sizeof out, args), EX_CONFIG);
    snprintf(args, sizeof args, "player unlock --db '%s' --id 1", other);
    ck_assert_int_eq(tessera(out, sizeof out, args), EX_CONFIG);
    struct stat st;
    ck_assert_int_eq(stat(other, &st), 0);
    ck_assert_int_eq(st.st_size, 0);
}
END_TEST

/* A two-draw sale whose float covers its first draw only is refused with
 * TSR_ERR_FLOAT_FUNDS before anything is written (its whole stake is
 * checked at its first ticket), and the float still sells what it covers. */
START_TEST(a_sale_the_float_covers_only_in_part_is_refused_whole)
{
    fx_start(&F);
    side_agents(300, FX_T0_NS); /* 3.00 of float */
    tsr_cutoff_token t1 = fx_open_draw(&F, "pick3"), t2;
    fx_token(&F, "pick3", t1.cutoff_at_ns, &F.authority_kp, &t2);
    ck_assert_int_eq(fx_install(&F, &t2)->code, 201);
    char q[256];
    agent_login("term-1", "sam", q, sizeof q);
    fx_resp *r = fx_bet(&F, q, "pick3",
                        "{\"type\":\"straight\",\"numbers\":[7,7,7],\"stake\":\"2.00\",\"draws\":2}",
                        "key-r-twodraws");
    expect(r, 403, "TSR_ERR_FLOAT_FUNDS");
    ck_assert_int_eq(side_int("SELECT count(*) FROM tickets"), 0);
    ck_assert_int_eq(side_int("SELECT count(*) FROM outbox"), 0);
    sell(q, "key-r-onedraw"); /* 2.00 of the 3.00 */
    ck_assert_int_eq(side_int("SELECT count(*) FROM tickets"), 1);
    ledger_ok();
}
END_TEST

static Suite *retail_suite(void)
{
    Suite *s = suite_create("retail_coap");
    TCase *tc = tcase_create("retail");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_sale_the_float_covers_only_in_part_is_refused_whole);
    tcase_add_test(tc, a_slip_is_checked_and_paid_once_at_any_terminal);
    tcase_add_test(tc, claims_refuse_bad_requests);
    tcase_add_test(tc, wrong_codes_are_rate_limited_per_terminal);
    tcase_add_test(tc, settlement_is_the_days_ledger_of_the_float);
    tcase_add_test(tc, reads_keep_a_session_alive);
    tcase_add_test(tc, operator_cli_works_beside_the_running_node);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(retail_suite()); }

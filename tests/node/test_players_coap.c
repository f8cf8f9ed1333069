/* The accounts endpoints over real CoAP: every route, its refusals, and
 * the framework's strictness (malformed JSON, unknown fields, wrong types,
 * oversized payloads, forged and expired sessions, idempotency replays). */
#include <time.h>

#include "../../node/src/agents.h"
#include "../../node/src/auth.h"
#include "../../node/src/claims.h"
#include "../../node/src/ledger.h"
#include "../../node/src/psp.h"
#include "test_players_coap.h"

#define REG(user, doc, birth) \
    "{\"username\":\"" user "\",\"password\":\"correct horse\",\"name\":\"Ada L\"," \
    "\"birth_date\":\"" birth "\",\"address\":\"1 Main St\",\"jurisdiction\":\"GB\"," \
    "\"document_no\":\"" doc "\"}"
#define LOGIN(user, pw) "{\"username\":\"" user "\",\"password\":\"" pw "\"}"

/* Opens the node's database beside the running node (WAL) for the
 * operator's actions and the final ledger check. */
static tsr_store *side_open(nx *x)
{
    tsr_store *s;
    ck_assert_int_eq(tsr_store_open(&s, x->db, NULL), TSR_OK);
    return s;
}

static void side_unlock(nx *x, int64_t player_id)
{
    tsr_store *s = side_open(x);
    ck_assert_int_eq(tsr_players_unlock(tsr_store_writer(s), player_id), TSR_OK);
    tsr_store_close(s);
}

static void side_ledger_ok(nx *x)
{
    tsr_store *s = side_open(x);
    tsr_ledger_report r;
    tsr_status st = tsr_ledger_check(tsr_store_writer(s), &r);
    ck_assert_msg(st == TSR_OK, "ledger: %s %s", tsr_status_name(st), r.bad_account);
    tsr_store_close(s);
}

static int64_t register_ok(nx *x, const char *body)
{
    nx_reply r;
    ck_assert_int_eq(nx_req(x, 2, "/v1/players", NULL, body, &r), 201);
    int64_t id = json_integer_value(json_object_get(r.json, "player_id"));
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "kyc")), "verified");
    nx_free(&r);
    return id;
}

/* Logs in and writes "session=<token>" into q. */
static void login_ok(nx *x, const char *body, const char *extra_query, char *q, size_t qlen)
{
    nx_reply r;
    nx_req(x, 2, "/v1/sessions", extra_query, body, &r);
    ck_assert_msg(r.code == 201, "login: %d %s", r.code, r.body);
    const char *tok = json_string_value(json_object_get(r.json, "session"));
    ck_assert_ptr_nonnull(tok);
    if (extra_query)
        snprintf(q, qlen, "%s&session=%s", extra_query, tok);
    else
        snprintf(q, qlen, "session=%s", tok);
    nx_free(&r);
}

START_TEST(registration_refuses_bad_requests_over_coap)
{
    nx x;
    nx_start(&x);
    register_ok(&x, REG("ada", "AB123456", "1990-05-17"));
    nx_expect(&x, 2, "/v1/players", NULL, "{\"username\":", 400, "TSR_ERR_JSON");
    nx_expect(&x, 2, "/v1/players", NULL, "[1,2]", 400, "TSR_ERR_JSON");
    nx_expect(&x, 2, "/v1/players", NULL,
              "{\"username\":\"bob\",\"password\":\"correct horse\",\"name\":\"B\",\"birth_date\":\"1990-01-01\","
              "\"address\":\"x\",\"jurisdiction\":\"GB\",\"document_no\":\"ZZ123456\",\"admin\":true}",
              400, "TSR_ERR_FIELD_UNKNOWN");
    nx_expect(&x, 2, "/v1/players", NULL,
              "{\"username\":7,\"password\":\"correct horse\",\"name\":\"B\",\"birth_date\":\"1990-01-01\","
              "\"address\":\"x\",\"jurisdiction\":\"GB\",\"document_no\":\"ZZ123456\"}",
              400, "TSR_ERR_FIELD_TYPE");
    nx_expect(&x, 2, "/v1/players", NULL, "{\"username\":\"bob\"}", 400, "TSR_ERR_FIELD_MISSING");
    nx_expect(&x, 2, "/v1/players", NULL, NULL, 400, "TSR_ERR_FIELD_MISSING");
    char big[1100]; /* above the route's 1 KiB, inside one datagram */
    memset(big, ' ', sizeof big);
    memcpy(big, "{\"username\":\"bob\"}", 18);
    big[sizeof big - 1] = '\0';
    nx_expect(&x, 2, "/v1/players", NULL, big, 413, "TSR_ERR_TOO_LARGE");
    nx_expect(&x, 2, "/v1/players", NULL, REG("bob", "ZZ123456", "2010-01-01"), 403, "TSR_ERR_UNDERAGE");
    nx_expect(&x, 2, "/v1/players", NULL, REG("bob", "ZZ123456", "1990-02-30"), 400, "TSR_ERR_DATE");
    nx_expect(&x, 2, "/v1/players", NULL, REG("B o", "ZZ123456", "1990-01-01"), 400, "TSR_ERR_USERNAME");
    nx_expect(&x, 2, "/v1/players", NULL, REG("ada", "ZZ123456", "1990-01-01"), 409, "TSR_ERR_USERNAME_TAKEN");
    nx_expect(&x, 2, "/v1/players", NULL, REG("bob", "AB123456", "1990-01-01"), 409, "TSR_ERR_DOCUMENT_TAKEN");
    nx_expect(&x, 2, "/v1/players", NULL,
              "{\"username\":\"bob\",\"password\":\"short\",\"name\":\"B\",\"birth_date\":\"1990-01-01\","
              "\"address\":\"x\",\"jurisdiction\":\"GB\",\"document_no\":\"ZZ123456\"}",
              400, "TSR_ERR_PASSWORD_WEAK");
    nx_expect(&x, 2, "/v1/players", NULL,
              "{\"username\":\"bob\",\"password\":\"correct horse\",\"name\":\"B\",\"birth_date\":\"1990-01-01\","
              "\"address\":\"x\",\"jurisdiction\":\"Mars\",\"document_no\":\"ZZ123456\"}",
              400, "TSR_ERR_JURISDICTION");
    nx_expect(&x, 2, "/v1/players", NULL,
              "{\"username\":\"bob\",\"password\":\"correct horse\",\"name\":\"B\",\"birth_date\":\"1990-01-01\","
              "\"address\":\"x\",\"jurisdiction\":\"GB\",\"document_no\":\"\"}",
              400, "TSR_ERR_DOCUMENT");
    nx_stop(&x);
}
END_TEST

START_TEST(login_locks_after_three_failures_until_unlocked)
{
    nx x;
    nx_start(&x);
    int64_t id = register_ok(&x, REG("ada", "AB123456", "1990-05-17"));
    nx_reply r;
    ck_assert_int_eq(nx_req(&x, 2, "/v1/sessions", NULL, LOGIN("ada", "correct horse"), &r), 201);
    ck_assert(json_is_null(json_object_get(r.json, "previous_login_at")));
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "player_id")), id);
    nx_free(&r);
    ck_assert_int_eq(tsr_clock_test_advance(x.clock, TSR_NS_PER_S), TSR_OK);
    ck_assert_int_eq(nx_req(&x, 2, "/v1/sessions", NULL, LOGIN("ada", "correct horse"), &r), 201);
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "previous_login_at")), NX_NOW);
    nx_free(&r);
    nx_expect(&x, 2, "/v1/sessions", NULL, LOGIN("nobody", "correct horse"), 401, "TSR_ERR_CREDENTIALS");
    for (int i = 0; i < 3; i++)
        nx_expect(&x, 2, "/v1/sessions", NULL, LOGIN("ada", "wrong horse"), 401, "TSR_ERR_CREDENTIALS");
    nx_expect(&x, 2, "/v1/sessions", NULL, LOGIN("ada", "correct horse"), 403, "TSR_ERR_ACCOUNT_LOCKED");
    side_unlock(&x, id);
    nx_expect(&x, 2, "/v1/sessions", NULL, LOGIN("ada", "correct horse"), 201, NULL);
    nx_expect(&x, 2, "/v1/sessions", NULL, "{\"username\":\"ada\"}", 400, "TSR_ERR_FIELD_MISSING");
    nx_expect(&x, 2, "/v1/sessions", NULL, "{\"username\":\"ada\",\"password\":1}", 400, "TSR_ERR_FIELD_TYPE");
    nx_expect(&x, 2, "/v1/sessions", NULL, "{\"agent\":\"sam\",\"pin\":\"1234\"}", 401,
              "TSR_ERR_TERMINAL_IDENTITY");
    nx_stop(&x);
}
END_TEST

/* Polls the wallet until its balance is `want` (the sandbox provider calls
 * back on its own thread). */
static void wait_balance(nx *x, const char *q, int64_t want)
{
    nx_reply r;
    int64_t have = -1;
    for (int i = 0; i < 500 && have != want; i++) {
        ck_assert_int_eq(nx_req(x, 1, "/v1/wallet", q, NULL, &r), 205);
        have = json_integer_value(json_object_get(r.json, "balance"));
        nx_free(&r);
        if (have != want)
            usleep(10000);
    }
    ck_assert_int_eq(have, want);
}

START_TEST(sessions_wallet_and_payments_over_coap)
{
    nx x;
    nx_start(&x);
    register_ok(&x, REG("ada", "AB123456", "1990-05-17"));
    char q[256], forged[256];
    login_ok(&x, LOGIN("ada", "correct horse"), NULL, q, sizeof q);
    nx_expect(&x, 1, "/v1/wallet", NULL, NULL, 401, "TSR_ERR_UNAUTHENTICATED");
    snprintf(forged, sizeof forged, "%s", q);
    forged[strlen(forged) - 1] = forged[strlen(forged) - 1] == '0' ? '1' : '0';
    nx_expect(&x, 1, "/v1/wallet", forged, NULL, 401, "TSR_ERR_SESSION_INVALID");
    nx_expect(&x, 1, "/v1/wallet", "session=abc", NULL, 401, "TSR_ERR_SESSION_INVALID");
    wait_balance(&x, q, 0);
    nx_expect(&x, 2, "/v1/wallet/deposits", q, "{\"amount\":0}", 400, "TSR_ERR_RANGE");
    nx_expect(&x, 2, "/v1/wallet/deposits", q, "{\"amount\":\"10\"}", 400, "TSR_ERR_FIELD_TYPE");
    nx_expect(&x, 2, "/v1/wallet/deposits", q, "{\"amount\":1.5}", 400, "TSR_ERR_FIELD_TYPE");
    nx_reply r1, r2;
    ck_assert_int_eq(nx_req(&x, 2, "/v1/wallet/deposits", q, "{\"amount\":5000,\"idempotency_key\":\"k1\"}", &r1), 201);
    ck_assert_int_eq(nx_req(&x, 2, "/v1/wallet/deposits", q, "{\"amount\":5000,\"idempotency_key\":\"k1\"}", &r2), 201);
    ck_assert_int_eq(json_integer_value(json_object_get(r1.json, "deposit_id")),
                     json_integer_value(json_object_get(r2.json, "deposit_id")));
    nx_free(&r1);
    nx_free(&r2);
    nx_expect(&x, 2, "/v1/wallet/deposits", q, "{\"amount\":6000,\"idempotency_key\":\"k1\"}", 409,
              "TSR_ERR_IDEMPOTENT_MISMATCH");
    wait_balance(&x, q, 5000);
    nx_expect(&x, 2, "/v1/wallet/withdrawals", q, "{\"amount\":9000}", 403, "TSR_ERR_FUNDS");
    nx_expect(&x, 2, "/v1/wallet/withdrawals", q, "{\"amount\":2000}", 201, NULL);
    wait_balance(&x, q, 3000);
    /* Limits: a lowering at once, a raise waits; bad bodies refused. */
    nx_expect(&x, 3, "/v1/limits", q, "{\"deposit_day\":5100}", 205, NULL);
    nx_expect(&x, 2, "/v1/wallet/deposits", q, "{\"amount\":200}", 403, "TSR_ERR_LIMIT_EXCEEDED");
    nx_reply r;
    ck_assert_int_eq(nx_req(&x, 3, "/v1/limits", q, "{\"deposit_day\":null}", &r), 205);
    json_t *dd = json_object_get(json_object_get(r.json, "limits"), "deposit_day");
    ck_assert_int_eq(json_integer_value(json_object_get(dd, "amount")), 5100);
    ck_assert_ptr_nonnull(json_object_get(json_object_get(dd, "pending"), "at"));
    nx_free(&r);
    nx_expect(&x, 3, "/v1/limits", q, "{\"stake_day\":\"x\"}", 400, "TSR_ERR_FIELD_TYPE");
    nx_expect(&x, 3, "/v1/limits", q, "{\"stake_day\":-3}", 400, "TSR_ERR_RANGE");
    nx_expect(&x, 3, "/v1/limits", q, "{}", 400, "TSR_ERR_FIELD_MISSING");
    nx_expect(&x, 3, "/v1/limits", q, "{\"bets\":1}", 400, "TSR_ERR_FIELD_UNKNOWN");
    /* Exclusions. */
    nx_expect(&x, 2, "/v1/exclusions", q, "{\"kind\":\"cool_off\",\"hours\":24}", 201, NULL);
    nx_expect(&x, 2, "/v1/wallet/deposits", q, "{\"amount\":10}", 403, "TSR_ERR_COOL_OFF");
    nx_expect(&x, 2, "/v1/exclusions", q, "{\"kind\":\"self_exclusion\",\"days\":30}", 201, NULL);
    nx_expect(&x, 2, "/v1/exclusions", q, "{\"kind\":\"self_exclusion\",\"days\":2}", 409, "TSR_ERR_EXCLUSION_SHORTER");
    nx_expect(&x, 2, "/v1/wallet/deposits", q, "{\"amount\":10}", 403, "TSR_ERR_SELF_EXCLUDED");
    nx_expect(&x, 2, "/v1/exclusions", q, "{\"kind\":\"forever\",\"days\":2}", 400, "TSR_ERR_RANGE");
    nx_expect(&x, 2, "/v1/exclusions", q, "{\"kind\":\"cool_off\",\"days\":2}", 400, "TSR_ERR_FIELD_UNKNOWN");
    nx_expect(&x, 2, "/v1/exclusions", q, "{\"kind\":\"cool_off\"}", 400, "TSR_ERR_FIELD_MISSING");
    nx_expect(&x, 2, "/v1/exclusions", q, "{\"kind\":\"cool_off\",\"hours\":0}", 400, "TSR_ERR_RANGE");
    /* Still free to withdraw while excluded. */
    nx_expect(&x, 2, "/v1/wallet/withdrawals", q, "{\"amount\":1000}", 201, NULL);
    wait_balance(&x, q, 2000);
    /* Logout, then the token is dead; idle expiry for another session. */
    char q2[256];
    login_ok(&x, LOGIN("ada", "correct horse"), NULL, q2, sizeof q2);
    nx_expect(&x, 4, "/v1/sessions", q, NULL, 202, NULL);
    nx_expect(&x, 1, "/v1/wallet", q, NULL, 401, "TSR_ERR_SESSION_INVALID");
    nx_expect(&x, 4, "/v1/sessions", NULL, NULL, 401, "TSR_ERR_UNAUTHENTICATED");
    ck_assert_int_eq(tsr_clock_test_advance(x.clock, 601 * TSR_NS_PER_S), TSR_OK);
    nx_expect(&x, 1, "/v1/wallet", q2, NULL, 401, "TSR_ERR_SESSION_EXPIRED");
    side_ledger_ok(&x);
    nx_stop(&x);
}
END_TEST

static void signed_event(nx *x, const char *body, int code, const char *error)
{
    uint8_t key[TSR_PSP_KEY_LEN];
    char sig[TSR_PSP_SIG_HEX_SIZE], q[80];
    ck_assert_int_eq(tsr_hex_decode(key, sizeof key, NX_PSP_KEY_HEX), TSR_OK);
    tsr_psp_sign(key, body, strlen(body), sig);
    snprintf(q, sizeof q, "sig=%s", sig);
    nx_expect(x, 2, "/v1/psp/events", q, body, code, error);
}

#define EV(txn, req, amount, status) \
    "{\"provider_txn\":\"" txn "\",\"request_id\":" req ",\"kind\":\"deposit\",\"amount\":" amount \
    ",\"status\":\"" status "\"}"

START_TEST(provider_events_are_signed_and_idempotent)
{
    nx x;
    nx_start_with(&x, "manual"); /* no provider calls back: the test plays it */
    register_ok(&x, REG("ada", "AB123456", "1990-05-17"));
    char q[256];
    login_ok(&x, LOGIN("ada", "correct horse"), NULL, q, sizeof q);
    nx_expect(&x, 2, "/v1/wallet/deposits", q, "{\"amount\":700}", 201, NULL);
    const char *ok = EV("bank-1", "1", "700", "completed");
    nx_expect(&x, 2, "/v1/psp/events", NULL, ok, 403, "TSR_ERR_SIGNATURE");
    nx_expect(&x, 2, "/v1/psp/events", "sig=00", ok, 403, "TSR_ERR_SIGNATURE");
    signed_event(&x, "{\"provider_txn\":", 400, "TSR_ERR_JSON");
    signed_event(&x, "{\"provider_txn\":\"b\",\"request_id\":1,\"kind\":\"deposit\",\"amount\":700,"
                     "\"status\":\"completed\",\"extra\":1}", 400, "TSR_ERR_FIELD_UNKNOWN");
    signed_event(&x, "{\"provider_txn\":\"b\",\"request_id\":\"1\",\"kind\":\"deposit\",\"amount\":700,"
                     "\"status\":\"completed\"}", 400, "TSR_ERR_FIELD_TYPE");
    signed_event(&x, EV("bank-1", "1", "700", "done"), 400, "TSR_ERR_RANGE");
    signed_event(&x, EV("bank-1", "9", "700", "completed"), 404, "TSR_ERR_NOT_FOUND");
    signed_event(&x, EV("bank-1", "1", "701", "completed"), 400, "TSR_ERR_ARG");
    signed_event(&x, ok, 205, NULL);
    signed_event(&x, ok, 205, NULL); /* replay: same answer, no second credit */
    signed_event(&x, EV("bank-1", "1", "700", "failed"), 409, "TSR_ERR_PSP_REPLAY");
    signed_event(&x, EV("bank-2", "1", "700", "completed"), 409, "TSR_ERR_PSP_STATE");
    wait_balance(&x, q, 700);
    side_ledger_ok(&x);
    nx_stop(&x);
}
END_TEST

static void side_retail_setup(nx *x)
{
    tsr_store *s = side_open(x);
    tsr_store_conn *c = tsr_store_writer(s);
    tsr_accounts_cfg cfg;
    char err[64], h[TSR_SECRET_HASH_SIZE];
    int64_t id;
    bool applied;
    json_t *o = json_pack("{s:i, s:i}", "pwhash_ops", 1, "pwhash_mem_kib", 64);
    ck_assert_int_eq(tsr_accounts_cfg_load(o, &cfg, err, sizeof err), TSR_OK);
    json_decref(o);
    ck_assert_int_eq(tsr_auth_hash(&cfg, "1234", h), TSR_OK);
    tsr_accounts_cfg_free(&cfg);
    ck_assert_int_eq(tsr_agents_add(c, "T1", "sam", h, NX_NOW, &id), TSR_OK);
    ck_assert_int_eq(tsr_agents_add(c, "T2", "kim", h, NX_NOW, &id), TSR_OK);
    tsr_node_payout p = {"po-1", "tk-1", 0, 2500, 0, TSR_NODE_PAYOUT_AUTO};
    ck_assert_int_eq(tsr_payout_apply(c, &p, NX_NOW, &applied), TSR_OK);
    tsr_store_close(s);
}

START_TEST(a_terminal_agent_pays_a_retail_prize_once)
{
    nx x;
    nx_start(&x);
    side_retail_setup(&x);
    char q[256], q2[256], pq[256];
    const char *pin = "{\"agent\":\"sam\",\"pin\":\"1234\"}";
    nx_expect(&x, 2, "/v1/sessions", "terminal=T1", "{\"agent\":\"sam\",\"pin\":\"9999\"}", 401, "TSR_ERR_CREDENTIALS");
    nx_expect(&x, 2, "/v1/sessions", "terminal=T2", pin, 401, "TSR_ERR_CREDENTIALS");
    nx_expect(&x, 2, "/v1/sessions", "terminal=T1", "{\"agent\":\"sam\",\"pin\":12}", 400, "TSR_ERR_FIELD_TYPE");
    login_ok(&x, pin, "terminal=T1", q, sizeof q);
    login_ok(&x, "{\"agent\":\"kim\",\"pin\":\"1234\"}", "terminal=T2", q2, sizeof q2);
    const char *claim = "{\"ticket_id\":\"tk-1\"}";
    nx_expect(&x, 2, "/v1/claims", "terminal=T1", claim, 403, "TSR_ERR_SESSION_KIND");
    nx_expect(&x, 2, "/v1/claims", NULL, claim, 401, "TSR_ERR_UNAUTHENTICATED");
    /* kim's session presented from terminal T1 */
    char cross[300];
    snprintf(cross, sizeof cross, "terminal=T1&%s", strchr(q2, '&') + 1);
    nx_expect(&x, 2, "/v1/claims", cross, claim, 401, "TSR_ERR_TERMINAL_IDENTITY");
    nx_expect(&x, 2, "/v1/claims", q, "{\"ticket_id\":\"tk-9\"}", 404, "TSR_ERR_CLAIM_NO_PRIZE");
    nx_expect(&x, 2, "/v1/claims", q, "{\"ticket\":\"tk-1\"}", 400, "TSR_ERR_FIELD_UNKNOWN");
    nx_expect(&x, 2, "/v1/claims", q, claim, 201, NULL);
    nx_reply r;
    ck_assert_int_eq(nx_req(&x, 2, "/v1/claims", q2, claim, &r), 409);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "error")), "TSR_ERR_CLAIM_PAID");
    json_t *d = json_object_get(r.json, "detail");
    ck_assert_int_eq(json_integer_value(json_object_get(d, "paid_at")), NX_NOW);
    ck_assert_str_eq(json_string_value(json_object_get(d, "terminal")), "T1");
    nx_free(&r);
    /* A player's session is not a terminal. */
    register_ok(&x, REG("ada", "AB123456", "1990-05-17"));
    login_ok(&x, LOGIN("ada", "correct horse"), NULL, pq, sizeof pq);
    nx_expect(&x, 2, "/v1/claims", pq, claim, 403, "TSR_ERR_FORBIDDEN_CALLER");
    /* An agent's session reads its terminal's float: the claim credited it. */
    ck_assert_int_eq(nx_req(&x, 1, "/v1/wallet", q, NULL, &r), 205);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "terminal")), "T1");
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "float")), 2500);
    nx_free(&r);
    nx_expect(&x, 1, "/v1/wallet", "terminal=T1", NULL, 403, "TSR_ERR_SESSION_KIND");
    side_ledger_ok(&x);
    nx_stop(&x);
}
END_TEST

static Suite *coap_suite(void)
{
    Suite *s = suite_create("accounts_coap");
    TCase *tc = tcase_create("coap");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, registration_refuses_bad_requests_over_coap);
    tcase_add_test(tc, login_locks_after_three_failures_until_unlocked);
    tcase_add_test(tc, sessions_wallet_and_payments_over_coap);
    tcase_add_test(tc, provider_events_are_signed_and_idempotent);
    tcase_add_test(tc, a_terminal_agent_pays_a_retail_prize_once);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(coap_suite()); }

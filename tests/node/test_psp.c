/* The payment-provider callback: HMAC, parsing, idempotent apply. */
#include "../../node/src/psp.h"
#include "../../node/src/wallet.h"
#include "test_ledger_fixture.h"

static const uint8_t key[TSR_PSP_KEY_LEN] = "0123456789abcdef0123456789abcdef";

START_TEST(hmac_signs_and_refuses_any_change)
{
    const char *body = "{\"provider_txn\":\"sbx-1\"}";
    char sig[TSR_PSP_SIG_HEX_SIZE];
    tsr_psp_sign(key, body, strlen(body), sig);
    ck_assert_int_eq((int)strlen(sig), 64);
    ck_assert_int_eq(tsr_psp_verify(key, body, strlen(body), sig), TSR_OK);
    ck_assert_int_eq(tsr_psp_verify(key, body, strlen(body) - 1, sig), TSR_ERR_SIGNATURE);
    sig[5] = sig[5] == '0' ? '1' : '0';
    ck_assert_int_eq(tsr_psp_verify(key, body, strlen(body), sig), TSR_ERR_SIGNATURE);
    ck_assert_int_eq(tsr_psp_verify(key, body, strlen(body), "zz"), TSR_ERR_SIGNATURE);
    ck_assert_int_eq(tsr_psp_verify(key, body, strlen(body), NULL), TSR_ERR_SIGNATURE);
    uint8_t other[TSR_PSP_KEY_LEN] = {0};
    tsr_psp_sign(key, body, strlen(body), sig);
    ck_assert_int_eq(tsr_psp_verify(other, body, strlen(body), sig), TSR_ERR_SIGNATURE);
}
END_TEST

static tsr_status parse(const char *text, tsr_psp_event *ev, const char **field)
{
    json_t *o = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(o);
    tsr_status st = tsr_psp_event_parse(o, ev, field);
    json_decref(o);
    return st;
}

START_TEST(events_parse_strictly)
{
    tsr_psp_event ev;
    const char *field;
    ck_assert_int_eq(parse("{\"provider_txn\":\"sbx-1\",\"request_id\":3,\"kind\":\"deposit\","
                           "\"amount\":500,\"status\":\"completed\"}", &ev, &field), TSR_OK);
    ck_assert_str_eq(ev.provider_txn, "sbx-1");
    ck_assert(ev.completed && !ev.withdrawal);
    struct { const char *body, *field; } bad[] = {
        {"{\"provider_txn\":\"\",\"request_id\":3,\"kind\":\"deposit\",\"amount\":5,\"status\":\"completed\"}", "provider_txn"},
        {"{\"provider_txn\":\"a b\",\"request_id\":3,\"kind\":\"deposit\",\"amount\":5,\"status\":\"completed\"}", "provider_txn"},
        {"{\"provider_txn\":\"x\",\"request_id\":3,\"kind\":\"refund\",\"amount\":5,\"status\":\"completed\"}", "kind"},
        {"{\"provider_txn\":\"x\",\"request_id\":3,\"kind\":\"deposit\",\"amount\":5,\"status\":\"ok\"}", "status"},
        {"{\"provider_txn\":\"x\",\"request_id\":0,\"kind\":\"deposit\",\"amount\":5,\"status\":\"failed\"}", "request_id"},
        {"{\"provider_txn\":\"x\",\"request_id\":3,\"kind\":\"deposit\",\"amount\":-5,\"status\":\"failed\"}", "amount"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(parse(bad[i].body, &ev, &field), TSR_ERR_RANGE);
        ck_assert_str_eq(field, bad[i].field);
    }
}
END_TEST

static void ev_init(tsr_psp_event *ev, const char *txn, int64_t req, bool wd, tsr_cents amount, bool ok)
{
    memset(ev, 0, sizeof *ev);
    snprintf(ev->provider_txn, sizeof ev->provider_txn, "%s", txn);
    ev->request_id = req;
    ev->withdrawal = wd;
    ev->amount = amount;
    ev->completed = ok;
}

START_TEST(events_credit_once_and_refuse_replays_with_other_content)
{
    fx f;
    fx_open(&f);
    int64_t p = fx_player(&f, "ada", "AB123456"), d1, d2, w1, w2;
    char acct[TSR_LEDGER_NAME_SIZE], state[16];
    ck_assert_int_eq(tsr_ledger_player_account(acct, p), TSR_OK);
    ck_assert_int_eq(tsr_wallet_deposit_request(f.db, p, 5000, "sandbox", f.now, &d1), TSR_OK);
    ck_assert_int_eq(tsr_wallet_deposit_request(f.db, p, 700, "sandbox", f.now, &d2), TSR_OK);
    uint8_t h1[TSR_HASH_LEN], h2[TSR_HASH_LEN];
    tsr_hash256(h1, "body-1", 6);
    tsr_hash256(h2, "body-2", 6);
    tsr_psp_event ev;
    bool replayed;
    ev_init(&ev, "sbx-1", d1, false, 5000, true);
    ck_assert_int_eq(tsr_psp_event_apply(f.db, &ev, h1, f.now, &replayed, state), TSR_OK);
    ck_assert(!replayed);
    ck_assert_str_eq(state, "completed");
    ck_assert_int_eq(fx_balance(&f, acct), 5000);
    ck_assert_int_eq(tsr_psp_event_apply(f.db, &ev, h1, f.now, &replayed, state), TSR_OK);
    ck_assert(replayed);
    ck_assert_str_eq(state, "completed");
    ck_assert_int_eq(fx_balance(&f, acct), 5000);
    ck_assert_int_eq(tsr_psp_event_apply(f.db, &ev, h2, f.now, &replayed, state), TSR_ERR_PSP_REPLAY);
    /* Another provider txn for a settled request. */
    ev_init(&ev, "sbx-1b", d1, false, 5000, true);
    ck_assert_int_eq(tsr_psp_event_apply(f.db, &ev, h2, f.now, &replayed, state), TSR_ERR_PSP_STATE);
    ev_init(&ev, "sbx-x", 999, false, 5000, true);
    ck_assert_int_eq(tsr_psp_event_apply(f.db, &ev, h2, f.now, &replayed, state), TSR_ERR_NOT_FOUND);
    ev_init(&ev, "sbx-2", d2, false, 701, true);
    ck_assert_int_eq(tsr_psp_event_apply(f.db, &ev, h2, f.now, &replayed, state), TSR_ERR_ARG);
    ev_init(&ev, "sbx-2", d2, true, 700, true);
    ck_assert_int_eq(tsr_psp_event_apply(f.db, &ev, h2, f.now, &replayed, state), TSR_ERR_ARG);
    /* A failed deposit credits nothing and gives back its limit usage. */
    ev_init(&ev, "sbx-2", d2, false, 700, false);
    ck_assert_int_eq(tsr_psp_event_apply(f.db, &ev, h2, f.now, &replayed, state), TSR_OK);
    ck_assert_str_eq(state, "failed");
    ck_assert_int_eq(fx_balance(&f, acct), 5000);
    int64_t used;
    ck_assert_int_eq(tsr_store_query_int(f.db, "SELECT sum(amount) FROM limit_usage WHERE kind = 'deposit'", &used), TSR_OK);
    ck_assert_int_eq(used, 5000);
    /* Withdrawals: paid leaves the wallet for good, failed comes back. */
    ck_assert_int_eq(tsr_wallet_withdrawal_request(f.db, p, 1000, "sandbox", f.now, &w1), TSR_OK);
    ck_assert_int_eq(tsr_wallet_withdrawal_request(f.db, p, 2000, "sandbox", f.now, &w2), TSR_OK);
    ck_assert_int_eq(fx_balance(&f, acct), 2000);
    tsr_hash256(h1, "w1", 2);
    ev_init(&ev, "sbx-w1", w1, true, 1000, true);
    ck_assert_int_eq(tsr_psp_event_apply(f.db, &ev, h1, f.now, &replayed, state), TSR_OK);
    tsr_hash256(h2, "w2", 2);
    ev_init(&ev, "sbx-w2", w2, true, 2000, false);
    ck_assert_int_eq(tsr_psp_event_apply(f.db, &ev, h2, f.now, &replayed, state), TSR_OK);
    ck_assert_int_eq(fx_balance(&f, acct), 4000);
    ck_assert_int_eq(fx_balance(&f, "withdrawals_pending"), 0);
    ck_assert_int_eq(fx_balance(&f, "psp_clearing"), 4000);
    fx_ledger_ok(&f);
    fx_close(&f);
}
END_TEST

static Suite *psp_suite(void)
{
    Suite *s = suite_create("psp");
    TCase *tc = tcase_create("psp");
    tcase_add_test(tc, hmac_signs_and_refuses_any_change);
    tcase_add_test(tc, events_parse_strictly);
    tcase_add_test(tc, events_credit_once_and_refuse_replays_with_other_content);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(psp_suite()); }

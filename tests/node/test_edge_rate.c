/*
 * Rate limits over real CoAP: per player, per terminal and per peer
 * address on bets, per account and per address on logins; an empty bucket
 * answers 4.29 TSR_ERR_RATE_LIMITED with Max-Age (RFC 8516), refills with
 * time (the test clock), and loopback callers are exempt unless the
 * config says otherwise. Plus the token buckets alone.
 */
#include "../../node/src/players_api.h"
#include "../../node/src/ratelimit.h"
#include "edge_fixture.h"

static fx F;

static void start(json_t *edge, bool accounts)
{
    fx_setup(&F, "edgerate");
    F.cfg.edge = edge;
    if (accounts) {
        F.cfg.accounts = json_pack("{s:i, s:i}", "pwhash_ops", 1, "pwhash_mem_kib", 64);
        F.extra[F.n_extra++] = tsr_accounts_module;
    }
    ex_with_edge(&F);
    fx_start(&F);
    fx_open_draw(&F, "pick3");
}

static void teardown(void) { fx_teardown(&F); }

static fx_resp *bet(const char *who, int i)
{
    char key[32];
    snprintf(key, sizeof key, "rate-key-%04d", i);
    return ex_bet(&F, who, "1.00", key, NULL);
}

START_TEST(player_bucket)
{
    start(json_pack("{s:b, s:i, s:i}", "rate_limit_loopback", 1, "rate_bet_player_per_min", 60,
                    "rate_bet_player_burst", 3),
          false);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(bet("session=player-7", i)->code, 201);
    fx_resp *r = bet("session=player-7", 3);
    ck_assert_int_eq(r->code, 429);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_RATE_LIMITED");
    ck_assert_int_eq(r->max_age, 1); /* 60 a minute: one back each second */
    /* Another player has their own bucket. */
    ck_assert_int_eq(bet("session=player-8", 4)->code, 201);
    ck_assert_int_eq(tsr_clock_test_advance(F.clock, TSR_NS_PER_S), TSR_OK);
    ck_assert_int_eq(bet("session=player-7", 5)->code, 201);
    ck_assert_int_eq(bet("session=player-7", 6)->code, 429);
    ck_assert_int_eq(ex_int(&F, "SELECT count(*) FROM tickets"), 5);
}
END_TEST

START_TEST(terminal_and_peer_buckets)
{
    start(json_pack("{s:b, s:i, s:i, s:i, s:i}", "rate_limit_loopback", 1,
                    "rate_bet_terminal_per_min", 6, "rate_bet_terminal_burst", 2,
                    "rate_bet_peer_per_min", 12, "rate_bet_peer_burst", 5),
          false);
    ck_assert_int_eq(bet("terminal=term-1", 0)->code, 201);
    ck_assert_int_eq(bet("terminal=term-1", 1)->code, 201);
    fx_resp *r = bet("terminal=term-1", 2);
    ck_assert_int_eq(r->code, 429);
    ck_assert_int_eq(r->max_age, 10); /* 6 a minute */
    ck_assert_int_eq(bet("terminal=term-2", 3)->code, 201);
    ck_assert_int_eq(bet("session=player-7", 4)->code, 201);
    /* Five bets from 127.0.0.1 (the refused one still spent its address
     * token, which is checked first): the address is out, whoever asks. */
    r = bet("session=player-9", 5);
    ck_assert_int_eq(r->code, 429);
    ck_assert_int_eq(r->max_age, 5); /* 12 a minute */
}
END_TEST

START_TEST(loopback_exempt_by_default)
{
    start(json_pack("{s:i, s:i}", "rate_bet_player_per_min", 1, "rate_bet_player_burst", 1),
          false);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(bet("session=player-7", i)->code, 201);
}
END_TEST

START_TEST(login_buckets)
{
    start(json_pack("{s:b, s:i, s:i, s:i, s:i}", "rate_limit_loopback", 1,
                    "rate_login_account_per_min", 2, "rate_login_account_burst", 2,
                    "rate_login_peer_per_min", 60, "rate_login_peer_burst", 5),
          true);
    const char *reg = "{\"username\":\"ada\",\"password\":\"correct horse battery\","
                      "\"name\":\"Ada L\",\"birth_date\":\"1990-05-17\",\"address\":\"1 Main St\","
                      "\"jurisdiction\":\"GB\",\"document_no\":\"AB123456\"}";
    ck_assert_int_eq(fx_req(&F, COAP_REQUEST_CODE_POST, "v1/players", NULL, reg)->code, 201);
    const char *bad = "{\"username\":\"ada\",\"password\":\"wrong password!\"}";
    ck_assert_int_eq(fx_req(&F, COAP_REQUEST_CODE_POST, "v1/sessions", NULL, bad)->code, 401);
    ck_assert_int_eq(fx_req(&F, COAP_REQUEST_CODE_POST, "v1/sessions", NULL, bad)->code, 401);
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/sessions", NULL, bad);
    ck_assert_int_eq(r->code, 429);
    ck_assert_int_eq(r->max_age, 30);
    /* Another username still gets through, until the address is spent:
     * 1 registration + 3 logins so far, burst 5. */
    const char *other = "{\"username\":\"bob\",\"password\":\"whatever pass\"}";
    ck_assert_int_eq(fx_req(&F, COAP_REQUEST_CODE_POST, "v1/sessions", NULL, other)->code, 401);
    r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/sessions", NULL, other);
    ck_assert_int_eq(r->code, 429);
    ck_assert_int_eq(r->max_age, 1);
    r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/players", NULL, reg);
    ck_assert_int_eq(r->code, 429);
}
END_TEST

START_TEST(buckets_alone)
{
    tsr_rng *rng;
    ck_assert_int_eq(tsr_rng_seeded_create(&rng, 7), TSR_OK);
    tsr_ratelimit *rl;
    ck_assert_int_eq(tsr_ratelimit_create(&rl, 3, rng), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_ratelimit_create(&rl, 16, rng), TSR_OK);
    int64_t retry, t = 1000;
    ck_assert(tsr_ratelimit_take(rl, "a", 120, 2, t, &retry));
    ck_assert(tsr_ratelimit_take(rl, "a", 120, 2, t, &retry));
    ck_assert(!tsr_ratelimit_take(rl, "a", 120, 2, t, &retry));
    ck_assert_int_eq(retry, 1);
    ck_assert(tsr_ratelimit_take(rl, "a", 120, 2, t + TSR_NS_PER_S / 2, &retry));
    ck_assert(tsr_ratelimit_take(rl, "a", 0, 1, t, &retry)); /* 0 = no limit */
    /* Far more keys than slots: old buckets are forgotten, memory stays. */
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        ck_assert(tsr_ratelimit_take(rl, key, 1, 1, t + i, &retry));
    }
    ck_assert(!tsr_ratelimit_take(rl, "k999", 1, 1, t + 1000, &retry));
    ck_assert_int_eq(retry, 60);
    tsr_ratelimit_destroy(rl);
    tsr_rng_destroy(rng);
}
END_TEST

static Suite *rate_suite(void)
{
    Suite *s = suite_create("edge_rate");
    TCase *tc = tcase_create("rate");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, NULL, NULL);
    tcase_add_test(tc, buckets_alone);
    suite_add_tcase(s, tc);
    TCase *co = tcase_create("coap");
    tcase_set_timeout(co, 60);
    tcase_add_checked_fixture(co, NULL, teardown);
    tcase_add_test(co, player_bucket);
    tcase_add_test(co, terminal_and_peer_buckets);
    tcase_add_test(co, loopback_exempt_by_default);
    tcase_add_test(co, login_buckets);
    suite_add_tcase(s, co);
    return s;
}

int main(void) { return tsr_test_run(rate_suite()); }

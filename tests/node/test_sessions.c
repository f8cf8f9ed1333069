/* Sessions, login lockout, agents on terminals. */
#include "../../node/src/agents.h"
#include "../../node/src/sessions.h"
#include "test_ledger_fixture.h"

START_TEST(session_tokens_check_expire_and_log_out)
{
    fx f;
    fx_open(&f);
    int64_t p = fx_player(&f, "ada", "AB123456");
    char tok[TSR_TOKEN_HEX_SIZE];
    int64_t exp;
    ck_assert_int_eq(tsr_session_create(&f.acc, f.db, p, 0, NULL, f.now, tok, &exp), TSR_OK);
    ck_assert_int_eq((int)strlen(tok), 64);
    ck_assert_int_eq(exp, f.now + f.cfg.session_ttl_s * TSR_NS_PER_S);
    tsr_session_info si;
    ck_assert_int_eq(tsr_session_check(&f.acc, f.db, tok, f.now, &si), TSR_OK);
    ck_assert_int_eq(si.player_id, p);
    ck_assert_int_eq(si.agent_id, 0);
    /* Forged: well-formed but unknown; malformed: not 64 hex. */
    char forged[TSR_TOKEN_HEX_SIZE];
    memcpy(forged, tok, sizeof forged);
    forged[0] = forged[0] == 'a' ? 'b' : 'a';
    ck_assert_int_eq(tsr_session_check(&f.acc, f.db, forged, f.now, &si), TSR_ERR_SESSION_INVALID);
    ck_assert_int_eq(tsr_session_check(&f.acc, f.db, "xyz", f.now, &si), TSR_ERR_SESSION_INVALID);
    ck_assert_int_eq(tsr_session_check(&f.acc, f.db, NULL, f.now, &si), TSR_ERR_SESSION_INVALID);
    /* Idle: touched use pushes the idle expiry back. */
    int64_t idle = f.cfg.session_idle_s * TSR_NS_PER_S;
    ck_assert_int_eq(tsr_session_touch(&f.acc, f.db, tok, f.now + idle - 1), TSR_OK);
    ck_assert_int_eq(tsr_session_check(&f.acc, f.db, tok, f.now + idle + 5, &si), TSR_OK);
    ck_assert_int_eq(tsr_session_check(&f.acc, f.db, tok, f.now + 2 * idle, &si), TSR_ERR_SESSION_EXPIRED);
    ck_assert_int_eq(tsr_session_touch(&f.acc, f.db, tok, f.now + 2 * idle), TSR_ERR_SESSION_EXPIRED);
    /* A use within the touch interval of the last one writes nothing and
     * leaves the expiry where it was; one after it moves it. */
    int64_t every = tsr_session_touch_every_ns(&f.acc), seen = f.now + idle - 1;
    sqlite3 *h = tsr_store_conn_db(f.db);
    ck_assert_int_ge(every, TSR_NS_PER_S);
    ck_assert_int_le(every, idle / 4);
    ck_assert_int_eq(tsr_session_check(&f.acc, f.db, tok, seen + 1, &si), TSR_OK);
    ck_assert_int_eq(si.last_seen_at_ns, seen);
    sqlite3_int64 changes = sqlite3_total_changes64(h);
    ck_assert_int_eq(tsr_session_touch(&f.acc, f.db, tok, seen + every - 1), TSR_OK);
    ck_assert_int_eq(sqlite3_total_changes64(h), changes);
    ck_assert_int_eq(tsr_session_check(&f.acc, f.db, tok, seen + every - 1, &si), TSR_OK);
    ck_assert_int_eq(si.last_seen_at_ns, seen);
    ck_assert_int_eq(tsr_session_touch(&f.acc, f.db, tok, seen + every), TSR_OK);
    ck_assert_int_eq(tsr_session_check(&f.acc, f.db, tok, seen + every, &si), TSR_OK);
    ck_assert_int_eq(si.last_seen_at_ns, seen + every);
    /* Absolute expiry even when kept busy. */
    char tok2[TSR_TOKEN_HEX_SIZE];
    ck_assert_int_eq(tsr_session_create(&f.acc, f.db, p, 0, NULL, f.now, tok2, &exp), TSR_OK);
    ck_assert_str_ne(tok, tok2);
    for (int64_t t = f.now; t < exp; t += idle / 2)
        ck_assert_int_eq(tsr_session_touch(&f.acc, f.db, tok2, t), TSR_OK);
    ck_assert_int_eq(tsr_session_check(&f.acc, f.db, tok2, exp, &si), TSR_ERR_SESSION_EXPIRED);
    /* Logout. */
    char tok3[TSR_TOKEN_HEX_SIZE];
    ck_assert_int_eq(tsr_session_create(&f.acc, f.db, p, 0, NULL, f.now, tok3, &exp), TSR_OK);
    ck_assert_int_eq(tsr_session_delete(f.db, tok3), TSR_OK);
    ck_assert_int_eq(tsr_session_delete(f.db, tok3), TSR_ERR_SESSION_INVALID);
    ck_assert_int_eq(tsr_session_delete(f.db, "nothex"), TSR_ERR_SESSION_INVALID);
    ck_assert_int_eq(tsr_session_check(&f.acc, f.db, tok3, f.now, &si), TSR_ERR_SESSION_INVALID);
    int64_t removed = 0;
    ck_assert_int_eq(tsr_session_purge(f.db, f.now + 40 * FX_DAY, &removed), TSR_OK);
    ck_assert_int_eq(removed, 2);
    ck_assert_int_eq(tsr_session_create(&f.acc, f.db, p, 7, NULL, f.now, tok3, &exp), TSR_ERR_ARG);
    fx_close(&f);
}
END_TEST

START_TEST(three_wrong_passwords_lock_until_an_operator_unlocks)
{
    fx f;
    fx_open(&f);
    int64_t p = fx_player(&f, "ada", "AB123456"), id;
    char h[TSR_SECRET_HASH_SIZE];
    ck_assert_int_eq(tsr_login_lookup(f.db, "ada", &id, h), TSR_OK);
    ck_assert_int_eq(id, p);
    ck_assert(tsr_auth_verify(h, "correct horse"));
    ck_assert_int_eq(tsr_login_lookup(f.db, "nobody", &id, h), TSR_ERR_NOT_FOUND);
    tsr_login_result r;
    ck_assert_int_eq(tsr_login_finish(&f.acc, f.db, p, true, f.now, &r), TSR_OK);
    ck_assert_int_eq(r.outcome, TSR_OK);
    ck_assert_int_eq(r.previous_login_at_ns, 0);
    ck_assert_int_eq(tsr_login_finish(&f.acc, f.db, p, true, f.now + FX_HOUR, &r), TSR_OK);
    ck_assert_int_eq(r.previous_login_at_ns, f.now);
    for (int i = 1; i <= TSR_LOGIN_FAILURES_MAX; i++) {
        ck_assert_int_eq(tsr_login_finish(&f.acc, f.db, p, false, f.now, &r), TSR_OK);
        ck_assert_int_eq(r.outcome, TSR_ERR_CREDENTIALS);
        ck_assert_int_eq(r.failures_left, TSR_LOGIN_FAILURES_MAX - i);
    }
    ck_assert_int_eq(tsr_login_finish(&f.acc, f.db, p, true, f.now, &r), TSR_OK);
    ck_assert_int_eq(r.outcome, TSR_ERR_ACCOUNT_LOCKED);
    ck_assert_int_eq(tsr_players_unlock(f.db, p), TSR_OK);
    ck_assert_int_eq(tsr_login_finish(&f.acc, f.db, p, true, f.now + 2 * FX_HOUR, &r), TSR_OK);
    ck_assert_int_eq(r.outcome, TSR_OK);
    ck_assert_int_eq(r.previous_login_at_ns, f.now + FX_HOUR);
    /* A success clears the count: two failures after it do not lock. */
    ck_assert_int_eq(tsr_login_finish(&f.acc, f.db, p, false, f.now, &r), TSR_OK);
    ck_assert_int_eq(tsr_login_finish(&f.acc, f.db, p, false, f.now, &r), TSR_OK);
    ck_assert_int_eq(r.failures_left, 1);
    ck_assert_int_eq(tsr_login_finish(&f.acc, f.db, 4242, true, f.now, &r), TSR_OK);
    ck_assert_int_eq(r.outcome, TSR_ERR_CREDENTIALS);
    fx_close(&f);
}
END_TEST

START_TEST(agents_log_in_on_their_terminal_and_hold_a_float)
{
    fx f;
    fx_open(&f);
    int64_t a1, a2, id;
    char h[TSR_SECRET_HASH_SIZE];
    ck_assert_int_eq(tsr_agents_add(f.db, "T1", "sam", f.hash, f.now, &a1), TSR_OK);
    ck_assert_int_eq(tsr_agents_add(f.db, "T1", "sam", f.hash, f.now, &a2), TSR_ERR_EXISTS);
    ck_assert_int_eq(tsr_agents_add(f.db, "T 1", "sam", f.hash, f.now, &a2), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_agents_add(f.db, "T2", "", f.hash, f.now, &a2), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_agents_add(f.db, "T2", "sam", f.hash, f.now, &a2), TSR_OK);
    ck_assert_int_eq(tsr_agents_lookup(f.db, "T1", "sam", &id, h), TSR_OK);
    ck_assert_int_eq(id, a1);
    ck_assert_int_eq(tsr_agents_lookup(f.db, "T3", "sam", &id, h), TSR_ERR_NOT_FOUND);
    tsr_login_result r;
    ck_assert_int_eq(tsr_agents_login_finish(&f.acc, f.db, a1, "T2", true, f.now, &r), TSR_OK);
    ck_assert_int_eq(r.outcome, TSR_ERR_CREDENTIALS);
    ck_assert_int_eq(tsr_agents_login_finish(&f.acc, f.db, a1, "T1", true, f.now, &r), TSR_OK);
    ck_assert_int_eq(r.outcome, TSR_OK);
    tsr_session_info si;
    ck_assert_int_eq(tsr_session_check(&f.acc, f.db, r.token, f.now, &si), TSR_OK);
    ck_assert_int_eq(si.agent_id, a1);
    ck_assert_int_eq(si.player_id, 0);
    ck_assert_str_eq(si.terminal_id, "T1");
    for (int i = 0; i < TSR_LOGIN_FAILURES_MAX; i++)
        ck_assert_int_eq(tsr_agents_login_finish(&f.acc, f.db, a1, "T1", false, f.now, &r), TSR_OK);
    ck_assert_int_eq(tsr_agents_login_finish(&f.acc, f.db, a1, "T1", true, f.now, &r), TSR_OK);
    ck_assert_int_eq(r.outcome, TSR_ERR_ACCOUNT_LOCKED);
    ck_assert_int_eq(tsr_agents_unlock(f.db, a1), TSR_OK);
    ck_assert_int_eq(tsr_agents_unlock(f.db, 999), TSR_ERR_NOT_FOUND);
    ck_assert_int_eq(tsr_agents_login_finish(&f.acc, f.db, a1, "T1", true, f.now + 1, &r), TSR_OK);
    ck_assert_int_eq(r.outcome, TSR_OK);
    ck_assert_int_eq(r.previous_login_at_ns, f.now);
    /* Float: cash in, settle out, never below zero. */
    ck_assert_int_eq(tsr_agents_float_adjust(f.db, "T1", 50000, "rcpt-1", f.now, NULL), TSR_OK);
    ck_assert_int_eq(fx_balance(&f, "agent_float:T1"), 50000);
    ck_assert_int_eq(tsr_agents_float_adjust(f.db, "T1", -60000, "rcpt-2", f.now, NULL), TSR_ERR_FLOAT_FUNDS);
    ck_assert_int_eq(tsr_agents_float_adjust(f.db, "T1", -20000, "rcpt-2", f.now, NULL), TSR_OK);
    ck_assert_int_eq(fx_balance(&f, "agent_float:T1"), 30000);
    ck_assert_int_eq(tsr_agents_float_adjust(f.db, "T1", 0, "r", f.now, NULL), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_agents_float_adjust(f.db, "T1", INT64_MIN, "r", f.now, NULL), TSR_ERR_OVERFLOW);
    fx_ledger_ok(&f);
    fx_close(&f);
}
END_TEST

static Suite *sessions_suite(void)
{
    Suite *s = suite_create("sessions");
    TCase *tc = tcase_create("sessions");
    tcase_add_test(tc, session_tokens_check_expire_and_log_out);
    tcase_add_test(tc, three_wrong_passwords_lock_until_an_operator_unlocks);
    tcase_add_test(tc, agents_log_in_on_their_terminal_and_hold_a_float);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(sessions_suite()); }

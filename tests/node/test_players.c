/* Players: registration checks, legal age per jurisdiction, KYC, config,
 * Argon2id secrets. */
#include "../../node/src/kyc.h"
#include "test_ledger_fixture.h"

START_TEST(age_is_whole_years_on_the_utc_day)
{
    int y;
    /* FX_NOW is 2026-01-15. */
    ck_assert_int_eq(tsr_players_age("2008-01-15", FX_NOW, &y), TSR_OK);
    ck_assert_int_eq(y, 18);
    ck_assert_int_eq(tsr_players_age("2008-01-16", FX_NOW, &y), TSR_OK);
    ck_assert_int_eq(y, 17);
    ck_assert_int_eq(tsr_players_age("2000-02-29", FX_NOW, &y), TSR_OK);
    ck_assert_int_eq(y, 25);
    const char *bad[] = {"2001-02-29", "2000-13-01", "2000-00-10", "2000-01-32", "1899-12-31",
                         "2026-01-16", "20000101", "2000-1-01", "2000/01/01", "abcd-ef-gh", "", NULL};
    for (int i = 0; bad[i]; i++)
        ck_assert_msg(tsr_players_age(bad[i], FX_NOW, &y) == TSR_ERR_DATE, "accepted %s", bad[i]);
    ck_assert_int_eq(tsr_players_age(NULL, FX_NOW, &y), TSR_ERR_DATE);
}
END_TEST

START_TEST(validation_names_each_bad_field)
{
    fx f;
    fx_open_cfg(&f, "{\"legal_ages\": {\"US-NJ\": 21}, \"pwhash_ops\": 1, \"pwhash_mem_kib\": 64}");
    tsr_player_reg r;
    fx_reg(&r, "ada", "AB123456", "1990-05-17", "GB");
    ck_assert_int_eq(tsr_players_validate(&f.acc, &r, f.now), TSR_OK);
    fx_reg(&r, "Ada", "AB123456", "1990-05-17", "GB");
    ck_assert_int_eq(tsr_players_validate(&f.acc, &r, f.now), TSR_ERR_USERNAME);
    fx_reg(&r, "ab", "AB123456", "1990-05-17", "GB");
    ck_assert_int_eq(tsr_players_validate(&f.acc, &r, f.now), TSR_ERR_USERNAME);
    fx_reg(&r, "ada", "AB123456", "1990-05-17", "gb");
    ck_assert_int_eq(tsr_players_validate(&f.acc, &r, f.now), TSR_ERR_JURISDICTION);
    fx_reg(&r, "ada", "AB123456", "1990-05-17", "US-");
    ck_assert_int_eq(tsr_players_validate(&f.acc, &r, f.now), TSR_ERR_JURISDICTION);
    fx_reg(&r, "ada", "", "1990-05-17", "GB");
    ck_assert_int_eq(tsr_players_validate(&f.acc, &r, f.now), TSR_ERR_DOCUMENT);
    fx_reg(&r, "ada", "AB\n123", "1990-05-17", "GB");
    ck_assert_int_eq(tsr_players_validate(&f.acc, &r, f.now), TSR_ERR_DOCUMENT);
    fx_reg(&r, "ada", "AB123456", "1990-02-30", "GB");
    ck_assert_int_eq(tsr_players_validate(&f.acc, &r, f.now), TSR_ERR_DATE);
    fx_reg(&r, "ada", "AB123456", "1990-05-17", "GB");
    r.name[0] = '\0';
    ck_assert_int_eq(tsr_players_validate(&f.acc, &r, f.now), TSR_ERR_FIELD_MISSING);
    fx_reg(&r, "ada", "AB123456", "1990-05-17", "GB");
    r.address[3] = '\t';
    ck_assert_int_eq(tsr_players_validate(&f.acc, &r, f.now), TSR_ERR_ARG);
    /* 19 is of age in GB (default 18) but not in New Jersey (21). */
    fx_reg(&r, "ada", "AB123456", "2006-06-01", "GB");
    ck_assert_int_eq(tsr_players_validate(&f.acc, &r, f.now), TSR_OK);
    fx_reg(&r, "ada", "AB123456", "2006-06-01", "US-NJ");
    ck_assert_int_eq(tsr_players_validate(&f.acc, &r, f.now), TSR_ERR_UNDERAGE);
    fx_reg(&r, "ada", "AB123456", "2008-01-16", "GB");
    ck_assert_int_eq(tsr_players_validate(&f.acc, &r, f.now), TSR_ERR_UNDERAGE);
    ck_assert_int_eq(tsr_players_legal_age(&f.cfg, "US-NJ"), 21);
    ck_assert_int_eq(tsr_players_legal_age(&f.cfg, "FR"), 18);
    fx_close(&f);
}
END_TEST

START_TEST(register_verifies_and_refuses_duplicates)
{
    fx f;
    fx_open(&f);
    tsr_player_reg r;
    tsr_player_info p, q;
    fx_reg(&r, "ada", "AB123456", "1990-05-17", "GB");
    ck_assert_int_eq(tsr_players_register(&f.acc, f.db, &r, f.hash, f.now, &p), TSR_OK);
    ck_assert_int_eq(p.kyc, TSR_KYC_VERIFIED);
    ck_assert_str_eq(p.username, "ada");
    ck_assert_int_eq(p.last_login_at_ns, 0);
    ck_assert_int_eq(tsr_players_require_verified(f.db, p.id), TSR_OK);
    fx_reg(&r, "ada", "ZZ999999", "1990-05-17", "GB");
    ck_assert_int_eq(tsr_players_register(&f.acc, f.db, &r, f.hash, f.now, &q), TSR_ERR_USERNAME_TAKEN);
    fx_reg(&r, "bob", "AB123456", "1990-05-17", "GB");
    ck_assert_int_eq(tsr_players_register(&f.acc, f.db, &r, f.hash, f.now, &q), TSR_ERR_DOCUMENT_TAKEN);
    /* The same document in another jurisdiction is another document. */
    fx_reg(&r, "bob", "AB123456", "1990-05-17", "FR");
    ck_assert_int_eq(tsr_players_register(&f.acc, f.db, &r, f.hash, f.now, &q), TSR_OK);
    /* The default verifier rejects a malformed document: registered, not verified. */
    fx_reg(&r, "cyd", "ab-12", "1990-05-17", "GB");
    ck_assert_int_eq(tsr_players_register(&f.acc, f.db, &r, f.hash, f.now, &q), TSR_OK);
    ck_assert_int_eq(q.kyc, TSR_KYC_REJECTED);
    ck_assert_int_eq(tsr_players_require_verified(f.db, q.id), TSR_ERR_KYC_REJECTED);
    ck_assert_int_eq(tsr_players_set_kyc(f.db, q.id, TSR_KYC_PENDING, NULL), TSR_OK);
    ck_assert_int_eq(tsr_players_require_verified(f.db, q.id), TSR_ERR_KYC_PENDING);
    ck_assert_int_eq(tsr_players_set_kyc(f.db, 999, TSR_KYC_VERIFIED, "x"), TSR_ERR_NOT_FOUND);
    ck_assert_int_eq(tsr_players_require_verified(f.db, 999), TSR_ERR_NOT_FOUND);
    ck_assert_int_eq(tsr_players_unlock(f.db, 999), TSR_ERR_NOT_FOUND);
    ck_assert_int_eq(tsr_players_unlock(f.db, p.id), TSR_OK);
    fx_reg(&r, "dee", "DD123456", "2010-01-01", "GB");
    ck_assert_int_eq(tsr_players_register(&f.acc, f.db, &r, f.hash, f.now, &q), TSR_ERR_UNDERAGE);
    fx_reg(&r, "dee", "DD123456", "1990-01-01", "GB");
    ck_assert_int_eq(tsr_players_register(&f.acc, f.db, &r, "", f.now, &q), TSR_ERR_ARG);
    fx_close(&f);
}
END_TEST

static tsr_kyc_state always_pending(void *ctx, const tsr_player_reg *reg, int legal_age,
                                    int64_t now_ns, char *reason, size_t len)
{
    (void)reg, (void)legal_age, (void)now_ns, (void)reason, (void)len;
    ++*(int *)ctx;
    return TSR_KYC_PENDING;
}

START_TEST(a_remote_verifier_may_leave_kyc_pending)
{
    fx f;
    fx_open(&f);
    int calls = 0;
    tsr_kyc_verifier v = {"remote", &calls, always_pending};
    f.acc.kyc = &v;
    tsr_player_reg r;
    tsr_player_info p;
    fx_reg(&r, "ada", "AB123456", "1990-05-17", "GB");
    ck_assert_int_eq(tsr_players_register(&f.acc, f.db, &r, f.hash, f.now, &p), TSR_OK);
    ck_assert_int_eq(calls, 1);
    ck_assert_int_eq(p.kyc, TSR_KYC_PENDING);
    ck_assert_str_eq(tsr_kyc_state_name(p.kyc), "pending");
    ck_assert_int_eq(tsr_players_set_kyc(f.db, p.id, TSR_KYC_VERIFIED, NULL), TSR_OK);
    ck_assert_int_eq(tsr_players_require_verified(f.db, p.id), TSR_OK);
    fx_close(&f);
}
END_TEST

START_TEST(config_is_checked)
{
    tsr_accounts_cfg c;
    char err[256];
    const char *bad[] = {
        "{\"legal_ages\": {\"nj\": 21}}", "{\"legal_ages\": {\"US-NJ\": 40}}",
        "{\"legal_ages\": {\"US-NJ\": \"21\"}}", "{\"psp_secret\": \"abcd\"}",
        "{\"legal_age_default\": 12}", "{\"no_such_key\": 1}",
        "{\"cool_off_min_hours\": 100, \"cool_off_max_hours\": 10}", NULL};
    for (int i = 0; bad[i]; i++) {
        json_t *o = json_loads(bad[i], 0, NULL);
        ck_assert_msg(tsr_accounts_cfg_load(o, &c, err, sizeof err) != TSR_OK, "accepted %s", bad[i]);
        tsr_accounts_cfg_free(&c);
        json_decref(o);
    }
    ck_assert_int_eq(tsr_accounts_cfg_load(NULL, &c, err, sizeof err), TSR_OK);
    ck_assert_int_eq(c.legal_age_default, 18);
    ck_assert_int_eq(c.pwhash_mem_kib, 19456);
    ck_assert_int_eq(c.pwhash_ops, 2);
    tsr_accounts_cfg_free(&c);
}
END_TEST

START_TEST(secrets_hash_with_argon2id)
{
    tsr_accounts_cfg c;
    char err[128], h[TSR_SECRET_HASH_SIZE];
    json_t *o = json_loads("{\"pwhash_ops\": 1, \"pwhash_mem_kib\": 64}", 0, NULL);
    ck_assert_int_eq(tsr_accounts_cfg_load(o, &c, err, sizeof err), TSR_OK);
    json_decref(o);
    ck_assert_int_eq(tsr_auth_hash(&c, "correct horse", h), TSR_OK);
    ck_assert(strncmp(h, "$argon2id$", 10) == 0);
    ck_assert(tsr_auth_verify(h, "correct horse"));
    ck_assert(!tsr_auth_verify(h, "correct horsE"));
    ck_assert(!tsr_auth_verify("garbage", "correct horse"));
    tsr_auth_verify_dummy(&c, "x");
    ck_assert_int_eq(tsr_auth_password_check("short"), TSR_ERR_PASSWORD_WEAK);
    ck_assert_int_eq(tsr_auth_password_check(NULL), TSR_ERR_PASSWORD_WEAK);
    char longpw[TSR_PASSWORD_MAX + 2];
    memset(longpw, 'a', sizeof longpw - 1);
    longpw[sizeof longpw - 1] = '\0';
    ck_assert_int_eq(tsr_auth_password_check(longpw), TSR_ERR_PASSWORD_WEAK);
    ck_assert_int_eq(tsr_auth_password_check("ten chars!"), TSR_OK);
    ck_assert_int_eq(tsr_auth_pin_check("1234"), TSR_OK);
    ck_assert_int_eq(tsr_auth_pin_check("123"), TSR_ERR_PIN_FORMAT);
    ck_assert_int_eq(tsr_auth_pin_check("123456789"), TSR_ERR_PIN_FORMAT);
    ck_assert_int_eq(tsr_auth_pin_check("12a4"), TSR_ERR_PIN_FORMAT);
    tsr_accounts_cfg_free(&c);
}
END_TEST

static Suite *players_suite(void)
{
    Suite *s = suite_create("players");
    TCase *tc = tcase_create("players");
    tcase_add_test(tc, age_is_whole_years_on_the_utc_day);
    tcase_add_test(tc, validation_names_each_bad_field);
    tcase_add_test(tc, register_verifies_and_refuses_duplicates);
    tcase_add_test(tc, a_remote_verifier_may_leave_kyc_pending);
    tcase_add_test(tc, config_is_checked);
    tcase_add_test(tc, secrets_hash_with_argon2id);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(players_suite()); }

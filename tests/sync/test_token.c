/* Cutoff tokens and time beacons: signing, verification against a keyring,
 * consistency, expiry, staleness, skew, binary and JSON forms. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/clock.h"
#include "tessera/token.h"
#include "tsr_test.h"

#define S TSR_NS_PER_S
#define T0 (INT64_C(1800000000) * S)

static tsr_keypair authority, rogue;
static tsr_keyring *ring;

static void setup(void)
{
    uint8_t seed[TSR_SEED_LEN];
    memset(seed, 0xa1, sizeof seed);
    tsr_keypair_from_seed(&authority, seed);
    memset(seed, 0xb2, sizeof seed);
    tsr_keypair_from_seed(&rogue, seed);
    ck_assert_int_eq(tsr_keyring_create(&ring), TSR_OK);
    ck_assert_int_eq(tsr_keyring_add(ring, authority.pk, "draw-authority"), TSR_OK);
}

static void teardown(void) { tsr_keyring_destroy(ring); }

static tsr_cutoff_token token(void)
{
    tsr_cutoff_token t = {.game = "lotto-6-49", .draw = 1234, .sales_open_at_ns = T0,
                          .cutoff_at_ns = T0 + 3600 * S, .results_at_ns = T0 + 7200 * S,
                          .issued_at_ns = T0 - 60 * S, .witness_count = 3};
    tsr_seed_commit("central seed", 12, t.seed_commitment);
    for (int i = 0; i < 3; i++)
        memset(t.witness_commitments[i], 0x10 + i, TSR_HASH_LEN);
    return t;
}

/* Signs t without the consistency check, as a buggy or hostile issuer
 * would, so verify's own checks are exercised. */
static void sign_anyway(tsr_cutoff_token *t, const tsr_keypair *kp)
{
    uint8_t buf[TSR_TOKEN_ENC_MAX];
    tsr_enc e;
    size_t len;
    tsr_key_id(kp->pk, t->key_id);
    tsr_enc_init(&e, buf, sizeof buf);
    /* encode refuses inconsistent tokens, so build the bytes by hand */
    tsr_enc_put_u8(&e, TSR_TYPE_CUTOFF_TOKEN);
    tsr_enc_put_u8(&e, TSR_CODEC_VERSION);
    tsr_enc_put_str(&e, t->game);
    tsr_enc_put_u32(&e, t->draw);
    tsr_enc_put_i64(&e, t->sales_open_at_ns);
    tsr_enc_put_i64(&e, t->cutoff_at_ns);
    tsr_enc_put_i64(&e, t->results_at_ns);
    tsr_enc_put_fixed(&e, t->seed_commitment, TSR_HASH_LEN);
    tsr_enc_put_u8(&e, t->witness_count);
    for (unsigned i = 0; i < t->witness_count; i++)
        tsr_enc_put_fixed(&e, t->witness_commitments[i], TSR_HASH_LEN);
    tsr_enc_put_str(&e, t->key_id);
    tsr_enc_put_i64(&e, t->issued_at_ns);
    ck_assert_int_eq(tsr_enc_finish(&e, &len), TSR_OK);
    tsr_sign(kp, buf, len, t->sig);
}

START_TEST(seed_commitment_follows_its_definition)
{
    uint8_t c[TSR_HASH_LEN], want[TSR_HASH_LEN];
    tsr_seed_commit("abc", 3, c);
    tsr_hash256(want, "tessera-seedabc", 15);
    ck_assert_mem_eq(c, want, TSR_HASH_LEN);
}
END_TEST

START_TEST(signed_token_verifies_until_results)
{
    tsr_cutoff_token t = token();
    ck_assert_int_eq(tsr_cutoff_token_sign(&t, &authority), TSR_OK);
    char id[TSR_KEY_ID_SIZE];
    tsr_key_id(authority.pk, id);
    ck_assert_str_eq(t.key_id, id);
    ck_assert_int_eq(tsr_cutoff_token_verify(&t, ring, T0 - 3600 * S), TSR_OK); /* early */
    ck_assert_int_eq(tsr_cutoff_token_verify(&t, ring, t.cutoff_at_ns + S), TSR_OK); /* sealing */
    ck_assert_int_eq(tsr_cutoff_token_verify(&t, ring, t.results_at_ns - 1), TSR_OK);
    ck_assert_int_eq(tsr_cutoff_token_verify(&t, ring, t.results_at_ns), TSR_ERR_TOKEN_EXPIRED);
}
END_TEST

START_TEST(forged_or_unknown_tokens_fail)
{
    tsr_cutoff_token t = token();
    ck_assert_int_eq(tsr_cutoff_token_sign(&t, &rogue), TSR_OK);
    ck_assert_int_eq(tsr_cutoff_token_verify(&t, ring, T0), TSR_ERR_KEY_UNKNOWN);
    /* rogue signature under the authority's key id */
    tsr_key_id(authority.pk, t.key_id);
    ck_assert_int_eq(tsr_cutoff_token_verify(&t, ring, T0), TSR_ERR_SIGNATURE);
    /* any changed field breaks a genuine signature */
    t = token();
    ck_assert_int_eq(tsr_cutoff_token_sign(&t, &authority), TSR_OK);
    tsr_cutoff_token u = t;
    u.cutoff_at_ns += 1;
    ck_assert_int_eq(tsr_cutoff_token_verify(&u, ring, T0), TSR_ERR_SIGNATURE);
    u = t;
    u.witness_commitments[2][31] ^= 1;
    ck_assert_int_eq(tsr_cutoff_token_verify(&u, ring, T0), TSR_ERR_SIGNATURE);
    u = t;
    u.witness_count = 2;
    ck_assert_int_eq(tsr_cutoff_token_verify(&u, ring, T0), TSR_ERR_SIGNATURE);
    u = t;
    u.draw++;
    ck_assert_int_eq(tsr_cutoff_token_verify(&u, ring, T0), TSR_ERR_SIGNATURE);
    for (int i = 0; i < TSR_SIG_LEN; i++) {
        u = t;
        u.sig[i] ^= 4;
        ck_assert_int_eq(tsr_cutoff_token_verify(&u, ring, T0), TSR_ERR_SIGNATURE);
    }
    u = t;
    strcpy(u.key_id, "not-a-key-id");
    ck_assert_int_eq(tsr_cutoff_token_verify(&u, ring, T0), TSR_ERR_KEY_UNKNOWN);
}
END_TEST

START_TEST(inconsistent_times_are_refused_when_signing_and_verifying)
{
    struct { int64_t open, cutoff, results, issued; } bad[] = {
        {T0, T0, T0 + 2 * S, T0 - S},          /* open == cutoff */
        {T0, T0 + 2 * S, T0 + S, T0 - S},      /* results before cutoff */
        {T0, T0 + S, T0 + S, T0 - S},          /* results == cutoff */
        {T0, T0 + S, T0 + 2 * S, T0 + 2 * S},  /* issued after cutoff */
        {T0, T0 + S, T0 + 2 * S, 0},           /* never issued */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tsr_cutoff_token t = token();
        t.sales_open_at_ns = bad[i].open;
        t.cutoff_at_ns = bad[i].cutoff;
        t.results_at_ns = bad[i].results;
        t.issued_at_ns = bad[i].issued;
        ck_assert_int_eq(tsr_cutoff_token_check(&t), TSR_ERR_TOKEN_INCONSISTENT);
        ck_assert_int_eq(tsr_cutoff_token_sign(&t, &authority), TSR_ERR_TOKEN_INCONSISTENT);
        sign_anyway(&t, &authority);
        ck_assert_int_eq(tsr_cutoff_token_verify(&t, ring, T0 - 10 * S),
                         TSR_ERR_TOKEN_INCONSISTENT);
    }
    tsr_cutoff_token t = token();
    t.witness_count = TSR_WITNESS_MAX + 1;
    ck_assert_int_eq(tsr_cutoff_token_sign(&t, &authority), TSR_ERR_TOKEN_INCONSISTENT);
    t = token();
    strcpy(t.game, "bad game");
    ck_assert_int_eq(tsr_cutoff_token_sign(&t, &authority), TSR_ERR_RANGE);
}
END_TEST

START_TEST(token_binary_and_json_forms_round_trip)
{
    tsr_cutoff_token t = token(), back;
    t.witness_count = TSR_WITNESS_MAX;
    ck_assert_int_eq(tsr_cutoff_token_sign(&t, &authority), TSR_OK);
    uint8_t buf[TSR_TOKEN_PACKED_MAX + 1];
    size_t len;
    ck_assert_int_eq(tsr_cutoff_token_pack(&t, buf, sizeof buf, &len), TSR_OK);
    ck_assert_uint_eq(len, TSR_TOKEN_PACKED_MAX - (31 - strlen(t.game)));
    ck_assert_int_eq(tsr_cutoff_token_unpack(buf, len, &back), TSR_OK);
    ck_assert_mem_eq(&back, &t, sizeof t);
    ck_assert_int_eq(tsr_cutoff_token_verify(&back, ring, T0), TSR_OK);
    ck_assert_int_eq(tsr_cutoff_token_unpack(buf, len - 1, &back), TSR_ERR_ENCODING);
    buf[len] = 0;
    ck_assert_int_eq(tsr_cutoff_token_unpack(buf, len + 1, &back), TSR_ERR_ENCODING);
    buf[1] = 7;
    ck_assert_int_eq(tsr_cutoff_token_unpack(buf, len, &back), TSR_ERR_VERSION);
    ck_assert_int_eq(tsr_cutoff_token_pack(&t, buf, 100, &len), TSR_ERR_TOO_LARGE);

    json_t *j = tsr_cutoff_token_to_json(&t);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(tsr_cutoff_token_from_json(j, &back), TSR_OK);
    ck_assert_mem_eq(&back, &t, sizeof t);
    /* re-formatted JSON: same token, same signature */
    char *text = json_dumps(j, JSON_INDENT(4) | JSON_SORT_KEYS);
    json_t *j2 = json_loads(text, 0, NULL);
    free(text);
    ck_assert_int_eq(tsr_cutoff_token_from_json(j2, &back), TSR_OK);
    ck_assert_int_eq(tsr_cutoff_token_verify(&back, ring, T0), TSR_OK);
    json_decref(j2);
    json_array_append_new(json_object_get(j, "witness_commitments"),
                          json_string("00"));
    ck_assert_int_eq(tsr_cutoff_token_from_json(j, &back), TSR_ERR_RANGE); /* 9 witnesses */
    json_array_remove(json_object_get(j, "witness_commitments"), 8);
    json_array_set_new(json_object_get(j, "witness_commitments"), 0, json_string("00"));
    ck_assert_int_eq(tsr_cutoff_token_from_json(j, &back), TSR_ERR_ENCODING);
    json_array_set_new(json_object_get(j, "witness_commitments"), 0, json_false());
    ck_assert_int_eq(tsr_cutoff_token_from_json(j, &back), TSR_ERR_FIELD_TYPE);
    json_decref(j);
    j = tsr_cutoff_token_to_json(&t);
    json_object_set_new(j, "sig", json_string("abcd"));
    ck_assert_int_eq(tsr_cutoff_token_from_json(j, &back), TSR_ERR_ENCODING);
    json_object_del(j, "sig");
    ck_assert_int_eq(tsr_cutoff_token_from_json(j, &back), TSR_ERR_FIELD_MISSING);
    json_object_set_new(j, "sig", json_string(""));
    json_object_set_new(j, "note", json_string("x"));
    ck_assert_int_eq(tsr_cutoff_token_from_json(j, &back), TSR_ERR_FIELD_UNKNOWN);
    json_decref(j);
}
END_TEST

START_TEST(beacon_verifies_and_goes_stale)
{
    tsr_beacon b = {.seq = 9, .time_ns = T0}, back;
    ck_assert_int_eq(tsr_beacon_sign(&b, &authority), TSR_OK);
    int64_t max_age = 5 * S;
    ck_assert_int_eq(tsr_beacon_verify(&b, ring, T0 + max_age, max_age), TSR_OK);
    ck_assert_int_eq(tsr_beacon_verify(&b, ring, T0 - S, max_age), TSR_OK); /* skew decides */
    ck_assert_int_eq(tsr_beacon_verify(&b, ring, T0 + max_age + 1, max_age),
                     TSR_ERR_BEACON_STALE);
    ck_assert_int_eq(tsr_beacon_verify(&b, ring, INT64_MAX, max_age), TSR_ERR_BEACON_STALE);
    back = b;
    back.time_ns += S; /* a replayed beacon re-stamped */
    ck_assert_int_eq(tsr_beacon_verify(&back, ring, T0, max_age), TSR_ERR_SIGNATURE);
    back = b;
    back.seq++;
    ck_assert_int_eq(tsr_beacon_verify(&back, ring, T0, max_age), TSR_ERR_SIGNATURE);
    tsr_beacon r = {.seq = 9, .time_ns = T0};
    ck_assert_int_eq(tsr_beacon_sign(&r, &rogue), TSR_OK);
    ck_assert_int_eq(tsr_beacon_verify(&r, ring, T0, max_age), TSR_ERR_KEY_UNKNOWN);
    memcpy(r.key_id, b.key_id, sizeof r.key_id);
    ck_assert_int_eq(tsr_beacon_verify(&r, ring, T0, max_age), TSR_ERR_SIGNATURE);
}
END_TEST

START_TEST(beacon_skew_check)
{
    tsr_beacon b = {.seq = 1, .time_ns = T0};
    int64_t bound = 250 * TSR_NS_PER_MS, transit = 50 * TSR_NS_PER_MS;
    ck_assert_int_eq(tsr_beacon_check_skew(&b, T0, bound, transit), TSR_OK);
    ck_assert_int_eq(tsr_beacon_check_skew(&b, T0 + bound + transit, bound, transit), TSR_OK);
    ck_assert_int_eq(tsr_beacon_check_skew(&b, T0 + bound + transit + 1, bound, transit),
                     TSR_ERR_BEACON_SKEW);
    ck_assert_int_eq(tsr_beacon_check_skew(&b, T0 - bound, bound, transit), TSR_OK);
    ck_assert_int_eq(tsr_beacon_check_skew(&b, T0 - bound - 1, bound, transit),
                     TSR_ERR_BEACON_SKEW);
    ck_assert_int_eq(tsr_beacon_check_skew(&b, INT64_MIN, bound, transit), TSR_ERR_BEACON_SKEW);
    ck_assert_int_eq(tsr_beacon_check_skew(&b, T0, -1, transit), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_beacon_check_skew(&b, T0, bound, -1), TSR_ERR_ARG);
}
END_TEST

START_TEST(beacon_binary_and_json_forms)
{
    tsr_beacon b = {.seq = 77, .time_ns = T0}, back;
    ck_assert_int_eq(tsr_beacon_sign(&b, &authority), TSR_OK);
    uint8_t buf[TSR_BEACON_PACKED_MAX + 1];
    size_t len;
    ck_assert_int_eq(tsr_beacon_pack(&b, buf, sizeof buf, &len), TSR_OK);
    ck_assert_uint_eq(len, TSR_BEACON_PACKED_MAX);
    ck_assert_int_eq(tsr_beacon_unpack(buf, len, &back), TSR_OK);
    ck_assert_mem_eq(&back, &b, sizeof b);
    ck_assert_int_eq(tsr_beacon_unpack(buf, len - 1, &back), TSR_ERR_ENCODING);
    buf[1] = 0;
    ck_assert_int_eq(tsr_beacon_unpack(buf, len, &back), TSR_ERR_VERSION);
    ck_assert_int_eq(tsr_beacon_pack(&b, buf, 20, &len), TSR_ERR_TOO_LARGE);
    json_t *j = tsr_beacon_to_json(&b);
    ck_assert_int_eq(tsr_beacon_from_json(j, &back), TSR_OK);
    ck_assert_mem_eq(&back, &b, sizeof b);
    json_object_set_new(j, "key_id", json_string("XYZ"));
    ck_assert_int_eq(tsr_beacon_from_json(j, &back), TSR_ERR_RANGE);
    json_object_set_new(j, "seq", json_integer(-1));
    ck_assert_int_eq(tsr_beacon_from_json(j, &back), TSR_ERR_RANGE);
    json_decref(j);
    tsr_beacon bad = {.key_id = "short"};
    tsr_enc e;
    tsr_enc_init(&e, buf, sizeof buf);
    ck_assert_int_eq(tsr_beacon_encode(&bad, &e), TSR_ERR_RANGE);
}
END_TEST

static Suite *token_suite(void)
{
    Suite *s = suite_create("token");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, seed_commitment_follows_its_definition);
    tcase_add_test(tc, signed_token_verifies_until_results);
    tcase_add_test(tc, forged_or_unknown_tokens_fail);
    tcase_add_test(tc, inconsistent_times_are_refused_when_signing_and_verifying);
    tcase_add_test(tc, token_binary_and_json_forms_round_trip);
    tcase_add_test(tc, beacon_verifies_and_goes_stale);
    tcase_add_test(tc, beacon_skew_check);
    tcase_add_test(tc, beacon_binary_and_json_forms);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(token_suite()); }

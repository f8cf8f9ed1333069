/* The witness library: commit once per draw, reveal only against the
 * draw's signed manifest after the cutoff, never for a second root. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "draw_fixture.h"

#define T0 (1700000000 * TSR_NS_PER_S)

START_TEST(commit_keeps_one_seed_per_draw_in_a_private_file)
{
    dfx f;
    dfx_setup(&f, "wit-commit", 1, 1, T0);
    tsr_witness_commitment a, b, c;
    ck_assert_int_eq(tsr_witness_commit(f.w[0], DFX_GAME, DFX_DRAW, &a), TSR_OK);
    ck_assert_mem_eq(a.commitment, f.wc[0].commitment, 32); /* the same as at setup */
    ck_assert_int_eq(tsr_witness_commit(f.w[0], DFX_GAME, DFX_DRAW + 1, &b), TSR_OK);
    ck_assert_int_ne(memcmp(a.commitment, b.commitment, 32), 0);
    ck_assert_int_eq(tsr_witness_commit(f.w[0], "bad/name", 1, &c), TSR_ERR_RANGE);
    char path[400];
    snprintf(path, sizeof path, "%s/w1/seed-%s-%u.json", f.dir, DFX_GAME, DFX_DRAW);
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600);
    /* The commitment's JSON form round-trips and checks its signature. */
    json_t *j = tsr_witness_commitment_to_json(&a);
    ck_assert_int_eq(tsr_witness_commitment_from_json(j, &c), TSR_OK);
    ck_assert_mem_eq(&c, &a, sizeof c);
    json_object_set_new(j, "draw", json_integer(DFX_DRAW + 1));
    ck_assert_int_eq(tsr_witness_commitment_from_json(j, &c), TSR_ERR_SIGNATURE);
    json_decref(j);
    uint8_t pk[32];
    tsr_witness_public_key(f.w[0], pk);
    ck_assert_mem_eq(pk, a.pk, 32);
    dfx_teardown(&f);
}
END_TEST

START_TEST(reveal_before_the_cutoff_is_refused)
{
    dfx f;
    dfx_setup(&f, "wit-early", 2, 1, T0);
    tsr_draw_witness w;
    char why[TSR_DRAW_WHY_MAX] = "";
    ck_assert_int_eq(tsr_clock_test_set(f.clock, f.token.cutoff_at_ns - 1), TSR_OK);
    ck_assert_int_eq(tsr_witness_reveal(f.w[0], f.m, &w, why, sizeof why),
                     TSR_ERR_WITNESS_TOO_EARLY);
    ck_assert_ptr_nonnull(strstr(why, "cutoff is in"));
    ck_assert_int_eq(tsr_clock_test_set(f.clock, f.token.cutoff_at_ns), TSR_OK);
    ck_assert_int_eq(tsr_witness_reveal(f.w[0], f.m, &w, why, sizeof why), TSR_OK);
    ck_assert_int_eq(tsr_draw_witness_check(&w, DFX_GAME, DFX_DRAW, f.m->root, why, sizeof why),
                     TSR_OK);
    dfx_teardown(&f);
}
END_TEST

START_TEST(reveal_needs_a_manifest_signed_by_the_pinned_authority)
{
    dfx f;
    dfx_setup(&f, "wit-auth", 2, 1, T0);
    ck_assert_int_eq(tsr_clock_test_set(f.clock, f.token.cutoff_at_ns + 1), TSR_OK);
    tsr_draw_witness w;
    char why[TSR_DRAW_WHY_MAX] = "";
    /* An unsigned manifest (never signed: zero key and signature). */
    tsr_draw_manifest *m;
    ck_assert_int_eq(tsr_draw_manifest_build(&m, &f.token, f.seals, 2, why, sizeof why), TSR_OK);
    ck_assert_int_eq(tsr_witness_reveal(f.w[0], m, &w, why, sizeof why), TSR_ERR_DRAW_AUTHORITY);
    /* Signed, then altered: the signature no longer verifies. */
    ck_assert_int_eq(tsr_draw_manifest_sign(m, &f.authority, 1), TSR_OK);
    m->published_at_ns++;
    ck_assert_int_eq(tsr_witness_reveal(f.w[0], m, &w, why, sizeof why), TSR_ERR_SIGNATURE);
    tsr_draw_manifest_destroy(m);
    /* A manifest from another authority, for a token it signed itself. */
    tsr_keypair other;
    dfx_key(&other, 0xB2);
    tsr_cutoff_token t = f.token;
    ck_assert_int_eq(tsr_cutoff_token_sign(&t, &other), TSR_OK);
    ck_assert_int_eq(tsr_draw_manifest_build(&m, &t, f.seals, 2, why, sizeof why), TSR_OK);
    ck_assert_int_eq(tsr_draw_manifest_sign(m, &other, 1), TSR_OK);
    ck_assert_int_eq(tsr_witness_reveal(f.w[0], m, &w, why, sizeof why), TSR_ERR_DRAW_AUTHORITY);
    tsr_draw_manifest_destroy(m);
    /* A root that does not match the seals. */
    f.m->root[0] ^= 1;
    ck_assert_int_eq(tsr_witness_reveal(f.w[0], f.m, &w, why, sizeof why), TSR_ERR_DRAW_MISMATCH);
    f.m->root[0] ^= 1;
    ck_assert_int_eq(tsr_witness_reveal(f.w[0], f.m, &w, why, sizeof why), TSR_OK);
    dfx_teardown(&f);
}
END_TEST

/* A signed manifest for `draw` whose token lists `commitment`. */
static tsr_draw_manifest *manifest_for(dfx *f, uint32_t draw, const uint8_t commitment[32])
{
    tsr_cutoff_token t = f->token;
    t.draw = draw;
    memcpy(t.witness_commitments[0], commitment, 32);
    ck_assert_int_eq(tsr_cutoff_token_sign(&t, &f->authority), TSR_OK);
    tsr_draw_manifest *m;
    char why[TSR_DRAW_WHY_MAX];
    ck_assert_int_eq(tsr_draw_manifest_build(&m, &t, NULL, 0, why, sizeof why), TSR_OK);
    ck_assert_int_eq(tsr_draw_manifest_sign(m, &f->authority, 1), TSR_OK);
    return m;
}

START_TEST(reveal_only_for_own_listed_commitment_and_one_root)
{
    dfx f;
    dfx_setup(&f, "wit-rules", 2, 1, T0);
    ck_assert_int_eq(tsr_clock_test_set(f.clock, f.token.cutoff_at_ns + 1), TSR_OK);
    tsr_draw_witness w, again;
    char why[TSR_DRAW_WHY_MAX] = "";
    /* A draw it never committed to. */
    tsr_draw_manifest *m = manifest_for(&f, DFX_DRAW + 5, f.wc[0].commitment);
    ck_assert_int_eq(tsr_witness_reveal(f.w[0], m, &w, why, sizeof why),
                     TSR_ERR_WITNESS_NOT_COMMITTED);
    tsr_draw_manifest_destroy(m);
    /* Its draw, but the token lists another commitment. */
    uint8_t other[32] = {9};
    m = manifest_for(&f, DFX_DRAW, other);
    ck_assert_int_eq(tsr_witness_reveal(f.w[0], m, &w, why, sizeof why),
                     TSR_ERR_WITNESS_NOT_LISTED);
    tsr_draw_manifest_destroy(m);
    /* The real manifest, twice: the same reveal. */
    ck_assert_int_eq(tsr_witness_reveal(f.w[0], f.m, &w, why, sizeof why), TSR_OK);
    ck_assert_int_eq(tsr_witness_reveal(f.w[0], f.m, &again, why, sizeof why), TSR_OK);
    ck_assert_mem_eq(&w, &again, sizeof w);
    /* A second manifest (no seals: another root) for the same draw. */
    m = manifest_for(&f, DFX_DRAW, f.wc[0].commitment);
    ck_assert_int_eq(tsr_witness_reveal(f.w[0], m, &w, why, sizeof why),
                     TSR_ERR_WITNESS_REVEALED);
    ck_assert_ptr_nonnull(strstr(why, "was revealed for manifest root"));
    tsr_draw_manifest_destroy(m);
    dfx_teardown(&f);
}
END_TEST

START_TEST(state_directory_errors)
{
    char dir[256], sub[300];
    tsr_test_tmpdir("wit-dir", dir, sizeof dir);
    tsr_rng *seeded, *real;
    tsr_clock *clock;
    ck_assert_int_eq(tsr_rng_seeded_create(&seeded, DFX_SEED), TSR_OK);
    ck_assert_int_eq(tsr_rng_real_create(&real), TSR_OK);
    ck_assert_int_eq(tsr_clock_test_create(&clock, T0), TSR_OK);
    uint8_t apk[32] = {1};
    tsr_witness *w;
    snprintf(sub, sizeof sub, "%s/w", dir);
    ck_assert_int_eq(tsr_witness_init(sub, apk, seeded, false), TSR_ERR_RNG_SEEDED);
    ck_assert_int_eq(tsr_witness_open(&w, sub, seeded, clock, false), TSR_ERR_RNG_SEEDED);
    ck_assert_int_eq(tsr_witness_open(&w, sub, real, clock, false), TSR_ERR_KEY_FILE);
    tsr_keypair a;
    dfx_key(&a, 0xA1);
    ck_assert_int_eq(tsr_witness_init(sub, a.pk, real, false), TSR_OK);
    ck_assert_int_eq(tsr_witness_init(sub, a.pk, real, false), TSR_ERR_EXISTS);
    ck_assert_int_eq(tsr_witness_open(&w, sub, real, clock, false), TSR_OK);
    tsr_witness_close(w);
    snprintf(sub, sizeof sub, "%s/w/witness.key", dir);
    ck_assert_int_eq(chmod(sub, 0644), 0);
    snprintf(sub, sizeof sub, "%s/w", dir);
    ck_assert_int_eq(tsr_witness_open(&w, sub, real, clock, false), TSR_ERR_KEY_PERMS);
    snprintf(sub, sizeof sub, "%s/no/such/dir", dir);
    ck_assert_int_eq(tsr_witness_init(sub, a.pk, real, false), TSR_ERR_IO);
    tsr_witness_close(NULL);
    tsr_clock_destroy(clock);
    tsr_rng_destroy(seeded);
    tsr_rng_destroy(real);
    tsr_test_rmtree(dir);
}
END_TEST

static Suite *witness_suite(void)
{
    Suite *s = suite_create("draw_witness");
    TCase *tc = tcase_create("witness");
    tcase_add_test(tc, commit_keeps_one_seed_per_draw_in_a_private_file);
    tcase_add_test(tc, reveal_before_the_cutoff_is_refused);
    tcase_add_test(tc, reveal_needs_a_manifest_signed_by_the_pinned_authority);
    tcase_add_test(tc, reveal_only_for_own_listed_commitment_and_one_root);
    tcase_add_test(tc, state_directory_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(witness_suite()); }

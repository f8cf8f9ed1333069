/* The verifiable draw: HMAC_DRBG known answer, the stream and sampling
 * rules re-derived independently, shapes, manifest and record, and that
 * altering any single field of a record makes it fail. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw_fixture.h"
#include "tessera/draw.h"
#include "tessera/catalog.h"
#include "tessera/merkle.h"

static void unhex(uint8_t *out, size_t len, const char *hex)
{
    ck_assert_int_eq(tsr_hex_decode(out, len, hex), TSR_OK);
}

/* NIST CAVS 14.3 HMAC_DRBG no reseed, SHA-256, 256+128 bits of
 * entropy+nonce, no personalization, no additional input, vector #0, as
 * carried by mbedTLS's tests/suites/test_suite_hmac_drbg.no_reseed.data
 * ("HMAC_DRBG NIST CAVS 14.3 No Reseed (SHA-256,256+128,0,0) #0"): two
 * Generate calls of 128 bytes, the second one's output is the answer. */
START_TEST(hmac_drbg_matches_the_nist_cavp_vector)
{
    uint8_t seed[48], want[128], got[128];
    unhex(seed, sizeof seed,
          "ca851911349384bffe89de1cbdc46e6831e44d34a4fb935ee285dd14b71a7488"
          "659ba96c601dc69fc902940805ec0ca8");
    unhex(want, sizeof want,
          "e528e9abf2dece54d47c7e75e5fe302149f817ea9fb4bee6f4199697d04d5b89"
          "d54fbb978a15b5c443c9ec21036d2460b6f73ebad0dc2aba6e624abf07745bc1"
          "07694bb7547bb0995f70de25d6b29e2d3011bb19d27676c07162c8b5ccde0668"
          "961df86803482cb37ed6d5c0bb8d50cf1f50d476aa0458bdaba806f48be9dcb8");
    tsr_drbg *d;
    ck_assert_int_eq(tsr_drbg_create(&d, seed, sizeof seed), TSR_OK);
    ck_assert_int_eq(tsr_drbg_generate(d, got, sizeof got, NULL, 0), TSR_OK);
    ck_assert_int_eq(tsr_drbg_generate(d, got, sizeof got, NULL, 0), TSR_OK);
    ck_assert_mem_eq(got, want, sizeof want);
    ck_assert_int_eq(tsr_drbg_generate(d, got, 0, NULL, 0), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_drbg_generate(d, got, 1025, NULL, 0), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_drbg_generate(d, got, 1, NULL, 3), TSR_ERR_ARG);
    tsr_drbg_destroy(d);
    tsr_drbg_destroy(NULL);
    ck_assert_int_eq(tsr_drbg_create(&d, seed, 0), TSR_ERR_ARG);
    ck_assert_ptr_null(d);
    uint8_t big[385] = {0};
    ck_assert_int_eq(tsr_drbg_create(&d, big, sizeof big), TSR_ERR_ARG);
}
END_TEST

/* The reference stream, built from the raw DRBG as draw.h describes it. */
typedef struct ref_stream {
    tsr_drbg *d;
    uint8_t block[32];
    size_t pos;
} ref_stream;

static void ref_open(ref_stream *s, const uint8_t e[32])
{
    uint8_t m[32 + 15];
    memcpy(m, e, 32);
    memcpy(m + 32, "tessera-draw-v1", 15);
    ck_assert_int_eq(tsr_drbg_create(&s->d, m, sizeof m), TSR_OK);
    s->pos = 32;
}

static uint8_t ref_byte(ref_stream *s)
{
    if (s->pos == 32) {
        ck_assert_int_eq(tsr_drbg_generate(s->d, s->block, 32, NULL, 0), TSR_OK);
        s->pos = 0;
    }
    return s->block[s->pos++];
}

static uint32_t ref_uniform(ref_stream *s, uint32_t r)
{
    unsigned bits = 0;
    for (uint32_t v = r - 1; v; v >>= 1)
        bits++;
    for (;;) {
        uint32_t v = 0;
        for (unsigned i = 0; i < (bits + 7) / 8; i++)
            v = v << 8 | ref_byte(s);
        v &= bits ? (uint32_t)((1ull << bits) - 1) : 0;
        if (v < r)
            return v;
    }
}

/* The numbers of a shape by the rules, written independently of draw.c. */
static void ref_numbers(const tsr_draw_shape *sh, const uint8_t e[32], tsr_draw_numbers *out)
{
    ref_stream s;
    ref_open(&s, e);
    memset(out, 0, sizeof *out);
    out->pool_count = sh->pool_count;
    for (uint32_t p = 0; p < sh->pool_count; p++) {
        const tsr_draw_pool *q = &sh->pools[p];
        uint32_t size = q->max - q->min + 1, n = q->count + q->bonus;
        uint32_t taken[TSR_DRAW_POOL_SIZE_MAX] = {0};
        out->len[p] = n;
        for (uint32_t i = 0; i < n; i++) {
            if (q->replacement) {
                out->values[p][i] = q->min + ref_uniform(&s, size);
                continue;
            }
            uint32_t x = ref_uniform(&s, size - i), k = 0;
            for (uint32_t v = 0;; v++) /* the x-th number not yet taken */
                if (!taken[v] && k++ == x) {
                    taken[v] = 1;
                    out->values[p][i] = q->min + v;
                    break;
                }
        }
    }
    tsr_drbg_destroy(s.d);
}

START_TEST(stream_is_the_drbg_in_32_byte_generates_and_hashes_what_it_gives)
{
    uint8_t e[32], a[100], b[100];
    memset(e, 0x5a, sizeof e);
    tsr_draw_stream *s;
    ck_assert_int_eq(tsr_draw_stream_create(&s, e), TSR_OK);
    ck_assert_int_eq(tsr_draw_stream_read(s, a, 7), TSR_OK);
    ck_assert_int_eq(tsr_draw_stream_read(s, a + 7, 93), TSR_OK);
    ck_assert_uint_eq(tsr_draw_stream_used(s), 100);
    uint8_t d1[32], d2[32];
    tsr_draw_stream_digest(s, d1);
    tsr_hash256(d2, a, 100);
    ck_assert_mem_eq(d1, d2, 32);
    ref_stream r;
    ref_open(&r, e);
    for (int i = 0; i < 100; i++)
        b[i] = ref_byte(&r);
    ck_assert_mem_eq(a, b, 100);
    uint32_t x;
    uint64_t before = tsr_draw_stream_used(s);
    ck_assert_int_eq(tsr_draw_stream_uniform(s, 1, &x), TSR_OK);
    ck_assert_uint_eq(x, 0);
    ck_assert_uint_eq(tsr_draw_stream_used(s), before); /* r = 1 takes no bytes */
    for (int i = 0; i < 200; i++) {
        uint32_t ranges[] = {10, 49, 80, 256, 257, 1000};
        uint32_t rg = ranges[i % 6];
        ck_assert_int_eq(tsr_draw_stream_uniform(s, rg, &x), TSR_OK);
        (void)ref_byte; /* both streams advance in step below */
        ck_assert_uint_eq(x, ref_uniform(&r, rg));
        ck_assert_uint_lt(x, rg);
    }
    ck_assert_int_eq(tsr_draw_stream_uniform(s, 0, &x), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_draw_stream_uniform(s, UINT32_MAX, &x), TSR_ERR_ARG);
    tsr_draw_stream_destroy(s);
    tsr_draw_stream_destroy(NULL);
    tsr_drbg_destroy(r.d);
}
END_TEST

START_TEST(numbers_follow_the_documented_rules_for_every_family)
{
    const tsr_draw_shape shapes[] = {
        {1, {{1, 49, 6, 1, false}}},                       /* lotto 6/49 + bonus */
        {2, {{1, 69, 5, 0, false}, {1, 26, 1, 0, false}}}, /* two pools */
        {1, {{0, 9, 3, 0, true}}},                         /* pick-3 */
        {1, {{0, 9, 4, 0, true}}},                         /* pick-4 */
        {1, {{1, 80, 20, 0, false}}},                      /* keno */
        {1, {{1, 1000, 32, 0, false}}},                    /* two-byte candidates */
    };
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
        for (int t = 0; t < 20; t++) {
            uint8_t e[32];
            uint32_t tag = (uint32_t)(k * 100 + t);
            tsr_hash256(e, &tag, sizeof tag);
            tsr_draw_numbers got, want;
            uint64_t used;
            ck_assert_int_eq(tsr_draw_numbers_generate(&shapes[k], e, &got, &used, NULL), TSR_OK);
            ref_numbers(&shapes[k], e, &want);
            ck_assert_mem_eq(&got, &want, sizeof got);
            ck_assert_uint_gt(used, 0);
            for (uint32_t p = 0; p < got.pool_count; p++)
                for (uint32_t i = 0; i < got.len[p]; i++) {
                    ck_assert_uint_ge(got.values[p][i], shapes[k].pools[p].min);
                    ck_assert_uint_le(got.values[p][i], shapes[k].pools[p].max);
                    for (uint32_t j = 0; j < i && !shapes[k].pools[p].replacement; j++)
                        ck_assert_uint_ne(got.values[p][i], got.values[p][j]);
                }
        }
}
END_TEST

START_TEST(bad_shapes_are_refused)
{
    const tsr_draw_shape bad[] = {
        {0, {{1, 49, 6, 0, false}}},
        {4, {{1, 49, 6, 0, false}}},
        {1, {{5, 4, 1, 0, false}}},
        {1, {{1, 1001, 6, 0, false}}},
        {1, {{1, 49, 0, 0, false}}},
        {1, {{1, 49, 33, 0, false}}},
        {1, {{1, 49, 30, 3, false}}},
        {1, {{1, 5, 5, 1, false}}},
        {1, {{0, 9, 3, 1, true}}},
        {2, {{1, 69, 5, 0, false}, {1, 0, 1, 0, false}}},
    };
    tsr_draw_numbers n;
    uint8_t e[32] = {0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(tsr_draw_shape_check(&bad[i]), TSR_ERR_DRAW_SHAPE);
        ck_assert_int_eq(tsr_draw_numbers_generate(&bad[i], e, &n, NULL, NULL),
                         TSR_ERR_DRAW_SHAPE);
    }
    tsr_draw_shape full = {1, {{1, 6, 6, 0, false}}}; /* the whole pool is fine */
    ck_assert_int_eq(tsr_draw_numbers_generate(&full, e, &n, NULL, NULL), TSR_OK);
}
END_TEST

START_TEST(seeds_come_only_from_the_real_rng_and_entropy_is_the_documented_hash)
{
    tsr_rng *seeded, *real;
    uint8_t s[32], w[2][32], m[32], e[32], want[32];
    ck_assert_int_eq(tsr_rng_seeded_create(&seeded, 1), TSR_OK);
    ck_assert_int_eq(tsr_draw_seed_new(seeded, s), TSR_ERR_RNG_SEEDED);
    ck_assert_int_eq(tsr_rng_real_create(&real), TSR_OK);
    ck_assert_int_eq(tsr_draw_seed_new(real, s), TSR_OK);
    memset(w[0], 1, 32);
    memset(w[1], 2, 32);
    memset(m, 3, 32);
    tsr_draw_entropy(s, (const uint8_t(*)[32])w, 2, m, e);
    uint8_t cat[128];
    memcpy(cat, s, 32);
    memcpy(cat + 32, w[0], 32);
    memcpy(cat + 64, w[1], 32);
    memcpy(cat + 96, m, 32);
    tsr_hash256(want, cat, sizeof cat);
    ck_assert_mem_eq(e, want, 32);
    tsr_rng_destroy(seeded);
    tsr_rng_destroy(real);
}
END_TEST

START_TEST(a_record_verifies_and_survives_its_json_form)
{
    dfx f;
    dfx_setup(&f, "draw-rec", 3, 2, 1700000000 * TSR_NS_PER_S);
    tsr_draw_shape sh = dfx_lotto();
    dfx_draw(&f, &sh);
    char why[TSR_DRAW_WHY_MAX] = "";
    ck_assert_msg(tsr_draw_record_verify(f.r, NULL, why, sizeof why) == TSR_OK, "%s", why);
    ck_assert_int_eq(tsr_draw_record_verify(f.r, f.authority.pk, why, sizeof why), TSR_OK);
    ck_assert_int_eq(tsr_draw_record_verify(f.r, f.nodes[0].pk, why, sizeof why),
                     TSR_ERR_DRAW_AUTHORITY);
    ck_assert_uint_eq(f.r->manifest->seal_count, 3);
    ck_assert_str_eq(f.r->manifest->seals[0].seal.node, "node-1"); /* sorted */
    json_t *j = tsr_draw_record_to_json(f.r);
    tsr_draw_record *back;
    ck_assert_int_eq(tsr_draw_record_from_json(j, &back), TSR_OK);
    ck_assert_msg(tsr_draw_record_verify(back, f.authority.pk, why, sizeof why) == TSR_OK, "%s",
                  why);
    ck_assert_mem_eq(&back->numbers, &f.r->numbers, sizeof back->numbers);
    json_decref(j);
    tsr_draw_record_destroy(back);
    dfx_teardown(&f);
}
END_TEST

/* Mutates one leaf: hex strings get their last digit changed, other
 * strings a suffix, integers +1, booleans negated. */
static json_t *mutated(const json_t *v)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = strlen(s);
        char *c = malloc(n + 2);
        memcpy(c, s, n + 1);
        bool hex = n >= 2 && strspn(s, "0123456789abcdef") == n;
        if (hex)
            c[n - 1] = c[n - 1] == '0' ? '1' : '0';
        else
            strcat(c, "x");
        json_t *r = json_string(c);
        free(c);
        return r;
    }
    if (json_is_integer(v))
        return json_integer(json_integer_value(v) + 1);
    if (json_is_boolean(v))
        return json_boolean(!json_is_true(v));
    return NULL;
}

typedef struct walk {
    json_t *root;
    const uint8_t *pk;
    int tried;
} walk;

static void expect_failure(walk *w, const char *path)
{
    tsr_draw_record *r = NULL;
    tsr_status st = tsr_draw_record_from_json(w->root, &r);
    char why[TSR_DRAW_WHY_MAX] = "";
    if (st == TSR_OK)
        st = tsr_draw_record_verify(r, w->pk, why, sizeof why);
    ck_assert_msg(st != TSR_OK, "altering %s went unnoticed", path);
    tsr_draw_record_destroy(r);
    w->tried++;
}

static void walk_leaves(walk *w, json_t *node, const char *path);

/* Replaces a leaf by its mutation, checks, puts it back. */
static void try_leaf(walk *w, json_t *parent, const char *key, size_t idx, json_t *v,
                     const char *path)
{
    if (json_is_object(v) || json_is_array(v)) {
        walk_leaves(w, v, path);
        return;
    }
    json_t *orig = json_incref(v);
    json_t *mv = mutated(v);
    ck_assert_ptr_nonnull(mv);
    if (key)
        json_object_set_new(parent, key, mv);
    else
        json_array_set_new(parent, idx, mv);
    expect_failure(w, path);
    if (key)
        json_object_set_new(parent, key, orig);
    else
        json_array_set_new(parent, idx, orig);
}

static void walk_leaves(walk *w, json_t *node, const char *path)
{
    char sub[512];
    if (json_is_object(node)) {
        const char *k;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(node, tmp, k, v) {
            snprintf(sub, sizeof sub, "%s.%s", path, k);
            try_leaf(w, node, k, 0, v, sub);
        }
    } else {
        for (size_t i = 0; i < json_array_size(node); i++) {
            snprintf(sub, sizeof sub, "%s[%zu]", path, i);
            try_leaf(w, node, NULL, i, json_array_get(node, i), sub);
        }
    }
}

START_TEST(altering_any_single_field_makes_verification_fail)
{
    dfx f;
    dfx_setup(&f, "draw-tamper", 2, 2, 1700000000 * TSR_NS_PER_S);
    tsr_draw_shape sh = {2, {{1, 69, 5, 0, false}, {1, 26, 1, 0, false}}};
    dfx_draw(&f, &sh);
    walk w = {tsr_draw_record_to_json(f.r), NULL, 0};
    walk_leaves(&w, w.root, "record");
    printf("tampered %d fields one at a time, each one failed verification\n", w.tried);
    ck_assert_int_ge(w.tried, 80); /* 81 leaves in this record */
    /* Removing any member is refused as well. */
    ck_assert_int_eq(json_object_del(w.root, "entropy"), 0);
    tsr_draw_record *r;
    ck_assert_int_eq(tsr_draw_record_from_json(w.root, &r), TSR_ERR_FIELD_MISSING);
    json_object_set_new(w.root, "extra", json_true());
    ck_assert_int_eq(tsr_draw_record_from_json(w.root, &r), TSR_ERR_FIELD_UNKNOWN);
    json_decref(w.root);
    dfx_teardown(&f);
}
END_TEST

/* Alters one part of a verified record and expects `st` and `text`. */
static void expect_named(tsr_draw_record *r, tsr_status st, const char *text)
{
    char why[TSR_DRAW_WHY_MAX] = "";
    ck_assert_int_eq(tsr_draw_record_verify(r, NULL, why, sizeof why), st);
    ck_assert_msg(strstr(why, text) != NULL, "'%s' does not say '%s'", why, text);
}

START_TEST(verification_names_the_first_thing_that_does_not_match)
{
    dfx f;
    dfx_setup(&f, "draw-named", 2, 2, 1700000000 * TSR_NS_PER_S);
    tsr_draw_shape sh = dfx_lotto();
    dfx_draw(&f, &sh);
    tsr_draw_record *r = f.r;
    tsr_draw_record saved = *r;
    tsr_draw_manifest msaved = *r->manifest;
    tsr_draw_seal seal0 = r->manifest->seals[0];

    r->numbers.values[0][0] = r->numbers.values[0][0] % 49 + 1;
    expect_named(r, TSR_ERR_DRAW_MISMATCH, "numbers differ: record says");
    *r = saved;
    r->witnesses[1].seed[0] ^= 1;
    expect_named(r, TSR_ERR_DRAW_COMMITMENT, "witness 2 reveal does not match its commitment");
    *r = saved;
    r->central_seed[3] ^= 1;
    expect_named(r, TSR_ERR_DRAW_COMMITMENT, "central seed reveal does not match");
    *r = saved;
    r->manifest->seals[0].seal.merkle_root[0] ^= 1;
    expect_named(r, TSR_ERR_SIGNATURE, "seal 1 (node-1): node signature does not verify");
    r->manifest->seals[0] = seal0;
    r->manifest->root[0] ^= 1;
    expect_named(r, TSR_ERR_DRAW_MISMATCH, "manifest root differs");
    *r->manifest = msaved;
    r->manifest->published_at_ns++;
    expect_named(r, TSR_ERR_SIGNATURE, "manifest signature does not verify");
    *r->manifest = msaved;
    r->manifest->token.cutoff_at_ns++;
    expect_named(r, TSR_ERR_SIGNATURE, "cutoff token signature");
    *r->manifest = msaved;
    r->entropy[0] ^= 1;
    expect_named(r, TSR_ERR_DRAW_MISMATCH, "entropy differs");
    *r = saved;
    r->drbg_bytes++;
    expect_named(r, TSR_ERR_DRAW_MISMATCH, "DRBG output differs");
    *r = saved;
    r->drawn_at_ns++;
    expect_named(r, TSR_ERR_SIGNATURE, "record signature does not verify");
    *r = saved;
    r->witnesses[0].commit_sig[0] ^= 1;
    expect_named(r, TSR_ERR_SIGNATURE, "witness 1 commitment signature");
    *r = saved;
    r->witnesses[0].reveal_sig[0] ^= 1;
    expect_named(r, TSR_ERR_SIGNATURE, "witness 1 reveal signature");
    *r = saved;
    r->witnesses[0].commitment[0] ^= 1;
    expect_named(r, TSR_ERR_DRAW_COMMITMENT, "witness 1 commitment is not the cutoff token's");
    *r = saved;
    r->witness_count = 1;
    expect_named(r, TSR_ERR_DRAW_MANIFEST, "the record has 1 witnesses");
    *r = saved;
    r->shape.pools[0].count = 0;
    expect_named(r, TSR_ERR_DRAW_SHAPE, "shape");
    *r = saved;
    char why[TSR_DRAW_WHY_MAX];
    ck_assert_int_eq(tsr_draw_record_verify(r, NULL, why, sizeof why), TSR_OK);
    dfx_teardown(&f);
}
END_TEST

START_TEST(manifest_building_and_signing_refuse_bad_input)
{
    dfx f;
    dfx_setup(&f, "draw-man", 3, 1, 1700000000 * TSR_NS_PER_S);
    tsr_draw_manifest *m;
    char why[TSR_DRAW_WHY_MAX] = "";
    tsr_draw_seal s[3];
    memcpy(s, f.seals, sizeof s);
    s[1] = s[0]; /* the same node twice */
    ck_assert_int_eq(tsr_draw_manifest_build(&m, &f.token, s, 3, why, sizeof why),
                     TSR_ERR_DRAW_MANIFEST);
    ck_assert_ptr_null(m);
    memcpy(s, f.seals, sizeof s);
    s[2].seal.stake_total_cents++; /* no longer what the node signed */
    ck_assert_int_eq(tsr_draw_manifest_build(&m, &f.token, s, 3, why, sizeof why),
                     TSR_ERR_SIGNATURE);
    tsr_seal other = f.seals[0].seal;
    other.draw = DFX_DRAW + 1; /* a seal of another draw */
    ck_assert_int_eq(tsr_draw_seal_make(&s[0], &other, &f.nodes[2]), TSR_OK);
    memcpy(&s[1], &f.seals[1], 2 * sizeof s[0]);
    ck_assert_int_eq(tsr_draw_manifest_build(&m, &f.token, s, 3, why, sizeof why),
                     TSR_ERR_DRAW_MANIFEST);
    ck_assert_ptr_nonnull(strstr(why, "not this draw"));
    ck_assert_int_eq(tsr_draw_manifest_build(&m, &f.token, s, TSR_DRAW_SEALS_MAX + 1, why,
                                             sizeof why), TSR_ERR_TOO_LARGE);
    ck_assert_int_eq(tsr_draw_manifest_build(&m, &f.token, NULL, 0, why, sizeof why), TSR_OK);
    uint8_t empty[32];
    tsr_merkle_empty_root(empty);
    ck_assert_mem_eq(m->root, empty, 32);
    ck_assert_int_eq(tsr_draw_manifest_sign(m, &f.nodes[0], 5), TSR_ERR_DRAW_AUTHORITY);
    ck_assert_int_eq(tsr_draw_manifest_sign(m, &f.authority, 5), TSR_OK);
    ck_assert_int_eq(tsr_draw_manifest_verify(m, f.authority.pk, why, sizeof why), TSR_OK);
    ck_assert_int_eq(tsr_draw_manifest_verify(m, f.nodes[0].pk, why, sizeof why),
                     TSR_ERR_DRAW_AUTHORITY);
    tsr_draw_manifest_destroy(m);
    dfx_teardown(&f);
}
END_TEST

START_TEST(record_making_refuses_bad_reveals)
{
    dfx f;
    dfx_setup(&f, "draw-make", 2, 1, 1700000000 * TSR_NS_PER_S);
    ck_assert_int_eq(tsr_clock_test_set(f.clock, f.token.cutoff_at_ns), TSR_OK);
    tsr_draw_witness w;
    char why[TSR_DRAW_WHY_MAX] = "";
    ck_assert_int_eq(tsr_witness_reveal(f.w[0], f.m, &w, why, sizeof why), TSR_OK);
    tsr_draw_shape sh = dfx_lotto(), bad = {0, {{0}}};
    uint8_t wrong_seed[32] = {0};
    struct {
        const tsr_draw_shape *shape;
        const uint8_t *seed;
        size_t k;
        const tsr_keypair *kp;
        tsr_status want;
    } cases[] = {
        {&bad, f.central_seed, 1, &f.authority, TSR_ERR_DRAW_SHAPE},
        {&sh, wrong_seed, 1, &f.authority, TSR_ERR_DRAW_COMMITMENT},
        {&sh, f.central_seed, 0, &f.authority, TSR_ERR_DRAW_MANIFEST},
        {&sh, f.central_seed, 1, &f.nodes[0], TSR_ERR_DRAW_AUTHORITY},
        {&sh, f.central_seed, 1, &f.authority, TSR_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tsr_draw_manifest *m;
        ck_assert_int_eq(tsr_draw_manifest_build(&m, &f.token, f.seals, 2, why, sizeof why),
                         TSR_OK);
        ck_assert_int_eq(tsr_draw_manifest_sign(m, &f.authority, f.m->published_at_ns), TSR_OK);
        tsr_draw_record *r;
        ck_assert_int_eq(tsr_draw_record_make(&r, m, cases[i].shape, cases[i].seed, &w,
                                              cases[i].k, cases[i].kp, 1, why, sizeof why),
                         cases[i].want);
        tsr_draw_record_destroy(r);
    }
    dfx_teardown(&f);
}
END_TEST

START_TEST(record_files_errors)
{
    char dir[256], path[300], why[TSR_DRAW_WHY_MAX];
    tsr_test_tmpdir("draw-file", dir, sizeof dir);
    tsr_draw_record *r;
    snprintf(path, sizeof path, "%s/none.json", dir);
    ck_assert_int_eq(tsr_draw_record_read_file(path, &r, why, sizeof why), TSR_ERR_NOT_FOUND);
    snprintf(path, sizeof path, "%s/bad.json", dir);
    FILE *fp = fopen(path, "w");
    fputs("{\"type\":", fp);
    fclose(fp);
    ck_assert_int_eq(tsr_draw_record_read_file(path, &r, why, sizeof why), TSR_ERR_JSON);
    fp = fopen(path, "w");
    fputs("{\"type\":\"tessera-draw-record\",\"version\":2}", fp);
    fclose(fp);
    ck_assert_int_eq(tsr_draw_record_read_file(path, &r, why, sizeof why), TSR_ERR_VERSION);
    fp = fopen(path, "w");
    for (int i = 0; i < TSR_DRAW_RECORD_FILE_MAX / 8 + 1; i++)
        fputs("        ", fp);
    fclose(fp);
    ck_assert_int_eq(tsr_draw_record_read_file(path, &r, why, sizeof why), TSR_ERR_TOO_LARGE);
    tsr_test_rmtree(dir);
}
END_TEST

START_TEST(every_catalogue_game_has_a_valid_shape)
{
    char path[512], err[256] = "";
    tsr_test_src("deploy/catalog/tessera.json", path, sizeof path);
    tsr_catalog *cat;
    ck_assert_msg(tsr_catalog_load_file(&cat, path, err, sizeof err) == TSR_OK, "%s", err);
    ck_assert_uint_gt(tsr_catalog_count(cat), 0);
    for (size_t i = 0; i < tsr_catalog_count(cat); i++) {
        const tsr_game *g = tsr_catalog_game_at(cat, i);
        tsr_draw_shape sh;
        ck_assert_msg(tsr_draw_shape_for_game(g, &sh) == TSR_OK, "game %s", g->id);
        bool mult = (g->addons & TSR_ADDON_MULTIPLIER) && g->n_multipliers > 0;
        ck_assert_uint_eq(sh.pool_count, (g->family == TSR_FAMILY_TWO_POOL ? 2u : 1u) + mult);
        printf("game %-10s pools %u, first {%u..%u, %u + bonus %u%s}\n", g->id, sh.pool_count,
               sh.pools[0].min, sh.pools[0].max, sh.pools[0].count, sh.pools[0].bonus,
               sh.pools[0].replacement ? ", with replacement" : "");
    }
    tsr_game bad = *tsr_catalog_game_at(cat, 0);
    bad.family = TSR_FAMILY_COUNT_;
    tsr_draw_shape sh;
    ck_assert_int_eq(tsr_draw_shape_for_game(&bad, &sh), TSR_ERR_DRAW_SHAPE);
    tsr_catalog_free(cat);
}
END_TEST

static Suite *draw_suite(void)
{
    Suite *s = suite_create("draw");
    TCase *tc = tcase_create("draw");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, hmac_drbg_matches_the_nist_cavp_vector);
    tcase_add_test(tc, stream_is_the_drbg_in_32_byte_generates_and_hashes_what_it_gives);
    tcase_add_test(tc, numbers_follow_the_documented_rules_for_every_family);
    tcase_add_test(tc, bad_shapes_are_refused);
    tcase_add_test(tc, seeds_come_only_from_the_real_rng_and_entropy_is_the_documented_hash);
    tcase_add_test(tc, a_record_verifies_and_survives_its_json_form);
    tcase_add_test(tc, altering_any_single_field_makes_verification_fail);
    tcase_add_test(tc, verification_names_the_first_thing_that_does_not_match);
    tcase_add_test(tc, manifest_building_and_signing_refuse_bad_input);
    tcase_add_test(tc, record_making_refuses_bad_reveals);
    tcase_add_test(tc, record_files_errors);
    tcase_add_test(tc, every_catalogue_game_has_a_valid_shape);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(draw_suite()); }

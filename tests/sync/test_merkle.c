/* Merkle trees: construction against a level-by-level reference, proofs,
 * tampering, wrong indexes, inner nodes passed off as leaves, JSON. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/merkle.h"
#include "tessera/rng.h"
#include "tsr_test.h"

#define SEED 20240601

typedef uint8_t hash[TSR_HASH_LEN];

static hash *make_leaves(size_t n)
{
    hash *l = malloc((n ? n : 1) * sizeof *l);
    for (size_t i = 0; i < n; i++) {
        uint64_t v = i;
        tsr_merkle_leaf(&v, sizeof v, l[i]);
    }
    return l;
}

/* The construction as documented, level by level: pairs left to right, an
 * odd last node promoted. Independent of the implementation's stack. */
static void reference_root(const hash *leaves, size_t n, uint8_t out[TSR_HASH_LEN])
{
    if (n == 0) {
        uint8_t two = 2;
        tsr_hash256(out, &two, 1);
        return;
    }
    hash *level = malloc(n * sizeof *level);
    memcpy(level, leaves, n * sizeof *level);
    while (n > 1) {
        size_t m = 0;
        for (size_t i = 0; i + 1 < n; i += 2) {
            uint8_t buf[65];
            buf[0] = 1;
            memcpy(buf + 1, level[i], 32);
            memcpy(buf + 33, level[i + 1], 32);
            tsr_hash256(level[m++], buf, sizeof buf);
        }
        if (n % 2)
            memcpy(level[m++], level[n - 1], 32);
        n = m;
    }
    memcpy(out, level[0], 32);
    free(level);
}

START_TEST(construction_matches_the_documented_levels)
{
    uint8_t a[TSR_HASH_LEN], b[TSR_HASH_LEN], buf[65];
    hash *l = make_leaves(300);
    for (size_t n = 0; n <= 300; n++) {
        tsr_merkle_root((const hash *)l, n, a);
        reference_root(l, n, b);
        ck_assert_mem_eq(a, b, TSR_HASH_LEN);
    }
    /* leaf and node prefixes */
    tsr_merkle_leaf("x", 1, a);
    buf[0] = 0;
    buf[1] = 'x';
    tsr_hash256(b, buf, 2);
    ck_assert_mem_eq(a, b, TSR_HASH_LEN);
    tsr_merkle_empty_root(a);
    reference_root(l, 0, b);
    ck_assert_mem_eq(a, b, TSR_HASH_LEN);
    /* One leaf: the root is the leaf itself. */
    tsr_merkle_root((const hash *)l, 1, a);
    ck_assert_mem_eq(a, l[0], TSR_HASH_LEN);
    free(l);
}
END_TEST

START_TEST(no_duplication_ambiguity)
{
    /* With duplication of the odd node, [a,b,c] and [a,b,c,c] share a root
     * (CVE-2012-2459). Promotion keeps them apart. */
    hash *l = make_leaves(4);
    memcpy(l[3], l[2], TSR_HASH_LEN);
    uint8_t r3[TSR_HASH_LEN], r4[TSR_HASH_LEN];
    tsr_merkle_root((const hash *)l, 3, r3);
    tsr_merkle_root((const hash *)l, 4, r4);
    ck_assert(memcmp(r3, r4, TSR_HASH_LEN) != 0);
    free(l);
}
END_TEST

START_TEST(accumulator_matches_root_at_every_size)
{
    hash *l = make_leaves(200);
    tsr_merkle_acc acc;
    uint8_t a[TSR_HASH_LEN], b[TSR_HASH_LEN];
    tsr_merkle_acc_init(&acc);
    tsr_merkle_acc_root(&acc, a);
    tsr_merkle_empty_root(b);
    ck_assert_mem_eq(a, b, TSR_HASH_LEN);
    for (size_t n = 1; n <= 200; n++) {
        tsr_merkle_acc_add(&acc, l[n - 1]);
        tsr_merkle_acc_root(&acc, a);
        tsr_merkle_root((const hash *)l, n, b);
        ck_assert_mem_eq(a, b, TSR_HASH_LEN);
    }
    free(l);
}
END_TEST

START_TEST(every_proof_verifies_only_for_its_leaf_and_index)
{
    for (size_t n = 1; n <= 40; n++) {
        hash *l = make_leaves(n);
        uint8_t root[TSR_HASH_LEN];
        tsr_merkle_root((const hash *)l, n, root);
        for (size_t i = 0; i < n; i++) {
            tsr_merkle_proof p;
            ck_assert_int_eq(tsr_merkle_prove((const hash *)l, n, i, &p), TSR_OK);
            ck_assert_int_eq(tsr_merkle_verify(root, l[i], &p), TSR_OK);
            for (size_t k = 0; k < n; k++) {
                if (k == i)
                    continue;
                ck_assert_int_eq(tsr_merkle_verify(root, l[k], &p), TSR_ERR_MERKLE_PROOF);
                tsr_merkle_proof q = p;
                q.index = k; /* same siblings claimed for another index */
                ck_assert_int_eq(tsr_merkle_verify(root, l[i], &q), TSR_ERR_MERKLE_PROOF);
            }
        }
        free(l);
    }
}
END_TEST

/* All proofs at once equal the proofs one at a time, for every size a
 * receipt batch can have and beyond; too small a depth room and an empty
 * tree are refused. */
START_TEST(proofs_made_at_once_equal_single_proofs)
{
    enum { MAXD = 8 };
    for (size_t n = 1; n <= 70; n++) {
        hash *l = make_leaves(n);
        hash *sib = calloc(n * MAXD, sizeof *sib);
        uint32_t *depths = calloc(n, sizeof *depths);
        uint8_t root[TSR_HASH_LEN], want[TSR_HASH_LEN];
        tsr_merkle_root((const hash *)l, n, want);
        ck_assert_int_eq(tsr_merkle_prove_each((const hash *)l, n, MAXD, root, depths, sib),
                         TSR_OK);
        ck_assert_mem_eq(root, want, TSR_HASH_LEN);
        for (size_t i = 0; i < n; i++) {
            tsr_merkle_proof p;
            ck_assert_int_eq(tsr_merkle_prove((const hash *)l, n, i, &p), TSR_OK);
            ck_assert_uint_eq(depths[i], p.depth);
            for (uint32_t k = 0; k < p.depth; k++)
                ck_assert_mem_eq(sib[i * MAXD + k], p.siblings[k], TSR_HASH_LEN);
        }
        if (n > 1) /* needs at least one sibling of room */
            ck_assert_int_eq(tsr_merkle_prove_each((const hash *)l, n, 0, root, depths, sib),
                             TSR_ERR_ARG);
        free(depths);
        free(sib);
        free(l);
    }
    hash one;
    uint8_t root[TSR_HASH_LEN];
    uint32_t d;
    ck_assert_int_eq(tsr_merkle_prove_each((const hash *)&one, 0, 4, root, &d, &one), TSR_ERR_ARG);
    /* 17 leaves: the first 16 need 5 siblings, so a room of 4 is refused */
    hash *l = make_leaves(17);
    hash sib[17 * 4];
    uint32_t depths[17];
    ck_assert_int_eq(tsr_merkle_prove_each((const hash *)l, 17, 4, root, depths, sib), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_merkle_prove_each((const hash *)l, 16, 4, root, depths, sib), TSR_OK);
    free(l);
}
END_TEST

START_TEST(tampered_proofs_fail)
{
    size_t n = 1000;
    hash *l = make_leaves(n);
    uint8_t root[TSR_HASH_LEN];
    tsr_merkle_root((const hash *)l, n, root);
    tsr_rng *rng;
    ck_assert_int_eq(tsr_rng_seeded_create(&rng, SEED), TSR_OK);
    printf("seed %d\n", SEED);
    for (int round = 0; round < 50; round++) {
        uint64_t i;
        ck_assert_int_eq(tsr_rng_uniform(rng, n, &i), TSR_OK);
        tsr_merkle_proof p, q;
        ck_assert_int_eq(tsr_merkle_prove((const hash *)l, n, i, &p), TSR_OK);
        ck_assert_int_eq(tsr_merkle_verify(root, l[i], &p), TSR_OK);
        for (uint32_t k = 0; k < p.depth; k++) {
            q = p;
            q.siblings[k][round % TSR_HASH_LEN] ^= 1;
            ck_assert_int_eq(tsr_merkle_verify(root, l[i], &q), TSR_ERR_MERKLE_PROOF);
            q = p;
            q.left_mask ^= UINT64_C(1) << k;
            ck_assert_int_eq(tsr_merkle_verify(root, l[i], &q), TSR_ERR_MERKLE_PROOF);
        }
        q = p;
        q.depth--;
        ck_assert_int_eq(tsr_merkle_verify(root, l[i], &q), TSR_ERR_MERKLE_PROOF);
        q = p;
        q.count = 2 * n; /* a count whose tree has another shape */
        ck_assert_int_eq(tsr_merkle_verify(root, l[i], &q), TSR_ERR_MERKLE_PROOF);
        q = p;
        q.index = n;
        ck_assert_int_eq(tsr_merkle_verify(root, l[i], &q), TSR_ERR_MERKLE_PROOF);
        uint8_t bad_root[TSR_HASH_LEN];
        memcpy(bad_root, root, TSR_HASH_LEN);
        bad_root[0] ^= 1;
        ck_assert_int_eq(tsr_merkle_verify(bad_root, l[i], &p), TSR_ERR_MERKLE_PROOF);
    }
    tsr_merkle_proof p;
    ck_assert_int_eq(tsr_merkle_prove((const hash *)l, n, n, &p), TSR_ERR_ARG);
    tsr_rng_destroy(rng);
    free(l);
}
END_TEST

START_TEST(inner_node_never_verifies_as_a_leaf)
{
    /* 4 leaves: the inner node N(l0,l1) with the proof's upper half
     * ("index 0 of a 2-leaf tree") is what an attacker would present. */
    hash *l = make_leaves(4);
    uint8_t root[TSR_HASH_LEN], inner[TSR_HASH_LEN], right[TSR_HASH_LEN];
    tsr_merkle_root((const hash *)l, 4, root);
    tsr_merkle_node(l[0], l[1], inner);
    tsr_merkle_node(l[2], l[3], right);
    tsr_merkle_proof p = {.index = 0, .count = 2, .depth = 1, .left_mask = 0};
    memcpy(p.siblings[0], right, TSR_HASH_LEN);
    /* The hash chain itself is right: N(inner, right) == root ... */
    uint8_t check[TSR_HASH_LEN];
    tsr_merkle_node(inner, right, check);
    ck_assert_mem_eq(check, root, TSR_HASH_LEN);
    /* ... but root is the root of 4 leaves; the claim "2 leaves" does not
     * hold in the tree the seal commits to (count = 4). */
    p.count = 4;
    ck_assert_int_eq(tsr_merkle_verify(root, inner, &p), TSR_ERR_MERKLE_PROOF);
    /* A leaf's data hashed as a leaf never equals an inner node. */
    uint8_t buf[64];
    memcpy(buf, l[0], 32);
    memcpy(buf + 32, l[1], 32);
    tsr_merkle_leaf(buf, sizeof buf, check);
    ck_assert(memcmp(check, inner, TSR_HASH_LEN) != 0);
    free(l);
}
END_TEST

START_TEST(proof_json_round_trips_and_is_strict)
{
    hash *l = make_leaves(13);
    uint8_t root[TSR_HASH_LEN];
    tsr_merkle_root((const hash *)l, 13, root);
    tsr_merkle_proof p, back;
    ck_assert_int_eq(tsr_merkle_prove((const hash *)l, 13, 12, &p), TSR_OK);
    json_t *j = tsr_merkle_proof_to_json(&p);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(tsr_merkle_proof_from_json(j, &back), TSR_OK);
    ck_assert_int_eq(tsr_merkle_verify(root, l[12], &back), TSR_OK);
    ck_assert_mem_eq(&back, &p, sizeof p);
    json_array_append_new(json_object_get(j, "siblings"), json_string(""));
    ck_assert_int_eq(tsr_merkle_proof_from_json(j, &back), TSR_ERR_MERKLE_PROOF);
    json_array_remove(json_object_get(j, "siblings"), 2);
    json_array_set_new(json_object_get(j, "siblings"), 0, json_string("zz"));
    ck_assert_int_eq(tsr_merkle_proof_from_json(j, &back), TSR_ERR_ENCODING);
    json_array_set_new(json_object_get(j, "siblings"), 0, json_integer(1));
    ck_assert_int_eq(tsr_merkle_proof_from_json(j, &back), TSR_ERR_FIELD_TYPE);
    json_object_set_new(j, "index", json_integer(13));
    ck_assert_int_eq(tsr_merkle_proof_from_json(j, &back), TSR_ERR_MERKLE_PROOF);
    json_object_set_new(j, "extra", json_null());
    ck_assert_int_eq(tsr_merkle_proof_from_json(j, &back), TSR_ERR_FIELD_UNKNOWN);
    json_object_del(j, "extra");
    json_object_del(j, "count");
    ck_assert_int_eq(tsr_merkle_proof_from_json(j, &back), TSR_ERR_FIELD_MISSING);
    json_decref(j);
    free(l);
}
END_TEST

START_TEST(a_million_leaves)
{
    size_t n = 1000000;
    hash *l = make_leaves(n);
    uint8_t root[TSR_HASH_LEN];
    tsr_merkle_root((const hash *)l, n, root);
    tsr_merkle_proof p;
    ck_assert_int_eq(tsr_merkle_prove((const hash *)l, n, n - 1, &p), TSR_OK);
    ck_assert_uint_le(p.depth, 20);
    ck_assert_int_eq(tsr_merkle_verify(root, l[n - 1], &p), TSR_OK);
    free(l);
}
END_TEST

static Suite *merkle_suite(void)
{
    Suite *s = suite_create("merkle");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, construction_matches_the_documented_levels);
    tcase_add_test(tc, no_duplication_ambiguity);
    tcase_add_test(tc, accumulator_matches_root_at_every_size);
    tcase_add_test(tc, every_proof_verifies_only_for_its_leaf_and_index);
    tcase_add_test(tc, proofs_made_at_once_equal_single_proofs);
    tcase_add_test(tc, tampered_proofs_fail);
    tcase_add_test(tc, inner_node_never_verifies_as_a_leaf);
    tcase_add_test(tc, proof_json_round_trips_and_is_strict);
    tcase_add_test(tc, a_million_leaves);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(merkle_suite()); }

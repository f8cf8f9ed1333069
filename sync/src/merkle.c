/* BLAKE2b-256 Merkle trees with domain separation and promotion of odd
 * nodes (see merkle.h for the construction). */
#include "tessera/merkle.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto_int.h"

enum { PREFIX_LEAF = 0x00, PREFIX_NODE = 0x01, PREFIX_EMPTY = 0x02 };

void tsr_merkle_leaf(const void *data, size_t len, uint8_t out[TSR_HASH_LEN])
{
    const uint8_t prefix = PREFIX_LEAF;
    tsr_hash_ctx h;
    tsr_hash256_init(&h);
    tsr_hash256_update(&h, &prefix, 1);
    tsr_hash256_update(&h, data, len);
    tsr_hash256_final(&h, out);
}

void tsr_merkle_node(const uint8_t l[TSR_HASH_LEN], const uint8_t r[TSR_HASH_LEN],
                     uint8_t out[TSR_HASH_LEN])
{
    uint8_t buf[1 + 2 * TSR_HASH_LEN];
    buf[0] = PREFIX_NODE;
    memcpy(buf + 1, l, TSR_HASH_LEN);
    memcpy(buf + 1 + TSR_HASH_LEN, r, TSR_HASH_LEN);
    tsr_hash256(out, buf, sizeof buf);
}

void tsr_merkle_empty_root(uint8_t out[TSR_HASH_LEN])
{
    const uint8_t prefix = PREFIX_EMPTY;
    tsr_hash256(out, &prefix, 1);
}

/* ---- accumulator -------------------------------------------------------------
 * stack[h] holds the root of a perfect subtree of 2^h leaves exactly when bit
 * h of count is set (a binary counter). Folding the stack from the smallest
 * subtree up gives the same tree as pairing level by level with promotion:
 * both put the largest power of two below n on the left. */

void tsr_merkle_acc_init(tsr_merkle_acc *a)
{
    memset(a, 0, sizeof *a);
}

void tsr_merkle_acc_add(tsr_merkle_acc *a, const uint8_t leaf[TSR_HASH_LEN])
{
    uint8_t cur[TSR_HASH_LEN];
    if (a->count == UINT64_MAX) {
        fprintf(stderr, "tsr_merkle_acc_add: 2^64 leaves\n");
        abort(); /* unreachable: no one hashes 2^64 tickets */
    }
    memcpy(cur, leaf, TSR_HASH_LEN);
    unsigned h = 0;
    for (uint64_t c = a->count; c & 1; c >>= 1, h++)
        tsr_merkle_node(a->stack[h], cur, cur);
    memcpy(a->stack[h], cur, TSR_HASH_LEN);
    a->count++;
}

void tsr_merkle_acc_root(const tsr_merkle_acc *a, uint8_t out[TSR_HASH_LEN])
{
    if (a->count == 0) {
        tsr_merkle_empty_root(out);
        return;
    }
    bool have = false;
    for (unsigned h = 0; h < TSR_MERKLE_MAX_DEPTH; h++) {
        if (!(a->count >> h & 1))
            continue;
        if (have)
            tsr_merkle_node(a->stack[h], out, out);
        else
            memcpy(out, a->stack[h], TSR_HASH_LEN);
        have = true;
    }
}

void tsr_merkle_root(const uint8_t (*leaves)[TSR_HASH_LEN], size_t n, uint8_t out[TSR_HASH_LEN])
{
    tsr_merkle_acc a;
    tsr_merkle_acc_init(&a);
    for (size_t i = 0; i < n; i++)
        tsr_merkle_acc_add(&a, leaves[i]);
    tsr_merkle_acc_root(&a, out);
}

/* ---- proofs ----------------------------------------------------------------- */

/* The largest power of two strictly below n (n >= 2). */
static uint64_t split_of(uint64_t n)
{
    uint64_t k = 1;
    while (k < n - k)
        k <<= 1;
    return k;
}

/* The path shape of leaf `index` among `count`: number of siblings and, bit
 * k for sibling k counted from the leaf up, whether it sits on the left.
 * Walks top-down, splitting as the tree does. */
static void shape(uint64_t index, uint64_t count, uint32_t *depth, uint64_t *left_mask)
{
    bool left_topdown[TSR_MERKLE_MAX_DEPTH];
    uint32_t d = 0;
    for (uint64_t n = count; n > 1 && d < TSR_MERKLE_MAX_DEPTH; d++) {
        uint64_t k = split_of(n);
        left_topdown[d] = index >= k;
        if (index >= k) {
            index -= k;
            n -= k;
        } else {
            n = k;
        }
    }
    *depth = d;
    *left_mask = 0;
    for (uint32_t j = 0; j < d; j++)
        if (left_topdown[j])
            *left_mask |= UINT64_C(1) << (d - 1 - j);
}

tsr_status tsr_merkle_prove(const uint8_t (*leaves)[TSR_HASH_LEN], size_t n, size_t index,
                            tsr_merkle_proof *out)
{
    memset(out, 0, sizeof *out);
    if (index >= n)
        return TSR_ERR_ARG;
    out->index = index;
    out->count = n;
    shape(index, n, &out->depth, &out->left_mask);
    size_t lo = 0, len = n, idx = index;
    for (uint32_t j = 0; len > 1; j++) {
        size_t k = (size_t)split_of(len);
        uint8_t *sib = out->siblings[out->depth - 1 - j];
        if (idx >= k) {
            tsr_merkle_root(leaves + lo, k, sib);
            lo += k;
            idx -= k;
            len -= k;
        } else {
            tsr_merkle_root(leaves + lo + k, len - k, sib);
            len = k;
        }
    }
    return TSR_OK;
}

/* Where prove_subtree writes: leaf i's sibling k at siblings[i * max_depth + k]. */
typedef struct prove_each_out {
    uint32_t max_depth;
    const uint32_t *depths;
    uint8_t (*siblings)[TSR_HASH_LEN];
} prove_each_out;

/* Hashes the subtree [lo, lo + len) at top-down level `top` into out, and
 * gives each of its leaves the sibling this level adds to its path (the
 * other half's root), stored at that leaf's own index from the bottom. */
static void prove_subtree(const uint8_t (*leaves)[TSR_HASH_LEN], size_t lo, size_t len,
                          uint32_t top, const prove_each_out *o, uint8_t out[TSR_HASH_LEN])
{
    if (len == 1) {
        memcpy(out, leaves[lo], TSR_HASH_LEN);
        return;
    }
    size_t k = (size_t)split_of(len);
    uint8_t l[TSR_HASH_LEN], r[TSR_HASH_LEN];
    prove_subtree(leaves, lo, k, top + 1, o, l);
    prove_subtree(leaves, lo + k, len - k, top + 1, o, r);
    for (size_t i = lo; i < lo + len; i++)
        memcpy(o->siblings[i * o->max_depth + o->depths[i] - 1 - top], i < lo + k ? r : l,
               TSR_HASH_LEN);
    tsr_merkle_node(l, r, out);
}

tsr_status tsr_merkle_prove_each(const uint8_t (*leaves)[TSR_HASH_LEN], size_t n,
                                 uint32_t max_depth, uint8_t root[TSR_HASH_LEN],
                                 uint32_t *depths, uint8_t (*siblings)[TSR_HASH_LEN])
{
    if (n == 0)
        return TSR_ERR_ARG;
    for (size_t i = 0; i < n; i++) {
        uint64_t mask;
        shape(i, n, &depths[i], &mask);
        if (depths[i] > max_depth)
            return TSR_ERR_ARG;
    }
    prove_each_out o = {max_depth, depths, siblings};
    prove_subtree(leaves, 0, n, 0, &o, root);
    return TSR_OK;
}

tsr_status tsr_merkle_verify(const uint8_t root[TSR_HASH_LEN], const uint8_t leaf[TSR_HASH_LEN],
                             const tsr_merkle_proof *proof)
{
    uint32_t depth;
    uint64_t mask;
    if (proof->index >= proof->count)
        return TSR_ERR_MERKLE_PROOF;
    shape(proof->index, proof->count, &depth, &mask);
    if (depth != proof->depth || mask != proof->left_mask)
        return TSR_ERR_MERKLE_PROOF;
    uint8_t cur[TSR_HASH_LEN];
    memcpy(cur, leaf, TSR_HASH_LEN);
    for (uint32_t k = 0; k < depth; k++) {
        if (mask >> k & 1)
            tsr_merkle_node(proof->siblings[k], cur, cur);
        else
            tsr_merkle_node(cur, proof->siblings[k], cur);
    }
    return memcmp(cur, root, TSR_HASH_LEN) == 0 ? TSR_OK : TSR_ERR_MERKLE_PROOF;
}

/* ---- JSON -------------------------------------------------------------------- */

json_t *tsr_merkle_proof_to_json(const tsr_merkle_proof *p)
{
    json_t *o = json_object(), *sibs = json_array();
    bool ok = o && sibs && p->index <= INT64_MAX && p->count <= INT64_MAX &&
              p->depth <= TSR_MERKLE_MAX_DEPTH;
    for (uint32_t k = 0; ok && k < p->depth; k++)
        ok = json_array_append_new(sibs, tsr_sj_hexval(p->siblings[k], TSR_HASH_LEN)) == 0;
    ok = ok && tsr_sj_set(o, "index", json_integer((json_int_t)p->index)) &&
         tsr_sj_set(o, "count", json_integer((json_int_t)p->count));
    if (ok && tsr_sj_set(o, "siblings", sibs))
        return o;
    if (!ok)
        json_decref(sibs);
    json_decref(o);
    return NULL;
}

tsr_status tsr_merkle_proof_from_json(const json_t *j, tsr_merkle_proof *out)
{
    static const char *const fields[] = {"index", "count", "siblings"};
    int64_t index, count;
    memset(out, 0, sizeof *out);
    tsr_status st = tsr_sj_fields(j, fields, 3);
    if (st == TSR_OK)
        st = tsr_sj_int(j, "index", 0, INT64_MAX, &index);
    if (st == TSR_OK)
        st = tsr_sj_int(j, "count", 1, INT64_MAX, &count);
    const json_t *sibs = json_object_get(j, "siblings");
    if (st == TSR_OK && !json_is_array(sibs))
        st = TSR_ERR_FIELD_TYPE;
    if (st == TSR_OK && index >= count)
        st = TSR_ERR_MERKLE_PROOF;
    if (st != TSR_OK)
        return st == TSR_ERR_RANGE ? TSR_ERR_MERKLE_PROOF : st;
    out->index = (uint64_t)index;
    out->count = (uint64_t)count;
    shape(out->index, out->count, &out->depth, &out->left_mask);
    if (json_array_size(sibs) != out->depth)
        st = TSR_ERR_MERKLE_PROOF;
    for (uint32_t k = 0; st == TSR_OK && k < out->depth; k++) {
        const char *hex = json_string_value(json_array_get(sibs, k));
        st = !hex ? TSR_ERR_FIELD_TYPE : tsr_hex_decode(out->siblings[k], TSR_HASH_LEN, hex);
    }
    if (st != TSR_OK)
        memset(out, 0, sizeof *out);
    return st;
}

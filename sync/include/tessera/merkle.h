/*
 * Merkle trees (BLAKE2b-256) over ordered leaves: a seal's root over a
 * draw's tickets, the draw manifest's root over seals, and inclusion proofs
 * a player can check against a seal on their own.
 *
 * Construction (documented here because verifiers outside Tessera rebuild it):
 *   leaf hash   L(data)   = BLAKE2b-256(0x00 || data)
 *   inner node  N(l, r)   = BLAKE2b-256(0x01 || l || r)
 *   empty tree  root      = BLAKE2b-256(0x02)
 *   Leaves are paired left to right at each level; an odd last node is
 *   promoted to the next level unchanged (never paired with itself, which is
 *   what let Bitcoin's tree have two leaf lists with one root, CVE-2012-2459).
 *   The shape equals RFC 6962's: the left subtree holds the largest power of
 *   two strictly below n leaves.
 * The tree functions take leaf HASHES (already L(...)), so the 0x00/0x01
 * prefixes keep a leaf from ever passing as an inner node and vice versa;
 * proof verification also recomputes the path's shape from (index, count),
 * so a proof cannot be shortened to stop at an inner node.
 *
 * All functions are pure and thread-safe; none allocates.
 */
#ifndef TESSERA_MERKLE_H
#define TESSERA_MERKLE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/hash.h"
#include "tessera/status.h"

/* A tree of up to 2^64 leaves is at most 64 levels deep. */
#define TSR_MERKLE_MAX_DEPTH 64

/* out = L(data) = BLAKE2b-256(0x00 || data[0..len)). */
void tsr_merkle_leaf(const void *data, size_t len, uint8_t out[TSR_HASH_LEN]);

/* out = N(l, r) = BLAKE2b-256(0x01 || l || r). out may alias l or r. */
void tsr_merkle_node(const uint8_t l[TSR_HASH_LEN], const uint8_t r[TSR_HASH_LEN],
                     uint8_t out[TSR_HASH_LEN]);

/* The root of the empty tree, BLAKE2b-256(0x02). */
void tsr_merkle_empty_root(uint8_t out[TSR_HASH_LEN]);

/* The root over leaves[0..n) (leaf hashes, borrowed). O(n) time, O(log n)
 * stack; n may be 0 (the empty root). */
void tsr_merkle_root(const uint8_t (*leaves)[TSR_HASH_LEN], size_t n, uint8_t out[TSR_HASH_LEN]);

/* Incremental root for a stream of leaves (a node sealing a draw walks its
 * tickets once without holding them all): init, add each leaf in order,
 * root. Same result as tsr_merkle_root; root may be taken at any point and
 * adding may continue. ~2 KiB, no allocation. */
typedef struct tsr_merkle_acc {
    uint8_t stack[TSR_MERKLE_MAX_DEPTH][TSR_HASH_LEN]; /* one per set bit of count */
    uint64_t count;
} tsr_merkle_acc;

void tsr_merkle_acc_init(tsr_merkle_acc *a);
void tsr_merkle_acc_add(tsr_merkle_acc *a, const uint8_t leaf[TSR_HASH_LEN]);
void tsr_merkle_acc_root(const tsr_merkle_acc *a, uint8_t out[TSR_HASH_LEN]);

/* An inclusion proof of the leaf at `index` in a tree of `count` leaves:
 * `depth` sibling hashes from the leaf upwards; bit k of `left_mask` is set
 * when sibling k sits to the left of the path. Levels where the path node is
 * promoted have no sibling, so depth can be below ceil(log2(count)). */
typedef struct tsr_merkle_proof {
    uint64_t index;
    uint64_t count;
    uint32_t depth;
    uint64_t left_mask;
    uint8_t siblings[TSR_MERKLE_MAX_DEPTH][TSR_HASH_LEN];
} tsr_merkle_proof;

/* The proof for leaves[index] among leaves[0..n) (borrowed). O(n) time,
 * O(log n) stack. TSR_ERR_ARG when index >= n. */
tsr_status tsr_merkle_prove(const uint8_t (*leaves)[TSR_HASH_LEN], size_t n, size_t index,
                            tsr_merkle_proof *out) TSR_MUST_CHECK;

/* Every leaf's proof at once, for small trees (a receipt batch): n - 1
 * hashes in all, where n calls of tsr_merkle_prove take O(n^2). Writes
 * the root, depths[i] (leaf i's sibling count) and its siblings, leaf
 * upwards, into siblings[i * max_depth + k] for k < depths[i] (borrowed
 * arrays of n and n * max_depth entries; sides follow from index and n as
 * in tsr_merkle_proof). TSR_ERR_ARG when n is 0 or a proof is deeper than
 * max_depth (nothing useful is written then). */
tsr_status tsr_merkle_prove_each(const uint8_t (*leaves)[TSR_HASH_LEN], size_t n,
                                 uint32_t max_depth, uint8_t root[TSR_HASH_LEN],
                                 uint32_t *depths, uint8_t (*siblings)[TSR_HASH_LEN]) TSR_MUST_CHECK;

/* TSR_OK when `leaf` (a leaf hash) at proof->index of a proof->count-leaf
 * tree hashes up to `root`; TSR_ERR_MERKLE_PROOF otherwise, including when
 * index >= count or depth/left_mask differ from the shape (index, count)
 * implies. proof->count is the prover's claim: the caller must check it
 * equals the leaf count the root is committed with (a seal's `count`), as
 * only then does the shape check rule out an inner node posing as a leaf. */
tsr_status tsr_merkle_verify(const uint8_t root[TSR_HASH_LEN], const uint8_t leaf[TSR_HASH_LEN],
                             const tsr_merkle_proof *proof) TSR_MUST_CHECK;

/* JSON form of a proof: {"index":i,"count":n,"siblings":["<hex>",...]}
 * (sides follow from index and count). to_json returns a new reference or
 * NULL when out of memory. from_json is strict: TSR_ERR_FIELD_TYPE,
 * TSR_ERR_FIELD_UNKNOWN, TSR_ERR_FIELD_MISSING, TSR_ERR_ENCODING (bad hex),
 * TSR_ERR_MERKLE_PROOF (index >= count, or a sibling count that does not fit
 * the shape). */
json_t *tsr_merkle_proof_to_json(const tsr_merkle_proof *p);
tsr_status tsr_merkle_proof_from_json(const json_t *j, tsr_merkle_proof *out) TSR_MUST_CHECK;

#endif

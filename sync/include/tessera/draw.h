/*
 * The verifiable draw (DESIGN.md, "The draw (verifiable)"): seeds and their
 * commitments, the draw manifest of included seals and its Merkle root, the
 * entropy, the SP 800-90A HMAC_DRBG and the numbers drawn from it by
 * rejection sampling, and the signed result record that anyone can verify
 * from the record alone (tessera verify). docs/draw.md tells the protocol
 * step by step for an independent implementation; the exact rules are:
 *
 *   commitment  c = BLAKE2b-256("tessera-seed" || seed)  (tsr_seed_commit)
 *   root        M = Merkle root (merkle.h) over the included seals, each
 *               leaf tsr_merkle_leaf(canonical seal bytes), seals ordered
 *               by node name (byte order, strcmp), at most one per node
 *   entropy     E = BLAKE2b-256(s || w_1 || ... || w_k || M), all 32 bytes
 *               each, witnesses in the order of the cutoff token's
 *               witness_commitments
 *   DRBG        HMAC_DRBG (SP 800-90A rev.1, SHA-256) instantiated with
 *               entropy_input = E, nonce = empty, personalization =
 *               TSR_DRAW_PERSONALIZATION ("tessera-draw-v1", 15 ASCII
 *               bytes), i.e. seed_material = E || "tessera-draw-v1";
 *               no reseed, no prediction resistance, no additional input.
 *               The output stream is the concatenation of successive
 *               Generate calls of TSR_DRAW_BLOCK (32) bytes each; numbers
 *               consume the stream byte by byte, in order.
 *   a number    in [0, r): b = bit length of r-1, nb = ceil(b/8) bytes taken
 *               from the stream as a big-endian integer, masked to its low
 *               b bits; if the value is >= r it is rejected and the next nb
 *               bytes are tried. r = 1 takes no bytes and gives 0.
 *   a pool      {min, max, count, bonus, replacement}: with replacement,
 *               count numbers min + x, x in [0, max-min+1). Without
 *               replacement the pool is the list min..max in ascending
 *               order; each number is the x-th element of the list still
 *               left (x in [0, left)), which is then removed (the rest stay
 *               in ascending order); the count main numbers come first, then
 *               the bonus numbers from what is left of the same pool.
 *               Pools are drawn one after another in the shape's order, on
 *               the one stream (two-pool games: 5 of 1..69, then 1 of 1..26).
 *   numbers     are kept in the order drawn.
 *
 * Signed objects (Ed25519 over codec.h canonical bytes; type tags below):
 *   witness commitment  u8 48, u8 ver, str game, u32 draw, fixed[32] c
 *   witness reveal      u8 49, u8 ver, str game, u32 draw, fixed[32] c,
 *                       fixed[32] seed, fixed[32] M
 *   manifest            u8 50, u8 ver, bytes packed token (encoding||sig),
 *                       u32 n, n x {bytes seal encoding, fixed[32] node pk,
 *                       fixed[64] node sig}, fixed[32] M,
 *                       i64 published_at_ns, fixed[32] authority pk
 *   record              u8 51, u8 ver, fixed[32] BLAKE2b-256(manifest
 *                       bytes), fixed[64] manifest sig, shape {u8 pools,
 *                       per pool u32 min, u32 max, u32 count, u32 bonus,
 *                       u8 replacement}, fixed[32] s, u8 k, k x {fixed[32]
 *                       pk, fixed[32] c, fixed[64] commit sig, fixed[32]
 *                       seed, fixed[64] reveal sig}, fixed[32] E, u64 DRBG
 *                       bytes consumed, fixed[32] BLAKE2b-256 of those
 *                       bytes, per pool {u8 n, n x u32 number},
 *                       i64 drawn_at_ns
 *   signed by: the witness (its commitment and reveal), the draw-authority
 *   key (manifest, record, and the cutoff token), each node (its seal).
 *
 * Everything here is pure and thread-safe except where an object is
 * modified (a manifest or record being built belongs to one thread).
 */
#ifndef TESSERA_DRAW_H
#define TESSERA_DRAW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/codec.h"
#include "tessera/hash.h"
#include "tessera/keys.h"
#include "tessera/rng.h"
#include "tessera/status.h"
#include "tessera/token.h"

/* ---- limits and constants ---------------------------------------------- */

/* Seeds are 256 bits: the strength of the DRBG's SHA-256. */
#define TSR_DRAW_SEED_LEN 32
/* Pools per game: one (lotto, keno, digits, fixed odds) or two (5/69 +
 * 1/26), plus one for a multiplier add-on (tsr_draw_shape_for_game). */
#define TSR_DRAW_POOLS_MAX 3
/* Numbers one pool may draw, main plus bonus: keno draws 20; 32 leaves
 * room for larger games without making records large. */
#define TSR_DRAW_PICK_MAX 32
/* Largest pool (max - min + 1). 1000 covers three-digit-range pools and
 * keeps a candidate within two stream bytes. */
#define TSR_DRAW_POOL_SIZE_MAX 1000
/* Seals in one manifest: at most one per node, and a deployment pins at
 * most TSR_KEYRING_MAX keys in all. */
#define TSR_DRAW_SEALS_MAX TSR_KEYRING_MAX
/* A record file: ~700 bytes of JSON per seal at TSR_DRAW_SEALS_MAX seals
 * is ~3 MB; 8 MiB leaves room and bounds what a verifier reads. */
#define TSR_DRAW_RECORD_FILE_MAX (8 * 1024 * 1024)
/* Bytes per HMAC_DRBG Generate call of the draw stream: one SHA-256 output,
 * so a draw costs a few HMACs (see bench/draw.c). */
#define TSR_DRAW_BLOCK 32
/* Personalization string of the draw's HMAC_DRBG instantiation. */
#define TSR_DRAW_PERSONALIZATION "tessera-draw-v1"
/* A verifier's explanation of a mismatch (names, hashes, numbers). */
#define TSR_DRAW_WHY_MAX 512

/* Type tags of the draw's signed objects (codec.h tag space; sync's range
 * 1..63, the draw takes 48..55). */
enum {
    TSR_TYPE_WITNESS_COMMIT = 48,
    TSR_TYPE_WITNESS_REVEAL = 49,
    TSR_TYPE_DRAW_MANIFEST = 50,
    TSR_TYPE_DRAW_RECORD = 51
};

/* ---- shape: what a game draws ------------------------------------------ */

/* One pool of numbers. Lotto 6/49 + bonus: {1, 49, 6, 1, false}; keno:
 * {1, 80, 20, 0, false}; pick-3: {0, 9, 3, 0, true}; Powerball-like:
 * pools {1, 69, 5, 0, false} and {1, 26, 1, 0, false}. */
typedef struct tsr_draw_pool {
    uint32_t min;      /* smallest number */
    uint32_t max;      /* largest number, >= min */
    uint32_t count;    /* main numbers drawn, >= 1 */
    uint32_t bonus;    /* bonus numbers after the main ones (no-replacement pools only) */
    bool replacement;  /* true: numbers may repeat (digit games) */
} tsr_draw_pool;

typedef struct tsr_draw_shape {
    uint32_t pool_count; /* 1..TSR_DRAW_POOLS_MAX */
    tsr_draw_pool pools[TSR_DRAW_POOLS_MAX];
} tsr_draw_shape;

/* TSR_OK for a drawable shape; TSR_ERR_DRAW_SHAPE when pool_count is 0 or
 * above the maximum, a pool has max < min, size above
 * TSR_DRAW_POOL_SIZE_MAX, count 0, count+bonus above TSR_DRAW_PICK_MAX or
 * (without replacement) above its size, or bonus with replacement. */
tsr_status tsr_draw_shape_check(const tsr_draw_shape *s) TSR_MUST_CHECK;

/* The shape a catalogue game draws (catalog.h): lotto {1, pool, pick,
 * bonus ? 1 : 0, false}; two-pool {1, pool, pick} then {1, second_pool,
 * second_pick}; digits {0, 9, pick, 0, true}; keno {1, pool, drawn};
 * fixed odds {1, pool, drawn}. A game offering TSR_ADDON_MULTIPLIER with
 * n_multipliers > 0 gets a last pool {0, n_multipliers - 1, 1, 0, false}:
 * the multiplier is g->multipliers[that index] (uniform over the list).
 * TSR_ERR_DRAW_SHAPE for a family or sizes that give no valid shape. */
struct tsr_game;
tsr_status tsr_draw_shape_for_game(const struct tsr_game *g, tsr_draw_shape *out) TSR_MUST_CHECK;

/* The numbers of one draw, per pool in the order drawn: values[p][0..count)
 * are the main numbers, values[p][count..count+bonus) the bonus numbers. */
typedef struct tsr_draw_numbers {
    uint32_t pool_count;
    uint32_t len[TSR_DRAW_POOLS_MAX]; /* count + bonus of each pool */
    uint32_t values[TSR_DRAW_POOLS_MAX][TSR_DRAW_PICK_MAX];
} tsr_draw_numbers;

/* ---- seeds, commitments, entropy ----------------------------------------- */

/* A fresh draw seed from `rng` (borrowed), which must be the real CSPRNG:
 * TSR_ERR_RNG_SEEDED for a seeded one (DESIGN.md: the draw never runs on a
 * predictable stream). The commitment is tsr_seed_commit(seed, 32, c). */
tsr_status tsr_draw_seed_new(tsr_rng *rng, uint8_t seed[TSR_DRAW_SEED_LEN]) TSR_MUST_CHECK;

/* E = BLAKE2b-256(s || w_1 || ... || w_k || M). k may be 0 (a test or a
 * degenerate deployment; the record then says so). witness_seeds may be NULL
 * when k is 0. */
void tsr_draw_entropy(const uint8_t central_seed[TSR_DRAW_SEED_LEN],
                      const uint8_t (*witness_seeds)[TSR_DRAW_SEED_LEN], size_t k,
                      const uint8_t root[TSR_HASH_LEN], uint8_t out[TSR_HASH_LEN]);

/* ---- the HMAC_DRBG ------------------------------------------------------- */

/* A raw SP 800-90A HMAC_DRBG (SHA-256, mbedTLS), for known-answer tests and
 * the draw stream. Owns *out. seed_material is entropy_input || nonce ||
 * personalization, 1..384 bytes (TSR_ERR_ARG otherwise); TSR_ERR_DRBG or
 * TSR_ERR_NOMEM on failure. No reseed, no prediction resistance. */
typedef struct tsr_drbg tsr_drbg;
tsr_status tsr_drbg_create(tsr_drbg **out, const void *seed_material, size_t len) TSR_MUST_CHECK;

/* One Generate call of len bytes (1..1024) with optional additional input
 * (add may be NULL when add_len is 0). TSR_ERR_ARG for a bad length,
 * TSR_ERR_DRBG when mbedTLS fails. */
tsr_status tsr_drbg_generate(tsr_drbg *d, void *out, size_t len, const void *add,
                             size_t add_len) TSR_MUST_CHECK;

/* Frees and wipes a DRBG; NULL-safe. */
void tsr_drbg_destroy(tsr_drbg *d);

/* The draw stream for entropy E (see the top of this file): the DRBG
 * instantiated with E || TSR_DRAW_PERSONALIZATION, read in TSR_DRAW_BLOCK
 * Generate calls. It also hashes every byte it hands out, so a record can
 * state which DRBG output its numbers came from. Owns *out. */
typedef struct tsr_draw_stream tsr_draw_stream;
tsr_status tsr_draw_stream_create(tsr_draw_stream **out,
                                  const uint8_t entropy[TSR_HASH_LEN]) TSR_MUST_CHECK;

/* The next len bytes of the stream. TSR_ERR_DRBG on failure. */
tsr_status tsr_draw_stream_read(tsr_draw_stream *s, void *out, size_t len) TSR_MUST_CHECK;

/* A uniform number in [0, range) by the rejection rule above. TSR_ERR_ARG
 * for range 0 or above 2^32 - 1; TSR_ERR_DRBG. */
tsr_status tsr_draw_stream_uniform(tsr_draw_stream *s, uint32_t range,
                                   uint32_t *out) TSR_MUST_CHECK;

/* Bytes handed out so far, and BLAKE2b-256 of exactly those bytes (the
 * stream can go on being read afterwards). */
uint64_t tsr_draw_stream_used(const tsr_draw_stream *s);
void tsr_draw_stream_digest(const tsr_draw_stream *s, uint8_t out[TSR_HASH_LEN]);

/* Frees and wipes a stream; NULL-safe. */
void tsr_draw_stream_destroy(tsr_draw_stream *s);

/* Draws the numbers of `shape` from entropy E. Writes the stream bytes
 * consumed and their BLAKE2b-256 to *bytes_used / digest (either may be
 * NULL). TSR_ERR_DRAW_SHAPE, TSR_ERR_DRBG, TSR_ERR_NOMEM. */
tsr_status tsr_draw_numbers_generate(const tsr_draw_shape *shape,
                                     const uint8_t entropy[TSR_HASH_LEN],
                                     tsr_draw_numbers *out, uint64_t *bytes_used,
                                     uint8_t digest[TSR_HASH_LEN]) TSR_MUST_CHECK;

/* ---- seals, witnesses ------------------------------------------------------ */

/* A seal as included in a manifest: the node's statement, its signature
 * over the canonical seal bytes, and the node's public key, so a verifier
 * can check it with nothing else. */
typedef struct tsr_draw_seal {
    tsr_seal seal;
    uint8_t node_pk[TSR_PK_LEN];
    uint8_t sig[TSR_SIG_LEN];
} tsr_draw_seal;

/* A witness's part of a record: its key, its signed commitment and its
 * signed reveal (bound to the manifest root M). */
typedef struct tsr_draw_witness {
    uint8_t pk[TSR_PK_LEN];
    uint8_t commitment[TSR_HASH_LEN];
    uint8_t commit_sig[TSR_SIG_LEN];
    uint8_t seed[TSR_DRAW_SEED_LEN];
    uint8_t reveal_sig[TSR_SIG_LEN];
} tsr_draw_witness;

/* Signs a seal for inclusion (fills ds from s, kp's public key and
 * signature). Encoder errors of tsr_seal_encode. */
tsr_status tsr_draw_seal_make(tsr_draw_seal *ds, const tsr_seal *s,
                              const tsr_keypair *kp) TSR_MUST_CHECK;

/* The bytes a witness signs to commit and to reveal (formats above), into
 * buf (cap bytes; 128 suffice), length in *len. TSR_ERR_RANGE for an
 * invalid game name, TSR_ERR_TOO_LARGE. */
tsr_status tsr_witness_commit_bytes(const char *game, uint32_t draw,
                                    const uint8_t commitment[TSR_HASH_LEN], uint8_t *buf,
                                    size_t cap, size_t *len) TSR_MUST_CHECK;
tsr_status tsr_witness_reveal_bytes(const char *game, uint32_t draw,
                                    const uint8_t commitment[TSR_HASH_LEN],
                                    const uint8_t seed[TSR_DRAW_SEED_LEN],
                                    const uint8_t root[TSR_HASH_LEN], uint8_t *buf,
                                    size_t cap, size_t *len) TSR_MUST_CHECK;

/* Checks a witness entry for (game, draw, M): the commitment signature,
 * that the seed matches the commitment, and the reveal signature.
 * TSR_ERR_SIGNATURE, TSR_ERR_DRAW_COMMITMENT, TSR_ERR_RANGE; `why` (may be
 * NULL) gets which. */
tsr_status tsr_draw_witness_check(const tsr_draw_witness *w, const char *game, uint32_t draw,
                                  const uint8_t root[TSR_HASH_LEN], char *why,
                                  size_t why_len) TSR_MUST_CHECK;

/* JSON of a witness entry: {"key_id","pk","commitment","commit_sig","seed",
 * "reveal_sig"} (new reference or NULL); strict reading as codec.h's. */
json_t *tsr_draw_witness_to_json(const tsr_draw_witness *w);
tsr_status tsr_draw_witness_from_json(const json_t *j, tsr_draw_witness *out) TSR_MUST_CHECK;

/* ---- the manifest ------------------------------------------------------- */

/* The list of seals a draw includes, bound to its cutoff token (and so to
 * the seed commitments), with its root M, signed by the draw authority. It
 * is published before any seed is revealed; witnesses reveal against it. */
typedef struct tsr_draw_manifest {
    tsr_cutoff_token token;          /* signed by the draw authority */
    uint32_t seal_count;
    tsr_draw_seal *seals;            /* owned; ordered by node name */
    uint8_t root[TSR_HASH_LEN];      /* M */
    int64_t published_at_ns;
    uint8_t authority_pk[TSR_PK_LEN];
    uint8_t sig[TSR_SIG_LEN];        /* draw authority over the manifest bytes */
} tsr_draw_manifest;

/* Builds an unsigned manifest for `token` (copied) from seals[0..n)
 * (copied, any order; sorted by node here). Each seal must name the
 * token's game and draw, nodes must be distinct, each node signature must
 * verify: TSR_ERR_DRAW_MANIFEST (with the offending node in `why`, may be
 * NULL), TSR_ERR_SIGNATURE. TSR_ERR_TOO_LARGE above TSR_DRAW_SEALS_MAX,
 * TSR_ERR_NOMEM. n may be 0 (a draw with no sales). Owns *out. */
tsr_status tsr_draw_manifest_build(tsr_draw_manifest **out, const tsr_cutoff_token *token,
                                   const tsr_draw_seal *seals, size_t n, char *why,
                                   size_t why_len) TSR_MUST_CHECK;

/* Signs m with the draw-authority key (sets published_at_ns, authority_pk
 * and sig). TSR_ERR_DRAW_AUTHORITY when kp is not the key that signed the
 * token; encoder errors; TSR_ERR_NOMEM. */
tsr_status tsr_draw_manifest_sign(tsr_draw_manifest *m, const tsr_keypair *kp,
                                  int64_t published_at_ns) TSR_MUST_CHECK;

/* Verifies a manifest completely: the token's signature by authority_pk,
 * each seal's game, draw, order and node signature, the root, and the
 * manifest signature. When pinned_pk is not NULL the authority key must be
 * it (TSR_ERR_DRAW_AUTHORITY). Errors: TSR_ERR_DRAW_AUTHORITY,
 * TSR_ERR_SIGNATURE, TSR_ERR_DRAW_MANIFEST, TSR_ERR_DRAW_MISMATCH (root);
 * `why` (may be NULL) names the first failure. */
tsr_status tsr_draw_manifest_verify(const tsr_draw_manifest *m, const uint8_t *pinned_pk,
                                    char *why, size_t why_len) TSR_MUST_CHECK;

/* The manifest's canonical bytes (format above) in a new buffer the caller
 * frees with free(); TSR_ERR_NOMEM, encoder errors. */
tsr_status tsr_draw_manifest_encode(const tsr_draw_manifest *m, uint8_t **out,
                                    size_t *len) TSR_MUST_CHECK;

/* JSON: {"type":"tessera-draw-manifest","version":1,"token":{..},
 * "seals":[{"seal":{..},"node_pk":hex,"sig":hex},..],"root":hex,
 * "published_at_ns":n,"authority_pk":hex,"sig":hex}. to_json returns a new
 * reference or NULL. from_json is strict (errors as codec.h's readers,
 * TSR_ERR_TOO_LARGE for too many seals); it does not verify. Owns *out. */
json_t *tsr_draw_manifest_to_json(const tsr_draw_manifest *m);
tsr_status tsr_draw_manifest_from_json(const json_t *j, tsr_draw_manifest **out) TSR_MUST_CHECK;

/* Frees a manifest; NULL-safe. */
void tsr_draw_manifest_destroy(tsr_draw_manifest *m);

/* ---- the result record ------------------------------------------------- */

typedef struct tsr_draw_record {
    tsr_draw_manifest *manifest;     /* owned; game, draw, token, seals, M */
    tsr_draw_shape shape;
    uint8_t central_seed[TSR_DRAW_SEED_LEN];  /* s, revealed */
    uint32_t witness_count;                   /* = token.witness_count */
    tsr_draw_witness witnesses[TSR_WITNESS_MAX]; /* in token order */
    uint8_t entropy[TSR_HASH_LEN];
    uint64_t drbg_bytes;                      /* stream bytes the numbers used */
    uint8_t drbg_digest[TSR_HASH_LEN];        /* BLAKE2b-256 of those bytes */
    tsr_draw_numbers numbers;
    int64_t drawn_at_ns;
    uint8_t sig[TSR_SIG_LEN];                 /* draw authority */
} tsr_draw_record;

/* Runs the draw: takes a signed manifest `m` (ownership passes to the
 * record, even on error), the game's shape, the central seed s and the
 * witnesses' entries in token order, checks every commitment and reveal,
 * computes E and the numbers, and signs the record with the draw-authority
 * key. Errors: TSR_ERR_DRAW_SHAPE, TSR_ERR_DRAW_COMMITMENT (s or a witness
 * seed does not match the token), TSR_ERR_SIGNATURE (a witness signature),
 * TSR_ERR_DRAW_MANIFEST (witness count differs from the token),
 * TSR_ERR_DRAW_AUTHORITY (kp did not sign the manifest), TSR_ERR_DRBG,
 * TSR_ERR_NOMEM; `why` (may be NULL) says which. Owns *out. */
tsr_status tsr_draw_record_make(tsr_draw_record **out, tsr_draw_manifest *m,
                                const tsr_draw_shape *shape,
                                const uint8_t central_seed[TSR_DRAW_SEED_LEN],
                                const tsr_draw_witness *witnesses, size_t k,
                                const tsr_keypair *kp, int64_t drawn_at_ns, char *why,
                                size_t why_len) TSR_MUST_CHECK;

/* Recomputes everything from the record alone, in this order, and stops at
 * the first mismatch, naming it in `why` (e.g. "witness 2 reveal does not
 * match its commitment", "numbers differ: record says 3 12 ..., recomputed
 * 4 9 ..."): the authority key (pinned_pk when not NULL), the token's
 * signature, the central commitment, each witness's commitment (equal to
 * the token's), signatures and reveal, the manifest (seals, their node
 * signatures, order, root M, its signature), the entropy, the DRBG output
 * (bytes and digest), the numbers, and the record's signature.
 * TSR_OK, or TSR_ERR_DRAW_AUTHORITY, TSR_ERR_SIGNATURE,
 * TSR_ERR_DRAW_COMMITMENT, TSR_ERR_DRAW_MANIFEST, TSR_ERR_DRAW_MISMATCH,
 * TSR_ERR_DRAW_SHAPE, TSR_ERR_DRBG, TSR_ERR_NOMEM. */
tsr_status tsr_draw_record_verify(const tsr_draw_record *r, const uint8_t *pinned_pk,
                                  char *why, size_t why_len) TSR_MUST_CHECK;

/* JSON: {"type":"tessera-draw-record","version":1,"game","draw",
 * "shape":{"pools":[{"min","max","count","bonus","replacement"}]},
 * "manifest":{manifest JSON},"central_seed":hex,"witnesses":[..],
 * "entropy":hex,"drbg":{"algorithm":TSR_DRAW_DRBG_NAME,"personalization":
 * "tessera-draw-v1","block":32,"bytes_used":n,"output_blake2b":hex},
 * "numbers":[{"main":[..],"bonus":[..]}],"drawn_at_ns":n,
 * "authority_key_id":hex16,"sig":hex}. "game", "draw", "authority_key_id"
 * and the drbg constants repeat what the signed parts say for readers; the
 * reader requires them to agree (TSR_ERR_DRAW_MISMATCH). to_json returns a
 * new reference or NULL. from_json is strict like codec.h's readers and
 * does not verify. Owns *out. */
#define TSR_DRAW_DRBG_NAME "HMAC_DRBG-SHA256 (NIST SP 800-90A), no reseed, no prediction resistance"
json_t *tsr_draw_record_to_json(const tsr_draw_record *r);
tsr_status tsr_draw_record_from_json(const json_t *j, tsr_draw_record **out) TSR_MUST_CHECK;

/* Reads a record file (at most TSR_DRAW_RECORD_FILE_MAX bytes) and parses
 * it. TSR_ERR_NOT_FOUND, TSR_ERR_IO, TSR_ERR_TOO_LARGE, TSR_ERR_JSON, plus
 * tsr_draw_record_from_json's errors; `why` (may be NULL) gets the detail. */
tsr_status tsr_draw_record_read_file(const char *path, tsr_draw_record **out, char *why,
                                     size_t why_len) TSR_MUST_CHECK;

/* The record's canonical bytes (format above) in a new buffer the caller
 * frees with free(). Encoder errors, TSR_ERR_NOMEM. */
tsr_status tsr_draw_record_encode(const tsr_draw_record *r, uint8_t **out,
                                  size_t *len) TSR_MUST_CHECK;

/* Frees a record and its manifest; NULL-safe. */
void tsr_draw_record_destroy(tsr_draw_record *r);

#endif

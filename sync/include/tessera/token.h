/*
 * Cutoff tokens and time beacons, both signed by central's draw-authority
 * key (Ed25519) and checked by nodes against a keyring of pinned keys.
 *
 * A cutoff token says when a draw's sales open and close and when results
 * come, and binds the draw to its seed commitments. A node sells for a draw
 * only while it holds a valid token. "Expired" means now >= results_at: a
 * node still needs the token after the cutoff (to refuse late bets with the
 * right error and to seal the draw), so the token stays valid until results.
 * Whether sales are open is decided from cutoff_at by the caller (with the
 * clock error bound), not by token expiry.
 *
 * A time beacon is central's signed reading of its clock; a node compares
 * it with its own and fails closed when they disagree beyond its bound.
 *
 * Canonical encodings (codec.h rules; the signature is over these bytes):
 *   token:  u8 TSR_TYPE_CUTOFF_TOKEN, u8 version, str game, u32 draw,
 *           i64 sales_open_at_ns, i64 cutoff_at_ns, i64 results_at_ns,
 *           fixed[32] seed_commitment, u8 k, k x fixed[32] witness
 *           commitments, str key_id, i64 issued_at_ns
 *   beacon: u8 TSR_TYPE_BEACON, u8 version, str key_id, u64 seq, i64 time_ns
 * Packed (binary, for NATS): the encoding followed by the 64-byte signature.
 * JSON: the fields by name, commitments and "sig" as lowercase hex,
 * "witness_commitments" an array of hex strings.
 *
 * All functions are pure and thread-safe.
 */
#ifndef TESSERA_TOKEN_H
#define TESSERA_TOKEN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/codec.h"
#include "tessera/keys.h"
#include "tessera/status.h"

/* Independent witnesses per draw: more than 8 adds nothing to "one honest
 * witness suffices" and bounds the token's size. */
#define TSR_WITNESS_MAX 8

/* Largest encodings (checked in token.c). */
#define TSR_TOKEN_ENC_MAX 378
#define TSR_TOKEN_PACKED_MAX (TSR_TOKEN_ENC_MAX + TSR_SIG_LEN)
#define TSR_BEACON_ENC_MAX 36
#define TSR_BEACON_PACKED_MAX (TSR_BEACON_ENC_MAX + TSR_SIG_LEN)

typedef struct tsr_cutoff_token {
    char game[TSR_NAME_MAX];
    uint32_t draw;
    int64_t sales_open_at_ns;
    int64_t cutoff_at_ns;
    int64_t results_at_ns;
    uint8_t seed_commitment[TSR_HASH_LEN];
    uint8_t witness_count; /* 0..TSR_WITNESS_MAX */
    uint8_t witness_commitments[TSR_WITNESS_MAX][TSR_HASH_LEN];
    char key_id[TSR_KEY_ID_SIZE]; /* of the signing draw-authority key */
    int64_t issued_at_ns;
    uint8_t sig[TSR_SIG_LEN];
} tsr_cutoff_token;

typedef struct tsr_beacon {
    char key_id[TSR_KEY_ID_SIZE];
    uint64_t seq;     /* strictly increasing per key; receivers drop seq <= last */
    int64_t time_ns;  /* central's clock, Unix ns UTC */
    uint8_t sig[TSR_SIG_LEN];
} tsr_beacon;

/* c = BLAKE2b-256("tessera-seed" || seed[0..len)): the commitment to a draw
 * seed published in the token before sales open. */
void tsr_seed_commit(const void *seed, size_t len, uint8_t out[TSR_HASH_LEN]);

/* ---- cutoff token ---------------------------------------------------------- */

/* TSR_OK when the times are consistent: sales_open_at < cutoff_at <
 * results_at, 0 < issued_at <= cutoff_at, witness_count <= TSR_WITNESS_MAX;
 * else TSR_ERR_TOKEN_INCONSISTENT. TSR_ERR_RANGE for an invalid game name. */
tsr_status tsr_cutoff_token_check(const tsr_cutoff_token *t) TSR_MUST_CHECK;

/* Appends the token's canonical (unsigned) bytes to e. Errors of
 * tsr_cutoff_token_check, TSR_ERR_TOO_LARGE. key_id must be 16 hex chars
 * (TSR_ERR_RANGE). */
tsr_status tsr_cutoff_token_encode(const tsr_cutoff_token *t, tsr_enc *e) TSR_MUST_CHECK;

/* Sets t->key_id to kp's key id and t->sig to kp's signature of the
 * canonical bytes. Refuses an inconsistent token (errors of
 * tsr_cutoff_token_check), so central cannot issue one by mistake. */
tsr_status tsr_cutoff_token_sign(tsr_cutoff_token *t, const tsr_keypair *kp) TSR_MUST_CHECK;

/* Verifies a token for use at `now_ns`, in this order:
 *   TSR_ERR_KEY_UNKNOWN         key_id is not pinned in kr (borrowed);
 *   TSR_ERR_SIGNATURE           sig is not that key's over the token;
 *   TSR_ERR_TOKEN_INCONSISTENT  (and TSR_ERR_RANGE) as tsr_cutoff_token_check;
 *   TSR_ERR_TOKEN_EXPIRED       now_ns >= results_at_ns.
 * A token is valid before sales_open_at too (nodes receive it early). */
tsr_status tsr_cutoff_token_verify(const tsr_cutoff_token *t, const tsr_keyring *kr,
                                   int64_t now_ns) TSR_MUST_CHECK;

/* Binary form: canonical bytes || sig into out (cap bytes;
 * TSR_TOKEN_PACKED_MAX suffices). Encoder errors, TSR_ERR_TOO_LARGE. */
tsr_status tsr_cutoff_token_pack(const tsr_cutoff_token *t, uint8_t *out, size_t cap,
                                 size_t *out_len) TSR_MUST_CHECK;
/* Reads the binary form into *out WITHOUT verifying the signature (call
 * tsr_cutoff_token_verify). TSR_ERR_ENCODING, TSR_ERR_VERSION. */
tsr_status tsr_cutoff_token_unpack(const void *buf, size_t len,
                                   tsr_cutoff_token *out) TSR_MUST_CHECK;

/* JSON form with "sig" (new reference, caller owns; NULL when out of
 * memory). Fields: game draw sales_open_at_ns cutoff_at_ns results_at_ns
 * seed_commitment witness_commitments key_id issued_at_ns sig. */
json_t *tsr_cutoff_token_to_json(const tsr_cutoff_token *t);
/* Strict reading of the JSON form (borrowed), not verifying it:
 * TSR_ERR_FIELD_TYPE / _UNKNOWN / _MISSING, TSR_ERR_ENCODING (bad hex),
 * TSR_ERR_RANGE / TSR_ERR_TOO_LONG (bad names, too many witnesses). */
tsr_status tsr_cutoff_token_from_json(const json_t *j, tsr_cutoff_token *out) TSR_MUST_CHECK;

/* ---- time beacon ----------------------------------------------------------- */

/* Appends a beacon's canonical (unsigned) bytes to e. TSR_ERR_RANGE for a
 * malformed key_id, TSR_ERR_TOO_LARGE. */
tsr_status tsr_beacon_encode(const tsr_beacon *b, tsr_enc *e) TSR_MUST_CHECK;

/* Sets b->key_id and b->sig from kp. TSR_ERR_RANGE as encode. */
tsr_status tsr_beacon_sign(tsr_beacon *b, const tsr_keypair *kp) TSR_MUST_CHECK;

/* Verifies a beacon received at local time now_ns:
 *   TSR_ERR_KEY_UNKNOWN, TSR_ERR_SIGNATURE as for tokens;
 *   TSR_ERR_BEACON_STALE  now_ns - time_ns > max_age_ns (an old beacon,
 *                         possibly replayed, says nothing about the clock
 *                         now). */
tsr_status tsr_beacon_verify(const tsr_beacon *b, const tsr_keyring *kr, int64_t now_ns,
                             int64_t max_age_ns) TSR_MUST_CHECK;

/* Compares a verified beacon with a local reading taken when it arrived.
 * The beacon was stamped before it arrived, so local may run ahead of it by
 * up to bound_ns + transit_ns but behind it by at most bound_ns:
 * TSR_ERR_BEACON_SKEW when local_ns - time_ns > bound_ns + transit_ns or
 * time_ns - local_ns > bound_ns; TSR_ERR_ARG for a negative bound or
 * transit. */
tsr_status tsr_beacon_check_skew(const tsr_beacon *b, int64_t local_ns, int64_t bound_ns,
                                 int64_t transit_ns) TSR_MUST_CHECK;

/* Binary form (canonical bytes || sig) and its unverified reading, as for
 * tokens. */
tsr_status tsr_beacon_pack(const tsr_beacon *b, uint8_t *out, size_t cap,
                           size_t *out_len) TSR_MUST_CHECK;
tsr_status tsr_beacon_unpack(const void *buf, size_t len, tsr_beacon *out) TSR_MUST_CHECK;

/* JSON: {"key_id","seq","time_ns","sig"}; strict as the token's. */
json_t *tsr_beacon_to_json(const tsr_beacon *b);
tsr_status tsr_beacon_from_json(const json_t *j, tsr_beacon *out) TSR_MUST_CHECK;

#endif

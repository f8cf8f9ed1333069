/*
 * Hashing: BLAKE2b-256 (libsodium crypto_generichash, unkeyed, 32-byte
 * output) everywhere a hash is part of the edge-central contract — ticket
 * leaves, Merkle trees, receipt chains, key ids, seed commitments — so one
 * primitive is audited once. Plus hex helpers for the JSON and file forms.
 *
 * All functions are pure and thread-safe.
 */
#ifndef TESSERA_HASH_H
#define TESSERA_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "tessera/status.h"

/* Bytes in every hash of the contract. */
#define TSR_HASH_LEN 32
/* Characters of a hash in hex, plus the terminating NUL. */
#define TSR_HASH_HEX_SIZE (2 * TSR_HASH_LEN + 1)

/* State of an incremental hash. Opaque storage (large and aligned enough for
 * libsodium's BLAKE2b state, checked at compile time in hash.c) so callers
 * can keep it on the stack without including sodium.h. */
typedef struct tsr_hash_ctx {
    _Alignas(64) unsigned char opaque_[448];
} tsr_hash_ctx;

/* out = BLAKE2b-256(data[0..len)). data may be NULL when len is 0. */
void tsr_hash256(uint8_t out[TSR_HASH_LEN], const void *data, size_t len);

/* Incremental form: init, any number of updates, final. After final the
 * context is wiped and must be initialised again before reuse. */
void tsr_hash256_init(tsr_hash_ctx *h);
void tsr_hash256_update(tsr_hash_ctx *h, const void *data, size_t len);
void tsr_hash256_final(tsr_hash_ctx *h, uint8_t out[TSR_HASH_LEN]);

/* Writes data[0..len) as lowercase hex plus a NUL into out, which must hold
 * at least 2*len+1 bytes (out_size; a smaller buffer is a caller bug and
 * aborts). Returns out (borrowed back to the caller). */
char *tsr_hex_encode(char *out, size_t out_size, const void *data, size_t len);

/* Decodes exactly `len` bytes from the NUL-terminated hex string `hex`
 * (upper or lower case). TSR_ERR_ENCODING when hex is NULL, has a non-hex
 * character, or is not exactly 2*len characters long; out is then zeroed. */
tsr_status tsr_hex_decode(uint8_t *out, size_t len, const char *hex) TSR_MUST_CHECK;

/* Decodes a hex string of any even length up to 2*cap characters into out,
 * writing the byte count to *len_out. TSR_ERR_ENCODING on a bad character
 * or odd length, TSR_ERR_TOO_LONG when it would exceed cap bytes. */
tsr_status tsr_hex_decode_max(uint8_t *out, size_t cap, size_t *len_out,
                              const char *hex) TSR_MUST_CHECK;

#endif

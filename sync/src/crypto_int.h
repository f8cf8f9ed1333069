/* Private helpers shared by hash.c, hex.c, keys.c, codec.c, merkle.c and
 * token.c: libsodium initialisation and strict reading of JSON fields. */
#ifndef TESSERA_CRYPTO_INT_H
#define TESSERA_CRYPTO_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/status.h"

/* Runs sodium_init() once per process (it picks the fastest BLAKE2b and
 * Ed25519 code paths and seeds randombytes); cheap after the first call. */
void tsr_crypto_ready(void);

/* Checks that j is an object whose keys are exactly the `n` names in
 * `fields`: TSR_ERR_FIELD_TYPE when j is not an object, TSR_ERR_FIELD_UNKNOWN
 * for a key not listed, TSR_ERR_FIELD_MISSING for a listed key absent. */
tsr_status tsr_sj_fields(const json_t *j, const char *const *fields, size_t n);

/* Reads field `key` of object j (present: checked by tsr_sj_fields):
 * TSR_ERR_FIELD_MISSING when absent, TSR_ERR_FIELD_TYPE when of the wrong
 * JSON type. */
/* A string of at most cap-1 bytes, no NUL: TSR_ERR_TOO_LONG when longer. */
tsr_status tsr_sj_str(const json_t *j, const char *key, char *out, size_t cap);
/* An integer in [min, max]: TSR_ERR_RANGE outside. */
tsr_status tsr_sj_int(const json_t *j, const char *key, int64_t min, int64_t max, int64_t *out);
/* Exactly len bytes as hex: TSR_ERR_ENCODING otherwise. */
tsr_status tsr_sj_hex(const json_t *j, const char *key, uint8_t *out, size_t len);
/* Up to cap bytes as hex: TSR_ERR_ENCODING / TSR_ERR_TOO_LONG. */
tsr_status tsr_sj_hex_max(const json_t *j, const char *key, uint8_t *out, size_t cap,
                          size_t *len_out);

/* Adds `value` (a new reference, taken) to object j under key; returns
 * false (having released value) when value is NULL or jansson fails, so
 * builders can chain `ok = ok && tsr_sj_set(...)`. */
bool tsr_sj_set(json_t *j, const char *key, json_t *value);
/* A new JSON string of data[0..len) in lowercase hex, or NULL. */
json_t *tsr_sj_hexval(const void *data, size_t len);

#endif

/* Private helpers shared by the draw's sources (draw_*.c, witness.c). */
#ifndef TESSERA_DRAW_INT_H
#define TESSERA_DRAW_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/draw.h"

/* A witness message: 2 + 2 + 31 + 4 + 3 x 32 bytes; 192 leaves room. */
#define TSR_DRAW_MSG_MAX 192

/* printf into why (why may be NULL). */
void tsr_draw_why(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- strict JSON reading (same errors as codec.h's readers) ---------- */

/* TSR_ERR_FIELD_TYPE when j is not an object, TSR_ERR_FIELD_UNKNOWN when
 * it has a key outside keys (NULL-terminated). */
tsr_status tsr_dj_keys(const json_t *j, const char *const *keys) TSR_MUST_CHECK;
/* Field readers: TSR_ERR_FIELD_MISSING, TSR_ERR_FIELD_TYPE,
 * TSR_ERR_ENCODING (bad hex), TSR_ERR_RANGE (integer out of range). */
tsr_status tsr_dj_hex(const json_t *j, const char *key, uint8_t *out, size_t len) TSR_MUST_CHECK;
tsr_status tsr_dj_u32(const json_t *j, const char *key, uint32_t *out) TSR_MUST_CHECK;
tsr_status tsr_dj_u64(const json_t *j, const char *key, uint64_t *out) TSR_MUST_CHECK;
tsr_status tsr_dj_i64(const json_t *j, const char *key, int64_t *out) TSR_MUST_CHECK;
tsr_status tsr_dj_bool(const json_t *j, const char *key, bool *out) TSR_MUST_CHECK;
/* The string value of key, borrowed from j. */
tsr_status tsr_dj_str(const json_t *j, const char *key, const char **out) TSR_MUST_CHECK;
/* The array at key (borrowed); TSR_ERR_FIELD_TYPE if not an array. */
tsr_status tsr_dj_array(const json_t *j, const char *key, const json_t **out) TSR_MUST_CHECK;
/* A new JSON string holding data as lowercase hex (NULL when out of memory). */
json_t *tsr_dj_hexval(const void *data, size_t len);
/* Sets o[key] = v, taking v; false when either is NULL or out of memory. */
bool tsr_dj_set(json_t *o, const char *key, json_t *v);

/* Canonical seal bytes into buf (TSR_SEAL_ENC_MAX), length in *len. */
tsr_status tsr_draw_seal_bytes(const tsr_seal *s, uint8_t *buf, size_t *len) TSR_MUST_CHECK;

/* TSR_OK when pk signed the cutoff token; TSR_ERR_SIGNATURE or encoder
 * errors otherwise. */
tsr_status tsr_draw_token_signed_by(const tsr_cutoff_token *t,
                                    const uint8_t pk[TSR_PK_LEN]) TSR_MUST_CHECK;

/* Reads a whole small file into a new NUL-terminated buffer (free()).
 * TSR_ERR_NOT_FOUND, TSR_ERR_IO, TSR_ERR_TOO_LARGE above max bytes. */
tsr_status tsr_draw_read_file(const char *path, size_t max, char **out,
                              size_t *len) TSR_MUST_CHECK;

#endif

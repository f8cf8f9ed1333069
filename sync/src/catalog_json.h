/* Private: JSON field readers shared by the catalogue loader. Each names the
 * game and the field in its error message, so an operator can find the
 * mistake in a catalogue of many games. */
#ifndef TESSERA_CATALOG_JSON_H
#define TESSERA_CATALOG_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "tessera/money.h"
#include "tessera/status.h"

typedef struct cj_ctx {
    char *err;
    size_t errlen;
    const char *game;   /* "" outside a game */
    const char *prefix; /* e.g. "prizes[3]." or "" */
} cj_ctx;

/* Writes "game 'g' field 'prefix+field': message" to err; returns st. */
tsr_status cj_fail(cj_ctx *c, tsr_status st, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Rejects keys of obj not in allowed (NULL-terminated). */
tsr_status cj_keys(cj_ctx *c, const json_t *obj, const char *const *allowed) TSR_MUST_CHECK;

/* Integer in [min, max]; absent: def, or an error when required. */
tsr_status cj_int(cj_ctx *c, const json_t *obj, const char *key, int64_t min, int64_t max,
                  int64_t def, bool required, int64_t *out) TSR_MUST_CHECK;

/* Decimal money string ("1.00") >= 0; absent: def, or error when required. */
tsr_status cj_money(cj_ctx *c, const json_t *obj, const char *key, tsr_cents def,
                    bool required, tsr_cents *out) TSR_MUST_CHECK;

tsr_status cj_bool(cj_ctx *c, const json_t *obj, const char *key, bool def,
                   bool *out) TSR_MUST_CHECK;

/* String of 1..cap-1 bytes; absent: def (NULL = required). */
tsr_status cj_str(cj_ctx *c, const json_t *obj, const char *key, const char *def, char *buf,
                  size_t cap) TSR_MUST_CHECK;

/* Percentage string ("79.5", at most 4 decimals, 0..100) in parts per million. */
tsr_status cj_pct(cj_ctx *c, const json_t *obj, const char *key, uint32_t *ppm) TSR_MUST_CHECK;

#endif

/* Hex helpers for the JSON and key-file forms of hashes, keys and ids. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto_int.h"
#include "tessera/hash.h"

char *tsr_hex_encode(char *out, size_t out_size, const void *data, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *p = data;
    /* A short buffer is the caller's bug (sizes are compile-time constants
     * everywhere), not bad input: stop rather than truncate a key. */
    if (len > (out_size - 1) / 2 || out_size == 0) {
        fprintf(stderr, "tsr_hex_encode: buffer of %zu for %zu bytes\n", out_size, len);
        abort();
    }
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * len] = '\0';
    return out;
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes n bytes from 2n characters known to exist; false on a bad one. */
static bool decode_pairs(uint8_t *out, const char *hex, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

tsr_status tsr_hex_decode(uint8_t *out, size_t len, const char *hex)
{
    if (hex && strnlen(hex, 2 * len + 1) == 2 * len && decode_pairs(out, hex, len))
        return TSR_OK;
    memset(out, 0, len);
    return TSR_ERR_ENCODING;
}

tsr_status tsr_hex_decode_max(uint8_t *out, size_t cap, size_t *len_out, const char *hex)
{
    *len_out = 0;
    if (!hex)
        return TSR_ERR_ENCODING;
    size_t chars = strnlen(hex, 2 * cap + 2);
    if (chars % 2 != 0)
        return TSR_ERR_ENCODING;
    if (chars > 2 * cap)
        return TSR_ERR_TOO_LONG;
    if (!decode_pairs(out, hex, chars / 2)) {
        memset(out, 0, cap);
        return TSR_ERR_ENCODING;
    }
    *len_out = chars / 2;
    return TSR_OK;
}

/* ---- strict JSON fields (crypto_int.h) ------------------------------------ */

tsr_status tsr_sj_fields(const json_t *j, const char *const *fields, size_t n)
{
    if (!json_is_object(j))
        return TSR_ERR_FIELD_TYPE;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)j, key, v) {
        bool known = false;
        for (size_t i = 0; i < n && !known; i++)
            known = strcmp(key, fields[i]) == 0;
        if (!known)
            return TSR_ERR_FIELD_UNKNOWN;
    }
    for (size_t i = 0; i < n; i++)
        if (!json_object_get(j, fields[i]))
            return TSR_ERR_FIELD_MISSING;
    return TSR_OK;
}

/* The field's value if present and of JSON type `type`, else a status. */
static tsr_status field(const json_t *j, const char *key, json_type type, const json_t **v)
{
    *v = json_object_get(j, key);
    if (!*v)
        return TSR_ERR_FIELD_MISSING;
    return json_typeof(*v) == type ? TSR_OK : TSR_ERR_FIELD_TYPE;
}

tsr_status tsr_sj_str(const json_t *j, const char *key, char *out, size_t cap)
{
    const json_t *v;
    tsr_status st = field(j, key, JSON_STRING, &v);
    out[0] = '\0';
    if (st != TSR_OK)
        return st;
    size_t len = json_string_length(v);
    if (len >= cap)
        return TSR_ERR_TOO_LONG;
    if (strlen(json_string_value(v)) != len)
        return TSR_ERR_RANGE; /* an embedded NUL (\u0000) has no C form */
    memcpy(out, json_string_value(v), len + 1);
    return TSR_OK;
}

tsr_status tsr_sj_int(const json_t *j, const char *key, int64_t min, int64_t max, int64_t *out)
{
    const json_t *v;
    tsr_status st = field(j, key, JSON_INTEGER, &v);
    *out = 0;
    if (st != TSR_OK)
        return st;
    json_int_t x = json_integer_value(v);
    if (x < min || x > max)
        return TSR_ERR_RANGE;
    *out = (int64_t)x;
    return TSR_OK;
}

tsr_status tsr_sj_hex(const json_t *j, const char *key, uint8_t *out, size_t len)
{
    const json_t *v;
    tsr_status st = field(j, key, JSON_STRING, &v);
    if (st != TSR_OK) {
        memset(out, 0, len);
        return st;
    }
    return tsr_hex_decode(out, len, json_string_value(v));
}

tsr_status tsr_sj_hex_max(const json_t *j, const char *key, uint8_t *out, size_t cap,
                          size_t *len_out)
{
    const json_t *v;
    tsr_status st = field(j, key, JSON_STRING, &v);
    *len_out = 0;
    if (st != TSR_OK)
        return st;
    return tsr_hex_decode_max(out, cap, len_out, json_string_value(v));
}

bool tsr_sj_set(json_t *j, const char *key, json_t *value)
{
    if (!value)
        return false;
    return json_object_set_new(j, key, value) == 0;
}

json_t *tsr_sj_hexval(const void *data, size_t len)
{
    char buf[2 * 512 + 1];
    if (len > 512)
        return NULL; /* every hex field of the contract is far shorter */
    return json_string(tsr_hex_encode(buf, sizeof buf, data, len));
}

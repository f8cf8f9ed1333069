/* Strict JSON field readers and small I/O helpers for the draw's objects. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw_int.h"

tsr_status tsr_dj_keys(const json_t *j, const char *const *keys)
{
    if (!json_is_object(j))
        return TSR_ERR_FIELD_TYPE;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)j, k, v) {
        bool known = false;
        for (const char *const *p = keys; *p && !known; p++)
            known = strcmp(*p, k) == 0;
        if (!known)
            return TSR_ERR_FIELD_UNKNOWN;
    }
    return TSR_OK;
}

static tsr_status field(const json_t *j, const char *key, const json_t **out)
{
    *out = json_object_get(j, key);
    return *out ? TSR_OK : TSR_ERR_FIELD_MISSING;
}

tsr_status tsr_dj_hex(const json_t *j, const char *key, uint8_t *out, size_t len)
{
    const json_t *v;
    tsr_status st = field(j, key, &v);
    if (st != TSR_OK)
        return st;
    if (!json_is_string(v))
        return TSR_ERR_FIELD_TYPE;
    return tsr_hex_decode(out, len, json_string_value(v));
}

/* JSON integers are json_int_t (long long): check the range here. */
static tsr_status integer(const json_t *j, const char *key, json_int_t lo, json_int_t hi,
                          json_int_t *out)
{
    const json_t *v;
    tsr_status st = field(j, key, &v);
    if (st != TSR_OK)
        return st;
    if (!json_is_integer(v))
        return TSR_ERR_FIELD_TYPE;
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return TSR_ERR_RANGE;
    *out = x;
    return TSR_OK;
}

tsr_status tsr_dj_u32(const json_t *j, const char *key, uint32_t *out)
{
    json_int_t x = 0;
    tsr_status st = integer(j, key, 0, UINT32_MAX, &x);
    *out = (uint32_t)x;
    return st;
}

tsr_status tsr_dj_u64(const json_t *j, const char *key, uint64_t *out)
{
    /* jansson holds at most INT64_MAX; no count in a record comes near. */
    json_int_t x = 0;
    tsr_status st = integer(j, key, 0, INT64_MAX, &x);
    *out = (uint64_t)x;
    return st;
}

tsr_status tsr_dj_i64(const json_t *j, const char *key, int64_t *out)
{
    json_int_t x = 0;
    tsr_status st = integer(j, key, INT64_MIN, INT64_MAX, &x);
    *out = (int64_t)x;
    return st;
}

tsr_status tsr_dj_bool(const json_t *j, const char *key, bool *out)
{
    const json_t *v;
    tsr_status st = field(j, key, &v);
    if (st != TSR_OK)
        return st;
    if (!json_is_boolean(v))
        return TSR_ERR_FIELD_TYPE;
    *out = json_is_true(v);
    return TSR_OK;
}

tsr_status tsr_dj_str(const json_t *j, const char *key, const char **out)
{
    const json_t *v;
    tsr_status st = field(j, key, &v);
    if (st != TSR_OK)
        return st;
    if (!json_is_string(v))
        return TSR_ERR_FIELD_TYPE;
    *out = json_string_value(v);
    return TSR_OK;
}

tsr_status tsr_dj_array(const json_t *j, const char *key, const json_t **out)
{
    tsr_status st = field(j, key, out);
    if (st != TSR_OK)
        return st;
    return json_is_array(*out) ? TSR_OK : TSR_ERR_FIELD_TYPE;
}

json_t *tsr_dj_hexval(const void *data, size_t len)
{
    char buf[2 * TSR_SIG_LEN + 1];
    if (2 * len + 1 > sizeof buf)
        return NULL;
    return json_string(tsr_hex_encode(buf, sizeof buf, data, len));
}

bool tsr_dj_set(json_t *o, const char *key, json_t *v)
{
    if (!o || !v) {
        json_decref(v);
        return false;
    }
    return json_object_set_new(o, key, v) == 0;
}

tsr_status tsr_draw_seal_bytes(const tsr_seal *s, uint8_t *buf, size_t *len)
{
    tsr_enc e;
    tsr_enc_init(&e, buf, TSR_SEAL_ENC_MAX);
    tsr_status st = tsr_seal_encode(s, &e);
    if (st != TSR_OK)
        return st;
    return tsr_enc_finish(&e, len);
}

tsr_status tsr_draw_read_file(const char *path, size_t max, char **out, size_t *len)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? TSR_ERR_NOT_FOUND : TSR_ERR_IO;
    char *buf = malloc(max + 1);
    if (!buf) {
        fclose(f);
        return TSR_ERR_NOMEM;
    }
    size_t n = fread(buf, 1, max + 1, f);
    bool failed = ferror(f);
    fclose(f);
    if (failed || n > max) {
        free(buf);
        return failed ? TSR_ERR_IO : TSR_ERR_TOO_LARGE;
    }
    buf[n] = '\0';
    *out = buf;
    if (len)
        *len = n;
    return TSR_OK;
}

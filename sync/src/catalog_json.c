#include "catalog_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

tsr_status cj_fail(cj_ctx *c, tsr_status st, const char *field, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->game && *c->game)
        snprintf(c->err, c->errlen, "game '%s' field '%s%s': %s", c->game, c->prefix, field, msg);
    else
        snprintf(c->err, c->errlen, "field '%s%s': %s", c->prefix, field, msg);
    return st;
}

tsr_status cj_keys(cj_ctx *c, const json_t *obj, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (!ok)
            return cj_fail(c, TSR_ERR_CATALOG, key, "unknown field");
    }
    return TSR_OK;
}

tsr_status cj_int(cj_ctx *c, const json_t *obj, const char *key, int64_t min, int64_t max,
                  int64_t def, bool required, int64_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required)
            return cj_fail(c, TSR_ERR_CATALOG, key, "is required");
        *out = def;
        return TSR_OK;
    }
    if (!json_is_integer(v))
        return cj_fail(c, TSR_ERR_CATALOG, key, "must be an integer");
    int64_t x = json_integer_value(v);
    if (x < min || x > max)
        return cj_fail(c, TSR_ERR_CATALOG, key, "%lld is outside %lld..%lld", (long long)x,
                       (long long)min, (long long)max);
    *out = x;
    return TSR_OK;
}

tsr_status cj_money(cj_ctx *c, const json_t *obj, const char *key, tsr_cents def, bool required,
                    tsr_cents *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required)
            return cj_fail(c, TSR_ERR_CATALOG, key, "is required");
        *out = def;
        return TSR_OK;
    }
    if (!json_is_string(v))
        return cj_fail(c, TSR_ERR_CATALOG, key, "must be a decimal string such as \"1.00\"");
    tsr_cents x;
    if (tsr_money_parse(json_string_value(v), &x) != TSR_OK || x < 0)
        return cj_fail(c, TSR_ERR_CATALOG, key, "'%s' is not an amount >= 0",
                       json_string_value(v));
    *out = x;
    return TSR_OK;
}

tsr_status cj_bool(cj_ctx *c, const json_t *obj, const char *key, bool def, bool *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        *out = def;
        return TSR_OK;
    }
    if (!json_is_boolean(v))
        return cj_fail(c, TSR_ERR_CATALOG, key, "must be true or false");
    *out = json_is_true(v);
    return TSR_OK;
}

tsr_status cj_str(cj_ctx *c, const json_t *obj, const char *key, const char *def, char *buf,
                  size_t cap)
{
    json_t *v = json_object_get(obj, key);
    const char *s = def;
    if (v) {
        if (!json_is_string(v))
            return cj_fail(c, TSR_ERR_CATALOG, key, "must be a string");
        s = json_string_value(v);
    }
    if (!s)
        return cj_fail(c, TSR_ERR_CATALOG, key, "is required");
    if (strlen(s) >= cap || (v && *s == '\0'))
        return cj_fail(c, TSR_ERR_CATALOG, key, "must be 1..%zu characters", cap - 1);
    memcpy(buf, s, strlen(s) + 1);
    return TSR_OK;
}

tsr_status cj_pct(cj_ctx *c, const json_t *obj, const char *key, uint32_t *ppm)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v))
        return cj_fail(c, TSR_ERR_CATALOG, key, "must be a percentage string such as \"7.25\"");
    const char *s = json_string_value(v);
    uint64_t whole = 0, frac = 0;
    int digits = 0, fdigits = 0;
    for (; *s >= '0' && *s <= '9' && digits < 4; s++, digits++)
        whole = whole * 10 + (uint64_t)(*s - '0');
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9' && fdigits < 4; s++, fdigits++)
            frac = frac * 10 + (uint64_t)(*s - '0');
    for (int i = fdigits; i < 4; i++)
        frac *= 10;
    uint64_t x = whole * 10000 + frac;
    if (digits == 0 || *s != '\0' || x > 1000000)
        return cj_fail(c, TSR_ERR_CATALOG, key, "'%s' is not a percentage 0..100 with at most 4 decimals",
                       json_string_value(v));
    *ppm = (uint32_t)x;
    return TSR_OK;
}

#include "tessera/config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void *field_ptr(void *dst, const tsr_cfg_field *f) { return (char *)dst + f->offset; }

static void set_default(void *dst, const tsr_cfg_field *f)
{
    void *p = field_ptr(dst, f);
    switch (f->type) {
    case TSR_CFG_TYPE_INT: *(int64_t *)p = f->def_int; break;
    case TSR_CFG_TYPE_BOOL: *(bool *)p = f->def_int != 0; break;
    case TSR_CFG_TYPE_STRING: snprintf(p, f->size, "%s", f->def_str ? f->def_str : ""); break;
    case TSR_CFG_TYPE_JSON: *(json_t **)p = NULL; break;
    }
}

static const tsr_cfg_field *find_field(const tsr_cfg_field *fields, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(fields[i].key, key) == 0)
            return &fields[i];
    return NULL;
}

static tsr_status apply_int(const json_t *v, const tsr_cfg_field *f, void *dst, char *err, size_t errlen)
{
    if (!json_is_integer(v)) {
        snprintf(err, errlen, "config key '%s' must be an integer", f->key);
        return TSR_ERR_CONFIG_TYPE;
    }
    json_int_t x = json_integer_value(v);
    if (x < f->min || x > f->max) {
        snprintf(err, errlen, "config key '%s' = %" JSON_INTEGER_FORMAT " is out of range [%" PRId64 ", %" PRId64 "]",
                 f->key, x, f->min, f->max);
        return TSR_ERR_CONFIG_RANGE;
    }
    *(int64_t *)field_ptr(dst, f) = x;
    return TSR_OK;
}

static tsr_status apply_string(const json_t *v, const tsr_cfg_field *f, void *dst, char *err, size_t errlen)
{
    if (!json_is_string(v)) {
        snprintf(err, errlen, "config key '%s' must be a string", f->key);
        return TSR_ERR_CONFIG_TYPE;
    }
    size_t len = json_string_length(v);
    if (len < (size_t)f->min || len >= f->size) {
        snprintf(err, errlen, "config key '%s' must be %" PRId64 " to %zu characters long (got %zu)",
                 f->key, f->min, f->size - 1, len);
        return TSR_ERR_CONFIG_RANGE;
    }
    memcpy(field_ptr(dst, f), json_string_value(v), len + 1);
    return TSR_OK;
}

static tsr_status apply_one(const json_t *v, const tsr_cfg_field *f, void *dst, char *err, size_t errlen)
{
    switch (f->type) {
    case TSR_CFG_TYPE_INT: return apply_int(v, f, dst, err, errlen);
    case TSR_CFG_TYPE_STRING: return apply_string(v, f, dst, err, errlen);
    case TSR_CFG_TYPE_BOOL:
        if (!json_is_boolean(v)) {
            snprintf(err, errlen, "config key '%s' must be true or false", f->key);
            return TSR_ERR_CONFIG_TYPE;
        }
        *(bool *)field_ptr(dst, f) = json_is_true(v);
        return TSR_OK;
    case TSR_CFG_TYPE_JSON:
        if (json_typeof(v) != (json_type)f->min) {
            snprintf(err, errlen, "config key '%s' must be %s", f->key,
                     f->min == JSON_ARRAY ? "an array" : "an object");
            return TSR_ERR_CONFIG_TYPE;
        }
        *(json_t **)field_ptr(dst, f) = json_incref((json_t *)v);
        return TSR_OK;
    }
    return TSR_ERR_INTERNAL;
}

static tsr_status check_required(const json_t *obj, const tsr_cfg_field *fields, size_t n,
                                 char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        const tsr_cfg_field *f = &fields[i];
        bool needed = f->required || (f->type == TSR_CFG_TYPE_STRING && !f->def_str);
        if (needed && !json_object_get(obj, f->key)) {
            snprintf(err, errlen, "config key '%s' is required (%s)", f->key, f->help);
            return TSR_ERR_FIELD_MISSING;
        }
    }
    return TSR_OK;
}

tsr_status tsr_config_apply(const json_t *obj, const tsr_cfg_field *fields, size_t n,
                            void *dst, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++)
        set_default(dst, &fields[i]);
    if (!json_is_object(obj)) {
        snprintf(err, errlen, "config must be a JSON object");
        return TSR_ERR_CONFIG_TYPE;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        const tsr_cfg_field *f = find_field(fields, n, key);
        if (!f) {
            snprintf(err, errlen, "unknown config key '%s'", key);
            return TSR_ERR_CONFIG_UNKNOWN_KEY;
        }
        tsr_status st = apply_one(v, f, dst, err, errlen);
        if (st != TSR_OK)
            return st;
    }
    return check_required(obj, fields, n, err, errlen);
}

tsr_status tsr_config_load_file(const char *path, const tsr_cfg_field *fields, size_t n,
                                void *dst, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++)
        set_default(dst, &fields[i]);
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        bool unreadable = json_error_code(&jerr) == json_error_cannot_open_file;
        snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
        return unreadable ? TSR_ERR_IO : TSR_ERR_JSON;
    }
    tsr_status st = tsr_config_apply(root, fields, n, dst, err, errlen);
    json_decref(root);
    return st;
}

void tsr_config_log(tsr_log *log, const tsr_cfg_field *fields, size_t n, const void *dst)
{
    for (size_t i = 0; i < n; i++) {
        const tsr_cfg_field *f = &fields[i];
        const void *p = (const char *)dst + f->offset;
        if (f->secret) {
            tsr_log_info(log, "config", "key=%s value=<secret>", f->key);
            continue;
        }
        switch (f->type) {
        case TSR_CFG_TYPE_INT:
            tsr_log_info(log, "config", "key=%s value=%" PRId64, f->key, *(const int64_t *)p);
            break;
        case TSR_CFG_TYPE_BOOL:
            tsr_log_info(log, "config", "key=%s value=%s", f->key, *(const bool *)p ? "true" : "false");
            break;
        case TSR_CFG_TYPE_STRING:
            tsr_log_info(log, "config", "key=%s value=\"%s\"", f->key, (const char *)p);
            break;
        case TSR_CFG_TYPE_JSON: {
            char *s = *(json_t *const *)p ? json_dumps(*(json_t *const *)p, JSON_COMPACT) : NULL;
            tsr_log_info(log, "config", "key=%s value=%s", f->key, s ? s : "null");
            free(s);
            break;
        }
        }
    }
}

void tsr_config_free(const tsr_cfg_field *fields, size_t n, void *dst)
{
    for (size_t i = 0; i < n; i++) {
        if (fields[i].type != TSR_CFG_TYPE_JSON)
            continue;
        json_t **p = field_ptr(dst, &fields[i]);
        json_decref(*p);
        *p = NULL;
    }
}

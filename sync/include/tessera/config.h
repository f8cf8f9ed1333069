/*
 * Config: a JSON object loaded through a table of key, type, min, max and
 * default (redis createIntConfig). Unknown keys and out-of-range values are
 * rejected with a message naming the key and its bounds; missing keys take
 * their default, or are an error when marked required. The effective config
 * is logged at startup (secrets masked).
 *
 *   typedef struct { int64_t port; char db_path[256]; bool plain; } my_cfg;
 *   static const tsr_cfg_field fields[] = {
 *       TSR_CFG_INT(my_cfg, port, "port", 1, 65535, 5683, "CoAP UDP port"),
 *       TSR_CFG_STR(my_cfg, db_path, "db_path", 1, "node.db", "database file"),
 *       TSR_CFG_BOOL(my_cfg, plain, "allow_plain_coap", false, "loopback tests"),
 *   };
 */
#ifndef TESSERA_CONFIG_H
#define TESSERA_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/log.h"
#include "tessera/status.h"

typedef enum tsr_cfg_type {
    TSR_CFG_TYPE_INT,    /* int64_t, min..max */
    TSR_CFG_TYPE_BOOL,   /* bool */
    TSR_CFG_TYPE_STRING, /* char[size], length min..(size-1) */
    TSR_CFG_TYPE_JSON    /* json_t * (owned by the struct; tsr_config_free) of
                            JSON type `min` (a json_type), for lists and maps
                            the module parses itself */
} tsr_cfg_type;

typedef struct tsr_cfg_field {
    const char *key;
    tsr_cfg_type type;
    int64_t min, max;
    int64_t def_int;     /* INT and BOOL default */
    const char *def_str; /* STRING default; NULL means required */
    size_t offset;       /* where in the struct */
    size_t size;         /* STRING: buffer size */
    bool required;       /* INT/BOOL/JSON: no default, must be present */
    bool secret;         /* masked in the logged effective config */
    const char *help;
} tsr_cfg_field;

#define TSR_CFG_INT(T, m, k, lo, hi, def, h)                                   \
    {k, TSR_CFG_TYPE_INT, lo, hi, def, NULL, offsetof(T, m), sizeof(int64_t), false, false, h}
#define TSR_CFG_BOOL(T, m, k, def, h)                                          \
    {k, TSR_CFG_TYPE_BOOL, 0, 1, def, NULL, offsetof(T, m), sizeof(bool), false, false, h}
#define TSR_CFG_STR(T, m, k, minlen, def, h)                                   \
    {k, TSR_CFG_TYPE_STRING, minlen, 0, 0, def, offsetof(T, m), sizeof(((T *)0)->m), false, false, h}
#define TSR_CFG_REQ_STR(T, m, k, minlen, h)                                    \
    {k, TSR_CFG_TYPE_STRING, minlen, 0, 0, NULL, offsetof(T, m), sizeof(((T *)0)->m), true, false, h}
#define TSR_CFG_JSON(T, m, k, jtype, req, h)                                   \
    {k, TSR_CFG_TYPE_JSON, jtype, 0, 0, NULL, offsetof(T, m), sizeof(json_t *), req, false, h}

/* Applies the JSON object `obj` (borrowed) to `dst` through the table.
 * Defaults are written first, so a failed load leaves a defined struct that
 * must still be passed to tsr_config_free. On error, err names the key and
 * the bounds. Returns TSR_ERR_CONFIG_UNKNOWN_KEY, TSR_ERR_CONFIG_RANGE,
 * TSR_ERR_CONFIG_TYPE, TSR_ERR_FIELD_MISSING or TSR_ERR_TOO_LONG. */
tsr_status tsr_config_apply(const json_t *obj, const tsr_cfg_field *fields, size_t n,
                            void *dst, char *err, size_t errlen) TSR_MUST_CHECK;

/* Reads the file at `path` and applies it as tsr_config_apply. Also returns
 * TSR_ERR_IO (unreadable) and TSR_ERR_JSON (with line and column in err). */
tsr_status tsr_config_load_file(const char *path, const tsr_cfg_field *fields, size_t n,
                                void *dst, char *err, size_t errlen) TSR_MUST_CHECK;

/* Logs the effective config, one line per key, secrets masked. */
void tsr_config_log(tsr_log *log, const tsr_cfg_field *fields, size_t n, const void *dst);

/* Releases the JSON values held by `dst`. */
void tsr_config_free(const tsr_cfg_field *fields, size_t n, void *dst);

#endif

/* tessera-central's config table and its node list (see central.h and
 * docs/streaming.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central_int.h"

typedef struct tsr_central_config C;

static const tsr_cfg_field fields[] = {
    TSR_CFG_REQ_STR(C, central_id, "central_id", 1, "this central's name (NATS connection, logs)"),
    TSR_CFG_STR(C, nats_url, "nats_url", 1, "nats://127.0.0.1:4222",
                "NATS server(s), comma separated for a cluster"),
    TSR_CFG_REQ_STR(C, db_path, "db_path", 1, "central's SQLite store"),
    TSR_CFG_REQ_STR(C, central_key, "central_key", 1,
                    "central Ed25519 secret key file (mode 0600): signs node receipts"),
    TSR_CFG_STR(C, draw_authority_key, "draw_authority_key", 0, "",
                "draw-authority secret key file (mode 0600): signs time beacons; \"\" = no beacons"),
    TSR_CFG_STR(C, keys_manifest, "keys_manifest", 0, "",
                "tessera keygen manifest.json pinning node keys listed by bare name"),
    TSR_CFG_JSON(C, nodes, "nodes", JSON_ARRAY, true,
                 "active nodes: \"name\" (key from keys_manifest) or {\"name\",\"public_key\"}"),
    TSR_CFG_INT(C, replicas, "replicas", 1, 3, 1, "JetStream stream replicas: 1 or 3"),
    TSR_CFG_INT(C, beacon_interval_ms, "beacon_interval_ms", 100, 60000, 1000,
                "time beacon period"),
    TSR_CFG_INT(C, receipt_interval_ms, "receipt_interval_ms", 0, 60000, 200,
                "least time between two receipts to one node"),
    TSR_CFG_INT(C, replay_grace_ms, "replay_grace_ms", 10, 600000, 2000,
                "a sequence gap older than this is asked for again"),
    TSR_CFG_INT(C, replay_interval_ms, "replay_interval_ms", 10, 600000, 2000,
                "least time between two replay requests to one node"),
    TSR_CFG_INT(C, seal_grace_ms, "seal_grace_ms", 0, 3600000, 5000,
                "after a cutoff, a seal missing this long is asked for"),
    TSR_CFG_INT(C, status_stale_ms, "status_stale_ms", 100, 600000, 5000,
                "a node silent this long shows as disconnected"),
    TSR_CFG_STR(C, clock_mode, "clock", 1, "system",
                "system | offset (offset: tests and the demo only)"),
    TSR_CFG_INT(C, clock_offset_ms, "clock_offset_ms", -INT64_C(315360000000),
                INT64_C(315360000000), 0, "offset mode: added to the system time"),
    TSR_CFG_INT(C, clock_offset_error_ms, "clock_offset_error_ms", 0, 10000, 10,
                "offset mode: declared clock error bound"),
    TSR_CFG_STR(C, log_level, "log_level", 1, "info", "debug | info | warn | error"),
};

#define N_FIELDS (sizeof fields / sizeof fields[0])

const tsr_cfg_field *tsr_central_config_fields(size_t *n)
{
    *n = N_FIELDS;
    return fields;
}

/* The name of a node entry, or NULL when the entry has neither form. */
static const char *entry_name(const json_t *e)
{
    if (json_is_string(e))
        return json_string_value(e);
    if (!json_is_object(e))
        return NULL;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)e, k, v) {
        if (strcmp(k, "name") != 0 && strcmp(k, "public_key") != 0)
            return NULL; /* unknown keys are refused, as everywhere in config */
        if (!json_is_string(v))
            return NULL;
    }
    return json_string_value(json_object_get(e, "name"));
}

static tsr_status check_nodes(const C *cfg, char *err, size_t errlen)
{
    size_t n = json_array_size(cfg->nodes), i;
    if (n == 0 || n > TSR_CENTRAL_NODES_MAX) {
        snprintf(err, errlen, "config key 'nodes' must list 1 to %d nodes", TSR_CENTRAL_NODES_MAX);
        return TSR_ERR_CONFIG_RANGE;
    }
    json_t *e;
    json_array_foreach(cfg->nodes, i, e) {
        const char *name = entry_name(e);
        char subject[TSR_SUBJECT_MAX];
        if (!name || tsr_subject_node(TSR_SUBJ_TICKETS, name, subject, sizeof subject) != TSR_OK) {
            snprintf(err, errlen, "config key 'nodes' entry %zu must be a node name (1-31 of "
                     "[A-Za-z0-9_-]) or {\"name\",\"public_key\"}", i);
            return TSR_ERR_CONFIG_TYPE;
        }
        bool bare = json_is_string(e) || !json_object_get(e, "public_key");
        if (bare && !cfg->keys_manifest[0]) {
            snprintf(err, errlen, "node '%s' has no public_key and no keys_manifest is set", name);
            return TSR_ERR_CONFIG;
        }
    }
    return TSR_OK;
}

static tsr_status check(const C *cfg, char *err, size_t errlen)
{
    tsr_log_level lv;
    if (strcmp(cfg->clock_mode, "system") != 0 && strcmp(cfg->clock_mode, "offset") != 0) {
        snprintf(err, errlen, "config key 'clock' must be \"system\" or \"offset\"");
        return TSR_ERR_CONFIG_RANGE;
    }
    if (tsr_log_level_parse(cfg->log_level, &lv) != TSR_OK) {
        snprintf(err, errlen, "config key 'log_level' must be debug, info, warn or error");
        return TSR_ERR_CONFIG_RANGE;
    }
    if (cfg->replicas != 1 && cfg->replicas != 3) {
        snprintf(err, errlen, "config key 'replicas' must be 1 (one server) or 3 (a cluster)");
        return TSR_ERR_CONFIG_RANGE;
    }
    if (!tsr_name_valid(cfg->central_id)) {
        snprintf(err, errlen, "config key 'central_id' must be 1-31 of [A-Za-z0-9._-]");
        return TSR_ERR_CONFIG_RANGE;
    }
    return check_nodes(cfg, err, errlen);
}

tsr_status tsr_central_config_load(C *cfg, const char *path, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    tsr_status s = tsr_config_load_file(path, fields, N_FIELDS, cfg, err, errlen);
    return s == TSR_OK ? check(cfg, err, errlen) : s;
}

void tsr_central_config_free(C *cfg)
{
    if (cfg)
        tsr_config_free(fields, N_FIELDS, cfg);
}

static tsr_status pin_entry(const json_t *e, const char *name, tsr_keyring *kr, bool from_manifest)
{
    uint8_t pk[TSR_PK_LEN];
    if (from_manifest)
        return tsr_keyring_find_name(kr, name, pk);
    return tsr_keyring_add_file(kr, json_string_value(json_object_get(e, "public_key")), name);
}

static tsr_status nodes_into(const C *cfg, const char **names, tsr_keyring *kr, char *err,
                             size_t errlen)
{
    size_t i;
    json_t *e;
    json_array_foreach(cfg->nodes, i, e) {
        const char *name = entry_name(e);
        for (size_t k = 0; k < i; k++)
            if (strcmp(names[k], name) == 0) {
                snprintf(err, errlen, "node '%s' is listed twice", name);
                return TSR_ERR_EXISTS;
            }
        names[i] = name;
        bool bare = json_is_string(e) || !json_object_get(e, "public_key");
        tsr_status s = pin_entry(e, name, kr, bare);
        if (s != TSR_OK) {
            snprintf(err, errlen, "node '%s': %s", name,
                     bare ? "no key of that name in keys_manifest" : tsr_status_str(s));
            return s;
        }
    }
    return TSR_OK;
}

tsr_status tsr_central_config_nodes(const C *cfg, const char ***names, size_t *n,
                                    tsr_keyring **keys, char *err, size_t errlen)
{
    *names = NULL;
    *keys = NULL;
    *n = json_array_size(cfg->nodes);
    const char **list = calloc(*n ? *n : 1, sizeof *list);
    tsr_keyring *kr = NULL;
    tsr_status s = list ? tsr_keyring_create(&kr) : TSR_ERR_NOMEM;
    if (s == TSR_OK && cfg->keys_manifest[0]) {
        s = tsr_keyring_load_manifest(kr, cfg->keys_manifest, "node");
        if (s != TSR_OK)
            snprintf(err, errlen, "keys_manifest '%s': %s", cfg->keys_manifest,
                     tsr_status_str(s));
    }
    if (s == TSR_OK)
        s = nodes_into(cfg, list, kr, err, errlen);
    if (s != TSR_OK) {
        free(list);
        tsr_keyring_destroy(kr);
        return s;
    }
    *names = list;
    *keys = kr;
    return TSR_OK;
}

/* The geo service: one config file assembles map, tables and policy. */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo_svc.h"
#include "tessera/config.h"

/* Paths in the config; long enough for any deployment tree. */
#define CFG_PATH_MAX 512

typedef struct geo_cfg {
    char boundaries[CFG_PATH_MAX];
    char rules[CFG_PATH_MAX];
    char directory[CFG_PATH_MAX];
    char ip_country[CFG_PATH_MAX];
    json_t *blocklists;
    json_t *permitted;
    tsr_geo_policy policy;
} geo_cfg;

static const tsr_cfg_field fields[] = {
    TSR_CFG_REQ_STR(geo_cfg, boundaries, "boundaries", 1, "boundary file (.tgeo)"),
    TSR_CFG_STR(geo_cfg, rules, "rules", 0, "", "jurisdiction rules file, \"\" = none"),
    TSR_CFG_STR(geo_cfg, directory, "directory", 0, "", "region -> node directory, \"\" = none"),
    TSR_CFG_STR(geo_cfg, ip_country, "ip_country", 0, "", "IP -> country CIDR file, \"\" = none"),
    TSR_CFG_JSON(geo_cfg, blocklists, "blocklists", JSON_OBJECT, false,
                 "{category: CIDR file} of blocked ranges"),
    TSR_CFG_JSON(geo_cfg, permitted, "permitted", JSON_ARRAY, true,
                 "jurisdiction ids where this deployment may sell online"),
    TSR_CFG_INT(geo_cfg, policy.border_buffer_m, "border_buffer_m", 0, 100000, 200,
                "metres added to the accuracy radius at borders"),
    TSR_CFG_INT(geo_cfg, policy.max_accuracy_m, "max_accuracy_m", 1, 100000, 1000,
                "coarser fixes need a better one"),
    TSR_CFG_INT(geo_cfg, policy.max_fix_age_s, "max_fix_age_s", 1, 86400, 120,
                "older fixes are stale"),
    TSR_CFG_INT(geo_cfg, policy.max_fix_future_s, "max_fix_future_s", 0, 3600, 30,
                "tolerated device clock lead"),
    TSR_CFG_INT(geo_cfg, policy.max_speed_kmh, "max_speed_kmh", 1, 100000, 1000,
                "faster travel between fixes is impossible"),
    TSR_CFG_INT(geo_cfg, policy.recheck_s, "recheck_s", 1, 86400, 1200,
                "a pass is valid this long"),
    TSR_CFG_INT(geo_cfg, policy.recheck_near_border_s, "recheck_near_border_s", 1, 86400, 300,
                "a pass near a border is valid this long"),
    TSR_CFG_INT(geo_cfg, policy.near_border_m, "near_border_m", 0, 1000000, 1609,
                "what counts as near a border"),
    TSR_CFG_BOOL(geo_cfg, policy.recheck_on_ip_change, "recheck_on_ip_change", true,
                 "a new IP needs a new check"),
    TSR_CFG_BOOL(geo_cfg, policy.ip_country_check, "ip_country_check", true,
                 "deny when the IP's country differs from the fix's"),
};
#define NFIELDS (sizeof fields / sizeof fields[0])

/* Relative paths in the config are relative to the config's directory, so
 * a deployment tree can move as a whole. */
static void resolve_path(const char *config_path, const char *p, char *out, size_t len)
{
    if (p[0] == '/') {
        snprintf(out, len, "%s", p);
        return;
    }
    char copy[PATH_MAX];
    snprintf(copy, sizeof copy, "%s", config_path);
    snprintf(out, len, "%s/%s", dirname(copy), p);
}

static tsr_status load_permitted(tsr_geo *g, const json_t *arr, char *err, size_t errlen)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        int j;
        if (tsr_geo_map_find(g->map, json_string_value(v), &j) != TSR_OK) {
            snprintf(err, errlen, "permitted[%zu] is not a jurisdiction of the boundary file", i);
            return TSR_ERR_GEO_UNKNOWN_JURISDICTION;
        }
        const tsr_geo_rules *r;
        if (g->rules && (tsr_geo_rules_get(g, g->map->jur[j].id, &r) != TSR_OK ||
                         !r->online_sales)) {
            snprintf(err, errlen, "permitted jurisdiction %s has no rules allowing online sales",
                     g->map->jur[j].id);
            return TSR_ERR_GEO_RULES;
        }
        geo_set_add(&g->permitted, j);
    }
    return TSR_OK;
}

static tsr_status load_blocklists(tsr_geo *g, const char *config_path, const json_t *obj,
                                  char *err, size_t errlen)
{
    const char *name;
    json_t *v;
    if (json_object_size(obj) > TSR_GEO_MAX_BLOCKLISTS) {
        snprintf(err, errlen, "at most %d blocklists", TSR_GEO_MAX_BLOCKLISTS);
        return TSR_ERR_GEO_CIDR;
    }
    json_object_foreach((json_t *)obj, name, v) {
        char path[PATH_MAX];
        if (!json_is_string(v) || !*name || strlen(name) >= TSR_GEO_LABEL_MAX) {
            snprintf(err, errlen, "blocklists: \"%s\" must name a CIDR file", name);
            return TSR_ERR_GEO_CIDR;
        }
        resolve_path(config_path, json_string_value(v), path, sizeof path);
        geo_blocklist *b = &g->block[g->nblock];
        snprintf(b->name, sizeof b->name, "%s", name);
        tsr_status st = geo_iptable_load(&b->table, path, 0, err, errlen);
        if (st != TSR_OK)
            return st;
        g->nblock++;
    }
    return TSR_OK;
}

static tsr_status load_tables(tsr_geo *g, const char *cp, const geo_cfg *c, char *err,
                              size_t errlen)
{
    char path[PATH_MAX];
    tsr_status st;
    resolve_path(cp, c->boundaries, path, sizeof path);
    if ((st = tsr_geo_map_open(&g->map, path)) != TSR_OK) {
        snprintf(err, errlen, "%s: %s", path, tsr_status_str(st));
        return st;
    }
    if (c->rules[0]) {
        resolve_path(cp, c->rules, path, sizeof path);
        if ((st = geo_rules_load(path, g->map, &g->rules, &g->nrules, err, errlen)) != TSR_OK)
            return st;
    }
    if (c->directory[0]) {
        resolve_path(cp, c->directory, path, sizeof path);
        st = geo_directory_load(path, g->map, &g->regions, &g->nregions, &g->region_of, err,
                                errlen);
        if (st != TSR_OK)
            return st;
    }
    if (c->ip_country[0]) {
        resolve_path(cp, c->ip_country, path, sizeof path);
        if ((st = geo_iptable_load(&g->ip_country, path, 1, err, errlen)) != TSR_OK)
            return st;
    }
    if (c->blocklists && (st = load_blocklists(g, cp, c->blocklists, err, errlen)) != TSR_OK)
        return st;
    return load_permitted(g, c->permitted, err, errlen);
}

tsr_status tsr_geo_open(tsr_geo **out, const char *config_path, const tsr_env *env, char *err,
                        size_t errlen)
{
    *out = NULL;
    geo_cfg c;
    memset(&c, 0, sizeof c);
    tsr_status st = tsr_config_load_file(config_path, fields, NFIELDS, &c, err, errlen);
    tsr_geo *g = NULL;
    if (st == TSR_OK && !(g = calloc(1, sizeof *g)))
        st = TSR_ERR_NOMEM;
    if (st == TSR_OK) {
        g->env = *env;
        g->policy = c.policy;
        st = load_tables(g, config_path, &c, err, errlen);
    }
    if (st == TSR_OK) {
        tsr_config_log(env->log, fields, NFIELDS, &c);
        *out = g;
    } else {
        tsr_geo_close(g);
    }
    tsr_config_free(fields, NFIELDS, &c);
    return st;
}

void tsr_geo_close(tsr_geo *g)
{
    if (!g)
        return;
    tsr_geo_map_close(g->map);
    free(g->rules);
    free(g->regions);
    free(g->region_of);
    for (size_t i = 0; i < g->nblock; i++)
        geo_iptable_free(g->block[i].table);
    geo_iptable_free(g->ip_country);
    free(g);
}

const tsr_geo_map *tsr_geo_map_of(const tsr_geo *g) { return g->map; }

const tsr_geo_policy *tsr_geo_policy_of(const tsr_geo *g) { return &g->policy; }

tsr_status tsr_geo_rules_get(const tsr_geo *g, const char *jurisdiction,
                             const tsr_geo_rules **out)
{
    for (size_t i = 0; jurisdiction && i < g->nrules; i++) {
        if (strcmp(g->rules[i].jurisdiction, jurisdiction) == 0) {
            *out = &g->rules[i];
            return TSR_OK;
        }
    }
    return TSR_ERR_GEO_UNKNOWN_JURISDICTION;
}

tsr_status tsr_geo_route_find(const tsr_geo *g, double lat, double lon, tsr_geo_route *out)
{
    int j;
    tsr_status st = tsr_geo_locate(g->map, lat, lon, &j);
    if (st != TSR_OK)
        return st;
    memset(out, 0, sizeof *out);
    if (j < 0)
        return TSR_ERR_GEO_NO_NODE;
    snprintf(out->jurisdiction, sizeof out->jurisdiction, "%s", g->map->jur[j].id);
    if (!g->region_of || g->region_of[j] < 0)
        return TSR_ERR_GEO_NO_NODE;
    const geo_region *r = &g->regions[g->region_of[j]];
    snprintf(out->region, sizeof out->region, "%s", r->region);
    snprintf(out->node, sizeof out->node, "%s", r->node);
    snprintf(out->endpoint, sizeof out->endpoint, "%s", r->endpoint);
    return TSR_OK;
}

tsr_status tsr_geo_ip_info(const tsr_geo *g, const char *ip, char country[TSR_GEO_COUNTRY_MAX],
                           char blocklist[TSR_GEO_LABEL_MAX])
{
    geo_ip addr;
    tsr_status st = geo_ip_parse(ip, &addr);
    if (st != TSR_OK)
        return st;
    if (country) {
        const char *c = geo_iptable_lookup(g->ip_country, &addr);
        snprintf(country, TSR_GEO_COUNTRY_MAX, "%s", c ? c : "");
    }
    if (blocklist) {
        blocklist[0] = '\0';
        for (size_t i = 0; i < g->nblock; i++) {
            if (geo_iptable_lookup(g->block[i].table, &addr)) {
                snprintf(blocklist, TSR_GEO_LABEL_MAX, "%s", g->block[i].name);
                break;
            }
        }
    }
    return TSR_OK;
}

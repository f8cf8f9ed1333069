/*
 * The region -> node directory: which node serves the players of each
 * jurisdiction. A jurisdiction belongs to at most one region, so routing is
 * never ambiguous.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map_int.h"

/* Regions in one directory: one per edge node, a few dozen at national scale. */
#define MAX_REGIONS 256

static int copy_label(char *dst, size_t size, const json_t *v)
{
    const char *s = json_string_value(v);
    if (!s || !*s || strlen(s) >= size)
        return 0;
    snprintf(dst, size, "%s", s);
    return 1;
}

static tsr_status parse_region(const json_t *obj, size_t ri, const tsr_geo_map *m,
                               geo_region *reg, int16_t *by_jur, char *why, size_t len)
{
    json_t *jurs = json_object_get(obj, "jurisdictions");
    if (!json_is_object(obj) || json_object_size(obj) != 4 ||
        !copy_label(reg->region, sizeof reg->region, json_object_get(obj, "region")) ||
        !copy_label(reg->node, sizeof reg->node, json_object_get(obj, "node")) ||
        !copy_label(reg->endpoint, sizeof reg->endpoint, json_object_get(obj, "endpoint")) ||
        !json_is_array(jurs) || json_array_size(jurs) == 0) {
        snprintf(why, len,
                 "regions[%zu] must be {\"region\", \"node\", \"endpoint\", "
                 "\"jurisdictions\": [ids]} with non-empty strings of bounded length",
                 ri);
        return TSR_ERR_GEO_DIRECTORY;
    }
    size_t k;
    json_t *id;
    json_array_foreach(jurs, k, id) {
        int j;
        if (tsr_geo_map_find(m, json_string_value(id), &j) != TSR_OK) {
            snprintf(why, len, "regions[%zu].jurisdictions[%zu] is not in the boundary file", ri,
                     k);
            return TSR_ERR_GEO_UNKNOWN_JURISDICTION;
        }
        if (by_jur[j] >= 0) {
            snprintf(why, len, "jurisdiction %s is in two regions", m->jur[j].id);
            return TSR_ERR_GEO_DIRECTORY;
        }
        by_jur[j] = (int16_t)ri;
    }
    return TSR_OK;
}

static tsr_status parse_regions(const json_t *arr, const tsr_geo_map *m, geo_region *regs,
                                int16_t *by_jur, char *why, size_t len)
{
    size_t i;
    json_t *obj;
    json_array_foreach(arr, i, obj) {
        tsr_status st = parse_region(obj, i, m, &regs[i], by_jur, why, len);
        if (st != TSR_OK)
            return st;
        for (size_t k = 0; k < i; k++)
            if (strcmp(regs[k].region, regs[i].region) == 0) {
                snprintf(why, len, "region %s is listed twice", regs[i].region);
                return TSR_ERR_GEO_DIRECTORY;
            }
    }
    return TSR_OK;
}

tsr_status geo_directory_load(const char *path, const tsr_geo_map *m, geo_region **regions,
                              size_t *n, int16_t **by_jur, char *err, size_t errlen)
{
    *regions = NULL;
    *by_jur = NULL;
    *n = 0;
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
        return TSR_ERR_GEO_DIRECTORY;
    }
    json_t *arr = json_object_get(root, "regions");
    char why[256] = "";
    tsr_status st = TSR_ERR_GEO_DIRECTORY;
    if (!json_is_object(root) || json_object_size(root) != 1 || !json_is_array(arr) ||
        json_array_size(arr) > MAX_REGIONS) {
        snprintf(why, sizeof why, "expected {\"regions\": [...]} with at most %d regions",
                 MAX_REGIONS);
        goto out;
    }
    *regions = calloc(json_array_size(arr) ? json_array_size(arr) : 1, sizeof **regions);
    *by_jur = malloc((size_t)m->njur * sizeof **by_jur);
    st = TSR_ERR_NOMEM;
    if (!*regions || !*by_jur)
        goto out;
    for (int j = 0; j < m->njur; j++)
        (*by_jur)[j] = -1;
    st = parse_regions(arr, m, *regions, *by_jur, why, sizeof why);
    if (st == TSR_OK)
        *n = json_array_size(arr);
out:
    if (st != TSR_OK) {
        snprintf(err, errlen, "%s: %s", path, st == TSR_ERR_NOMEM ? "out of memory" : why);
        free(*regions);
        free(*by_jur);
        *regions = NULL;
        *by_jur = NULL;
    }
    json_decref(root);
    return st;
}

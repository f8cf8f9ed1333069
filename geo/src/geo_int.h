/* Private to libtessera-geo: the pieces the service assembles. */
#ifndef TESSERA_GEO_INT_H
#define TESSERA_GEO_INT_H

#include <stdint.h>

#include "tessera/geo.h"

/* A set of jurisdictions, one bit each (the permitted ones, a filter). */
#define GEO_SET_WORDS (TSR_GEO_MAX_JURISDICTIONS / 64)
typedef struct geo_set {
    uint64_t w[GEO_SET_WORDS];
} geo_set;

static inline void geo_set_add(geo_set *s, int i) { s->w[i >> 6] |= UINT64_C(1) << (i & 63); }
static inline void geo_set_flip(geo_set *s, int i) { s->w[i >> 6] ^= UINT64_C(1) << (i & 63); }
static inline int geo_set_has(const geo_set *s, int i)
{
    return (int)((s->w[i >> 6] >> (i & 63)) & 1);
}

/* Distance to the nearest border edge belonging to a jurisdiction in
 * `filter` (NULL: any jurisdiction), or limit_m when none is nearer: the
 * search costs grow with the square of the limit, so callers that only
 * compare with a radius pass that radius. The coordinates must already be
 * validated. */
double geo_map_border_distance(const tsr_geo_map *m, double lat, double lon,
                               const geo_set *filter, double limit_m);

/* True when lat/lon are finite and within range. */
int geo_coord_ok(double lat, double lon);

/* ---- CIDR tables (iplist.c) ---- */

/* A table of IPv4/IPv6 prefixes, each with a short label (a country code,
 * a block-list note). IPv4 is stored IPv4-mapped (::ffff:a.b.c.d). */
typedef struct geo_iptable geo_iptable;

/* An address in 16 bytes, network order. */
typedef struct geo_ip {
    uint8_t b[16];
} geo_ip;

/* Parses a textual IPv4 or IPv6 address. TSR_ERR_GEO_IP_INVALID. */
tsr_status geo_ip_parse(const char *s, geo_ip *out) TSR_MUST_CHECK;

/* Loads a CIDR file: one "prefix [label]" per line, '#' comments. With
 * label_required, the label must be a 2-letter upper-case country code.
 * Host bits must be zero. TSR_ERR_GEO_CIDR (err names the file and line;
 * also for an unreadable file), TSR_ERR_NOMEM. Owns *out. */
tsr_status geo_iptable_load(geo_iptable **out, const char *path, int label_required,
                            char *err, size_t errlen) TSR_MUST_CHECK;

/* Frees a table; NULL-safe. */
void geo_iptable_free(geo_iptable *t);

/* Entries loaded. */
size_t geo_iptable_size(const geo_iptable *t);

/* The label of the longest prefix containing ip (borrowed), or NULL. */
const char *geo_iptable_lookup(const geo_iptable *t, const geo_ip *ip);

/* ---- rules.c ---- */

/* Loads the rules file: {"jurisdictions": {"US-NJ": {...}, ...}}. Every id
 * must be in the map. TSR_ERR_GEO_RULES (err says which key),
 * TSR_ERR_GEO_UNKNOWN_JURISDICTION, TSR_ERR_NOMEM. Owns *out (count in *n). */
tsr_status geo_rules_load(const char *path, const tsr_geo_map *m, tsr_geo_rules **out,
                          size_t *n, char *err, size_t errlen) TSR_MUST_CHECK;

/* ---- directory.c ---- */

typedef struct geo_region {
    char region[TSR_GEO_LABEL_MAX];
    char node[TSR_GEO_LABEL_MAX];
    char endpoint[TSR_GEO_ENDPOINT_MAX];
} geo_region;

/* Loads {"regions": [{"region", "node", "endpoint", "jurisdictions": []}]}.
 * *by_jur gets one entry per map jurisdiction: its region index or -1.
 * A jurisdiction in two regions is an error. TSR_ERR_GEO_DIRECTORY,
 * TSR_ERR_GEO_UNKNOWN_JURISDICTION, TSR_ERR_NOMEM. Owns *regions, *by_jur. */
tsr_status geo_directory_load(const char *path, const tsr_geo_map *m, geo_region **regions,
                              size_t *n, int16_t **by_jur, char *err,
                              size_t errlen) TSR_MUST_CHECK;

#endif

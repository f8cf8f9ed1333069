/* Private: the service handle, shared by geo.c and check.c. */
#ifndef TESSERA_GEO_SVC_H
#define TESSERA_GEO_SVC_H

#include "map_int.h"

typedef struct geo_blocklist {
    char name[TSR_GEO_LABEL_MAX]; /* the category: "datacenter", "vpn" */
    geo_iptable *table;
} geo_blocklist;

struct tsr_geo {
    tsr_env env; /* borrowed clock and logger */
    tsr_geo_policy policy;
    tsr_geo_map *map;
    geo_set permitted;
    tsr_geo_rules *rules;
    size_t nrules;
    geo_region *regions;
    size_t nregions;
    int16_t *region_of; /* per jurisdiction: region index or -1 */
    geo_blocklist block[TSR_GEO_MAX_BLOCKLISTS];
    size_t nblock;
    geo_iptable *ip_country;
};

#endif

/* Private: the boundary map's layout, shared by map_load.c and map_index.c. */
#ifndef TESSERA_GEO_MAP_INT_H
#define TESSERA_GEO_MAP_INT_H

#include <math.h>
#include <stdint.h>

#include "geo_int.h"

/* The index is a uniform lon/lat grid of 0.25° cells (1440 x 720, ~28 km at
 * the equator). Each cell lists the edges whose bounding box touches it;
 * a cell no edge touches lies wholly inside one jurisdiction (or none), and
 * that answer is stored, so most lookups are one array read. A finer grid
 * makes border cells cheaper and costs 4x the memory per halving. */
#define GEO_CELLS_PER_DEG 4
#define GEO_COLS (360 * GEO_CELLS_PER_DEG)
#define GEO_ROWS (180 * GEO_CELLS_PER_DEG)
#define GEO_CELL_DEG (1.0 / GEO_CELLS_PER_DEG)

/* cell_state values besides a jurisdiction index. */
#define GEO_CELL_NONE 0xFFFEu  /* no edge, inside no jurisdiction */
#define GEO_CELL_MIXED 0xFFFFu /* edges cross it (or overlapping sources) */
_Static_assert(TSR_GEO_MAX_JURISDICTIONS < GEO_CELL_NONE, "cell state fits jurisdictions");

/* edge_flags bits. */
#define GEO_EDGE_NONE 1u       /* the ring's closing point: no edge starts here */
#define GEO_EDGE_ARTIFICIAL 2u /* a cut at the antimeridian or the south pole */

/* One edge in a cell's list, copied out so a border cell is scanned without
 * chasing point indexes. */
typedef struct geo_cell_edge {
    double x0, y0, x1, y1; /* lon, lat degrees */
    uint32_t point;        /* index of its first point (for the unit vectors) */
    uint16_t jur;
    uint16_t flags;
} geo_cell_edge;

typedef struct geo_ring {
    uint32_t first, count;
    uint16_t jur;
    uint16_t hole;
} geo_ring;

struct tsr_geo_map {
    int njur;
    tsr_geo_jurisdiction *jur;
    uint32_t nrings;
    geo_ring *rings;
    uint32_t npoints;
    double *lon, *lat;  /* degrees */
    double *unit;       /* 3 per point: position on the unit sphere */
    uint16_t *edge_jur; /* per point: jurisdiction of the edge starting there */
    uint8_t *edge_flags;
    /* The grid. */
    uint32_t *cell_start; /* GEO_COLS*GEO_ROWS + 1 offsets into cell_edges */
    geo_cell_edge *cell_edges;
    uint16_t *cell_state;
};

static inline int geo_col_of(double lon)
{
    int c = (int)floor((lon + 180.0) * GEO_CELLS_PER_DEG);
    return c < 0 ? 0 : c >= GEO_COLS ? GEO_COLS - 1 : c;
}

static inline int geo_row_of(double lat)
{
    int r = (int)floor((lat + 90.0) * GEO_CELLS_PER_DEG);
    return r < 0 ? 0 : r >= GEO_ROWS ? GEO_ROWS - 1 : r;
}

/* Builds the grid of a loaded map (map_index.c). TSR_ERR_NOMEM,
 * TSR_ERR_GEO_DATA when the edge references overflow. */
tsr_status geo_map_build_index(tsr_geo_map *m) TSR_MUST_CHECK;

#endif

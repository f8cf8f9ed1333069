/*
 * The spatial index and the two queries on it.
 *
 * Point in polygon is the even-odd rule with a ray cast east, done cell by
 * cell: the ray's crossings are counted only inside the cells it walks
 * through, up to the first cell no edge touches, whose state (inside
 * jurisdiction j, or none) is stored. Each crossing is counted in exactly
 * one cell (the one its x falls in), so the count equals the full ray's.
 * Parity is kept per jurisdiction, which handles holes and multipolygons
 * without knowing which ring is which.
 *
 * The distance to a border searches growing windows of cells around the
 * point, on the sphere, until no unseen cell can hold anything nearer.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "map_int.h"

#define NCELLS ((size_t)GEO_COLS * GEO_ROWS)
#define DEG (M_PI / 180.0)
/* Natural Earth ends Antarctica at -89.999 and the converter closes it along
 * the pole, so the last 0.001 degree is an artefact: the pole is answered
 * as the point 0.01 degree (1.1 km) from it. */
#define POLE_NUDGE_DEG 0.01

static double x_of_col(int c) { return -180.0 + c * GEO_CELL_DEG; }
static double y_of_row(int r) { return -90.0 + r * GEO_CELL_DEG; }

int geo_coord_ok(double lat, double lon)
{
    return isfinite(lat) && isfinite(lon) && lat >= -90.0 && lat <= 90.0 && lon >= -180.0 &&
           lon <= 180.0;
}

/* Calls fn(cell) for every cell the bounding box of edge i touches. */
#define FOR_EDGE_CELLS(m, i, cell, body)                                       \
    do {                                                                       \
        double ax_ = (m)->lon[i], ay_ = (m)->lat[i];                           \
        double bx_ = (m)->lon[(i) + 1], by_ = (m)->lat[(i) + 1];               \
        int c0_ = geo_col_of(fmin(ax_, bx_)), c1_ = geo_col_of(fmax(ax_, bx_)); \
        int r0_ = geo_row_of(fmin(ay_, by_)), r1_ = geo_row_of(fmax(ay_, by_)); \
        for (int r_ = r0_; r_ <= r1_; r_++)                                    \
            for (int c_ = c0_; c_ <= c1_; c_++) {                              \
                size_t cell = (size_t)r_ * GEO_COLS + (size_t)c_;              \
                body;                                                          \
            }                                                                  \
    } while (0)

static tsr_status count_edges(tsr_geo_map *m)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < m->npoints; i++) {
        if (m->edge_flags[i] & GEO_EDGE_NONE)
            continue;
        FOR_EDGE_CELLS(m, i, cell, { m->cell_start[cell + 1]++; total++; });
    }
    if (total > UINT32_MAX)
        return TSR_ERR_GEO_DATA;
    for (size_t c = 0; c < NCELLS; c++)
        m->cell_start[c + 1] += m->cell_start[c];
    return TSR_OK;
}

static tsr_status fill_edges(tsr_geo_map *m)
{
    size_t total = m->cell_start[NCELLS];
    m->cell_edges = malloc((total ? total : 1) * sizeof *m->cell_edges);
    uint32_t *fill = malloc(NCELLS * sizeof *fill);
    if (!m->cell_edges || !fill) {
        free(fill);
        return TSR_ERR_NOMEM;
    }
    memcpy(fill, m->cell_start, NCELLS * sizeof *fill);
    for (uint32_t i = 0; i < m->npoints; i++) {
        if (m->edge_flags[i] & GEO_EDGE_NONE)
            continue;
        geo_cell_edge e = {m->lon[i], m->lat[i], m->lon[i + 1], m->lat[i + 1],
                           i, m->edge_jur[i], m->edge_flags[i]};
        FOR_EDGE_CELLS(m, i, cell, { m->cell_edges[fill[cell]++] = e; });
    }
    free(fill);
    return TSR_OK;
}

/* Flips the parity of every jurisdiction whose edge in `cell` the eastward
 * ray from (px, py) crosses inside column `col`. The half-open rule on y
 * counts a ray through a vertex once. */
static void cross_cell(const tsr_geo_map *m, size_t cell, int col, double px, double py,
                       geo_set *parity)
{
    for (uint32_t k = m->cell_start[cell]; k < m->cell_start[cell + 1]; k++) {
        const geo_cell_edge *e = &m->cell_edges[k];
        if ((e->y0 > py) == (e->y1 > py))
            continue;
        double x = e->x0 + (py - e->y0) * (e->x1 - e->x0) / (e->y1 - e->y0);
        /* Rounding must not move the crossing out of the edge's own cells. */
        x = fmin(fmax(x, fmin(e->x0, e->x1)), fmax(e->x0, e->x1));
        if (x > px && geo_col_of(x) == col)
            geo_set_flip(parity, e->jur);
    }
}

/* Walks the row east from column `col` counting crossings, and returns the
 * stored state of the first cell with one: a jurisdiction, or -1 (none,
 * also past the antimeridian, where no polygon extends). */
static int walk_east(const tsr_geo_map *m, int row, int col, double px, double py,
                     geo_set *parity)
{
    for (int c = col; c < GEO_COLS; c++) {
        size_t cell = (size_t)row * GEO_COLS + (size_t)c;
        uint16_t s = m->cell_state[cell];
        if (s != GEO_CELL_MIXED)
            return s == GEO_CELL_NONE ? -1 : (int)s;
        cross_cell(m, cell, c, px, py, parity);
    }
    return -1;
}

/* The lowest jurisdiction in the set (precedence), or -1; and how many. */
static int lowest(const geo_set *s, int *count)
{
    int first = -1;
    *count = 0;
    for (int w = 0; w < GEO_SET_WORDS; w++) {
        if (!s->w[w])
            continue;
        if (first < 0)
            first = w * 64 + __builtin_ctzll(s->w[w]);
        *count += __builtin_popcountll(s->w[w]);
    }
    return first;
}

static int resolve(const tsr_geo_map *m, int row, int col, double px, double py, int *count)
{
    geo_set parity;
    memset(&parity, 0, sizeof parity);
    int end = walk_east(m, row, col, px, py, &parity);
    if (end >= 0)
        geo_set_flip(&parity, end);
    return lowest(&parity, count);
}

/* Each row from east to west, so a walk from an empty cell stops at the
 * next empty cell east, already known. Cells inside two overlapping
 * jurisdictions stay MIXED (walked through) so no answer is lost. */
static void fill_states(tsr_geo_map *m)
{
    for (int r = 0; r < GEO_ROWS; r++) {
        double cy = y_of_row(r) + GEO_CELL_DEG / 2;
        for (int c = GEO_COLS - 1; c >= 0; c--) {
            size_t cell = (size_t)r * GEO_COLS + (size_t)c;
            m->cell_state[cell] = GEO_CELL_MIXED;
            if (m->cell_start[cell] != m->cell_start[cell + 1])
                continue;
            /* Two touching cells no edge touches share their answer. */
            if (c + 1 < GEO_COLS && m->cell_state[cell + 1] != GEO_CELL_MIXED) {
                m->cell_state[cell] = m->cell_state[cell + 1];
                continue;
            }
            double cx = x_of_col(c) + GEO_CELL_DEG / 2;
            int count;
            int j = c + 1 < GEO_COLS ? resolve(m, r, c + 1, cx, cy, &count) : -1;
            if (c + 1 >= GEO_COLS)
                count = 0;
            m->cell_state[cell] = count == 0 ? GEO_CELL_NONE
                                  : count == 1 ? (uint16_t)j
                                               : GEO_CELL_MIXED;
        }
    }
}

tsr_status geo_map_build_index(tsr_geo_map *m)
{
    m->cell_start = calloc(NCELLS + 1, sizeof *m->cell_start);
    m->cell_state = malloc(NCELLS * sizeof *m->cell_state);
    if (!m->cell_start || !m->cell_state)
        return TSR_ERR_NOMEM;
    tsr_status st = count_edges(m);
    if (st == TSR_OK)
        st = fill_edges(m);
    if (st == TSR_OK)
        fill_states(m);
    return st;
}

tsr_status tsr_geo_locate(const tsr_geo_map *m, double lat, double lon, int *index)
{
    if (!geo_coord_ok(lat, lon))
        return TSR_ERR_GEO_COORD;
    /* +180 is -180, and the pole is one point whatever the longitude: move
     * both off the lines where the sources cut their polygons. */
    if (lon == 180.0)
        lon = -180.0;
    lat = fmin(fmax(lat, -90.0 + POLE_NUDGE_DEG), 90.0 - POLE_NUDGE_DEG);
    int row = geo_row_of(lat), col = geo_col_of(lon);
    uint16_t s = m->cell_state[(size_t)row * GEO_COLS + (size_t)col];
    if (s != GEO_CELL_MIXED) {
        *index = s == GEO_CELL_NONE ? -1 : (int)s;
        return TSR_OK;
    }
    int count;
    *index = resolve(m, row, col, lon, lat, &count);
    return TSR_OK;
}

/* ---- distance ------------------------------------------------------------ */

static void unit_of(double lat, double lon, double u[3])
{
    u[0] = cos(lat * DEG) * cos(lon * DEG);
    u[1] = cos(lat * DEG) * sin(lon * DEG);
    u[2] = sin(lat * DEG);
}

static void cross3(const double a[3], const double b[3], double o[3])
{
    o[0] = a[1] * b[2] - a[2] * b[1];
    o[1] = a[2] * b[0] - a[0] * b[2];
    o[2] = a[0] * b[1] - a[1] * b[0];
}

static double dot3(const double a[3], const double b[3])
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/* Angle between two unit vectors; atan2 stays accurate at metre scale. */
static double angle(const double a[3], const double b[3])
{
    double c[3];
    cross3(a, b, c);
    return atan2(sqrt(dot3(c, c)), dot3(a, b));
}

/* Angular distance from p to the great-circle arc a-b (cross-track when the
 * foot of the perpendicular lies on the arc, else the nearer end). */
static double arc_distance(const double p[3], const double a[3], const double b[3])
{
    double n[3], t[3];
    cross3(a, b, n);
    double nn = sqrt(dot3(n, n));
    if (nn > 1e-15) {
        cross3(a, p, t);
        int after_a = dot3(t, n) >= 0;
        cross3(p, b, t);
        if (after_a && dot3(t, n) >= 0)
            return asin(fmin(1.0, fabs(dot3(p, n)) / nn));
    }
    return fmin(angle(p, a), angle(p, b));
}

typedef struct search {
    const tsr_geo_map *m;
    const geo_set *filter;
    double lat, lon;
    double p[3];
    double best; /* radians */
} search;

/* A lower bound of the angle from the search point to any point of a cell:
 * the larger of the latitude gap and the longitude gap shrunk by the
 * cosines (hav(d) >= cos(lat1) cos(lat2) hav(dlon)). */
static double cell_bound(const search *s, int row, int col)
{
    double y0 = y_of_row(row), y1 = y0 + GEO_CELL_DEG;
    double x0 = x_of_col(col), x1 = x0 + GEO_CELL_DEG;
    double dlat = fmax(0.0, fmax(y0 - s->lat, s->lat - y1));
    double dlon = 0.0;
    if (s->lon < x0 || s->lon > x1) {
        double a = fmod(fabs(x0 - s->lon), 360.0), b = fmod(fabs(s->lon - x1), 360.0);
        dlon = fmin(fmin(a, 360.0 - a), fmin(b, 360.0 - b));
    }
    double far = fmax(fabs(y0), fabs(y1));
    double k = sqrt(fmax(0.0, cos(s->lat * DEG) * cos(far * DEG)));
    double lon_bound = 2 * asin(fmin(1.0, k * sin(dlon * DEG / 2)));
    return fmax(dlat * DEG, lon_bound);
}

static void scan_cell(search *s, int row, int col)
{
    col = ((col % GEO_COLS) + GEO_COLS) % GEO_COLS;
    size_t cell = (size_t)row * GEO_COLS + (size_t)col;
    const tsr_geo_map *m = s->m;
    if (m->cell_start[cell] == m->cell_start[cell + 1] || cell_bound(s, row, col) >= s->best)
        return;
    for (uint32_t k = m->cell_start[cell]; k < m->cell_start[cell + 1]; k++) {
        const geo_cell_edge *e = &m->cell_edges[k];
        if ((e->flags & GEO_EDGE_ARTIFICIAL) || (s->filter && !geo_set_has(s->filter, e->jur)))
            continue;
        const double *a = &m->unit[3 * (size_t)e->point];
        double d = arc_distance(s->p, a, a + 3);
        if (d < s->best)
            s->best = d;
    }
}

/* A window of rows r0..r1 and (unwrapped) columns c0..c1. */
typedef struct window {
    int r0, r1, c0, c1;
} window;

/* The least angular distance from (lat, lon) to any point outside w. */
static double outside_bound(const window *w, double lat, double lon)
{
    double b = INFINITY;
    if (w->r0 > 0)
        b = fmin(b, (lat - y_of_row(w->r0)) * DEG);
    if (w->r1 < GEO_ROWS - 1)
        b = fmin(b, (y_of_row(w->r1 + 1) - lat) * DEG);
    if (w->c1 - w->c0 + 1 < GEO_COLS) {
        /* hav(d) >= cos(lat1) cos(lat2) hav(dlon), lat2 within the rows. */
        double dl = fmin(lon - x_of_col(w->c0), x_of_col(w->c1 + 1) - lon) * DEG;
        double top = fmax(fabs(y_of_row(w->r0)), fabs(y_of_row(w->r1 + 1)));
        double k = sqrt(fmax(0.0, cos(lat * DEG) * cos(fmin(top, 90.0) * DEG)));
        b = fmin(b, 2 * asin(fmin(1.0, k * sin(fmin(dl, M_PI) / 2))));
    }
    return b;
}

/* Grows w by one cell each way and scans only the cells it gains. */
static void grow(search *s, window *w)
{
    int full = w->c1 - w->c0 + 1 >= GEO_COLS;
    int nc0 = full ? w->c0 : w->c0 - 1;
    int nc1 = full ? w->c1 : w->c1 + (w->c1 - w->c0 + 2 < GEO_COLS ? 1 : 0);
    for (int r = w->r0; r <= w->r1; r++) {
        if (nc0 < w->c0)
            scan_cell(s, r, nc0);
        if (nc1 > w->c1)
            scan_cell(s, r, nc1);
    }
    w->c0 = nc0;
    w->c1 = nc1;
    if (w->r0 > 0)
        for (int c = w->c0, r = --w->r0; c <= w->c1; c++)
            scan_cell(s, r, c);
    if (w->r1 < GEO_ROWS - 1)
        for (int c = w->c0, r = ++w->r1; c <= w->c1; c++)
            scan_cell(s, r, c);
}

double geo_map_border_distance(const tsr_geo_map *m, double lat, double lon,
                               const geo_set *filter, double limit_m)
{
    const double cap = limit_m / TSR_GEO_EARTH_RADIUS_M;
    search s = {m, filter, lat, lon, {0, 0, 0}, cap};
    unit_of(lat, lon, s.p);
    int row = geo_row_of(lat), col = geo_col_of(lon);
    window w = {row, row, col, col};
    scan_cell(&s, row, col);
    for (;;) {
        double bound = outside_bound(&w, lat, lon);
        if (s.best <= bound || bound >= cap)
            break;
        if (w.r0 == 0 && w.r1 == GEO_ROWS - 1 && w.c1 - w.c0 + 1 >= GEO_COLS)
            break;
        grow(&s, &w);
    }
    return fmin(s.best, cap) * TSR_GEO_EARTH_RADIUS_M;
}

tsr_status tsr_geo_border_distance(const tsr_geo_map *m, double lat, double lon, int index,
                                   double *metres)
{
    if (!geo_coord_ok(lat, lon))
        return TSR_ERR_GEO_COORD;
    if (index < -1 || index >= m->njur)
        return TSR_ERR_ARG;
    geo_set one;
    memset(&one, 0, sizeof one);
    if (index >= 0)
        geo_set_add(&one, index);
    *metres = geo_map_border_distance(m, lat, lon, index >= 0 ? &one : NULL,
                                      TSR_GEO_BORDER_SEARCH_MAX_M);
    return TSR_OK;
}

double tsr_geo_distance_m(double lat1, double lon1, double lat2, double lon2)
{
    double a[3], b[3];
    unit_of(lat1, lon1, a);
    unit_of(lat2, lon2, b);
    return angle(a, b) * TSR_GEO_EARTH_RADIUS_M;
}

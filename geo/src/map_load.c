/* Loading and validating a boundary file (format in geo/data/convert.mjs). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map_int.h"

#define HEADER_SIZE 24
#define JUR_SIZE 76
#define RING_SIZE 16
#define POINT_SIZE 8
#define TRAILER_SIZE 8
#define FORMAT_VERSION 1
#define E7 10000000.0
/* The largest file the limits allow, so a wrong path to a huge file is
 * refused before it is read. */
#define MAX_RINGS (TSR_GEO_MAX_POINTS / 4)
#define MAX_FILE_SIZE                                                         \
    ((size_t)HEADER_SIZE + (size_t)TSR_GEO_MAX_JURISDICTIONS * JUR_SIZE +      \
     (size_t)MAX_RINGS * RING_SIZE + (size_t)TSR_GEO_MAX_POINTS * POINT_SIZE + \
     TRAILER_SIZE)

static uint32_t u32le(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t u64le(const unsigned char *p)
{
    return (uint64_t)u32le(p) | (uint64_t)u32le(p + 4) << 32;
}

/* FNV-1a 64: catches a truncated or damaged file, not an attacker (the file
 * is part of the signed release, not input from players). */
static uint64_t fnv1a64(const unsigned char *p, size_t n)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

static tsr_status read_file(const char *path, unsigned char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return TSR_ERR_GEO_DATA;
    tsr_status st = TSR_ERR_GEO_DATA;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (size < HEADER_SIZE + TRAILER_SIZE || (size_t)size > MAX_FILE_SIZE ||
        fseek(f, 0, SEEK_SET) != 0)
        goto out;
    *buf = malloc((size_t)size);
    if (!*buf) {
        st = TSR_ERR_NOMEM;
        goto out;
    }
    if (fread(*buf, 1, (size_t)size, f) != (size_t)size) {
        free(*buf);
        *buf = NULL;
        goto out;
    }
    *len = (size_t)size;
    st = TSR_OK;
out:
    fclose(f);
    return st;
}

/* A fixed-size text field: NUL-terminated inside the field, printable. */
static int text_ok(const unsigned char *p, size_t size, size_t min_len)
{
    size_t n = strnlen((const char *)p, size);
    if (n == size || n < min_len)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] == 0x7f)
            return 0;
    return 1;
}

static int id_ok(const char *id)
{
    for (const char *c = id; *c; c++)
        if (!isupper((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '-')
            return 0;
    return 1;
}

static tsr_status parse_jurisdictions(tsr_geo_map *m, const unsigned char *p)
{
    uint32_t next_ring = 0;
    for (int i = 0; i < m->njur; i++, p += JUR_SIZE) {
        tsr_geo_jurisdiction *j = &m->jur[i];
        if (!text_ok(p, TSR_GEO_ID_MAX, 2) || !text_ok(p + 16, TSR_GEO_NAME_MAX, 1) ||
            !text_ok(p + 64, TSR_GEO_COUNTRY_MAX, 2))
            return TSR_ERR_GEO_DATA;
        memcpy(j->id, p, TSR_GEO_ID_MAX);
        memcpy(j->name, p + 16, TSR_GEO_NAME_MAX);
        memcpy(j->country, p + 64, TSR_GEO_COUNTRY_MAX);
        if (!id_ok(j->id) || !id_ok(j->country) || strlen(j->country) != 2)
            return TSR_ERR_GEO_DATA;
        for (int k = 0; k < i; k++)
            if (strcmp(m->jur[k].id, j->id) == 0)
                return TSR_ERR_GEO_DATA;
        uint32_t first = u32le(p + 68), count = u32le(p + 72);
        if (first != next_ring || count > m->nrings - first)
            return TSR_ERR_GEO_DATA;
        for (uint32_t r = first; r < first + count; r++)
            m->rings[r].jur = (uint16_t)i;
        next_ring = first + count;
    }
    return next_ring == m->nrings ? TSR_OK : TSR_ERR_GEO_DATA;
}

static tsr_status parse_rings(tsr_geo_map *m, const unsigned char *p)
{
    uint32_t next_point = 0;
    for (uint32_t r = 0; r < m->nrings; r++, p += RING_SIZE) {
        uint32_t first = u32le(p), count = u32le(p + 4), flags = u32le(p + 12);
        if (first != next_point || count < 4 || count > m->npoints - first || flags > 1)
            return TSR_ERR_GEO_DATA;
        m->rings[r].first = first;
        m->rings[r].count = count;
        m->rings[r].hole = (uint16_t)flags;
        next_point = first + count;
    }
    return next_point == m->npoints ? TSR_OK : TSR_ERR_GEO_DATA;
}

static tsr_status parse_points(tsr_geo_map *m, const unsigned char *p)
{
    for (uint32_t i = 0; i < m->npoints; i++, p += POINT_SIZE) {
        int32_t lon = (int32_t)u32le(p), lat = (int32_t)u32le(p + 4);
        if (lon < -1800000000 || lon > 1800000000 || lat < -900000000 || lat > 900000000)
            return TSR_ERR_GEO_DATA;
        m->lon[i] = lon / E7;
        m->lat[i] = lat / E7;
        double phi = m->lat[i] * (M_PI / 180.0), lam = m->lon[i] * (M_PI / 180.0);
        m->unit[3 * i] = cos(phi) * cos(lam);
        m->unit[3 * i + 1] = cos(phi) * sin(lam);
        m->unit[3 * i + 2] = sin(phi);
    }
    return TSR_OK;
}

/* An edge along the ±180° meridian or the south pole only closes a polygon
 * the source had to cut; nobody can stand on the other side of it. */
static int artificial(const tsr_geo_map *m, uint32_t a, uint32_t b)
{
    if (fabs(m->lon[a]) == 180.0 && fabs(m->lon[b]) == 180.0)
        return 1;
    return m->lat[a] <= -89.999 && m->lat[b] <= -89.999;
}

static tsr_status mark_edges(tsr_geo_map *m)
{
    for (uint32_t r = 0; r < m->nrings; r++) {
        const geo_ring *g = &m->rings[r];
        uint32_t last = g->first + g->count - 1;
        if (m->lon[g->first] != m->lon[last] || m->lat[g->first] != m->lat[last])
            return TSR_ERR_GEO_DATA; /* rings must be closed */
        for (uint32_t i = g->first; i <= last; i++) {
            m->edge_jur[i] = g->jur;
            m->edge_flags[i] = i == last ? GEO_EDGE_NONE
                               : artificial(m, i, i + 1) ? GEO_EDGE_ARTIFICIAL
                                                         : 0;
        }
    }
    return TSR_OK;
}

static tsr_status check_header(const unsigned char *b, size_t len, uint32_t *njur,
                               uint32_t *nrings, uint32_t *npoints)
{
    if (memcmp(b, "TGEO", 4) != 0 || u32le(b + 4) != FORMAT_VERSION || u32le(b + 20) != 0)
        return TSR_ERR_GEO_DATA;
    *njur = u32le(b + 8);
    *nrings = u32le(b + 12);
    *npoints = u32le(b + 16);
    if (*njur == 0 || *njur > TSR_GEO_MAX_JURISDICTIONS || *nrings > MAX_RINGS ||
        *npoints > TSR_GEO_MAX_POINTS)
        return TSR_ERR_GEO_DATA;
    size_t want = HEADER_SIZE + (size_t)*njur * JUR_SIZE + (size_t)*nrings * RING_SIZE +
                  (size_t)*npoints * POINT_SIZE + TRAILER_SIZE;
    if (len != want || fnv1a64(b, len - TRAILER_SIZE) != u64le(b + len - TRAILER_SIZE))
        return TSR_ERR_GEO_DATA;
    return TSR_OK;
}

static tsr_status alloc_arrays(tsr_geo_map *m)
{
    m->jur = calloc((size_t)m->njur, sizeof *m->jur);
    m->rings = calloc(m->nrings ? m->nrings : 1, sizeof *m->rings);
    size_t np = m->npoints ? m->npoints : 1;
    m->lon = malloc(np * sizeof(double));
    m->lat = malloc(np * sizeof(double));
    m->unit = malloc(3 * np * sizeof(double));
    m->edge_jur = malloc(np * sizeof(uint16_t));
    m->edge_flags = malloc(np);
    if (!m->jur || !m->rings || !m->lon || !m->lat || !m->unit || !m->edge_jur ||
        !m->edge_flags)
        return TSR_ERR_NOMEM;
    return TSR_OK;
}

static tsr_status parse(tsr_geo_map *m, const unsigned char *b, size_t len)
{
    uint32_t njur, nrings, npoints;
    tsr_status st = check_header(b, len, &njur, &nrings, &npoints);
    if (st != TSR_OK)
        return st;
    m->njur = (int)njur;
    m->nrings = nrings;
    m->npoints = npoints;
    if ((st = alloc_arrays(m)) != TSR_OK)
        return st;
    const unsigned char *jp = b + HEADER_SIZE;
    const unsigned char *rp = jp + (size_t)njur * JUR_SIZE;
    const unsigned char *pp = rp + (size_t)nrings * RING_SIZE;
    if ((st = parse_rings(m, rp)) != TSR_OK || (st = parse_jurisdictions(m, jp)) != TSR_OK ||
        (st = parse_points(m, pp)) != TSR_OK)
        return st;
    return mark_edges(m);
}

tsr_status tsr_geo_map_open(tsr_geo_map **out, const char *path)
{
    *out = NULL;
    if (!path)
        return TSR_ERR_GEO_DATA;
    unsigned char *buf = NULL;
    size_t len = 0;
    tsr_status st = read_file(path, &buf, &len);
    if (st != TSR_OK)
        return st;
    tsr_geo_map *m = calloc(1, sizeof *m);
    if (!m) {
        free(buf);
        return TSR_ERR_NOMEM;
    }
    st = parse(m, buf, len);
    free(buf);
    if (st == TSR_OK)
        st = geo_map_build_index(m);
    if (st != TSR_OK) {
        tsr_geo_map_close(m);
        return st;
    }
    *out = m;
    return TSR_OK;
}

void tsr_geo_map_close(tsr_geo_map *m)
{
    if (!m)
        return;
    free(m->jur);
    free(m->rings);
    free(m->lon);
    free(m->lat);
    free(m->unit);
    free(m->edge_jur);
    free(m->edge_flags);
    free(m->cell_start);
    free(m->cell_edges);
    free(m->cell_state);
    free(m);
}

int tsr_geo_map_count(const tsr_geo_map *m) { return m->njur; }

const tsr_geo_jurisdiction *tsr_geo_map_get(const tsr_geo_map *m, int index)
{
    if (index < 0 || index >= m->njur)
        return NULL;
    return &m->jur[index];
}

tsr_status tsr_geo_map_find(const tsr_geo_map *m, const char *id, int *index)
{
    for (int i = 0; id && i < m->njur; i++) {
        if (strcmp(m->jur[i].id, id) == 0) {
            *index = i;
            return TSR_OK;
        }
    }
    return TSR_ERR_GEO_UNKNOWN_JURISDICTION;
}

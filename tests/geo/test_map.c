/* Boundaries: point -> jurisdiction and distance to the border, with real
 * coordinates against the shipped Census / Natural Earth file. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/geo.h"
#include "tsr_test.h"

static tsr_geo_map *map;

static void open_map(void)
{
    char path[1024];
    tsr_test_src("geo/data/jurisdictions.tgeo", path, sizeof path);
    ck_assert_int_eq(tsr_geo_map_open(&map, path), TSR_OK);
}

static void close_map(void) { tsr_geo_map_close(map); }

/* The id of the jurisdiction at (lat, lon), or "none". */
static const char *at(double lat, double lon)
{
    int j = -2;
    ck_assert_int_eq(tsr_geo_locate(map, lat, lon, &j), TSR_OK);
    ck_assert_int_ge(j, -1);
    return j < 0 ? "none" : tsr_geo_map_get(map, j)->id;
}

static double border(double lat, double lon, const char *id)
{
    int j = -1;
    if (id)
        ck_assert_int_eq(tsr_geo_map_find(map, id, &j), TSR_OK);
    double d = -1;
    ck_assert_int_eq(tsr_geo_border_distance(map, lat, lon, j, &d), TSR_OK);
    return d;
}

START_TEST(points_well_inside_several_jurisdictions)
{
    ck_assert_str_eq(at(40.0583, -74.4057), "US-NJ"); /* Jackson, NJ */
    ck_assert_str_eq(at(42.6526, -73.7562), "US-NY"); /* Albany */
    ck_assert_str_eq(at(40.2732, -76.8867), "US-PA"); /* Harrisburg */
    ck_assert_str_eq(at(61.2181, -149.9003), "US-AK"); /* Anchorage */
    ck_assert_str_eq(at(18.4655, -66.1057), "US-PR");  /* San Juan */
    ck_assert_str_eq(at(48.8566, 2.3522), "FR");       /* Paris */
    ck_assert_str_eq(at(51.5074, -0.1278), "GB");      /* London */
    ck_assert_str_eq(at(52.5200, 13.4050), "DE");      /* Berlin */
    ck_assert_str_eq(at(-26.2041, 28.0473), "ZA");     /* Johannesburg */
    ck_assert_str_eq(at(-33.8688, 151.2093), "AU");    /* Sydney */
    ck_assert_str_eq(at(35.6762, 139.6503), "JP");     /* Tokyo */
    const tsr_geo_jurisdiction *nj = NULL;
    int j;
    ck_assert_int_eq(tsr_geo_map_find(map, "US-NJ", &j), TSR_OK);
    nj = tsr_geo_map_get(map, j);
    ck_assert_str_eq(nj->name, "New Jersey");
    ck_assert_str_eq(nj->country, "US");
    ck_assert_int_eq(tsr_geo_map_find(map, "US-PR", &j), TSR_OK);
    ck_assert_str_eq(tsr_geo_map_get(map, j)->country, "PR");
    ck_assert_int_gt(tsr_geo_map_count(map), 250);
    /* Deep inside: tens of kilometres from any border. */
    ck_assert_double_gt(border(40.0583, -74.4057, "US-NJ"), 20000);
    ck_assert_double_gt(border(40.2732, -76.8867, "US-PA"), 50000);
}
END_TEST

/* A Census edge shared by New Jersey and Pennsylvania along the Delaware
 * (-74.8604,40.0836 to -74.8173,40.1275); the points sit 25 m either side of
 * its midpoint. */
START_TEST(points_metres_from_a_border_on_both_sides)
{
    const double pa_lat = 40.1056885, pa_lon = -74.8391022;
    const double nj_lat = 40.1054182, nj_lon = -74.8386323;
    ck_assert_str_eq(at(pa_lat, pa_lon), "US-PA");
    ck_assert_str_eq(at(nj_lat, nj_lon), "US-NJ");
    double d_pa = border(pa_lat, pa_lon, "US-PA"), d_nj = border(nj_lat, nj_lon, "US-NJ");
    ck_assert_double_gt(d_pa, 20);
    ck_assert_double_lt(d_pa, 30);
    ck_assert_double_gt(d_nj, 20);
    ck_assert_double_lt(d_nj, 30);
    /* From the PA side, New Jersey's border is the same line. */
    ck_assert_double_lt(fabs(border(pa_lat, pa_lon, "US-NJ") - d_pa), 1.0);
    ck_assert_double_lt(border(pa_lat, pa_lon, NULL), 30);
}
END_TEST

/* Natural Earth cuts Lesotho out of South Africa, and San Marino out of
 * Italy: the holes belong to the enclave, and the hole's ring is a border
 * of the surrounding country. */
START_TEST(enclave_holes)
{
    ck_assert_str_eq(at(-29.3100, 27.4800), "LS"); /* Maseru */
    ck_assert_str_eq(at(-29.6000, 28.3000), "LS"); /* the middle of Lesotho */
    ck_assert_str_eq(at(-29.0000, 25.0000), "ZA");
    ck_assert_str_eq(at(43.9400, 12.4500), "SM"); /* San Marino */
    ck_assert_str_eq(at(43.9500, 12.4000), "IT");
    ck_assert_str_eq(at(41.8900, 12.4900), "IT"); /* Rome */
    double to_ls = border(-29.6, 28.3, "LS"), to_za = border(-29.6, 28.3, "ZA");
    ck_assert_double_gt(to_ls, 40000);
    ck_assert_double_lt(fabs(to_ls - to_za), 1.0);
}
END_TEST

START_TEST(points_at_sea)
{
    ck_assert_str_eq(at(0.0, -150.0), "none");  /* the middle of the Pacific */
    ck_assert_str_eq(at(40.0, -70.0), "none");  /* Atlantic, off New Jersey */
    ck_assert_str_eq(at(-60.0, 0.0), "none");   /* Southern Ocean */
    double d = border(0.0, -150.0, NULL);
    ck_assert_double_gt(d, 500000); /* Kiribati's atolls are the nearest land */
    ck_assert_double_le(d, TSR_GEO_BORDER_SEARCH_MAX_M);
    d = border(40.0, -70.0, NULL);
    ck_assert_double_gt(d, 100000);
    ck_assert_double_lt(d, 200000);
}
END_TEST

/* Chukotka, Fiji and the Aleutians straddle ±180°: both sides belong to the
 * same jurisdiction, and the cut along the meridian is not a border. */
START_TEST(antimeridian)
{
    ck_assert_str_eq(at(67.5, 179.95), "RU");
    ck_assert_str_eq(at(67.5, -179.95), "RU");
    ck_assert_str_eq(at(67.5, 180.0), "RU");
    ck_assert_double_gt(border(67.5, 179.95, "RU"), 50000);
    ck_assert_double_gt(border(67.5, -179.95, "RU"), 50000);
    ck_assert_str_eq(at(-16.75, -179.95), "FJ");
    ck_assert_str_eq(at(-17.8, 178.0), "FJ");         /* Viti Levu */
    ck_assert_str_eq(at(52.9, 173.1), "US-AK");        /* Attu, east of 180 */
    ck_assert_str_eq(at(51.88, -176.65), "US-AK");     /* Adak */
    /* A distance measured across the meridian wraps around it. */
    double across = tsr_geo_distance_m(0, 179.999, 0, -179.999);
    ck_assert_double_gt(across, 200);
    ck_assert_double_lt(across, 250);
}
END_TEST

START_TEST(poles_and_edges_of_the_grid)
{
    ck_assert_str_eq(at(-89.5, 0.0), "AQ");
    ck_assert_str_eq(at(-90.0, 0.0), "AQ");
    ck_assert_str_eq(at(90.0, 0.0), "none");
    ck_assert_str_eq(at(0.0, -180.0), "none");
    double d = border(90.0, 45.0, NULL);
    ck_assert_double_gt(d, 600000); /* Greenland's north coast is ~700 km away */
}
END_TEST

START_TEST(distance_on_the_sphere)
{
    /* Paris - London, 343.5 km on the IUGG mean sphere. */
    double d = tsr_geo_distance_m(48.8566, 2.3522, 51.5074, -0.1278);
    ck_assert_double_gt(d, 343000);
    ck_assert_double_lt(d, 344500);
    ck_assert_double_eq(tsr_geo_distance_m(10, 20, 10, 20), 0);
    /* One degree of latitude. */
    d = tsr_geo_distance_m(0, 0, 1, 0);
    ck_assert_double_lt(fabs(d - TSR_GEO_EARTH_RADIUS_M * M_PI / 180), 0.01);
}
END_TEST

START_TEST(bad_coordinates_and_indexes)
{
    int j;
    double d;
    ck_assert_int_eq(tsr_geo_locate(map, 90.0001, 0, &j), TSR_ERR_GEO_COORD);
    ck_assert_int_eq(tsr_geo_locate(map, 0, -180.5, &j), TSR_ERR_GEO_COORD);
    ck_assert_int_eq(tsr_geo_locate(map, NAN, 0, &j), TSR_ERR_GEO_COORD);
    ck_assert_int_eq(tsr_geo_locate(map, 0, INFINITY, &j), TSR_ERR_GEO_COORD);
    ck_assert_int_eq(tsr_geo_border_distance(map, -91, 0, -1, &d), TSR_ERR_GEO_COORD);
    ck_assert_int_eq(tsr_geo_border_distance(map, 0, 0, tsr_geo_map_count(map), &d), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_geo_border_distance(map, 0, 0, -2, &d), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_geo_map_find(map, "US-XX", &j), TSR_ERR_GEO_UNKNOWN_JURISDICTION);
    ck_assert_int_eq(tsr_geo_map_find(map, "us-nj", &j), TSR_ERR_GEO_UNKNOWN_JURISDICTION);
    ck_assert_ptr_null(tsr_geo_map_get(map, -1));
    ck_assert_ptr_null(tsr_geo_map_get(map, tsr_geo_map_count(map)));
}
END_TEST

/* A fixed-seed sweep: the grid answer equals a brute-force even-odd test
 * over every ring, so the index never changes an answer. */
START_TEST(index_agrees_with_brute_force)
{
    char path[1024];
    tsr_test_src("geo/data/jurisdictions.tgeo", path, sizeof path);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    static unsigned char buf[1 << 21];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    ck_assert_uint_lt(len, sizeof buf);
    uint32_t nj, nr;
    memcpy(&nj, buf + 8, 4);
    memcpy(&nr, buf + 12, 4);
    const unsigned char *rings = buf + 24 + 76 * nj, *pts = rings + 16 * nr;
    uint64_t seed = 20261123;
    printf("index_agrees_with_brute_force: seed %llu\n", (unsigned long long)seed);
    for (int n = 0; n < 1000; n++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        double lat = 24 + (double)(seed >> 40) / (double)(1ULL << 24) * 28;  /* 24..52 */
        double lon = -125 + (double)((seed >> 16) & 0xffffff) / (double)(1 << 24) * 150;
        int want = -1;
        for (int j = 0; j < (int)nj && want < 0; j++) {
            uint32_t fr, cnt;
            memcpy(&fr, buf + 24 + 76 * j + 68, 4);
            memcpy(&cnt, buf + 24 + 76 * j + 72, 4);
            int inside = 0;
            for (uint32_t r = fr; r < fr + cnt; r++) {
                uint32_t first, count;
                memcpy(&first, rings + 16 * r, 4);
                memcpy(&count, rings + 16 * r + 4, 4);
                for (uint32_t i = first; i + 1 < first + count; i++) {
                    int32_t v[4];
                    memcpy(v, pts + 8 * i, 16);
                    double x0 = v[0] / 1e7, y0 = v[1] / 1e7, x1 = v[2] / 1e7, y1 = v[3] / 1e7;
                    if ((y0 > lat) != (y1 > lat) &&
                        lon < x0 + (lat - y0) * (x1 - x0) / (y1 - y0))
                        inside ^= 1;
                }
            }
            if (inside)
                want = j;
        }
        int got;
        ck_assert_int_eq(tsr_geo_locate(map, lat, lon, &got), TSR_OK);
        ck_assert_msg(got == want, "(%f, %f): index %d, brute force %d", lat, lon, got, want);
    }
}
END_TEST

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

START_TEST(corrupt_boundary_files_are_refused)
{
    char src[1024], dir[256], path[512];
    tsr_test_src("geo/data/jurisdictions.tgeo", src, sizeof src);
    tsr_test_tmpdir("geo-map", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/j.tgeo", dir);
    FILE *f = fopen(src, "rb");
    static unsigned char buf[1 << 21];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    tsr_geo_map *m = NULL;
    ck_assert_int_eq(tsr_geo_map_open(&m, "/nonexistent/j.tgeo"), TSR_ERR_GEO_DATA);
    ck_assert_ptr_null(m);
    write_file(path, buf, len - 1); /* truncated */
    ck_assert_int_eq(tsr_geo_map_open(&m, path), TSR_ERR_GEO_DATA);
    buf[len / 2] ^= 1; /* one flipped bit: the checksum catches it */
    write_file(path, buf, len);
    ck_assert_int_eq(tsr_geo_map_open(&m, path), TSR_ERR_GEO_DATA);
    buf[len / 2] ^= 1;
    buf[0] = 'X'; /* wrong magic */
    write_file(path, buf, len);
    ck_assert_int_eq(tsr_geo_map_open(&m, path), TSR_ERR_GEO_DATA);
    buf[0] = 'T';
    write_file(path, "TGEO", 4);
    ck_assert_int_eq(tsr_geo_map_open(&m, path), TSR_ERR_GEO_DATA);
    write_file(path, buf, len); /* intact again: loads */
    ck_assert_int_eq(tsr_geo_map_open(&m, path), TSR_OK);
    tsr_geo_map_close(m);
    tsr_geo_map_close(NULL);
    tsr_test_rmtree(dir);
}
END_TEST

static Suite *map_suite(void)
{
    Suite *s = suite_create("geo_map");
    TCase *tc = tcase_create("map");
    tcase_add_checked_fixture(tc, open_map, close_map);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, points_well_inside_several_jurisdictions);
    tcase_add_test(tc, points_metres_from_a_border_on_both_sides);
    tcase_add_test(tc, enclave_holes);
    tcase_add_test(tc, points_at_sea);
    tcase_add_test(tc, antimeridian);
    tcase_add_test(tc, poles_and_edges_of_the_grid);
    tcase_add_test(tc, distance_on_the_sphere);
    tcase_add_test(tc, bad_coordinates_and_indexes);
    tcase_add_test(tc, index_agrees_with_brute_force);
    tcase_add_test(tc, corrupt_boundary_files_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(map_suite()); }

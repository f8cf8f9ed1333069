/*
 * tessera-geo: the geofencing library from the command line.
 *
 *   tessera-geo locate --lat 40.22 --lon -74.76 [--data FILE]
 *   tessera-geo route  --lat 40.22 --lon -74.76 [--config FILE]
 *   tessera-geo check  --lat .. --lon .. --accuracy M [--age-s S] [--source gps]
 *                      [--mock] [--ip ADDR] [--state FILE] [--config FILE]
 *   tessera-geo rules  --jurisdiction US-NJ [--config FILE]
 *   tessera-geo bench  [--data FILE] [--seconds S] [--seed N]
 *
 * The boundary file defaults to $TSR_GEO_DATA, else the repository's
 * geo/data/jurisdictions.tgeo; the config to $TSR_GEO_CONFIG, else
 * deploy/geo/geo.json. Errors print the status sentence and exit with its
 * sysexits(3) code; `check` exits 0 only when the location is allowed.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/geo.h"

#ifndef TSR_GEO_DEFAULT_DATA
#define TSR_GEO_DEFAULT_DATA "geo/data/jurisdictions.tgeo"
#endif
#ifndef TSR_GEO_DEFAULT_CONFIG
#define TSR_GEO_DEFAULT_CONFIG "deploy/geo/geo.json"
#endif

/* Bench workload size: enough points to defeat the branch predictor's
 * memory of answers, small enough to stay in cache like real traffic's
 * hot cells. */
#define BENCH_POINTS 65536
#define BENCH_SECONDS_MAX 60
#define BENCH_STRIDE 256

typedef struct opts {
    const char *data, *config, *jurisdiction, *ip, *state, *source;
    double lat, lon, accuracy, age_s;
    bool has_lat, has_lon, mock;
    long seconds;
    unsigned long long seed;
} opts;

static int fail(tsr_status st, const char *detail)
{
    fprintf(stderr, "tessera-geo: %s%s%s (%s)\n", tsr_status_str(st), detail ? ": " : "",
            detail ? detail : "", tsr_status_name(st));
    return tsr_status_exit_code(st);
}

static int usage(void)
{
    fprintf(stderr,
            "usage: tessera-geo locate|route|check|rules|bench [options]\n"
            "  --lat D --lon D        a point, degrees\n"
            "  --accuracy M           check: accuracy radius, metres\n"
            "  --age-s S              check: age of the fix, seconds (default 0)\n"
            "  --source gps|wifi|cell|ip, --mock, --ip ADDR   check: the report\n"
            "  --state FILE           check: previous state (JSON), rewritten\n"
            "  --jurisdiction ID      rules: whose rules\n"
            "  --data FILE            boundary file   --config FILE  geo config\n"
            "  --seconds S --seed N   bench: duration per figure, point seed\n");
    return tsr_status_exit_code(TSR_ERR_USAGE);
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return errno == 0 && end != s && *end == '\0';
}

static int parse_opts(int argc, char **argv, opts *o)
{
    static const struct option longs[] = {
        {"lat", 1, 0, 'a'},    {"lon", 1, 0, 'o'},     {"accuracy", 1, 0, 'r'},
        {"age-s", 1, 0, 'g'},  {"source", 1, 0, 's'},  {"mock", 0, 0, 'm'},
        {"ip", 1, 0, 'i'},     {"state", 1, 0, 't'},   {"jurisdiction", 1, 0, 'j'},
        {"data", 1, 0, 'd'},   {"config", 1, 0, 'c'},  {"seconds", 1, 0, 'S'},
        {"seed", 1, 0, 'e'},   {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        int ok = 1;
        switch (ch) {
        case 'a': ok = parse_double(optarg, &o->lat); o->has_lat = true; break;
        case 'o': ok = parse_double(optarg, &o->lon); o->has_lon = true; break;
        case 'r': ok = parse_double(optarg, &o->accuracy); break;
        case 'g': ok = parse_double(optarg, &o->age_s); break;
        case 's': o->source = optarg; break;
        case 'm': o->mock = true; break;
        case 'i': o->ip = optarg; break;
        case 't': o->state = optarg; break;
        case 'j': o->jurisdiction = optarg; break;
        case 'd': o->data = optarg; break;
        case 'c': o->config = optarg; break;
        case 'S': o->seconds = strtol(optarg, NULL, 10); ok = o->seconds > 0 && o->seconds <= BENCH_SECONDS_MAX; break;
        case 'e': o->seed = strtoull(optarg, NULL, 10); break;
        default: ok = 0;
        }
        if (!ok)
            return 0;
    }
    return optind == argc;
}

static tsr_status open_geo(const opts *o, tsr_env *env, tsr_geo **g)
{
    char err[512] = "";
    tsr_status st = tsr_geo_open(g, o->config, env, err, sizeof err);
    if (st != TSR_OK)
        fail(st, err);
    return st;
}

static int cmd_locate(const opts *o)
{
    if (!o->has_lat || !o->has_lon)
        return usage();
    tsr_geo_map *m;
    tsr_status st = tsr_geo_map_open(&m, o->data);
    if (st != TSR_OK)
        return fail(st, o->data);
    int j;
    double d;
    st = tsr_geo_locate(m, o->lat, o->lon, &j);
    if (st == TSR_OK)
        st = tsr_geo_border_distance(m, o->lat, o->lon, j, &d);
    if (st == TSR_OK) {
        const tsr_geo_jurisdiction *info = tsr_geo_map_get(m, j);
        const char *cap = d >= TSR_GEO_BORDER_SEARCH_MAX_M ? ">= " : "";
        if (info)
            printf("jurisdiction %s (%s, %s)\nborder %s%.0f m\n", info->id, info->name,
                   info->country, cap, d);
        else
            printf("jurisdiction none (at sea or unclaimed)\nnearest border %s%.0f m\n", cap, d);
    }
    tsr_geo_map_close(m);
    return st == TSR_OK ? 0 : fail(st, NULL);
}

static int cmd_route(const opts *o, tsr_env *env)
{
    if (!o->has_lat || !o->has_lon)
        return usage();
    tsr_geo *g;
    tsr_status st = open_geo(o, env, &g);
    if (st != TSR_OK)
        return tsr_status_exit_code(st);
    tsr_geo_route r;
    st = tsr_geo_route_find(g, o->lat, o->lon, &r);
    if (st == TSR_OK)
        printf("jurisdiction %s\nregion %s\nnode %s\nendpoint %s\n", r.jurisdiction, r.region,
               r.node, r.endpoint);
    else if (st == TSR_ERR_GEO_NO_NODE)
        printf("jurisdiction %s\nnode none\n", r.jurisdiction[0] ? r.jurisdiction : "none");
    tsr_geo_close(g);
    return st == TSR_OK ? 0 : fail(st, NULL);
}

static int cmd_rules(const opts *o, tsr_env *env)
{
    if (!o->jurisdiction)
        return usage();
    tsr_geo *g;
    tsr_status st = open_geo(o, env, &g);
    if (st != TSR_OK)
        return tsr_status_exit_code(st);
    const tsr_geo_rules *r;
    st = tsr_geo_rules_get(g, o->jurisdiction, &r);
    if (st == TSR_OK) {
        json_t *j = tsr_geo_rules_json(r);
        st = j && json_dumpf(j, stdout, JSON_INDENT(2)) == 0 ? TSR_OK : TSR_ERR_NOMEM;
        printf("\n");
        json_decref(j);
    }
    tsr_geo_close(g);
    return st == TSR_OK ? 0 : fail(st, o->jurisdiction);
}

static tsr_status load_state(const char *path, tsr_geo_state *s)
{
    memset(s, 0, sizeof *s);
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f)
        return TSR_OK; /* no file yet: a player never checked */
    json_error_t jerr;
    json_t *j = json_loadf(f, 0, &jerr);
    fclose(f);
    tsr_status st = j ? tsr_geo_state_from_json(j, s) : TSR_ERR_JSON;
    json_decref(j);
    return st;
}

static tsr_status save_state(const char *path, const tsr_geo_state *s)
{
    json_t *j = tsr_geo_state_to_json(s);
    tsr_status st = j && json_dump_file(j, path, JSON_INDENT(2)) == 0 ? TSR_OK : TSR_ERR_IO;
    json_decref(j);
    return st;
}

static tsr_status build_report(const opts *o, tsr_clock *clock, tsr_geo_report *r)
{
    memset(r, 0, sizeof *r);
    r->lat = o->lat;
    r->lon = o->lon;
    r->accuracy_m = o->accuracy;
    r->mock = o->mock;
    r->fix_time_ns = tsr_clock_now_ns(clock) - (int64_t)llround(o->age_s * 1e9);
    if (o->ip && strlen(o->ip) >= sizeof r->ip)
        return TSR_ERR_GEO_IP_INVALID;
    snprintf(r->ip, sizeof r->ip, "%s", o->ip ? o->ip : "");
    return tsr_geo_source_parse(o->source ? o->source : "gps", &r->source);
}

static int cmd_check(const opts *o, tsr_env *env)
{
    if (!o->has_lat || !o->has_lon || o->accuracy <= 0)
        return usage();
    tsr_geo_report r;
    tsr_geo_state prev, next;
    tsr_status st = build_report(o, env->clock, &r);
    if (st == TSR_OK)
        st = load_state(o->state, &prev);
    if (st != TSR_OK)
        return fail(st, NULL);
    tsr_geo *g;
    if ((st = open_geo(o, env, &g)) != TSR_OK)
        return tsr_status_exit_code(st);
    tsr_geo_decision d;
    st = tsr_geo_check(g, &r, &prev, &d, &next);
    tsr_geo_close(g);
    if (st != TSR_OK)
        return fail(st, NULL);
    json_t *j = tsr_geo_decision_json(&d);
    if (!j || json_dumpf(j, stdout, JSON_INDENT(2)) != 0)
        st = TSR_ERR_NOMEM;
    printf("\n");
    json_decref(j);
    if (st == TSR_OK && o->state)
        st = save_state(o->state, &next);
    if (st != TSR_OK)
        return fail(st, NULL);
    return d.outcome == TSR_GEO_ALLOWED ? 0 : tsr_status_exit_code(d.status);
}

/* splitmix64: a fixed, seedable point generator for the benchmark only. */
static uint64_t next_rand(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s, double lo, double hi)
{
    return lo + (hi - lo) * (double)(next_rand(s) >> 11) / 9007199254740992.0;
}

typedef struct bench_area {
    const char *name;
    double lat0, lat1, lon0, lon1;
} bench_area;

/* Runs lookups (or border distances) over the points for `seconds` and
 * returns operations per second; `sink` keeps the work from being elided. */
static double bench_run(const tsr_geo_map *m, tsr_clock *clock, const double *pts,
                        long seconds, bool distance, long *sink)
{
    int64_t start = tsr_clock_mono_ns(clock), end = start + seconds * TSR_NS_PER_S, now;
    long ops = 0;
    int i = 0;
    do {
        /* Read the clock every BENCH_STRIDE operations: often enough for
         * slow mid-ocean distance searches, rarely enough not to count. */
        for (int k = 0; k < BENCH_STRIDE; k++, i = (i + 1) % BENCH_POINTS) {
            int j = -1;
            double d = 0;
            tsr_status st = distance
                                ? tsr_geo_border_distance(m, pts[2 * i], pts[2 * i + 1], -1, &d)
                                : tsr_geo_locate(m, pts[2 * i], pts[2 * i + 1], &j);
            *sink += j + (long)d + (long)st;
        }
        ops += BENCH_STRIDE;
        now = tsr_clock_mono_ns(clock);
    } while (now < end);
    return (double)ops / ((double)(now - start) / (double)TSR_NS_PER_S);
}

/* Full decisions (lookup, capped border search, travel, IP tables) on
 * reports around New Jersey, the shipped config's permitted jurisdiction. */
static void bench_checks(const opts *o, tsr_env *env, long seconds)
{
    tsr_geo *g;
    char err[512];
    if (tsr_geo_open(&g, o->config, env, err, sizeof err) != TSR_OK) {
        printf("decisions: skipped (%s)\n", err);
        return;
    }
    uint64_t s = o->seed;
    tsr_geo_state state = {0};
    tsr_geo_decision d;
    long ops = 0, allowed = 0;
    int64_t start = tsr_clock_mono_ns(env->clock), end = start + seconds * TSR_NS_PER_S, now;
    do {
        for (int k = 0; k < BENCH_STRIDE; k++) {
            tsr_geo_report r = {uniform(&s, 39.5, 41.5), uniform(&s, -76, -73.5), 20,
                                tsr_clock_now_ns(env->clock), TSR_GEO_SOURCE_GPS, false,
                                "192.0.2.10"};
            state.has_fix = false; /* every report is a first one: no travel */
            if (tsr_geo_check(g, &r, &state, &d, &state) == TSR_OK)
                allowed += d.outcome == TSR_GEO_ALLOWED;
        }
        ops += BENCH_STRIDE;
        now = tsr_clock_mono_ns(env->clock);
    } while (now < end);
    printf("%-45s decide %11.0f checks/s    (%.0f%% allowed)\n", "NJ/NY/PA reports, shipped config",
           (double)ops / ((double)(now - start) / (double)TSR_NS_PER_S), 100.0 * allowed / ops);
    tsr_geo_close(g);
}

static int cmd_bench(const opts *o, tsr_env *env)
{
    static const bench_area areas[] = {
        {"world (lat -60..75, all lon)", -60, 75, -180, 180},
        {"contiguous US bbox", 24.5, 49.5, -125, -66.9},
        {"NJ/NY/PA borders (39.5..41.5, -76..-73.5)", 39.5, 41.5, -76, -73.5},
    };
    tsr_geo_map *m;
    tsr_status st = tsr_geo_map_open(&m, o->data);
    if (st != TSR_OK)
        return fail(st, o->data);
    double *pts = malloc(2 * BENCH_POINTS * sizeof *pts);
    if (!pts) {
        tsr_geo_map_close(m);
        return fail(TSR_ERR_NOMEM, NULL);
    }
    long sink = 0, seconds = o->seconds ? o->seconds : 2;
    printf("seed %llu, %d points per area, %ld s per figure, one thread\n", o->seed,
           BENCH_POINTS, seconds);
    for (size_t a = 0; a < sizeof areas / sizeof areas[0]; a++) {
        uint64_t s = o->seed + a;
        for (int i = 0; i < BENCH_POINTS; i++) {
            pts[2 * i] = uniform(&s, areas[a].lat0, areas[a].lat1);
            pts[2 * i + 1] = uniform(&s, areas[a].lon0, areas[a].lon1);
        }
        double l = bench_run(m, env->clock, pts, seconds, false, &sink);
        double d = bench_run(m, env->clock, pts, seconds, true, &sink);
        printf("%-45s locate %11.0f lookups/s   border distance %9.0f /s\n", areas[a].name, l, d);
    }
    bench_checks(o, env, seconds);
    fprintf(stderr, "(checksum %ld)\n", sink);
    free(pts);
    tsr_geo_map_close(m);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    opts o = {0};
    o.data = getenv("TSR_GEO_DATA") ? getenv("TSR_GEO_DATA") : TSR_GEO_DEFAULT_DATA;
    o.config = getenv("TSR_GEO_CONFIG") ? getenv("TSR_GEO_CONFIG") : TSR_GEO_DEFAULT_CONFIG;
    o.seed = 1;
    if (!parse_opts(argc - 1, argv + 1, &o))
        return usage();
    tsr_clock *clock;
    tsr_log *log;
    if (tsr_clock_real_create(&clock) != TSR_OK)
        return fail(TSR_ERR_NOMEM, NULL);
    if (tsr_log_create(&log, stderr, clock, "geo", TSR_LOG_WARN) != TSR_OK) {
        tsr_clock_destroy(clock);
        return fail(TSR_ERR_NOMEM, NULL);
    }
    tsr_env env = {clock, NULL, log};
    int rc = strcmp(cmd, "locate") == 0  ? cmd_locate(&o)
             : strcmp(cmd, "route") == 0 ? cmd_route(&o, &env)
             : strcmp(cmd, "check") == 0 ? cmd_check(&o, &env)
             : strcmp(cmd, "rules") == 0 ? cmd_rules(&o, &env)
             : strcmp(cmd, "bench") == 0 ? cmd_bench(&o, &env)
                                         : usage();
    tsr_log_destroy(log);
    tsr_clock_destroy(clock);
    return rc;
}

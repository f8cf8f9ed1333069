/*
 * Geofencing: which jurisdiction a player stands in, judged against real
 * boundaries (US Census states, Natural Earth countries; geo/data/SOURCE.md),
 * and whether a location report lets them bet there.
 *
 * Three layers, each usable alone:
 *   tsr_geo_map   the boundaries and their spatial index: point ->
 *                 jurisdiction in about a microsecond or less, and the
 *                 distance to the nearest border in metres on the sphere.
 *   tables        CIDR block lists and the IP -> country table, the
 *                 jurisdiction rules file, the region -> node directory.
 *   tsr_geo       all of the above plus the policy, opened from one JSON
 *                 config (deploy/geo/geo.json); tsr_geo_check() turns one
 *                 location report and the player's previous state into a
 *                 decision, its reasons and the player's new state.
 *
 * The node's whole integration is:
 *
 *   tsr_geo *geo;   tsr_geo_open(&geo, "deploy/geo/geo.json", &env, err, len);
 *   ...per location report from a player (ip = the peer address):
 *   tsr_geo_decision d;  tsr_geo_state next;
 *   tsr_geo_check(geo, &report, &player->geo_state, &d, &next);
 *   player->geo_state = next;              (persist it with the player)
 *   json_t *ev = tsr_geo_decision_json(&d); (audit record; caller decrefs)
 *   if (d.outcome != TSR_GEO_ALLOWED) answer with d.status
 *   ...per bet:
 *   tsr_geo_state_due(&player->geo_state, now_ns, peer_ip) != TSR_OK
 *       -> answer TSR_ERR_GEO_RECHECK (the app sends a fresh report)
 *
 * Every handle is immutable once opened, so any number of threads may call
 * the lookup, check and route functions on it at once without locks.
 */
#ifndef TESSERA_GEO_H
#define TESSERA_GEO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/env.h"
#include "tessera/money.h"
#include "tessera/status.h"

/* ---- Limits ------------------------------------------------------------ */

/* Jurisdiction ids are ISO 3166 codes ("FR", "US-NJ") or, for areas without
 * one, "XX-" and 12 letters: 16 bytes with the NUL. */
#define TSR_GEO_ID_MAX 16
/* Names are cut to 47 bytes by the converter (Natural Earth short names). */
#define TSR_GEO_NAME_MAX 48
/* ISO 3166-1 alpha-2 and a NUL, rounded up. */
#define TSR_GEO_COUNTRY_MAX 4
/* 290 today (50 states, DC, 5 territories, ~233 countries); 1,024 leaves room
 * for first-level subdivisions of other countries and keeps the per-query
 * parity set at 128 bytes on the stack. */
#define TSR_GEO_MAX_JURISDICTIONS 1024
/* 108k points today; a full-resolution national file stays below 16M. */
#define TSR_GEO_MAX_POINTS (16 * 1024 * 1024)
/* INET6_ADDRSTRLEN: the longest textual IPv6 address with its NUL. */
#define TSR_GEO_IP_MAX 46
/* The border search stops here: beyond 1,000 km the exact figure decides
 * nothing (re-check periods and buffers are a few km at most). */
#define TSR_GEO_BORDER_SEARCH_MAX_M 1000000.0
/* A decision lists at most one reason per kind of check. */
#define TSR_GEO_MAX_REASONS 10
/* Accuracy radii above 100 km are no fix at all: rejected as bad input. */
#define TSR_GEO_ACCURACY_LIMIT_M 100000.0
/* Names of regions, nodes, block-list categories and games. */
#define TSR_GEO_LABEL_MAX 32
/* A node endpoint URI ("coaps://nj-1.example.net:5684"). */
#define TSR_GEO_ENDPOINT_MAX 128
/* Games per jurisdiction in the rules file. */
#define TSR_GEO_MAX_GAMES 32
/* Block-list files per config (data centre, VPN, proxy, Tor, ...). */
#define TSR_GEO_MAX_BLOCKLISTS 8
/* Lines per CIDR file: a full GeoIP country export is ~500k ranges. */
#define TSR_GEO_CIDR_MAX_ENTRIES (4 * 1024 * 1024)
/* Mean Earth radius (IUGG), metres: every distance here is on this sphere. */
#define TSR_GEO_EARTH_RADIUS_M 6371008.8

/* ---- Boundaries and lookup -------------------------------------------- */

typedef struct tsr_geo_map tsr_geo_map;

/* One jurisdiction of the boundary file. */
typedef struct tsr_geo_jurisdiction {
    char id[TSR_GEO_ID_MAX];           /* "US-NJ", "FR", "XK" */
    char name[TSR_GEO_NAME_MAX];       /* "New Jersey", "France" */
    char country[TSR_GEO_COUNTRY_MAX]; /* ISO alpha-2 ("US"; "PR" for US-PR) */
} tsr_geo_jurisdiction;

/* Loads a boundary file written by geo/data/convert.mjs and builds its
 * index (~0.3 s, ~20 MB). Every count, ring and coordinate is validated and
 * the checksum verified: TSR_ERR_GEO_DATA when the file is missing,
 * truncated, corrupt or over the limits; TSR_ERR_NOMEM. Owns *out. */
tsr_status tsr_geo_map_open(tsr_geo_map **out, const char *path) TSR_MUST_CHECK;

/* Frees a map; NULL-safe. */
void tsr_geo_map_close(tsr_geo_map *m);

/* Number of jurisdictions; indexes run 0..count-1 in precedence order. */
int tsr_geo_map_count(const tsr_geo_map *m);

/* The jurisdiction at `index` (borrowed, lives as long as the map), or NULL
 * when index is out of range. */
const tsr_geo_jurisdiction *tsr_geo_map_get(const tsr_geo_map *m, int index);

/* Index of the jurisdiction with this id (exact, case-sensitive), or
 * TSR_ERR_GEO_UNKNOWN_JURISDICTION. */
tsr_status tsr_geo_map_find(const tsr_geo_map *m, const char *id, int *index) TSR_MUST_CHECK;

/* Point -> jurisdiction: *index is the jurisdiction containing (lat, lon)
 * (holes excluded, every part of a multipolygon included), or -1 at sea or
 * in no jurisdiction. Where two overlap, the earlier index wins.
 * TSR_ERR_GEO_COORD when lat is outside [-90, 90], lon outside [-180, 180]
 * or either is not finite. */
tsr_status tsr_geo_locate(const tsr_geo_map *m, double lat, double lon,
                          int *index) TSR_MUST_CHECK;

/* Great-circle distance in metres from (lat, lon) to the nearest border of
 * jurisdiction `index` (its outer rings and holes), or with index -1 to the
 * nearest border of any jurisdiction (the coast, at sea). Edges that only cut
 * a polygon at the antimeridian are not borders. Results are capped at
 * TSR_GEO_BORDER_SEARCH_MAX_M. TSR_ERR_GEO_COORD, TSR_ERR_ARG for an index
 * out of range. */
tsr_status tsr_geo_border_distance(const tsr_geo_map *m, double lat, double lon,
                                   int index, double *metres) TSR_MUST_CHECK;

/* Great-circle (haversine) distance in metres between two points. */
double tsr_geo_distance_m(double lat1, double lon1, double lat2, double lon2);

/* ---- Jurisdiction rules -------------------------------------------------- */

/* What the law of one jurisdiction allows; the node reads its own. */
typedef struct tsr_geo_rules {
    char jurisdiction[TSR_GEO_ID_MAX];
    bool online_sales;               /* players may bet online */
    bool retail_sales;               /* agents may sell at terminals */
    int64_t legal_age_years;         /* minimum age to play */
    char games[TSR_GEO_MAX_GAMES][TSR_GEO_LABEL_MAX]; /* game codes allowed */
    size_t game_count;
    tsr_cents max_stake_per_bet_cents; /* 0 = no cap */
    tsr_cents max_stake_per_day_cents; /* 0 = no cap */
    tsr_cents tax_report_threshold_cents;      /* prize reported from here */
    tsr_cents tax_withholding_threshold_cents; /* tax withheld from here */
    int64_t tax_withholding_rate_bp;           /* basis points: 2400 = 24% */
    int64_t self_exclusion_min_days;           /* shortest exclusion offered */
} tsr_geo_rules;

/* True when `game` is listed in the rules' games. */
bool tsr_geo_rules_game_allowed(const tsr_geo_rules *r, const char *game);

/* The rules as a JSON object (owned by the caller: json_decref), NULL on
 * out-of-memory. */
json_t *tsr_geo_rules_json(const tsr_geo_rules *r);

/* ---- The service: policy, tables, checks -------------------------------- */

typedef struct tsr_geo tsr_geo;

/* The policy, from the config file (keys in parentheses, defaults after =). */
typedef struct tsr_geo_policy {
    int64_t border_buffer_m;       /* (border_buffer_m) = 200: added to the
                                      accuracy radius before comparing with
                                      the distance to the border */
    int64_t max_accuracy_m;        /* (max_accuracy_m) = 1000 */
    int64_t max_fix_age_s;         /* (max_fix_age_s) = 120 */
    int64_t max_fix_future_s;      /* (max_fix_future_s) = 30: device clocks
                                      run a little ahead */
    int64_t max_speed_kmh;         /* (max_speed_kmh) = 1000: an airliner */
    int64_t recheck_s;             /* (recheck_s) = 1200: 20 minutes */
    int64_t recheck_near_border_s; /* (recheck_near_border_s) = 300 */
    int64_t near_border_m;         /* (near_border_m) = 1609: one mile */
    bool recheck_on_ip_change;     /* (recheck_on_ip_change) = true */
    bool ip_country_check;         /* (ip_country_check) = true */
} tsr_geo_policy;

/* Opens the geo service from a JSON config (format in docs/geo.md and
 * deploy/geo/geo.json): the boundary file, the permitted jurisdictions, the
 * rules file, the directory, the block lists, the IP -> country table and
 * the policy. Relative paths are taken from the config file's directory.
 * Borrows env (clock and logger; must outlive the handle). On error, err
 * says which file and line. Returns TSR_ERR_IO, TSR_ERR_JSON, the
 * TSR_ERR_CONFIG_* codes, TSR_ERR_GEO_DATA, TSR_ERR_GEO_RULES,
 * TSR_ERR_GEO_DIRECTORY, TSR_ERR_GEO_CIDR, TSR_ERR_GEO_UNKNOWN_JURISDICTION,
 * TSR_ERR_NOMEM. Owns *out. */
tsr_status tsr_geo_open(tsr_geo **out, const char *config_path, const tsr_env *env,
                        char *err, size_t errlen) TSR_MUST_CHECK;

/* Frees the service; NULL-safe. */
void tsr_geo_close(tsr_geo *g);

/* The boundary map (borrowed, lives as long as g). */
const tsr_geo_map *tsr_geo_map_of(const tsr_geo *g);

/* The effective policy (borrowed). */
const tsr_geo_policy *tsr_geo_policy_of(const tsr_geo *g);

/* The rules of a jurisdiction (borrowed, lives as long as g):
 * TSR_ERR_GEO_UNKNOWN_JURISDICTION when the rules file has none for it. */
tsr_status tsr_geo_rules_get(const tsr_geo *g, const char *jurisdiction,
                             const tsr_geo_rules **out) TSR_MUST_CHECK;

/* Where a location's players are served. */
typedef struct tsr_geo_route {
    char jurisdiction[TSR_GEO_ID_MAX];
    char region[TSR_GEO_LABEL_MAX];
    char node[TSR_GEO_LABEL_MAX];
    char endpoint[TSR_GEO_ENDPOINT_MAX];
} tsr_geo_route;

/* Which node serves (lat, lon): the directory's region containing the
 * point's jurisdiction. TSR_ERR_GEO_NO_NODE when the point is in no
 * jurisdiction or in one no region lists (out->jurisdiction still says
 * which); TSR_ERR_GEO_COORD. */
tsr_status tsr_geo_route_find(const tsr_geo *g, double lat, double lon,
                              tsr_geo_route *out) TSR_MUST_CHECK;

/* How the device got its fix. An IP-derived fix is never precise enough. */
typedef enum tsr_geo_source {
    TSR_GEO_SOURCE_GPS,
    TSR_GEO_SOURCE_WIFI,
    TSR_GEO_SOURCE_CELL,
    TSR_GEO_SOURCE_IP
} tsr_geo_source;

/* "gps", "wifi", "cell", "ip" -> source; TSR_ERR_ARG otherwise. */
tsr_status tsr_geo_source_parse(const char *s, tsr_geo_source *out) TSR_MUST_CHECK;

/* The name of a source ("gps"); static. */
const char *tsr_geo_source_name(tsr_geo_source s);

/* One location report from a player's device. */
typedef struct tsr_geo_report {
    double lat, lon;          /* degrees, WGS 84 */
    double accuracy_m;        /* radius of the device's 68% circle, > 0 */
    int64_t fix_time_ns;      /* when the device took the fix, Unix ns */
    tsr_geo_source source;
    bool mock;                /* the OS says the location is mocked */
    char ip[TSR_GEO_IP_MAX];  /* the peer address the report came from;
                                 "" when unknown (IP checks are skipped) */
} tsr_geo_report;

/* Parses a report from JSON {"lat", "lon", "accuracy_m", "fix_time_ms",
 * "source", "mock" (optional, false), "ip" (optional)}; the node then writes
 * the peer address into out->ip. Unknown keys are rejected. Returns
 * TSR_ERR_FIELD_MISSING, TSR_ERR_FIELD_TYPE, TSR_ERR_FIELD_UNKNOWN,
 * TSR_ERR_TOO_LONG, TSR_ERR_ARG (source), TSR_ERR_RANGE (fix_time_ms < 0 or
 * too large), TSR_ERR_JSON (not an object). Values are validated by
 * tsr_geo_check, not here. */
tsr_status tsr_geo_report_from_json(const json_t *obj, tsr_geo_report *out) TSR_MUST_CHECK;

/* What the platform remembers about a player between reports. All zero
 * (= {0}) is a player never checked. The caller owns and stores it. */
typedef struct tsr_geo_state {
    /* The last fix believed genuine: the anchor for impossible travel. */
    bool has_fix;
    double lat, lon, accuracy_m;
    int64_t fix_time_ns;
    /* The last check: a pass is valid until valid_until_ns from this IP. */
    bool passed;
    int64_t checked_at_ns;
    int64_t valid_until_ns;
    char ip[TSR_GEO_IP_MAX];          /* "" unless re-check on IP change */
    char jurisdiction[TSR_GEO_ID_MAX];
} tsr_geo_state;

typedef enum tsr_geo_outcome {
    TSR_GEO_ALLOWED,
    TSR_GEO_DENIED,
    TSR_GEO_NEEDS_BETTER_FIX /* not a no: ask the device for a fresh,
                                more precise fix */
} tsr_geo_outcome;

/* "allowed", "denied", "needs_better_fix"; static. */
const char *tsr_geo_outcome_name(tsr_geo_outcome o);

/* One reason a check did not pass. Fraud-relevant reasons (mock location,
 * impossible travel, blocked IP, IP country mismatch) are flagged, logged as
 * event=geo_fraud_signal at warn level, and listed in the evidence. */
typedef struct tsr_geo_reason {
    tsr_status code; /* TSR_ERR_GEO_*; its sentence is tsr_status_str(code) */
    bool fraud;
} tsr_geo_reason;

/* The decision and its evidence (what the audit log keeps). */
typedef struct tsr_geo_decision {
    tsr_geo_outcome outcome;
    tsr_status status; /* TSR_OK when allowed, else the first reason: fraud,
                          then outside, then the needs-better-fix reasons */
    tsr_geo_reason reasons[TSR_GEO_MAX_REASONS];
    size_t reason_count;
    /* evidence */
    int64_t checked_at_ns;                  /* the clock seam's now */
    double lat, lon, accuracy_m;
    tsr_geo_source source;
    bool mock;
    int64_t fix_age_ns;                     /* now - fix time (< 0: future) */
    char jurisdiction[TSR_GEO_ID_MAX];      /* "" at sea / in none */
    char country[TSR_GEO_COUNTRY_MAX];
    bool permitted;                         /* the jurisdiction is permitted */
    double border_m;  /* inside a permitted one: to its border; outside: to
                         the nearest permitted one */
    bool border_capped; /* border_m is a floor: the search stopped there
                           (beyond both the radius and near_border_m) */
    double border_radius_m;                 /* accuracy + buffer */
    bool has_travel;                        /* a previous fix was compared */
    double travel_m, travel_s, speed_kmh;
    char ip[TSR_GEO_IP_MAX];
    char ip_country[TSR_GEO_COUNTRY_MAX];   /* "" when not in the table */
    char ip_blocklist[TSR_GEO_LABEL_MAX];   /* category matched, or "" */
    int64_t valid_until_ns;                 /* allowed: when to re-check */
} tsr_geo_decision;

/* Decides one report. `prev` (borrowed; NULL or all-zero for a first check)
 * is the player's state; `next` receives the new state to store (may be the
 * same object as prev). Now comes from the env clock. Every check runs, so
 * the decision lists every reason that applies. Returns TSR_OK with the
 * decision in *out (the denial is out->status, not the return value), or
 * for bad input, with *out and *next untouched: TSR_ERR_GEO_COORD,
 * TSR_ERR_RANGE (accuracy not in (0, TSR_GEO_ACCURACY_LIMIT_M]),
 * TSR_ERR_GEO_IP_INVALID. */
tsr_status tsr_geo_check(const tsr_geo *g, const tsr_geo_report *r,
                         const tsr_geo_state *prev, tsr_geo_decision *out,
                         tsr_geo_state *next) TSR_MUST_CHECK;

/* Whether a player's last pass still covers a bet at now_ns from `ip`:
 * TSR_OK, or TSR_ERR_GEO_RECHECK when they never passed, the last check
 * failed, the pass expired (20 min, 5 min within a mile of the border by
 * default) or the IP changed (policy recheck_on_ip_change, applied when the
 * decision was made: the state stores the IP only then). */
tsr_status tsr_geo_state_due(const tsr_geo_state *s, int64_t now_ns,
                             const char *ip) TSR_MUST_CHECK;

/* The decision's evidence as a JSON object for the audit log: outcome,
 * status, reasons [{code, sentence, fraud}], fraud_signals [codes], and
 * every evidence field (times in ms). Owned by the caller (json_decref);
 * NULL on out-of-memory. */
json_t *tsr_geo_decision_json(const tsr_geo_decision *d);

/* The state as JSON and back, for storing it with the player.
 * tsr_geo_state_to_json: owned by the caller, NULL on out-of-memory.
 * tsr_geo_state_from_json: TSR_ERR_JSON (not an object), TSR_ERR_FIELD_TYPE
 * (a field missing, unknown or of the wrong type), TSR_ERR_TOO_LONG. */
json_t *tsr_geo_state_to_json(const tsr_geo_state *s);
tsr_status tsr_geo_state_from_json(const json_t *obj, tsr_geo_state *out) TSR_MUST_CHECK;

/* The IP's country from the IP -> country table ("" when absent or not
 * loaded) and the block-list category it matches ("" when none). Both
 * buffers may be NULL. TSR_ERR_GEO_IP_INVALID on a malformed address. */
tsr_status tsr_geo_ip_info(const tsr_geo *g, const char *ip,
                           char country[TSR_GEO_COUNTRY_MAX],
                           char blocklist[TSR_GEO_LABEL_MAX]) TSR_MUST_CHECK;

#endif

/*
 * Helpers for the edge module's suites (test_edge_*.c): a node from
 * node_fixture.h with the edge module, a geo config of the test's own
 * (the shipped boundaries, directory and IP tables; rules with small caps
 * so they are reachable in a test), location reports dated by the test
 * clock, and read-only looks into the node's database.
 */
#ifndef TSR_EDGE_FIXTURE_H
#define TSR_EDGE_FIXTURE_H

#include <sqlite3.h>

#include "../../node/src/edge.h"
#include "node_fixture.h"

/* Points checked with `tessera-geo locate` (docs/geo.md): */
#define EX_NJ_LAT 40.30 /* central New Jersey, 24 km from any border */
#define EX_NJ_LON (-74.45)
#define EX_PHL_LAT 39.9526 /* Philadelphia, PA, 3 km from New Jersey */
#define EX_PHL_LON (-75.1652)
#define EX_HBG_LAT 40.2732 /* Harrisburg, PA, far inside Pennsylvania */
#define EX_HBG_LON (-76.8867)
#define EX_EDGE_LAT 40.1054182 /* New Jersey, 26 m from the Delaware (PA) */
#define EX_EDGE_LON (-74.8386323)

/* The rules of the test's jurisdictions: New Jersey with a legal age of
 * 21, pick3 and lotto649 only, 3.00 per bet and 10.00 a day. */
#define EX_RULES                                                                             \
    "{\"jurisdictions\": {"                                                                  \
    "\"US-NJ\": {\"online_sales\": true, \"retail_sales\": true, \"legal_age\": 21,"         \
    " \"games\": [\"pick3\", \"lotto649\"], \"max_stake_per_bet_cents\": 300,"               \
    " \"max_stake_per_day_cents\": 1000, \"tax_report_threshold_cents\": 60000,"             \
    " \"tax_withholding_threshold_cents\": 500000, \"tax_withholding_rate_bp\": 2400,"       \
    " \"self_exclusion_min_days\": 365},"                                                    \
    "\"US-PA\": {\"online_sales\": true, \"retail_sales\": true, \"legal_age\": 18,"         \
    " \"games\": [\"pick3\"], \"max_stake_per_bet_cents\": 0, \"max_stake_per_day_cents\": 0," \
    " \"tax_report_threshold_cents\": 60000, \"tax_withholding_threshold_cents\": 500000,"   \
    " \"tax_withholding_rate_bp\": 2400, \"self_exclusion_min_days\": 365}}}"

static inline void ex_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* Writes rules.json and geo.json (permitted: New Jersey and Pennsylvania)
 * into the fixture's dir; sets cfg.edge with it and terminal term-1 at a
 * New Jersey shop; `extra` (taken, may be NULL) is merged into cfg.edge. */
static inline void ex_config(fx *f, json_t *extra)
{
    char rules[256], geo[256], src[256];
    fx_path(f, "rules.json", rules, sizeof rules);
    ex_write(rules, EX_RULES);
    json_t *g = json_pack("{s:s, s:[s,s], s:i, s:i, s:i, s:i}", "rules", rules, "permitted",
                          "US-NJ", "US-PA", "border_buffer_m", 200, "max_accuracy_m", 1000,
                          "max_fix_age_s", 120, "recheck_s", 1200);
    static const char *const files[][2] = {{"boundaries", "geo/data/jurisdictions.tgeo"},
                                           {"directory", "deploy/geo/directory.json"},
                                           {"ip_country", "deploy/geo/ip-country.cidr"}};
    for (size_t i = 0; i < 3; i++) {
        tsr_test_src(files[i][1], src, sizeof src);
        json_object_set_new(g, files[i][0], json_string(src));
    }
    fx_path(f, "geo.json", geo, sizeof geo);
    ck_assert_int_eq(json_dump_file(g, geo, 0), 0);
    json_decref(g);
    snprintf(f->cfg.jurisdiction, sizeof f->cfg.jurisdiction, "US-NJ");
    snprintf(f->cfg.node_id, sizeof f->cfg.node_id, "node-nj-1");
    f->cfg.edge = json_pack("{s:s, s:{s:{s:f, s:f, s:s}}}", "geo_config", geo,
                            "terminal_locations", "term-1", "lat", EX_NJ_LAT, "lon", EX_NJ_LON,
                            "address", "1 Main St, Hightstown NJ");
    if (extra)
        json_object_update(f->cfg.edge, extra);
    json_decref(extra);
}

/* Adds the edge module to the node the fixture starts. */
static inline void ex_with_edge(fx *f)
{
    f->extra[f->n_extra++] = tsr_edge_module;
}

/* A location report taken `age_s` seconds before the test clock's now. */
static inline void ex_loc(fx *f, char *out, size_t len, double lat, double lon, double acc,
                          int64_t age_s)
{
    int64_t fix_ms = tsr_clock_now_ns(f->clock) / TSR_NS_PER_MS - age_s * 1000;
    snprintf(out, len,
             "{\"lat\":%.7f,\"lon\":%.7f,\"accuracy_m\":%.1f,\"fix_time_ms\":%lld,"
             "\"source\":\"gps\"}",
             lat, lon, acc, (long long)fix_ms);
}

/* POST /v1/bets of pick3 for `query`, with a location (or none). */
static inline fx_resp *ex_bet(fx *f, const char *query, const char *stake, const char *key,
                              const char *loc)
{
    char body[1024];
    snprintf(body, sizeof body,
             "{\"game\":\"pick3\",\"bet\":{\"type\":\"straight\",\"numbers\":[1,2,3],"
             "\"stake\":\"%s\"},\"idempotency_key\":\"%s\"%s%s}",
             stake, key, loc ? ",\"location\":" : "", loc ? loc : "");
    return fx_req(f, COAP_REQUEST_CODE_POST, "v1/bets", query, body);
}

/* A read-only connection on the node's database. */
static inline sqlite3 *ex_db(fx *f)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open_v2(f->cfg.db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static inline int64_t ex_int(fx *f, const char *sql)
{
    sqlite3 *db = ex_db(f);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* The newest audit row's record (owned JSON) and its event. */
static inline json_t *ex_last_audit(fx *f, const char *event)
{
    sqlite3 *db = ex_db(f);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db,
                                        "SELECT record FROM audit WHERE event = ?1 ORDER BY id "
                                        "DESC LIMIT 1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, event, -1, SQLITE_STATIC);
    json_t *j = NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        j = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return j;
}

/* evidence.<a>[.<b>] of an audit record as a string ("" when absent). */
static inline const char *ex_ev(const json_t *rec, const char *a, const char *b)
{
    const json_t *v = json_object_get(json_object_get(rec, "evidence"), a);
    if (b)
        v = json_object_get(v, b);
    return json_is_string(v) ? json_string_value(v) : "";
}

#endif

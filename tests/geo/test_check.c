/* Decisions on location reports: every reason, the re-check policy, and the
 * evidence JSON, with New Jersey as the permitted jurisdiction. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/geo.h"
#include "tsr_test.h"

/* 2026-11-23T14:00:00Z */
#define NOW_NS (INT64_C(1795960800) * TSR_NS_PER_S)

/* Jackson, NJ: 29 km from any border. */
#define NJ_LAT 40.0583
#define NJ_LON -74.4057
/* 25 m either side of the Delaware between NJ and PA (see test_map.c). */
#define EDGE_PA_LAT 40.1056885
#define EDGE_PA_LON -74.8391022
#define EDGE_NJ_LAT 40.1054182
#define EDGE_NJ_LON -74.8386323

static tsr_clock *clock_;
static tsr_log *log_;
static tsr_env env;
static tsr_geo *geo;
static char dir[256];
static char logbuf[8192];
static FILE *logfile;

/* Writes a config using the shipped example tables plus `extra` policy
 * keys (a JSON fragment starting with a comma, or ""). */
static tsr_status open_with(const char *extra, tsr_geo **out)
{
    char data[1024], deploy[1024], path[512], err[512] = "";
    tsr_test_src("geo/data/jurisdictions.tgeo", data, sizeof data);
    tsr_test_src("deploy/geo", deploy, sizeof deploy);
    snprintf(path, sizeof path, "%s/geo.json", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f,
            "{\"boundaries\": \"%s\", \"rules\": \"%s/rules.json\","
            " \"directory\": \"%s/directory.json\", \"ip_country\": \"%s/ip-country.cidr\","
            " \"blocklists\": {\"datacenter\": \"%s/blocklist-datacenter.cidr\","
            " \"vpn\": \"%s/blocklist-vpn.cidr\", \"proxy\": \"%s/blocklist-proxy.cidr\"},"
            " \"permitted\": [\"US-NJ\"]%s}",
            data, deploy, deploy, deploy, deploy, deploy, deploy, extra);
    fclose(f);
    tsr_status st = tsr_geo_open(out, path, &env, err, sizeof err);
    if (st != TSR_OK)
        printf("open_with: %s: %s\n", tsr_status_name(st), err);
    return st;
}

static void setup(void)
{
    tsr_test_tmpdir("geo-check", dir, sizeof dir);
    ck_assert_int_eq(tsr_clock_test_create(&clock_, NOW_NS), TSR_OK);
    memset(logbuf, 0, sizeof logbuf);
    logfile = fmemopen(logbuf, sizeof logbuf - 1, "w");
    ck_assert_ptr_nonnull(logfile);
    setvbuf(logfile, NULL, _IONBF, 0);
    ck_assert_int_eq(tsr_log_create(&log_, logfile, clock_, "geo", TSR_LOG_WARN), TSR_OK);
    env = (tsr_env){clock_, NULL, log_};
    ck_assert_int_eq(open_with(", \"border_buffer_m\": 10", &geo), TSR_OK);
}

static void teardown(void)
{
    tsr_geo_close(geo);
    tsr_log_destroy(log_);
    fclose(logfile);
    tsr_clock_destroy(clock_);
    tsr_test_rmtree(dir);
}

static tsr_geo_report report(double lat, double lon, double acc, const char *ip)
{
    tsr_geo_report r;
    memset(&r, 0, sizeof r);
    r.lat = lat;
    r.lon = lon;
    r.accuracy_m = acc;
    r.fix_time_ns = NOW_NS - 5 * TSR_NS_PER_S;
    r.source = TSR_GEO_SOURCE_GPS;
    snprintf(r.ip, sizeof r.ip, "%s", ip);
    return r;
}

static tsr_geo_decision decide(const tsr_geo_report *r, const tsr_geo_state *prev,
                               tsr_geo_state *next)
{
    tsr_geo_decision d;
    tsr_geo_state scratch;
    ck_assert_int_eq(tsr_geo_check(geo, r, prev, &d, next ? next : &scratch), TSR_OK);
    return d;
}

static bool has_reason(const tsr_geo_decision *d, tsr_status code, bool fraud)
{
    for (size_t i = 0; i < d->reason_count; i++)
        if (d->reasons[i].code == code)
            return d->reasons[i].fraud == fraud;
    return false;
}

START_TEST(allowed_well_inside)
{
    tsr_geo_report r = report(NJ_LAT, NJ_LON, 20, "192.0.2.10");
    tsr_geo_state next;
    tsr_geo_decision d = decide(&r, NULL, &next);
    ck_assert_int_eq(d.outcome, TSR_GEO_ALLOWED);
    ck_assert_int_eq(d.status, TSR_OK);
    ck_assert_uint_eq(d.reason_count, 0);
    ck_assert_str_eq(d.jurisdiction, "US-NJ");
    ck_assert_str_eq(d.country, "US");
    ck_assert_str_eq(d.ip_country, "US");
    ck_assert(d.permitted);
    ck_assert(d.border_capped); /* 29 km: beyond what needs measuring */
    ck_assert_int_eq(d.checked_at_ns, NOW_NS);
    ck_assert_int_eq(d.fix_age_ns, 5 * TSR_NS_PER_S);
    /* 20 minutes away from borders (the default). */
    ck_assert_int_eq(d.valid_until_ns, NOW_NS + 1200 * TSR_NS_PER_S);
    ck_assert(next.passed && next.has_fix);
    ck_assert_str_eq(next.jurisdiction, "US-NJ");
    ck_assert_str_eq(next.ip, "192.0.2.10");
    ck_assert_str_eq(logbuf, ""); /* no fraud signal */
}
END_TEST

/* An accuracy circle crossing the NJ/PA line asks for a better fix on both
 * sides; a tight one decides by the side. */
START_TEST(accuracy_radius_crossing_the_border)
{
    tsr_geo_report in = report(EDGE_NJ_LAT, EDGE_NJ_LON, 50, "192.0.2.10");
    tsr_geo_report out = report(EDGE_PA_LAT, EDGE_PA_LON, 50, "192.0.2.10");
    tsr_geo_decision d = decide(&in, NULL, NULL);
    ck_assert_int_eq(d.outcome, TSR_GEO_NEEDS_BETTER_FIX);
    ck_assert_int_eq(d.status, TSR_ERR_GEO_BORDER);
    ck_assert_double_lt(d.border_m, 30);
    ck_assert_double_eq(d.border_radius_m, 60);
    d = decide(&out, NULL, NULL);
    ck_assert_str_eq(d.jurisdiction, "US-PA");
    ck_assert_int_eq(d.outcome, TSR_GEO_NEEDS_BETTER_FIX);
    ck_assert_int_eq(d.status, TSR_ERR_GEO_BORDER);
    ck_assert(!has_reason(&d, TSR_ERR_GEO_OUTSIDE, false));
    in.accuracy_m = out.accuracy_m = 5; /* 5 m + 10 m buffer < 25 m */
    tsr_geo_state next;
    d = decide(&in, NULL, &next);
    ck_assert_int_eq(d.outcome, TSR_GEO_ALLOWED);
    /* Within a mile of the border: valid for 5 minutes only. */
    ck_assert_int_eq(d.valid_until_ns, NOW_NS + 300 * TSR_NS_PER_S);
    d = decide(&out, NULL, NULL);
    ck_assert_int_eq(d.outcome, TSR_GEO_DENIED);
    ck_assert_int_eq(d.status, TSR_ERR_GEO_OUTSIDE);
    ck_assert(has_reason(&d, TSR_ERR_GEO_OUTSIDE, false));
}
END_TEST

START_TEST(outside_and_at_sea)
{
    tsr_geo_report r = report(42.6526, -73.7562, 20, ""); /* Albany, NY */
    tsr_geo_decision d = decide(&r, NULL, NULL);
    ck_assert_int_eq(d.outcome, TSR_GEO_DENIED);
    ck_assert_int_eq(d.status, TSR_ERR_GEO_OUTSIDE);
    ck_assert(!d.permitted);
    r = report(40.0, -70.0, 20, ""); /* the Atlantic */
    d = decide(&r, NULL, NULL);
    ck_assert_int_eq(d.status, TSR_ERR_GEO_OUTSIDE);
    ck_assert_str_eq(d.jurisdiction, "");
    ck_assert_str_eq(d.ip, "");
}
END_TEST

START_TEST(stale_and_future_fixes)
{
    tsr_geo_report r = report(NJ_LAT, NJ_LON, 20, "192.0.2.10");
    r.fix_time_ns = NOW_NS - 121 * TSR_NS_PER_S; /* max_fix_age_s 120 */
    tsr_geo_decision d = decide(&r, NULL, NULL);
    ck_assert_int_eq(d.outcome, TSR_GEO_NEEDS_BETTER_FIX);
    ck_assert_int_eq(d.status, TSR_ERR_GEO_STALE);
    r.fix_time_ns = NOW_NS - 120 * TSR_NS_PER_S;
    ck_assert_int_eq(decide(&r, NULL, NULL).outcome, TSR_GEO_ALLOWED);
    r.fix_time_ns = NOW_NS + 31 * TSR_NS_PER_S; /* max_fix_future_s 30 */
    d = decide(&r, NULL, NULL);
    ck_assert_int_eq(d.outcome, TSR_GEO_NEEDS_BETTER_FIX);
    ck_assert_int_eq(d.status, TSR_ERR_GEO_FIX_FUTURE);
    r.fix_time_ns = NOW_NS + 30 * TSR_NS_PER_S;
    ck_assert_int_eq(decide(&r, NULL, NULL).outcome, TSR_GEO_ALLOWED);
}
END_TEST

START_TEST(imprecise_fixes)
{
    tsr_geo_report r = report(NJ_LAT, NJ_LON, 1001, "192.0.2.10"); /* max 1000 */
    tsr_geo_decision d = decide(&r, NULL, NULL);
    ck_assert_int_eq(d.outcome, TSR_GEO_NEEDS_BETTER_FIX);
    ck_assert_int_eq(d.status, TSR_ERR_GEO_ACCURACY);
    r.accuracy_m = 20;
    r.source = TSR_GEO_SOURCE_IP;
    ck_assert_int_eq(decide(&r, NULL, NULL).status, TSR_ERR_GEO_ACCURACY);
    r.source = TSR_GEO_SOURCE_WIFI;
    ck_assert_int_eq(decide(&r, NULL, NULL).outcome, TSR_GEO_ALLOWED);
}
END_TEST

START_TEST(mock_location_is_a_fraud_signal)
{
    tsr_geo_report r = report(NJ_LAT, NJ_LON, 20, "192.0.2.10");
    r.mock = true;
    tsr_geo_state next;
    tsr_geo_decision d = decide(&r, NULL, &next);
    ck_assert_int_eq(d.outcome, TSR_GEO_DENIED);
    ck_assert_int_eq(d.status, TSR_ERR_GEO_MOCK);
    ck_assert(has_reason(&d, TSR_ERR_GEO_MOCK, true));
    ck_assert(!next.has_fix); /* a mocked fix is no travel anchor */
    ck_assert(!next.passed);
    ck_assert_ptr_nonnull(strstr(logbuf, "event=geo_fraud_signal"));
    ck_assert_ptr_nonnull(strstr(logbuf, "code=TSR_ERR_GEO_MOCK"));
}
END_TEST

/* Trenton at 14:00, Paris ten minutes later: 5,800 km in 10 minutes. */
START_TEST(impossible_travel)
{
    tsr_geo_report first = report(NJ_LAT, NJ_LON, 20, "192.0.2.10");
    first.fix_time_ns = NOW_NS - 600 * TSR_NS_PER_S;
    tsr_geo_state s0 = {0}, s1, s2;
    ck_assert_int_eq(tsr_clock_test_set(clock_, NOW_NS - 595 * TSR_NS_PER_S), TSR_OK);
    ck_assert_int_eq(decide(&first, &s0, &s1).outcome, TSR_GEO_ALLOWED);
    ck_assert_int_eq(tsr_clock_test_set(clock_, NOW_NS), TSR_OK);
    tsr_geo_report paris = report(48.8566, 2.3522, 20, "192.0.2.200");
    tsr_geo_decision d = decide(&paris, &s1, &s2);
    ck_assert_int_eq(d.outcome, TSR_GEO_DENIED);
    ck_assert_int_eq(d.status, TSR_ERR_GEO_TRAVEL);
    ck_assert(has_reason(&d, TSR_ERR_GEO_TRAVEL, true));
    ck_assert(has_reason(&d, TSR_ERR_GEO_OUTSIDE, false));
    ck_assert(d.has_travel);
    ck_assert_double_gt(d.travel_m, 5800000);
    ck_assert_double_eq(d.travel_s, 595);
    ck_assert_double_gt(d.speed_kmh, 30000);
    /* The anchor stays in New Jersey. */
    ck_assert_double_eq(s2.lat, NJ_LAT);
    ck_assert(!s2.passed);
    /* 20 km in 30 minutes is a drive: allowed. */
    tsr_geo_report drive = report(NJ_LAT + 0.18, NJ_LON, 20, "192.0.2.10");
    drive.fix_time_ns = first.fix_time_ns + 1800 * TSR_NS_PER_S;
    ck_assert_int_eq(tsr_clock_test_set(clock_, drive.fix_time_ns), TSR_OK);
    d = decide(&drive, &s1, NULL);
    ck_assert_int_eq(d.outcome, TSR_GEO_ALLOWED);
    ck_assert_double_gt(d.speed_kmh, 30);
    ck_assert_double_lt(d.speed_kmh, 50);
    /* Two fixes at the same instant 2 km apart: infinitely fast. */
    tsr_geo_report twin = report(NJ_LAT + 0.02, NJ_LON, 20, "192.0.2.10");
    twin.fix_time_ns = first.fix_time_ns;
    ck_assert_int_eq(tsr_clock_test_set(clock_, NOW_NS - 590 * TSR_NS_PER_S), TSR_OK);
    d = decide(&twin, &s1, NULL);
    ck_assert_int_eq(d.status, TSR_ERR_GEO_TRAVEL);
    ck_assert(isinf(d.speed_kmh));
    /* The same spot again within the accuracy radii is no travel at all. */
    d = decide(&first, &s1, NULL);
    ck_assert_int_eq(d.outcome, TSR_GEO_ALLOWED);
    ck_assert_double_eq(d.speed_kmh, 0);
}
END_TEST

START_TEST(blocked_ip_ranges)
{
    static const struct {
        const char *ip, *list;
    } cases[] = {
        {"203.0.113.5", "datacenter"}, {"203.0.113.70", "vpn"}, {"203.0.113.130", "proxy"},
        {"198.51.100.77", "proxy"},    {"2001:db8:dc::1", "datacenter"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tsr_geo_report r = report(NJ_LAT, NJ_LON, 20, cases[i].ip);
        tsr_geo_decision d = decide(&r, NULL, NULL);
        ck_assert_int_eq(d.outcome, TSR_GEO_DENIED);
        ck_assert_int_eq(d.status, TSR_ERR_GEO_IP_BLOCKED);
        ck_assert(has_reason(&d, TSR_ERR_GEO_IP_BLOCKED, true));
        ck_assert_str_eq(d.ip_blocklist, cases[i].list);
    }
    /* Next to a blocked range but outside it. */
    tsr_geo_report r = report(NJ_LAT, NJ_LON, 20, "203.0.113.192");
    ck_assert_int_eq(decide(&r, NULL, NULL).outcome, TSR_GEO_ALLOWED);
}
END_TEST

START_TEST(ip_country_inconsistent_with_the_fix)
{
    tsr_geo_report r = report(NJ_LAT, NJ_LON, 20, "192.0.2.200"); /* FR in the table */
    tsr_geo_decision d = decide(&r, NULL, NULL);
    ck_assert_int_eq(d.outcome, TSR_GEO_DENIED);
    ck_assert_int_eq(d.status, TSR_ERR_GEO_IP_COUNTRY);
    ck_assert(has_reason(&d, TSR_ERR_GEO_IP_COUNTRY, true));
    ck_assert_str_eq(d.ip_country, "FR");
    r = report(NJ_LAT, NJ_LON, 20, "2001:db8:2::5"); /* FR, IPv6 */
    ck_assert_int_eq(decide(&r, NULL, NULL).status, TSR_ERR_GEO_IP_COUNTRY);
    r = report(NJ_LAT, NJ_LON, 20, "2001:db8:1::5"); /* US, IPv6 */
    ck_assert_int_eq(decide(&r, NULL, NULL).outcome, TSR_GEO_ALLOWED);
    /* Not in the table: unknown, no judgement. */
    r = report(NJ_LAT, NJ_LON, 20, "192.168.1.20");
    d = decide(&r, NULL, NULL);
    ck_assert_int_eq(d.outcome, TSR_GEO_ALLOWED);
    ck_assert_str_eq(d.ip_country, "");
    /* The check can be switched off. */
    tsr_geo *off;
    ck_assert_int_eq(open_with(", \"ip_country_check\": false", &off), TSR_OK);
    r = report(NJ_LAT, NJ_LON, 20, "192.0.2.200");
    tsr_geo_state next;
    ck_assert_int_eq(tsr_geo_check(off, &r, NULL, &d, &next), TSR_OK);
    ck_assert_int_eq(d.outcome, TSR_GEO_ALLOWED);
    tsr_geo_close(off);
}
END_TEST

/* Every reason is listed, fraud first. */
START_TEST(all_reasons_are_listed_in_order)
{
    tsr_geo_report first = report(NJ_LAT, NJ_LON, 20, "192.0.2.10");
    tsr_geo_state s1;
    decide(&first, NULL, &s1);
    tsr_geo_report r = report(51.5074, -0.1278, 5000, "203.0.113.70"); /* London, VPN */
    r.mock = true;
    r.fix_time_ns = NOW_NS - 3600 * TSR_NS_PER_S;
    tsr_geo_decision d = decide(&r, &s1, NULL);
    static const tsr_status want[] = {TSR_ERR_GEO_MOCK, TSR_ERR_GEO_TRAVEL,
                                      TSR_ERR_GEO_IP_BLOCKED, TSR_ERR_GEO_OUTSIDE,
                                      TSR_ERR_GEO_STALE, TSR_ERR_GEO_ACCURACY};
    ck_assert_uint_eq(d.reason_count, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < d.reason_count; i++)
        ck_assert_str_eq(tsr_status_name(d.reasons[i].code), tsr_status_name(want[i]));
    ck_assert_int_eq(d.status, TSR_ERR_GEO_MOCK);
    ck_assert_int_eq(d.outcome, TSR_GEO_DENIED);
}
END_TEST

START_TEST(recheck_policy)
{
    tsr_geo_state never = {0}, s;
    ck_assert_int_eq(tsr_geo_state_due(&never, NOW_NS, "192.0.2.10"), TSR_ERR_GEO_RECHECK);
    ck_assert_int_eq(tsr_geo_state_due(NULL, NOW_NS, "192.0.2.10"), TSR_ERR_GEO_RECHECK);
    tsr_geo_report r = report(NJ_LAT, NJ_LON, 20, "192.0.2.10");
    decide(&r, &never, &s);
    int64_t until = NOW_NS + 1200 * TSR_NS_PER_S;
    ck_assert_int_eq(tsr_geo_state_due(&s, NOW_NS, "192.0.2.10"), TSR_OK);
    ck_assert_int_eq(tsr_geo_state_due(&s, until - 1, "192.0.2.10"), TSR_OK);
    ck_assert_int_eq(tsr_geo_state_due(&s, until, "192.0.2.10"), TSR_ERR_GEO_RECHECK);
    /* Any IP change asks for a new check. */
    ck_assert_int_eq(tsr_geo_state_due(&s, NOW_NS, "192.0.2.11"), TSR_ERR_GEO_RECHECK);
    ck_assert_int_eq(tsr_geo_state_due(&s, NOW_NS, NULL), TSR_ERR_GEO_RECHECK);
    /* A failed check ends the pass at once. */
    tsr_geo_report mock = r;
    mock.mock = true;
    tsr_geo_state after;
    decide(&mock, &s, &after);
    ck_assert_int_eq(tsr_geo_state_due(&after, NOW_NS, "192.0.2.10"), TSR_ERR_GEO_RECHECK);
    /* next may alias prev. */
    tsr_geo_state inplace = s;
    decide(&r, &inplace, &inplace);
    ck_assert(inplace.passed);
    /* Without the IP rule, the IP is not remembered. */
    tsr_geo *loose;
    ck_assert_int_eq(open_with(", \"recheck_on_ip_change\": false, \"recheck_s\": 60", &loose),
                     TSR_OK);
    tsr_geo_decision d;
    ck_assert_int_eq(tsr_geo_check(loose, &r, NULL, &d, &s), TSR_OK);
    ck_assert_int_eq(tsr_geo_state_due(&s, NOW_NS, "192.0.2.99"), TSR_OK);
    ck_assert_int_eq(tsr_geo_state_due(&s, NOW_NS + 60 * TSR_NS_PER_S, "192.0.2.99"),
                     TSR_ERR_GEO_RECHECK);
    tsr_geo_close(loose);
}
END_TEST

START_TEST(bad_reports_are_refused_untouched)
{
    tsr_geo_decision d;
    memset(&d, 0x5a, sizeof d);
    tsr_geo_state next;
    memset(&next, 0x5a, sizeof next);
    tsr_geo_report r = report(91, NJ_LON, 20, "");
    ck_assert_int_eq(tsr_geo_check(geo, &r, NULL, &d, &next), TSR_ERR_GEO_COORD);
    r = report(NJ_LAT, NAN, 20, "");
    ck_assert_int_eq(tsr_geo_check(geo, &r, NULL, &d, &next), TSR_ERR_GEO_COORD);
    static const double bad_acc[] = {0, -5, NAN, INFINITY, TSR_GEO_ACCURACY_LIMIT_M + 1};
    for (size_t i = 0; i < sizeof bad_acc / sizeof bad_acc[0]; i++) {
        r = report(NJ_LAT, NJ_LON, bad_acc[i], "");
        ck_assert_int_eq(tsr_geo_check(geo, &r, NULL, &d, &next), TSR_ERR_RANGE);
    }
    r = report(NJ_LAT, NJ_LON, 20, "");
    r.fix_time_ns = -1;
    ck_assert_int_eq(tsr_geo_check(geo, &r, NULL, &d, &next), TSR_ERR_RANGE);
    r.fix_time_ns = NOW_NS;
    r.source = (tsr_geo_source)42;
    ck_assert_int_eq(tsr_geo_check(geo, &r, NULL, &d, &next), TSR_ERR_RANGE);
    static const char *const bad_ip[] = {"999.1.1.1", "192.0.2", "1.2.3.4/24", "::g", "x"};
    for (size_t i = 0; i < sizeof bad_ip / sizeof bad_ip[0]; i++) {
        r = report(NJ_LAT, NJ_LON, 20, bad_ip[i]);
        ck_assert_int_eq(tsr_geo_check(geo, &r, NULL, &d, &next), TSR_ERR_GEO_IP_INVALID);
    }
    r = report(NJ_LAT, NJ_LON, 20, "");
    memset(r.ip, 'a', sizeof r.ip); /* not NUL-terminated */
    ck_assert_int_eq(tsr_geo_check(geo, &r, NULL, &d, &next), TSR_ERR_GEO_IP_INVALID);
    unsigned char *p = (unsigned char *)&next;
    for (size_t i = 0; i < sizeof next; i++)
        ck_assert_uint_eq(p[i], 0x5a);
    p = (unsigned char *)&d;
    for (size_t i = 0; i < sizeof d; i++)
        ck_assert_uint_eq(p[i], 0x5a);
}
END_TEST

START_TEST(evidence_json_for_the_audit_log)
{
    tsr_geo_report first = report(NJ_LAT, NJ_LON, 20, "192.0.2.10");
    tsr_geo_state s1;
    decide(&first, NULL, &s1);
    tsr_geo_report r = report(51.5074, -0.1278, 20, "203.0.113.70");
    tsr_geo_decision d = decide(&r, &s1, NULL);
    json_t *j = tsr_geo_decision_json(&d);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "outcome")), "denied");
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "TSR_ERR_GEO_TRAVEL");
    ck_assert_str_eq(json_string_value(json_object_get(j, "sentence")),
                     tsr_status_str(TSR_ERR_GEO_TRAVEL));
    json_t *reasons = json_object_get(j, "reasons");
    ck_assert_uint_eq(json_array_size(reasons), 3);
    ck_assert(json_is_true(json_object_get(json_array_get(reasons, 0), "fraud")));
    json_t *fraud = json_object_get(j, "fraud_signals");
    ck_assert_uint_eq(json_array_size(fraud), 2);
    ck_assert_str_eq(json_string_value(json_array_get(fraud, 1)), "TSR_ERR_GEO_IP_BLOCKED");
    ck_assert_str_eq(json_string_value(json_object_get(j, "jurisdiction")), "GB");
    ck_assert_str_eq(json_string_value(json_object_get(j, "ip_blocklist")), "vpn");
    ck_assert(json_is_null(json_object_get(j, "valid_until_ms")));
    ck_assert(json_is_object(json_object_get(j, "travel")));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "checked_at_ms")),
                     NOW_NS / TSR_NS_PER_MS);
    json_decref(j);
    /* Allowed: a re-check time, no travel, no reasons. */
    d = decide(&first, NULL, NULL);
    j = tsr_geo_decision_json(&d);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "valid_until_ms")),
                     (NOW_NS + 1200 * TSR_NS_PER_S) / TSR_NS_PER_MS);
    ck_assert(json_is_null(json_object_get(j, "travel")));
    ck_assert_uint_eq(json_array_size(json_object_get(j, "reasons")), 0);
    json_decref(j);
    /* Infinite speed is null, not an invalid number. */
    tsr_geo_report twin = report(NJ_LAT + 0.05, NJ_LON, 20, "192.0.2.10");
    twin.fix_time_ns = first.fix_time_ns;
    d = decide(&twin, &s1, NULL);
    j = tsr_geo_decision_json(&d);
    ck_assert(json_is_null(json_object_get(json_object_get(j, "travel"), "speed_kmh")));
    char *text = json_dumps(j, 0);
    ck_assert_ptr_nonnull(text);
    free(text);
    json_decref(j);
}
END_TEST

START_TEST(report_json)
{
    json_error_t e;
    json_t *j = json_loads("{\"lat\": 40.1, \"lon\": -74.5, \"accuracy_m\": 12.5, "
                           "\"fix_time_ms\": 1795960800000, \"source\": \"wifi\", "
                           "\"mock\": true, \"ip\": \"192.0.2.1\"}",
                           0, &e);
    tsr_geo_report r;
    ck_assert_int_eq(tsr_geo_report_from_json(j, &r), TSR_OK);
    ck_assert_double_eq(r.lat, 40.1);
    ck_assert_double_eq(r.accuracy_m, 12.5);
    ck_assert_int_eq(r.fix_time_ns, NOW_NS);
    ck_assert_int_eq(r.source, TSR_GEO_SOURCE_WIFI);
    ck_assert(r.mock);
    ck_assert_str_eq(r.ip, "192.0.2.1");
    json_decref(j);
    static const struct {
        const char *text;
        tsr_status want;
    } bad[] = {
        {"[]", TSR_ERR_JSON},
        {"{\"lat\": 1, \"lon\": 2, \"accuracy_m\": 3, \"fix_time_ms\": 4}", TSR_ERR_FIELD_MISSING},
        {"{\"lon\": 2, \"accuracy_m\": 3, \"fix_time_ms\": 4, \"source\": \"gps\"}", TSR_ERR_FIELD_MISSING},
        {"{\"lat\": \"1\", \"lon\": 2, \"accuracy_m\": 3, \"fix_time_ms\": 4, \"source\": \"gps\"}", TSR_ERR_FIELD_TYPE},
        {"{\"lat\": 1, \"lon\": 2, \"accuracy_m\": 3, \"fix_time_ms\": 4.5, \"source\": \"gps\"}", TSR_ERR_FIELD_TYPE},
        {"{\"lat\": 1, \"lon\": 2, \"accuracy_m\": 3, \"fix_time_ms\": 4, \"source\": \"gps\", \"mock\": 1}", TSR_ERR_FIELD_TYPE},
        {"{\"lat\": 1, \"lon\": 2, \"accuracy_m\": 3, \"fix_time_ms\": 4, \"source\": \"gps\", \"ip\": 7}", TSR_ERR_FIELD_TYPE},
        {"{\"lat\": 1, \"lon\": 2, \"accuracy_m\": 3, \"fix_time_ms\": 4, \"source\": \"gps\", \"alt\": 7}", TSR_ERR_FIELD_UNKNOWN},
        {"{\"lat\": 1, \"lon\": 2, \"accuracy_m\": 3, \"fix_time_ms\": 4, \"source\": \"radar\"}", TSR_ERR_ARG},
        {"{\"lat\": 1, \"lon\": 2, \"accuracy_m\": 3, \"fix_time_ms\": -4, \"source\": \"gps\"}", TSR_ERR_RANGE},
        {"{\"lat\": 1, \"lon\": 2, \"accuracy_m\": 3, \"fix_time_ms\": 9223372036854775807, \"source\": \"gps\"}", TSR_ERR_RANGE},
        {"{\"lat\": 1, \"lon\": 2, \"accuracy_m\": 3, \"fix_time_ms\": 4, \"source\": \"gps\", "
         "\"ip\": \"0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000\"}", TSR_ERR_TOO_LONG},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        j = json_loads(bad[i].text, 0, &e);
        ck_assert_msg(j != NULL, "case %zu: %s", i, e.text);
        ck_assert_msg(tsr_geo_report_from_json(j, &r) == bad[i].want, "case %zu: got %s", i,
                      tsr_status_name(tsr_geo_report_from_json(j, &r)));
        json_decref(j);
    }
    tsr_geo_source s;
    ck_assert_int_eq(tsr_geo_source_parse("cell", &s), TSR_OK);
    ck_assert_str_eq(tsr_geo_source_name(s), "cell");
    ck_assert_int_eq(tsr_geo_source_parse(NULL, &s), TSR_ERR_ARG);
    ck_assert_str_eq(tsr_geo_source_name((tsr_geo_source)9), "unknown");
    ck_assert_str_eq(tsr_geo_outcome_name(TSR_GEO_NEEDS_BETTER_FIX), "needs_better_fix");
}
END_TEST

START_TEST(state_json_round_trip)
{
    tsr_geo_report r = report(NJ_LAT, NJ_LON, 20, "2001:db8:1::5");
    tsr_geo_state s, back;
    decide(&r, NULL, &s);
    json_t *j = tsr_geo_state_to_json(&s);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(tsr_geo_state_from_json(j, &back), TSR_OK);
    ck_assert(back.passed && back.has_fix);
    ck_assert_double_eq(back.lat, s.lat);
    ck_assert_int_eq(back.valid_until_ns, s.valid_until_ns);
    ck_assert_str_eq(back.ip, "2001:db8:1::5");
    ck_assert_str_eq(back.jurisdiction, "US-NJ");
    json_object_set_new(j, "extra", json_true());
    ck_assert_int_eq(tsr_geo_state_from_json(j, &back), TSR_ERR_FIELD_TYPE);
    json_object_del(j, "extra");
    json_object_set_new(j, "jurisdiction", json_string("A-VERY-LONG-JURISDICTION-ID"));
    ck_assert_int_eq(tsr_geo_state_from_json(j, &back), TSR_ERR_TOO_LONG);
    json_object_set_new(j, "jurisdiction", json_string("US-NJ"));
    json_object_set_new(j, "lat", json_real(95));
    ck_assert_int_eq(tsr_geo_state_from_json(j, &back), TSR_ERR_FIELD_TYPE);
    json_object_del(j, "lat");
    ck_assert_int_eq(tsr_geo_state_from_json(j, &back), TSR_ERR_FIELD_TYPE);
    json_decref(j);
    j = json_array();
    ck_assert_int_eq(tsr_geo_state_from_json(j, &back), TSR_ERR_JSON);
    json_decref(j);
}
END_TEST

static Suite *check_suite(void)
{
    Suite *s = suite_create("geo_check");
    TCase *tc = tcase_create("check");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, allowed_well_inside);
    tcase_add_test(tc, accuracy_radius_crossing_the_border);
    tcase_add_test(tc, outside_and_at_sea);
    tcase_add_test(tc, stale_and_future_fixes);
    tcase_add_test(tc, imprecise_fixes);
    tcase_add_test(tc, mock_location_is_a_fraud_signal);
    tcase_add_test(tc, impossible_travel);
    tcase_add_test(tc, blocked_ip_ranges);
    tcase_add_test(tc, ip_country_inconsistent_with_the_fix);
    tcase_add_test(tc, all_reasons_are_listed_in_order);
    tcase_add_test(tc, recheck_policy);
    tcase_add_test(tc, bad_reports_are_refused_untouched);
    tcase_add_test(tc, evidence_json_for_the_audit_log);
    tcase_add_test(tc, report_json);
    tcase_add_test(tc, state_json_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(check_suite()); }

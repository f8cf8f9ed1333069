/* The service's tables: config, jurisdiction rules, region directory and
 * routing, CIDR block lists and the IP -> country table; every malformed
 * input refused with its own code and a message naming the place. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/geo.h"
#include "tsr_test.h"

static char dir[256], data[1024], err[512];
static tsr_clock *clock_;
static tsr_env env;

static void setup(void)
{
    tsr_test_tmpdir("geo-tables", dir, sizeof dir);
    tsr_test_src("geo/data/jurisdictions.tgeo", data, sizeof data);
    ck_assert_int_eq(tsr_clock_test_create(&clock_, 0), TSR_OK);
    env = (tsr_env){clock_, NULL, NULL};
}

static void teardown(void)
{
    tsr_clock_destroy(clock_);
    tsr_test_rmtree(dir);
}

static void put_file(const char *name, const char *fmt, ...)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fclose(f);
}

/* A rules file with one valid jurisdiction body for `id`. */
#define NJ_RULES                                                                       \
    "{\"online_sales\": true, \"retail_sales\": true, \"legal_age\": 18,"             \
    " \"games\": [\"pick3\"], \"tax_report_threshold_cents\": 60000,"                  \
    " \"tax_withholding_threshold_cents\": 500000, \"tax_withholding_rate_bp\": 2400," \
    " \"self_exclusion_min_days\": 365}"

/* Opens a config whose body follows "boundaries" (relative file names are
 * in the temp dir). */
static tsr_status open_cfg(tsr_geo **g, const char *fmt, ...)
{
    char body[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    put_file("geo.json", "{\"boundaries\": \"%s\"%s}", data, body);
    char path[512];
    snprintf(path, sizeof path, "%s/geo.json", dir);
    err[0] = '\0';
    *g = NULL;
    tsr_status st = tsr_geo_open(g, path, &env, err, sizeof err);
    printf("open_cfg: %s: %s\n", tsr_status_name(st), err);
    if (st != TSR_OK)
        ck_assert_ptr_null(*g);
    return st;
}

static tsr_status open_rules(const char *rules_body)
{
    put_file("rules.json", "%s", rules_body);
    tsr_geo *g;
    tsr_status st = open_cfg(&g, ", \"rules\": \"rules.json\", \"permitted\": []");
    tsr_geo_close(g);
    return st;
}

static tsr_status open_directory(const char *dir_body)
{
    put_file("dir.json", "%s", dir_body);
    tsr_geo *g;
    tsr_status st = open_cfg(&g, ", \"directory\": \"dir.json\", \"permitted\": []");
    tsr_geo_close(g);
    return st;
}

static tsr_status open_cidr(const char *kind, const char *lines)
{
    put_file("list.cidr", "%s", lines);
    tsr_geo *g;
    tsr_status st = strcmp(kind, "country") == 0
                        ? open_cfg(&g, ", \"ip_country\": \"list.cidr\", \"permitted\": []")
                        : open_cfg(&g, ", \"blocklists\": {\"vpn\": \"list.cidr\"}, \"permitted\": []");
    tsr_geo_close(g);
    return st;
}

START_TEST(the_shipped_deployment_config_loads_and_routes)
{
    char path[1024];
    tsr_test_src("deploy/geo/geo.json", path, sizeof path);
    tsr_geo *g;
    ck_assert_int_eq(tsr_geo_open(&g, path, &env, err, sizeof err), TSR_OK);
    ck_assert_int_eq(tsr_geo_policy_of(g)->recheck_s, 1200);
    ck_assert_int_eq(tsr_geo_policy_of(g)->recheck_near_border_s, 300);
    ck_assert_int_eq(tsr_geo_policy_of(g)->near_border_m, 1609);
    ck_assert_int_gt(tsr_geo_map_count(tsr_geo_map_of(g)), 250);
    tsr_geo_route r;
    ck_assert_int_eq(tsr_geo_route_find(g, 40.0583, -74.4057, &r), TSR_OK);
    ck_assert_str_eq(r.jurisdiction, "US-NJ");
    ck_assert_str_eq(r.region, "us-east");
    ck_assert_str_eq(r.node, "node-nj-1");
    ck_assert_str_eq(r.endpoint, "coaps://nj-1.tessera.example:5684");
    ck_assert_int_eq(tsr_geo_route_find(g, 42.6526, -73.7562, &r), TSR_OK); /* NY: same node */
    ck_assert_str_eq(r.node, "node-nj-1");
    ck_assert_int_eq(tsr_geo_route_find(g, 40.2732, -76.8867, &r), TSR_OK);
    ck_assert_str_eq(r.node, "node-pa-1");
    ck_assert_int_eq(tsr_geo_route_find(g, 48.8566, 2.3522, &r), TSR_OK);
    ck_assert_str_eq(r.node, "node-eu-1");
    ck_assert_int_eq(tsr_geo_route_find(g, 52.52, 13.405, &r), TSR_ERR_GEO_NO_NODE);
    ck_assert_str_eq(r.jurisdiction, "DE");
    ck_assert_str_eq(r.node, "");
    ck_assert_int_eq(tsr_geo_route_find(g, 0, -150, &r), TSR_ERR_GEO_NO_NODE);
    ck_assert_str_eq(r.jurisdiction, "");
    ck_assert_int_eq(tsr_geo_route_find(g, 0, 200, &r), TSR_ERR_GEO_COORD);
    tsr_geo_close(g);
    tsr_geo_close(NULL);
}
END_TEST

START_TEST(rules_of_a_jurisdiction)
{
    char path[1024];
    tsr_test_src("deploy/geo/geo.json", path, sizeof path);
    tsr_geo *g;
    ck_assert_int_eq(tsr_geo_open(&g, path, &env, err, sizeof err), TSR_OK);
    const tsr_geo_rules *r;
    ck_assert_int_eq(tsr_geo_rules_get(g, "US-NJ", &r), TSR_OK);
    ck_assert(r->online_sales && r->retail_sales);
    ck_assert_int_eq(r->legal_age_years, 18);
    ck_assert_int_eq(r->max_stake_per_bet_cents, 20000);
    ck_assert_int_eq(r->max_stake_per_day_cents, 100000);
    ck_assert_int_eq(r->tax_report_threshold_cents, 60000);
    ck_assert_int_eq(r->tax_withholding_threshold_cents, 500000);
    ck_assert_int_eq(r->tax_withholding_rate_bp, 2400);
    ck_assert_int_eq(r->self_exclusion_min_days, 365);
    ck_assert(tsr_geo_rules_game_allowed(r, "keno"));
    ck_assert(!tsr_geo_rules_game_allowed(r, "bingo"));
    ck_assert(!tsr_geo_rules_game_allowed(r, NULL));
    ck_assert_int_eq(tsr_geo_rules_get(g, "US-NY", &r), TSR_OK);
    ck_assert(!r->online_sales);
    ck_assert_int_eq(tsr_geo_rules_get(g, "DE", &r), TSR_ERR_GEO_UNKNOWN_JURISDICTION);
    ck_assert_int_eq(tsr_geo_rules_get(g, NULL, &r), TSR_ERR_GEO_UNKNOWN_JURISDICTION);
    ck_assert_int_eq(tsr_geo_rules_get(g, "GB", &r), TSR_OK);
    json_t *j = tsr_geo_rules_json(r);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "jurisdiction")), "GB");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "self_exclusion_min_days")), 183);
    ck_assert_uint_eq(json_array_size(json_object_get(j, "games")), 2);
    json_decref(j);
    tsr_geo_close(g);
}
END_TEST

START_TEST(ip_lookups)
{
    char path[1024];
    tsr_test_src("deploy/geo/geo.json", path, sizeof path);
    tsr_geo *g;
    ck_assert_int_eq(tsr_geo_open(&g, path, &env, err, sizeof err), TSR_OK);
    char cc[TSR_GEO_COUNTRY_MAX], bl[TSR_GEO_LABEL_MAX];
    ck_assert_int_eq(tsr_geo_ip_info(g, "192.0.2.127", cc, bl), TSR_OK);
    ck_assert_str_eq(cc, "US");
    ck_assert_str_eq(bl, "");
    ck_assert_int_eq(tsr_geo_ip_info(g, "192.0.2.128", cc, bl), TSR_OK);
    ck_assert_str_eq(cc, "FR");
    ck_assert_int_eq(tsr_geo_ip_info(g, "::ffff:198.51.100.77", cc, bl), TSR_OK);
    ck_assert_str_eq(cc, "GB");
    ck_assert_str_eq(bl, "proxy");
    ck_assert_int_eq(tsr_geo_ip_info(g, "2001:db8:1:ffff::1", cc, NULL), TSR_OK);
    ck_assert_str_eq(cc, "US");
    ck_assert_int_eq(tsr_geo_ip_info(g, "8.8.8.8", NULL, bl), TSR_OK);
    ck_assert_str_eq(bl, "");
    ck_assert_int_eq(tsr_geo_ip_info(g, "256.0.0.1", cc, bl), TSR_ERR_GEO_IP_INVALID);
    ck_assert_int_eq(tsr_geo_ip_info(g, NULL, cc, bl), TSR_ERR_GEO_IP_INVALID);
    tsr_geo_close(g);
}
END_TEST

/* Longest prefix wins in the country table. */
START_TEST(longest_prefix_match)
{
    put_file("cc.cidr", "10.0.0.0/8 US\n10.1.0.0/16 FR\n10.1.2.0/24 GB\n# comment\n\n"
                        "2001:db8::/32 US  # trailing comment\n2001:db8:ff00::/40 DE\n");
    tsr_geo *g;
    ck_assert_int_eq(open_cfg(&g, ", \"ip_country\": \"cc.cidr\", \"permitted\": [\"FR\"]"),
                     TSR_OK);
    char cc[TSR_GEO_COUNTRY_MAX];
    static const char *const cases[][2] = {
        {"10.9.9.9", "US"}, {"10.1.9.9", "FR"}, {"10.1.2.3", "GB"}, {"11.0.0.1", ""},
        {"2001:db8::1", "US"}, {"2001:db8:ff12::1", "DE"}, {"2001:db9::1", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_int_eq(tsr_geo_ip_info(g, cases[i][0], cc, NULL), TSR_OK);
        ck_assert_str_eq(cc, cases[i][1]);
    }
    tsr_geo_close(g);
}
END_TEST

START_TEST(config_errors)
{
    tsr_geo *g;
    char path[512];
    snprintf(path, sizeof path, "%s/missing.json", dir);
    ck_assert_int_eq(tsr_geo_open(&g, path, &env, err, sizeof err), TSR_ERR_IO);
    put_file("broken.json", "{\"boundaries\": ");
    snprintf(path, sizeof path, "%s/broken.json", dir);
    ck_assert_int_eq(tsr_geo_open(&g, path, &env, err, sizeof err), TSR_ERR_JSON);
    ck_assert_int_eq(open_cfg(&g, ""), TSR_ERR_FIELD_MISSING); /* no "permitted" */
    ck_assert_ptr_nonnull(strstr(err, "permitted"));
    ck_assert_int_eq(open_cfg(&g, ", \"permitted\": [], \"colour\": 1"),
                     TSR_ERR_CONFIG_UNKNOWN_KEY);
    ck_assert_int_eq(open_cfg(&g, ", \"permitted\": [], \"recheck_s\": 0"), TSR_ERR_CONFIG_RANGE);
    ck_assert_int_eq(open_cfg(&g, ", \"permitted\": \"US-NJ\""), TSR_ERR_CONFIG_TYPE);
    ck_assert_int_eq(open_cfg(&g, ", \"permitted\": [], \"ip_country_check\": 1"),
                     TSR_ERR_CONFIG_TYPE);
    ck_assert_int_eq(open_cfg(&g, ", \"permitted\": [\"US-XX\"]"),
                     TSR_ERR_GEO_UNKNOWN_JURISDICTION);
    ck_assert_int_eq(open_cfg(&g, ", \"permitted\": [7]"), TSR_ERR_GEO_UNKNOWN_JURISDICTION);
    /* A permitted jurisdiction needs rules allowing online sales. */
    put_file("rules.json", "{\"jurisdictions\": {\"US-NJ\": " NJ_RULES "}}");
    ck_assert_int_eq(open_cfg(&g, ", \"rules\": \"rules.json\", \"permitted\": [\"US-NJ\"]"),
                     TSR_OK);
    tsr_geo_close(g);
    ck_assert_int_eq(open_cfg(&g, ", \"rules\": \"rules.json\", \"permitted\": [\"US-PA\"]"),
                     TSR_ERR_GEO_RULES);
    ck_assert_ptr_nonnull(strstr(err, "US-PA"));
    /* The boundary file itself. */
    put_file("geo2.json", "{\"boundaries\": \"nope.tgeo\", \"permitted\": []}");
    snprintf(path, sizeof path, "%s/geo2.json", dir);
    ck_assert_int_eq(tsr_geo_open(&g, path, &env, err, sizeof err), TSR_ERR_GEO_DATA);
    ck_assert_ptr_nonnull(strstr(err, "nope.tgeo"));
}
END_TEST

START_TEST(rules_file_errors)
{
    ck_assert_int_eq(open_rules("{\"jurisdictions\": {\"US-NJ\": " NJ_RULES "}}"), TSR_OK);
    ck_assert_int_eq(open_rules("{\"jurisdictions\": {}}"), TSR_OK);
    ck_assert_int_eq(open_rules("{\"jurisdictions\": "), TSR_ERR_GEO_RULES);
    ck_assert_int_eq(open_rules("{\"US-NJ\": " NJ_RULES "}"), TSR_ERR_GEO_RULES);
    ck_assert_int_eq(open_rules("{\"jurisdictions\": []}"), TSR_ERR_GEO_RULES);
    ck_assert_int_eq(open_rules("{\"jurisdictions\": {\"US-XX\": " NJ_RULES "}}"),
                     TSR_ERR_GEO_UNKNOWN_JURISDICTION);
    static const char *const bad[] = {
        /* unknown key */
        "{\"online_sales\": true, \"retail_sales\": true, \"legal_age\": 18, \"games\": [],"
        " \"tax_report_threshold_cents\": 0, \"tax_withholding_threshold_cents\": 0,"
        " \"tax_withholding_rate_bp\": 0, \"self_exclusion_min_days\": 1, \"colour\": 1}",
        /* legal age out of range */
        "{\"online_sales\": true, \"retail_sales\": true, \"legal_age\": 12, \"games\": [],"
        " \"tax_report_threshold_cents\": 0, \"tax_withholding_threshold_cents\": 0,"
        " \"tax_withholding_rate_bp\": 0, \"self_exclusion_min_days\": 1}",
        /* games missing */
        "{\"online_sales\": true, \"retail_sales\": true, \"legal_age\": 18,"
        " \"tax_report_threshold_cents\": 0, \"tax_withholding_threshold_cents\": 0,"
        " \"tax_withholding_rate_bp\": 0, \"self_exclusion_min_days\": 1}",
        /* a game that is not a string */
        "{\"online_sales\": true, \"retail_sales\": true, \"legal_age\": 18, \"games\": [3],"
        " \"tax_report_threshold_cents\": 0, \"tax_withholding_threshold_cents\": 0,"
        " \"tax_withholding_rate_bp\": 0, \"self_exclusion_min_days\": 1}",
        /* withholding below reporting */
        "{\"online_sales\": true, \"retail_sales\": true, \"legal_age\": 18, \"games\": [],"
        " \"tax_report_threshold_cents\": 60000, \"tax_withholding_threshold_cents\": 100,"
        " \"tax_withholding_rate_bp\": 2400, \"self_exclusion_min_days\": 1}",
        /* negative stake cap */
        "{\"online_sales\": true, \"retail_sales\": true, \"legal_age\": 18, \"games\": [],"
        " \"max_stake_per_bet_cents\": -1, \"tax_report_threshold_cents\": 0,"
        " \"tax_withholding_threshold_cents\": 0, \"tax_withholding_rate_bp\": 0,"
        " \"self_exclusion_min_days\": 1}",
        /* not an object */
        "[]",
    };
    char body[4096];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(body, sizeof body, "{\"jurisdictions\": {\"FR\": %s}}", bad[i]);
        ck_assert_msg(open_rules(body) == TSR_ERR_GEO_RULES, "case %zu", i);
        ck_assert_ptr_nonnull(strstr(err, "FR"));
    }
    /* More games than the limit. */
    char games[2048] = "[";
    for (int i = 0; i <= TSR_GEO_MAX_GAMES; i++)
        snprintf(games + strlen(games), sizeof games - strlen(games), "%s\"g%d\"", i ? "," : "", i);
    strcat(games, "]");
    snprintf(body, sizeof body,
             "{\"jurisdictions\": {\"FR\": {\"online_sales\": true, \"retail_sales\": true,"
             " \"legal_age\": 18, \"games\": %s, \"tax_report_threshold_cents\": 0,"
             " \"tax_withholding_threshold_cents\": 0, \"tax_withholding_rate_bp\": 0,"
             " \"self_exclusion_min_days\": 1}}}",
             games);
    ck_assert_int_eq(open_rules(body), TSR_ERR_GEO_RULES);
}
END_TEST

START_TEST(directory_errors)
{
#define REGION(name, jurs) \
    "{\"region\": \"" name "\", \"node\": \"n-" name "\", \"endpoint\": \"coap://x\", \"jurisdictions\": " jurs "}"
    ck_assert_int_eq(open_directory("{\"regions\": [" REGION("a", "[\"US-NJ\"]") "]}"), TSR_OK);
    ck_assert_int_eq(open_directory("{\"regions\": []}"), TSR_OK);
    ck_assert_int_eq(open_directory("{\"regions\": "), TSR_ERR_GEO_DIRECTORY);
    ck_assert_int_eq(open_directory("{\"regions\": {}}"), TSR_ERR_GEO_DIRECTORY);
    ck_assert_int_eq(open_directory("{\"regions\": [], \"x\": 1}"), TSR_ERR_GEO_DIRECTORY);
    ck_assert_int_eq(open_directory("{\"regions\": [" REGION("a", "[]") "]}"),
                     TSR_ERR_GEO_DIRECTORY);
    ck_assert_int_eq(open_directory("{\"regions\": [" REGION("a", "[\"US-NJ\"]") ","
                                    REGION("b", "[\"FR\", \"US-NJ\"]") "]}"),
                     TSR_ERR_GEO_DIRECTORY);
    ck_assert_ptr_nonnull(strstr(err, "two regions"));
    ck_assert_int_eq(open_directory("{\"regions\": [" REGION("a", "[\"US-NJ\"]") ","
                                    REGION("a", "[\"FR\"]") "]}"),
                     TSR_ERR_GEO_DIRECTORY);
    ck_assert_int_eq(open_directory("{\"regions\": [" REGION("a", "[\"XX-NOWHERE\"]") "]}"),
                     TSR_ERR_GEO_UNKNOWN_JURISDICTION);
    ck_assert_int_eq(open_directory("{\"regions\": [{\"region\": \"a\", \"node\": \"\","
                                    " \"endpoint\": \"e\", \"jurisdictions\": [\"FR\"]}]}"),
                     TSR_ERR_GEO_DIRECTORY);
    ck_assert_int_eq(open_directory("{\"regions\": [{\"region\": \"a\", \"node\": \"n\","
                                    " \"jurisdictions\": [\"FR\"]}]}"),
                     TSR_ERR_GEO_DIRECTORY);
#undef REGION
}
END_TEST

START_TEST(cidr_file_errors)
{
    ck_assert_int_eq(open_cidr("country", "192.0.2.0/24 US\n"), TSR_OK);
    ck_assert_int_eq(open_cidr("block", "192.0.2.0/24\n2001:db8::/32 note\n"), TSR_OK);
    ck_assert_int_eq(open_cidr("block", ""), TSR_OK);
    static const char *const bad_block[] = {
        "192.0.2.0\n",             /* no length */
        "192.0.2.0/\n",            /* empty length */
        "192.0.2.0/33\n",          /* too long for IPv4 */
        "2001:db8::/129\n",        /* too long for IPv6 */
        "192.0.2.1/24\n",          /* host bits set */
        "192.0.2.0/24 a b\n",      /* two labels */
        "192.0.2.0/x4\n",          /* not a number */
        "192.0.2.0/-1\n",          /* negative */
        "300.0.2.0/24\n",          /* not an address */
        "192.0.2.0/24 labeltoolongforthis\n",
    };
    for (size_t i = 0; i < sizeof bad_block / sizeof bad_block[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "# header\n%s", bad_block[i]);
        ck_assert_msg(open_cidr("block", text) == TSR_ERR_GEO_CIDR, "case %zu", i);
        ck_assert_msg(strstr(err, "list.cidr:2") != NULL, "case %zu: %s", i, err);
    }
    ck_assert_int_eq(open_cidr("country", "192.0.2.0/24\n"), TSR_ERR_GEO_CIDR); /* no country */
    ck_assert_int_eq(open_cidr("country", "192.0.2.0/24 us\n"), TSR_ERR_GEO_CIDR);
    ck_assert_int_eq(open_cidr("country", "192.0.2.0/24 USA\n"), TSR_ERR_GEO_CIDR);
    /* A line longer than any valid one. */
    char longline[600];
    memset(longline, ' ', sizeof longline);
    memcpy(longline, "192.0.2.0/24", 12);
    longline[sizeof longline - 1] = '\0';
    ck_assert_int_eq(open_cidr("block", longline), TSR_ERR_GEO_CIDR);
    /* Unreadable file, too many lists, a list that is not a file name. */
    tsr_geo *g;
    ck_assert_int_eq(open_cfg(&g, ", \"blocklists\": {\"vpn\": \"absent.cidr\"}, \"permitted\": []"),
                     TSR_ERR_GEO_CIDR);
    ck_assert_ptr_nonnull(strstr(err, "absent.cidr"));
    ck_assert_int_eq(open_cfg(&g, ", \"blocklists\": {\"vpn\": 5}, \"permitted\": []"),
                     TSR_ERR_GEO_CIDR);
    ck_assert_int_eq(open_cfg(&g, ", \"blocklists\": {\"a\": \"l\", \"b\": \"l\", \"c\": \"l\","
                                  " \"d\": \"l\", \"e\": \"l\", \"f\": \"l\", \"g\": \"l\","
                                  " \"h\": \"l\", \"i\": \"l\"}, \"permitted\": []"),
                     TSR_ERR_GEO_CIDR);
}
END_TEST

static Suite *tables_suite(void)
{
    Suite *s = suite_create("geo_tables");
    TCase *tc = tcase_create("tables");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, the_shipped_deployment_config_loads_and_routes);
    tcase_add_test(tc, rules_of_a_jurisdiction);
    tcase_add_test(tc, ip_lookups);
    tcase_add_test(tc, longest_prefix_match);
    tcase_add_test(tc, config_errors);
    tcase_add_test(tc, rules_file_errors);
    tcase_add_test(tc, directory_errors);
    tcase_add_test(tc, cidr_file_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(tables_suite()); }

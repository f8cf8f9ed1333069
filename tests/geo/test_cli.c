/* tessera-geo from the shell: locate, route, check (with a state file),
 * rules, bench output and usage errors. Speed is printed, never asserted. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "tessera/geo.h"
#include "tsr_test.h"

static char bin[1024], config[1024], dir[256];
static char out[16384];

static void setup(void)
{
    tsr_test_bin("tessera-geo", bin, sizeof bin);
    tsr_test_src("deploy/geo/geo.json", config, sizeof config);
    tsr_test_tmpdir("geo-cli", dir, sizeof dir);
}

static void teardown(void) { tsr_test_rmtree(dir); }

static int run(const char *args)
{
    memset(out, 0, sizeof out);
    int rc = tsr_test_sh_capture(out, sizeof out, "%s %s --config %s 2>&1", bin, args, config);
    printf("$ tessera-geo %s -> %d\n%s\n", args, rc, out);
    return rc;
}

START_TEST(locate_prints_jurisdiction_and_border_distance)
{
    ck_assert_int_eq(run("locate --lat 40.1054182 --lon -74.8386323"), 0);
    ck_assert_ptr_nonnull(strstr(out, "jurisdiction US-NJ (New Jersey, US)"));
    ck_assert_ptr_nonnull(strstr(out, "border 2")); /* 25 m, give or take */
    ck_assert_int_eq(run("locate --lat 0 --lon -150"), 0);
    ck_assert_ptr_nonnull(strstr(out, "jurisdiction none"));
    ck_assert_ptr_nonnull(strstr(out, "nearest border"));
    ck_assert_int_eq(run("locate --lat 67.5 --lon -179.95"), 0);
    ck_assert_ptr_nonnull(strstr(out, "jurisdiction RU"));
    ck_assert_int_eq(run("locate --lat 95 --lon 0"), EX_DATAERR);
    ck_assert_ptr_nonnull(strstr(out, "TSR_ERR_GEO_COORD"));
    ck_assert_int_eq(run("locate --lat 40"), EX_DATAERR); /* usage */
    ck_assert_int_eq(run("locate --lat abc --lon 0"), EX_DATAERR);
    ck_assert_int_eq(run("locate --lat 1 --lon 1 --data /nonexistent.tgeo"), EX_CONFIG);
    ck_assert_ptr_nonnull(strstr(out, "TSR_ERR_GEO_DATA"));
}
END_TEST

START_TEST(route_names_the_node_or_none)
{
    ck_assert_int_eq(run("route --lat 40.0583 --lon -74.4057"), 0);
    ck_assert_ptr_nonnull(strstr(out, "node node-nj-1"));
    ck_assert_ptr_nonnull(strstr(out, "endpoint coaps://nj-1.tessera.example:5684"));
    ck_assert_int_eq(run("route --lat 52.52 --lon 13.405"), EX_NOINPUT);
    ck_assert_ptr_nonnull(strstr(out, "jurisdiction DE"));
    ck_assert_ptr_nonnull(strstr(out, "node none"));
    ck_assert_ptr_nonnull(strstr(out, "TSR_ERR_GEO_NO_NODE"));
}
END_TEST

START_TEST(check_with_a_state_file)
{
    char args[1024];
    snprintf(args, sizeof args,
             "check --lat 40.0583 --lon -74.4057 --accuracy 20 --ip 192.0.2.10 --state %s/p.json",
             dir);
    ck_assert_int_eq(run(args), 0);
    ck_assert_ptr_nonnull(strstr(out, "\"outcome\": \"allowed\""));
    /* Paris a moment later, from the same player: impossible travel. */
    snprintf(args, sizeof args,
             "check --lat 48.8566 --lon 2.3522 --accuracy 20 --ip 192.0.2.200 --state %s/p.json",
             dir);
    ck_assert_int_eq(run(args), EX_NOPERM);
    ck_assert_ptr_nonnull(strstr(out, "\"status\": \"TSR_ERR_GEO_TRAVEL\""));
    ck_assert_ptr_nonnull(strstr(out, "\"fraud_signals\""));
    ck_assert_ptr_nonnull(strstr(out, "event=geo_fraud_signal"));
    ck_assert_int_eq(run("check --lat 40.0583 --lon -74.4057 --accuracy 20 --mock"), EX_NOPERM);
    ck_assert_ptr_nonnull(strstr(out, "TSR_ERR_GEO_MOCK"));
    ck_assert_int_eq(run("check --lat 40.0583 --lon -74.4057 --accuracy 20 --age-s 600"),
                     EX_NOPERM);
    ck_assert_ptr_nonnull(strstr(out, "\"outcome\": \"needs_better_fix\""));
    ck_assert_int_eq(run("check --lat 40.0583 --lon -74.4057 --accuracy 20 --source radar"),
                     EX_DATAERR);
    ck_assert_int_eq(run("check --lat 40.0583 --lon -74.4057 --accuracy 20 --ip 1.2.3"),
                     EX_DATAERR);
    ck_assert_ptr_nonnull(strstr(out, "TSR_ERR_GEO_IP_INVALID"));
}
END_TEST

START_TEST(rules_and_usage)
{
    ck_assert_int_eq(run("rules --jurisdiction US-NJ"), 0);
    ck_assert_ptr_nonnull(strstr(out, "\"legal_age\": 18"));
    ck_assert_int_eq(run("rules --jurisdiction DE"), EX_NOINPUT);
    ck_assert_ptr_nonnull(strstr(out, "TSR_ERR_GEO_UNKNOWN_JURISDICTION"));
    ck_assert_int_eq(run("frobnicate"), EX_DATAERR);
    ck_assert_ptr_nonnull(strstr(out, "usage: tessera-geo"));
    ck_assert_int_eq(run("bench --seconds 0"), EX_DATAERR);
}
END_TEST

START_TEST(bench_prints_rates)
{
    ck_assert_int_eq(run("bench --seconds 1 --seed 7"), 0);
    ck_assert_ptr_nonnull(strstr(out, "seed 7"));
    ck_assert_ptr_nonnull(strstr(out, "lookups/s"));
    ck_assert_ptr_nonnull(strstr(out, "contiguous US"));
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("geo_cli");
    TCase *tc = tcase_create("cli");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, locate_prints_jurisdiction_and_border_distance);
    tcase_add_test(tc, route_names_the_node_or_none);
    tcase_add_test(tc, check_with_a_state_file);
    tcase_add_test(tc, rules_and_usage);
    tcase_add_test(tc, bench_prints_rates);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(cli_suite()); }

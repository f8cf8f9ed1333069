/* The catalogue: the presets load, every inconsistency is rejected with a
 * message naming the game and the field, time zones follow the tz database
 * across DST changes, draw numbers follow the date, payout classes follow
 * the configured jurisdiction rules. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../sync/src/game_int.h" /* the zoneinfo reader, tested directly */
#include "tessera/catalog.h"
#include "tsr_test.h"

#define NS INT64_C(1000000000)

static json_t *preset(void)
{
    char path[512];
    json_error_t je;
    tsr_test_src("deploy/catalog/tessera.json", path, sizeof path);
    json_t *root = json_load_file(path, 0, &je);
    ck_assert_msg(root != NULL, "%s", je.text);
    return root;
}

static json_t *game_obj(json_t *root, const char *id)
{
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(root, "games"), i, g)
    if (strcmp(json_string_value(json_object_get(g, "id")), id) == 0)
        return g;
    ck_abort_msg("no preset %s", id);
    return NULL;
}

/* Loads root (taken) and expects status st with `needle` in the message. */
static void expect(json_t *root, tsr_status st, const char *needle)
{
    char *text = json_dumps(root, 0), err[512] = "";
    json_decref(root);
    tsr_catalog *cat = NULL;
    tsr_status got = tsr_catalog_load_json(&cat, text, strlen(text), err, sizeof err);
    free(text);
    if (got == TSR_OK)
        tsr_catalog_free(cat);
    ck_assert_msg(got == st, "want %s got %s (%s)", tsr_status_name(st), tsr_status_name(got), err);
    ck_assert_msg(strstr(err, needle) != NULL, "message '%s' lacks '%s'", err, needle);
}

static json_t *tier(json_t *g, size_t i) { return json_array_get(json_object_get(g, "prizes"), i); }

START_TEST(presets_load)
{
    json_t *root = preset();
    char *text = json_dumps(root, 0), err[256];
    json_decref(root);
    tsr_catalog *cat;
    ck_assert_int_eq(tsr_catalog_load_json(&cat, text, strlen(text), err, sizeof err), TSR_OK);
    free(text);
    ck_assert_int_eq(tsr_catalog_count(cat), 6);
    ck_assert_int_eq(tsr_catalog_version(cat), 1);
    const tsr_game *g = tsr_catalog_find(cat, "powerball");
    ck_assert_ptr_eq(g, tsr_catalog_game_at(cat, 1));
    ck_assert_ptr_null(tsr_catalog_game_at(cat, 6));
    ck_assert_ptr_null(tsr_catalog_find(cat, "nope"));
    ck_assert_int_eq(g->family, TSR_FAMILY_TWO_POOL);
    ck_assert_int_eq(g->prize_base_cents, 200); /* lotto prizes are per line */
    ck_assert_int_eq(g->schedule.cutoff_min, 900);
    ck_assert_int_eq(g->schedule.results_min, 960);
    ck_assert_str_eq(tsr_catalog_payout_rules(cat)->jurisdiction, "US");
    ck_assert(tsr_catalog_find(cat, "pick3")->tiers[0].capped); /* digits: every tier under the liability cap */
    tsr_catalog_free(cat);
    tsr_catalog_free(NULL);
}
END_TEST

START_TEST(rejects_shares_above_100_percent)
{
    json_t *root = preset();
    json_object_set_new(tier(game_obj(root, "lotto649"), 0), "share", json_string("99.5"));
    expect(root, TSR_ERR_CATALOG, "game 'lotto649' field 'prizes': pari-mutuel shares add up to 110.0000% of sales, above 100%");
}
END_TEST

START_TEST(rejects_a_tier_that_can_never_be_hit)
{
    json_t *root = preset();
    json_array_append_new(json_object_get(game_obj(root, "lotto649"), "prizes"),
                          json_pack("{s:s,s:i,s:b,s:s}", "name", "6/6+B", "match", 6, "bonus", 1, "prize", "1.00"));
    expect(root, TSR_ERR_CATALOG, "game 'lotto649' field 'prizes[7].match': prize tier '6/6+B' can never be hit");
    root = preset();
    json_array_append_new(json_object_get(game_obj(root, "pick3"), "prizes"),
                          json_pack("{s:s,s:s,s:i,s:s}", "name", "box 4-way", "bet", "box", "ways", 4, "prize", "1.00"));
    expect(root, TSR_ERR_CATALOG, "game 'pick3' field 'prizes[10].match': prize tier 'box 4-way' can never be hit");
    root = preset();
    json_array_append_new(json_object_get(game_obj(root, "pick4"), "prizes"),
                          json_pack("{s:s,s:s,s:s}", "name", "pair", "bet", "front_pair", "prize", "1.00"));
    expect(root, TSR_ERR_CATALOG, "can never be hit: the game does not offer 'front_pair' bets");
}
END_TEST

START_TEST(rejects_a_cutoff_after_the_results)
{
    json_t *root = preset();
    json_object_set_new(json_object_get(game_obj(root, "keno"), "schedule"), "cutoff", json_string("16:30"));
    expect(root, TSR_ERR_CATALOG, "game 'keno' field 'schedule.cutoff': the cutoff 16:30 is not before the results time 16:00");
    root = preset();
    json_object_set_new(json_object_get(game_obj(root, "keno"), "schedule"), "results", json_string("24:00"));
    expect(root, TSR_ERR_CATALOG, "field 'schedule.results': '24:00' is not a local time HH:MM");
    root = preset();
    json_object_set_new(json_object_get(game_obj(root, "keno"), "schedule"), "days", json_pack("[s,s]", "mon", "mon"));
    expect(root, TSR_ERR_CATALOG, "field 'schedule.days'");
}
END_TEST

START_TEST(rejects_bad_time_zones)
{
    json_t *root = preset();
    json_object_set_new(json_object_get(game_obj(root, "pick3"), "schedule"), "tz", json_string("Mars/Olympus_Mons"));
    expect(root, TSR_ERR_GAME_TZ, "game 'pick3' field 'schedule.tz': no time zone 'Mars/Olympus_Mons'");
    root = preset();
    json_object_set_new(json_object_get(game_obj(root, "pick3"), "schedule"), "tz", json_string("../../etc/passwd"));
    expect(root, TSR_ERR_GAME_TZ, "is not a time zone name");
    root = preset();
    json_object_set_new(json_object_get(game_obj(root, "pick3"), "schedule"), "tz", json_string("iso3166.tab"));
    expect(root, TSR_ERR_GAME_TZ, "is not a valid TZif file");
}
END_TEST

START_TEST(rejects_overlaps_and_uncovered_bets)
{
    json_t *root = preset();
    json_array_append_new(json_object_get(game_obj(root, "lotto649"), "prizes"),
                          json_pack("{s:s,s:i,s:b,s:s}", "name", "3/6+B", "match", 3, "bonus", 1, "prize", "20.00"));
    expect(root, TSR_ERR_CATALOG, "tier '3/6+B' pays the same outcome as tier '3/6'");
    root = preset();
    json_array_append_new(json_object_get(game_obj(root, "pick3"), "prizes"),
                          json_pack("{s:s,s:s,s:s}", "name", "combo 2", "bet", "combo", "prize", "1.00"));
    expect(root, TSR_ERR_CATALOG, "tier 'combo 2' pays the same outcome as tier 'combo'");
    root = preset();
    json_array_append_new(json_object_get(game_obj(root, "pick4"), "bet_types"), json_string("front_pair"));
    expect(root, TSR_ERR_CATALOG, "game 'pick4' field 'bet_types': 'front_pair' bets have no prize tier");
    root = preset();
    json_array_remove(json_object_get(game_obj(root, "keno"), "prizes"), 0);
    expect(root, TSR_ERR_CATALOG, "1-spot bets have no prize tier");
}
END_TEST

START_TEST(rejects_money_rules)
{
    json_t *root = preset();
    json_object_set_new(tier(game_obj(root, "pick3"), 0), "prize", json_string("500.01"));
    expect(root, TSR_ERR_CATALOG, "tier 'straight' does not pay whole cents");
    root = preset();
    json_object_set_new(tier(game_obj(root, "bonusbet"), 4), "prize", json_string("50.00"));
    expect(root, TSR_ERR_CATALOG, "game 'bonusbet' field 'prizes[4].prize': tier 'number' pays back more than 100%");
    root = preset();
    json_object_set_new(json_object_get(game_obj(root, "keno"), "stake"), "min", json_string("1.50"));
    expect(root, TSR_ERR_CATALOG, "field 'stake.min': must be a positive multiple of the unit");
    root = preset();
    json_object_set_new(json_object_get(game_obj(root, "keno"), "stake"), "max", json_string("0.50"));
    expect(root, TSR_ERR_CATALOG, "field 'stake.max'");
    root = preset();
    json_object_set_new(game_obj(root, "lotto649"), "stake", json_pack("{s:s}", "unit", "1.00"));
    expect(root, TSR_ERR_CATALOG, "a lotto game is sold at its price, not a stake");
    root = preset();
    json_object_set_new(tier(game_obj(root, "lotto649"), 4), "share", json_string("1"));
    expect(root, TSR_ERR_CATALOG, "needs exactly one of");
    root = preset();
    json_object_set_new(tier(game_obj(root, "lotto649"), 1), "jackpot", json_true());
    expect(root, TSR_ERR_CATALOG, "2 jackpot tiers");
    root = preset();
    json_object_set_new(tier(game_obj(root, "lotto649"), 0), "jackpot", json_false());
    expect(root, TSR_ERR_CATALOG, "tier '6/6' rolls into a jackpot the game does not have");
    root = preset();
    json_object_set_new(game_obj(root, "pick3"), "min_jackpot", json_string("10.00"));
    expect(root, TSR_ERR_CATALOG, "field 'min_jackpot': the game has no jackpot tier");
    root = preset();
    json_object_set_new(tier(game_obj(root, "lotto649"), 4), "multiplied", json_true());
    expect(root, TSR_ERR_CATALOG, "only fixed prizes of a game with the multiplier add-on");
    root = preset();
    json_object_del(game_obj(root, "keno"), "liability_cap");
    expect(root, TSR_ERR_CATALOG, "only fixed prizes of a game with a liability_cap are capped");
    root = preset();
    json_object_set_new(tier(game_obj(root, "lotto649"), 0), "share", json_string("12.34567"));
    expect(root, TSR_ERR_CATALOG, "is not a percentage");
}
END_TEST

START_TEST(rejects_structure)
{
    json_t *root = preset();
    json_object_set_new(game_obj(root, "keno"), "colour", json_string("red"));
    expect(root, TSR_ERR_CATALOG, "game 'keno' field 'colour': unknown field");
    root = preset();
    json_object_set_new(game_obj(root, "keno"), "family", json_string("bingo"));
    expect(root, TSR_ERR_CATALOG, "'bingo' is not lotto");
    root = preset();
    json_object_set_new(game_obj(root, "keno"), "id", json_string("pick3"));
    expect(root, TSR_ERR_CATALOG, "game 'pick3' field 'id': two games have this id");
    root = preset();
    json_object_set_new(game_obj(root, "keno"), "id", json_string("Keno!"));
    expect(root, TSR_ERR_CATALOG, "use only a-z");
    root = preset();
    json_object_set_new(game_obj(root, "lotto649"), "pick", json_integer(49));
    expect(root, TSR_ERR_CATALOG, "outside 1..10");
    root = preset();
    json_object_set_new(game_obj(root, "keno"), "spots_max", json_integer(10));
    json_object_set_new(game_obj(root, "keno"), "drawn", json_integer(8));
    expect(root, TSR_ERR_CATALOG, "10 spots cannot all be hit when 8 are drawn");
    root = preset();
    json_object_set_new(json_object_get(game_obj(root, "powerball"), "addons"), "insurance", json_object());
    expect(root, TSR_ERR_CATALOG, "unknown add-on 'insurance'");
    root = preset();
    json_object_set_new(root, "draw_epoch", json_string("2024-02-30"));
    expect(root, TSR_ERR_CATALOG, "field 'draw_epoch': '2024-02-30' is not a date");
    root = preset();
    json_object_set_new(json_object_get(root, "payout"), "terminal_below", json_string("1.00"));
    expect(root, TSR_ERR_CATALOG, "terminal_below");
    root = preset();
    json_object_del(root, "payout");
    expect(root, TSR_ERR_CATALOG, "payout");

    tsr_catalog *cat;
    char err[256];
    ck_assert_int_eq(tsr_catalog_load_json(&cat, "{\"games\": [", 11, err, sizeof err), TSR_ERR_JSON);
    ck_assert_ptr_nonnull(strstr(err, "line 1"));
    ck_assert_int_eq(tsr_catalog_load_file(&cat, "/nonexistent/catalog.json", err, sizeof err), TSR_ERR_IO);
}
END_TEST

static tsr_catalog *load_preset(void)
{
    char path[512], err[256];
    tsr_catalog *cat;
    tsr_test_src("deploy/catalog/tessera.json", path, sizeof path);
    ck_assert_int_eq(tsr_catalog_load_file(&cat, path, err, sizeof err), TSR_OK);
    return cat;
}

static int64_t utc(int y, unsigned m, unsigned d, int hh, int mm)
{
    return (tsr_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60) * NS;
}

/* Pick 3 is daily, 15:00 New York. 2026-03-08 is the second Sunday of
 * March: EST (UTC-5) before, EDT (UTC-4) after; 2026-11-01 back to EST. */
START_TEST(cutoff_stays_local_across_dst_new_york)
{
    tsr_catalog *cat = load_preset();
    int64_t draw, open, cut, res;
    ck_assert_int_eq(tsr_catalog_next_draw(cat, "pick3", utc(2026, 3, 7, 12, 0), &draw, &open, &cut, &res), TSR_OK);
    ck_assert_int_eq(cut, utc(2026, 3, 7, 20, 0)); /* 15:00 EST */
    ck_assert_int_eq(res, utc(2026, 3, 7, 21, 0));
    ck_assert_int_eq(draw, 796);
    ck_assert_int_eq(tsr_catalog_next_draw(cat, "pick3", cut, &draw, &open, &cut, &res), TSR_OK);
    ck_assert_int_eq(draw, 797);                      /* 2026-03-08, 797 days after 2024-01-01 */
    ck_assert_int_eq(open, utc(2026, 3, 7, 21, 0));   /* the previous results */
    ck_assert_int_eq(cut, utc(2026, 3, 8, 19, 0));    /* 15:00 EDT */
    ck_assert_int_eq(res, utc(2026, 3, 8, 20, 0));
    ck_assert_int_eq(tsr_catalog_next_draw(cat, "pick3", cut - 1, &draw, NULL, NULL, NULL), TSR_OK);
    ck_assert_int_eq(draw, 797); /* one ns before the cutoff still sells this draw */
    ck_assert_int_eq(tsr_catalog_draw_times(cat, "pick3", 797, &open, &cut, &res), TSR_OK);
    ck_assert_int_eq(cut, utc(2026, 3, 8, 19, 0));
    ck_assert_int_eq(tsr_catalog_draw_times(cat, "pick3", 1035, NULL, &cut, NULL), TSR_OK); /* 2026-11-01 */
    ck_assert_int_eq(cut, utc(2026, 11, 1, 20, 0));
    ck_assert_int_eq(tsr_catalog_draw_times(cat, "pick3", 1034, NULL, &cut, NULL), TSR_OK);
    ck_assert_int_eq(cut, utc(2026, 10, 31, 19, 0));
    tsr_catalog_free(cat);
}
END_TEST

/* Keno is daily, 15:00 London; BST starts 2026-03-29 and ends 2026-10-25. */
START_TEST(cutoff_stays_local_across_dst_london)
{
    tsr_catalog *cat = load_preset();
    int64_t cut;
    ck_assert_int_eq(tsr_catalog_draw_times(cat, "keno", 817, NULL, &cut, NULL), TSR_OK); /* 2026-03-28 */
    ck_assert_int_eq(cut, utc(2026, 3, 28, 15, 0));
    ck_assert_int_eq(tsr_catalog_draw_times(cat, "keno", 818, NULL, &cut, NULL), TSR_OK); /* 2026-03-29 */
    ck_assert_int_eq(cut, utc(2026, 3, 29, 14, 0));
    ck_assert_int_eq(tsr_catalog_draw_times(cat, "keno", 1028, NULL, &cut, NULL), TSR_OK); /* 2026-10-25 */
    ck_assert_int_eq(cut, utc(2026, 10, 25, 15, 0));
    tsr_catalog_free(cat);
}
END_TEST

START_TEST(draw_days_and_advance_play)
{
    tsr_catalog *cat = load_preset();
    int64_t draw, cut, draws[4];
    /* Lotto 6/49 draws Wednesday and Saturday. 2026-03-09 is a Monday. */
    ck_assert_int_eq(tsr_catalog_next_draw(cat, "lotto649", utc(2026, 3, 9, 12, 0), &draw, NULL, &cut, NULL), TSR_OK);
    ck_assert_int_eq(draw, 800); /* Wednesday 2026-03-11 */
    ck_assert_int_eq(cut, utc(2026, 3, 11, 19, 0));
    ck_assert_int_eq(tsr_catalog_draw_times(cat, "lotto649", 799, NULL, NULL, NULL), TSR_ERR_GAME_NOT_DRAW_DAY);
    ck_assert_int_eq(tsr_catalog_draw_times(cat, "lotto649", 0, NULL, NULL, NULL), TSR_ERR_GAME_NOT_DRAW_DAY);
    ck_assert_int_eq(tsr_catalog_draw_times(cat, "lotto", 800, NULL, NULL, NULL), TSR_ERR_GAME_UNKNOWN);
    ck_assert_int_eq(tsr_catalog_advance_draws(cat, "lotto649", utc(2026, 3, 9, 12, 0), 4, draws), TSR_OK);
    ck_assert_int_eq(draws[0], 800);
    ck_assert_int_eq(draws[1], 803);
    ck_assert_int_eq(draws[2], 807);
    ck_assert_int_eq(draws[3], 810);
    ck_assert_int_eq(tsr_catalog_advance_draws(cat, "lotto649", 0, 0, draws), TSR_ERR_GAME_DRAWS);
    ck_assert_int_eq(tsr_catalog_advance_draws(cat, "lotto649", 0, 11, draws), TSR_ERR_GAME_DRAWS);
    ck_assert_int_eq(tsr_catalog_advance_draws(cat, "x", 0, 1, draws), TSR_ERR_GAME_UNKNOWN);
    ck_assert_int_eq(tsr_catalog_next_draw(cat, "x", 0, &draw, NULL, NULL, NULL), TSR_ERR_GAME_UNKNOWN);
    ck_assert_int_eq(tsr_catalog_next_draw(cat, "pick3", INT64_MAX, &draw, NULL, NULL, NULL), TSR_ERR_RANGE);
    ck_assert_int_eq(tsr_catalog_advance_draws(cat, "pick3", INT64_MAX, 1, draws), TSR_ERR_RANGE);
    /* Before the epoch, the first draw is the first draw day after it. */
    ck_assert_int_eq(tsr_catalog_next_draw(cat, "pick3", 0, &draw, NULL, NULL, NULL), TSR_OK);
    ck_assert_int_eq(draw, 1);
    tsr_catalog_free(cat);
}
END_TEST

/* Property: our zoneinfo reader agrees with the C library's localtime_r on
 * every hour-ish instant from 1990 to 2060 (past the transitions table, so
 * the POSIX footer rule is exercised), for zones north and south. */
START_TEST(offsets_agree_with_libc)
{
    static const char *const zones[] = {"America/New_York", "Europe/London", "Australia/Sydney",
                                        "Asia/Kolkata", "America/Sao_Paulo", "Pacific/Chatham"};
    for (size_t z = 0; z < sizeof zones / sizeof *zones; z++) {
        tsr_tz *tz;
        char err[128];
        ck_assert_int_eq(tsr_tz_load(zones[z], &tz, err, sizeof err), TSR_OK);
        setenv("TZ", zones[z], 1);
        tzset();
        for (int64_t t = 631152000; t < INT64_C(2871763200); t += 3601 * 7) {
            time_t tt = (time_t)t;
            struct tm tm;
            localtime_r(&tt, &tm);
            ck_assert_msg(tsr_tz_offset(tz, t) == tm.tm_gmtoff, "%s at %lld: %d vs %ld", zones[z], (long long)t,
                          tsr_tz_offset(tz, t), tm.tm_gmtoff);
        }
        /* Local noon always converts back to local noon. */
        for (int64_t day = 7305; day < 32000; day += 13) {
            int64_t u = tsr_tz_local_to_utc(tz, day * 86400 + 12 * 3600);
            ck_assert_int_eq(u + tsr_tz_offset(tz, u), day * 86400 + 12 * 3600);
        }
        tsr_tz_free(tz);
    }
}
END_TEST

START_TEST(gap_and_overlap_times_are_resolved)
{
    tsr_tz *tz;
    char err[128];
    ck_assert_int_eq(tsr_tz_load("America/New_York", &tz, err, sizeof err), TSR_OK);
    int64_t spring = tsr_days_from_civil(2026, 3, 8) * 86400, fall = tsr_days_from_civil(2026, 11, 1) * 86400;
    /* 02:30 does not exist on 2026-03-08: it becomes 03:30 EDT (07:30 UTC). */
    ck_assert_int_eq(tsr_tz_local_to_utc(tz, spring + 9000), spring + 7 * 3600 + 1800);
    /* 01:30 happens twice on 2026-11-01: the first (EDT, 05:30 UTC). */
    ck_assert_int_eq(tsr_tz_local_to_utc(tz, fall + 5400), fall + 5 * 3600 + 1800);
    tsr_tz_free(tz);
    int64_t y;
    unsigned m, d;
    tsr_civil_from_days(-1, &y, &m, &d);
    ck_assert(y == 1969 && m == 12 && d == 31);
    ck_assert_uint_eq(tsr_weekday(-1), 3); /* 1969-12-31 was a Wednesday */
}
END_TEST

START_TEST(payout_classes_follow_the_rules)
{
    tsr_catalog *cat = load_preset();
    const tsr_payout_rules *r = tsr_catalog_payout_rules(cat);
    tsr_payout p = tsr_payout_classify(r, 0, 100);
    ck_assert_int_eq(p.klass, TSR_PAYOUT_NONE);
    p = tsr_payout_classify(r, 9999, 100);
    ck_assert_int_eq(p.klass, TSR_PAYOUT_AUTO);
    p = tsr_payout_classify(r, 10000, 100);
    ck_assert_int_eq(p.klass, TSR_PAYOUT_TERMINAL);
    ck_assert(!p.reportable);
    p = tsr_payout_classify(r, 60000, 200); /* $600 on $2: exactly 300x */
    ck_assert_int_eq(p.klass, TSR_PAYOUT_CLAIM_CENTRE);
    ck_assert(p.reportable);
    ck_assert_int_eq(p.withheld_cents, 0);
    p = tsr_payout_classify(r, 60000, 300); /* $600 on $3: only 200x */
    ck_assert(!p.reportable);
    p = tsr_payout_classify(r, 500100, 100); /* net exactly $5,000: not above */
    ck_assert_int_eq(p.withheld_cents, 0);
    p = tsr_payout_classify(r, 100000000, 200); /* $1M on $2: 24% of 999,998 */
    ck_assert_int_eq(p.withheld_cents, 23999952);
    ck_assert_str_eq(tsr_payout_class_name(TSR_PAYOUT_CLAIM_CENTRE), "claim_centre");
    ck_assert_ptr_null(tsr_payout_class_name((tsr_payout_class)9));
    ck_assert_str_eq(tsr_family_name(TSR_FAMILY_KENO), "keno");
    ck_assert_ptr_null(tsr_family_name(TSR_FAMILY_COUNT_));
    tsr_catalog_free(cat);
}
END_TEST

static Suite *catalog_suite(void)
{
    Suite *s = suite_create("catalog");
    TCase *tc = tcase_create("catalog");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, presets_load);
    tcase_add_test(tc, rejects_shares_above_100_percent);
    tcase_add_test(tc, rejects_a_tier_that_can_never_be_hit);
    tcase_add_test(tc, rejects_a_cutoff_after_the_results);
    tcase_add_test(tc, rejects_bad_time_zones);
    tcase_add_test(tc, rejects_overlaps_and_uncovered_bets);
    tcase_add_test(tc, rejects_money_rules);
    tcase_add_test(tc, rejects_structure);
    tcase_add_test(tc, cutoff_stays_local_across_dst_new_york);
    tcase_add_test(tc, cutoff_stays_local_across_dst_london);
    tcase_add_test(tc, draw_days_and_advance_play);
    tcase_add_test(tc, offsets_agree_with_libc);
    tcase_add_test(tc, gap_and_overlap_times_are_resolved);
    tcase_add_test(tc, payout_classes_follow_the_rules);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(catalog_suite()); }

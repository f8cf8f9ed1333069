/* Odds: exact counting against the published odds tables of the real games
 * the presets copy. Sources are cited next to each table. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "tessera/catalog.h"
#include "tessera/odds.h"
#include "tsr_test.h"

static tsr_catalog *cat;

static void load(void)
{
    char path[512], err[512];
    tsr_test_src("deploy/catalog/tessera.json", path, sizeof path);
    tsr_status st = tsr_catalog_load_file(&cat, path, err, sizeof err);
    ck_assert_msg(st == TSR_OK, "preset catalogue: %s: %s", tsr_status_str(st), err);
}

static void unload(void) { tsr_catalog_free(cat); }

static const tsr_odds_row *row(const char *game, const char *section, const char *label)
{
    static tsr_odds_row rows[TSR_ODDS_ROWS_MAX];
    size_t n;
    const tsr_game *g = tsr_catalog_find(cat, game);
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(tsr_odds_compute(g, rows, TSR_ODDS_ROWS_MAX, &n), TSR_OK);
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].section, section) == 0 && strcmp(rows[i].label, label) == 0)
            return &rows[i];
    ck_abort_msg("no odds row %s / %s / %s", game, section, label);
    return NULL;
}

static void expect_exact(const char *game, const char *section, const char *label, const char *want)
{
    const tsr_odds_row *r = row(game, section, label);
    char buf[TSR_ODDS_STR_MAX];
    ck_assert_str_eq(tsr_odds_format(r->ways, r->total, buf, sizeof buf), want);
}

/* A table that prints rounded figures: the published value, in units of
 * 10^-decimals, must be the exact total/ways rounded up or down. */
static void expect_rounded(const char *game, const char *section, const char *label, uint64_t published,
                           int decimals)
{
    const tsr_odds_row *r = row(game, section, label);
    unsigned __int128 scale = 1;
    for (int i = 0; i < decimals; i++)
        scale *= 10;
    unsigned __int128 x = (unsigned __int128)r->total * scale;
    ck_assert_msg((unsigned __int128)(published - 1) * r->ways < x && x < (unsigned __int128)(published + 1) * r->ways,
                  "%s %s: published %llu (10^-%d) vs exact %llu/%llu", game, label,
                  (unsigned long long)published, decimals, (unsigned long long)r->total,
                  (unsigned long long)r->ways);
}

START_TEST(choose_is_exact)
{
    ck_assert_uint_eq(tsr_choose(49, 6), 13983816u);
    ck_assert_uint_eq(tsr_choose(69, 5), 11238513u);
    ck_assert_uint_eq(tsr_choose(80, 20), UINT64_C(3535316142212174320));
    ck_assert_uint_eq(tsr_choose(5, 6), 0);
    ck_assert_uint_eq(tsr_choose(10, 0), 1);
    ck_assert_uint_eq(tsr_choose(99, 49), UINT64_MAX); /* does not fit */
}
END_TEST

/* Lotto 6/49 (Canada), 6/49 with a bonus ball from the same drum, prize
 * structure since September 2013. Published odds (prize table as shown at
 * https://www.lotto.net/canada-lotto-6-49/prizes, the lotteries' own
 * table): 6 1 in 13,983,816; 5+Bonus 1 in 2,330,636; 5 1 in 55,492; 4 1 in
 * 1,033; 3 1 in 56.7; 2+Bonus 1 in 81.2; 2 1 in 8.3; any prize 1 in 6.6.
 * Those are rounded (5/6 is 55,491.33 exactly), hence expect_rounded. */
START_TEST(lotto649_matches_published_table)
{
    expect_exact("lotto649", "", "6/6", "1 in 13,983,816");
    expect_exact("lotto649", "", "5/6+B", "1 in 2,330,636");
    expect_exact("lotto649", "", "5/6", "1 in 55,491.33");
    expect_rounded("lotto649", "", "5/6", 55492, 0);
    expect_rounded("lotto649", "", "4/6", 1033, 0);
    expect_rounded("lotto649", "", "3/6", 567, 1);
    expect_rounded("lotto649", "", "2/6+B", 812, 1);
    expect_rounded("lotto649", "", "2/6", 83, 1);
    expect_rounded("lotto649", "", "overall", 66, 1);
}
END_TEST

/* Powerball, 5 of 69 + 1 of 26, since October 2015. Published odds
 * (https://www.powerball.com/powerball-prize-chart, "based on a $2 play,
 * rounded to two decimal places"): 5+PB 1 in 292,201,338.00; 5 1 in 11,688,053.52; 4+PB 1 in
 * 913,129.18; 4 1 in 36,525.17; 3+PB 1 in 14,494.11; 3 1 in 579.76; 2+PB
 * 1 in 701.33; 1+PB 1 in 91.98; PB 1 in 38.32; overall 1 in 24.87. */
START_TEST(powerball_matches_published_table)
{
    expect_exact("powerball", "", "5+PB", "1 in 292,201,338");
    expect_exact("powerball", "", "5", "1 in 11,688,053.52");
    expect_exact("powerball", "", "4+PB", "1 in 913,129.18");
    expect_exact("powerball", "", "4", "1 in 36,525.17");
    expect_exact("powerball", "", "3+PB", "1 in 14,494.11");
    expect_exact("powerball", "", "3", "1 in 579.76");
    expect_exact("powerball", "", "2+PB", "1 in 701.33");
    expect_exact("powerball", "", "1+PB", "1 in 91.98");
    expect_exact("powerball", "", "PB", "1 in 38.32");
    expect_exact("powerball", "", "overall", "1 in 24.87");
}
END_TEST

/* Pick 3 / Pick 4 as US state lotteries print them on their odds charts
 * (the figures the issue quotes): Pick 3 straight 1 in 1,000, 3-way box 1
 * in 333, 6-way box 1 in 167; Pick 4 straight 1 in 10,000, 4-way 1 in
 * 2,500, 6-way 1 in 1,667, 12-way 1 in 833, 24-way 1 in 417. Front/back
 * pair: 1 in 100. */
START_TEST(digits_match_published_tables)
{
    expect_exact("pick3", "straight", "straight", "1 in 1,000");
    expect_exact("pick3", "box 6-way", "box 6-way", "1 in 166.67");
    expect_rounded("pick3", "box 6-way", "box 6-way", 167, 0);
    expect_rounded("pick3", "box 3-way", "box 3-way", 333, 0);
    expect_exact("pick3", "front_pair", "front pair", "1 in 100");
    expect_exact("pick3", "straight_box 6-way", "straight/box 6-way exact", "1 in 1,000");
    expect_exact("pick3", "straight_box 6-way", "overall", "1 in 166.67");
    expect_exact("pick4", "straight", "straight", "1 in 10,000");
    expect_exact("pick4", "box 4-way", "box 4-way", "1 in 2,500");
    expect_rounded("pick4", "box 6-way", "box 6-way", 1667, 0);
    expect_rounded("pick4", "box 12-way", "box 12-way", 833, 0);
    expect_rounded("pick4", "box 24-way", "box 24-way", 417, 0);
}
END_TEST

/* Keno 80/20: the hypergeometric odds every keno paytable prints, e.g. the
 * 10-spot "hit 10: 1 in 8,911,711" and "hit 0: 1 in 21.84", 1-spot "1 in 4". */
START_TEST(keno_matches_published_odds)
{
    expect_exact("keno", "10 spots", "10-spot hit 10", "1 in 8,911,711.18");
    expect_rounded("keno", "10 spots", "10-spot hit 10", 8911711, 0);
    expect_exact("keno", "10 spots", "10-spot hit 0", "1 in 21.84");
    expect_exact("keno", "1 spots", "1-spot hit 1", "1 in 4");
    expect_exact("keno", "5 spots", "5-spot hit 5", "1 in 1,550.57");
}
END_TEST

START_TEST(fixed_odds_count_the_pool)
{
    expect_exact("bonusbet", "odd", "odd", "1 in 1.96");
    expect_exact("bonusbet", "even", "even", "1 in 2.04");
    expect_exact("bonusbet", "number", "number", "1 in 49");
}
END_TEST

START_TEST(format_and_capacity)
{
    char buf[TSR_ODDS_STR_MAX];
    ck_assert_str_eq(tsr_odds_format(0, 10, buf, sizeof buf), "never");
    ck_assert_str_eq(tsr_odds_format(3, 1000, buf, sizeof buf), "1 in 333.33");
    ck_assert_str_eq(tsr_odds_format(2, 3, buf, sizeof buf), "1 in 1.50");
    ck_assert_str_eq(tsr_odds_format(1, UINT64_MAX, buf, sizeof buf), "1 in 18,446,744,073,709,551,615");
    tsr_odds_row rows[3];
    size_t n;
    ck_assert_int_eq(tsr_odds_compute(tsr_catalog_find(cat, "keno"), rows, 3, &n), TSR_ERR_TOO_LARGE);
}
END_TEST

static Suite *odds_suite(void)
{
    Suite *s = suite_create("odds");
    TCase *tc = tcase_create("odds");
    tcase_add_checked_fixture(tc, load, unload);
    tcase_add_test(tc, choose_is_exact);
    tcase_add_test(tc, lotto649_matches_published_table);
    tcase_add_test(tc, powerball_matches_published_table);
    tcase_add_test(tc, digits_match_published_tables);
    tcase_add_test(tc, keno_matches_published_odds);
    tcase_add_test(tc, fixed_odds_count_the_pool);
    tcase_add_test(tc, format_and_capacity);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(odds_suite()); }

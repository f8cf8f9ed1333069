/* Settlement: hand-computed draws for each family, pari-mutuel breakage,
 * rollover and the minimum jackpot, the multiplier, pro-rata caps, payout
 * classes, and two properties: ticket order never changes the result, and
 * pool money is conserved (paid + breakage + rollover + reserve = fund +
 * top-up). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/settle.h"
#include "tsr_test.h"

#define SEED 424242u
#define MAX_TICKETS 30000

static tsr_catalog *cat;
static tsr_settle_ticket tk[MAX_TICKETS];
static tsr_settle_prize pz[MAX_TICKETS];
static size_t n;

static tsr_catalog *load_with(const char *game, const char *key, json_t *value)
{
    char path[512], err[256];
    json_error_t je;
    tsr_test_src("deploy/catalog/tessera.json", path, sizeof path);
    json_t *root = json_load_file(path, 0, &je);
    ck_assert_ptr_nonnull(root);
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(root, "games"), i, g)
    if (game && strcmp(json_string_value(json_object_get(g, "id")), game) == 0)
        json_object_set_new(g, key, value);
    char *text = json_dumps(root, 0);
    json_decref(root);
    tsr_catalog *c;
    ck_assert_msg(tsr_catalog_load_json(&c, text, strlen(text), err, sizeof err) == TSR_OK, "%s", err);
    free(text);
    return c;
}

static void setup(void)
{
    cat = load_with(NULL, NULL, NULL);
    n = 0;
}

static void teardown(void) { tsr_catalog_free(cat); }

/* Adds a ticket; its stake is the bet's price, as the node sets it. */
static size_t add(const char *game, tsr_bet_type type, const char *nums, int second, tsr_cents stake,
                  uint32_t addons)
{
    tsr_settle_ticket *t = &tk[n];
    memset(t, 0, sizeof *t);
    t->ticket_id = 1000 + n;
    t->bet.type = (uint8_t)type;
    t->bet.draws = 1;
    t->bet.stake_cents = stake;
    t->bet.addons = addons;
    for (const char *p = nums; *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        t->bet.numbers[t->bet.count++] = (uint8_t)v;
        p = *end ? end + 1 : end;
    }
    if (second > 0) {
        t->bet.second[0] = (uint8_t)second;
        t->bet.second_count = 1;
    }
    char why[128] = "";
    ck_assert_msg(tsr_bet_validate(cat, game, &t->bet, &t->stake_cents, why, sizeof why) == TSR_OK, "%s", why);
    return n++;
}

static void settle(const char *game, const tsr_draw_result *r, tsr_cents carry, tsr_settle_report *rep)
{
    tsr_status st = tsr_settle(tsr_catalog_find(cat, game), tsr_catalog_payout_rules(cat), r, carry, tk, n, pz, rep);
    ck_assert_msg(st == TSR_OK, "%s (ticket %zu)", tsr_status_name(st), rep->bad_ticket);
}

static void conserved(const tsr_settle_report *r)
{
    ck_assert_int_eq(r->pool_paid_cents + r->breakage_cents + r->rollover_cents + r->to_reserve_cents,
                     r->pool_fund_cents + r->jackpot_topup_cents);
}

static const tsr_draw_result lotto_res = {{1, 2, 3, 4, 5, 6}, 6, {7}, 1, 0};

/* 1,001 tickets of $3 = $3,003.00 of sales. Jackpot 30% = 900.90 + carry
 * 6,000,000.00; 5/6+B 3% = 90.09; 5/6 2.5% = 75.075 -> 75.07 shared by 3 =
 * 25.02 each, breakage 0.01; 4/6 5% = 150.15. Fixed: 3/6 $10, 2/6+B $5,
 * 2/6 $3. */
START_TEST(lotto_pari_mutuel_split_with_breakage)
{
    size_t jack = add("lotto649", TSR_BET_STANDARD, "1,2,3,4,5,6", 0, 300, 0);
    size_t bonus = add("lotto649", TSR_BET_STANDARD, "1,2,3,4,5,7", 0, 300, 0);
    size_t five = add("lotto649", TSR_BET_STANDARD, "1,2,3,4,5,8", 0, 300, 0);
    add("lotto649", TSR_BET_STANDARD, "1,2,3,4,5,9", 0, 300, 0);
    add("lotto649", TSR_BET_STANDARD, "1,2,3,4,5,10", 0, 300, 0);
    size_t four = add("lotto649", TSR_BET_STANDARD, "1,2,3,4,10,11", 0, 300, 0);
    size_t three = add("lotto649", TSR_BET_STANDARD, "1,2,3,10,11,12", 0, 300, 0);
    size_t twob = add("lotto649", TSR_BET_STANDARD, "1,2,7,10,11,12", 0, 300, 0);
    size_t two = add("lotto649", TSR_BET_STANDARD, "1,2,10,11,12,13", 0, 300, 0);
    while (n < 1001)
        add("lotto649", TSR_BET_STANDARD, "40,41,42,43,44,45", 0, 300, 0);
    tsr_settle_report r;
    settle("lotto649", &lotto_res, 600000000, &r);
    ck_assert_int_eq(r.sales_cents, 300300);
    ck_assert_int_eq(r.pool_sales_cents, 300300);
    ck_assert_int_eq(pz[jack].amount_cents, 600090090);
    ck_assert_int_eq(pz[jack].tier, 0);
    ck_assert_int_eq(pz[jack].klass, TSR_PAYOUT_CLAIM_CENTRE);
    ck_assert(pz[jack].reportable);
    ck_assert_int_eq(pz[jack].withheld_cents, 144021549); /* 24% of 6,000,897.90 */
    ck_assert_int_eq(pz[bonus].amount_cents, 9009);
    ck_assert_int_eq(pz[bonus].klass, TSR_PAYOUT_AUTO);
    ck_assert_int_eq(pz[five].amount_cents, 2502);
    ck_assert_int_eq(r.tiers[2].winners, 3);
    ck_assert_int_eq(r.tiers[2].fund_cents, 7507);
    ck_assert_int_eq(r.tiers[2].breakage_cents, 1);
    ck_assert_int_eq(pz[four].amount_cents, 15015);
    ck_assert_int_eq(pz[four].klass, TSR_PAYOUT_TERMINAL);
    ck_assert_int_eq(pz[three].amount_cents, 1000);
    ck_assert_int_eq(pz[twob].amount_cents, 500);
    ck_assert_int_eq(pz[two].amount_cents, 300);
    ck_assert_int_eq(pz[n - 1].tier, -1);
    ck_assert_int_eq(pz[n - 1].amount_cents, 0);
    ck_assert_int_eq(r.breakage_cents, 1);
    ck_assert_int_eq(r.rollover_cents, 0);
    ck_assert_int_eq(r.jackpot_next_cents, 0);
    ck_assert_int_eq(r.jackpot_topup_cents, 0);
    ck_assert_int_eq(r.winners, 9);
    ck_assert_int_eq(r.paid_cents, 600090090 + 9009 + 3 * 2502 + 15015 + 1000 + 500 + 300);
    ck_assert_int_eq(r.pool_fund_cents, 600090090 + 9009 + 7507 + 15015);
    conserved(&r);
}
END_TEST

/* No jackpot winner and no 5/6+B winner: both funds roll into the next
 * draw's jackpot. */
START_TEST(lotto_rollover)
{
    add("lotto649", TSR_BET_STANDARD, "1,2,3,4,5,8", 0, 300, 0);
    while (n < 100)
        add("lotto649", TSR_BET_STANDARD, "40,41,42,43,44,45", 0, 300, 0);
    tsr_settle_report r;
    settle("lotto649", &lotto_res, 123456, &r);
    /* sales 300.00: jackpot 90.00 + carry 1,234.56; 5/6+B 9.00; 5/6 7.50 to
     * its one winner; 4/6 15.00 rolls too (its rule is "jackpot"). */
    ck_assert_int_eq(r.tiers[0].rolled_cents, 9000 + 123456);
    ck_assert_int_eq(r.tiers[1].rolled_cents, 900);
    ck_assert_int_eq(r.tiers[3].rolled_cents, 1500);
    ck_assert_int_eq(r.rollover_cents, 9000 + 123456 + 900 + 1500);
    ck_assert_int_eq(r.jackpot_next_cents, r.rollover_cents);
    ck_assert_int_eq(pz[0].amount_cents, 750);
    ck_assert_int_eq(r.to_reserve_cents, 0);
    conserved(&r);
}
END_TEST

/* One jackpot winner on a small fund: the minimum jackpot is paid, the
 * difference comes from the reserve. Two winners share it. */
START_TEST(lotto_minimum_jackpot)
{
    add("lotto649", TSR_BET_STANDARD, "1,2,3,4,5,6", 0, 300, 0);
    add("lotto649", TSR_BET_STANDARD, "6,5,4,3,2,1", 0, 300, 0);
    add("lotto649", TSR_BET_STANDARD, "11,12,13,14,15,16", 0, 300, 0);
    tsr_settle_report r;
    settle("lotto649", &lotto_res, 0, &r);
    ck_assert_int_eq(r.tiers[0].fund_cents, 270); /* 30% of 9.00 */
    ck_assert_int_eq(r.jackpot_topup_cents, 500000000 - 270);
    ck_assert_int_eq(pz[0].amount_cents, 250000000);
    ck_assert_int_eq(pz[1].amount_cents, 250000000);
    ck_assert_int_eq(r.tiers[0].breakage_cents, 0);
    conserved(&r);
}
END_TEST

/* Powerball 1-2-3-4-5 PB 6, Power Play 3x: match 5 pays $1M, or $2M with
 * Power Play (not 3M); other fixed prizes triple; the jackpot does not. */
START_TEST(two_pool_multiplier)
{
    size_t j = add("powerball", TSR_BET_STANDARD, "1,2,3,4,5", 6, 200, TSR_ADDON_MULTIPLIER);
    size_t m5 = add("powerball", TSR_BET_STANDARD, "1,2,3,4,5", 7, 200, 0);
    size_t m5pp = add("powerball", TSR_BET_STANDARD, "1,2,3,4,5", 8, 200, TSR_ADDON_MULTIPLIER);
    size_t m4pb = add("powerball", TSR_BET_STANDARD, "1,2,3,4,60", 6, 200, TSR_ADDON_MULTIPLIER);
    size_t pbpp = add("powerball", TSR_BET_STANDARD, "60,61,62,63,64", 6, 200, TSR_ADDON_MULTIPLIER);
    size_t m3 = add("powerball", TSR_BET_STANDARD, "1,2,3,60,61", 9, 200, 0);
    size_t none = add("powerball", TSR_BET_STANDARD, "1,2,60,61,62", 9, 200, TSR_ADDON_MULTIPLIER);
    tsr_draw_result res = {{5, 4, 3, 2, 1}, 5, {6}, 1, 3};
    tsr_settle_report r;
    settle("powerball", &res, 3000000000, &r);
    ck_assert_int_eq(r.sales_cents, 7 * 200 + 5 * 100);
    ck_assert_int_eq(r.pool_sales_cents, 7 * 200); /* Power Play does not feed the jackpot */
    ck_assert_int_eq(pz[j].amount_cents, 3000000000 + 1400 * 34 / 100);
    ck_assert_int_eq(pz[m5].amount_cents, 100000000);
    ck_assert_int_eq(pz[m5pp].amount_cents, 200000000);
    ck_assert_int_eq(pz[m4pb].amount_cents, 15000000);
    ck_assert_int_eq(pz[pbpp].amount_cents, 1200);
    ck_assert_int_eq(pz[m3].amount_cents, 700);
    ck_assert_int_eq(pz[none].tier, -1);
    ck_assert_int_eq(pz[m5pp].withheld_cents, (INT64_C(200000000) - 300) * 24 / 100);
    conserved(&r);
    res.multiplier = 7; /* not one of the game's multipliers */
    ck_assert_int_eq(tsr_settle(tsr_catalog_find(cat, "powerball"), tsr_catalog_payout_rules(cat), &res, 0, tk, n,
                                pz, &r),
                     TSR_ERR_GAME_RESULT);
}
END_TEST

/* Pick 3 drawn 1-1-2, a double: box bets are 3-way. */
START_TEST(pick3_double_box_and_friends)
{
    size_t st = add("pick3", TSR_BET_STRAIGHT, "1,1,2", 0, 100, 0);
    size_t stx = add("pick3", TSR_BET_STRAIGHT, "1,2,1", 0, 100, 0);
    size_t box_half = add("pick3", TSR_BET_BOX, "1,2,1", 0, 50, 0);
    size_t box = add("pick3", TSR_BET_BOX, "2,1,1", 0, 100, 0);
    size_t box_miss = add("pick3", TSR_BET_BOX, "1,2,3", 0, 100, 0);
    size_t sb_exact = add("pick3", TSR_BET_STRAIGHT_BOX, "1,1,2", 0, 100, 0);
    size_t sb_box = add("pick3", TSR_BET_STRAIGHT_BOX, "2,1,1", 0, 100, 0);
    size_t combo = add("pick3", TSR_BET_COMBO, "1,2,1", 0, 50, 0);
    size_t front = add("pick3", TSR_BET_FRONT_PAIR, "1,1,9", 0, 100, 0);
    size_t back = add("pick3", TSR_BET_BACK_PAIR, "9,1,2", 0, 100, 0);
    size_t back_miss = add("pick3", TSR_BET_BACK_PAIR, "1,2,1", 0, 100, 0);
    tsr_draw_result res = {{1, 1, 2}, 3, {0}, 0, 0};
    tsr_settle_report r;
    settle("pick3", &res, 0, &r);
    ck_assert_int_eq(pz[st].amount_cents, 50000);
    ck_assert_int_eq(pz[stx].amount_cents, 0);
    ck_assert_int_eq(pz[box_half].amount_cents, 8000); /* $160 per $1, on $0.50 */
    ck_assert_int_eq(pz[box].amount_cents, 16000);
    ck_assert_int_eq(pz[box_miss].amount_cents, 0);
    ck_assert_int_eq(pz[sb_exact].amount_cents, 33000);
    ck_assert_int_eq(pz[sb_box].amount_cents, 8000);
    ck_assert_int_eq(tk[combo].stake_cents, 150); /* three orders at $0.50 */
    ck_assert_int_eq(pz[combo].amount_cents, 25000);
    ck_assert_int_eq(pz[front].amount_cents, 5000);
    ck_assert_int_eq(pz[back].amount_cents, 5000);
    ck_assert_int_eq(pz[back_miss].amount_cents, 0);
    ck_assert(!r.cap_hit);
    ck_assert_int_eq(r.pool_fund_cents, 0);
    conserved(&r);
}
END_TEST

/* Per-combination liability $1,000 on pick 3: three $1 straights on the
 * drawn 4-5-6 would cost $1,500; each gets 500 x 1000/1500 = 333.33. */
START_TEST(pick3_liability_cap_pro_rata)
{
    tsr_catalog_free(cat);
    cat = load_with("pick3", "liability_cap", json_string("1000.00"));
    for (int i = 0; i < 3; i++)
        add("pick3", TSR_BET_STRAIGHT, "4,5,6", 0, 100, 0);
    add("pick3", TSR_BET_STRAIGHT, "4,5,7", 0, 100, 0);
    tsr_draw_result res = {{4, 5, 6}, 3, {0}, 0, 0};
    tsr_settle_report r;
    settle("pick3", &res, 0, &r);
    ck_assert(r.cap_hit);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(pz[i].amount_cents, 33333);
    ck_assert_int_eq(r.cap_reduction_cents, 3 * (50000 - 33333));
    ck_assert_int_eq(r.cap_breakage_cents, 1);
    ck_assert_int_eq(r.paid_cents, 99999);
}
END_TEST

/* Keno drawn 1..20 with the top-prize cap at $150,000: two 10/10 ($100,000
 * each) and one 8/8 on $2 ($30,000) would cost $230,000; each is cut to
 * cap/total of itself, floor. 9/10 and 0/10 are not capped. */
START_TEST(keno_top_prize_cap_pro_rata)
{
    tsr_catalog_free(cat);
    cat = load_with("keno", "liability_cap", json_string("150000.00"));
    size_t a = add("keno", TSR_BET_SPOT, "1,2,3,4,5,6,7,8,9,10", 0, 100, 0);
    size_t b = add("keno", TSR_BET_SPOT, "11,12,13,14,15,16,17,18,19,20", 0, 100, 0);
    size_t c = add("keno", TSR_BET_SPOT, "1,2,3,4,5,6,7,8", 0, 200, 0);
    size_t nine = add("keno", TSR_BET_SPOT, "1,2,3,4,5,6,7,8,9,21", 0, 100, 0);
    size_t zero = add("keno", TSR_BET_SPOT, "21,22,23,24,25,26,27,28,29,30", 0, 100, 0);
    size_t five0 = add("keno", TSR_BET_SPOT, "21,22,23,24,25", 0, 100, 0);
    size_t one = add("keno", TSR_BET_SPOT, "20", 0, 300, 0);
    tsr_draw_result res = {{0}, 20, {0}, 0, 0};
    for (int i = 0; i < 20; i++)
        res.main[i] = (uint8_t)(20 - i);
    tsr_settle_report r;
    settle("keno", &res, 0, &r);
    ck_assert(r.cap_hit);
    ck_assert_int_eq(pz[a].amount_cents, 6521739);
    ck_assert_int_eq(pz[b].amount_cents, 6521739);
    ck_assert_int_eq(pz[c].amount_cents, 1956521);
    ck_assert_int_eq(r.cap_breakage_cents, 15000000 - 2 * 6521739 - 1956521);
    ck_assert_int_eq(r.cap_reduction_cents, 23000000 - (2 * 6521739 + 1956521));
    ck_assert_int_eq(pz[nine].amount_cents, 500000);
    ck_assert_int_eq(pz[zero].amount_cents, 500);
    ck_assert_int_eq(pz[five0].tier, -1);
    ck_assert_int_eq(pz[one].amount_cents, 600);
}
END_TEST

/* Bonus ball bets on a drawn 30: even and high win at their odds. */
START_TEST(fixed_odds_pay_their_price)
{
    size_t odd = add("bonusbet", TSR_BET_ODD, "", 0, 1000, 0);
    size_t even = add("bonusbet", TSR_BET_EVEN, "", 0, 1000, 0);
    size_t high = add("bonusbet", TSR_BET_HIGH, "", 0, 200, 0);
    size_t low = add("bonusbet", TSR_BET_LOW, "", 0, 200, 0);
    size_t hit = add("bonusbet", TSR_BET_NUMBER, "30", 0, 100, 0);
    size_t miss = add("bonusbet", TSR_BET_NUMBER, "31", 0, 100, 0);
    tsr_draw_result res = {{30}, 1, {0}, 0, 0};
    tsr_settle_report r;
    settle("bonusbet", &res, 0, &r);
    ck_assert_int_eq(pz[odd].amount_cents, 0);
    ck_assert_int_eq(pz[even].amount_cents, 1950);
    ck_assert_int_eq(pz[high].amount_cents, 380);
    ck_assert_int_eq(pz[low].amount_cents, 0);
    ck_assert_int_eq(pz[hit].amount_cents, 4500);
    ck_assert_int_eq(pz[miss].amount_cents, 0);
}
END_TEST

START_TEST(bad_input_is_refused)
{
    const tsr_game *g = tsr_catalog_find(cat, "lotto649");
    const tsr_payout_rules *rules = tsr_catalog_payout_rules(cat);
    add("lotto649", TSR_BET_STANDARD, "1,2,3,4,5,6", 0, 300, 0);
    add("lotto649", TSR_BET_STANDARD, "1,2,3,4,5,8", 0, 300, 0);
    tsr_settle_report r;
    tsr_draw_result bad = lotto_res;
    bad.main[5] = 5; /* repeated */
    ck_assert_int_eq(tsr_settle(g, rules, &bad, 0, tk, n, pz, &r), TSR_ERR_GAME_RESULT);
    bad = lotto_res;
    bad.bonus_count = 0;
    ck_assert_int_eq(tsr_settle_check_result(g, &bad), TSR_ERR_GAME_RESULT);
    bad = lotto_res;
    bad.main[0] = 50;
    ck_assert_int_eq(tsr_settle_check_result(g, &bad), TSR_ERR_GAME_RESULT);
    bad = lotto_res;
    bad.multiplier = 2; /* lotto649 has no multiplier */
    ck_assert_int_eq(tsr_settle_check_result(g, &bad), TSR_ERR_GAME_RESULT);
    tsr_draw_result digits = {{1, 10, 2}, 3, {0}, 0, 0};
    ck_assert_int_eq(tsr_settle_check_result(tsr_catalog_find(cat, "pick3"), &digits), TSR_ERR_GAME_RESULT);
    tsr_draw_result keno = {{1, 2, 3}, 3, {0}, 0, 0};
    ck_assert_int_eq(tsr_settle_check_result(tsr_catalog_find(cat, "keno"), &keno), TSR_ERR_GAME_RESULT);
    tsr_draw_result fixed = {{50}, 1, {0}, 0, 0};
    ck_assert_int_eq(tsr_settle_check_result(tsr_catalog_find(cat, "bonusbet"), &fixed), TSR_ERR_GAME_RESULT);
    tsr_draw_result pb = {{1, 2, 3, 4, 5}, 5, {27}, 1, 2};
    ck_assert_int_eq(tsr_settle_check_result(tsr_catalog_find(cat, "powerball"), &pb), TSR_ERR_GAME_RESULT);

    tk[1].stake_cents = 301;
    ck_assert_int_eq(tsr_settle(g, rules, &lotto_res, 0, tk, n, pz, &r), TSR_ERR_GAME_STAKE_MISMATCH);
    ck_assert_uint_eq(r.bad_ticket, 1);
    tk[1].stake_cents = 300;
    tk[1].bet.numbers[0] = 8; /* 8,2,3,4,5,8 */
    ck_assert_int_eq(tsr_settle(g, rules, &lotto_res, 0, tk, n, pz, &r), TSR_ERR_GAME_NUMBER_DUP);
    ck_assert_uint_eq(r.bad_ticket, 1);
    tk[1].bet.numbers[0] = 1;
    ck_assert_int_eq(tsr_settle(g, rules, &lotto_res, -1, tk, n, pz, &r), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_settle(tsr_catalog_find(cat, "pick3"), rules, &digits, 5, tk, 0, pz, &r), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_settle(g, rules, &lotto_res, TSR_MONEY_MAX, tk, n, pz, &r), TSR_ERR_OVERFLOW);
}
END_TEST

/* Random tickets for every family, from a seeded RNG. */
static void random_tickets(tsr_rng *rng, const char *game, tsr_bet_type type, size_t count, tsr_cents stake,
                           uint32_t addons)
{
    for (size_t i = 0; i < count && n < MAX_TICKETS; i++) {
        tsr_settle_ticket *t = &tk[n];
        memset(t, 0, sizeof *t);
        t->ticket_id = 5000000 + n;
        t->bet.type = (uint8_t)type;
        t->bet.draws = 1;
        t->bet.stake_cents = stake;
        t->bet.addons = addons;
        if (type == TSR_BET_SPOT)
            t->bet.count = (uint8_t)(1 + i % 10);
        ck_assert_int_eq(tsr_bet_quick_pick(cat, game, rng, &t->bet), TSR_OK);
        ck_assert_int_eq(tsr_bet_validate(cat, game, &t->bet, &t->stake_cents, NULL, 0), TSR_OK);
        n++;
    }
}

static void shuffle(tsr_rng *rng)
{
    for (size_t i = n - 1; i > 0; i--) {
        uint64_t j;
        ck_assert_int_eq(tsr_rng_uniform(rng, i + 1, &j), TSR_OK);
        tsr_settle_ticket t = tk[i];
        tk[i] = tk[j];
        tk[j] = t;
    }
}

/* Settles, then records each prize under its ticket id. */
static void settle_by_id(const char *game, const tsr_draw_result *res, tsr_cents carry, tsr_settle_report *rep,
                         tsr_settle_prize *out)
{
    settle(game, res, carry, rep);
    for (size_t i = 0; i < n; i++)
        out[tk[i].ticket_id - 5000000] = pz[i];
}

static void order_independent(const char *game, tsr_bet_type type, tsr_cents stake, uint32_t addons,
                              const tsr_draw_result *res, tsr_cents carry)
{
    static tsr_settle_prize first[MAX_TICKETS], second[MAX_TICKETS];
    tsr_rng *rng;
    ck_assert_int_eq(tsr_rng_seeded_create(&rng, SEED), TSR_OK);
    n = 0;
    random_tickets(rng, game, type, 20000, stake, addons);
    /* Plant winners in every tier the quick picks may miss. */
    for (int i = 0; i < 7 && n < MAX_TICKETS; i++, n++) {
        tk[n] = tk[i];
        tk[n].ticket_id = 5000000 + n;
        memcpy(tk[n].bet.numbers, res->main, tk[n].bet.count < res->main_count ? tk[n].bet.count : res->main_count);
        if (tsr_bet_validate(cat, game, &tk[n].bet, &tk[n].stake_cents, NULL, 0) != TSR_OK)
            tk[n] = tk[i], tk[n].ticket_id = 5000000 + n;
    }
    tsr_settle_report a, b;
    settle_by_id(game, res, carry, &a, first);
    for (int round = 0; round < 3; round++) {
        shuffle(rng);
        settle_by_id(game, res, carry, &b, second);
        ck_assert_msg(memcmp(&a, &b, sizeof a) == 0, "seed %u %s: report differs after shuffle", SEED, game);
        ck_assert_msg(memcmp(first, second, n * sizeof *first) == 0, "seed %u %s: prizes differ", SEED, game);
    }
    conserved(&a);
    ck_assert_int_ge(a.winners, 1);
    tsr_rng_destroy(rng);
}

START_TEST(shuffling_never_changes_the_result)
{
    printf("settlement property seed %u\n", SEED);
    order_independent("lotto649", TSR_BET_STANDARD, 300, 0, &lotto_res, 77777);
    tsr_draw_result pb = {{10, 20, 30, 40, 50}, 5, {13}, 1, 4};
    order_independent("powerball", TSR_BET_STANDARD, 200, TSR_ADDON_MULTIPLIER, &pb, 0);
    tsr_draw_result keno = {{0}, 20, {0}, 0, 0};
    for (int i = 0; i < 20; i++)
        keno.main[i] = (uint8_t)(3 * i + 1);
    tsr_catalog_free(cat);
    cat = load_with("keno", "liability_cap", json_string("2000.00")); /* so the cap is hit */
    order_independent("keno", TSR_BET_SPOT, 100, 0, &keno, 0);
    tsr_draw_result p3 = {{3, 3, 8}, 3, {0}, 0, 0};
    order_independent("pick3", TSR_BET_BOX, 50, 0, &p3, 0);
}
END_TEST

static Suite *settle_suite(void)
{
    Suite *s = suite_create("settle");
    TCase *tc = tcase_create("settle");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, lotto_pari_mutuel_split_with_breakage);
    tcase_add_test(tc, lotto_rollover);
    tcase_add_test(tc, lotto_minimum_jackpot);
    tcase_add_test(tc, two_pool_multiplier);
    tcase_add_test(tc, pick3_double_box_and_friends);
    tcase_add_test(tc, pick3_liability_cap_pro_rata);
    tcase_add_test(tc, keno_top_prize_cap_pro_rata);
    tcase_add_test(tc, fixed_odds_pay_their_price);
    tcase_add_test(tc, bad_input_is_refused);
    tcase_add_test(tc, shuffling_never_changes_the_result);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(settle_suite()); }

/* Bets: canonical bytes, the JSON form, validation (every fault its own
 * status), pricing and quick pick, against the preset catalogue. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/game.h"
#include "tsr_test.h"

#define SEED 20261123u

static tsr_catalog *cat;

static void load(void)
{
    char path[512], err[256];
    tsr_test_src("deploy/catalog/tessera.json", path, sizeof path);
    ck_assert_int_eq(tsr_catalog_load_file(&cat, path, err, sizeof err), TSR_OK);
}

static void unload(void) { tsr_catalog_free(cat); }

static tsr_bet mk(tsr_bet_type type, const char *nums, tsr_cents stake)
{
    tsr_bet b;
    memset(&b, 0, sizeof b);
    b.type = (uint8_t)type;
    b.draws = 1;
    b.stake_cents = stake;
    for (const char *p = nums; *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        b.numbers[b.count++] = (uint8_t)v;
        p = *end ? end + 1 : end;
    }
    return b;
}

/* Validates and expects st; returns the per-draw price on success. */
static tsr_cents check(const char *game, const tsr_bet *b, tsr_status st, const char *needle)
{
    char why[160] = "";
    tsr_cents price = -1;
    tsr_status got = tsr_bet_validate(cat, game, b, &price, why, sizeof why);
    ck_assert_msg(got == st, "%s: want %s got %s (%s)", game, tsr_status_name(st), tsr_status_name(got), why);
    if (needle)
        ck_assert_msg(strstr(why, needle) != NULL, "'%s' lacks '%s'", why, needle);
    return price;
}

START_TEST(codec_round_trips_canonically)
{
    tsr_bet b = mk(TSR_BET_STANDARD, "43,3,19,11,35,27", 300), back;
    b.second[0] = 7;
    b.second_count = 1;
    b.addons = TSR_ADDON_MULTIPLIER;
    b.quick_pick = true;
    b.draws = 5;
    uint8_t buf[TSR_BET_MAX];
    size_t len;
    ck_assert_int_eq(tsr_bet_encode(&b, buf, sizeof buf, &len), TSR_OK);
    ck_assert_uint_eq(len, 17 + 1 + 6 + 1 + 1);
    ck_assert_uint_eq(buf[0], TSR_BET_VERSION);
    ck_assert_int_eq(tsr_bet_decode(buf, len, &back), TSR_OK);
    ck_assert_uint_eq(back.numbers[0], 3); /* sets are stored sorted */
    ck_assert_uint_eq(back.numbers[5], 43);
    ck_assert_uint_eq(back.second[0], 7);
    ck_assert_uint_eq(back.draws, 5);
    ck_assert(back.quick_pick);
    ck_assert_int_eq(back.stake_cents, 300);
    ck_assert_uint_eq(back.addons, TSR_ADDON_MULTIPLIER);
    /* Digits keep their order. */
    tsr_bet d = mk(TSR_BET_STRAIGHT, "9,0,1", 50);
    ck_assert_int_eq(tsr_bet_encode(&d, buf, sizeof buf, &len), TSR_OK);
    ck_assert_int_eq(tsr_bet_decode(buf, len, &back), TSR_OK);
    ck_assert(back.numbers[0] == 9 && back.numbers[1] == 0 && back.numbers[2] == 1);
    ck_assert_int_eq(memcmp(&back, &d, sizeof d), 0);
}
END_TEST

START_TEST(codec_rejects_non_canonical_bytes)
{
    tsr_bet b = mk(TSR_BET_SPOT, "1,2,3", 100), back;
    uint8_t buf[TSR_BET_MAX], bad[TSR_BET_MAX];
    size_t len;
    ck_assert_int_eq(tsr_bet_encode(&b, buf, sizeof buf, &len), TSR_OK);
    ck_assert_int_eq(tsr_bet_decode(buf, len - 1, &back), TSR_ERR_ENCODING);
    ck_assert_int_eq(tsr_bet_decode(buf, 3, &back), TSR_ERR_ENCODING);
    ck_assert_int_eq(tsr_bet_decode(buf, 0, &back), TSR_ERR_ENCODING);
    memcpy(bad, buf, len);
    bad[len] = 0;
    ck_assert_int_eq(tsr_bet_decode(bad, len + 1, &back), TSR_ERR_ENCODING);
#define MUTATE(off, val, want)                                                                                   \
    do {                                                                                                         \
        memcpy(bad, buf, len);                                                                                   \
        bad[off] = (uint8_t)(val);                                                                               \
        ck_assert_int_eq(tsr_bet_decode(bad, len, &back), want);                                                 \
    } while (0)
    MUTATE(0, 2, TSR_ERR_VERSION);
    MUTATE(1, TSR_BET_TYPE_COUNT_, TSR_ERR_ENCODING); /* unknown type */
    MUTATE(2, 2, TSR_ERR_ENCODING);                   /* unknown flag */
    MUTATE(4, 0, TSR_ERR_ENCODING);                   /* zero draws */
    MUTATE(5, 0x80, TSR_ERR_ENCODING);                /* stake beyond the money range */
    MUTATE(16, 0x02, TSR_ERR_ENCODING);               /* unknown add-on bit */
    MUTATE(17, 11, TSR_ERR_ENCODING);                 /* count above the array */
    MUTATE(19, 1, TSR_ERR_ENCODING);                  /* 1,1,3: repeated */
    MUTATE(18, 3, TSR_ERR_ENCODING);                  /* 3,2,3: unsorted */
    MUTATE(21, 2, TSR_ERR_ENCODING);                  /* second count above the array */
#undef MUTATE
    ck_assert_int_eq(tsr_bet_encode(&b, buf, 10, &len), TSR_ERR_TOO_LARGE);
    b.draws = 0;
    ck_assert_int_eq(tsr_bet_encode(&b, buf, sizeof buf, &len), TSR_ERR_ARG);
    b.draws = 1;
    b.addons = 0x10;
    ck_assert_int_eq(tsr_bet_encode(&b, buf, sizeof buf, &len), TSR_ERR_ARG);
}
END_TEST

static tsr_status parse(const char *text, tsr_bet *out, char *why, size_t whylen)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    ck_assert_msg(j != NULL, "%s", je.text);
    tsr_status st = tsr_bet_from_json(j, out, why, whylen);
    json_decref(j);
    return st;
}

START_TEST(json_form_parses_and_round_trips)
{
    tsr_bet b;
    char why[128];
    ck_assert_int_eq(parse("{\"type\":\"standard\",\"numbers\":[5,12,33,41,60],\"second\":[7],"
                           "\"addons\":[\"multiplier\"],\"quick_pick\":false,\"draws\":3,\"stake\":\"2.00\"}",
                           &b, why, sizeof why),
                     TSR_OK);
    ck_assert_uint_eq(b.count, 5);
    ck_assert_uint_eq(b.second[0], 7);
    ck_assert_uint_eq(b.draws, 3);
    ck_assert_int_eq(b.stake_cents, 200);
    json_t *j = tsr_bet_to_json(&b);
    tsr_bet back;
    ck_assert_int_eq(tsr_bet_from_json(j, &back, why, sizeof why), TSR_OK);
    json_decref(j);
    ck_assert_int_eq(memcmp(&b, &back, sizeof b), 0);
    ck_assert_int_eq(parse("{\"type\":\"spot\",\"spots\":5,\"quick_pick\":true}", &b, why, sizeof why), TSR_OK);
    ck_assert_uint_eq(b.count, 5);
    ck_assert(b.quick_pick);
    ck_assert_uint_eq(b.draws, 1);
}
END_TEST

START_TEST(json_form_rejects_each_fault)
{
    static const struct {
        const char *text;
        tsr_status st;
    } cases[] = {
        {"{\"numbers\":[1]}", TSR_ERR_FIELD_MISSING},
        {"{\"type\":\"standard\",\"colour\":1}", TSR_ERR_FIELD_UNKNOWN},
        {"[1,2]", TSR_ERR_FIELD_TYPE},
        {"{\"type\":7}", TSR_ERR_FIELD_TYPE},
        {"{\"type\":\"standard\",\"numbers\":\"1,2\"}", TSR_ERR_FIELD_TYPE},
        {"{\"type\":\"standard\",\"numbers\":[\"1\"]}", TSR_ERR_FIELD_TYPE},
        {"{\"type\":\"standard\",\"quick_pick\":1}", TSR_ERR_FIELD_TYPE},
        {"{\"type\":\"standard\",\"draws\":\"2\"}", TSR_ERR_FIELD_TYPE},
        {"{\"type\":\"standard\",\"stake\":1.5}", TSR_ERR_FIELD_TYPE},
        {"{\"type\":\"standard\",\"addons\":\"multiplier\"}", TSR_ERR_FIELD_TYPE},
        {"{\"type\":\"standard\",\"addons\":[3]}", TSR_ERR_FIELD_TYPE},
        {"{\"type\":\"lucky_dip\"}", TSR_ERR_GAME_BET_TYPE},
        {"{\"type\":\"standard\",\"addons\":[\"insurance\"]}", TSR_ERR_GAME_ADDON_UNKNOWN},
        {"{\"type\":\"spot\",\"numbers\":[1,2,3,4,5,6,7,8,9,10,11]}", TSR_ERR_GAME_COUNT},
        {"{\"type\":\"spot\",\"numbers\":[1,2],\"spots\":3}", TSR_ERR_GAME_COUNT},
        {"{\"type\":\"spot\",\"spots\":0}", TSR_ERR_GAME_COUNT},
        {"{\"type\":\"standard\",\"second\":[1,2]}", TSR_ERR_GAME_COUNT},
        {"{\"type\":\"standard\",\"numbers\":[-1]}", TSR_ERR_GAME_NUMBER_RANGE},
        {"{\"type\":\"standard\",\"numbers\":[100]}", TSR_ERR_GAME_NUMBER_RANGE},
        {"{\"type\":\"standard\",\"draws\":0}", TSR_ERR_GAME_DRAWS},
        {"{\"type\":\"standard\",\"draws\":105}", TSR_ERR_GAME_DRAWS},
        {"{\"type\":\"straight\",\"stake\":\"1.005\"}", TSR_ERR_MONEY_FORMAT},
        {"{\"type\":\"straight\",\"stake\":\"99999999999999999\"}", TSR_ERR_OVERFLOW},
        {"{\"type\":\"straight\",\"stake\":\"-1.00\"}", TSR_ERR_RANGE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tsr_bet b;
        char why[128] = "";
        tsr_status st = parse(cases[i].text, &b, why, sizeof why);
        ck_assert_msg(st == cases[i].st, "%s: want %s got %s", cases[i].text, tsr_status_name(cases[i].st),
                      tsr_status_name(st));
        ck_assert_msg(why[0] != '\0', "%s: no sentence", cases[i].text);
    }
}
END_TEST

START_TEST(validation_prices_good_bets)
{
    tsr_bet b = mk(TSR_BET_STANDARD, "1,2,3,4,5,49", 300);
    ck_assert_int_eq(check("lotto649", &b, TSR_OK, NULL), 300);
    b = mk(TSR_BET_STANDARD, "1,2,3,4,69", 200);
    b.second[0] = 26;
    b.second_count = 1;
    b.addons = TSR_ADDON_MULTIPLIER;
    ck_assert_int_eq(check("powerball", &b, TSR_OK, NULL), 300); /* $2 + $1 Power Play */
    b = mk(TSR_BET_COMBO, "1,1,2", 50);
    ck_assert_int_eq(check("pick3", &b, TSR_OK, NULL), 150); /* three orders */
    b = mk(TSR_BET_COMBO, "1,2,3,4", 100);
    ck_assert_int_eq(check("pick4", &b, TSR_OK, NULL), 2400);
    b = mk(TSR_BET_BOX, "1,1,2", 50);
    ck_assert_int_eq(check("pick3", &b, TSR_OK, NULL), 50);
    b = mk(TSR_BET_SPOT, "80,1,40", 200);
    ck_assert_int_eq(check("keno", &b, TSR_OK, NULL), 200);
    b = mk(TSR_BET_ODD, "", 500);
    ck_assert_int_eq(check("bonusbet", &b, TSR_OK, NULL), 500);
    b = mk(TSR_BET_NUMBER, "49", 100);
    ck_assert_int_eq(check("bonusbet", &b, TSR_OK, NULL), 100);
    /* Advance play: price per draw and the total for the request. */
    tsr_bet p = mk(TSR_BET_STANDARD, "49,2,3,4,5,1", 0);
    p.draws = 4;
    tsr_cents per, total;
    char why[128];
    ck_assert_int_eq(tsr_bet_prepare(cat, "lotto649", &p, &per, &total, why, sizeof why), TSR_OK);
    ck_assert_int_eq(per, 300);
    ck_assert_int_eq(total, 1200);
    ck_assert_int_eq(p.stake_cents, 300);
    ck_assert_uint_eq(p.numbers[0], 1); /* sorted */
    p.draws = 0;
    ck_assert_int_eq(tsr_bet_prepare(cat, "lotto649", &p, &per, NULL, why, sizeof why), TSR_OK);
    ck_assert_uint_eq(p.draws, 1);
    ck_assert_int_eq(tsr_bet_prepare(cat, "nope", &p, &per, &total, why, sizeof why), TSR_ERR_GAME_UNKNOWN);
    const tsr_game *g = tsr_catalog_find(cat, "lotto649");
    ck_assert_int_eq(tsr_bet_validate_game(g, &p, NULL, NULL, 0), TSR_OK);
}
END_TEST

START_TEST(validation_names_each_fault)
{
    tsr_bet b = mk(TSR_BET_STANDARD, "1,2,3,4,5,6", 300);
    check("lotto", &b, TSR_ERR_GAME_UNKNOWN, "no game 'lotto'");
    b = mk(TSR_BET_BOX, "1,2,3,4,5,6", 300);
    check("lotto649", &b, TSR_ERR_GAME_BET_TYPE, "lotto649 offers no 'box' bet");
    b = mk(TSR_BET_FRONT_PAIR, "1,2,3,4", 50);
    check("pick4", &b, TSR_ERR_GAME_BET_TYPE, "offers no 'front_pair'");
    b = mk(TSR_BET_STANDARD, "1,2,3,4,5,50", 300);
    check("lotto649", &b, TSR_ERR_GAME_NUMBER_RANGE, "number 50 is outside 1..49");
    b = mk(TSR_BET_STANDARD, "0,2,3,4,5,6", 300);
    check("lotto649", &b, TSR_ERR_GAME_NUMBER_RANGE, "number 0 is outside 1..49");
    b = mk(TSR_BET_STANDARD, "1,2,3,4,5", 200);
    b.second[0] = 27;
    b.second_count = 1;
    check("powerball", &b, TSR_ERR_GAME_NUMBER_RANGE, "second-pool number 27 is outside 1..26");
    b = mk(TSR_BET_STRAIGHT, "1,10,3", 50);
    check("pick3", &b, TSR_ERR_GAME_NUMBER_RANGE, "digit 10 is outside 0..9");
    b = mk(TSR_BET_SPOT, "1,81", 100);
    check("keno", &b, TSR_ERR_GAME_NUMBER_RANGE, "number 81 is outside 1..80");
    b = mk(TSR_BET_STANDARD, "1,2,3,4,5,5", 300);
    check("lotto649", &b, TSR_ERR_GAME_NUMBER_DUP, "number 5 is selected twice");
    b = mk(TSR_BET_SPOT, "7,7", 100);
    check("keno", &b, TSR_ERR_GAME_NUMBER_DUP, "number 7 is selected twice");
    b = mk(TSR_BET_STANDARD, "1,2,3,4,5", 300);
    check("lotto649", &b, TSR_ERR_GAME_COUNT, "5 numbers selected, the bet needs 6");
    b = mk(TSR_BET_STANDARD, "1,2,3,4,5", 200);
    check("powerball", &b, TSR_ERR_GAME_COUNT, "0 second-pool numbers selected, the bet needs 1");
    b = mk(TSR_BET_STANDARD, "1,2,3,4,5,6", 300);
    b.second[0] = 1;
    b.second_count = 1;
    check("lotto649", &b, TSR_ERR_GAME_COUNT, "second-pool");
    b = mk(TSR_BET_SPOT, "", 100);
    check("keno", &b, TSR_ERR_GAME_COUNT, "0 spots selected, the bet needs 1 to 10");
    b = mk(TSR_BET_STRAIGHT, "1,2", 50);
    check("pick3", &b, TSR_ERR_GAME_COUNT, "2 digits selected, the bet needs 3");
    b = mk(TSR_BET_ODD, "3", 100);
    check("bonusbet", &b, TSR_ERR_GAME_COUNT, "1 numbers selected, the bet needs 0");
    b = mk(TSR_BET_BOX, "7,7,7", 50);
    check("pick3", &b, TSR_ERR_GAME_NO_BOX, "all digits are the same");
    b = mk(TSR_BET_STRAIGHT_BOX, "7,7,7", 100);
    check("pick3", &b, TSR_ERR_GAME_NO_BOX, NULL);
    b = mk(TSR_BET_COMBO, "7,7,7", 50);
    check("pick3", &b, TSR_ERR_GAME_NO_BOX, NULL);
    b = mk(TSR_BET_BOX, "1,1,1,1", 50);
    check("pick4", &b, TSR_ERR_GAME_NO_BOX, NULL);
    b = mk(TSR_BET_STRAIGHT, "1,2,3", 75);
    check("pick3", &b, TSR_ERR_GAME_STAKE_UNIT, "stake 0.75 is not a multiple of 0.50");
    b = mk(TSR_BET_STRAIGHT, "1,2,3", 0);
    check("pick3", &b, TSR_ERR_GAME_STAKE_MIN, "stake 0.00 is below the minimum 0.50");
    b = mk(TSR_BET_STANDARD, "1,2,3,4,5,6", 200);
    check("lotto649", &b, TSR_ERR_GAME_STAKE_MIN, NULL);
    b = mk(TSR_BET_STRAIGHT, "1,2,3", 550);
    check("pick3", &b, TSR_ERR_GAME_STAKE_MAX, "stake 5.50 is above the limit 5.00");
    b = mk(TSR_BET_STANDARD, "1,2,3,4,5,6", 600);
    check("lotto649", &b, TSR_ERR_GAME_STAKE_MAX, NULL);
    b = mk(TSR_BET_COMBO, "1,2,3,4", 500);
    b.draws = 14; /* 24 orders x 5.00 x 14 draws = 1,680.00 */
    check("pick4", &b, TSR_ERR_GAME_PRICE_MAX, "costs more than the limit 500.00");
    b = mk(TSR_BET_STANDARD, "1,2,3,4,5,6", 300);
    b.addons = 0x80;
    check("lotto649", &b, TSR_ERR_GAME_ADDON_UNKNOWN, "add-on bits 0x80");
    b.addons = TSR_ADDON_MULTIPLIER;
    check("lotto649", &b, TSR_ERR_GAME_ADDON_UNAVAILABLE, "lotto649 offers no multiplier");
    b.addons = 0;
    b.draws = 11;
    check("lotto649", &b, TSR_ERR_GAME_DRAWS, "11 draws asked, lotto649 sells 1 to 10");
    b.draws = 0;
    check("lotto649", &b, TSR_ERR_GAME_DRAWS, NULL);
    b.draws = 1;
    b.type = TSR_BET_TYPE_COUNT_;
    check("lotto649", &b, TSR_ERR_GAME_BET_TYPE, NULL);
}
END_TEST

START_TEST(digits_ways_count_orders)
{
    static const struct {
        const char *d;
        unsigned ways;
    } cases[] = {{"1,1,2", 3}, {"1,2,3", 6}, {"7,7,7", 1}, {"1,1,2,2", 6},
                 {"1,1,1,2", 4}, {"1,1,2,3", 12}, {"1,2,3,4", 24}, {"0,0,0,0", 1}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tsr_bet b = mk(TSR_BET_BOX, cases[i].d, 50);
        ck_assert_uint_eq(tsr_digits_ways(b.numbers, b.count), cases[i].ways);
    }
}
END_TEST

/* The text form is byte for byte the tree form's compact dump. */
static void check_json_text(const tsr_bet *b)
{
    char text[TSR_BET_JSON_TEXT_MAX];
    json_t *j = tsr_bet_to_json(b);
    char *dump = json_dumps(j, JSON_COMPACT);
    ck_assert_int_eq(tsr_bet_json_text(b, text, sizeof text), TSR_OK);
    ck_assert_str_eq(text, dump);
    free(dump);
    json_decref(j);
}

static void quick_picks_validate(tsr_rng *rng, const char *game, tsr_bet_type type, tsr_cents stake, uint32_t addons)
{
    for (int i = 0; i < 500; i++) {
        tsr_bet b;
        memset(&b, 0, sizeof b);
        b.type = (uint8_t)type;
        b.draws = 1;
        b.stake_cents = stake;
        b.addons = addons;
        if (type == TSR_BET_SPOT)
            b.count = (uint8_t)(1 + i % 10);
        ck_assert_int_eq(tsr_bet_quick_pick(cat, game, rng, &b), TSR_OK);
        ck_assert(b.quick_pick);
        char why[128] = "";
        ck_assert_msg(tsr_bet_validate(cat, game, &b, NULL, why, sizeof why) == TSR_OK, "seed %u %s: %s", SEED,
                      game, why);
        check_json_text(&b);
    }
}

START_TEST(quick_pick_gives_valid_bets)
{
    printf("quick pick seed %u\n", SEED);
    tsr_rng *rng;
    ck_assert_int_eq(tsr_rng_seeded_create(&rng, SEED), TSR_OK);
    quick_picks_validate(rng, "lotto649", TSR_BET_STANDARD, 300, 0);
    quick_picks_validate(rng, "powerball", TSR_BET_STANDARD, 200, TSR_ADDON_MULTIPLIER);
    for (int t = TSR_BET_STRAIGHT; t <= TSR_BET_BACK_PAIR; t++)
        quick_picks_validate(rng, "pick3", (tsr_bet_type)t, 100, 0);
    quick_picks_validate(rng, "pick4", TSR_BET_BOX, 100, 0);
    quick_picks_validate(rng, "keno", TSR_BET_SPOT, 100, 0);
    quick_picks_validate(rng, "bonusbet", TSR_BET_NUMBER, 100, 0);
    quick_picks_validate(rng, "bonusbet", TSR_BET_HIGH, 100, 0);
    tsr_bet b;
    memset(&b, 0, sizeof b);
    b.type = TSR_BET_SPOT;
    ck_assert_int_eq(tsr_bet_quick_pick(cat, "keno", rng, &b), TSR_OK);
    ck_assert_uint_eq(b.count, 10); /* no spot count: the maximum */
    b.count = 11;
    ck_assert_int_eq(tsr_bet_quick_pick(cat, "keno", rng, &b), TSR_ERR_GAME_COUNT);
    ck_assert_int_eq(tsr_bet_quick_pick(cat, "nope", rng, &b), TSR_ERR_GAME_UNKNOWN);
    b.type = TSR_BET_BOX;
    ck_assert_int_eq(tsr_bet_quick_pick(cat, "keno", rng, &b), TSR_ERR_GAME_BET_TYPE);
    tsr_rng_destroy(rng);
    /* the text form: a second number, several draws, a large stake; and its refusals */
    tsr_bet t = mk(TSR_BET_STANDARD, "43,3,19,11,35", 123456789);
    t.second[0] = 7;
    t.second_count = 1;
    t.draws = 12;
    t.addons = TSR_ADDON_MULTIPLIER;
    check_json_text(&t);
    char small[40];
    ck_assert_int_eq(tsr_bet_json_text(&t, small, sizeof small), TSR_ERR_TOO_LONG);
    t.type = 250;
    ck_assert_int_eq(tsr_bet_json_text(&t, small, sizeof small), TSR_ERR_GAME_BET_TYPE);
}
END_TEST

/* Every number of 1..49 turns up about equally often: 12,000 picks of six
 * give 1,469 of each on average; the bounds are > 6 sigma wide. */
START_TEST(quick_pick_is_uniform)
{
    tsr_rng *rng;
    ck_assert_int_eq(tsr_rng_seeded_create(&rng, SEED), TSR_OK);
    unsigned seen[50] = {0};
    for (int i = 0; i < 12000; i++) {
        tsr_bet b;
        memset(&b, 0, sizeof b);
        ck_assert_int_eq(tsr_bet_quick_pick(cat, "lotto649", rng, &b), TSR_OK);
        for (unsigned k = 0; k < b.count; k++)
            seen[b.numbers[k]]++;
    }
    for (int n = 1; n <= 49; n++)
        ck_assert_msg(seen[n] > 1230 && seen[n] < 1710, "seed %u: %d seen %u times", SEED, n, seen[n]);
    tsr_rng_destroy(rng);
}
END_TEST

START_TEST(liability_per_combination)
{
    static tsr_liability l; /* 80 KB: not on the stack */
    memset(&l, 0, sizeof l);
    const tsr_game *p3 = tsr_catalog_find(cat, "pick3");
    tsr_bet b = mk(TSR_BET_BOX, "1,1,2", 100);
    ck_assert_int_eq(tsr_liability_add(&l, p3, &b), TSR_OK);
    ck_assert_int_eq(l.exposure_cents[112], 16000);
    ck_assert_int_eq(l.exposure_cents[121], 16000);
    ck_assert_int_eq(l.exposure_cents[211], 16000);
    ck_assert_int_eq(l.exposure_cents[122], 0);
    tsr_bet sb = mk(TSR_BET_STRAIGHT_BOX, "1,2,3", 100);
    ck_assert_int_eq(tsr_liability_add(&l, p3, &sb), TSR_OK);
    ck_assert_int_eq(l.exposure_cents[123], 29000); /* 6-way exact pays $290 */
    ck_assert_int_eq(l.exposure_cents[321], 4000);
    tsr_bet combo = mk(TSR_BET_COMBO, "1,1,2", 50);
    ck_assert_int_eq(tsr_liability_add(&l, p3, &combo), TSR_OK);
    ck_assert_int_eq(l.exposure_cents[211], 16000 + 25000);
    tsr_bet front = mk(TSR_BET_FRONT_PAIR, "4,5,0", 100), back = mk(TSR_BET_BACK_PAIR, "0,4,5", 100);
    ck_assert_int_eq(tsr_liability_add(&l, p3, &front), TSR_OK);
    ck_assert_int_eq(tsr_liability_add(&l, p3, &back), TSR_OK);
    ck_assert_int_eq(l.exposure_cents[450], 5000);
    ck_assert_int_eq(l.exposure_cents[459], 5000);
    ck_assert_int_eq(l.exposure_cents[945], 5000);
    ck_assert_int_eq(l.exposure_cents[445], 5000); /* back pair x-4-5 only */
    ck_assert_int_eq(l.exposure_cents[45], 5000);   /* 0-4-5 */
    tsr_liability_remove(&l, p3, &b);
    tsr_liability_remove(&l, p3, &sb);
    tsr_liability_remove(&l, p3, &combo);
    tsr_liability_remove(&l, p3, &front);
    tsr_liability_remove(&l, p3, &back);
    for (int i = 0; i < TSR_DIGITS_COMBOS; i++)
        ck_assert_int_eq(l.exposure_cents[i], 0);
    /* The cap is 1,000,000.00: 400 straights of $5 on 7-7-7 reach it. */
    tsr_bet s = mk(TSR_BET_STRAIGHT, "7,7,7", 500);
    for (int i = 0; i < 400; i++)
        ck_assert_int_eq(tsr_liability_add(&l, p3, &s), TSR_OK);
    ck_assert_int_eq(tsr_liability_add(&l, p3, &s), TSR_ERR_GAME_LIABILITY);
    ck_assert_int_eq(l.exposure_cents[777], 100000000); /* unchanged by the refusal */
    tsr_bet k = mk(TSR_BET_SPOT, "1,2", 100);
    ck_assert_int_eq(tsr_liability_add(&l, tsr_catalog_find(cat, "keno"), &k), TSR_OK);
    tsr_liability_remove(&l, tsr_catalog_find(cat, "keno"), &k);
}
END_TEST

/* ---- the text form against the formatter it replaced ---------------------------- */

/* The printf-based tsr_bet_json_text as it was before the direct appenders
 * (kept here as the reference: the node's stored and signed replies were
 * made with it, so the new one must give the same bytes and the same
 * refusals for every buffer size). */
static bool ref_put(char *out, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static bool ref_put(char *out, size_t cap, size_t *len, const char *fmt, ...)
{
    if (*len >= cap)
        return false;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap - *len)
        return false;
    *len += (size_t)n;
    return true;
}

static bool ref_numbers(char *out, size_t cap, size_t *len, const uint8_t *v, unsigned n)
{
    bool ok = ref_put(out, cap, len, "[");
    for (unsigned i = 0; ok && i < n; i++)
        ok = ref_put(out, cap, len, "%s%u", i ? "," : "", (unsigned)v[i]);
    return ok && ref_put(out, cap, len, "]");
}

static tsr_status ref_json_text(const tsr_bet *bet, char *out, size_t cap)
{
    const char *type = tsr_bet_type_name((tsr_bet_type)bet->type);
    if (!type)
        return TSR_ERR_GAME_BET_TYPE;
    char stake[TSR_MONEY_STR_MAX];
    unsigned n = bet->count < TSR_BET_NUMBERS_MAX ? bet->count : TSR_BET_NUMBERS_MAX;
    unsigned n2 = bet->second_count < TSR_BET_SECOND_MAX ? bet->second_count : TSR_BET_SECOND_MAX;
    size_t len = 0;
    bool ok = ref_put(out, cap, &len, "{\"type\":\"%s\",\"numbers\":", type) &&
              ref_numbers(out, cap, &len, bet->numbers, n);
    if (ok && bet->second_count)
        ok = ref_put(out, cap, &len, ",\"second\":") && ref_numbers(out, cap, &len, bet->second, n2);
    ok = ok && ref_put(out, cap, &len, ",\"addons\":[%s],\"quick_pick\":%s,\"draws\":%u,\"stake\":\"%s\"}",
                       bet->addons & TSR_ADDON_MULTIPLIER ? "\"multiplier\"" : "",
                       bet->quick_pick ? "true" : "false", (unsigned)bet->draws,
                       tsr_money_format(bet->stake_cents, stake, sizeof stake));
    return ok ? TSR_OK : TSR_ERR_TOO_LONG;
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Any bet the struct can hold, decodable or not: numbers up to 255, counts
 * past the limits, every type code, stakes across int64 with its extremes. */
static tsr_bet random_bet(uint64_t *s)
{
    static const tsr_cents stakes[] = {0, 1, 9, 10, 99, 100, 101, -1, -5, -100, -101,
                                       INT64_MAX, INT64_MIN, INT64_MIN + 1, TSR_MONEY_MAX};
    tsr_bet b;
    memset(&b, 0, sizeof b);
    b.type = (uint8_t)(splitmix(s) % (TSR_BET_TYPE_COUNT_ + 2));
    b.count = (uint8_t)(splitmix(s) % (TSR_BET_NUMBERS_MAX + 3));
    for (unsigned i = 0; i < TSR_BET_NUMBERS_MAX; i++)
        b.numbers[i] = (uint8_t)splitmix(s);
    b.second_count = (uint8_t)(splitmix(s) % 3);
    b.second[0] = (uint8_t)splitmix(s);
    b.addons = (uint32_t)splitmix(s) & 3u;
    b.quick_pick = splitmix(s) & 1;
    b.draws = (uint16_t)splitmix(s);
    uint64_t r = splitmix(s);
    b.stake_cents = r % 4 == 0 ? stakes[r / 4 % (sizeof stakes / sizeof *stakes)]
                  : r % 4 == 1 ? (tsr_cents)(r >> 40) : (tsr_cents)splitmix(s);
    return b;
}

START_TEST(json_text_matches_the_printf_form)
{
    uint64_t seed = SEED;
    printf("bet json text seed %u\n", SEED);
    for (int i = 0; i < 20000; i++) {
        tsr_bet b = random_bet(&seed);
        char want[TSR_BET_JSON_TEXT_MAX], got[TSR_BET_JSON_TEXT_MAX];
        tsr_status ws = ref_json_text(&b, want, sizeof want);
        ck_assert_int_eq(tsr_bet_json_text(&b, got, sizeof got), ws);
        if (ws != TSR_OK)
            continue;
        ck_assert_str_eq(got, want);
        /* every buffer size around the text's: the same refusals */
        size_t len = strlen(want);
        for (size_t cap = len > 3 ? len - 3 : 0; cap <= len + 1; cap++) {
            char small[TSR_BET_JSON_TEXT_MAX + 1];
            ck_assert_int_eq(tsr_bet_json_text(&b, small, cap), cap > len ? TSR_OK : TSR_ERR_TOO_LONG);
            if (cap > len)
                ck_assert_str_eq(small, want);
        }
    }
    /* edge values, spelled out */
    tsr_bet e = mk(TSR_BET_STANDARD, "0,9,10,99,100,255", INT64_MIN);
    e.draws = 65535;
    char text[TSR_BET_JSON_TEXT_MAX];
    ck_assert_int_eq(tsr_bet_json_text(&e, text, sizeof text), TSR_OK);
    ck_assert_str_eq(text, "{\"type\":\"standard\",\"numbers\":[0,9,10,99,100,255],\"addons\":[],"
                           "\"quick_pick\":false,\"draws\":65535,\"stake\":\"-92233720368547758.08\"}");
    e.stake_cents = INT64_MAX;
    e.count = 0;
    e.draws = 0;
    e.quick_pick = true;
    ck_assert_int_eq(tsr_bet_json_text(&e, text, sizeof text), TSR_OK);
    ck_assert_str_eq(text, "{\"type\":\"standard\",\"numbers\":[],\"addons\":[],"
                           "\"quick_pick\":true,\"draws\":0,\"stake\":\"92233720368547758.07\"}");
    ck_assert_int_eq(tsr_bet_json_text(&e, text, 0), TSR_ERR_TOO_LONG);
}
END_TEST

static Suite *game_suite(void)
{
    Suite *s = suite_create("game");
    TCase *tc = tcase_create("game");
    tcase_add_checked_fixture(tc, load, unload);
    tcase_add_test(tc, codec_round_trips_canonically);
    tcase_add_test(tc, codec_rejects_non_canonical_bytes);
    tcase_add_test(tc, json_form_parses_and_round_trips);
    tcase_add_test(tc, json_form_rejects_each_fault);
    tcase_add_test(tc, validation_prices_good_bets);
    tcase_add_test(tc, validation_names_each_fault);
    tcase_add_test(tc, digits_ways_count_orders);
    tcase_add_test(tc, quick_pick_gives_valid_bets);
    tcase_add_test(tc, quick_pick_is_uniform);
    tcase_add_test(tc, liability_per_combination);
    tcase_add_test(tc, json_text_matches_the_printf_form);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(game_suite()); }

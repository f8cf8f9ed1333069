/*
 * Validation, pricing and quick pick. Runs inside the node's bet
 * transaction, so it is allocation-free and touches only the game's tables.
 * Each fault has its own status and a sentence naming the offending value,
 * because a retail clerk must be able to tell the player what to change.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tessera/game.h"

#define QUICK_PICK_TRIES 1000 /* a box quick pick redraws triples (1 in 100) */

static tsr_status bad(tsr_status st, char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static tsr_status bad(tsr_status st, char *why, size_t whylen, const char *fmt, ...)
{
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return st;
}

static bool is_box_type(unsigned t)
{
    return t == TSR_BET_BOX || t == TSR_BET_STRAIGHT_BOX || t == TSR_BET_COMBO;
}

unsigned tsr_bet_combinations(const tsr_bet *bet)
{
    return bet->type == TSR_BET_COMBO ? tsr_digits_ways(bet->numbers, bet->count) : 1;
}

/* Each number in lo..hi, none twice (a 128-bit seen-set: numbers < 128). */
static tsr_status check_numbers(const uint8_t *nums, unsigned n, unsigned lo, unsigned hi, bool distinct,
                                const char *what, char *why, size_t whylen)
{
    uint64_t seen[2] = {0, 0};
    for (unsigned i = 0; i < n; i++) {
        unsigned x = nums[i];
        if (x < lo || x > hi)
            return bad(TSR_ERR_GAME_NUMBER_RANGE, why, whylen, "%s %u is outside %u..%u", what, x, lo, hi);
        if (distinct && (seen[x >> 6] >> (x & 63) & 1))
            return bad(TSR_ERR_GAME_NUMBER_DUP, why, whylen, "%s %u is selected twice", what, x);
        seen[x >> 6] |= UINT64_C(1) << (x & 63);
    }
    return TSR_OK;
}

static tsr_status check_count(unsigned got, unsigned lo, unsigned hi, const char *what, char *why, size_t whylen)
{
    if (got >= lo && got <= hi)
        return TSR_OK;
    if (lo == hi)
        return bad(TSR_ERR_GAME_COUNT, why, whylen, "%u %s selected, the bet needs %u", got, what, lo);
    return bad(TSR_ERR_GAME_COUNT, why, whylen, "%u %s selected, the bet needs %u to %u", got, what, lo, hi);
}

static tsr_status check_digits(const tsr_game *g, const tsr_bet *b, char *why, size_t whylen)
{
    tsr_status st = check_numbers(b->numbers, b->count, 0, 9, false, "digit", why, whylen);
    if (st != TSR_OK || !is_box_type(b->type))
        return st;
    unsigned ways = tsr_digits_ways(b->numbers, b->count);
    if (ways < 2)
        return bad(TSR_ERR_GAME_NO_BOX, why, whylen, "all digits are the same, so a %s bet has nothing to box",
                   tsr_bet_type_name((tsr_bet_type)b->type));
    if (b->type != TSR_BET_COMBO && tsr_game_find_tier(g, b->type, ways, b->type == TSR_BET_STRAIGHT_BOX) < 0 &&
        tsr_game_find_tier(g, b->type, ways, false) < 0)
        return bad(TSR_ERR_GAME_NO_BOX, why, whylen, "this game pays no %u-way %s", ways,
                   tsr_bet_type_name((tsr_bet_type)b->type));
    return TSR_OK;
}

static tsr_status check_selections(const tsr_game *g, const tsr_bet *b, char *why, size_t whylen)
{
    tsr_status st;
    unsigned second = g->family == TSR_FAMILY_TWO_POOL ? g->second_pick : 0;
    if ((st = check_count(b->second_count, second, second, "second-pool numbers", why, whylen)) != TSR_OK)
        return st;
    switch (g->family) {
    case TSR_FAMILY_LOTTO:
    case TSR_FAMILY_TWO_POOL:
        if ((st = check_count(b->count, g->pick, g->pick, "numbers", why, whylen)) != TSR_OK ||
            (st = check_numbers(b->numbers, b->count, 1, g->pool, true, "number", why, whylen)) != TSR_OK)
            return st;
        return check_numbers(b->second, b->second_count, 1, g->second_pool, true, "second-pool number", why,
                             whylen);
    case TSR_FAMILY_KENO:
        if ((st = check_count(b->count, g->spots_min, g->spots_max, "spots", why, whylen)) != TSR_OK)
            return st;
        return check_numbers(b->numbers, b->count, 1, g->pool, true, "number", why, whylen);
    case TSR_FAMILY_DIGITS:
        if ((st = check_count(b->count, g->pick, g->pick, "digits", why, whylen)) != TSR_OK)
            return st;
        return check_digits(g, b, why, whylen);
    default: {
        unsigned need = b->type == TSR_BET_NUMBER;
        if ((st = check_count(b->count, need, need, "numbers", why, whylen)) != TSR_OK)
            return st;
        return check_numbers(b->numbers, b->count, 1, g->pool, true, "number", why, whylen);
    }
    }
}

static tsr_status check_stake(const tsr_game *g, tsr_cents s, char *why, size_t whylen)
{
    /* Formatting only on the error path: this runs for every ticket. */
    char a[TSR_MONEY_STR_MAX], b[TSR_MONEY_STR_MAX];
    if (s < g->stake_min_cents)
        return bad(TSR_ERR_GAME_STAKE_MIN, why, whylen, "stake %s is below the minimum %s",
                   tsr_money_format(s, a, sizeof a), tsr_money_format(g->stake_min_cents, b, sizeof b));
    if (s % g->stake_unit_cents)
        return bad(TSR_ERR_GAME_STAKE_UNIT, why, whylen, "stake %s is not a multiple of %s",
                   tsr_money_format(s, a, sizeof a), tsr_money_format(g->stake_unit_cents, b, sizeof b));
    if (s > g->stake_max_cents)
        return bad(TSR_ERR_GAME_STAKE_MAX, why, whylen, "stake %s is above the limit %s",
                   tsr_money_format(s, a, sizeof a), tsr_money_format(g->stake_max_cents, b, sizeof b));
    return TSR_OK;
}

static tsr_status check_head(const tsr_game *g, const tsr_bet *b, char *why, size_t whylen)
{
    if (b->type >= TSR_BET_TYPE_COUNT_ || !(g->bet_types & (1u << b->type)))
        return bad(TSR_ERR_GAME_BET_TYPE, why, whylen, "%s offers no '%s' bet", g->id,
                   b->type < TSR_BET_TYPE_COUNT_ ? tsr_bet_type_name((tsr_bet_type)b->type) : "?");
    if (b->addons & ~TSR_ADDON_KNOWN_)
        return bad(TSR_ERR_GAME_ADDON_UNKNOWN, why, whylen, "add-on bits 0x%x are unknown",
                   (unsigned)(b->addons & ~TSR_ADDON_KNOWN_));
    if (b->addons & ~g->addons)
        return bad(TSR_ERR_GAME_ADDON_UNAVAILABLE, why, whylen, "%s offers no multiplier add-on", g->id);
    if (b->draws < 1 || b->draws > g->max_draws)
        return bad(TSR_ERR_GAME_DRAWS, why, whylen, "%u draws asked, %s sells 1 to %u in advance", b->draws, g->id,
                   g->max_draws);
    return TSR_OK;
}

tsr_status tsr_bet_validate_game(const tsr_game *g, const tsr_bet *b, tsr_cents *per_draw_out, char *why,
                                 size_t whylen)
{
    tsr_status st;
    if ((st = check_head(g, b, why, whylen)) != TSR_OK || (st = check_selections(g, b, why, whylen)) != TSR_OK ||
        (st = check_stake(g, b->stake_cents, why, whylen)) != TSR_OK)
        return st;
    /* Stakes are at most the catalogue's stake_max and draws at most 104,
     * so none of this nears the money range; checked anyway. */
    tsr_cents per_draw, total;
    if (tsr_money_mul(b->stake_cents, tsr_bet_combinations(b), &per_draw) != TSR_OK ||
        ((b->addons & TSR_ADDON_MULTIPLIER) &&
         tsr_money_add(per_draw, g->multiplier_price_cents, &per_draw) != TSR_OK) ||
        tsr_money_mul(per_draw, b->draws, &total) != TSR_OK || total > g->bet_max_cents) {
        char a[TSR_MONEY_STR_MAX];
        return bad(TSR_ERR_GAME_PRICE_MAX, why, whylen, "the bet costs more than the limit %s",
                   tsr_money_format(g->bet_max_cents, a, sizeof a));
    }
    if (per_draw_out)
        *per_draw_out = per_draw;
    return TSR_OK;
}

tsr_status tsr_bet_validate(const tsr_catalog *cat, const char *game, const tsr_bet *bet, tsr_cents *per_draw_out,
                            char *why, size_t whylen)
{
    const tsr_game *g = tsr_catalog_find(cat, game);
    if (!g)
        return bad(TSR_ERR_GAME_UNKNOWN, why, whylen, "no game '%.40s' in catalogue %lld", game ? game : "",
                   (long long)tsr_catalog_version(cat));
    return tsr_bet_validate_game(g, bet, per_draw_out, why, whylen);
}

static void sort_set(tsr_bet *b)
{
    if (b->type != TSR_BET_STANDARD && b->type != TSR_BET_SPOT)
        return;
    for (unsigned i = 1; i < b->count && i < TSR_BET_NUMBERS_MAX; i++)
        for (unsigned j = i; j > 0 && b->numbers[j - 1] > b->numbers[j]; j--) {
            uint8_t t = b->numbers[j];
            b->numbers[j] = b->numbers[j - 1];
            b->numbers[j - 1] = t;
        }
}

tsr_status tsr_bet_prepare(const tsr_catalog *cat, const char *game, tsr_bet *bet, tsr_cents *per_draw_out,
                           tsr_cents *total_out, char *why, size_t whylen)
{
    const tsr_game *g = tsr_catalog_find(cat, game);
    if (!g)
        return tsr_bet_validate(cat, game, bet, per_draw_out, why, whylen);
    if (bet->stake_cents == 0)
        bet->stake_cents = g->stake_min_cents;
    if (bet->draws == 0)
        bet->draws = 1;
    sort_set(bet);
    tsr_cents per_draw;
    tsr_status st = tsr_bet_validate_game(g, bet, &per_draw, why, whylen);
    if (st != TSR_OK)
        return st;
    if (per_draw_out)
        *per_draw_out = per_draw;
    if (total_out)
        *total_out = per_draw * bet->draws; /* bounded by bet_max in validate */
    return TSR_OK;
}

/* ---- quick pick ---- */

/* k distinct numbers of 1..n, sorted: a partial Fisher-Yates shuffle. */
static tsr_status pick_distinct(tsr_rng *rng, unsigned n, unsigned k, uint8_t *out)
{
    uint8_t deck[TSR_POOL_MAX];
    for (unsigned i = 0; i < n; i++)
        deck[i] = (uint8_t)(i + 1);
    for (unsigned i = 0; i < k; i++) {
        uint64_t j;
        if (tsr_rng_uniform(rng, n - i, &j) != TSR_OK)
            return TSR_ERR_RNG;
        uint8_t t = deck[i];
        deck[i] = deck[i + j];
        deck[i + j] = t;
        out[i] = deck[i];
    }
    for (unsigned i = 1; i < k; i++)
        for (unsigned j = i; j > 0 && out[j - 1] > out[j]; j--) {
            uint8_t t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return TSR_OK;
}

static tsr_status pick_digits(const tsr_game *g, tsr_rng *rng, tsr_bet *b)
{
    for (int tries = 0; tries < QUICK_PICK_TRIES; tries++) {
        for (unsigned i = 0; i < g->pick; i++) {
            uint64_t d;
            if (tsr_rng_uniform(rng, 10, &d) != TSR_OK)
                return TSR_ERR_RNG;
            b->numbers[i] = (uint8_t)d;
        }
        b->count = g->pick;
        if (check_digits(g, b, NULL, 0) == TSR_OK)
            return TSR_OK;
    }
    return TSR_ERR_RNG;
}

tsr_status tsr_bet_quick_pick(const tsr_catalog *cat, const char *game, tsr_rng *rng, tsr_bet *b)
{
    const tsr_game *g = tsr_catalog_find(cat, game);
    if (!g)
        return TSR_ERR_GAME_UNKNOWN;
    if (b->type >= TSR_BET_TYPE_COUNT_ || !(g->bet_types & (1u << b->type)))
        return TSR_ERR_GAME_BET_TYPE;
    tsr_status st = TSR_OK;
    b->second_count = 0;
    switch (g->family) {
    case TSR_FAMILY_KENO:
        if (b->count == 0)
            b->count = g->spots_max;
        if (b->count < g->spots_min || b->count > g->spots_max)
            return TSR_ERR_GAME_COUNT;
        st = pick_distinct(rng, g->pool, b->count, b->numbers);
        break;
    case TSR_FAMILY_DIGITS:
        st = pick_digits(g, rng, b);
        break;
    case TSR_FAMILY_FIXED:
        b->count = b->type == TSR_BET_NUMBER;
        st = pick_distinct(rng, g->pool, b->count, b->numbers);
        break;
    default:
        b->count = g->pick;
        st = pick_distinct(rng, g->pool, g->pick, b->numbers);
        if (st == TSR_OK && g->family == TSR_FAMILY_TWO_POOL) {
            b->second_count = g->second_pick;
            st = pick_distinct(rng, g->second_pool, g->second_pick, b->second);
        }
    }
    if (st == TSR_OK)
        b->quick_pick = true;
    return st;
}

/*
 * Per-combination liability of digits games. A pick-3 straight pays 500 to
 * 1, so a popular number (birthdays, 1-2-3) sold without limit could cost
 * more than a draw's sales; operators cap what any one combination may cost
 * and stop selling it once reached. Settlement applies the same cap pro
 * rata (central/settle.c), so this limit at sale time keeps that rare.
 */
#include <string.h>

#include "tessera/game.h"

#define EXPOSURE_MAX 100 /* a pair bet wins on 10^(n-2) <= 100 combinations */

typedef struct exposure {
    unsigned n;
    uint16_t combo[EXPOSURE_MAX];
    tsr_cents pay[EXPOSURE_MAX];
} exposure;

static unsigned key_of(const uint8_t *d, unsigned n)
{
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++)
        k = k * 10 + d[i];
    return k;
}

static void push(exposure *e, unsigned combo, tsr_cents pay)
{
    for (unsigned i = 0; i < e->n; i++)
        if (e->combo[i] == combo)
            return; /* one order of a double counts once */
    if (e->n < EXPOSURE_MAX) {
        e->combo[e->n] = (uint16_t)combo;
        e->pay[e->n++] = pay;
    }
}

static tsr_cents prize(const tsr_game *g, int tier, const tsr_bet *b)
{
    if (tier < 0)
        return 0;
    /* prize x stake / base is exact (the catalogue checks whole cents per
     * stake unit); computed wide and clamped so no catalogue can wrap it. */
    __int128 v = (__int128)g->tiers[tier].prize_cents * b->stake_cents / g->prize_base_cents;
    return v > TSR_MONEY_MAX ? TSR_MONEY_MAX : (tsr_cents)v;
}

/* Every order of the bet's digits (n <= 4: at most 24). */
static void permutations(const tsr_game *g, const tsr_bet *b, exposure *e)
{
    static const uint8_t idx[24][4] = {
        {0, 1, 2, 3}, {0, 1, 3, 2}, {0, 2, 1, 3}, {0, 2, 3, 1}, {0, 3, 1, 2}, {0, 3, 2, 1},
        {1, 0, 2, 3}, {1, 0, 3, 2}, {1, 2, 0, 3}, {1, 2, 3, 0}, {1, 3, 0, 2}, {1, 3, 2, 0},
        {2, 0, 1, 3}, {2, 0, 3, 1}, {2, 1, 0, 3}, {2, 1, 3, 0}, {2, 3, 0, 1}, {2, 3, 1, 0},
        {3, 0, 1, 2}, {3, 0, 2, 1}, {3, 1, 0, 2}, {3, 1, 2, 0}, {3, 2, 0, 1}, {3, 2, 1, 0}};
    unsigned n = g->pick, ways = tsr_digits_ways(b->numbers, n), exact = key_of(b->numbers, n);
    for (unsigned p = 0; p < 24; p++) {
        uint8_t d[4];
        bool ok = true;
        for (unsigned i = 0; i < n && ok; i++) {
            ok = idx[p][i] < n; /* pick-3: only orders of the first three */
            d[i] = ok ? b->numbers[idx[p][i]] : 0;
        }
        if (!ok)
            continue;
        unsigned k = key_of(d, n);
        int tier = b->type == TSR_BET_BOX            ? tsr_game_find_tier(g, TSR_BET_BOX, ways, false)
                   : b->type == TSR_BET_STRAIGHT_BOX ? tsr_game_find_tier(g, b->type, ways, k == exact)
                                                     : tsr_game_find_tier(g, TSR_BET_COMBO, 0, false);
        push(e, k, prize(g, tier, b));
    }
}

static void exposure_of(const tsr_game *g, const tsr_bet *b, exposure *e)
{
    unsigned n = g->pick;
    e->n = 0;
    switch (b->type) {
    case TSR_BET_STRAIGHT:
        push(e, key_of(b->numbers, n), prize(g, tsr_game_find_tier(g, b->type, 0, false), b));
        break;
    case TSR_BET_FRONT_PAIR:
    case TSR_BET_BACK_PAIR: {
        unsigned rest = 1;
        for (unsigned i = 2; i < n; i++)
            rest *= 10;
        tsr_cents pay = prize(g, tsr_game_find_tier(g, b->type, 0, false), b);
        unsigned pair = b->type == TSR_BET_FRONT_PAIR ? b->numbers[0] * 10u + b->numbers[1]
                                                      : b->numbers[n - 2] * 10u + b->numbers[n - 1];
        for (unsigned r = 0; r < rest; r++)
            push(e, b->type == TSR_BET_FRONT_PAIR ? pair * rest + r : r * 100 + pair, pay);
        break;
    }
    default:
        permutations(g, b, e);
    }
}

tsr_status tsr_liability_add(tsr_liability *l, const tsr_game *g, const tsr_bet *b)
{
    if (g->family != TSR_FAMILY_DIGITS)
        return TSR_OK;
    exposure e;
    exposure_of(g, b, &e);
    for (unsigned i = 0; g->liability_cap_cents > 0 && i < e.n; i++)
        if (l->exposure_cents[e.combo[i]] + e.pay[i] > g->liability_cap_cents)
            return TSR_ERR_GAME_LIABILITY;
    for (unsigned i = 0; i < e.n; i++) {
        tsr_cents *x = &l->exposure_cents[e.combo[i]];
        *x = *x > INT64_MAX - e.pay[i] ? INT64_MAX : *x + e.pay[i]; /* uncapped games may only saturate */
    }
    return TSR_OK;
}

void tsr_liability_remove(tsr_liability *l, const tsr_game *g, const tsr_bet *b)
{
    if (g->family != TSR_FAMILY_DIGITS)
        return;
    exposure e;
    exposure_of(g, b, &e);
    for (unsigned i = 0; i < e.n; i++)
        l->exposure_cents[e.combo[i]] -= e.pay[i];
}

/*
 * Settlement engine. Pass 1 finds each ticket's tier and fixed amount and
 * sums what the pools and the cap need (winners per tier, sales, capped
 * liability); pass 2 turns those sums into per-winner amounts. Nothing a
 * ticket gets depends on its position, which is what makes the result
 * independent of ticket order.
 */
#include <string.h>

#include "tessera/odds.h"
#include "tessera/settle.h"

#define PPM_ALL INT64_C(1000000)

typedef struct bits128 {
    uint64_t w[2];
} bits128;

static inline void set_bit(bits128 *b, unsigned x) { b->w[x >> 6] |= UINT64_C(1) << (x & 63); }

static inline unsigned common(const bits128 *a, const bits128 *b)
{
    return (unsigned)(__builtin_popcountll(a->w[0] & b->w[0]) + __builtin_popcountll(a->w[1] & b->w[1]));
}

/* What pass 1 needs of the result, precomputed once. */
typedef struct draw_ctx {
    const tsr_game *g;
    const tsr_draw_result *res;
    bits128 main, bonus;
    unsigned digits_key; /* sorted digits, base 10: equal keys = same box */
} draw_ctx;

static unsigned sorted_key(const uint8_t *d, unsigned n)
{
    unsigned count[10] = {0}, key = 0;
    for (unsigned i = 0; i < n; i++)
        count[d[i] % 10]++;
    for (unsigned v = 0; v < 10; v++)
        for (unsigned c = 0; c < count[v]; c++)
            key = key * 10 + v;
    return key + 10000 * n; /* keep lengths apart */
}

static bool distinct_in(const uint8_t *x, unsigned n, unsigned lo, unsigned hi, bits128 *seen)
{
    for (unsigned i = 0; i < n; i++) {
        if (x[i] < lo || x[i] > hi || (seen->w[x[i] >> 6] >> (x[i] & 63) & 1))
            return false;
        set_bit(seen, x[i]);
    }
    return true;
}

tsr_status tsr_settle_check_result(const tsr_game *g, const tsr_draw_result *r)
{
    bits128 seen = {{0, 0}}, seen2 = {{0, 0}};
    bool ok;
    switch (g->family) {
    case TSR_FAMILY_LOTTO:
        ok = r->main_count == g->pick && r->bonus_count == (g->bonus ? 1 : 0) &&
             distinct_in(r->main, r->main_count, 1, g->pool, &seen) &&
             distinct_in(r->bonus, r->bonus_count, 1, g->pool, &seen);
        break;
    case TSR_FAMILY_TWO_POOL:
        ok = r->main_count == g->pick && r->bonus_count == g->second_pick &&
             distinct_in(r->main, r->main_count, 1, g->pool, &seen) &&
             distinct_in(r->bonus, r->bonus_count, 1, g->second_pool, &seen2);
        break;
    case TSR_FAMILY_KENO:
        ok = r->main_count == g->drawn && r->bonus_count == 0 && distinct_in(r->main, r->main_count, 1, g->pool, &seen);
        break;
    case TSR_FAMILY_DIGITS:
        ok = r->main_count == g->pick && r->bonus_count == 0;
        for (unsigned i = 0; ok && i < r->main_count; i++)
            ok = r->main[i] <= 9;
        break;
    default:
        ok = r->main_count == 1 && r->bonus_count == 0 && r->main[0] >= 1 && r->main[0] <= g->pool;
    }
    bool mult_ok = g->n_multipliers == 0 ? r->multiplier == 0 : false;
    for (unsigned i = 0; i < g->n_multipliers; i++)
        mult_ok |= r->multiplier == g->multipliers[i];
    return ok && mult_ok ? TSR_OK : TSR_ERR_GAME_RESULT;
}

static int digits_tier(const draw_ctx *c, const tsr_bet *b)
{
    const tsr_game *g = c->g;
    const uint8_t *d = c->res->main;
    unsigned n = g->pick;
    bool exact = memcmp(b->numbers, d, n) == 0;
    bool needs_perm = b->type == TSR_BET_BOX || b->type == TSR_BET_STRAIGHT_BOX || b->type == TSR_BET_COMBO;
    bool perm = needs_perm && (exact || sorted_key(b->numbers, n) == c->digits_key);
    switch (b->type) {
    case TSR_BET_STRAIGHT:
        return exact ? tsr_game_find_tier(g, TSR_BET_STRAIGHT, 0, false) : -1;
    case TSR_BET_BOX:
        return perm ? tsr_game_find_tier(g, TSR_BET_BOX, tsr_digits_ways(b->numbers, n), false) : -1;
    case TSR_BET_STRAIGHT_BOX:
        return perm ? tsr_game_find_tier(g, TSR_BET_STRAIGHT_BOX, tsr_digits_ways(b->numbers, n), exact) : -1;
    case TSR_BET_COMBO:
        return perm ? tsr_game_find_tier(g, TSR_BET_COMBO, 0, false) : -1;
    case TSR_BET_FRONT_PAIR:
        return b->numbers[0] == d[0] && b->numbers[1] == d[1] ? tsr_game_find_tier(g, b->type, 0, false) : -1;
    case TSR_BET_BACK_PAIR:
        return b->numbers[n - 2] == d[n - 2] && b->numbers[n - 1] == d[n - 1]
                   ? tsr_game_find_tier(g, b->type, 0, false)
                   : -1;
    default:
        return -1;
    }
}

static int fixed_tier(const draw_ctx *c, const tsr_bet *b)
{
    unsigned x = c->res->main[0];
    bool win;
    switch (b->type) {
    case TSR_BET_ODD: win = x % 2 == 1; break;
    case TSR_BET_EVEN: win = x % 2 == 0; break;
    case TSR_BET_HIGH: win = x >= c->g->high_from; break;
    case TSR_BET_LOW: win = x < c->g->high_from; break;
    default: win = b->count == 1 && b->numbers[0] == x;
    }
    return win ? tsr_game_find_tier(c->g, b->type, 0, false) : -1;
}

/* The tier a (valid) bet wins, or -1. */
static int tier_of(const draw_ctx *c, const tsr_bet *b)
{
    bits128 mine = {{0, 0}};
    switch (c->g->family) {
    case TSR_FAMILY_LOTTO:
    case TSR_FAMILY_KENO:
        for (unsigned i = 0; i < b->count; i++)
            set_bit(&mine, b->numbers[i]);
        if (c->g->family == TSR_FAMILY_KENO)
            return c->g->match_tier[b->count][common(&mine, &c->main)];
        return c->g->match_tier[common(&mine, &c->main)][common(&mine, &c->bonus) ? 1 : 0];
    case TSR_FAMILY_TWO_POOL:
        for (unsigned i = 0; i < b->count; i++)
            set_bit(&mine, b->numbers[i]);
        return c->g->match_tier[common(&mine, &c->main)][b->second[0] == c->res->bonus[0] ? 1 : 0];
    case TSR_FAMILY_DIGITS:
        return digits_tier(c, b);
    default:
        return fixed_tier(c, b);
    }
}

/* The fixed prize of a winning ticket before any cap. */
static tsr_status fixed_amount(const draw_ctx *c, const tsr_tier *t, const tsr_bet *b, tsr_cents *out)
{
    const tsr_game *g = c->g;
    bool mult = (b->addons & TSR_ADDON_MULTIPLIER) && t->multiplied;
    tsr_cents base = mult && t->multiplier_prize_cents ? t->multiplier_prize_cents : t->prize_cents;
    tsr_status st = tsr_money_muldiv(base, b->stake_cents, g->prize_base_cents, out);
    if (st == TSR_OK && mult && !t->multiplier_prize_cents)
        st = tsr_money_mul(*out, c->res->multiplier, out);
    return st;
}

typedef struct pass1 {
    tsr_cents capped_total;
} pass1;

static tsr_status check_ticket(const tsr_game *g, const tsr_settle_ticket *t)
{
    tsr_cents price;
    tsr_status st = tsr_bet_validate_game(g, &t->bet, &price, NULL, 0);
    if (st == TSR_OK && price != t->stake_cents)
        st = TSR_ERR_GAME_STAKE_MISMATCH;
    return st;
}

static tsr_status first_pass(const draw_ctx *c, const tsr_settle_ticket *t, size_t n, tsr_settle_prize *p,
                             tsr_settle_report *rep, pass1 *acc)
{
    const tsr_game *g = c->g;
    for (size_t i = 0; i < n; i++) {
        tsr_status st = check_ticket(g, &t[i]);
        if (st != TSR_OK) {
            rep->bad_ticket = i;
            return st;
        }
        tsr_cents base_sale = t[i].bet.stake_cents * (tsr_cents)tsr_bet_combinations(&t[i].bet);
        if ((st = tsr_money_add(rep->sales_cents, t[i].stake_cents, &rep->sales_cents)) != TSR_OK ||
            (st = tsr_money_add(rep->pool_sales_cents, base_sale, &rep->pool_sales_cents)) != TSR_OK)
            return st;
        int tier = tier_of(c, &t[i].bet);
        memset(&p[i], 0, sizeof p[i]);
        p[i].tier = (int16_t)tier;
        if (tier < 0)
            continue;
        rep->tiers[tier].winners++;
        const tsr_tier *tt = &g->tiers[tier];
        if (tt->kind != TSR_PRIZE_FIXED)
            continue;
        if ((st = fixed_amount(c, tt, &t[i].bet, &p[i].amount_cents)) != TSR_OK)
            return st;
        if (tt->capped && (st = tsr_money_add(acc->capped_total, p[i].amount_cents, &acc->capped_total)) != TSR_OK)
            return st;
    }
    return TSR_OK;
}

/* Pari-mutuel tiers: fund = share of sales (+ the carry for the jackpot),
 * split equally and rounded down; breakage to the reserve; no winner rolls
 * into the jackpot or the reserve as the tier says. */
static tsr_status settle_pools(const tsr_game *g, tsr_cents carry, tsr_settle_report *rep)
{
    tsr_status st = TSR_OK;
    for (unsigned i = 0; i < g->n_tiers && st == TSR_OK; i++) {
        const tsr_tier *t = &g->tiers[i];
        tsr_settle_tier *r = &rep->tiers[i];
        if (t->kind == TSR_PRIZE_FIXED)
            continue;
        tsr_cents fund;
        if ((st = tsr_money_muldiv(rep->pool_sales_cents, t->share_ppm, PPM_ALL, &fund)) != TSR_OK ||
            (t->kind == TSR_PRIZE_JACKPOT && (st = tsr_money_add(fund, carry, &fund)) != TSR_OK) ||
            (st = tsr_money_add(rep->pool_fund_cents, fund, &rep->pool_fund_cents)) != TSR_OK)
            return st;
        r->fund_cents = fund;
        if (r->winners == 0) {
            r->rolled_cents = fund;
            bool to_jackpot = t->kind == TSR_PRIZE_JACKPOT || t->no_winner == TSR_NO_WINNER_JACKPOT;
            tsr_cents *dst = to_jackpot ? &rep->rollover_cents : &rep->to_reserve_cents;
            st = tsr_money_add(*dst, fund, dst);
            continue;
        }
        tsr_cents pay = fund;
        if (t->kind == TSR_PRIZE_JACKPOT && fund < g->min_jackpot_cents) {
            rep->jackpot_topup_cents = g->min_jackpot_cents - fund; /* the reserve guarantees the minimum */
            pay = g->min_jackpot_cents;
        }
        r->prize_cents = pay / (tsr_cents)r->winners;
        r->paid_cents = r->prize_cents * (tsr_cents)r->winners; /* <= pay */
        r->breakage_cents = pay - r->paid_cents;
        if ((st = tsr_money_add(rep->pool_paid_cents, r->paid_cents, &rep->pool_paid_cents)) == TSR_OK)
            st = tsr_money_add(rep->breakage_cents, r->breakage_cents, &rep->breakage_cents);
    }
    rep->jackpot_next_cents = rep->rollover_cents;
    return st;
}

static tsr_status second_pass(const draw_ctx *c, const tsr_payout_rules *rules, const tsr_settle_ticket *t,
                              size_t n, tsr_settle_prize *p, tsr_settle_report *rep, tsr_cents capped_total)
{
    const tsr_game *g = c->g;
    tsr_cents capped_paid = 0;
    tsr_status st = TSR_OK;
    for (size_t i = 0; i < n && st == TSR_OK; i++) {
        if (p[i].tier < 0)
            continue;
        const tsr_tier *tt = &g->tiers[p[i].tier];
        tsr_settle_tier *r = &rep->tiers[p[i].tier];
        if (tt->kind != TSR_PRIZE_FIXED) {
            p[i].amount_cents = r->prize_cents;
        } else {
            if (tt->capped && rep->cap_hit) {
                /* Pro rata: every capped prize shrinks by cap/total, floor. */
                tsr_cents full = p[i].amount_cents;
                if ((st = tsr_money_muldiv(full, g->liability_cap_cents, capped_total, &p[i].amount_cents)) != TSR_OK)
                    return st;
                rep->cap_reduction_cents += full - p[i].amount_cents;
            }
            if (tt->capped)
                capped_paid += p[i].amount_cents;
            if ((st = tsr_money_add(r->paid_cents, p[i].amount_cents, &r->paid_cents)) != TSR_OK)
                return st;
        }
        tsr_payout po = tsr_payout_classify(rules, p[i].amount_cents, t[i].stake_cents);
        p[i].klass = (uint8_t)po.klass;
        p[i].reportable = po.reportable;
        p[i].withheld_cents = po.withheld_cents;
        rep->winners += p[i].amount_cents > 0;
        if ((st = tsr_money_add(rep->paid_cents, p[i].amount_cents, &rep->paid_cents)) == TSR_OK)
            st = tsr_money_add(rep->withheld_cents, po.withheld_cents, &rep->withheld_cents);
    }
    if (rep->cap_hit)
        rep->cap_breakage_cents = g->liability_cap_cents - capped_paid;
    return st;
}

tsr_status tsr_settle(const tsr_game *g, const tsr_payout_rules *rules, const tsr_draw_result *res,
                      tsr_cents jackpot_carry_cents, const tsr_settle_ticket *tickets, size_t n,
                      tsr_settle_prize *prizes, tsr_settle_report *rep)
{
    memset(rep, 0, sizeof *rep);
    rep->n_tiers = g->n_tiers;
    rep->tickets = n;
    for (unsigned i = 0; i < g->n_tiers; i++)
        rep->tiers[i].prize_cents = g->tiers[i].kind == TSR_PRIZE_FIXED ? g->tiers[i].prize_cents : 0;
    bool has_jackpot = false;
    for (unsigned i = 0; i < g->n_tiers; i++)
        has_jackpot |= g->tiers[i].kind == TSR_PRIZE_JACKPOT;
    /* A carry with nowhere to go would vanish from the books. */
    if (jackpot_carry_cents < 0 || jackpot_carry_cents > TSR_MONEY_MAX || (jackpot_carry_cents && !has_jackpot))
        return TSR_ERR_ARG;
    tsr_status st = tsr_settle_check_result(g, res);
    if (st != TSR_OK)
        return st;
    draw_ctx c = {g, res, {{0, 0}}, {{0, 0}}, 0};
    for (unsigned i = 0; i < res->main_count; i++)
        set_bit(&c.main, res->main[i]);
    for (unsigned i = 0; g->family == TSR_FAMILY_LOTTO && i < res->bonus_count; i++)
        set_bit(&c.bonus, res->bonus[i]);
    if (g->family == TSR_FAMILY_DIGITS)
        c.digits_key = sorted_key(res->main, g->pick);
    pass1 acc = {0};
    if ((st = first_pass(&c, tickets, n, prizes, rep, &acc)) != TSR_OK)
        return st;
    if ((st = settle_pools(g, jackpot_carry_cents, rep)) != TSR_OK)
        return st;
    rep->cap_hit = g->liability_cap_cents > 0 && acc.capped_total > g->liability_cap_cents;
    return second_pass(&c, rules, tickets, n, prizes, rep, acc.capped_total);
}

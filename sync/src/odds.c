/*
 * Odds by exact counting: every figure is a ratio of two integers, computed
 * with integer arithmetic only, so the printed odds of a preset can be
 * compared digit for digit with the real game's published table.
 */
#include <stdio.h>
#include <string.h>

#include "tessera/game.h"
#include "tessera/odds.h"

uint64_t tsr_choose(unsigned n, unsigned k)
{
    if (k > n)
        return 0;
    if (k > n - k)
        k = n - k;
    unsigned __int128 r = 1;
    for (unsigned i = 0; i < k; i++) {
        r = r * (n - i) / (i + 1); /* exact: r is C(n, i+1) after the step */
        if (r > UINT64_MAX)
            return UINT64_MAX;
    }
    return (uint64_t)r;
}

unsigned tsr_digits_ways(const uint8_t *digits, unsigned n)
{
    static const unsigned fact[] = {1, 1, 2, 6, 24, 120};
    unsigned count[10] = {0};
    for (unsigned i = 0; i < n; i++)
        count[digits[i] % 10]++;
    unsigned ways = n < 6 ? fact[n] : 0;
    for (unsigned d = 0; d < 10 && ways; d++)
        ways /= fact[count[d] < 6 ? count[d] : 5];
    return ways;
}

static uint64_t pow10u(unsigned n)
{
    uint64_t r = 1;
    while (n--)
        r *= 10;
    return r;
}

/* True when some n-digit combination has exactly `ways` orders. */
static bool digits_kind_exists(unsigned n, unsigned ways)
{
    uint8_t d[4];
    for (uint64_t x = 0; x < pow10u(n); x++) {
        uint64_t y = x;
        for (unsigned i = 0; i < n; i++, y /= 10)
            d[i] = (uint8_t)(y % 10);
        if (tsr_digits_ways(d, n) == ways)
            return true;
    }
    return false;
}

static uint64_t lotto_ways(const tsr_game *g, unsigned m, int bonus)
{
    unsigned n = g->pool, k = g->pick;
    if (m > k)
        return 0;
    if (!g->bonus)
        return bonus == 1 ? 0 : tsr_choose(k, m) * tsr_choose(n - k, k - m);
    uint64_t with = m < k ? tsr_choose(k, m) * tsr_choose(n - k - 1, k - m - 1) : 0;
    uint64_t without = tsr_choose(k, m) * tsr_choose(n - k - 1, k - m);
    return bonus == 1 ? with : bonus == 0 ? without : with + without;
}

static void digits_odds(const tsr_game *g, const tsr_tier *t, uint64_t *ways)
{
    bool box_kind = t->ways > 1 && digits_kind_exists(g->pick, t->ways);
    switch (t->bet_type) {
    case TSR_BET_STRAIGHT:
    case TSR_BET_COMBO:
        *ways = t->ways == 0;
        break;
    case TSR_BET_BOX:
        *ways = box_kind ? t->ways : 0;
        break;
    case TSR_BET_STRAIGHT_BOX:
        *ways = !box_kind ? 0 : t->exact ? 1 : t->ways - 1u;
        break;
    default: /* pairs: two digits fixed, the others free */
        *ways = t->ways == 0 && g->pick >= 2 ? pow10u(g->pick - 2u) : 0;
    }
}

static uint64_t fixed_ways(const tsr_game *g, unsigned type)
{
    unsigned n = g->pool, h = g->high_from;
    switch (type) {
    case TSR_BET_ODD: return (n + 1) / 2;
    case TSR_BET_EVEN: return n / 2;
    case TSR_BET_HIGH: return n - h + 1;
    case TSR_BET_LOW: return h - 1;
    default: return 1;
    }
}

void tsr_odds_tier(const tsr_game *g, unsigned tier, uint64_t *ways, uint64_t *total)
{
    const tsr_tier *t = &g->tiers[tier];
    *ways = 0;
    *total = 1;
    switch (g->family) {
    case TSR_FAMILY_LOTTO:
        *total = tsr_choose(g->pool, g->pick);
        *ways = lotto_ways(g, t->match, t->bonus);
        break;
    case TSR_FAMILY_TWO_POOL:
        *total = tsr_choose(g->pool, g->pick) * g->second_pool;
        if (t->match <= g->pick)
            *ways = tsr_choose(g->pick, t->match) * tsr_choose(g->pool - g->pick, g->pick - t->match) *
                    (t->bonus == 1 ? 1u : g->second_pool - 1u);
        break;
    case TSR_FAMILY_KENO:
        *total = tsr_choose(g->pool, t->spots);
        *ways = tsr_choose(g->drawn, t->match) * tsr_choose(g->pool - g->drawn, t->spots - t->match);
        break;
    case TSR_FAMILY_DIGITS:
        *total = pow10u(g->pick);
        digits_odds(g, t, ways);
        break;
    default:
        *total = g->pool;
        *ways = fixed_ways(g, t->bet_type);
    }
}

static void section_of(const tsr_game *g, const tsr_tier *t, char *buf, size_t len)
{
    const char *bet = tsr_bet_type_name((tsr_bet_type)t->bet_type);
    if (g->family == TSR_FAMILY_KENO)
        snprintf(buf, len, "%u spots", t->spots);
    else if (g->family == TSR_FAMILY_DIGITS && t->ways)
        snprintf(buf, len, "%s %u-way", bet, t->ways);
    else if (g->family == TSR_FAMILY_DIGITS || g->family == TSR_FAMILY_FIXED)
        snprintf(buf, len, "%s", bet);
    else
        buf[0] = '\0';
}

static tsr_status emit_section(const tsr_game *g, const char *sec, tsr_odds_row *rows, size_t cap, size_t *n)
{
    uint64_t sum = 0, total = 0;
    unsigned count = 0;
    for (unsigned i = 0; i < g->n_tiers; i++) {
        char s[TSR_ODDS_LABEL_MAX];
        section_of(g, &g->tiers[i], s, sizeof s);
        if (strcmp(s, sec) != 0)
            continue;
        if (*n >= cap)
            return TSR_ERR_TOO_LARGE;
        tsr_odds_row *r = &rows[(*n)++];
        snprintf(r->section, sizeof r->section, "%s", sec);
        snprintf(r->label, sizeof r->label, "%s", g->tiers[i].name);
        r->tier = (int)i;
        tsr_odds_tier(g, i, &r->ways, &r->total);
        sum += r->ways;
        total = r->total;
        count++;
    }
    if (count < 2 && g->family != TSR_FAMILY_LOTTO && g->family != TSR_FAMILY_TWO_POOL)
        return TSR_OK;
    if (*n >= cap)
        return TSR_ERR_TOO_LARGE;
    tsr_odds_row *r = &rows[(*n)++];
    snprintf(r->section, sizeof r->section, "%s", sec);
    snprintf(r->label, sizeof r->label, "overall");
    r->tier = -1;
    r->ways = sum;
    r->total = total;
    return TSR_OK;
}

tsr_status tsr_odds_compute(const tsr_game *g, tsr_odds_row *rows, size_t cap, size_t *n)
{
    *n = 0;
    for (unsigned i = 0; i < g->n_tiers; i++) {
        char sec[TSR_ODDS_LABEL_MAX], prev[TSR_ODDS_LABEL_MAX];
        section_of(g, &g->tiers[i], sec, sizeof sec);
        bool seen = false;
        for (unsigned j = 0; j < i && !seen; j++) {
            section_of(g, &g->tiers[j], prev, sizeof prev);
            seen = strcmp(prev, sec) == 0;
        }
        if (seen)
            continue;
        tsr_status st = emit_section(g, sec, rows, cap, n);
        if (st != TSR_OK)
            return st;
    }
    return TSR_OK;
}

/* Writes v with thousands separators. */
static void commas(unsigned __int128 v, char *buf, size_t len)
{
    char digits[48], out[48 + 16];
    int n = 0, o = 0;
    do {
        digits[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    for (int i = n - 1; i >= 0; i--) {
        out[o++] = digits[i];
        if (i > 0 && i % 3 == 0)
            out[o++] = ',';
    }
    out[o] = '\0';
    snprintf(buf, len, "%s", out);
}

char *tsr_odds_format(uint64_t ways, uint64_t total, char *buf, size_t len)
{
    if (ways == 0) {
        snprintf(buf, len, "never");
        return buf;
    }
    char whole[TSR_ODDS_STR_MAX];
    if (total % ways == 0) {
        commas(total / ways, whole, sizeof whole);
        snprintf(buf, len, "1 in %s", whole);
        return buf;
    }
    /* total/ways to two decimals, half up, in integers. */
    unsigned __int128 x100 = ((unsigned __int128)total * 200 + ways) / ((unsigned __int128)ways * 2);
    commas(x100 / 100, whole, sizeof whole);
    snprintf(buf, len, "1 in %s.%02u", whole, (unsigned)(x100 % 100));
    return buf;
}

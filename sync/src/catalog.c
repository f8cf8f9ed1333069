/*
 * The catalogue loader: JSON in, checked immutable games out. Every rule a
 * game must obey is checked here once, so validation and settlement can
 * trust the tables without re-checking them per ticket.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_json.h"
#include "game_int.h"
#include "tessera/catalog.h"
#include "tessera/odds.h"

#define CATALOG_FILE_MAX (4 << 20) /* a catalogue of 64 games is ~100 KiB */
#define PPM_ALL 1000000u
#define DEFAULT_CUTOFF_MIN (15 * 60)
#define DEFAULT_RESULTS_MIN (16 * 60)

struct tsr_catalog {
    int64_t version;
    size_t n_games;
    tsr_game games[TSR_CATALOG_GAMES_MAX];
    tsr_tz *zones[TSR_CATALOG_GAMES_MAX];
    tsr_payout_rules payout;
};

static const char *const family_names[TSR_FAMILY_COUNT_] = {"lotto", "two_pool", "digits", "keno",
                                                             "fixed"};
static const char *const bet_type_names[TSR_BET_TYPE_COUNT_] = {
    "standard", "spot",       "straight", "box", "straight_box", "combo", "front_pair",
    "back_pair", "odd",       "even",     "high", "low",         "number"};
/* Which bet types each family may offer. */
static const uint32_t family_types[TSR_FAMILY_COUNT_] = {
    1u << TSR_BET_STANDARD,
    1u << TSR_BET_STANDARD,
    1u << TSR_BET_STRAIGHT | 1u << TSR_BET_BOX | 1u << TSR_BET_STRAIGHT_BOX | 1u << TSR_BET_COMBO |
        1u << TSR_BET_FRONT_PAIR | 1u << TSR_BET_BACK_PAIR,
    1u << TSR_BET_SPOT,
    1u << TSR_BET_ODD | 1u << TSR_BET_EVEN | 1u << TSR_BET_HIGH | 1u << TSR_BET_LOW |
        1u << TSR_BET_NUMBER};

const char *tsr_family_name(tsr_family f) { return (unsigned)f < TSR_FAMILY_COUNT_ ? family_names[f] : NULL; }

const char *tsr_bet_type_name(tsr_bet_type t)
{
    return (unsigned)t < TSR_BET_TYPE_COUNT_ ? bet_type_names[t] : NULL;
}

int tsr_bet_type_from_name(const char *name)
{
    for (int i = 0; i < TSR_BET_TYPE_COUNT_; i++)
        if (strcmp(bet_type_names[i], name) == 0)
            return i;
    return -1;
}

uint32_t tsr_addon_from_name(const char *name)
{
    return strcmp(name, "multiplier") == 0 ? TSR_ADDON_MULTIPLIER : 0;
}

const char *tsr_payout_class_name(tsr_payout_class c)
{
    static const char *const names[] = {"none", "auto", "terminal", "claim_centre"};
    return (unsigned)c <= TSR_PAYOUT_CLAIM_CENTRE ? names[c] : NULL;
}

/* ---- small parsers ---- */

/* "HH:MM" into minutes after midnight. */
static bool parse_hhmm(const char *s, int32_t *out)
{
    if (strlen(s) != 5 || s[2] != ':')
        return false;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return false;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 23 || m > 59)
        return false;
    *out = h * 60 + m;
    return true;
}

/* "YYYY-MM-DD" into days since 1970-01-01 (validated, no 02-30). */
static bool parse_date(const char *s, int64_t *days)
{
    int y, m, d;
    char tail;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 ||
        d < 1 || d > 31 || y < 1970)
        return false;
    *days = tsr_days_from_civil(y, (unsigned)m, (unsigned)d);
    int64_t yy;
    unsigned mm, dd;
    tsr_civil_from_days(*days, &yy, &mm, &dd);
    return mm == (unsigned)m && dd == (unsigned)d;
}

static int day_from_name(const char *s)
{
    static const char *const days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    for (int i = 0; i < 7; i++)
        if (strcmp(days[i], s) == 0)
            return i;
    return -1;
}

static tsr_status parse_days(cj_ctx *c, const json_t *v, uint8_t *mask)
{
    *mask = 0;
    if (json_is_string(v) && strcmp(json_string_value(v), "daily") == 0) {
        *mask = 0x7f;
        return TSR_OK;
    }
    if (!json_is_array(v) || json_array_size(v) == 0)
        return cj_fail(c, TSR_ERR_CATALOG, "days", "must be \"daily\" or a non-empty list of \"mon\"..\"sun\"");
    size_t i;
    json_t *d;
    json_array_foreach(v, i, d)
    {
        int w = json_is_string(d) ? day_from_name(json_string_value(d)) : -1;
        if (w < 0 || (*mask & (1u << w)))
            return cj_fail(c, TSR_ERR_CATALOG, "days", "entry %zu is not a new day name \"mon\"..\"sun\"", i);
        *mask |= (uint8_t)(1u << w);
    }
    return TSR_OK;
}

static tsr_status parse_schedule(cj_ctx *c, const json_t *s, tsr_schedule *out, tsr_tz **zone)
{
    static const char *const keys[] = {"days", "cutoff", "results", "tz", NULL};
    if (!json_is_object(s))
        return cj_fail(c, TSR_ERR_CATALOG, "schedule", "is required (an object)");
    c->prefix = "schedule.";
    tsr_status st = cj_keys(c, s, keys);
    if (st == TSR_OK)
        st = parse_days(c, json_object_get(s, "days"), &out->days_mask);
    char cut[8], res[8];
    if (st == TSR_OK)
        st = cj_str(c, s, "cutoff", "15:00", cut, sizeof cut);
    if (st == TSR_OK)
        st = cj_str(c, s, "results", "16:00", res, sizeof res);
    if (st == TSR_OK && !parse_hhmm(cut, &out->cutoff_min))
        st = cj_fail(c, TSR_ERR_CATALOG, "cutoff", "'%s' is not a local time HH:MM", cut);
    if (st == TSR_OK && !parse_hhmm(res, &out->results_min))
        st = cj_fail(c, TSR_ERR_CATALOG, "results", "'%s' is not a local time HH:MM", res);
    if (st == TSR_OK && out->cutoff_min >= out->results_min)
        st = cj_fail(c, TSR_ERR_CATALOG, "cutoff", "the cutoff %s is not before the results time %s",
                     cut, res);
    if (st == TSR_OK)
        st = cj_str(c, s, "tz", NULL, out->tz, sizeof out->tz);
    if (st == TSR_OK) {
        char why[160];
        st = tsr_tz_load(out->tz, zone, why, sizeof why);
        if (st != TSR_OK)
            st = cj_fail(c, st, "tz", "%s", why);
    }
    c->prefix = "";
    return st;
}

/* ---- family parameters ---- */

static tsr_status parse_keno(cj_ctx *c, const json_t *o, tsr_game *g)
{
    int64_t pool, drawn, lo, hi;
    tsr_status st;
    if ((st = cj_int(c, o, "pool", 2, TSR_POOL_MAX, 0, true, &pool)) != TSR_OK ||
        (st = cj_int(c, o, "drawn", 1, TSR_KENO_DRAWN_MAX, 0, true, &drawn)) != TSR_OK ||
        (st = cj_int(c, o, "spots_min", 1, TSR_PICK_MAX, 1, false, &lo)) != TSR_OK ||
        (st = cj_int(c, o, "spots_max", lo, TSR_PICK_MAX, TSR_PICK_MAX, false, &hi)) != TSR_OK)
        return st;
    if (drawn >= pool)
        return cj_fail(c, TSR_ERR_CATALOG, "drawn", "%lld drawn of a pool of %lld leaves nothing to guess",
                       (long long)drawn, (long long)pool);
    if (hi > drawn)
        return cj_fail(c, TSR_ERR_CATALOG, "spots_max", "%lld spots cannot all be hit when %lld are drawn",
                       (long long)hi, (long long)drawn);
    g->pool = (uint8_t)pool;
    g->drawn = (uint8_t)drawn;
    g->spots_min = (uint8_t)lo;
    g->spots_max = (uint8_t)hi;
    g->pick = (uint8_t)hi;
    return TSR_OK;
}

static tsr_status parse_family(cj_ctx *c, const json_t *o, tsr_game *g)
{
    int64_t pool = 0, pick = 0, x = 0;
    tsr_status st = TSR_OK;
    switch (g->family) {
    case TSR_FAMILY_LOTTO:
    case TSR_FAMILY_TWO_POOL:
        if ((st = cj_int(c, o, "pool", 2, TSR_POOL_MAX, 0, true, &pool)) != TSR_OK ||
            (st = cj_int(c, o, "pick", 1, TSR_PICK_MAX, 0, true, &pick)) != TSR_OK)
            return st;
        if (pick + (g->family == TSR_FAMILY_LOTTO) >= pool)
            return cj_fail(c, TSR_ERR_CATALOG, "pick", "%lld numbers (plus a bonus) do not fit a pool of %lld",
                           (long long)pick, (long long)pool);
        g->pool = (uint8_t)pool;
        g->pick = (uint8_t)pick;
        if (g->family == TSR_FAMILY_LOTTO) {
            st = cj_bool(c, o, "bonus", false, &g->bonus);
            return st;
        }
        if ((st = cj_int(c, o, "second_pool", 2, TSR_POOL_MAX, 0, true, &x)) != TSR_OK)
            return st;
        g->second_pool = (uint8_t)x;
        if ((st = cj_int(c, o, "second_pick", 1, 1 /* one second-pool ball, as every real game */, 1, false, &x)) != TSR_OK)
            return st;
        g->second_pick = (uint8_t)x;
        return TSR_OK;
    case TSR_FAMILY_DIGITS:
        if ((st = cj_int(c, o, "digits", 2, 4, 0, true, &pick)) != TSR_OK)
            return st;
        g->pool = 10;
        g->pick = (uint8_t)pick;
        return TSR_OK;
    case TSR_FAMILY_KENO:
        return parse_keno(c, o, g);
    default:
        if ((st = cj_int(c, o, "pool", 2, TSR_POOL_MAX, 0, true, &pool)) != TSR_OK ||
            (st = cj_int(c, o, "high_from", 2, pool, 0, true, &x)) != TSR_OK)
            return st;
        g->pool = (uint8_t)pool;
        g->high_from = (uint8_t)x;
        g->drawn = 1;
        return TSR_OK;
    }
}

/* ---- bet types, stakes, add-ons ---- */

static tsr_status parse_bet_types(cj_ctx *c, const json_t *v, tsr_game *g)
{
    if (!json_is_array(v) || json_array_size(v) == 0)
        return cj_fail(c, TSR_ERR_CATALOG, "bet_types", "is required (a non-empty list)");
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        int t = json_is_string(e) ? tsr_bet_type_from_name(json_string_value(e)) : -1;
        if (t < 0 || !(family_types[g->family] & (1u << t)))
            return cj_fail(c, TSR_ERR_CATALOG, "bet_types", "entry %zu is not a bet type of the %s family",
                           i, family_names[g->family]);
        g->bet_types |= 1u << t;
    }
    return TSR_OK;
}

static tsr_status parse_stake(cj_ctx *c, const json_t *o, tsr_game *g)
{
    static const char *const keys[] = {"unit", "min", "max", NULL};
    tsr_status st;
    if (g->family == TSR_FAMILY_LOTTO || g->family == TSR_FAMILY_TWO_POOL) {
        /* A line costs its price, no more, no less. */
        if ((st = cj_money(c, o, "price", 0, true, &g->price_cents)) != TSR_OK)
            return st;
        if (g->price_cents <= 0)
            return cj_fail(c, TSR_ERR_CATALOG, "price", "must be above zero");
        if (json_object_get(o, "stake"))
            return cj_fail(c, TSR_ERR_CATALOG, "stake", "a %s game is sold at its price, not a stake",
                           family_names[g->family]);
        g->stake_unit_cents = g->stake_min_cents = g->stake_max_cents = g->price_cents;
        return TSR_OK;
    }
    const json_t *s = json_object_get(o, "stake");
    if (!json_is_object(s))
        return cj_fail(c, TSR_ERR_CATALOG, "stake", "is required: {\"unit\", \"min\", \"max\"}");
    c->prefix = "stake.";
    if ((st = cj_keys(c, s, keys)) != TSR_OK || (st = cj_money(c, s, "unit", 0, true, &g->stake_unit_cents)) != TSR_OK ||
        (st = cj_money(c, s, "min", g->stake_unit_cents, false, &g->stake_min_cents)) != TSR_OK ||
        (st = cj_money(c, s, "max", 0, true, &g->stake_max_cents)) != TSR_OK)
        return st;
    if (g->stake_unit_cents <= 0)
        st = cj_fail(c, TSR_ERR_CATALOG, "unit", "must be above zero");
    else if (g->stake_min_cents < g->stake_unit_cents || g->stake_min_cents % g->stake_unit_cents)
        st = cj_fail(c, TSR_ERR_CATALOG, "min", "must be a positive multiple of the unit");
    else if (g->stake_max_cents < g->stake_min_cents || g->stake_max_cents % g->stake_unit_cents)
        st = cj_fail(c, TSR_ERR_CATALOG, "max", "must be a multiple of the unit, at least the minimum");
    c->prefix = "";
    return st;
}

static tsr_status parse_multiplier(cj_ctx *c, const json_t *m, tsr_game *g)
{
    static const char *const keys[] = {"price", "values", NULL};
    tsr_status st;
    c->prefix = "addons.multiplier.";
    if (!json_is_object(m))
        return cj_fail(c, TSR_ERR_CATALOG, "", "must be an object {\"price\", \"values\"}");
    if ((st = cj_keys(c, m, keys)) != TSR_OK ||
        (st = cj_money(c, m, "price", 0, true, &g->multiplier_price_cents)) != TSR_OK)
        return st;
    const json_t *v = json_object_get(m, "values");
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > TSR_MULTIPLIERS_MAX)
        return cj_fail(c, TSR_ERR_CATALOG, "values", "must list 1..%d multipliers", TSR_MULTIPLIERS_MAX);
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        json_int_t x = json_is_integer(e) ? json_integer_value(e) : 0;
        if (x < 2 || x > 100)
            return cj_fail(c, TSR_ERR_CATALOG, "values", "entry %zu is not a multiplier 2..100", i);
        g->multipliers[g->n_multipliers++] = (uint8_t)x;
    }
    g->addons |= TSR_ADDON_MULTIPLIER;
    c->prefix = "";
    return TSR_OK;
}

static tsr_status parse_addons(cj_ctx *c, const json_t *a, tsr_game *g)
{
    if (!a)
        return TSR_OK;
    if (!json_is_object(a))
        return cj_fail(c, TSR_ERR_CATALOG, "addons", "must be an object");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)a, key, v)
    {
        if (tsr_addon_from_name(key) != TSR_ADDON_MULTIPLIER)
            return cj_fail(c, TSR_ERR_CATALOG, "addons", "unknown add-on '%s'", key);
        tsr_status st = parse_multiplier(c, v, g);
        if (st != TSR_OK)
            return st;
    }
    return TSR_OK;
}

/* ---- prize tiers ---- */

static tsr_status tier_match(cj_ctx *c, const json_t *o, const tsr_game *g, tsr_tier *t)
{
    int64_t x = 0;
    bool b = false;
    tsr_status st = TSR_OK;
    t->bonus = -1;
    switch (g->family) {
    case TSR_FAMILY_LOTTO:
        if ((st = cj_int(c, o, "match", 0, g->pick, 0, true, &x)) != TSR_OK)
            return st;
        t->match = (uint8_t)x;
        if (json_object_get(o, "bonus") && (st = cj_bool(c, o, "bonus", false, &b)) == TSR_OK)
            t->bonus = b ? 1 : 0;
        return st;
    case TSR_FAMILY_TWO_POOL:
        if ((st = cj_int(c, o, "match", 0, g->pick, 0, true, &x)) != TSR_OK)
            return st;
        t->match = (uint8_t)x;
        if ((st = cj_int(c, o, "second", 0, g->second_pick, 0, true, &x)) == TSR_OK)
            t->bonus = (int8_t)x;
        return st;
    case TSR_FAMILY_KENO:
        if ((st = cj_int(c, o, "spots", g->spots_min, g->spots_max, 0, true, &x)) != TSR_OK)
            return st;
        t->spots = (uint8_t)x;
        if ((st = cj_int(c, o, "match", 0, t->spots, 0, true, &x)) == TSR_OK)
            t->match = (uint8_t)x;
        return st;
    default:
        break;
    }
    char bet[24];
    if ((st = cj_str(c, o, "bet", NULL, bet, sizeof bet)) != TSR_OK)
        return st;
    int type = tsr_bet_type_from_name(bet);
    if (type < 0 || !(family_types[g->family] & (1u << type)))
        return cj_fail(c, TSR_ERR_CATALOG, "bet", "'%s' is not a bet type of the %s family", bet,
                       family_names[g->family]);
    t->bet_type = (uint8_t)type;
    if ((st = cj_int(c, o, "ways", 0, 24, 0, false, &x)) != TSR_OK)
        return st;
    t->ways = (uint8_t)x;
    return cj_bool(c, o, "exact", false, &t->exact);
}

static tsr_status tier_prize(cj_ctx *c, const json_t *o, const tsr_game *g, tsr_tier *t)
{
    tsr_status st;
    bool jackpot = false;
    if ((st = cj_bool(c, o, "jackpot", false, &jackpot)) != TSR_OK)
        return st;
    bool has_share = json_object_get(o, "share") != NULL, has_prize = json_object_get(o, "prize") != NULL;
    if (has_share == has_prize)
        return cj_fail(c, TSR_ERR_CATALOG, "prize", "a tier needs exactly one of \"prize\" (fixed) or \"share\" (pari-mutuel)");
    if (jackpot && !has_share)
        return cj_fail(c, TSR_ERR_CATALOG, "share", "the jackpot tier needs its share of sales");
    t->kind = jackpot ? TSR_PRIZE_JACKPOT : has_share ? TSR_PRIZE_POOL : TSR_PRIZE_FIXED;
    if (has_share && (st = cj_pct(c, o, "share", &t->share_ppm)) != TSR_OK)
        return st;
    if (has_prize && (st = cj_money(c, o, "prize", 0, true, &t->prize_cents)) != TSR_OK)
        return st;
    if (has_prize && t->prize_cents <= 0)
        return cj_fail(c, TSR_ERR_CATALOG, "prize", "must be above zero");
    char nw[16];
    if ((st = cj_str(c, o, "no_winner", "jackpot", nw, sizeof nw)) != TSR_OK)
        return st;
    if (strcmp(nw, "jackpot") != 0 && strcmp(nw, "reserve") != 0)
        return cj_fail(c, TSR_ERR_CATALOG, "no_winner", "'%s' is not \"jackpot\" or \"reserve\"", nw);
    t->no_winner = nw[0] == 'j' ? TSR_NO_WINNER_JACKPOT : TSR_NO_WINNER_RESERVE;
    bool offered = (g->addons & TSR_ADDON_MULTIPLIER) != 0;
    if ((st = cj_bool(c, o, "multiplied", offered && t->kind == TSR_PRIZE_FIXED, &t->multiplied)) != TSR_OK ||
        (st = cj_money(c, o, "multiplier_prize", 0, false, &t->multiplier_prize_cents)) != TSR_OK ||
        (st = cj_bool(c, o, "capped", g->family == TSR_FAMILY_DIGITS && g->liability_cap_cents > 0,
                      &t->capped)) != TSR_OK)
        return st;
    if ((t->multiplied || t->multiplier_prize_cents) && (!offered || t->kind != TSR_PRIZE_FIXED))
        return cj_fail(c, TSR_ERR_CATALOG, "multiplied", "only fixed prizes of a game with the multiplier add-on are multiplied");
    if (t->capped && (g->liability_cap_cents == 0 || t->kind != TSR_PRIZE_FIXED))
        return cj_fail(c, TSR_ERR_CATALOG, "capped", "only fixed prizes of a game with a liability_cap are capped");
    return TSR_OK;
}

static tsr_status parse_tier(cj_ctx *c, const json_t *o, const tsr_game *g, tsr_tier *t)
{
    static const char *const keys[] = {"name", "match", "bonus", "second", "spots", "bet", "ways",
                                       "exact", "prize", "share", "jackpot", "no_winner",
                                       "multiplied", "multiplier_prize", "capped", NULL};
    if (!json_is_object(o))
        return cj_fail(c, TSR_ERR_CATALOG, "", "must be an object");
    tsr_status st;
    if ((st = cj_keys(c, o, keys)) != TSR_OK || (st = cj_str(c, o, "name", NULL, t->name, sizeof t->name)) != TSR_OK ||
        (st = tier_match(c, o, g, t)) != TSR_OK)
        return st;
    return tier_prize(c, o, g, t);
}

static tsr_status parse_tiers(cj_ctx *c, const json_t *v, tsr_game *g)
{
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > TSR_TIERS_MAX)
        return cj_fail(c, TSR_ERR_CATALOG, "prizes", "must list 1..%d tiers", TSR_TIERS_MAX);
    size_t i;
    json_t *e;
    char prefix[32];
    json_array_foreach(v, i, e)
    {
        snprintf(prefix, sizeof prefix, "prizes[%zu].", i);
        c->prefix = prefix;
        tsr_status st = parse_tier(c, e, g, &g->tiers[i]);
        if (st != TSR_OK)
            return st;
        g->n_tiers = (uint8_t)(i + 1);
    }
    c->prefix = "";
    return TSR_OK;
}

/* ---- whole-game consistency ---- */

int tsr_game_find_tier(const tsr_game *g, unsigned type, unsigned ways, bool exact)
{
    for (unsigned i = 0; i < g->n_tiers; i++) {
        const tsr_tier *t = &g->tiers[i];
        if (t->bet_type == type && t->ways == ways && t->exact == exact)
            return (int)i;
    }
    return -1;
}

/* Fills match_tier and rejects two tiers paying the same outcome, since a
 * ticket must land in exactly one tier. */
static tsr_status build_lookup(cj_ctx *c, tsr_game *g)
{
    memset(g->match_tier, -1, sizeof g->match_tier);
    for (unsigned i = 0; i < g->n_tiers; i++) {
        const tsr_tier *t = &g->tiers[i];
        if (g->family == TSR_FAMILY_DIGITS || g->family == TSR_FAMILY_FIXED) {
            int j = tsr_game_find_tier(g, t->bet_type, t->ways, t->exact);
            if (j != (int)i)
                return cj_fail(c, TSR_ERR_CATALOG, "prizes", "tier '%s' pays the same outcome as tier '%s'",
                               t->name, g->tiers[j].name);
            continue;
        }
        unsigned row = g->family == TSR_FAMILY_KENO ? t->spots : t->match;
        for (int b = 0; b < 2; b++) {
            if (g->family == TSR_FAMILY_KENO ? b == 1 : (t->bonus >= 0 && t->bonus != b))
                continue;
            unsigned col = g->family == TSR_FAMILY_KENO ? t->match : (unsigned)b;
            int8_t *cell = &g->match_tier[row][col];
            if (*cell >= 0)
                return cj_fail(c, TSR_ERR_CATALOG, "prizes", "tier '%s' pays the same outcome as tier '%s'",
                               t->name, g->tiers[*cell].name);
            *cell = (int8_t)i;
        }
    }
    return TSR_OK;
}

static tsr_status check_tier(cj_ctx *c, const tsr_game *g, const tsr_tier *t)
{
    uint64_t ways, total;
    bool typed = g->family == TSR_FAMILY_DIGITS || g->family == TSR_FAMILY_FIXED;
    if (typed && !(g->bet_types & (1u << t->bet_type)))
        return cj_fail(c, TSR_ERR_CATALOG, "bet", "tier '%s' can never be hit: the game does not offer '%s' bets",
                       t->name, bet_type_names[t->bet_type]);
    tsr_odds_tier(g, (unsigned)(t - g->tiers), &ways, &total);
    if (ways == 0)
        return cj_fail(c, TSR_ERR_CATALOG, "match", "prize tier '%s' can never be hit", t->name);
    if (t->kind == TSR_PRIZE_FIXED && (__int128)t->prize_cents * g->stake_unit_cents % g->prize_base_cents)
        return cj_fail(c, TSR_ERR_CATALOG, "prize", "tier '%s' does not pay whole cents on a wager of one stake unit",
                       t->name);
    /* A fixed-odds price must not pay back more than it takes on average. */
    if (g->family == TSR_FAMILY_FIXED &&
        (__int128)t->prize_cents * ways > (__int128)g->prize_base_cents * total)
        return cj_fail(c, TSR_ERR_CATALOG, "prize", "tier '%s' pays back more than 100%% of stakes on average",
                       t->name);
    return TSR_OK;
}

static tsr_status check_coverage(cj_ctx *c, const tsr_game *g)
{
    for (int type = 0; type < TSR_BET_TYPE_COUNT_; type++) {
        if (!(g->bet_types & (1u << type)))
            continue;
        bool found = g->family != TSR_FAMILY_DIGITS && g->family != TSR_FAMILY_FIXED;
        for (unsigned i = 0; i < g->n_tiers && !found; i++)
            found = g->tiers[i].bet_type == type;
        if (!found)
            return cj_fail(c, TSR_ERR_CATALOG, "bet_types", "'%s' bets have no prize tier", bet_type_names[type]);
    }
    for (unsigned s = g->spots_min; g->family == TSR_FAMILY_KENO && s <= g->spots_max; s++) {
        bool found = false;
        for (unsigned i = 0; i < g->n_tiers && !found; i++)
            found = g->tiers[i].spots == s;
        if (!found)
            return cj_fail(c, TSR_ERR_CATALOG, "prizes", "%u-spot bets have no prize tier", s);
    }
    return TSR_OK;
}

static tsr_status check_tiers(cj_ctx *c, tsr_game *g)
{
    tsr_status st = TSR_OK;
    uint64_t shares = 0;
    unsigned jackpots = 0, capped = 0;
    for (unsigned i = 0; st == TSR_OK && i < g->n_tiers; i++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "prizes[%u].", i);
        c->prefix = prefix;
        st = check_tier(c, g, &g->tiers[i]);
        shares += g->tiers[i].share_ppm;
        jackpots += g->tiers[i].kind == TSR_PRIZE_JACKPOT;
        capped += g->tiers[i].capped;
        c->prefix = "";
    }
    if (st != TSR_OK || (st = build_lookup(c, g)) != TSR_OK)
        return st;
    if (shares > PPM_ALL)
        return cj_fail(c, TSR_ERR_CATALOG, "prizes", "pari-mutuel shares add up to %llu.%04llu%% of sales, above 100%%",
                       (unsigned long long)(shares / 10000), (unsigned long long)(shares % 10000));
    if (jackpots > 1)
        return cj_fail(c, TSR_ERR_CATALOG, "prizes", "%u jackpot tiers; a game has at most one", jackpots);
    for (unsigned i = 0; i < g->n_tiers && jackpots == 0; i++)
        if (g->tiers[i].kind == TSR_PRIZE_POOL && g->tiers[i].no_winner == TSR_NO_WINNER_JACKPOT)
            return cj_fail(c, TSR_ERR_CATALOG, "prizes", "tier '%s' rolls into a jackpot the game does not have "
                           "(say \"no_winner\": \"reserve\")", g->tiers[i].name);
    if (g->min_jackpot_cents > 0 && jackpots == 0)
        return cj_fail(c, TSR_ERR_CATALOG, "min_jackpot", "the game has no jackpot tier");
    if (g->liability_cap_cents > 0 && capped == 0)
        return cj_fail(c, TSR_ERR_CATALOG, "liability_cap", "no prize tier is capped");
    return check_coverage(c, g);
}

static tsr_status parse_limits(cj_ctx *c, const json_t *o, tsr_game *g)
{
    int64_t draws;
    tsr_status st;
    bool lines = g->family == TSR_FAMILY_LOTTO || g->family == TSR_FAMILY_TWO_POOL;
    if (lines && json_object_get(o, "prize_base"))
        return cj_fail(c, TSR_ERR_CATALOG, "prize_base", "prizes of a %s game are per line", family_names[g->family]);
    /* Lotto prizes are quoted per line, so their base is the line price. */
    if ((st = cj_money(c, o, "prize_base", lines ? g->price_cents : 100, false, &g->prize_base_cents)) != TSR_OK ||
        (st = cj_money(c, o, "bet_max", 0, true, &g->bet_max_cents)) != TSR_OK ||
        (st = cj_int(c, o, "max_draws", 1, TSR_DRAWS_MAX, 1, false, &draws)) != TSR_OK ||
        (st = cj_money(c, o, "liability_cap", 0, false, &g->liability_cap_cents)) != TSR_OK ||
        (st = cj_money(c, o, "min_jackpot", 0, false, &g->min_jackpot_cents)) != TSR_OK)
        return st;
    g->max_draws = (uint16_t)draws;
    if (g->prize_base_cents <= 0)
        return cj_fail(c, TSR_ERR_CATALOG, "prize_base", "must be above zero");
    if (g->bet_max_cents < g->stake_min_cents)
        return cj_fail(c, TSR_ERR_CATALOG, "bet_max", "is below the cheapest bet");
    return TSR_OK;
}

static const char *const game_keys[] = {
    "id", "name", "copies", "family", "bet_types", "price", "stake", "prize_base", "bet_max",
    "max_draws", "addons", "liability_cap", "min_jackpot", "schedule", "prizes", "pool", "pick",
    "bonus", "second_pool", "second_pick", "digits", "drawn", "spots_min", "spots_max",
    "high_from", "note", NULL};

static tsr_status parse_game(cj_ctx *c, const json_t *o, tsr_game *g, tsr_tz **zone)
{
    tsr_status st;
    char fam[16];
    if (!json_is_object(o))
        return cj_fail(c, TSR_ERR_CATALOG, "games", "each game must be an object");
    if ((st = cj_str(c, o, "id", NULL, g->id, sizeof g->id)) != TSR_OK)
        return st;
    c->game = g->id;
    for (const char *p = g->id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            return cj_fail(c, TSR_ERR_CATALOG, "id", "use only a-z, 0-9, '_' and '-'");
    if ((st = cj_keys(c, o, game_keys)) != TSR_OK ||
        (st = cj_str(c, o, "name", g->id, g->name, sizeof g->name)) != TSR_OK ||
        (st = cj_str(c, o, "copies", "", g->copies, sizeof g->copies)) != TSR_OK ||
        (st = cj_str(c, o, "family", NULL, fam, sizeof fam)) != TSR_OK)
        return st;
    g->family = TSR_FAMILY_COUNT_;
    for (int f = 0; f < TSR_FAMILY_COUNT_; f++)
        if (strcmp(fam, family_names[f]) == 0)
            g->family = (tsr_family)f;
    if (g->family == TSR_FAMILY_COUNT_)
        return cj_fail(c, TSR_ERR_CATALOG, "family", "'%s' is not lotto, two_pool, digits, keno or fixed", fam);
    if ((st = parse_family(c, o, g)) != TSR_OK || (st = parse_bet_types(c, json_object_get(o, "bet_types"), g)) != TSR_OK ||
        (st = parse_stake(c, o, g)) != TSR_OK || (st = parse_limits(c, o, g)) != TSR_OK ||
        (st = parse_addons(c, json_object_get(o, "addons"), g)) != TSR_OK ||
        (st = parse_schedule(c, json_object_get(o, "schedule"), &g->schedule, zone)) != TSR_OK)
        return st;
    g->zone = *zone;
    if ((st = parse_tiers(c, json_object_get(o, "prizes"), g)) != TSR_OK)
        return st;
    return check_tiers(c, g);
}

/* ---- the catalogue ---- */

static tsr_status parse_games(cj_ctx *c, tsr_catalog *cat, const json_t *games, int64_t epoch)
{
    if (!json_is_array(games) || json_array_size(games) == 0 || json_array_size(games) > TSR_CATALOG_GAMES_MAX)
        return cj_fail(c, TSR_ERR_CATALOG, "games", "must list 1..%d games", TSR_CATALOG_GAMES_MAX);
    size_t i;
    json_t *o;
    json_array_foreach(games, i, o)
    {
        tsr_game *g = &cat->games[i];
        c->game = "";
        tsr_status st = parse_game(c, o, g, &cat->zones[i]);
        cat->n_games = i + 1;
        if (st != TSR_OK)
            return st;
        g->schedule.epoch_days = epoch;
        for (size_t j = 0; j < i; j++)
            if (strcmp(cat->games[j].id, g->id) == 0)
                return cj_fail(c, TSR_ERR_CATALOG, "id", "two games have this id");
    }
    return TSR_OK;
}

static tsr_status parse_catalog(cj_ctx *c, tsr_catalog *cat, const json_t *root)
{
    static const char *const keys[] = {"catalog_version", "draw_epoch", "payout", "games", "note", NULL};
    tsr_status st;
    char epoch_s[16];
    int64_t epoch;
    if (!json_is_object(root))
        return cj_fail(c, TSR_ERR_CATALOG, "", "the catalogue must be a JSON object");
    if ((st = cj_keys(c, root, keys)) != TSR_OK ||
        (st = cj_int(c, root, "catalog_version", 1, INT64_MAX, 0, true, &cat->version)) != TSR_OK ||
        (st = cj_str(c, root, "draw_epoch", NULL, epoch_s, sizeof epoch_s)) != TSR_OK)
        return st;
    if (!parse_date(epoch_s, &epoch))
        return cj_fail(c, TSR_ERR_CATALOG, "draw_epoch", "'%s' is not a date YYYY-MM-DD", epoch_s);
    char why[200];
    st = tsr_payout_rules_from_json(json_object_get(root, "payout"), &cat->payout, why, sizeof why);
    if (st != TSR_OK)
        return cj_fail(c, st, "payout.", "%s", why);
    return parse_games(c, cat, json_object_get(root, "games"), epoch);
}

tsr_status tsr_catalog_load_json(tsr_catalog **out, const char *json, size_t len, char *err, size_t errlen)
{
    char dummy[1];
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errlen, "line %d column %d: %s", je.line, je.column, je.text);
        return TSR_ERR_JSON;
    }
    tsr_catalog *cat = calloc(1, sizeof *cat);
    if (!cat) {
        json_decref(root);
        return TSR_ERR_NOMEM;
    }
    cj_ctx c = {err, errlen, "", ""};
    tsr_status st = parse_catalog(&c, cat, root);
    json_decref(root);
    if (st != TSR_OK) {
        tsr_catalog_free(cat);
        return st;
    }
    *out = cat;
    return TSR_OK;
}

tsr_status tsr_catalog_load_file(tsr_catalog **out, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err && errlen)
            snprintf(err, errlen, "cannot open %s", path);
        return TSR_ERR_IO;
    }
    char *buf = malloc(CATALOG_FILE_MAX);
    size_t n = buf ? fread(buf, 1, CATALOG_FILE_MAX, f) : 0;
    bool too_big = buf && n == CATALOG_FILE_MAX;
    fclose(f);
    if (!buf)
        return TSR_ERR_NOMEM;
    tsr_status st = TSR_ERR_IO;
    if (too_big && err && errlen)
        snprintf(err, errlen, "%s is larger than %d bytes", path, CATALOG_FILE_MAX);
    if (!too_big)
        st = tsr_catalog_load_json(out, buf, n, err, errlen);
    free(buf);
    return st;
}

void tsr_catalog_free(tsr_catalog *cat)
{
    if (!cat)
        return;
    for (size_t i = 0; i < TSR_CATALOG_GAMES_MAX; i++)
        tsr_tz_free(cat->zones[i]);
    free(cat);
}

int64_t tsr_catalog_version(const tsr_catalog *cat) { return cat->version; }
size_t tsr_catalog_count(const tsr_catalog *cat) { return cat->n_games; }

const tsr_game *tsr_catalog_game_at(const tsr_catalog *cat, size_t i)
{
    return i < cat->n_games ? &cat->games[i] : NULL;
}

const tsr_game *tsr_catalog_find(const tsr_catalog *cat, const char *id)
{
    for (size_t i = 0; id && i < cat->n_games; i++)
        if (strcmp(cat->games[i].id, id) == 0)
            return &cat->games[i];
    return NULL;
}

const tsr_payout_rules *tsr_catalog_payout_rules(const tsr_catalog *cat) { return &cat->payout; }

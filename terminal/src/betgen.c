/*
 * Random valid bets of every family, for the load generator: selections
 * follow the catalogue's rules (docs/games.md; sync/src/game_validate.c is
 * the node's side of the same rules).
 */
#include <stdio.h>
#include <string.h>

#include "tessera/catalog.h"
#include "tessera/loadgen.h"

static int int_of(const json_t *g, const char *key, int def)
{
    const json_t *v = json_object_get(g, key);
    return json_is_integer(v) ? (int)json_integer_value(v) : def;
}

static bool family_known(const char *f)
{
    static const char *const known[] = {"lotto", "two_pool", "digits", "keno", "fixed"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(f, known[i]) == 0)
            return true;
    return false;
}

static bool game_from_json(const json_t *j, tsr_gen_game *g)
{
    const char *id = json_string_value(json_object_get(j, "id"));
    const char *fam = json_string_value(json_object_get(j, "family"));
    const json_t *types = json_object_get(j, "bet_types");
    if (!id || !fam || !family_known(fam) || !json_is_array(types) || strlen(id) >= sizeof g->id)
        return false;
    memset(g, 0, sizeof *g);
    snprintf(g->id, sizeof g->id, "%s", id);
    snprintf(g->family, sizeof g->family, "%s", fam);
    g->pool = int_of(j, "pool", 0);
    g->pick = int_of(j, "pick", 0);
    g->second_pool = int_of(j, "second_pool", 0);
    g->second_pick = int_of(j, "second_pick", 0);
    g->digits = int_of(j, "digits", 3);
    g->spots_min = int_of(j, "spots_min", 1);
    g->spots_max = int_of(j, "spots_max", 10);
    g->max_draws = int_of(j, "max_draws", 1);
    size_t i;
    const json_t *t;
    json_array_foreach(types, i, t) {
        const char *name = json_string_value(t);
        if (name && strlen(name) < sizeof g->types[0] && g->ntypes < TSR_GEN_TYPES_MAX)
            snprintf(g->types[g->ntypes++], sizeof g->types[0], "%s", name);
    }
    return g->ntypes > 0;
}

tsr_status tsr_gen_games_parse(const json_t *answer, tsr_gen_game *out, size_t cap, size_t *n)
{
    const json_t *arr = json_is_array(answer) ? answer : json_object_get(answer, "games");
    *n = 0;
    if (!json_is_array(arr))
        return TSR_ERR_JSON;
    size_t i;
    const json_t *g;
    json_array_foreach(arr, i, g) {
        if (*n == cap)
            return TSR_ERR_TOO_LARGE;
        if (game_from_json(g, &out[*n]))
            (*n)++;
    }
    return *n ? TSR_OK : TSR_ERR_NOT_FOUND;
}

static void game_from_catalog(const tsr_game *c, tsr_gen_game *g)
{
    memset(g, 0, sizeof *g);
    snprintf(g->id, sizeof g->id, "%s", c->id);
    snprintf(g->family, sizeof g->family, "%s", tsr_family_name(c->family));
    g->pool = c->pool;
    g->pick = c->pick;
    g->second_pool = c->second_pool;
    g->second_pick = c->second_pick;
    g->digits = c->pick; /* digits games: 3 or 4 digits per play */
    g->spots_min = c->spots_min;
    g->spots_max = c->spots_max;
    g->max_draws = c->max_draws;
    for (int t = 0; t < TSR_BET_TYPE_COUNT_ && g->ntypes < TSR_GEN_TYPES_MAX; t++)
        if (c->bet_types & (1u << t))
            snprintf(g->types[g->ntypes++], sizeof g->types[0], "%s", tsr_bet_type_name((tsr_bet_type)t));
}

tsr_status tsr_gen_games_from_catalog(const char *path, tsr_gen_game *out, size_t cap, size_t *n,
                                      char *err, size_t errlen)
{
    tsr_catalog *cat = NULL;
    *n = 0;
    tsr_status st = tsr_catalog_load_file(&cat, path, err, errlen);
    if (st != TSR_OK)
        return st;
    for (size_t i = 0; i < tsr_catalog_count(cat) && st == TSR_OK; i++) {
        if (*n == cap)
            st = TSR_ERR_TOO_LARGE;
        else
            game_from_catalog(tsr_catalog_game_at(cat, i), &out[(*n)++]);
    }
    tsr_catalog_free(cat);
    return st;
}

/* k distinct numbers of lo..hi, without modulo bias (tsr_rng_uniform). */
static tsr_status distinct(tsr_rng *rng, int k, int lo, int hi, int *out)
{
    if (k < 0 || k > TSR_POOL_GEN_MAX || hi - lo + 1 < k)
        return TSR_ERR_ARG;
    for (int i = 0; i < k; i++) {
        for (;;) {
            uint64_t r;
            if (tsr_rng_uniform(rng, (uint64_t)(hi - lo + 1), &r) != TSR_OK)
                return TSR_ERR_RNG;
            int v = lo + (int)r, dup = 0;
            for (int j = 0; j < i; j++)
                dup |= out[j] == v;
            if (!dup) {
                out[i] = v;
                break;
            }
        }
    }
    return TSR_OK;
}

static size_t put_list(char *p, size_t cap, const char *key, const int *v, int n)
{
    size_t len = (size_t)snprintf(p, cap, ",\"%s\":[", key);
    for (int i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(p + len, cap - len, "%s%d", i ? "," : "", v[i]);
    if (len < cap)
        len += (size_t)snprintf(p + len, cap - len, "]");
    return len;
}

/* The selections of one bet: main numbers (and how many), second pool. */
static tsr_status pick_numbers(const tsr_gen_game *g, const char *type, tsr_rng *rng, int *nums,
                               int *n, int *second, int *n2)
{
    *n = *n2 = 0;
    const char *f = g->family;
    if (strcmp(f, "lotto") == 0 || strcmp(f, "two_pool") == 0) {
        *n = g->pick;
        *n2 = strcmp(f, "two_pool") == 0 ? g->second_pick : 0;
        tsr_status st = distinct(rng, *n, 1, g->pool, nums);
        return st == TSR_OK ? distinct(rng, *n2, 1, g->second_pool, second) : st;
    }
    if (strcmp(f, "keno") == 0) {
        uint64_t r;
        if (tsr_rng_uniform(rng, (uint64_t)(g->spots_max - g->spots_min + 1), &r) != TSR_OK)
            return TSR_ERR_RNG;
        *n = g->spots_min + (int)r;
        return distinct(rng, *n, 1, g->pool, nums);
    }
    if (strcmp(f, "digits") == 0) {
        /* distinct digits: every box type pays the all-different kind */
        *n = g->digits;
        return distinct(rng, *n, 0, 9, nums);
    }
    *n = strcmp(type, "number") == 0; /* fixed odds: only "number" names one */
    return distinct(rng, *n, 1, g->pool, nums);
}

tsr_status tsr_gen_bet(const tsr_gen_game *g, int type_ix, bool quick_pick, int draws,
                       tsr_rng *rng, char *buf, size_t cap, size_t *len)
{
    if (!g || type_ix < 0 || type_ix >= g->ntypes || !buf || cap == 0)
        return TSR_ERR_ARG;
    if (draws < 1)
        draws = 1;
    if (draws > g->max_draws && g->max_draws >= 1)
        draws = g->max_draws;
    const char *type = g->types[type_ix];
    size_t n = (size_t)snprintf(buf, cap, "{\"type\":\"%s\"", type);
    if (quick_pick) {
        n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, ",\"quick_pick\":true");
    } else {
        int nums[TSR_POOL_GEN_MAX], second[TSR_POOL_GEN_MAX], k, k2;
        tsr_status st = pick_numbers(g, type, rng, nums, &k, second, &k2);
        if (st != TSR_OK)
            return st;
        if (k && n < cap)
            n += put_list(buf + n, cap - n, "numbers", nums, k);
        if (k2 && n < cap)
            n += put_list(buf + n, cap - n, "second", second, k2);
    }
    if (draws > 1 && n < cap)
        n += (size_t)snprintf(buf + n, cap - n, ",\"draws\":%d", draws);
    if (n < cap)
        n += (size_t)snprintf(buf + n, cap - n, "}");
    if (n >= cap)
        return TSR_ERR_TOO_LARGE;
    *len = n;
    return TSR_OK;
}

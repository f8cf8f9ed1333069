/*
 * The jurisdiction rules file: what each jurisdiction's law allows. Each
 * jurisdiction's object goes through the config table below, so unknown
 * keys and out-of-range values are refused naming the key and its bounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo_int.h"
#include "tessera/config.h"

/* Bounds: ages 16..25 cover every lottery law we know of; stakes and tax
 * thresholds stay within the money range; exclusion up to 10 years. */
#define AGE_MIN 16
#define AGE_MAX 25
#define RATE_BP_MAX 10000
#define EXCLUSION_DAYS_MAX 3650

typedef struct rules_cfg {
    bool online_sales, retail_sales;
    int64_t legal_age;
    json_t *games;
    int64_t max_bet, max_day, tax_report, tax_withhold, tax_rate, exclusion_days;
} rules_cfg;

#define REQ_INT(m, k, lo, hi, h)                                                         \
    {k, TSR_CFG_TYPE_INT, lo, hi, 0, NULL, offsetof(rules_cfg, m), sizeof(int64_t), true, \
     false, h}
#define REQ_BOOL(m, k, h)                                                                  \
    {k, TSR_CFG_TYPE_BOOL, 0, 1, 0, NULL, offsetof(rules_cfg, m), sizeof(bool), true, false, \
     h}

static const tsr_cfg_field fields[] = {
    REQ_BOOL(online_sales, "online_sales", "players may bet online"),
    REQ_BOOL(retail_sales, "retail_sales", "agents may sell at terminals"),
    REQ_INT(legal_age, "legal_age", AGE_MIN, AGE_MAX, "minimum age to play, years"),
    TSR_CFG_JSON(rules_cfg, games, "games", JSON_ARRAY, true, "game codes allowed"),
    TSR_CFG_INT(rules_cfg, max_bet, "max_stake_per_bet_cents", 0, TSR_MONEY_MAX, 0,
                "per-bet stake cap, 0 = none"),
    TSR_CFG_INT(rules_cfg, max_day, "max_stake_per_day_cents", 0, TSR_MONEY_MAX, 0,
                "per-day stake cap, 0 = none"),
    REQ_INT(tax_report, "tax_report_threshold_cents", 0, TSR_MONEY_MAX,
            "prizes from this amount are reported"),
    REQ_INT(tax_withhold, "tax_withholding_threshold_cents", 0, TSR_MONEY_MAX,
            "prizes from this amount have tax withheld"),
    REQ_INT(tax_rate, "tax_withholding_rate_bp", 0, RATE_BP_MAX, "withholding rate, bp"),
    REQ_INT(exclusion_days, "self_exclusion_min_days", 1, EXCLUSION_DAYS_MAX,
            "shortest self-exclusion period, days"),
};
#define NFIELDS (sizeof fields / sizeof fields[0])

static tsr_status copy_games(const json_t *games, tsr_geo_rules *r, char *err, size_t errlen)
{
    size_t i;
    json_t *g;
    if (json_array_size(games) > TSR_GEO_MAX_GAMES) {
        snprintf(err, errlen, "'games' lists more than %d games", TSR_GEO_MAX_GAMES);
        return TSR_ERR_GEO_RULES;
    }
    json_array_foreach(games, i, g) {
        const char *s = json_string_value(g);
        if (!s || !*s || strlen(s) >= TSR_GEO_LABEL_MAX) {
            snprintf(err, errlen, "'games'[%zu] must be a game code of 1 to %d characters", i,
                     TSR_GEO_LABEL_MAX - 1);
            return TSR_ERR_GEO_RULES;
        }
        snprintf(r->games[i], sizeof r->games[i], "%s", s);
    }
    r->game_count = json_array_size(games);
    return TSR_OK;
}

static tsr_status parse_one(const char *id, const json_t *obj, tsr_geo_rules *r, char *err,
                            size_t errlen)
{
    rules_cfg c;
    memset(&c, 0, sizeof c);
    tsr_status st = tsr_config_apply(obj, fields, NFIELDS, &c, err, errlen);
    if (st == TSR_OK && c.tax_withhold != 0 && c.tax_withhold < c.tax_report) {
        snprintf(err, errlen, "tax_withholding_threshold_cents is below the reporting one");
        st = TSR_ERR_GEO_RULES;
    }
    if (st == TSR_OK) {
        memset(r, 0, sizeof *r);
        snprintf(r->jurisdiction, sizeof r->jurisdiction, "%s", id);
        r->online_sales = c.online_sales;
        r->retail_sales = c.retail_sales;
        r->legal_age_years = c.legal_age;
        r->max_stake_per_bet_cents = c.max_bet;
        r->max_stake_per_day_cents = c.max_day;
        r->tax_report_threshold_cents = c.tax_report;
        r->tax_withholding_threshold_cents = c.tax_withhold;
        r->tax_withholding_rate_bp = c.tax_rate;
        r->self_exclusion_min_days = c.exclusion_days;
        st = copy_games(c.games, r, err, errlen);
    }
    tsr_config_free(fields, NFIELDS, &c);
    return st == TSR_OK ? TSR_OK : TSR_ERR_GEO_RULES;
}

static tsr_status parse_all(const json_t *jurs, const tsr_geo_map *m, tsr_geo_rules *v,
                            char *err, size_t errlen)
{
    size_t i = 0;
    const char *id;
    json_t *obj;
    json_object_foreach((json_t *)jurs, id, obj) {
        int index;
        if (tsr_geo_map_find(m, id, &index) != TSR_OK) {
            snprintf(err, errlen, "rules for '%s', which is not in the boundary file", id);
            return TSR_ERR_GEO_UNKNOWN_JURISDICTION;
        }
        char why[200] = "";
        if (parse_one(id, obj, &v[i++], why, sizeof why) != TSR_OK) {
            snprintf(err, errlen, "%s: %s", id, why);
            return TSR_ERR_GEO_RULES;
        }
    }
    return TSR_OK;
}

tsr_status geo_rules_load(const char *path, const tsr_geo_map *m, tsr_geo_rules **out,
                          size_t *n, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
        return TSR_ERR_GEO_RULES;
    }
    json_t *jurs = json_object_get(root, "jurisdictions");
    tsr_status st = TSR_ERR_GEO_RULES;
    char why[256] = "";
    if (!json_is_object(root) || json_object_size(root) != 1 || !json_is_object(jurs) ||
        json_object_size(jurs) > TSR_GEO_MAX_JURISDICTIONS) {
        snprintf(why, sizeof why, "expected {\"jurisdictions\": {\"<id>\": {...}}}");
        goto out;
    }
    *out = calloc(json_object_size(jurs) ? json_object_size(jurs) : 1, sizeof **out);
    if (!*out) {
        st = TSR_ERR_NOMEM;
        goto out;
    }
    st = parse_all(jurs, m, *out, why, sizeof why);
    if (st == TSR_OK)
        *n = json_object_size(jurs);
out:
    if (st != TSR_OK) {
        snprintf(err, errlen, "%s: %s", path, why);
        free(*out);
        *out = NULL;
    }
    json_decref(root);
    return st;
}

bool tsr_geo_rules_game_allowed(const tsr_geo_rules *r, const char *game)
{
    for (size_t i = 0; game && i < r->game_count; i++)
        if (strcmp(r->games[i], game) == 0)
            return true;
    return false;
}

json_t *tsr_geo_rules_json(const tsr_geo_rules *r)
{
    json_t *games = json_array();
    for (size_t i = 0; games && i < r->game_count; i++)
        json_array_append_new(games, json_string(r->games[i]));
    return json_pack("{s:s, s:b, s:b, s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:I}",
                     "jurisdiction", r->jurisdiction, "online_sales", r->online_sales,
                     "retail_sales", r->retail_sales, "legal_age", (json_int_t)r->legal_age_years,
                     "games", games, "max_stake_per_bet_cents",
                     (json_int_t)r->max_stake_per_bet_cents, "max_stake_per_day_cents",
                     (json_int_t)r->max_stake_per_day_cents, "tax_report_threshold_cents",
                     (json_int_t)r->tax_report_threshold_cents,
                     "tax_withholding_threshold_cents",
                     (json_int_t)r->tax_withholding_threshold_cents, "tax_withholding_rate_bp",
                     (json_int_t)r->tax_withholding_rate_bp, "self_exclusion_min_days",
                     (json_int_t)r->self_exclusion_min_days);
}

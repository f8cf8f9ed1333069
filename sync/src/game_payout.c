/*
 * Payout classes: how a prize is paid and taxed is the jurisdiction's rule,
 * so it is configuration (the catalogue's "payout" object), not code. The
 * US federal rules, for instance: a W-2G is due from $600 when the prize is
 * at least 300 times the wager; 24% is withheld when the winnings net of the
 * wager exceed $5,000.
 */
#include <stdio.h>

#include "catalog_json.h"
#include "tessera/catalog.h"

#define PPM_ALL INT64_C(1000000)

tsr_status tsr_payout_rules_from_json(const json_t *obj, tsr_payout_rules *out, char *err, size_t errlen)
{
    static const char *const keys[] = {"jurisdiction", "auto_below", "terminal_below", "report_from",
                                       "report_stake_multiple", "withhold_above", "withhold_rate", NULL};
    cj_ctx c = {err, errlen, "", ""};
    if (!json_is_object(obj))
        return cj_fail(&c, TSR_ERR_CATALOG, "payout", "is required (an object)");
    tsr_status st;
    if ((st = cj_keys(&c, obj, keys)) != TSR_OK ||
        (st = cj_str(&c, obj, "jurisdiction", NULL, out->jurisdiction, sizeof out->jurisdiction)) != TSR_OK ||
        (st = cj_money(&c, obj, "auto_below", 0, true, &out->auto_below_cents)) != TSR_OK ||
        (st = cj_money(&c, obj, "terminal_below", 0, true, &out->terminal_below_cents)) != TSR_OK ||
        (st = cj_money(&c, obj, "report_from", 0, true, &out->report_from_cents)) != TSR_OK ||
        (st = cj_int(&c, obj, "report_stake_multiple", 0, 1000000, 0, false, &out->report_stake_multiple)) != TSR_OK ||
        (st = cj_money(&c, obj, "withhold_above", 0, true, &out->withhold_above_cents)) != TSR_OK ||
        (st = cj_pct(&c, obj, "withhold_rate", &out->withhold_rate_ppm)) != TSR_OK)
        return st;
    if (out->terminal_below_cents < out->auto_below_cents)
        return cj_fail(&c, TSR_ERR_CATALOG, "terminal_below", "is below auto_below");
    return TSR_OK;
}

tsr_payout tsr_payout_classify(const tsr_payout_rules *r, tsr_cents amount, tsr_cents wager)
{
    tsr_payout p = {TSR_PAYOUT_NONE, false, 0};
    if (amount <= 0)
        return p;
    p.klass = amount < r->auto_below_cents       ? TSR_PAYOUT_AUTO
              : amount < r->terminal_below_cents ? TSR_PAYOUT_TERMINAL
                                                 : TSR_PAYOUT_CLAIM_CENTRE;
    p.reportable = amount >= r->report_from_cents &&
                   (__int128)amount >= (__int128)r->report_stake_multiple * wager;
    tsr_cents net = amount - (wager > 0 ? wager : 0);
    if (net > r->withhold_above_cents && r->withhold_rate_ppm > 0)
        p.withheld_cents = (tsr_cents)((__int128)net * r->withhold_rate_ppm / PPM_ALL);
    return p;
}

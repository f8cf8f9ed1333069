/* The node's jurisdiction rules (edge.h), read from the geo rules file:
 * sales channels, games, the cap per bet (CoAP thread, before the bet's
 * job), the cap per day (writer thread, in the bet's savepoint, wrapping
 * the accounts module's charge) and the legal age at registration. */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "edge.h"
#include "players.h"
#include "tessera/game.h"

/* Today's stakes of a player (UTC day, active tickets). The tickets of the
 * bet being charged are already inserted before each next charge, so an
 * advance play counts its own earlier draws. */
static const char SQL_DAY_STAKES[] =
    "SELECT COALESCE(SUM(stake_cents), 0) FROM tickets"
    " WHERE player_id = ?1 AND state = 0 AND accepted_at_ns >= ?2";

#define NS_PER_DAY (INT64_C(86400) * TSR_NS_PER_S)

/* The bet's total stake (all its draws), priced as the bet path will. */
static tsr_status bet_total(tsr_server *srv, const json_t *body, const char *game, tsr_cents *total)
{
    const tsr_catalog *cat = tsr_core_of(srv)->catalog;
    tsr_bet bet;
    tsr_cents per_draw;
    if (!cat || tsr_bet_from_json(json_object_get(body, "bet"), &bet, NULL, 0) != TSR_OK)
        return TSR_ERR_ARG;
    if (bet.quick_pick &&
        tsr_bet_quick_pick(cat, game, tsr_server_env(srv)->rng, &bet) != TSR_OK)
        return TSR_ERR_ARG;
    return tsr_bet_prepare(cat, game, &bet, &per_draw, total, NULL, 0);
}

tsr_status tsr_edge_rules_bet(tsr_edge *e, const tsr_request *req, const json_t *body,
                              json_t **detail)
{
    const tsr_geo_rules *r = e->rules;
    *detail = NULL;
    if (req->caller.kind == TSR_CALLER_TERMINAL && !r->retail_sales) {
        *detail = json_pack("{s:s, s:s}", "jurisdiction", r->jurisdiction, "channel", "retail");
        return TSR_ERR_JURISDICTION_CHANNEL;
    }
    const char *game = json_string_value(json_object_get(body, "game"));
    if (!game)
        return TSR_OK; /* the bet handler names the missing field */
    if (!tsr_geo_rules_game_allowed(r, game)) {
        *detail = json_pack("{s:s, s:s}", "jurisdiction", r->jurisdiction, "game", game);
        return TSR_ERR_JURISDICTION_GAME;
    }
    tsr_cents total;
    if (r->max_stake_per_bet_cents <= 0 || bet_total(e->srv, body, game, &total) != TSR_OK)
        return TSR_OK; /* no cap, or a bet the handler refuses with its reason */
    if (total <= r->max_stake_per_bet_cents)
        return TSR_OK;
    *detail = json_pack("{s:s, s:I, s:I}", "jurisdiction", r->jurisdiction, "max_cents",
                        (json_int_t)r->max_stake_per_bet_cents, "stake_cents", (json_int_t)total);
    return TSR_ERR_JURISDICTION_BET_CAP;
}

tsr_status tsr_edge_rules_register(tsr_edge *e, const json_t *body, json_t **detail)
{
    *detail = NULL;
    const char *jur = json_string_value(json_object_get(body, "jurisdiction"));
    const char *birth = json_string_value(json_object_get(body, "birth_date"));
    const tsr_geo_rules *r;
    int age;
    if (!e->geo || !jur || !birth || tsr_geo_rules_get(e->geo, jur, &r) != TSR_OK ||
        tsr_players_age(birth, tsr_clock_now_ns(tsr_server_env(e->srv)->clock), &age) != TSR_OK)
        return TSR_OK; /* the accounts module judges what the rules file does not cover */
    if (age >= r->legal_age_years)
        return TSR_OK;
    *detail = json_pack("{s:s, s:I}", "jurisdiction", jur, "legal_age",
                        (json_int_t)r->legal_age_years);
    return TSR_ERR_UNDERAGE;
}

/* ---- the daily cap, around the accounts' charge --------------------------------------- */

static tsr_status day_stakes(tsr_store_txn *txn, int64_t player_id, int64_t now_ns, tsr_cents *out)
{
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(tsr_store_txn_conn(txn), SQL_DAY_STAKES, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, player_id);
    sqlite3_bind_int64(st, 2, now_ns - now_ns % NS_PER_DAY);
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    s = rc == SQLITE_ROW ? TSR_OK : tsr_store_status(rc);
    sqlite3_reset(st);
    return s;
}

static tsr_status capped_charge(void *arg, tsr_store_txn *txn, const tsr_bet_charge *c)
{
    tsr_edge *e = arg;
    tsr_cents cap = e->rules->max_stake_per_day_cents;
    if (c->caller->kind == TSR_CALLER_PLAYER && cap > 0) {
        tsr_cents today;
        tsr_status s = day_stakes(txn, c->caller->player_id, c->now_ns, &today);
        if (s != TSR_OK)
            return s;
        if (today + c->stake > cap)
            return TSR_ERR_JURISDICTION_DAY_CAP;
    }
    return e->inner.charge(e->inner.arg, txn, c);
}

static tsr_status inner_refund(void *arg, tsr_store_txn *txn, const tsr_bet_charge *c)
{
    tsr_edge *e = arg;
    return e->inner.refund(e->inner.arg, txn, c);
}

void tsr_edge_rules_wrap_wallet(tsr_edge *e)
{
    const tsr_wallet_hooks *h = tsr_server_wallet_hooks(e->srv);
    if (!h || !h->charge)
        return; /* no money path: bets fail as unavailable anyway */
    e->inner = *h;
    e->has_inner = true;
    tsr_wallet_hooks w = {capped_charge, h->refund ? inner_refund : NULL, e};
    tsr_server_set_wallet_hooks(e->srv, &w);
}

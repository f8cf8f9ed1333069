/* GET /v1/games and GET /v1/draws/<game> (Observable per game): the draw
 * on sale, its state and countdown, sales so far, jackpot estimate. */
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "tessera/log.h"

static json_t *money_json(tsr_cents c)
{
    char buf[TSR_MONEY_STR_MAX];
    return json_string(tsr_money_format(c, buf, sizeof buf));
}

/* Minimum jackpot plus the jackpot tiers' share of this draw's sales;
 * NULL for games without a jackpot. Rollovers come with results from
 * central, so this is a floor the node can vouch for. */
static json_t *jackpot_estimate(const tsr_game *g, tsr_cents sales)
{
    tsr_cents total = g->min_jackpot_cents;
    bool any = false;
    for (size_t i = 0; i < g->n_tiers; i++) {
        if (g->tiers[i].kind != TSR_PRIZE_JACKPOT)
            continue;
        any = true;
        tsr_cents share;
        if (tsr_money_muldiv(sales, g->tiers[i].share_ppm, 1000000, &share) == TSR_OK &&
            tsr_money_add(total, share, &total) != TSR_OK)
            return json_null();
    }
    return any ? money_json(total) : json_null();
}

static const char *state_name(tsr_status s)
{
    switch (s) {
    case TSR_OK: return "open";
    case TSR_ERR_NO_TOKEN: return "no_token";
    case TSR_ERR_SALES_NOT_OPEN: return "not_open";
    case TSR_ERR_DRAW_SEALED: return "sealed";
    case TSR_ERR_CLOCK_UNSYNCED:
    case TSR_ERR_CLOCK_BOUND: return "clock_unsafe";
    default: return "closed";
    }
}

static json_t *draw_json(tsr_core *c, const tsr_game *g, const tsr_clock_reading *now)
{
    int64_t draw = 0, open_ns = 0, cutoff_ns = 0, results_ns = 0;
    if (tsr_catalog_next_draw(c->catalog, g->id, now->now_ns, &draw, &open_ns, &cutoff_ns,
                              &results_ns) != TSR_OK)
        return json_pack("{s:s, s:s}", "game", g->id, "state", "no_draw");
    core_token t;
    tsr_status s = tsr_core_token_get(c, g->id, (uint32_t)draw, &t);
    if (s == TSR_OK) {
        cutoff_ns = t.tok.cutoff_at_ns;
        s = tsr_cutoff_check(c->cfg, &t, now);
    } else {
        memset(&t, 0, sizeof t);
    }
    char at[40];
    tsr_time_format(cutoff_ns, at, sizeof at);
    int64_t countdown = (cutoff_ns - now->now_ns) / TSR_NS_PER_MS;
    return json_pack("{s:s, s:I, s:s, s:s, s:s, s:I, s:I, s:{s:I, s:o, s:I}, s:o}", "game", g->id,
                     "draw", (json_int_t)draw, "state", state_name(s), "reason",
                     tsr_status_name(s), "cutoff_at", at, "cutoff_at_ns", (json_int_t)cutoff_ns,
                     "countdown_ms", (json_int_t)(countdown > 0 ? countdown : 0), "sales",
                     "count", (json_int_t)t.sales_count, "stake", money_json(t.sales_cents),
                     "stake_cents", (json_int_t)t.sales_cents, "jackpot_estimate",
                     jackpot_estimate(g, t.sales_cents));
}

static void handle_draw(tsr_server *srv, tsr_request *req)
{
    tsr_core *c = tsr_core_of(srv);
    const char *game = req->n_params ? req->params[0] : req->path + strlen("/v1/draws/");
    const tsr_game *g = c->catalog ? tsr_catalog_find(c->catalog, game) : NULL;
    if (!c->catalog) {
        tsr_reply_error(req, TSR_ERR_UNAVAILABLE, NULL);
        return;
    }
    if (!g) {
        tsr_reply_error(req, TSR_ERR_GAME_UNKNOWN, NULL);
        return;
    }
    tsr_clock_reading now = tsr_clock_read(tsr_server_env(srv)->clock);
    tsr_reply_json(req, 205, draw_json(c, g, &now));
}

static json_t *bet_types_json(const tsr_game *g)
{
    json_t *a = json_array();
    for (int t = 0; t < TSR_BET_TYPE_COUNT_; t++)
        if (g->bet_types & (1u << t))
            json_array_append_new(a, json_string(tsr_bet_type_name((tsr_bet_type)t)));
    return a;
}

static void handle_games(tsr_server *srv, tsr_request *req)
{
    tsr_core *c = tsr_core_of(srv);
    if (!c->catalog) {
        tsr_reply_error(req, TSR_ERR_UNAVAILABLE, NULL);
        return;
    }
    json_t *games = json_array();
    for (size_t i = 0; i < tsr_catalog_count(c->catalog); i++) {
        const tsr_game *g = tsr_catalog_game_at(c->catalog, i);
        json_array_append_new(games,
                              json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:I}", "id", g->id,
                                        "name", g->name, "family", tsr_family_name(g->family),
                                        "bet_types", bet_types_json(g), "price",
                                        money_json(g->price_cents), "stake_min",
                                        money_json(g->stake_min_cents), "bet_max",
                                        money_json(g->bet_max_cents), "max_draws",
                                        (json_int_t)g->max_draws));
    }
    tsr_reply_json(req, 205, json_pack("{s:I, s:o}", "catalog_version",
                                       (json_int_t)tsr_catalog_version(c->catalog), "games",
                                       games));
}

/* One observable literal route per game (libcoap observes real resources),
 * plus the pattern for unknown games. */
static tsr_status game_routes(tsr_server *srv, tsr_core *c)
{
    for (size_t i = 0; c->catalog && i < tsr_catalog_count(c->catalog); i++) {
        snprintf(c->draw_paths[i], sizeof c->draw_paths[i], "/v1/draws/%s",
                 tsr_catalog_game_at(c->catalog, i)->id);
        tsr_route r = {TSR_GET, c->draw_paths[i], TSR_AUTH_ANY, handle_draw, 0, true};
        tsr_status s = tsr_server_route(srv, &r);
        if (s != TSR_OK)
            return s;
    }
    return TSR_OK;
}

tsr_status tsr_draws_routes(tsr_server *srv)
{
    static const tsr_route routes[] = {
        {TSR_GET, "/v1/games", TSR_AUTH_ANY, handle_games, 0, false},
        {TSR_GET, "/v1/draws/<game>", TSR_AUTH_ANY, handle_draw, 0, false},
    };
    tsr_status s = game_routes(srv, tsr_core_of(srv));
    for (size_t i = 0; s == TSR_OK && i < sizeof routes / sizeof routes[0]; i++)
        s = tsr_server_route(srv, &routes[i]);
    return s;
}

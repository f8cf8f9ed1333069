/* The edge module (edge.h): config, init, and the request guard that runs
 * the rate limits, location and jurisdiction checks before the handlers of
 * logins, registrations, bets and deposits. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "edge.h"
#include "server_int.h"
#include "tessera/log.h"

typedef tsr_edge_cfg E;

/* Rate defaults, per minute, with the burst a client may spend at once.
 * Logins and registrations cost an Argon2id hash (~tens of ms of a core):
 * one address gets one a second; one account 10 tries a minute (the
 * accounts module also locks it after 3 wrong passwords). A player bets
 * at human speed (5/s sustained is generous); a terminal sells at a
 * clerk's speed plus scripted batches; one address may be a shop's NAT
 * with many terminals or a carrier NAT with many players. */
static const tsr_cfg_field fields[] = {
    TSR_CFG_STR(E, geo_config, "geo_config", 0, "",
                "geo service config (deploy/geo/geo.json); \"\" = no location checks"),
    TSR_CFG_JSON(E, terminal_locations, "terminal_locations", JSON_OBJECT, false,
                 "retail terminals' fixed locations {id: {lat, lon, address}}"),
    TSR_CFG_BOOL(E, rate_limit_loopback, "rate_limit_loopback", false,
                 "rate-limit 127.0.0.1/::1 callers too (local tools and load tests are not)"),
    TSR_CFG_INT(E, rate_login_peer_per_min, "rate_login_peer_per_min", 0, TSR_RATE_PER_MIN_MAX,
                60, "logins and registrations per minute from one address (0 = no limit)"),
    TSR_CFG_INT(E, rate_login_peer_burst, "rate_login_peer_burst", 1, TSR_RATE_BURST_MAX, 20,
                "their burst"),
    TSR_CFG_INT(E, rate_login_account_per_min, "rate_login_account_per_min", 0,
                TSR_RATE_PER_MIN_MAX, 10, "logins per minute to one username or agent"),
    TSR_CFG_INT(E, rate_login_account_burst, "rate_login_account_burst", 1, TSR_RATE_BURST_MAX,
                5, "their burst"),
    TSR_CFG_INT(E, rate_bet_peer_per_min, "rate_bet_peer_per_min", 0, TSR_RATE_PER_MIN_MAX, 6000,
                "bets per minute from one address"),
    TSR_CFG_INT(E, rate_bet_peer_burst, "rate_bet_peer_burst", 1, TSR_RATE_BURST_MAX, 200,
                "their burst"),
    TSR_CFG_INT(E, rate_bet_player_per_min, "rate_bet_player_per_min", 0, TSR_RATE_PER_MIN_MAX,
                300, "bets per minute of one player"),
    TSR_CFG_INT(E, rate_bet_player_burst, "rate_bet_player_burst", 1, TSR_RATE_BURST_MAX, 20,
                "their burst"),
    TSR_CFG_INT(E, rate_bet_terminal_per_min, "rate_bet_terminal_per_min", 0,
                TSR_RATE_PER_MIN_MAX, 1200, "bets per minute of one terminal"),
    TSR_CFG_INT(E, rate_bet_terminal_burst, "rate_bet_terminal_burst", 1, TSR_RATE_BURST_MAX, 60,
                "their burst"),
};
#define N_FIELDS (sizeof fields / sizeof fields[0])

tsr_edge *tsr_edge_of(const tsr_server *srv) { return tsr_server_module_state(srv, "edge"); }

/* ---- helpers ---------------------------------------------------------------------- */

void tsr_edge_reply_rate(tsr_request *req, int64_t retry_s)
{
    json_t *b = json_pack("{s:s, s:s, s:{s:I}}", "error", tsr_status_name(TSR_ERR_RATE_LIMITED),
                          "message", tsr_status_str(TSR_ERR_RATE_LIMITED), "detail",
                          "retry_after_s", (json_int_t)retry_s);
    tsr_server_write_json(req->internal_, tsr_status_coap_code(TSR_ERR_RATE_LIMITED), b,
                          (int)retry_s);
}

void tsr_edge_peer_ip(const tsr_request *req, char out[TSR_GEO_IP_MAX])
{
    const exchange *x = req->internal_;
    const coap_address_t *a = coap_session_get_addr_remote(x->sess);
    out[0] = '\0';
    if (a && a->addr.sa.sa_family == AF_INET)
        inet_ntop(AF_INET, &a->addr.sin.sin_addr, out, TSR_GEO_IP_MAX);
    else if (a && a->addr.sa.sa_family == AF_INET6)
        inet_ntop(AF_INET6, &a->addr.sin6.sin6_addr, out, TSR_GEO_IP_MAX);
}

/* Takes a token of class `cls` for `who`; replies 4.29 when empty. */
static bool limited(tsr_edge *e, tsr_request *req, const char *cls, const char *who,
                    int64_t per_min, int64_t burst)
{
    if (req->caller.loopback && !e->cfg.rate_limit_loopback)
        return false;
    char key[TSR_RATE_KEY_MAX];
    snprintf(key, sizeof key, "%s:%s", cls, who);
    int64_t retry = 0;
    int64_t now = tsr_clock_mono_ns(tsr_server_env(e->srv)->clock);
    if (tsr_ratelimit_take(e->rate, key, per_min, burst, now, &retry))
        return false;
    tsr_log_info(tsr_server_env(e->srv)->log, "rate_limited", "class=%s who=%s retry_s=%lld", cls,
                 who, (long long)retry);
    tsr_edge_reply_rate(req, retry);
    return true;
}

/* Removes "location" from the body the handler will parse (it is not a
 * field of the bet or deposit: the idempotency hash stays that of the
 * request itself, so a retry with a fresher fix replays the same
 * receipt). *loc (owned) is the report, or NULL. False on a body that
 * does not fit back (cannot happen: removing a member only shortens it). */
static bool strip_location(tsr_edge *e, tsr_request *req, json_t *body, json_t **loc)
{
    *loc = json_incref(json_object_get(body, "location"));
    if (!*loc)
        return true;
    json_object_del(body, "location");
    size_t n = json_dumpb(body, e->body, sizeof e->body - 1, JSON_COMPACT);
    if (n == 0 || n >= sizeof e->body - 1)
        return false;
    tsr_server_body_rewritten(req, e->body, n); /* the handler gets `body` as is */
    return true;
}

/* ---- the guard ------------------------------------------------------------------------ */

static bool guard_login(tsr_edge *e, tsr_request *req, const json_t *body)
{
    char ip[TSR_GEO_IP_MAX];
    tsr_edge_peer_ip(req, ip);
    if (limited(e, req, "login-peer", ip, e->cfg.rate_login_peer_per_min,
                e->cfg.rate_login_peer_burst))
        return true;
    const char *user = json_string_value(json_object_get(body, "username"));
    const char *agent = json_string_value(json_object_get(body, "agent"));
    char who[TSR_RATE_KEY_MAX];
    if (user)
        snprintf(who, sizeof who, "p/%s", user);
    else if (agent)
        snprintf(who, sizeof who, "a/%s/%s", req->caller.terminal_id, agent);
    else
        return false;
    return limited(e, req, "login-acct", who, e->cfg.rate_login_account_per_min,
                   e->cfg.rate_login_account_burst);
}

static bool guard_register(tsr_edge *e, tsr_request *req, const json_t *body)
{
    char ip[TSR_GEO_IP_MAX];
    tsr_edge_peer_ip(req, ip);
    if (limited(e, req, "login-peer", ip, e->cfg.rate_login_peer_per_min,
                e->cfg.rate_login_peer_burst))
        return true;
    json_t *detail = NULL;
    tsr_status s = body ? tsr_edge_rules_register(e, body, &detail) : TSR_OK;
    if (s == TSR_OK)
        return false;
    tsr_reply_error(req, s, detail);
    return true;
}

static bool guard_bet_rate(tsr_edge *e, tsr_request *req)
{
    if (req->caller.loopback && !e->cfg.rate_limit_loopback)
        return false; /* as limited() decides, before formatting any key */
    char ip[TSR_GEO_IP_MAX], who[TSR_RATE_KEY_MAX];
    tsr_edge_peer_ip(req, ip);
    if (limited(e, req, "bet-peer", ip, e->cfg.rate_bet_peer_per_min, e->cfg.rate_bet_peer_burst))
        return true;
    if (req->caller.kind == TSR_CALLER_PLAYER) {
        snprintf(who, sizeof who, "%lld", (long long)req->caller.player_id);
        return limited(e, req, "bet-player", who, e->cfg.rate_bet_player_per_min,
                       e->cfg.rate_bet_player_burst);
    }
    return limited(e, req, "bet-terminal", req->caller.terminal_id,
                   e->cfg.rate_bet_terminal_per_min, e->cfg.rate_bet_terminal_burst);
}

/* Bets and deposits: rate (bets), location (online), jurisdiction rules
 * (bets). The body is rewritten without its "location". */
static bool guard_money(tsr_edge *e, tsr_request *req, json_t *body, const char *kind)
{
    bool bet = strcmp(kind, "bet") == 0;
    if (bet && guard_bet_rate(e, req))
        return true;
    json_t *loc = NULL;
    if (body && !strip_location(e, req, body, &loc)) {
        tsr_reply_error(req, TSR_ERR_TOO_LARGE, NULL);
        json_decref(loc);
        return true;
    }
    bool replied = false;
    if (e->geo && req->caller.kind == TSR_CALLER_PLAYER)
        replied = tsr_edge_geo_guard(e, req, loc, kind);
    else if (e->geo && req->caller.kind == TSR_CALLER_TERMINAL &&
             !tsr_edge_terminal_known(e, req->caller.terminal_id)) {
        tsr_reply_error(req, TSR_ERR_TERMINAL_LOCATION,
                        json_pack("{s:s}", "terminal", req->caller.terminal_id));
        replied = true;
    }
    json_decref(loc);
    if (replied || !bet || !e->geo || !body)
        return replied;
    json_t *detail = NULL;
    tsr_status s = tsr_edge_rules_bet(e, req, body, &detail);
    if (s == TSR_OK)
        return false;
    tsr_reply_error(req, s, detail);
    return true;
}

static bool guard(void *arg, tsr_server *srv, tsr_request *req)
{
    (void)srv;
    tsr_edge *e = arg;
    if (req->method != TSR_POST)
        return false;
    const char *p = req->route->pattern;
    enum { NONE, LOGIN, REGISTER, BET, DEPOSIT } what = NONE;
    if (strcmp(p, "/v1/sessions") == 0)
        what = LOGIN;
    else if (strcmp(p, "/v1/players") == 0)
        what = REGISTER;
    else if (strcmp(p, "/v1/bets") == 0)
        what = BET;
    else if (strcmp(p, "/v1/wallet/deposits") == 0)
        what = DEPOSIT;
    if (what == NONE)
        return false;
    /* Parsed once for this guard and the handler (tsr_request_json takes
     * it); NULL when malformed: the handler's strict parser reports it. */
    json_t *body = tsr_server_body_object(req);
    return what == LOGIN      ? guard_login(e, req, body)
           : what == REGISTER ? guard_register(e, req, body)
                              : guard_money(e, req, body, what == BET ? "bet" : "deposit");
}

void tsr_server_set_guard(tsr_server *srv, tsr_request_guard_fn fn, void *arg)
{
    srv->guard = fn;
    srv->guard_arg = arg;
}

/* ---- init ------------------------------------------------------------------------------- */

static tsr_status load_config(tsr_edge *e, const json_t *section)
{
    char err[256] = "";
    json_t *empty = section ? NULL : json_object();
    tsr_status s = tsr_config_apply(section ? section : empty, fields, N_FIELDS, &e->cfg, err,
                                    sizeof err);
    json_decref(empty);
    if (s != TSR_OK)
        tsr_log_error(tsr_server_env(e->srv)->log, "edge_config_refused", "status=%s why=\"edge.%s\"",
                      tsr_status_name(s), err);
    else
        tsr_config_log(tsr_server_env(e->srv)->log, fields, N_FIELDS, &e->cfg);
    return s;
}

static tsr_status edge_start(tsr_edge *e, const json_t *section)
{
    tsr_server *srv = e->srv;
    tsr_status s = load_config(e, section);
    if (s == TSR_OK)
        s = tsr_ratelimit_create(&e->rate, TSR_EDGE_RATE_SLOTS, tsr_server_env(srv)->rng);
    if (s == TSR_OK && !(e->pending = calloc(TSR_EDGE_GEO_PENDING_MAX, sizeof *e->pending)))
        s = TSR_ERR_NOMEM;
    if (s == TSR_OK && e->cfg.geo_config[0])
        s = tsr_edge_geo_open(e);
    else if (s == TSR_OK)
        tsr_log_warn(tsr_server_env(srv)->log, "geo_off",
                     "why=\"edge.geo_config is empty: no location or jurisdiction checks\"");
    if (s == TSR_OK)
        s = tsr_edge_route_routes(srv);
    if (s == TSR_OK)
        s = tsr_edge_notify_routes(srv, e);
    if (s == TSR_OK && e->geo)
        tsr_edge_rules_wrap_wallet(e);
    if (s == TSR_OK)
        tsr_server_set_guard(srv, guard, e);
    return s;
}

static void edge_fini(tsr_server *srv)
{
    tsr_edge *e = tsr_edge_of(srv);
    if (!e)
        return;
    tsr_geo_close(e->geo);
    tsr_ratelimit_destroy(e->rate);
    free(e->terminals);
    free(e->pending);
    tsr_config_free(fields, N_FIELDS, &e->cfg);
    free(e);
}

static tsr_status edge_init(tsr_server *srv, const json_t *section)
{
    tsr_edge *e = calloc(1, sizeof *e);
    if (!e)
        return TSR_ERR_NOMEM;
    e->srv = srv;
    tsr_status s = tsr_server_set_module_state(srv, "edge", e);
    if (s != TSR_OK) {
        free(e);
        return s;
    }
    return edge_start(e, section); /* on error, fini frees what was made */
}

const tsr_node_module tsr_edge_module = {"edge", edge_init, edge_fini};

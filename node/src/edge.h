/*
 * The edge module: what an edge node enforces around the core's bet path
 * and the accounts' endpoints, without changing them.
 *
 *   - geolocation (geo_node.c): online bets and deposits carry a location
 *     report; the node decides it with libtessera-geo (tessera/geo.h),
 *     keeps each player's re-check state (table geo_state), audits every
 *     decision with its evidence, and refuses a location outside its own
 *     jurisdiction; retail terminals are registered at fixed locations
 *     inside it (checked against the map at start) and skip the check;
 *     GET /v1/route says which node serves a location;
 *   - the jurisdiction's rules (geo_rules.c), from the geo rules file:
 *     legal age at registration, sales channels, games allowed, caps per
 *     bet and per day;
 *   - rate limits (ratelimit.c): token buckets per peer address and per
 *     player/terminal/account on logins, registrations and bets → 4.29
 *     Too Many Requests (RFC 8516) with Max-Age;
 *   - notifications (notify_api.c): GET /v1/notifications (Observable,
 *     RFC 7641) and POST /v1/notifications/read.
 *
 * Config: the node config's "edge" section (docs/node.md lists the keys).
 * Without a `geo_config` the geolocation and jurisdiction checks are off
 * (logged as a warning at start); rate limits and notifications always run.
 *
 * Threads: everything runs on the CoAP thread except the day-cap wallet
 * hook (writer thread, inside the bet's savepoint) and job apply functions.
 */
#ifndef TSR_NODE_EDGE_H
#define TSR_NODE_EDGE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "ratelimit.h"
#include "server.h"
#include "tessera/geo.h"

/* Registered retail terminals: a PSK table holds at most TSR_PSK_TABLE_MAX;
 * a regional node serves a few thousand shops. */
#define TSR_EDGE_TERMINALS_MAX 4096
/* Location decisions being written (between the check on the CoAP thread
 * and its commit): bounded by the writer's group size in practice; when
 * full the request gets 5.03 busy. */
#define TSR_EDGE_GEO_PENDING_MAX 4096
/* Slots probed for one player in the pending table. */
#define TSR_EDGE_GEO_PENDING_PROBE 16
/* Buckets of the rate limiter: per peer, player, terminal and account;
 * beyond it the least recently used bucket in a probe window is reused. */
#define TSR_EDGE_RATE_SLOTS 65536
/* How often the notifications table is polled for new rows (any writer:
 * results, payouts, accounts) to tell observers. */
#define TSR_EDGE_NOTIFY_POLL_MS 250
/* Notifications per GET reply (oldest unread first). */
#define TSR_EDGE_NOTIFY_PAGE_DEFAULT 20
#define TSR_EDGE_NOTIFY_PAGE_MAX 50

typedef struct tsr_edge_cfg {
    char geo_config[TSR_CFG_PATH_MAX]; /* "" = geolocation and rules off */
    json_t *terminal_locations;        /* {"term-1": {"lat", "lon", "address"?}} */
    bool rate_limit_loopback;          /* limit 127.0.0.1/::1 callers too */
    int64_t rate_login_peer_per_min, rate_login_peer_burst;
    int64_t rate_login_account_per_min, rate_login_account_burst;
    int64_t rate_bet_peer_per_min, rate_bet_peer_burst;
    int64_t rate_bet_player_per_min, rate_bet_player_burst;
    int64_t rate_bet_terminal_per_min, rate_bet_terminal_burst;
} tsr_edge_cfg;

typedef struct edge_terminal {
    char id[TSR_CALLER_ID_MAX];
    double lat, lon;
} edge_terminal;

/* A decision between its check and its commit (geo_node.c). */
typedef struct edge_geo_pending {
    bool used;
    int64_t player_id;
    uint64_t gen;
    tsr_geo_state state;
} edge_geo_pending;

typedef struct tsr_edge {
    tsr_server *srv;
    tsr_edge_cfg cfg;
    tsr_geo *geo;               /* owned; NULL: geolocation off */
    const tsr_geo_rules *rules; /* the node's jurisdiction (borrowed from geo) */
    edge_terminal *terminals;   /* owned, n_terminals */
    size_t n_terminals;
    edge_geo_pending *pending;  /* owned, TSR_EDGE_GEO_PENDING_MAX */
    uint64_t pending_gen;
    tsr_ratelimit *rate;        /* owned */
    tsr_wallet_hooks inner;     /* the hooks the day cap wraps */
    bool has_inner;
    char body[TSR_SERVER_BODY_HARD_MAX + 1]; /* a body without its "location" */
    int64_t notify_last_id;
    int64_t notify_next_mono_ns;
} tsr_edge;

/* The module ("edge"; config section "edge"). Register it after the
 * accounts module: it wraps the wallet hooks accounts installs. */
extern const tsr_node_module tsr_edge_module;

/* The module's state (borrowed; NULL when the module is not loaded). */
tsr_edge *tsr_edge_of(const tsr_server *srv);

/* Replies 4.29 TSR_ERR_RATE_LIMITED with Max-Age retry_s (edge_module.c). */
void tsr_edge_reply_rate(tsr_request *req, int64_t retry_s);

/* The peer address of a request as text ("" when unknown). */
void tsr_edge_peer_ip(const tsr_request *req, char out[TSR_GEO_IP_MAX]);

/* ---- geo_node.c -------------------------------------------------------------- */

/* Opens the geo service of cfg.geo_config with the server's env, finds the
 * node's jurisdiction rules and checks every registered terminal location
 * against the map. TSR_ERR_CONFIG (logged, naming the key) or the geo
 * library's open errors. */
tsr_status tsr_edge_geo_open(tsr_edge *e) TSR_MUST_CHECK;

/* Location checks of an online bet or deposit (kind "bet"/"deposit") for a
 * player: `report` (borrowed, may be NULL) is the request's "location".
 * Returns true when it replied (refused, or the refusal job submitted). */
bool tsr_edge_geo_guard(tsr_edge *e, tsr_request *req, const json_t *report, const char *kind);

/* True when the terminal is registered (inside the node's jurisdiction). */
bool tsr_edge_terminal_known(const tsr_edge *e, const char *terminal_id);

/* GET /v1/route. */
tsr_status tsr_edge_route_routes(tsr_server *srv) TSR_MUST_CHECK;

/* ---- geo_rules.c ------------------------------------------------------------- */

/* The jurisdiction's rules on a bet body (borrowed): channel, game, cap
 * per bet. TSR_OK or the refusal; *detail (owned, may be NULL) for it. */
tsr_status tsr_edge_rules_bet(tsr_edge *e, const tsr_request *req, const json_t *body,
                              json_t **detail) TSR_MUST_CHECK;

/* The legal age of the registering player's jurisdiction (the rules file)
 * against the body's birth_date: TSR_ERR_UNDERAGE, else TSR_OK (bodies it
 * cannot read are left to the accounts module's checks). */
tsr_status tsr_edge_rules_register(tsr_edge *e, const json_t *body, json_t **detail) TSR_MUST_CHECK;

/* Wraps the installed wallet hooks with the daily cap (module init). */
void tsr_edge_rules_wrap_wallet(tsr_edge *e);

/* ---- notify_api.c ------------------------------------------------------------ */

/* GET /v1/notifications (Observable) and POST /v1/notifications/read, and
 * the tick that tells observers about new rows. */
tsr_status tsr_edge_notify_routes(tsr_server *srv, tsr_edge *e) TSR_MUST_CHECK;

#endif

/*
 * The node's CoAP server framework: a routing table (method + path pattern
 * → handler), strict JSON body parsing, replies (JSON, errors, later via a
 * job), and the hooks domain code plugs into.
 *
 * Threads: everything here runs on the CoAP thread (the one inside
 * tsr_node_start / tsr_node_run) unless marked otherwise. libcoap is never
 * called from another thread: jobs finish on the writer or an auth worker
 * and come back through an eventfd the CoAP loop polls.
 *
 * A handler either replies at once (tsr_reply_json / tsr_reply_error —
 * reads and validation errors) or hands a job to tsr_reply_submit, after
 * which the reply is sent when the job's transaction is on disk. Exactly one
 * of these must be called per request; a handler that calls none gets a
 * 5.00 TSR_ERR_INTERNAL reply (and a log line naming the route).
 *
 * Errors reach the client as the CoAP code of tsr_status_coap_code(st) —
 * with 4.05 for TSR_ERR_METHOD and Max-Age on 5.03 — and the body
 * {"error": "<TSR_ERR_NAME>", "message": "<sentence>", "detail": {...}}.
 *
 * DOMAIN CONTRACT (for node modules such as accounts):
 *   - a module exposes one init function of type tsr_node_module_init_fn;
 *     tsr_node_opts.modules (node.h) lists them and the daemon passes every
 *     module of the node. It registers its routes with tsr_server_route,
 *     may install a session resolver (tsr_server_set_session_resolver) and
 *     the wallet hooks the bet path charges through
 *     (tsr_server_set_wallet_hooks), and reads its own config section.
 *   - writes go through jobs (job.h); reads on the CoAP thread use
 *     tsr_server_reader(srv) (a read-only connection; WAL readers never
 *     block the writer).
 */
#ifndef TSR_NODE_SERVER_H
#define TSR_NODE_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "job.h"
#include "store.h"
#include "writer.h"
#include "tessera/env.h"
#include "tessera/keys.h"
#include "tessera/money.h"
#include "tessera/status.h"

typedef struct tsr_node_config tsr_node_config; /* config.h */

/* Largest request body accepted by default (4.13 above): a bet with the
 * most selections of the catalogue is under 300 bytes of JSON; 1 KiB keeps
 * every request in one datagram (libcoap's default PDU is 1152 bytes), so
 * block-wise uploads are never needed and are refused. A route may lower
 * it or raise it up to TSR_SERVER_BODY_HARD_MAX (what one UDP datagram of
 * libcoap's receive buffer can carry). */
#define TSR_SERVER_BODY_MAX 1024
#define TSR_SERVER_BODY_HARD_MAX 1400
/* Routes of the whole node: ~20 endpoints of the API plus admin paths. */
#define TSR_SERVER_ROUTES_MAX 64
/* Path segments of a pattern ("/v1/bets/<ticket>/cancel" has 4) and
 * captured <param> segments. */
#define TSR_ROUTE_SEGMENTS_MAX 8
#define TSR_ROUTE_PARAMS_MAX 4
/* Longest path segment or query value we look at (ticket ids, game names,
 * session tokens all fit). */
#define TSR_ROUTE_SEGMENT_MAX 128
/* Fields of one JSON body spec (strict parsing). */
#define TSR_JSON_FIELDS_MAX 32
/* Max-Age (seconds) on a 5.03 "busy" reply: the writer drains its queue in
 * tens of milliseconds, so a client retrying after a second finds room. */
#define TSR_SERVER_BUSY_MAX_AGE_S 1

typedef enum tsr_method {
    TSR_GET = 1,
    TSR_POST = 2,
    TSR_PUT = 4,
    TSR_DELETE = 8
} tsr_method;

/* Who may call a route: a bit mask of callers. The server resolves the
 * caller first (DTLS PSK identity → TERMINAL; `session=` query → PLAYER
 * through the session resolver; loopback peer → LOCAL allowed) and refuses
 * a caller not in the mask: TSR_ERR_UNAUTHENTICATED (4.01) when nothing was
 * proven, TSR_ERR_FORBIDDEN_CALLER (4.03) for the wrong kind. */
#define TSR_AUTH_ANON (1u << TSR_CALLER_ANON)
#define TSR_AUTH_PLAYER (1u << TSR_CALLER_PLAYER)
#define TSR_AUTH_TERMINAL (1u << TSR_CALLER_TERMINAL)
#define TSR_AUTH_LOCAL (1u << TSR_CALLER_LOCAL)
#define TSR_AUTH_ANY (TSR_AUTH_ANON | TSR_AUTH_PLAYER | TSR_AUTH_TERMINAL | TSR_AUTH_LOCAL)

/* One incoming request as a handler sees it. All borrowed, valid until the
 * handler returns (copy what a job needs). */
typedef struct tsr_request {
    tsr_method method;
    const char *path;                         /* "/v1/bets/T-1/cancel" */
    const char *params[TSR_ROUTE_PARAMS_MAX]; /* the <name> segments, in order */
    size_t n_params;
    const uint8_t *body;                      /* may be NULL when body_len 0 */
    size_t body_len;
    tsr_caller caller;
    bool observe;                             /* an Observe registration/notify */
    const struct tsr_route *route;
    void *internal_;                          /* the CoAP exchange; do not touch */
} tsr_request;

typedef void (*tsr_handler_fn)(tsr_server *srv, tsr_request *req);

typedef struct tsr_route {
    tsr_method method;
    /* "/v1/bets/<ticket>/cancel": literal segments and <name> segments,
     * each capturing one path segment into req->params in order.
     * Observable routes must be literal (no <name>): libcoap observes real
     * resources only, so the server registers one per observable path. */
    const char *pattern;
    unsigned auth;           /* TSR_AUTH_* mask */
    tsr_handler_fn handler;
    size_t max_body;         /* 0: TSR_SERVER_BODY_MAX */
    bool observable;         /* GET only: clients may Observe it */
} tsr_route;

/* Registers a route (the struct is copied; pattern must be static). Call
 * during module init only. TSR_ERR_EXISTS for the same method+pattern,
 * TSR_ERR_ARG for a malformed pattern, TSR_ERR_TOO_LARGE past
 * TSR_SERVER_ROUTES_MAX. */
tsr_status tsr_server_route(tsr_server *srv, const tsr_route *route) TSR_MUST_CHECK;

/* ---- request helpers ----------------------------------------------------- */

/* The value of query parameter `name` ("page" in "?page=2&x=y"), copied to
 * buf (NUL-terminated). TSR_ERR_NOT_FOUND when absent, TSR_ERR_TOO_LONG
 * when it does not fit. */
tsr_status tsr_request_query(const tsr_request *req, const char *name,
                             char *buf, size_t len) TSR_MUST_CHECK;

/* Query parameter as an integer in [min, max]; `def` when absent.
 * TSR_ERR_FIELD_TYPE when not a decimal integer, TSR_ERR_RANGE outside. */
tsr_status tsr_request_query_int(const tsr_request *req, const char *name, int64_t min,
                                 int64_t max, int64_t def, int64_t *out) TSR_MUST_CHECK;

/* JSON kinds for strict body parsing. */
typedef enum tsr_json_kind {
    TSR_JSON_STRING, /* max: longest length in bytes (0: TSR_ROUTE_SEGMENT_MAX) */
    TSR_JSON_INT,    /* JSON integer (not real) */
    TSR_JSON_BOOL,
    TSR_JSON_OBJECT,
    TSR_JSON_ARRAY,  /* max: most elements (0: no limit beyond the body size) */
    TSR_JSON_ANY
} tsr_json_kind;

typedef struct tsr_json_field {
    const char *name;
    tsr_json_kind kind;
    bool required;
    size_t max;
} tsr_json_field;

/* Parses the request body as one JSON object against a field table:
 * malformed JSON or a non-object → TSR_ERR_JSON, an empty body →
 * TSR_ERR_FIELD_MISSING (when any field is required) or an empty object,
 * a name not in the table → TSR_ERR_FIELD_UNKNOWN, wrong kind →
 * TSR_ERR_FIELD_TYPE, a missing required field → TSR_ERR_FIELD_MISSING,
 * a string or array above max → TSR_ERR_TOO_LONG. Owns *out on success.
 * On error, *detail (owned, may be NULL) is {"field": name} or
 * {"line": l, "column": c} for the reply. Duplicate keys are rejected
 * (TSR_ERR_JSON). */
tsr_status tsr_request_json(const tsr_request *req, const tsr_json_field *fields, size_t n,
                            json_t **out, json_t **detail) TSR_MUST_CHECK;

/* Same check for a nested object (borrowed), e.g. the "bet" of a bet. */
tsr_status tsr_json_check(const json_t *obj, const tsr_json_field *fields, size_t n,
                          json_t **detail) TSR_MUST_CHECK;

/* ---- replies (exactly one per request) ----------------------------------- */

/* Replies with `code` (e.g. 205, 201) and `body` (taken; NULL: no payload)
 * as content-format 50 (application/json). */
void tsr_reply_json(tsr_request *req, int code, json_t *body);

/* Replies with the error of `st`: its CoAP code and the error body;
 * `detail` (taken, may be NULL) goes under "detail". TSR_ERR_BUSY adds
 * Max-Age: TSR_SERVER_BUSY_MAX_AGE_S. */
void tsr_reply_error(tsr_request *req, tsr_status st, json_t *detail);

/* Shorthand: tsr_reply_error with detail {"field": field}. */
void tsr_reply_field_error(tsr_request *req, tsr_status st, const char *field);

/* Submits a job (taken, in every case) and replies when it completes.
 * Fills job->srv, caller, route and request_hash. When the writer queue is
 * full, replies 5.03 TSR_ERR_BUSY with Max-Age at once; during shutdown
 * 5.03 TSR_ERR_SHUTTING_DOWN. */
void tsr_reply_submit(tsr_request *req, tsr_job *job);

/* ---- server state for handlers and apply functions ----------------------- */

/* Borrowed; valid while the server runs. tsr_server_reader is CoAP-thread
 * only; the others are immutable after start and safe on any thread. */
const tsr_node_config *tsr_server_config(const tsr_server *srv);
const tsr_env *tsr_server_env(const tsr_server *srv);
tsr_store *tsr_server_store(tsr_server *srv);
tsr_store_conn *tsr_server_reader(tsr_server *srv);
/* The node's Ed25519 signing key (receipts, seals). */
const tsr_keypair *tsr_server_node_key(const tsr_server *srv);
/* The node's name (config node_id). */
const char *tsr_server_node_id(const tsr_server *srv);

/* Marks an observable route's resource changed so its observers get a
 * fresh GET (CoAP thread only; e.g. from a job's done function).
 * TSR_ERR_NOT_FOUND when no observable route has this literal path. */
tsr_status tsr_server_notify(tsr_server *srv, const char *path) TSR_MUST_CHECK;

/* Submits a job that has no request behind it (taken in every case): a
 * seal at cutoff, a catalogue install. Its done hook (if any) runs on the
 * CoAP thread when it finishes; nobody gets a reply. TSR_ERR_BUSY,
 * TSR_ERR_SHUTTING_DOWN (the job is freed). */
tsr_status tsr_server_submit_internal(tsr_server *srv, tsr_job *job) TSR_MUST_CHECK;

/* A function the CoAP thread calls about every TSR_SERVER_TICK_MS (timers:
 * seal at cutoff, session expiry, notifications). At most
 * TSR_SERVER_TICKS_MAX; TSR_ERR_TOO_LARGE beyond. Module init only. */
#define TSR_SERVER_TICK_MS 50
#define TSR_SERVER_TICKS_MAX 8
typedef void (*tsr_server_tick_fn)(tsr_server *srv, void *arg);
tsr_status tsr_server_add_tick(tsr_server *srv, tsr_server_tick_fn fn, void *arg) TSR_MUST_CHECK;

/* A function the writer thread calls once per group transaction, after the
 * group's jobs and before its COMMIT (one record per group instead of one
 * per job: the bets' audit row). A non-OK status fails the whole group (no
 * job of it commits; each gets that error). Called with txn NULL when the
 * group failed before: forget what the group's jobs left, write nothing. At most
 * TSR_SERVER_GROUP_HOOKS_MAX; TSR_ERR_TOO_LARGE beyond. Module init only. */
#define TSR_SERVER_GROUP_HOOKS_MAX 4
typedef tsr_status (*tsr_server_group_fn)(void *arg, tsr_store_txn *txn);
tsr_status tsr_server_add_group_hook(tsr_server *srv, tsr_server_group_fn fn,
                                     void *arg) TSR_MUST_CHECK;

/* Per-module state: a module stores its pointer under its name during init
 * and finds it again in handlers. TSR_ERR_EXISTS when set twice,
 * TSR_ERR_TOO_LARGE past 8 modules. The server never frees it; the module's
 * fini does. */
tsr_status tsr_server_set_module_state(tsr_server *srv, const char *name, void *state) TSR_MUST_CHECK;
void *tsr_server_module_state(const tsr_server *srv, const char *name);

/* ---- hooks installed by domain modules ----------------------------------- */

/* Resolves a player session token (the `session` query parameter) into a
 * caller, on the CoAP thread, typically from tsr_server_reader(srv) or an
 * in-memory cache. Returns TSR_OK and fills out->player_id (or, for an
 * agent's session on a terminal, sets out->kind = TSR_CALLER_TERMINAL with
 * terminal_id and agent_id), or an AUTH
 * status (expired, unknown, forged...) that the server sends as the reply.
 * Without a resolver, any session is TSR_ERR_UNAUTHENTICATED. */
typedef tsr_status (*tsr_session_resolve_fn)(void *arg, tsr_server *srv,
                                             const char *token, tsr_caller *out);
void tsr_server_set_session_resolver(tsr_server *srv, tsr_session_resolve_fn fn, void *arg);

/* What the bet path asks the wallet to do for one ticket (all borrowed). */
typedef struct tsr_bet_charge {
    const tsr_caller *caller; /* PLAYER (wallet) or TERMINAL (agent float/cash) */
    const char *game;
    int64_t draw;
    const char *ticket_id;    /* 32 hex chars: one call per ticket */
    tsr_cents stake;          /* > 0: this ticket's stake (one draw) */
    int64_t now_ns;
    int64_t seq;              /* the ticket's outbox seq (charge only) */
    tsr_cents after;          /* the stakes of the bet's tickets charged after
                                 this one (charge only): the first ticket
                                 checks funds and limits for the whole bet,
                                 so a refusal comes before anything is written */
} tsr_bet_charge;

/* Money and player checks the bet path runs through, on the writer thread
 * inside the bet's savepoint (so they commit or roll back with the ticket):
 *   charge: once per ticket (an advance play of N draws makes N calls in
 *           the same savepoint): player standing (verified, legal age, not
 *           excluded, not in cool-off), player limits, then the balanced
 *           debit of stake (player wallet, or the terminal's agent float).
 *           Returns TSR_OK or the domain status (refused with no change).
 *   refund: the full credit back of a cancelled ticket (same accounts).
 * Without hooks, bets fail with TSR_ERR_UNAVAILABLE (no money path). */
typedef struct tsr_wallet_hooks {
    tsr_status (*charge)(void *arg, tsr_store_txn *txn, const tsr_bet_charge *c);
    tsr_status (*refund)(void *arg, tsr_store_txn *txn, const tsr_bet_charge *c);
    void *arg;
} tsr_wallet_hooks;
void tsr_server_set_wallet_hooks(tsr_server *srv, const tsr_wallet_hooks *hooks);
/* The writer's pending-state hooks (writer.h): the wallet's retail sales
 * batch. Module init only (the writer copies them when it starts). */
void tsr_server_set_pending_hooks(tsr_server *srv, const tsr_pending_hooks *hooks);
const tsr_wallet_hooks *tsr_server_wallet_hooks(const tsr_server *srv);

/* nodefinish: a guard runs on the CoAP thread after routing and caller
 * checks, before the route's handler (rate limits, location and
 * jurisdiction checks). It returns true when it replied itself (a refusal,
 * or a job it submitted); false lets the handler run. It may point
 * req->body/body_len at a buffer it owns (valid until the handler returns),
 * e.g. the body without the fields it consumed. One guard per server
 * (module init only); NULL removes it. */
typedef bool (*tsr_request_guard_fn)(void *arg, tsr_server *srv, tsr_request *req);
void tsr_server_set_guard(tsr_server *srv, tsr_request_guard_fn fn, void *arg);

/* ---- modules ------------------------------------------------------------- */

/* A node module: init registers routes and hooks; `section` is the
 * module's config object (config key = the module name, e.g. "accounts";
 * borrowed, may be NULL when absent). fini (may be NULL) frees its state
 * after the server stopped. */
typedef struct tsr_node_module {
    const char *name;
    tsr_status (*init)(tsr_server *srv, const json_t *section);
    void (*fini)(tsr_server *srv);
} tsr_node_module;

#endif

/* Private to the server files (server.c, server_coap.c) and node.c. */
#ifndef TSR_NODE_SERVER_INT_H
#define TSR_NODE_SERVER_INT_H

#include <coap3/coap.h>

#include "config.h"
#include "server.h"
#include "writer.h"

/* Module states a server holds (core, accounts, and room to grow). */
#define TSR_SERVER_MODULES_MAX 8
/* Observable resources: draws per game plus notifications. */
#define TSR_SERVER_OBSERVABLE_MAX (64 + 8)
/* How long a stopping node waits for the last replies to go out. */
#define TSR_SERVER_DRAIN_MS 2000

typedef struct route_entry {
    tsr_route r;
    size_t n_segs;
    char segs[TSR_ROUTE_SEGMENTS_MAX][TSR_ROUTE_SEGMENT_MAX]; /* "" = <param> */
} route_entry;

/* Longest CoAP token (RFC 7252: 0..8 bytes). */
#define TSR_SERVER_TOKEN_MAX 8
/* Room a reply needs besides its body: token, ETag (1+4), Content-Format
 * (1+2), Max-Age (1+4), the payload marker, with slack. */
#define TSR_SERVER_REPLY_OVERHEAD_MAX (TSR_SERVER_TOKEN_MAX + 32)
/* Buckets of the table of replies in flight, looked up by (session,
 * token) for every request (a retransmitted request of a job in flight is
 * not submitted twice). A power of two; chains stay short up to a few
 * times this many replies in flight. */
#define TSR_SERVER_PENDING_BUCKETS 4096
_Static_assert((TSR_SERVER_PENDING_BUCKETS & (TSR_SERVER_PENDING_BUCKETS - 1)) == 0,
               "bucket count is a power of two");

/* A reply in flight: the request's session (referenced) and token, the
 * job it waits for, and the links of the in-flight list and hash chain.
 * The reply goes out as a separate response (RFC 7252 5.2.2) built by
 * the server itself: libcoap's async API keeps its states in one list it
 * walks on every request and every loop turn, which cost more than half
 * of the CoAP thread at a few hundred bets in flight. */
typedef struct pending_reply {
    coap_session_t *sess;
    coap_pdu_t *request;     /* a copy, only when the request carries Block2 */
    coap_pdu_type_t type;    /* CON for a CON request, else NON */
    uint8_t token[TSR_SERVER_TOKEN_MAX];
    size_t token_len;
    tsr_job *job;
    struct pending_reply *prev, *next; /* in flight (drain, teardown) */
    struct pending_reply *hnext;       /* hash chain; free list when unused */
} pending_reply;

/* A GET's body that goes out block-wise (RFC 7959 Block2), kept for its
 * later blocks: each block is a request of its own, and a body made again
 * for each (a history page, a wallet) changes when a bet commits in
 * between, so the client sees another ETag, starts over, and after a few
 * tries gives up. Keyed by the client's session, the caller and the
 * request's path and query; a block 0 stores it, a later block within the lifetime is cut
 * from it. Direct-mapped: a collision only costs a client a fresh start. */
#define TSR_SERVER_BLOCK_BODIES 256
#define TSR_SERVER_BLOCK_BODY_TTL_NS (10 * TSR_NS_PER_S)
_Static_assert((TSR_SERVER_BLOCK_BODIES & (TSR_SERVER_BLOCK_BODIES - 1)) == 0,
               "block body slots are a power of two");
typedef struct block_body {
    const coap_session_t *sess; /* not referenced: compared only */
    char *uri;                  /* owned: the caller, then "path?query" */
    char *text;                 /* owned: the body as sent in block 0 */
    int64_t at_mono_ns;
} block_body;

/* The CoAP exchange behind a tsr_request. */
typedef struct exchange {
    coap_resource_t *res;
    coap_session_t *sess;
    const coap_pdu_t *pdu;
    coap_pdu_t *resp;
    const coap_string_t *query;
    bool replied;
    /* The body parsed once, shared by the guard and the handler: owned
     * (freed after the handler), valid while req->body is body_of. */
    json_t *body_obj;
    const uint8_t *body_of;
    size_t body_of_len;
    /* Who asked, once the dispatch established it (else NULL): a kept
     * block-wise body is only ever cut again for the same caller. */
    const tsr_caller *caller;
} exchange;

/* The text to cut the requested block from (server_blocks.c): for a GET
 * whose body needs blocks, block 0 keeps `text` and returns it; a later
 * block returns the kept body of the same session and URI when it is
 * fresh, else `text`. Anything else returns `text`. Never fails (out of
 * memory: nothing kept). */
const char *tsr_server_block_body(tsr_server *srv, const exchange *x, const char *text);
void tsr_server_block_bodies_free(tsr_server *srv);

struct tsr_server {
    const tsr_node_config *cfg;
    const tsr_env *env;
    tsr_store *store;
    tsr_store_conn *reader;
    tsr_keypair node_key;
    tsr_psk *psks;
    size_t n_psks;

    route_entry *routes;
    size_t n_routes;

    coap_context_t *ctx;
    coap_resource_t *unknown;
    struct {
        char path[TSR_ROUTE_SEGMENT_MAX];
        coap_resource_t *res;
    } observable[TSR_SERVER_OBSERVABLE_MAX];
    size_t n_observable;
    int port_plain, port_dtls;
    int ep_fd, done_fd, stop_fd;
    bool stopping;

    tsr_writer *writer;
    pending_reply *replying;
    size_t n_replying;
    pending_reply *reply_buckets[TSR_SERVER_PENDING_BUCKETS];
    pending_reply *reply_pool; /* finished records for reuse */

    tsr_session_resolve_fn resolver;
    void *resolver_arg;
    tsr_wallet_hooks wallet;
    bool has_wallet;
    tsr_pending_hooks pending; /* for the writer; zero: none */
    tsr_request_guard_fn guard; /* nodefinish: edge_module.c */
    void *guard_arg;

    const char *module_names[TSR_SERVER_MODULES_MAX];
    void *module_states[TSR_SERVER_MODULES_MAX];
    size_t n_modules;

    struct {
        tsr_server_tick_fn fn;
        void *arg;
    } ticks[TSR_SERVER_TICKS_MAX];
    size_t n_ticks;
    int64_t last_tick_mono_ns;

    struct {
        tsr_server_group_fn fn;
        void *arg;
    } group_hooks[TSR_SERVER_GROUP_HOOKS_MAX];
    size_t n_group_hooks;

    uint64_t requests, errors;
    block_body block_bodies[TSR_SERVER_BLOCK_BODIES];
};

/* Creates a server (no sockets yet). Owns *out. Copies the key and PSKs. */
tsr_status tsr_server_create(tsr_server **out, const tsr_node_config *cfg, const tsr_env *env,
                             tsr_store *store, const tsr_keypair *key, const tsr_psk *psks,
                             size_t n_psks) TSR_MUST_CHECK;

/* Creates the libcoap context, the resources of the registered routes and
 * the endpoints; starts the writer. Call after every module registered. */
tsr_status tsr_server_listen(tsr_server *srv) TSR_MUST_CHECK;

/* Runs the loop until the stop eventfd is written, then drains: refuses
 * new writes, finishes queued jobs, sends their replies. */
tsr_status tsr_server_run(tsr_server *srv) TSR_MUST_CHECK;

/* Async-signal-safe stop request. */
void tsr_server_request_stop(tsr_server *srv);

/* Frees everything; NULL-safe. */
void tsr_server_destroy(tsr_server *srv);

/* The request dispatcher (server.c), called by the CoAP handler. */
void tsr_server_dispatch(tsr_server *srv, exchange *x);

/* Matches a path ("v1/bets/x", split in place) and req->method against the
 * routes: fills req->route and req->params. TSR_ERR_NOT_FOUND, or
 * TSR_ERR_METHOD when the path exists for other methods. */
tsr_status tsr_server_find_route(tsr_server *srv, char *path, tsr_request *req) TSR_MUST_CHECK;

/* Sends the reply of a finished job on its exchange (server.c). */
void tsr_server_reply_job(exchange *x, tsr_job *job);

/* Writes a JSON body with code into the exchange's response. */
void tsr_server_write_json(exchange *x, int code, json_t *body, int max_age);

/* The request's body as a JSON object parsed with the same flags as
 * tsr_request_json, parsed once per request: borrowed (the exchange owns
 * it until the handler returns or tsr_request_json takes it); NULL when
 * the body is empty, malformed or not an object. */
json_t *tsr_server_body_object(tsr_request *req);

/* Sets req->body to text (borrowed, must outlive the handler) that is the
 * serialization of the object tsr_server_body_object returned, after the
 * caller changed that object, so the handler gets the object unparsed. */
void tsr_server_body_rewritten(tsr_request *req, const char *text, size_t len);

/* libcoap's ETag of a body (coap_hash_impl over zeroed bytes), which
 * coap_add_data_blocked_response puts on every reply. */
void tsr_server_etag(const uint8_t *data, size_t len, uint8_t out[4]);

/* Creates the catch-all resource and one per observable route. */
tsr_status tsr_server_add_resources(tsr_server *srv) TSR_MUST_CHECK;

/* Gives finished jobs to their pending replies (server_coap.c). */
void tsr_server_complete(tsr_server *srv);

/* Submits a job and tracks its separate reply (server_coap.c).
 * TSR_ERR_NOMEM, or the writer's TSR_ERR_BUSY / TSR_ERR_SHUTTING_DOWN. */
tsr_status tsr_server_track(tsr_server *srv, exchange *x, tsr_job *job) TSR_MUST_CHECK;

#endif

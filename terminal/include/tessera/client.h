/*
 * The CoAP client of the agent terminal and of the load generator: one
 * libcoap 4.3.1 context talking to one node over coap:// (plain UDP) or
 * coaps:// (DTLS-PSK, identity = terminal id).
 *
 * Two ways to use it:
 *   - asynchronous (the load generator): tsr_client_send() queues a request
 *     on one of the client's sessions and returns at once; tsr_client_poll()
 *     runs the socket and calls each request's callback exactly once, with
 *     the node's answer or with TSR_ERR_TIMEOUT / TSR_ERR_UNAVAILABLE when
 *     every attempt failed. Many requests may be outstanding on one session
 *     when they are NON (libcoap lets only NSTART = 1 CON be in flight per
 *     session), or spread over many sessions when they are CON.
 *   - synchronous (the terminal): tsr_client_call() sends one JSON request
 *     and waits for its answer, parsed.
 *
 * Retries: an attempt that gets no answer within the attempt timeout (or a
 * CON that libcoap gave up retransmitting) is sent again with the SAME
 * token and the SAME body, so a body that carries an idempotency_key is
 * safe to retry: the node answers a retry with the original receipt. A late
 * answer to any earlier attempt completes the request.
 *
 * Loopback: with loopback_only set (the load generator always sets it) a
 * target whose resolved address is outside 127.0.0.0/8 and ::1 is refused
 * with TSR_ERR_ARG (and a message saying so) before any packet is sent.
 *
 * Threads: a client is used by one thread at a time (libcoap contexts are
 * not thread-safe); a program that wants more threads makes more clients.
 */
#ifndef TESSERA_CLIENT_H
#define TESSERA_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/clock.h"
#include "tessera/keys.h"
#include "tessera/status.h"

/* Requests outstanding on one client at once: the load generator keeps at
 * most this many in flight (a bounded window, never an unbounded queue);
 * 16384 covers 15k bets/s at ~1 s of latency. */
#define TSR_CLIENT_PENDING_MAX 16384
/* UDP sessions (source ports) of one client: the load generator spreads CON
 * traffic over them; each costs the node one session entry. */
#define TSR_CLIENT_SESSIONS_MAX 1024
/* A request body: bets and claims are a few hundred bytes; a request must
 * fit one datagram (libcoap's default PDU size for UDP is 1152 bytes, minus
 * header, token and options), and it lives inside its request slot so the
 * load generator's hot path allocates nothing. */
#define TSR_CLIENT_BODY_MAX 1024
/* A reply that comes block-wise (RFC 7959 Block2: an advance-play bet's
 * receipts, a long history page) is put together up to this size. */
#define TSR_CLIENT_REPLY_MAX (256 * 1024)
/* A request path with its query ("/v1/bets?page=2&limit=50"). */
#define TSR_CLIENT_PATH_MAX 256
/* Attempts of one request, the first included. */
#define TSR_CLIENT_ATTEMPTS_MAX 64
/* A URI ("coaps://127.0.0.1:5684"). */
#define TSR_CLIENT_URI_MAX 256

typedef enum tsr_method {
    TSR_METHOD_GET = 1,
    TSR_METHOD_POST = 2,
    TSR_METHOD_PUT = 3,
    TSR_METHOD_DELETE = 4
} tsr_method;

typedef struct tsr_client tsr_client;

typedef struct tsr_client_opts {
    const char *uri;          /* borrowed: coap://host:port or coaps://host:port */
    const tsr_psk *psk;       /* borrowed, copied at create; required for coaps */
    int sessions;             /* UDP sessions to open, 1..TSR_CLIENT_SESSIONS_MAX (0 = 1) */
    bool confirmable;         /* CON requests (terminal) or NON (load generator) */
    bool loopback_only;       /* refuse any target outside 127.0.0.0/8 and ::1 */
    int64_t attempt_timeout_ms; /* wait for an answer before resending (0 = 2000) */
    int max_pending;          /* open requests at once, 1..TSR_CLIENT_PENDING_MAX (0 = 64) */
    tsr_clock *clock;         /* borrowed; NULL = the real monotonic clock */
} tsr_client_opts;

/* What a request came back with. `body` is borrowed: valid only during the
 * callback. A reply that came block-wise (RFC 7959 Block2) is whole here. */
typedef struct tsr_response {
    int code;            /* CoAP code as class*100+detail (205, 404, 503); 0 = none */
    tsr_status status;   /* TSR_OK for 2.xx; the node's error name for 4.xx/5.xx
                            (TSR_ERR_INTERNAL when it names no known code);
                            TSR_ERR_TIMEOUT / TSR_ERR_UNAVAILABLE without answer */
    const uint8_t *body; /* the payload (may be NULL when len is 0) */
    size_t body_len;
    int attempts;        /* how many times the request was sent */
    int64_t max_age_s;   /* Max-Age option of a 5.03 (retry hint), else -1 */
} tsr_response;

/* Called exactly once per request, from inside tsr_client_poll() (or from
 * tsr_client_destroy() with TSR_ERR_UNAVAILABLE for requests still open). */
typedef void (*tsr_client_cb)(void *user, const tsr_response *r);

/* Opens a client to opts->uri: parses and resolves it, refuses a
 * non-loopback address when asked, opens the sessions (starting the DTLS
 * handshakes for coaps). Owns *out.
 * TSR_ERR_ARG (bad URI or options; coaps without a PSK; a non-loopback
 * target with loopback_only), TSR_ERR_NOT_FOUND (the host does not resolve),
 * each with a sentence in err (errlen bytes; may be NULL),
 * TSR_ERR_UNAVAILABLE (libcoap could not open a session), TSR_ERR_NOMEM. */
tsr_status tsr_client_create(tsr_client **out, const tsr_client_opts *opts, char *err,
                              size_t errlen) TSR_MUST_CHECK;

/* Fails every open request with TSR_ERR_UNAVAILABLE (calling its callback),
 * closes the sessions and frees the client; NULL-safe. */
void tsr_client_destroy(tsr_client *c);

/* Queues one request on session `session` (taken modulo the session count)
 * and sends it. path may carry a query ("/v1/bets?limit=10"). body is
 * copied (may be NULL for none; sent with content-format 50, JSON).
 * max_attempts is 1..TSR_CLIENT_ATTEMPTS_MAX. cb is called exactly once.
 * TSR_ERR_ARG (bad path, method or attempts), TSR_ERR_TOO_LARGE (body above
 * TSR_CLIENT_BODY_MAX), TSR_ERR_BUSY (TSR_CLIENT_PENDING_MAX requests are
 * already open: poll first), TSR_ERR_NOMEM; on error cb is not called. */
tsr_status tsr_client_send(tsr_client *c, int session, tsr_method method, const char *path,
                           const void *body, size_t body_len, int max_attempts,
                           tsr_client_cb cb, void *user) TSR_MUST_CHECK;

/* Runs the sockets for at most timeout_ms (0 = do what is ready and return),
 * handing answers to callbacks and resending or failing requests whose
 * attempt timed out. Returns TSR_OK, or TSR_ERR_IO when libcoap's I/O fails. */
tsr_status tsr_client_poll(tsr_client *c, int timeout_ms) TSR_MUST_CHECK;

/* Requests sent and not yet completed. */
size_t tsr_client_pending(const tsr_client *c);

/* Number of sessions. */
int tsr_client_sessions(const tsr_client *c);

/* The URI the client was opened with; static for the client's life. */
const char *tsr_client_uri(const tsr_client *c);

/* True when a DTLS handshake of this client failed or never completed
 * within an attempt: with coaps:// this is what a wrong terminal identity
 * or PSK looks like (DTLS drops records that fail their MAC silently, so
 * the node says nothing), so the terminal says so itself. */
bool tsr_client_dtls_failed(const tsr_client *c);

/* ---- synchronous calls (the terminal) ------------------------------------ */

/* A parsed answer. */
typedef struct tsr_reply {
    int code;              /* as tsr_response.code */
    tsr_status status;     /* as tsr_response.status */
    json_t *body;          /* owned: the parsed JSON body, or NULL */
    char message[256];     /* the node's "message" of an error, or ours */
    int attempts;
} tsr_reply;

/* Sends `body` (borrowed; NULL for none) and waits for the answer, sending
 * again with the same token and body until an answer comes or `total_ms`
 * has passed (at most TSR_CLIENT_ATTEMPTS_MAX attempts). Returns the
 * transport status: TSR_OK when the node answered (whatever it answered:
 * look at out->status), TSR_ERR_TIMEOUT when no answer came (the outcome is
 * UNKNOWN: the node may have executed it), TSR_ERR_UNAVAILABLE (DTLS or the
 * network refused), TSR_ERR_JSON (a 2.xx body that is not JSON), plus the
 * errors of tsr_client_send. out is always filled; free it with
 * tsr_reply_clear. */
tsr_status tsr_client_call(tsr_client *c, tsr_method method, const char *path,
                           const json_t *body, int64_t total_ms,
                           tsr_reply *out) TSR_MUST_CHECK;

/* Frees a reply's body and zeroes it; NULL-safe. */
void tsr_reply_clear(tsr_reply *r);

/* ---- helpers --------------------------------------------------------------- */

/* Parses "coap://host:port" / "coaps://host:port" (no path). host_out and
 * *port_out receive the parts (port defaults to 5683 / 5684), *secure_out
 * whether it is coaps. TSR_ERR_ARG for anything else. */
tsr_status tsr_client_parse_uri(const char *uri, char *host_out, size_t host_cap,
                                int *port_out, bool *secure_out) TSR_MUST_CHECK;

/* TSR_OK when the IPv4 or IPv6 socket address `sa` (a struct sockaddr *) is
 * loopback (127.0.0.0/8, ::1, or ::ffff:127.x.y.z), else TSR_ERR_ARG. */
tsr_status tsr_client_check_loopback(const void *sa) TSR_MUST_CHECK;

/* The status named by a node error body {"error":"TSR_ERR_...","message":..}
 * (borrowed), copying its message into msg; TSR_ERR_INTERNAL when the body
 * names no known code. */
tsr_status tsr_client_error_of(const uint8_t *body, size_t len, int code, char *msg,
                               size_t msg_cap);

#endif

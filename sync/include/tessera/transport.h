/*
 * The JetStream transport: a thin wrapper over cnats 3.4 that hides nats.h
 * and bakes in the rules DESIGN.md learned the hard way:
 *   - reconnect forever (MaxReconnect -1) with a doubling backoff, and keep
 *     retrying a failed first connect in the background when asked;
 *   - every publish has a deadline (MaxWait), so a lost ack times out;
 *   - async publishes are bounded (PublishAsync.MaxPending) and their
 *     results are queued for the caller, never dropped: the ack handler owns
 *     and destroys each message (with an AckHandler, cnats ignores the
 *     ErrHandler);
 *   - a duplicate Nats-Msg-Id inside the window is an ack with
 *     duplicate=true, which stores nothing: callers treat it as success;
 *   - fetch never trusts cnats's own timeout (unreliable in 3.4): the server
 *     expires the pull request and we add our own deadline around it;
 *   - streams use limits retention (work-queue and interest retention had
 *     loss bugs in 2.9.x) and file storage.
 *
 * A JetStream ack is NOT durability: nats-server 2.9 fsyncs lazily. Only
 * central's signed receipt lets a node delete its outbox (see relay.h).
 *
 * Threads: one tsr_js may be used from several threads for publishing; a
 * tsr_js_pull and a tsr_js_sub belong to one thread at a time.
 */
#ifndef TESSERA_TRANSPORT_H
#define TESSERA_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/log.h"
#include "tessera/status.h"
#include "tessera/subjects.h"

/* Async publish results waiting for the caller; also the cap on
 * max_pending, so every in-flight publish always has a slot for its result. */
#define TSR_JS_ASYNC_MAX 1024
/* Messages per fetch: enough to amortise the round trip (the measured
 * fetch(256)+ack rate is ~200k msgs/s), small enough to bound memory. */
#define TSR_JS_FETCH_MAX 256
/* Bytes one pull request may bring (the server stops the batch there).
 * Without a cap, 256 half-megabyte ticket batches take longer to arrive
 * than a short pull request lives. (The 30 s stalls once blamed on cnats
 * dropping late answers were most likely our 4 MiB subscription queue limit
 * dropping them: see TSR_JS_PULL_PENDING_BYTES.) */
#define TSR_JS_FETCH_BYTES_MAX (4 * 1024 * 1024)
/* Bytes a pull subscription may hold queued before cnats drops (silently:
 * the dropped messages come back only after the consumer's AckWait). Late
 * answers of an earlier pull request and the current answer must both fit:
 * 16 fetch caps, as cnats's own default (64 MiB). */
#define TSR_JS_PULL_PENDING_BYTES (16 * TSR_JS_FETCH_BYTES_MAX)
/* Bytes of a message we accept: NATS's default max_payload. */
#define TSR_JS_MSG_MAX (1024 * 1024)
/* Subscription messages buffered by cnats before it drops (slow consumer). */
#define TSR_JS_SUB_PENDING_MAX 4096

typedef struct tsr_js tsr_js;

typedef struct tsr_js_opts {
    const char *url;            /* borrowed: "nats://127.0.0.1:4222", or a comma list */
    const char *name;           /* borrowed: connection name shown by the server; may be NULL */
    int64_t reconnect_min_ms;   /* first reconnect delay; doubles up to max (0: 100) */
    int64_t reconnect_max_ms;   /* backoff ceiling (0: 2000) */
    int64_t timeout_ms;         /* JetStream API calls and publish MaxWait (0: 5000) */
    int max_pending;            /* async publishes in flight, 1..TSR_JS_ASYNC_MAX (0: 256) */
    bool background_connect;    /* true: a failed first connect keeps retrying in the
                                   background and tsr_js_connect succeeds at once */
    tsr_log *log;               /* borrowed; may be NULL */
} tsr_js_opts;

/* Connects. Owns *out (tsr_js_close). TSR_ERR_ARG for bad options,
 * TSR_ERR_UNAVAILABLE when no server answers (and !background_connect),
 * TSR_ERR_NOMEM. */
tsr_status tsr_js_connect(tsr_js **out, const tsr_js_opts *o) TSR_MUST_CHECK;

/* Closes the connection; NULL-safe. Pending async publishes are abandoned
 * (their batches stay unacknowledged and are re-sent by their owner). Frees
 * the cnats subscriptions of every pull and sub closed before it (see
 * tsr_js_pull_close): close those first, never after. */
void tsr_js_close(tsr_js *js);

/* True while connected to a server. */
bool tsr_js_connected(tsr_js *js);

/* How many times the connection was re-established; a caller compares it
 * with an earlier value to learn that a reconnect happened. */
uint64_t tsr_js_reconnects(tsr_js *js);

/* ---- streams -------------------------------------------------------------- */

typedef struct tsr_js_stream_spec {
    const char *name;
    const char *subject;            /* one subject filter per stream */
    int replicas;                   /* 1 (single server) or 3 (cluster) */
    int64_t max_age_ns;             /* 0: unlimited */
    int64_t max_bytes;              /* -1: unlimited */
    int64_t max_msgs_per_subject;   /* -1: unlimited */
    int64_t duplicate_window_ns;    /* Nats-Msg-Id dedup window */
} tsr_js_stream_spec;

/* The seven Tessera streams (subjects.h) with their limits, for `replicas`
 * (1 or 3). Returns the table (static storage, overwritten by the next
 * call: not thread-safe) and its length in *n. */
const tsr_js_stream_spec *tsr_js_tessera_streams(int replicas, size_t *n);

/* Creates the stream, or updates it to the spec when it exists (both
 * idempotent; limits retention, file storage). TSR_ERR_JS_STREAM_CONFIG when
 * the existing stream cannot take the spec, TSR_ERR_UNAVAILABLE /
 * TSR_ERR_TIMEOUT / TSR_ERR_JS from the server, TSR_ERR_ARG for a bad spec. */
tsr_status tsr_js_stream_ensure(tsr_js *js, const tsr_js_stream_spec *s) TSR_MUST_CHECK;

/* Ensures all of tsr_js_tessera_streams(replicas). Errors as above. */
tsr_status tsr_js_ensure_tessera_streams(tsr_js *js, int replicas) TSR_MUST_CHECK;

/* Messages stored in a stream (for tests and status). */
tsr_status tsr_js_stream_msgs(tsr_js *js, const char *stream, uint64_t *msgs) TSR_MUST_CHECK;

/* ---- publishing ----------------------------------------------------------- */

/* Publishes data (borrowed, copied) on subject with Nats-Msg-Id msg_id (may
 * be NULL) and waits for the stream's ack at most timeout_ms.
 * *duplicate (may be NULL) is set when JetStream had already stored that id.
 * TSR_ERR_TIMEOUT, TSR_ERR_UNAVAILABLE (not connected, no stream),
 * TSR_ERR_JS (refused), TSR_ERR_TOO_LARGE, TSR_ERR_ARG. */
tsr_status tsr_js_publish(tsr_js *js, const char *subject, const char *msg_id,
                          const void *data, size_t len, bool *duplicate) TSR_MUST_CHECK;

/* Plain NATS publish (no ack, no storage guarantee) for fire-and-forget
 * status messages; a stream on the subject still stores it. */
tsr_status tsr_js_publish_core(tsr_js *js, const char *subject, const void *data,
                               size_t len) TSR_MUST_CHECK;

/* The result of one async publish. */
typedef struct tsr_js_ack {
    char msg_id[TSR_SUBJECT_MAX]; /* the Nats-Msg-Id it was published with */
    tsr_status status;            /* TSR_OK, TSR_ERR_TIMEOUT, TSR_ERR_JS, ... */
    bool duplicate;               /* stored before (still a success) */
} tsr_js_ack;

/* Starts an async publish with a Nats-Msg-Id (required: it identifies the
 * result). Data is copied. TSR_ERR_BUSY when max_pending publishes are in
 * flight or undrained (retry after tsr_js_async_results), TSR_ERR_UNAVAILABLE
 * when disconnected, TSR_ERR_ARG, TSR_ERR_TOO_LARGE. Exactly one result per
 * accepted publish arrives in tsr_js_async_results: the ack, or an error
 * after timeout_ms. */
tsr_status tsr_js_publish_async(tsr_js *js, const char *subject, const char *msg_id,
                                const void *data, size_t len) TSR_MUST_CHECK;

/* Moves up to cap queued results into out; returns how many. */
size_t tsr_js_async_results(tsr_js *js, tsr_js_ack *out, size_t cap);

/* Publishes in flight plus results not yet drained. */
size_t tsr_js_async_outstanding(tsr_js *js);

/* ---- pull consumers ---------------------------------------------------------- */

typedef struct tsr_js_pull tsr_js_pull;

typedef struct tsr_js_consumer_spec {
    const char *stream;
    const char *durable;     /* durable name: survives restarts of both sides */
    const char *filter;      /* filter subject; NULL for the whole stream */
    int64_t ack_wait_ns;     /* redelivery after this long without an ack (0: 30 s) */
    int64_t max_ack_pending; /* unacked messages in flight (0: 4096) */
} tsr_js_consumer_spec;

/* Creates (idempotently) the durable pull consumer and binds to it. Owns
 * *out (tsr_js_pull_close). TSR_ERR_UNAVAILABLE, TSR_ERR_TIMEOUT, TSR_ERR_JS,
 * TSR_ERR_ARG. */
tsr_status tsr_js_pull_open(tsr_js_pull **out, tsr_js *js,
                            const tsr_js_consumer_spec *spec) TSR_MUST_CHECK;

/* Unbinds (the durable consumer stays on the server); NULL-safe. The cnats
 * subscription is freed by tsr_js_close, once its reader thread is gone:
 * cnats 3.4.1 reads a subscription destroyed under an arriving message
 * after free. */
void tsr_js_pull_close(tsr_js_pull *p);

/* A fetched set of messages; owns them until tsr_js_msgs_free. */
typedef struct tsr_js_msgs {
    void *list_;  /* private: cnats message list */
    int count;
} tsr_js_msgs;

/* Fetches up to max (1..TSR_JS_FETCH_MAX) messages, waiting at most wait_ms
 * (cnats 3.4: a waiting pull returns when max came or the wait is over, so
 * wait for 1, or ask for what is known to be there). Answers that reached us after an earlier call returned are handed over
 * first, in order, without a new pull request; only when none are queued
 * does it ask the server. wait_ms 0 asks without waiting: it returns what
 * is already here, and the server's answer is for the next call. Bytes: a
 * pull brings at most TSR_JS_FETCH_BYTES_MAX; a call may add a few queued
 * late answers to it (never more than twice the cap). TSR_OK with count
 * >= 1, TSR_ERR_TIMEOUT when none came, TSR_ERR_UNAVAILABLE when
 * disconnected, TSR_ERR_JS, TSR_ERR_ARG. A message is lost to us only if
 * more than TSR_JS_PULL_PENDING_BYTES pile up unread (logged as
 * js_fetch_dropped); it then comes back after the consumer's AckWait.
 * On success the caller owns *out (tsr_js_msgs_free). */
tsr_status tsr_js_fetch(tsr_js_pull *p, int max, int64_t wait_ms, tsr_js_msgs *out) TSR_MUST_CHECK;

/* Message i's payload (borrowed from *m) and length. */
const void *tsr_js_msg_data(const tsr_js_msgs *m, int i, size_t *len);
/* Message i's subject (borrowed). */
const char *tsr_js_msg_subject(const tsr_js_msgs *m, int i);
/* Message i's Nats-Msg-Id header (borrowed), or NULL. */
const char *tsr_js_msg_id(const tsr_js_msgs *m, int i);
/* How many times message i was delivered (1 on the first delivery). */
uint64_t tsr_js_msg_delivered(const tsr_js_msgs *m, int i);
/* How many messages the consumer still held for delivery when message i
 * was sent (its metadata; 0 when unknown). A fetch of exactly that many
 * completes at once instead of waiting out its expiry. */
uint64_t tsr_js_msg_pending(const tsr_js_msgs *m, int i);
/* Acknowledges message i (fire and forget: a lost ack means a redelivery,
 * which every consumer of ours handles idempotently). */
tsr_status tsr_js_msg_ack(const tsr_js_msgs *m, int i) TSR_MUST_CHECK;
/* Asks for redelivery of message i after delay_ms. */
tsr_status tsr_js_msg_nak(const tsr_js_msgs *m, int i, int64_t delay_ms) TSR_MUST_CHECK;
/* Tells the server never to redeliver message i (poison message). */
tsr_status tsr_js_msg_term(const tsr_js_msgs *m, int i) TSR_MUST_CHECK;
/* Frees the messages; NULL-safe and idempotent. */
void tsr_js_msgs_free(tsr_js_msgs *m);

/* ---- plain subscriptions ---------------------------------------------------- */

typedef struct tsr_js_sub tsr_js_sub;

/* Subscribes to subject (wildcards allowed). Owns *out. */
tsr_status tsr_js_sub_open(tsr_js_sub **out, tsr_js *js, const char *subject) TSR_MUST_CHECK;
/* Unsubscribes; NULL-safe. Freed by tsr_js_close, as tsr_js_pull_close. */
void tsr_js_sub_close(tsr_js_sub *s);
/* Copies the next message's payload into buf (cap bytes) and its subject
 * into subject (TSR_SUBJECT_MAX bytes; may be NULL), waiting at most
 * wait_ms. TSR_ERR_TIMEOUT when none, TSR_ERR_TOO_LARGE when the payload
 * does not fit (the message is dropped), TSR_ERR_UNAVAILABLE. */
tsr_status tsr_js_sub_next(tsr_js_sub *s, int64_t wait_ms, void *buf, size_t cap,
                           size_t *len, char *subject) TSR_MUST_CHECK;

#endif

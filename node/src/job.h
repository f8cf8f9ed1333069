/*
 * A job: one write request travelling CoAP thread → (auth worker) → writer
 * thread → CoAP thread.
 *
 *   1. A handler (CoAP thread) parses and validates the request, allocates
 *      a job with tsr_job_new, fills `apply` (and optionally `prepare`,
 *      `done`, `ctx`, `idempotency_key`) and hands it to tsr_server_submit.
 *      From then on the server owns the job.
 *   2. If `prepare` is set, an auth worker thread runs it first, outside
 *      any transaction (Argon2id hashing: ~tens of ms, never on the CoAP
 *      thread nor inside the writer's transaction). A non-OK status ends the
 *      job there with that error.
 *   3. The writer thread runs `apply` inside the job's own SAVEPOINT of a
 *      group transaction. TSR_OK releases the savepoint; any other status
 *      rolls back this job only (other jobs of the group are unaffected) and
 *      becomes the job's error reply. (A `rerun_safe` job shares one
 *      savepoint with the rerun_safe jobs around it; the outcome is the
 *      same, see writer.c.) Apply must not block on anything but
 *      the database, and must not call libcoap.
 *   4. After COMMIT is on disk, the completion goes back to the CoAP thread,
 *      which runs `done` (if set) and sends the reply: on TSR_OK the
 *      `response` body with `ok_code`; otherwise the error body
 *      {"error": "<TSR_ERR_NAME>", "message": "<sentence>"} plus
 *      `error_detail` (if set) under "detail".
 *
 * Idempotency: when `idempotency_key` is set, the writer looks it up in the
 * idempotency table under (scope, key) before apply — scope is the caller
 * (player id or terminal id) and the route, so two players never collide.
 * A stored entry with the same request hash replays the stored reply
 * without running apply (the retry gets its original receipt) — or, for a
 * job with `replay`, calls replay with the stored reference; a different
 * hash is TSR_ERR_IDEMPOTENT_MISMATCH (4.09). After a successful apply, the
 * reply is stored in the same savepoint. The request hash is BLAKE2b-256 of
 * the canonical request body (sorted keys, compact) and the route.
 */
#ifndef TSR_NODE_JOB_H
#define TSR_NODE_JOB_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"
#include "tessera/hash.h"
#include "tessera/status.h"

typedef struct tsr_server tsr_server;
typedef struct tsr_job tsr_job;

/* Who is calling, as established by the server before the handler runs. */
typedef enum tsr_caller_kind {
    TSR_CALLER_ANON = 0, /* nothing proven (register, login, health, games) */
    TSR_CALLER_PLAYER,   /* a valid player session (see server.h resolver) */
    TSR_CALLER_TERMINAL, /* a retail terminal: DTLS-PSK identity, or on plain
                            coap:// with allow_plain_coap the `terminal=` query
                            (loopback tests and the demo only) */
    TSR_CALLER_LOCAL     /* an admin request from 127.0.0.1/::1 (token install) */
} tsr_caller_kind;

/* Longest terminal id (as a PSK identity) and session token text. */
#define TSR_CALLER_ID_MAX 32
#define TSR_SESSION_TOKEN_MAX 128

typedef struct tsr_caller {
    tsr_caller_kind kind;
    int64_t player_id;                    /* PLAYER: players.id */
    int64_t agent_id;                     /* TERMINAL via an agent session: agents.id (else 0) */
    char terminal_id[TSR_CALLER_ID_MAX];  /* TERMINAL: the PSK identity */
    char session[TSR_SESSION_TOKEN_MAX];  /* PLAYER: the token as presented */
    bool loopback;                        /* peer address is 127.0.0.0/8 or ::1 */
} tsr_caller;

/* Runs on the writer thread inside the job's savepoint. Fills job->response
 * (owned) on success. Returns TSR_OK or the error for this job. */
typedef tsr_status (*tsr_job_apply_fn)(tsr_store_txn *txn, tsr_job *job);

/* Runs on an auth worker thread before the writer (may be NULL). */
typedef tsr_status (*tsr_job_prepare_fn)(tsr_job *job);

/* Runs on the CoAP thread after the commit, just before the reply (may be
 * NULL): e.g. mark an Observable resource dirty. `committed` is true when
 * the job's effects are on disk (status TSR_OK and the COMMIT succeeded). */
typedef void (*tsr_job_done_fn)(tsr_server *srv, tsr_job *job, bool committed);

/* Runs on the writer thread right after the job's savepoint was released
 * (may be NULL): the job's effects are now part of the group transaction
 * and commit with it. For folding the job into a per-group record (the
 * bets' one audit row per group, see server.h group hooks). */
typedef void (*tsr_job_settled_fn)(tsr_job *job);

/* Runs on the writer thread instead of apply when the idempotency table
 * holds this key with the same request and a replay reference: rebuilds
 * the original reply from `ref` (what the first apply put in replay_ref),
 * e.g. a bet's receipts from its tickets. */
typedef tsr_status (*tsr_job_replay_fn)(tsr_store_txn *txn, tsr_job *job, int64_t ref);

/* Frees the job's domain context (may be NULL). */
typedef void (*tsr_job_ctx_free_fn)(void *ctx);

struct tsr_job {
    /* ---- set by the handler ---- */
    const char *kind;              /* static: "bet", "register", ... for logs */
    tsr_job_apply_fn apply;        /* required */
    tsr_job_prepare_fn prepare;    /* optional: auth worker step */
    tsr_job_done_fn done;          /* optional: CoAP-thread step */
    tsr_job_settled_fn settled;    /* optional: writer step after the savepoint */
    json_t *request;               /* owned: the parsed body (may be NULL) */
    void *ctx;                     /* owned via ctx_free: domain state */
    tsr_job_ctx_free_fn ctx_free;  /* frees ctx (NULL: ctx is not freed) */
    char *idempotency_key;         /* owned (strdup'd) or NULL */
    tsr_job_replay_fn replay;      /* optional: with an idempotency key, the
                                      table stores replay_ref instead of the
                                      reply text, and a retry calls this */
    int ok_code;                   /* CoAP code on success: 201, 204, 205 (default 205) */
    bool rerun_safe;               /* apply (and replay) may be run again from
                                      scratch after the writer rolled it back:
                                      it keeps no state from an earlier run but
                                      what it rebuilds, and its `settled` step
                                      may come later in the group. Such jobs
                                      share one savepoint per run instead of
                                      one each (writer.c) */

    /* ---- set by the server before submit (read-only for domain code) ---- */
    tsr_server *srv;               /* borrowed */
    tsr_caller caller;
    const char *route;             /* static: the route's pattern, for scope */
    uint8_t request_hash[TSR_HASH_LEN];

    /* ---- filled by prepare/apply ---- */
    tsr_status status;             /* the outcome; TSR_OK on success */
    json_t *response;              /* owned: success body (NULL: empty) */
    json_t *error_detail;          /* owned: optional "detail" of an error */
    bool replayed;                 /* the reply came from the idempotency table */
    int64_t replay_ref;            /* set by apply when `replay` is set */
    char *response_text;           /* owned: the success body as sent, compact
                                      JSON text. Apply may write its reply here
                                      instead of `response` (the bet path: no
                                      JSON tree); for an idempotent job with a
                                      `response` the writer serializes it here
                                      once, and the idempotency table stores the
                                      very bytes the reply carries. When set it
                                      is sent instead of `response`. */

    /* ---- server internals ---- */
    void *internal_;               /* the pending reply; do not touch */
    tsr_job *next_;                /* queue link; do not touch */
    int64_t submitted_mono_ns;     /* for latency and queue-age logging */
};

/* A zeroed job of `kind` with `apply`, ok_code 205 and status TSR_OK.
 * Owns *out (the server takes it on submit; tsr_job_free otherwise).
 * TSR_ERR_NOMEM. */
tsr_status tsr_job_new(tsr_job **out, const char *kind, tsr_job_apply_fn apply) TSR_MUST_CHECK;

/* Frees a job: its request, response, detail, idempotency key and (through
 * ctx_free) its ctx. NULL-safe. Domain code only calls this on a job it
 * never submitted. */
void tsr_job_free(tsr_job *job);

/* Sets job->error_detail to {"field": name} (a helper for validation
 * errors found in apply); returns `st` so `return tsr_job_fail_field(...)`
 * reads naturally. */
tsr_status tsr_job_fail_field(tsr_job *job, tsr_status st, const char *field);

#endif

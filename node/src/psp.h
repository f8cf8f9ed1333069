/*
 * Payment providers. A deposit or withdrawal is a pending psp_requests row
 * (wallet.h); the node then asks the provider to move the money (`start`),
 * and the provider answers later by calling POST /v1/psp/events with a
 * JSON body and `?sig=<hex>`: HMAC-SHA256 over the exact body bytes with
 * the secret shared through the config (accounts.psp_secret). A bad
 * signature is refused before anything is parsed; an event is idempotent
 * by the provider's transaction id (the same body again gets the same
 * answer and credits nothing; another body under that id is refused).
 *
 * Event body: {"provider_txn": "sbx-1", "request_id": 7, "kind": "deposit"
 * | "withdrawal", "amount": 1000, "status": "completed" | "failed"}.
 */
#ifndef TSR_NODE_PSP_H
#define TSR_NODE_PSP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "tessera/hash.h"
#include "tessera/log.h"
#include "tessera/money.h"

#define TSR_PSP_KEY_LEN 32
#define TSR_PSP_SIG_HEX_SIZE 65
#define TSR_PSP_TXN_MAX 64
/* Requests the sandbox holds before refusing more (TSR_ERR_BUSY). */
#define TSR_PSP_SANDBOX_QUEUE_MAX 1024

/* What the node asks the provider to do. */
typedef struct tsr_psp_start {
    int64_t request_id;
    int64_t player_id;
    bool withdrawal;
    tsr_cents amount;
} tsr_psp_start;

/* A provider: a struct of function pointers (owns ctx). */
typedef struct tsr_psp {
    const char *name; /* static: "sandbox" */
    void *ctx;
    /* Starts a payment after its request row is committed. Must not block:
     * it runs on the CoAP thread. TSR_ERR_BUSY when the provider is
     * saturated (the request stays pending). */
    tsr_status (*start)(void *ctx, const tsr_psp_start *req);
    void (*destroy)(void *ctx);
} tsr_psp;

/* Frees a provider (its thread stopped); NULL-safe. */
void tsr_psp_destroy(tsr_psp *p);

/* The sandbox provider for tests and the demo: a thread that completes
 * every started payment by sending the signed event to
 * coap://127.0.0.1:<port>/v1/psp/events (plain CoAP, loopback), with
 * provider_txn "sbx-<request id>". When fail_above > 0, payments above it
 * are reported "failed" (to exercise that path). key (copied) is the shared
 * secret. log borrowed (may be NULL). Owns *out. */
tsr_status tsr_psp_sandbox_create(tsr_psp **out, uint16_t port, const uint8_t key[TSR_PSP_KEY_LEN],
                                  tsr_cents fail_above, tsr_log *log) TSR_MUST_CHECK;

/* sig = hex(HMAC-SHA256(key, body)). */
void tsr_psp_sign(const uint8_t key[TSR_PSP_KEY_LEN], const void *body, size_t len,
                  char sig[TSR_PSP_SIG_HEX_SIZE]);

/* TSR_OK when sig_hex is the HMAC of body, else TSR_ERR_SIGNATURE
 * (constant time). */
tsr_status tsr_psp_verify(const uint8_t key[TSR_PSP_KEY_LEN], const void *body, size_t len,
                          const char *sig_hex) TSR_MUST_CHECK;

/* A parsed event. */
typedef struct tsr_psp_event {
    char provider_txn[TSR_PSP_TXN_MAX + 1];
    int64_t request_id;
    bool withdrawal;
    tsr_cents amount;
    bool completed;
} tsr_psp_event;

/* Reads an event from a body already checked for unknown fields and types
 * (tsr_request_json). TSR_ERR_RANGE (with *field naming it) for a bad
 * provider_txn, kind, status or amount. */
tsr_status tsr_psp_event_parse(const json_t *obj, tsr_psp_event *ev, const char **field) TSR_MUST_CHECK;

/* Applies an event (writer): a completed deposit debits psp_clearing and
 * credits the player; a failed one gives back its deposit-limit usage; a
 * completed withdrawal moves withdrawals_pending to psp_clearing; a failed
 * one returns the money to the player. The request becomes completed or
 * failed. body_hash identifies the body for replays: a known provider_txn
 * with the same hash sets *replayed and changes nothing; with another hash
 * it is TSR_ERR_PSP_REPLAY. TSR_ERR_NOT_FOUND for an unknown request,
 * TSR_ERR_ARG when kind or amount differ from the request,
 * TSR_ERR_PSP_STATE when it is already settled. Writes the request's new
 * state ("completed" / "failed") into state (16 bytes). */
tsr_status tsr_psp_event_apply(tsr_store_conn *db, const tsr_psp_event *ev,
                               const uint8_t body_hash[TSR_HASH_LEN], int64_t now_ns,
                               bool *replayed, char *state) TSR_MUST_CHECK;

#endif

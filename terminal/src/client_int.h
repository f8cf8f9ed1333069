/* Private state of the CoAP client (client.c, client_io.c). */
#ifndef TESSERA_CLIENT_INT_H
#define TESSERA_CLIENT_INT_H

#include <coap3/coap.h>

#include "tessera/client.h"

/* One request: its copy of what to send again, and its place in the
 * deadline-ordered list of open attempts. */
typedef struct client_slot {
    uint32_t gen;           /* bumped at each reuse; half of the token */
    bool used;
    uint8_t method;
    uint16_t attempts, max_attempts;
    int session;
    tsr_status last_error;  /* what the attempts so far ran into */
    tsr_client_cb cb;
    void *user;
    int64_t deadline_ns;
    int prev, next;         /* timeout list links (slot indices) */
    size_t body_len;
    /* A reply that comes block-wise (RFC 7959 Block2), put together here. */
    uint32_t block_num;     /* the block asked for next (0: the plain request) */
    uint8_t block_szx;      /* its size exponent, from the node's first block */
    uint8_t etag_len;
    uint8_t etag[8];        /* of the first block: a later one must match */
    int retried;            /* resends made for earlier blocks */
    uint8_t *reply;         /* owned; NULL until a reply comes in blocks */
    size_t reply_len, reply_cap;
    char path[TSR_CLIENT_PATH_MAX];
    uint8_t body[TSR_CLIENT_BODY_MAX];
} client_slot;

typedef struct client_session {
    coap_session_t *s;      /* NULL until opened, or after it failed */
    bool dead;              /* failed: release and reopen before the next send */
} client_session;

struct tsr_client {
    coap_context_t *ctx;
    coap_address_t server;
    bool secure, confirmable;
    bool dtls_failed;
    tsr_psk psk;
    char uri[TSR_CLIENT_URI_MAX];
    tsr_clock *clock;
    int64_t attempt_timeout_ns;
    int nsessions;
    client_session *sessions;
    int max_pending;
    client_slot *slots;
    int *free_stack;
    int free_top;
    size_t open;
    int head, tail;         /* timeout list */
};

#endif

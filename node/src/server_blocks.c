/* Bodies of block-wise GET replies kept for their later blocks
 * (server_int.h, block_body). CoAP thread only. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "node_int.h"
#include "server_int.h"


/* The Block2 the request asks for: its number, and the block size it
 * wants (0 when it names none). */
static void requested_block(const coap_pdu_t *pdu, uint32_t *num, size_t *size)
{
    coap_block_t b;
    *num = 0;
    *size = 0;
    if (coap_get_block(pdu, COAP_OPTION_BLOCK2, &b)) {
        *num = b.num;
        *size = (size_t)1 << (b.szx + 4);
    }
}

/* Room for the caller part of a key: "<kind>:<player id>:<terminal>|". */
#define CALLER_KEY_MAX (TSR_CALLER_ID_MAX + 24)

/* The key of a kept body (owned), or NULL: the caller (a client session
 * object can be freed and its address reused by another client) and
 * "path?query". */
static char *key_of(const exchange *x)
{
    char who[CALLER_KEY_MAX];
    const tsr_caller *c = x->caller;
    int wl = snprintf(who, sizeof who, "%d:%lld:%s|", (int)c->kind, (long long)c->player_id,
                      c->kind == TSR_CALLER_TERMINAL ? c->terminal_id : "");
    coap_string_t *p = coap_get_uri_path(x->pdu);
    size_t plen = p ? p->length : 0, qlen = x->query ? x->query->length : 0;
    char *u = wl > 0 && (size_t)wl < sizeof who ? malloc((size_t)wl + plen + qlen + 2) : NULL;
    if (u) {
        memcpy(u, who, (size_t)wl);
        memcpy(u + wl, p ? (const char *)p->s : "", plen);
        u[wl + plen] = '?';
        memcpy(u + wl + plen + 1, x->query ? (const char *)x->query->s : "", qlen);
        u[wl + plen + 1 + qlen] = '\0';
    }
    coap_delete_string(p);
    return u;
}

static size_t slot_of(const coap_session_t *sess, const char *uri)
{
    return (size_t)tsr_table_hash((uint64_t)(uintptr_t)sess, uri, strlen(uri)) &
           (TSR_SERVER_BLOCK_BODIES - 1);
}

/* Wiped before freeing: the key holds the caller's session token (in the
 * query) and the text a wallet or a bet history. */
static void body_clear(block_body *b)
{
    if (b->uri) {
        sodium_memzero(b->uri, strlen(b->uri));
        free(b->uri);
    }
    if (b->text) {
        sodium_memzero(b->text, strlen(b->text));
        free(b->text);
    }
    memset(b, 0, sizeof *b);
}

static bool expired(const block_body *b, int64_t now)
{
    return b->text && now - b->at_mono_ns > TSR_SERVER_BLOCK_BODY_TTL_NS;
}

/* Clears the kept bodies past their time: none stays in memory long
 * after its transfer (run when a body is kept: block-wise replies are
 * rare next to bets). */
static void clear_expired(tsr_server *srv, int64_t now)
{
    for (size_t i = 0; i < TSR_SERVER_BLOCK_BODIES; i++)
        if (expired(&srv->block_bodies[i], now))
            body_clear(&srv->block_bodies[i]);
}

/* Keeps text as the body of (sess, uri); takes uri. */
static const char *keep(tsr_server *srv, block_body *b, const exchange *x, char *uri,
                        const char *text)
{
    int64_t now = tsr_clock_mono_ns(srv->env->clock);
    char *copy = strdup(text);
    body_clear(b);
    clear_expired(srv, now);
    if (!copy) {
        sodium_memzero(uri, strlen(uri));
        free(uri);
        return text;
    }
    *b = (block_body){x->sess, uri, copy, now};
    return b->text;
}

const char *tsr_server_block_body(tsr_server *srv, const exchange *x, const char *text)
{
    if (!x->pdu || !x->caller || coap_pdu_get_code(x->pdu) != COAP_REQUEST_CODE_GET)
        return text;
    uint32_t num;
    size_t size, len = strlen(text);
    requested_block(x->pdu, &num, &size);
    bool blocks = num > 0 || (size && len > size) ||
                  len + TSR_SERVER_REPLY_OVERHEAD_MAX > coap_session_max_pdu_size(x->sess);
    char *uri = blocks ? key_of(x) : NULL;
    if (!uri)
        return text;
    block_body *b = &srv->block_bodies[slot_of(x->sess, uri)];
    if (num == 0)
        return keep(srv, b, x, uri, text);
    bool fresh = b->text && b->sess == x->sess && strcmp(b->uri, uri) == 0 &&
                 !expired(b, tsr_clock_mono_ns(srv->env->clock));
    sodium_memzero(uri, strlen(uri));
    free(uri);
    return fresh ? b->text : text;
}

void tsr_server_block_bodies_free(tsr_server *srv)
{
    for (size_t i = 0; i < TSR_SERVER_BLOCK_BODIES; i++)
        body_clear(&srv->block_bodies[i]);
}

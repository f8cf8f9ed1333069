/* Bodies of block-wise GET replies kept for their later blocks
 * (server_int.h, block_body). CoAP thread only. */
#include <stdlib.h>
#include <string.h>

#include "server_int.h"

/* Room a reply needs besides its body (as REPLY_OVERHEAD_MAX in server.c). */
#define BLOCK_REPLY_OVERHEAD (TSR_SERVER_TOKEN_MAX + 32)

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

/* Room for the caller part of a key: "p:<id>|" or "t:<terminal>|". */
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
    uint64_t h = (uint64_t)(uintptr_t)sess * UINT64_C(0x9E3779B97F4A7C15);
    for (const unsigned char *c = (const unsigned char *)uri; *c; c++)
        h = (h ^ *c) * UINT64_C(0x100000001B3);
    return (size_t)(h >> 40) & (TSR_SERVER_BLOCK_BODIES - 1);
}

static void body_clear(block_body *b)
{
    free(b->uri);
    free(b->text);
    memset(b, 0, sizeof *b);
}

/* Keeps text as the body of (sess, uri); takes uri. */
static const char *keep(tsr_server *srv, block_body *b, const exchange *x, char *uri,
                        const char *text)
{
    char *copy = strdup(text);
    body_clear(b);
    if (!copy) {
        free(uri);
        return text;
    }
    *b = (block_body){x->sess, uri, copy, tsr_clock_mono_ns(srv->env->clock)};
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
                  len + BLOCK_REPLY_OVERHEAD > coap_session_max_pdu_size(x->sess);
    char *uri = blocks ? key_of(x) : NULL;
    if (!uri)
        return text;
    block_body *b = &srv->block_bodies[slot_of(x->sess, uri)];
    if (num == 0)
        return keep(srv, b, x, uri, text);
    bool fresh = b->text && b->sess == x->sess && strcmp(b->uri, uri) == 0 &&
                 tsr_clock_mono_ns(srv->env->clock) - b->at_mono_ns <= TSR_SERVER_BLOCK_BODY_TTL_NS;
    free(uri);
    return fresh ? b->text : text;
}

void tsr_server_block_bodies_free(tsr_server *srv)
{
    for (size_t i = 0; i < TSR_SERVER_BLOCK_BODIES; i++)
        body_clear(&srv->block_bodies[i]);
}

/*
 * The CoAP client: request slots with a fixed pool, tokens that name their
 * slot, an attempt-timeout list in deadline order, retries with the same
 * token and body. See tessera/client.h.
 */
#include "tessera/client.h"

#include <arpa/inet.h>
#include <coap3/coap.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "client_int.h"
#include "tessera/udpbuf.h"

/* libcoap retransmits a CON once per ACK timeout; we leave retransmission to
 * our own attempts (same token, new message id) so one timeout governs both
 * CON and NON, and an attempt that was ACKed empty (a separate response is
 * coming) still ends at our deadline. */
#define CON_LIBCOAP_RETRANSMITS 0
/* A CON whose ACK never came is NACKed by libcoap after at most 1.5 ACK
 * timeouts (RFC 7252 ACK_RANDOM_FACTOR); our backstop waits twice the
 * attempt timeout so it never fires first. */
#define CON_BACKSTOP_FACTOR 2
#define DEFAULT_ATTEMPT_TIMEOUT_MS 2000
#define DEFAULT_MAX_PENDING 64
#define TOKEN_LEN 8
#define NO_SLOT (-1)

static void fail_text(char *err, size_t errlen, const char *fmt, const char *arg)
{
    if (err && errlen)
        snprintf(err, errlen, fmt, arg);
}

tsr_status tsr_client_parse_uri(const char *uri, char *host_out, size_t host_cap,
                                int *port_out, bool *secure_out)
{
    if (!uri || !host_out || host_cap == 0)
        return TSR_ERR_ARG;
    bool secure;
    const char *p;
    if (strncmp(uri, "coaps://", 8) == 0) {
        secure = true;
        p = uri + 8;
    } else if (strncmp(uri, "coap://", 7) == 0) {
        secure = false;
        p = uri + 7;
    } else {
        return TSR_ERR_ARG;
    }
    const char *host = p, *host_end;
    if (*p == '[') { /* IPv6 literal */
        host = p + 1;
        host_end = strchr(host, ']');
        if (!host_end)
            return TSR_ERR_ARG;
        p = host_end + 1;
    } else {
        host_end = p + strcspn(p, ":/");
        p = host_end;
    }
    size_t hlen = (size_t)(host_end - host);
    if (hlen == 0 || hlen >= host_cap)
        return TSR_ERR_ARG;
    int port = secure ? 5684 : 5683;
    if (*p == ':') {
        char *end;
        long v = strtol(p + 1, &end, 10);
        if (end == p + 1 || v < 1 || v > 65535)
            return TSR_ERR_ARG;
        port = (int)v;
        p = end;
    }
    if (*p == '/')
        p++;
    if (*p != '\0')
        return TSR_ERR_ARG;
    memcpy(host_out, host, hlen);
    host_out[hlen] = '\0';
    *port_out = port;
    *secure_out = secure;
    return TSR_OK;
}

tsr_status tsr_client_check_loopback(const void *sa)
{
    const struct sockaddr *s = sa;
    if (!s)
        return TSR_ERR_ARG;
    if (s->sa_family == AF_INET) {
        const struct sockaddr_in *in = sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127 ? TSR_OK : TSR_ERR_ARG;
    }
    if (s->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = sa;
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
            return TSR_OK;
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127)
            return TSR_OK;
    }
    return TSR_ERR_ARG;
}

/* Resolves host:port into c->server, refusing non-loopback addresses when
 * asked (every address the name resolves to is checked, so a name cannot
 * smuggle in an outside address after a loopback one). */
static tsr_status resolve(tsr_client *c, const char *host, int port, bool loopback_only,
                          char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_family = AF_UNSPEC};
    struct addrinfo *res = NULL;
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%d", port);
    if (getaddrinfo(host, portstr, &hints, &res) != 0 || !res) {
        fail_text(err, errlen, "cannot resolve host '%s'", host);
        return TSR_ERR_NOT_FOUND;
    }
    tsr_status st = TSR_OK;
    for (struct addrinfo *ai = res; ai && loopback_only; ai = ai->ai_next) {
        if (tsr_client_check_loopback(ai->ai_addr) != TSR_OK) {
            fail_text(err, errlen,
                      "refusing target '%s': not a loopback address (127.0.0.0/8 or ::1)", host);
            st = TSR_ERR_ARG;
        }
    }
    if (st == TSR_OK) {
        coap_address_init(&c->server);
        if (res->ai_addrlen > sizeof c->server.addr) {
            st = TSR_ERR_ARG;
        } else {
            memcpy(&c->server.addr, res->ai_addr, res->ai_addrlen);
            c->server.size = res->ai_addrlen;
        }
    }
    freeaddrinfo(res);
    return st;
}

/* ---- slots and the timeout list ------------------------------------------ */

static void list_unlink(tsr_client *c, int i)
{
    client_slot *s = &c->slots[i];
    if (s->prev != NO_SLOT)
        c->slots[s->prev].next = s->next;
    else if (c->head == i)
        c->head = s->next;
    if (s->next != NO_SLOT)
        c->slots[s->next].prev = s->prev;
    else if (c->tail == i)
        c->tail = s->prev;
    s->prev = s->next = NO_SLOT;
}

/* Appends at the tail: deadlines are now + a constant, so appending keeps
 * the list in deadline order and the poll looks only at the head. */
static void list_push(tsr_client *c, int i, int64_t deadline_ns)
{
    client_slot *s = &c->slots[i];
    s->deadline_ns = deadline_ns;
    s->prev = c->tail;
    s->next = NO_SLOT;
    if (c->tail != NO_SLOT)
        c->slots[c->tail].next = i;
    else
        c->head = i;
    c->tail = i;
}

static void token_of(const tsr_client *c, int i, uint8_t tok[TOKEN_LEN])
{
    uint32_t idx = (uint32_t)i, gen = c->slots[i].gen;
    for (int k = 0; k < 4; k++) {
        tok[k] = (uint8_t)(idx >> (24 - 8 * k));
        tok[4 + k] = (uint8_t)(gen >> (24 - 8 * k));
    }
}

/* The open slot a token names, or NO_SLOT for a stale or foreign token. */
static int slot_of_token(const tsr_client *c, const uint8_t *tok, size_t len)
{
    if (len != TOKEN_LEN)
        return NO_SLOT;
    uint32_t idx = 0, gen = 0;
    for (int k = 0; k < 4; k++) {
        idx = (idx << 8) | tok[k];
        gen = (gen << 8) | tok[4 + k];
    }
    if (idx >= (uint32_t)c->max_pending)
        return NO_SLOT;
    const client_slot *s = &c->slots[idx];
    return (s->used && s->gen == gen) ? (int)idx : NO_SLOT;
}

/* Completes slot i: unlinks it, frees it, then calls its callback (last, so
 * the callback may send a new request into the freed slot). */
static void complete(tsr_client *c, int i, tsr_response *r)
{
    client_slot *s = &c->slots[i];
    tsr_client_cb cb = s->cb;
    void *user = s->user;
    r->attempts = s->attempts + s->retried;
    free(s->reply); /* a finished reply was taken by the caller first */
    s->reply = NULL;
    s->reply_cap = 0;
    list_unlink(c, i);
    s->used = false;
    c->free_stack[c->free_top++] = i;
    c->open--;
    cb(user, r);
}

static void complete_failed(tsr_client *c, int i, tsr_status st)
{
    tsr_response r = {.code = 0, .status = st, .max_age_s = -1};
    complete(c, i, &r);
}

/* ---- sessions ----------------------------------------------------------- */

static coap_session_t *open_session(tsr_client *c)
{
    coap_session_t *s;
    if (c->secure) {
        coap_dtls_cpsk_t setup;
        memset(&setup, 0, sizeof setup);
        setup.version = COAP_DTLS_CPSK_SETUP_VERSION;
        setup.psk_info.identity.s = (const uint8_t *)c->psk.identity;
        setup.psk_info.identity.length = strlen(c->psk.identity);
        setup.psk_info.key.s = c->psk.key;
        setup.psk_info.key.length = sizeof c->psk.key;
        s = coap_new_client_session_psk2(c->ctx, NULL, &c->server, COAP_PROTO_DTLS, &setup);
    } else {
        s = coap_new_client_session(c->ctx, NULL, &c->server, COAP_PROTO_UDP);
    }
    if (!s)
        return NULL;
    if (c->server.addr.sa.sa_family == AF_INET) /* replies come in bursts (udpbuf.h) */
        tsr_udp_grow_rcvbuf(c->server.addr.sin.sin_addr.s_addr, c->server.addr.sin.sin_port,
                            TSR_UDP_CLIENT_RCVBUF);
    coap_session_set_max_retransmit(s, CON_LIBCOAP_RETRANSMITS);
    int64_t ms = c->attempt_timeout_ns / TSR_NS_PER_MS;
    coap_fixed_point_t ack = {(uint16_t)(ms / 1000), (uint16_t)(ms % 1000)};
    coap_session_set_ack_timeout(s, ack);
    return s;
}

/* The session for index i, reopened when the last one failed (a node
 * restart, a DTLS alert): a terminal must recover by itself. */
static coap_session_t *session_for(tsr_client *c, int i)
{
    client_session *cs = &c->sessions[i];
    if (cs->s && cs->dead) {
        coap_session_set_app_data(cs->s, NULL);
        coap_session_release(cs->s);
        cs->s = NULL;
    }
    if (!cs->s) {
        cs->s = open_session(c);
        cs->dead = false;
        if (cs->s)
            coap_session_set_app_data(cs->s, cs);
    }
    return cs->s;
}

/* ---- sending ------------------------------------------------------------- */

static coap_pdu_code_t method_code(uint8_t m)
{
    switch (m) {
    case TSR_METHOD_GET: return COAP_REQUEST_CODE_GET;
    case TSR_METHOD_POST: return COAP_REQUEST_CODE_POST;
    case TSR_METHOD_PUT: return COAP_REQUEST_CODE_PUT;
    default: return COAP_REQUEST_CODE_DELETE;
    }
}

/* Adds one option per '/'-separated path segment (Uri-Path) or per
 * '&'-separated query item (Uri-Query) of text[0..len). */
static bool add_split(coap_pdu_t *pdu, uint16_t opt, const char *text, size_t len, char sep)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && text[j] != sep)
            j++;
        if (j > i && coap_add_option(pdu, opt, j - i, (const uint8_t *)text + i) == 0)
            return false;
        i = j + 1;
    }
    return true;
}

static coap_pdu_t *build_pdu(tsr_client *c, coap_session_t *s, int i)
{
    client_slot *sl = &c->slots[i];
    coap_pdu_type_t type = c->confirmable ? COAP_MESSAGE_CON : COAP_MESSAGE_NON;
    coap_pdu_t *pdu = coap_pdu_init(type, method_code(sl->method), coap_new_message_id(s),
                                    coap_session_max_pdu_size(s));
    if (!pdu)
        return NULL;
    uint8_t tok[TOKEN_LEN];
    token_of(c, i, tok);
    const char *q = strchr(sl->path, '?');
    size_t plen = q ? (size_t)(q - sl->path) : strlen(sl->path);
    bool ok = coap_add_token(pdu, TOKEN_LEN, tok) && add_split(pdu, COAP_OPTION_URI_PATH, sl->path, plen, '/');
    if (ok && sl->body_len) {
        uint8_t cf[4];
        ok = coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
                             coap_encode_var_safe(cf, sizeof cf, COAP_MEDIATYPE_APPLICATION_JSON),
                             cf) != 0;
    }
    if (ok && q)
        ok = add_split(pdu, COAP_OPTION_URI_QUERY, q + 1, strlen(q + 1), '&');
    if (ok && sl->block_num) {
        uint8_t b2[4];
        ok = coap_add_option(pdu, COAP_OPTION_BLOCK2,
                             coap_encode_var_safe(b2, sizeof b2,
                                                  (sl->block_num << 4) | sl->block_szx),
                             b2) != 0;
    }
    if (ok && sl->body_len)
        ok = coap_add_data(pdu, sl->body_len, sl->body) != 0;
    if (!ok) {
        coap_delete_pdu(pdu);
        return NULL;
    }
    return pdu;
}

/* Sends one attempt of slot i and (re)arms its deadline. A send that fails
 * locally counts as an attempt that got no answer: the deadline resends it. */
static void send_attempt(tsr_client *c, int i, int64_t now_ns)
{
    client_slot *sl = &c->slots[i];
    sl->attempts++;
    list_unlink(c, i);
    int64_t wait = c->attempt_timeout_ns * (c->confirmable ? CON_BACKSTOP_FACTOR : 1);
    list_push(c, i, now_ns + wait);
    coap_session_t *s = session_for(c, sl->session);
    coap_pdu_t *pdu = s ? build_pdu(c, s, i) : NULL;
    if (!pdu) {
        sl->last_error = TSR_ERR_UNAVAILABLE;
        return;
    }
    if (coap_send(s, pdu) == COAP_INVALID_MID)
        sl->last_error = TSR_ERR_UNAVAILABLE;
}

tsr_status tsr_client_send(tsr_client *c, int session, tsr_method method, const char *path,
                           const void *body, size_t body_len, int max_attempts,
                           tsr_client_cb cb, void *user)
{
    if (!c || !path || path[0] != '/' || !cb || method < TSR_METHOD_GET ||
        method > TSR_METHOD_DELETE || max_attempts < 1 || max_attempts > TSR_CLIENT_ATTEMPTS_MAX ||
        session < 0 || (body_len && !body))
        return TSR_ERR_ARG;
    size_t plen = strlen(path);
    if (plen >= TSR_CLIENT_PATH_MAX)
        return TSR_ERR_ARG;
    if (body_len > TSR_CLIENT_BODY_MAX)
        return TSR_ERR_TOO_LARGE;
    if (c->free_top == 0)
        return TSR_ERR_BUSY;
    int i = c->free_stack[--c->free_top];
    client_slot *sl = &c->slots[i];
    sl->gen++;
    sl->used = true;
    sl->method = (uint8_t)method;
    sl->attempts = 0;
    sl->max_attempts = (uint16_t)max_attempts;
    sl->session = session % c->nsessions;
    sl->last_error = TSR_ERR_TIMEOUT;
    sl->cb = cb;
    sl->user = user;
    sl->prev = sl->next = NO_SLOT;
    sl->block_num = 0;
    sl->block_szx = 0;
    sl->etag_len = 0;
    sl->retried = 0;
    sl->reply_len = 0;
    memcpy(sl->path, path, plen + 1);
    sl->body_len = body_len;
    if (body_len)
        memcpy(sl->body, body, body_len);
    c->open++;
    send_attempt(c, i, tsr_clock_mono_ns(c->clock));
    return TSR_OK;
}

/* ---- receiving ------------------------------------------------------------ */

tsr_status tsr_client_error_of(const uint8_t *body, size_t len, int code, char *msg,
                               size_t msg_cap)
{
    tsr_status st = TSR_ERR_INTERNAL;
    if (msg && msg_cap)
        snprintf(msg, msg_cap, "the node answered %d.%02d", code / 100, code % 100);
    json_t *j = body && len ? json_loadb((const char *)body, len, 0, NULL) : NULL;
    const char *name = j ? json_string_value(json_object_get(j, "error")) : NULL;
    const char *text = j ? json_string_value(json_object_get(j, "message")) : NULL;
    tsr_status found;
    if (name && tsr_status_from_name(name, &found) == TSR_OK)
        st = found;
    if (text && msg && msg_cap)
        snprintf(msg, msg_cap, "%s", text);
    json_decref(j);
    return st;
}

static int64_t max_age_of(const coap_pdu_t *pdu)
{
    coap_opt_iterator_t it;
    coap_opt_t *o = coap_check_option(pdu, COAP_OPTION_MAXAGE, &it);
    return o ? (int64_t)coap_decode_var_bytes(coap_opt_value(o), coap_opt_length(o)) : -1;
}

static tsr_client *client_of(coap_session_t *s)
{
    return coap_get_app_data(coap_session_get_context(s));
}

/* What one block of a Block2 reply left to do. */
typedef enum block_step { BLOCK_WAIT, BLOCK_LAST, BLOCK_FAILED } block_step;

/* Asks for block num of slot i's reply under a new token (a late copy of
 * the previous block then names no slot); its resends are its own. */
static void ask_block(tsr_client *c, int i, uint32_t num, uint8_t szx)
{
    client_slot *sl = &c->slots[i];
    sl->block_num = num;
    sl->block_szx = szx;
    sl->retried += sl->attempts - 1;
    sl->attempts = 0;
    sl->gen++;
    send_attempt(c, i, tsr_clock_mono_ns(c->clock));
}

/* The ETag of block 0 is kept; a later block with another one belongs to
 * a body that changed in between (a history page): start over. */
static bool etag_matches(client_slot *sl, const coap_pdu_t *rcvd, uint32_t num)
{
    coap_opt_iterator_t it;
    coap_opt_t *o = coap_check_option(rcvd, COAP_OPTION_ETAG, &it);
    size_t len = o ? coap_opt_length(o) : 0;
    if (len > sizeof sl->etag)
        len = sizeof sl->etag;
    if (num == 0) {
        sl->etag_len = (uint8_t)len;
        if (len)
            memcpy(sl->etag, coap_opt_value(o), len);
        return true;
    }
    return len == sl->etag_len && (len == 0 || memcmp(sl->etag, coap_opt_value(o), len) == 0);
}

static bool append_reply(client_slot *sl, const uint8_t *data, size_t len)
{
    if (sl->reply_len + len > sl->reply_cap) {
        size_t cap = sl->reply_cap ? sl->reply_cap * 2 : 4096;
        while (cap < sl->reply_len + len)
            cap *= 2;
        uint8_t *p = realloc(sl->reply, cap);
        if (!p)
            return false;
        sl->reply = p;
        sl->reply_cap = cap;
    }
    if (len)
        memcpy(sl->reply + sl->reply_len, data, len);
    sl->reply_len += len;
    return true;
}

/* One block of a reply that comes block-wise (RFC 7959 Block2). libcoap
 * 4.3.1 cannot do this for us: it drops a block-wise separate response to
 * a CON request (the empty ACK retired the request it would build the
 * transfer on), and that is how the node answers a bet whose receipts
 * outgrow a datagram. So every reply is put together here, the same way. */
static block_step take_block(tsr_client *c, int i, const coap_pdu_t *rcvd, const coap_block_t *b,
                             const uint8_t *data, size_t len)
{
    client_slot *sl = &c->slots[i];
    if (b->num != sl->block_num)
        return BLOCK_WAIT; /* not the block asked for: its own will come */
    if (!etag_matches(sl, rcvd, b->num)) {
        /* each start over spends an attempt, so a body that never holds
         * still ends the request */
        if (++sl->retried + sl->attempts >= sl->max_attempts) {
            complete_failed(c, i, TSR_ERR_UNAVAILABLE);
            return BLOCK_FAILED;
        }
        sl->reply_len = 0;
        ask_block(c, i, 0, 0);
        return BLOCK_WAIT;
    }
    tsr_status st = TSR_OK;
    if (((size_t)b->num << (b->szx + 4)) != sl->reply_len || (b->m && len != (1u << (b->szx + 4))))
        st = TSR_ERR_PROTO; /* a block that does not follow the ones we have */
    else if (sl->reply_len + len > TSR_CLIENT_REPLY_MAX)
        st = TSR_ERR_TOO_LARGE;
    else if (!append_reply(sl, data, len))
        st = TSR_ERR_NOMEM;
    if (st != TSR_OK) {
        complete_failed(c, i, st);
        return BLOCK_FAILED;
    }
    if (!b->m)
        return BLOCK_LAST;
    ask_block(c, i, b->num + 1, (uint8_t)b->szx);
    return BLOCK_WAIT;
}

static coap_response_t on_response(coap_session_t *s, const coap_pdu_t *sent,
                                   const coap_pdu_t *rcvd, const coap_mid_t mid)
{
    (void)sent;
    (void)mid;
    tsr_client *c = client_of(s);
    coap_bin_const_t tok = coap_pdu_get_token(rcvd);
    int i = c ? slot_of_token(c, tok.s, tok.length) : NO_SLOT;
    if (i == NO_SLOT)
        return COAP_RESPONSE_OK; /* a late duplicate of a finished request */
    coap_pdu_code_t pc = coap_pdu_get_code(rcvd);
    tsr_response r = {.code = COAP_RESPONSE_CLASS(pc) * 100 + (pc & 0x1f), .max_age_s = -1};
    size_t len = 0;
    const uint8_t *data = NULL;
    if (!coap_get_data(rcvd, &len, &data))
        len = 0;
    coap_block_t b;
    uint8_t *whole = NULL; /* a reply put together from blocks, freed after */
    if (r.code >= 200 && r.code < 300 && coap_get_block(rcvd, COAP_OPTION_BLOCK2, &b) &&
        (b.m || b.num > 0 || c->slots[i].block_num > 0)) {
        if (take_block(c, i, rcvd, &b, data, len) != BLOCK_LAST)
            return COAP_RESPONSE_OK;
        whole = c->slots[i].reply;
        data = whole;
        len = c->slots[i].reply_len;
        c->slots[i].reply = NULL;
        c->slots[i].reply_cap = 0;
    }
    r.body = len ? data : NULL;
    r.body_len = len;
    if (r.code >= 200 && r.code < 300) {
        r.status = TSR_OK;
    } else {
        char msg[8];
        r.status = tsr_client_error_of(data, len, r.code, msg, sizeof msg);
        r.max_age_s = max_age_of(rcvd);
    }
    complete(c, i, &r);
    free(whole);
    return COAP_RESPONSE_OK;
}

static void on_nack(coap_session_t *s, const coap_pdu_t *sent, const coap_nack_reason_t reason,
                    const coap_mid_t mid)
{
    (void)mid;
    tsr_client *c = client_of(s);
    if (!c || !sent)
        return;
    coap_bin_const_t tok = coap_pdu_get_token(sent);
    int i = slot_of_token(c, tok.s, tok.length);
    if (i == NO_SLOT)
        return;
    client_slot *sl = &c->slots[i];
    if (reason == COAP_NACK_TOO_MANY_RETRIES) {
        /* The node did not ACK within the timeout: the next attempt is due
         * now (or the request is over). */
        sl->last_error = TSR_ERR_TIMEOUT;
        if (sl->attempts < sl->max_attempts)
            send_attempt(c, i, tsr_clock_mono_ns(c->clock));
        else
            complete_failed(c, i, TSR_ERR_TIMEOUT);
        return;
    }
    /* RST, ICMP unreachable, DTLS failure: nothing is listening or the node
     * refused us. Wait out the attempt deadline before trying again, so a
     * node that is down is not hammered. */
    if (reason == COAP_NACK_TLS_FAILED)
        c->dtls_failed = true;
    sl->last_error = TSR_ERR_UNAVAILABLE;
    client_session *cs = coap_session_get_app_data(s);
    if (cs && reason != COAP_NACK_RST)
        cs->dead = true;
}

static int on_event(coap_session_t *s, const coap_event_t ev)
{
    tsr_client *c = client_of(s);
    client_session *cs = coap_session_get_app_data(s);
    if (!c || !cs)
        return 0;
    if (ev == COAP_EVENT_DTLS_ERROR) {
        c->dtls_failed = true;
        cs->dead = true;
    } else if (ev == COAP_EVENT_DTLS_CLOSED || ev == COAP_EVENT_SESSION_FAILED) {
        cs->dead = true;
    } else if (ev == COAP_EVENT_DTLS_CONNECTED) {
        c->dtls_failed = false;
    }
    return 0;
}

/* A DTLS record that fails its MAC is dropped silently (RFC 6347 4.1.2.7),
 * so a wrong PSK shows up as a handshake that never completes, not as an
 * alert. An attempt that timed out on a session still handshaking is how
 * we see it. */
static void note_stalled_handshake(tsr_client *c, const client_slot *sl)
{
    coap_session_t *s = c->sessions[sl->session].s;
    if (c->secure && s && coap_session_get_state(s) != COAP_SESSION_STATE_ESTABLISHED)
        c->dtls_failed = true;
}

/* Resends or fails every attempt whose deadline has passed. */
static void expire(tsr_client *c, int64_t now_ns)
{
    while (c->head != NO_SLOT && c->slots[c->head].deadline_ns <= now_ns) {
        int i = c->head;
        client_slot *sl = &c->slots[i];
        note_stalled_handshake(c, sl);
        if (sl->attempts < sl->max_attempts)
            send_attempt(c, i, now_ns);
        else
            complete_failed(c, i, sl->last_error);
    }
}

tsr_status tsr_client_poll(tsr_client *c, int timeout_ms)
{
    if (!c || timeout_ms < 0)
        return TSR_ERR_ARG;
    int64_t now = tsr_clock_mono_ns(c->clock);
    expire(c, now);
    uint32_t wait = timeout_ms == 0 ? COAP_IO_NO_WAIT : (uint32_t)timeout_ms;
    if (c->head != NO_SLOT && wait != COAP_IO_NO_WAIT) {
        int64_t until = (c->slots[c->head].deadline_ns - now) / TSR_NS_PER_MS + 1;
        if (until < (int64_t)wait)
            wait = (uint32_t)(until > 0 ? until : 1);
    }
    if (coap_io_process(c->ctx, wait) < 0)
        return TSR_ERR_IO;
    expire(c, tsr_clock_mono_ns(c->clock));
    return TSR_OK;
}

size_t tsr_client_pending(const tsr_client *c) { return c ? c->open : 0; }
int tsr_client_sessions(const tsr_client *c) { return c ? c->nsessions : 0; }
const char *tsr_client_uri(const tsr_client *c) { return c ? c->uri : ""; }
bool tsr_client_dtls_failed(const tsr_client *c) { return c && c->dtls_failed; }

/* ---- create, destroy ------------------------------------------------------- */

static tsr_status check_opts(const tsr_client_opts *o, char *err, size_t errlen)
{
    if (!o || !o->uri) {
        fail_text(err, errlen, "%s", "no node URI given");
        return TSR_ERR_ARG;
    }
    if (strlen(o->uri) >= TSR_CLIENT_URI_MAX || o->sessions < 0 ||
        o->sessions > TSR_CLIENT_SESSIONS_MAX || o->max_pending < 0 ||
        o->max_pending > TSR_CLIENT_PENDING_MAX || o->attempt_timeout_ms < 0 ||
        o->attempt_timeout_ms > 600000) {
        fail_text(err, errlen, "%s", "client options out of range");
        return TSR_ERR_ARG;
    }
    return TSR_OK;
}

static tsr_status alloc_pools(tsr_client *c)
{
    c->slots = calloc((size_t)c->max_pending, sizeof *c->slots);
    c->free_stack = calloc((size_t)c->max_pending, sizeof *c->free_stack);
    c->sessions = calloc((size_t)c->nsessions, sizeof *c->sessions);
    if (!c->slots || !c->free_stack || !c->sessions)
        return TSR_ERR_NOMEM;
    for (int i = c->max_pending - 1; i >= 0; i--) {
        c->slots[i].prev = c->slots[i].next = NO_SLOT;
        c->free_stack[c->free_top++] = i;
    }
    c->head = c->tail = NO_SLOT;
    return TSR_OK;
}

/* libcoap logs every ICMP refusal and DTLS alert at WARN/CRIT on stderr,
 * which would garble a terminal's screen: we report those ourselves.
 * TSR_COAP_LOG=<0..7> (syslog levels) turns its log back on for debugging. */
static void quiet_libcoap(void)
{
    const char *lv = getenv("TSR_COAP_LOG");
    int level = lv ? atoi(lv) : LOG_EMERG;
    coap_set_log_level((coap_log_t)level);
    coap_dtls_set_log_level(level);
}

static tsr_status open_context(tsr_client *c, char *err, size_t errlen)
{
    coap_startup();
    quiet_libcoap();
    c->ctx = coap_new_context(NULL);
    if (!c->ctx) {
        fail_text(err, errlen, "%s", "libcoap could not create a context");
        return TSR_ERR_UNAVAILABLE;
    }
    coap_set_app_data(c->ctx, c);
    /* No COAP_BLOCK_USE_LIBCOAP: replies that come block-wise are put
     * together by take_block (see there why). */
    coap_register_response_handler(c->ctx, on_response);
    coap_register_nack_handler(c->ctx, on_nack);
    coap_register_event_handler(c->ctx, on_event);
    for (int i = 0; i < c->nsessions; i++) {
        if (!session_for(c, i)) {
            fail_text(err, errlen, "libcoap could not open a session to %s", c->uri);
            return TSR_ERR_UNAVAILABLE;
        }
    }
    return TSR_OK;
}

tsr_status tsr_client_create(tsr_client **out, const tsr_client_opts *o, char *err, size_t errlen)
{
    if (!out)
        return TSR_ERR_ARG;
    *out = NULL;
    tsr_status st = check_opts(o, err, errlen);
    if (st != TSR_OK)
        return st;
    char host[TSR_CLIENT_URI_MAX];
    int port;
    bool secure;
    if (tsr_client_parse_uri(o->uri, host, sizeof host, &port, &secure) != TSR_OK) {
        fail_text(err, errlen, "bad node URI '%s' (want coap://host:port or coaps://host:port)",
                  o->uri);
        return TSR_ERR_ARG;
    }
    if (secure && !o->psk) {
        fail_text(err, errlen, "%s", "coaps:// needs the terminal's PSK file");
        return TSR_ERR_ARG;
    }
    tsr_client *c = calloc(1, sizeof *c);
    if (!c)
        return TSR_ERR_NOMEM;
    c->head = c->tail = NO_SLOT;
    snprintf(c->uri, sizeof c->uri, "%s", o->uri);
    c->secure = secure;
    c->confirmable = o->confirmable;
    if (secure)
        c->psk = *o->psk;
    c->clock = o->clock;
    c->attempt_timeout_ns =
        (o->attempt_timeout_ms ? o->attempt_timeout_ms : DEFAULT_ATTEMPT_TIMEOUT_MS) * TSR_NS_PER_MS;
    c->nsessions = o->sessions ? o->sessions : 1;
    c->max_pending = o->max_pending ? o->max_pending : DEFAULT_MAX_PENDING;
    st = resolve(c, host, port, o->loopback_only, err, errlen);
    if (st == TSR_OK)
        st = alloc_pools(c);
    if (st == TSR_OK)
        st = open_context(c, err, errlen);
    if (st != TSR_OK) {
        tsr_client_destroy(c);
        return st;
    }
    *out = c;
    return TSR_OK;
}

void tsr_client_destroy(tsr_client *c)
{
    if (!c)
        return;
    while (c->head != NO_SLOT)
        complete_failed(c, c->head, TSR_ERR_UNAVAILABLE);
    if (c->ctx) {
        for (int i = 0; i < c->nsessions && c->sessions; i++)
            if (c->sessions[i].s)
                coap_session_set_app_data(c->sessions[i].s, NULL);
        coap_free_context(c->ctx); /* releases the sessions */
    }
    tsr_wipe(&c->psk, sizeof c->psk);
    free(c->sessions);
    free(c->slots);
    free(c->free_stack);
    free(c);
}

/* ---- synchronous call ------------------------------------------------------ */

typedef struct call_state {
    bool done;
    tsr_reply *out;
    tsr_status transport;
} call_state;

static void call_done(void *user, const tsr_response *r)
{
    call_state *cs = user;
    tsr_reply *out = cs->out;
    cs->done = true;
    out->code = r->code;
    out->status = r->status;
    out->attempts = r->attempts;
    if (r->code == 0) {
        cs->transport = r->status;
        snprintf(out->message, sizeof out->message, "%s", tsr_status_str(r->status));
        return;
    }
    cs->transport = TSR_OK;
    if (r->status != TSR_OK) {
        (void)tsr_client_error_of(r->body, r->body_len, r->code, out->message,
                                  sizeof out->message);
    }
    if (r->body_len) {
        out->body = json_loadb((const char *)r->body, r->body_len, 0, NULL);
        if (!out->body && r->status == TSR_OK)
            cs->transport = TSR_ERR_JSON;
    }
}

tsr_status tsr_client_call(tsr_client *c, tsr_method method, const char *path,
                           const json_t *body, int64_t total_ms, tsr_reply *out)
{
    if (!out)
        return TSR_ERR_ARG;
    memset(out, 0, sizeof *out);
    out->status = TSR_ERR_TIMEOUT;
    if (!c || total_ms <= 0)
        return TSR_ERR_ARG;
    char buf[TSR_CLIENT_BODY_MAX + 1];
    size_t len = 0;
    if (body) {
        len = json_dumpb(body, buf, sizeof buf, JSON_COMPACT);
        if (len == 0 || len > TSR_CLIENT_BODY_MAX)
            return TSR_ERR_TOO_LARGE;
    }
    int64_t per = c->attempt_timeout_ns / TSR_NS_PER_MS;
    int64_t attempts = total_ms / per;
    if (attempts < 1)
        attempts = 1;
    if (attempts > TSR_CLIENT_ATTEMPTS_MAX)
        attempts = TSR_CLIENT_ATTEMPTS_MAX;
    call_state cs = {.done = false, .out = out, .transport = TSR_ERR_TIMEOUT};
    tsr_status st = tsr_client_send(c, 0, method, path, len ? buf : NULL, len, (int)attempts,
                                    call_done, &cs);
    if (st != TSR_OK)
        return st;
    /* cs lives on this stack until the callback ran: keep polling even if
     * one poll fails; the attempt deadlines end the request in bounded time. */
    while (!cs.done) {
        if (tsr_client_poll(c, 100) != TSR_OK)
            continue;
    }
    return cs.transport;
}

void tsr_reply_clear(tsr_reply *r)
{
    if (!r)
        return;
    json_decref(r->body);
    memset(r, 0, sizeof *r);
}

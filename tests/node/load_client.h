/*
 * A bet load client on libcoap (header-only, used by the crash test and
 * bench/node.c): keeps `window` bets in flight on one session (plain UDP
 * or DTLS-PSK), each with its own idempotency key, and records every reply
 * with its latency and, for accepted bets, the ticket ids of the receipt.
 */
#ifndef TSR_LOAD_CLIENT_H
#define TSR_LOAD_CLIENT_H

#include <arpa/inet.h>
#include <coap3/coap.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tessera/udpbuf.h"

typedef struct lc_opts {
    int port;
    bool dtls;
    const char *identity;       /* terminal id (PSK identity / terminal= query) */
    const uint8_t *psk;         /* 32 bytes when dtls */
    size_t window;              /* requests in flight */
    uint64_t max_requests;      /* stop after sending this many */
    int64_t duration_ms;        /* or after this long */
    const char *key_prefix;     /* idempotency keys: <prefix>-<n> */
    uint64_t first_key;         /* n of the first request */
    bool con;                   /* CON (retransmitted) or NON */
    double rate;                /* open loop: requests per second, each sent
                                   at its scheduled time and its latency
                                   counted from that time (0: closed loop,
                                   `window` in flight) */
} lc_opts;

typedef struct lc_req {
    int64_t sent_ns;            /* closed loop: sent; open loop: scheduled */
    int code;                   /* 0 = no reply yet */
    char ticket[33];            /* first ticket id of an accepted bet */
} lc_req;

typedef struct lc_state {
    lc_opts o;
    lc_req *reqs;               /* max_requests slots */
    uint64_t sent, replied, ok, busy, other;
    size_t in_flight;
    int64_t *lat_ns;            /* latencies of accepted bets */
    uint64_t n_lat;
    int64_t start_ns;           /* open loop: the schedule's origin */
    int64_t max_lag_ns;         /* open loop: latest send behind schedule */
    uint64_t window_full;       /* open loop: sends delayed by the window cap */
} lc_state;

static lc_state *lc_cur_;

static inline int64_t lc_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The first receipt's ticket id, found by its key rather than by parsing
 * the ~900-byte reply (the client's CPU is taken from the node's two
 * cores in the benchmark). */
static inline void lc_receipt(lc_req *r, const uint8_t *data, size_t len)
{
    static const char key[] = "\"ticket_id\":\"";
    const size_t klen = sizeof key - 1, idlen = sizeof r->ticket - 1;
    for (size_t i = 0; i + klen + idlen < len; i++) {
        if (memcmp(data + i, key, klen) == 0) {
            if (data[i + klen + idlen] == '"') {
                memcpy(r->ticket, data + i + klen, idlen);
                r->ticket[idlen] = '\0';
            }
            return;
        }
    }
}

static inline coap_response_t lc_on_response(coap_session_t *s, const coap_pdu_t *sent,
                                             const coap_pdu_t *rcvd, const coap_mid_t mid)
{
    (void)s;
    (void)sent;
    (void)mid;
    lc_state *st = lc_cur_;
    coap_bin_const_t tok = coap_pdu_get_token(rcvd);
    uint64_t n = 0;
    if (tok.length != 8)
        return COAP_RESPONSE_OK;
    memcpy(&n, tok.s, 8);
    if (n >= st->sent || st->reqs[n].code)
        return COAP_RESPONSE_OK;
    coap_pdu_code_t c = coap_pdu_get_code(rcvd);
    lc_req *r = &st->reqs[n];
    r->code = COAP_RESPONSE_CLASS(c) * 100 + (c & 0x1f);
    st->replied++;
    st->in_flight--;
    if (r->code == 201) {
        size_t len;
        const uint8_t *data;
        if (coap_get_data(rcvd, &len, &data))
            lc_receipt(r, data, len);
        st->ok++;
        st->lat_ns[st->n_lat++] = lc_now_ns() - r->sent_ns;
    } else if (r->code == 503) {
        st->busy++;
    } else {
        st->other++;
    }
    return COAP_RESPONSE_OK;
}

static inline bool lc_send(lc_state *st, coap_session_t *sess)
{
    uint64_t n = st->sent;
    coap_pdu_t *pdu = coap_new_pdu(st->o.con ? COAP_MESSAGE_CON : COAP_MESSAGE_NON,
                                   COAP_REQUEST_CODE_POST, sess);
    if (!pdu)
        return false;
    coap_add_token(pdu, 8, (const uint8_t *)&n);
    coap_add_option(pdu, COAP_OPTION_URI_PATH, 2, (const uint8_t *)"v1");
    coap_add_option(pdu, COAP_OPTION_URI_PATH, 4, (const uint8_t *)"bets");
    char q[64];
    if (!st->o.dtls) {
        snprintf(q, sizeof q, "terminal=%s", st->o.identity);
        coap_add_option(pdu, COAP_OPTION_URI_QUERY, strlen(q), (const uint8_t *)q);
    }
    char body[256];
    int len = snprintf(body, sizeof body,
                       "{\"game\":\"pick3\",\"bet\":{\"type\":\"straight\",\"quick_pick\":true,"
                       "\"stake\":\"0.50\"},\"idempotency_key\":\"%s-%llu\"}",
                       st->o.key_prefix, (unsigned long long)(st->o.first_key + n));
    coap_add_data(pdu, (size_t)len, (const uint8_t *)body);
    int64_t now = lc_now_ns();
    st->reqs[n].sent_ns = now;
    if (st->o.rate > 0) {
        int64_t due = st->start_ns + (int64_t)((double)n * 1e9 / st->o.rate);
        st->reqs[n].sent_ns = due;
        if (now - due > st->max_lag_ns)
            st->max_lag_ns = now - due;
    }
    st->sent++;
    st->in_flight++;
    return coap_send(sess, pdu) != COAP_INVALID_MID;
}

/* Closed loop: always; open loop: once the next request's time came. */
static inline bool lc_due(const lc_state *st)
{
    if (st->o.rate <= 0)
        return true;
    return lc_now_ns() >= st->start_ns + (int64_t)((double)st->sent * 1e9 / st->o.rate);
}

static inline coap_session_t *lc_session(coap_context_t *ctx, const lc_opts *o)
{
    coap_address_t a;
    coap_address_init(&a);
    a.addr.sin.sin_family = AF_INET;
    a.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.addr.sin.sin_port = htons((uint16_t)o->port);
    a.size = sizeof a.addr.sin;
    if (!o->dtls)
        return coap_new_client_session(ctx, NULL, &a, COAP_PROTO_UDP);
    coap_dtls_cpsk_t c;
    memset(&c, 0, sizeof c);
    c.version = COAP_DTLS_CPSK_SETUP_VERSION;
    c.psk_info.identity.s = (const uint8_t *)o->identity;
    c.psk_info.identity.length = strlen(o->identity);
    c.psk_info.key.s = o->psk;
    c.psk_info.key.length = 32;
    return coap_new_client_session_psk2(ctx, NULL, &a, COAP_PROTO_DTLS, &c);
}

/* Runs until max_requests were sent and answered (or the duration passed,
 * or, with stop_after_ms > 0, until that many ms: the crash test kills the
 * node meanwhile). Returns false when the session could not be made. */
static inline bool lc_run(lc_state *st, const lc_opts *o)
{
    memset(st, 0, sizeof *st);
    st->o = *o;
    st->reqs = calloc(o->max_requests, sizeof *st->reqs);
    st->lat_ns = calloc(o->max_requests, sizeof *st->lat_ns);
    lc_cur_ = st;
    coap_context_t *ctx = coap_new_context(NULL);
    coap_session_t *sess = ctx ? lc_session(ctx, o) : NULL;
    if (!sess || !st->reqs || !st->lat_ns) {
        coap_free_context(ctx);
        return false;
    }
    /* replies come in bursts: the default buffer dropped a third of them,
     * and a NON request whose reply is lost stays in flight for good */
    tsr_udp_grow_rcvbuf(htonl(INADDR_LOOPBACK), htons((uint16_t)o->port), TSR_UDP_CLIENT_RCVBUF);
    coap_session_set_max_retransmit(sess, 2);
    coap_register_response_handler(ctx, lc_on_response);
    int64_t start = lc_now_ns(), end = start + o->duration_ms * 1000000;
    int64_t quiet_since = 0;
    st->start_ns = start;
    while (lc_now_ns() < end) {
        while (st->in_flight < o->window && st->sent < o->max_requests && lc_due(st) &&
               lc_send(st, sess))
            ;
        if (o->rate > 0 && st->in_flight >= o->window && lc_due(st))
            st->window_full++;
        uint64_t before = st->replied;
        coap_io_process(ctx, 1); /* open loop: sends come in 1 ms bursts */
        if (st->sent == o->max_requests && st->in_flight == 0)
            break;
        /* replies that will never come (the node died): give up on them
         * after a quiet second so the caller can decide */
        if (st->replied != before)
            quiet_since = 0;
        else if (!quiet_since)
            quiet_since = lc_now_ns();
        else if (lc_now_ns() - quiet_since > 1000000000)
            break;
    }
    coap_session_release(sess);
    coap_free_context(ctx);
    return true;
}

static inline int lc_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The p-th percentile (0..100) of the accepted bets' latency, in ms. */
static inline double lc_percentile_ms(lc_state *st, double p)
{
    if (!st->n_lat)
        return 0;
    qsort(st->lat_ns, st->n_lat, sizeof *st->lat_ns, lc_cmp_i64);
    size_t i = (size_t)(p / 100.0 * (double)(st->n_lat - 1) + 0.5);
    return (double)st->lat_ns[i] / 1e6;
}

static inline void lc_free(lc_state *st)
{
    free(st->reqs);
    free(st->lat_ns);
    st->reqs = NULL;
    st->lat_ns = NULL;
}

#endif

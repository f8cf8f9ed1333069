/*
 * The sandbox payment provider: completes every payment at once by calling
 * the node back over plain CoAP on loopback, signed like a real provider.
 *
 * It speaks CoAP itself (RFC 7252: a CON POST and its piggy-backed or
 * separate response) over one UDP socket of its own thread instead of
 * using libcoap, because libcoap must only ever run on the node's CoAP
 * thread.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "psp.h"

/* A datagram of the callback: the body is under 256 bytes, the options
 * under 100. */
#define PKT_MAX 1024
/* Tries of one callback, and how long each waits for the answer: the node
 * answers after a group commit, milliseconds on a healthy node. */
#define SEND_TRIES 5
#define WAIT_MS 2000

typedef struct sandbox {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool stop;
    tsr_psp_start queue[TSR_PSP_SANDBOX_QUEUE_MAX];
    size_t head, count;
    uint16_t port, msg_id;
    uint8_t key[TSR_PSP_KEY_LEN];
    tsr_cents fail_above;
    tsr_log *log;
    int fd;
} sandbox;

static size_t put_option(uint8_t *p, unsigned delta, const void *val, size_t len)
{
    size_t n = 1;
    uint8_t d = delta < 13 ? (uint8_t)delta : 13, l = len < 13 ? (uint8_t)len : 13;
    p[0] = (uint8_t)(d << 4 | l);
    if (d == 13)
        p[n++] = (uint8_t)(delta - 13);
    if (l == 13)
        p[n++] = (uint8_t)(len - 13);
    memcpy(p + n, val, len);
    return n + len;
}

/* Builds the CON POST /v1/psp/events?sig=... with the body. */
static size_t build(sandbox *s, uint8_t *p, const char *body, const char *sig, uint16_t mid,
                    const uint8_t token[4])
{
    char query[8 + TSR_PSP_SIG_HEX_SIZE];
    size_t n = 0, blen = strlen(body);
    uint8_t cf = 50; /* application/json */
    p[n++] = 0x44;   /* version 1, CON, token length 4 */
    p[n++] = 0x02;   /* POST */
    p[n++] = (uint8_t)(mid >> 8);
    p[n++] = (uint8_t)mid;
    memcpy(p + n, token, 4);
    n += 4;
    n += put_option(p + n, 11, "v1", 2); /* Uri-Path */
    n += put_option(p + n, 0, "psp", 3);
    n += put_option(p + n, 0, "events", 6);
    n += put_option(p + n, 1, &cf, 1);   /* Content-Format (12) */
    snprintf(query, sizeof query, "sig=%s", sig);
    n += put_option(p + n, 3, query, strlen(query)); /* Uri-Query (15) */
    p[n++] = 0xff;
    memcpy(p + n, body, blen);
    (void)s;
    return n + blen;
}

/* Waits for the answer carrying our token; ACKs a separate CON response.
 * Returns the CoAP code (e.g. 0x45 = 2.05) or 0 on timeout. */
static int await(sandbox *s, const struct sockaddr_in *to, const uint8_t token[4])
{
    uint8_t in[PKT_MAX];
    struct pollfd pfd = {s->fd, POLLIN, 0};
    while (poll(&pfd, 1, WAIT_MS) > 0) {
        ssize_t r = recv(s->fd, in, sizeof in, 0);
        if (r < 4 || (in[0] & 0x0f) != 4 || memcmp(in + 4, token, 4) != 0) {
            if (r >= 4 && (in[0] >> 4 & 3) == 2 && in[1] == 0)
                continue; /* the empty ACK of a separate response */
            continue;
        }
        if ((in[0] >> 4 & 3) == 0) { /* CON separate response: ACK it */
            uint8_t ack[4] = {0x60, 0x00, in[2], in[3]};
            sendto(s->fd, ack, sizeof ack, 0, (const struct sockaddr *)to, sizeof *to);
        }
        if (in[1] != 0)
            return in[1];
    }
    return 0;
}

static void deliver(sandbox *s, const tsr_psp_start *req)
{
    char txn[40], sig[TSR_PSP_SIG_HEX_SIZE];
    uint8_t pkt[PKT_MAX], token[4];
    snprintf(txn, sizeof txn, "sbx-%s-%lld", req->withdrawal ? "w" : "d", (long long)req->request_id);
    bool ok = s->fail_above <= 0 || req->amount <= s->fail_above;
    json_t *o = json_pack("{s:s, s:I, s:s, s:I, s:s}", "provider_txn", txn, "request_id",
                          (json_int_t)req->request_id, "kind", req->withdrawal ? "withdrawal" : "deposit",
                          "amount", (json_int_t)req->amount, "status", ok ? "completed" : "failed");
    char *body = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    if (!body)
        return;
    tsr_psp_sign(s->key, body, strlen(body), sig);
    uint16_t mid = ++s->msg_id;
    memcpy(token, &mid, 2);
    memcpy(token + 2, &req->request_id, 2);
    size_t n = build(s, pkt, body, sig, mid, token);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(s->port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int code = 0;
    for (int i = 0; i < SEND_TRIES && code == 0; i++) {
        sendto(s->fd, pkt, n, 0, (const struct sockaddr *)&to, sizeof to);
        code = await(s, &to, token);
    }
    tsr_log_info(s->log, "psp_sandbox_callback", "txn=%s code=%d.%02d", txn, code >> 5, code & 31);
    free(body);
}

static void *run(void *arg)
{
    sandbox *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->stop && s->count == 0)
            pthread_cond_wait(&s->cv, &s->mu);
        if (s->stop)
            break;
        tsr_psp_start req = s->queue[s->head];
        s->head = (s->head + 1) % TSR_PSP_SANDBOX_QUEUE_MAX;
        s->count--;
        pthread_mutex_unlock(&s->mu);
        deliver(s, &req);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static tsr_status start(void *ctx, const tsr_psp_start *req)
{
    sandbox *s = ctx;
    tsr_status st = TSR_OK;
    pthread_mutex_lock(&s->mu);
    if (s->count == TSR_PSP_SANDBOX_QUEUE_MAX)
        st = TSR_ERR_BUSY;
    else
        s->queue[(s->head + s->count++) % TSR_PSP_SANDBOX_QUEUE_MAX] = *req;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return st;
}

static void destroy(void *ctx)
{
    sandbox *s = ctx;
    pthread_mutex_lock(&s->mu);
    s->stop = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    close(s->fd);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

tsr_status tsr_psp_sandbox_create(tsr_psp **out, uint16_t port, const uint8_t key[TSR_PSP_KEY_LEN],
                                  tsr_cents fail_above, tsr_log *log)
{
    tsr_psp *p = calloc(1, sizeof *p);
    sandbox *s = calloc(1, sizeof *s);
    if (!p || !s || port == 0) {
        free(p);
        free(s);
        return port == 0 ? TSR_ERR_ARG : TSR_ERR_NOMEM;
    }
    s->port = port;
    memcpy(s->key, key, TSR_PSP_KEY_LEN);
    s->fail_above = fail_above;
    s->log = log;
    s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (s->fd < 0 || pthread_create(&s->thread, NULL, run, s) != 0) {
        if (s->fd >= 0)
            close(s->fd);
        free(p);
        free(s);
        return TSR_ERR_IO;
    }
    *p = (tsr_psp){"sandbox", s, start, destroy};
    *out = p;
    return TSR_OK;
}

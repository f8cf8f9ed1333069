/*
 * A node with the accounts module running in this process on a loopback
 * port, and a small CoAP client of our own (RFC 7252 CON requests, with
 * piggy-backed or separate responses) so the tests drive the real server
 * over UDP without sharing libcoap with the node's thread.
 */
#ifndef TSR_TEST_PLAYERS_COAP_H
#define TSR_TEST_PLAYERS_COAP_H

#include <arpa/inet.h>
#include <check.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../node/src/config.h"
#include "../../node/src/players_api.h"
#include "tessera/keys.h"
#include "tessera/node.h"
#include "tsr_test.h"

#define NX_NOW (INT64_C(1768478400) * TSR_NS_PER_S) /* 2026-01-15T12:00:00Z */
#define NX_SEED UINT64_C(4242)
#define NX_PSP_KEY_HEX "3031323334353637383961626364656630313233343536373839616263646566"
#define NX_BODY_MAX 16384

typedef struct nx {
    char dir[200], db[300];
    tsr_node_config cfg;
    tsr_clock *clock;
    tsr_rng *rng;
    tsr_log *log;
    tsr_env env;
    tsr_node_module mods[1];
    tsr_node *node;
    int port, fd;
    uint16_t mid;
} nx;

typedef struct nx_reply {
    int code; /* 205 for 2.05 */
    char body[NX_BODY_MAX];
    json_t *json; /* owned: parsed body or NULL */
} nx_reply;

static inline void nx_keys(nx *x)
{
    tsr_keypair kp, auth;
    uint8_t seed[TSR_SEED_LEN] = {1};
    tsr_psk psk = {"T1", {7}}, psk2 = {"T2", {8}};
    tsr_psk table[2] = {psk, psk2};
    tsr_keypair_from_seed(&kp, seed);
    seed[0] = 2;
    tsr_keypair_from_seed(&auth, seed);
    snprintf(x->cfg.node_key, sizeof x->cfg.node_key, "%s/node.key", x->dir);
    snprintf(x->cfg.draw_authority_key, sizeof x->cfg.draw_authority_key, "%s/auth.pub", x->dir);
    snprintf(x->cfg.psk_table, sizeof x->cfg.psk_table, "%s/psk.table", x->dir);
    ck_assert_int_eq(tsr_key_write_secret(x->cfg.node_key, &kp), TSR_OK);
    ck_assert_int_eq(tsr_key_write_public(x->cfg.draw_authority_key, auth.pk), TSR_OK);
    ck_assert_int_eq(tsr_psk_table_write(x->cfg.psk_table, table, 2), TSR_OK);
}

/* Starts a node with payment provider `provider` in dir (NULL: a new temp
 * dir). */
static inline void nx_start_in(nx *x, const char *provider, const char *dir)
{
    char err[256] = "", keep[sizeof x->dir] = "";
    if (dir)
        snprintf(keep, sizeof keep, "%s", dir); /* dir may point into *x */
    memset(x, 0, sizeof *x);
    if (dir)
        snprintf(x->dir, sizeof x->dir, "%s", keep);
    else
        tsr_test_tmpdir("acctcoap", x->dir, sizeof x->dir);
    tsr_node_config_defaults(&x->cfg);
    snprintf(x->cfg.node_id, sizeof x->cfg.node_id, "n1");
    snprintf(x->cfg.db_path, sizeof x->cfg.db_path, "%s/node.db", x->dir);
    snprintf(x->db, sizeof x->db, "%s", x->cfg.db_path);
    nx_keys(x);
    x->cfg.allow_plain_coap = true;
    x->cfg.coap_port = 0;
    x->cfg.coaps_port = 0;
    x->cfg.accounts = json_pack("{s:i, s:i, s:s, s:i, s:i, s:s}", "pwhash_ops", 1,
                                "pwhash_mem_kib", 64, "psp_secret", NX_PSP_KEY_HEX,
                                "session_idle_s", 600, "limit_raise_delay_s", 3600,
                                "psp_provider", provider);
    ck_assert_msg(tsr_node_config_check(&x->cfg, err, sizeof err) == TSR_OK, "config: %s", err);
    ck_assert_int_eq(tsr_clock_test_create(&x->clock, NX_NOW), TSR_OK);
    fprintf(stderr, "node test: rng seed %llu\n", (unsigned long long)NX_SEED);
    ck_assert_int_eq(tsr_rng_seeded_create(&x->rng, NX_SEED), TSR_OK);
    ck_assert_int_eq(tsr_log_create(&x->log, stderr, x->clock, "node", TSR_LOG_WARN), TSR_OK);
    x->env = (tsr_env){x->clock, x->rng, x->log};
    x->mods[0] = tsr_accounts_module;
    tsr_node_opts o = {.config = &x->cfg, .env = &x->env, .modules = x->mods, .n_modules = 1};
    ck_assert_int_eq(tsr_node_start(&x->node, &o), TSR_OK);
    x->port = tsr_node_port(x->node, false);
    ck_assert_int_gt(x->port, 0);
    x->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(x->fd, 0);
}

static inline void nx_start_with(nx *x, const char *provider) { nx_start_in(x, provider, NULL); }

static inline void nx_start(nx *x) { nx_start_in(x, "sandbox", NULL); }

static inline void nx_stop(nx *x)
{
    close(x->fd);
    tsr_node_stop(x->node);
    tsr_node_config_free(&x->cfg);
    tsr_log_destroy(x->log);
    tsr_rng_destroy(x->rng);
    tsr_clock_destroy(x->clock);
    tsr_test_rmtree(x->dir);
}

static inline size_t nx_opt(uint8_t *p, unsigned *last, unsigned num, const void *v, size_t len)
{
    size_t n = 1;
    unsigned delta = num - *last;
    *last = num;
    uint8_t d = delta < 13 ? (uint8_t)delta : delta < 269 ? 13 : 14;
    uint8_t l = len < 13 ? (uint8_t)len : len < 269 ? 13 : 14;
    p[0] = (uint8_t)(d << 4 | l);
    if (d == 13)
        p[n++] = (uint8_t)(delta - 13);
    if (l == 13)
        p[n++] = (uint8_t)(len - 13);
    if (l == 14) {
        p[n++] = (uint8_t)((len - 269) >> 8);
        p[n++] = (uint8_t)(len - 269);
    }
    memcpy(p + n, v, len);
    return n + len;
}

/* Splits s on sep and writes each piece as option num. */
static inline size_t nx_opts(uint8_t *p, unsigned *last, unsigned num, const char *s, char sep)
{
    size_t n = 0;
    while (s && *s) {
        const char *e = strchr(s, sep);
        size_t len = e ? (size_t)(e - s) : strlen(s);
        n += nx_opt(p + n, last, num, s, len);
        s = e ? e + 1 : NULL;
    }
    return n;
}

/* The payload of a received message, after its options. */
static inline void nx_payload(const uint8_t *in, size_t len, nx_reply *r)
{
    size_t i = 4 + (in[0] & 0x0f);
    while (i < len && in[i] != 0xff) {
        unsigned d = in[i] >> 4, l = in[i] & 0x0f;
        i++;
        if (d == 13) i += 1;
        if (d == 14) i += 2;
        if (l == 13) l = 13 + in[i++];
        else if (l == 14) { l = 269 + (in[i] << 8 | in[i + 1]); i += 2; }
        i += l;
    }
    size_t plen = i < len ? len - i - 1 : 0;
    if (plen >= sizeof r->body)
        plen = sizeof r->body - 1;
    memcpy(r->body, in + i + 1, plen);
    r->body[plen] = '\0';
    r->json = plen ? json_loads(r->body, 0, NULL) : NULL;
}

/* Sends one CON request; method 1 GET, 2 POST, 3 PUT, 4 DELETE. query is
 * "a=b&c=d" or NULL. Returns the response code as class*100+detail. */
static inline int nx_req_raw(nx *x, int method, const char *path, const char *query,
                             const void *body, size_t blen, nx_reply *r)
{
    static uint8_t out[NX_BODY_MAX + 1024];
    uint8_t in[NX_BODY_MAX + 512], token[4];
    unsigned last = 0;
    uint16_t mid = ++x->mid;
    memcpy(token, &mid, 2);
    token[2] = 0xab, token[3] = 0xcd;
    size_t n = 0;
    out[n++] = 0x44, out[n++] = (uint8_t)method, out[n++] = (uint8_t)(mid >> 8), out[n++] = (uint8_t)mid;
    memcpy(out + n, token, 4);
    n += 4;
    n += nx_opts(out + n, &last, 11, path + 1, '/');
    uint8_t cf = 50;
    if (blen)
        n += nx_opt(out + n, &last, 12, &cf, 1);
    n += nx_opts(out + n, &last, 15, query, '&');
    if (blen) {
        out[n++] = 0xff;
        memcpy(out + n, body, blen);
        n += blen;
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)x->port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    memset(r, 0, sizeof *r);
    ck_assert_int_eq(sendto(x->fd, out, n, 0, (struct sockaddr *)&to, sizeof to), (ssize_t)n);
    struct pollfd pfd = {x->fd, POLLIN, 0};
    while (poll(&pfd, 1, 10000) > 0) {
        ssize_t got = recv(x->fd, in, sizeof in, 0);
        if (got < 4 || (in[0] & 0x0f) != 4 || memcmp(in + 4, token, 4) != 0)
            continue; /* an empty ACK (separate response follows) or stale */
        if ((in[0] >> 4 & 3) == 0) {
            uint8_t ack[4] = {0x60, 0, in[2], in[3]};
            sendto(x->fd, ack, 4, 0, (struct sockaddr *)&to, sizeof to);
        }
        if (in[1] == 0)
            continue;
        r->code = (in[1] >> 5) * 100 + (in[1] & 31);
        nx_payload(in, (size_t)got, r);
        return r->code;
    }
    ck_abort_msg("no CoAP response to %s", path);
    return 0;
}

static inline int nx_req(nx *x, int method, const char *path, const char *query, const char *json,
                         nx_reply *r)
{
    return nx_req_raw(x, method, path, query, json, json ? strlen(json) : 0, r);
}

static inline void nx_free(nx_reply *r)
{
    json_decref(r->json);
    r->json = NULL;
}

/* Asserts a CoAP code and, for errors, the error name. Frees the reply. */
static inline void nx_expect(nx *x, int method, const char *path, const char *query,
                             const char *json, int code, const char *error)
{
    nx_reply r;
    nx_req(x, method, path, query, json, &r);
    ck_assert_msg(r.code == code, "%s %s: code %d, wanted %d: %s", path, json ? json : "",
                  r.code, code, r.body);
    if (error) {
        const char *e = json_string_value(json_object_get(r.json, "error"));
        ck_assert_msg(e && strcmp(e, error) == 0, "%s %s: error %s, wanted %s", path,
                      json ? json : "", e ? e : "(none)", error);
    }
    nx_free(&r);
}

#endif

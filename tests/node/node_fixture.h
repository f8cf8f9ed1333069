/*
 * Test fixture for the node core suites: a node running in a thread of the
 * test process on 127.0.0.1 (plain CoAP, free port), with a test clock the
 * test moves, a seeded RNG, fresh keys and PSK table in a temp dir, the
 * preset catalogue, and a small in-test wallet behind the wallet hooks.
 * Plus a synchronous libcoap client that speaks real UDP to it.
 *
 * Header-only (static inline) because each tests/node/test_*.c is its own
 * executable; functions a suite does not use cost nothing.
 */
#ifndef TSR_NODE_FIXTURE_H
#define TSR_NODE_FIXTURE_H

#include <check.h>
#include <coap3/coap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../node/src/config.h"
#include "../../node/src/daemon.h"
#include "../../node/src/server.h"
#include "tessera/keys.h"
#include "tessera/node.h"
#include "tessera/token.h"
#include "tsr_test.h"

/* 2026-11-25 12:00:00 UTC, a Wednesday: lotto649 and pick3 draw days. */
#define FX_T0_NS (INT64_C(1795608000) * TSR_NS_PER_S)
#define FX_SEED 20261125u
#define FX_TIMEOUT_MS 5000

typedef struct fx_wallet {
    int64_t charges, refunds;
    tsr_cents charged, refunded;
    tsr_status fail_with; /* TSR_OK: accept */
} fx_wallet;

typedef struct fx {
    char dir[128];
    tsr_node_config cfg;
    tsr_env env;
    tsr_clock *clock;
    tsr_rng *rng;
    tsr_log *log;
    tsr_keypair node_kp, authority_kp, other_kp;
    tsr_catalog *cat;
    tsr_node *node;
    int port;
    fx_wallet wallet;
    tsr_node_module extra[2];
    size_t n_extra;
    /* client */
    coap_context_t *cctx;
    coap_session_t *csess;
} fx;

/* The last response the client received. */
typedef struct fx_resp {
    int code;          /* e.g. 205, 404 */
    char body[65536];
    size_t len;
    json_t *json;      /* parsed body or NULL */
    int max_age;       /* -1 when absent */
    uint8_t etag[8];   /* the ETag option, etag_len bytes (0: absent) */
    size_t etag_len;
    int content_format; /* -1 when absent */
    int b2_num, b2_more, b2_szx; /* the last block's Block2 option (-1: absent) */
    bool done;
} fx_resp;

static fx_resp *fx_last_resp_;

static inline tsr_status fx_charge(void *arg, tsr_store_txn *t, const tsr_bet_charge *c)
{
    (void)t;
    fx_wallet *w = arg;
    if (w->fail_with != TSR_OK)
        return w->fail_with;
    w->charges++;
    w->charged += c->stake;
    return TSR_OK;
}

static inline tsr_status fx_refund(void *arg, tsr_store_txn *t, const tsr_bet_charge *c)
{
    (void)t;
    fx_wallet *w = arg;
    w->refunds++;
    w->refunded += c->stake;
    return TSR_OK;
}

static inline tsr_status fx_wallet_init(tsr_server *srv, const json_t *section)
{
    (void)section;
    fx *f = (fx *)tsr_server_module_state(srv, "fx");
    static tsr_wallet_hooks h;
    h.charge = fx_charge;
    h.refund = fx_refund;
    h.arg = &f->wallet;
    tsr_server_set_wallet_hooks(srv, &h);
    return TSR_OK;
}

/* The fixture's module: a player session resolver ("player-<id>" tokens)
 * and the in-test wallet. */
static inline tsr_status fx_resolve(void *arg, tsr_server *srv, const char *token, tsr_caller *out)
{
    (void)arg;
    (void)srv;
    if (strncmp(token, "player-", 7) != 0)
        return TSR_ERR_SESSION_INVALID;
    out->kind = TSR_CALLER_PLAYER;
    out->player_id = atoll(token + 7);
    return out->player_id > 0 ? TSR_OK : TSR_ERR_SESSION_INVALID;
}

static fx *fx_current_;

static inline tsr_status fx_module_init(tsr_server *srv, const json_t *section)
{
    (void)section;
    tsr_status s = tsr_server_set_module_state(srv, "fx", fx_current_);
    if (s == TSR_OK)
        tsr_server_set_session_resolver(srv, fx_resolve, NULL);
    return s == TSR_OK ? fx_wallet_init(srv, NULL) : s;
}

static inline void fx_path(const fx *f, const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", f->dir, name);
}

static inline void fx_keys(fx *f)
{
    tsr_keypair_generate(&f->node_kp, f->rng);
    tsr_keypair_generate(&f->authority_kp, f->rng);
    tsr_keypair_generate(&f->other_kp, f->rng);
    char p[200];
    fx_path(f, "node.key", p, sizeof p);
    ck_assert_int_eq(tsr_key_write_secret(p, &f->node_kp), TSR_OK);
    snprintf(f->cfg.node_key, sizeof f->cfg.node_key, "%s", p);
    fx_path(f, "authority.pub", p, sizeof p);
    ck_assert_int_eq(tsr_key_write_public(p, f->authority_kp.pk), TSR_OK);
    snprintf(f->cfg.draw_authority_key, sizeof f->cfg.draw_authority_key, "%s", p);
    tsr_psk psks[2];
    memset(psks, 0, sizeof psks);
    snprintf(psks[0].identity, sizeof psks[0].identity, "term-1");
    snprintf(psks[1].identity, sizeof psks[1].identity, "term-2");
    tsr_rng_bytes(f->rng, psks[0].key, TSR_PSK_LEN);
    tsr_rng_bytes(f->rng, psks[1].key, TSR_PSK_LEN);
    fx_path(f, "psk.json", p, sizeof p);
    ck_assert_int_eq(tsr_psk_table_write(p, psks, 2), TSR_OK);
    snprintf(f->cfg.psk_table, sizeof f->cfg.psk_table, "%s", p);
}

/* Sets up everything but does not start the node (tests adjust cfg). */
static inline void fx_setup(fx *f, const char *tag)
{
    memset(f, 0, sizeof *f);
    fprintf(stderr, "fixture seed=%u\n", FX_SEED);
    tsr_test_tmpdir(tag, f->dir, sizeof f->dir);
    ck_assert_int_eq(tsr_clock_test_create(&f->clock, FX_T0_NS), TSR_OK);
    ck_assert_int_eq(tsr_rng_seeded_create(&f->rng, FX_SEED), TSR_OK);
    ck_assert_int_eq(tsr_log_create(&f->log, stderr, f->clock, "node", TSR_LOG_WARN), TSR_OK);
    f->env = (tsr_env){f->clock, f->rng, f->log};
    tsr_node_config_defaults(&f->cfg);
    snprintf(f->cfg.node_id, sizeof f->cfg.node_id, "n1");
    f->cfg.allow_plain_coap = true;
    f->cfg.coap_port = 0;
    f->cfg.coaps_port = -1;
    f->cfg.cutoff_margin_ms = 1000;
    fx_keys(f);
    char p[200];
    fx_path(f, "node.db", p, sizeof p);
    snprintf(f->cfg.db_path, sizeof f->cfg.db_path, "%s", p);
    tsr_test_src("deploy/catalog/tessera.json", p, sizeof p);
    snprintf(f->cfg.catalog_file, sizeof f->cfg.catalog_file, "%s", p);
    char err[256];
    ck_assert_int_eq(tsr_catalog_load_file(&f->cat, p, err, sizeof err), TSR_OK);
    f->cfg.cancel_games = json_pack("[s]", "pick3");
}

/* A libcoap client context and a session to the node's plain port. */
static inline void fx_client(fx *f)
{
    coap_address_t a;
    coap_address_init(&a);
    a.addr.sin.sin_family = AF_INET;
    a.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.addr.sin.sin_port = htons((uint16_t)f->port);
    a.size = sizeof a.addr.sin;
    f->cctx = coap_new_context(NULL);
    ck_assert_ptr_nonnull(f->cctx);
    /* No libcoap block handling: 4.3.1 drops a block-wise separate
     * response (a bet's reply of several receipts), so fx_req_raw asks for
     * the blocks itself, as the terminal's client does. */
    f->csess = coap_new_client_session(f->cctx, NULL, &a, COAP_PROTO_UDP);
    ck_assert_ptr_nonnull(f->csess);
}

static inline coap_response_t fx_on_response(coap_session_t *s, const coap_pdu_t *sent,
                                             const coap_pdu_t *rcvd, const coap_mid_t mid)
{
    (void)s;
    (void)sent;
    (void)mid;
    fx_resp *r = fx_last_resp_;
    if (!r || r->done)
        return COAP_RESPONSE_OK;
    coap_pdu_code_t c = coap_pdu_get_code(rcvd);
    r->code = COAP_RESPONSE_CLASS(c) * 100 + (c & 0x1f);
    size_t len = 0;
    const uint8_t *data = NULL;
    if (coap_get_data(rcvd, &len, &data) && r->len + len < sizeof r->body) {
        memcpy(r->body + r->len, data, len);
        r->len += len;
    }
    r->body[r->len] = '\0';
    coap_opt_iterator_t it;
    coap_opt_t *o = coap_check_option(rcvd, COAP_OPTION_BLOCK2, &it);
    unsigned b2 = o ? coap_decode_var_bytes(coap_opt_value(o), coap_opt_length(o)) : 0;
    r->b2_num = o ? (int)(b2 >> 4) : -1;
    r->b2_more = o ? (int)((b2 >> 3) & 1) : -1;
    r->b2_szx = o ? (int)(b2 & 7) : -1;
    o = coap_check_option(rcvd, COAP_OPTION_MAXAGE, &it);
    r->max_age = o ? (int)coap_decode_var_bytes(coap_opt_value(o), coap_opt_length(o)) : -1;
    o = coap_check_option(rcvd, COAP_OPTION_ETAG, &it);
    r->etag_len = o && coap_opt_length(o) <= sizeof r->etag ? coap_opt_length(o) : 0;
    if (r->etag_len)
        memcpy(r->etag, coap_opt_value(o), r->etag_len);
    o = coap_check_option(rcvd, COAP_OPTION_CONTENT_FORMAT, &it);
    r->content_format =
        o ? (int)coap_decode_var_bytes(coap_opt_value(o), coap_opt_length(o)) : -1;
    r->done = true;
    return COAP_RESPONSE_OK;
}

/* Starts the node (with the fixture module and any extra modules) and the
 * client. */
static inline void fx_start(fx *f)
{
    fx_current_ = f;
    tsr_node_module mods[4] = {{"fx", fx_module_init, NULL}};
    for (size_t i = 0; i < f->n_extra; i++)
        mods[1 + i] = f->extra[i];
    tsr_node_opts o = {&f->cfg, &f->env, mods, 1 + f->n_extra};
    ck_assert_int_eq(tsr_node_start(&f->node, &o), TSR_OK);
    f->port = tsr_node_port(f->node, false);
    ck_assert_int_gt(f->port, 0);
    fx_client(f);
    coap_register_response_handler(f->cctx, fx_on_response);
}

static inline void fx_stop_node(fx *f)
{
    if (f->csess)
        coap_session_release(f->csess);
    if (f->cctx)
        coap_free_context(f->cctx);
    f->csess = NULL;
    f->cctx = NULL;
    tsr_node_stop(f->node);
    f->node = NULL;
}

static inline void fx_teardown(fx *f)
{
    fx_stop_node(f);
    tsr_catalog_free(f->cat);
    tsr_node_config_free(&f->cfg);
    tsr_log_destroy(f->log);
    tsr_rng_destroy(f->rng);
    tsr_clock_destroy(f->clock);
    tsr_test_rmtree(f->dir);
}

/* Adds "a/b/c" as Uri-Path options and "x=1&y=2" as Uri-Query options. */
static inline void fx_add_uri(coap_pdu_t *pdu, const char *path, const char *query)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", path);
    char *save = NULL;
    for (char *s = strtok_r(buf, "/", &save); s; s = strtok_r(NULL, "/", &save))
        coap_add_option(pdu, COAP_OPTION_URI_PATH, strlen(s), (const uint8_t *)s);
    if (!query)
        return;
    snprintf(buf, sizeof buf, "%s", query);
    for (char *s = strtok_r(buf, "&", &save); s; s = strtok_r(NULL, "&", &save))
        coap_add_option(pdu, COAP_OPTION_URI_QUERY, strlen(s), (const uint8_t *)s);
}

/* One request, waited for (FX_TIMEOUT_MS). method: COAP_REQUEST_CODE_*.
 * body may be NULL. Returns the response (static storage, overwritten by
 * the next call). */
static inline void fx_send_block(fx *f, coap_pdu_code_t method, const char *path,
                                 const char *query, const void *body, size_t len, bool block1,
                                 int b2_num, int b2_szx)
{
    coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, method, f->csess);
    ck_assert_ptr_nonnull(pdu);
    uint8_t tok[8];
    size_t tlen;
    coap_session_new_token(f->csess, &tlen, tok);
    coap_add_token(pdu, tlen, tok);
    fx_add_uri(pdu, path, query);
    uint8_t b[4];
    if (block1)
        coap_add_option(pdu, COAP_OPTION_BLOCK1,
                        coap_encode_var_safe(b, sizeof b, (0 << 4) | (1 << 3) | 6), b);
    if (b2_num > 0)
        coap_add_option(pdu, COAP_OPTION_BLOCK2,
                        coap_encode_var_safe(b, sizeof b, ((unsigned)b2_num << 4) | (unsigned)b2_szx),
                        b);
    if (body && len)
        coap_add_data(pdu, len, body);
    ck_assert_int_ne(coap_send(f->csess, pdu), COAP_INVALID_MID);
}

static inline fx_resp *fx_req_raw(fx *f, coap_pdu_code_t method, const char *path,
                                  const char *query, const void *body, size_t len, bool block1)
{
    static fx_resp r;
    json_decref(r.json);
    memset(&r, 0, sizeof r);
    fx_last_resp_ = &r;
    int num = 0, szx = 0;
    do {
        r.done = false;
        fx_send_block(f, method, path, query, body, len, block1, num, szx);
        for (int waited = 0; !r.done && waited < FX_TIMEOUT_MS; waited += 10)
            coap_io_process(f->cctx, 10);
        ck_assert_msg(r.done, "no response to %s (block %d)", path, num);
        num = r.b2_num + 1;
        szx = r.b2_szx;
    } while (r.b2_more == 1 && r.code / 100 == 2);
    r.json = r.len ? json_loadb(r.body, r.len, 0, NULL) : NULL;
    return &r;
}

static inline fx_resp *fx_req(fx *f, coap_pdu_code_t method, const char *path, const char *query,
                              const char *body)
{
    return fx_req_raw(f, method, path, query, body, body ? strlen(body) : 0, false);
}

/* The "error" name of an error response ("" when absent). */
static inline const char *fx_err(const fx_resp *r)
{
    const char *e = json_string_value(json_object_get(r->json, "error"));
    return e ? e : "";
}

/* A token for the next draw of `game` after the clock's now, signed by kp. */
static inline void fx_token(fx *f, const char *game, int64_t after_ns, const tsr_keypair *kp,
                            tsr_cutoff_token *t)
{
    memset(t, 0, sizeof *t);
    int64_t draw, open_ns, cutoff_ns, results_ns;
    ck_assert_int_eq(tsr_catalog_next_draw(f->cat, game, after_ns, &draw, &open_ns, &cutoff_ns,
                                           &results_ns),
                     TSR_OK);
    snprintf(t->game, sizeof t->game, "%s", game);
    t->draw = (uint32_t)draw;
    t->sales_open_at_ns = open_ns;
    t->cutoff_at_ns = cutoff_ns;
    t->results_at_ns = results_ns;
    tsr_rng_bytes(f->rng, t->seed_commitment, sizeof t->seed_commitment);
    t->issued_at_ns = open_ns - TSR_NS_PER_S;
    if (t->issued_at_ns <= 0)
        t->issued_at_ns = 1;
    ck_assert_int_eq(tsr_cutoff_token_sign(t, kp), TSR_OK);
}

/* Installs a token through the loopback admin path; returns the response. */
static inline fx_resp *fx_install(fx *f, const tsr_cutoff_token *t)
{
    json_t *j = tsr_cutoff_token_to_json(t);
    char *text = json_dumps(j, JSON_COMPACT);
    fx_resp *r = fx_req(f, COAP_REQUEST_CODE_POST, "v1/admin/tokens", NULL, text);
    free(text);
    json_decref(j);
    return r;
}

/* Installs the authority's token for the next draw of game; returns it. */
static inline tsr_cutoff_token fx_open_draw(fx *f, const char *game)
{
    tsr_cutoff_token t;
    fx_token(f, game, tsr_clock_now_ns(f->clock), &f->authority_kp, &t);
    fx_resp *r = fx_install(f, &t);
    ck_assert_msg(r->code == 201, "token install: %d %s", r->code, r->body);
    return t;
}

/* POST /v1/bets as the caller in `query` ("terminal=term-1" or
 * "session=player-7"). */
static inline fx_resp *fx_bet(fx *f, const char *query, const char *game, const char *bet,
                              const char *key)
{
    char body[1024];
    snprintf(body, sizeof body, "{\"game\":\"%s\",\"bet\":%s,\"idempotency_key\":\"%s\"}", game,
             bet, key);
    return fx_req(f, COAP_REQUEST_CODE_POST, "v1/bets", query, body);
}

#endif

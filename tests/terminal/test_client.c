/*
 * The CoAP client against a tiny libcoap server forked by the test (plain
 * UDP and DTLS-PSK on 127.0.0.1): answers, error bodies, retries with the
 * same token and body, timeouts, the pending window, loopback refusal.
 */
#include <arpa/inet.h>
#include <check.h>
#include <coap3/coap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tessera/client.h"
#include "tsr_test.h"

/* ---- the stub server (runs in a forked child) ------------------------------ */

#define STUB_DROPS 2 /* /v1/flaky ignores this many attempts, then answers */
static const uint8_t stub_key[TSR_PSK_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                              17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static int flaky_seen;
static uint8_t flaky_token[8];
static size_t flaky_token_len;
static uint8_t flaky_body[256];
static size_t flaky_body_len;
static int flaky_same = 1;

static void reply(coap_pdu_t *resp, int code, const char *json)
{
    coap_pdu_set_code(resp, COAP_RESPONSE_CODE(code));
    if (json) {
        uint8_t cf[4];
        coap_add_option(resp, COAP_OPTION_CONTENT_FORMAT,
                        coap_encode_var_safe(cf, sizeof cf, COAP_MEDIATYPE_APPLICATION_JSON), cf);
        coap_add_data(resp, strlen(json), (const uint8_t *)json);
    }
}

static void h_echo(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                   const coap_string_t *q, coap_pdu_t *resp)
{
    (void)r, (void)s;
    size_t len = 0;
    const uint8_t *data = NULL;
    coap_get_data(req, &len, &data);
    char buf[1200];
    int n = snprintf(buf, sizeof buf, "{\"query\":\"%.*s\",\"body\":%.*s}", q ? (int)q->length : 0,
                     q ? (const char *)q->s : "", len ? (int)len : 4, len ? (const char *)data : "null");
    (void)n;
    reply(resp, 201, buf);
}

static void h_conflict(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                       const coap_string_t *q, coap_pdu_t *resp)
{
    (void)r, (void)s, (void)req, (void)q;
    reply(resp, 409, "{\"error\":\"TSR_ERR_EXISTS\",\"message\":\"that key was used for another bet\"}");
}

static void h_busy(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                   const coap_string_t *q, coap_pdu_t *resp)
{
    (void)r, (void)s, (void)req, (void)q;
    uint8_t b[4];
    coap_add_option(resp, COAP_OPTION_MAXAGE, coap_encode_var_safe(b, sizeof b, 3), b);
    reply(resp, 503, "{\"error\":\"TSR_ERR_BUSY\",\"message\":\"busy\"}");
}

static void h_weird(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                    const coap_string_t *q, coap_pdu_t *resp)
{
    (void)r, (void)s, (void)req, (void)q;
    reply(resp, 500, "not json at all");
}

/* Ignores the first STUB_DROPS attempts (no answer at all for NON), then
 * answers with how many it saw and whether every attempt carried the same
 * token and body. */
static void h_flaky(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                    const coap_string_t *q, coap_pdu_t *resp)
{
    (void)r, (void)s, (void)q;
    coap_bin_const_t tok = coap_pdu_get_token(req);
    size_t len = 0;
    const uint8_t *data = NULL;
    coap_get_data(req, &len, &data);
    if (flaky_seen == 0) {
        memcpy(flaky_token, tok.s, tok.length);
        flaky_token_len = tok.length;
        memcpy(flaky_body, data, len < sizeof flaky_body ? len : sizeof flaky_body);
        flaky_body_len = len;
    } else if (tok.length != flaky_token_len || memcmp(tok.s, flaky_token, tok.length) != 0 ||
               len != flaky_body_len || memcmp(data, flaky_body, len) != 0) {
        flaky_same = 0;
    }
    flaky_seen++;
    if (flaky_seen <= STUB_DROPS)
        return; /* response code 0: libcoap sends nothing for a NON */
    char buf[128];
    snprintf(buf, sizeof buf, "{\"seen\":%d,\"same\":%s}", flaky_seen, flaky_same ? "true" : "false");
    reply(resp, 201, buf);
}

/* Bodies larger than a datagram, served block-wise (RFC 7959 Block2) by
 * libcoap from the request's Block2 option. */
#define BIG_MAX (300 * 1024)
static char big_body[BIG_MAX + 32];
static int shifty_count;

static void blocked(const coap_pdu_t *req, coap_pdu_t *resp, const char *text)
{
    coap_add_data_blocked_response(req, resp, COAP_MEDIATYPE_APPLICATION_JSON, -1, strlen(text),
                                   (const uint8_t *)text);
}

/* GET /v1/big?n=N: {"pad":"0123..."} of about N bytes. */
static void h_big(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                  const coap_string_t *q, coap_pdu_t *resp)
{
    (void)r, (void)s;
    long n = q && q->length > 2 ? strtol((const char *)q->s + 2, NULL, 10) : 0;
    if (n < 16 || n > BIG_MAX)
        n = 16;
    int k = snprintf(big_body, sizeof big_body, "{\"pad\":\"");
    for (long i = 0; i < n; i++)
        big_body[k++] = (char)('0' + i % 10);
    snprintf(big_body + k, sizeof big_body - (size_t)k, "\"}");
    blocked(req, resp, big_body);
}

/* A large body that differs at every request, so its ETag does too. */
static void h_shifty(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                     const coap_string_t *q, coap_pdu_t *resp)
{
    (void)r, (void)s, (void)q;
    int k = snprintf(big_body, sizeof big_body, "{\"n\":%d,\"pad\":\"", ++shifty_count);
    memset(big_body + k, 'x', 3000);
    snprintf(big_body + k + 3000, 8, "\"}");
    blocked(req, resp, big_body);
}

/* Block 0 with More set but shorter than its block size: not RFC 7959. */
static void h_gappy(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                    const coap_string_t *q, coap_pdu_t *resp)
{
    (void)r, (void)s, (void)req, (void)q;
    uint8_t b[4];
    coap_pdu_set_code(resp, COAP_RESPONSE_CODE(205));
    coap_add_option(resp, COAP_OPTION_BLOCK2, coap_encode_var_safe(b, sizeof b, (1 << 3) | 6), b);
    coap_add_data(resp, 100, (const uint8_t *)big_body);
}

static void add(coap_context_t *ctx, const char *path, coap_request_t m, coap_method_handler_t h)
{
    coap_resource_t *r = coap_get_resource_from_uri_path(ctx, coap_make_str_const(path));
    if (!r) {
        r = coap_resource_init(coap_make_str_const(path), 0);
        coap_add_resource(ctx, r);
    }
    coap_register_handler(r, m, h);
}

static void stub_serve(int port, int dtls_port)
{
    coap_startup();
    coap_set_log_level(LOG_EMERG);
    coap_context_t *ctx = coap_new_context(NULL);
    coap_address_t a;
    coap_address_init(&a);
    a.addr.sin.sin_family = AF_INET;
    a.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.addr.sin.sin_port = htons((uint16_t)port);
    if (!coap_new_endpoint(ctx, &a, COAP_PROTO_UDP))
        _exit(3);
    coap_dtls_spsk_t sp;
    memset(&sp, 0, sizeof sp);
    sp.version = COAP_DTLS_SPSK_SETUP_VERSION;
    sp.psk_info.key.s = stub_key;
    sp.psk_info.key.length = sizeof stub_key;
    coap_context_set_psk2(ctx, &sp);
    a.addr.sin.sin_port = htons((uint16_t)dtls_port);
    if (!coap_new_endpoint(ctx, &a, COAP_PROTO_DTLS))
        _exit(4);
    add(ctx, "v1/echo", COAP_REQUEST_POST, h_echo);
    add(ctx, "v1/echo", COAP_REQUEST_GET, h_echo);
    add(ctx, "v1/conflict", COAP_REQUEST_POST, h_conflict);
    add(ctx, "v1/busy", COAP_REQUEST_GET, h_busy);
    add(ctx, "v1/weird", COAP_REQUEST_GET, h_weird);
    add(ctx, "v1/flaky", COAP_REQUEST_POST, h_flaky);
    add(ctx, "v1/big", COAP_REQUEST_GET, h_big);
    add(ctx, "v1/shifty", COAP_REQUEST_GET, h_shifty);
    add(ctx, "v1/gappy", COAP_REQUEST_GET, h_gappy);
    for (;;)
        coap_io_process(ctx, 1000);
}

static pid_t stub_pid;
static int stub_port, stub_dtls_port;

static void stub_start(void)
{
    stub_port = tsr_test_free_port(true);
    do
        stub_dtls_port = tsr_test_free_port(true);
    while (stub_dtls_port == stub_port);
    stub_pid = fork();
    ck_assert_int_ge(stub_pid, 0);
    if (stub_pid == 0)
        stub_serve(stub_port, stub_dtls_port);
    usleep(100 * 1000); /* the child binds first; a request sent earlier is retried anyway */
}

static void stub_stop(void)
{
    if (stub_pid > 0)
        tsr_test_kill(stub_pid, SIGKILL);
    stub_pid = 0;
}

static tsr_client *open_client(bool dtls, bool con, const tsr_psk *psk, int timeout_ms)
{
    char uri[64];
    snprintf(uri, sizeof uri, "%s://127.0.0.1:%d", dtls ? "coaps" : "coap",
             dtls ? stub_dtls_port : stub_port);
    tsr_client_opts o = {.uri = uri, .psk = psk, .confirmable = con, .loopback_only = true,
                         .attempt_timeout_ms = timeout_ms, .max_pending = 2048};
    tsr_client *c = NULL;
    char err[256] = "";
    ck_assert_msg(tsr_client_create(&c, &o, err, sizeof err) == TSR_OK, "%s", err);
    return c;
}

/* ---- tests ------------------------------------------------------------------- */

START_TEST(uri_parsing_accepts_coap_and_coaps_only)
{
    char host[64];
    int port;
    bool sec;
    ck_assert_int_eq(tsr_client_parse_uri("coap://127.0.0.1:7000", host, sizeof host, &port, &sec), TSR_OK);
    ck_assert_str_eq(host, "127.0.0.1");
    ck_assert_int_eq(port, 7000);
    ck_assert(!sec);
    ck_assert_int_eq(tsr_client_parse_uri("coaps://localhost", host, sizeof host, &port, &sec), TSR_OK);
    ck_assert_int_eq(port, 5684);
    ck_assert(sec);
    ck_assert_int_eq(tsr_client_parse_uri("coap://[::1]:9/", host, sizeof host, &port, &sec), TSR_OK);
    ck_assert_str_eq(host, "::1");
    const char *bad[] = {"http://127.0.0.1", "coap://", "coap://:5683", "coap://h:0", "coap://h:70000",
                         "coap://h:12x", "coap://[::1", "coap://h/v1/bets", NULL};
    for (int i = 0; bad[i]; i++)
        ck_assert_msg(tsr_client_parse_uri(bad[i], host, sizeof host, &port, &sec) == TSR_ERR_ARG, "%s", bad[i]);
    ck_assert_int_eq(tsr_client_parse_uri("coap://averyveryverylonghostname", host, 8, &port, &sec), TSR_ERR_ARG);
}
END_TEST

START_TEST(loopback_check_and_refusal)
{
    struct sockaddr_in v4 = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.45.6.7", &v4.sin_addr);
    ck_assert_int_eq(tsr_client_check_loopback(&v4), TSR_OK);
    inet_pton(AF_INET, "10.0.0.1", &v4.sin_addr);
    ck_assert_int_eq(tsr_client_check_loopback(&v4), TSR_ERR_ARG);
    inet_pton(AF_INET, "128.0.0.1", &v4.sin_addr);
    ck_assert_int_eq(tsr_client_check_loopback(&v4), TSR_ERR_ARG);
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, "::1", &v6.sin6_addr);
    ck_assert_int_eq(tsr_client_check_loopback(&v6), TSR_OK);
    inet_pton(AF_INET6, "::ffff:127.0.0.9", &v6.sin6_addr);
    ck_assert_int_eq(tsr_client_check_loopback(&v6), TSR_OK);
    inet_pton(AF_INET6, "2001:db8::1", &v6.sin6_addr);
    ck_assert_int_eq(tsr_client_check_loopback(&v6), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_client_check_loopback(NULL), TSR_ERR_ARG);

    /* creating a client to an outside address fails before any packet */
    tsr_client *c = NULL;
    char err[256] = "";
    tsr_client_opts o = {.uri = "coap://192.0.2.1:5683", .loopback_only = true};
    ck_assert_int_eq(tsr_client_create(&c, &o, err, sizeof err), TSR_ERR_ARG);
    ck_assert_ptr_null(c);
    ck_assert_ptr_nonnull(strstr(err, "loopback"));
    o.uri = "coap://no-such-host.invalid:5683";
    ck_assert_int_eq(tsr_client_create(&c, &o, err, sizeof err), TSR_ERR_NOT_FOUND);
    o.uri = "coaps://127.0.0.1:5684"; /* no PSK */
    ck_assert_int_eq(tsr_client_create(&c, &o, err, sizeof err), TSR_ERR_ARG);
    o.uri = "coap://127.0.0.1:5683";
    o.sessions = TSR_CLIENT_SESSIONS_MAX + 1;
    ck_assert_int_eq(tsr_client_create(&c, &o, err, sizeof err), TSR_ERR_ARG);
    o.sessions = 1;
    o.max_pending = TSR_CLIENT_PENDING_MAX + 1;
    ck_assert_int_eq(tsr_client_create(&c, &o, err, sizeof err), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_client_create(&c, NULL, err, sizeof err), TSR_ERR_ARG);
}
END_TEST

START_TEST(call_gets_json_answer_and_query)
{
    stub_start();
    for (int con = 0; con <= 1; con++) {
        tsr_client *c = open_client(false, con, NULL, 500);
        json_t *body = json_pack("{s:s,s:i}", "game", "lotto649", "n", 7);
        tsr_reply r;
        ck_assert_int_eq(tsr_client_call(c, TSR_METHOD_POST, "/v1/echo?session=abc&x=1", body, 5000, &r), TSR_OK);
        ck_assert_int_eq(r.code, 201);
        ck_assert_int_eq(r.status, TSR_OK);
        ck_assert_int_eq(r.attempts, 1);
        ck_assert_str_eq(json_string_value(json_object_get(r.body, "query")), "session=abc&x=1");
        ck_assert(json_equal(json_object_get(r.body, "body"), body));
        tsr_reply_clear(&r);
        json_decref(body);
        tsr_client_destroy(c);
    }
    stub_stop();
}
END_TEST

/* Replies larger than a datagram come block-wise and are put together by
 * the client (CON and NON); a reply above TSR_CLIENT_REPLY_MAX, a body
 * that changes between blocks at every try and a malformed block fail with
 * their own codes. */
START_TEST(block_wise_replies_are_put_together)
{
    stub_start();
    for (int con = 0; con <= 1; con++) {
        tsr_client *c = open_client(false, con, NULL, 500);
        tsr_reply r;
        ck_assert_int_eq(tsr_client_call(c, TSR_METHOD_GET, "/v1/big?n=5000", NULL, 5000, &r), TSR_OK);
        ck_assert_int_eq(r.code, 205);
        const char *pad = json_string_value(json_object_get(r.body, "pad"));
        ck_assert_ptr_nonnull(pad);
        ck_assert_uint_eq(strlen(pad), 5000);
        for (size_t i = 0; i < 5000; i++)
            ck_assert_int_eq(pad[i], '0' + (int)(i % 10));
        ck_assert_int_eq(r.attempts, 1); /* asking for the next block is no retry */
        tsr_reply_clear(&r);
        ck_assert_int_eq(tsr_client_call(c, TSR_METHOD_GET, "/v1/big?n=290000", NULL, 20000, &r),
                         TSR_ERR_TOO_LARGE);
        tsr_reply_clear(&r);
        ck_assert_int_eq(tsr_client_call(c, TSR_METHOD_GET, "/v1/shifty", NULL, 2000, &r),
                         TSR_ERR_UNAVAILABLE);
        tsr_reply_clear(&r);
        ck_assert_int_eq(tsr_client_call(c, TSR_METHOD_GET, "/v1/gappy", NULL, 2000, &r),
                         TSR_ERR_PROTO);
        tsr_reply_clear(&r);
        /* the client is still fine afterwards */
        ck_assert_int_eq(tsr_client_call(c, TSR_METHOD_GET, "/v1/big?n=100", NULL, 5000, &r), TSR_OK);
        ck_assert_uint_eq(strlen(json_string_value(json_object_get(r.body, "pad"))), 100);
        tsr_reply_clear(&r);
        ck_assert_uint_eq(tsr_client_pending(c), 0);
        tsr_client_destroy(c);
    }
    stub_stop();
}
END_TEST

START_TEST(error_bodies_map_to_status_and_message)
{
    stub_start();
    tsr_client *c = open_client(false, true, NULL, 500);
    tsr_reply r;
    ck_assert_int_eq(tsr_client_call(c, TSR_METHOD_POST, "/v1/conflict", NULL, 5000, &r), TSR_OK);
    ck_assert_int_eq(r.code, 409);
    ck_assert_int_eq(r.status, TSR_ERR_EXISTS);
    ck_assert_str_eq(r.message, "that key was used for another bet");
    tsr_reply_clear(&r);
    ck_assert_int_eq(tsr_client_call(c, TSR_METHOD_GET, "/v1/weird", NULL, 5000, &r), TSR_OK);
    ck_assert_int_eq(r.code, 500);
    ck_assert_int_eq(r.status, TSR_ERR_INTERNAL);
    ck_assert_ptr_nonnull(strstr(r.message, "5.00"));
    tsr_reply_clear(&r);
    ck_assert_int_eq(tsr_client_call(c, TSR_METHOD_GET, "/v1/nothing-here", NULL, 5000, &r), TSR_OK);
    ck_assert_int_eq(r.code, 404);
    tsr_reply_clear(&r);
    tsr_client_destroy(c);
    stub_stop();
}
END_TEST

static int busy_done;
static tsr_response busy_resp;
static void busy_cb(void *user, const tsr_response *r)
{
    (void)user;
    busy_done++;
    busy_resp = *r;
    busy_resp.body = NULL;
}

START_TEST(busy_answer_carries_max_age)
{
    stub_start();
    tsr_client *c = open_client(false, false, NULL, 500);
    busy_done = 0;
    ck_assert_int_eq(tsr_client_send(c, 0, TSR_METHOD_GET, "/v1/busy", NULL, 0, 3, busy_cb, NULL), TSR_OK);
    while (busy_done == 0)
        ck_assert_int_eq(tsr_client_poll(c, 100), TSR_OK);
    ck_assert_int_eq(busy_resp.code, 503);
    ck_assert_int_eq(busy_resp.status, TSR_ERR_BUSY);
    ck_assert_int_eq(busy_resp.max_age_s, 3);
    tsr_client_destroy(c);
    stub_stop();
}
END_TEST

START_TEST(retry_resends_same_token_and_body_until_answered)
{
    stub_start();
    tsr_client *c = open_client(false, false, NULL, 150);
    json_t *body = json_pack("{s:s}", "idempotency_key", "k-123");
    tsr_reply r;
    ck_assert_int_eq(tsr_client_call(c, TSR_METHOD_POST, "/v1/flaky", body, 10000, &r), TSR_OK);
    ck_assert_int_eq(r.code, 201);
    ck_assert_int_eq(r.attempts, STUB_DROPS + 1);
    ck_assert_int_eq(json_integer_value(json_object_get(r.body, "seen")), STUB_DROPS + 1);
    ck_assert(json_is_true(json_object_get(r.body, "same")));
    tsr_reply_clear(&r);
    json_decref(body);
    tsr_client_destroy(c);
    stub_stop();
}
END_TEST

START_TEST(no_server_gives_timeout_after_every_attempt)
{
    /* a port nobody serves: ICMP refusals or silence, never an answer */
    int port = tsr_test_free_port(true);
    char uri[64];
    snprintf(uri, sizeof uri, "coap://127.0.0.1:%d", port);
    for (int con = 0; con <= 1; con++) {
        tsr_client_opts o = {.uri = uri, .confirmable = con, .loopback_only = true,
                             .attempt_timeout_ms = 100};
        tsr_client *c = NULL;
        ck_assert_int_eq(tsr_client_create(&c, &o, NULL, 0), TSR_OK);
        tsr_reply r;
        tsr_status st = tsr_client_call(c, TSR_METHOD_GET, "/v1/health", NULL, 400, &r);
        ck_assert_msg(st == TSR_ERR_TIMEOUT || st == TSR_ERR_UNAVAILABLE, "%s", tsr_status_name(st));
        ck_assert_int_eq(r.code, 0);
        ck_assert_int_eq(r.attempts, 4);
        tsr_reply_clear(&r);
        tsr_client_destroy(c);
    }
}
END_TEST

static int many_done[2048];
static void many_cb(void *user, const tsr_response *r)
{
    int i = (int)(intptr_t)user;
    ck_assert_int_eq(r->code, 201);
    many_done[i]++;
}

START_TEST(many_outstanding_non_requests_each_complete_once)
{
    stub_start();
    tsr_client *c = open_client(false, false, NULL, 1000);
    memset(many_done, 0, sizeof many_done);
    char body[64];
    for (int i = 0; i < 2048; i++) {
        int n = snprintf(body, sizeof body, "{\"i\":%d}", i);
        ck_assert_int_eq(tsr_client_send(c, i, TSR_METHOD_POST, "/v1/echo", body, (size_t)n, 5,
                                         many_cb, (void *)(intptr_t)i), TSR_OK);
        if (i % 64 == 63)
            ck_assert_int_eq(tsr_client_poll(c, 0), TSR_OK);
    }
    /* the window is full now unless answers came back in between */
    while (tsr_client_pending(c) > 0)
        ck_assert_int_eq(tsr_client_poll(c, 100), TSR_OK);
    for (int i = 0; i < 2048; i++)
        ck_assert_int_eq(many_done[i], 1);
    tsr_client_destroy(c);
    stub_stop();
}
END_TEST

static int noop_calls;
static tsr_status noop_status;
static void noop_cb(void *user, const tsr_response *r)
{
    (void)user;
    noop_calls++;
    noop_status = r->status;
}

START_TEST(send_refuses_bad_input_and_full_window)
{
    int port = tsr_test_free_port(true);
    char uri[64];
    snprintf(uri, sizeof uri, "coap://127.0.0.1:%d", port);
    tsr_client_opts o = {.uri = uri, .loopback_only = true, .max_pending = 4, .attempt_timeout_ms = 5000};
    tsr_client *c = NULL;
    ck_assert_int_eq(tsr_client_create(&c, &o, NULL, 0), TSR_OK);
    static char big[TSR_CLIENT_BODY_MAX + 1];
    memset(big, 'x', sizeof big);
    ck_assert_int_eq(tsr_client_send(c, 0, TSR_METHOD_POST, "/v1/x", big, sizeof big, 1, noop_cb, NULL), TSR_ERR_TOO_LARGE);
    ck_assert_int_eq(tsr_client_send(c, 0, TSR_METHOD_POST, "v1/x", NULL, 0, 1, noop_cb, NULL), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_client_send(c, 0, 9, "/v1/x", NULL, 0, 1, noop_cb, NULL), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_client_send(c, 0, TSR_METHOD_GET, "/v1/x", NULL, 0, 0, noop_cb, NULL), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_client_send(c, 0, TSR_METHOD_GET, "/v1/x", NULL, 0, TSR_CLIENT_ATTEMPTS_MAX + 1, noop_cb, NULL), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_client_send(c, 0, TSR_METHOD_GET, "/v1/x", NULL, 0, 1, NULL, NULL), TSR_ERR_ARG);
    char longpath[TSR_CLIENT_PATH_MAX + 8];
    memset(longpath, 'a', sizeof longpath);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = '\0';
    ck_assert_int_eq(tsr_client_send(c, 0, TSR_METHOD_GET, longpath, NULL, 0, 1, noop_cb, NULL), TSR_ERR_ARG);
    noop_calls = 0;
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(tsr_client_send(c, 0, TSR_METHOD_GET, "/v1/x", NULL, 0, 1, noop_cb, NULL), TSR_OK);
    ck_assert_int_eq(tsr_client_send(c, 0, TSR_METHOD_GET, "/v1/x", NULL, 0, 1, noop_cb, NULL), TSR_ERR_BUSY);
    ck_assert_int_eq(tsr_client_pending(c), 4);
    ck_assert_int_eq(noop_calls, 0);
    tsr_client_destroy(c); /* fails the 4 open requests through their callbacks */
    ck_assert_int_eq(noop_calls, 4);
    ck_assert_int_eq(noop_status, TSR_ERR_UNAVAILABLE);
}
END_TEST

START_TEST(dtls_psk_right_key_works_wrong_key_is_reported)
{
    stub_start();
    tsr_psk psk = {.identity = "term-1"};
    memcpy(psk.key, stub_key, sizeof psk.key);
    tsr_client *c = open_client(true, true, &psk, 500);
    tsr_reply r;
    ck_assert_int_eq(tsr_client_call(c, TSR_METHOD_GET, "/v1/echo", NULL, 5000, &r), TSR_OK);
    ck_assert_int_eq(r.code, 201);
    ck_assert(!tsr_client_dtls_failed(c));
    tsr_reply_clear(&r);
    tsr_client_destroy(c);

    psk.key[0] ^= 0xff;
    c = open_client(true, true, &psk, 300);
    tsr_status st = tsr_client_call(c, TSR_METHOD_GET, "/v1/echo", NULL, 1200, &r);
    ck_assert_msg(st == TSR_ERR_UNAVAILABLE || st == TSR_ERR_TIMEOUT, "%s", tsr_status_name(st));
    ck_assert_int_eq(r.code, 0);
    ck_assert(tsr_client_dtls_failed(c));
    tsr_reply_clear(&r);
    tsr_client_destroy(c);
    stub_stop();
}
END_TEST

static Suite *client_suite(void)
{
    Suite *s = suite_create("terminal_client");
    TCase *tc = tcase_create("client");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, uri_parsing_accepts_coap_and_coaps_only);
    tcase_add_test(tc, loopback_check_and_refusal);
    tcase_add_test(tc, call_gets_json_answer_and_query);
    tcase_add_test(tc, error_bodies_map_to_status_and_message);
    tcase_add_test(tc, block_wise_replies_are_put_together);
    tcase_add_test(tc, busy_answer_carries_max_age);
    tcase_add_test(tc, retry_resends_same_token_and_body_until_answered);
    tcase_add_test(tc, no_server_gives_timeout_after_every_attempt);
    tcase_add_test(tc, many_outstanding_non_requests_each_complete_once);
    tcase_add_test(tc, send_refuses_bad_input_and_full_window);
    tcase_add_test(tc, dtls_psk_right_key_works_wrong_key_is_reported);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(client_suite()); }

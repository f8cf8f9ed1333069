/* The node's CoAP framework over real UDP: routing, strict JSON, body
 * limits, callers, error bodies, async replies, busy, health. */
#include <pthread.h>

#include "../../node/src/server_int.h"
#include "node_fixture.h"

static fx F;

/* libcoap's ETag hash: exported, but its header needs uthash.h, which the
 * libcoap package does not install. */
typedef unsigned char coap_key_t[4];
void coap_hash_impl(const unsigned char *s, size_t len, coap_key_t h);

static void setup(void) { fx_setup(&F, "server"); }
static void teardown(void) { fx_teardown(&F); }

START_TEST(health_answers_and_explains_why_sales_are_closed)
{
    ck_assert_int_eq(tsr_clock_test_set_error(F.clock, 0, false), TSR_OK);
    fx_start(&F);
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/health", NULL, NULL);
    ck_assert_int_eq(r->code, 205);
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "node")), "n1");
    ck_assert(json_is_false(json_object_get(r->json, "sales_open")));
    char *reasons = json_dumps(json_object_get(r->json, "reasons"), 0);
    ck_assert_ptr_nonnull(strstr(reasons, "not synchronized"));
    ck_assert_ptr_nonnull(strstr(reasons, "no cutoff token"));
    free(reasons);
    ck_assert(json_is_false(json_object_get(json_object_get(r->json, "clock"), "synced")));
}
END_TEST

START_TEST(unknown_path_is_404_with_error_body)
{
    fx_start(&F);
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/nothing", NULL, NULL);
    ck_assert_int_eq(r->code, 404);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_NOT_FOUND");
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "message")), "not found");
}
END_TEST

START_TEST(wrong_method_is_405)
{
    fx_start(&F);
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_DELETE, "v1/health", NULL, NULL);
    ck_assert_int_eq(r->code, 405);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_METHOD");
}
END_TEST

START_TEST(malformed_json_is_400)
{
    fx_start(&F);
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/bets", "terminal=term-1", "{\"game\":");
    ck_assert_int_eq(r->code, 400);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_JSON");
    ck_assert_ptr_nonnull(json_object_get(json_object_get(r->json, "detail"), "column"));
    r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/bets", "terminal=term-1", "[1,2]");
    ck_assert_str_eq(fx_err(r), "TSR_ERR_JSON");
    r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/bets", "terminal=term-1",
               "{\"game\":\"pick3\",\"game\":\"pick4\"}");
    ck_assert_str_eq(fx_err(r), "TSR_ERR_JSON");
}
END_TEST

START_TEST(unknown_field_wrong_type_and_missing_field_are_named)
{
    fx_start(&F);
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/bets", "terminal=term-1",
                        "{\"game\":\"pick3\",\"bet\":{},\"idempotency_key\":\"k1234567\",\"x\":1}");
    ck_assert_int_eq(r->code, 400);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_FIELD_UNKNOWN");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r->json, "detail"), "field")),
                     "x");
    r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/bets", "terminal=term-1",
               "{\"game\":7,\"bet\":{},\"idempotency_key\":\"k1234567\"}");
    ck_assert_str_eq(fx_err(r), "TSR_ERR_FIELD_TYPE");
    r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/bets", "terminal=term-1",
               "{\"game\":\"pick3\",\"idempotency_key\":\"k1234567\"}");
    ck_assert_str_eq(fx_err(r), "TSR_ERR_FIELD_MISSING");
    r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/bets", "terminal=term-1", NULL);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_FIELD_MISSING");
    char big[300];
    memset(big, 'k', sizeof big);
    big[sizeof big - 1] = '\0';
    char body[600];
    snprintf(body, sizeof body, "{\"game\":\"pick3\",\"bet\":{},\"idempotency_key\":\"%s\"}", big);
    r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/bets", "terminal=term-1", body);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_TOO_LONG");
}
END_TEST

START_TEST(oversized_and_blockwise_bodies_are_413)
{
    fx_start(&F);
    char body[TSR_SERVER_BODY_MAX + 2];
    memset(body, ' ', sizeof body);
    body[0] = '{';
    body[sizeof body - 2] = '}';
    body[sizeof body - 1] = '\0';
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/bets", "terminal=term-1", body);
    ck_assert_int_eq(r->code, 413);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_TOO_LARGE");
    r = fx_req_raw(&F, COAP_REQUEST_CODE_POST, "v1/bets", "terminal=term-1", "{}", 2, true);
    ck_assert_int_eq(r->code, 413);
}
END_TEST

START_TEST(callers_are_checked)
{
    fx_start(&F);
    /* nothing proven */
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/bets", NULL, NULL);
    ck_assert_int_eq(r->code, 401);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_UNAUTHENTICATED");
    /* a terminal that is not in the PSK table */
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/bets", "terminal=term-9", NULL);
    ck_assert_int_eq(r->code, 401);
    /* a forged session: the resolver's own status */
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/bets", "session=forged", NULL);
    ck_assert_int_eq(r->code, 401);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_SESSION_INVALID");
    /* a player may not cancel (retail only) */
    r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/bets/00000000000000000000000000000000/cancel",
               "session=player-3", "{}");
    ck_assert_int_eq(r->code, 403);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_FORBIDDEN_CALLER");
    /* a valid player and a valid terminal */
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/bets", "session=player-3", NULL);
    ck_assert_int_eq(r->code, 205);
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/bets", "terminal=term-1", NULL);
    ck_assert_int_eq(r->code, 205);
}
END_TEST

START_TEST(query_values_are_checked)
{
    fx_start(&F);
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/bets", "terminal=term-1&limit=abc", NULL);
    ck_assert_int_eq(r->code, 400);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_FIELD_TYPE");
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/bets", "terminal=term-1&limit=1000", NULL);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_RANGE");
}
END_TEST

/* ---- busy: a module whose jobs hold the writer ---------------------------------- */

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static bool gate_open;

static tsr_status apply_slow(tsr_store_txn *t, tsr_job *j)
{
    (void)t;
    pthread_mutex_lock(&gate_mu);
    while (!gate_open)
        pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
    j->response = json_pack("{s:b}", "ok", 1);
    return TSR_OK;
}

static void handle_slow(tsr_server *srv, tsr_request *req)
{
    (void)srv;
    tsr_job *j;
    ck_assert_int_eq(tsr_job_new(&j, "slow", apply_slow), TSR_OK);
    tsr_reply_submit(req, j);
}

static tsr_status slow_init(tsr_server *srv, const json_t *section)
{
    (void)section;
    static const tsr_route r = {TSR_POST, "/test/slow", TSR_AUTH_ANY, handle_slow, 0, false};
    return tsr_server_route(srv, &r);
}

/* The idempotency hash's definition (stored hashes of older builds must
 * still match): BLAKE2b-256 of the route pattern, NUL, each parameter,
 * NUL, then json_dumps of the body with sorted keys, compact. */
static tsr_status apply_hash(tsr_store_txn *t, tsr_job *j)
{
    (void)t;
    tsr_hash_ctx h;
    tsr_hash256_init(&h);
    tsr_hash256_update(&h, "/test/hash/<x>", sizeof "/test/hash/<x>");
    tsr_hash256_update(&h, j->ctx, strlen(j->ctx) + 1);
    char *text = json_dumps(j->request, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
    tsr_hash256_update(&h, text, strlen(text));
    free(text);
    uint8_t want[TSR_HASH_LEN];
    tsr_hash256_final(&h, want);
    j->response = json_pack("{s:b}", "same", memcmp(want, j->request_hash, sizeof want) == 0);
    return TSR_OK;
}

static void handle_hash(tsr_server *srv, tsr_request *req)
{
    (void)srv;
    tsr_job *j;
    ck_assert_int_eq(tsr_job_new(&j, "hash", apply_hash), TSR_OK);
    j->request = json_loadb((const char *)req->body, req->body_len, 0, NULL);
    ck_assert_ptr_nonnull(j->request);
    j->ctx = strdup(req->params[0]);
    j->ctx_free = free;
    tsr_reply_submit(req, j);
}

static tsr_status hash_init(tsr_server *srv, const json_t *section)
{
    (void)section;
    static const tsr_route r = {TSR_POST, "/test/hash/<x>", TSR_AUTH_ANY, handle_hash, 0, false};
    return tsr_server_route(srv, &r);
}

START_TEST(the_request_hash_is_blake2b_of_route_and_sorted_compact_body)
{
    F.extra[0] = (tsr_node_module){"hash", hash_init, NULL};
    F.n_extra = 1;
    fx_start(&F);
    char big[700];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char body[1600];
    /* keys out of order, nesting, escapes, non-ASCII, a real, and a
     * string longer than the hash's staging buffer */
    snprintf(body, sizeof body,
             "{ \"z\": [3, {\"b\": true, \"a\": null}], \"m\": \"q\\\"\\\\\\n\\u00e9/\","
             " \"a\": 0.5, \"big\": \"%s\", \"k\": -12}", big);
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_POST, "test/hash/p1", NULL, body);
    ck_assert_int_eq(r->code, 205);
    ck_assert(json_is_true(json_object_get(r->json, "same")));
    r = fx_req(&F, COAP_REQUEST_CODE_POST, "test/hash/p2", NULL, "{}");
    ck_assert(json_is_true(json_object_get(r->json, "same")));
}
END_TEST

START_TEST(a_full_queue_answers_503_with_max_age)
{
    F.cfg.queue_max = 16;
    F.extra[0] = (tsr_node_module){"slow", slow_init, NULL};
    F.n_extra = 1;
    fx_start(&F);
    /* 16 NON requests fill the queue (the writer blocks on the first); the
     * 17th must be refused at once. */
    for (int i = 0; i < 16; i++) {
        coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_NON, COAP_REQUEST_CODE_POST, F.csess);
        uint8_t tok[8];
        size_t tl;
        coap_session_new_token(F.csess, &tl, tok);
        coap_add_token(pdu, tl, tok);
        fx_add_uri(pdu, "test/slow", NULL);
        ck_assert_int_ne(coap_send(F.csess, pdu), COAP_INVALID_MID);
        coap_io_process(F.cctx, COAP_IO_NO_WAIT);
    }
    usleep(200 * 1000);
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_POST, "test/slow", NULL, NULL);
    ck_assert_int_eq(r->code, 503);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_BUSY");
    ck_assert_int_eq(r->max_age, TSR_SERVER_BUSY_MAX_AGE_S);
    pthread_mutex_lock(&gate_mu);
    gate_open = true;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
    /* the queue drains once the writer runs again */
    for (int i = 0; i < 100; i++) {
        r = fx_req(&F, COAP_REQUEST_CODE_POST, "test/slow", NULL, NULL);
        if (r->code != 503)
            break;
        usleep(20 * 1000);
    }
    ck_assert_int_eq(r->code, 205);
    ck_assert(json_is_true(json_object_get(r->json, "ok")));
}
END_TEST

/* The reply's options as coap_add_data_blocked_response writes them: an
 * ETag of libcoap's hash of the body, Content-Format JSON. */
static void assert_libcoap_options(const fx_resp *r)
{
    coap_key_t want;
    memset(want, 0, sizeof want);
    coap_hash_impl((const unsigned char *)r->body, r->len, want);
    ck_assert_uint_eq(r->etag_len, sizeof want);
    ck_assert_mem_eq(r->etag, want, sizeof want);
    ck_assert_int_eq(r->content_format, COAP_MEDIATYPE_APPLICATION_JSON);
}

START_TEST(etag_is_libcoaps_hash)
{
    uint32_t seed = FX_SEED;
    printf("etag_is_libcoaps_hash seed=%u\n", seed);
    uint8_t data[2048], mine[4];
    for (int round = 0; round < 200; round++) {
        size_t len = (size_t)(round * 10 % (int)sizeof data);
        for (size_t i = 0; i < len; i++)
            data[i] = (uint8_t)((seed = seed * 1103515245u + 12345u) >> 16);
        coap_key_t want;
        memset(want, 0, sizeof want);
        coap_hash_impl(data, len, want);
        tsr_server_etag(data, len, mine);
        ck_assert_mem_eq(mine, want, sizeof want);
    }
}
END_TEST

START_TEST(separate_replies_carry_libcoaps_options)
{
    F.extra[0] = (tsr_node_module){"slow", slow_init, NULL};
    F.n_extra = 1;
    gate_open = true;
    fx_start(&F);
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_POST, "test/slow", NULL, NULL);
    ck_assert_int_eq(r->code, 205);
    assert_libcoap_options(r);
    ck_assert_int_eq(r->max_age, -1);
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/nothing", NULL, NULL);
    assert_libcoap_options(r); /* an answer at once, by libcoap itself */
}
END_TEST

START_TEST(route_registration_refuses_bad_patterns)
{
    F.extra[0] = (tsr_node_module){"slow", slow_init, NULL};
    F.extra[1] = (tsr_node_module){"slow2", slow_init, NULL};
    F.n_extra = 2;
    fx_current_ = &F;
    tsr_node_module mods[3] = {{"fx", fx_module_init, NULL}, F.extra[0], F.extra[1]};
    tsr_node_opts o = {&F.cfg, &F.env, mods, 3};
    tsr_node *n = NULL;
    /* the same route twice */
    ck_assert_int_eq(tsr_node_start(&n, &o), TSR_ERR_EXISTS);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("node_server");
    TCase *t = tcase_create("server");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30);
    tcase_add_test(t, health_answers_and_explains_why_sales_are_closed);
    tcase_add_test(t, unknown_path_is_404_with_error_body);
    tcase_add_test(t, wrong_method_is_405);
    tcase_add_test(t, malformed_json_is_400);
    tcase_add_test(t, unknown_field_wrong_type_and_missing_field_are_named);
    tcase_add_test(t, oversized_and_blockwise_bodies_are_413);
    tcase_add_test(t, callers_are_checked);
    tcase_add_test(t, query_values_are_checked);
    tcase_add_test(t, a_full_queue_answers_503_with_max_age);
    tcase_add_test(t, route_registration_refuses_bad_patterns);
    tcase_add_test(t, etag_is_libcoaps_hash);
    tcase_add_test(t, the_request_hash_is_blake2b_of_route_and_sorted_compact_body);
    tcase_add_test(t, separate_replies_carry_libcoaps_options);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tsr_test_run(suite()); }

/*
 * Observe (RFC 7641) over real CoAP with a libcoap client: a player
 * observing GET /v1/notifications is told when a row for them is added
 * (by any writer: here a second SQLite connection, as the sync module's
 * results and payouts would) and when they mark it read; GET /v1/draws/<game>
 * observers are told about sales.
 */
#include "edge_fixture.h"

static fx F;

/* What the observer saw: every notification of the observed token. */
typedef struct obs {
    uint8_t token[8];
    size_t token_len;
    int count;
    json_t *last; /* owned */
} obs;

static obs *g_obs;
static obs O; /* outlives the test function: teardown frees it */

static coap_response_t on_response(coap_session_t *s, const coap_pdu_t *sent,
                                   const coap_pdu_t *rcvd, const coap_mid_t mid)
{
    coap_bin_const_t t = coap_pdu_get_token(rcvd);
    if (g_obs && t.length == g_obs->token_len && memcmp(t.s, g_obs->token, t.length) == 0) {
        size_t len = 0, off = 0, total = 0;
        const uint8_t *data = NULL;
        json_decref(g_obs->last);
        g_obs->last = coap_get_data_large(rcvd, &len, &data, &off, &total)
                          ? json_loadb((const char *)data, len, 0, NULL)
                          : NULL;
        g_obs->count++;
        return COAP_RESPONSE_OK;
    }
    return fx_on_response(s, sent, rcvd, mid);
}

static void setup(void)
{
    fx_setup(&F, "edgenotify");
    ex_with_edge(&F);
    fx_start(&F);
    coap_register_response_handler(F.cctx, on_response);
}

static void teardown(void)
{
    if (g_obs)
        json_decref(g_obs->last);
    g_obs = NULL;
    fx_teardown(&F);
}

/* Sends GET path?query with Observe: 0 and waits for the first answer. */
static void observe(obs *o, const char *path, const char *query)
{
    memset(o, 0, sizeof *o);
    g_obs = o;
    coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, F.csess);
    coap_session_new_token(F.csess, &o->token_len, o->token);
    coap_add_token(pdu, o->token_len, o->token);
    uint8_t b[4];
    char p[128];
    snprintf(p, sizeof p, "%s", path);
    char *save = NULL;
    for (char *s = strtok_r(p, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
        if (s == p) /* Observe (6) sorts before Uri-Path (11) */
            coap_add_option(pdu, COAP_OPTION_OBSERVE, coap_encode_var_safe(b, sizeof b, 0), b);
        coap_add_option(pdu, COAP_OPTION_URI_PATH, strlen(s), (const uint8_t *)s);
    }
    if (query)
        coap_add_option(pdu, COAP_OPTION_URI_QUERY, strlen(query), (const uint8_t *)query);
    ck_assert_int_ne(coap_send(F.csess, pdu), COAP_INVALID_MID);
    for (int w = 0; o->count == 0 && w < FX_TIMEOUT_MS; w += 10)
        coap_io_process(F.cctx, 10);
    ck_assert_int_eq(o->count, 1);
}

/* Moves the test clock (the node's ticks follow it) until the observer
 * has seen `want` answers. */
static void wait_count(obs *o, int want)
{
    for (int w = 0; o->count < want && w < FX_TIMEOUT_MS; w += 10) {
        ck_assert_int_eq(tsr_clock_test_advance(F.clock, 100 * TSR_NS_PER_MS), TSR_OK);
        coap_io_process(F.cctx, 10);
    }
    ck_assert_msg(o->count >= want, "observer saw %d of %d", o->count, want);
}

static void add_notification(int64_t player, const char *body)
{
    sqlite3 *db = NULL;
    ck_assert_int_eq(sqlite3_open(F.cfg.db_path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char sql[256];
    snprintf(sql, sizeof sql,
             "INSERT INTO notifications(player_id, at_ns, kind, body) VALUES (%lld, 1, 'result',"
             " '%s')",
             (long long)player, body);
    ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

START_TEST(notifications_observed)
{
    obs *op = &O;
    observe(op, "v1/notifications", "session=player-7");
    ck_assert_int_eq(json_integer_value(json_object_get(op->last, "unread")), 0);
    add_notification(7, "{\"game\":\"pick3\",\"draw\":1}");
    wait_count(op, 2);
    ck_assert_int_eq(json_integer_value(json_object_get(op->last, "unread")), 1);
    json_t *item = json_array_get(json_object_get(op->last, "items"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(item, "kind")), "result");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(item, "body"), "game")),
                     "pick3");
    int64_t id = json_integer_value(json_object_get(item, "id"));
    /* Marking it read answers the new count and tells the observer. */
    char body[64];
    snprintf(body, sizeof body, "{\"upto\":%lld}", (long long)id);
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/notifications/read", "session=player-7",
                        body);
    ck_assert_int_eq(r->code, 205);
    ck_assert_int_eq(json_integer_value(json_object_get(r->json, "unread")), 0);
    wait_count(op, 3);
    ck_assert_int_eq(json_integer_value(json_object_get(op->last, "unread")), 0);
    /* Another player's rows are not this player's. */
    add_notification(8, "{\"x\":1}");
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/notifications", "session=player-7", NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(r->json, "unread")), 0);
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/notifications", "session=player-8", NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(r->json, "unread")), 1);
}
END_TEST

START_TEST(notifications_refusals)
{
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/notifications", NULL, NULL);
    ck_assert_int_eq(r->code, 401);
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/notifications", "terminal=term-1", NULL);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_FORBIDDEN_CALLER");
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/notifications", "session=player-7&limit=0", NULL);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_RANGE");
    r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/notifications/read", "session=player-7",
               "{\"upto\":-1}");
    ck_assert_str_eq(fx_err(r), "TSR_ERR_RANGE");
    r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/notifications/read", "session=player-7",
               "{\"upto\":\"1\"}");
    ck_assert_str_eq(fx_err(r), "TSR_ERR_FIELD_TYPE");
    r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/notifications/read", "session=player-7", "{}");
    ck_assert_str_eq(fx_err(r), "TSR_ERR_FIELD_MISSING");
    /* A mark past the player's rows stops at their newest (none: 0). */
    r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/notifications/read", "session=player-7",
               "{\"upto\":99}");
    ck_assert_int_eq(json_integer_value(json_object_get(r->json, "last_read_id")), 0);
    add_notification(7, "{\"x\":2}");
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/notifications", "session=player-7", NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(r->json, "unread")), 1);
}
END_TEST

START_TEST(draw_observed)
{
    fx_open_draw(&F, "pick3");
    obs *op = &O;
    observe(op, "v1/draws/pick3", NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(op->last, "sales"),
                                                        "count")),
                     0);
    ck_assert_int_eq(ex_bet(&F, "terminal=term-1", "1.00", "obs-draw-001", NULL)->code, 201);
    wait_count(op, 2);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(op->last, "sales"),
                                                        "count")),
                     1);
}
END_TEST

static Suite *notify_suite(void)
{
    Suite *s = suite_create("edge_notify");
    TCase *tc = tcase_create("observe");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, notifications_observed);
    tcase_add_test(tc, notifications_refusals);
    tcase_add_test(tc, draw_observed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(notify_suite()); }

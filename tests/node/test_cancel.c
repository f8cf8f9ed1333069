/* Retail cancel: who, when, which games, refund, outbox and audit. */
#include "node_fixture.h"
#include "tessera/codec.h"

static fx F;

static void setup(void) { fx_setup(&F, "cancel"); }
static void teardown(void) { fx_teardown(&F); }

static const char *PICK3 = "{\"type\":\"straight\",\"numbers\":[7,7,7],\"stake\":\"2.00\"}";

/* Sells one ticket and writes its cancel path into path. */
static void sell(const char *query, const char *game, const char *bet, const char *key, char *path,
                 size_t len)
{
    fx_resp *r = fx_bet(&F, query, game, bet, key);
    ck_assert_msg(r->code == 201, "%d %s", r->code, r->body);
    snprintf(path, len, "v1/bets/%s/cancel",
             json_string_value(json_object_get(
                 json_array_get(json_object_get(r->json, "receipts"), 0), "ticket_id")));
}

static int64_t q_int(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_open_v2(F.cfg.db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

START_TEST(the_selling_terminal_voids_with_a_full_refund)
{
    fx_start(&F);
    fx_open_draw(&F, "pick3");
    char path[80];
    sell("terminal=term-1", "pick3", PICK3, "key-c-0001", path, sizeof path);
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_POST, path, "terminal=term-1",
                        "{\"reason\":\"customer changed mind\"}");
    ck_assert_msg(r->code == 205, "%d %s", r->code, r->body);
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "state")), "cancelled");
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "refund")), "2.00");
    ck_assert_int_eq(F.wallet.refunds, 1);
    ck_assert_int_eq(F.wallet.refunded, 200);
    ck_assert_int_eq(q_int("SELECT count(*) FROM outbox WHERE kind = 2 AND seq = 2"), 1);
    ck_assert_int_eq(q_int("SELECT cancel_seq FROM tickets"), 2);
    ck_assert_int_eq(q_int("SELECT count(*) FROM audit WHERE event = 'bet_cancelled'"), 1);
    /* twice: already cancelled, nothing more refunded */
    r = fx_req(&F, COAP_REQUEST_CODE_POST, path, "terminal=term-1", NULL);
    ck_assert_int_eq(r->code, 409);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_CANCELLED");
    ck_assert_int_eq(F.wallet.refunds, 1);
    fx_resp *d = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/draws/pick3", NULL, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(d->json, "sales"), "count")),
                     0);
}
END_TEST

START_TEST(only_the_selling_terminal_and_only_retail_tickets)
{
    fx_start(&F);
    fx_open_draw(&F, "pick3");
    char path[80];
    sell("terminal=term-1", "pick3", PICK3, "key-c-0002", path, sizeof path);
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_POST, path, "terminal=term-2", NULL);
    ck_assert_int_eq(r->code, 403);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_NOT_SELLER");
    sell("session=player-1", "pick3", PICK3, "key-c-0003", path, sizeof path);
    r = fx_req(&F, COAP_REQUEST_CODE_POST, path, "terminal=term-1", NULL);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_FORBIDDEN_CALLER");
    r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/bets/00112233445566778899aabbccddeeff/cancel",
               "terminal=term-1", NULL);
    ck_assert_int_eq(r->code, 404);
    r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/bets/xyz/cancel", "terminal=term-1", NULL);
    ck_assert_int_eq(r->code, 404);
    r = fx_req(&F, COAP_REQUEST_CODE_POST, path, "terminal=term-1", "{\"why\":1}");
    ck_assert_str_eq(fx_err(r), "TSR_ERR_FIELD_UNKNOWN");
    ck_assert_int_eq(F.wallet.refunds, 0);
}
END_TEST

START_TEST(games_that_forbid_it_the_void_window_and_the_cutoff)
{
    fx_start(&F);
    tsr_cutoff_token t = fx_open_draw(&F, "pick3");
    fx_open_draw(&F, "pick4");
    char path[80];
    sell("terminal=term-1", "pick4", "{\"type\":\"straight\",\"numbers\":[1,2,3,4],\"stake\":\"1.00\"}",
         "key-c-0004", path, sizeof path);
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_POST, path, "terminal=term-1", NULL);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_NOT_CANCELLABLE");
    sell("terminal=term-1", "pick3", PICK3, "key-c-0005", path, sizeof path);
    ck_assert_int_eq(tsr_clock_test_advance(F.clock, (F.cfg.void_window_s + 1) * TSR_NS_PER_S),
                     TSR_OK);
    r = fx_req(&F, COAP_REQUEST_CODE_POST, path, "terminal=term-1", NULL);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_VOID_WINDOW");
    /* inside the void window but past the cutoff boundary */
    ck_assert_int_eq(tsr_clock_test_set(F.clock, t.cutoff_at_ns - 60 * TSR_NS_PER_S), TSR_OK);
    sell("terminal=term-1", "pick3", PICK3, "key-c-0006", path, sizeof path);
    ck_assert_int_eq(tsr_clock_test_set(F.clock, t.cutoff_at_ns - 500 * TSR_NS_PER_MS), TSR_OK);
    r = fx_req(&F, COAP_REQUEST_CODE_POST, path, "terminal=term-1", NULL);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_SALES_CLOSED");
    ck_assert_int_eq(F.wallet.refunds, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("node_cancel");
    TCase *t = tcase_create("cancel");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30);
    tcase_add_test(t, the_selling_terminal_voids_with_a_full_refund);
    tcase_add_test(t, only_the_selling_terminal_and_only_retail_tickets);
    tcase_add_test(t, games_that_forbid_it_the_void_window_and_the_cutoff);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tsr_test_run(suite()); }

/* The cutoff boundary with the test clock, unsynchronized clocks, tokens
 * (missing, forged, another key), and the seal at cutoff. */
#include "node_fixture.h"
#include "tessera/codec.h"
#include "tessera/merkle.h"

static fx F;

static void setup(void) { fx_setup(&F, "cutoff"); }
static void teardown(void) { fx_teardown(&F); }

static const char *PICK3 = "{\"type\":\"straight\",\"numbers\":[4,5,6],\"stake\":\"1.00\"}";

/* The last instant a bet is accepted: cutoff - bound - margin - 1 ns is
 * inside, cutoff - bound - margin is not. */
static int64_t boundary(const tsr_cutoff_token *t, int64_t bound_ns)
{
    return t->cutoff_at_ns - bound_ns - F.cfg.cutoff_margin_ms * TSR_NS_PER_MS;
}

START_TEST(accepted_one_ms_before_the_boundary_refused_at_it)
{
    const int64_t bound = 20 * TSR_NS_PER_MS;
    fx_start(&F);
    tsr_cutoff_token t = fx_open_draw(&F, "pick3");
    ck_assert_int_eq(tsr_clock_test_set_error(F.clock, bound, true), TSR_OK);
    ck_assert_int_eq(tsr_clock_test_set(F.clock, boundary(&t, bound) - TSR_NS_PER_MS), TSR_OK);
    fx_resp *r = fx_bet(&F, "terminal=term-1", "pick3", PICK3, "key-edge-in");
    ck_assert_msg(r->code == 201, "%d %s", r->code, r->body);
    ck_assert_int_eq(tsr_clock_test_set(F.clock, boundary(&t, bound)), TSR_OK);
    r = fx_bet(&F, "terminal=term-1", "pick3", PICK3, "key-edge-at");
    ck_assert_int_eq(r->code, 403);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_SALES_CLOSED");
    /* a larger error bound closes sales earlier: 1 ms before the old
     * boundary, with a bound 2 ms larger, is refused */
    ck_assert_int_eq(tsr_clock_test_set_error(F.clock, bound + 2 * TSR_NS_PER_MS, true), TSR_OK);
    ck_assert_int_eq(tsr_clock_test_set(F.clock, boundary(&t, bound) - TSR_NS_PER_MS), TSR_OK);
    r = fx_bet(&F, "terminal=term-1", "pick3", PICK3, "key-edge-bound");
    ck_assert_str_eq(fx_err(r), "TSR_ERR_SALES_CLOSED");
    fx_resp *d = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/draws/pick3", NULL, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(d->json, "state")), "closed");
}
END_TEST

START_TEST(an_unsynchronized_clock_or_a_bound_above_budget_sells_nothing)
{
    fx_start(&F);
    fx_open_draw(&F, "pick3");
    ck_assert_int_eq(tsr_clock_test_set_error(F.clock, 0, false), TSR_OK);
    fx_resp *r = fx_bet(&F, "terminal=term-1", "pick3", PICK3, "key-unsync-1");
    ck_assert_int_eq(r->code, 503);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_CLOCK_UNSYNCED");
    ck_assert_int_eq(tsr_clock_test_set_error(F.clock,
                                              (F.cfg.clock_error_budget_ms + 1) * TSR_NS_PER_MS,
                                              true),
                     TSR_OK);
    r = fx_bet(&F, "terminal=term-1", "pick3", PICK3, "key-unsync-2");
    ck_assert_str_eq(fx_err(r), "TSR_ERR_CLOCK_BOUND");
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/health", NULL, NULL);
    ck_assert(json_is_false(json_object_get(r->json, "sales_open")));
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "reasons")), 1);
    ck_assert_int_eq(tsr_clock_test_set_error(F.clock, 0, true), TSR_OK);
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/health", NULL, NULL);
    ck_assert(json_is_true(json_object_get(r->json, "sales_open")));
    r = fx_bet(&F, "terminal=term-1", "pick3", PICK3, "key-unsync-3");
    ck_assert_int_eq(r->code, 201);
}
END_TEST

START_TEST(no_token_or_a_token_from_another_key_sells_nothing)
{
    fx_start(&F);
    fx_resp *r = fx_bet(&F, "terminal=term-1", "pick3", PICK3, "key-notoken");
    ck_assert_int_eq(r->code, 403);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_NO_TOKEN");
    /* signed by a key that is not pinned */
    tsr_cutoff_token t;
    fx_token(&F, "pick3", FX_T0_NS, &F.other_kp, &t);
    r = fx_install(&F, &t);
    ck_assert_int_eq(r->code, 403);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_KEY_UNKNOWN");
    /* the pinned key's id, another key's signature */
    fx_token(&F, "pick3", FX_T0_NS, &F.authority_kp, &t);
    t.cutoff_at_ns += TSR_NS_PER_S; /* altered after signing */
    r = fx_install(&F, &t);
    ck_assert_int_eq(r->code, 403);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_SIGNATURE");
    r = fx_bet(&F, "terminal=term-1", "pick3", PICK3, "key-notoken");
    ck_assert_str_eq(fx_err(r), "TSR_ERR_NO_TOKEN");
    /* malformed token JSON */
    r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/admin/tokens", NULL, "{\"game\":1}");
    ck_assert_int_eq(r->code, 400);
    /* a second, different token for the same draw */
    tsr_cutoff_token good = fx_open_draw(&F, "pick3");
    t = good;
    t.results_at_ns += TSR_NS_PER_S;
    ck_assert_int_eq(tsr_cutoff_token_sign(&t, &F.authority_kp), TSR_OK);
    r = fx_install(&F, &t);
    ck_assert_int_eq(r->code, 409);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_EXISTS");
    /* an expired token */
    ck_assert_int_eq(tsr_clock_test_set(F.clock, good.results_at_ns), TSR_OK);
    fx_token(&F, "pick4", FX_T0_NS, &F.authority_kp, &t);
    r = fx_install(&F, &t);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_TOKEN_EXPIRED");
}
END_TEST

START_TEST(tokens_survive_a_restart)
{
    fx_start(&F);
    fx_open_draw(&F, "pick3");
    fx_stop_node(&F);
    fx_start(&F);
    fx_resp *r = fx_bet(&F, "terminal=term-1", "pick3", PICK3, "key-restart");
    ck_assert_int_eq(r->code, 201);
}
END_TEST

START_TEST(sales_not_open_before_sales_open_at)
{
    fx_start(&F);
    tsr_cutoff_token t;
    fx_token(&F, "pick3", FX_T0_NS, &F.authority_kp, &t);
    ck_assert_int_eq(fx_install(&F, &t)->code, 201);
    ck_assert_int_eq(tsr_clock_test_set(F.clock, t.sales_open_at_ns - TSR_NS_PER_S), TSR_OK);
    fx_resp *r = fx_bet(&F, "terminal=term-1", "pick3", PICK3, "key-early");
    ck_assert_str_eq(fx_err(r), "TSR_ERR_SALES_NOT_OPEN");
}
END_TEST

static int64_t q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

/* Recomputes the seal's root from the tickets' canonical bytes. */
static void check_seal(sqlite3 *db, const char *game, uint32_t draw, uint64_t count)
{
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT signed FROM seals WHERE game=?1 AND draw=?2",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, game, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, draw);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    tsr_seal seal;
    ck_assert_int_eq(tsr_seal_open(F.node_kp.pk, sqlite3_column_blob(st, 0),
                                   (size_t)sqlite3_column_bytes(st, 0), &seal),
                     TSR_OK);
    sqlite3_finalize(st);
    ck_assert_int_eq(seal.count, count);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT bytes FROM tickets WHERE game=?1 AND draw=?2 "
                                            "AND state=0 ORDER BY seq",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, game, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, draw);
    tsr_merkle_acc acc;
    tsr_merkle_acc_init(&acc);
    tsr_cents stake = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        uint8_t leaf[TSR_HASH_LEN];
        tsr_merkle_leaf(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), leaf);
        tsr_merkle_acc_add(&acc, leaf);
        tsr_ticket t;
        ck_assert_int_eq(tsr_ticket_decode(sqlite3_column_blob(st, 0),
                                           (size_t)sqlite3_column_bytes(st, 0), &t),
                         TSR_OK);
        stake += t.stake_cents;
    }
    sqlite3_finalize(st);
    uint8_t root[TSR_HASH_LEN];
    tsr_merkle_acc_root(&acc, root);
    ck_assert_mem_eq(root, seal.merkle_root, TSR_HASH_LEN);
    ck_assert_int_eq(stake, seal.stake_total_cents);
}

START_TEST(the_draw_is_sealed_at_cutoff_without_cancelled_tickets)
{
    fx_start(&F);
    tsr_cutoff_token t = fx_open_draw(&F, "pick3");
    char key[32], cancel_id[40] = "";
    for (int i = 0; i < 4; i++) {
        snprintf(key, sizeof key, "key-seal-%d", i);
        fx_resp *r = fx_bet(&F, "terminal=term-1", "pick3", PICK3, key);
        ck_assert_int_eq(r->code, 201);
        if (i == 1)
            snprintf(cancel_id, sizeof cancel_id, "%s",
                     json_string_value(json_object_get(
                         json_array_get(json_object_get(r->json, "receipts"), 0), "ticket_id")));
    }
    char path[80];
    snprintf(path, sizeof path, "v1/bets/%s/cancel", cancel_id);
    ck_assert_int_eq(fx_req(&F, COAP_REQUEST_CODE_POST, path, "terminal=term-1", NULL)->code, 205);
    ck_assert_int_eq(tsr_clock_test_set(F.clock, t.cutoff_at_ns), TSR_OK);
    /* the tick runs every loop turn; wait for the seal job to commit */
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open_v2(F.cfg.db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    for (int i = 0; i < 300 && q_int(db, "SELECT count(*) FROM seals") < 1; i++)
        usleep(10 * 1000);
    check_seal(db, "pick3", t.draw, 3);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM audit WHERE event='draw_sealed'"), 1);
    sqlite3_close(db);
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/draws/pick3", NULL, NULL);
    ck_assert_int_eq(r->code, 205);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("node_cutoff");
    TCase *t = tcase_create("cutoff");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30);
    tcase_add_test(t, accepted_one_ms_before_the_boundary_refused_at_it);
    tcase_add_test(t, an_unsynchronized_clock_or_a_bound_above_budget_sells_nothing);
    tcase_add_test(t, no_token_or_a_token_from_another_key_sells_nothing);
    tcase_add_test(t, tokens_survive_a_restart);
    tcase_add_test(t, sales_not_open_before_sales_open_at);
    tcase_add_test(t, the_draw_is_sealed_at_cutoff_without_cancelled_tickets);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tsr_test_run(suite()); }

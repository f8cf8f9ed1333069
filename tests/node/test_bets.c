/* Bets over real CoAP: acceptance, signed receipts, the database and the
 * outbox, idempotency, quick pick, advance play, limits, history. */
#include "node_fixture.h"
#include "tessera/codec.h"
#include "tessera/hash.h"
#include "tessera/receipt_batch.h"

static fx F;

static void setup(void) { fx_setup(&F, "bets"); }
static void teardown(void) { fx_teardown(&F); }

static const char *PICK3 = "{\"type\":\"straight\",\"numbers\":[1,2,3],\"stake\":\"1.00\"}";

static sqlite3 *open_db(void)
{
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open_v2(F.cfg.db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    return db;
}

static int64_t count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* The receipt verifies with the node key alone: the canonical ticket bytes
 * stored in the database hash to a leaf, its inclusion proof leads to the
 * batch root, and the batch signature covers the root. Any altered byte of
 * the signature, the root, the proof or the ticket fails. */
static void check_receipt_signed(const json_t *rc)
{
    uint8_t id[16], sig[TSR_SIG_LEN];
    tsr_receipt_batch b;
    tsr_merkle_proof proof;
    ck_assert_int_eq(tsr_hex_decode(id, 16, json_string_value(json_object_get(rc, "ticket_id"))),
                     TSR_OK);
    ck_assert_int_eq(tsr_receipt_from_json(rc, &b, &proof, sig), TSR_OK);
    sqlite3 *db = open_db();
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT bytes FROM tickets WHERE id = ?1", -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    uint8_t bytes[TSR_TICKET_ENC_MAX];
    size_t len = (size_t)sqlite3_column_bytes(st, 0);
    memcpy(bytes, sqlite3_column_blob(st, 0), len);
    sqlite3_finalize(st);
    sqlite3_close(db);
    ck_assert_int_eq(tsr_receipt_verify(F.node_kp.pk, bytes, len, &b, &proof, sig), TSR_OK);
    tsr_ticket t;
    ck_assert_int_eq(tsr_ticket_decode(bytes, len, &t), TSR_OK);
    ck_assert_str_eq(t.serial, json_string_value(json_object_get(rc, "serial")));
    ck_assert_int_eq((int64_t)t.seq, json_integer_value(json_object_get(rc, "seq")));
    ck_assert_int_eq(t.stake_cents, json_integer_value(json_object_get(rc, "stake_cents")));
    sig[0] ^= 1;
    ck_assert_int_eq(tsr_receipt_verify(F.node_kp.pk, bytes, len, &b, &proof, sig),
                     TSR_ERR_SIGNATURE);
    sig[0] ^= 1;
    b.root[5] ^= 1;
    ck_assert_int_eq(tsr_receipt_verify(F.node_kp.pk, bytes, len, &b, &proof, sig),
                     TSR_ERR_MERKLE_PROOF);
    b.root[5] ^= 1;
    bytes[len - 1] ^= 1; /* the check code */
    ck_assert_int_eq(tsr_receipt_verify(F.node_kp.pk, bytes, len, &b, &proof, sig),
                     TSR_ERR_MERKLE_PROOF);
}

START_TEST(a_retail_bet_gets_a_signed_receipt_a_ticket_and_an_outbox_row)
{
    fx_start(&F);
    tsr_cutoff_token t = fx_open_draw(&F, "pick3");
    fx_resp *r = fx_bet(&F, "terminal=term-1", "pick3", PICK3, "key-00000001");
    ck_assert_msg(r->code == 201, "%d %s", r->code, r->body);
    ck_assert_int_eq(r->content_format, 50); /* JSON */
    ck_assert_uint_eq(r->etag_len, 0);       /* a 2.01 in one datagram: no ETag */
    json_t *rc = json_array_get(json_object_get(r->json, "receipts"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(rc, "game")), "pick3");
    ck_assert_int_eq(json_integer_value(json_object_get(rc, "draw")), t.draw);
    ck_assert_str_eq(json_string_value(json_object_get(rc, "channel")), "retail");
    ck_assert_str_eq(json_string_value(json_object_get(rc, "stake")), "1.00");
    ck_assert_str_eq(json_string_value(json_object_get(rc, "node")), "n1");
    ck_assert_int_eq(json_integer_value(json_object_get(rc, "seq")), 1);
    ck_assert_int_eq(strlen(json_string_value(json_object_get(rc, "check"))), 6);
    check_receipt_signed(rc);
    ck_assert_int_eq(F.wallet.charges, 1);
    ck_assert_int_eq(F.wallet.charged, 100);
    sqlite3 *db = open_db();
    ck_assert_int_eq(count(db, "SELECT count(*) FROM tickets"), 1);
    ck_assert_int_eq(count(db, "SELECT count(*) FROM outbox WHERE kind = 1 AND seq = 1"), 1);
    ck_assert_int_eq(count(db, "SELECT count(*) FROM audit WHERE event = 'bet_accepted'"), 1);
    sqlite3_close(db);
}
END_TEST

START_TEST(a_retry_returns_the_original_receipt_and_a_different_body_is_409)
{
    fx_start(&F);
    fx_open_draw(&F, "pick3");
    fx_resp *r = fx_bet(&F, "session=player-7", "pick3", PICK3, "key-retry-1");
    ck_assert_int_eq(r->code, 201);
    static char first[sizeof ((fx_resp *)0)->body];
    snprintf(first, sizeof first, "%s", r->body);
    r = fx_bet(&F, "session=player-7", "pick3", PICK3, "key-retry-1");
    ck_assert_int_eq(r->code, 201);
    ck_assert_str_eq(r->body, first);
    /* the same request in another key order, spacing and escapes: the
     * same canonical body, so the original receipt */
    r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/bets", "session=player-7",
               " { \"idempotency_key\" : \"key-retry-1\" ,\n \"bet\": {\"stake\":\"1.00\", "
               "\"numbers\": [1, 2, 3], \"type\":\"str\\u0061ight\"}, \"g\\u0061me\":\"pick3\"}");
    ck_assert_int_eq(r->code, 201);
    ck_assert_str_eq(r->body, first);
    r = fx_bet(&F, "session=player-7", "pick3",
               "{\"type\":\"straight\",\"numbers\":[9,9,9],\"stake\":\"1.00\"}", "key-retry-1");
    ck_assert_int_eq(r->code, 409);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_IDEMPOTENT_MISMATCH");
    /* another player may use the same key: keys are scoped by caller */
    r = fx_bet(&F, "session=player-8", "pick3", PICK3, "key-retry-1");
    ck_assert_int_eq(r->code, 201);
    ck_assert_int_eq(F.wallet.charges, 2);
    sqlite3 *db = open_db();
    ck_assert_int_eq(count(db, "SELECT count(*) FROM tickets"), 2);
    sqlite3_close(db);
}
END_TEST

START_TEST(quick_pick_and_advance_play)
{
    fx_start(&F);
    tsr_cutoff_token t1 = fx_open_draw(&F, "pick3");
    /* the next day's token too, for a two-draw advance play */
    tsr_cutoff_token t2;
    fx_token(&F, "pick3", t1.cutoff_at_ns, &F.authority_kp, &t2);
    ck_assert_int_eq(fx_install(&F, &t2)->code, 201);
    fx_resp *r = fx_bet(&F, "session=player-1", "pick3",
                        "{\"type\":\"box\",\"quick_pick\":true,\"draws\":2,\"stake\":\"0.50\"}",
                        "key-advance");
    ck_assert_msg(r->code == 201, "%d %s", r->code, r->body);
    json_t *rcs = json_object_get(r->json, "receipts");
    ck_assert_int_eq(json_array_size(rcs), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(rcs, 0), "draw")), t1.draw);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(rcs, 1), "draw")), t2.draw);
    json_t *bet = json_object_get(json_array_get(rcs, 0), "bet");
    ck_assert_int_eq(json_array_size(json_object_get(bet, "numbers")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(r->json, "total_stake_cents")), 100);
    check_receipt_signed(json_array_get(rcs, 1));
    ck_assert_int_eq(F.wallet.charges, 2); /* one debit per ticket */
    ck_assert_int_eq(F.wallet.charged, 100);
    /* advance play without the second token fails closed */
    r = fx_bet(&F, "session=player-1", "pick3",
               "{\"type\":\"box\",\"quick_pick\":true,\"draws\":3,\"stake\":\"0.50\"}", "key-adv-3");
    ck_assert_int_eq(r->code, 403);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_NO_TOKEN");
}
END_TEST

/* The receipts of the reply (written as text on the writer) are the same
 * JSON as GET /v1/bets/<ticket> (a jansson tree), member for member. */
static void check_receipt_matches_get(const char *query, const json_t *receipt)
{
    json_t *rc = json_deep_copy(receipt); /* the next request reuses the reply */
    char path[80];
    snprintf(path, sizeof path, "v1/bets/%s",
             json_string_value(json_object_get(rc, "ticket_id")));
    fx_resp *g = fx_req(&F, COAP_REQUEST_CODE_GET, path, query, NULL);
    ck_assert_int_eq(g->code, 205);
    ck_assert_msg(json_equal(g->json, rc), "reply %s\nGET %s",
                  json_dumps(rc, JSON_SORT_KEYS), g->body);
    json_decref(rc);
}

/* Every bet_accepted row's leaves hash recomputes from the tickets table:
 * BLAKE2b-256 over the leaf hashes of the tickets with seq in
 * [first_seq, last_seq], in seq order. Returns the tickets covered. */
static int64_t check_group_audit(sqlite3 *db)
{
    sqlite3_stmt *a, *t;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT record FROM audit WHERE event = 'bet_accepted'"
                                            " ORDER BY id", -1, &a, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT leaf FROM tickets WHERE seq BETWEEN ?1 AND ?2"
                                            " ORDER BY seq", -1, &t, NULL), SQLITE_OK);
    int64_t covered = 0;
    while (sqlite3_step(a) == SQLITE_ROW) {
        json_t *rec = json_loads((const char *)sqlite3_column_text(a, 0), 0, NULL);
        json_t *ev = json_object_get(rec, "evidence");
        sqlite3_bind_int64(t, 1, json_integer_value(json_object_get(ev, "first_seq")));
        sqlite3_bind_int64(t, 2, json_integer_value(json_object_get(ev, "last_seq")));
        tsr_hash_ctx h;
        tsr_hash256_init(&h);
        int64_t n = 0;
        for (; sqlite3_step(t) == SQLITE_ROW; n++)
            tsr_hash256_update(&h, sqlite3_column_blob(t, 0), (size_t)sqlite3_column_bytes(t, 0));
        sqlite3_reset(t);
        uint8_t d[TSR_HASH_LEN];
        char hex[TSR_HASH_HEX_SIZE];
        tsr_hash256_final(&h, d);
        ck_assert_int_eq(n, json_integer_value(json_object_get(ev, "tickets")));
        ck_assert_str_eq(tsr_hex_encode(hex, sizeof hex, d, sizeof d),
                         json_string_value(json_object_get(ev, "leaves")));
        covered += n;
        json_decref(rec);
    }
    sqlite3_finalize(a);
    sqlite3_finalize(t);
    return covered;
}

START_TEST(receipts_match_the_stored_tickets_and_each_group_is_audited_once)
{
    fx_start(&F);
    tsr_cutoff_token t1 = fx_open_draw(&F, "pick3");
    tsr_cutoff_token t2;
    fx_token(&F, "pick3", t1.cutoff_at_ns, &F.authority_kp, &t2);
    ck_assert_int_eq(fx_install(&F, &t2)->code, 201);
    fx_resp *r = fx_bet(&F, "session=player-2", "pick3", PICK3, "key-text-1");
    ck_assert_int_eq(r->code, 201);
    check_receipt_matches_get("session=player-2",
                              json_array_get(json_object_get(r->json, "receipts"), 0));
    r = fx_bet(&F, "terminal=term-1", "pick3",
               "{\"type\":\"box\",\"quick_pick\":true,\"draws\":2,\"stake\":\"0.50\"}",
               "key-text-2");
    ck_assert_int_eq(r->code, 201);
    json_t *rcs = json_deep_copy(json_object_get(r->json, "receipts"));
    check_receipt_matches_get("terminal=term-1", json_array_get(rcs, 0));
    check_receipt_matches_get("terminal=term-1", json_array_get(rcs, 1));
    json_decref(rcs);
    /* a replay changes nothing in the audit log */
    ck_assert_int_eq(fx_bet(&F, "terminal=term-1", "pick3",
                            "{\"type\":\"box\",\"quick_pick\":true,\"draws\":2,"
                            "\"stake\":\"0.50\"}", "key-text-2")->code, 201);
    sqlite3 *db = open_db();
    ck_assert_int_eq(check_group_audit(db), 3);
    ck_assert_int_eq(count(db, "SELECT count(*) FROM tickets"), 3);
    sqlite3_close(db);
}
END_TEST

START_TEST(every_game_of_the_catalogue_sells)
{
    fx_start(&F);
    static const char *bets[][2] = {
        {"lotto649", "{\"type\":\"standard\",\"numbers\":[1,2,3,4,5,6]}"},
        {"powerball", "{\"type\":\"standard\",\"quick_pick\":true}"},
        {"pick3", "{\"type\":\"combo\",\"numbers\":[1,2,3],\"stake\":\"0.50\"}"},
        {"pick4", "{\"type\":\"straight\",\"numbers\":[1,2,3,4],\"stake\":\"0.50\"}"},
        {"keno", "{\"type\":\"spot\",\"quick_pick\":true,\"spots\":5,\"stake\":\"1.00\"}"},
        {"bonusbet", "{\"type\":\"odd\",\"stake\":\"1.00\"}"},
    };
    for (size_t i = 0; i < sizeof bets / sizeof bets[0]; i++) {
        fx_open_draw(&F, bets[i][0]);
        char key[32];
        snprintf(key, sizeof key, "key-game-%zu", i);
        fx_resp *r = fx_bet(&F, "terminal=term-2", bets[i][0], bets[i][1], key);
        ck_assert_msg(r->code == 201, "%s: %d %s", bets[i][0], r->code, r->body);
    }
}
END_TEST

START_TEST(invalid_bets_are_refused_with_their_own_codes)
{
    fx_start(&F);
    fx_open_draw(&F, "pick3");
    fx_resp *r = fx_bet(&F, "terminal=term-1", "nosuch", PICK3, "key-x-0001");
    ck_assert_int_eq(r->code, 404);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_GAME_UNKNOWN");
    r = fx_bet(&F, "terminal=term-1", "pick3",
               "{\"type\":\"straight\",\"numbers\":[1,2,13],\"stake\":\"1.00\"}", "key-x-0002");
    ck_assert_int_eq(r->code, 400);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_GAME_NUMBER_RANGE");
    ck_assert_ptr_nonnull(json_object_get(json_object_get(r->json, "detail"), "reason"));
    r = fx_bet(&F, "terminal=term-1", "pick3", "{\"type\":\"straight\",\"numbers\":[1,2,3],\"x\":1}",
               "key-x-0003");
    ck_assert_str_eq(fx_err(r), "TSR_ERR_FIELD_UNKNOWN");
    r = fx_bet(&F, "terminal=term-1", "pick3", PICK3, "short");
    ck_assert_int_eq(r->code, 400);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_RANGE");
    /* the house limit, below the game's own maximum */
    fx_stop_node(&F);
    F.cfg.max_stake_cents = 50;
    fx_start(&F);
    r = fx_bet(&F, "terminal=term-1", "pick3", PICK3, "key-x-0004");
    ck_assert_int_eq(r->code, 403);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_STAKE_LIMIT");
    ck_assert_int_eq(F.wallet.charges, 0);
}
END_TEST

START_TEST(wallet_refusals_pass_through_and_change_nothing)
{
    fx_start(&F);
    fx_open_draw(&F, "pick3");
    F.wallet.fail_with = TSR_ERR_FUNDS;
    fx_resp *r = fx_bet(&F, "session=player-2", "pick3", PICK3, "key-funds-1");
    ck_assert_int_eq(r->code, 403);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_FUNDS");
    F.wallet.fail_with = TSR_ERR_SELF_EXCLUDED;
    r = fx_bet(&F, "session=player-2", "pick3", PICK3, "key-funds-2");
    ck_assert_str_eq(fx_err(r), "TSR_ERR_SELF_EXCLUDED");
    sqlite3 *db = open_db();
    ck_assert_int_eq(count(db, "SELECT count(*) FROM tickets"), 0);
    ck_assert_int_eq(count(db, "SELECT count(*) FROM outbox"), 0);
    ck_assert_int_eq(count(db, "SELECT last_seq FROM outbox_meta"), 0);
    sqlite3_close(db);
    /* a refused key is not burnt: the same key succeeds later */
    F.wallet.fail_with = TSR_OK;
    r = fx_bet(&F, "session=player-2", "pick3", PICK3, "key-funds-1");
    ck_assert_int_eq(r->code, 201);
    ck_assert_int_eq(json_integer_value(json_object_get(
                         json_array_get(json_object_get(r->json, "receipts"), 0), "seq")),
                     1);
}
END_TEST

START_TEST(history_is_paged_and_receipts_are_private)
{
    fx_start(&F);
    fx_open_draw(&F, "pick3");
    char key[32], id[40] = "";
    for (int i = 0; i < 5; i++) {
        snprintf(key, sizeof key, "key-hist-%d", i);
        fx_resp *r = fx_bet(&F, "session=player-4", "pick3", PICK3, key);
        ck_assert_int_eq(r->code, 201);
        snprintf(id, sizeof id, "%s", json_string_value(json_object_get(
                                          json_array_get(json_object_get(r->json, "receipts"), 0),
                                          "ticket_id")));
    }
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/bets", "session=player-4&limit=2", NULL);
    ck_assert_int_eq(r->code, 205);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 2);
    json_int_t next = json_integer_value(json_object_get(r->json, "next"));
    ck_assert_int_eq(next, 4);
    char q[64];
    snprintf(q, sizeof q, "session=player-4&limit=10&before=%lld", (long long)next);
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/bets", q, NULL);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 3);
    ck_assert_ptr_null(json_object_get(r->json, "next"));
    /* a large page goes out block-wise */
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/bets", "session=player-4&limit=100", NULL);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 5);
    char path[80];
    snprintf(path, sizeof path, "v1/bets/%s", id);
    r = fx_req(&F, COAP_REQUEST_CODE_GET, path, "session=player-4", NULL);
    ck_assert_int_eq(r->code, 205);
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "ticket_id")), id);
    r = fx_req(&F, COAP_REQUEST_CODE_GET, path, "session=player-5", NULL);
    ck_assert_int_eq(r->code, 404);
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/bets/zz", "session=player-4", NULL);
    ck_assert_int_eq(r->code, 404);
}
END_TEST

START_TEST(games_and_draws_show_sales_and_countdown)
{
    fx_start(&F);
    tsr_cutoff_token t = fx_open_draw(&F, "lotto649");
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/games", NULL, NULL);
    ck_assert_int_eq(r->code, 205);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "games")), 6);
    r = fx_bet(&F, "terminal=term-1", "lotto649", "{\"type\":\"standard\",\"quick_pick\":true}",
               "key-draws-1");
    ck_assert_int_eq(r->code, 201);
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/draws/lotto649", NULL, NULL);
    ck_assert_int_eq(r->code, 205);
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "state")), "open");
    ck_assert_int_eq(json_integer_value(json_object_get(r->json, "draw")), t.draw);
    ck_assert_int_eq(json_integer_value(json_object_get(r->json, "countdown_ms")),
                     (t.cutoff_at_ns - FX_T0_NS) / TSR_NS_PER_MS);
    json_t *sales = json_object_get(r->json, "sales");
    ck_assert_int_eq(json_integer_value(json_object_get(sales, "count")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(sales, "stake_cents")), 300);
    ck_assert(json_is_string(json_object_get(r->json, "jackpot_estimate")));
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/draws/pick3", NULL, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "state")), "no_token");
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/draws/nosuch", NULL, NULL);
    ck_assert_int_eq(r->code, 404);
}
END_TEST

START_TEST(no_wallet_means_no_sales)
{
    /* a node without the fixture module: no money path, no sessions */
    fx_current_ = &F;
    tsr_node_opts o = {&F.cfg, &F.env, NULL, 0};
    ck_assert_int_eq(tsr_node_start(&F.node, &o), TSR_OK);
    F.port = tsr_node_port(F.node, false);
    fx_client(&F);
    coap_register_response_handler(F.cctx, fx_on_response);
    fx_open_draw(&F, "pick3");
    fx_resp *r = fx_bet(&F, "terminal=term-1", "pick3", PICK3, "key-nowallet");
    ck_assert_int_eq(r->code, 503);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_UNAVAILABLE");
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/bets", "session=player-1", NULL);
    ck_assert_int_eq(r->code, 401);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("node_bets");
    TCase *t = tcase_create("bets");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30);
    tcase_add_test(t, a_retail_bet_gets_a_signed_receipt_a_ticket_and_an_outbox_row);
    tcase_add_test(t, a_retry_returns_the_original_receipt_and_a_different_body_is_409);
    tcase_add_test(t, quick_pick_and_advance_play);
    tcase_add_test(t, receipts_match_the_stored_tickets_and_each_group_is_audited_once);
    tcase_add_test(t, every_game_of_the_catalogue_sells);
    tcase_add_test(t, invalid_bets_are_refused_with_their_own_codes);
    tcase_add_test(t, wallet_refusals_pass_through_and_change_nothing);
    tcase_add_test(t, history_is_paged_and_receipts_are_private);
    tcase_add_test(t, games_and_draws_show_sales_and_countdown);
    tcase_add_test(t, no_wallet_means_no_sales);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tsr_test_run(suite()); }

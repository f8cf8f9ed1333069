/* Replies larger than one CoAP datagram (RFC 7959 Block2): an advance-play
 * bet's separate reply with many receipts, its idempotent replay, and a
 * client that asks for the blocks one by one itself. */
#include "../../node/src/server_int.h"
#include "node_fixture.h"
#include "tessera/receipt_batch.h"
#include "tessera/codec.h"

static fx F;

static void setup(void) { fx_setup(&F, "blockwise"); }
static void teardown(void) { fx_teardown(&F); }

/* Draws of the advance play: enough receipts for several KB of reply. */
#define ADV_DRAWS 8
static const char *ADV_BET =
    "{\"type\":\"straight\",\"numbers\":[1,2,3],\"draws\":8,\"stake\":\"1.00\"}";

/* Installs tokens for the next n draws of pick3; fills draws[]. */
static void open_draws(int n, int64_t *draws)
{
    tsr_cutoff_token t = fx_open_draw(&F, "pick3");
    draws[0] = t.draw;
    for (int i = 1; i < n; i++) {
        tsr_cutoff_token next;
        fx_token(&F, "pick3", t.cutoff_at_ns, &F.authority_kp, &next);
        ck_assert_int_eq(fx_install(&F, &next)->code, 201);
        draws[i] = next.draw;
        t = next;
    }
}

/* Every receipt's batch signature and inclusion proof verify with the node
 * key over the ticket bytes stored in the database, and the draws follow
 * each other. */
static void check_receipts(const json_t *reply, const int64_t *draws)
{
    const json_t *rcs = json_object_get(reply, "receipts");
    ck_assert_int_eq(json_array_size(rcs), ADV_DRAWS);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open_v2(F.cfg.db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT bytes FROM tickets WHERE id = ?1", -1, &st, NULL),
                     SQLITE_OK);
    for (size_t i = 0; i < ADV_DRAWS; i++) {
        const json_t *rc = json_array_get(rcs, i);
        ck_assert_int_eq(json_integer_value(json_object_get(rc, "draw")), draws[i]);
        uint8_t id[16], sig[TSR_SIG_LEN];
        tsr_receipt_batch b;
        tsr_merkle_proof proof;
        ck_assert_int_eq(tsr_hex_decode(id, 16, json_string_value(json_object_get(rc, "ticket_id"))),
                         TSR_OK);
        ck_assert_int_eq(tsr_receipt_from_json(rc, &b, &proof, sig), TSR_OK);
        sqlite3_reset(st);
        sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
        ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
        ck_assert_int_eq(tsr_receipt_verify(F.node_kp.pk, sqlite3_column_blob(st, 0),
                                            (size_t)sqlite3_column_bytes(st, 0), &b, &proof, sig),
                         TSR_OK);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* One block of a reply: the separate reply is block 0 with More set; the
 * same POST with Block2 num=k gets block k. */
typedef struct raw_block {
    bool done;
    int code;
    bool has_block2;
    unsigned num, more, szx;
    size_t len;
    uint8_t data[1024 + 1]; /* NUL-terminated */
    uint8_t etag[8];
    size_t etag_len;
} raw_block;
static raw_block RB;

static coap_response_t on_raw(coap_session_t *s, const coap_pdu_t *sent, const coap_pdu_t *rcvd,
                              const coap_mid_t mid)
{
    (void)s, (void)sent, (void)mid;
    coap_pdu_code_t c = coap_pdu_get_code(rcvd);
    RB.code = COAP_RESPONSE_CLASS(c) * 100 + (c & 0x1f);
    coap_block_t b = {0};
    if (coap_get_block(rcvd, COAP_OPTION_BLOCK2, &b)) {
        RB.has_block2 = true;
        RB.num = b.num;
        RB.more = b.m;
        RB.szx = b.szx;
    }
    coap_opt_iterator_t it;
    coap_opt_t *e = coap_check_option(rcvd, COAP_OPTION_ETAG, &it);
    RB.etag_len = e && coap_opt_length(e) <= sizeof RB.etag ? coap_opt_length(e) : 0;
    if (RB.etag_len)
        memcpy(RB.etag, coap_opt_value(e), RB.etag_len);
    const uint8_t *d = NULL;
    size_t len = 0;
    RB.len = coap_get_data(rcvd, &len, &d) && len < sizeof RB.data ? len : 0;
    if (RB.len)
        memcpy(RB.data, d, len);
    RB.done = true;
    return COAP_RESPONSE_OK;
}

/* POSTs the bet with a Block2 option (num, szx) when num >= 0. */
static void raw_post(coap_session_t *sess, coap_context_t *ctx, const char *body, int num,
                     unsigned szx)
{
    memset(&RB, 0, sizeof RB);
    coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_POST, sess);
    ck_assert_ptr_nonnull(pdu);
    uint8_t tok[8];
    size_t tlen;
    coap_session_new_token(sess, &tlen, tok);
    coap_add_token(pdu, tlen, tok);
    fx_add_uri(pdu, "v1/bets", "terminal=term-1");
    if (num >= 0) {
        uint8_t b[4];
        coap_add_option(pdu, COAP_OPTION_BLOCK2,
                        coap_encode_var_safe(b, sizeof b, ((unsigned)num << 4) | szx), b);
    }
    coap_add_data(pdu, strlen(body), (const uint8_t *)body);
    ck_assert_int_ne(coap_send(sess, pdu), COAP_INVALID_MID);
    for (int waited = 0; !RB.done && waited < FX_TIMEOUT_MS; waited += 10)
        coap_io_process(ctx, 10);
    ck_assert_msg(RB.done, "no block %d", num);
}

/* A second client context with libcoap's block handling off: libcoap
 * 4.3.1 drops a block-wise separate response to a CON request (the empty
 * ACK retired the request it would hang the transfer on), so clients put
 * the blocks together themselves, as this one does. */
static coap_context_t *RAW_CTX;
static coap_session_t *RAW_SESS;

static void raw_open(void)
{
    RAW_CTX = coap_new_context(NULL);
    ck_assert_ptr_nonnull(RAW_CTX);
    coap_address_t a = *coap_session_get_addr_remote(F.csess);
    RAW_SESS = coap_new_client_session(RAW_CTX, NULL, &a, COAP_PROTO_UDP);
    ck_assert_ptr_nonnull(RAW_SESS);
    coap_register_response_handler(RAW_CTX, on_raw);
}

static void raw_close(void)
{
    coap_session_release(RAW_SESS);
    coap_free_context(RAW_CTX);
}

/* The bet with key: block 0 (asked with szx when first_szx >= 0), then
 * every next block, each checked to follow the last. Returns the parsed
 * reply (owned) and its length. */
static json_t *bet_whole(const char *key, int first_szx, size_t *len_out)
{
    char body[512];
    snprintf(body, sizeof body, "{\"game\":\"pick3\",\"bet\":%s,\"idempotency_key\":\"%s\"}",
             ADV_BET, key);
    static char whole[65536];
    size_t got = 0;
    raw_post(RAW_SESS, RAW_CTX, body, first_szx >= 0 ? 0 : -1, first_szx >= 0 ? (unsigned)first_szx : 0);
    ck_assert_msg(RB.code == 201, "%d", RB.code);
    ck_assert_uint_eq(RB.num, 0);
    ck_assert_uint_eq(RB.more, 1); /* several KB: not one datagram */
    unsigned szx = RB.szx;
    if (first_szx >= 0)
        ck_assert_uint_eq(szx, (unsigned)first_szx);
    for (unsigned k = 1;; k++) {
        ck_assert_uint_le(got + RB.len, sizeof whole);
        memcpy(whole + got, RB.data, RB.len);
        got += RB.len;
        if (!RB.more)
            break;
        ck_assert_uint_eq(RB.len, 1u << (szx + 4));
        raw_post(RAW_SESS, RAW_CTX, body, (int)k, szx);
        ck_assert_msg(RB.code == 201, "block %u: %d", k, RB.code);
        ck_assert_uint_eq(RB.num, k);
    }
    *len_out = got;
    json_t *reply = json_loadb(whole, got, 0, NULL);
    ck_assert_msg(reply != NULL, "reassembled %zu bytes do not parse", got);
    return reply;
}

START_TEST(an_advance_play_reply_of_several_kb_comes_block_wise_and_verifies)
{
    fx_start(&F);
    int64_t draws[ADV_DRAWS];
    open_draws(ADV_DRAWS, draws);
    raw_open();
    size_t len;
    json_t *reply = bet_whole("key-adv-8", -1, &len);
    ck_assert_uint_gt(len, 3 * 1024);
    check_receipts(reply, draws);
    ck_assert_int_eq(json_integer_value(json_object_get(reply, "total_stake_cents")),
                     ADV_DRAWS * 100);
    /* one sale, not one per block: the follow-ups replay the stored reply */
    ck_assert_int_eq(F.wallet.charges, ADV_DRAWS);
    /* the whole request again: the same bytes, still one sale */
    char *first = json_dumps(reply, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(reply);
    size_t len2;
    reply = bet_whole("key-adv-8", -1, &len2);
    char *again = json_dumps(reply, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_uint_eq(len2, len);
    ck_assert_str_eq(again, first);
    ck_assert_int_eq(F.wallet.charges, ADV_DRAWS);
    free(first);
    free(again);
    json_decref(reply);
    raw_close();
}
END_TEST

START_TEST(a_client_may_ask_for_smaller_blocks_and_not_past_the_end)
{
    fx_start(&F);
    int64_t draws[ADV_DRAWS];
    open_draws(ADV_DRAWS, draws);
    raw_open();
    size_t len;
    /* 256-byte blocks asked for in the first request, a fresh sale */
    json_t *reply = bet_whole("key-small", 4, &len);
    check_receipts(reply, draws);
    json_decref(reply);
    ck_assert_int_eq(F.wallet.charges, ADV_DRAWS);
    char body[512];
    snprintf(body, sizeof body,
             "{\"game\":\"pick3\",\"bet\":%s,\"idempotency_key\":\"key-small\"}", ADV_BET);
    raw_post(RAW_SESS, RAW_CTX, body, 1000, 4);
    ck_assert_int_eq(RB.code, 400);
    /* a one-ticket reply still fits a datagram: no Block2 at all */
    raw_post(RAW_SESS, RAW_CTX,
             "{\"game\":\"pick3\",\"bet\":{\"type\":\"straight\",\"numbers\":[1,2,3],"
             "\"stake\":\"1.00\"},\"idempotency_key\":\"key-one-ticket\"}",
             -1, 0);
    ck_assert_msg(RB.code == 201, "%d %s", RB.code, RB.data);
    ck_assert(!RB.has_block2);
    ck_assert_ptr_nonnull(strstr((const char *)RB.data, "\"receipts\""));
    raw_close();
}
END_TEST

/* GETs the terminal's history, block num of 256 bytes. */
static void raw_history(int num)
{
    memset(&RB, 0, sizeof RB);
    coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, RAW_SESS);
    ck_assert_ptr_nonnull(pdu);
    uint8_t tok[8], b[4];
    size_t tlen;
    coap_session_new_token(RAW_SESS, &tlen, tok);
    coap_add_token(pdu, tlen, tok);
    fx_add_uri(pdu, "v1/bets", "terminal=term-1");
    coap_add_option(pdu, COAP_OPTION_BLOCK2,
                    coap_encode_var_safe(b, sizeof b, ((unsigned)num << 4) | 4), b);
    ck_assert_int_ne(coap_send(RAW_SESS, pdu), COAP_INVALID_MID);
    for (int waited = 0; !RB.done && waited < FX_TIMEOUT_MS; waited += 10)
        coap_io_process(RAW_CTX, 10);
    ck_assert_msg(RB.done, "no history block %d", num);
    ck_assert_int_eq(RB.code, 205);
}

/* The whole history from block 0, each block checked against block 0's
 * ETag; between block 0 and block 1 `between` runs (e.g. a bet). Returns
 * the number of tickets in it. */
static int history_whole(void (*between)(void), uint8_t etag0[8], size_t *etag0_len)
{
    static char whole[65536];
    size_t got = 0;
    raw_history(0);
    ck_assert_uint_eq(RB.more, 1);
    memcpy(etag0, RB.etag, RB.etag_len);
    *etag0_len = RB.etag_len;
    ck_assert_uint_gt(*etag0_len, 0);
    for (unsigned k = 1;; k++) {
        memcpy(whole + got, RB.data, RB.len);
        got += RB.len;
        if (!RB.more)
            break;
        if (k == 1 && between)
            between();
        raw_history((int)k);
        ck_assert_uint_eq(RB.num, k);
        ck_assert_msg(RB.etag_len == *etag0_len && memcmp(RB.etag, etag0, *etag0_len) == 0,
                      "block %u has another ETag than block 0", k);
    }
    json_t *page = json_loadb(whole, got, 0, NULL);
    ck_assert_msg(page != NULL, "reassembled %zu bytes do not parse", got);
    int n = (int)json_array_size(json_object_get(page, "items"));
    json_decref(page);
    return n;
}

static void sell_one_more(void)
{
    raw_post(RAW_SESS, RAW_CTX,
             "{\"game\":\"pick3\",\"bet\":{\"type\":\"straight\",\"numbers\":[4,5,6],"
             "\"stake\":\"1.00\"},\"idempotency_key\":\"key-between\"}",
             -1, 0);
    ck_assert_int_eq(RB.code, 201);
}

/* A body that changes between its blocks (a sale lands in the history
 * while the client fetches it) is still served as it was at block 0: every
 * block carries block 0's ETag and the pieces make the page of then. A new
 * block 0 gets the new page. */
START_TEST(a_history_read_block_wise_is_the_page_of_its_first_block)
{
    fx_start(&F);
    int64_t draws[ADV_DRAWS];
    open_draws(ADV_DRAWS, draws);
    raw_open();
    size_t len;
    json_decref(bet_whole("key-history", -1, &len));
    uint8_t etag[8], etag2[8];
    size_t etag_len, etag2_len;
    ck_assert_int_eq(history_whole(sell_one_more, etag, &etag_len), ADV_DRAWS);
    ck_assert_int_eq(history_whole(NULL, etag2, &etag2_len), ADV_DRAWS + 1);
    ck_assert(etag_len != etag2_len || memcmp(etag, etag2, etag_len) != 0);
    raw_close();
}
END_TEST

/* A kept body lives TSR_SERVER_BLOCK_BODY_TTL_NS: a later block asked for
 * after that is cut from the body of now (another ETag, which tells the
 * client to start over), never from a body that old. */
START_TEST(a_kept_body_is_not_served_after_its_time)
{
    fx_start(&F);
    int64_t draws[ADV_DRAWS];
    open_draws(ADV_DRAWS, draws);
    raw_open();
    size_t len;
    json_decref(bet_whole("key-kept-body", -1, &len));
    raw_history(0);
    ck_assert_uint_eq(RB.more, 1);
    uint8_t etag0[8];
    size_t etag0_len = RB.etag_len;
    memcpy(etag0, RB.etag, etag0_len);
    sell_one_more();
    raw_history(1); /* within its time: block 0's body */
    ck_assert(RB.etag_len == etag0_len && memcmp(RB.etag, etag0, etag0_len) == 0);
    ck_assert_int_eq(tsr_clock_test_advance(F.clock, TSR_SERVER_BLOCK_BODY_TTL_NS + 1), TSR_OK);
    raw_history(1);
    ck_assert(RB.etag_len != etag0_len || memcmp(RB.etag, etag0, etag0_len) != 0);
    raw_close();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("node_blockwise");
    TCase *t = tcase_create("blockwise");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30);
    tcase_add_test(t, an_advance_play_reply_of_several_kb_comes_block_wise_and_verifies);
    tcase_add_test(t, a_client_may_ask_for_smaller_blocks_and_not_past_the_end);
    tcase_add_test(t, a_history_read_block_wise_is_the_page_of_its_first_block);
    tcase_add_test(t, a_kept_body_is_not_served_after_its_time);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tsr_test_run(suite()); }

/* Receipts signed per batch over real CoAP: an idempotent retry returns the
 * same bytes; bets of one group commit split into batches of at most 16 that
 * cover every ticket once and verify; GET one, history and cancel show the
 * same verifying receipts; the v2 schema and a ticket signed alone before
 * it (a v1 database migrated). */
#include <pthread.h>
#include <time.h>

#include "../../node/src/receipts.h"
#include "node_fixture.h"
#include "tessera/codec.h"
#include "tessera/hash.h"
#include "tessera/receipt_batch.h"

static fx F;

static void setup(void) { fx_setup(&F, "receipts"); }
static void teardown(void) { fx_teardown(&F); }

static const char *PICK3 = "{\"type\":\"straight\",\"numbers\":[4,5,6],\"stake\":\"1.00\"}";
static const char *PICK3_X3 = "{\"type\":\"straight\",\"numbers\":[1,2,3],\"draws\":3,"
                              "\"stake\":\"0.50\"}";

/* ---- the database ------------------------------------------------------------ */

static sqlite3 *open_db(int flags)
{
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open_v2(F.cfg.db_path, &db, flags, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, FX_TIMEOUT_MS);
    return db;
}

static int64_t q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
                  sqlite3_errmsg(db));
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK, "%s: %s", sql, err);
}

/* The canonical bytes of ticket id (out: TSR_TICKET_ENC_MAX) from the
 * tickets table. */
static size_t stored_bytes(const uint8_t id[16], uint8_t *out)
{
    sqlite3 *db = open_db(SQLITE_OPEN_READONLY);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT bytes FROM tickets WHERE id = ?1", -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    size_t len = (size_t)sqlite3_column_bytes(st, 0);
    ck_assert_uint_le(len, TSR_TICKET_ENC_MAX);
    memcpy(out, sqlite3_column_blob(st, 0), len);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return len;
}

/* ---- one receipt ---------------------------------------------------------------- */

/* What a batch-signed receipt proves with, as read back from its JSON. */
typedef struct proven {
    tsr_receipt_batch b;
    tsr_merkle_proof p;
    uint8_t sig[TSR_SIG_LEN];
    uint64_t seq;
} proven;

/* The receipt verifies with the node key over the ticket bytes stored in
 * the database; its id starts with its seq (big-endian) and its members
 * agree with the ticket. */
static proven check_receipt(const json_t *rc)
{
    proven v;
    uint8_t id[16], bytes[TSR_TICKET_ENC_MAX];
    const char *id_hex = json_string_value(json_object_get(rc, "ticket_id"));
    ck_assert_ptr_nonnull(id_hex);
    ck_assert_int_eq(tsr_hex_decode(id, sizeof id, id_hex), TSR_OK);
    ck_assert_int_eq(tsr_receipt_from_json(rc, &v.b, &v.p, v.sig), TSR_OK);
    size_t len = stored_bytes(id, bytes);
    ck_assert_msg(tsr_receipt_verify(F.node_kp.pk, bytes, len, &v.b, &v.p, v.sig) == TSR_OK,
                  "receipt of %s does not verify", id_hex);
    tsr_ticket t;
    ck_assert_int_eq(tsr_ticket_decode(bytes, len, &t), TSR_OK);
    v.seq = t.seq;
    ck_assert_int_eq((int64_t)t.seq, json_integer_value(json_object_get(rc, "seq")));
    ck_assert_str_eq(t.serial, json_string_value(json_object_get(rc, "serial")));
    for (int k = 0; k < 8; k++)
        ck_assert_uint_eq(id[k], (uint8_t)(t.seq >> (56 - 8 * k)));
    ck_assert_uint_le(v.b.count, TSR_RECEIPT_BATCH_MAX);
    ck_assert(v.b.first_seq <= t.seq && t.seq <= v.b.last_seq);
    return v;
}

static void check_same_batch(const proven *a, const proven *b)
{
    ck_assert_uint_eq(a->seq, b->seq);
    ck_assert_uint_eq(a->b.first_seq, b->b.first_seq);
    ck_assert_uint_eq(a->b.last_seq, b->b.last_seq);
    ck_assert_uint_eq(a->b.count, b->b.count);
    ck_assert_mem_eq(a->b.root, b->b.root, TSR_HASH_LEN);
    ck_assert_mem_eq(a->sig, b->sig, TSR_SIG_LEN);
    ck_assert_uint_eq(a->p.index, b->p.index);
}

/* Installs tokens for the next n draws of pick3. */
static void open_draws(int n)
{
    tsr_cutoff_token t = fx_open_draw(&F, "pick3");
    for (int i = 1; i < n; i++) {
        tsr_cutoff_token next;
        fx_token(&F, "pick3", t.cutoff_at_ns, &F.authority_kp, &next);
        ck_assert_int_eq(fx_install(&F, &next)->code, 201);
        t = next;
    }
}

/* ---- (a) a retry returns the same bytes ----------------------------------------- */

/* Bets once, then retries the same request: 201 and the same reply bytes,
 * before and after a restart of the node (the replay then reads
 * everything from the database). One sale only. */
static void check_retry_identical(const char *query, const char *bet, const char *key,
                                  size_t n_receipts)
{
    static char first[sizeof ((fx_resp *)0)->body];
    int64_t charges = F.wallet.charges;
    fx_resp *r = fx_bet(&F, query, "pick3", bet, key);
    ck_assert_msg(r->code == 201, "%d %s", r->code, r->body);
    size_t len = r->len;
    memcpy(first, r->body, len);
    json_t *rcs = json_object_get(r->json, "receipts");
    ck_assert_int_eq(json_array_size(rcs), n_receipts);
    for (size_t i = 0; i < n_receipts; i++)
        (void)check_receipt(json_array_get(rcs, i));
    for (int round = 0; round < 2; round++) {
        r = fx_bet(&F, query, "pick3", bet, key);
        ck_assert_int_eq(r->code, 201);
        ck_assert_uint_eq(r->len, len);
        ck_assert_msg(memcmp(r->body, first, len) == 0, "retry %d differs:\n%s\n%s", round,
                      first, r->body);
        fx_stop_node(&F);
        fx_start(&F);
    }
    ck_assert_int_eq(F.wallet.charges, charges + (int64_t)n_receipts);
}

START_TEST(a_retry_returns_byte_identical_receipts_for_one_and_three_draws)
{
    fx_start(&F);
    open_draws(3);
    check_retry_identical("session=player-3", PICK3, "key-rcpt-one", 1);
    check_retry_identical("terminal=term-1", PICK3_X3, "key-rcpt-three", 3);
    /* a quick pick replays the numbers it drew, not new ones */
    check_retry_identical("session=player-3",
                          "{\"type\":\"box\",\"quick_pick\":true,\"draws\":3,\"stake\":\"0.50\"}",
                          "key-rcpt-qp", 3);
    sqlite3 *db = open_db(SQLITE_OPEN_READONLY);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM tickets"), 7);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM idempotency WHERE replay_ref IS NOT NULL"
                               " AND response IS NULL"),
                     3);
    /* each stored reference is the first seq of its bet's tickets */
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM idempotency i JOIN tickets t"
                               " ON t.seq = i.replay_ref AND NOT EXISTS (SELECT 1 FROM tickets u"
                               " WHERE u.bet_id = t.bet_id AND u.seq < t.seq)"),
                     3);
    sqlite3_close(db);
}
END_TEST

/* ---- (b) one group of many bets ---------------------------------------------- */

/* A wallet charge that holds the writer thread inside the first bet once
 * armed, so the bets sent meanwhile queue up and commit as one group. */
static pthread_mutex_t HOLD_MU = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t HOLD_CV = PTHREAD_COND_INITIALIZER;
enum { HOLD_OFF, HOLD_ARMED, HOLD_HELD, HOLD_RELEASED };
static int HOLD = HOLD_OFF;

static tsr_status hold_charge(void *arg, tsr_store_txn *t, const tsr_bet_charge *c)
{
    pthread_mutex_lock(&HOLD_MU);
    if (HOLD == HOLD_ARMED) {
        HOLD = HOLD_HELD;
        pthread_cond_broadcast(&HOLD_CV);
        while (HOLD != HOLD_RELEASED)
            pthread_cond_wait(&HOLD_CV, &HOLD_MU);
    }
    pthread_mutex_unlock(&HOLD_MU);
    return fx_charge(arg, t, c);
}

static tsr_status hold_module_init(tsr_server *srv, const json_t *section)
{
    (void)section;
    static tsr_wallet_hooks h;
    h.charge = hold_charge;
    h.refund = fx_refund;
    h.arg = &F.wallet;
    tsr_server_set_wallet_hooks(srv, &h); /* after the fixture's own */
    return TSR_OK;
}

static void hold_wait_held(void)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += FX_TIMEOUT_MS / 1000;
    pthread_mutex_lock(&HOLD_MU);
    int rc = 0;
    while (HOLD != HOLD_HELD && rc == 0)
        rc = pthread_cond_timedwait(&HOLD_CV, &HOLD_MU, &until);
    bool held = HOLD == HOLD_HELD;
    pthread_mutex_unlock(&HOLD_MU);
    ck_assert_msg(held, "the first bet never reached the wallet");
}

static void hold_release(void)
{
    pthread_mutex_lock(&HOLD_MU);
    HOLD = HOLD_RELEASED;
    pthread_cond_broadcast(&HOLD_CV);
    pthread_mutex_unlock(&HOLD_MU);
}

/* A second client that keeps many requests in flight: each request's token
 * is its slot; a reply is its first block only (the rest is fetched later
 * with a retry). */
#define BURST_MAX 16
typedef struct burst_reply {
    bool done;
    int code;
    int more; /* Block2 More of the first block; 0 when absent */
    size_t len;
    char body[2048];
} burst_reply;

static burst_reply BURST[BURST_MAX + 1]; /* the last slot: the barrier GET */
static coap_context_t *B_CTX;
static coap_session_t *B_SESS;

static coap_response_t on_burst(coap_session_t *s, const coap_pdu_t *sent, const coap_pdu_t *rcvd,
                                const coap_mid_t mid)
{
    (void)s, (void)sent, (void)mid;
    coap_bin_const_t tok = coap_pdu_get_token(rcvd);
    if (tok.length != 1 || tok.s[0] > BURST_MAX || BURST[tok.s[0]].done)
        return COAP_RESPONSE_OK;
    burst_reply *r = &BURST[tok.s[0]];
    coap_pdu_code_t c = coap_pdu_get_code(rcvd);
    r->code = COAP_RESPONSE_CLASS(c) * 100 + (c & 0x1f);
    coap_block_t b = {0};
    r->more = coap_get_block(rcvd, COAP_OPTION_BLOCK2, &b) ? (int)b.m : 0;
    const uint8_t *d = NULL;
    size_t len = 0;
    if (coap_get_data(rcvd, &len, &d) && len < sizeof r->body) {
        memcpy(r->body, d, len);
        r->len = len;
    }
    r->body[r->len] = '\0';
    r->done = true;
    return COAP_RESPONSE_OK;
}

static void burst_open(void)
{
    memset(BURST, 0, sizeof BURST);
    B_CTX = coap_new_context(NULL);
    ck_assert_ptr_nonnull(B_CTX);
    coap_address_t a = *coap_session_get_addr_remote(F.csess);
    B_SESS = coap_new_client_session(B_CTX, NULL, &a, COAP_PROTO_UDP);
    ck_assert_ptr_nonnull(B_SESS);
    coap_register_response_handler(B_CTX, on_burst);
}

static void burst_close(void)
{
    coap_session_release(B_SESS);
    coap_free_context(B_CTX);
}

static void burst_send(uint8_t slot, coap_pdu_code_t method, const char *path, const char *query,
                       const char *body)
{
    coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, method, B_SESS);
    ck_assert_ptr_nonnull(pdu);
    coap_add_token(pdu, 1, &slot);
    fx_add_uri(pdu, path, query);
    if (body)
        coap_add_data(pdu, strlen(body), (const uint8_t *)body);
    ck_assert_int_ne(coap_send(B_SESS, pdu), COAP_INVALID_MID);
}

static void burst_wait(size_t from, size_t to)
{
    for (int waited = 0; waited < 4 * FX_TIMEOUT_MS; waited += 10) {
        size_t k = from;
        while (k < to && BURST[k].done)
            k++;
        if (k == to)
            return;
        coap_io_process(B_CTX, 10);
    }
    ck_abort_msg("replies %zu..%zu did not all come", from, to);
}

/* The bets of the burst: player-(20+i), 1 or 3 draws. */
#define BURST_BETS 11
static const char *burst_bet(size_t i) { return i % 2 ? PICK3_X3 : PICK3; }
static size_t burst_draws(size_t i) { return i % 2 ? 3 : 1; }

static void burst_body(size_t i, char *body, size_t len)
{
    snprintf(body, len, "{\"game\":\"pick3\",\"bet\":%s,\"idempotency_key\":\"key-burst-%02zu\"}",
             burst_bet(i), i);
}

static void burst_query(size_t i, char *q, size_t len) { snprintf(q, len, "session=player-%zu", 20 + i); }

/* Bet 0 goes first and holds the writer inside its group; bets 1.. queue
 * behind it; a GET sent last answers only once the node has read (and
 * queued) every bet before it; then the writer goes on. */
static void burst_sell(void)
{
    char body[512], q[64];
    burst_open();
    pthread_mutex_lock(&HOLD_MU);
    HOLD = HOLD_ARMED;
    pthread_mutex_unlock(&HOLD_MU);
    burst_body(0, body, sizeof body);
    burst_query(0, q, sizeof q);
    burst_send(0, COAP_REQUEST_CODE_POST, "v1/bets", q, body);
    hold_wait_held();
    for (size_t i = 1; i < BURST_BETS; i++) {
        burst_body(i, body, sizeof body);
        burst_query(i, q, sizeof q);
        burst_send((uint8_t)i, COAP_REQUEST_CODE_POST, "v1/bets", q, body);
    }
    burst_send(BURST_MAX, COAP_REQUEST_CODE_GET, "v1/games", NULL, NULL);
    burst_wait(BURST_MAX, BURST_MAX + 1);
    for (size_t i = 0; i < BURST_BETS; i++)
        ck_assert_msg(!BURST[i].done, "bet %zu answered while the writer was held", i);
    hold_release();
    burst_wait(0, BURST_BETS);
    burst_close();
}

/* The receipt of GET /v1/bets/<id> verifies with the same batch. */
static void check_get_one(const char *query, const json_t *rc, const proven *sold)
{
    char path[80];
    snprintf(path, sizeof path, "v1/bets/%s", json_string_value(json_object_get(rc, "ticket_id")));
    fx_resp *g = fx_req(&F, COAP_REQUEST_CODE_GET, path, query, NULL);
    ck_assert_msg(g->code == 205, "%d %s", g->code, g->body);
    proven got = check_receipt(g->json);
    check_same_batch(&got, sold);
}

/* Every item of the caller's history verifies with the batch of the
 * receipt sold (rcs, matched by ticket id). */
static void check_history(const char *query, const json_t *rcs)
{
    char q[96];
    snprintf(q, sizeof q, "%s&limit=100", query);
    fx_resp *h = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/bets", q, NULL);
    ck_assert_msg(h->code == 205, "%d %s", h->code, h->body);
    json_t *items = json_object_get(h->json, "items");
    ck_assert_int_eq(json_array_size(items), json_array_size(rcs));
    size_t i, j;
    json_t *item, *rc;
    json_array_foreach(items, i, item) {
        proven got = check_receipt(item);
        bool found = false;
        json_array_foreach(rcs, j, rc) {
            if (json_equal(json_object_get(rc, "ticket_id"), json_object_get(item, "ticket_id"))) {
                proven sold = check_receipt(rc);
                check_same_batch(&got, &sold);
                found = true;
            }
        }
        ck_assert_msg(found, "history item %zu was not sold to %s", i, query);
    }
}

/* Bet i of the burst: its first block is the start of the whole reply a
 * retry gets (the whole reply when it fit one block), and each receipt
 * verifies there, in GET one and in the history. */
static void check_burst_bet(size_t i)
{
    char body[512], q[64];
    burst_body(i, body, sizeof body);
    burst_query(i, q, sizeof q);
    ck_assert_msg(BURST[i].code == 201, "bet %zu: %d %s", i, BURST[i].code, BURST[i].body);
    if (!BURST[i].more) { /* a receipt filled when its group closed */
        json_t *whole = json_loads(BURST[i].body, 0, NULL);
        ck_assert_ptr_nonnull(whole);
        (void)check_receipt(json_array_get(json_object_get(whole, "receipts"), 0));
        json_decref(whole);
    }
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/bets", q, body);
    ck_assert_int_eq(r->code, 201);
    ck_assert_uint_ge(r->len, BURST[i].len);
    ck_assert_msg(memcmp(r->body, BURST[i].body, BURST[i].len) == 0,
                  "bet %zu: the retry differs from the first reply", i);
    if (!BURST[i].more)
        ck_assert_uint_eq(r->len, BURST[i].len);
    json_t *rcs = json_deep_copy(json_object_get(r->json, "receipts"));
    ck_assert_int_eq(json_array_size(rcs), burst_draws(i));
    for (size_t k = 0; k < json_array_size(rcs); k++) {
        proven sold = check_receipt(json_array_get(rcs, k));
        check_get_one(q, json_array_get(rcs, k), &sold);
    }
    check_history(q, rcs);
    json_decref(rcs);
}

/* Each stored batch: its root is the Merkle root of the leaves of the
 * tickets in its range (as many as its count), and every one of those
 * tickets verifies under its signature. */
static void check_stored_batches(sqlite3 *db)
{
    sqlite3_stmt *b, *t;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT first_seq, last_seq, count, root, sig"
                                            " FROM receipt_batches ORDER BY first_seq", -1, &b,
                                        NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT bytes, leaf FROM tickets"
                                            " WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq", -1, &t,
                                        NULL), SQLITE_OK);
    while (sqlite3_step(b) == SQLITE_ROW) {
        tsr_receipt_batch rb = {.first_seq = (uint64_t)sqlite3_column_int64(b, 0),
                                .last_seq = (uint64_t)sqlite3_column_int64(b, 1),
                                .count = (uint32_t)sqlite3_column_int(b, 2)};
        snprintf(rb.node, sizeof rb.node, "n1");
        ck_assert_uint_le(rb.count, TSR_RECEIPT_BATCH_MAX);
        memcpy(rb.root, sqlite3_column_blob(b, 3), TSR_HASH_LEN);
        uint8_t sig[TSR_SIG_LEN], leaves[TSR_RECEIPT_BATCH_MAX][TSR_HASH_LEN], root[TSR_HASH_LEN];
        uint8_t bytes[TSR_RECEIPT_BATCH_MAX][TSR_TICKET_ENC_MAX];
        size_t len[TSR_RECEIPT_BATCH_MAX], n = 0;
        memcpy(sig, sqlite3_column_blob(b, 4), TSR_SIG_LEN);
        sqlite3_bind_int64(t, 1, (int64_t)rb.first_seq);
        sqlite3_bind_int64(t, 2, (int64_t)rb.last_seq);
        for (; sqlite3_step(t) == SQLITE_ROW; n++) {
            ck_assert_uint_lt(n, TSR_RECEIPT_BATCH_MAX);
            len[n] = (size_t)sqlite3_column_bytes(t, 0);
            memcpy(bytes[n], sqlite3_column_blob(t, 0), len[n]);
            memcpy(leaves[n], sqlite3_column_blob(t, 1), TSR_HASH_LEN);
        }
        sqlite3_reset(t);
        ck_assert_uint_eq(n, rb.count);
        tsr_merkle_root((const uint8_t(*)[TSR_HASH_LEN])leaves, n, root);
        ck_assert_mem_eq(root, rb.root, TSR_HASH_LEN);
        for (size_t k = 0; k < n; k++) {
            tsr_merkle_proof p;
            ck_assert_int_eq(tsr_merkle_prove((const uint8_t(*)[TSR_HASH_LEN])leaves, n, k, &p),
                             TSR_OK);
            ck_assert_int_eq(tsr_receipt_verify(F.node_kp.pk, bytes[k], len[k], &rb, &p, sig),
                             TSR_OK);
        }
    }
    sqlite3_finalize(b);
    sqlite3_finalize(t);
}

/* Each group commit (one bet_accepted audit row) is cut into batches of
 * 16 in seq order, the last one holding the rest. Returns the largest
 * group's ticket count. */
static int64_t check_groups_cut_by_16(sqlite3 *db)
{
    sqlite3_stmt *a, *b;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT record FROM audit WHERE event = 'bet_accepted'",
                                        -1, &a, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count, first_seq FROM receipt_batches"
                                            " WHERE first_seq >= ?1 AND last_seq <= ?2"
                                            " ORDER BY first_seq", -1, &b, NULL), SQLITE_OK);
    int64_t largest = 0;
    while (sqlite3_step(a) == SQLITE_ROW) {
        json_t *rec = json_loads((const char *)sqlite3_column_text(a, 0), 0, NULL);
        json_t *ev = json_object_get(rec, "evidence");
        int64_t tickets = json_integer_value(json_object_get(ev, "tickets"));
        sqlite3_bind_int64(b, 1, json_integer_value(json_object_get(ev, "first_seq")));
        sqlite3_bind_int64(b, 2, json_integer_value(json_object_get(ev, "last_seq")));
        int64_t left = tickets;
        while (sqlite3_step(b) == SQLITE_ROW) {
            int64_t want = left < TSR_RECEIPT_BATCH_MAX ? left : TSR_RECEIPT_BATCH_MAX;
            ck_assert_int_eq(sqlite3_column_int64(b, 0), want);
            left -= want;
        }
        sqlite3_reset(b);
        ck_assert_int_eq(left, 0);
        if (tickets > largest)
            largest = tickets;
        json_decref(rec);
    }
    sqlite3_finalize(a);
    sqlite3_finalize(b);
    return largest;
}

START_TEST(bets_of_one_group_are_cut_into_batches_that_cover_every_ticket_once)
{
    F.extra[0] = (tsr_node_module){"hold", hold_module_init, NULL};
    F.n_extra = 1;
    fx_start(&F);
    open_draws(3);
    burst_sell();
    for (size_t i = 0; i < BURST_BETS; i++)
        check_burst_bet(i);
    sqlite3 *db = open_db(SQLITE_OPEN_READONLY);
    int64_t tickets = q_int(db, "SELECT count(*) FROM tickets");
    ck_assert_int_eq(tickets, 1 + 5 * 3 + 5);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM tickets t WHERE (SELECT count(*)"
                               " FROM receipt_batches b WHERE t.seq BETWEEN b.first_seq AND"
                               " b.last_seq) <> 1"),
                     0);
    ck_assert_int_eq(q_int(db, "SELECT sum(count) FROM receipt_batches"), tickets);
    ck_assert_int_le(q_int(db, "SELECT max(count) FROM receipt_batches"), TSR_RECEIPT_BATCH_MAX);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM receipt_batches b WHERE NOT EXISTS"
                               " (SELECT 1 FROM tickets WHERE seq = b.first_seq) OR NOT EXISTS"
                               " (SELECT 1 FROM tickets WHERE seq = b.last_seq)"),
                     0);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM tickets WHERE length(sig) <> 0"), 0);
    check_stored_batches(db);
    /* the held bet alone, then the 20 tickets of the ten queued behind it */
    ck_assert_int_eq(check_groups_cut_by_16(db), tickets - 1);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM receipt_batches"), 3);
    sqlite3_close(db);
    ck_assert_int_eq(F.wallet.charges, tickets); /* the retries sold nothing */
}
END_TEST

/* ---- (d) a cancelled ticket ---------------------------------------------------- */

START_TEST(a_cancelled_ticket_still_verifies_and_so_do_its_neighbours)
{
    fx_start(&F);
    open_draws(3);
    fx_resp *r = fx_bet(&F, "terminal=term-1", "pick3", PICK3_X3, "key-rcpt-cancel");
    ck_assert_msg(r->code == 201, "%d %s", r->code, r->body);
    json_t *rcs = json_deep_copy(json_object_get(r->json, "receipts"));
    proven sold = check_receipt(json_array_get(rcs, 1));
    char path[80];
    snprintf(path, sizeof path, "v1/bets/%s/cancel",
             json_string_value(json_object_get(json_array_get(rcs, 1), "ticket_id")));
    r = fx_req(&F, COAP_REQUEST_CODE_POST, path, "terminal=term-1", "{\"reason\":\"misprint\"}");
    ck_assert_msg(r->code == 205, "%d %s", r->code, r->body);
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "state")), "cancelled");
    proven cancelled = check_receipt(r->json);
    check_same_batch(&cancelled, &sold);
    /* GET one and the history: cancelled, same batch; the other two
     * tickets of the batch keep verifying */
    check_get_one("terminal=term-1", json_array_get(rcs, 1), &sold);
    snprintf(path, sizeof path, "v1/bets/%s",
             json_string_value(json_object_get(json_array_get(rcs, 1), "ticket_id")));
    r = fx_req(&F, COAP_REQUEST_CODE_GET, path, "terminal=term-1", NULL);
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "state")), "cancelled");
    check_history("terminal=term-1", rcs);
    for (size_t k = 0; k < 3; k++) {
        proven v = check_receipt(json_array_get(rcs, k));
        check_get_one("terminal=term-1", json_array_get(rcs, k), &v);
    }
    json_decref(rcs);
    ck_assert_int_eq(F.wallet.refunds, 1);
}
END_TEST

/* ---- (e) schema v2 and tickets signed alone --------------------------------------- */

static bool has_column(sqlite3 *db, const char *table, const char *column)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'",
             table, column);
    return q_int(db, sql) == 1;
}

/* A receipt signed per ticket: "sig" alone, no batch or proof, and the
 * signature is the node's over the stored ticket bytes. */
static void check_signed_alone(const json_t *rc)
{
    uint8_t id[16], sig[TSR_SIG_LEN], bytes[TSR_TICKET_ENC_MAX];
    ck_assert_int_eq(tsr_hex_decode(id, 16, json_string_value(json_object_get(rc, "ticket_id"))),
                     TSR_OK);
    ck_assert_int_eq(tsr_hex_decode(sig, sizeof sig, json_string_value(json_object_get(rc, "sig"))),
                     TSR_OK);
    ck_assert_ptr_null(json_object_get(rc, "batch"));
    ck_assert_ptr_null(json_object_get(rc, "proof"));
    tsr_receipt_batch b;
    tsr_merkle_proof p;
    ck_assert_int_eq(tsr_receipt_from_json(rc, &b, &p, sig), TSR_ERR_FIELD_MISSING);
    size_t len = stored_bytes(id, bytes);
    ck_assert_int_eq(tsr_verify(F.node_kp.pk, bytes, len, sig), TSR_OK);
    ck_assert_int_eq(tsr_verify(F.other_kp.pk, bytes, len, sig), TSR_ERR_SIGNATURE);
    tsr_ticket t;
    ck_assert_int_eq(tsr_ticket_decode(bytes, len, &t), TSR_OK);
    ck_assert_int_eq((int64_t)t.seq, json_integer_value(json_object_get(rc, "seq")));
}

/* Re-signs ticket `seq` as schema v1 did: Ed25519 over its own bytes, in
 * tickets.sig. */
static void sign_alone(sqlite3 *db, int64_t seq)
{
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT bytes FROM tickets WHERE seq = ?1", -1, &st,
                                        NULL), SQLITE_OK);
    sqlite3_bind_int64(st, 1, seq);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    uint8_t sig[TSR_SIG_LEN];
    tsr_sign(&F.node_kp, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), sig);
    sqlite3_finalize(st);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "UPDATE tickets SET sig = ?1 WHERE seq = ?2", -1, &st,
                                        NULL), SQLITE_OK);
    sqlite3_bind_blob(st, 1, sig, TSR_SIG_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seq);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
}

/* Into the stopped node's database: a copy of ticket `from` with the next
 * seq, a new id, serial and bet, signed alone (as before v2), with its
 * outbox row and the outbox's last seq moved on. Writes its id. */
static void insert_signed_alone(sqlite3 *db, int64_t from, char id_hex[33])
{
    int64_t seq = q_int(db, "SELECT last_seq FROM outbox_meta") + 1;
    uint8_t bytes[TSR_TICKET_ENC_MAX], sig[TSR_SIG_LEN], leaf[TSR_HASH_LEN], bet_id[16];
    size_t len;
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT bytes FROM tickets WHERE seq = ?1", -1, &st,
                                        NULL), SQLITE_OK);
    sqlite3_bind_int64(st, 1, from);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    tsr_ticket t;
    ck_assert_int_eq(tsr_ticket_decode(sqlite3_column_blob(st, 0),
                                       (size_t)sqlite3_column_bytes(st, 0), &t), TSR_OK);
    sqlite3_finalize(st);
    t.seq = (uint64_t)seq;
    tsr_rng_bytes(F.rng, t.id, sizeof t.id); /* an old, random id */
    tsr_rng_bytes(F.rng, bet_id, sizeof bet_id);
    tsr_receipt_serial(&t);
    tsr_enc e;
    tsr_enc_init(&e, bytes, sizeof bytes);
    ck_assert_int_eq(tsr_ticket_encode(&t, &e), TSR_OK);
    ck_assert_int_eq(tsr_enc_finish(&e, &len), TSR_OK);
    tsr_sign(&F.node_kp, bytes, len, sig);
    tsr_merkle_leaf(bytes, len, leaf);
    ck_assert_int_eq(sqlite3_prepare_v2(
                         db,
                         "INSERT INTO tickets(id, seq, serial, check_code, game, draw, channel,"
                         " player_id, terminal_id, bet_id, bet, stake_cents, accepted_at_ns, bytes,"
                         " sig, leaf) SELECT ?1, ?2, ?3, ?4, game, draw, channel, player_id,"
                         " terminal_id, ?5, bet, stake_cents, accepted_at_ns, ?6, ?7, ?8"
                         " FROM tickets WHERE seq = ?9",
                         -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(st, 1, t.id, 16, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seq);
    sqlite3_bind_text(st, 3, t.serial, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, t.check);
    sqlite3_bind_blob(st, 5, bet_id, 16, SQLITE_STATIC);
    sqlite3_bind_blob(st, 6, bytes, (int)len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 7, sig, TSR_SIG_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 8, leaf, TSR_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, from);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO outbox(seq, kind, bytes) VALUES (?1, 1, ?2)",
                                        -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_int64(st, 1, seq);
    sqlite3_bind_blob(st, 2, bytes, (int)len, SQLITE_STATIC);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    exec(db, "UPDATE outbox_meta SET last_seq = last_seq + 1");
    tsr_hex_encode(id_hex, 33, t.id, 16);
}

START_TEST(a_new_database_has_schema_v2)
{
    fx_start(&F);
    sqlite3 *db = open_db(SQLITE_OPEN_READONLY);
    ck_assert_int_eq(q_int(db, "PRAGMA user_version"), 2);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                               " AND name = 'receipt_batches'"),
                     1);
    ck_assert(has_column(db, "idempotency", "replay_ref"));
    ck_assert(has_column(db, "receipt_batches", "root"));
    sqlite3_close(db);
}
END_TEST

START_TEST(a_ticket_signed_alone_is_served_with_its_own_signature)
{
    fx_start(&F);
    open_draws(1);
    fx_resp *r = fx_bet(&F, "session=player-6", "pick3", PICK3, "key-alone-1");
    ck_assert_int_eq(r->code, 201);
    fx_stop_node(&F);
    char id[33], path[80];
    sqlite3 *db = open_db(SQLITE_OPEN_READWRITE);
    insert_signed_alone(db, 1, id);
    sqlite3_close(db);
    fx_start(&F);
    snprintf(path, sizeof path, "v1/bets/%s", id);
    r = fx_req(&F, COAP_REQUEST_CODE_GET, path, "session=player-6", NULL);
    ck_assert_msg(r->code == 205, "%d %s", r->code, r->body);
    ck_assert_int_eq(json_integer_value(json_object_get(r->json, "seq")), 2);
    check_signed_alone(r->json);
    /* a bet after it gets the next seq and a batch of its own */
    r = fx_bet(&F, "session=player-6", "pick3", PICK3, "key-alone-2");
    ck_assert_int_eq(r->code, 201);
    proven after = check_receipt(json_array_get(json_object_get(r->json, "receipts"), 0));
    ck_assert_uint_eq(after.seq, 3);
    ck_assert_uint_eq(after.b.first_seq, 3);
    /* the history mixes both kinds, each verifying its own way */
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/bets", "session=player-6&limit=10", NULL);
    json_t *items = json_deep_copy(json_object_get(r->json, "items"));
    ck_assert_int_eq(json_array_size(items), 3);
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item) {
        if (json_object_get(item, "batch"))
            (void)check_receipt(item);
        else
            check_signed_alone(item);
    }
    json_decref(items);
}
END_TEST

/* The reply a v1 node stored for an idempotent bet: its receipts with the
 * per-ticket signature and no batch. */
static char *v1_reply(const json_t *reply, sqlite3 *db)
{
    json_t *old = json_deep_copy(reply);
    size_t i;
    json_t *rc;
    json_array_foreach(json_object_get(old, "receipts"), i, rc) {
        json_object_del(rc, "batch");
        json_object_del(rc, "proof");
        char sql[96], sig_hex[2 * TSR_SIG_LEN + 1];
        snprintf(sql, sizeof sql, "SELECT sig FROM tickets WHERE seq = %lld",
                 (long long)json_integer_value(json_object_get(rc, "seq")));
        sqlite3_stmt *st;
        ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
        ck_assert_int_eq(sqlite3_column_bytes(st, 0), TSR_SIG_LEN);
        tsr_hex_encode(sig_hex, sizeof sig_hex, sqlite3_column_blob(st, 0), TSR_SIG_LEN);
        sqlite3_finalize(st);
        json_object_set_new(rc, "sig", json_string(sig_hex));
    }
    char *text = json_dumps(old, JSON_COMPACT);
    json_decref(old);
    return text;
}

/* Turns the stopped node's database into what schema v1 left: tickets
 * signed alone, no receipt batches, idempotent replies stored as text. */
static char *downgrade_to_v1(const json_t *reply, const char *key)
{
    sqlite3 *db = open_db(SQLITE_OPEN_READWRITE);
    int64_t n = q_int(db, "SELECT max(seq) FROM tickets");
    for (int64_t seq = 1; seq <= n; seq++)
        sign_alone(db, seq);
    char *text = v1_reply(reply, db);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "UPDATE idempotency SET response = ?1 WHERE key = ?2",
                                        -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
    ck_assert_int_eq(sqlite3_changes(db), 1);
    sqlite3_finalize(st);
    exec(db, "DROP TABLE receipt_batches; ALTER TABLE idempotency DROP COLUMN replay_ref;"
             " PRAGMA user_version = 1");
    sqlite3_close(db);
    return text;
}

START_TEST(a_v1_database_migrates_and_keeps_its_receipts)
{
    fx_start(&F);
    open_draws(3);
    fx_resp *r = fx_bet(&F, "terminal=term-2", "pick3", PICK3_X3, "key-v1-bet");
    ck_assert_int_eq(r->code, 201);
    json_t *reply = json_deep_copy(r->json);
    fx_stop_node(&F);
    char *stored = downgrade_to_v1(reply, "key-v1-bet");
    fx_start(&F);
    sqlite3 *db = open_db(SQLITE_OPEN_READONLY);
    ck_assert_int_eq(q_int(db, "PRAGMA user_version"), 2);
    ck_assert(has_column(db, "idempotency", "replay_ref"));
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM receipt_batches"), 0);
    sqlite3_close(db);
    /* the retry of a v1 bet sends the text v1 stored, byte for byte */
    r = fx_bet(&F, "terminal=term-2", "pick3", PICK3_X3, "key-v1-bet");
    ck_assert_int_eq(r->code, 201);
    ck_assert_str_eq(r->body, stored);
    json_t *rcs = json_deep_copy(json_object_get(r->json, "receipts"));
    ck_assert_int_eq(json_array_size(rcs), 3);
    for (size_t k = 0; k < 3; k++) {
        check_signed_alone(json_array_get(rcs, k));
        char path[80];
        snprintf(path, sizeof path, "v1/bets/%s",
                 json_string_value(json_object_get(json_array_get(rcs, k), "ticket_id")));
        fx_resp *g = fx_req(&F, COAP_REQUEST_CODE_GET, path, "terminal=term-2", NULL);
        ck_assert_int_eq(g->code, 205);
        check_signed_alone(g->json);
    }
    /* new sales are batch-signed and their retry is rebuilt */
    check_retry_identical("terminal=term-2", PICK3, "key-v2-bet", 1);
    json_decref(rcs);
    json_decref(reply);
    free(stored);
}
END_TEST

/* The writer settles a run's bets after all of them applied, so many
 * reservations come before the first add: room is counted on top of what
 * is held, far past the first allocation, and clearing forgets it. */
START_TEST(room_reserved_ahead_of_many_adds_holds_them_all)
{
    enum { BETS = 1000 };
    tsr_receipts r = {0};
    static uint64_t seqs[BETS];
    static uint8_t leaves[BETS][TSR_HASH_LEN];
    static tsr_receipt_sig sigs[BETS];
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < BETS; i++)
            ck_assert_int_eq(tsr_receipts_reserve(&r, 1), TSR_OK);
        ck_assert_uint_eq(r.held, BETS);
        ck_assert_uint_eq(r.held_wants, BETS);
        for (size_t i = 0; i < BETS; i++) {
            seqs[i] = 100 + i;
            memset(leaves[i], (int)(i & 0xff), TSR_HASH_LEN);
            tsr_receipts_add(&r, &seqs[i], (const uint8_t(*)[TSR_HASH_LEN])&leaves[i], 1);
            tsr_receipts_want(&r, &seqs[i], &sigs[i], 1);
        }
        ck_assert_uint_eq(r.n, BETS);
        ck_assert_uint_eq(r.n_wants, BETS);
        ck_assert_uint_eq(r.held, 0);
        ck_assert_uint_eq(r.held_wants, 0);
        for (size_t i = 0; i < BETS; i++) {
            ck_assert_uint_eq(r.seqs[i], 100 + i);
            ck_assert_uint_eq(r.leaves[i][TSR_HASH_LEN - 1], i & 0xff);
        }
        ck_assert_int_eq(tsr_receipts_reserve(&r, 3), TSR_OK); /* a bet that then failed */
        tsr_receipts_clear(&r);
        ck_assert_uint_eq(r.held, 0);
        ck_assert_uint_eq(r.n, 0);
    }
    tsr_receipts_free(&r);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("node_receipts");
    TCase *t = tcase_create("receipts");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30);
    tcase_add_test(t, a_retry_returns_byte_identical_receipts_for_one_and_three_draws);
    tcase_add_test(t, bets_of_one_group_are_cut_into_batches_that_cover_every_ticket_once);
    tcase_add_test(t, a_cancelled_ticket_still_verifies_and_so_do_its_neighbours);
    tcase_add_test(t, a_new_database_has_schema_v2);
    tcase_add_test(t, a_ticket_signed_alone_is_served_with_its_own_signature);
    tcase_add_test(t, a_v1_database_migrates_and_keeps_its_receipts);
    suite_add_tcase(s, t);
    TCase *u = tcase_create("room");
    tcase_add_test(u, room_reserved_ahead_of_many_adds_holds_them_all);
    suite_add_tcase(s, u);
    return s;
}

int main(void) { return tsr_test_run(suite()); }

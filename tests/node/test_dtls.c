/*
 * coaps:// over real DTLS (libcoap, OpenSSL): a terminal with the right
 * PSK gets a session and is the terminal its identity names (its bet is
 * stored under that terminal, with no ?terminal= query); a wrong PSK gets
 * no session and no answer; a player reaches the node over coaps:// with
 * the node's certificate, checked against the deployment's CA from
 * `tessera keygen`.
 */
#include "node_fixture.h"

#include <sqlite3.h>

static fx F;
static char keys_dir[160];
static tsr_psk PSKS[2];

static void setup(void)
{
    fx_setup(&F, "dtls");
    /* The node certificate and CA as a deployment makes them. */
    char tessera[512];
    tsr_test_bin("tessera", tessera, sizeof tessera);
    snprintf(keys_dir, sizeof keys_dir, "%s/deploy", F.dir);
    ck_assert_int_eq(tsr_test_sh("%s keygen --out %s --nodes 1 --terminals 1 >/dev/null 2>&1",
                                 tessera, keys_dir),
                     0);
    snprintf(F.cfg.cert_file, sizeof F.cfg.cert_file, "%s/tls/node-1.crt", keys_dir);
    snprintf(F.cfg.cert_key_file, sizeof F.cfg.cert_key_file, "%s/tls/node-1.key", keys_dir);
    F.cfg.coaps_port = 0;
    size_t n = 0;
    ck_assert_int_eq(tsr_psk_table_read(F.cfg.psk_table, PSKS, 2, &n), TSR_OK);
    ck_assert_int_eq(n, 2);
    fx_start(&F);
    fx_open_draw(&F, "pick3");
}

static void teardown(void) { fx_teardown(&F); }

static coap_address_t dtls_addr(void)
{
    coap_address_t a;
    coap_address_init(&a);
    a.addr.sin.sin_family = AF_INET;
    a.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.addr.sin.sin_port = htons((uint16_t)tsr_node_port(F.node, true));
    a.size = sizeof a.addr.sin;
    return a;
}

/* Swaps the fixture's client session for a DTLS-PSK one. */
static void psk_client(const char *identity, const uint8_t *key)
{
    coap_session_release(F.csess);
    coap_dtls_cpsk_t setup;
    memset(&setup, 0, sizeof setup);
    setup.version = COAP_DTLS_CPSK_SETUP_VERSION;
    setup.psk_info.identity.s = (const uint8_t *)identity;
    setup.psk_info.identity.length = strlen(identity);
    setup.psk_info.key.s = key;
    setup.psk_info.key.length = TSR_PSK_LEN;
    coap_address_t a = dtls_addr();
    F.csess = coap_new_client_session_psk2(F.cctx, NULL, &a, COAP_PROTO_DTLS, &setup);
    ck_assert_ptr_nonnull(F.csess);
}

START_TEST(right_psk_is_the_terminal)
{
    ck_assert_int_gt(tsr_node_port(F.node, true), 0);
    psk_client("term-2", PSKS[1].key);
    /* No ?terminal= here: the DTLS identity alone makes this term-2. */
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/bets", NULL, NULL);
    ck_assert_msg(r->code == 205, "%d %s", r->code, r->body);
    r = fx_bet(&F, NULL, "pick3", "{\"type\":\"straight\",\"numbers\":[4,5,6],\"stake\":\"1.00\"}",
               "dtls-bet-0001");
    ck_assert_msg(r->code == 201, "%d %s", r->code, r->body);
    json_t *rc = json_array_get(json_object_get(r->json, "receipts"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(rc, "channel")), "retail");
    ck_assert_int_eq(coap_session_get_state(F.csess), COAP_SESSION_STATE_ESTABLISHED);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open_v2(F.cfg.db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT terminal_id FROM tickets", -1, &st, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "term-2");
    sqlite3_finalize(st);
    sqlite3_close(db);
}
END_TEST

START_TEST(wrong_psk_no_session)
{
    uint8_t wrong[TSR_PSK_LEN];
    memcpy(wrong, PSKS[0].key, sizeof wrong);
    wrong[0] ^= 1;
    psk_client("term-1", wrong);
    static fx_resp r;
    memset(&r, 0, sizeof r);
    fx_last_resp_ = &r;
    coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, F.csess);
    fx_add_uri(pdu, "v1/bets", NULL);
    coap_send(F.csess, pdu);
    /* The handshake fails (bad MAC on the Finished message): within two
     * seconds nothing may come back, and the session never establishes. */
    for (int waited = 0; waited < 2000; waited += 10)
        coap_io_process(F.cctx, 10);
    ck_assert(!r.done);
    ck_assert_int_ne(coap_session_get_state(F.csess), COAP_SESSION_STATE_ESTABLISHED);
    /* An identity the table does not know fares no better. */
    psk_client("term-9", PSKS[0].key);
    pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, F.csess);
    fx_add_uri(pdu, "v1/games", NULL);
    coap_send(F.csess, pdu);
    for (int waited = 0; waited < 2000; waited += 10)
        coap_io_process(F.cctx, 10);
    ck_assert(!r.done);
}
END_TEST

START_TEST(player_with_node_certificate)
{
    char ca[400];
    snprintf(ca, sizeof ca, "%s/tls/ca.crt", keys_dir);
    coap_session_release(F.csess);
    coap_dtls_pki_t pki;
    memset(&pki, 0, sizeof pki);
    pki.version = COAP_DTLS_PKI_SETUP_VERSION;
    pki.verify_peer_cert = 1;
    pki.check_common_ca = 1;
    pki.allow_self_signed = 0;
    pki.pki_key.key_type = COAP_PKI_KEY_PEM;
    pki.pki_key.key.pem.ca_file = ca;
    coap_address_t a = dtls_addr();
    F.csess = coap_new_client_session_pki(F.cctx, NULL, &a, COAP_PROTO_DTLS, &pki);
    ck_assert_ptr_nonnull(F.csess);
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/games", NULL, NULL);
    ck_assert_int_eq(r->code, 205);
    r = fx_bet(&F, "session=player-7", "pick3",
               "{\"type\":\"straight\",\"numbers\":[7,8,9],\"stake\":\"1.00\"}", "dtls-pl-0001");
    ck_assert_msg(r->code == 201, "%d %s", r->code, r->body);
    json_t *rc = json_array_get(json_object_get(r->json, "receipts"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(rc, "channel")), "online");
}
END_TEST

static Suite *dtls_suite(void)
{
    Suite *s = suite_create("dtls");
    TCase *tc = tcase_create("coaps");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, right_psk_is_the_terminal);
    tcase_add_test(tc, wrong_psk_no_session);
    tcase_add_test(tc, player_with_node_certificate);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(dtls_suite()); }

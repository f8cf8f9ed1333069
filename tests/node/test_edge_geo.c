/*
 * Geolocation and jurisdiction rules in the node, over real CoAP: a node
 * for New Jersey refuses a bet from Pennsylvania with its geo code and
 * audits the decision; accepts one from inside and audits it; asks for a
 * better fix at the border and for a fresh one when the fix is stale;
 * makes the player re-check after the validity period; names the node of
 * another jurisdiction; answers GET /v1/route; registered terminals skip
 * the check; the rules' games, caps and legal age apply; deposits are
 * checked like bets.
 */
#include "edge_fixture.h"
#include "../../node/src/players_api.h"

static fx F;
static char LOC[256];

static void setup(void)
{
    fx_setup(&F, "edgegeo");
    ex_config(&F, NULL);
    ex_with_edge(&F);
    fx_start(&F);
    fx_open_draw(&F, "pick3");
    fx_open_draw(&F, "pick4");
}

static void teardown(void) { fx_teardown(&F); }

START_TEST(outside_refused_and_audited)
{
    ex_loc(&F, LOC, sizeof LOC, EX_PHL_LAT, EX_PHL_LON, 30, 5);
    /* Pennsylvania is permitted by the geo config but served by its own
     * node: this node refuses and names it. */
    fx_resp *r = ex_bet(&F, "session=player-7", "1.00", "geo-out-0001", LOC);
    ck_assert_int_eq(r->code, 403);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_GEO_WRONG_NODE");
    json_t *d = json_object_get(r->json, "detail");
    ck_assert_str_eq(json_string_value(json_object_get(d, "jurisdiction")), "US-PA");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(d, "served_by"), "node")),
                     "node-pa-1");
    json_t *rec = ex_last_audit(&F, "geo_check");
    ck_assert_ptr_nonnull(rec);
    ck_assert_str_eq(ex_ev(rec, "result", NULL), "TSR_ERR_GEO_WRONG_NODE");
    ck_assert_str_eq(ex_ev(rec, "decision", "jurisdiction"), "US-PA");
    json_decref(rec);
    ck_assert_int_eq(ex_int(&F, "SELECT count(*) FROM tickets"), 0);
    ck_assert_int_eq(F.wallet.charges, 0);
    /* The refused check is no pass: a bet without a report must re-check. */
    r = ex_bet(&F, "session=player-7", "1.00", "geo-out-0002", NULL);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_GEO_RECHECK");
}
END_TEST

START_TEST(outside_permitted_area_refused)
{
    /* New York City: outside every permitted jurisdiction (1.4 km from
     * New Jersey) → the library's code. */
    ex_loc(&F, LOC, sizeof LOC, 40.7128, -74.0060, 30, 5);
    fx_resp *r = ex_bet(&F, "session=player-8", "1.00", "geo-sea-0001", LOC);
    ck_assert_int_eq(r->code, 403);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_GEO_OUTSIDE");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r->json, "detail"),
                                                       "outcome")),
                     "denied");
    json_t *rec = ex_last_audit(&F, "geo_check");
    ck_assert_str_eq(ex_ev(rec, "result", NULL), "TSR_ERR_GEO_OUTSIDE");
    ck_assert_str_eq(ex_ev(rec, "decision", "outcome"), "denied");
    json_decref(rec);
}
END_TEST

START_TEST(inside_accepted_and_audited)
{
    ex_loc(&F, LOC, sizeof LOC, EX_NJ_LAT, EX_NJ_LON, 20, 3);
    fx_resp *r = ex_bet(&F, "session=player-7", "1.00", "geo-in-00001", LOC);
    ck_assert_msg(r->code == 201, "%d %s", r->code, r->body);
    json_t *rec = ex_last_audit(&F, "geo_check");
    ck_assert_str_eq(ex_ev(rec, "result", NULL), "TSR_OK");
    ck_assert_str_eq(ex_ev(rec, "decision", "outcome"), "allowed");
    ck_assert_str_eq(ex_ev(rec, "decision", "jurisdiction"), "US-NJ");
    json_decref(rec);
    /* The decision is logged before the bet it allowed. */
    ck_assert_int_lt(ex_int(&F, "SELECT max(id) FROM audit WHERE event='geo_check'"),
                     ex_int(&F, "SELECT max(id) FROM audit WHERE event='bet_accepted'"));
    ck_assert_int_eq(ex_int(&F, "SELECT count(*) FROM geo_state WHERE player_id = 7"), 1);
    /* The pass covers the next bets without a report... */
    r = ex_bet(&F, "session=player-7", "1.00", "geo-in-00002", NULL);
    ck_assert_int_eq(r->code, 201);
    /* ...and a retry with a fresher fix is still the same request. */
    ex_loc(&F, LOC, sizeof LOC, EX_NJ_LAT, EX_NJ_LON, 20, 1);
    r = ex_bet(&F, "session=player-7", "1.00", "geo-in-00001", LOC);
    ck_assert_int_eq(r->code, 201);
    ck_assert_int_eq(ex_int(&F, "SELECT count(*) FROM tickets"), 2);
    /* Another player has no pass. */
    r = ex_bet(&F, "session=player-9", "1.00", "geo-in-00003", NULL);
    ck_assert_int_eq(r->code, 403);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_GEO_RECHECK");
}
END_TEST

START_TEST(border_needs_better_fix)
{
    ex_loc(&F, LOC, sizeof LOC, EX_EDGE_LAT, EX_EDGE_LON, 50, 3);
    fx_resp *r = ex_bet(&F, "session=player-7", "1.00", "geo-edge-001", LOC);
    ck_assert_int_eq(r->code, 403);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_GEO_BORDER");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r->json, "detail"),
                                                       "outcome")),
                     "needs_better_fix");
    json_t *rec = ex_last_audit(&F, "geo_check");
    ck_assert_str_eq(ex_ev(rec, "decision", "outcome"), "needs_better_fix");
    json_decref(rec);
}
END_TEST

START_TEST(stale_fix)
{
    ex_loc(&F, LOC, sizeof LOC, EX_NJ_LAT, EX_NJ_LON, 20, 600);
    fx_resp *r = ex_bet(&F, "session=player-7", "1.00", "geo-stale-01", LOC);
    ck_assert_int_eq(r->code, 403);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_GEO_STALE");
    json_t *rec = ex_last_audit(&F, "geo_check");
    ck_assert_str_eq(ex_ev(rec, "result", NULL), "TSR_ERR_GEO_STALE");
    json_decref(rec);
}
END_TEST

START_TEST(recheck_after_validity)
{
    ex_loc(&F, LOC, sizeof LOC, EX_NJ_LAT, EX_NJ_LON, 20, 1);
    ck_assert_int_eq(ex_bet(&F, "session=player-7", "1.00", "geo-rc-00001", LOC)->code, 201);
    ck_assert_int_eq(tsr_clock_test_advance(F.clock, 19 * 60 * TSR_NS_PER_S), TSR_OK);
    ck_assert_int_eq(ex_bet(&F, "session=player-7", "1.00", "geo-rc-00002", NULL)->code, 201);
    ck_assert_int_eq(tsr_clock_test_advance(F.clock, 2 * 60 * TSR_NS_PER_S), TSR_OK);
    fx_resp *r = ex_bet(&F, "session=player-7", "1.00", "geo-rc-00003", NULL);
    ck_assert_int_eq(r->code, 403);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_GEO_RECHECK");
    /* A fresh report renews the pass. */
    ex_loc(&F, LOC, sizeof LOC, EX_NJ_LAT, EX_NJ_LON, 20, 1);
    ck_assert_int_eq(ex_bet(&F, "session=player-7", "1.00", "geo-rc-00004", LOC)->code, 201);
}
END_TEST

START_TEST(bad_reports)
{
    fx_resp *r = ex_bet(&F, "session=player-7", "1.00", "geo-bad-0001", "{\"lat\":40.3}");
    ck_assert_int_eq(r->code, 400);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_FIELD_MISSING");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r->json, "detail"),
                                                       "field")),
                     "location");
    ex_loc(&F, LOC, sizeof LOC, 95.0, EX_NJ_LON, 20, 1);
    r = ex_bet(&F, "session=player-7", "1.00", "geo-bad-0002", LOC);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_GEO_COORD");
    r = ex_bet(&F, "session=player-7", "1.00", "geo-bad-0003", "\"here\"");
    ck_assert_str_eq(fx_err(r), "TSR_ERR_JSON");
    ck_assert_int_eq(ex_int(&F, "SELECT count(*) FROM audit WHERE event='geo_check'"), 0);
}
END_TEST

START_TEST(terminals_registered)
{
    fx_resp *r = ex_bet(&F, "terminal=term-1", "1.00", "geo-term-001", NULL);
    ck_assert_msg(r->code == 201, "%d %s", r->code, r->body);
    r = ex_bet(&F, "terminal=term-2", "1.00", "geo-term-002", NULL);
    ck_assert_int_eq(r->code, 403);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_TERMINAL_LOCATION");
}
END_TEST

START_TEST(route_answers)
{
    char q[96];
    snprintf(q, sizeof q, "lat=%.4f&lon=%.4f", EX_NJ_LAT, EX_NJ_LON);
    fx_resp *r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/route", q, NULL);
    ck_assert_int_eq(r->code, 205);
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "node")), "node-nj-1");
    ck_assert(json_is_true(json_object_get(r->json, "this_node")));
    snprintf(q, sizeof q, "lat=%.4f&lon=%.4f", EX_HBG_LAT, EX_HBG_LON);
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/route", q, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "node")), "node-pa-1");
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "endpoint")),
                     "coaps://pa-1.tessera.example:5684");
    ck_assert(json_is_false(json_object_get(r->json, "this_node")));
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/route", "lat=0&lon=-30", NULL);
    ck_assert_int_eq(r->code, 404);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_GEO_NO_NODE");
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/route", "lat=48.85&lon=2.35", NULL);
    ck_assert_str_eq(json_string_value(json_object_get(r->json, "node")), "node-eu-1");
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/route", "lat=91&lon=0", NULL);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_GEO_COORD");
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/route", "lat=40x&lon=0", NULL);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_FIELD_TYPE");
    r = fx_req(&F, COAP_REQUEST_CODE_GET, "v1/route", "lat=40", NULL);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_FIELD_MISSING");
}
END_TEST

START_TEST(rules_games_and_caps)
{
    ex_loc(&F, LOC, sizeof LOC, EX_NJ_LAT, EX_NJ_LON, 20, 1);
    fx_resp *r = ex_bet(&F, "session=player-7", "4.00", "geo-cap-0001", LOC);
    ck_assert_int_eq(r->code, 403);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_JURISDICTION_BET_CAP");
    /* pick4 is sold by the catalogue but not allowed in this jurisdiction. */
    r = fx_req(&F, COAP_REQUEST_CODE_POST, "v1/bets", "terminal=term-1",
               "{\"game\":\"pick4\",\"bet\":{\"type\":\"straight\",\"numbers\":[1,2,3,4],"
               "\"stake\":\"0.50\"},\"idempotency_key\":\"geo-game-001\"}");
    ck_assert_str_eq(fx_err(r), "TSR_ERR_JURISDICTION_GAME");
    /* 3 x 3.00 = 9.00 fits the 10.00 a day; a fourth does not. */
    for (int i = 0; i < 3; i++) {
        char key[32];
        snprintf(key, sizeof key, "geo-day-%04d", i);
        r = ex_bet(&F, "session=player-7", "3.00", key, NULL);
        ck_assert_msg(r->code == 201, "%d %s", r->code, r->body);
    }
    r = ex_bet(&F, "session=player-7", "3.00", "geo-day-0009", NULL);
    ck_assert_int_eq(r->code, 403);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_JURISDICTION_DAY_CAP");
    ck_assert_int_eq(ex_bet(&F, "session=player-7", "1.00", "geo-day-0010", NULL)->code, 201);
    /* Terminals are not players: the daily cap is per player. */
    for (int i = 0; i < 4; i++) {
        char key[32];
        snprintf(key, sizeof key, "geo-tday-%04d", i);
        ck_assert_int_eq(ex_bet(&F, "terminal=term-1", "3.00", key, NULL)->code, 201);
    }
}
END_TEST

/* A terminal registered outside the node's jurisdiction stops the start. */
START_TEST(terminal_outside_refused_at_start)
{
    fx f2;
    fx_setup(&f2, "edgegeo2");
    ex_config(&f2, json_pack("{s:{s:{s:f, s:f}}}", "terminal_locations", "term-1", "lat",
                             EX_PHL_LAT, "lon", EX_PHL_LON));
    ex_with_edge(&f2);
    fx_current_ = &f2;
    tsr_node_module mods[2] = {{"fx", fx_module_init, NULL}, tsr_edge_module};
    tsr_node_opts o = {&f2.cfg, &f2.env, mods, 2};
    ck_assert_int_eq(tsr_node_start(&f2.node, &o), TSR_ERR_CONFIG);
    f2.node = NULL;
    fx_teardown(&f2);
    fx_current_ = &F;
}
END_TEST

/* Without geo_config the report is accepted and ignored. */
START_TEST(geo_off_ignores_reports)
{
    fx f2;
    fx_setup(&f2, "edgegeo3");
    ex_with_edge(&f2);
    fx_start(&f2);
    fx_open_draw(&f2, "pick3");
    ex_loc(&f2, LOC, sizeof LOC, EX_PHL_LAT, EX_PHL_LON, 20, 1);
    ck_assert_int_eq(ex_bet(&f2, "session=player-7", "4.00", "geo-off-0001", LOC)->code, 201);
    fx_resp *r = fx_req(&f2, COAP_REQUEST_CODE_GET, "v1/route", "lat=1&lon=1", NULL);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_UNAVAILABLE");
    fx_teardown(&f2);
    fx_current_ = &F;
}
END_TEST

/* The legal age of the rules file applies at registration (21 in this
 * New Jersey, where the accounts module alone would take 18). */
START_TEST(registration_age_and_deposits)
{
    fx f2;
    fx_setup(&f2, "edgegeo4");
    ex_config(&f2, NULL);
    f2.cfg.accounts = json_pack("{s:i, s:i, s:i}", "pwhash_ops", 1, "pwhash_mem_kib", 64,
                                "session_idle_s", 86400);
    f2.extra[f2.n_extra++] = tsr_accounts_module;
    ex_with_edge(&f2);
    fx_start(&f2);
    static const char *fmt = "{\"username\":\"%s\",\"password\":\"correct horse battery\","
                             "\"name\":\"A B\",\"birth_date\":\"%s\",\"address\":\"1 Main St\","
                             "\"jurisdiction\":\"US-NJ\",\"document_no\":\"%s\"}";
    char body[512];
    snprintf(body, sizeof body, fmt, "young", "2006-01-01", "DOC123456");
    fx_resp *r = fx_req(&f2, COAP_REQUEST_CODE_POST, "v1/players", NULL, body);
    ck_assert_int_eq(r->code, 403);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_UNDERAGE");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r->json, "detail"),
                                                        "legal_age")),
                     21);
    snprintf(body, sizeof body, fmt, "older", "1990-01-01", "DOC654321");
    r = fx_req(&f2, COAP_REQUEST_CODE_POST, "v1/players", NULL, body);
    ck_assert_msg(r->code == 201, "%d %s", r->code, r->body);
    /* Deposits carry a location too: refused from Pennsylvania, taken
     * from New Jersey. */
    r = fx_req(&f2, COAP_REQUEST_CODE_POST, "v1/sessions", NULL,
               "{\"username\":\"older\",\"password\":\"correct horse battery\"}");
    ck_assert_msg(r->code == 201, "%d %s", r->code, r->body);
    char q[160];
    snprintf(q, sizeof q, "session=%s", json_string_value(json_object_get(r->json, "session")));
    ex_loc(&f2, LOC, sizeof LOC, EX_HBG_LAT, EX_HBG_LON, 20, 1);
    snprintf(body, sizeof body, "{\"amount\":5000,\"location\":%s}", LOC);
    r = fx_req(&f2, COAP_REQUEST_CODE_POST, "v1/wallet/deposits", q, body);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_GEO_WRONG_NODE");
    json_t *rec = ex_last_audit(&f2, "geo_check");
    ck_assert_str_eq(ex_ev(rec, "request", NULL), "deposit");
    json_decref(rec);
    /* 170 km in a second is no journey: a fraud signal, refused... */
    ex_loc(&f2, LOC, sizeof LOC, EX_NJ_LAT, EX_NJ_LON, 20, 1);
    snprintf(body, sizeof body, "{\"amount\":5000,\"location\":%s}", LOC);
    r = fx_req(&f2, COAP_REQUEST_CODE_POST, "v1/wallet/deposits", q, body);
    ck_assert_str_eq(fx_err(r), "TSR_ERR_GEO_TRAVEL");
    /* ...an hour later it is a drive. */
    ck_assert_int_eq(tsr_clock_test_advance(f2.clock, 3600 * TSR_NS_PER_S), TSR_OK);
    ex_loc(&f2, LOC, sizeof LOC, EX_NJ_LAT, EX_NJ_LON, 20, 1);
    snprintf(body, sizeof body, "{\"amount\":5000,\"location\":%s}", LOC);
    r = fx_req(&f2, COAP_REQUEST_CODE_POST, "v1/wallet/deposits", q, body);
    ck_assert_msg(r->code == 201, "%d %s", r->code, r->body);
    fx_teardown(&f2);
    fx_current_ = &F;
}
END_TEST

static Suite *geo_suite(void)
{
    Suite *s = suite_create("edge_geo");
    TCase *tc = tcase_create("geo");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, outside_refused_and_audited);
    tcase_add_test(tc, outside_permitted_area_refused);
    tcase_add_test(tc, inside_accepted_and_audited);
    tcase_add_test(tc, border_needs_better_fix);
    tcase_add_test(tc, stale_fix);
    tcase_add_test(tc, recheck_after_validity);
    tcase_add_test(tc, bad_reports);
    tcase_add_test(tc, terminals_registered);
    tcase_add_test(tc, route_answers);
    tcase_add_test(tc, rules_games_and_caps);
    tcase_add_test(tc, terminal_outside_refused_at_start);
    tcase_add_test(tc, geo_off_ignores_reports);
    tcase_add_test(tc, registration_age_and_deposits);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(geo_suite()); }

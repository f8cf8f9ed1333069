/*
 * tessera-terminal --script against a real tessera-node (bench/node-up.sh:
 * keys, config, signed cutoff tokens, an agent with a float on term-1):
 * sell every family, print (the PNG's QR decodes back to serial + check
 * with zbarimg), cancel, claim once and a second claim refused, DTLS-PSK
 * with the right and a wrong key, and a sale whose answer never comes
 * (node stopped) that stays pending until `resolve` after the restart.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "../../node/src/claims.h"
#include "../../node/src/store.h"
#include "tsr_test.h"

#define OUT_MAX (256 * 1024)

static char dir[256], bin[256], node_env[2048];
static int coap_port, coaps_port;
static pid_t node_pid;

static const char *env_value(const char *key)
{
    static char v[256];
    char pat[64];
    snprintf(pat, sizeof pat, "%s=", key);
    const char *p = strstr(node_env, pat);
    ck_assert_msg(p, "node-up.sh printed no %s", key);
    p += strlen(pat);
    size_t n = strcspn(p, "\n");
    snprintf(v, sizeof v, "%.*s", (int)n, p);
    return v;
}

static void node_up(void)
{
    char script[300], tmp[256];
    tsr_test_tmpdir("termnode", tmp, sizeof tmp);
    snprintf(dir, sizeof dir, "%s", tmp);
    tsr_test_src("bench/node-up.sh", script, sizeof script);
    tsr_test_bin("", bin, sizeof bin);
    int rc = tsr_test_sh_capture(node_env, sizeof node_env, "'%s' '%s/n' '%s' 2>>'%s/setup.log'", script, dir, bin, dir);
    ck_assert_msg(rc == 0, "node-up.sh failed (%d), see %s/setup.log", rc, dir);
    node_pid = atoi(env_value("NODE_PID"));
    coap_port = atoi(env_value("COAP_PORT"));
    coaps_port = atoi(env_value("COAPS_PORT"));
}

/* Starts the node again on the same config (after node_up) and waits for
 * its health answer. */
static void node_restart(void)
{
    char exe[300], cfg[300], log[300], out[4096];
    snprintf(exe, sizeof exe, "%s/tessera-node", bin);
    snprintf(cfg, sizeof cfg, "%s/n/node.json", dir);
    snprintf(log, sizeof log, "%s/n/node.log", dir);
    char *argv[] = {exe, "--config", cfg, NULL};
    node_pid = tsr_test_spawn(log, argv);
    ck_assert_int_gt(node_pid, 0);
    for (int i = 0; i < 100; i++) {
        if (tsr_test_sh_capture(out, sizeof out, "'%s/tessera-terminal' --node coap://127.0.0.1:%d "
                                "--terminal term-1 --state '%s/h.state' --timeout 1 health",
                                bin, coap_port, dir) == 0)
            return;
        usleep(100 * 1000);
    }
    ck_abort_msg("the node did not come back");
}

/* Books a prize for a retail ticket the way the node books central's
 * payout message (tsr_payout_apply: prize expense to prize payable), with
 * the node stopped: a lone node has no central to send one. */
static void book_payout(const char *ticket_id, tsr_cents gross)
{
    tsr_test_kill(node_pid, SIGTERM);
    char db[300];
    snprintf(db, sizeof db, "%s/n/node.db", dir);
    tsr_store *st;
    ck_assert_int_eq(tsr_store_open(&st, db, NULL), TSR_OK);
    tsr_payout p = {.payout_id = "po-1", .ticket_id = ticket_id, .gross = gross,
                    .klass = TSR_PAYOUT_AUTO};
    bool applied;
    ck_assert_int_eq(tsr_payout_apply(tsr_store_writer(st), &p, 1, &applied), TSR_OK);
    ck_assert(applied);
    tsr_store_close(st);
    node_restart();
}

static void node_down(void)
{
    if (node_pid > 0)
        kill(node_pid, SIGTERM);
    node_pid = 0;
}

/* Runs tessera-terminal on plain coap as term-1 with `script` (lines) and
 * returns its JSON lines parsed into an array (owned). */
static json_t *term_script(const char *state, const char *script, int *rc)
{
    char path[300], out[OUT_MAX];
    snprintf(path, sizeof path, "%s/script.txt", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(script, f);
    fclose(f);
    *rc = tsr_test_sh_capture(out, sizeof out,
                              "'%s/tessera-terminal' --node coap://127.0.0.1:%d --terminal term-1 "
                              "--state '%s/%s' --receipts '%s/receipts' --json --timeout 5 --keep-going "
                              "--script '%s'",
                              bin, coap_port, dir, state, dir, path);
    json_t *lines = json_array();
    for (char *save = NULL, *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        json_t *j = json_loads(l, 0, NULL);
        ck_assert_msg(j, "not a JSON line: %s", l);
        json_array_append_new(lines, j);
    }
    return lines;
}

static const json_t *line(const json_t *lines, size_t i, bool ok)
{
    const json_t *l = json_array_get(lines, i);
    ck_assert_msg(l, "no output line %zu", i);
    char *s = json_dumps(l, JSON_COMPACT);
    ck_assert_msg(json_is_true(json_object_get(l, "ok")) == ok, "line %zu: %s", i, s);
    free(s);
    return l;
}

static const char *err_of(const json_t *l) { return json_string_value(json_object_get(l, "error")); }

static const json_t *first_receipt(const json_t *l)
{
    return json_array_get(json_object_get(json_object_get(l, "result"), "receipts"), 0);
}

START_TEST(sells_every_family_prints_cancels_and_claims_once)
{
    int rc;
    json_t *out = term_script("a.state",
                              "login alice 4321\n"
                              "draws\n"
                              "sell pick3 straight 1 2 3\n"
                              "sell pick3 box qp\n"
                              "sell pick4 combo 1 2 3 4 stake=1.00\n"
                              "sell pick4 straight_box 4 3 2 1 stake=1.00\n"
                              "sell lotto649 standard 3 11 19 27 35 43\n"
                              "sell powerball standard qp\n"
                              "sell keno spot qp spots=4 stake=2.00\n"
                              "sell bonusbet number 7 stake=2.00\n"
                              "sell pick3 front_pair 5 6 7\n"
                              "sell lotto649 standard qp stake=999.00\n", /* 8: above the confirmation */
                              &rc);
    ck_assert_int_eq(json_array_size(out), 12);
    line(out, 0, true);
    ck_assert_int_ge(json_array_size(json_object_get(line(out, 1, true), "result")), 6);
    for (size_t i = 2; i <= 10; i++)
        ck_assert_ptr_nonnull(json_object_get(first_receipt(line(out, i, true)), "sig"));
    ck_assert_str_eq(err_of(line(out, 11, false)), "TSR_ERR_USAGE"); /* needs 'yes': nothing sold */
    ck_assert_int_ne(rc, 0);

    /* print: the receipt's PNG decodes back to TSR1:serial:check */
    const json_t *r = first_receipt(line(out, 2, true));
    const char *id = json_string_value(json_object_get(r, "ticket_id"));
    const char *serial = json_string_value(json_object_get(r, "serial"));
    const char *check = json_string_value(json_object_get(r, "check"));
    char want[128], got[256], script[1024];
    snprintf(want, sizeof want, "TSR1:%s:%s", serial, check);
    ck_assert_int_eq(tsr_test_sh_capture(got, sizeof got, "rm -f '%s/receipts/%s.png'", dir, serial), 0);
    snprintf(script, sizeof script, "print %s\ncheck %s\n", id, want);
    json_t *p = term_script("a.state", script, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(line(p, 1, true), "result"), "ticket_id")), id);
    ck_assert_int_eq(tsr_test_sh_capture(got, sizeof got, "zbarimg --raw -q '%s/receipts/%s.png' 2>/dev/null", dir, serial), 0);
    got[strcspn(got, "\n")] = '\0';
    ck_assert_str_eq(got, want);
    json_decref(p);

    /* cancel within the void window, once */
    snprintf(script, sizeof script, "cancel %s wrong numbers\ncancel %s\nreceipt %s\n", id, id, id);
    json_t *c = term_script("a.state", script, &rc);
    line(c, 0, true);
    line(c, 1, false);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(line(c, 2, true), "result"), "state")), "cancelled");
    json_decref(c);

    json_decref(out);
}
END_TEST

START_TEST(bad_input_gets_clear_errors)
{
    int rc;
    json_t *out = term_script("b.state",
                              "sell pick3 straight 1 2 3\n"      /* not logged in */
                              "login alice 0000\n"               /* wrong PIN */
                              "login alice 4321\n"
                              "sell nosuchgame standard qp\n"
                              "sell pick3 straight 1 2\n"        /* two digits */
                              "sell pick3 straight 1 2 x9\n"     /* unreadable word */
                              "cancel 1234\n"                    /* not a ticket id */
                              "pay TSR1:nope:1\n"                /* no such ticket here */
                              "frobnicate\n",
                              &rc);
    ck_assert_int_eq(json_array_size(out), 9);
    ck_assert_str_eq(err_of(line(out, 0, false)), "TSR_ERR_UNAUTHENTICATED");
    ck_assert_str_eq(err_of(line(out, 1, false)), "TSR_ERR_CREDENTIALS");
    line(out, 2, true);
    ck_assert_str_eq(err_of(line(out, 3, false)), "TSR_ERR_GAME_UNKNOWN");
    ck_assert_str_eq(err_of(line(out, 4, false)), "TSR_ERR_GAME_COUNT");
    ck_assert_str_eq(err_of(line(out, 5, false)), "TSR_ERR_USAGE");
    ck_assert_str_eq(err_of(line(out, 6, false)), "TSR_ERR_USAGE");
    ck_assert_str_eq(err_of(line(out, 7, false)), "TSR_ERR_NOT_FOUND");
    ck_assert_str_eq(err_of(line(out, 8, false)), "TSR_ERR_USAGE");
    json_decref(out);
}
END_TEST

START_TEST(dtls_psk_sells_and_a_wrong_psk_is_named)
{
    char out[OUT_MAX], badpsk[300];
    int rc = tsr_test_sh_capture(out, sizeof out,
                                 "printf 'login alice 4321\\nsell pick3 straight 9 8 7\\n' | '%s/tessera-terminal' "
                                 "--node coaps://127.0.0.1:%d --psk '%s' --state '%s/d.state' --json --script -",
                                 bin, coaps_port, env_value("TERM1_PSK"), dir);
    ck_assert_msg(rc == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "\"channel\":\"retail\""));
    /* term-2's key under term-1's name: the handshake never completes */
    snprintf(badpsk, sizeof badpsk, "%s/bad.psk", dir);
    ck_assert_int_eq(tsr_test_sh("jq -c '.identity = \"term-1\"' '%s' > '%s' && chmod 600 '%s'",
                                 env_value("TERM2_PSK"), badpsk, badpsk), 0);
    rc = tsr_test_sh_capture(out, sizeof out,
                             "'%s/tessera-terminal' --node coaps://127.0.0.1:%d --psk '%s' --state '%s/e.state' "
                             "--json --timeout 2 health", bin, coaps_port, badpsk, dir);
    ck_assert_int_ne(rc, 0);
    ck_assert_msg(strstr(out, "wrong PSK") && strstr(out, "TSR_ERR_UNAVAILABLE"), "%s", out);
}
END_TEST

START_TEST(unknown_outcome_stays_pending_until_resolved)
{
    int rc;
    json_t *out = term_script("f.state", "login alice 4321\n", &rc);
    line(out, 0, true);
    json_decref(out);
    /* the node stops: the sale gets no answer, prints nothing, stays pending */
    kill(node_pid, SIGSTOP);
    out = term_script("f.state", "sell pick3 straight 4 4 4 yes\nsell pick3 straight 1 1 1 yes\n", &rc);
    kill(node_pid, SIGCONT);
    const json_t *l = line(out, 0, false);
    ck_assert_str_eq(err_of(l), "TSR_ERR_TIMEOUT");
    ck_assert_msg(strstr(json_string_value(json_object_get(l, "message")), "OUTCOME UNKNOWN"), "%s",
                  json_string_value(json_object_get(l, "message")));
    ck_assert_str_eq(err_of(line(out, 1, false)), "TSR_ERR_BUSY"); /* no new sale meanwhile */
    json_decref(out);
    /* resolve asks again with the same key: exactly one ticket exists */
    out = term_script("f.state", "resolve\nresolve\nhistory limit=100\n", &rc);
    const json_t *sold = first_receipt(line(out, 0, true));
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(line(out, 1, true), "result"), "pending")), 0);
    size_t i, same = 0;
    const json_t *x;
    json_array_foreach(json_object_get(json_object_get(line(out, 2, true), "result"), "items"), i, x)
        same += json_equal(json_object_get(x, "ticket_id"), json_object_get(sold, "ticket_id"));
    ck_assert_int_eq(same, 1);
    json_decref(out);
}
END_TEST

/* Last: it restarts the node from this test's process, and a node started
 * here ends with it. */
START_TEST(a_winning_ticket_is_paid_once)
{
    int rc;
    json_t *out = term_script("g.state", "login alice 4321\nsell keno spot 1 2 3 4 stake=1.00\n", &rc);
    ck_assert_int_eq(rc, 0);
    char script[512];
    /* claim: a prize booked for the keno ticket, paid once at the till,
     * refused the second time */
    const json_t *k = first_receipt(line(out, 1, true));
    const char *kid = json_string_value(json_object_get(k, "ticket_id"));
    book_payout(kid, 1500);
    snprintf(script, sizeof script, "pay TSR1:%s:%s\npay %s\n", json_string_value(json_object_get(k, "serial")),
             json_string_value(json_object_get(k, "check")), kid);
    json_t *pay = term_script("a.state", script, &rc);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(line(pay, 0, true), "result"), "amount")), 1500);
    ck_assert_str_eq(err_of(line(pay, 1, false)), "TSR_ERR_CLAIM_PAID");
    json_decref(pay);
    json_decref(out);
}
END_TEST

static Suite *terminal_node_suite(void)
{
    Suite *s = suite_create("terminal_node");
    TCase *tc = tcase_create("against tessera-node");
    tcase_add_unchecked_fixture(tc, node_up, node_down);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, sells_every_family_prints_cancels_and_claims_once);
    tcase_add_test(tc, bad_input_gets_clear_errors);
    tcase_add_test(tc, dtls_psk_sells_and_a_wrong_psk_is_named);
    tcase_add_test(tc, unknown_outcome_stays_pending_until_resolved);
    tcase_add_test(tc, a_winning_ticket_is_paid_once);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(terminal_node_suite()); }

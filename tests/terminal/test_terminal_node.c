/*
 * tessera-terminal --script against a real tessera-node (bench/node-up.sh:
 * keys, config, signed cutoff tokens, an agent with a float on term-1):
 * sell every family, print (the PNG's QR decodes back to serial + check
 * with zbarimg), cancel, check and pay a winning slip by its QR payload at
 * another terminal of the node exactly once (and a claim-centre prize not
 * at all), wrong validation codes refused then rate-limited, the
 * end-of-day settlement of both terminals equal to the node's ledger read
 * with SQLite, DTLS-PSK with the right and a wrong key, and a sale whose
 * answer never comes (node stopped) that stays pending until `resolve`.
 */
#include <check.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

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

static void node_down(void)
{
    if (node_pid > 0)
        kill(node_pid, SIGTERM);
    node_pid = 0;
}

/* Runs tessera-terminal on plain coap as `terminal` with `script` (lines)
 * and returns its JSON lines parsed into an array (owned). */
static json_t *term_script_as(const char *terminal, const char *state, const char *script, int *rc)
{
    char path[300], out[OUT_MAX];
    snprintf(path, sizeof path, "%s/script.txt", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(script, f);
    fclose(f);
    *rc = tsr_test_sh_capture(out, sizeof out,
                              "'%s/tessera-terminal' --node coap://127.0.0.1:%d --terminal %s "
                              "--state '%s/%s' --receipts '%s/receipts' --json --timeout 5 --keep-going "
                              "--script '%s'",
                              bin, coap_port, terminal, dir, state, dir, path);
    json_t *lines = json_array();
    for (char *save = NULL, *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        json_t *j = json_loads(l, 0, NULL);
        ck_assert_msg(j, "not a JSON line: %s", l);
        json_array_append_new(lines, j);
    }
    return lines;
}

static json_t *term_script(const char *state, const char *script, int *rc)
{
    return term_script_as("term-1", state, script, rc);
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
static const json_t *result_of(const json_t *l) { return json_object_get(l, "result"); }
static const char *str_at(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }
static long long int_at(const json_t *o, const char *k) { return (long long)json_integer_value(json_object_get(o, k)); }

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
    /* the text receipt, printed once, with the payload under its QR code */
    char text[OUT_MAX];
    ck_assert_int_eq(tsr_test_sh_capture(text, sizeof text, "'%s/tessera-terminal' --node coap://127.0.0.1:%d "
                                         "--terminal term-1 --state '%s/a.state' receipt %s", bin, coap_port, dir, want), 0);
    const char *first = strstr(text, "TESSERA LOTTERY");
    ck_assert_msg(first && !strstr(first + 1, "TESSERA LOTTERY") && strstr(text, want), "%s", text);

    /* cancel within the void window, once */
    snprintf(script, sizeof script, "cancel %s wrong numbers\ncancel %s\nreceipt %s\ncheck %s\n", id, id, id, want);
    json_t *c = term_script("a.state", script, &rc);
    line(c, 0, true);
    line(c, 1, false);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(line(c, 2, true), "result"), "state")), "cancelled");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(line(c, 3, true), "result"), "state")), "cancelled");
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
                              "pay TSR1:nope:1\n"                /* not a six-digit code */
                              "frobnicate\n"
                              "check TSR1:no:pe:123456\n"       /* not a payload */
                              "pay\n"
                              "settlement 2020-01-01\n"         /* more than 92 days back */
                              "settlement 2026-02-30\n"         /* no such day */
                              "settlement yesterday\n"
                              "check TSR1:node-1-999999:123456\n", /* no such serial: one wrong code */
                              &rc);
    ck_assert_int_eq(json_array_size(out), 15);
    ck_assert_str_eq(err_of(line(out, 0, false)), "TSR_ERR_UNAUTHENTICATED");
    ck_assert_str_eq(err_of(line(out, 1, false)), "TSR_ERR_CREDENTIALS");
    line(out, 2, true);
    ck_assert_str_eq(err_of(line(out, 3, false)), "TSR_ERR_GAME_UNKNOWN");
    ck_assert_str_eq(err_of(line(out, 4, false)), "TSR_ERR_GAME_COUNT");
    ck_assert_str_eq(err_of(line(out, 5, false)), "TSR_ERR_USAGE");
    ck_assert_str_eq(err_of(line(out, 6, false)), "TSR_ERR_USAGE");
    ck_assert_str_eq(err_of(line(out, 7, false)), "TSR_ERR_RANGE");
    ck_assert_str_eq(str_at(json_object_get(line(out, 7, false), "detail"), "field"), "check");
    ck_assert_str_eq(err_of(line(out, 8, false)), "TSR_ERR_USAGE");
    ck_assert_str_eq(err_of(line(out, 9, false)), "TSR_ERR_USAGE");
    ck_assert_str_eq(err_of(line(out, 10, false)), "TSR_ERR_USAGE");
    ck_assert_str_eq(err_of(line(out, 11, false)), "TSR_ERR_RANGE");
    ck_assert_msg(strstr(str_at(line(out, 11, false), "message"), ": day ("), "%s", str_at(line(out, 11, false), "message"));
    ck_assert_str_eq(err_of(line(out, 12, false)), "TSR_ERR_DATE");
    ck_assert_str_eq(err_of(line(out, 13, false)), "TSR_ERR_USAGE");
    ck_assert_str_eq(err_of(line(out, 14, false)), "TSR_ERR_CLAIM_CHECK");
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

/* Advance play: one ticket per draw in one reply, larger than a datagram,
 * so it comes block-wise (RFC 7959) as the node's separate response; the
 * terminal puts it together, prints every ticket and leaves nothing pending. */
START_TEST(advance_play_sells_a_ticket_per_draw_and_prints_them_all)
{
    int rc;
    json_t *out = term_script("g.state", "login alice 4321\n"
                                         "sell pick3 straight 1 2 3 draws=3 yes\n"
                                         "resolve\n", &rc);
    ck_assert_int_eq(rc, 0);
    line(out, 0, true);
    const json_t *rcs = json_object_get(result_of(line(out, 1, true)), "receipts");
    ck_assert_int_eq(json_array_size(rcs), 3);
    char *text = json_dumps(rcs, JSON_COMPACT);
    ck_assert_uint_gt(strlen(text), 1024); /* more than one block */
    free(text);
    char got[64], script[512] = "";
    for (size_t i = 0; i < 3; i++) {
        const json_t *r = json_array_get(rcs, i);
        ck_assert_ptr_nonnull(json_object_get(r, "sig"));
        if (i > 0) /* one ticket per draw, the next draws in order */
            ck_assert_int_gt(int_at(r, "draw"), int_at(json_array_get(rcs, i - 1), "draw"));
        size_t n = strlen(script);
        snprintf(script + n, sizeof script - n, "print %s\n", str_at(r, "ticket_id"));
    }
    ck_assert_int_eq(int_at(result_of(line(out, 2, true)), "pending"), 0);
    /* every ticket prints, with its own QR code file */
    json_t *p = term_script("g.state", script, &rc);
    ck_assert_int_eq(rc, 0);
    for (size_t i = 0; i < 3; i++) {
        const json_t *r = json_array_get(rcs, i);
        ck_assert_str_eq(str_at(result_of(line(p, i, true)), "ticket_id"), str_at(r, "ticket_id"));
        ck_assert_msg(tsr_test_sh_capture(got, sizeof got, "test -s '%s/receipts/%s.png'", dir,
                                          str_at(r, "serial")) == 0,
                      "ticket %zu has no QR code file", i);
    }
    json_decref(p);
    json_decref(out);
}
END_TEST

/* ---- prizes at any terminal of the node ------------------------------------------------ */


/* Runs the operator CLI beside the running node (tessera player ...). */
static void operator_cli(const char *args)
{
    char out[1024];
    int rc = tsr_test_sh_capture(out, sizeof out, "'%s/tessera' player %s --db '%s/n/node.db' 2>&1", bin, args, dir);
    ck_assert_msg(rc == 0, "tessera player %s: %d %s", args, rc, out);
}

/* The slip of the first receipt of output line i: its QR payload. */
static void payload_of(const json_t *lines, size_t i, char *out, size_t cap)
{
    const json_t *r = first_receipt(line(lines, i, true));
    snprintf(out, cap, "TSR1:%s:%s", str_at(r, "serial"), str_at(r, "check"));
}

/* A six-digit code that is not the slip's. */
static void wrong_code(const char *payload, int k, char *out, size_t cap)
{
    const char *check = strrchr(payload, ':') + 1;
    int code = (atoi(check) + 1 + k) % 1000000;
    snprintf(out, cap, "%.*s%06d", (int)(check - payload), payload, code);
}

START_TEST(a_winner_is_paid_once_at_any_terminal_of_the_node)
{
    int rc;
    char k1[64], k2[64], p3[64], bad[64], script[2048], args[256];
    json_t *sold = term_script("w.state",
                               "login alice 4321\n"
                               "sell keno spot 1 2 3 4 stake=1.00\n"
                               "sell keno spot 5 6 7 8 stake=1.00\n"
                               "sell pick3 straight 3 3 3\n", &rc);
    ck_assert_int_eq(rc, 0);
    payload_of(sold, 1, k1, sizeof k1);
    payload_of(sold, 2, k2, sizeof k2);
    payload_of(sold, 3, p3, sizeof p3);
    const char *k1_id = str_at(first_receipt(line(sold, 1, true)), "ticket_id");
    /* prizes booked as central's payout batch would (operator CLI, for
     * tests), beside the running node; term-2 gets an agent */
    snprintf(args, sizeof args, "payout --serial %s --amount 15.00", str_at(first_receipt(line(sold, 1, true)), "serial"));
    operator_cli(args);
    snprintf(args, sizeof args, "payout --serial %s --amount 2500.00 --claim-centre",
             str_at(first_receipt(line(sold, 2, true)), "serial"));
    operator_cli(args);
    operator_cli("agent-add --terminal term-2 --name bob --pin 2468");

    /* term-2 checks and pays the slip term-1 sold, by its QR payload */
    wrong_code(k1, 0, bad, sizeof bad);
    char serial[40], check[16];
    sscanf(k1, "TSR1:%39[^:]:%15s", serial, check);
    snprintf(script, sizeof script,
             "login bob 2468\ncheck %s\npay %s\npay %s\ncheck %s %s\ncheck %s\npay %s\ncheck %s\npay %s\npay %s\n",
             k1, k1, k1, serial, check, k2, k2, p3, p3, bad);
    json_t *o = term_script_as("term-2", "t2.state", script, &rc);
    line(o, 0, true);
    ck_assert_str_eq(str_at(result_of(line(o, 1, true)), "state"), "payable");
    ck_assert_int_eq(int_at(result_of(line(o, 1, true)), "amount"), 1500);
    ck_assert_int_eq(int_at(result_of(line(o, 2, true)), "amount"), 1500);  /* PAID */
    ck_assert_str_eq(str_at(json_object_get(result_of(line(o, 2, true)), "paid"), "terminal"), "term-2");
    ck_assert_str_eq(err_of(line(o, 3, false)), "TSR_ERR_CLAIM_PAID");        /* the same slip again */
    ck_assert_str_eq(str_at(json_object_get(line(o, 3, false), "detail"), "terminal"), "term-2");
    ck_assert_str_eq(str_at(result_of(line(o, 4, true)), "state"), "paid");   /* typed SERIAL CHECK */
    ck_assert_str_eq(str_at(result_of(line(o, 5, true)), "state"), "claim_centre");
    const json_t *centre = line(o, 6, false);                                 /* not paid at a till */
    ck_assert_str_eq(err_of(centre), "TSR_ERR_CLAIM_CENTRE");
    ck_assert_str_eq(str_at(json_object_get(centre, "detail"), "claim_centre"), str_at(result_of(line(o, 5, true)), "claim_centre"));
    ck_assert_msg(strstr(str_at(centre, "message"), "go to "), "%s", str_at(centre, "message"));
    ck_assert_str_eq(str_at(result_of(line(o, 7, true)), "state"), "pending");
    ck_assert_str_eq(err_of(line(o, 8, false)), "TSR_ERR_CLAIM_NO_PRIZE");
    ck_assert_msg(strstr(str_at(line(o, 8, false), "message"), "not yet drawn"), "%s", str_at(line(o, 8, false), "message"));
    ck_assert_str_eq(err_of(line(o, 9, false)), "TSR_ERR_CLAIM_CHECK");       /* a wrong code */
    ck_assert_int_ne(rc, 0);
    json_decref(o);

    /* the seller cannot pay it again either, by QR or by ticket id */
    snprintf(script, sizeof script, "pay %s\npay %s\ncheck %s\n", k1, k1_id, k1);
    o = term_script("w.state", script, &rc);
    ck_assert_str_eq(err_of(line(o, 0, false)), "TSR_ERR_CLAIM_PAID");
    ck_assert_str_eq(err_of(line(o, 1, false)), "TSR_ERR_CLAIM_PAID");
    ck_assert_msg(strstr(str_at(line(o, 1, false), "message"), "at terminal term-2"), "%s", str_at(line(o, 1, false), "message"));
    ck_assert_str_eq(str_at(json_object_get(result_of(line(o, 2, true)), "paid"), "terminal"), "term-2");
    json_decref(o);
    json_decref(sold);
}
END_TEST

/* ---- the end of the day against the ledger ---------------------------------------------- */

typedef struct ledger_day {
    long long sales, sales_count, cancels, cancels_count, payouts, payouts_count;
    long long cash_in, cash_out, other, moved, later, balance;
    long long ticket_stakes, ticket_count, cancelled_stakes;
} ledger_day;

static long long sql_int(sqlite3 *db, const char *sql, const char *account, long long lo, long long hi)
{
    sqlite3_stmt *s;
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_text(s, 1, account, -1, SQLITE_STATIC);
    if (sqlite3_bind_parameter_count(s) == 3) {
        sqlite3_bind_int64(s, 2, lo);
        sqlite3_bind_int64(s, 3, hi);
    }
    ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
    long long v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* The terminal's float in the node's database, read directly (read-only,
 * beside the running node): the day's entries by kind, the balance, and
 * the tickets the terminal sold and cancelled that day. */
static ledger_day ledger_of(const char *terminal, const char *day)
{
    struct tm tm = {0};
    ck_assert_ptr_nonnull(strptime(day, "%Y-%m-%d", &tm));
    long long lo = (long long)timegm(&tm) * 1000000000LL, hi = lo + 86400LL * 1000000000LL;
    char path[300], acct[64];
    snprintf(path, sizeof path, "file:%s/n/node.db?mode=ro", dir);
    snprintf(acct, sizeof acct, "agent_float:%s", terminal);
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    ck_assert_int_eq(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK); /* one snapshot */
#define KIND(k, what) \
    "SELECT coalesce(" what ", 0) FROM ledger_entries e JOIN ledger_tx t ON t.id = e.tx_id " \
    "JOIN accounts a ON a.id = e.account_id WHERE a.name = ?1 AND t.at_ns >= ?2 AND t.at_ns < ?3" k
    ledger_day d = {
        /* a sale is a "bet" posting of its own, or one ticket of a group's
         * "sales" posting ("seq:<first>-<last>" of the terminal's tickets) */
        .sales = sql_int(db, KIND(" AND t.kind IN ('bet', 'sales')", "sum(e.amount)"), acct, lo, hi),
        .sales_count = sql_int(db, KIND(" AND t.kind = 'bet'", "count(*)"), acct, lo, hi) +
                       sql_int(db, "SELECT count(*) FROM tickets k WHERE 'agent_float:' || k.terminal_id = ?1 "
                                   "AND EXISTS (SELECT 1 FROM ledger_tx t JOIN ledger_entries e ON e.tx_id = t.id "
                                   "JOIN accounts a ON a.id = e.account_id WHERE a.name = ?1 AND t.kind = 'sales' "
                                   "AND t.at_ns >= ?2 AND t.at_ns < ?3 "
                                   "AND k.seq BETWEEN CAST(substr(t.ref, 5, instr(t.ref, '-') - 5) AS INTEGER) "
                                   "AND CAST(substr(t.ref, instr(t.ref, '-') + 1) AS INTEGER))", acct, lo, hi),
        .cancels = sql_int(db, KIND(" AND t.kind = 'refund'", "-sum(e.amount)"), acct, lo, hi),
        .cancels_count = sql_int(db, KIND(" AND t.kind = 'refund'", "count(*)"), acct, lo, hi),
        .payouts = sql_int(db, KIND(" AND t.kind = 'claim'", "-sum(e.amount)"), acct, lo, hi),
        .payouts_count = sql_int(db, KIND(" AND t.kind = 'claim'", "count(*)"), acct, lo, hi),
        .cash_in = sql_int(db, KIND(" AND t.kind = 'float_topup'", "-sum(e.amount)"), acct, lo, hi),
        .cash_out = sql_int(db, KIND(" AND t.kind = 'float_settle'", "sum(e.amount)"), acct, lo, hi),
        .other = sql_int(db, KIND(" AND t.kind NOT IN ('bet','sales','refund','claim','float_topup','float_settle')",
                                  "-sum(e.amount)"), acct, lo, hi),
        .moved = sql_int(db, KIND("", "-sum(e.amount)"), acct, lo, hi),
        .later = sql_int(db, KIND("", "-sum(e.amount)"), acct, hi, INT64_MAX),
        .balance = sql_int(db, "SELECT coalesce((SELECT balance FROM accounts WHERE name = ?1), 0)",
                           acct, lo, hi),
        .ticket_stakes = sql_int(db, "SELECT coalesce(sum(stake_cents), 0) FROM tickets WHERE 'agent_float:' || terminal_id = ?1 "
                                     "AND accepted_at_ns >= ?2 AND accepted_at_ns < ?3", acct, lo, hi),
        .ticket_count = sql_int(db, "SELECT count(*) FROM tickets WHERE 'agent_float:' || terminal_id = ?1 "
                                    "AND accepted_at_ns >= ?2 AND accepted_at_ns < ?3", acct, lo, hi),
        .cancelled_stakes = sql_int(db, "SELECT coalesce(sum(stake_cents), 0) FROM tickets WHERE "
                                        "'agent_float:' || terminal_id = ?1 AND state = 1 "
                                        "AND cancelled_at_ns >= ?2 AND cancelled_at_ns < ?3", acct, lo, hi),
    };
#undef KIND
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);
    return d;
}

/* The terminal's settlement (JSON) against the ledger, figure by figure. */
static void assert_settlement_is_ledger(const json_t *s, const char *terminal)
{
    ck_assert_str_eq(str_at(s, "terminal"), terminal);
    ledger_day d = ledger_of(terminal, str_at(s, "day"));
    ck_assert_int_eq(int_at(s, "sales"), d.sales);
    ck_assert_int_eq(int_at(s, "sales_count"), d.sales_count);
    ck_assert_int_eq(int_at(s, "cancels"), d.cancels);
    ck_assert_int_eq(int_at(s, "cancels_count"), d.cancels_count);
    ck_assert_int_eq(int_at(s, "payouts"), d.payouts);
    ck_assert_int_eq(int_at(s, "payouts_count"), d.payouts_count);
    ck_assert_int_eq(int_at(s, "cash_in"), d.cash_in);
    ck_assert_int_eq(int_at(s, "cash_out"), d.cash_out);
    ck_assert_int_eq(int_at(s, "other"), d.other);
    ck_assert_int_eq(int_at(s, "float_close"), d.balance - d.later);
    ck_assert_int_eq(int_at(s, "float_open"), d.balance - d.later - d.moved);
    ck_assert_int_eq(int_at(s, "net_takings"), d.sales - d.cancels - d.payouts);
    ck_assert_int_eq(int_at(s, "net_cash_due"), d.sales - d.cancels - d.payouts - d.cash_in + d.cash_out);
    /* and the ledger against the tickets the terminal sold and voided */
    ck_assert_int_eq(d.sales, d.ticket_stakes);
    ck_assert_int_eq(d.sales_count, d.ticket_count);
    ck_assert_int_eq(d.cancels, d.cancelled_stakes);
}

/* The line of text output that starts with label (after its indent). */
static const char *text_line(const char *out, const char *label)
{
    for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        const char *p = l + strspn(l, " ");
        if (strncmp(p, label, strlen(label)) == 0)
            return l;
    }
    ck_abort_msg("no line '%s' in:\n%s", label, out);
    return "";
}

/* After the test above: term-1 sold every ticket of this file, term-2
 * paid one prize. Each settlement is asked for the UTC day of the
 * terminal's last movement, so a test run across midnight compares the
 * same day too. */
START_TEST(end_of_day_settlement_is_the_ledger)
{
    int rc;
    char script[128], day1[11], day2[11];
    json_t *o = term_script("w.state", "history limit=1\n", &rc);
    snprintf(day1, sizeof day1, "%.10s", str_at(json_array_get(json_object_get(result_of(line(o, 0, true)), "items"), 0), "accepted_at"));
    json_decref(o);
    snprintf(script, sizeof script, "settlement %s\nbalance\n", day1);
    o = term_script("w.state", script, &rc);
    ck_assert_int_eq(rc, 0);
    const json_t *s1 = result_of(line(o, 0, true));
    ck_assert_str_eq(str_at(s1, "day"), day1);
    assert_settlement_is_ledger(s1, "term-1");
    ck_assert_int_ge(int_at(s1, "sales_count"), 3);
    ck_assert_int_eq(int_at(s1, "payouts_count"), 0); /* the prize was paid at term-2 */
    json_decref(o);

    o = term_script_as("term-2", "t2.state", "balance\n", &rc);
    const json_t *b2 = result_of(line(o, 0, true));
    ck_assert_int_eq(int_at(b2, "float"), 1500);
    time_t paid_s = (time_t)(int_at(json_array_get(json_object_get(b2, "history"), 0), "at") / 1000000000LL);
    struct tm tm;
    strftime(day2, sizeof day2, "%Y-%m-%d", gmtime_r(&paid_s, &tm));
    json_decref(o);
    snprintf(script, sizeof script, "settlement %s\n", day2);
    o = term_script_as("term-2", "t2.state", script, &rc);
    ck_assert_int_eq(rc, 0);
    const json_t *s2 = result_of(line(o, 0, true));
    assert_settlement_is_ledger(s2, "term-2");
    ck_assert_int_eq(int_at(s2, "payouts"), 1500);
    ck_assert_int_eq(int_at(s2, "payouts_count"), 1);
    ck_assert_int_eq(int_at(s2, "sales_count"), 0);
    ck_assert_int_eq(int_at(s2, "float_open"), 0);
    ck_assert_int_eq(int_at(s2, "float_close"), 1500);
    ck_assert_int_eq(int_at(s2, "net_cash_due"), -1500);
    json_decref(o);

    /* the text the agent reads, and the ledger's own check */
    char out[OUT_MAX];
    rc = tsr_test_sh_capture(out, sizeof out, "'%s/tessera-terminal' --node coap://127.0.0.1:%d --terminal term-2 "
                             "--state '%s/t2.state' settlement %s", bin, coap_port, dir, day2);
    ck_assert_msg(rc == 0 && strstr(out, "END OF DAY  terminal term-2"), "%s", out);
    long long n = 0;
    char amount[32] = "", who[64] = "";
    ck_assert_msg(sscanf(text_line(out, "payouts"), " payouts %lld + %31s", &n, amount) == 2, "%s", out);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(amount, "15.00");
    ck_assert_msg(sscanf(text_line(out, "NET CASH DUE"), " NET CASH DUE %31s (%63[^)])", amount, who) == 2, "%s", out);
    ck_assert_str_eq(amount, "-15.00");
    ck_assert_str_eq(who, "the operator owes the shop");
    rc = tsr_test_sh_capture(out, sizeof out, "'%s/tessera' ledger-check --db '%s/n/node.db'", bin, dir);
    ck_assert_msg(rc == 0 && strncmp(out, "ledger ok:", 10) == 0, "%d %s", rc, out);
}
END_TEST

/* Last: it leaves term-2 unable to look up slips for the guard's window. */
START_TEST(wrong_codes_are_refused_then_rate_limited)
{
    int rc;
    json_t *sold = term_script("w.state", "sell pick3 straight 2 4 6\n", &rc);
    char p[64], bad[64], script[1024] = "";
    payload_of(sold, 0, p, sizeof p);
    /* term-2 sent one wrong code above: four more reach the limit (5) */
    for (int k = 1; k <= 4; k++) {
        wrong_code(p, k, bad, sizeof bad);
        snprintf(script + strlen(script), sizeof script - strlen(script), "%s %s\n", k % 2 ? "check" : "pay", bad);
    }
    snprintf(script + strlen(script), sizeof script - strlen(script), "check %s\npay %s\n", p, p);
    json_t *o = term_script_as("term-2", "t2.state", script, &rc);
    for (size_t i = 0; i < 4; i++)
        ck_assert_str_eq(err_of(line(o, i, false)), "TSR_ERR_CLAIM_CHECK");
    const json_t *l = line(o, 4, false); /* the right code too, until the window ends */
    ck_assert_str_eq(err_of(l), "TSR_ERR_CLAIM_RATE");
    ck_assert_int_gt(int_at(json_object_get(l, "detail"), "retry_after_s"), 0);
    ck_assert_str_eq(err_of(line(o, 5, false)), "TSR_ERR_CLAIM_RATE");
    json_decref(o);
    /* the limit is the terminal's: term-1 still checks the slip */
    snprintf(script, sizeof script, "check %s\n", p);
    o = term_script("w.state", script, &rc);
    ck_assert_str_eq(str_at(result_of(line(o, 0, true)), "state"), "pending");
    json_decref(o);
    json_decref(sold);
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
    tcase_add_test(tc, advance_play_sells_a_ticket_per_draw_and_prints_them_all);
    tcase_add_test(tc, a_winner_is_paid_once_at_any_terminal_of_the_node);
    tcase_add_test(tc, end_of_day_settlement_is_the_ledger);
    tcase_add_test(tc, wrong_codes_are_refused_then_rate_limited);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(terminal_node_suite()); }

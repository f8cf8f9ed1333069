/* The README's first command, scripts/demo.sh (docs/demo.md), in its
 * --quick --replay-check form on the programs of this build: the whole
 * demo day end to end (keys, NATS, central's day daemon, a witness, three
 * nodes, a short selling day of every game family online and at retail
 * tills, cutoff, reconciliation, draw, settlement, payouts, verify with
 * altered records rejected, every payout once with central's totals,
 * ledger-check) plus the payout replays (a node killed while it applies its
 * payouts, central re-sending, a node's whole control stream redelivered)
 * exits 0 and its summary shows every check passed. The checks themselves
 * fail on a prize credited twice or a payout not applied
 * (deploy/demo/recheck.sh on the day's data, altered). A step that fails
 * makes the demo exit 1 and stop everything it started; bad options and
 * missing programs give the sysexits codes. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "tsr_test.h"

/* The quick day with its replays takes ~40 s here (release and ASan); the bound leaves room for a busy CI
 * machine and for sanitizer builds, and stays under CTest's 300 s. */
#define DEMO_CASE_TIMEOUT_S 280
#define PATH_SIZE 1024
#define OUT_MAX 65536

static char dir[512];

static void setup(void) { tsr_test_tmpdir("demo", dir, sizeof dir); }
static void teardown(void) { tsr_test_rmtree(dir); }

/* Runs scripts/demo.sh with args (its output in dir/out.txt, read into
 * out) and returns its exit status. */
static int run_demo(const char *bin_dir, const char *args, char *out, size_t cap)
{
    char script[PATH_SIZE], rc_text[32];
    tsr_test_src("scripts/demo.sh", script, sizeof script);
    int st = tsr_test_sh_capture(rc_text, sizeof rc_text,
                                 "%s --no-build --bin %s --dir %s/day %s >%s/out.txt 2>&1; echo $?",
                                 script, bin_dir, dir, args, dir);
    ck_assert_int_eq(st, 0);
    char path[PATH_SIZE];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
    printf("---- scripts/demo.sh %s ----\n%s\n", args, out);
    return atoi(rc_text);
}

static const char *bin_dir(void)
{
    const char *b = getenv("TSR_BIN_DIR");
    ck_assert_msg(b != NULL, "TSR_BIN_DIR is not set (run under CTest)");
    return b;
}

/* "<what> X of Y" in out: both numbers (and the line must be there). */
static void counts(const char *out, const char *what, long *x, long *y)
{
    const char *p = strstr(out, what);
    ck_assert_msg(p != NULL, "the summary has no '%s'", what);
    ck_assert_int_eq(sscanf(p + strlen(what), " %ld of %ld", x, y), 2);
}

/* No process of the demo (anything named with its data directory) is left. */
static void assert_nothing_left(void)
{
    char ps[4096];
    ck_assert_int_eq(tsr_test_sh_capture(ps, sizeof ps, "pgrep -af '%s/da[y]' || true", dir), 0);
    ck_assert_msg(ps[0] == '\0', "processes left running: %s", ps);
}

static char out[OUT_MAX];

/* deploy/demo/recheck.sh on the day's data directory, the checks named
 * (all when ""); its exit status, its output in text. */
static int recheck(const char *checks, char *text, size_t cap)
{
    char script[PATH_SIZE];
    tsr_test_src("deploy/demo/recheck.sh", script, sizeof script);
    int rc = tsr_test_sh("%s %s/day %s %s >%s/recheck.txt 2>&1", script, dir, bin_dir(), checks,
                         dir);
    char path[PATH_SIZE];
    snprintf(path, sizeof path, "%s/recheck.txt", dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(text, 1, cap - 1, f);
    text[n] = '\0';
    fclose(f);
    printf("---- recheck ----\n%s\n", text);
    return rc;
}

/* SQL on node-2's store of the day (sqlite3), for the altered-books cases. */
static void node2_sql(const char *sql)
{
    ck_assert_int_eq(tsr_test_sh("sqlite3 %s/day/node-2/node.db \"%s\"", dir, sql), 0);
}

/* The demo's payout checks fail on a prize credited twice and on a payout
 * entry the node never applied, naming the node and the payout; restored,
 * they pass again. Runs on the data the quick day left. */
static void checks_can_fail(void)
{
    char text[8192];
    ck_assert_int_eq(recheck("", text, sizeof text), 0);
    ck_assert_int_eq(tsr_test_sh("cp %s/day/node-2/node.db %s/node2.bak", dir, dir), 0);
    /* a second ledger transaction crediting the same prize again */
    node2_sql("INSERT INTO ledger_tx(kind, ref, at_ns) SELECT kind, ref, at_ns FROM ledger_tx"
              " WHERE kind = 'payout' ORDER BY id LIMIT 1;"
              " INSERT INTO ledger_entries SELECT last_insert_rowid(), account_id, amount"
              " FROM ledger_entries WHERE tx_id = (SELECT min(id) FROM ledger_tx WHERE kind = 'payout');");
    ck_assert_int_ne(recheck("payouts", text, sizeof text), 0);
    ck_assert_ptr_nonnull(strstr(text, "FAILED: payouts at node-2"));
    ck_assert_ptr_nonnull(strstr(text, "2 ledger transactions"));
    ck_assert_int_eq(tsr_test_sh("cp %s/node2.bak %s/day/node-2/node.db", dir, dir), 0);
    /* a payout entry central sent that the node has no record of */
    node2_sql("DELETE FROM sync_payouts WHERE payout_id = (SELECT min(payout_id) FROM sync_payouts)");
    ck_assert_int_ne(recheck("payouts", text, sizeof text), 0);
    ck_assert_ptr_nonnull(strstr(text, "not applied as central built it"));
    ck_assert_int_eq(tsr_test_sh("cp %s/node2.bak %s/day/node-2/node.db", dir, dir), 0);
    ck_assert_int_eq(recheck("payouts", text, sizeof text), 0);
}

START_TEST(quick_day_end_to_end)
{
    ck_assert_int_eq(run_demo(bin_dir(), "--quick --replay-check", out, sizeof out), 0);
    long x, y;
    counts(out, "receipts at central:", &x, &y);
    ck_assert(y > 0 && x == y);
    counts(out, "payouts applied:", &x, &y);
    ck_assert(y > 0 && x == y);
    counts(out, "verification:", &x, &y);
    ck_assert(y > 0 && x == y);
    const char *p = out;
    int ledgers = 0;
    while ((p = strstr(p, "ledger ok:")) != NULL) {
        ledgers++;
        p++;
    }
    ck_assert_int_eq(ledgers, 3);
    /* every family: keno moved onto the day's cutoff beside the others */
    static const char *const games[] = {"lotto649:", "powerball:", "pick3:", "pick4:", "keno:",
                                        "bonusbet:"};
    for (size_t i = 0; i < sizeof games / sizeof games[0]; i++)
        ck_assert_msg(strstr(out, games[i]) != NULL, "no %s in the summary", games[i]);
    ck_assert_ptr_nonnull(strstr(out, "retail tills:"));
    ck_assert_ptr_nonnull(strstr(out, "a till paid a retail prize in cash at"));
    /* six records, three altered copies of each, all rejected */
    ck_assert_ptr_nonnull(strstr(out, "tampering: 18 altered records"));
    const char *nodes[] = {"    node-1: ", "    node-2: ", "    node-3: "};
    for (size_t i = 0; i < 3; i++)
        ck_assert_msg(strstr(out, nodes[i]) != NULL, "no payout line for %s", nodes[i]);
    /* the replays: node-3 killed after some of its payouts committed */
    ck_assert_ptr_nonnull(strstr(out, "payouts booked as new,"));
    ck_assert_ptr_nonnull(strstr(out, "duplicates dropped by message id"));
    ck_assert_ptr_nonnull(strstr(out, "no payout booked as new"));
    ck_assert_ptr_nonnull(strstr(out, "nothing paid twice, every node's books unchanged"));
    ck_assert_ptr_nonnull(strstr(out, "Demo OK."));
    ck_assert_ptr_null(strstr(out, "FAILED"));
    char path[PATH_SIZE];
    struct stat sb;
    snprintf(path, sizeof path, "%s/day/summary.txt", dir);
    ck_assert_int_eq(stat(path, &sb), 0); /* the data directory is left behind */
    snprintf(path, sizeof path, "%s/day/receipts.jsonl", dir);
    ck_assert_int_eq(stat(path, &sb), 0);
    assert_nothing_left();
    checks_can_fail();
}
END_TEST

/* A bin directory of links to the real programs, but a tessera-load that
 * fails: the demo stops at the selling day, says so, exits 1 and stops
 * nats-server, central and the nodes it had started. */
START_TEST(failing_step_stops_everything)
{
    char fake[PATH_SIZE];
    snprintf(fake, sizeof fake, "%s/bin", dir);
    ck_assert_int_eq(tsr_test_sh("mkdir -p %s && for p in tessera tessera-node tessera-central "
                                 "tessera-witness tessera-terminal; do ln -s %s/$p %s/$p; done && "
                                 "printf '#!/bin/sh\\necho broken load >&2\\nexit 70\\n' "
                                 ">%s/tessera-load && chmod +x %s/tessera-load",
                                 fake, bin_dir(), fake, fake, fake),
                     0);
    ck_assert_int_eq(run_demo(fake, "--quick", out, sizeof out), 1);
    ck_assert_ptr_nonnull(strstr(out, "FAILED: tessera-load"));
    ck_assert_ptr_nonnull(strstr(out, "stopping everything the demo started"));
    ck_assert_ptr_null(strstr(out, "Demo OK."));
    assert_nothing_left();
}
END_TEST

START_TEST(bad_options_and_missing_programs)
{
    static const char *const bad[] = {"--bogus", "--peak x", "--players 0", "--day-seconds 4",
                                      "--date not-a-date", "--dir"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(run_demo(bin_dir(), bad[i], out, sizeof out) == EX_USAGE, "%s", bad[i]);
    ck_assert_int_eq(run_demo("/nonexistent-tessera-bin", "", out, sizeof out), EX_UNAVAILABLE);
    ck_assert_ptr_nonnull(strstr(out, "is missing"));
    char path[PATH_SIZE];
    struct stat sb;
    snprintf(path, sizeof path, "%s/day", dir);
    ck_assert_int_ne(stat(path, &sb), 0); /* refused before making anything */
}
END_TEST

static Suite *demo_suite(void)
{
    Suite *s = suite_create("demo");
    TCase *tc = tcase_create("demo");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, DEMO_CASE_TIMEOUT_S);
    tcase_add_test(tc, bad_options_and_missing_programs);
    tcase_add_test(tc, failing_step_stops_everything);
    tcase_add_test(tc, quick_day_end_to_end);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(demo_suite()); }

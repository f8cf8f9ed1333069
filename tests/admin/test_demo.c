/* The README's first command, scripts/demo.sh (docs/demo.md), in its
 * --quick form on the programs of this build: the whole demo day end to
 * end (keys, NATS, central's day daemon, a witness, three nodes, a short
 * selling day, cutoff, reconciliation, draw, settlement, payouts, verify,
 * ledger-check) exits 0 and its summary shows every check passed; a step
 * that fails makes it exit 1 and stop everything it started; bad options
 * and missing programs give the sysexits codes. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "tsr_test.h"

/* The quick day takes ~35 s here; the bound leaves room for a busy CI
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

START_TEST(quick_day_end_to_end)
{
    ck_assert_int_eq(run_demo(bin_dir(), "--quick", out, sizeof out), 0);
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
    ck_assert_ptr_nonnull(strstr(out, "Demo OK."));
    ck_assert_ptr_null(strstr(out, "FAILED"));
    char path[PATH_SIZE];
    struct stat sb;
    snprintf(path, sizeof path, "%s/day/summary.txt", dir);
    ck_assert_int_eq(stat(path, &sb), 0); /* the data directory is left behind */
    snprintf(path, sizeof path, "%s/day/receipts.jsonl", dir);
    ck_assert_int_eq(stat(path, &sb), 0);
    assert_nothing_left();
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

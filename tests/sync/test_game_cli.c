/* `tessera games list` and `tessera games odds GAME` on every preset, run as
 * the operator runs them (from the source tree, default catalogue path). */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "tsr_test.h"

static char out[16384];

static int run(const char *args)
{
    char bin[512], src[512];
    tsr_test_bin("tessera", bin, sizeof bin);
    tsr_test_src("", src, sizeof src);
    out[0] = '\0';
    int rc = tsr_test_sh_capture(out, sizeof out, "cd '%s' && '%s' games %s 2>&1", src, bin, args);
    return rc;
}

START_TEST(list_shows_every_preset)
{
    ck_assert_int_eq(run("list"), 0);
    static const char *const ids[] = {"lotto649", "powerball", "pick3", "pick4", "keno", "bonusbet"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++)
        ck_assert_msg(strstr(out, ids[i]) != NULL, "%s missing from:\n%s", ids[i], out);
    ck_assert_ptr_nonnull(strstr(out, "15:00/16:00 (America/New_York)"));
}
END_TEST

START_TEST(odds_print_for_every_preset)
{
    ck_assert_int_eq(run("odds powerball"), 0);
    ck_assert_ptr_nonnull(strstr(out, "1 in 292,201,338"));
    ck_assert_ptr_nonnull(strstr(out, "1 in 24.87"));
    ck_assert_int_eq(run("odds lotto649"), 0);
    ck_assert_ptr_nonnull(strstr(out, "1 in 13,983,816"));
    ck_assert_int_eq(run("odds pick3"), 0);
    ck_assert_ptr_nonnull(strstr(out, "1 in 166.67"));
    ck_assert_int_eq(run("odds pick4"), 0);
    ck_assert_ptr_nonnull(strstr(out, "1 in 416.67"));
    ck_assert_int_eq(run("odds keno"), 0);
    ck_assert_ptr_nonnull(strstr(out, "1 in 8,911,711.18"));
    ck_assert_int_eq(run("odds bonusbet"), 0);
    ck_assert_ptr_nonnull(strstr(out, "1 in 49"));
}
END_TEST

START_TEST(errors_exit_with_their_class)
{
    ck_assert_int_eq(run("odds nope"), EX_NOINPUT);
    ck_assert_ptr_nonnull(strstr(out, "unknown game"));
    ck_assert_int_eq(run("frobnicate"), EX_USAGE);
    ck_assert_int_eq(run("list --catalog /nonexistent.json"), EX_IOERR);
    ck_assert_int_eq(run("--help"), 0);
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("game_cli");
    TCase *tc = tcase_create("game_cli");
    tcase_add_test(tc, list_shows_every_preset);
    tcase_add_test(tc, odds_print_for_every_preset);
    tcase_add_test(tc, errors_exit_with_their_class);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(cli_suite()); }

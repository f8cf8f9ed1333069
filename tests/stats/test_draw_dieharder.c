/*
 * A quick subset of the dieharder battery (Debian package dieharder) on the
 * draw's DRBG stream for a fixed entropy value: 8 MiB of exactly the bytes
 * `tessera draw-stream` writes, each test sized so it never rewinds the
 * file (a rewound file repeats data and invalidates the test). The output
 * is deterministic for the fixed stream. The full battery, run by hand, is
 * in docs/draw.md.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/draw.h"
#include "tsr_test.h"

#define STREAM_BYTES (8u * 1024 * 1024)
/* E = 00 01 02 .. 1f, the seed docs/draw.md uses too. */
#define SEED_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static void write_stream(const char *path)
{
    uint8_t e[32];
    ck_assert_int_eq(tsr_hex_decode(e, sizeof e, SEED_HEX), TSR_OK);
    tsr_draw_stream *s;
    ck_assert_int_eq(tsr_draw_stream_create(&s, e), TSR_OK);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    static uint8_t buf[1 << 16];
    for (size_t done = 0; done < STREAM_BYTES; done += sizeof buf) {
        ck_assert_int_eq(tsr_draw_stream_read(s, buf, sizeof buf), TSR_OK);
        ck_assert_uint_eq(fwrite(buf, 1, sizeof buf, f), sizeof buf);
    }
    ck_assert_int_eq(fclose(f), 0);
    tsr_draw_stream_destroy(s);
}

START_TEST(dieharder_subset_passes_on_the_draw_stream)
{
    ck_assert_msg(tsr_test_sh("command -v dieharder > /dev/null") == 0,
                  "dieharder is not installed: apt-get install dieharder (scripts/deps.sh)");
    char dir[256], path[300];
    tsr_test_tmpdir("dieharder", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/stream.bin", dir);
    write_stream(path);
    static const char *const tests[] = {
        "-d 100 -t 100000 -p 10",     /* sts_monobit */
        "-d 101 -t 100000 -p 10",     /* sts_runs */
        "-d 2 -t 1000 -p 10",         /* diehard_rank_32x32 */
        "-d 3 -t 20000 -p 10",        /* diehard_rank_6x8 */
        "-d 200 -n 8 -t 10000 -p 10", /* rgb_bitdist, 8-bit tuples */
        "-d 203 -n 5 -t 10000 -p 10", /* rgb_lagged_sum, lag 5 */
        "-d 205 -t 50000 -p 10",      /* dab_bytedistrib */
    };
    printf("dieharder subset on %u bytes of the draw stream for E = %s\n", STREAM_BYTES,
           SEED_HEX);
    int failed = 0;
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        char out[8192];
        int rc = tsr_test_sh_capture(out, sizeof out,
                                     "dieharder -g 201 -f %s %s 2>&1 | grep -E "
                                     "'PASSED|WEAK|FAILED|rewound'", path, tests[i]);
        ck_assert_msg(rc == 0, "dieharder %s gave no result", tests[i]);
        printf("%s", out);
        ck_assert_msg(strstr(out, "rewound") == NULL, "dieharder %s rewound the file", tests[i]);
        failed += strstr(out, "FAILED") != NULL;
    }
    tsr_test_rmtree(dir);
    ck_assert_int_eq(failed, 0);
}
END_TEST

static Suite *dieharder_suite(void)
{
    Suite *s = suite_create("draw_dieharder");
    TCase *tc = tcase_create("dieharder");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, dieharder_subset_passes_on_the_draw_stream);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(dieharder_suite()); }

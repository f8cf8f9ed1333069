/* Number and time text without stdio (fmt.h): the same bytes as snprintf,
 * tsr_money_format and tsr_time_format on edge values spelled out and on
 * many generated ones (seed printed). */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tessera/clock.h"
#include "tessera/fmt.h"
#include "tessera/log.h"
#include "tessera/money.h"
#include "tsr_test.h"

#define SEED UINT64_C(20261124)
#define ROUNDS 50000

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Values of every magnitude: a random 64-bit word shifted right by 0..63. */
static uint64_t any_magnitude(uint64_t *s)
{
    uint64_t v = splitmix(s);
    return v >> (splitmix(s) % 64);
}

/* Each formatter's bytes (NUL added here) against its printf form. */
static void check_u64(uint64_t v)
{
    char got[TSR_FMT_U64_MAX + 1], want[32];
    got[tsr_fmt_u64(got, v)] = '\0';
    snprintf(want, sizeof want, "%" PRIu64, v);
    ck_assert_str_eq(got, want);
}

static void check_i64(int64_t v)
{
    char got[TSR_FMT_I64_MAX + 1], want[32];
    got[tsr_fmt_i64(got, v)] = '\0';
    snprintf(want, sizeof want, "%" PRId64, v);
    ck_assert_str_eq(got, want);
}

static void check_pad(uint64_t v, unsigned width)
{
    char got[64], want[64];
    got[tsr_fmt_u64_zero_pad(got, v, width)] = '\0';
    snprintf(want, sizeof want, "%0*" PRIu64, (int)width, v);
    ck_assert_str_eq(got, want);
}

/* The money and time texts as defined with stdio (what tsr_money_format
 * and tsr_time_format wrote before they became wrappers of fmt.h). */
static void money_by_printf(int64_t a, char *buf, size_t len)
{
    unsigned long long mag = a < 0 ? 0ULL - (unsigned long long)a : (unsigned long long)a;
    snprintf(buf, len, "%s%llu.%02llu", a < 0 ? "-" : "", mag / 100, mag % 100);
}

static void time_by_printf(int64_t unix_ns, char *buf, size_t len)
{
    time_t secs = (time_t)(unix_ns / TSR_NS_PER_S);
    int ms = (int)((unix_ns % TSR_NS_PER_S) / TSR_NS_PER_MS);
    if (ms < 0) {
        secs -= 1;
        ms += 1000;
    }
    struct tm tm;
    gmtime_r(&secs, &tm);
    char date[24];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03dZ", date, ms);
}

static void check_money(int64_t v)
{
    char got[TSR_FMT_MONEY_MAX + 1], want[TSR_MONEY_STR_MAX], wrapped[TSR_MONEY_STR_MAX];
    got[tsr_fmt_money(got, v)] = '\0';
    money_by_printf(v, want, sizeof want);
    ck_assert_str_eq(got, want);
    ck_assert_str_eq(tsr_money_format(v, wrapped, sizeof wrapped), want);
}

static void check_time(int64_t ns)
{
    char got[TSR_FMT_TIME_LEN + 1], want[40], wrapped[40];
    size_t n = tsr_fmt_time(got, ns);
    ck_assert_uint_eq(n, TSR_FMT_TIME_LEN);
    got[n] = '\0';
    time_by_printf(ns, want, sizeof want);
    ck_assert_msg(strcmp(got, want) == 0, "%" PRId64 ": %s, want %s", ns, got, want);
    tsr_time_format(ns, wrapped, sizeof wrapped);
    ck_assert_str_eq(wrapped, want);
}

static const int64_t EDGES[] = {0, 1, -1, 9, 10, 99, 100, 101, -99, -100, -101, 999999, 1000000,
                                -999999, INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1,
                                INT32_MAX, INT32_MIN, UINT32_MAX, TSR_NS_PER_S, -TSR_NS_PER_S,
                                TSR_NS_PER_MS, -TSR_NS_PER_MS, -TSR_NS_PER_MS + 1, -1500000,
                                INT64_C(951782400) * TSR_NS_PER_S, /* 2000-02-29 */
                                INT64_C(4107542400) * TSR_NS_PER_S /* 2100-03-01 */};

START_TEST(edge_values_are_spelled_exactly)
{
    char b[64];
    /* the buffer-taking wrappers cut to fit as snprintf does */
    ck_assert_str_eq(tsr_money_format(123456, b, 5), "1234");
    tsr_time_format(0, b, 11);
    ck_assert_str_eq(b, "1970-01-01");
    b[0] = 'x';
    tsr_money_format(1, b, 0); /* writes nothing */
    ck_assert_int_eq(b[0], 'x');
    b[tsr_fmt_u64(b, 0)] = '\0';
    ck_assert_str_eq(b, "0");
    b[tsr_fmt_u64(b, UINT64_MAX)] = '\0';
    ck_assert_str_eq(b, "18446744073709551615");
    b[tsr_fmt_i64(b, INT64_MIN)] = '\0';
    ck_assert_str_eq(b, "-9223372036854775808");
    b[tsr_fmt_i64(b, INT64_MAX)] = '\0';
    ck_assert_str_eq(b, "9223372036854775807");
    b[tsr_fmt_u64_zero_pad(b, 0, 6)] = '\0';
    ck_assert_str_eq(b, "000000");
    b[tsr_fmt_u64_zero_pad(b, 999999, 6)] = '\0';
    ck_assert_str_eq(b, "999999");
    b[tsr_fmt_u64_zero_pad(b, 42, 6)] = '\0';
    ck_assert_str_eq(b, "000042");
    b[tsr_fmt_u64_zero_pad(b, UINT32_MAX, 6)] = '\0';
    ck_assert_str_eq(b, "4294967295"); /* wider than the width: all digits, as printf */
    b[tsr_fmt_money(b, -5)] = '\0';
    ck_assert_str_eq(b, "-0.05");
    b[tsr_fmt_money(b, INT64_MIN)] = '\0';
    ck_assert_str_eq(b, "-92233720368547758.08");
    ck_assert_uint_eq(strlen(b), TSR_FMT_MONEY_MAX);
    b[tsr_fmt_time(b, 0)] = '\0';
    ck_assert_str_eq(b, "1970-01-01T00:00:00.000Z");
    b[tsr_fmt_time(b, -1500000)] = '\0';
    ck_assert_str_eq(b, "1969-12-31T23:59:59.999Z");
    b[tsr_fmt_time(b, INT64_MIN)] = '\0';
    ck_assert_str_eq(b, "1677-09-21T00:12:43.146Z");
    b[tsr_fmt_time(b, INT64_MAX)] = '\0';
    ck_assert_str_eq(b, "2262-04-11T23:47:16.854Z");
    for (size_t i = 0; i < sizeof EDGES / sizeof *EDGES; i++) {
        check_u64((uint64_t)EDGES[i]);
        check_i64(EDGES[i]);
        check_money(EDGES[i]);
        check_time(EDGES[i]);
        for (unsigned w = 0; w <= 22; w++)
            check_pad((uint64_t)EDGES[i], w);
    }
}
END_TEST

START_TEST(generated_values_match_the_printf_forms)
{
    printf("fmt seed %" PRIu64 "\n", SEED);
    uint64_t s = SEED;
    for (int i = 0; i < ROUNDS; i++) {
        uint64_t v = any_magnitude(&s);
        check_u64(v);
        check_i64((int64_t)v);
        check_i64(-(int64_t)(v >> 1));
        check_money((int64_t)v);
        check_money(-(int64_t)(v >> 1));
        check_pad(v, (unsigned)(splitmix(&s) % 24));
        check_time((int64_t)splitmix(&s));
        /* times near now, where receipts live: every millisecond boundary matters */
        int64_t span = INT64_C(200) * 365 * 86400 * TSR_NS_PER_S;
        check_time(INT64_C(1795000000) * TSR_NS_PER_S - span / 2 + (int64_t)(splitmix(&s) % (uint64_t)span));
    }
}
END_TEST

static Suite *fmt_suite(void)
{
    Suite *s = suite_create("fmt");
    TCase *tc = tcase_create("fmt");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, edge_values_are_spelled_exactly);
    tcase_add_test(tc, generated_values_match_the_printf_forms);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(fmt_suite()); }

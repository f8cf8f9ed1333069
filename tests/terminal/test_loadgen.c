/* The load generator's measuring parts: histogram accuracy, open-loop
 * schedules (constant and day profile). Values come from a fixed-seed
 * generator printed below, so a failure replays. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "tessera/clock.h"
#include "tessera/loadgen.h"
#include "tsr_test.h"

#define SEED 20261123u

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

START_TEST(histogram_quantiles_within_relative_error)
{
    printf("seed=%u\n", SEED);
    enum { N = 200000 };
    static int64_t v[N];
    uint64_t s = SEED;
    tsr_hist *h;
    ck_assert_int_eq(tsr_hist_create(&h), TSR_OK);
    for (int i = 0; i < N; i++) {
        /* log-uniform between 1 us and 10 s: every bucket range is used */
        int exp = (int)(xorshift(&s) % 24);
        v[i] = 1000 + (int64_t)(xorshift(&s) % (1000ull << exp));
        tsr_hist_record(h, v[i]);
    }
    qsort(v, N, sizeof v[0], cmp_i64);
    const double qs[] = {0.5, 0.9, 0.99, 0.999, 1.0};
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        size_t rank = (size_t)(qs[k] * N + 0.999999);
        int64_t exact = v[rank - 1];
        int64_t got = tsr_hist_quantile(h, qs[k]);
        ck_assert_msg(got >= exact && (double)(got - exact) <= exact / 128.0 + 1,
                      "q=%g exact=%lld got=%lld", qs[k], (long long)exact, (long long)got);
    }
    ck_assert_int_eq(tsr_hist_count(h), N);
    ck_assert_int_eq(tsr_hist_min(h), v[0]);
    ck_assert_int_eq(tsr_hist_max(h), v[N - 1]);
    ck_assert_int_eq(tsr_hist_quantile(h, 1.0), v[N - 1]);
    tsr_hist_destroy(h);
}
END_TEST

START_TEST(histogram_edges_merge_and_reset)
{
    tsr_hist *a, *b;
    ck_assert_int_eq(tsr_hist_create(&a), TSR_OK);
    ck_assert_int_eq(tsr_hist_create(&b), TSR_OK);
    ck_assert_int_eq(tsr_hist_quantile(a, 0.5), 0);
    ck_assert(tsr_hist_mean(a) == 0.0);
    tsr_hist_record(a, -5); /* counts as 0 */
    tsr_hist_record(a, 7);
    ck_assert_int_eq(tsr_hist_min(a), 0);
    ck_assert_int_eq(tsr_hist_quantile(a, 0.5), 0);
    ck_assert_int_eq(tsr_hist_quantile(a, 0.51), 7);
    int64_t huge = INT64_C(1) << 50; /* above the range: counted at the top, max exact */
    tsr_hist_record(b, huge);
    tsr_hist_record(b, 100);
    tsr_hist_merge(a, b);
    ck_assert_int_eq(tsr_hist_count(a), 4);
    ck_assert_int_eq(tsr_hist_max(a), huge);
    ck_assert_int_le(tsr_hist_quantile(a, 1.0), huge);
    ck_assert_int_ge(tsr_hist_quantile(a, 1.0), (INT64_C(1) << 42) - (INT64_C(1) << 35));
    ck_assert(tsr_hist_mean(a) > 0);
    ck_assert_int_eq(tsr_hist_quantile(a, -1), 0);
    tsr_hist_reset(a);
    ck_assert_int_eq(tsr_hist_count(a), 0);
    tsr_hist_destroy(a);
    tsr_hist_destroy(b);
    tsr_hist_destroy(NULL);
}
END_TEST

START_TEST(constant_schedule_spaces_requests_evenly)
{
    tsr_sched *s;
    ck_assert_int_eq(tsr_sched_constant(&s, 1000, 0), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_sched_constant(&s, 1000, -3), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_sched_constant(&s, 1000, 2e7), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_sched_constant(&s, 1000, 20000), TSR_OK);
    ck_assert_int_eq(tsr_sched_at(s, 0), 1000);
    ck_assert_int_eq(tsr_sched_at(s, 1), 1000 + 50000);
    ck_assert_int_eq(tsr_sched_at(s, 20000), 1000 + TSR_NS_PER_S);
    ck_assert(tsr_sched_total(s) == UINT64_MAX);
    ck_assert(tsr_sched_rate_at(s, 5000) == 20000);
    ck_assert(tsr_sched_rate_at(s, 0) == 0);
    tsr_sched_destroy(s);
}
END_TEST

START_TEST(day_schedule_surges_to_the_peak_before_cutoff)
{
    tsr_sched *s;
    ck_assert_int_eq(tsr_sched_day(&s, 0, 0.5, 1000, 0.13, 0.1), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_sched_day(&s, 0, 600, 1000, 1.2, 0.1), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_sched_day(&s, 0, 600, 1000, 0.13, 0.0), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_sched_day(&s, 0, 600, 0, 0.13, 0.1), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_sched_day(&s, 0, 600, 15000, 2000.0 / 15000, 0.1), TSR_OK);
    int64_t day = 600 * TSR_NS_PER_S;
    double early = tsr_sched_rate_at(s, day / 20), noon = tsr_sched_rate_at(s, day / 2);
    double last = tsr_sched_rate_at(s, day - day / 1000);
    ck_assert_msg(early > 1000 && early < noon, "early=%g noon=%g", early, noon);
    ck_assert_msg(noon < 4000, "noon=%g", noon);
    ck_assert_msg(last > 14500 && last <= 15000, "last=%g", last);
    ck_assert(tsr_sched_rate_at(s, day + TSR_NS_PER_S) == 0);
    /* intended times rise monotonically, end inside the day, and the number
     * of requests matches the integral of the rate */
    uint64_t total = tsr_sched_total(s);
    ck_assert_msg(total > 600 * 2000 && total < 600 * 5000, "total=%llu", (unsigned long long)total);
    int64_t prev = -1;
    for (uint64_t k = 0; k < total; k += 997) {
        int64_t t = tsr_sched_at(s, k);
        ck_assert_int_ge(t, prev);
        ck_assert_int_lt(t, day);
        prev = t;
    }
    ck_assert_int_eq(tsr_sched_at(s, total), INT64_MAX);
    /* the last tenth of the day carries over twice its share of the bets */
    uint64_t lo = 0, hi = total;
    while (lo < hi) { /* first request at or after 90 % of the day */
        uint64_t mid = (lo + hi) / 2;
        if (tsr_sched_at(s, mid) < day * 9 / 10)
            lo = mid + 1;
        else
            hi = mid;
    }
    ck_assert_msg((double)(total - lo) > 0.2 * (double)total, "surge=%llu of %llu",
                  (unsigned long long)(total - lo), (unsigned long long)total);
    tsr_sched_destroy(s);
}
END_TEST

static Suite *loadgen_suite(void)
{
    Suite *s = suite_create("terminal_loadgen");
    TCase *tc = tcase_create("measure");
    tcase_add_test(tc, histogram_quantiles_within_relative_error);
    tcase_add_test(tc, histogram_edges_merge_and_reset);
    tcase_add_test(tc, constant_schedule_spaces_requests_evenly);
    tcase_add_test(tc, day_schedule_surges_to_the_peak_before_cutoff);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(loadgen_suite()); }

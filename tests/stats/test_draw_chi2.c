/*
 * Chi-square tests of number frequencies over 100,000 simulated draws of
 * every game family, each a complete draw (entropy -> HMAC_DRBG ->
 * rejection sampling) with entropy_i = BLAKE2b-256(seed || family || i)
 * for the fixed seed below, so the outcome is reproducible.
 *
 * Each statistic is compared with the chi-square critical value at
 * p = 0.001 for its degrees of freedom, computed here from the regularized
 * incomplete gamma function (floating point is fine for statistics; it is
 * never used for money). For k numbers drawn without replacement from n,
 * the counts' covariance is (n/(n-1)) p(1-p) (I - J/n) per draw, so the
 * plain statistic is scaled by (n-1)/(n-k) to follow chi2(n-1) (otherwise
 * the test would be too lenient: E[X2] would be n-k, not n-1).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/draw.h"
#include "tsr_test.h"

#define SEED UINT64_C(0x7e55e7a2024)
#define DRAWS 100000
#define P_CRIT 0.001
#define CATS_MAX 100

/* Upper regularized gamma Q(a, x): series for x < a+1, else Lentz's
 * continued fraction. */
static double gamma_q(double a, double x)
{
    if (x <= 0)
        return 1.0;
    double lead = exp(-x + a * log(x) - lgamma(a));
    if (x < a + 1) {
        double term = 1.0 / a, sum = term;
        for (int n = 1; n < 1000 && fabs(term) > fabs(sum) * 1e-15; n++) {
            term *= x / (a + n);
            sum += term;
        }
        return 1.0 - sum * lead;
    }
    const double tiny = 1e-300;
    double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
    for (int i = 1; i < 1000; i++) {
        double an = -i * (i - a);
        b += 2;
        d = an * d + b;
        d = fabs(d) < tiny ? tiny : d;
        c = b + an / c;
        c = fabs(c) < tiny ? tiny : c;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-15)
            break;
    }
    return lead * h;
}

static double chi2_p(double x2, int df) { return gamma_q(df / 2.0, x2 / 2.0); }

/* The x with chi2_p(x, df) = p, by bisection (chi2_p falls as x grows). */
static double chi2_critical(int df, double p)
{
    double lo = 0, hi = df + 40 * sqrt(2.0 * df) + 100;
    for (int i = 0; i < 200; i++) {
        double mid = (lo + hi) / 2;
        if (chi2_p(mid, df) > p)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

START_TEST(critical_values_match_the_published_tables)
{
    /* NIST/SEMATECH e-Handbook, upper critical values of chi-square at 0.001. */
    ck_assert_double_eq_tol(chi2_critical(1, 0.001), 10.828, 0.002);
    ck_assert_double_eq_tol(chi2_critical(9, 0.001), 27.877, 0.002);
    ck_assert_double_eq_tol(chi2_critical(48, 0.001), 84.037, 0.002);
    ck_assert_double_eq_tol(chi2_critical(80, 0.001), 124.839, 0.002);
    ck_assert_double_eq_tol(chi2_p(8.343, 9), 0.500, 0.002); /* the median */
}
END_TEST

/* One frequency table: categories min..max. */
typedef struct table {
    char name[64];
    uint32_t min, cats;
    double scale; /* (n-1)/(n-k) for k-of-n without replacement, else 1 */
    uint64_t count[CATS_MAX];
    uint64_t total;
} table;

/* Check's asserts report every call through a pipe (fork mode), far too
 * slow for millions of numbers: count out-of-range values instead. */
static uint64_t out_of_range;

static void add(table *t, uint32_t v)
{
    if (v < t->min || v - t->min >= t->cats) {
        out_of_range++;
        return;
    }
    t->count[v - t->min]++;
    t->total++;
}

/* Checks and prints one table; returns true when below the critical value. */
static bool judge(const table *t)
{
    double e = (double)t->total / t->cats, x2 = 0;
    for (uint32_t i = 0; i < t->cats; i++)
        x2 += ((double)t->count[i] - e) * ((double)t->count[i] - e) / e;
    x2 *= t->scale;
    int df = (int)t->cats - 1;
    double crit = chi2_critical(df, P_CRIT), p = chi2_p(x2, df);
    printf("| %-36s | %3d | %9.2f | %8.3f | %.4f | %s |\n", t->name, df, x2, crit, p,
           x2 < crit ? "pass" : "FAIL");
    return x2 < crit;
}

static void entropy_for(uint32_t family, uint32_t i, uint8_t out[32])
{
    uint8_t in[16];
    uint64_t seed = SEED;
    memcpy(in, &seed, 8);
    memcpy(in + 8, &family, 4);
    memcpy(in + 12, &i, 4);
    tsr_hash256(out, in, sizeof in);
}

/* Runs DRAWS draws of `shape`, filling per-pool tables: all main numbers,
 * the first main number, the bonus numbers; digit pools per position. */
static bool run_family(uint32_t family, const char *name, const tsr_draw_shape *shape)
{
    table t[8];
    int nt = 0;
    int main_t[TSR_DRAW_POOLS_MAX], first_t[TSR_DRAW_POOLS_MAX], bonus_t[TSR_DRAW_POOLS_MAX];
    memset(t, 0, sizeof t);
    for (uint32_t p = 0; p < shape->pool_count; p++) {
        const tsr_draw_pool *q = &shape->pools[p];
        uint32_t n = q->max - q->min + 1;
        main_t[p] = nt;
        t[nt] = (table){.min = q->min, .cats = n,
                        .scale = q->replacement ? 1.0 : (double)(n - 1) / (n - q->count)};
        snprintf(t[nt++].name, sizeof t[0].name, "%s pool %u %s", name, p + 1,
                 q->replacement ? "all digits" : "main numbers");
        first_t[p] = nt;
        t[nt] = (table){.min = q->min, .cats = n, .scale = 1.0};
        snprintf(t[nt++].name, sizeof t[0].name, "%s pool %u first %s", name, p + 1,
                 q->replacement ? "digit" : "number drawn");
        bonus_t[p] = -1;
        if (q->bonus) {
            bonus_t[p] = nt;
            t[nt] = (table){.min = q->min, .cats = n, .scale = 1.0};
            snprintf(t[nt++].name, sizeof t[0].name, "%s pool %u bonus", name, p + 1);
        }
    }
    for (uint32_t i = 0; i < DRAWS; i++) {
        uint8_t e[32];
        entropy_for(family, i, e);
        tsr_draw_numbers nums;
        if (tsr_draw_numbers_generate(shape, e, &nums, NULL, NULL) != TSR_OK)
            ck_abort_msg("draw %u of %s failed", i, name);
        for (uint32_t p = 0; p < shape->pool_count; p++) {
            uint32_t k = shape->pools[p].count;
            for (uint32_t j = 0; j < k; j++)
                add(&t[main_t[p]], nums.values[p][j]);
            add(&t[first_t[p]], nums.values[p][0]);
            for (uint32_t j = k; j < nums.len[p]; j++)
                add(&t[bonus_t[p]], nums.values[p][j]);
        }
    }
    bool ok = true;
    for (int i = 0; i < nt; i++) {
        ok = judge(&t[i]) && ok;
    }
    return ok;
}

START_TEST(every_family_passes_chi_square_at_p_0_001)
{
    printf("chi-square, %d draws per family, seed 0x%llx, critical value at p = %.3f\n", DRAWS,
           (unsigned long long)SEED, P_CRIT);
    printf("| %-36s | %3s | %9s | %8s | %6s | %s |\n", "table", "df", "X2", "critical", "p",
           "result");
    const struct {
        const char *name;
        tsr_draw_shape shape;
    } fam[] = {
        {"lotto 6/49+bonus", {1, {{1, 49, 6, 1, false}}}},
        {"two-pool 5/69+1/26", {2, {{1, 69, 5, 0, false}, {1, 26, 1, 0, false}}}},
        {"pick-3", {1, {{0, 9, 3, 0, true}}}},
        {"pick-4", {1, {{0, 9, 4, 0, true}}}},
        {"keno 20/80", {1, {{1, 80, 20, 0, false}}}},
    };
    bool ok = true;
    for (uint32_t f = 0; f < sizeof fam / sizeof fam[0]; f++)
        ok = run_family(f, fam[f].name, &fam[f].shape) && ok;
    ck_assert_uint_eq(out_of_range, 0);
    ck_assert_msg(ok, "a frequency table is above its critical value (see the table above)");
}
END_TEST

static Suite *chi2_suite(void)
{
    Suite *s = suite_create("draw_chi2");
    TCase *tc = tcase_create("chi2");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, critical_values_match_the_published_tables);
    tcase_add_test(tc, every_family_passes_chi_square_at_p_0_001);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(chi2_suite()); }

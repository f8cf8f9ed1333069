/*
 * Open-loop schedules: when request k is meant to be sent. A constant rate
 * is a formula; a day profile is a table of steps of constant rate with the
 * cumulative request count at each step's start, so request k is found by
 * binary search and placed evenly inside its step.
 */
#include <math.h>
#include <stdlib.h>

#include "tessera/clock.h"
#include "tessera/loadgen.h"

#define RATE_MAX 1e7

struct tsr_sched {
    int64_t start_ns;
    double rate;           /* constant schedule; 0 for a day */
    int nsteps;
    int64_t step_ns;
    double step_rate[TSR_SCHED_STEPS_MAX];
    uint64_t first_k[TSR_SCHED_STEPS_MAX + 1]; /* requests before step i */
};

tsr_status tsr_sched_constant(tsr_sched **out, int64_t start_ns, double rate)
{
    *out = NULL;
    if (!(rate > 0) || rate > RATE_MAX)
        return TSR_ERR_ARG;
    tsr_sched *s = calloc(1, sizeof *s);
    if (!s)
        return TSR_ERR_NOMEM;
    s->start_ns = start_ns;
    s->rate = rate;
    *out = s;
    return TSR_OK;
}

/* The day's shape at x in [0, 1) of the selling day, as a share of the
 * peak: a base level with a midday swell (shops are busiest at lunch),
 * then in the last `surge` of the day a quadratic rise to 1 at the cutoff,
 * when everyone buys at the last minute. */
static double day_shape(double x, double base, double surge)
{
    const double pi = 3.14159265358979323846;
    double level = base * (0.6 + 0.8 * sin(pi * x)); /* 0.6..1.4 x base, mean ~ base */
    if (level > 1)
        level = 1;
    double from = 1.0 - surge;
    if (x < from)
        return level;
    double s = (x - from) / surge;
    return level + (1.0 - level) * s * s;
}

tsr_status tsr_sched_day(tsr_sched **out, int64_t start_ns, double duration_s, double peak,
                         double base, double surge)
{
    *out = NULL;
    if (!(duration_s >= 1) || duration_s > 86400 || !(peak > 0) || peak > RATE_MAX ||
        !(base > 0) || !(base < 1) || !(surge > 0) || !(surge < 1))
        return TSR_ERR_ARG;
    tsr_sched *s = calloc(1, sizeof *s);
    if (!s)
        return TSR_ERR_NOMEM;
    s->start_ns = start_ns;
    s->nsteps = TSR_SCHED_STEPS_MAX;
    s->step_ns = (int64_t)(duration_s * 1e9) / s->nsteps;
    double step_s = (double)s->step_ns / 1e9;
    double carry = 0; /* fractional requests carried between steps */
    s->first_k[0] = 0;
    for (int i = 0; i < s->nsteps; i++) {
        double x = ((double)i + 0.5) / s->nsteps;
        s->step_rate[i] = peak * day_shape(x, base, surge);
        double want = s->step_rate[i] * step_s + carry;
        uint64_t n = (uint64_t)floor(want);
        carry = want - (double)n;
        s->first_k[i + 1] = s->first_k[i] + n;
    }
    *out = s;
    return TSR_OK;
}

void tsr_sched_destroy(tsr_sched *s) { free(s); }

uint64_t tsr_sched_total(const tsr_sched *s)
{
    return s->rate > 0 ? UINT64_MAX : s->first_k[s->nsteps];
}

int64_t tsr_sched_at(const tsr_sched *s, uint64_t k)
{
    if (s->rate > 0)
        return s->start_ns + (int64_t)((double)k * 1e9 / s->rate);
    if (k >= s->first_k[s->nsteps])
        return INT64_MAX;
    int lo = 0, hi = s->nsteps - 1; /* the step i with first_k[i] <= k < first_k[i+1] */
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (s->first_k[mid] <= k)
            lo = mid;
        else
            hi = mid - 1;
    }
    uint64_t n = s->first_k[lo + 1] - s->first_k[lo];
    double frac = (double)(k - s->first_k[lo]) / (double)n;
    return s->start_ns + (int64_t)lo * s->step_ns + (int64_t)(frac * (double)s->step_ns);
}

double tsr_sched_rate_at(const tsr_sched *s, int64_t t_ns)
{
    if (t_ns < s->start_ns)
        return 0;
    if (s->rate > 0)
        return s->rate;
    int64_t i = (t_ns - s->start_ns) / s->step_ns;
    return i < s->nsteps ? s->step_rate[i] : 0;
}

/*
 * The measuring parts of the load generator: a latency histogram with fixed
 * memory and bounded relative error (HdrHistogram's log-linear buckets), and
 * the open-loop schedule that says when each request was MEANT to be sent,
 * for a constant rate or for a selling day compressed into minutes with the
 * surge before the cutoff.
 *
 * Open loop: latency is (answer time - intended send time). A node that
 * stalls for a second makes every request scheduled in that second late,
 * and the histogram shows it; a closed loop would just send less and hide
 * the stall (coordinated omission).
 */
#ifndef TESSERA_LOADGEN_H
#define TESSERA_LOADGEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tessera/status.h"

/* ---- histogram --------------------------------------------------------------- */

/* Sub-buckets per power of two: 2^8 = 256, so a recorded value is off by at
 * most 1/128 (0.8 %) of itself — enough for p99.9 of a latency. */
#define TSR_HIST_SUB_BITS 8
/* Largest value kept exactly in range: 2^42 ns = 73 minutes; larger values
 * are counted at the top (and max keeps the true value). */
#define TSR_HIST_MAX_BITS 42

typedef struct tsr_hist tsr_hist;

/* An empty histogram of nanosecond values (~37 KB, fixed). Owns *out.
 * TSR_ERR_NOMEM. */
tsr_status tsr_hist_create(tsr_hist **out) TSR_MUST_CHECK;

/* Frees a histogram; NULL-safe. */
void tsr_hist_destroy(tsr_hist *h);

/* Forgets every value. */
void tsr_hist_reset(tsr_hist *h);

/* Records one value (negative values count as 0). O(1), no allocation. */
void tsr_hist_record(tsr_hist *h, int64_t value_ns);

/* Adds every value of src to dst. */
void tsr_hist_merge(tsr_hist *dst, const tsr_hist *src);

/* Values recorded. */
uint64_t tsr_hist_count(const tsr_hist *h);

/* Exact smallest and largest value recorded (0 when empty). */
int64_t tsr_hist_min(const tsr_hist *h);
int64_t tsr_hist_max(const tsr_hist *h);

/* Mean of the recorded values (exact sum / count; 0 when empty). */
double tsr_hist_mean(const tsr_hist *h);

/* The value at quantile q in [0, 1] (0.99 = p99): the upper edge of the
 * bucket holding the ceil(q*count)-th smallest value, never above max;
 * 0 when empty. Within 0.8 % of the exact quantile. */
int64_t tsr_hist_quantile(const tsr_hist *h, double q);

/* ---- open-loop schedule ------------------------------------------------------ */

/* Steps of a day profile: the rate is constant within a step; 4096 steps of
 * a 10-minute day are ~150 ms each, finer than any surge we model. */
#define TSR_SCHED_STEPS_MAX 4096

typedef struct tsr_sched tsr_sched;

/* A constant rate: request k (0-based) is meant for start_ns + k / rate.
 * TSR_ERR_ARG for a rate outside (0, 10^7]. Owns *out. */
tsr_status tsr_sched_constant(tsr_sched **out, int64_t start_ns, double rate_per_s) TSR_MUST_CHECK;

/* A selling day compressed into duration_s seconds: a base level that
 * swells around midday, then the surge of the last surge_fraction of the
 * day rising to peak_per_s at the cutoff (the end). base_fraction is the
 * base level as a share of the peak (the brief: 2,000/s average against a
 * 15,000/s peak, about 0.13). TSR_ERR_ARG for duration 1..86400 s violated,
 * peak outside (0, 10^7], fractions outside (0, 1). Owns *out. */
tsr_status tsr_sched_day(tsr_sched **out, int64_t start_ns, double duration_s, double peak_per_s,
                         double base_fraction, double surge_fraction) TSR_MUST_CHECK;

/* Frees a schedule; NULL-safe. */
void tsr_sched_destroy(tsr_sched *s);

/* The intended send time of request k, or INT64_MAX when the schedule ends
 * before it (a day profile has a finite number of requests). */
int64_t tsr_sched_at(const tsr_sched *s, uint64_t k);

/* Requests the whole schedule holds (UINT64_MAX for a constant rate). */
uint64_t tsr_sched_total(const tsr_sched *s);

/* The rate (requests/s) the schedule asks for at time t_ns; 0 outside it. */
double tsr_sched_rate_at(const tsr_sched *s, int64_t t_ns);

#endif

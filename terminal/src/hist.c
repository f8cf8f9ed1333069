/*
 * Log-linear latency histogram (the bucket layout of HdrHistogram): values
 * below 2^SUB_BITS have a bucket each; above, each power of two is split
 * into 2^(SUB_BITS-1) equal buckets, so the width of a bucket is at most
 * 1/2^(SUB_BITS-1) of the values in it.
 */
#include <stdlib.h>
#include <string.h>

#include "tessera/loadgen.h"

#define SUB_COUNT (1 << TSR_HIST_SUB_BITS)
#define HALF_COUNT (SUB_COUNT / 2)
/* Exponents above the linear range: values up to 2^MAX_BITS. */
#define EXPONENTS (TSR_HIST_MAX_BITS - TSR_HIST_SUB_BITS + 1)
#define BUCKETS (SUB_COUNT + EXPONENTS * HALF_COUNT)
#define VALUE_MAX ((INT64_C(1) << TSR_HIST_MAX_BITS) - 1)

struct tsr_hist {
    uint64_t count;
    int64_t min, max;
    long double sum;
    uint64_t counts[BUCKETS];
};

static int bucket_of(int64_t v)
{
    if (v < SUB_COUNT)
        return (int)v;
    int msb = 63 - __builtin_clzll((unsigned long long)v);
    int shift = msb - (TSR_HIST_SUB_BITS - 1); /* v >> shift is in [HALF, SUB) */
    return SUB_COUNT + (shift - 1) * HALF_COUNT + (int)((v >> shift) - HALF_COUNT);
}

/* The largest value that falls in bucket b. */
static int64_t bucket_top(int b)
{
    if (b < SUB_COUNT)
        return b;
    int shift = (b - SUB_COUNT) / HALF_COUNT + 1;
    int64_t sub = (b - SUB_COUNT) % HALF_COUNT + HALF_COUNT;
    return ((sub + 1) << shift) - 1;
}

tsr_status tsr_hist_create(tsr_hist **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? TSR_OK : TSR_ERR_NOMEM;
}

void tsr_hist_destroy(tsr_hist *h) { free(h); }

void tsr_hist_reset(tsr_hist *h) { memset(h, 0, sizeof *h); }

void tsr_hist_record(tsr_hist *h, int64_t v)
{
    if (v < 0)
        v = 0;
    if (h->count == 0 || v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
    h->count++;
    h->sum += (long double)v;
    h->counts[bucket_of(v > VALUE_MAX ? VALUE_MAX : v)]++;
}

void tsr_hist_merge(tsr_hist *dst, const tsr_hist *src)
{
    if (src->count == 0)
        return;
    if (dst->count == 0 || src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
    dst->count += src->count;
    dst->sum += src->sum;
    for (int b = 0; b < BUCKETS; b++)
        dst->counts[b] += src->counts[b];
}

uint64_t tsr_hist_count(const tsr_hist *h) { return h->count; }
int64_t tsr_hist_min(const tsr_hist *h) { return h->count ? h->min : 0; }
int64_t tsr_hist_max(const tsr_hist *h) { return h->max; }

double tsr_hist_mean(const tsr_hist *h)
{
    return h->count ? (double)(h->sum / (long double)h->count) : 0.0;
}

int64_t tsr_hist_quantile(const tsr_hist *h, double q)
{
    if (h->count == 0)
        return 0;
    if (q < 0)
        q = 0;
    if (q > 1)
        q = 1;
    /* rank of the wanted value, 1-based: ceil(q * count), at least 1 */
    long double want = (long double)q * (long double)h->count;
    uint64_t rank = (uint64_t)want;
    if ((long double)rank < want)
        rank++;
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (int b = 0; b < BUCKETS; b++) {
        seen += h->counts[b];
        if (seen >= rank) {
            int64_t top = bucket_top(b);
            return top > h->max ? h->max : (top < h->min ? h->min : top);
        }
    }
    return h->max;
}

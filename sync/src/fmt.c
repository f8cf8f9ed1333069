/* Number and time text without stdio: the same bytes as the printf forms
 * named in fmt.h, written directly (tests/sync/test_fmt.c compares them
 * with snprintf, tsr_money_format and tsr_time_format). */
#include "tessera/fmt.h"

#include <string.h>

#include "tessera/clock.h"

#define SECONDS_PER_DAY INT64_C(86400)

size_t tsr_fmt_u64(char *out, uint64_t v)
{
    char d[TSR_FMT_U64_MAX];
    size_t n = 0;
    do {
        d[sizeof d - ++n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    memcpy(out, d + sizeof d - n, n);
    return n;
}

size_t tsr_fmt_i64(char *out, int64_t v)
{
    if (v >= 0)
        return tsr_fmt_u64(out, (uint64_t)v);
    /* the magnitude in unsigned, so INT64_MIN does not overflow */
    out[0] = '-';
    return 1 + tsr_fmt_u64(out + 1, (uint64_t)0 - (uint64_t)v);
}

size_t tsr_fmt_u64_zero_pad(char *out, uint64_t v, unsigned width)
{
    char d[TSR_FMT_U64_MAX];
    size_t n = tsr_fmt_u64(d, v), pad = n < width ? width - n : 0;
    memset(out, '0', pad);
    memcpy(out + pad, d, n);
    return pad + n;
}

size_t tsr_fmt_money(char *out, tsr_cents a)
{
    uint64_t mag = a < 0 ? (uint64_t)0 - (uint64_t)a : (uint64_t)a;
    size_t n = 0;
    if (a < 0)
        out[n++] = '-';
    n += tsr_fmt_u64(out + n, mag / 100);
    out[n++] = '.';
    out[n++] = (char)('0' + mag % 100 / 10);
    out[n++] = (char)('0' + mag % 10);
    return n;
}

/* Two digits of v (0..99). */
static char *two(char *o, unsigned v)
{
    o[0] = (char)('0' + v / 10);
    o[1] = (char)('0' + v % 10);
    return o + 2;
}

/* The proleptic Gregorian date of a day count from 1970-01-01 (what
 * gmtime_r gives): shift to a year starting on 1 March so the leap day is
 * last, split into 400-year eras of 146097 days, then years of the era,
 * then five-month cycles of 153 days for the month. */
static void civil_date(int64_t days, int64_t *year, unsigned *month, unsigned *day)
{
    int64_t z = days + 719468; /* days from 0000-03-01 */
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                        /* 0..146096 */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;   /* 0..399 */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                 /* 0..365 */
    int64_t mp = (5 * doy + 2) / 153;                                      /* 0 = March */
    *day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *year = yoe + era * 400 + (*month <= 2);
}

size_t tsr_fmt_time(char *out, int64_t unix_ns)
{
    /* seconds and milliseconds split exactly as tsr_time_format does,
     * truncation then one borrow, so the two agree on every input */
    int64_t secs = unix_ns / TSR_NS_PER_S;
    int64_t ms = (unix_ns % TSR_NS_PER_S) / TSR_NS_PER_MS;
    if (ms < 0) {
        secs -= 1;
        ms += 1000;
    }
    int64_t days = secs / SECONDS_PER_DAY, sod = secs % SECONDS_PER_DAY;
    if (sod < 0) {
        days -= 1;
        sod += SECONDS_PER_DAY;
    }
    int64_t year;
    unsigned month, day;
    civil_date(days, &year, &month, &day);
    char *o = out;
    o = two(o, (unsigned)(year / 100));
    o = two(o, (unsigned)(year % 100));
    *o++ = '-';
    o = two(o, month);
    *o++ = '-';
    o = two(o, day);
    *o++ = 'T';
    o = two(o, (unsigned)(sod / 3600));
    *o++ = ':';
    o = two(o, (unsigned)(sod / 60 % 60));
    *o++ = ':';
    o = two(o, (unsigned)(sod % 60));
    *o++ = '.';
    *o++ = (char)('0' + ms / 100);
    o = two(o, (unsigned)(ms % 100));
    *o++ = 'Z';
    return (size_t)(o - out);
}

/*
 * Money: int64 minor units (cents), never floating point. Every arithmetic
 * step is overflow-checked, because a wrapped amount is a wrong payout.
 * The house limit of any single amount is TSR_MONEY_MAX (10^15 cents =
 * 10 trillion units), far above any real balance, so sums of many amounts
 * still fit in int64 before the check trips.
 */
#ifndef TESSERA_MONEY_H
#define TESSERA_MONEY_H

#include <stddef.h>
#include <stdint.h>

#include "tessera/status.h"

typedef int64_t tsr_cents;

#define TSR_MONEY_MAX INT64_C(1000000000000000)

/* out = a + b; TSR_ERR_OVERFLOW when |result| > TSR_MONEY_MAX or int64 wraps. */
tsr_status tsr_money_add(tsr_cents a, tsr_cents b, tsr_cents *out) TSR_MUST_CHECK;

/* out = a - b; TSR_ERR_OVERFLOW as for add. */
tsr_status tsr_money_sub(tsr_cents a, tsr_cents b, tsr_cents *out) TSR_MUST_CHECK;

/* out = a * k (k a count or multiplier); TSR_ERR_OVERFLOW as for add. */
tsr_status tsr_money_mul(tsr_cents a, int64_t k, tsr_cents *out) TSR_MUST_CHECK;

/* out = floor(a * num / den) for a >= 0, num >= 0, den > 0, computed in
 * 128 bits (shares of a pool, pro-rata caps); TSR_ERR_ARG on a negative or
 * zero denominator, TSR_ERR_OVERFLOW when the result does not fit. */
tsr_status tsr_money_muldiv(tsr_cents a, int64_t num, int64_t den, tsr_cents *out) TSR_MUST_CHECK;

/* Formats 123456 as "1234.56" (and -5 as "-0.05") into buf; returns buf.
 * buf needs TSR_MONEY_STR_MAX bytes. */
#define TSR_MONEY_STR_MAX 32
char *tsr_money_format(tsr_cents a, char *buf, size_t len);

/* Parses "1234.56", "1234.5", "1234" (optional leading '-') into cents.
 * TSR_ERR_MONEY_FORMAT on anything else (more than 2 decimals, spaces,
 * exponents); TSR_ERR_OVERFLOW above TSR_MONEY_MAX. */
tsr_status tsr_money_parse(const char *s, tsr_cents *out) TSR_MUST_CHECK;

#endif

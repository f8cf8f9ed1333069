/*
 * Number and time text without stdio. The bet path formats a receipt per
 * ticket on the node's single CoAP thread, and vsnprintf's machinery cost
 * it ~8-10 % of that thread; these write the same bytes as the printf forms
 * they name, directly. None of them writes a NUL: each returns the number
 * of bytes written into `out`, which must hold the named maximum.
 */
#ifndef TESSERA_FMT_H
#define TESSERA_FMT_H

#include <stddef.h>
#include <stdint.h>

#include "tessera/money.h"

/* Decimal digits of the largest uint64 (18446744073709551615). */
#define TSR_FMT_U64_MAX 20
/* A sign and the 19 digits of INT64_MIN's magnitude. */
#define TSR_FMT_I64_MAX 20
/* A sign, the 17 digits of INT64_MIN / 100, the point and two decimals. */
#define TSR_FMT_MONEY_MAX 21
/* "YYYY-MM-DDTHH:MM:SS.mmmZ": int64 nanoseconds span the years 1677-2262,
 * so the year always has four digits. */
#define TSR_FMT_TIME_LEN 24

_Static_assert(TSR_FMT_MONEY_MAX < TSR_MONEY_STR_MAX, "tsr_money_format's buffer holds the text");

/* v as "%" PRIu64 would print it; out holds TSR_FMT_U64_MAX bytes. */
size_t tsr_fmt_u64(char *out, uint64_t v);

/* v as "%" PRId64 would print it; out holds TSR_FMT_I64_MAX bytes. */
size_t tsr_fmt_i64(char *out, int64_t v);

/* v as "%0<width>" PRIu64 would print it: at least `width` digits, zeros
 * in front; out holds the larger of width and TSR_FMT_U64_MAX bytes. */
size_t tsr_fmt_u64_zero_pad(char *out, uint64_t v, unsigned width);

/* The same bytes as tsr_money_format (123456 -> "1234.56", -5 -> "-0.05"),
 * for every int64; out holds TSR_FMT_MONEY_MAX bytes. */
size_t tsr_fmt_money(char *out, tsr_cents a);

/* The same bytes as tsr_time_format ("2026-11-24T03:29:42.123Z", UTC,
 * milliseconds), for every int64; out holds TSR_FMT_TIME_LEN bytes. */
size_t tsr_fmt_time(char *out, int64_t unix_ns);

#endif

/* Private to the game area of sync/: time zones and civil dates. */
#ifndef TESSERA_GAME_INT_H
#define TESSERA_GAME_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/catalog.h"

#define TSR_SECS_PER_DAY INT64_C(86400)

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t tsr_days_from_civil(int64_t y, unsigned m, unsigned d);
void tsr_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
/* 0 = Sunday. */
unsigned tsr_weekday(int64_t days);

/* Loads /usr/share/zoneinfo/<name> (TZif v1-v4, with the POSIX footer rule
 * for times after the last transition). Owns *out. err says why not.
 * TSR_ERR_GAME_TZ, TSR_ERR_NOMEM. */
tsr_status tsr_tz_load(const char *name, tsr_tz **out, char *err, size_t errlen) TSR_MUST_CHECK;
void tsr_tz_free(tsr_tz *tz);

/* UTC offset (seconds east) in force at unix second t. */
int32_t tsr_tz_offset(const tsr_tz *tz, int64_t t);

/* The unix second of local wall time local_s (seconds since 1970-01-01
 * 00:00 local). An ambiguous time (clocks back) is its first occurrence; a
 * time that does not exist (clocks forward) is moved forward by the gap. */
int64_t tsr_tz_local_to_utc(const tsr_tz *tz, int64_t local_s);

#endif

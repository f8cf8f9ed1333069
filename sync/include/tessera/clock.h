/*
 * The clock seam. Everything that needs the time of day asks a tsr_clock,
 * never clock_gettime() directly, so tests and simulations can skew time,
 * fail NTP or stop the clock at the cutoff boundary.
 *
 * The real clock reads CLOCK_REALTIME and, from ntp_adjtime(), whether the
 * kernel clock is synchronized and its maximum error. A node that cannot
 * prove it is before the cutoff does not sell: callers treat !synced or an
 * error bound above their budget as "closed" (fail closed).
 */
#ifndef TESSERA_CLOCK_H
#define TESSERA_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "tessera/status.h"

typedef struct tsr_clock tsr_clock;

/* One reading: the time and how far from the truth it may be. */
typedef struct tsr_clock_reading {
    int64_t now_ns;         /* nanoseconds since the Unix epoch, UTC */
    int64_t error_bound_ns; /* the kernel's maxerror (or the test's), >= 0 */
    bool synced;            /* false when the kernel says STA_UNSYNC/TIME_ERROR */
} tsr_clock_reading;

/* A clock reading the system: CLOCK_REALTIME + ntp_adjtime(). Owns *out. */
tsr_status tsr_clock_real_create(tsr_clock **out) TSR_MUST_CHECK;

/* A test clock that stands still at `now_ns` until set or advanced; synced
 * with a zero error bound until told otherwise. Owns *out. */
tsr_status tsr_clock_test_create(tsr_clock **out, int64_t now_ns) TSR_MUST_CHECK;

/* A clock running at real speed but shifted by offset_ns, declaring itself
 * synced with the given error bound. For the demo and simulations that
 * place "now" just before a cutoff on a machine whose kernel clock is not
 * NTP-disciplined; a production deployment uses the real clock, and the
 * programs log a warning whenever this one is configured. Owns *out. */
tsr_status tsr_clock_offset_create(tsr_clock **out, int64_t offset_ns,
                                   int64_t error_bound_ns) TSR_MUST_CHECK;

/* Frees a clock; NULL-safe. */
void tsr_clock_destroy(tsr_clock *c);

/* Reads the clock. Thread-safe for both kinds. */
tsr_clock_reading tsr_clock_read(tsr_clock *c);

/* Shorthand for tsr_clock_read(c).now_ns. */
int64_t tsr_clock_now_ns(tsr_clock *c);

/* Monotonic nanoseconds for timeouts and latency; the test clock returns its
 * own time so simulated timeouts follow simulated time. */
int64_t tsr_clock_mono_ns(tsr_clock *c);

/* True for a test clock (not for an offset clock). */
bool tsr_clock_is_test(const tsr_clock *c);

/* Test clock only (TSR_ERR_ARG on a real clock): set the time, the error
 * bound and the sync flag, or move the time forward by delta_ns. */
tsr_status tsr_clock_test_set(tsr_clock *c, int64_t now_ns) TSR_MUST_CHECK;
tsr_status tsr_clock_test_advance(tsr_clock *c, int64_t delta_ns) TSR_MUST_CHECK;
tsr_status tsr_clock_test_set_error(tsr_clock *c, int64_t error_bound_ns,
                                    bool synced) TSR_MUST_CHECK;

/* Checks a reading against an error budget: TSR_ERR_CLOCK_UNSYNCED when not
 * synced, TSR_ERR_CLOCK_BOUND when the bound exceeds budget_ns, else TSR_OK. */
tsr_status tsr_clock_check(const tsr_clock_reading *r, int64_t budget_ns) TSR_MUST_CHECK;

#define TSR_NS_PER_MS INT64_C(1000000)
#define TSR_NS_PER_S INT64_C(1000000000)

#endif

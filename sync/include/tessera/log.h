/*
 * Logging: levels, one line per event, key=value, to a stream (stderr by
 * default). The time on each line comes from the clock seam, so a simulated
 * day logs simulated times. A line looks like:
 *   ts=2026-11-23T14:59:59.123Z level=info node=n1 event=bet_accepted seq=42
 */
#ifndef TESSERA_LOG_H
#define TESSERA_LOG_H

#include <stdio.h>

#include "tessera/clock.h"
#include "tessera/status.h"

typedef enum tsr_log_level {
    TSR_LOG_DEBUG,
    TSR_LOG_INFO,
    TSR_LOG_WARN,
    TSR_LOG_ERROR
} tsr_log_level;

typedef struct tsr_log tsr_log;

/* A logger writing to `stream` (borrows it; stderr when NULL), stamping lines
 * with `clock` (borrows it; may be NULL for the real time), tagging each line
 * with `component=<name>` (copied). Lines below `min_level` are dropped. */
tsr_status tsr_log_create(tsr_log **out, FILE *stream, tsr_clock *clock,
                          const char *component, tsr_log_level min_level) TSR_MUST_CHECK;

/* Frees a logger; NULL-safe. Does not close the stream. */
void tsr_log_destroy(tsr_log *l);

/* Changes the minimum level. */
void tsr_log_set_level(tsr_log *l, tsr_log_level min_level);

/* Parses "debug", "info", "warn", "error". TSR_ERR_ARG otherwise. */
tsr_status tsr_log_level_parse(const char *s, tsr_log_level *out) TSR_MUST_CHECK;

/* Writes one line: `event` then the printf-formatted key=value pairs in fmt
 * (may be NULL). Thread-safe; one write per line. NULL logger is a no-op. */
void tsr_log_write(tsr_log *l, tsr_log_level level, const char *event,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define tsr_log_debug(l, ev, ...) tsr_log_write((l), TSR_LOG_DEBUG, (ev), __VA_ARGS__)
#define tsr_log_info(l, ev, ...) tsr_log_write((l), TSR_LOG_INFO, (ev), __VA_ARGS__)
#define tsr_log_warn(l, ev, ...) tsr_log_write((l), TSR_LOG_WARN, (ev), __VA_ARGS__)
#define tsr_log_error(l, ev, ...) tsr_log_write((l), TSR_LOG_ERROR, (ev), __VA_ARGS__)

/* Formats a UTC time as RFC 3339 with milliseconds into buf (>= 32 bytes). */
void tsr_time_format(int64_t unix_ns, char *buf, size_t len);

#endif

#include "tessera/log.h"

#include "tessera/fmt.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Longest line we write; longer ones are cut, never split into two events. */
#define LOG_LINE_MAX 2048

struct tsr_log {
    FILE *stream;
    tsr_clock *clock;
    char component[32];
    tsr_log_level min_level;
};

static const char *const level_names[] = {"debug", "info", "warn", "error"};

tsr_status tsr_log_create(tsr_log **out, FILE *stream, tsr_clock *clock,
                          const char *component, tsr_log_level min_level)
{
    tsr_log *l = calloc(1, sizeof *l);
    if (!l)
        return TSR_ERR_NOMEM;
    l->stream = stream ? stream : stderr;
    l->clock = clock;
    snprintf(l->component, sizeof l->component, "%s", component ? component : "tessera");
    l->min_level = min_level;
    *out = l;
    return TSR_OK;
}

void tsr_log_destroy(tsr_log *l) { free(l); }

void tsr_log_set_level(tsr_log *l, tsr_log_level min_level) { l->min_level = min_level; }

tsr_status tsr_log_level_parse(const char *s, tsr_log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (tsr_log_level)i;
            return TSR_OK;
        }
    }
    return TSR_ERR_ARG;
}

void tsr_time_format(int64_t unix_ns, char *buf, size_t len)
{
    char text[TSR_FMT_TIME_LEN];
    size_t n = tsr_fmt_time(text, unix_ns);
    if (len > 0) { /* as snprintf: cut to fit, always terminated */
        n = n < len ? n : len - 1;
        memcpy(buf, text, n);
        buf[n] = '\0';
    }
}

void tsr_log_write(tsr_log *l, tsr_log_level level, const char *event, const char *fmt, ...)
{
    if (!l || level < l->min_level)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = l->clock ? tsr_clock_now_ns(l->clock)
                           : (int64_t)ts.tv_sec * TSR_NS_PER_S + ts.tv_nsec;
    char line[LOG_LINE_MAX], stamp[32];
    tsr_time_format(now, stamp, sizeof stamp);
    int n = snprintf(line, sizeof line, "ts=%s level=%s component=%s event=%s", stamp,
                     level_names[level], l->component, event);
    if (fmt && n > 0 && (size_t)n < sizeof line - 2) {
        line[n++] = ' ';
        va_list ap;
        va_start(ap, fmt);
        int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
        va_end(ap);
        n = m < 0 ? n : n + m;
    }
    if (n < 0 || (size_t)n >= sizeof line - 1)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    fwrite(line, 1, (size_t)n, l->stream);
    fflush(l->stream);
}

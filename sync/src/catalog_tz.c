/*
 * Time zones from the system tz database, parsed here (RFC 8536 TZif and the
 * POSIX TZ rule of its footer) instead of setenv("TZ") + mktime(), because
 * TZ is process-global and a node converts times on many threads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "game_int.h"

#define TZ_DIR "/usr/share/zoneinfo"
#define TZ_FILE_MAX (1 << 20) /* real zone files are a few KiB */
#define TZ_HEADER 44

typedef struct tz_rule_date {
    char kind;       /* 'M' month.week.day, 'J' julian 1..365, 'n' 0..365 */
    int m, w, d;     /* M: month, week 1..5, weekday; J/n: day in d */
    int32_t time_s;  /* local time of the change, seconds */
} tz_rule_date;

typedef struct tz_rule {
    bool present, has_dst;
    int32_t std_off, dst_off; /* seconds east of UTC */
    tz_rule_date start, end;
} tz_rule;

struct tsr_tz {
    size_t n_trans, n_types;
    int64_t *trans;
    uint8_t *idx;
    int32_t *offs;
    tz_rule rule;
};

int64_t tsr_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void tsr_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

unsigned tsr_weekday(int64_t days)
{
    int64_t w = (days + 4) % 7; /* 1970-01-01 was a Thursday */
    return (unsigned)(w < 0 ? w + 7 : w);
}

static bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p) { return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4)); }

/* --- POSIX TZ rule: "EST5EDT,M3.2.0,M11.1.0", "<+03>-3", "GMT0BST,M3.5.0/1,M10.5.0" */

static const char *parse_name(const char *s)
{
    if (*s == '<') {
        const char *e = strchr(s, '>');
        return e ? e + 1 : NULL;
    }
    const char *b = s;
    while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'))
        s++;
    return s - b >= 3 ? s : NULL;
}

/* [+-]hh[:mm[:ss]] into seconds; hours up to 167 (RFC 8536 extension). */
static const char *parse_hms(const char *s, int32_t *out)
{
    int sign = 1, part[3] = {0, 0, 0};
    if (*s == '+' || *s == '-')
        sign = *s++ == '-' ? -1 : 1;
    for (int i = 0; i < 3; i++) {
        if (*s < '0' || *s > '9')
            return i == 0 ? NULL : s;
        while (*s >= '0' && *s <= '9' && part[i] < 1000)
            part[i] = part[i] * 10 + (*s++ - '0');
        if (*s != ':' || i == 2)
            break;
        s++;
    }
    if (part[0] > 167 || part[1] > 59 || part[2] > 59)
        return NULL;
    *out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
    return s;
}

static const char *parse_int(const char *s, int *out)
{
    if (*s < '0' || *s > '9')
        return NULL;
    int v = 0;
    while (*s >= '0' && *s <= '9' && v < 1000)
        v = v * 10 + (*s++ - '0');
    *out = v;
    return s;
}

static const char *parse_date(const char *s, tz_rule_date *d)
{
    d->time_s = 2 * 3600;
    d->kind = *s == 'M' || *s == 'J' ? *s++ : 'n';
    if (d->kind == 'M') {
        if (!(s = parse_int(s, &d->m)) || *s++ != '.' || !(s = parse_int(s, &d->w)) ||
            *s++ != '.' || !(s = parse_int(s, &d->d)))
            return NULL;
        if (d->m < 1 || d->m > 12 || d->w < 1 || d->w > 5 || d->d > 6)
            return NULL;
    } else if (!(s = parse_int(s, &d->d)) || d->d > 365 || (d->kind == 'J' && d->d < 1)) {
        return NULL;
    }
    if (*s == '/')
        s = parse_hms(s + 1, &d->time_s);
    return s;
}

static bool parse_rule(const char *s, tz_rule *r)
{
    int32_t off;
    if (!(s = parse_name(s)) || !(s = parse_hms(s, &off)))
        return false;
    r->std_off = -off; /* POSIX counts west as positive */
    r->present = true;
    if (*s == '\0')
        return true;
    if (!(s = parse_name(s)))
        return false;
    r->has_dst = true;
    r->dst_off = r->std_off + 3600;
    if (*s != ',' && *s != '\0') {
        if (!(s = parse_hms(s, &off)))
            return false;
        r->dst_off = -off;
    }
    if (*s == '\0') /* no rule given: POSIX default is US rules; refuse */
        return false;
    if (*s++ != ',' || !(s = parse_date(s, &r->start)) || *s++ != ',' ||
        !(s = parse_date(s, &r->end)))
        return false;
    return *s == '\0';
}

/* Unix second at which a rule date falls in year y, at offset `off`. */
static int64_t rule_time(const tz_rule_date *d, int64_t y, int32_t off)
{
    int64_t day;
    if (d->kind == 'M') {
        static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int64_t first = tsr_days_from_civil(y, (unsigned)d->m, 1);
        unsigned dom = 1 + ((unsigned)d->d + 7 - tsr_weekday(first)) % 7 + (unsigned)(d->w - 1) * 7;
        unsigned len = mdays[d->m - 1] + (d->m == 2 && is_leap(y));
        while (dom > len)
            dom -= 7;
        day = first + dom - 1;
    } else if (d->kind == 'J') {
        day = tsr_days_from_civil(y, 1, 1) + d->d - 1 + (is_leap(y) && d->d >= 60);
    } else {
        day = tsr_days_from_civil(y, 1, 1) + d->d;
    }
    return day * TSR_SECS_PER_DAY + d->time_s - off;
}

static int32_t rule_offset(const tz_rule *r, int64_t t)
{
    if (!r->has_dst)
        return r->std_off;
    int64_t y;
    unsigned m, d;
    int64_t days = (t + r->std_off) / TSR_SECS_PER_DAY - ((t + r->std_off) % TSR_SECS_PER_DAY < 0);
    tsr_civil_from_days(days, &y, &m, &d);
    int64_t start = rule_time(&r->start, y, r->std_off);
    int64_t end = rule_time(&r->end, y, r->dst_off);
    bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
    return dst ? r->dst_off : r->std_off;
}

int32_t tsr_tz_offset(const tsr_tz *tz, int64_t t)
{
    if (tz->n_trans == 0 || t < tz->trans[0])
        return tz->n_trans == 0 && tz->rule.present ? rule_offset(&tz->rule, t) : tz->offs[0];
    if (t >= tz->trans[tz->n_trans - 1] && tz->rule.present)
        return rule_offset(&tz->rule, t);
    size_t lo = 0, hi = tz->n_trans; /* last transition <= t */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->trans[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return tz->offs[tz->idx[lo]];
}

int64_t tsr_tz_local_to_utc(const tsr_tz *tz, int64_t local_s)
{
    /* At most two offsets are in force around one local time: the one a day
     * before and the one a day after (no zone changes twice in a day). */
    int32_t before = tsr_tz_offset(tz, local_s - TSR_SECS_PER_DAY);
    int32_t after = tsr_tz_offset(tz, local_s + TSR_SECS_PER_DAY);
    int32_t hi = before > after ? before : after, lo = before > after ? after : before;
    if (tsr_tz_offset(tz, local_s - hi) == hi)
        return local_s - hi; /* the earlier instant of an ambiguous time */
    if (tsr_tz_offset(tz, local_s - lo) == lo)
        return local_s - lo;
    return local_s - before; /* in a gap: as if the old offset still held */
}

void tsr_tz_free(tsr_tz *tz)
{
    if (!tz)
        return;
    free(tz->trans);
    free(tz->idx);
    free(tz->offs);
    free(tz);
}

static bool safe_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= TSR_TZ_NAME_MAX || name[0] == '/' || strstr(name, ".."))
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '/' || *p == '_' || *p == '-' || *p == '+' || *p == '.'))
            return false;
    return true;
}

static tsr_status read_file(const char *path, uint8_t **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return TSR_ERR_GAME_TZ;
    *buf = malloc(TZ_FILE_MAX);
    if (!*buf) {
        fclose(f);
        return TSR_ERR_NOMEM;
    }
    *len = fread(*buf, 1, TZ_FILE_MAX, f);
    fclose(f);
    return TSR_OK;
}

/* Parses one data block (v1: 4-byte times, v2+: 8-byte); returns bytes used
 * or 0 when malformed. */
static size_t parse_block(tsr_tz *tz, const uint8_t *p, size_t len, int tsize, bool keep)
{
    if (len < TZ_HEADER || memcmp(p, "TZif", 4) != 0)
        return 0;
    uint32_t isut = be32(p + 20), isstd = be32(p + 24), leap = be32(p + 28);
    uint32_t timecnt = be32(p + 32), typecnt = be32(p + 36), charcnt = be32(p + 40);
    if (typecnt == 0 || typecnt > 256 || timecnt > 100000)
        return 0;
    size_t need = TZ_HEADER + (size_t)timecnt * (tsize + 1) + typecnt * 6 + charcnt +
                  leap * (tsize + 4) + isstd + isut;
    if (need > len)
        return 0;
    if (!keep)
        return need;
    const uint8_t *q = p + TZ_HEADER;
    tz->trans = malloc((timecnt ? timecnt : 1) * sizeof *tz->trans);
    tz->idx = malloc(timecnt ? timecnt : 1);
    tz->offs = malloc(typecnt * sizeof *tz->offs);
    if (!tz->trans || !tz->idx || !tz->offs)
        return 0;
    for (uint32_t i = 0; i < timecnt; i++)
        tz->trans[i] = tsize == 8 ? be64(q + 8 * i) : (int32_t)be32(q + 4 * i);
    q += (size_t)timecnt * tsize;
    for (uint32_t i = 0; i < timecnt; i++)
        if ((tz->idx[i] = q[i]) >= typecnt)
            return 0;
    q += timecnt;
    for (uint32_t i = 0; i < typecnt; i++)
        tz->offs[i] = (int32_t)be32(q + 6 * i);
    tz->n_trans = timecnt;
    tz->n_types = typecnt;
    return need;
}

static tsr_status parse_tzif(tsr_tz *tz, const uint8_t *buf, size_t len)
{
    if (len < TZ_HEADER || memcmp(buf, "TZif", 4) != 0)
        return TSR_ERR_GAME_TZ;
    bool v2 = buf[4] >= '2';
    size_t used = parse_block(tz, buf, len, 4, !v2);
    if (used == 0)
        return TSR_ERR_GAME_TZ;
    if (!v2)
        return TSR_OK;
    size_t used2 = parse_block(tz, buf + used, len - used, 8, true);
    if (used2 == 0)
        return TSR_ERR_GAME_TZ;
    const char *foot = (const char *)buf + used + used2;
    size_t left = len - used - used2;
    if (left >= 2 && foot[0] == '\n') {
        const char *nl = memchr(foot + 1, '\n', left - 1);
        char rule[128];
        size_t n = nl ? (size_t)(nl - foot - 1) : 0;
        if (n > 0 && n < sizeof rule) {
            memcpy(rule, foot + 1, n);
            rule[n] = '\0';
            if (!parse_rule(rule, &tz->rule))
                return TSR_ERR_GAME_TZ;
        }
    }
    return TSR_OK;
}

tsr_status tsr_tz_load(const char *name, tsr_tz **out, char *err, size_t errlen)
{
    if (!safe_name(name)) {
        snprintf(err, errlen, "'%s' is not a time zone name", name);
        return TSR_ERR_GAME_TZ;
    }
    char path[sizeof TZ_DIR + TSR_TZ_NAME_MAX + 1];
    snprintf(path, sizeof path, "%s/%s", TZ_DIR, name);
    uint8_t *buf = NULL;
    size_t len = 0;
    tsr_status st = read_file(path, &buf, &len);
    if (st != TSR_OK) {
        snprintf(err, errlen, "no time zone '%s' in %s (%s)", name, TZ_DIR, strerror(errno));
        return st;
    }
    tsr_tz *tz = calloc(1, sizeof *tz);
    st = tz ? parse_tzif(tz, buf, len) : TSR_ERR_NOMEM;
    free(buf);
    if (st != TSR_OK) {
        snprintf(err, errlen, "time zone file %s is not a valid TZif file", path);
        tsr_tz_free(tz);
        return st;
    }
    *out = tz;
    return TSR_OK;
}

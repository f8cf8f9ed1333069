/*
 * The decision on one location report. Every check runs and records its
 * finding; the reasons are then listed in a fixed order (fraud first, then
 * outside, then what a better fix could cure), so the status a player sees
 * is the most serious one and the audit record has all of them.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "geo_svc.h"

/* Reasons in the order they are listed; the first is the decision's status. */
enum finding {
    F_MOCK,
    F_TRAVEL,
    F_IP_BLOCKED,
    F_IP_COUNTRY,
    F_OUTSIDE,
    F_STALE,
    F_FIX_FUTURE,
    F_ACCURACY,
    F_BORDER,
    F_COUNT
};
_Static_assert(F_COUNT <= TSR_GEO_MAX_REASONS, "every finding fits in a decision");

static const struct {
    tsr_status code;
    bool fraud;
    bool deny; /* false: a better fix may pass */
} finding_info[F_COUNT] = {
    [F_MOCK] = {TSR_ERR_GEO_MOCK, true, true},
    [F_TRAVEL] = {TSR_ERR_GEO_TRAVEL, true, true},
    [F_IP_BLOCKED] = {TSR_ERR_GEO_IP_BLOCKED, true, true},
    [F_IP_COUNTRY] = {TSR_ERR_GEO_IP_COUNTRY, true, true},
    [F_OUTSIDE] = {TSR_ERR_GEO_OUTSIDE, false, true},
    [F_STALE] = {TSR_ERR_GEO_STALE, false, false},
    [F_FIX_FUTURE] = {TSR_ERR_GEO_FIX_FUTURE, false, false},
    [F_ACCURACY] = {TSR_ERR_GEO_ACCURACY, false, false},
    [F_BORDER] = {TSR_ERR_GEO_BORDER, false, false},
};

typedef struct checking {
    const tsr_geo *g;
    const tsr_geo_report *r;
    tsr_geo_decision *d;
    bool found[F_COUNT];
} checking;

static tsr_status validate(const tsr_geo_report *r)
{
    if (!geo_coord_ok(r->lat, r->lon))
        return TSR_ERR_GEO_COORD;
    if (!isfinite(r->accuracy_m) || r->accuracy_m <= 0 ||
        r->accuracy_m > TSR_GEO_ACCURACY_LIMIT_M || r->fix_time_ns < 0 ||
        (unsigned)r->source > TSR_GEO_SOURCE_IP)
        return TSR_ERR_RANGE;
    if (!memchr(r->ip, '\0', sizeof r->ip))
        return TSR_ERR_GEO_IP_INVALID;
    geo_ip ip;
    if (r->ip[0] && geo_ip_parse(r->ip, &ip) != TSR_OK)
        return TSR_ERR_GEO_IP_INVALID;
    return TSR_OK;
}

static void check_time(checking *c)
{
    const tsr_geo_policy *p = &c->g->policy;
    c->d->fix_age_ns = c->d->checked_at_ns - c->r->fix_time_ns;
    c->found[F_STALE] = c->d->fix_age_ns > p->max_fix_age_s * TSR_NS_PER_S;
    c->found[F_FIX_FUTURE] = c->d->fix_age_ns < -p->max_fix_future_s * TSR_NS_PER_S;
}

/* Inside a permitted jurisdiction, the accuracy circle (plus the buffer)
 * must not reach its border; outside, a circle reaching a permitted
 * jurisdiction may be a player just inside it: ask for a better fix. */
static void check_place(checking *c)
{
    const tsr_geo *g = c->g;
    tsr_geo_decision *d = c->d;
    int j;
    if (tsr_geo_locate(g->map, c->r->lat, c->r->lon, &j) != TSR_OK)
        j = -1; /* unreachable: coordinates are validated */
    if (j >= 0) {
        snprintf(d->jurisdiction, sizeof d->jurisdiction, "%s", g->map->jur[j].id);
        snprintf(d->country, sizeof d->country, "%s", g->map->jur[j].country);
    }
    d->permitted = j >= 0 && geo_set_has(&g->permitted, j);
    geo_set own;
    memset(&own, 0, sizeof own);
    if (d->permitted)
        geo_set_add(&own, j);
    d->border_radius_m = c->r->accuracy_m + (double)g->policy.border_buffer_m;
    /* Only "within the radius" and "within the near-border distance" decide
     * anything, so the search stops there: a report from another continent
     * costs no more than one from next door. */
    double limit = fmax(d->border_radius_m, (double)g->policy.near_border_m) + 1.0;
    d->border_m = geo_map_border_distance(g->map, c->r->lat, c->r->lon,
                                          d->permitted ? &own : &g->permitted, limit);
    d->border_capped = d->border_m >= limit;
    c->found[F_BORDER] = d->border_m < d->border_radius_m;
    c->found[F_OUTSIDE] = !d->permitted && !c->found[F_BORDER];
    c->found[F_ACCURACY] = c->r->accuracy_m > (double)g->policy.max_accuracy_m ||
                           c->r->source == TSR_GEO_SOURCE_IP;
}

/* The accuracy radii of both fixes are slack: only the distance beyond them
 * must have been travelled. */
static void check_travel(checking *c, const tsr_geo_state *prev)
{
    tsr_geo_decision *d = c->d;
    if (!prev || !prev->has_fix)
        return;
    d->has_travel = true;
    d->travel_m = tsr_geo_distance_m(prev->lat, prev->lon, c->r->lat, c->r->lon);
    d->travel_s = (double)(c->r->fix_time_ns - prev->fix_time_ns) / (double)TSR_NS_PER_S;
    double beyond = fmax(0.0, d->travel_m - prev->accuracy_m - c->r->accuracy_m);
    if (beyond <= 0) {
        d->speed_kmh = 0;
        return;
    }
    /* Moving at all between fixes taken at the same instant (or out of
     * order) is infinitely fast. */
    d->speed_kmh = d->travel_s > 0 ? beyond / d->travel_s * 3.6 : INFINITY;
    c->found[F_TRAVEL] = d->speed_kmh > (double)c->g->policy.max_speed_kmh;
}

static void check_ip(checking *c)
{
    tsr_geo_decision *d = c->d;
    snprintf(d->ip, sizeof d->ip, "%s", c->r->ip);
    if (!c->r->ip[0] ||
        tsr_geo_ip_info(c->g, c->r->ip, d->ip_country, d->ip_blocklist) != TSR_OK)
        return;
    c->found[F_IP_BLOCKED] = d->ip_blocklist[0] != '\0';
    c->found[F_IP_COUNTRY] = c->g->policy.ip_country_check && d->ip_country[0] &&
                             d->country[0] && strcmp(d->ip_country, d->country) != 0;
}

static void conclude(checking *c)
{
    tsr_geo_decision *d = c->d;
    bool deny = false;
    for (int f = 0; f < F_COUNT; f++) {
        if (!c->found[f])
            continue;
        d->reasons[d->reason_count++] = (tsr_geo_reason){finding_info[f].code,
                                                         finding_info[f].fraud};
        deny |= finding_info[f].deny;
        if (finding_info[f].fraud)
            tsr_log_warn(c->g->env.log, "geo_fraud_signal",
                         "code=%s jurisdiction=%s ip=%s lat=%.6f lon=%.6f",
                         tsr_status_name(finding_info[f].code), d->jurisdiction, d->ip, d->lat,
                         d->lon);
    }
    d->status = d->reason_count ? d->reasons[0].code : TSR_OK;
    d->outcome = !d->reason_count ? TSR_GEO_ALLOWED
                 : deny           ? TSR_GEO_DENIED
                                  : TSR_GEO_NEEDS_BETTER_FIX;
    if (d->outcome == TSR_GEO_ALLOWED) {
        const tsr_geo_policy *p = &c->g->policy;
        int64_t s = d->border_m < (double)p->near_border_m ? p->recheck_near_border_s
                                                            : p->recheck_s;
        d->valid_until_ns = d->checked_at_ns + s * TSR_NS_PER_S;
    }
}

/* The travel anchor moves only to a fix believed genuine and newer. */
static void next_state(const checking *c, const tsr_geo_state *prev, tsr_geo_state *next)
{
    tsr_geo_state n;
    if (prev)
        n = *prev;
    else
        memset(&n, 0, sizeof n);
    const tsr_geo_report *r = c->r;
    if (!c->found[F_MOCK] && !c->found[F_TRAVEL] &&
        (!n.has_fix || r->fix_time_ns >= n.fix_time_ns)) {
        n.has_fix = true;
        n.lat = r->lat;
        n.lon = r->lon;
        n.accuracy_m = r->accuracy_m;
        n.fix_time_ns = r->fix_time_ns;
    }
    const tsr_geo_decision *d = c->d;
    n.passed = d->outcome == TSR_GEO_ALLOWED;
    n.checked_at_ns = d->checked_at_ns;
    n.valid_until_ns = n.passed ? d->valid_until_ns : 0;
    memset(n.ip, 0, sizeof n.ip);
    memset(n.jurisdiction, 0, sizeof n.jurisdiction);
    if (n.passed && c->g->policy.recheck_on_ip_change)
        memcpy(n.ip, r->ip, sizeof n.ip);
    if (n.passed)
        memcpy(n.jurisdiction, d->jurisdiction, sizeof n.jurisdiction);
    *next = n;
}

tsr_status tsr_geo_check(const tsr_geo *g, const tsr_geo_report *r, const tsr_geo_state *prev,
                         tsr_geo_decision *out, tsr_geo_state *next)
{
    tsr_status st = validate(r);
    if (st != TSR_OK)
        return st;
    tsr_geo_decision d;
    memset(&d, 0, sizeof d);
    d.checked_at_ns = tsr_clock_now_ns(g->env.clock);
    d.lat = r->lat;
    d.lon = r->lon;
    d.accuracy_m = r->accuracy_m;
    d.source = r->source;
    d.mock = r->mock;
    checking c = {g, r, &d, {false}};
    c.found[F_MOCK] = r->mock;
    check_time(&c);
    check_place(&c);
    check_travel(&c, prev);
    check_ip(&c);
    conclude(&c);
    next_state(&c, prev, next);
    *out = d;
    return TSR_OK;
}

tsr_status tsr_geo_state_due(const tsr_geo_state *s, int64_t now_ns, const char *ip)
{
    if (!s || !s->passed || now_ns >= s->valid_until_ns)
        return TSR_ERR_GEO_RECHECK;
    if (s->ip[0] && (!ip || strcmp(s->ip, ip) != 0))
        return TSR_ERR_GEO_RECHECK;
    return TSR_OK;
}

const char *tsr_geo_outcome_name(tsr_geo_outcome o)
{
    switch (o) {
    case TSR_GEO_ALLOWED: return "allowed";
    case TSR_GEO_DENIED: return "denied";
    case TSR_GEO_NEEDS_BETTER_FIX: return "needs_better_fix";
    }
    return "unknown";
}

static const char *const source_names[] = {"gps", "wifi", "cell", "ip"};

tsr_status tsr_geo_source_parse(const char *s, tsr_geo_source *out)
{
    for (int i = 0; s && i <= TSR_GEO_SOURCE_IP; i++) {
        if (strcmp(s, source_names[i]) == 0) {
            *out = (tsr_geo_source)i;
            return TSR_OK;
        }
    }
    return TSR_ERR_ARG;
}

const char *tsr_geo_source_name(tsr_geo_source s)
{
    return (unsigned)s <= TSR_GEO_SOURCE_IP ? source_names[s] : "unknown";
}

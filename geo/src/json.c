/* JSON forms: the decision's evidence (audit log), reports, player state. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "geo_int.h"

/* Builds an object key by key; the first failed allocation poisons it. */
typedef struct builder {
    json_t *o;
    bool failed;
} builder;

static void put(builder *b, const char *key, json_t *v)
{
    if (!v || !b->o) {
        json_decref(v);
        b->failed = true;
    } else if (json_object_set_new(b->o, key, v) != 0) {
        b->failed = true;
    }
}

/* Metres and speeds to the centimetre: finer is noise; infinity is null. */
static json_t *num(double v)
{
    return isfinite(v) ? json_real(round(v * 100.0) / 100.0) : json_null();
}

static json_t *reasons_json(const tsr_geo_decision *d, json_t **fraud_out)
{
    json_t *arr = json_array(), *fraud = json_array();
    bool failed = !arr || !fraud;
    for (size_t i = 0; !failed && i < d->reason_count; i++) {
        const tsr_geo_reason *r = &d->reasons[i];
        json_t *o = json_pack("{s:s, s:s, s:b}", "code", tsr_status_name(r->code), "sentence",
                              tsr_status_str(r->code), "fraud", r->fraud);
        failed |= json_array_append_new(arr, o) != 0;
        if (r->fraud)
            failed |= json_array_append_new(fraud, json_string(tsr_status_name(r->code))) != 0;
    }
    if (failed) {
        json_decref(arr);
        json_decref(fraud);
        return NULL;
    }
    *fraud_out = fraud;
    return arr;
}

static json_t *travel_json(const tsr_geo_decision *d)
{
    if (!d->has_travel)
        return json_null();
    json_t *o = json_object();
    builder b = {o, false};
    put(&b, "metres", num(d->travel_m));
    put(&b, "seconds", num(d->travel_s));
    put(&b, "speed_kmh", num(d->speed_kmh));
    if (b.failed) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *tsr_geo_decision_json(const tsr_geo_decision *d)
{
    builder b = {json_object(), false};
    json_t *fraud = NULL;
    put(&b, "outcome", json_string(tsr_geo_outcome_name(d->outcome)));
    put(&b, "status", json_string(tsr_status_name(d->status)));
    put(&b, "sentence", json_string(tsr_status_str(d->status)));
    put(&b, "reasons", reasons_json(d, &fraud));
    put(&b, "fraud_signals", fraud);
    put(&b, "checked_at_ms", json_integer(d->checked_at_ns / TSR_NS_PER_MS));
    put(&b, "lat", json_real(d->lat));
    put(&b, "lon", json_real(d->lon));
    put(&b, "accuracy_m", num(d->accuracy_m));
    put(&b, "source", json_string(tsr_geo_source_name(d->source)));
    put(&b, "mock", json_boolean(d->mock));
    put(&b, "fix_age_ms", json_integer(d->fix_age_ns / TSR_NS_PER_MS));
    put(&b, "jurisdiction", d->jurisdiction[0] ? json_string(d->jurisdiction) : json_null());
    put(&b, "country", d->country[0] ? json_string(d->country) : json_null());
    put(&b, "permitted", json_boolean(d->permitted));
    put(&b, "border_m", num(d->border_m));
    put(&b, "border_m_at_least", json_boolean(d->border_capped));
    put(&b, "border_radius_m", num(d->border_radius_m));
    put(&b, "travel", travel_json(d));
    put(&b, "ip", d->ip[0] ? json_string(d->ip) : json_null());
    put(&b, "ip_country", d->ip_country[0] ? json_string(d->ip_country) : json_null());
    put(&b, "ip_blocklist", d->ip_blocklist[0] ? json_string(d->ip_blocklist) : json_null());
    put(&b, "valid_until_ms",
        d->valid_until_ns ? json_integer(d->valid_until_ns / TSR_NS_PER_MS) : json_null());
    if (b.failed) {
        json_decref(b.o);
        return NULL;
    }
    return b.o;
}

static tsr_status get_number(const json_t *obj, const char *key, double *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return TSR_ERR_FIELD_MISSING;
    if (!json_is_number(v))
        return TSR_ERR_FIELD_TYPE;
    *out = json_number_value(v);
    return TSR_OK;
}

static tsr_status report_optional(const json_t *obj, tsr_geo_report *out)
{
    json_t *mock = json_object_get(obj, "mock"), *ip = json_object_get(obj, "ip");
    if (mock && !json_is_boolean(mock))
        return TSR_ERR_FIELD_TYPE;
    out->mock = json_is_true(mock);
    if (ip && !json_is_string(ip))
        return TSR_ERR_FIELD_TYPE;
    if (ip && json_string_length(ip) >= sizeof out->ip)
        return TSR_ERR_TOO_LONG;
    snprintf(out->ip, sizeof out->ip, "%s", ip ? json_string_value(ip) : "");
    return TSR_OK;
}

tsr_status tsr_geo_report_from_json(const json_t *obj, tsr_geo_report *out)
{
    static const char *const known[] = {"lat", "lon", "accuracy_m", "fix_time_ms",
                                        "source", "mock", "ip"};
    if (!json_is_object(obj))
        return TSR_ERR_JSON;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        size_t k = 0;
        while (k < sizeof known / sizeof known[0] && strcmp(known[k], key) != 0)
            k++;
        if (k == sizeof known / sizeof known[0])
            return TSR_ERR_FIELD_UNKNOWN;
    }
    tsr_geo_report r;
    memset(&r, 0, sizeof r);
    tsr_status st;
    if ((st = get_number(obj, "lat", &r.lat)) != TSR_OK ||
        (st = get_number(obj, "lon", &r.lon)) != TSR_OK ||
        (st = get_number(obj, "accuracy_m", &r.accuracy_m)) != TSR_OK)
        return st;
    json_t *t = json_object_get(obj, "fix_time_ms"), *src = json_object_get(obj, "source");
    if (!t || !src)
        return TSR_ERR_FIELD_MISSING;
    if (!json_is_integer(t) || !json_is_string(src))
        return TSR_ERR_FIELD_TYPE;
    json_int_t ms = json_integer_value(t);
    if (ms < 0 || ms > INT64_MAX / TSR_NS_PER_MS)
        return TSR_ERR_RANGE;
    r.fix_time_ns = (int64_t)ms * TSR_NS_PER_MS;
    if ((st = tsr_geo_source_parse(json_string_value(src), &r.source)) != TSR_OK ||
        (st = report_optional(obj, &r)) != TSR_OK)
        return st;
    *out = r;
    return TSR_OK;
}

json_t *tsr_geo_state_to_json(const tsr_geo_state *s)
{
    return json_pack("{s:b, s:f, s:f, s:f, s:I, s:b, s:I, s:I, s:s, s:s}", "has_fix",
                     s->has_fix, "lat", s->lat, "lon", s->lon, "accuracy_m", s->accuracy_m,
                     "fix_time_ns", (json_int_t)s->fix_time_ns, "passed", s->passed,
                     "checked_at_ns", (json_int_t)s->checked_at_ns, "valid_until_ns",
                     (json_int_t)s->valid_until_ns, "ip", s->ip, "jurisdiction",
                     s->jurisdiction);
}

tsr_status tsr_geo_state_from_json(const json_t *obj, tsr_geo_state *out)
{
    if (!json_is_object(obj))
        return TSR_ERR_JSON;
    tsr_geo_state s;
    memset(&s, 0, sizeof s);
    int has_fix, passed;
    json_int_t fix, checked, until;
    const char *ip, *jur;
    if (json_unpack((json_t *)obj, "{s:b, s:F, s:F, s:F, s:I, s:b, s:I, s:I, s:s, s:s !}",
                    "has_fix", &has_fix, "lat", &s.lat, "lon", &s.lon, "accuracy_m",
                    &s.accuracy_m, "fix_time_ns", &fix, "passed", &passed, "checked_at_ns",
                    &checked, "valid_until_ns", &until, "ip", &ip, "jurisdiction", &jur) != 0)
        return TSR_ERR_FIELD_TYPE;
    if (strlen(ip) >= sizeof s.ip || strlen(jur) >= sizeof s.jurisdiction)
        return TSR_ERR_TOO_LONG;
    if (fix < 0 || (has_fix && !geo_coord_ok(s.lat, s.lon)))
        return TSR_ERR_FIELD_TYPE;
    s.has_fix = has_fix;
    s.passed = passed;
    s.fix_time_ns = fix;
    s.checked_at_ns = checked;
    s.valid_until_ns = until;
    snprintf(s.ip, sizeof s.ip, "%s", ip);
    snprintf(s.jurisdiction, sizeof s.jurisdiction, "%s", jur);
    *out = s;
    return TSR_OK;
}

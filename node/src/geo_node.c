/* Geolocation in the node (edge.h): the geo service, registered terminal
 * locations, the per-request location check with its persisted re-check
 * state and audit evidence, and GET /v1/route. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "edge.h"
#include "tessera/log.h"

static const char SQL_STATE_GET[] = "SELECT state FROM geo_state WHERE player_id = ?1";
static const char SQL_STATE_PUT[] =
    "INSERT INTO geo_state(player_id, state, updated_at_ns) VALUES (?1, ?2, ?3)"
    " ON CONFLICT(player_id) DO UPDATE SET state = excluded.state,"
    " updated_at_ns = excluded.updated_at_ns";

/* ---- start: service, rules, terminals -------------------------------------------- */

static tsr_status config_error(tsr_edge *e, const char *why)
{
    tsr_log_error(tsr_server_env(e->srv)->log, "edge_config_refused", "why=\"%s\"", why);
    return TSR_ERR_CONFIG;
}

/* One terminal's fixed location: it must lie inside the node's
 * jurisdiction on the map, or the node refuses to start. */
static tsr_status terminal_add(tsr_edge *e, const char *id, const json_t *v)
{
    char why[256];
    json_t *lat = json_object_get(v, "lat"), *lon = json_object_get(v, "lon");
    const json_t *addr = json_object_get(v, "address");
    size_t allowed = 2 + (addr != NULL);
    if (!json_is_object(v) || !json_is_number(lat) || !json_is_number(lon) ||
        (addr && !json_is_string(addr)) || json_object_size(v) != allowed ||
        strlen(id) >= TSR_CALLER_ID_MAX) {
        snprintf(why, sizeof why, "edge.terminal_locations.%.40s: {lat, lon, address?}", id);
        return config_error(e, why);
    }
    edge_terminal *t = &e->terminals[e->n_terminals];
    snprintf(t->id, sizeof t->id, "%s", id);
    t->lat = json_number_value(lat);
    t->lon = json_number_value(lon);
    int idx = -1;
    const tsr_geo_map *m = tsr_geo_map_of(e->geo);
    tsr_status s = tsr_geo_locate(m, t->lat, t->lon, &idx);
    const tsr_geo_jurisdiction *j = s == TSR_OK ? tsr_geo_map_get(m, idx) : NULL;
    if (!j || strcmp(j->id, e->rules->jurisdiction) != 0) {
        snprintf(why, sizeof why, "terminal %.40s at %.6f,%.6f is in %s, not in %s", id, t->lat,
                 t->lon, j ? j->id : "no jurisdiction", e->rules->jurisdiction);
        return config_error(e, why);
    }
    e->n_terminals++;
    return TSR_OK;
}

static tsr_status terminals_load(tsr_edge *e)
{
    const json_t *all = e->cfg.terminal_locations;
    size_t n = all ? json_object_size(all) : 0;
    if (n > TSR_EDGE_TERMINALS_MAX)
        return config_error(e, "edge.terminal_locations: too many terminals");
    if (n && !(e->terminals = calloc(n, sizeof *e->terminals)))
        return TSR_ERR_NOMEM;
    const char *id;
    json_t *v;
    json_object_foreach((json_t *)all, id, v) {
        tsr_status s = terminal_add(e, id, v);
        if (s != TSR_OK)
            return s;
    }
    return TSR_OK;
}

tsr_status tsr_edge_geo_open(tsr_edge *e)
{
    const tsr_env *env = tsr_server_env(e->srv);
    char err[256] = "";
    tsr_status s = tsr_geo_open(&e->geo, e->cfg.geo_config, env, err, sizeof err);
    if (s != TSR_OK) {
        tsr_log_error(env->log, "geo_open_failed", "file=%s status=%s why=\"%s\"",
                      e->cfg.geo_config, tsr_status_name(s), err);
        return s;
    }
    const char *jur = tsr_server_config(e->srv)->jurisdiction;
    int idx;
    if (tsr_geo_map_find(tsr_geo_map_of(e->geo), jur, &idx) != TSR_OK ||
        tsr_geo_rules_get(e->geo, jur, &e->rules) != TSR_OK) {
        snprintf(err, sizeof err, "jurisdiction %s is not on the map or has no rules", jur);
        return config_error(e, err);
    }
    tsr_log_info(env->log, "geo_on", "jurisdiction=%s online=%d retail=%d legal_age=%lld", jur,
                 e->rules->online_sales, e->rules->retail_sales,
                 (long long)e->rules->legal_age_years);
    return terminals_load(e);
}

bool tsr_edge_terminal_known(const tsr_edge *e, const char *terminal_id)
{
    for (size_t i = 0; i < e->n_terminals; i++)
        if (strcmp(e->terminals[i].id, terminal_id) == 0)
            return true;
    return false;
}

/* ---- the players' states: pending (CoAP thread) and stored --------------------------- */

static edge_geo_pending *pending_find(tsr_edge *e, int64_t player_id, bool make)
{
    size_t h = (size_t)((uint64_t)player_id * UINT64_C(0x9E3779B97F4A7C15) >> 20);
    edge_geo_pending *free_slot = NULL;
    for (size_t i = 0; i < TSR_EDGE_GEO_PENDING_PROBE; i++) {
        edge_geo_pending *p = &e->pending[(h + i) % TSR_EDGE_GEO_PENDING_MAX];
        if (p->used && p->player_id == player_id)
            return p;
        if (!p->used && !free_slot)
            free_slot = p;
    }
    return make ? free_slot : NULL;
}

/* The player's state: a decision not yet committed wins over the table. */
static tsr_status state_load(tsr_edge *e, int64_t player_id, tsr_geo_state *out)
{
    memset(out, 0, sizeof *out);
    edge_geo_pending *p = pending_find(e, player_id, false);
    if (p) {
        *out = p->state;
        return TSR_OK;
    }
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(tsr_server_reader(e->srv), SQL_STATE_GET, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, player_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        json_t *j = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
        s = j ? tsr_geo_state_from_json(j, out) : TSR_ERR_ENCODING;
        json_decref(j);
    } else if (rc != SQLITE_DONE) {
        s = tsr_store_status(rc);
    }
    sqlite3_reset(st);
    return s;
}

/* ---- the decision's job: state + audit in one savepoint ------------------------------- */

typedef struct geo_job {
    int64_t player_id;
    uint64_t gen;
    char *state;        /* JSON text of the new state */
    json_t *evidence;   /* the audit record's evidence */
    tsr_status refusal; /* TSR_OK: allowed (an internal job) */
    json_t *detail;     /* the refusal's detail */
} geo_job;

static void geo_job_free(void *p)
{
    geo_job *g = p;
    free(g->state);
    json_decref(g->evidence);
    json_decref(g->detail);
    free(g);
}

static tsr_status apply_geo(tsr_store_txn *txn, tsr_job *job)
{
    geo_job *g = job->ctx;
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(tsr_store_txn_conn(txn), SQL_STATE_PUT, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, g->player_id);
    sqlite3_bind_text(st, 2, g->state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, tsr_store_txn_now(txn).now_ns);
    if ((s = tsr_store_exec_stmt(st)) != TSR_OK)
        return s;
    return tsr_audit_append(txn, "geo_check", g->evidence);
}

/* After the commit: the table now holds the state; a refusal becomes the
 * reply (the audit row and the state stay committed). */
static void geo_done(tsr_server *srv, tsr_job *job, bool committed)
{
    tsr_edge *e = tsr_edge_of(srv);
    geo_job *g = job->ctx;
    edge_geo_pending *p = pending_find(e, g->player_id, false);
    if (p && p->gen == g->gen)
        p->used = false;
    if (!committed || g->refusal == TSR_OK)
        return;
    job->status = g->refusal;
    job->error_detail = g->detail;
    g->detail = NULL;
}

static json_t *refusal_detail(tsr_edge *e, const tsr_geo_decision *d, tsr_status refusal)
{
    json_t *reasons = json_array();
    for (size_t i = 0; i < d->reason_count; i++)
        json_array_append_new(reasons, json_string(tsr_status_name(d->reasons[i].code)));
    json_t *det = json_pack("{s:s, s:o, s:s}", "outcome", tsr_geo_outcome_name(d->outcome),
                            "reasons", reasons, "jurisdiction", d->jurisdiction);
    tsr_geo_route rt;
    if (det && refusal == TSR_ERR_GEO_WRONG_NODE &&
        tsr_geo_route_find(e->geo, d->lat, d->lon, &rt) == TSR_OK)
        json_object_set_new(det, "served_by",
                            json_pack("{s:s, s:s}", "node", rt.node, "endpoint", rt.endpoint));
    return det;
}

static tsr_status geo_job_make(tsr_edge *e, const tsr_request *req, const tsr_geo_decision *d,
                               const tsr_geo_state *next, tsr_status refusal, const char *kind,
                               tsr_job **out)
{
    geo_job *g = calloc(1, sizeof *g);
    json_t *sj = tsr_geo_state_to_json(next);
    if (!g || !sj) {
        free(g);
        json_decref(sj);
        return TSR_ERR_NOMEM;
    }
    g->player_id = req->caller.player_id;
    g->gen = ++e->pending_gen;
    g->state = json_dumps(sj, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(sj);
    g->refusal = refusal;
    g->evidence = json_pack("{s:I, s:s, s:s, s:s, s:o}", "player_id",
                            (json_int_t)req->caller.player_id, "request", kind, "node_jurisdiction",
                            e->rules->jurisdiction, "result", tsr_status_name(refusal), "decision",
                            tsr_geo_decision_json(d));
    g->detail = refusal != TSR_OK ? refusal_detail(e, d, refusal) : NULL;
    tsr_job *j = NULL;
    tsr_status s = g->state && g->evidence ? tsr_job_new(&j, "geo_check", apply_geo) : TSR_ERR_NOMEM;
    if (s != TSR_OK) {
        geo_job_free(g);
        return s;
    }
    j->ctx = g;
    j->ctx_free = geo_job_free;
    j->done = geo_done;
    *out = j;
    return TSR_OK;
}

/* ---- the check of one request ---------------------------------------------------------- */

/* What this node makes of a decision: the library's refusal, or another
 * node's jurisdiction (permitted there, not served here). */
static tsr_status node_refusal(const tsr_edge *e, const tsr_geo_decision *d)
{
    if (d->outcome != TSR_GEO_ALLOWED)
        return d->status;
    return strcmp(d->jurisdiction, e->rules->jurisdiction) == 0 ? TSR_OK : TSR_ERR_GEO_WRONG_NODE;
}

/* Decides a fresh report; records it (job); replies when refused. */
static bool check_report(tsr_edge *e, tsr_request *req, const json_t *loc, const char *kind)
{
    tsr_geo_report r;
    tsr_geo_state prev, next;
    tsr_geo_decision d;
    tsr_status s = tsr_geo_report_from_json(loc, &r);
    if (s == TSR_OK) {
        tsr_edge_peer_ip(req, r.ip);
        s = state_load(e, req->caller.player_id, &prev);
    }
    if (s == TSR_OK)
        s = tsr_geo_check(e->geo, &r, &prev, &d, &next);
    if (s != TSR_OK) {
        tsr_reply_field_error(req, s, "location");
        return true;
    }
    tsr_status refusal = node_refusal(e, &d);
    if (refusal != TSR_OK) {
        next.passed = false; /* another node's pass is no pass here */
        next.valid_until_ns = 0;
    }
    edge_geo_pending *p = pending_find(e, req->caller.player_id, true);
    tsr_job *j = NULL;
    if (!p || (s = geo_job_make(e, req, &d, &next, refusal, kind, &j)) != TSR_OK) {
        tsr_reply_error(req, p ? s : TSR_ERR_BUSY, NULL);
        return true;
    }
    *p = (edge_geo_pending){true, req->caller.player_id, ((geo_job *)j->ctx)->gen, next};
    if (refusal != TSR_OK) {
        tsr_reply_submit(req, j); /* the reply leaves after the audit row commits */
        return true;
    }
    s = tsr_server_submit_internal(e->srv, j);
    if (s != TSR_OK) {
        p->used = false;
        tsr_reply_error(req, s, NULL);
        return true;
    }
    return false;
}

bool tsr_edge_geo_guard(tsr_edge *e, tsr_request *req, const json_t *report, const char *kind)
{
    if (!e->rules->online_sales) {
        tsr_reply_error(req, TSR_ERR_JURISDICTION_CHANNEL,
                        json_pack("{s:s, s:s}", "jurisdiction", e->rules->jurisdiction, "channel",
                                  "online"));
        return true;
    }
    if (report)
        return check_report(e, req, report, kind);
    tsr_geo_state st;
    char ip[TSR_GEO_IP_MAX];
    tsr_edge_peer_ip(req, ip);
    tsr_status s = state_load(e, req->caller.player_id, &st);
    if (s == TSR_OK)
        s = tsr_geo_state_due(&st, tsr_clock_now_ns(tsr_server_env(e->srv)->clock), ip);
    if (s == TSR_OK && strcmp(st.jurisdiction, e->rules->jurisdiction) != 0)
        s = TSR_ERR_GEO_RECHECK;
    if (s == TSR_OK)
        return false;
    tsr_reply_error(req, s, json_pack("{s:s}", "field", "location"));
    return true;
}

/* ---- GET /v1/route?lat=..&lon=.. ------------------------------------------------------------ */

static tsr_status query_degrees(const tsr_request *req, const char *name, double *out)
{
    char buf[32];
    tsr_status s = tsr_request_query(req, name, buf, sizeof buf);
    if (s == TSR_ERR_NOT_FOUND)
        return TSR_ERR_FIELD_MISSING;
    if (s != TSR_OK)
        return TSR_ERR_FIELD_TYPE;
    char *end = NULL;
    errno = 0;
    *out = strtod(buf, &end);
    if (!buf[0] || *end || errno || !isfinite(*out))
        return TSR_ERR_FIELD_TYPE;
    return TSR_OK;
}

static void handle_route(tsr_server *srv, tsr_request *req)
{
    tsr_edge *e = tsr_edge_of(srv);
    if (!e->geo) {
        tsr_reply_error(req, TSR_ERR_UNAVAILABLE, NULL);
        return;
    }
    double lat, lon;
    const char *field = "lat";
    tsr_status s = query_degrees(req, "lat", &lat);
    if (s == TSR_OK && (s = query_degrees(req, "lon", &lon)) != TSR_OK)
        field = "lon";
    if (s != TSR_OK) {
        tsr_reply_field_error(req, s, field);
        return;
    }
    tsr_geo_route rt;
    memset(&rt, 0, sizeof rt);
    s = tsr_geo_route_find(e->geo, lat, lon, &rt);
    if (s == TSR_ERR_GEO_NO_NODE) {
        tsr_reply_error(req, s, json_pack("{s:s}", "jurisdiction", rt.jurisdiction));
        return;
    }
    if (s != TSR_OK) {
        tsr_reply_error(req, s, NULL);
        return;
    }
    bool here = strcmp(rt.node, tsr_server_node_id(srv)) == 0;
    tsr_reply_json(req, 205, json_pack("{s:s, s:s, s:s, s:s, s:b}", "jurisdiction",
                                       rt.jurisdiction, "region", rt.region, "node", rt.node,
                                       "endpoint", rt.endpoint, "this_node", here));
}

tsr_status tsr_edge_route_routes(tsr_server *srv)
{
    static const tsr_route r = {TSR_GET, "/v1/route", TSR_AUTH_ANY, handle_route, 0, false};
    return tsr_server_route(srv, &r);
}

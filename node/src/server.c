/* Routing, caller resolution, strict JSON bodies and replies (server.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "server_int.h"
#include "tessera/json_canon.h"
#include "tessera/log.h"

/* ---- routes ------------------------------------------------------------------ */

static tsr_status split_pattern(const char *p, route_entry *e)
{
    if (p[0] != '/')
        return TSR_ERR_ARG;
    e->n_segs = 0;
    while (*p == '/') {
        p++;
        size_t len = strcspn(p, "/");
        if (len == 0 || len >= TSR_ROUTE_SEGMENT_MAX || e->n_segs == TSR_ROUTE_SEGMENTS_MAX)
            return TSR_ERR_ARG;
        bool param = p[0] == '<' && p[len - 1] == '>';
        if (param)
            e->segs[e->n_segs][0] = '\0';
        else
            memcpy(e->segs[e->n_segs], p, len), e->segs[e->n_segs][len] = '\0';
        e->n_segs++;
        p += len;
    }
    return *p ? TSR_ERR_ARG : TSR_OK;
}

static size_t n_params_of(const route_entry *e)
{
    size_t n = 0;
    for (size_t i = 0; i < e->n_segs; i++)
        n += e->segs[i][0] == '\0';
    return n;
}

tsr_status tsr_server_route(tsr_server *srv, const tsr_route *route)
{
    if (!route || !route->pattern || !route->handler || route->max_body > TSR_SERVER_BODY_HARD_MAX)
        return TSR_ERR_ARG;
    if (srv->n_routes == TSR_SERVER_ROUTES_MAX)
        return TSR_ERR_TOO_LARGE;
    route_entry *e = &srv->routes[srv->n_routes];
    memset(e, 0, sizeof *e);
    e->r = *route;
    if (split_pattern(route->pattern, e) != TSR_OK || n_params_of(e) > TSR_ROUTE_PARAMS_MAX)
        return TSR_ERR_ARG;
    if (route->observable && (route->method != TSR_GET || n_params_of(e) > 0))
        return TSR_ERR_ARG;
    for (size_t i = 0; i < srv->n_routes; i++)
        if (srv->routes[i].r.method == route->method &&
            strcmp(srv->routes[i].r.pattern, route->pattern) == 0)
            return TSR_ERR_EXISTS;
    srv->n_routes++;
    return TSR_OK;
}

/* Splits "v1/bets/x" into segments (in place in buf). */
static size_t split_path(char *buf, char **segs, size_t max)
{
    size_t n = 0;
    char *save = NULL;
    for (char *s = strtok_r(buf, "/", &save); s; s = strtok_r(NULL, "/", &save)) {
        if (n == max)
            return max + 1;
        segs[n++] = s;
    }
    return n;
}

static bool route_match(const route_entry *e, char **segs, size_t n, tsr_request *req)
{
    if (e->n_segs != n)
        return false;
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
        if (e->segs[i][0] == '\0')
            req->params[np++] = segs[i];
        else if (strcmp(e->segs[i], segs[i]) != 0)
            return false;
    }
    req->n_params = np;
    return true;
}

/* Finds the route for path+method: TSR_ERR_NOT_FOUND when no pattern
 * matches the path, TSR_ERR_METHOD when one does for another method. */
tsr_status tsr_server_find_route(tsr_server *srv, char *path, tsr_request *req)
{
    char *segs[TSR_ROUTE_SEGMENTS_MAX];
    size_t n = split_path(path, segs, TSR_ROUTE_SEGMENTS_MAX);
    if (n > TSR_ROUTE_SEGMENTS_MAX)
        return TSR_ERR_NOT_FOUND;
    bool path_known = false;
    for (size_t i = 0; i < srv->n_routes; i++) {
        if (!route_match(&srv->routes[i], segs, n, req))
            continue;
        path_known = true;
        if (srv->routes[i].r.method == req->method) {
            req->route = &srv->routes[i].r;
            return TSR_OK;
        }
    }
    return path_known ? TSR_ERR_METHOD : TSR_ERR_NOT_FOUND;
}

/* ---- query parameters ---------------------------------------------------------- */

static bool query_find(const coap_string_t *q, const char *name, const char **val, size_t *len)
{
    if (!q)
        return false;
    size_t nlen = strlen(name);
    const char *p = (const char *)q->s, *end = p + q->length;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if ((size_t)(stop - p) > nlen && memcmp(p, name, nlen) == 0 && p[nlen] == '=') {
            *val = p + nlen + 1;
            *len = (size_t)(stop - *val);
            return true;
        }
        p = stop + 1;
    }
    return false;
}

tsr_status tsr_request_query(const tsr_request *req, const char *name, char *buf, size_t len)
{
    const exchange *x = req->internal_;
    const char *v;
    size_t vlen;
    if (!query_find(x->query, name, &v, &vlen))
        return TSR_ERR_NOT_FOUND;
    if (vlen >= len)
        return TSR_ERR_TOO_LONG;
    memcpy(buf, v, vlen);
    buf[vlen] = '\0';
    return TSR_OK;
}

tsr_status tsr_request_query_int(const tsr_request *req, const char *name, int64_t min,
                                 int64_t max, int64_t def, int64_t *out)
{
    char buf[24], *end;
    tsr_status s = tsr_request_query(req, name, buf, sizeof buf);
    if (s == TSR_ERR_NOT_FOUND) {
        *out = def;
        return TSR_OK;
    }
    if (s != TSR_OK)
        return TSR_ERR_FIELD_TYPE;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (!buf[0] || *end || errno)
        return TSR_ERR_FIELD_TYPE;
    if (v < min || v > max)
        return TSR_ERR_RANGE;
    *out = v;
    return TSR_OK;
}

/* ---- strict JSON ------------------------------------------------------------- */

static bool kind_ok(const json_t *v, tsr_json_kind k)
{
    switch (k) {
    case TSR_JSON_STRING: return json_is_string(v);
    case TSR_JSON_INT: return json_is_integer(v);
    case TSR_JSON_BOOL: return json_is_boolean(v);
    case TSR_JSON_OBJECT: return json_is_object(v);
    case TSR_JSON_ARRAY: return json_is_array(v);
    case TSR_JSON_ANY: return true;
    }
    return false;
}

static tsr_status field_fail(json_t **detail, tsr_status st, const char *name)
{
    if (detail)
        *detail = json_pack("{s:s}", "field", name);
    return st;
}

static tsr_status check_value(const json_t *v, const tsr_json_field *f, json_t **detail)
{
    if (!kind_ok(v, f->kind))
        return field_fail(detail, TSR_ERR_FIELD_TYPE, f->name);
    size_t max = f->max;
    if (f->kind == TSR_JSON_STRING) {
        if (!max)
            max = TSR_ROUTE_SEGMENT_MAX;
        if (json_string_length(v) > max || strlen(json_string_value(v)) != json_string_length(v))
            return field_fail(detail, TSR_ERR_TOO_LONG, f->name);
    }
    if (f->kind == TSR_JSON_ARRAY && max && json_array_size(v) > max)
        return field_fail(detail, TSR_ERR_TOO_LONG, f->name);
    return TSR_OK;
}

tsr_status tsr_json_check(const json_t *obj, const tsr_json_field *fields, size_t n,
                          json_t **detail)
{
    if (detail)
        *detail = NULL;
    if (!json_is_object(obj))
        return TSR_ERR_FIELD_TYPE;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        size_t i = 0;
        while (i < n && strcmp(fields[i].name, key) != 0)
            i++;
        if (i == n)
            return field_fail(detail, TSR_ERR_FIELD_UNKNOWN, key);
        tsr_status s = check_value(v, &fields[i], detail);
        if (s != TSR_OK)
            return s;
    }
    for (size_t i = 0; i < n; i++)
        if (fields[i].required && !json_object_get(obj, fields[i].name))
            return field_fail(detail, TSR_ERR_FIELD_MISSING, fields[i].name);
    return TSR_OK;
}

static bool body_cached(const exchange *x, const tsr_request *req)
{
    return x && x->body_obj && x->body_of == req->body && x->body_of_len == req->body_len;
}

json_t *tsr_server_body_object(tsr_request *req)
{
    exchange *x = req->internal_;
    if (!req->body_len)
        return NULL;
    if (body_cached(x, req))
        return x->body_obj;
    json_decref(x->body_obj);
    x->body_obj =
        json_loadb((const char *)req->body, req->body_len, JSON_REJECT_DUPLICATES, NULL);
    if (x->body_obj && !json_is_object(x->body_obj)) {
        json_decref(x->body_obj);
        x->body_obj = NULL;
    }
    x->body_of = req->body;
    x->body_of_len = req->body_len;
    return x->body_obj;
}

void tsr_server_body_rewritten(tsr_request *req, const char *text, size_t len)
{
    exchange *x = req->internal_;
    req->body = (const uint8_t *)text;
    req->body_len = len;
    x->body_of = req->body;
    x->body_of_len = len;
}

tsr_status tsr_request_json(const tsr_request *req, const tsr_json_field *fields, size_t n,
                            json_t **out, json_t **detail)
{
    *out = NULL;
    *detail = NULL;
    json_t *obj;
    exchange *x = req->internal_;
    if (req->body_len && body_cached(x, req)) {
        obj = x->body_obj; /* parsed by the guard: the handler takes it */
        x->body_obj = NULL;
    } else if (req->body_len == 0) {
        obj = json_object();
    } else {
        json_error_t e;
        obj = json_loadb((const char *)req->body, req->body_len, JSON_REJECT_DUPLICATES, &e);
        if (!obj) {
            *detail = json_pack("{s:i, s:i, s:s}", "line", e.line, "column", e.column,
                                "reason", e.text);
            return TSR_ERR_JSON;
        }
        if (!json_is_object(obj)) {
            json_decref(obj);
            *detail = json_pack("{s:s}", "reason", "the body must be a JSON object");
            return TSR_ERR_JSON;
        }
    }
    tsr_status s = obj ? tsr_json_check(obj, fields, n, detail) : TSR_ERR_NOMEM;
    if (s != TSR_OK) {
        json_decref(obj);
        return s;
    }
    *out = obj;
    return TSR_OK;
}

/* ---- replies ------------------------------------------------------------------- */

static int coap_code_of(tsr_status st)
{
    return st == TSR_ERR_METHOD ? 405 : tsr_status_coap_code(st);
}

static json_t *error_body(tsr_status st, json_t *detail)
{
    json_t *b = json_pack("{s:s, s:s}", "error", tsr_status_name(st), "message",
                          tsr_status_str(st));
    if (b && detail)
        json_object_set(b, "detail", detail);
    json_decref(detail);
    return b;
}

/* Writes a serialized JSON body (borrowed) with code into the response. */
static void write_text(exchange *x, int code, const char *text, int max_age)
{
    coap_pdu_code_t want = (coap_pdu_code_t)COAP_RESPONSE_CODE(code);
    if (x->res && code == 205) /* a body of the loop, not a job's separate
                                  reply nor an error (never a kept body) */
        text = tsr_server_block_body(coap_resource_get_userdata(x->res), x, text);
    /* This libcoap call cuts a large body into Block2 chunks, and sets
     * 2.05 itself (or 4.00/5.00 for a bad block request, kept). */
    coap_add_data_blocked_response(x->pdu, x->resp, COAP_MEDIATYPE_APPLICATION_JSON, max_age,
                                   strlen(text), (const uint8_t *)text);
    if (coap_pdu_get_code(x->resp) == COAP_RESPONSE_CODE(205))
        coap_pdu_set_code(x->resp, want);
    x->replied = true;
}

void tsr_server_etag(const uint8_t *data, size_t len, uint8_t out[4])
{
    /* coap_hash_impl updates each byte of its 4-byte key, top down, as
     * h[j] = (h[j] << 7 | h[j-1] >> 1) + h[j] and h[0] = (h[0] << 7) + h[0]
     * + c, all mod 256. Here byte j lives in the low half of 16-bit lane j
     * of s: s * 129 is h[j] << 7 + h[j] per lane, s << 15 (masked) brings
     * h[j-1] >> 1 into lane j, and no lane sum reaches 2^16, so one update
     * is a few word operations instead of a dozen byte ones. */
    const uint64_t no_stray = UINT64_C(0x7fff7fff7fff7fff), bytes = UINT64_C(0x00ff00ff00ff00ff);
    uint64_t s = 0;
    for (size_t i = 0; i < len; i++)
        s = (s * 129 + ((s << 15) & no_stray) + data[i]) & bytes;
    for (int j = 0; j < 4; j++)
        out[j] = (uint8_t)(s >> (16 * j));
}


/* A job's separate reply (no request to look at) whose body fits one PDU:
 * the options and payload coap_add_data_blocked_response would write, but
 * with the ETag computed a word at a time (libcoap's byte-at-a-time hash
 * was a fifth of the CoAP thread's instructions per bet). False, having
 * written nothing, for a body that may need Block2: libcoap does those. */
static bool write_single(exchange *x, int code, const char *text, int max_age)
{
    size_t len = strlen(text);
    if (x->pdu || len == 0 ||
        len + TSR_SERVER_REPLY_OVERHEAD_MAX > coap_session_max_pdu_size(x->sess))
        return false;
    uint8_t etag[4], buf[4];
    /* A 2.01 (a bet's receipts) in one datagram carries no ETag: it is the
     * outcome of an action, not a representation to revalidate, and libcoap
     * adds one only so that the blocks of a block-wise body can be told to
     * belong together (those bodies still go through libcoap). The hash of
     * ~1 KB took ~14k instructions a bet. */
    if (code != 201) {
        tsr_server_etag((const uint8_t *)text, len, etag);
        coap_add_option(x->resp, COAP_OPTION_ETAG, sizeof etag, etag);
    }
    coap_add_option(x->resp, COAP_OPTION_CONTENT_FORMAT,
                    coap_encode_var_safe(buf, sizeof buf, COAP_MEDIATYPE_APPLICATION_JSON), buf);
    if (max_age >= 0)
        coap_add_option(x->resp, COAP_OPTION_MAXAGE,
                        coap_encode_var_safe(buf, sizeof buf, (unsigned)max_age), buf);
    /* cannot fail: the PDU's limit is the session's, checked above */
    (void)coap_add_data(x->resp, len, (const uint8_t *)text);
    coap_pdu_set_code(x->resp, (coap_pdu_code_t)COAP_RESPONSE_CODE(code));
    x->replied = true;
    return true;
}

static void write_reply_text(exchange *x, int code, const char *text, int max_age)
{
    if (!write_single(x, code, text, max_age))
        write_text(x, code, text, max_age);
}

void tsr_server_write_json(exchange *x, int code, json_t *body, int max_age)
{
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(body);
    if (text) {
        write_reply_text(x, code, text, max_age);
        free(text);
        return;
    }
    coap_pdu_set_code(x->resp, (coap_pdu_code_t)COAP_RESPONSE_CODE(code));
    x->replied = true;
}

void tsr_reply_json(tsr_request *req, int code, json_t *body)
{
    tsr_server_write_json(req->internal_, code, body, -1);
}

void tsr_reply_error(tsr_request *req, tsr_status st, json_t *detail)
{
    exchange *x = req->internal_;
    int max_age = tsr_status_class_of(st) == TSR_CLASS_BUSY ? TSR_SERVER_BUSY_MAX_AGE_S : -1;
    tsr_server_write_json(x, coap_code_of(st), error_body(st, detail), max_age);
}

void tsr_reply_field_error(tsr_request *req, tsr_status st, const char *field)
{
    tsr_reply_error(req, st, json_pack("{s:s}", "field", field));
}

void tsr_server_reply_job(exchange *x, tsr_job *job)
{
    if (job->status == TSR_OK && job->response_text) {
        write_reply_text(x, job->ok_code, job->response_text, -1);
        return;
    }
    if (job->status == TSR_OK) {
        tsr_server_write_json(x, job->ok_code, job->response, -1);
        job->response = NULL;
        return;
    }
    int max_age = tsr_status_class_of(job->status) == TSR_CLASS_BUSY ? TSR_SERVER_BUSY_MAX_AGE_S
                                                                     : -1;
    tsr_server_write_json(x, coap_code_of(job->status), error_body(job->status, job->error_detail),
                          max_age);
    job->error_detail = NULL;
}

/* The canonical text arrives in pieces of up to a request body. */
static int hash_piece(const char *text, size_t len, void *arg)
{
    tsr_hash256_update(arg, text, len);
    return 0;
}

static void hash_route(tsr_hash_ctx *h, const tsr_request *req)
{
    tsr_hash256_init(h);
    tsr_hash256_update(h, req->route->pattern, strlen(req->route->pattern) + 1);
    for (size_t i = 0; i < req->n_params; i++)
        tsr_hash256_update(h, req->params[i], strlen(req->params[i]) + 1);
}

/* BLAKE2b-256 over the route, a NUL and the canonical body, so the same
 * request in another key order or spacing hashes the same. The body's
 * bytes are defined as json_dumps' with JSON_SORT_KEYS | JSON_COMPACT |
 * JSON_ENCODE_ANY (hashes stored by older builds must keep matching);
 * tsr_json_canon writes exactly those bytes without jansson's dump, which
 * was a tenth of the CoAP thread per bet. */
static tsr_status request_hash(const tsr_request *req, const json_t *body,
                               uint8_t out[TSR_HASH_LEN])
{
    tsr_hash_ctx h;
    hash_route(&h, req);
    /* A body with no canonical text (json_dumps would give NULL; one parsed
     * from the wire always has one) is refused: hashing less of it would
     * let a retry with another such body pass as the same request. */
    tsr_status s = body ? tsr_json_canon(body, hash_piece, &h) : TSR_OK;
    tsr_hash256_final(&h, out);
    return s;
}

void tsr_reply_submit(tsr_request *req, tsr_job *job)
{
    tsr_server *srv = coap_resource_get_userdata(((exchange *)req->internal_)->res);
    job->srv = srv;
    job->caller = req->caller;
    job->route = req->route->pattern;
    tsr_status s = request_hash(req, job->request, job->request_hash);
    job->submitted_mono_ns = tsr_clock_mono_ns(srv->env->clock);
    if (s == TSR_OK && srv->stopping)
        s = TSR_ERR_SHUTTING_DOWN;
    if (s == TSR_OK)
        s = tsr_server_track(srv, req->internal_, job);
    if (s != TSR_OK) {
        tsr_job_free(job);
        tsr_reply_error(req, s, NULL);
    }
}

/* ---- server state accessors ------------------------------------------------------ */

const tsr_node_config *tsr_server_config(const tsr_server *srv) { return srv->cfg; }
const tsr_env *tsr_server_env(const tsr_server *srv) { return srv->env; }
tsr_store *tsr_server_store(tsr_server *srv) { return srv->store; }
tsr_store_conn *tsr_server_reader(tsr_server *srv) { return srv->reader; }
const tsr_keypair *tsr_server_node_key(const tsr_server *srv) { return &srv->node_key; }
const char *tsr_server_node_id(const tsr_server *srv) { return srv->cfg->node_id; }

void tsr_server_set_session_resolver(tsr_server *srv, tsr_session_resolve_fn fn, void *arg)
{
    srv->resolver = fn;
    srv->resolver_arg = arg;
}

void tsr_server_set_wallet_hooks(tsr_server *srv, const tsr_wallet_hooks *hooks)
{
    srv->has_wallet = hooks != NULL;
    if (hooks)
        srv->wallet = *hooks;
}

void tsr_server_set_pending_hooks(tsr_server *srv, const tsr_pending_hooks *hooks)
{
    memset(&srv->pending, 0, sizeof srv->pending);
    if (hooks)
        srv->pending = *hooks;
}

const tsr_wallet_hooks *tsr_server_wallet_hooks(const tsr_server *srv)
{
    return srv->has_wallet ? &srv->wallet : NULL;
}

tsr_status tsr_server_set_module_state(tsr_server *srv, const char *name, void *state)
{
    if (tsr_server_module_state(srv, name))
        return TSR_ERR_EXISTS;
    if (srv->n_modules == TSR_SERVER_MODULES_MAX)
        return TSR_ERR_TOO_LARGE;
    srv->module_names[srv->n_modules] = name;
    srv->module_states[srv->n_modules++] = state;
    return TSR_OK;
}

void *tsr_server_module_state(const tsr_server *srv, const char *name)
{
    for (size_t i = 0; i < srv->n_modules; i++)
        if (strcmp(srv->module_names[i], name) == 0)
            return srv->module_states[i];
    return NULL;
}

/* From a CoAP request to a handler: path, method, body limits, caller. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "server_int.h"
#include "tessera/log.h"

static tsr_method method_of(coap_pdu_code_t code)
{
    switch (code) {
    case COAP_REQUEST_CODE_GET: return TSR_GET;
    case COAP_REQUEST_CODE_POST: return TSR_POST;
    case COAP_REQUEST_CODE_PUT: return TSR_PUT;
    case COAP_REQUEST_CODE_DELETE: return TSR_DELETE;
    default: return 0;
    }
}

static bool peer_is_loopback(coap_session_t *sess)
{
    const coap_address_t *a = coap_session_get_addr_remote(sess);
    if (!a)
        return false;
    if (a->addr.sa.sa_family == AF_INET)
        return (ntohl(a->addr.sin.sin_addr.s_addr) >> 24) == 127;
    if (a->addr.sa.sa_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&a->addr.sin6.sin6_addr);
    return false;
}

static bool terminal_known(const tsr_server *srv, const char *id)
{
    for (size_t i = 0; i < srv->n_psks; i++)
        if (strcmp(srv->psks[i].identity, id) == 0)
            return true;
    return false;
}

/* A terminal is proven by its DTLS PSK identity; on plain coap:// (allowed
 * by config for loopback tests and the demo only) by the `terminal=` query,
 * which must name a terminal of the PSK table. */
static tsr_status resolve_terminal(tsr_server *srv, exchange *x, tsr_request *req)
{
    const coap_bin_const_t *id = coap_session_get_psk_identity(x->sess);
    if (id && id->length > 0 && id->length < TSR_CALLER_ID_MAX) {
        req->caller.kind = TSR_CALLER_TERMINAL;
        memcpy(req->caller.terminal_id, id->s, id->length);
        req->caller.terminal_id[id->length] = '\0';
        return TSR_OK;
    }
    char term[TSR_CALLER_ID_MAX];
    tsr_status s = tsr_request_query(req, "terminal", term, sizeof term);
    if (s == TSR_ERR_NOT_FOUND)
        return TSR_OK;
    if (coap_session_get_proto(x->sess) != COAP_PROTO_UDP || !srv->cfg->allow_plain_coap ||
        s != TSR_OK || !terminal_known(srv, term))
        return TSR_ERR_UNAUTHENTICATED;
    req->caller.kind = TSR_CALLER_TERMINAL;
    memcpy(req->caller.terminal_id, term, sizeof term);
    return TSR_OK;
}

static tsr_status resolve_caller(tsr_server *srv, exchange *x, tsr_request *req)
{
    req->caller.loopback = peer_is_loopback(x->sess);
    tsr_status s = resolve_terminal(srv, x, req);
    if (s != TSR_OK)
        return s;
    char token[TSR_SESSION_TOKEN_MAX];
    s = tsr_request_query(req, "session", token, sizeof token);
    if (s == TSR_ERR_NOT_FOUND)
        return TSR_OK;
    if (s != TSR_OK || !srv->resolver)
        return TSR_ERR_UNAUTHENTICATED;
    tsr_caller c = req->caller;
    memcpy(c.session, token, sizeof token);
    if (c.kind == TSR_CALLER_ANON)
        c.kind = TSR_CALLER_PLAYER;
    s = srv->resolver(srv->resolver_arg, srv, token, &c);
    if (s == TSR_OK)
        req->caller = c;
    return s;
}

/* Refuses a caller the route does not admit; a loopback anonymous caller
 * becomes LOCAL where the route admits LOCAL (admin paths). */
static tsr_status check_auth(const tsr_route *r, tsr_caller *c)
{
    if (c->kind == TSR_CALLER_ANON && c->loopback && (r->auth & TSR_AUTH_LOCAL) &&
        !(r->auth & TSR_AUTH_ANON))
        c->kind = TSR_CALLER_LOCAL;
    if (r->auth & (1u << c->kind))
        return TSR_OK;
    return c->kind == TSR_CALLER_ANON ? TSR_ERR_UNAUTHENTICATED : TSR_ERR_FORBIDDEN_CALLER;
}

/* Body: block-wise uploads are refused (every body of the API fits in one
 * datagram), and so is anything above the route's limit. */
static tsr_status read_body(exchange *x, tsr_request *req, size_t limit)
{
    coap_opt_iterator_t it;
    if (coap_check_option(x->pdu, COAP_OPTION_BLOCK1, &it))
        return TSR_ERR_TOO_LARGE;
    size_t len = 0;
    const uint8_t *data = NULL;
    if (!coap_get_data(x->pdu, &len, &data))
        len = 0;
    if (len > limit)
        return TSR_ERR_TOO_LARGE;
    req->body = len ? data : NULL;
    req->body_len = len;
    return TSR_OK;
}

static void opt_observe(exchange *x, tsr_request *req)
{
    coap_opt_iterator_t it;
    req->observe = coap_check_option(x->pdu, COAP_OPTION_OBSERVE, &it) != NULL;
}

static void fail(tsr_server *srv, tsr_request *req, tsr_status st)
{
    srv->errors++;
    tsr_reply_error(req, st, NULL);
}

static tsr_status prepare_request(tsr_server *srv, exchange *x, tsr_request *req, char *path)
{
    req->method = method_of(coap_pdu_get_code(x->pdu));
    tsr_status s = read_body(x, req, TSR_SERVER_BODY_HARD_MAX);
    if (s != TSR_OK)
        return s;
    s = req->method ? tsr_server_find_route(srv, path, req) : TSR_ERR_METHOD;
    if (s != TSR_OK)
        return s;
    size_t limit = req->route->max_body ? req->route->max_body : TSR_SERVER_BODY_MAX;
    if (req->body_len > limit)
        return TSR_ERR_TOO_LARGE;
    s = resolve_caller(srv, x, req);
    return s == TSR_OK ? check_auth(req->route, &req->caller) : s;
}

void tsr_server_dispatch(tsr_server *srv, exchange *x)
{
    char path[TSR_ROUTE_SEGMENT_MAX * 2], shown[TSR_ROUTE_SEGMENT_MAX * 2 + 1];
    coap_string_t *p = coap_get_uri_path(x->pdu);
    size_t plen = p ? p->length : 0;
    tsr_request req = {.internal_ = x, .path = shown};
    srv->requests++;
    if (plen >= sizeof path) {
        coap_delete_string(p);
        fail(srv, &req, TSR_ERR_NOT_FOUND);
        return;
    }
    memcpy(path, p ? (const char *)p->s : "", plen);
    path[plen] = '\0';
    coap_delete_string(p);
    snprintf(shown, sizeof shown, "/%s", path);
    opt_observe(x, &req);
    tsr_status s = prepare_request(srv, x, &req, path);
    if (s != TSR_OK) {
        fail(srv, &req, s);
        return;
    }
    x->caller = &req.caller;
    if (!srv->guard || !srv->guard(srv->guard_arg, srv, &req)) /* nodefinish: rate, geo */
        req.route->handler(srv, &req);
    if (!x->replied) {
        tsr_log_error(srv->env->log, "handler_no_reply", "route=%s", req.route->pattern);
        fail(srv, &req, TSR_ERR_INTERNAL);
    }
}

/* libcoap plumbing: context, resources, endpoints, DTLS, the event loop and
 * the async (separate) replies of jobs. Everything here runs on the CoAP
 * thread except tsr_server_request_stop. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "node_int.h"
#include "server_int.h"
#include "tessera/log.h"

/* ---- replies in flight ------------------------------------------------------------ */

static size_t bucket_of(const coap_session_t *sess, const uint8_t *tok, size_t len)
{
    return (size_t)tsr_table_hash((uint64_t)(uintptr_t)sess, tok, len) &
           (TSR_SERVER_PENDING_BUCKETS - 1);
}

static pending_reply *pending_find(tsr_server *srv, const coap_session_t *sess,
                                   coap_bin_const_t tok)
{
    pending_reply *p = srv->reply_buckets[bucket_of(sess, tok.s, tok.length)];
    while (p && !(p->sess == sess && p->token_len == tok.length &&
                  memcmp(p->token, tok.s, tok.length) == 0))
        p = p->hnext;
    return p;
}

static void pending_unlink(tsr_server *srv, pending_reply *p)
{
    pending_reply **h = &srv->reply_buckets[bucket_of(p->sess, p->token, p->token_len)];
    while (*h != p)
        h = &(*h)->hnext;
    *h = p->hnext;
    if (p->prev)
        p->prev->next = p->next;
    else
        srv->replying = p->next;
    if (p->next)
        p->next->prev = p->prev;
    srv->n_replying--;
}

/* Back to the pool: the record is reused by the next request. */
static void pending_release(tsr_server *srv, pending_reply *p)
{
    coap_session_release(p->sess);
    coap_delete_pdu(p->request);
    memset(p, 0, sizeof *p);
    p->hnext = srv->reply_pool;
    srv->reply_pool = p;
}

static pending_reply *pending_new(tsr_server *srv, exchange *x, coap_bin_const_t tok)
{
    pending_reply *p = srv->reply_pool;
    if (p)
        srv->reply_pool = p->hnext;
    else if (!(p = calloc(1, sizeof *p)))
        return NULL;
    coap_opt_iterator_t it;
    if (coap_check_option(x->pdu, COAP_OPTION_BLOCK2, &it) &&
        !(p->request = coap_pdu_duplicate(x->pdu, x->sess, tok.length, tok.s, NULL))) {
        p->hnext = srv->reply_pool;
        srv->reply_pool = p;
        return NULL;
    }
    p->sess = coap_session_reference(x->sess);
    p->type = coap_pdu_get_type(x->pdu) == COAP_MESSAGE_CON ? COAP_MESSAGE_CON : COAP_MESSAGE_NON;
    memcpy(p->token, tok.s, tok.length);
    p->token_len = tok.length;
    return p;
}

/* Sends the separate reply of a finished job and retires the record. */
static void send_reply(tsr_server *srv, pending_reply *p)
{
    coap_pdu_t *resp = coap_new_pdu(p->type, 0, p->sess);
    if (resp && coap_add_token(resp, p->token_len, p->token)) {
        exchange x = {.sess = p->sess, .pdu = p->request, .resp = resp};
        tsr_server_reply_job(&x, p->job);
        if (coap_send(p->sess, resp) == COAP_INVALID_MID)
            tsr_log_debug(srv->env->log, "reply_not_sent", "job=%s", p->job->kind);
    } else {
        coap_delete_pdu(resp);
        tsr_log_warn(srv->env->log, "reply_nomem", "job=%s", p->job->kind);
    }
    tsr_job_free(p->job);
    pending_unlink(srv, p);
    pending_release(srv, p);
}

/* ---- the one CoAP handler ---------------------------------------------------------- */

static void on_request(coap_resource_t *res, coap_session_t *sess, const coap_pdu_t *pdu,
                       const coap_string_t *query, coap_pdu_t *resp)
{
    tsr_server *srv = coap_resource_get_userdata(res);
    /* A retransmission of a request whose job is in flight: its reply
     * comes when the job finishes (a CON gets the empty ACK now). */
    if (srv->n_replying && pending_find(srv, sess, coap_pdu_get_token(pdu)))
        return;
    exchange x = {.res = res, .sess = sess, .pdu = pdu, .resp = resp, .query = query};
    tsr_server_dispatch(srv, &x);
    json_decref(x.body_obj);
}

tsr_status tsr_server_track(tsr_server *srv, exchange *x, tsr_job *job)
{
    coap_bin_const_t tok = coap_pdu_get_token(x->pdu);
    if (tok.length > TSR_SERVER_TOKEN_MAX)
        return TSR_ERR_PROTO;
    pending_reply *p = pending_new(srv, x, tok);
    if (!p)
        return TSR_ERR_NOMEM;
    tsr_status s = tsr_writer_submit(srv->writer, job);
    if (s != TSR_OK) {
        pending_release(srv, p);
        return s;
    }
    job->internal_ = p;
    p->job = NULL;
    size_t b = bucket_of(p->sess, p->token, p->token_len);
    p->hnext = srv->reply_buckets[b];
    srv->reply_buckets[b] = p;
    p->next = srv->replying;
    if (p->next)
        p->next->prev = p;
    srv->replying = p;
    srv->n_replying++;
    x->replied = true; /* nothing now (a CON gets an empty ACK), the reply later */
    return TSR_OK;
}

/* Runs each finished job's done hook, then sends its reply. */
void tsr_server_complete(tsr_server *srv)
{
    uint64_t n;
    ssize_t r = read(srv->done_fd, &n, sizeof n);
    (void)r;
    tsr_job *j = tsr_writer_take_done(srv->writer);
    while (j) {
        tsr_job *next = j->next_;
        j->next_ = NULL;
        if (j->done)
            j->done(srv, j, j->status == TSR_OK);
        pending_reply *p = j->internal_;
        if (p) {
            p->job = j;
            send_reply(srv, p);
        } else {
            tsr_job_free(j); /* internal job: nobody to answer */
        }
        j = next;
    }
}

tsr_status tsr_server_submit_internal(tsr_server *srv, tsr_job *job)
{
    job->srv = srv;
    job->internal_ = NULL;
    job->route = job->kind;
    job->submitted_mono_ns = tsr_clock_mono_ns(srv->env->clock);
    tsr_status s = srv->stopping || !srv->writer ? TSR_ERR_SHUTTING_DOWN
                                                 : tsr_writer_submit(srv->writer, job);
    if (s != TSR_OK)
        tsr_job_free(job);
    return s;
}

tsr_status tsr_server_add_tick(tsr_server *srv, tsr_server_tick_fn fn, void *arg)
{
    if (srv->n_ticks == TSR_SERVER_TICKS_MAX)
        return TSR_ERR_TOO_LARGE;
    srv->ticks[srv->n_ticks].fn = fn;
    srv->ticks[srv->n_ticks++].arg = arg;
    return TSR_OK;
}

tsr_status tsr_server_add_group_hook(tsr_server *srv, tsr_server_group_fn fn, void *arg)
{
    if (srv->n_group_hooks == TSR_SERVER_GROUP_HOOKS_MAX)
        return TSR_ERR_TOO_LARGE;
    srv->group_hooks[srv->n_group_hooks].fn = fn;
    srv->group_hooks[srv->n_group_hooks++].arg = arg;
    return TSR_OK;
}

/* ---- resources ------------------------------------------------------------------ */

static void register_methods(coap_resource_t *r)
{
    coap_register_request_handler(r, COAP_REQUEST_GET, on_request);
    coap_register_request_handler(r, COAP_REQUEST_POST, on_request);
    coap_register_request_handler(r, COAP_REQUEST_PUT, on_request);
    coap_register_request_handler(r, COAP_REQUEST_DELETE, on_request);
}

static tsr_status add_observable(tsr_server *srv, const char *pattern)
{
    if (srv->n_observable == TSR_SERVER_OBSERVABLE_MAX)
        return TSR_ERR_TOO_LARGE;
    coap_str_const_t *uri = coap_new_str_const((const uint8_t *)pattern + 1, strlen(pattern) - 1);
    coap_resource_t *r = uri ? coap_resource_init(uri, COAP_RESOURCE_FLAGS_RELEASE_URI |
                                                           COAP_RESOURCE_FLAGS_NOTIFY_CON)
                             : NULL;
    if (!r)
        return TSR_ERR_NOMEM;
    register_methods(r);
    coap_resource_set_get_observable(r, 1);
    coap_resource_set_userdata(r, srv);
    coap_add_resource(srv->ctx, r);
    snprintf(srv->observable[srv->n_observable].path, TSR_ROUTE_SEGMENT_MAX, "%s", pattern);
    srv->observable[srv->n_observable++].res = r;
    return TSR_OK;
}

tsr_status tsr_server_add_resources(tsr_server *srv)
{
    srv->unknown = coap_resource_unknown_init2(on_request, 0);
    if (!srv->unknown)
        return TSR_ERR_NOMEM;
    register_methods(srv->unknown);
    coap_resource_set_userdata(srv->unknown, srv);
    coap_add_resource(srv->ctx, srv->unknown);
    for (size_t i = 0; i < srv->n_routes; i++) {
        if (!srv->routes[i].r.observable)
            continue;
        tsr_status s = add_observable(srv, srv->routes[i].r.pattern);
        if (s != TSR_OK)
            return s;
    }
    return TSR_OK;
}

tsr_status tsr_server_notify(tsr_server *srv, const char *path)
{
    for (size_t i = 0; i < srv->n_observable; i++) {
        if (strcmp(srv->observable[i].path, path) == 0) {
            coap_resource_notify_observers(srv->observable[i].res, NULL);
            return TSR_OK;
        }
    }
    return TSR_ERR_NOT_FOUND;
}

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

#include "server_int.h"
#include "tessera/log.h"

/* ---- the one CoAP handler ---------------------------------------------------------- */

static void finish_async(tsr_server *srv, exchange *x, coap_async_t *a)
{
    pending_reply *p = coap_async_get_app_data(a);
    if (!p || !p->job)
        return; /* not ready: libcoap only re-runs a triggered async */
    tsr_server_reply_job(x, p->job);
    tsr_job_free(p->job);
    if (p->prev)
        p->prev->next = p->next;
    else
        srv->replying = p->next;
    if (p->next)
        p->next->prev = p->prev;
    srv->n_replying--;
    coap_async_set_app_data(a, NULL);
    free(p);
}

static void on_request(coap_resource_t *res, coap_session_t *sess, const coap_pdu_t *pdu,
                       const coap_string_t *query, coap_pdu_t *resp)
{
    tsr_server *srv = coap_resource_get_userdata(res);
    exchange x = {.res = res, .sess = sess, .pdu = pdu, .resp = resp, .query = query};
    coap_async_t *a = coap_find_async(sess, coap_pdu_get_token(pdu));
    if (a) {
        finish_async(srv, &x, a);
        return;
    }
    tsr_server_dispatch(srv, &x);
}

tsr_status tsr_server_track(tsr_server *srv, exchange *x, tsr_job *job)
{
    pending_reply *p = calloc(1, sizeof *p);
    if (!p)
        return TSR_ERR_NOMEM;
    p->async = coap_register_async(x->sess, x->pdu, 0);
    if (!p->async) {
        free(p);
        return TSR_ERR_NOMEM;
    }
    tsr_status s = tsr_writer_submit(srv->writer, job);
    if (s != TSR_OK) {
        coap_free_async(x->sess, p->async);
        free(p);
        return s;
    }
    job->internal_ = p;
    coap_async_set_app_data(p->async, p);
    p->next = srv->replying;
    if (p->next)
        p->next->prev = p;
    srv->replying = p;
    srv->n_replying++;
    x->replied = true; /* an empty ACK now, the separate reply later */
    return TSR_OK;
}

/* Runs each finished job's done hook, then lets libcoap re-run the
 * request so the handler answers it (finish_async). */
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
            coap_async_trigger(p->async);
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

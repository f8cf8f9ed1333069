/* The CoAP thread's loop, the drain on stop, and teardown. */
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <unistd.h>

#include "server_int.h"
#include "tessera/log.h"

/* Loop wake-up when libcoap has no timer due: stop requests and completions
 * come through eventfds, so this only bounds housekeeping latency. */
#define LOOP_IDLE_MS 1000

static bool handle_fd(tsr_server *srv, int fd)
{
    if (fd == srv->done_fd)
        tsr_server_complete(srv);
    return fd == srv->stop_fd;
}

static void run_ticks(tsr_server *srv)
{
    int64_t now = tsr_clock_mono_ns(srv->env->clock);
    if (now - srv->last_tick_mono_ns < TSR_SERVER_TICK_MS * TSR_NS_PER_MS)
        return;
    srv->last_tick_mono_ns = now;
    for (size_t i = 0; i < srv->n_ticks; i++)
        srv->ticks[i].fn(srv, srv->ticks[i].arg);
}

static unsigned next_wait_ms(tsr_server *srv)
{
    coap_tick_t now;
    coap_ticks(&now);
    unsigned t = coap_io_prepare_epoll(srv->ctx, now);
    unsigned cap = srv->n_ticks ? TSR_SERVER_TICK_MS : LOOP_IDLE_MS;
    return t == 0 || t > cap ? cap : t;
}

static tsr_status loop_epoll(tsr_server *srv, int coap_fd)
{
    srv->ep_fd = epoll_create1(EPOLL_CLOEXEC);
    if (srv->ep_fd < 0)
        return TSR_ERR_IO;
    int fds[3] = {coap_fd, srv->done_fd, srv->stop_fd};
    for (int i = 0; i < 3; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};
        if (epoll_ctl(srv->ep_fd, EPOLL_CTL_ADD, fds[i], &ev) != 0)
            return TSR_ERR_IO;
    }
    bool stop = false;
    while (!stop) {
        struct epoll_event evs[4];
        int n = epoll_wait(srv->ep_fd, evs, 4, (int)next_wait_ms(srv));
        for (int i = 0; i < n; i++)
            stop |= handle_fd(srv, evs[i].data.fd);
        coap_io_process(srv->ctx, COAP_IO_NO_WAIT);
        run_ticks(srv);
    }
    return TSR_OK;
}

/* For a libcoap built without epoll: select through libcoap. */
static tsr_status loop_select(tsr_server *srv)
{
    bool stop = false;
    int nfds = (srv->done_fd > srv->stop_fd ? srv->done_fd : srv->stop_fd) + 1;
    while (!stop) {
        fd_set rd;
        FD_ZERO(&rd);
        FD_SET(srv->done_fd, &rd);
        FD_SET(srv->stop_fd, &rd);
        int r = coap_io_process_with_fds(srv->ctx, TSR_SERVER_TICK_MS, nfds, &rd, NULL, NULL);
        run_ticks(srv);
        if (r < 0)
            continue;
        if (FD_ISSET(srv->done_fd, &rd))
            handle_fd(srv, srv->done_fd);
        if (FD_ISSET(srv->stop_fd, &rd))
            stop = true;
    }
    return TSR_OK;
}

/* After a stop: new writes get 5.03, queued jobs finish and are answered. */
static void drain(tsr_server *srv)
{
    srv->stopping = true;
    tsr_writer_stop(srv->writer);
    uint64_t one = 1;
    ssize_t r = write(srv->done_fd, &one, sizeof one);
    (void)r;
    tsr_server_complete(srv);
    /* Rounds of at most 10 ms each, counted rather than timed: a test
     * clock may stand still. */
    for (int rounds = 0; rounds < TSR_SERVER_DRAIN_MS / 10; rounds++) {
        if (srv->n_replying == 0 && rounds >= 3)
            break;
        coap_io_process(srv->ctx, 10);
    }
    uint64_t groups, jobs;
    tsr_writer_stats(srv->writer, &groups, &jobs);
    tsr_log_info(srv->env->log, "drained", "unanswered=%zu groups=%llu jobs=%llu requests=%llu",
                 srv->n_replying, (unsigned long long)groups, (unsigned long long)jobs,
                 (unsigned long long)srv->requests);
}

tsr_status tsr_server_run(tsr_server *srv)
{
    int coap_fd = coap_context_get_coap_fd(srv->ctx);
    tsr_status s = coap_fd >= 0 ? loop_epoll(srv, coap_fd) : loop_select(srv);
    drain(srv);
    return s;
}

void tsr_server_request_stop(tsr_server *srv)
{
    uint64_t one = 1;
    ssize_t r = write(srv->stop_fd, &one, sizeof one);
    (void)r;
}

/* Replies never sent (their jobs were freed with the writer) and the pool
 * of reply records; before the context goes, as they hold sessions. */
static void free_replying(tsr_server *srv)
{
    pending_reply *p = srv->replying;
    while (p) {
        pending_reply *next = p->next;
        tsr_job_free(p->job);
        coap_session_release(p->sess);
        coap_delete_pdu(p->request);
        free(p);
        p = next;
    }
    srv->replying = NULL;
    while ((p = srv->reply_pool)) {
        srv->reply_pool = p->hnext;
        free(p);
    }
}

void tsr_server_destroy(tsr_server *srv)
{
    if (!srv)
        return;
    tsr_writer_destroy(srv->writer); /* frees jobs never completed */
    free_replying(srv);
    if (srv->ctx)
        coap_free_context(srv->ctx);
    tsr_store_reader_close(srv->reader);
    if (srv->ep_fd >= 0)
        close(srv->ep_fd);
    if (srv->done_fd >= 0)
        close(srv->done_fd);
    if (srv->stop_fd >= 0)
        close(srv->stop_fd);
    if (srv->psks)
        tsr_wipe(srv->psks, srv->n_psks * sizeof *srv->psks);
    tsr_wipe(&srv->node_key, sizeof srv->node_key);
    free(srv->psks);
    free(srv->routes);
    tsr_server_block_bodies_free(srv);
    free(srv);
}

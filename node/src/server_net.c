/* Server lifecycle: libcoap context, endpoints (plain and DTLS), socket
 * buffers, the event loop, drain and teardown. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server_int.h"
#include "tessera/log.h"
#include "tessera/udpbuf.h"

/* Highest descriptor scanned for the sockets libcoap opened (it has no API
 * to return them; SO_RCVBUF must be set on them, see DESIGN.md). */
#define FD_SCAN_MAX 4096
/* Idle sessions expire after this (libcoap's default of 300 s keeps dead
 * sessions that every coap_io_process walks). */
#define SESSION_IDLE_TIMEOUT_S 120

tsr_status tsr_server_create(tsr_server **out, const tsr_node_config *cfg, const tsr_env *env,
                             tsr_store *store, const tsr_keypair *key, const tsr_psk *psks,
                             size_t n_psks)
{
    tsr_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return TSR_ERR_NOMEM;
    srv->cfg = cfg;
    srv->env = env;
    srv->store = store;
    srv->node_key = *key;
    srv->ep_fd = srv->done_fd = srv->stop_fd = -1;
    srv->routes = calloc(TSR_SERVER_ROUTES_MAX, sizeof *srv->routes);
    srv->psks = calloc(n_psks ? n_psks : 1, sizeof *srv->psks);
    srv->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    srv->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!srv->routes || !srv->psks || srv->done_fd < 0 || srv->stop_fd < 0) {
        tsr_server_destroy(srv);
        return TSR_ERR_NOMEM;
    }
    if (n_psks)
        memcpy(srv->psks, psks, n_psks * sizeof *psks);
    srv->n_psks = n_psks;
    tsr_status s = tsr_store_reader_open(store, &srv->reader);
    if (s != TSR_OK) {
        tsr_server_destroy(srv);
        return s;
    }
    *out = srv;
    return TSR_OK;
}

/* ---- DTLS ---------------------------------------------------------------------- */

static const coap_bin_const_t *psk_for_identity(coap_bin_const_t *identity,
                                                coap_session_t *sess, void *arg)
{
    (void)sess;
    tsr_server *srv = arg;
    static coap_bin_const_t key; /* libcoap copies it before the next call */
    for (size_t i = 0; i < srv->n_psks; i++) {
        const char *id = srv->psks[i].identity;
        if (identity && strlen(id) == identity->length &&
            memcmp(id, identity->s, identity->length) == 0) {
            key.s = srv->psks[i].key;
            key.length = TSR_PSK_LEN;
            return &key;
        }
    }
    tsr_log_warn(srv->env->log, "dtls_unknown_identity", "len=%zu",
                 identity ? identity->length : 0);
    return NULL;
}

static tsr_status setup_psk(tsr_server *srv)
{
    coap_dtls_spsk_t spsk;
    memset(&spsk, 0, sizeof spsk);
    spsk.version = COAP_DTLS_SPSK_SETUP_VERSION;
    spsk.validate_id_call_back = psk_for_identity;
    spsk.id_call_back_arg = srv;
    spsk.psk_info.hint.s = (const uint8_t *)srv->cfg->node_id;
    spsk.psk_info.hint.length = strlen(srv->cfg->node_id);
    /* A default key that matches no terminal: identities are checked in
     * the callback, which returns each terminal's own key. */
    static const uint8_t no_key[TSR_PSK_LEN];
    spsk.psk_info.key.s = no_key;
    spsk.psk_info.key.length = sizeof no_key;
    return coap_context_set_psk2(srv->ctx, &spsk) ? TSR_OK : TSR_ERR_CONFIG;
}

static tsr_status setup_pki(tsr_server *srv)
{
    coap_dtls_pki_t pki;
    memset(&pki, 0, sizeof pki);
    pki.version = COAP_DTLS_PKI_SETUP_VERSION;
    pki.verify_peer_cert = 0; /* players authenticate with sessions, not certs */
    pki.pki_key.key_type = COAP_PKI_KEY_PEM;
    pki.pki_key.key.pem.public_cert = srv->cfg->cert_file;
    pki.pki_key.key.pem.private_key = srv->cfg->cert_key_file;
    return coap_context_set_pki(srv->ctx, &pki) ? TSR_OK : TSR_ERR_CONFIG;
}

/* ---- endpoints ----------------------------------------------------------------- */

static void udp_fds(bool *set)
{
    for (int fd = 0; fd < FD_SCAN_MAX; fd++) {
        int type = 0;
        socklen_t len = sizeof type;
        set[fd] = getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_DGRAM;
    }
}

/* The socket libcoap just opened (the UDP descriptor that is new since
 * `before`): sets its receive buffer and returns its bound port. */
static int tune_new_socket(tsr_server *srv, const bool *before)
{
    bool *after = calloc(FD_SCAN_MAX, sizeof *after);
    int port = 0;
    if (!after)
        return 0;
    udp_fds(after);
    for (int fd = 0; fd < FD_SCAN_MAX && !port; fd++) {
        if (!after[fd] || before[fd])
            continue;
        tsr_udp_set_rcvbuf(fd, (int)srv->cfg->rcvbuf_bytes);
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
            port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                                 : ((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    free(after);
    return port;
}

static tsr_status add_endpoint(tsr_server *srv, int port, coap_proto_t proto, int *bound)
{
    coap_address_t addr;
    coap_address_init(&addr);
    if (inet_pton(AF_INET, srv->cfg->listen_addr, &addr.addr.sin.sin_addr) == 1) {
        addr.addr.sin.sin_family = AF_INET;
        addr.addr.sin.sin_port = htons((uint16_t)port);
        addr.size = sizeof addr.addr.sin;
    } else {
        inet_pton(AF_INET6, srv->cfg->listen_addr, &addr.addr.sin6.sin6_addr);
        addr.addr.sin6.sin6_family = AF_INET6;
        addr.addr.sin6.sin6_port = htons((uint16_t)port);
        addr.size = sizeof addr.addr.sin6;
    }
    bool *before = calloc(FD_SCAN_MAX, sizeof *before);
    if (!before)
        return TSR_ERR_NOMEM;
    udp_fds(before);
    coap_endpoint_t *ep = coap_new_endpoint(srv->ctx, &addr, proto);
    *bound = ep ? tune_new_socket(srv, before) : 0;
    free(before);
    if (!ep) {
        tsr_log_error(srv->env->log, "listen_failed", "addr=%s port=%d proto=%s",
                      srv->cfg->listen_addr, port, proto == COAP_PROTO_DTLS ? "dtls" : "udp");
        return TSR_ERR_IO;
    }
    return TSR_OK;
}

static tsr_status setup_context(tsr_server *srv)
{
    coap_startup();
    srv->ctx = coap_new_context(NULL);
    if (!srv->ctx)
        return TSR_ERR_NOMEM;
    coap_context_set_max_idle_sessions(srv->ctx, (unsigned)srv->cfg->max_idle_sessions);
    coap_context_set_max_handshake_sessions(srv->ctx, (unsigned)srv->cfg->max_handshake_sessions);
    coap_context_set_session_timeout(srv->ctx, SESSION_IDLE_TIMEOUT_S);
    tsr_status s = TSR_OK;
    if (srv->cfg->coaps_port >= 0 && srv->n_psks)
        s = setup_psk(srv);
    if (s == TSR_OK && srv->cfg->coaps_port >= 0 && srv->cfg->cert_file[0])
        s = setup_pki(srv);
    return s;
}

/* The writer's before-commit step: every module's group hook. */
static tsr_status run_group_hooks(void *arg, tsr_store_txn *t)
{
    tsr_server *srv = arg;
    tsr_status s = TSR_OK;
    for (size_t i = 0; s == TSR_OK && i < srv->n_group_hooks; i++)
        s = srv->group_hooks[i].fn(srv->group_hooks[i].arg, t);
    return s;
}

static tsr_status start_writer(tsr_server *srv)
{
    tsr_writer_opts o = {
        .store = srv->store,
        .env = srv->env,
        .queue_max = (size_t)srv->cfg->queue_max,
        .group_max = (size_t)srv->cfg->group_commit_max,
        .auth_workers = (size_t)srv->cfg->auth_workers,
        .done_fd = srv->done_fd,
        .before_commit = run_group_hooks,
        .hook_arg = srv,
        .pending = srv->pending,
    };
    tsr_status s = tsr_store_checkpoint_in_background(srv->store);
    if ((s == TSR_OK || s == TSR_ERR_EXISTS) && srv->cfg->deferred_sync)
        s = tsr_store_defer_sync(srv->store);
    return s == TSR_OK || s == TSR_ERR_EXISTS ? tsr_writer_start(&srv->writer, &o) : s;
}

tsr_status tsr_server_listen(tsr_server *srv)
{
    tsr_status s = setup_context(srv);
    if (s == TSR_OK)
        s = tsr_server_add_resources(srv);
    if (s == TSR_OK && srv->cfg->allow_plain_coap)
        s = add_endpoint(srv, (int)srv->cfg->coap_port, COAP_PROTO_UDP, &srv->port_plain);
    if (s == TSR_OK && srv->cfg->coaps_port >= 0)
        s = add_endpoint(srv, (int)srv->cfg->coaps_port, COAP_PROTO_DTLS, &srv->port_dtls);
    if (s == TSR_OK)
        s = start_writer(srv);
    if (s == TSR_OK)
        tsr_log_info(srv->env->log, "listening", "addr=%s coap_port=%d coaps_port=%d routes=%zu",
                     srv->cfg->listen_addr, srv->port_plain, srv->port_dtls, srv->n_routes);
    return s;
}

/* tsr_node_*: open keys, store and server, register modules, run. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "server_int.h"
#include "sync_node.h"
#include "tessera/keys.h"
#include "tessera/log.h"
#include "tessera/node.h"

struct tsr_node {
    tsr_node_opts opts;
    tsr_node_module *modules; /* a copy: the caller's array may be short-lived */
    tsr_store *store;
    tsr_server *srv;
    pthread_t thread;
    bool threaded;
    tsr_status run_status;
};

/* ---- the core module ---------------------------------------------------------- */

tsr_core *tsr_core_of(const tsr_server *srv) { return tsr_server_module_state(srv, "core"); }

static tsr_status core_load_catalog(tsr_core *c)
{
    if (!c->cfg->catalog_file[0])
        return TSR_OK;
    char err[256] = "";
    tsr_status s = tsr_catalog_load_file(&c->catalog, c->cfg->catalog_file, err, sizeof err);
    if (s != TSR_OK)
        tsr_log_error(tsr_server_env(c->srv)->log, "catalog_refused", "file=%s status=%s why=\"%s\"",
                      c->cfg->catalog_file, tsr_status_name(s), err);
    return s;
}

static tsr_status core_pin_keys(tsr_core *c)
{
    tsr_status s = tsr_keyring_create(&c->authority);
    if (s == TSR_OK)
        s = tsr_keyring_add_file(c->authority, c->cfg->draw_authority_key, "draw-authority");
    if (s != TSR_OK)
        tsr_log_error(tsr_server_env(c->srv)->log, "pin_refused", "file=%s status=%s",
                      c->cfg->draw_authority_key, tsr_status_name(s));
    return s;
}

static tsr_status core_routes(tsr_server *srv)
{
    tsr_status s = tsr_tokens_routes(srv);
    if (s == TSR_OK)
        s = tsr_bets_routes(srv);
    if (s == TSR_OK)
        s = tsr_cancel_routes(srv);
    if (s == TSR_OK)
        s = tsr_draws_routes(srv);
    if (s == TSR_OK)
        s = tsr_health_routes(srv);
    return s;
}

static tsr_status core_init(tsr_server *srv, const json_t *section)
{
    (void)section;
    tsr_core *c = calloc(1, sizeof *c);
    if (!c)
        return TSR_ERR_NOMEM;
    c->srv = srv;
    c->cfg = tsr_server_config(srv);
    pthread_mutex_init(&c->mu, NULL);
    tsr_status s = tsr_server_set_module_state(srv, "core", c);
    if (s != TSR_OK) {
        free(c);
        return s;
    }
    if ((s = core_pin_keys(c)) != TSR_OK || (s = core_load_catalog(c)) != TSR_OK)
        return s;
    int64_t now = tsr_clock_now_ns(tsr_server_env(srv)->clock);
    if ((s = tsr_core_tokens_load(c, tsr_server_reader(srv), now)) != TSR_OK)
        return s;
    if ((s = core_routes(srv)) != TSR_OK)
        return s;
    return tsr_server_add_tick(srv, tsr_core_tick, c);
}

static void core_fini(tsr_server *srv)
{
    tsr_core *c = tsr_core_of(srv);
    if (!c)
        return;
    tsr_catalog_free(c->catalog);
    tsr_keyring_destroy(c->authority);
    tsr_receipts_free(&c->receipts);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

const tsr_node_module tsr_core_module = {"core", core_init, core_fini};

/* ---- keys ---------------------------------------------------------------------------- */

static tsr_status load_psks(const tsr_node_config *cfg, tsr_log *log, tsr_psk **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!cfg->psk_table[0])
        return TSR_OK;
    tsr_psk *psks = calloc(TSR_PSK_TABLE_MAX, sizeof *psks);
    if (!psks)
        return TSR_ERR_NOMEM;
    tsr_status s = tsr_psk_table_read(cfg->psk_table, psks, TSR_PSK_TABLE_MAX, n);
    if (s != TSR_OK) {
        tsr_log_error(log, "psk_table_refused", "file=%s status=%s why=\"%s\"", cfg->psk_table,
                      tsr_status_name(s), tsr_status_str(s));
        free(psks);
        return s;
    }
    *out = psks;
    return TSR_OK;
}

static tsr_status load_node_key(const tsr_node_config *cfg, tsr_log *log, tsr_keypair *kp)
{
    tsr_status s = tsr_key_read_secret(cfg->node_key, kp);
    if (s != TSR_OK)
        tsr_log_error(log, "node_key_refused", "file=%s status=%s why=\"%s\"", cfg->node_key,
                      tsr_status_name(s), tsr_status_str(s));
    return s;
}

/* ---- node lifecycle -------------------------------------------------------------------- */

static tsr_status init_modules(tsr_node *n)
{
    const tsr_node_config *cfg = n->opts.config;
    tsr_status s = tsr_core_module.init(n->srv, NULL);
    for (size_t i = 0; s == TSR_OK && i < n->opts.n_modules; i++) {
        const tsr_node_module *m = &n->opts.modules[i];
        const json_t *section = strcmp(m->name, "accounts") == 0 ? cfg->accounts : NULL;
        if (strcmp(m->name, "edge") == 0) /* nodefinish */
            section = cfg->edge;
        s = m->init(n->srv, section);
        if (s != TSR_OK)
            tsr_log_error(n->opts.env->log, "module_init_failed", "module=%s status=%s", m->name,
                          tsr_status_name(s));
    }
    return s;
}

static tsr_status open_server(tsr_node *n)
{
    const tsr_node_config *cfg = n->opts.config;
    tsr_log *log = n->opts.env->log;
    tsr_keypair kp;
    tsr_psk *psks = NULL;
    size_t n_psks = 0;
    tsr_status s = load_node_key(cfg, log, &kp);
    if (s == TSR_OK)
        s = load_psks(cfg, log, &psks, &n_psks);
    if (s == TSR_OK)
        s = tsr_store_open(&n->store, cfg->db_path, log);
    if (s == TSR_OK)
        s = tsr_server_create(&n->srv, cfg, n->opts.env, n->store, &kp, psks, n_psks);
    if (psks)
        tsr_wipe(psks, TSR_PSK_TABLE_MAX * sizeof *psks);
    free(psks);
    tsr_wipe(&kp, sizeof kp);
    if (s == TSR_OK)
        s = init_modules(n);
    if (s == TSR_OK)
        s = tsr_server_listen(n->srv);
    return s;
}

static void warn_clock(const tsr_node_opts *o)
{
    if (strcmp(o->config->clock_mode, "system") != 0 || tsr_clock_is_test(o->env->clock))
        tsr_log_warn(o->env->log, "clock_not_system",
                     "mode=%s warning=\"NOT THE SYSTEM CLOCK: tests and demos only, never in "
                     "production\"",
                     tsr_clock_is_test(o->env->clock) ? "test" : o->config->clock_mode);
}

tsr_status tsr_node_open(tsr_node **out, const tsr_node_opts *opts)
{
    tsr_node *n = calloc(1, sizeof *n);
    if (!n)
        return TSR_ERR_NOMEM;
    n->opts = *opts;
    if (opts->n_modules) {
        n->modules = calloc(opts->n_modules, sizeof *n->modules);
        if (!n->modules) {
            free(n);
            return TSR_ERR_NOMEM;
        }
        memcpy(n->modules, opts->modules, opts->n_modules * sizeof *n->modules);
        n->opts.modules = n->modules;
    }
    warn_clock(opts);
    tsr_status s = open_server(n);
    if (s != TSR_OK) {
        tsr_log_error(opts->env->log, "node_start_failed", "status=%s why=\"%s\"",
                      tsr_status_name(s), tsr_status_str(s));
        tsr_node_stop(n);
        return s;
    }
    *out = n;
    return TSR_OK;
}

tsr_status tsr_node_run(tsr_node *n)
{
    tsr_status s = tsr_server_run(n->srv);
    tsr_log_info(n->opts.env->log, "node_stopped", "status=%s", tsr_status_name(s));
    return s;
}

static void *node_thread(void *arg)
{
    tsr_node *n = arg;
    n->run_status = tsr_node_run(n);
    return NULL;
}

tsr_status tsr_node_start(tsr_node **out, const tsr_node_opts *opts)
{
    tsr_node *n;
    tsr_status s = tsr_node_open(&n, opts);
    if (s != TSR_OK)
        return s;
    if (pthread_create(&n->thread, NULL, node_thread, n) != 0) {
        tsr_node_stop(n);
        return TSR_ERR_INTERNAL;
    }
    n->threaded = true;
    *out = n;
    return TSR_OK;
}

void tsr_node_request_stop(tsr_node *n)
{
    if (n && n->srv)
        tsr_server_request_stop(n->srv);
}

void tsr_node_stop(tsr_node *n)
{
    if (!n)
        return;
    if (n->threaded) {
        tsr_server_request_stop(n->srv);
        pthread_join(n->thread, NULL);
    }
    if (n->srv) {
        tsr_sync_stop(n->srv); /* nodesync: the relay thread waits on the writer; stop it first */
        tsr_writer_destroy(n->srv->writer);
        n->srv->writer = NULL;
        for (size_t i = n->opts.n_modules; i-- > 0;)
            if (n->opts.modules[i].fini)
                n->opts.modules[i].fini(n->srv);
        core_fini(n->srv);
    }
    tsr_server_destroy(n->srv);
    tsr_store_close(n->store);
    free(n->modules);
    free(n);
}

int tsr_node_port(const tsr_node *n, bool dtls) { return dtls ? n->srv->port_dtls : n->srv->port_plain; }

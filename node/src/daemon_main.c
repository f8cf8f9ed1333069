/* tsr_node_main: the body of `tessera-node --config FILE`. Reads the
 * config, builds the environment (clock per config, real RNG, logger),
 * logs the effective config, wires SIGTERM/SIGINT to a clean stop and runs
 * the node with every module of the daemon. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "daemon.h"
#include "edge.h" /* nodefinish */
#include "players_api.h"
#include "sync_node.h"
#include "tessera/node.h"

/* Modules other than the core, in init order. */
static const tsr_node_module *const daemon_modules[] = {&tsr_accounts_module,
                                                        &tsr_sync_module /* nodesync: relay */,
                                                        &tsr_edge_module /* nodefinish: geo, rate */};
#define DAEMON_N_MODULES (sizeof daemon_modules / sizeof daemon_modules[0])

/* The node the signal handler stops (tsr_node_request_stop is
 * async-signal-safe: one write to an eventfd). */
static tsr_node *g_node;

static void on_signal(int sig)
{
    (void)sig;
    if (g_node)
        tsr_node_request_stop(g_node);
}

static int usage(void)
{
    fprintf(stderr, "usage: tessera-node --config FILE\n");
    return EX_USAGE;
}

static tsr_status make_clock(const tsr_node_config *cfg, tsr_clock **out)
{
    if (strcmp(cfg->clock_mode, "offset") == 0)
        return tsr_clock_offset_create(out, cfg->clock_offset_ms * TSR_NS_PER_MS,
                                       cfg->clock_offset_error_ms * TSR_NS_PER_MS);
    return tsr_clock_real_create(out);
}

static int run(const tsr_node_config *cfg, tsr_env *env)
{
    size_t nf;
    const tsr_cfg_field *fields = tsr_node_config_fields(&nf);
    tsr_config_log(env->log, fields, nf, cfg);
    tsr_node_module mods[DAEMON_N_MODULES];
    for (size_t i = 0; i < DAEMON_N_MODULES; i++)
        mods[i] = *daemon_modules[i];
    tsr_node_opts o = {.config = cfg, .env = env, .modules = mods, .n_modules = DAEMON_N_MODULES};
    tsr_node *n;
    tsr_status s = tsr_node_open(&n, &o);
    if (s != TSR_OK) {
        fprintf(stderr, "tessera-node: %s (%s)\n", tsr_status_str(s), tsr_status_name(s));
        return tsr_status_exit_code(s);
    }
    g_node = n;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    s = tsr_node_run(n);
    g_node = NULL;
    tsr_node_stop(n);
    return tsr_status_exit_code(s);
}

static int start(const char *path)
{
    tsr_node_config cfg;
    char err[256] = "";
    tsr_status s = tsr_node_config_load(&cfg, path, err, sizeof err);
    if (s != TSR_OK) {
        fprintf(stderr, "tessera-node: %s: %s: %s\n", path, tsr_status_str(s), err);
        tsr_node_config_free(&cfg);
        return tsr_status_exit_code(s);
    }
    tsr_log_level lv = TSR_LOG_INFO;
    tsr_env env = {0};
    if ((s = tsr_log_level_parse(cfg.log_level, &lv)) == TSR_OK &&
        (s = make_clock(&cfg, &env.clock)) == TSR_OK && (s = tsr_rng_real_create(&env.rng)) == TSR_OK)
        s = tsr_log_create(&env.log, stderr, env.clock, "node", lv);
    int rc = s == TSR_OK ? run(&cfg, &env) : tsr_status_exit_code(s);
    if (s != TSR_OK)
        fprintf(stderr, "tessera-node: %s\n", tsr_status_str(s));
    tsr_log_destroy(env.log);
    tsr_rng_destroy(env.rng);
    tsr_clock_destroy(env.clock);
    tsr_node_config_free(&cfg);
    return rc;
}

int tsr_node_main(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "--config") != 0)
        return usage();
    return start(argv[2]);
}

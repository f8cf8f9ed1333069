/* tsr_central_main: the tessera-central program. `run` is the daemon (the
 * reconciler loop until SIGTERM); the other subcommands are the operator's
 * admin CLI, reading or writing the store beside a live central. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "central_int.h"
#include "cmain_int.h"
#include "tessera/day.h"

/* Longest wait between two attempts to reach NATS at startup. */
#define OPEN_RETRY_MAX_MS 2000

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: tessera-central run --config FILE\n"
            "       tessera-central status --config FILE [--json]\n"
            "       tessera-central alarms --config FILE [--json]\n"
            "       tessera-central exclude --config FILE --node N --game G --draw D --reason TEXT"
            " [--operator NAME]\n"
            "       tessera-central draw-add --config FILE --game G --draw D --cutoff-at-ns T\n"
            "       tessera-central draw-ready --config FILE --game G --draw D [--json]\n");
    return EX_USAGE;
}

/* Parses "--key value" pairs (and the flag --json) against allowed keys. */
static bool parse_opts(int argc, char **argv, const char *const *allowed, cli_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            a->json = true;
            continue;
        }
        bool ok = false;
        for (size_t k = 0; allowed[k] && !ok; k++)
            ok = strcmp(argv[i], allowed[k]) == 0;
        if (!ok || i + 1 >= argc || a->n == CLI_OPTS_MAX) {
            fprintf(stderr, "tessera-central: unknown or incomplete option '%s'\n", argv[i]);
            return false;
        }
        a->key[a->n] = argv[i] + 2;
        a->val[a->n++] = argv[++i];
    }
    return true;
}

const char *cli_opt(const cli_args *a, const char *key)
{
    for (int i = a->n - 1; i >= 0; i--)
        if (strcmp(a->key[i], key) == 0)
            return a->val[i];
    return NULL;
}

/* Reads the config named by --config; prints why it cannot. */
static int load_config(const cli_args *a, tsr_central_config *cfg)
{
    const char *path = cli_opt(a, "config");
    if (!path) {
        fprintf(stderr, "tessera-central: --config FILE is required\n");
        return EX_USAGE;
    }
    char err[256] = "";
    tsr_status s = tsr_central_config_load(cfg, path, err, sizeof err);
    if (s != TSR_OK) {
        fprintf(stderr, "tessera-central: %s: %s: %s\n", path, tsr_status_str(s), err);
        return tsr_status_exit_code(s);
    }
    return 0;
}

tsr_status cli_make_clock(const tsr_central_config *cfg, tsr_clock **out)
{
    if (strcmp(cfg->clock_mode, "offset") == 0)
        return tsr_clock_offset_create(out, cfg->clock_offset_ms * TSR_NS_PER_MS,
                                       cfg->clock_offset_error_ms * TSR_NS_PER_MS);
    return tsr_clock_real_create(out);
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Opens central; while NATS is not there yet, keeps trying (a central
 * started before its broker waits for it) until stopped. */
static tsr_status open_central(tsr_central **c, const tsr_central_opts *o)
{
    int64_t delay = 100;
    for (;;) {
        tsr_status s = tsr_central_open(c, o);
        if (s == TSR_OK || tsr_status_class_of(s) != TSR_CLASS_UNAVAILABLE)
            return s;
        tsr_log_warn(o->env->log, "nats_unavailable", "url=%s status=%s retry_ms=%lld",
                     o->nats_url, tsr_status_name(s), (long long)delay);
        for (int64_t waited = 0; waited < delay && !g_stop; waited += 50)
            sleep_ms(50);
        if (g_stop)
            return s;
        delay = delay * 2 > OPEN_RETRY_MAX_MS ? OPEN_RETRY_MAX_MS : delay * 2;
    }
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* The keys of the daemon: central's (receipts) and the draw authority's
 * (beacons), read from their 0600 files. */
typedef struct run_keys {
    tsr_keypair central, authority;
    bool has_authority;
    const char **names;
    size_t n;
    tsr_keyring *nodes;
} run_keys;

static tsr_status load_keys(const tsr_central_config *cfg, run_keys *k)
{
    char err[256] = "";
    tsr_status s = tsr_key_read_secret(cfg->central_key, &k->central);
    if (s != TSR_OK) {
        fprintf(stderr, "tessera-central: central_key '%s': %s\n", cfg->central_key,
                tsr_status_str(s));
        return s;
    }
    if (cfg->draw_authority_key[0]) {
        s = tsr_key_read_secret(cfg->draw_authority_key, &k->authority);
        if (s != TSR_OK) {
            fprintf(stderr, "tessera-central: draw_authority_key '%s': %s\n",
                    cfg->draw_authority_key, tsr_status_str(s));
            return s;
        }
        k->has_authority = true;
    }
    s = tsr_central_config_nodes(cfg, &k->names, &k->n, &k->nodes, err, sizeof err);
    if (s != TSR_OK)
        fprintf(stderr, "tessera-central: %s: %s\n", err, tsr_status_str(s));
    return s;
}

static void free_keys(run_keys *k)
{
    tsr_wipe(&k->central, sizeof k->central);
    tsr_wipe(&k->authority, sizeof k->authority);
    free(k->names);
    tsr_keyring_destroy(k->nodes);
}

static tsr_status run_loop(const tsr_central_config *cfg, const run_keys *k, const tsr_env *env)
{
    tsr_central_opts o = {.name = cfg->central_id, .nats_url = cfg->nats_url,
                          .db_path = cfg->db_path, .receipt_key = &k->central,
                          .beacon_key = k->has_authority ? &k->authority : NULL,
                          .node_keys = k->nodes, .nodes = k->names, .n_nodes = k->n,
                          .replicas = (int)cfg->replicas,
                          .receipt_interval_ms = cfg->receipt_interval_ms,
                          .beacon_interval_ms = cfg->beacon_interval_ms,
                          .replay_grace_ms = cfg->replay_grace_ms,
                          .replay_interval_ms = cfg->replay_interval_ms,
                          .seal_grace_ms = cfg->seal_grace_ms,
                          .status_stale_ms = cfg->status_stale_ms, .env = env};
    tsr_central *c = NULL;
    tsr_status s = open_central(&c, &o);
    if (s != TSR_OK) {
        if (!g_stop)
            fprintf(stderr, "tessera-central: %s (%s)\n", tsr_status_str(s), tsr_status_name(s));
        return g_stop ? TSR_OK : s;
    }
    tsr_log_info(env->log, "central_started", "nodes=%zu db=%s", k->n, cfg->db_path);
    s = tsr_central_run(c, &g_stop);
    tsr_central_close(c);
    tsr_log_info(env->log, "central_stopped", "status=%s", tsr_status_name(s));
    if (s != TSR_OK)
        fprintf(stderr, "tessera-central: %s (%s)\n", tsr_status_str(s), tsr_status_name(s));
    return s;
}

static int cmd_run(const tsr_central_config *cfg)
{
    tsr_env env = {0};
    tsr_log_level lv = TSR_LOG_INFO;
    run_keys k = {0};
    tsr_status s = tsr_log_level_parse(cfg->log_level, &lv);
    if (s == TSR_OK)
        s = cli_make_clock(cfg, &env.clock);
    if (s == TSR_OK)
        s = tsr_rng_real_create(&env.rng);
    if (s == TSR_OK)
        s = tsr_log_create(&env.log, stderr, env.clock, cfg->central_id, lv);
    if (s == TSR_OK) {
        size_t nf;
        const tsr_cfg_field *f = tsr_central_config_fields(&nf);
        tsr_config_log(env.log, f, nf, cfg);
        if (strcmp(cfg->clock_mode, "offset") == 0)
            tsr_log_warn(env.log, "clock_offset_in_use",
                         "offset_ms=%lld: for tests and the demo only, never production",
                         (long long)cfg->clock_offset_ms);
        s = load_keys(cfg, &k);
    }
    if (s == TSR_OK) {
        install_signals();
        s = run_loop(cfg, &k, &env);
    }
    free_keys(&k);
    tsr_log_destroy(env.log);
    tsr_rng_destroy(env.rng);
    tsr_clock_destroy(env.clock);
    return tsr_status_exit_code(s);
}

typedef int (*cli_fn)(const tsr_central_config *cfg, const cli_args *a);

static int with_config(int argc, char **argv, const char *const *allowed, cli_fn fn)
{
    cli_args a;
    if (!parse_opts(argc, argv, allowed, &a))
        return usage();
    tsr_central_config cfg;
    memset(&cfg, 0, sizeof cfg); /* freed below even when never loaded */
    int rc = load_config(&a, &cfg);
    if (rc == 0)
        rc = fn(&cfg, &a);
    tsr_central_config_free(&cfg);
    return rc;
}

static int run_fn(const tsr_central_config *cfg, const cli_args *a)
{
    (void)a;
    return cmd_run(cfg);
}

int tsr_central_main(int argc, char **argv)
{
    static const char *const only_config[] = {"--config", NULL};
    static const char *const exclude[] = {"--config", "--node", "--game", "--draw",
                                          "--reason", "--operator", NULL};
    static const char *const draw[] = {"--config", "--game", "--draw", NULL};
    static const char *const draw_add[] = {"--config", "--game", "--draw", "--cutoff-at-ns", NULL};
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0)
        return with_config(argc, argv, only_config, run_fn);
    if (strcmp(cmd, "status") == 0)
        return with_config(argc, argv, only_config, cli_status);
    if (strcmp(cmd, "alarms") == 0)
        return with_config(argc, argv, only_config, cli_alarms);
    if (strcmp(cmd, "exclude") == 0)
        return with_config(argc, argv, exclude, cli_exclude);
    if (strcmp(cmd, "draw-add") == 0)
        return with_config(argc, argv, draw_add, cli_draw_add);
    if (strcmp(cmd, "draw-ready") == 0)
        return with_config(argc, argv, draw, cli_draw_ready);
    /* day: the draw lifecycle's commands (draw <verb>, claim, day) live in day_cli.c */
    if (strcmp(cmd, "draw") == 0 || strcmp(cmd, "claim") == 0 || strcmp(cmd, "day") == 0)
        return tsr_day_cli_main(argc, argv);
    fprintf(stderr, "tessera-central: unknown command '%s'\n", cmd);
    return usage();
}

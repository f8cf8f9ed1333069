/* tsr_day_cli_main: the lifecycle's commands of tessera-central (day.h):
 * `draw <verb>`, `claim`, and `day` (the daemon: reconciler loop with the
 * lifecycle stepped between central steps). tsr_central_main dispatches
 * these three names here. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "day_int.h"

/* Witness directories one deployment lists. */
#define DAY_WITNESS_DIRS_MAX TSR_WITNESS_MAX
/* Options of one command line. */
#define DAY_OPTS_MAX 12
/* The daemon steps the lifecycle this often (it is cheap, but reads the
 * store): once a second keeps a cutoff's transition within a second. */
#define DAY_STEP_INTERVAL_MS 1000

typedef struct day_args {
    const char *key[DAY_OPTS_MAX], *val[DAY_OPTS_MAX];
    int n;
    bool json;
} day_args;

static volatile sig_atomic_t day_stop;

static void on_stop(int sig)
{
    (void)sig;
    day_stop = 1;
}

static const char *opt(const day_args *a, const char *k)
{
    for (int i = a->n - 1; i >= 0; i--)
        if (strcmp(a->key[i], k) == 0)
            return a->val[i];
    return NULL;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: tessera-central draw open|close|run|settle|payout|status|cancel --config FILE"
            " --day DAYFILE --game G --draw N [--json] [--operator NAME --reason TEXT]\n"
            "       tessera-central claim --config FILE --payout-id HEX --id-document TEXT"
            " --paid-by NAME\n"
            "       tessera-central day --config FILE --day DAYFILE\n");
    return EX_USAGE;
}

static bool parse(int argc, char **argv, int from, day_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = from; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            a->json = true;
            continue;
        }
        if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc || a->n == DAY_OPTS_MAX) {
            fprintf(stderr, "tessera-central: unknown or incomplete option '%s'\n", argv[i]);
            return false;
        }
        a->key[a->n] = argv[i] + 2;
        a->val[a->n++] = argv[++i];
    }
    return true;
}

static int fail(tsr_status st, const char *what)
{
    fprintf(stderr, "tessera-central: %s%s%s (%s)\n", what ? what : "", what ? ": " : "",
            tsr_status_str(st), tsr_status_name(st));
    return tsr_status_exit_code(st);
}

/* ---- the day file ------------------------------------------------------------ */

typedef struct day_file {
    json_t *j;
    const char *catalog, *out_dir, *witness_bin;
    const char *dirs[DAY_WITNESS_DIRS_MAX];
    const char *games[TSR_CATALOG_GAMES_MAX];
    size_t n_dirs, n_games;
    int64_t open_lead_ms;
    bool manual;
} day_file;

static tsr_status str_list(const json_t *a, const char **out, size_t cap, size_t *n)
{
    if (!a)
        return TSR_OK;
    if (!json_is_array(a))
        return TSR_ERR_CONFIG_TYPE;
    if (json_array_size(a) > cap)
        return TSR_ERR_CONFIG_RANGE;
    for (*n = 0; *n < json_array_size(a); (*n)++)
        if (!(out[*n] = json_string_value(json_array_get(a, *n))))
            return TSR_ERR_CONFIG_TYPE;
    return TSR_OK;
}

/* Reads DAYFILE strictly: known keys only, each of its type. */
static tsr_status day_file_load(const char *path, day_file *f, char *err, size_t errlen)
{
    static const char *const keys[] = {"catalog", "out_dir", "witness_bin", "witness_dirs",
                                       "games", "open_lead_ms", "manual"};
    json_error_t je;
    memset(f, 0, sizeof *f);
    if (!path || !(f->j = json_load_file(path, JSON_REJECT_DUPLICATES, &je))) {
        snprintf(err, errlen, "%s: %s", path ? path : "--day FILE is required",
                 path ? je.text : "");
        return path ? TSR_ERR_CONFIG_TYPE : TSR_ERR_USAGE;
    }
    const char *k;
    json_t *v;
    json_object_foreach(f->j, k, v) {
        bool known = false;
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            known = known || strcmp(k, keys[i]) == 0;
        if (!known) {
            snprintf(err, errlen, "%s: unknown key '%s'", path, k);
            return TSR_ERR_CONFIG_UNKNOWN_KEY;
        }
    }
    f->catalog = json_string_value(json_object_get(f->j, "catalog"));
    f->out_dir = json_string_value(json_object_get(f->j, "out_dir"));
    f->witness_bin = json_string_value(json_object_get(f->j, "witness_bin"));
    f->open_lead_ms = json_integer_value(json_object_get(f->j, "open_lead_ms"));
    f->manual = json_is_true(json_object_get(f->j, "manual"));
    tsr_status st = str_list(json_object_get(f->j, "witness_dirs"), f->dirs, DAY_WITNESS_DIRS_MAX,
                             &f->n_dirs);
    st = st ? st : str_list(json_object_get(f->j, "games"), f->games, TSR_CATALOG_GAMES_MAX,
                            &f->n_games);
    if (st == TSR_OK && (!f->catalog || !f->out_dir || (f->n_dirs && !f->witness_bin)))
        st = TSR_ERR_CONFIG_TYPE;
    if (st != TSR_OK)
        snprintf(err, errlen, "%s: needs \"catalog\" and \"out_dir\" strings, \"witness_bin\" "
                 "with \"witness_dirs\", string lists, at most %d witnesses", path,
                 DAY_WITNESS_DIRS_MAX);
    return st;
}

/* ---- everything a command needs ----------------------------------------------- */

typedef struct day_ctx {
    tsr_central_config cfg;
    day_file file;
    tsr_catalog *cat;
    tsr_keypair central, authority;
    const char **names;
    size_t n_names;
    tsr_keyring *node_keys;
    tsr_day_witness_set wset;
    tsr_env env;
} day_ctx;

static void ctx_free(day_ctx *c)
{
    tsr_catalog_free(c->cat);
    json_decref(c->file.j);
    tsr_wipe(&c->central, sizeof c->central);
    tsr_wipe(&c->authority, sizeof c->authority);
    free(c->names);
    tsr_keyring_destroy(c->node_keys);
    tsr_clock_destroy(c->env.clock);
    tsr_rng_destroy(c->env.rng);
    tsr_log_destroy(c->env.log);
    tsr_central_config_free(&c->cfg);
}

static tsr_status ctx_clock(day_ctx *c)
{
    if (strcmp(c->cfg.clock_mode, "offset") == 0)
        return tsr_clock_offset_create(&c->env.clock, c->cfg.clock_offset_ms * TSR_NS_PER_MS,
                                       c->cfg.clock_offset_error_ms * TSR_NS_PER_MS);
    return tsr_clock_real_create(&c->env.clock);
}

/* Config, day file, catalogue, keys, clock and the real RNG. */
static tsr_status ctx_load(day_ctx *c, const day_args *a, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    const char *cfg = opt(a, "config");
    if (!cfg) {
        snprintf(err, errlen, "--config FILE is required");
        return TSR_ERR_USAGE;
    }
    tsr_status st = tsr_central_config_load(&c->cfg, cfg, err, errlen);
    st = st ? st : day_file_load(opt(a, "day"), &c->file, err, errlen);
    st = st ? st : tsr_catalog_load_file(&c->cat, c->file.catalog, err, errlen);
    if (st == TSR_OK && (st = tsr_key_read_secret(c->cfg.central_key, &c->central)) != TSR_OK)
        snprintf(err, errlen, "central_key %s", c->cfg.central_key);
    if (st == TSR_OK &&
        (st = tsr_key_read_secret(c->cfg.draw_authority_key, &c->authority)) != TSR_OK)
        snprintf(err, errlen, "draw_authority_key %s", c->cfg.draw_authority_key);
    st = st ? st : tsr_central_config_nodes(&c->cfg, &c->names, &c->n_names, &c->node_keys, err,
                                            errlen);
    st = st ? st : ctx_clock(c);
    st = st ? st : tsr_rng_real_create(&c->env.rng);
    st = st ? st : tsr_log_create(&c->env.log, stderr, c->env.clock, "day", TSR_LOG_INFO);
    c->wset = (tsr_day_witness_set){.bin = c->file.witness_bin, .dirs = c->file.dirs,
                                    .n = c->file.n_dirs};
    return st;
}

static tsr_status ctx_day(day_ctx *c, tsr_central *central, tsr_day **out)
{
    tsr_day_opts o = {.db_path = c->cfg.db_path, .central = central, .catalog = c->cat,
                      .authority_key = &c->authority, .central_key = &c->central,
                      .node_keys = c->node_keys, .out_dir = c->file.out_dir,
                      .games = c->file.n_games ? c->file.games : NULL, .n_games = c->file.n_games,
                      .open_lead_ms = c->file.open_lead_ms,
                      .seal_grace_ms = c->cfg.seal_grace_ms, .manual = c->file.manual,
                      .env = &c->env};
    tsr_day_witnesses(&o.witnesses, &c->wset);
    return tsr_day_open(out, &o);
}

/* ---- commands ------------------------------------------------------------------ */

static bool parse_draw_no(const char *v, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long n = v ? strtoul(v, &end, 10) : 0;
    if (!v || errno || *end || !*v || v[0] == '-' || n > UINT32_MAX)
        return false;
    *out = (uint32_t)n;
    return true;
}

static int print_status(const char *db, const char *game, uint32_t draw, bool as_json)
{
    json_t *j;
    tsr_status st = tsr_day_status_json(db, game, draw, &j);
    if (st != TSR_OK)
        return fail(st, db);
    if (as_json) {
        char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
        puts(s ? s : "{}");
        free(s);
    } else {
        size_t i;
        json_t *d;
        json_array_foreach(json_object_get(j, "draws"), i, d) {
            const char *w = json_string_value(json_object_get(d, "waiting"));
            printf("%-12s %6lld  %-10s%s  %s\n", json_string_value(json_object_get(d, "game")),
                   (long long)json_integer_value(json_object_get(d, "draw")),
                   json_string_value(json_object_get(d, "state")),
                   json_is_true(json_object_get(d, "cancelled")) ? " cancelled" : "",
                   w ? w : "");
        }
    }
    json_decref(j);
    return 0;
}

static int draw_verb(day_ctx *c, const char *verb, const char *game, uint32_t draw,
                     const day_args *a)
{
    static const struct { const char *verb; tsr_day_state to; } verbs[] = {
        {"open", TSR_DAY_OPEN},      {"close", TSR_DAY_CLOSED},   {"run", TSR_DAY_DRAWN},
        {"settle", TSR_DAY_SETTLED}, {"payout", TSR_DAY_PAID}};
    tsr_day *d;
    tsr_status st = ctx_day(c, NULL, &d);
    if (st != TSR_OK)
        return fail(st, c->cfg.db_path);
    char why[TSR_DAY_WHY_MAX] = "";
    if (strcmp(verb, "cancel") == 0) {
        st = tsr_day_cancel(d, game, draw, opt(a, "operator"), opt(a, "reason"));
    } else {
        size_t i = 0;
        while (i < sizeof verbs / sizeof verbs[0] && strcmp(verbs[i].verb, verb) != 0)
            i++;
        if (i == sizeof verbs / sizeof verbs[0]) {
            tsr_day_close(d);
            return usage();
        }
        /* The payout verb stores the messages; the running daemon publishes
         * them (this process has no NATS connection of its own). */
        st = tsr_day_advance(d, game, draw, verbs[i].to, why, sizeof why);
    }
    tsr_day_close(d);
    if (st != TSR_OK && st != TSR_ERR_DAY_WAITING)
        return fail(st, why[0] ? why : NULL);
    if (st == TSR_ERR_DAY_WAITING)
        fprintf(stderr, "tessera-central: waiting: %s\n", why);
    int rc = print_status(c->cfg.db_path, game, draw, a->json);
    return st == TSR_OK ? rc : tsr_status_exit_code(st);
}

static int cmd_draw(int argc, char **argv)
{
    day_args a;
    if (argc < 3 || !parse(argc, argv, 3, &a))
        return usage();
    const char *game = opt(&a, "game");
    uint32_t draw = 0;
    bool have_draw = parse_draw_no(opt(&a, "draw"), &draw);
    day_ctx c;
    char err[512] = "";
    if (strcmp(argv[2], "status") == 0) {
        tsr_central_config cfg;
        memset(&cfg, 0, sizeof cfg);
        tsr_status st = opt(&a, "config") ? tsr_central_config_load(&cfg, opt(&a, "config"), err,
                                                                    sizeof err)
                                          : TSR_ERR_USAGE;
        int rc = st == TSR_OK ? print_status(cfg.db_path, have_draw ? game : NULL, draw, a.json)
                              : fail(st, err);
        tsr_central_config_free(&cfg);
        return rc;
    }
    if (!game || !have_draw)
        return usage();
    tsr_status st = ctx_load(&c, &a, err, sizeof err);
    int rc = st == TSR_OK ? draw_verb(&c, argv[2], game, draw, &a) : fail(st, err);
    ctx_free(&c);
    return rc;
}

static int cmd_claim(int argc, char **argv)
{
    day_args a;
    if (!parse(argc, argv, 2, &a))
        return usage();
    uint8_t id[TSR_HASH_LEN];
    const char *hex = opt(&a, "payout-id");
    if (!hex || tsr_hex_decode(id, sizeof id, hex) != TSR_OK) {
        fprintf(stderr, "tessera-central: --payout-id needs 64 hex characters\n");
        return EX_USAGE;
    }
    tsr_central_config cfg;
    memset(&cfg, 0, sizeof cfg);
    char err[512] = "";
    tsr_status st = opt(&a, "config")
                        ? tsr_central_config_load(&cfg, opt(&a, "config"), err, sizeof err)
                        : TSR_ERR_USAGE;
    if (st != TSR_OK) {
        tsr_central_config_free(&cfg);
        return fail(st, err);
    }
    tsr_clock *clock = NULL;
    st = tsr_clock_real_create(&clock);
    st = st ? st : tsr_day_claim(cfg.db_path, id, opt(&a, "id-document"), opt(&a, "paid-by"),
                                 tsr_clock_now_ns(clock));
    tsr_clock_destroy(clock);
    tsr_central_config_free(&cfg);
    if (st != TSR_OK)
        return fail(st, hex);
    printf("claim recorded: payout %s\n", hex);
    return 0;
}

/* The daemon: central's loop with the lifecycle stepped once a second. */
static tsr_status day_loop(day_ctx *c)
{
    tsr_central_opts o = {.name = c->cfg.central_id, .nats_url = c->cfg.nats_url,
                          .db_path = c->cfg.db_path, .receipt_key = &c->central,
                          .beacon_key = &c->authority, .node_keys = c->node_keys,
                          .nodes = c->names, .n_nodes = c->n_names,
                          .replicas = (int)c->cfg.replicas,
                          .receipt_interval_ms = c->cfg.receipt_interval_ms,
                          .beacon_interval_ms = c->cfg.beacon_interval_ms,
                          .replay_grace_ms = c->cfg.replay_grace_ms,
                          .replay_interval_ms = c->cfg.replay_interval_ms,
                          .seal_grace_ms = c->cfg.seal_grace_ms,
                          .status_stale_ms = c->cfg.status_stale_ms, .env = &c->env};
    tsr_central *central = NULL;
    tsr_day *d = NULL;
    tsr_status st = tsr_central_open(&central, &o);
    st = st ? st : ctx_day(c, central, &d);
    int64_t last = 0;
    while (st == TSR_OK && !day_stop) {
        st = tsr_central_step(central, 100, NULL);
        int64_t now = tsr_clock_mono_ns(c->env.clock);
        if (st == TSR_OK && now - last >= DAY_STEP_INTERVAL_MS * TSR_NS_PER_MS) {
            last = now;
            tsr_status ds = tsr_day_step(d);
            if (ds != TSR_OK) /* publishing retries at the next pass */
                tsr_log_warn(c->env.log, "day_step", "status=%s", tsr_status_name(ds));
            if (ds == TSR_ERR_IO)
                st = ds;
        }
    }
    tsr_day_close(d);
    tsr_central_close(central);
    return st;
}

static int cmd_day(int argc, char **argv)
{
    day_args a;
    if (!parse(argc, argv, 2, &a))
        return usage();
    day_ctx c;
    char err[512] = "";
    tsr_status st = ctx_load(&c, &a, err, sizeof err);
    if (st != TSR_OK) {
        ctx_free(&c);
        return fail(st, err);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    st = day_loop(&c);
    ctx_free(&c);
    return st == TSR_OK ? 0 : fail(st, NULL);
}

int tsr_day_cli_main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    if (strcmp(argv[1], "draw") == 0)
        return cmd_draw(argc, argv);
    if (strcmp(argv[1], "claim") == 0)
        return cmd_claim(argc, argv);
    if (strcmp(argv[1], "day") == 0)
        return cmd_day(argc, argv);
    return usage();
}

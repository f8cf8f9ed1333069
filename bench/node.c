/*
 * bench-node: bets/s and latency percentiles of one tessera-node on this
 * machine, the load generator in the same machine (this process).
 *
 *   build/bin/bench-node [--seconds S] [--clients C] [--window W] [--rate R] [--dtls] [--con]
 *                        [--inline-sync] [--group N]
 *
 * It makes a throw-away deployment in a temp dir (keys, PSK table, the
 * preset catalogue, a cutoff token two hours ahead on an offset clock, a
 * funded terminal float), starts build/bin/tessera-node on it, runs C
 * client threads each keeping W quick-pick bets in flight for S seconds
 * (plain UDP, or DTLS-PSK with --dtls; NON requests unless --con), and
 * prints accepted bets/s and p50/p90/p99/max latency of accepted bets.
 * With --rate R the clients run open loop instead: R bets/s in all, each
 * sent at its scheduled time (W is then only a cap on bets in flight) and
 * its latency counted from that time, so a node that falls behind shows it
 * in the percentiles instead of slowing the load down.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../node/src/agents.h"
#include "../node/src/store.h"
#include "../tests/node/load_client.h"
#include "tessera/catalog.h"
#include "tessera/keys.h"
#include "tessera/token.h"

#define MAX_CLIENTS 16
/* Bets one client may send: far above what a run of a minute reaches. */
#define MAX_BETS_PER_CLIENT 4000000

typedef struct bench {
    char dir[128], cfg[256], log[256], bin[512];
    int port;
    bool dtls;
    bool inline_sync; /* --inline-sync: the node syncs in each COMMIT */
    int group_max;    /* --group N: group_commit_max (0: the node's default) */
    tsr_psk psks[MAX_CLIENTS];
} bench;

static void die(const char *what)
{
    fprintf(stderr, "bench-node: %s\n", what);
    exit(1);
}

static int64_t real_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * TSR_NS_PER_S + ts.tv_nsec;
}

static void make_keys(bench *b, tsr_keypair *authority)
{
    tsr_rng *rng;
    if (tsr_rng_real_create(&rng) != TSR_OK)
        die("rng");
    tsr_keypair node;
    tsr_keypair_generate(&node, rng);
    tsr_keypair_generate(authority, rng);
    char p[300];
    snprintf(p, sizeof p, "%s/node.key", b->dir);
    if (tsr_key_write_secret(p, &node) != TSR_OK)
        die("node key");
    snprintf(p, sizeof p, "%s/authority.pub", b->dir);
    if (tsr_key_write_public(p, authority->pk) != TSR_OK)
        die("authority key");
    for (int i = 0; i < MAX_CLIENTS; i++) {
        snprintf(b->psks[i].identity, sizeof b->psks[i].identity, "term-%d", i + 1);
        tsr_rng_bytes(rng, b->psks[i].key, TSR_PSK_LEN);
    }
    snprintf(p, sizeof p, "%s/psk.json", b->dir);
    if (tsr_psk_table_write(p, b->psks, MAX_CLIENTS) != TSR_OK)
        die("psk table");
    tsr_rng_destroy(rng);
}

/* A pick3 token for the draw whose cutoff is a day or so ahead; returns
 * the clock offset that puts "now" two hours before that cutoff. */
static int64_t make_token(bench *b, const char *catalog, const tsr_keypair *authority)
{
    tsr_catalog *cat;
    char err[256];
    if (tsr_catalog_load_file(&cat, catalog, err, sizeof err) != TSR_OK)
        die(err);
    tsr_cutoff_token t;
    memset(&t, 0, sizeof t);
    int64_t draw, now = real_now();
    if (tsr_catalog_next_draw(cat, "pick3", now + 24 * 3600 * TSR_NS_PER_S, &draw,
                              &t.sales_open_at_ns, &t.cutoff_at_ns, &t.results_at_ns) != TSR_OK)
        die("next draw");
    tsr_catalog_free(cat);
    snprintf(t.game, sizeof t.game, "pick3");
    t.draw = (uint32_t)draw;
    t.issued_at_ns = t.sales_open_at_ns;
    if (tsr_cutoff_token_sign(&t, authority) != TSR_OK)
        die("token");
    char p[300];
    snprintf(p, sizeof p, "%s/tokens", b->dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/tokens/pick3.json", b->dir);
    json_t *j = tsr_cutoff_token_to_json(&t);
    json_dump_file(j, p, 0);
    json_decref(j);
    return (t.cutoff_at_ns - 2 * 3600 * TSR_NS_PER_S - now) / TSR_NS_PER_MS;
}

static void fund_floats(bench *b)
{
    char p[300];
    snprintf(p, sizeof p, "%s/node.db", b->dir);
    tsr_store *st;
    if (tsr_store_open(&st, p, NULL) != TSR_OK)
        die("store");
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (tsr_agents_float_adjust(tsr_store_writer(st), b->psks[i].identity,
                                    INT64_C(1000000000000), "bench", real_now(), NULL) != TSR_OK)
            die("float");
    tsr_store_close(st);
}

/* BENCH_LOG_LEVEL, one of the node's level names (it goes into JSON). */
static const char *log_level(void)
{
    const char *l = getenv("BENCH_LOG_LEVEL");
    if (!l)
        return "info";
    if (strcmp(l, "debug") && strcmp(l, "info") && strcmp(l, "warn") && strcmp(l, "error"))
        die("BENCH_LOG_LEVEL: debug, info, warn or error");
    return l;
}

static void write_config(bench *b, const char *catalog, int64_t offset_ms)
{
    char group[48] = "";
    if (b->group_max > 0)
        snprintf(group, sizeof group, ",\"group_commit_max\":%d", b->group_max);
    FILE *f = fopen(b->cfg, "w");
    if (!f)
        die("config");
    fprintf(f,
            "{\"node_id\":\"bench\",\"db_path\":\"%s/node.db\",\"node_key\":\"%s/node.key\","
            "\"draw_authority_key\":\"%s/authority.pub\",\"psk_table\":\"%s/psk.json\","
            "\"catalog_file\":\"%s\",\"tokens_dir\":\"%s/tokens\",\"allow_plain_coap\":true,"
            "\"coap_port\":%d,\"coaps_port\":%d,\"clock\":\"offset\",\"clock_offset_ms\":%lld,"
            "\"log_level\":\"%s\",\"max_stake_cents\":100000000,\"deferred_sync\":%s%s}",
            b->dir, b->dir, b->dir, b->dir, catalog, b->dir, b->port, b->port + 1,
            (long long)offset_ms, log_level(),
            b->inline_sync ? "false" : "true", group);
    fclose(f);
}

/* Waits until the node's log says it listens (up to 60 s: under valgrind
 * start-up takes seconds), or dies if the node exited first. */
static void wait_listening(const bench *b, pid_t pid)
{
    char line[1024];
    for (int i = 0; i < 6000; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            die("the node exited at start (BENCH_KEEP_LOG=1 shows its log)");
        FILE *f = fopen(b->log, "r");
        bool up = false;
        while (f && !up && fgets(line, sizeof line, f))
            up = strstr(line, "listening") != NULL;
        if (f)
            fclose(f);
        if (up)
            return;
        usleep(10 * 1000);
    }
    die("the node did not start listening within 60 s");
}

static pid_t start_node(bench *b)
{
    pid_t pid = fork();
    if (pid == 0) {
        FILE *l = freopen(b->log, "a", stderr);
        (void)l;
        execl(b->bin, b->bin, "--config", b->cfg, (char *)NULL);
        _exit(127);
    }
    wait_listening(b, pid);
    return pid;
}

/* CPU seconds (user + system) the node process has used so far. */
static double node_cpu_s(pid_t pid)
{
    char p[64], buf[1024];
    snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(p, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *s = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    if (s && sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
        return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
    return 0;
}

typedef struct client {
    lc_state st;
    lc_opts o;
} client;

static void *client_main(void *p)
{
    client *c = p;
    if (!lc_run(&c->st, &c->o))
        fprintf(stderr, "bench-node: client %s could not connect\n", c->o.identity);
    return NULL;
}

static void report(client *cs, int n, double seconds, const char *mode)
{
    lc_state all;
    memset(&all, 0, sizeof all);
    uint64_t total = 0;
    for (int i = 0; i < n; i++)
        total += cs[i].st.n_lat;
    all.lat_ns = calloc(total ? total : 1, sizeof *all.lat_ns);
    uint64_t busy = 0, other = 0, unanswered = 0, window_full = 0;
    int64_t max_lag = 0;
    for (int i = 0; i < n; i++) {
        unanswered += cs[i].st.sent - cs[i].st.replied;
        window_full += cs[i].st.window_full;
        if (cs[i].st.max_lag_ns > max_lag)
            max_lag = cs[i].st.max_lag_ns;
        memcpy(all.lat_ns + all.n_lat, cs[i].st.lat_ns, cs[i].st.n_lat * sizeof *all.lat_ns);
        all.n_lat += cs[i].st.n_lat;
        busy += cs[i].st.busy;
        other += cs[i].st.other;
    }
    printf("mode=%s clients=%d window=%zu seconds=%.1f accepted=%llu busy=%llu other=%llu "
           "unanswered=%llu bets_per_s=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
           mode, n, cs[0].o.window, seconds, (unsigned long long)all.n_lat,
           (unsigned long long)busy, (unsigned long long)other, (unsigned long long)unanswered,
           (double)all.n_lat / seconds,
           lc_percentile_ms(&all, 50), lc_percentile_ms(&all, 90), lc_percentile_ms(&all, 99),
           lc_percentile_ms(&all, 100));
    if (cs[0].o.rate > 0)
        printf("open loop: offered %.0f/s, latency from each bet's scheduled send time; "
               "max send lag %.2f ms, sends held by the window cap %llu\n",
               cs[0].o.rate * n, (double)max_lag / 1e6, (unsigned long long)window_full);
    free(all.lat_ns);
}

static void run(bench *b, int clients, size_t window, int seconds, bool con, double rate)
{
    static client cs[MAX_CLIENTS];
    pthread_t th[MAX_CLIENTS];
    for (int i = 0; i < clients; i++) {
        cs[i].o = (lc_opts){.port = b->dtls ? b->port + 1 : b->port, .dtls = b->dtls,
                            .identity = b->psks[i].identity, .psk = b->psks[i].key,
                            .window = window, .max_requests = MAX_BETS_PER_CLIENT,
                            .duration_ms = seconds * 1000, .key_prefix = b->psks[i].identity,
                            .con = con, .rate = rate / clients};
        pthread_create(&th[i], NULL, client_main, &cs[i]);
    }
    int64_t start = lc_now_ns();
    for (int i = 0; i < clients; i++)
        pthread_join(th[i], NULL);
    double secs = (double)(lc_now_ns() - start) / 1e9;
    report(cs, clients, secs, b->dtls ? "dtls-psk" : "udp");
    for (int i = 0; i < clients; i++)
        lc_free(&cs[i].st);
}

/* A whole number >= 1 given as an option, or -1 (refused). */
static int whole(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    return *s && *end == '\0' && v >= 1 && v <= 1000000 ? (int)v : -1;
}

int main(int argc, char **argv)
{
    bench b;
    memset(&b, 0, sizeof b);
    int seconds = 10, clients = 1;
    size_t window = 256;
    bool con = false;
    double rate = 0;
    static const struct option opts[] = {{"seconds", 1, 0, 's'}, {"clients", 1, 0, 'c'},
                                         {"window", 1, 0, 'w'},  {"dtls", 0, 0, 'd'},
                                         {"con", 0, 0, 'C'},     {"rate", 1, 0, 'r'},
                                         {"inline-sync", 0, 0, 'I'},
                                         {"group", 1, 0, 'g'},
                                         {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (ch == 's') seconds = atoi(optarg);
        else if (ch == 'c') clients = atoi(optarg);
        else if (ch == 'w') window = (size_t)atol(optarg);
        else if (ch == 'd') b.dtls = true;
        else if (ch == 'C') con = true;
        else if (ch == 'r') rate = atof(optarg);
        else if (ch == 'I') b.inline_sync = true;
        else if (ch == 'g') b.group_max = whole(optarg);
        else return 2;
    }
    if (clients < 1 || clients > MAX_CLIENTS || seconds < 1 || window < 1 || rate < 0 ||
        b.group_max < 0)
        die("bad arguments");
    snprintf(b.dir, sizeof b.dir, "/tmp/tessera-bench-XXXXXX");
    if (!mkdtemp(b.dir))
        die("mkdtemp");
    const char *src = getenv("TSR_SOURCE_DIR") ? getenv("TSR_SOURCE_DIR") : ".";
    char catalog[512], self[512];
    snprintf(catalog, sizeof catalog, "%s/deploy/catalog/tessera.json", src);
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = '\0';
    snprintf(b.bin, sizeof b.bin, "%.*s/tessera-node", (int)(strrchr(self, '/') - self), self);
    snprintf(b.cfg, sizeof b.cfg, "%s/node.json", b.dir);
    snprintf(b.log, sizeof b.log, "%s/node.log", b.dir);
    b.port = 20000 + (int)(getpid() % 20000);
    tsr_keypair authority;
    make_keys(&b, &authority);
    int64_t offset = make_token(&b, catalog, &authority);
    fund_floats(&b);
    write_config(&b, catalog, offset);
    pid_t pid = start_node(&b);
    double cpu0 = node_cpu_s(pid);
    run(&b, clients, window, seconds, con, rate);
    printf("node_cpu_s=%.2f (user+system of tessera-node during the run)\n", node_cpu_s(pid) - cpu0);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    char cmd[600];
    if (getenv("BENCH_KEEP_LOG")) {
        snprintf(cmd, sizeof cmd, "cat '%s' >&2", b.log);
        if (system(cmd) != 0)
            fprintf(stderr, "bench-node: no node log\n");
    }
    if (getenv("BENCH_KEEP_DIR")) { /* e.g. to time ledger-check on the day's database */
        printf("kept: %s (node.db)\n", b.dir);
        return 0;
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", b.dir);
    return system(cmd) == 0 ? 0 : 1;
}

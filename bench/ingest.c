/* bench-ingest: central's ingestion rate from JetStream into its SQLite
 * store, and the time from the last seal to "draw ready".
 *
 *   bench-ingest [--tickets N] [--nodes K] [--dir DIR] [--nats-server PATH]
 *
 * Starts its own nats-server (JetStream, file storage) on a free loopback
 * port, pre-publishes N tickets of K nodes as signed batches of
 * TSR_BATCH_MAX_ENTRIES (what relays publish), then opens central and
 * times it until every node's contiguous sequence reaches its last ticket
 * (committed, synchronous=FULL). Then every node's seal is published and
 * central is stepped until tsr_central_draw_ready says ready. Keys come
 * from fixed seeds; the tickets are deterministic. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tessera/central.h"
#include "tessera/codec.h"
#include "tessera/merkle.h"
#include "tessera/transport.h"

/* Nodes the bench can simulate (each has its own key and subject). */
#define BENCH_NODES_MAX 16
/* Unacked async publishes while pre-loading the stream. */
#define BENCH_PENDING 256
#define BENCH_GAME "lotto"
#define BENCH_DRAW 1

typedef struct bench {
    long long tickets;
    int nodes;
    char dir[256], db[320], url[64];
    const char *nats_bin;
    bool debug; /* --log debug: central's per-transaction timings on stderr */
    pid_t nats;
    tsr_keypair central_kp, node_kp[BENCH_NODES_MAX];
    char names[BENCH_NODES_MAX][TSR_NAME_MAX];
    uint8_t seal[BENCH_NODES_MAX][512];
    size_t seal_len[BENCH_NODES_MAX];
    uint64_t per_node[BENCH_NODES_MAX];
} bench;

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of the calling thread, and of the whole process: on a shared
 * machine they say more than wall time about what ingestion costs. */
static double cpu_s(clockid_t which)
{
    struct timespec ts;
    clock_gettime(which, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, tsr_status s)
{
    fprintf(stderr, "bench-ingest: %s: %s (%s)\n", what, tsr_status_str(s), tsr_status_name(s));
    exit(1);
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        perror("bench-ingest: free port");
        exit(1);
    }
    close(fd);
    return ntohs(a.sin_port);
}

static void start_nats(bench *b)
{
    int port = free_port();
    char p[16], sd[300];
    snprintf(p, sizeof p, "%d", port);
    snprintf(sd, sizeof sd, "%s/nats", b->dir);
    snprintf(b->url, sizeof b->url, "nats://127.0.0.1:%d", port);
    fflush(stdout);
    b->nats = fork();
    if (b->nats == 0) {
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execl(b->nats_bin, b->nats_bin, "-js", "-a", "127.0.0.1", "-p", p, "-sd", sd, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100; i++) {
        tsr_js *js;
        tsr_js_opts o = {.url = b->url};
        if (tsr_js_connect(&js, &o) == TSR_OK) {
            tsr_js_close(js);
            return;
        }
        struct timespec ts = {0, 100000000L};
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "bench-ingest: nats-server (%s) did not start\n", b->nats_bin);
    exit(1);
}

static void seed_key(tsr_keypair *kp, uint8_t tag)
{
    uint8_t seed[TSR_SEED_LEN];
    memset(seed, tag, sizeof seed);
    tsr_keypair_from_seed(kp, seed);
}

static void make_ticket(tsr_ticket *t, const char *node, uint64_t seq)
{
    memset(t, 0, sizeof *t);
    snprintf(t->node, sizeof t->node, "%s", node);
    t->seq = seq;
    snprintf(t->game, sizeof t->game, BENCH_GAME);
    t->draw = BENCH_DRAW;
    t->channel = TSR_CHANNEL_ONLINE;
    t->bet_len = 6;
    for (int i = 0; i < 6; i++)
        t->bet[i] = (uint8_t)(1 + (seq * 7 + (uint64_t)i * 8) % 49);
    t->stake_cents = 200;
    t->accepted_at_ns = INT64_C(1795446000) * TSR_NS_PER_S + (int64_t)seq * 1000;
    snprintf(t->serial, sizeof t->serial, "S%llu", (unsigned long long)seq);
    t->check = (uint32_t)(seq * 7919u);
    char buf[64];
    snprintf(buf, sizeof buf, "%s/%llu", node, (unsigned long long)seq);
    uint8_t h[TSR_HASH_LEN];
    tsr_hash256(h, buf, strlen(buf));
    memcpy(t->id, h, sizeof t->id);
}

static void drain(tsr_js *js, bool wait_all)
{
    tsr_js_ack acks[64];
    do {
        size_t n = tsr_js_async_results(js, acks, 64);
        for (size_t i = 0; i < n; i++)
            if (acks[i].status != TSR_OK)
                die("publish", acks[i].status);
        if (n == 0 && wait_all && tsr_js_async_outstanding(js) > 0) {
            struct timespec ts = {0, 1000000L};
            nanosleep(&ts, NULL);
        }
    } while (wait_all && tsr_js_async_outstanding(js) > 0);
}

static void publish_async(tsr_js *js, const char *subject, const char *id, const void *d, size_t len)
{
    tsr_status s;
    while ((s = tsr_js_publish_async(js, subject, id, d, len)) == TSR_ERR_BUSY)
        drain(js, false);
    if (s != TSR_OK)
        die("publish_async", s);
}

/* Publishes node k's tickets as signed batches; builds its seal. */
static void publish_node(bench *b, tsr_js *js, int k, uint8_t *buf)
{
    char subject[TSR_SUBJECT_MAX], id[TSR_SUBJECT_MAX];
    tsr_status s = tsr_subject_node(TSR_SUBJ_TICKETS, b->names[k], subject, sizeof subject);
    tsr_batch_builder *bb;
    if (s == TSR_OK)
        s = tsr_batch_builder_create(&bb, b->names[k]);
    if (s != TSR_OK)
        die("builder", s);
    tsr_seal seal = {.draw = BENCH_DRAW, .first_seq = 1, .last_seq = b->per_node[k],
                     .sealed_at_ns = INT64_C(1795449600) * TSR_NS_PER_S};
    snprintf(seal.node, sizeof seal.node, "%s", b->names[k]);
    snprintf(seal.game, sizeof seal.game, BENCH_GAME);
    tsr_merkle_acc acc;
    tsr_merkle_acc_init(&acc);
    for (uint64_t first = 1; first <= b->per_node[k]; first += TSR_BATCH_MAX_ENTRIES) {
        uint64_t last = first + TSR_BATCH_MAX_ENTRIES - 1;
        if (last > b->per_node[k])
            last = b->per_node[k];
        tsr_batch_builder_reset(bb);
        for (uint64_t q = first; q <= last; q++) {
            tsr_ticket t;
            uint8_t leaf[TSR_HASH_LEN];
            make_ticket(&t, b->names[k], q);
            if ((s = tsr_batch_add_ticket(bb, &t)) != TSR_OK || (s = tsr_ticket_leaf(&t, leaf)))
                die("batch_add", s);
            tsr_merkle_acc_add(&acc, leaf);
            seal.count++;
            seal.stake_total_cents += t.stake_cents;
        }
        size_t len;
        if ((s = tsr_batch_finish(bb, &b->node_kp[k], buf, TSR_BATCH_MAX_BYTES, &len)) ||
            (s = tsr_batch_msg_id(b->names[k], first, last, id, sizeof id)))
            die("batch_finish", s);
        publish_async(js, subject, id, buf, len);
    }
    tsr_batch_builder_destroy(bb);
    tsr_merkle_acc_root(&acc, seal.merkle_root);
    if ((s = tsr_seal_sign(&seal, &b->node_kp[k], b->seal[k], sizeof b->seal[k], &b->seal_len[k])))
        die("seal_sign", s);
}

static void preload(bench *b)
{
    tsr_js *js;
    tsr_js_opts o = {.url = b->url, .name = "bench-publisher", .max_pending = BENCH_PENDING,
                     .timeout_ms = 30000};
    tsr_status s = tsr_js_connect(&js, &o);
    if (s == TSR_OK)
        s = tsr_js_ensure_tessera_streams(js, 1);
    if (s != TSR_OK)
        die("connect", s);
    uint8_t *buf = malloc(TSR_BATCH_MAX_BYTES);
    double t0 = mono_s();
    for (int k = 0; k < b->nodes; k++)
        publish_node(b, js, k, buf);
    drain(js, true);
    double dt = mono_s() - t0;
    printf("preload: %lld tickets in %.2f s (%.0f tickets/s: build, sign and publish batches)\n",
           b->tickets, dt, (double)b->tickets / dt);
    free(buf);
    tsr_js_close(js);
}

static bool all_ingested(bench *b, tsr_central *c)
{
    uint64_t count;
    int64_t stake;
    if (tsr_central_draw_totals(c, BENCH_GAME, BENCH_DRAW, &count, &stake) != TSR_OK)
        return false;
    return count == (uint64_t)b->tickets;
}

static void publish_seals(bench *b, tsr_js *js)
{
    for (int k = 0; k < b->nodes; k++) {
        char subject[TSR_SUBJECT_MAX];
        tsr_status s = tsr_subject_node(TSR_SUBJ_SEALS, b->names[k], subject, sizeof subject);
        if (s == TSR_OK)
            s = tsr_js_publish(js, subject, NULL, b->seal[k], b->seal_len[k], NULL);
        if (s != TSR_OK)
            die("seal publish", s);
    }
}

static void run_central(bench *b, tsr_env *env, tsr_keyring *kr)
{
    const char *names[BENCH_NODES_MAX];
    for (int k = 0; k < b->nodes; k++)
        names[k] = b->names[k];
    tsr_central_opts o = {.nats_url = b->url, .db_path = b->db, .receipt_key = &b->central_kp,
                          .node_keys = kr, .nodes = names, .n_nodes = (size_t)b->nodes,
                          .replicas = 1, .receipt_interval_ms = 200, .env = env};
    tsr_central *c;
    tsr_central_step_stats st = {0};
    double t0 = mono_s(), thread0 = cpu_s(CLOCK_THREAD_CPUTIME_ID),
           proc0 = cpu_s(CLOCK_PROCESS_CPUTIME_ID);
    tsr_status s = tsr_central_open(&c, &o);
    if (s != TSR_OK)
        die("central_open", s);
    while (!all_ingested(b, c))
        if ((s = tsr_central_step(c, 50, &st)) != TSR_OK)
            die("central_step", s);
    double dt = mono_s() - t0, thread = cpu_s(CLOCK_THREAD_CPUTIME_ID) - thread0,
           proc = cpu_s(CLOCK_PROCESS_CPUTIME_ID) - proc0;
    printf("ingest: %lld tickets of %d nodes in %.2f s = %.0f tickets/s "
           "(%llu batches, %llu receipts)\n", b->tickets, b->nodes, dt, (double)b->tickets / dt,
           (unsigned long long)st.batches, (unsigned long long)st.receipts);
    printf("ingest CPU: writer thread %.2f s (%.0f tickets per CPU-s), whole process %.2f s\n",
           thread, (double)b->tickets / thread, proc);
    /* Cutoff now: the seals below are on time, nobody asks for them. */
    if ((s = tsr_central_draw_add(c, BENCH_GAME, BENCH_DRAW, tsr_clock_now_ns(env->clock))) != TSR_OK)
        die("draw_add", s);
    tsr_js *js;
    tsr_js_opts jo = {.url = b->url, .name = "bench-seals"};
    if ((s = tsr_js_connect(&js, &jo)) != TSR_OK)
        die("connect", s);
    publish_seals(b, js);
    t0 = mono_s();
    json_t *why = NULL;
    while ((s = tsr_central_draw_ready(c, BENCH_GAME, BENCH_DRAW, &why)) != TSR_OK) {
        if (s != TSR_ERR_DRAW_NOT_READY) {
            char *w = json_dumps(why, JSON_COMPACT);
            fprintf(stderr, "bench-ingest: why: %s\n", w ? w : "?");
            die("draw_ready", s);
        }
        json_decref(why);
        why = NULL;
        if ((s = tsr_central_step(c, 5, NULL)) != TSR_OK)
            die("central_step", s);
    }
    json_decref(why);
    printf("draw ready: %.3f s after the last seal was published (%d seals, %lld tickets)\n",
           mono_s() - t0, b->nodes, b->tickets);
    tsr_js_close(js);
    tsr_central_close(c);
}

static void args(bench *b, int argc, char **argv)
{
    b->tickets = 1000000;
    b->nodes = 3;
    b->nats_bin = access("/usr/sbin/nats-server", X_OK) == 0 ? "/usr/sbin/nats-server"
                                                             : "/usr/bin/nats-server";
    const char *dir = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--tickets") == 0)
            b->tickets = atoll(argv[i + 1]);
        else if (strcmp(argv[i], "--nodes") == 0)
            b->nodes = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--dir") == 0)
            dir = argv[i + 1];
        else if (strcmp(argv[i], "--nats-server") == 0)
            b->nats_bin = argv[i + 1];
        else if (strcmp(argv[i], "--log") == 0)
            b->debug = strcmp(argv[i + 1], "debug") == 0;
    }
    if (b->tickets < 1 || b->nodes < 1 || b->nodes > BENCH_NODES_MAX || b->tickets < b->nodes ||
        argc % 2 == 0) {
        fprintf(stderr, "usage: bench-ingest [--tickets N] [--nodes 1..%d] [--dir DIR] "
                        "[--nats-server PATH] [--log debug]\n", BENCH_NODES_MAX);
        exit(64);
    }
    snprintf(b->dir, sizeof b->dir, "%s/bench-ingest-XXXXXX", dir ? dir : "/var/tmp");
    if (!mkdtemp(b->dir)) {
        perror("bench-ingest: mkdtemp");
        exit(1);
    }
    snprintf(b->db, sizeof b->db, "%s/central.db", b->dir);
}

int main(int argc, char **argv)
{
    static bench b;
    args(&b, argc, argv);
    seed_key(&b.central_kp, 0xC0);
    tsr_keyring *kr;
    tsr_clock *clock;
    tsr_env env = {0};
    if (tsr_keyring_create(&kr) != TSR_OK || tsr_clock_real_create(&clock) != TSR_OK)
        die("setup", TSR_ERR_NOMEM);
    env.clock = clock;
    if (b.debug && tsr_log_create(&env.log, stderr, clock, "central", TSR_LOG_DEBUG) != TSR_OK)
        die("log", TSR_ERR_NOMEM);
    for (int k = 0; k < b.nodes; k++) {
        snprintf(b.names[k], TSR_NAME_MAX, "n%d", k + 1);
        seed_key(&b.node_kp[k], (uint8_t)(0x10 + k));
        b.per_node[k] = (uint64_t)(b.tickets / b.nodes + (k < b.tickets % b.nodes));
        if (tsr_keyring_add(kr, b.node_kp[k].pk, b.names[k]) != TSR_OK)
            die("keyring", TSR_ERR_ARG);
    }
    printf("bench-ingest: %lld tickets, %d nodes, batches of %d, store %s (WAL, synchronous=FULL)\n",
           b.tickets, b.nodes, TSR_BATCH_MAX_ENTRIES, b.db);
    start_nats(&b);
    preload(&b);
    run_central(&b, &env, kr);
    kill(b.nats, SIGTERM);
    waitpid(b.nats, NULL, 0);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", b.dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench-ingest: could not remove %s\n", b.dir);
    tsr_keyring_destroy(kr);
    tsr_log_destroy(env.log);
    tsr_clock_destroy(clock);
    return 0;
}

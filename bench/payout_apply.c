/*
 * bench-payout_apply: the time from central's first payout publish until
 * every node has booked all its payouts (issue 6; target: 1 million
 * entries over 3 nodes in under 30 s).
 *
 * Real components throughout: a real nats-server with JetStream (file
 * storage in a temp dir), the TSR_CTL stream as central declares it, and 3
 * nodes in this process (tsr_node_start with the daemon's accounts and sync
 * modules, each its own SQLite store, writer and relay consumer), pinning
 * the central key that signs the batches.
 *
 * Setup (not timed): each node is started once to create its schema and
 * stopped, then its share of the tickets is inserted straight into its
 * store in one transaction (real rows of `tickets` the payout path looks
 * up: 80% online, a player of 5,000 per node, 20% retail at terminal
 * term-1; bodies and signatures are placeholders: the apply path reads id,
 * player, terminal, game and draw only). Central's batches are then built
 * as central/src/payout_publish.c does: per node, entries sorted by payout
 * id (tsr_payout_id), cut into TSR_PAYOUT_BATCH_MAX, each repeating the
 * node's totals, signed with the central key (tsr_payout_batch_sign;
 * signing is bench-payout's figure, done before the clock starts).
 *
 * Timed: every batch published on tsr.ctl.<node>.payout (async JetStream
 * publishes, the nodes' batches interleaved as central's publisher sends
 * them), until each node's sync_payouts holds all its entries (polled
 * read-only every POLL_MS). Then checked: payouts rows, credited wallets,
 * payable retail prizes and outcomes match what was sent.
 *
 *   build/bin/bench-payout_apply [tickets] [win_percent]
 *     tickets      over the 3 nodes (default 1000000)
 *     win_percent  share of tickets with a prize entry, 1..100 (default
 *                  100: one entry per ticket; 5 is a realistic win rate)
 *     limit_s      give up after this long (default 1800): then the
 *                  entries booked by then are printed and the exit code is 1
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../node/src/config.h"
#include "../node/src/players_api.h"
#include "../node/src/sync_node.h"
#include "tessera/keys.h"
#include "tessera/node.h"
#include "tessera/results.h"
#include "tessera/subjects.h"
#include "tessera/transport.h"

#define NODES 3
#define TICKETS_DEFAULT 1000000
#define PLAYERS_PER_NODE 5000
#define RETAIL_EVERY 5          /* one ticket in 5 sold at a till */
#define BIG_PRIZE_EVERY 1000    /* one prize in 1000 is taxed */
#define SMALL_PRIZE_CENTS 500
#define BIG_PRIZE_CENTS 100000
#define BIG_WITHHELD_CENTS 24000
#define GAME "pick3"
#define DRAW 4242u
#define POLL_MS 100
#define LIMIT_DEFAULT_S 1800
#define PROGRESS_S 10
#define NATS_WAIT_MS 10000

typedef struct node_side {
    char id[8];
    char dir[256];
    char cfg_path[300];
    char db[300];
    tsr_node_config cfg;
    tsr_node *node;
    uint8_t (*tickets)[TSR_TICKET_ID_LEN];
    size_t n_tickets;
    tsr_payout_entry *entries;
    uint32_t n_entries;
    int64_t amount;
    uint32_t n_online;   /* entries for online tickets: credited to wallets */
    int64_t net_online;  /* what those wallets receive (gross - withheld) */
    uint8_t **batches;
    size_t *batch_len;
    uint32_t n_batches;
    double done_at;
} node_side;

typedef struct bench {
    char dir[128];
    pid_t nats_pid;
    char nats_url[64];
    tsr_keypair central_kp;
    tsr_clock *clock;
    tsr_rng *rng;
    tsr_log *log;
    tsr_env env;
    node_side n[NODES];
} bench;

static uint64_t rs = 0x2545f4914f6cdd1du;

static uint64_t next(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, tsr_status st)
{
    fprintf(stderr, "bench-payout_apply: %s: %s\n", what, tsr_status_name(st));
    exit(1);
}

static void die_msg(const char *what)
{
    fprintf(stderr, "bench-payout_apply: %s\n", what);
    exit(1);
}

/* ---- nats-server ------------------------------------------------------------------- */

static int free_tcp_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        die_msg("no free port");
    close(fd);
    return ntohs(a.sin_port);
}

static bool tcp_up(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* /usr/sbin/nats-server -a 127.0.0.1 -p PORT -js -sd DIR, as the tests start it. */
static void nats_start(bench *b)
{
    int port = free_tcp_port();
    char ports[16], sd[200], logp[200];
    snprintf(ports, sizeof ports, "%d", port);
    snprintf(sd, sizeof sd, "%s/js", b->dir);
    snprintf(logp, sizeof logp, "%s/nats.log", b->dir);
    b->nats_pid = fork();
    if (b->nats_pid == 0) {
        int fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execl("/usr/sbin/nats-server", "nats-server", "-a", "127.0.0.1", "-p", ports, "-js",
              "-sd", sd, (char *)NULL);
        _exit(127);
    }
    snprintf(b->nats_url, sizeof b->nats_url, "nats://127.0.0.1:%d", port);
    for (int waited = 0; !tcp_up(port); waited += 20) {
        if (b->nats_pid < 0 || waited > NATS_WAIT_MS)
            die_msg("nats-server did not start");
        usleep(20 * 1000);
    }
}

static void nats_stop(bench *b)
{
    if (b->nats_pid > 0) {
        kill(b->nats_pid, SIGTERM);
        waitpid(b->nats_pid, NULL, 0);
    }
}

/* ---- keys and node configs ----------------------------------------------------------- */

static void seed_key(tsr_keypair *kp, uint8_t tag)
{
    uint8_t seed[TSR_SEED_LEN];
    memset(seed, tag, sizeof seed);
    tsr_keypair_from_seed(kp, seed);
}

/* The repository root, from this file's path (CMake compiles it by its
 * absolute path), for the preset catalogue. */
static void src_root(char *out, size_t len)
{
    snprintf(out, len, "%s", __FILE__);
    char *slash = strrchr(out, '/');
    if (slash)
        *slash = '\0';
    slash = strrchr(out, '/');
    if (slash)
        *slash = '\0';
}

static void write_config(bench *b, node_side *n, const char *authority_pub,
                         const char *central_pub)
{
    char root[256], key[300];
    src_root(root, sizeof root);
    snprintf(key, sizeof key, "%s/node.key", n->dir);
    tsr_keypair kp;
    seed_key(&kp, (uint8_t)(0x10 + n->id[1]));
    if (tsr_key_write_secret(key, &kp) != TSR_OK)
        die_msg("node key");
    FILE *f = fopen(n->cfg_path, "w");
    if (!f)
        die_msg("config file");
    fprintf(f,
            "{\"node_id\": \"%s\", \"listen_addr\": \"127.0.0.1\", \"coap_port\": 0,"
            " \"coaps_port\": -1, \"allow_plain_coap\": true, \"db_path\": \"%s\","
            " \"node_key\": \"%s\", \"draw_authority_key\": \"%s\", \"central_key\": \"%s\","
            " \"catalog_file\": \"%s/deploy/catalog/tessera.json\", \"nats_url\": \"%s\","
            " \"log_level\": \"warn\", \"clock\": \"offset\","
            " \"accounts\": {\"pwhash_ops\": 1, \"pwhash_mem_kib\": 1024,"
            " \"psp_provider\": \"sandbox\", \"psp_secret\":"
            " \"3031323334353637383961626364656630313233343536373839616263646566\"}}\n",
            n->id, n->db, key, authority_pub, central_pub, root, b->nats_url);
    fclose(f);
    char err[256] = "";
    tsr_node_config_defaults(&n->cfg);
    if (tsr_node_config_load(&n->cfg, n->cfg_path, err, sizeof err) != TSR_OK) {
        fprintf(stderr, "bench-payout_apply: %s: %s\n", n->cfg_path, err);
        exit(1);
    }
}

static void setup_dirs_keys(bench *b)
{
    snprintf(b->dir, sizeof b->dir, "/tmp/bench-payout-apply-XXXXXX");
    if (!mkdtemp(b->dir))
        die_msg("mkdtemp");
    seed_key(&b->central_kp, 0xC0);
    tsr_keypair authority;
    seed_key(&authority, 0xA0);
    char apub[200], cpub[200];
    snprintf(apub, sizeof apub, "%s/authority.pub", b->dir);
    snprintf(cpub, sizeof cpub, "%s/central.pub", b->dir);
    if (tsr_key_write_public(apub, authority.pk) != TSR_OK ||
        tsr_key_write_public(cpub, b->central_kp.pk) != TSR_OK)
        die_msg("public keys");
    nats_start(b);
    /* Paths are built from local copies: GCC cannot tell that fields of
     * the same struct do not overlap (-Werror=restrict in Debug builds). */
    char base[sizeof b->dir];
    memcpy(base, b->dir, sizeof base);
    for (int i = 0; i < NODES; i++) {
        node_side *n = &b->n[i];
        char id[sizeof n->id], dir[sizeof n->dir];
        snprintf(id, sizeof id, "n%d", i + 1);
        snprintf(dir, sizeof dir, "%s/%s", base, id);
        memcpy(n->id, id, sizeof id);
        memcpy(n->dir, dir, sizeof dir);
        snprintf(n->cfg_path, sizeof n->cfg_path, "%s/node.json", dir);
        snprintf(n->db, sizeof n->db, "%s/node.db", dir);
        if (mkdir(n->dir, 0700) != 0)
            die_msg("node dir");
        write_config(b, n, apub, cpub);
    }
}

/* ---- nodes ------------------------------------------------------------------------- */

static void node_start(bench *b, node_side *n)
{
    tsr_node_module mods[2] = {tsr_accounts_module, tsr_sync_module};
    tsr_node_opts o = {.config = &n->cfg, .env = &b->env, .modules = mods, .n_modules = 2};
    tsr_status st = tsr_node_start(&n->node, &o);
    if (st != TSR_OK)
        die("tsr_node_start", st);
}

static void node_stop(node_side *n)
{
    tsr_node_stop(n->node);
    n->node = NULL;
}

static void exec_sql(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "bench-payout_apply: %s: %s\n", sql, err ? err : "?");
        exit(1);
    }
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench-payout_apply: %s: %s\n", sql, sqlite3_errmsg(db));
        exit(1);
    }
    return st;
}

static void step_done(sqlite3 *db, sqlite3_stmt *st)
{
    if (sqlite3_step(st) != SQLITE_DONE) {
        fprintf(stderr, "bench-payout_apply: insert: %s\n", sqlite3_errmsg(db));
        exit(1);
    }
    sqlite3_reset(st);
}

static void insert_players(sqlite3 *db, const node_side *n)
{
    sqlite3_stmt *st = prep(db,
        "INSERT INTO players(id, username, pw_hash, name, birth_date, address, jurisdiction,"
        " document_no, kyc, created_at_ns) VALUES (?1, ?2, 'x', 'Bench Player', '1980-01-01',"
        " 'Main St 1', 'XX', ?2, 'verified', 1)");
    char user[48];
    for (int p = 1; p <= PLAYERS_PER_NODE; p++) {
        snprintf(user, sizeof user, "%s-p%d", n->id, p);
        sqlite3_bind_int64(st, 1, p);
        sqlite3_bind_text(st, 2, user, -1, SQLITE_TRANSIENT);
        step_done(db, st);
    }
    sqlite3_finalize(st);
}

static void insert_tickets(sqlite3 *db, node_side *n)
{
    sqlite3_stmt *st = prep(db,
        "INSERT INTO tickets(id, seq, serial, check_code, game, draw, channel, player_id,"
        " terminal_id, bet_id, bet, stake_cents, accepted_at_ns, bytes, sig, leaf)"
        " VALUES (?1, ?2, ?3, ?2, '" GAME "', ?4, ?5, ?6, ?7, ?1, x'00', 100, 1, ?1, x'00', ?1)");
    char serial[48];
    for (size_t i = 0; i < n->n_tickets; i++) {
        uint64_t r[2] = {next(), next()};
        memcpy(n->tickets[i], r, TSR_TICKET_ID_LEN);
        bool retail = i % RETAIL_EVERY == RETAIL_EVERY - 1;
        snprintf(serial, sizeof serial, "%s-%zu", n->id, i + 1);
        sqlite3_bind_blob(st, 1, n->tickets[i], TSR_TICKET_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (int64_t)i + 1);
        sqlite3_bind_text(st, 3, serial, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, DRAW);
        sqlite3_bind_int(st, 5, retail ? TSR_CHANNEL_RETAIL : TSR_CHANNEL_ONLINE);
        if (retail) {
            sqlite3_bind_null(st, 6);
            sqlite3_bind_text(st, 7, "term-1", -1, SQLITE_STATIC);
        } else {
            sqlite3_bind_int64(st, 6, (int64_t)(i % PLAYERS_PER_NODE) + 1);
            sqlite3_bind_null(st, 7);
        }
        step_done(db, st);
    }
    sqlite3_finalize(st);
}

/* The node's share of tickets, straight into its (stopped) store. */
static void seed_tickets(node_side *n)
{
    sqlite3 *db;
    if (sqlite3_open(n->db, &db) != SQLITE_OK)
        die_msg("open node db");
    sqlite3_busy_timeout(db, 5000);
    exec_sql(db, "PRAGMA foreign_keys=ON; BEGIN");
    insert_players(db, n);
    insert_tickets(db, n);
    exec_sql(db, "COMMIT");
    sqlite3_close(db);
}

/* ---- central's batches ----------------------------------------------------------------- */

static int by_payout_id(const void *a, const void *b)
{
    return memcmp(((const tsr_payout_entry *)a)->payout_id,
                  ((const tsr_payout_entry *)b)->payout_id, TSR_HASH_LEN);
}

static void make_entries(node_side *n, int win_percent)
{
    n->entries = calloc(n->n_tickets ? n->n_tickets : 1, sizeof *n->entries);
    if (!n->entries)
        die_msg("out of memory");
    size_t every = (size_t)(100 / win_percent); /* 100 -> each ticket, 5 -> one in 20 */
    n->n_entries = n->n_online = 0;
    n->amount = n->net_online = 0;
    for (size_t i = 0; i < n->n_tickets; i += every) {
        tsr_payout_entry *e = &n->entries[n->n_entries++];
        memcpy(e->ticket_id, n->tickets[i], TSR_TICKET_ID_LEN);
        bool big = (i / every) % BIG_PRIZE_EVERY == BIG_PRIZE_EVERY - 1;
        e->kind = TSR_PAYOUT_KIND_WIN;
        e->tier = big ? 0 : 1;
        e->klass = TSR_PAYOUT_AUTO;
        e->reportable = big;
        e->amount_cents = big ? BIG_PRIZE_CENTS : SMALL_PRIZE_CENTS;
        e->withheld_cents = big ? BIG_WITHHELD_CENTS : 0;
        n->amount += e->amount_cents;
        if (i % RETAIL_EVERY != RETAIL_EVERY - 1) {
            n->n_online++;
            n->net_online += e->amount_cents - e->withheld_cents;
        }
        tsr_status st = tsr_payout_id(GAME, DRAW, e->ticket_id, TSR_PAYOUT_KIND_WIN, e->payout_id);
        if (st != TSR_OK)
            die("tsr_payout_id", st);
    }
    qsort(n->entries, n->n_entries, sizeof *n->entries, by_payout_id);
}

static void sign_batches(node_side *n, const tsr_keypair *central)
{
    tsr_payout_batch b = {.draw = DRAW, .node_entries = n->n_entries,
                          .node_amount_cents = n->amount};
    snprintf(b.node, sizeof b.node, "%s", n->id);
    snprintf(b.game, sizeof b.game, GAME);
    b.batch_count = (n->n_entries + TSR_PAYOUT_BATCH_MAX - 1) / TSR_PAYOUT_BATCH_MAX;
    n->n_batches = b.batch_count;
    n->batches = calloc(b.batch_count, sizeof *n->batches);
    n->batch_len = calloc(b.batch_count, sizeof *n->batch_len);
    if (!n->batches || !n->batch_len)
        die_msg("out of memory");
    for (uint32_t i = 0; i < b.batch_count; i++) {
        b.batch_index = i;
        b.entries = n->entries + (size_t)i * TSR_PAYOUT_BATCH_MAX;
        uint32_t left = n->n_entries - i * TSR_PAYOUT_BATCH_MAX;
        b.n = left < TSR_PAYOUT_BATCH_MAX ? left : TSR_PAYOUT_BATCH_MAX;
        n->batches[i] = malloc(TSR_PAYOUT_BATCH_SIGNED_MAX);
        if (!n->batches[i])
            die_msg("out of memory");
        tsr_status st = tsr_payout_batch_sign(&b, central, n->batches[i],
                                              TSR_PAYOUT_BATCH_SIGNED_MAX, &n->batch_len[i]);
        if (st != TSR_OK)
            die("tsr_payout_batch_sign", st);
    }
}

/* ---- the timed part -------------------------------------------------------------------- */

static void drain_acks(tsr_js *js, size_t *acked)
{
    tsr_js_ack acks[64];
    size_t got;
    while ((got = tsr_js_async_results(js, acks, 64)) > 0)
        for (size_t i = 0; i < got; i++) {
            if (acks[i].status != TSR_OK)
                die(acks[i].msg_id, acks[i].status);
            (*acked)++;
        }
}

/* Every node's batches, interleaved, as async publishes with central's
 * message ids (<node>: its own subject; the id names node, draw, batch). */
static void publish_all(bench *b, tsr_js *js)
{
    uint32_t most = 0;
    size_t sent = 0, acked = 0;
    for (int k = 0; k < NODES; k++)
        most = b->n[k].n_batches > most ? b->n[k].n_batches : most;
    for (uint32_t i = 0; i < most; i++)
        for (int k = 0; k < NODES; k++) {
            node_side *n = &b->n[k];
            if (i >= n->n_batches)
                continue;
            char subj[TSR_SUBJECT_MAX], id[TSR_SUBJECT_MAX];
            if (tsr_subject_ctl(n->id, TSR_CTL_PAYOUT, subj, sizeof subj) != TSR_OK)
                die_msg("subject");
            snprintf(id, sizeof id, "%s-" GAME "-%u-%u", n->id, DRAW, i);
            tsr_status st;
            while ((st = tsr_js_publish_async(js, subj, id, n->batches[i], n->batch_len[i])) ==
                   TSR_ERR_BUSY) {
                drain_acks(js, &acked);
                usleep(1000);
            }
            if (st != TSR_OK)
                die("publish", st);
            sent++;
        }
    while (acked < sent) {
        drain_acks(js, &acked);
        usleep(1000);
    }
}

static int64_t q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = prep(db, sql);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

/* Polls each node's sync_payouts count; records a node's finish time once
 * it holds all its entries. Returns how many entries are booked in all. */
static int64_t poll_nodes(bench *b, sqlite3 **db, double t0, int *left)
{
    int64_t all = 0;
    for (int k = 0; k < NODES; k++) {
        node_side *n = &b->n[k];
        int64_t c = n->done_at > 0 ? (int64_t)n->n_entries
                                   : q_int(db[k], "SELECT count(*) FROM sync_payouts");
        if (n->done_at == 0 && c >= (int64_t)n->n_entries) {
            n->done_at = now_s() - t0;
            (*left)--;
        }
        all += c;
    }
    return all;
}

/* Until every node's sync_payouts holds its entries or limit_s passed
 * (then false, with what was booked by then in *booked). Progress every
 * PROGRESS_S on stderr. */
static bool wait_applied(bench *b, double t0, double limit_s, int64_t *booked)
{
    sqlite3 *db[NODES];
    for (int k = 0; k < NODES; k++) {
        if (sqlite3_open_v2(b->n[k].db, &db[k], SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
            die_msg("open node db (read)");
        sqlite3_busy_timeout(db[k], 5000);
        b->n[k].done_at = 0;
    }
    int left = NODES;
    double next_progress = PROGRESS_S;
    while (left > 0 && now_s() - t0 < limit_s) {
        usleep(POLL_MS * 1000);
        *booked = poll_nodes(b, db, t0, &left);
        if (now_s() - t0 >= next_progress) {
            fprintf(stderr, "progress: %.0f s, %lld entries booked\n", now_s() - t0,
                    (long long)*booked);
            next_progress += PROGRESS_S;
        }
    }
    for (int k = 0; k < NODES; k++)
        sqlite3_close(db[k]);
    return left == 0;
}

/* What the nodes booked must be what central sent: one payouts row per
 * entry, online prizes credited (wallet balances sum to their net), retail
 * prizes payable at a terminal, every ticket's outcome "won". */
static void check_node(const node_side *n)
{
    sqlite3 *db;
    if (sqlite3_open_v2(n->db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        die_msg("open node db (check)");
    int64_t rows = q_int(db, "SELECT count(*) FROM payouts");
    int64_t credited = q_int(db, "SELECT count(*) FROM payouts WHERE state = 'credited'");
    int64_t payable = q_int(db, "SELECT count(*) FROM payouts WHERE state = 'payable'");
    int64_t won = q_int(db, "SELECT count(*) FROM sync_outcomes WHERE outcome = 'won'");
    int64_t wallets = q_int(db, "SELECT coalesce(sum(balance), 0) FROM accounts"
                                " WHERE name LIKE 'player:%'");
    sqlite3_close(db);
    if (rows != n->n_entries || credited != n->n_online ||
        payable != (int64_t)(n->n_entries - n->n_online) || won != n->n_entries ||
        wallets != n->net_online) {
        fprintf(stderr, "bench-payout_apply: %s booked rows=%lld credited=%lld payable=%lld"
                " won=%lld wallets=%lld; sent %u entries (%u online, net %lld)\n", n->id,
                (long long)rows, (long long)credited, (long long)payable, (long long)won,
                (long long)wallets, n->n_entries, n->n_online, (long long)n->net_online);
        exit(1);
    }
}

static void setup_nodes(bench *b, size_t tickets, int win_percent)
{
    for (int k = 0; k < NODES; k++) {
        node_side *n = &b->n[k];
        n->n_tickets = tickets / NODES + ((size_t)k < tickets % NODES ? 1 : 0);
        n->tickets = malloc((n->n_tickets ? n->n_tickets : 1) * sizeof *n->tickets);
        if (!n->tickets)
            die_msg("out of memory");
        node_start(b, n); /* creates the schema */
        node_stop(n);
        seed_tickets(n);
        make_entries(n, win_percent);
        sign_batches(n, &b->central_kp);
    }
}

static void env_create(bench *b)
{
    if (tsr_clock_offset_create(&b->clock, 0, 10 * TSR_NS_PER_MS) != TSR_OK ||
        tsr_rng_real_create(&b->rng) != TSR_OK ||
        tsr_log_create(&b->log, stderr, b->clock, "node", TSR_LOG_WARN) != TSR_OK)
        die_msg("environment");
    b->env = (tsr_env){b->clock, b->rng, b->log};
}

static tsr_js *js_open(const bench *b)
{
    tsr_js *js;
    tsr_js_opts o = {.url = b->nats_url, .name = "bench-central", .timeout_ms = 30000,
                     .max_pending = TSR_JS_ASYNC_MAX};
    tsr_status st = tsr_js_connect(&js, &o);
    if (st == TSR_OK)
        st = tsr_js_ensure_tessera_streams(js, 1);
    if (st != TSR_OK)
        die("nats", st);
    return js;
}

static void report(const bench *b, double publish_s, double setup_s, int win_percent)
{
    uint64_t entries = 0, tickets = 0, batches = 0;
    double last = 0;
    for (int k = 0; k < NODES; k++) {
        entries += b->n[k].n_entries;
        tickets += b->n[k].n_tickets;
        batches += b->n[k].n_batches;
        last = b->n[k].done_at > last ? b->n[k].done_at : last;
    }
    printf("tickets %llu over %d nodes, win share %d%%, setup %.1f s (not timed)\n",
           (unsigned long long)tickets, NODES, win_percent, setup_s);
    printf("payout entries %llu in %llu signed batches (max %d entries)\n",
           (unsigned long long)entries, (unsigned long long)batches, TSR_PAYOUT_BATCH_MAX);
    printf("publish (all acked by JetStream): %.2f s\n", publish_s);
    for (int k = 0; k < NODES; k++)
        printf("  node %s: %u entries applied at %.2f s = %.0f entries/s\n", b->n[k].id,
               b->n[k].n_entries, b->n[k].done_at,
               b->n[k].done_at > 0 ? b->n[k].n_entries / b->n[k].done_at : 0.0);
    printf("all payouts applied on %d nodes: %.2f s (%.0f entries/s total, %.0f per node)\n",
           NODES, last, entries / last, entries / last / NODES);
}

int main(int argc, char **argv)
{
    size_t tickets = argc > 1 ? strtoull(argv[1], NULL, 10) : TICKETS_DEFAULT;
    int win_percent = argc > 2 ? atoi(argv[2]) : 100;
    double limit_s = argc > 3 ? atof(argv[3]) : LIMIT_DEFAULT_S;
    if (tickets < NODES || tickets > 100000000 || win_percent < 1 || win_percent > 100 ||
        !(limit_s > 0)) {
        fprintf(stderr, "usage: bench-payout_apply [tickets 3..100000000] [win_percent 1..100]"
                        " [limit_s]\n");
        return 2;
    }
    static bench b;
    double t_setup = now_s();
    env_create(&b);
    setup_dirs_keys(&b);
    tsr_js *js = js_open(&b);
    setup_nodes(&b, tickets, win_percent);
    for (int k = 0; k < NODES; k++)
        node_start(&b, &b.n[k]);
    double setup_s = now_s() - t_setup;
    double t0 = now_s();
    publish_all(&b, js);
    double publish_s = now_s() - t0;
    int64_t booked = 0;
    if (!wait_applied(&b, t0, limit_s, &booked)) {
        printf("NOT DONE: %lld entries booked on %d nodes after %.0f s (%.0f entries/s total)\n",
               (long long)booked, NODES, limit_s, booked / limit_s);
        for (int k = 0; k < NODES; k++)
            node_stop(&b.n[k]);
        tsr_js_close(js);
        nats_stop(&b);
        char cmd[200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", b.dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench-payout_apply: could not remove %s\n", b.dir);
        return 1;
    }
    report(&b, publish_s, setup_s, win_percent);
    for (int k = 0; k < NODES; k++) {
        node_stop(&b.n[k]);
        check_node(&b.n[k]);
    }
    printf("checked: every node booked exactly what central sent\n");
    tsr_js_close(js);
    nats_stop(&b);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", b.dir);
    return system(cmd) == 0 ? 0 : 1;
}

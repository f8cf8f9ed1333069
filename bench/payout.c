/*
 * bench-payout: the costs of the draw-day steps after reconciliation.
 *   1. the draw: manifest of 3 signed seals built and signed, one witness
 *      revealing in-process, the record made and verified (real CSPRNG seed);
 *   2. settlement of N keno tickets (default 10,000,000) from an in-memory
 *      array of decoded tickets (tsr_settle; reading them from central's
 *      SQLite rows is measured separately by the day test's store, not here);
 *   3. payout batches: M entries (default 1,000,000) over 3 nodes, each with
 *      its payout id (BLAKE2b), sorted by id per node, cut into batches of
 *      TSR_PAYOUT_BATCH_MAX and signed by the central key.
 * Tickets come from a local xorshift: only the steps are measured.
 *
 *   build/bin/bench-payout [tickets] [payouts] [catalog.json]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tessera/results.h"
#include "tessera/settle.h"
#include "tessera/witness.h"

static uint64_t rs = 0x9e3779b97f4a7c15u;

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
    fprintf(stderr, "bench-payout: %s: %s\n", what, tsr_status_name(st));
    exit(1);
}

static void key(tsr_keypair *kp, uint8_t tag)
{
    uint8_t seed[TSR_SEED_LEN];
    memset(seed, tag, sizeof seed);
    tsr_keypair_from_seed(kp, seed);
}

/* Token, 3 seals, manifest, one witness, record, verification. */
static void bench_draw(const tsr_game *g, const tsr_keypair *auth, tsr_draw_numbers *out)
{
    double t0 = now_s();
    tsr_rng *rng;
    tsr_clock *clock;
    tsr_witness *w;
    char dir[] = "/tmp/bench-payout-XXXXXX";
    if (!mkdtemp(dir) || tsr_rng_real_create(&rng) || tsr_clock_test_create(&clock, 1000))
        die("setup", TSR_ERR_IO);
    tsr_status st = tsr_witness_init(dir, auth->pk, rng, false);
    st = st ? st : tsr_witness_open(&w, dir, rng, clock, false);
    tsr_witness_commitment wc;
    st = st ? st : tsr_witness_commit(w, g->id, 7, &wc);
    uint8_t s[TSR_DRAW_SEED_LEN];
    st = st ? st : tsr_draw_seed_new(rng, s);
    tsr_cutoff_token t = {.draw = 7, .sales_open_at_ns = 1, .cutoff_at_ns = 500,
                          .results_at_ns = 2000, .issued_at_ns = 10, .witness_count = 1};
    snprintf(t.game, sizeof t.game, "%s", g->id);
    memcpy(t.witness_commitments[0], wc.commitment, TSR_HASH_LEN);
    tsr_seed_commit(s, sizeof s, t.seed_commitment);
    st = st ? st : tsr_cutoff_token_sign(&t, auth);
    if (st)
        die("witness/token", st);
    tsr_draw_seal seals[3];
    for (int i = 0; i < 3; i++) {
        tsr_keypair nk;
        key(&nk, (uint8_t)(0x10 + i));
        tsr_seal se = {.draw = 7, .count = 1, .first_seq = 1, .last_seq = 1, .sealed_at_ns = 600};
        snprintf(se.node, sizeof se.node, "n%d", i + 1);
        snprintf(se.game, sizeof se.game, "%s", g->id);
        if ((st = tsr_draw_seal_make(&seals[i], &se, &nk)))
            die("seal", st);
    }
    double t1 = now_s();
    tsr_draw_manifest *m;
    tsr_draw_shape shape;
    tsr_draw_witness dw;
    tsr_draw_record *rec;
    st = tsr_draw_manifest_build(&m, &t, seals, 3, NULL, 0);
    st = st ? st : tsr_draw_manifest_sign(m, auth, 1000);
    st = st ? st : tsr_clock_test_set(clock, 1000);
    st = st ? st : tsr_witness_reveal(w, m, &dw, NULL, 0);
    st = st ? st : tsr_draw_shape_for_game(g, &shape);
    st = st ? st : tsr_draw_record_make(&rec, m, &shape, s, &dw, 1, auth, 1100, NULL, 0);
    st = st ? st : tsr_draw_record_verify(rec, auth->pk, NULL, 0);
    if (st)
        die("draw", st);
    double t2 = now_s();
    *out = rec->numbers;
    printf("draw (manifest of 3 seals, 1 witness reveal, record, verify): %.2f ms"
           " (+ setup %.2f ms)\n", (t2 - t1) * 1e3, (t1 - t0) * 1e3);
    tsr_draw_record_destroy(rec);
    tsr_witness_close(w);
    tsr_clock_destroy(clock);
    tsr_rng_destroy(rng);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench-payout: could not remove %s\n", dir);
}

static void bench_settle(const tsr_catalog *cat, const tsr_game *g, const tsr_draw_numbers *n,
                         size_t count)
{
    tsr_settle_ticket *t = calloc(count, sizeof *t);
    tsr_settle_prize *p = calloc(count, sizeof *p);
    if (!t || !p)
        die("memory", TSR_ERR_NOMEM);
    for (size_t i = 0; i < count; i++) {
        t[i].ticket_id = i;
        t[i].bet.type = TSR_BET_SPOT;
        t[i].bet.draws = 1;
        t[i].bet.count = (uint8_t)(1 + i % 10);
        t[i].bet.stake_cents = g->stake_min_cents;
        t[i].stake_cents = g->stake_min_cents;
        uint64_t used[2] = {0, 0};
        for (unsigned k = 0; k < t[i].bet.count;) {
            unsigned v = 1 + (unsigned)(next() % g->pool);
            if (used[v / 64] & (1ull << (v % 64)))
                continue;
            used[v / 64] |= 1ull << (v % 64);
            t[i].bet.numbers[k++] = (uint8_t)v;
        }
        for (unsigned a = 1; a < t[i].bet.count; a++) /* sorted, as canonical bets are */
            for (unsigned b = a; b > 0 && t[i].bet.numbers[b - 1] > t[i].bet.numbers[b]; b--) {
                uint8_t x = t[i].bet.numbers[b];
                t[i].bet.numbers[b] = t[i].bet.numbers[b - 1];
                t[i].bet.numbers[b - 1] = x;
            }
    }
    tsr_draw_result res = {.main_count = (uint8_t)n->len[0]};
    for (unsigned i = 0; i < n->len[0]; i++)
        res.main[i] = (uint8_t)n->values[0][i];
    tsr_settle_report rep;
    double t0 = now_s();
    tsr_status st = tsr_settle(g, tsr_catalog_payout_rules(cat), &res, 0, t, count, p, &rep);
    double t1 = now_s();
    if (st)
        die("settle", st);
    printf("settlement of %zu keno tickets (in-memory array): %.2f s, %.0f tickets/s,"
           " %llu winners, %lld cents paid\n", count, t1 - t0, (double)count / (t1 - t0),
           (unsigned long long)rep.winners, (long long)rep.paid_cents);
    free(t);
    free(p);
}

static int by_id(const void *a, const void *b)
{
    return memcmp(((const tsr_payout_entry *)a)->payout_id,
                  ((const tsr_payout_entry *)b)->payout_id, TSR_HASH_LEN);
}

static void bench_batches(const tsr_keypair *central, size_t count)
{
    tsr_payout_entry *e = calloc(count, sizeof *e);
    uint8_t *buf = malloc(TSR_PAYOUT_BATCH_SIGNED_MAX);
    if (!e || !buf)
        die("memory", TSR_ERR_NOMEM);
    for (size_t i = 0; i < count; i++) {
        e[i] = (tsr_payout_entry){.kind = TSR_PAYOUT_KIND_WIN, .tier = 3,
                                  .klass = TSR_PAYOUT_AUTO, .amount_cents = 200,
                                  .withheld_cents = 0};
        uint64_t r = next(); /* ticket ids: unique (i) and random-looking (r) */
        memcpy(e[i].ticket_id, &i, sizeof i);
        memcpy(e[i].ticket_id + 8, &r, sizeof r);
    }
    double t0 = now_s();
    size_t per = count / 3, batches = 0, bytes = 0;
    for (int node = 0; node < 3; node++) {
        tsr_payout_entry *ne = e + per * (size_t)node;
        size_t nn = node == 2 ? count - 2 * per : per;
        for (size_t i = 0; i < nn; i++)
            if (tsr_payout_id("keno", 7, ne[i].ticket_id, TSR_PAYOUT_KIND_WIN, ne[i].payout_id))
                die("id", TSR_ERR_RANGE);
        qsort(ne, nn, sizeof *ne, by_id);
        tsr_payout_batch b = {.game = "keno", .draw = 7, .node_entries = (uint32_t)nn,
                              .node_amount_cents = 200 * (int64_t)nn};
        snprintf(b.node, sizeof b.node, "n%d", node + 1);
        b.batch_count = (uint32_t)((nn + TSR_PAYOUT_BATCH_MAX - 1) / TSR_PAYOUT_BATCH_MAX);
        for (uint32_t k = 0; k < b.batch_count; k++) {
            b.batch_index = k;
            b.entries = ne + (size_t)k * TSR_PAYOUT_BATCH_MAX;
            size_t left = nn - (size_t)k * TSR_PAYOUT_BATCH_MAX;
            b.n = (uint32_t)(left < TSR_PAYOUT_BATCH_MAX ? left : TSR_PAYOUT_BATCH_MAX);
            size_t len;
            tsr_status st = tsr_payout_batch_sign(&b, central, buf, TSR_PAYOUT_BATCH_SIGNED_MAX,
                                                  &len);
            if (st)
                die("batch", st);
            batches++;
            bytes += len;
        }
    }
    double t1 = now_s();
    printf("payout batches: %zu entries over 3 nodes -> %zu signed batches, %.1f MB: %.2f s"
           " (%.0f entries/s; ids, sort, checks, encoding, signatures)\n", count, batches,
           (double)bytes / 1e6, t1 - t0, (double)count / (t1 - t0));
    free(e);
    free(buf);
}

int main(int argc, char **argv)
{
    size_t tickets = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000u;
    size_t payouts = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000u;
    const char *path = argc > 3 ? argv[3] : "deploy/catalog/tessera.json";
    tsr_catalog *cat;
    char err[256];
    tsr_status st = tsr_catalog_load_file(&cat, path, err, sizeof err);
    if (st) {
        fprintf(stderr, "bench-payout: %s: %s\n", path, err);
        return 1;
    }
    const tsr_game *g = tsr_catalog_find(cat, "keno");
    tsr_keypair auth, central;
    key(&auth, 0xB0);
    key(&central, 0xC0);
    tsr_draw_numbers n;
    bench_draw(g, &auth, &n);
    bench_settle(cat, g, &n, tickets);
    bench_batches(&central, payouts);
    tsr_catalog_free(cat);
    return 0;
}

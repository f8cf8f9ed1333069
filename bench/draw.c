/*
 * bench-draw: how long the verifiable draw takes.
 *   - numbers only (entropy -> HMAC_DRBG -> rejection sampling) per family;
 *   - the DRBG stream rate (what tessera draw-stream feeds dieharder);
 *   - a whole draw with N seals: manifest build (node signatures checked,
 *     Merkle root), signing, the record (reveals checked, numbers, signed),
 *     and tessera verify's recomputation of everything.
 * Medians of repeated runs, on whatever machine runs it.
 *
 *   bench-draw [SEALS]   (default 1000 seals, one per node)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/clock.h"
#include "tessera/draw.h"

#define RUNS 9
#define NUMBER_DRAWS 20000

static tsr_clock *clk;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t median(int64_t *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], cmp_i64);
    return v[n / 2];
}

static void bench_numbers(const char *name, const tsr_draw_shape *sh)
{
    int64_t t[RUNS];
    for (int r = 0; r < RUNS; r++) {
        int64_t t0 = tsr_clock_mono_ns(clk);
        for (uint32_t i = 0; i < NUMBER_DRAWS; i++) {
            uint8_t e[32];
            uint32_t tag = (uint32_t)r * NUMBER_DRAWS + i;
            tsr_hash256(e, &tag, sizeof tag);
            tsr_draw_numbers n;
            if (tsr_draw_numbers_generate(sh, e, &n, NULL, NULL) != TSR_OK)
                abort();
        }
        t[r] = (tsr_clock_mono_ns(clk) - t0) / NUMBER_DRAWS;
    }
    printf("numbers %-20s %8.1f us per draw\n", name, median(t, RUNS) / 1000.0);
}

static void bench_stream(void)
{
    uint8_t e[32] = {0};
    static uint8_t buf[1 << 20];
    int64_t t[RUNS];
    for (int r = 0; r < RUNS; r++) {
        tsr_draw_stream *s;
        if (tsr_draw_stream_create(&s, e) != TSR_OK)
            abort();
        int64_t t0 = tsr_clock_mono_ns(clk);
        if (tsr_draw_stream_read(s, buf, sizeof buf) != TSR_OK)
            abort();
        t[r] = tsr_clock_mono_ns(clk) - t0;
        tsr_draw_stream_destroy(s);
    }
    printf("DRBG stream (32-byte Generate calls) %8.1f MB/s\n",
           (double)sizeof buf / (median(t, RUNS) / 1e9) / 1e6);
}

/* Every ingredient of a draw with n seals and 2 witnesses (keys from fixed
 * seeds; the witnesses are simulated in-process by their signatures). */
typedef struct world {
    tsr_keypair authority, node, wit[2];
    tsr_cutoff_token token;
    uint8_t s[32], w_seed[2][32];
    tsr_draw_seal *seals;
    uint32_t n;
} world;

static void key(tsr_keypair *kp, uint8_t tag)
{
    uint8_t seed[32];
    memset(seed, tag, sizeof seed);
    tsr_keypair_from_seed(kp, seed);
}

static void make_world(world *w, uint32_t n)
{
    memset(w, 0, sizeof *w);
    key(&w->authority, 1);
    key(&w->node, 2);
    key(&w->wit[0], 3);
    key(&w->wit[1], 4);
    memset(w->s, 5, 32);
    memset(w->w_seed[0], 6, 32);
    memset(w->w_seed[1], 7, 32);
    tsr_cutoff_token *t = &w->token;
    snprintf(t->game, sizeof t->game, "lotto");
    t->draw = 1;
    t->sales_open_at_ns = 1;
    t->cutoff_at_ns = 2;
    t->results_at_ns = 3;
    t->issued_at_ns = 1;
    tsr_seed_commit(w->s, 32, t->seed_commitment);
    t->witness_count = 2;
    for (int i = 0; i < 2; i++)
        tsr_seed_commit(w->w_seed[i], 32, t->witness_commitments[i]);
    if (tsr_cutoff_token_sign(t, &w->authority) != TSR_OK)
        abort();
    w->n = n;
    w->seals = calloc(n ? n : 1, sizeof *w->seals);
    for (uint32_t i = 0; i < n; i++) {
        tsr_seal s = {0};
        snprintf(s.node, sizeof s.node, "node-%05u", i);
        snprintf(s.game, sizeof s.game, "lotto");
        s.draw = 1;
        s.count = s.last_seq = 1000;
        s.first_seq = 1;
        s.sealed_at_ns = 2;
        if (tsr_draw_seal_make(&w->seals[i], &s, &w->node) != TSR_OK)
            abort();
    }
}

static void witness_entries(const world *w, const uint8_t root[32], tsr_draw_witness out[2])
{
    for (int i = 0; i < 2; i++) {
        uint8_t msg[192];
        size_t len;
        tsr_draw_witness *e = &out[i];
        memcpy(e->pk, w->wit[i].pk, 32);
        memcpy(e->seed, w->w_seed[i], 32);
        memcpy(e->commitment, w->token.witness_commitments[i], 32);
        if (tsr_witness_commit_bytes("lotto", 1, e->commitment, msg, sizeof msg, &len) != TSR_OK)
            abort();
        tsr_sign(&w->wit[i], msg, len, e->commit_sig);
        if (tsr_witness_reveal_bytes("lotto", 1, e->commitment, e->seed, root, msg, sizeof msg,
                                     &len) != TSR_OK)
            abort();
        tsr_sign(&w->wit[i], msg, len, e->reveal_sig);
    }
}

static void bench_whole_draw(uint32_t n)
{
    world w;
    make_world(&w, n);
    tsr_draw_shape sh = {1, {{1, 49, 6, 1, false}}};
    int64_t t_man[RUNS], t_rec[RUNS], t_ver[RUNS];
    for (int r = 0; r < RUNS; r++) {
        tsr_draw_manifest *m;
        tsr_draw_record *rec;
        tsr_draw_witness wit[2];
        int64_t t0 = tsr_clock_mono_ns(clk);
        if (tsr_draw_manifest_build(&m, &w.token, w.seals, n, NULL, 0) != TSR_OK ||
            tsr_draw_manifest_sign(m, &w.authority, 3) != TSR_OK)
            abort();
        int64_t t1 = tsr_clock_mono_ns(clk);
        witness_entries(&w, m->root, wit);
        int64_t t2 = tsr_clock_mono_ns(clk);
        if (tsr_draw_record_make(&rec, m, &sh, w.s, wit, 2, &w.authority, 4, NULL, 0) != TSR_OK)
            abort();
        int64_t t3 = tsr_clock_mono_ns(clk);
        if (tsr_draw_record_verify(rec, w.authority.pk, NULL, 0) != TSR_OK)
            abort();
        int64_t t4 = tsr_clock_mono_ns(clk);
        t_man[r] = t1 - t0;
        t_rec[r] = t3 - t2;
        t_ver[r] = t4 - t3;
        tsr_draw_record_destroy(rec);
    }
    printf("draw with %u seals, 2 witnesses: manifest build+sign %.2f ms, "
           "record (reveals checked, numbers, signed) %.2f ms, full verify %.2f ms\n",
           n, median(t_man, RUNS) / 1e6, median(t_rec, RUNS) / 1e6, median(t_ver, RUNS) / 1e6);
    free(w.seals);
}

int main(int argc, char **argv)
{
    uint32_t seals = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000;
    if (seals > TSR_DRAW_SEALS_MAX || tsr_clock_real_create(&clk) != TSR_OK)
        return 2;
    const struct {
        const char *name;
        tsr_draw_shape shape;
    } fam[] = {
        {"lotto 6/49+bonus", {1, {{1, 49, 6, 1, false}}}},
        {"two-pool 5/69+1/26", {2, {{1, 69, 5, 0, false}, {1, 26, 1, 0, false}}}},
        {"pick-3", {1, {{0, 9, 3, 0, true}}}},
        {"pick-4", {1, {{0, 9, 4, 0, true}}}},
        {"keno 20/80", {1, {{1, 80, 20, 0, false}}}},
    };
    for (size_t i = 0; i < sizeof fam / sizeof fam[0]; i++)
        bench_numbers(fam[i].name, &fam[i].shape);
    bench_stream();
    bench_whole_draw(seals);
    tsr_clock_destroy(clk);
    return 0;
}

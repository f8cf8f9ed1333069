/*
 * A complete draw for tests (sync, central, admin): deterministic keys from
 * fixed seeds, witnesses in temp directories, a signed cutoff token, signed
 * seals, the manifest, the reveals and the signed record. Header-only
 * (static inline) so each test executable takes what it uses.
 */
#ifndef TSR_DRAW_FIXTURE_H
#define TSR_DRAW_FIXTURE_H

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "tessera/draw.h"
#include "tessera/witness.h"
#include "tsr_test.h"

#define DFX_SEED 20240601u /* the seeded RNG of every fixture */
#define DFX_NODES_MAX 4
#define DFX_WITNESSES_MAX 3
#define DFX_GAME "lotto"
#define DFX_DRAW 7u

typedef struct dfx {
    tsr_rng *rng;
    tsr_clock *clock;
    tsr_keypair authority;
    tsr_keypair nodes[DFX_NODES_MAX];
    int node_count;
    int witness_count;
    char dir[256];
    tsr_witness *w[DFX_WITNESSES_MAX];
    tsr_witness_commitment wc[DFX_WITNESSES_MAX];
    tsr_cutoff_token token;
    uint8_t central_seed[TSR_DRAW_SEED_LEN];
    tsr_draw_seal seals[DFX_NODES_MAX];
    tsr_draw_manifest *m; /* built and signed; owned until dfx_draw */
    tsr_draw_record *r;   /* after dfx_draw */
} dfx;

static inline void dfx_key(tsr_keypair *kp, uint8_t tag)
{
    uint8_t seed[TSR_SEED_LEN];
    memset(seed, tag, sizeof seed);
    tsr_keypair_from_seed(kp, seed);
}

/* The lotto 6/49 + bonus shape used by default. */
static inline tsr_draw_shape dfx_lotto(void)
{
    tsr_draw_shape s = {1, {{1, 49, 6, 1, false}}};
    return s;
}

static inline void dfx_witnesses(dfx *f)
{
    for (int i = 0; i < f->witness_count; i++) {
        char d[300];
        snprintf(d, sizeof d, "%s/w%d", f->dir, i + 1);
        ck_assert_int_eq(tsr_witness_init(d, f->authority.pk, f->rng, true), TSR_OK);
        ck_assert_int_eq(tsr_witness_open(&f->w[i], d, f->rng, f->clock, true), TSR_OK);
        ck_assert_int_eq(tsr_witness_commit(f->w[i], DFX_GAME, DFX_DRAW, &f->wc[i]), TSR_OK);
    }
}

static inline void dfx_token(dfx *f, int64_t t0)
{
    tsr_cutoff_token *t = &f->token;
    memset(t, 0, sizeof *t);
    snprintf(t->game, sizeof t->game, "%s", DFX_GAME);
    t->draw = DFX_DRAW;
    t->sales_open_at_ns = t0;
    t->cutoff_at_ns = t0 + 3600 * TSR_NS_PER_S;
    t->results_at_ns = t0 + 7200 * TSR_NS_PER_S;
    t->issued_at_ns = t0;
    tsr_seed_commit(f->central_seed, TSR_DRAW_SEED_LEN, t->seed_commitment);
    t->witness_count = (uint8_t)f->witness_count;
    for (int i = 0; i < f->witness_count; i++)
        memcpy(t->witness_commitments[i], f->wc[i].commitment, TSR_HASH_LEN);
    ck_assert_int_eq(tsr_cutoff_token_sign(t, &f->authority), TSR_OK);
}

static inline void dfx_seals(dfx *f)
{
    /* Built in reverse node order so the manifest must sort them. */
    for (int i = 0; i < f->node_count; i++) {
        int n = f->node_count - 1 - i;
        tsr_seal s = {0};
        snprintf(s.node, sizeof s.node, "node-%d", n + 1);
        snprintf(s.game, sizeof s.game, "%s", DFX_GAME);
        s.draw = DFX_DRAW;
        s.count = 100 + (uint64_t)n;
        s.stake_total_cents = 20000 + n;
        s.first_seq = 1;
        s.last_seq = 100 + (uint64_t)n;
        memset(s.merkle_root, 0x30 + n, sizeof s.merkle_root);
        s.sealed_at_ns = f->token.cutoff_at_ns;
        ck_assert_int_eq(tsr_draw_seal_make(&f->seals[i], &s, &f->nodes[n]), TSR_OK);
    }
}

/* Everything up to the signed manifest; the clock stands at t0 (sales). */
static inline void dfx_setup(dfx *f, const char *tag, int nodes, int witnesses, int64_t t0)
{
    memset(f, 0, sizeof *f);
    f->node_count = nodes;
    f->witness_count = witnesses;
    tsr_test_tmpdir(tag, f->dir, sizeof f->dir);
    ck_assert_int_eq(tsr_rng_seeded_create(&f->rng, DFX_SEED), TSR_OK);
    ck_assert_int_eq(tsr_clock_test_create(&f->clock, t0), TSR_OK);
    dfx_key(&f->authority, 0xA1);
    for (int i = 0; i < nodes; i++)
        dfx_key(&f->nodes[i], (uint8_t)(0x10 + i));
    tsr_rng_bytes(f->rng, f->central_seed, sizeof f->central_seed);
    dfx_witnesses(f);
    dfx_token(f, t0);
    dfx_seals(f);
    char why[TSR_DRAW_WHY_MAX] = "";
    ck_assert_msg(tsr_draw_manifest_build(&f->m, &f->token, f->seals, (size_t)nodes, why,
                                          sizeof why) == TSR_OK, "%s", why);
    ck_assert_int_eq(tsr_draw_manifest_sign(f->m, &f->authority,
                                            f->token.cutoff_at_ns + 60 * TSR_NS_PER_S), TSR_OK);
}

/* Past the cutoff: every witness reveals, the record is made (f->m moves
 * into f->r). */
static inline void dfx_draw(dfx *f, const tsr_draw_shape *shape)
{
    ck_assert_int_eq(tsr_clock_test_set(f->clock, f->token.cutoff_at_ns + 120 * TSR_NS_PER_S),
                     TSR_OK);
    tsr_draw_witness w[DFX_WITNESSES_MAX];
    char why[TSR_DRAW_WHY_MAX] = "";
    for (int i = 0; i < f->witness_count; i++)
        ck_assert_msg(tsr_witness_reveal(f->w[i], f->m, &w[i], why, sizeof why) == TSR_OK,
                      "%s", why);
    tsr_draw_manifest *m = f->m;
    f->m = NULL;
    ck_assert_msg(tsr_draw_record_make(&f->r, m, shape, f->central_seed, w,
                                       (size_t)f->witness_count, &f->authority,
                                       f->token.cutoff_at_ns + 180 * TSR_NS_PER_S, why,
                                       sizeof why) == TSR_OK, "%s", why);
}

static inline void dfx_teardown(dfx *f)
{
    for (int i = 0; i < f->witness_count; i++)
        tsr_witness_close(f->w[i]);
    tsr_draw_manifest_destroy(f->m);
    tsr_draw_record_destroy(f->r);
    tsr_clock_destroy(f->clock);
    tsr_rng_destroy(f->rng);
    tsr_test_rmtree(f->dir);
}

/* Writes r's JSON to path. */
static inline void dfx_write_record(const tsr_draw_record *r, const char *path)
{
    json_t *j = tsr_draw_record_to_json(r);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_dump_file(j, path, JSON_INDENT(2)), 0);
    json_decref(j);
}

#endif

/*
 * bench-settle: how fast settlement runs. Builds N random valid tickets for
 * a game (default 10,000,000 of lotto649, then keno and pick3), settles
 * them and prints tickets/s. Ticket generation uses a local xorshift, not
 * the RNG seam, because only settlement is being measured.
 *
 *   build/bin/bench-settle [tickets] [catalog.json]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tessera/settle.h"

#define DEFAULT_TICKETS 10000000u

static uint64_t rs = 0x9e3779b97f4a7c15u;

static uint64_t next(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

static void distinct(uint8_t *out, unsigned k, unsigned pool)
{
    uint8_t deck[TSR_POOL_MAX];
    for (unsigned i = 0; i < pool; i++)
        deck[i] = (uint8_t)(i + 1);
    for (unsigned i = 0; i < k; i++) {
        unsigned j = i + (unsigned)(next() % (pool - i)); /* bias irrelevant for a benchmark */
        uint8_t t = deck[i];
        deck[i] = deck[j];
        deck[j] = t;
        out[i] = deck[i];
    }
}

static void make_ticket(const tsr_game *g, tsr_settle_ticket *t, size_t i)
{
    memset(t, 0, sizeof *t);
    t->ticket_id = i;
    t->bet.draws = 1;
    t->bet.stake_cents = g->stake_min_cents;
    switch (g->family) {
    case TSR_FAMILY_KENO:
        t->bet.type = TSR_BET_SPOT;
        t->bet.count = (uint8_t)(1 + i % 10);
        distinct(t->bet.numbers, t->bet.count, g->pool);
        break;
    case TSR_FAMILY_DIGITS:
        t->bet.type = TSR_BET_STRAIGHT;
        t->bet.count = g->pick;
        for (unsigned k = 0; k < g->pick; k++)
            t->bet.numbers[k] = (uint8_t)(next() % 10);
        break;
    default:
        t->bet.type = TSR_BET_STANDARD;
        t->bet.count = g->pick;
        distinct(t->bet.numbers, g->pick, g->pool);
    }
    t->stake_cents = t->bet.stake_cents;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run(const tsr_catalog *cat, const char *id, const tsr_draw_result *res, size_t n)
{
    const tsr_game *g = tsr_catalog_find(cat, id);
    tsr_settle_ticket *t = malloc(n * sizeof *t);
    tsr_settle_prize *p = malloc(n * sizeof *p);
    tsr_settle_report *rep = malloc(sizeof *rep);
    if (!g || !t || !p || !rep) {
        fprintf(stderr, "bench-settle: no game %s or no memory\n", id);
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        make_ticket(g, &t[i], i);
    double t0 = now_s();
    tsr_status st = tsr_settle(g, tsr_catalog_payout_rules(cat), res, 0, t, n, p, rep);
    double dt = now_s() - t0;
    if (st != TSR_OK) {
        fprintf(stderr, "bench-settle: %s (ticket %zu)\n", tsr_status_str(st), rep->bad_ticket);
        return 1;
    }
    char paid[TSR_MONEY_STR_MAX];
    printf("%-9s %10zu tickets in %6.3f s = %10.0f tickets/s (winners %llu, paid %s)\n", id, n, dt, (double)n / dt,
           (unsigned long long)rep->winners, tsr_money_format(rep->paid_cents, paid, sizeof paid));
    free(t);
    free(p);
    free(rep);
    return 0;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : DEFAULT_TICKETS;
    const char *path = argc > 2 ? argv[2] : "deploy/catalog/tessera.json";
    tsr_catalog *cat;
    char err[256];
    if (n == 0 || tsr_catalog_load_file(&cat, path, err, sizeof err) != TSR_OK) {
        fprintf(stderr, "usage: bench-settle [tickets] [catalog.json] (%s)\n", err);
        return 2;
    }
    tsr_draw_result lotto = {{3, 11, 19, 27, 35, 43}, 6, {7}, 1, 0};
    tsr_draw_result keno = {{0}, 20, {0}, 0, 0};
    for (int i = 0; i < 20; i++)
        keno.main[i] = (uint8_t)(4 * i + 1);
    tsr_draw_result pick3 = {{4, 0, 7}, 3, {0}, 0, 0};
    int rc = run(cat, "lotto649", &lotto, n) || run(cat, "keno", &keno, n) || run(cat, "pick3", &pick3, n);
    tsr_catalog_free(cat);
    return rc;
}

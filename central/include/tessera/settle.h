/*
 * Settlement: given a game, a draw's result and every ticket of that draw,
 * the prize of each ticket and the draw's totals. Fixed prizes (scaled by
 * the wager), pari-mutuel pools (a share of the draw's sales per tier,
 * split equally among its winners, rounded down to the cent, breakage to the
 * reserve), a jackpot that rolls over and has a guaranteed minimum, an
 * aggregate liability cap shared pro rata (keno top prizes, digits per
 * combination), and the multiplier add-on (Power Play style, with its own
 * prize for a tier when the catalogue says so).
 *
 * Deterministic and order-independent: a ticket's prize depends only on its
 * own content and on sums over all tickets, so the same tickets in any
 * order give the same prizes. Integer money only. Two passes over a compact
 * array: count winners per tier, then compute amounts; 0.1-0.5 us per
 * ticket, validation included (bench/settle.c).
 *
 * Settle a draw with the catalogue version it was sold under: tickets are
 * re-validated, and a later catalogue with lower limits would refuse them.
 *
 * Usage (central, after the draw):
 *
 *   const tsr_game *g = tsr_catalog_find(cat, "lotto649");
 *   tsr_draw_result res = {.main = {3, 11, 19, 27, 35, 43}, .main_count = 6,
 *                          .bonus = {7}, .bonus_count = 1};
 *   tsr_settle_ticket *t = ...;   // n tickets: id, stake (per-draw price), decoded bet
 *   tsr_settle_prize *p = calloc(n, sizeof *p);
 *   tsr_settle_report rep;
 *   st = tsr_settle(g, tsr_catalog_payout_rules(cat), &res, jackpot_carry_cents,
 *                   t, n, p, &rep);
 *   // p[i] is the prize of t[i]; rep.jackpot_next_cents is the next draw's
 *   // carry; rep.breakage_cents + rep.cap_breakage_cents go to the reserve;
 *   // rep.jackpot_topup_cents comes from it.
 */
#ifndef TESSERA_SETTLE_H
#define TESSERA_SETTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/catalog.h"
#include "tessera/game.h"
#include "tessera/money.h"
#include "tessera/status.h"

#define TSR_RESULT_MAIN_MAX TSR_KENO_DRAWN_MAX /* keno draws the most: 20 */
#define TSR_RESULT_BONUS_MAX 1

/* A draw's numbers, as each family needs them:
 *   lotto:    main = the k main numbers, bonus = the bonus ball (if the game has one)
 *   two-pool: main = the k numbers of the first pool, bonus = the second-pool ball,
 *             multiplier = the drawn multiplier (required when the game sells it)
 *   digits:   main = the digits in drawn order
 *   keno:     main = the 20 numbers
 *   fixed:    main = the one number bets are settled on (for the preset
 *             bonusbet: the lotto649 bonus ball) */
typedef struct tsr_draw_result {
    uint8_t main[TSR_RESULT_MAIN_MAX];
    uint8_t main_count;
    uint8_t bonus[TSR_RESULT_BONUS_MAX];
    uint8_t bonus_count;
    uint8_t multiplier; /* 0 when the game has no multiplier add-on */
} tsr_draw_result;

/* One ticket, decoded: compact so 10 million fit in ~0.5 GB. */
typedef struct tsr_settle_ticket {
    uint64_t ticket_id;    /* the caller's, carried for its own bookkeeping */
    tsr_cents stake_cents; /* the per-draw price paid (the ticket's stake) */
    tsr_bet bet;
} tsr_settle_ticket;

/* The prize of one ticket (prizes[i] is that of tickets[i]). */
typedef struct tsr_settle_prize {
    int16_t tier;             /* tier index, -1 when no prize */
    uint8_t klass;            /* tsr_payout_class */
    bool reportable;          /* a tax form is due */
    tsr_cents amount_cents;   /* gross prize */
    tsr_cents withheld_cents; /* tax withheld from it */
} tsr_settle_prize;

typedef struct tsr_settle_tier {
    uint64_t winners;
    tsr_cents prize_cents;    /* per winner (pools) or per line at the base wager (fixed) */
    tsr_cents fund_cents;     /* pools: the tier's fund (jackpot: with the carry) */
    tsr_cents paid_cents;     /* all its winners together */
    tsr_cents breakage_cents; /* pools: fund - paid, to the reserve */
    tsr_cents rolled_cents;   /* pools with no winner: to the jackpot or the reserve */
} tsr_settle_tier;

typedef struct tsr_settle_report {
    uint64_t tickets, winners;
    tsr_cents sales_cents;         /* all stakes, add-ons included */
    tsr_cents pool_sales_cents;    /* stakes without add-ons: what pool shares apply to */
    tsr_cents paid_cents;          /* every prize, gross */
    tsr_cents withheld_cents;
    tsr_cents pool_fund_cents;     /* pari-mutuel funds, carried-in jackpot included */
    tsr_cents pool_paid_cents;
    tsr_cents breakage_cents;      /* pool rounding, to the reserve */
    tsr_cents to_reserve_cents;    /* pools with no winner whose rule is "reserve" */
    tsr_cents rollover_cents;      /* to the next draw's jackpot */
    tsr_cents jackpot_topup_cents; /* from the reserve, to pay the minimum jackpot */
    tsr_cents cap_reduction_cents; /* fixed prizes cut by the liability cap */
    tsr_cents cap_breakage_cents;  /* pro-rata rounding under the cap, to the reserve */
    tsr_cents jackpot_next_cents;  /* the next draw's jackpot carry (= rollover) */
    bool cap_hit;
    size_t bad_ticket;             /* on a ticket error: its index */
    uint8_t n_tiers;
    tsr_settle_tier tiers[TSR_TIERS_MAX];
} tsr_settle_report;

/* Checks that a result fits the game: counts, ranges, no repeated number
 * where the family draws without replacement, a multiplier from the
 * game's list. TSR_ERR_GAME_RESULT otherwise. */
tsr_status tsr_settle_check_result(const tsr_game *g, const tsr_draw_result *res) TSR_MUST_CHECK;

/* Settles n tickets of one draw of game g (borrowed). rules (borrowed) give
 * payout classes and withholding; jackpot_carry_cents is the previous
 * draw's rollover. Writes prizes[0..n-1] and *rep. Every ticket is
 * re-validated against the game and its stake must be its bet's price: a
 * bad one stops settlement with its index in rep->bad_ticket and the
 * validation status or TSR_ERR_GAME_STAKE_MISMATCH. Also
 * TSR_ERR_GAME_RESULT, TSR_ERR_OVERFLOW (totals beyond the money range),
 * TSR_ERR_ARG (negative carry). */
tsr_status tsr_settle(const tsr_game *g, const tsr_payout_rules *rules, const tsr_draw_result *res,
                      tsr_cents jackpot_carry_cents, const tsr_settle_ticket *tickets, size_t n,
                      tsr_settle_prize *prizes, tsr_settle_report *rep) TSR_MUST_CHECK;

#endif

/*
 * The game catalogue: every game on sale, its family, rules, bet types,
 * prices, prize table, add-ons, limits and draw schedule, plus the payout
 * rules of the jurisdiction. It is one JSON document (deploy/catalog/
 * tessera.json; format in docs/games.md), versioned, and signed by the
 * central key when it is distributed (the signature is the crypto layer's
 * business: this module gets the verified bytes).
 *
 * The loader checks the whole catalogue and rejects an inconsistent one with
 * a message naming the game and the field, e.g.
 *   "game 'lotto649' field 'prizes[0].share': pari-mutuel shares add up to
 *    104.000000% of sales, above 100%"
 * so a bad catalogue never reaches a node.
 *
 * Usage (node, at startup and whenever central publishes a new catalogue):
 *
 *   tsr_catalog *cat;
 *   char err[256];
 *   tsr_status st = tsr_catalog_load_file(&cat, "deploy/catalog/tessera.json",
 *                                         err, sizeof err);
 *   if (st != TSR_OK) { log the sentence and err; fail closed; }
 *   int64_t draw; int64_t open_ns, cutoff_ns, results_ns;
 *   st = tsr_catalog_next_draw(cat, "pick3", now_ns, &draw, &open_ns,
 *                              &cutoff_ns, &results_ns);
 *   ...
 *   tsr_catalog_free(cat);
 *
 * A loaded catalogue is immutable, so any number of threads may read it.
 */
#ifndef TESSERA_CATALOG_H
#define TESSERA_CATALOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/money.h"
#include "tessera/status.h"

/* Limits. A game id is carried in every ticket (≤ 31 chars, the ticket
 * format's field). 64 games cover a national operator's whole portfolio;
 * 96 tiers cover keno's ten paytables. Numbers are small integers: the
 * largest pool of a real game is keno's 80, so 99 leaves room. */
#define TSR_GAME_ID_MAX 32
#define TSR_GAME_NAME_MAX 64
#define TSR_CATALOG_GAMES_MAX 64
#define TSR_TIERS_MAX 96
#define TSR_TIER_NAME_MAX 32
#define TSR_POOL_MAX 99
#define TSR_PICK_MAX 10
#define TSR_KENO_DRAWN_MAX 20
#define TSR_MULTIPLIERS_MAX 8
#define TSR_DRAWS_MAX 104 /* advance play: two years of a twice-weekly game */
#define TSR_TZ_NAME_MAX 64

/* The five families; each has its own rules for selections and matching. */
typedef enum tsr_family {
    TSR_FAMILY_LOTTO,    /* k of n, a bonus ball from the same pool (6/49) */
    TSR_FAMILY_TWO_POOL, /* k of n plus 1 of m from a second pool (5/69+1/26) */
    TSR_FAMILY_DIGITS,   /* pick-3 / pick-4: digits 0-9 drawn with replacement */
    TSR_FAMILY_KENO,     /* 1-10 spots of 80, 20 drawn */
    TSR_FAMILY_FIXED,    /* fixed-odds bets on one drawn number (odd/even ...) */
    TSR_FAMILY_COUNT_
} tsr_family;

/* Bet types, across families (a game offers a subset). */
typedef enum tsr_bet_type {
    TSR_BET_STANDARD,     /* lotto, two-pool: one line */
    TSR_BET_SPOT,         /* keno: 1-10 spots */
    TSR_BET_STRAIGHT,     /* digits: exact order */
    TSR_BET_BOX,          /* digits: any order */
    TSR_BET_STRAIGHT_BOX, /* digits: half straight, half box */
    TSR_BET_COMBO,        /* digits: every order as its own straight */
    TSR_BET_FRONT_PAIR,   /* digits: first two digits exact */
    TSR_BET_BACK_PAIR,    /* digits: last two digits exact */
    TSR_BET_ODD,          /* fixed odds: the number is odd */
    TSR_BET_EVEN,
    TSR_BET_HIGH,         /* the number is >= the game's high_from */
    TSR_BET_LOW,
    TSR_BET_NUMBER,       /* the number itself */
    TSR_BET_TYPE_COUNT_
} tsr_bet_type;

/* Add-ons, a bit each. */
#define TSR_ADDON_MULTIPLIER 0x1u /* Power Play style: multiplies fixed prizes */
#define TSR_ADDON_KNOWN_ 0x1u

typedef enum tsr_prize_kind {
    TSR_PRIZE_FIXED,   /* prize_cents per prize_base of wager */
    TSR_PRIZE_POOL,    /* pari-mutuel: share_ppm of the draw's sales, split */
    TSR_PRIZE_JACKPOT  /* a pool that rolls over and has a minimum */
} tsr_prize_kind;

/* Where a pari-mutuel tier with no winner goes. */
typedef enum tsr_no_winner {
    TSR_NO_WINNER_JACKPOT, /* rolls into the next draw's jackpot */
    TSR_NO_WINNER_RESERVE  /* to the reserve account */
} tsr_no_winner;

/* One prize tier. Which fields matter depends on the family:
 *   lotto:    match (main numbers), bonus (-1 any, 0 without, 1 with)
 *   two-pool: match (main), bonus (the second-pool number: 0/1)
 *   keno:     spots, match (hits)
 *   digits:   bet_type, ways (box kind: 3, 6 / 4, 6, 12, 24; 0 any) and
 *             exact (straight/box: the exact-order part or the box part)
 *   fixed:    bet_type */
typedef struct tsr_tier {
    char name[TSR_TIER_NAME_MAX];
    uint8_t bet_type, spots, match, ways;
    int8_t bonus;
    bool exact;
    tsr_prize_kind kind;
    tsr_cents prize_cents;            /* FIXED: per prize_base of wager */
    uint32_t share_ppm;               /* POOL, JACKPOT: parts per million of sales */
    tsr_no_winner no_winner;          /* POOL */
    bool multiplied;                  /* the multiplier add-on multiplies it */
    tsr_cents multiplier_prize_cents; /* > 0: prize with the add-on, not multiplied */
    bool capped;                      /* counted in the game's liability cap */
} tsr_tier;

/* The draw schedule, in the game's local time. */
typedef struct tsr_schedule {
    uint8_t days_mask;     /* bit 0 = Sunday ... bit 6 = Saturday */
    int32_t cutoff_min;    /* minutes after local midnight (15:00 = 900) */
    int32_t results_min;   /* (16:00 = 960), after the cutoff */
    char tz[TSR_TZ_NAME_MAX]; /* IANA name, e.g. "America/New_York" */
    int64_t epoch_days;    /* draw number = days since 1970-01-01 - epoch_days */
} tsr_schedule;

typedef struct tsr_tz tsr_tz; /* a parsed zoneinfo file (private) */

/* Lookup sizes for matching (derived at load, used by settlement). */
#define TSR_MATCH_LOOKUP (TSR_PICK_MAX + 1)

/* One game, read-only after load. */
typedef struct tsr_game {
    char id[TSR_GAME_ID_MAX];
    char name[TSR_GAME_NAME_MAX];
    char copies[TSR_GAME_NAME_MAX]; /* the real game it copies, "" if none */
    tsr_family family;
    uint8_t pool;        /* main numbers are 1..pool (digits: 0..9) */
    uint8_t pick;        /* main numbers per line (digits: 3 or 4) */
    bool bonus;          /* lotto: a bonus ball is drawn from the same pool */
    uint8_t second_pool, second_pick; /* two-pool */
    uint8_t drawn;       /* keno: numbers drawn (20); fixed: 1 */
    uint8_t spots_min, spots_max;     /* keno */
    uint8_t high_from;   /* fixed: HIGH wins when number >= high_from */
    uint32_t bet_types;  /* bit (1u << tsr_bet_type) per offered type */
    uint32_t addons;     /* TSR_ADDON_* offered */
    tsr_cents price_cents;      /* lotto, two-pool: the price of a line */
    tsr_cents stake_unit_cents; /* wager must be a multiple of this */
    tsr_cents stake_min_cents, stake_max_cents;
    tsr_cents prize_base_cents; /* fixed prizes are quoted per this wager */
    tsr_cents bet_max_cents;    /* per bet (all draws of an advance play) */
    tsr_cents multiplier_price_cents; /* add-on price per line */
    uint8_t multipliers[TSR_MULTIPLIERS_MAX]; /* values the draw may give */
    uint8_t n_multipliers;
    uint16_t max_draws;         /* advance play */
    tsr_cents liability_cap_cents; /* 0 = none: keno top prizes, digits per combination */
    tsr_cents min_jackpot_cents;
    tsr_schedule schedule;
    tsr_tier tiers[TSR_TIERS_MAX];
    uint8_t n_tiers;
    /* Derived lookups: tier index or -1. lotto/two-pool: [match][bonus 0/1];
     * keno: [spots][hits]. */
    int8_t match_tier[TSR_MATCH_LOOKUP][TSR_MATCH_LOOKUP];
    const tsr_tz *zone; /* borrowed from the catalogue */
} tsr_game;

/* Payout classes: by amount, as configured for the jurisdiction. */
typedef enum tsr_payout_class {
    TSR_PAYOUT_NONE,         /* no prize */
    TSR_PAYOUT_AUTO,         /* credited automatically */
    TSR_PAYOUT_TERMINAL,     /* payable at any terminal */
    TSR_PAYOUT_CLAIM_CENTRE  /* claim at a claim centre */
} tsr_payout_class;

typedef struct tsr_payout_rules {
    char jurisdiction[32];
    tsr_cents auto_below_cents;     /* amount < this: AUTO */
    tsr_cents terminal_below_cents; /* amount < this: TERMINAL, else CLAIM_CENTRE */
    tsr_cents report_from_cents;    /* reportable when amount >= this ... */
    int64_t report_stake_multiple;  /* ... and amount >= this x the wager */
    tsr_cents withhold_above_cents; /* withholding when amount - wager > this */
    uint32_t withhold_rate_ppm;     /* parts per million of (amount - wager) */
} tsr_payout_rules;

/* How one prize is paid. */
typedef struct tsr_payout {
    tsr_payout_class klass;
    bool reportable;          /* a tax form is due (W-2G style) */
    tsr_cents withheld_cents; /* tax withheld, floor */
} tsr_payout;

typedef struct tsr_catalog tsr_catalog;

/* Parses and checks a catalogue from JSON text (len bytes). Owns *out on
 * success. On failure err names the game and the field. Returns
 * TSR_ERR_JSON (malformed, with line:column), TSR_ERR_CATALOG (inconsistent),
 * TSR_ERR_GAME_TZ (time zone not found or unreadable), TSR_ERR_NOMEM. */
tsr_status tsr_catalog_load_json(tsr_catalog **out, const char *json, size_t len,
                                 char *err, size_t errlen) TSR_MUST_CHECK;

/* As load_json, reading the file at path; also TSR_ERR_IO. */
tsr_status tsr_catalog_load_file(tsr_catalog **out, const char *path, char *err,
                                 size_t errlen) TSR_MUST_CHECK;

/* Frees a catalogue; NULL-safe. Games borrowed from it die with it. */
void tsr_catalog_free(tsr_catalog *cat);

/* The catalogue's version number (monotonic, set by central). */
int64_t tsr_catalog_version(const tsr_catalog *cat);

/* Number of games, and the i-th (borrowed), in catalogue order. */
size_t tsr_catalog_count(const tsr_catalog *cat);
const tsr_game *tsr_catalog_game_at(const tsr_catalog *cat, size_t i);

/* The game with this id (borrowed), or NULL. */
const tsr_game *tsr_catalog_find(const tsr_catalog *cat, const char *id);

/* The jurisdiction's payout rules (borrowed). */
const tsr_payout_rules *tsr_catalog_payout_rules(const tsr_catalog *cat);

/* The next draw of `game` still on sale at after_ns (Unix ns, UTC): the first
 * draw whose cutoff is after after_ns. Outputs (each may be NULL): its draw
 * number, when its sales open (the results time of the previous draw day),
 * its cutoff and its results time, all Unix ns. Local times are converted
 * with the game's time zone, so a 15:00 cutoff stays 15:00 local across DST
 * changes. TSR_ERR_GAME_UNKNOWN for an unknown game, TSR_ERR_RANGE after
 * the year 2200 (nanosecond timestamps end in 2262). */
tsr_status tsr_catalog_next_draw(const tsr_catalog *cat, const char *game, int64_t after_ns,
                                 int64_t *draw_no, int64_t *sales_open_ns, int64_t *cutoff_ns,
                                 int64_t *results_ns) TSR_MUST_CHECK;

/* The times of draw number draw_no (outputs may be NULL). TSR_ERR_GAME_UNKNOWN,
 * TSR_ERR_GAME_NOT_DRAW_DAY when that number is not one of the game's draws. */
tsr_status tsr_catalog_draw_times(const tsr_catalog *cat, const char *game, int64_t draw_no,
                                  int64_t *sales_open_ns, int64_t *cutoff_ns,
                                  int64_t *results_ns) TSR_MUST_CHECK;

/* The `n` draws an advance play bought at after_ns covers: the next draw and
 * the n-1 after it, written to draws[0..n-1]. TSR_ERR_GAME_DRAWS when n is 0
 * or above the game's max_draws, TSR_ERR_GAME_UNKNOWN, TSR_ERR_RANGE as next_draw. */
tsr_status tsr_catalog_advance_draws(const tsr_catalog *cat, const char *game, int64_t after_ns,
                                     uint16_t n, int64_t *draws) TSR_MUST_CHECK;

/* Classifies one prize of `amount` won on a wager of `wager` under `rules`:
 * payout class, whether it is reportable, and the tax withheld. Pure. */
tsr_payout tsr_payout_classify(const tsr_payout_rules *rules, tsr_cents amount, tsr_cents wager);

/* Parses payout rules from a JSON object (borrowed); err names the field.
 * TSR_ERR_CATALOG on a missing or inconsistent field. */
tsr_status tsr_payout_rules_from_json(const json_t *obj, tsr_payout_rules *out, char *err,
                                      size_t errlen) TSR_MUST_CHECK;

/* The tier of a digits or fixed-odds game paying bet type `type` with box
 * kind `ways` (0 when not a box tier) and `exact` (straight/box: the
 * exact-order part), or -1. Pure. */
int tsr_game_find_tier(const tsr_game *g, unsigned type, unsigned ways, bool exact);

/* Names for printing and JSON: "lotto", "straight_box", "multiplier",
 * "claim_centre"; static. NULL (or -1/0 for the parsers) when unknown. */
const char *tsr_family_name(tsr_family f);
const char *tsr_bet_type_name(tsr_bet_type t);
int tsr_bet_type_from_name(const char *name); /* -1 when unknown */
const char *tsr_payout_class_name(tsr_payout_class c);
uint32_t tsr_addon_from_name(const char *name); /* 0 when unknown */

#endif

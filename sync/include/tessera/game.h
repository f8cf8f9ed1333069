/*
 * Bets: what a player plays on one game, their canonical bytes (carried in a
 * ticket), their JSON form (the CoAP API), validation, pricing and quick
 * pick. Everything here is pure and allocation-free except the JSON helpers.
 *
 * A ticket carries ONE play for ONE draw: the game id, the draw number, the
 * per-draw price as stake_cents, and the bet's canonical bytes. An advance
 * play for N draws is N tickets, one per draw, each with the per-draw price
 * (tsr_catalog_advance_draws gives the draw numbers).
 *
 * Usage (node, inside the bet transaction):
 *
 *   tsr_bet bet;
 *   char why[128];
 *   st = tsr_bet_from_json(json_body_bet, &bet, why, sizeof why);
 *   if (bet.quick_pick) st = tsr_bet_quick_pick(cat, "lotto649", env->rng, &bet);
 *   tsr_cents per_draw, total;
 *   st = tsr_bet_prepare(cat, "lotto649", &bet, &per_draw, &total, why, sizeof why);
 *   if (st != TSR_OK) reply with tsr_status_name(st), tsr_status_str(st), why;
 *   int64_t draws[TSR_DRAWS_MAX];
 *   st = tsr_catalog_advance_draws(cat, "lotto649", now_ns, bet.draws, draws);
 *   uint8_t bytes[TSR_BET_MAX]; size_t len;
 *   st = tsr_bet_encode(&bet, bytes, sizeof bytes, &len);
 *   for each i < bet.draws: insert ticket {game, draws[i], per_draw, bytes, len};
 *   debit total.
 *
 * JSON form (all but "type" optional; quick pick fills numbers):
 *   {"type":"standard","numbers":[3,11,19,27,35,43],"second":[7],
 *    "spots":5, "addons":["multiplier"],"quick_pick":false,"draws":1,
 *    "stake":"1.00"}
 * "type" is a tsr_bet_type name (standard, spot, straight, box, straight_box,
 * combo, front_pair, back_pair, odd, even, high, low, number). "numbers" are
 * the main selections (digits in play order for pick-3/4), "second" the
 * second-pool number of a two-pool game, "spots" the keno spot count of a
 * quick pick, "stake" the wager per line or per combination as a decimal
 * string ("0.50"); absent, the game's minimum (its line price for lotto).
 */
#ifndef TESSERA_GAME_H
#define TESSERA_GAME_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/catalog.h"
#include "tessera/money.h"
#include "tessera/rng.h"
#include "tessera/status.h"

#ifndef TSR_BET_MAX
#define TSR_BET_MAX 160 /* the ticket's bet field (codec.h owns the value) */
#endif

/* Selections per bet: keno's 10 spots are the most. */
#define TSR_BET_NUMBERS_MAX 10
#define TSR_BET_SECOND_MAX 1
#define TSR_BET_VERSION 1
/* version, type, flags, draws(2), stake(8), addons(4), count, numbers,
 * second count, second. */
#define TSR_BET_ENCODED_MAX (1 + 1 + 1 + 2 + 8 + 4 + 1 + TSR_BET_NUMBERS_MAX + 1 + TSR_BET_SECOND_MAX)
_Static_assert(TSR_BET_ENCODED_MAX <= TSR_BET_MAX, "a bet must fit in a ticket");

/* One play. numbers are 1..pool (digits: 0..9, in play order). */
typedef struct tsr_bet {
    uint8_t type;                          /* tsr_bet_type */
    uint8_t count;                         /* numbers used */
    uint8_t numbers[TSR_BET_NUMBERS_MAX];
    uint8_t second_count;
    uint8_t second[TSR_BET_SECOND_MAX];
    uint32_t addons;                       /* TSR_ADDON_* */
    bool quick_pick;                       /* selections came from the RNG */
    uint16_t draws;                        /* advance play: consecutive draws, >= 1 */
    tsr_cents stake_cents;                 /* wager per line / combination */
} tsr_bet;

/* Canonical bytes: version byte, fixed field order, explicit lengths,
 * big-endian integers; sets (lotto, two-pool, keno numbers) sorted ascending
 * so one bet has one encoding. Encoding a bet with a count above its array,
 * a negative stake or an unknown add-on bit is TSR_ERR_ARG; TSR_ERR_TOO_LARGE
 * when cap is too small. */
tsr_status tsr_bet_encode(const tsr_bet *bet, uint8_t *out, size_t cap, size_t *len) TSR_MUST_CHECK;

/* Strict inverse of encode: TSR_ERR_VERSION for another version byte,
 * TSR_ERR_ENCODING for anything not exactly a canonical encoding (length,
 * unknown type/flag/add-on bits, unsorted or repeated set numbers, zero
 * draws, negative stake). */
tsr_status tsr_bet_decode(const uint8_t *in, size_t len, tsr_bet *out) TSR_MUST_CHECK;

/* Parses the JSON form (borrowed) into *out; why names the field. Returns
 * TSR_ERR_FIELD_MISSING, TSR_ERR_FIELD_UNKNOWN, TSR_ERR_FIELD_TYPE,
 * TSR_ERR_GAME_BET_TYPE (unknown type name), TSR_ERR_GAME_ADDON_UNKNOWN,
 * TSR_ERR_GAME_COUNT (too many numbers), TSR_ERR_GAME_NUMBER_RANGE (not
 * 0..99), TSR_ERR_GAME_DRAWS, TSR_ERR_MONEY_FORMAT, TSR_ERR_OVERFLOW. */
tsr_status tsr_bet_from_json(const json_t *obj, tsr_bet *out, char *why, size_t whylen) TSR_MUST_CHECK;

/* The JSON form of a bet; the caller owns the result (NULL on no memory). */
json_t *tsr_bet_to_json(const tsr_bet *bet);

/* Longest compact text of the JSON form. */
#define TSR_BET_JSON_TEXT_MAX 256

/* The same JSON form as compact text, byte for byte what
 * json_dumps(tsr_bet_to_json(bet), JSON_COMPACT) makes, written into
 * out[cap] without building a tree (the node formats one per bet).
 * TSR_ERR_GAME_BET_TYPE (unknown type), TSR_ERR_TOO_LONG (cap too small). */
tsr_status tsr_bet_json_text(const tsr_bet *bet, char *out, size_t cap) TSR_MUST_CHECK;

/* Validates a bet against a game and prices it. per_draw_out (may be NULL)
 * is the price of one draw (what the ticket's stake_cents holds): stake x
 * combinations + add-ons. Microseconds, no allocation. why (may be NULL)
 * gets a sentence naming the offending value. Statuses, one per fault:
 * TSR_ERR_GAME_UNKNOWN, TSR_ERR_GAME_BET_TYPE, TSR_ERR_GAME_COUNT,
 * TSR_ERR_GAME_NUMBER_RANGE, TSR_ERR_GAME_NUMBER_DUP, TSR_ERR_GAME_NO_BOX,
 * TSR_ERR_GAME_STAKE_MIN, TSR_ERR_GAME_STAKE_UNIT, TSR_ERR_GAME_STAKE_MAX,
 * TSR_ERR_GAME_ADDON_UNKNOWN, TSR_ERR_GAME_ADDON_UNAVAILABLE,
 * TSR_ERR_GAME_DRAWS, TSR_ERR_GAME_PRICE_MAX. */
tsr_status tsr_bet_validate(const tsr_catalog *cat, const char *game, const tsr_bet *bet,
                            tsr_cents *per_draw_out, char *why, size_t whylen) TSR_MUST_CHECK;

/* The same on a game already looked up (the hot path). */
tsr_status tsr_bet_validate_game(const tsr_game *g, const tsr_bet *bet, tsr_cents *per_draw_out,
                                 char *why, size_t whylen) TSR_MUST_CHECK;

/* Fills defaults (a zero stake becomes the game's minimum, zero draws
 * becomes 1), sorts set selections, validates, and prices the request:
 * per_draw_out for each ticket, total_out = per_draw x draws (both may be
 * NULL). Statuses as tsr_bet_validate. */
tsr_status tsr_bet_prepare(const tsr_catalog *cat, const char *game, tsr_bet *bet,
                           tsr_cents *per_draw_out, tsr_cents *total_out, char *why,
                           size_t whylen) TSR_MUST_CHECK;

/* Number of straight combinations a digits bet stands for (combo on 1-2-3:
 * 6; on 1-1-2: 3); 1 for every other bet. */
unsigned tsr_bet_combinations(const tsr_bet *bet);

/* Quick pick: random selections for bet->type from the RNG seam, without
 * modulo bias (tsr_rng_uniform) and without duplicates where the family
 * forbids them; a box quick pick never yields a combination with no box.
 * For keno, bet->count is the spot count (0 means the game's maximum).
 * Other fields (stake, add-ons, draws) are kept; quick_pick is set.
 * TSR_ERR_GAME_UNKNOWN, TSR_ERR_GAME_BET_TYPE, TSR_ERR_GAME_COUNT (spots),
 * TSR_ERR_RNG. */
tsr_status tsr_bet_quick_pick(const tsr_catalog *cat, const char *game, tsr_rng *rng,
                              tsr_bet *bet) TSR_MUST_CHECK;

/* Box kind of a digits combination: the number of distinct orders (pick-3:
 * 1, 3, 6; pick-4: 1, 4, 6, 12, 24). */
unsigned tsr_digits_ways(const uint8_t *digits, unsigned n);

/* Per-combination sales liability of a digits game (pick-3/4): what the
 * house would pay on each drawable combination if it came up, for one draw.
 * The node keeps one per (game, draw), zeroed at first sale and rebuilt
 * from its tickets after a restart, and refuses a bet that would take any
 * combination above the game's liability_cap. The caller owns it and
 * serialises access (it lives inside the bet transaction). */
#define TSR_DIGITS_COMBOS 10000 /* 10^4: pick-4 */
typedef struct tsr_liability {
    tsr_cents exposure_cents[TSR_DIGITS_COMBOS]; /* index: the digits as a number */
} tsr_liability;

/* Adds a valid digits bet's payouts to l if no combination would exceed
 * g->liability_cap_cents (no cap: always added); otherwise changes nothing
 * and returns TSR_ERR_GAME_LIABILITY. Other families: TSR_OK, no-op. */
tsr_status tsr_liability_add(tsr_liability *l, const tsr_game *g, const tsr_bet *bet) TSR_MUST_CHECK;

/* Takes a bet back out (a cancelled ticket). */
void tsr_liability_remove(tsr_liability *l, const tsr_game *g, const tsr_bet *bet);

#endif

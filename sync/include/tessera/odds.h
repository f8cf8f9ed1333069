/*
 * Odds: exact combinatorics, integer arithmetic only. Each prize tier's
 * chance is ways / total for one play, where total is the number of equally
 * likely draws seen from that play. Printed as "1 in 292,201,338" or, when
 * total / ways is not an integer, "1 in 11,688,053.52" (two decimals,
 * rounded half up with integers).
 *
 * Usage (`tessera games odds GAME`):
 *
 *   tsr_odds_row rows[TSR_ODDS_ROWS_MAX];
 *   size_t n;
 *   st = tsr_odds_compute(game, rows, TSR_ODDS_ROWS_MAX, &n);
 *   for (i < n) { char b[TSR_ODDS_STR_MAX];
 *                 printf("%s %s\n", rows[i].label,
 *                        tsr_odds_format(rows[i].ways, rows[i].total, b, sizeof b)); }
 */
#ifndef TESSERA_ODDS_H
#define TESSERA_ODDS_H

#include <stddef.h>
#include <stdint.h>

#include "tessera/catalog.h"
#include "tessera/status.h"

#define TSR_ODDS_ROWS_MAX (TSR_TIERS_MAX + 16) /* tiers + one overall per section */
#define TSR_ODDS_LABEL_MAX 48
#define TSR_ODDS_STR_MAX 80

typedef struct tsr_odds_row {
    char section[TSR_ODDS_LABEL_MAX]; /* "10 spots", "box", "" for one-table games */
    char label[TSR_ODDS_LABEL_MAX];   /* the tier's name, or "overall" */
    int tier;                         /* tier index, -1 for the overall row */
    uint64_t ways;                    /* winning outcomes */
    uint64_t total;                   /* all outcomes */
} tsr_odds_row;

/* n choose k exactly; 0 when k > n; UINT64_MAX when it does not fit. */
uint64_t tsr_choose(unsigned n, unsigned k);

/* The ways and total of tier `tier` of game g for one play. For digits box
 * tiers, the play is a combination of that box kind. Pure. */
void tsr_odds_tier(const tsr_game *g, unsigned tier, uint64_t *ways, uint64_t *total);

/* Every tier's odds and an overall row per section (the chance of any prize
 * for one play of that section), in catalogue order. TSR_ERR_TOO_LARGE when
 * cap rows are not enough. */
tsr_status tsr_odds_compute(const tsr_game *g, tsr_odds_row *rows, size_t cap,
                            size_t *n) TSR_MUST_CHECK;

/* "1 in X" for ways/total into buf; "never" when ways is 0. Returns buf. */
char *tsr_odds_format(uint64_t ways, uint64_t total, char *buf, size_t len);

#endif

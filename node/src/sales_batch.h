/*
 * Retail sales posted per group: the writer's pending ledger postings of
 * terminal bets.
 *
 * A bet posted alone is one ledger_tx, two entries and two balance
 * updates: 9 B-tree writes, ~20 % of the writer's time per bet at 13,000
 * bets/s (perf). A terminal sells many tickets per group commit, so the
 * bet path only checks and counts a retail sale here (the float's balance
 * read once per group, less what is already pending), and the writer
 * posts the group's sales of each terminal as one balanced transaction
 * before any job that is not a bet and before the COMMIT:
 *
 *   ledger_tx  kind "sales", ref "seq:<first>-<last>" (the terminal's
 *              first and last ticket seq in it)
 *   entries    agent_float:<terminal>  +sum (debit)
 *              sales:<game>            -sum of that game (credit), per game
 *
 * The tickets table is the detail: each ticket row names its terminal and
 * stake, so every posting is the sum of exactly the terminal's tickets with
 * seq in [first, last] of that transaction (tsr_sales_batch_check proves it
 * for the whole ledger). A cancelled ticket is refunded on its own, by
 * ticket id, as before. Player bets are still posted one by one: a player's
 * statement shows each bet.
 *
 * Nothing here writes but flush. Writer thread only.
 */
#ifndef TSR_NODE_SALES_BATCH_H
#define TSR_NODE_SALES_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "tessera/money.h"
#include "tessera/status.h"

typedef struct tsr_sales_batch tsr_sales_batch;

/* Owns *out. TSR_ERR_NOMEM. */
tsr_status tsr_sales_batch_new(tsr_sales_batch **out) TSR_MUST_CHECK;
void tsr_sales_batch_free(tsr_sales_batch *b);

/* Counts a retail sale of `stake` (one ticket, seq) by `terminal` for
 * `game` when the terminal's float covers it with what is pending.
 * TSR_ERR_FLOAT_FUNDS when it does not (a float never used is empty),
 * TSR_ERR_ARG for a bad name or stake, TSR_ERR_INTERNAL past
 * TSR_CATALOG_GAMES_MAX games in one batch (only games of the catalogue
 * are sold), TSR_ERR_NOMEM, store errors. Reads only. */
tsr_status tsr_sales_batch_add(tsr_sales_batch *b, tsr_store_conn *db, const char *terminal,
                               const char *game, tsr_cents stake, int64_t seq) TSR_MUST_CHECK;

/* Whether terminal's float covers `amount` more than what is pending
 * (a multi-draw sale checks its whole stake before its first ticket, so a
 * float short for a later draw refuses the bet before anything is
 * written). TSR_OK, TSR_ERR_FLOAT_FUNDS, TSR_ERR_ARG, store errors.
 * Counts nothing; reads only. */
tsr_status tsr_sales_batch_covers(tsr_sales_batch *b, tsr_store_conn *db, const char *terminal,
                                  tsr_cents amount) TSR_MUST_CHECK;

/* A point to come back to, and back to it: the sales counted since the
 * mark are forgotten (a job that failed after counting its sales); back
 * to 0 also forgets the balances read. */
size_t tsr_sales_batch_mark(const tsr_sales_batch *b);
void tsr_sales_batch_revert(tsr_sales_batch *b, size_t mark);

/* Posts every pending sale (one transaction per terminal, split by at most
 * TSR_LEDGER_LEGS_MAX - 1 games) and empties the batch, also on failure
 * (the caller's group then fails). Store errors; TSR_ERR_INTERNAL when the
 * ledger refuses what add allowed. */
tsr_status tsr_sales_batch_flush(tsr_sales_batch *b, tsr_store_conn *db,
                                 int64_t now_ns) TSR_MUST_CHECK;

/* Sales counted and not yet posted. */
size_t tsr_sales_batch_pending(const tsr_sales_batch *b);

/* The tickets sold by terminal (float account_id) in its "sales" postings
 * of ledger transactions [tx_lo, tx_hi): a terminal's postings follow each
 * other, so they are its tickets between the first posting's first seq
 * and the last one's last. TSR_ERR_LEDGER_UNBALANCED for a posting whose
 * ref is not a seq range; store errors. Reads only. */
tsr_status tsr_sales_batch_tickets(tsr_store_conn *db, const char *terminal, int64_t account_id,
                                   int64_t tx_lo, int64_t tx_hi, int64_t *count) TSR_MUST_CHECK;

/* The whole ledger against the tickets: every "sales" transaction's float
 * entry equals the stakes of that terminal's tickets in its seq range, and
 * its sales entries those per game. TSR_OK, or TSR_ERR_LEDGER_UNBALANCED
 * with the first transaction id that disagrees in *bad_tx. */
tsr_status tsr_sales_batch_check(tsr_store_conn *db, int64_t *bad_tx) TSR_MUST_CHECK;

#endif

/*
 * Prizes: payouts from central and retail claims.
 *
 * Central settles a draw and sends each node the payouts of its tickets
 * (payout id unique). tsr_payout_apply books one exactly once: an online
 * ticket's prize goes to the player's wallet at once (class auto); a retail
 * ticket's prize becomes payable at any terminal; a claim-centre prize is
 * owed but no terminal pays it. A terminal then claims a retail ticket
 * (POST /v1/claims): the agent pays cash and the float is credited, exactly
 * once — a second claim is refused with the date it was paid.
 */
#ifndef TSR_NODE_CLAIMS_H
#define TSR_NODE_CLAIMS_H

#include <stdbool.h>
#include <stdint.h>

#include "job.h"
#include "store.h"
#include "tessera/money.h"

/* Longest payout id and ticket id (text) accepted. */
#define TSR_PAYOUT_ID_MAX 64

typedef enum tsr_payout_class {
    TSR_PAYOUT_AUTO,        /* credited (online) or payable at any terminal (retail) */
    TSR_PAYOUT_CLAIM_CENTRE /* above the terminal threshold: claim centre only */
} tsr_payout_class;

/* One payout as central sends it (strings borrowed). */
typedef struct tsr_payout {
    const char *payout_id;
    const char *ticket_id;
    int64_t player_id;      /* the online ticket's player, 0 for a retail ticket
                               (the caller reads it from its tickets table) */
    tsr_cents gross;        /* the prize, > 0 */
    tsr_cents withheld;     /* tax withheld, 0 <= withheld < gross */
    tsr_payout_class klass;
} tsr_payout;

/* Books a payout: debit prize_expense gross; credit player:<id> (online,
 * auto) or prize_payable (retail, or claim centre) with gross - withheld;
 * credit tax_withheld with withheld. Idempotent by payout id: the same
 * payout again returns TSR_OK with *applied false and books nothing; the
 * same id (or the same ticket) with other content is
 * TSR_ERR_PAYOUT_CONFLICT. TSR_ERR_ARG for bad ids or amounts. */
tsr_status tsr_payout_apply(tsr_store_conn *db, const tsr_payout *p, int64_t now_ns,
                            bool *applied) TSR_MUST_CHECK;

/* What a claim paid, or when it was paid before. */
typedef struct tsr_claim_result {
    tsr_cents amount;        /* net prize paid in cash by the agent */
    int64_t paid_at_ns;
    char paid_terminal[TSR_CALLER_ID_MAX];
} tsr_claim_result;

/* Pays a retail ticket at terminal_id by agent_id: debit prize_payable,
 * credit agent_float:<terminal> (kind "claim", ref ticket_id). Refusals:
 * TSR_ERR_CLAIM_NO_PRIZE (no payout for this ticket, yet or ever),
 * TSR_ERR_CLAIM_ONLINE (an online ticket, already in the wallet),
 * TSR_ERR_CLAIM_CENTRE, TSR_ERR_CLAIM_PAID (with the first payment in *out).
 * TSR_ERR_ARG for a malformed ticket or terminal id. */
tsr_status tsr_claim_pay(tsr_store_conn *db, const char *ticket_id, const char *terminal_id,
                         int64_t agent_id, int64_t now_ns, tsr_claim_result *out) TSR_MUST_CHECK;

#endif

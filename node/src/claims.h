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
#include "tessera/codec.h"
#include "tessera/money.h"

/* Longest payout id and ticket id (text) accepted. */
#define TSR_PAYOUT_ID_MAX 64

typedef enum tsr_node_payout_class {
    TSR_NODE_PAYOUT_AUTO,        /* credited (online) or payable at any terminal (retail) */
    TSR_NODE_PAYOUT_CLAIM_CENTRE /* above the terminal threshold: claim centre only */
} tsr_node_payout_class;

/* One payout as central sends it (strings borrowed). */
typedef struct tsr_node_payout {
    const char *payout_id;
    const char *ticket_id;
    int64_t player_id;      /* the online ticket's player, 0 for a retail ticket
                               (the caller reads it from its tickets table) */
    tsr_cents gross;        /* the prize, > 0 */
    tsr_cents withheld;     /* tax withheld, 0 <= withheld < gross */
    tsr_node_payout_class klass;
} tsr_node_payout;

/* Books a payout: debit prize_expense gross; credit player:<id> (online,
 * auto) or prize_payable (retail, or claim centre) with gross - withheld;
 * credit tax_withheld with withheld. Idempotent by payout id: the same
 * payout again returns TSR_OK with *applied false and books nothing; the
 * same id (or the same ticket) with other content is
 * TSR_ERR_PAYOUT_CONFLICT. TSR_ERR_ARG for bad ids or amounts. */
tsr_status tsr_payout_apply(tsr_store_conn *db, const tsr_node_payout *p, int64_t now_ns,
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

/* ---- tickets presented at a till: serial and validation code ----------------- */

/* Digits of a ticket's validation code (receipt.c: six, printed and in the
 * QR payload TSR1:<serial>:<check>). */
#define TSR_CLAIM_CHECK_DIGITS 6

/* A ticket found by its serial and validation code. */
typedef struct tsr_claim_ticket {
    char ticket_id[2 * TSR_TICKET_ID_LEN + 1]; /* lowercase hex, as payouts name it */
    char serial[TSR_SERIAL_MAX];
    char game[TSR_PAYOUT_ID_MAX + 1];
    int64_t draw;
    int64_t player_id;                  /* > 0: sold online to this player */
    char terminal_id[TSR_CALLER_ID_MAX]; /* retail: the selling terminal */
    bool cancelled;
} tsr_claim_ticket;

/* Finds the ticket whose serial and validation code (six digits, as
 * printed) are given. TSR_ERR_RANGE for a malformed serial or code (not a
 * guess: nothing to count); TSR_ERR_CLAIM_CHECK when no ticket has this
 * serial, or it has another code — the same answer for both, so serials
 * (node-seq, easy to enumerate) tell a guesser nothing. Read-only. */
tsr_status tsr_claim_find(tsr_store_conn *db, const char *serial, const char *check,
                          tsr_claim_ticket *out) TSR_MUST_CHECK;

/* What a presented ticket is worth now. */
typedef enum tsr_win_state {
    TSR_WIN_PENDING,      /* its draw has no result on this node yet */
    TSR_WIN_LOST,         /* drawn, no prize */
    TSR_WIN_PAYABLE,      /* a prize any terminal of the node pays */
    TSR_WIN_PAID,         /* paid before (paid_at_ns, paid_terminal) */
    TSR_WIN_CLAIM_CENTRE, /* a prize only a claim centre pays */
    TSR_WIN_CREDITED,     /* an online ticket's prize, already in the wallet */
    TSR_WIN_CANCELLED,    /* voided: its stake was refunded */
    TSR_WIN_REFUNDED      /* its draw could not include it: stake refunded */
} tsr_win_state;

typedef struct tsr_win {
    tsr_win_state state;
    tsr_cents amount;   /* net prize (gross - withheld); 0 without prize */
    tsr_cents gross, withheld;
    int64_t paid_at_ns; /* PAID */
    char paid_terminal[TSR_CALLER_ID_MAX];
} tsr_win;

/* "pending", "lost", "payable", ...; static. */
const char *tsr_win_state_name(tsr_win_state s);

/* The winner check of a found ticket (borrowed): the payouts booked from
 * central first, then the outcome the sync module recorded when the draw's
 * result came, then the ticket's own state. Read-only. */
tsr_status tsr_claim_status(tsr_store_conn *db, const tsr_claim_ticket *t,
                            tsr_win *out) TSR_MUST_CHECK;

#endif

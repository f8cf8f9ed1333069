/*
 * Retail agents: an agent logs in with a PIN on a terminal whose identity is
 * its DTLS-PSK identity; the terminal holds a float account
 * (agent_float:<terminal>, see ledger.h) that retail sales consume and paid
 * prizes and cash top-ups replenish.
 */
#ifndef TSR_NODE_AGENTS_H
#define TSR_NODE_AGENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "sessions.h"
#include "tessera/money.h"

/* Longest agent name (the login name on the terminal). */
#define TSR_AGENT_NAME_MAX 32

/* Adds an agent of terminal_id with a PIN already hashed (tsr_auth_hash).
 * Writes its id. TSR_ERR_ARG for a malformed terminal id or name (the
 * characters of a ledger key, 1..32), TSR_ERR_EXISTS when the terminal
 * already has an agent of that name. */
tsr_status tsr_agents_add(tsr_store_conn *db, const char *terminal_id, const char *name,
                          const char *pin_hash, int64_t now_ns, int64_t *agent_id) TSR_MUST_CHECK;

/* Finds an agent of a terminal: id and PIN hash. TSR_ERR_NOT_FOUND. */
tsr_status tsr_agents_lookup(tsr_store_conn *db, const char *terminal_id, const char *name,
                             int64_t *agent_id, char hash[TSR_SECRET_HASH_SIZE]) TSR_MUST_CHECK;

/* The writer's half of an agent login, as tsr_login_finish for players
 * (3 wrong PINs lock the agent; the session is bound to terminal_id).
 * Outcome TSR_ERR_CREDENTIALS also when the agent belongs to another
 * terminal. */
tsr_status tsr_agents_login_finish(const tsr_accounts *a, tsr_store_conn *db, int64_t agent_id,
                                   const char *terminal_id, bool pin_ok, int64_t now_ns,
                                   tsr_login_result *out) TSR_MUST_CHECK;

/* Operator unlock of an agent. TSR_ERR_NOT_FOUND. */
tsr_status tsr_agents_unlock(tsr_store_conn *db, int64_t agent_id) TSR_MUST_CHECK;

/* Cash the shop paid the operator (amount > 0) becomes float credit:
 * debit agent_cash, credit agent_float:<terminal>. A negative amount is a
 * settlement the other way (the operator pays out unused float), refused
 * with TSR_ERR_FLOAT_FUNDS beyond the float. ref names the operator's
 * receipt. Writes the ledger tx id. */
tsr_status tsr_agents_float_adjust(tsr_store_conn *db, const char *terminal_id, tsr_cents amount,
                                   const char *ref, int64_t now_ns, int64_t *tx_id) TSR_MUST_CHECK;

/* ---- end-of-day settlement of a terminal --------------------------------------- */

/* How far back a settlement may be asked for (days before today): the
 * closing float of day D is the balance now minus every movement since, so
 * the work grows with the age of D; a quarter covers every reconciliation
 * a shop does at the till (older ones come from central's reports). */
#define TSR_SETTLEMENT_DAYS_BACK_MAX 92

/* One UTC day of a terminal's float, from its ledger entries. Amounts are
 * cents; counts are tickets sold (of per-ticket `bet` and per-group `sales`
 * postings) and ledger transactions for cancels, claims and top-ups. The identity float_close = float_open - sales + cancels +
 * payouts + cash_in - cash_out + other always holds. */
typedef struct tsr_settlement {
    char day[11];                 /* YYYY-MM-DD */
    int64_t first_tx, end_tx;     /* the day's ledger transactions: [first_tx, end_tx) */
    int64_t sales_count, cancels_count, payouts_count, cash_in_count, cash_out_count;
    tsr_cents sales;              /* stakes of tickets sold (float debited) */
    tsr_cents cancels;            /* stakes refunded (voids, refunds of cancelled draws) */
    tsr_cents payouts;            /* prizes the till paid in cash */
    tsr_cents cash_in, cash_out;  /* float bought from / settled back to the operator */
    tsr_cents other;              /* any other movement of the float (none today) */
    tsr_cents net_takings;        /* sales - cancels - payouts: cash the till took net */
    tsr_cents net_cash_due;       /* net_takings - cash_in + cash_out: cash owed to bring
                                     the float back to its opening level (< 0: owed to the shop) */
    tsr_cents float_open, float_close;
} tsr_settlement;

/* Parses "YYYY-MM-DD" (a real calendar date, years 2000..2199) into the
 * nanoseconds of its UTC midnight. TSR_ERR_DATE otherwise. */
tsr_status tsr_settlement_day(const char *day, int64_t *start_ns) TSR_MUST_CHECK;

/* The settlement of terminal_id for the UTC day starting at day_start_ns,
 * read from the ledger on db (any connection; run it inside one read
 * transaction for a consistent snapshot). The day is the ledger
 * transactions from the first one stamped at or after its midnight up to
 * the first one stamped at or after the next (the ledger_tx_at index),
 * so consecutive days split the ledger with no gap or overlap as long as
 * the writer's clock never stepped back. TSR_ERR_ARG for a bad terminal
 * id. */
tsr_status tsr_settlement_compute(tsr_store_conn *db, const char *terminal_id,
                                  int64_t day_start_ns, tsr_settlement *out) TSR_MUST_CHECK;

#endif

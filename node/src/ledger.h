/*
 * The double-entry ledger of a node. Every movement of money is one
 * ledger_tx with two or more entries whose amounts sum to zero, written in
 * the same SQLite transaction as the business row that caused it.
 *
 * Sign convention. An entry's amount is signed debit-positive: +x debits an
 * account, -x credits it, and the entries of a transaction sum to zero.
 * Each account has a normal side: assets and expenses are debit-normal
 * (normal = +1), liabilities and revenue credit-normal (normal = -1). The
 * stored balance is the *natural* balance, normal * sum(amounts), so every
 * balance reads as a positive number in the ordinary case:
 *
 *   account              normal  floor  meaning of a positive balance
 *   player:<id>          -1      >= 0   what the operator owes the player (wallet)
 *   agent_float:<term>   -1      >= 0   sales credit the shop prepaid and not yet
 *                                       used; a retail sale consumes it, a prize
 *                                       the shop paid in cash adds it back
 *   sales:<game>         -1      -      stakes taken (revenue), minus refunds
 *   prize_payable        -1      >= 0   retail prizes owed at terminals
 *   withdrawals_pending  -1      >= 0   withdrawals sent to the provider
 *   psp_clearing         +1      -      money the payment provider holds for us
 *   prize_expense        +1      -      prizes won (gross, before withholding)
 *   tax_withheld         -1      -      tax withheld from prizes, owed to the state
 *   agent_cash           +1      -      cash agents paid the operator for float
 *
 * So a deposit debits psp_clearing and credits player:<id>; a bet debits
 * player:<id> and credits sales:<game> ("bet", one per ticket); a
 * terminal's sales of a group commit debit agent_float:<terminal> and
 * credit sales:<game> once ("sales", sales_batch.h); a refund reverses a
 * ticket's sale; an online prize debits prize_expense, credits player:<id>
 * (and tax_withheld); a retail prize credits prize_payable, and paying it at
 * a terminal debits prize_payable and credits agent_float:<terminal>.
 *
 * Functions run inside the caller's transaction (the writer's group commit
 * or a test's BEGIN); each mutating one is atomic on its own (savepoint).
 */
#ifndef TSR_NODE_LEDGER_H
#define TSR_NODE_LEDGER_H

#include "store.h"
#include <stddef.h>
#include <stdint.h>

#include "tessera/money.h"
#include "tessera/status.h"

/* Bytes of an account name buffer, NUL included: a prefix plus a game code,
 * terminal id or player id, each at most TSR_LEDGER_KEY_MAX characters. */
#define TSR_LEDGER_NAME_SIZE 80
#define TSR_LEDGER_KEY_MAX 48
/* Entries in one transaction: a prize with withholding needs three; more
 * than a handful means a caller bug. */
#define TSR_LEDGER_LEGS_MAX 8

/* One entry of a transaction: borrowed account name, signed amount
 * (debit > 0, credit < 0, never 0). */
typedef struct tsr_ledger_leg {
    const char *account;
    tsr_cents amount;
} tsr_ledger_leg;

/* Writes "player:<id>", "agent_float:<terminal>" or "sales:<game>" into out
 * (TSR_LEDGER_NAME_SIZE bytes). TSR_ERR_ARG for an empty key, a key longer
 * than TSR_LEDGER_KEY_MAX or with characters outside [A-Za-z0-9_.-]. */
tsr_status tsr_ledger_player_account(char *out, int64_t player_id) TSR_MUST_CHECK;
tsr_status tsr_ledger_float_account(char *out, const char *terminal_id) TSR_MUST_CHECK;
tsr_status tsr_ledger_sales_account(char *out, const char *game) TSR_MUST_CHECK;

/* Posts one balanced transaction of n legs (borrowed), creating accounts on
 * first use. kind ("bet", "deposit", ...) and ref (the business row's id)
 * are copied. Writes the transaction id to *tx_id (may be NULL). Returns
 * TSR_ERR_ARG for fewer than 2 or more than TSR_LEDGER_LEGS_MAX legs, a zero
 * amount, a repeated or unknown account; TSR_ERR_LEDGER_UNBALANCED when the
 * amounts do not sum to zero; TSR_ERR_OVERFLOW when an amount or a balance
 * leaves the money range; TSR_ERR_LEDGER_NEGATIVE when an account with a
 * floor would go below zero (nothing is written then); SQLite failures. */
tsr_status tsr_ledger_post(tsr_store_conn *db, const char *kind, const char *ref, int64_t now_ns,
                           const tsr_ledger_leg *legs, size_t n, int64_t *tx_id) TSR_MUST_CHECK;

/* Shorthand for a two-leg post: debit `debit_account`, credit
 * `credit_account` with amount > 0 (TSR_ERR_ARG otherwise). */
tsr_status tsr_ledger_transfer(tsr_store_conn *db, const char *kind, const char *ref, int64_t now_ns,
                               const char *debit_account, const char *credit_account,
                               tsr_cents amount, int64_t *tx_id) TSR_MUST_CHECK;

/* The natural balance of an account; 0 for an account never used. */
tsr_status tsr_ledger_balance(tsr_store_conn *db, const char *account, tsr_cents *out) TSR_MUST_CHECK;

/* What tsr_ledger_check found. */
typedef struct tsr_ledger_report {
    int64_t tx_count, entry_count, account_count;
    int64_t bad_tx_id;                   /* first unbalanced tx, else 0 */
    char bad_account[TSR_LEDGER_NAME_SIZE]; /* first drifting/negative account */
    tsr_cents bad_balance;               /* its stored balance */
} tsr_ledger_report;

/* Verifies the whole ledger: every transaction has >= 2 entries summing to
 * zero and no entry is orphaned (TSR_ERR_LEDGER_UNBALANCED), every stored
 * balance equals normal * the sum of its entries (TSR_ERR_LEDGER_DRIFT), no
 * account with a floor is negative (TSR_ERR_LEDGER_NEGATIVE), and the
 * retail sales postings agree with their tickets (tsr_sales_batch_check:
 * TSR_ERR_LEDGER_UNBALANCED). Fills *r (borrowed) in every case. Read-only. */
tsr_status tsr_ledger_check(tsr_store_conn *db, tsr_ledger_report *r) TSR_MUST_CHECK;

#endif

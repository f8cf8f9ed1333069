/*
 * The wallet: what the bet path charges and refunds, deposits and
 * withdrawals through the payment provider, and the player's view.
 *
 * Every function runs inside the caller's transaction (the writer's job
 * savepoint, or a test's BEGIN) and is atomic on its own: a refusal leaves
 * nothing behind (no limit usage, no ledger rows).
 */
#ifndef TSR_NODE_WALLET_H
#define TSR_NODE_WALLET_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "players.h"
#include "store.h"
#include "tessera/money.h"

/* Who pays for a bet: a player's wallet (player_id > 0) or, for a retail
 * sale, the terminal's agent float (player_id 0, terminal_id set). */
typedef struct tsr_bettor {
    int64_t player_id;
    const char *terminal_id; /* borrowed */
} tsr_bettor;

/* Most wallet movements GET /v1/wallet lists. */
#define TSR_WALLET_HISTORY_MAX 50

/* The bet path's debit of one ticket of a player's bet (kind "bet", ref
 * ticket_id, both copied; retail sales are counted in the group's sales
 * batch instead, sales_batch.h): in this order TSR_ERR_KYC_PENDING /
 * TSR_ERR_KYC_REJECTED (not verified), TSR_ERR_SELF_EXCLUDED,
 * TSR_ERR_COOL_OFF, TSR_ERR_LIMIT_EXCEEDED (stake per day/week), then
 * TSR_ERR_FUNDS, each for stake + after when after (the stakes of the
 * bet's tickets still to charge) is > 0, so a bet is refused at its first
 * ticket with nothing written. Debits the wallet and credits
 * sales:<game>. TSR_ERR_ARG for a bettor that is not a player, stake <= 0,
 * after < 0, a bad game code or ticket id; TSR_ERR_NOT_FOUND for an
 * unknown player. */
tsr_status tsr_wallet_debit_for_bet(const tsr_accounts *a, tsr_store_conn *db,
                                    const tsr_bettor *who, const char *game, tsr_cents stake,
                                    tsr_cents after, const char *ticket_id, int64_t now_ns) TSR_MUST_CHECK;

/* Gives a ticket's stake back to whoever paid it (a cancel in the void
 * window, a cancelled draw, a node excluded from a draw): debits
 * sales:<game>, credits the wallet or float, kind "refund", ref ticket_id;
 * `reason` (static, e.g. "cancel") goes to the log of the caller. The
 * amount is the bet's own debit, found by ticket id (for a retail sale
 * posted in a group's `sales` transaction, the ticket row's stake of that
 * terminal and game); stake must equal it (TSR_ERR_ARG otherwise). Idempotent: a ticket already refunded returns
 * TSR_OK with *applied false. TSR_ERR_NOT_FOUND when no bet of this bettor
 * has that ticket id. */
tsr_status tsr_wallet_refund_bet(tsr_store_conn *db, const tsr_bettor *who, const char *game,
                                 tsr_cents stake, const char *ticket_id, int64_t now_ns,
                                 bool *applied) TSR_MUST_CHECK;

/* A deposit request: TSR_ERR_KYC_*, TSR_ERR_SELF_EXCLUDED, TSR_ERR_COOL_OFF,
 * TSR_ERR_LIMIT_EXCEEDED (deposit per day/week), TSR_ERR_RANGE for amount
 * <= 0 or above the money range. Writes a pending psp_requests row for
 * `provider` (copied) and its id; nothing is credited until the provider's
 * signed callback (psp.h). */
tsr_status tsr_wallet_deposit_request(tsr_store_conn *db, int64_t player_id, tsr_cents amount,
                                      const char *provider, int64_t now_ns,
                                      int64_t *request_id) TSR_MUST_CHECK;

/* A withdrawal request: TSR_ERR_KYC_*, TSR_ERR_RANGE, TSR_ERR_FUNDS. Moves
 * the amount from player:<id> to withdrawals_pending at once (so it cannot
 * be staked meanwhile) and writes a pending request. */
tsr_status tsr_wallet_withdrawal_request(tsr_store_conn *db, int64_t player_id, tsr_cents amount,
                                         const char *provider, int64_t now_ns,
                                         int64_t *request_id) TSR_MUST_CHECK;

/* The player's wallet as JSON (owned by *out): {"player_id", "balance",
 * "pending_withdrawals", "kyc", "history": [{"tx", "kind", "ref", "amount",
 * "at"}...]} with amounts in cents (positive = into the wallet), newest
 * first, at most TSR_WALLET_HISTORY_MAX. Read-only. */
tsr_status tsr_wallet_view(tsr_store_conn *db, int64_t player_id, json_t **out) TSR_MUST_CHECK;

/* A terminal's agent float as JSON (owned by *out): {"terminal",
 * "agent_id", "float", "history": [...]} — the float balance in cents and
 * its movements in the same form as a player's history (positive = into
 * the float: cash bought, prizes paid; negative = sales). Read-only. */
tsr_status tsr_wallet_float_view(tsr_store_conn *db, const char *terminal_id, int64_t agent_id,
                                 json_t **out) TSR_MUST_CHECK;

#endif

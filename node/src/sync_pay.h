/*
 * Booking payout entries (sync_pay.c): the node's own payout type
 * (claims.h tsr_node_payout) is kept out of sync_node.h so the sync module's
 * other files need not see the accounts module.
 */
#ifndef TSR_NODE_SYNC_PAY_H
#define TSR_NODE_SYNC_PAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "tessera/codec.h"
#include "tessera/hash.h"

/* One payout entry as the node books it, free of results.h and claims.h
 * types. Strings are lowercase hex. */
typedef struct tsr_sync_pay {
    char payout_id[2 * TSR_HASH_LEN + 1];
    char ticket_id[2 * TSR_TICKET_ID_LEN + 1];
    bool refund;          /* a stake returned; else a prize */
    bool claim_centre;    /* prize class: claim centre only (else auto/terminal) */
    int tier;             /* -1 for a refund */
    int64_t amount_cents; /* gross prize or refunded stake */
    int64_t withheld_cents;
} tsr_sync_pay;

/* Books a payout batch's entries (borrowed) of game/draw, each exactly
 * once by payout id, in the caller's transaction: a prize through the
 * accounts' tsr_payout_apply (online: the wallet; retail: payable at a
 * terminal; claim centre: owed), a refund through tsr_wallet_refund_bet
 * (back to the wallet or the agent float), the ticket's outcome, and a
 * notification for an online player. *fresh counts entries booked now.
 * TSR_ERR_CONTROL_REFUSED for an entry whose ticket this node did not
 * sell, or whose payout id was booked with other content. */
tsr_status tsr_sync_pay_entries(tsr_store_txn *txn, const char *game, uint32_t draw,
                                const tsr_sync_pay *e, size_t n,
                                uint64_t *fresh) TSR_MUST_CHECK;

#endif

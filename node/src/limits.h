/*
 * Responsible-gambling limits a player sets on themself: stake and deposit
 * totals per day and per week. The regulator's rule: a lowering applies at
 * once, a raise (or a removal) only after the cooling period
 * limit_raise_delay_s, so a player cannot lift a limit in the heat of play.
 *
 * Days are UTC days (now_ns / 86400 s); "week" is the day plus the six
 * before it (a rolling week, so no Monday reset invites a binge). Usage is
 * counted when a stake is debited and when a deposit is requested; a failed
 * deposit gives its usage back, a refunded stake does not (conservative).
 */
#ifndef TSR_NODE_LIMITS_H
#define TSR_NODE_LIMITS_H

#include <stdbool.h>
#include <stdint.h>

#include "players.h"
#include "store.h"
#include "tessera/money.h"

typedef enum tsr_limit_kind {
    TSR_LIMIT_STAKE_DAY,
    TSR_LIMIT_STAKE_WEEK,
    TSR_LIMIT_DEPOSIT_DAY,
    TSR_LIMIT_DEPOSIT_WEEK,
    TSR_LIMIT_KINDS
} tsr_limit_kind;

/* "No limit" as an amount. */
#define TSR_LIMIT_NONE INT64_C(-1)
/* Days in the rolling week. */
#define TSR_LIMIT_WEEK_DAYS 7

typedef struct tsr_limit_view {
    tsr_cents amount;         /* in force now, or TSR_LIMIT_NONE */
    bool pending;             /* a raise waits for its cooling period */
    tsr_cents pending_amount; /* its amount (TSR_LIMIT_NONE: removal) */
    int64_t pending_at_ns;    /* when it applies */
} tsr_limit_view;

/* "stake_day", "stake_week", "deposit_day", "deposit_week"; static. */
const char *tsr_limit_kind_name(tsr_limit_kind k);

/* Limits in force at now_ns, all kinds (TSR_LIMIT_NONE where unset). */
tsr_status tsr_limits_get(tsr_store_conn *db, int64_t player_id, int64_t now_ns,
                          tsr_limit_view out[TSR_LIMIT_KINDS]) TSR_MUST_CHECK;

/* Sets one limit (amount >= 0, or TSR_LIMIT_NONE to remove it): a lowering
 * at once, a raise after the cooling period. Fills *out with the result.
 * TSR_ERR_RANGE for a negative amount other than NONE or above the money
 * range, TSR_ERR_ARG for a bad kind. */
tsr_status tsr_limits_set(const tsr_accounts *a, tsr_store_conn *db, int64_t player_id,
                          tsr_limit_kind kind, tsr_cents amount, int64_t now_ns,
                          tsr_limit_view *out) TSR_MUST_CHECK;

/* Counts `amount` of stake (deposit false) or deposit (true) for the
 * player's day, refusing with TSR_ERR_LIMIT_EXCEEDED (and counting
 * nothing) when the day's or the week's total would pass its limit. */
tsr_status tsr_limits_use(tsr_store_conn *db, int64_t player_id, bool deposit, tsr_cents amount,
                          int64_t now_ns) TSR_MUST_CHECK;

/* tsr_limits_use in two steps, so a caller can put a refusal of its own in
 * between and still fail having written nothing (the bet path: limits, then
 * the ledger's funds check, then the count). check only reads: TSR_OK or
 * TSR_ERR_LIMIT_EXCEEDED (TSR_ERR_RANGE as use); record counts without
 * checking. */
tsr_status tsr_limits_check(tsr_store_conn *db, int64_t player_id, bool deposit,
                            tsr_cents amount, int64_t now_ns) TSR_MUST_CHECK;
tsr_status tsr_limits_record(tsr_store_conn *db, int64_t player_id, bool deposit,
                             tsr_cents amount, int64_t now_ns) TSR_MUST_CHECK;

/* Gives back usage counted at at_ns (a failed deposit). */
tsr_status tsr_limits_release(tsr_store_conn *db, int64_t player_id, bool deposit,
                              tsr_cents amount, int64_t at_ns) TSR_MUST_CHECK;

#endif

/*
 * Self-exclusion and cool-off. Both stop betting and deposits until they
 * end (withdrawals stay open: a player must always reach their money).
 * Neither can be undone or shortened before it ends — the point of a
 * commitment device — but a longer one may be added on top.
 */
#ifndef TSR_NODE_EXCLUSIONS_H
#define TSR_NODE_EXCLUSIONS_H

#include <stdint.h>

#include "players.h"
#include "store.h"

typedef enum tsr_exclusion_kind { TSR_EXCL_SELF, TSR_EXCL_COOL_OFF } tsr_exclusion_kind;

/* "self_exclusion", "cool_off"; static. */
const char *tsr_exclusion_kind_name(tsr_exclusion_kind k);

/* Starts an exclusion for `duration` days (self-exclusion) or hours
 * (cool-off), within the config's bounds (TSR_ERR_RANGE otherwise). Writes
 * its end. TSR_ERR_EXCLUSION_SHORTER when an active one of the same kind
 * ends later (the new one would not change anything but could be read as a
 * shortening). */
tsr_status tsr_exclusions_add(const tsr_accounts *a, tsr_store_conn *db, int64_t player_id,
                              tsr_exclusion_kind kind, int64_t duration, int64_t now_ns,
                              int64_t *end_ns) TSR_MUST_CHECK;

/* TSR_ERR_SELF_EXCLUDED or TSR_ERR_COOL_OFF while one is active (with its
 * end in *until_ns when not NULL), else TSR_OK. Self-exclusion wins. */
tsr_status tsr_exclusions_check(tsr_store_conn *db, int64_t player_id, int64_t now_ns,
                                int64_t *until_ns) TSR_MUST_CHECK;

#endif

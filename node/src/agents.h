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

#endif

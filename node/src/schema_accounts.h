/*
 * The accounts engineer's tables of schema v1 (players, agents, sessions,
 * the double-entry ledger, limits, exclusions, payment-provider requests and
 * events, payouts). store.c runs this DDL in migration 1, after the core
 * tables, inside the migration's transaction.
 */
#ifndef TSR_NODE_SCHEMA_ACCOUNTS_H
#define TSR_NODE_SCHEMA_ACCOUNTS_H

/* The DDL of schema v1 for the accounts tables: several statements for
 * sqlite3_exec. Static. */
extern const char *const tsr_schema_accounts_v1;

#endif

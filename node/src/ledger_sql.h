/*
 * Small helpers over the store's connection shared by the accounts files
 * (players, sessions, wallet, ledger, ...): cached statements, single-row
 * reads, and savepoints so each public mutating function is atomic on its
 * own even inside the writer's group-commit transaction.
 */
#ifndef TSR_NODE_LEDGER_SQL_H
#define TSR_NODE_LEDGER_SQL_H

#include <stdbool.h>
#include <sqlite3.h>
#include <stdint.h>

#include "store.h"
#include "tessera/status.h"

/* The connection's cached statement for the static string sql (borrowed;
 * reset and unbound). */
tsr_status tsr_sql_prep(tsr_store_conn *c, const char *sql, sqlite3_stmt **out) TSR_MUST_CHECK;

/* Steps a statement that returns no row and resets it. TSR_ERR_EXISTS on a
 * UNIQUE/PRIMARY KEY violation, else the store's mapping. */
tsr_status tsr_sql_run(sqlite3_stmt *st) TSR_MUST_CHECK;

/* Steps a query: TSR_OK with the row available (call sqlite3_reset after
 * reading it), TSR_ERR_NOT_FOUND without row (reset done), or an error. */
tsr_status tsr_sql_row(sqlite3_stmt *st) TSR_MUST_CHECK;

/* Rows changed by the last statement; the last inserted rowid. */
int64_t tsr_sql_changes(tsr_store_conn *c);
int64_t tsr_sql_last_id(tsr_store_conn *c);

/* Tells the calling thread's ledger savepoints whether an enclosing
 * savepoint already covers them, i.e. the caller's job is rolled back whole
 * on any failure (a payout batch: one bad entry refuses the batch). While
 * covered, tsr_sql_sp_begin/end open and release nothing: SQLite's nested
 * savepoints inside one large outer savepoint made every entry of a
 * 4,096-entry batch slower than the last (bench-payout_apply 150000 100:
 * 63 s with them, 5.6 s without). Callers must reset it to false. */
void tsr_sql_sp_covered(bool covered);

/* Opens a savepoint named `acct`. Pair with tsr_sql_sp_end. */
tsr_status tsr_sql_sp_begin(tsr_store_conn *c) TSR_MUST_CHECK;

/* Releases the savepoint when st is TSR_OK, else rolls it back and releases
 * it; returns st (or the failure of releasing). */
tsr_status tsr_sql_sp_end(tsr_store_conn *c, tsr_status st) TSR_MUST_CHECK;

/* The integer of the first column of the one-row query `sql` with one int64
 * parameter; TSR_ERR_NOT_FOUND without row. */
tsr_status tsr_sql_int(tsr_store_conn *c, const char *sql, int64_t p1, int64_t *out) TSR_MUST_CHECK;

#endif

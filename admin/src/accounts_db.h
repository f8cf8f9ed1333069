/*
 * Opening a node's database from an operator command while the node may be
 * running (`tessera ledger-check`, `tessera player`). SQLite's WAL mode lets
 * a second process read a consistent snapshot while the node writes, and
 * write a short transaction between the node's group commits. What the
 * command must not do is what the node's own opening does: run migrations
 * (an operator pointing at the wrong file must not turn it into a node
 * database, nor upgrade a live one under the node), or checkpoint the WAL
 * with TRUNCATE on close, which holds the write lock while waiting for the
 * node's readers and so stalls its bets for up to the busy timeout.
 */
#ifndef TSR_ADMIN_ACCOUNTS_DB_H
#define TSR_ADMIN_ACCOUNTS_DB_H

#include <stdbool.h>

#include "../../node/src/store.h"

/* Opens the node database at path: read-only (`write` false: nothing the
 * command does can change the file, the WAL included) or read-write without
 * creating it. Checks the schema first on a read-only handle:
 * TSR_ERR_DB_NOT_NODE for a file that is not a node database of this
 * schema version (0 or older: the node migrates, never the CLI),
 * TSR_ERR_DB_NEWER for a newer one, TSR_ERR_NOT_FOUND for a missing file,
 * TSR_ERR_IO. Owns *out; close with tsr_admin_node_db_close. */
tsr_status tsr_admin_node_db_open(const char *path, bool write, tsr_store **out) TSR_MUST_CHECK;

/* Closes a store opened by tsr_admin_node_db_open without checkpointing
 * the WAL (the running node, or the next one to open it, does that). */
void tsr_admin_node_db_close(tsr_store *s);

#endif

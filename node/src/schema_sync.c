/*
 * The sync module's tables of schema v1 (store.c runs this DDL in
 * migration 1 after the core and accounts DDL, in the same transaction).
 * Names start with sync_ or relay_ so they never collide with the core's
 * or the accounts' tables.
 */
#include "sync_node.h"

const char *const tsr_schema_sync_v1 =
    /* The relay's anchor: central's signed receipt said it holds outbox
     * rows 1..seq, and chain is the receipt chain at seq. Written in the
     * same transaction that deletes those rows, so a restarted relay
     * re-checks the next receipt from exactly where the rows end. */
    "CREATE TABLE relay_anchor ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  seq INTEGER NOT NULL,"
    "  chain BLOB NOT NULL CHECK (length(chain) = 32),"
    "  released_at_ns INTEGER NOT NULL);"
    /* Results of draws as central signed them (tsr_result signed form). */
    "CREATE TABLE sync_results ("
    "  game TEXT NOT NULL,"
    "  draw INTEGER NOT NULL,"
    "  state INTEGER NOT NULL CHECK (state IN (1,2)),"
    "  signed BLOB NOT NULL,"
    "  received_at_ns INTEGER NOT NULL,"
    "  PRIMARY KEY (game, draw)) WITHOUT ROWID;"
    /* What became of each ticket once its draw was settled: lost when the
     * result came and no prize did, won/refunded when a payout entry came
     * (a payout may arrive before its result: it wins over "lost"). */
    "CREATE TABLE sync_outcomes ("
    "  ticket_id BLOB PRIMARY KEY CHECK (length(ticket_id) = 16),"
    "  game TEXT NOT NULL,"
    "  draw INTEGER NOT NULL,"
    "  outcome TEXT NOT NULL CHECK (outcome IN ('lost','won','refunded','refund_due')),"
    "  amount_cents INTEGER NOT NULL DEFAULT 0,"
    "  at_ns INTEGER NOT NULL) WITHOUT ROWID;"
    /* Every payout entry booked, wins and refunds, unique by payout id:
     * the exactly-once record (the accounts' payouts table holds prizes
     * only, keyed by their own id text). */
    "CREATE TABLE sync_payouts ("
    "  payout_id BLOB PRIMARY KEY CHECK (length(payout_id) = 32),"
    "  ticket_id BLOB NOT NULL CHECK (length(ticket_id) = 16),"
    "  game TEXT NOT NULL,"
    "  draw INTEGER NOT NULL,"
    "  kind INTEGER NOT NULL CHECK (kind IN (1,2)),"
    "  claim_centre INTEGER NOT NULL CHECK (claim_centre IN (0,1)),"
    "  amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),"
    "  withheld_cents INTEGER NOT NULL CHECK (withheld_cents >= 0),"
    "  applied_at_ns INTEGER NOT NULL) WITHOUT ROWID;"
    /* Self-exclusions central fans out to every node, by identity document
     * (players are node-local rows; the document is what is national). */
    "CREATE TABLE sync_exclusions ("
    "  jurisdiction TEXT NOT NULL,"
    "  document_no TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('self_exclusion','cool_off')),"
    "  start_ns INTEGER NOT NULL,"
    "  end_ns INTEGER NOT NULL CHECK (end_ns > start_ns),"
    "  received_at_ns INTEGER NOT NULL,"
    "  PRIMARY KEY (jurisdiction, document_no, kind, start_ns)) WITHOUT ROWID;";

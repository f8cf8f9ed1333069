/*
 * The core engineer's tables of schema v1. store.c runs this DDL first in
 * migration 1, then the accounts DDL, in one transaction.
 *
 * Times are Unix nanoseconds (INTEGER), money is cents (INTEGER), ids of
 * tickets are their 16 random bytes (BLOB).
 */
#include "store.h"

const char *const tsr_schema_core_v1 =
    /* Terminals known to this node: loaded from the PSK table at start. */
    "CREATE TABLE terminals ("
    "  terminal_id TEXT PRIMARY KEY,"
    "  created_at_ns INTEGER NOT NULL) WITHOUT ROWID;"
    /* Tickets: one per draw of a bet. `bytes` is the canonical tsr_ticket
     * encoding that `sig` (node Ed25519) signs and `leaf` hashes; the other
     * columns repeat its fields for queries. state 0 = active, 1 =
     * cancelled (kept: the seal excludes it, history shows it). */
    "CREATE TABLE tickets ("
    "  id BLOB PRIMARY KEY CHECK (length(id) = 16),"
    "  seq INTEGER NOT NULL UNIQUE,"
    "  serial TEXT NOT NULL UNIQUE,"
    "  check_code INTEGER NOT NULL,"
    "  game TEXT NOT NULL,"
    "  draw INTEGER NOT NULL,"
    "  channel INTEGER NOT NULL CHECK (channel IN (1,2)),"
    "  player_id INTEGER,"
    "  terminal_id TEXT,"
    "  bet_id BLOB NOT NULL,"
    "  bet BLOB NOT NULL,"
    "  stake_cents INTEGER NOT NULL CHECK (stake_cents > 0),"
    "  accepted_at_ns INTEGER NOT NULL,"
    "  bytes BLOB NOT NULL,"
    "  sig BLOB NOT NULL,"
    "  leaf BLOB NOT NULL,"
    "  state INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0,1)),"
    "  cancelled_at_ns INTEGER,"
    "  cancel_seq INTEGER UNIQUE,"
    "  CHECK ((player_id IS NULL) <> (terminal_id IS NULL))) WITHOUT ROWID;"
    "CREATE INDEX tickets_draw ON tickets(game, draw, seq);"
    "CREATE INDEX tickets_player ON tickets(player_id, seq) WHERE player_id IS NOT NULL;"
    "CREATE INDEX tickets_terminal ON tickets(terminal_id, seq) WHERE terminal_id IS NOT NULL;"
    /* Outbox: gapless per-node sequence; last_seq survives deletions. */
    "CREATE TABLE outbox_meta ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  last_seq INTEGER NOT NULL);"
    "INSERT INTO outbox_meta(id, last_seq) VALUES (1, 0);"
    "CREATE TABLE outbox ("
    "  seq INTEGER PRIMARY KEY,"
    "  kind INTEGER NOT NULL,"
    "  bytes BLOB NOT NULL);"
    /* Batch boundaries of the streaming relay (persisted so a restart
     * re-forms the same batches and Nats-Msg-Id dedups them). */
    "CREATE TABLE batches ("
    "  first_seq INTEGER PRIMARY KEY,"
    "  last_seq INTEGER NOT NULL,"
    "  msg_id TEXT NOT NULL UNIQUE,"
    "  state INTEGER NOT NULL DEFAULT 0);"
    /* Seals: one per draw this node sold for, signed (canonical || sig). */
    "CREATE TABLE seals ("
    "  game TEXT NOT NULL,"
    "  draw INTEGER NOT NULL,"
    "  count INTEGER NOT NULL,"
    "  stake_total_cents INTEGER NOT NULL,"
    "  first_seq INTEGER NOT NULL,"
    "  last_seq INTEGER NOT NULL,"
    "  merkle_root BLOB NOT NULL,"
    "  sealed_at_ns INTEGER NOT NULL,"
    "  signed BLOB NOT NULL,"
    "  published INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (game, draw)) WITHOUT ROWID;"
    /* Cutoff tokens received (packed: canonical || sig), verified on receipt
     * and again when loaded. */
    "CREATE TABLE tokens ("
    "  game TEXT NOT NULL,"
    "  draw INTEGER NOT NULL,"
    "  sales_open_at_ns INTEGER NOT NULL,"
    "  cutoff_at_ns INTEGER NOT NULL,"
    "  results_at_ns INTEGER NOT NULL,"
    "  key_id TEXT NOT NULL,"
    "  packed BLOB NOT NULL,"
    "  received_at_ns INTEGER NOT NULL,"
    "  PRIMARY KEY (game, draw)) WITHOUT ROWID;"
    /* The catalogue documents received (the newest version is in force). */
    "CREATE TABLE catalog ("
    "  version INTEGER PRIMARY KEY,"
    "  json TEXT NOT NULL,"
    "  installed_at_ns INTEGER NOT NULL);"
    /* Audit: hash-chained, hash = BLAKE2b-256(prev_hash || record). */
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY,"
    "  at_ns INTEGER NOT NULL,"
    "  event TEXT NOT NULL,"
    "  record TEXT NOT NULL,"
    "  hash BLOB NOT NULL);"
    /* Idempotency: (scope, key) → the request's hash and its reply. */
    "CREATE TABLE idempotency ("
    "  scope TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  req_hash BLOB NOT NULL,"
    "  code INTEGER NOT NULL,"
    "  response TEXT,"
    "  created_at_ns INTEGER NOT NULL,"
    "  PRIMARY KEY (scope, key)) WITHOUT ROWID;"
    /* Notifications for players (results, payouts), read by the
     * Observable GET /v1/notifications. */
    "CREATE TABLE notifications ("
    "  id INTEGER PRIMARY KEY,"
    "  player_id INTEGER NOT NULL,"
    "  at_ns INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  body TEXT NOT NULL);"
    "CREATE INDEX notifications_player ON notifications(player_id, id);";

/*
 * NOTE FOR THE STORE (core engineer): migration 1 must run this DDL once,
 * e.g. `sqlite3_exec(db, tsr_schema_accounts_v1, ...)` right after
 * tsr_schema_core_v1, in the same transaction. It only creates tables and
 * indexes whose names no core table uses (players, agents, sessions,
 * accounts, ledger_tx, ledger_entries, limits, limit_usage, exclusions,
 * psp_requests, psp_events, payouts).
 *
 * Money columns are int64 cents. Times are *_ns, nanoseconds since the Unix
 * epoch from the clock seam. Ledger conventions: see ledger.h.
 */
#include "schema_accounts.h"

const char *const tsr_schema_accounts_v1 =
    /* One row per registered player. The password is an Argon2id string
     * (libsodium crypto_pwhash_str); the identity document is unique per
     * jurisdiction so one person holds one account. */
    "CREATE TABLE players ("
    "  id INTEGER PRIMARY KEY,"
    "  username TEXT NOT NULL UNIQUE,"
    "  pw_hash TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  birth_date TEXT NOT NULL,"
    "  address TEXT NOT NULL,"
    "  jurisdiction TEXT NOT NULL,"
    "  document_no TEXT NOT NULL,"
    "  kyc TEXT NOT NULL CHECK (kyc IN ('pending','verified','rejected')),"
    "  kyc_reason TEXT,"
    "  failed_logins INTEGER NOT NULL DEFAULT 0,"
    "  locked INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0,1)),"
    "  created_at_ns INTEGER NOT NULL,"
    "  last_login_at_ns INTEGER,"
    "  UNIQUE (jurisdiction, document_no));"
    /* Retail agents: one PIN per agent, who logs in on one terminal (its
     * DTLS-PSK identity); the float belongs to the terminal. */
    "CREATE TABLE agents ("
    "  id INTEGER PRIMARY KEY,"
    "  terminal_id TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  pin_hash TEXT NOT NULL,"
    "  failed_logins INTEGER NOT NULL DEFAULT 0,"
    "  locked INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0,1)),"
    "  created_at_ns INTEGER NOT NULL,"
    "  last_login_at_ns INTEGER,"
    "  UNIQUE (terminal_id, name));"
    /* Sessions: only BLAKE2b-256 of the 32-byte token is stored, so a copy
     * of the database does not hand out live tokens. */
    "CREATE TABLE sessions ("
    "  token_hash BLOB PRIMARY KEY,"
    "  player_id INTEGER REFERENCES players(id),"
    "  agent_id INTEGER REFERENCES agents(id),"
    "  terminal_id TEXT,"
    "  created_at_ns INTEGER NOT NULL,"
    "  last_seen_at_ns INTEGER NOT NULL,"
    "  expires_at_ns INTEGER NOT NULL,"
    "  CHECK ((player_id IS NULL) <> (agent_id IS NULL))) WITHOUT ROWID;"
    "CREATE INDEX sessions_expiry ON sessions(expires_at_ns);"
    /* The ledger: balance is the account's natural balance (see ledger.h),
     * kept equal to the sum of its entries times `normal`. */
    "CREATE TABLE accounts ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  normal INTEGER NOT NULL CHECK (normal IN (1,-1)),"
    "  floor_zero INTEGER NOT NULL CHECK (floor_zero IN (0,1)),"
    "  balance INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE ledger_tx ("
    "  id INTEGER PRIMARY KEY,"
    "  kind TEXT NOT NULL,"
    "  ref TEXT NOT NULL,"
    "  at_ns INTEGER NOT NULL);"
    "CREATE INDEX ledger_tx_ref ON ledger_tx(kind, ref);"
    /* A day's settlement finds the first transaction of each midnight. */
    "CREATE INDEX ledger_tx_at ON ledger_tx(at_ns);"
    "CREATE TABLE ledger_entries ("
    "  tx_id INTEGER NOT NULL REFERENCES ledger_tx(id),"
    "  account_id INTEGER NOT NULL REFERENCES accounts(id),"
    "  amount INTEGER NOT NULL CHECK (amount <> 0),"
    "  PRIMARY KEY (tx_id, account_id)) WITHOUT ROWID;"
    "CREATE INDEX ledger_entries_account ON ledger_entries(account_id, tx_id);"
    /* Player limits. A raise waits in pending_* until pending_at_ns (the
     * cooling period); a lowering replaces amount at once. amount NULL means
     * no limit. */
    "CREATE TABLE limits ("
    "  player_id INTEGER NOT NULL REFERENCES players(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('stake_day','stake_week','deposit_day','deposit_week')),"
    "  amount INTEGER,"
    "  pending_set INTEGER NOT NULL DEFAULT 0 CHECK (pending_set IN (0,1)),"
    "  pending_amount INTEGER,"
    "  pending_at_ns INTEGER,"
    "  PRIMARY KEY (player_id, kind)) WITHOUT ROWID;"
    /* Stake and deposit totals per player per UTC day (day = now_ns / 86400 s),
     * so daily and 7-day checks are one indexed range sum. */
    "CREATE TABLE limit_usage ("
    "  player_id INTEGER NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('stake','deposit')),"
    "  day INTEGER NOT NULL,"
    "  amount INTEGER NOT NULL,"
    "  PRIMARY KEY (player_id, kind, day)) WITHOUT ROWID;"
    "CREATE TABLE exclusions ("
    "  id INTEGER PRIMARY KEY,"
    "  player_id INTEGER NOT NULL REFERENCES players(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('self_exclusion','cool_off')),"
    "  start_ns INTEGER NOT NULL,"
    "  end_ns INTEGER NOT NULL CHECK (end_ns > start_ns));"
    "CREATE INDEX exclusions_player ON exclusions(player_id, end_ns);"
    /* Deposits and withdrawals sent to the payment provider. */
    "CREATE TABLE psp_requests ("
    "  id INTEGER PRIMARY KEY,"
    "  player_id INTEGER NOT NULL REFERENCES players(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('deposit','withdrawal')),"
    "  amount INTEGER NOT NULL CHECK (amount > 0),"
    "  state TEXT NOT NULL CHECK (state IN ('pending','completed','failed')),"
    "  provider TEXT NOT NULL,"
    "  created_at_ns INTEGER NOT NULL,"
    "  settled_at_ns INTEGER);"
    /* Provider callbacks, unique by the provider's transaction id: a replay
     * with the same body gets the stored answer, another body is refused. */
    "CREATE TABLE psp_events ("
    "  provider_txn TEXT PRIMARY KEY,"
    "  request_id INTEGER NOT NULL,"
    "  body_hash BLOB NOT NULL,"
    "  answer TEXT NOT NULL,"
    "  received_at_ns INTEGER NOT NULL) WITHOUT ROWID;"
    /* Prizes from central, unique by payout id and by ticket. player_id NULL
     * means a retail ticket. state: credited (online, in the wallet),
     * payable (retail, at any terminal), paid (retail, paid by a terminal),
     * claim_centre (only a claim centre pays it). */
    "CREATE TABLE payouts ("
    "  payout_id TEXT PRIMARY KEY,"
    "  ticket_id TEXT NOT NULL UNIQUE,"
    "  player_id INTEGER,"
    "  gross INTEGER NOT NULL CHECK (gross > 0),"
    "  withheld INTEGER NOT NULL CHECK (withheld >= 0 AND withheld < gross),"
    "  class TEXT NOT NULL CHECK (class IN ('auto','claim_centre')),"
    "  state TEXT NOT NULL CHECK (state IN ('credited','payable','paid','claim_centre')),"
    "  applied_at_ns INTEGER NOT NULL,"
    "  paid_at_ns INTEGER,"
    "  paid_terminal TEXT,"
    "  paid_agent_id INTEGER) WITHOUT ROWID;";

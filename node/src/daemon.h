/*
 * The node core's shared state: catalogue, pinned draw-authority keys,
 * cutoff tokens held (with live sales counters and seal state), and the
 * functions of the core's files (tokens, cutoff, bets, cancel, seal, draws,
 * health) that register routes on the server.
 *
 * Threads: the token table is read by the writer thread (cutoff checks
 * inside the bet transaction) and the CoAP thread (draws, health), and
 * written by both (install, seal); `mu` guards it. The catalogue and the
 * keyring are immutable after start.
 */
#ifndef TSR_NODE_DAEMON_H
#define TSR_NODE_DAEMON_H

#include <pthread.h>

#include "config.h"
#include "receipts.h"
#include "server.h"
#include "tessera/catalog.h"
#include "tessera/game.h"
#include "tessera/hash.h"
#include "tessera/merkle.h"
#include "tessera/token.h"

/* Tokens held at once: 64 games x 16 draws ahead (advance play). */
#define TSR_CORE_TOKENS_MAX 1024
/* A token file in tokens_dir is a few hundred bytes of JSON. */
#define TSR_CORE_TOKEN_FILE_MAX 8192
/* Observers of a draw hear about sales at most this often. */
#define TSR_CORE_NOTIFY_INTERVAL_MS 1000
/* The path of a draw resource: "/v1/draws/" + a game id. */
#define TSR_CORE_PATH_MAX 48

typedef struct core_token {
    tsr_cutoff_token tok;
    int64_t sales_count;       /* active tickets sold for this draw */
    tsr_cents sales_cents;     /* their stake total */
    bool sealed;
    bool seal_pending;         /* a seal job is queued */
} core_token;

/* The bets of the group transaction being written (writer thread only):
 * each bet is folded in once its savepoint is released, and the group gets
 * one `bet_accepted` audit row before its COMMIT (bets.c). */
typedef struct core_bet_group {
    uint64_t bets, tickets;
    tsr_cents stake_cents;
    int64_t first_seq, last_seq;
    tsr_hash_ctx leaves; /* BLAKE2b-256 over the tickets' leaf hashes, seq order */
} core_bet_group;

typedef struct tsr_core {
    tsr_server *srv;
    const tsr_node_config *cfg;
    tsr_catalog *catalog;      /* owned; NULL when none is configured */
    tsr_keyring *authority;    /* owned: pinned draw-authority key(s) */
    pthread_mutex_t mu;
    core_token tokens[TSR_CORE_TOKENS_MAX];
    size_t n_tokens;
    char draw_paths[TSR_CATALOG_GAMES_MAX][TSR_CORE_PATH_MAX];
    bool draw_dirty[TSR_CATALOG_GAMES_MAX];
    int64_t last_notify_mono_ns;
    core_bet_group bet_group;  /* writer thread only */
    tsr_receipts receipts;     /* writer thread only: the group's receipt batches */
} tsr_core;

/* The core module (registered first by tsr_node_open). */
extern const tsr_node_module tsr_core_module;

/* The core state of a server (borrowed). */
tsr_core *tsr_core_of(const tsr_server *srv);

/* ---- tokens.c -------------------------------------------------------------- */

/* Verifies a token against the pinned keys at now_ns and adds it to the
 * table (same game+draw again: replaced only by an identical token).
 * TSR_ERR_KEY_UNKNOWN, TSR_ERR_SIGNATURE, TSR_ERR_TOKEN_INCONSISTENT,
 * TSR_ERR_TOKEN_EXPIRED, TSR_ERR_EXISTS (a different token for that draw),
 * TSR_ERR_TOO_LARGE (table full). */
tsr_status tsr_core_token_add(tsr_core *c, const tsr_cutoff_token *t, int64_t now_ns) TSR_MUST_CHECK;

/* Copies the token of game+draw: TSR_ERR_NO_TOKEN when none is held. */
tsr_status tsr_core_token_get(tsr_core *c, const char *game, uint32_t draw,
                              core_token *out) TSR_MUST_CHECK;

/* The draws of `game` on sale order: the first `n` held tokens whose cutoff
 * is after now_ns, by cutoff. Returns how many were found (<= n). */
size_t tsr_core_next_draws(tsr_core *c, const char *game, int64_t now_ns, core_token *out,
                           size_t n);

/* Loads the tokens stored in the database and those in tokens_dir. */
tsr_status tsr_core_tokens_load(tsr_core *c, tsr_store_conn *db, int64_t now_ns) TSR_MUST_CHECK;

/* Registers POST /v1/admin/tokens (loopback only). */
tsr_status tsr_tokens_routes(tsr_server *srv) TSR_MUST_CHECK;

/* ---- cutoff.c ------------------------------------------------------------------ */

/* May the node sell for a draw with this token at `now`? In order:
 * TSR_ERR_CLOCK_UNSYNCED / TSR_ERR_CLOCK_BOUND (fail closed),
 * TSR_ERR_SALES_NOT_OPEN (before sales_open_at), TSR_ERR_SALES_CLOSED
 * (now + error_bound + margin >= cutoff_at), TSR_ERR_DRAW_SEALED. */
tsr_status tsr_cutoff_check(const tsr_node_config *cfg, const core_token *t,
                            const tsr_clock_reading *now) TSR_MUST_CHECK;

/* ---- the route sets of the core ------------------------------------------------ */

tsr_status tsr_bets_routes(tsr_server *srv) TSR_MUST_CHECK;
tsr_status tsr_cancel_routes(tsr_server *srv) TSR_MUST_CHECK;
tsr_status tsr_draws_routes(tsr_server *srv) TSR_MUST_CHECK;
tsr_status tsr_health_routes(tsr_server *srv) TSR_MUST_CHECK;

/* ---- seal.c ---------------------------------------------------------------------- */

/* Called on the CoAP thread every loop turn: queues a seal job for every
 * held draw whose cutoff has passed and that is not sealed yet, and sends
 * rate-limited draw notifications. */
void tsr_core_tick(tsr_server *srv, void *arg);

/* Seals game+draw inside a transaction (the job's apply; also used by
 * tests): count, stake, first/last seq, Merkle root over the active
 * tickets in seq order, signed, stored in `seals`. TSR_ERR_DRAW_SEALED when
 * already sealed. */
tsr_status tsr_seal_draw(tsr_store_txn *t, const tsr_keypair *key, const char *node,
                         const char *game, uint32_t draw, tsr_seal *out) TSR_MUST_CHECK;

/* ---- receipt.c -------------------------------------------------------------------- */

/* The JSON receipt of a ticket: {ticket_id, serial, check, game, draw,
 * bet, stake, stake_cents, accepted_at, accepted_at_ns, node, seq, channel,
 * sig, state} and, when `rs` (borrowed) is batch-signed (receipts.h),
 * "batch": {first_seq, last_seq, root} and "proof": {index, count,
 * siblings} (merkle.h's proof form). New reference (NULL on no memory). */
json_t *tsr_receipt_json(const tsr_ticket *t, const tsr_receipt_sig *rs, bool cancelled);

/* A growable text buffer for replies written without building a JSON tree
 * (the bet path: jansson's tree and dump cost more than the ticket's SQL).
 * Owns buf; free() it. `failed` is set when memory ran out. */
typedef struct tsr_text {
    char *buf;
    size_t len, cap;
    bool failed;
} tsr_text;

/* Appends a printf-formatted piece. */
void tsr_text_printf(tsr_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends n bytes of s (borrowed) as they are. The appenders below write
 * without stdio, the same bytes as the printf forms named (fmt.h). */
void tsr_text_append(tsr_text *t, const char *s, size_t n);

/* Appends v as "%" PRId64. */
void tsr_text_i64(tsr_text *t, int64_t v);

/* Appends an amount as tsr_money_format writes it ("1234.56"). */
void tsr_text_money(tsr_text *t, tsr_cents a);

/* Appends b[0..n) (borrowed) as lowercase hex. */
void tsr_text_hex(tsr_text *t, const uint8_t *b, size_t n);

/* Appends s (borrowed) as a JSON string: quoted, with \", \\ and control
 * characters escaped. */
void tsr_text_json_string(tsr_text *t, const char *s);

/* Appends the same receipt as tsr_receipt_json, as compact JSON text.
 * `bet_json` (borrowed) is the compact JSON of the ticket's decoded bet, or
 * NULL when its bytes do not decode (then "bet_bytes" in hex, as there). */
void tsr_receipt_text(tsr_text *out, const tsr_ticket *t, const tsr_receipt_sig *rs,
                      bool cancelled, const char *bet_json);

/* Fills a ticket's serial ("<node>-<seq>") and check code (6 decimal
 * digits from BLAKE2b-256 of its id and serial), so a clerk can key in the
 * serial and check whether the paper slip is genuine. */
void tsr_receipt_serial(tsr_ticket *t);

/* Reads the ticket `id` on db with its signature block (receipts.h).
 * TSR_ERR_NOT_FOUND, TSR_ERR_ENCODING. */
tsr_status tsr_receipt_load(tsr_store_conn *db, const uint8_t id[16], tsr_ticket *t,
                            tsr_receipt_sig *rs, bool *cancelled, int64_t *player_id,
                            char terminal[TSR_CALLER_ID_MAX]) TSR_MUST_CHECK;

#endif

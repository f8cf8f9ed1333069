/* Bets: POST /v1/bets (the acceptance path of DESIGN.md), GET /v1/bets
 * (history, paged) and GET /v1/bets/<ticket>. */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "sync_node.h" /* nodesync: tsr_sync_time_ok */
#include "tessera/hash.h"
#include "tessera/log.h"

/* A client idempotency key: a UUID or similar, 8..64 characters. */
#define IDEM_KEY_MIN 8
#define IDEM_KEY_MAX 64
/* History page size: 20 receipts of ~600 bytes go out in block-wise
 * chunks; 100 bounds one reply. */
#define HISTORY_PAGE_DEFAULT 20
#define HISTORY_PAGE_MAX 100

typedef struct bet_ctx {
    char game[TSR_GAME_ID_MAX];
    tsr_bet bet;
    tsr_cents per_draw, total;
    uint8_t bet_bytes[TSR_BET_MAX];
    size_t bet_len;
    int64_t draws[TSR_DRAWS_MAX];
    size_t n_draws;
} bet_ctx;

static const char SQL_TICKET_PUT[] =
    "INSERT INTO tickets(id, seq, serial, check_code, game, draw, channel, player_id,"
    " terminal_id, bet_id, bet, stake_cents, accepted_at_ns, bytes, sig, leaf)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";

/* ---- the transaction ------------------------------------------------------------ */

/* The draws to sell (catalogue order from now), each with a held token
 * and inside its window. Advance draws open later, so only the first is
 * checked against sales_open_at. */
static tsr_status check_draws(tsr_core *c, tsr_store_txn *txn, bet_ctx *b)
{
    tsr_clock_reading now = tsr_store_txn_now(txn);
    if (!tsr_sync_time_ok(c->srv)) /* nodesync: central's beacons disagree with our clock */
        return TSR_ERR_BEACON_SKEW;
    tsr_status s = tsr_catalog_advance_draws(c->catalog, b->game, now.now_ns, b->bet.draws,
                                             b->draws);
    if (s != TSR_OK)
        return s;
    b->n_draws = b->bet.draws;
    for (size_t i = 0; i < b->n_draws; i++) {
        core_token t;
        if (b->draws[i] < 0 || b->draws[i] > UINT32_MAX)
            return TSR_ERR_NO_TOKEN;
        s = tsr_core_token_get(c, b->game, (uint32_t)b->draws[i], &t);
        if (s != TSR_OK)
            return s;
        if (i > 0)
            t.tok.sales_open_at_ns = INT64_MIN;
        s = tsr_cutoff_check(c->cfg, &t, &now);
        if (s != TSR_OK)
            return s;
    }
    return TSR_OK;
}

static tsr_status insert_ticket(tsr_store_txn *txn, tsr_job *job, const tsr_ticket *t,
                                const uint8_t *bytes, size_t len, const uint8_t sig[TSR_SIG_LEN],
                                const uint8_t leaf[TSR_HASH_LEN], const uint8_t bet_id[16])
{
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(tsr_store_txn_conn(txn), SQL_TICKET_PUT, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_blob(st, 1, t->id, 16, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)t->seq);
    sqlite3_bind_text(st, 3, t->serial, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, t->check);
    sqlite3_bind_text(st, 5, t->game, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, t->draw);
    sqlite3_bind_int(st, 7, t->channel);
    if (job->caller.kind == TSR_CALLER_PLAYER)
        sqlite3_bind_int64(st, 8, job->caller.player_id);
    else
        sqlite3_bind_text(st, 9, job->caller.terminal_id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 10, bet_id, 16, SQLITE_STATIC);
    sqlite3_bind_blob(st, 11, t->bet, t->bet_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 12, t->stake_cents);
    sqlite3_bind_int64(st, 13, t->accepted_at_ns);
    sqlite3_bind_blob(st, 14, bytes, (int)len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 15, sig, TSR_SIG_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 16, leaf, TSR_HASH_LEN, SQLITE_STATIC);
    return tsr_store_exec_stmt(st);
}

/* One ticket: seq, serial, canonical bytes, signature, row, outbox row. */
static tsr_status make_ticket(tsr_store_txn *txn, tsr_job *job, const tsr_wallet_hooks *w,
                              const bet_ctx *b, size_t i, const uint8_t bet_id[16],
                              json_t *receipts)
{
    const tsr_server *srv = job->srv;
    tsr_ticket t;
    memset(&t, 0, sizeof t);
    int64_t seq;
    tsr_status s = tsr_outbox_reserve(txn, &seq);
    if (s != TSR_OK)
        return s;
    tsr_rng_bytes(tsr_store_txn_env(txn)->rng, t.id, sizeof t.id);
    /* One debit per ticket, referenced by its id, so every debit has a
     * ticket and a cancel refunds exactly that ticket's stake. */
    char id_hex[33];
    tsr_hex_encode(id_hex, sizeof id_hex, t.id, sizeof t.id);
    tsr_bet_charge ch = {&job->caller, b->game, b->draws[i], id_hex, b->per_draw,
                         tsr_store_txn_now(txn).now_ns};
    if ((s = w->charge(w->arg, txn, &ch)) != TSR_OK)
        return s;
    snprintf(t.node, sizeof t.node, "%s", tsr_server_node_id(srv));
    snprintf(t.game, sizeof t.game, "%s", b->game);
    t.seq = (uint64_t)seq;
    t.draw = (uint32_t)b->draws[i];
    t.channel = job->caller.kind == TSR_CALLER_PLAYER ? TSR_CHANNEL_ONLINE : TSR_CHANNEL_RETAIL;
    t.bet_len = (uint16_t)b->bet_len;
    memcpy(t.bet, b->bet_bytes, b->bet_len);
    t.stake_cents = b->per_draw;
    t.accepted_at_ns = tsr_store_txn_now(txn).now_ns;
    tsr_receipt_serial(&t);
    uint8_t bytes[TSR_TICKET_ENC_MAX], sig[TSR_SIG_LEN], leaf[TSR_HASH_LEN];
    tsr_enc e;
    size_t len;
    tsr_enc_init(&e, bytes, sizeof bytes);
    if ((s = tsr_ticket_encode(&t, &e)) != TSR_OK || (s = tsr_enc_finish(&e, &len)) != TSR_OK)
        return s;
    tsr_sign(tsr_server_node_key(srv), bytes, len, sig);
    tsr_merkle_leaf(bytes, len, leaf);
    if ((s = insert_ticket(txn, job, &t, bytes, len, sig, leaf, bet_id)) != TSR_OK ||
        (s = tsr_outbox_put(txn, seq, TSR_OUTBOX_TICKET, bytes, len)) != TSR_OK)
        return s;
    json_array_append_new(receipts, tsr_receipt_json(&t, sig, false));
    return TSR_OK;
}

static tsr_status audit_bet(tsr_store_txn *txn, const tsr_job *job, const bet_ctx *b,
                            const char *bet_hex, json_t *receipts)
{
    json_t *first = json_array_get(receipts, 0);
    json_t *ev = json_pack("{s:s, s:s, s:I, s:I, s:O}", "bet_id", bet_hex, "game", b->game,
                           "tickets", (json_int_t)b->n_draws, "stake_cents", (json_int_t)b->total,
                           "first_ticket", json_object_get(first, "ticket_id"));
    if (!ev)
        return TSR_ERR_NOMEM;
    if (job->caller.kind == TSR_CALLER_PLAYER)
        json_object_set_new(ev, "player_id", json_integer(job->caller.player_id));
    else
        json_object_set_new(ev, "terminal_id", json_string(job->caller.terminal_id));
    tsr_status s = tsr_audit_append(txn, "bet_accepted", ev);
    json_decref(ev);
    return s;
}

static tsr_status apply_bet(tsr_store_txn *txn, tsr_job *job)
{
    bet_ctx *b = job->ctx;
    tsr_core *c = tsr_core_of(job->srv);
    const tsr_wallet_hooks *w = tsr_server_wallet_hooks(job->srv);
    tsr_status s = check_draws(c, txn, b);
    if (s != TSR_OK)
        return s;
    if (!w || !w->charge)
        return TSR_ERR_UNAVAILABLE;
    uint8_t bet_id[16];
    char bet_hex[33];
    tsr_rng_bytes(tsr_store_txn_env(txn)->rng, bet_id, sizeof bet_id);
    tsr_hex_encode(bet_hex, sizeof bet_hex, bet_id, sizeof bet_id);
    json_t *receipts = json_array();
    for (size_t i = 0; s == TSR_OK && i < b->n_draws; i++)
        s = make_ticket(txn, job, w, b, i, bet_id, receipts);
    if (s == TSR_OK)
        s = audit_bet(txn, job, b, bet_hex, receipts);
    if (s != TSR_OK) {
        json_decref(receipts);
        return s;
    }
    char total[TSR_MONEY_STR_MAX];
    job->response = json_pack("{s:s, s:s, s:I, s:o}", "bet_id", bet_hex, "total_stake",
                              tsr_money_format(b->total, total, sizeof total),
                              "total_stake_cents", (json_int_t)b->total, "receipts", receipts);
    return job->response ? TSR_OK : TSR_ERR_NOMEM;
}

/* CoAP thread, after the commit: live sales counters for GET /v1/draws. */
static void bet_done(tsr_server *srv, tsr_job *job, bool committed)
{
    if (!committed || job->replayed)
        return;
    tsr_core *c = tsr_core_of(srv);
    bet_ctx *b = job->ctx;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n_tokens; i++) {
        core_token *t = &c->tokens[i];
        for (size_t d = 0; d < b->n_draws; d++) {
            if (t->tok.draw == (uint32_t)b->draws[d] && strcmp(t->tok.game, b->game) == 0) {
                t->sales_count++;
                t->sales_cents += b->per_draw;
            }
        }
    }
    for (size_t g = 0; c->catalog && g < tsr_catalog_count(c->catalog); g++)
        if (strcmp(tsr_catalog_game_at(c->catalog, g)->id, b->game) == 0)
            c->draw_dirty[g] = true;
    pthread_mutex_unlock(&c->mu);
}

/* ---- the handler ------------------------------------------------------------------- */

static const tsr_json_field BET_FIELDS[] = {
    {"game", TSR_JSON_STRING, true, TSR_GAME_ID_MAX - 1},
    {"bet", TSR_JSON_OBJECT, true, 0},
    {"idempotency_key", TSR_JSON_STRING, true, IDEM_KEY_MAX},
};

/* Validation that needs no database: game, selections, price, limits. */
static tsr_status parse_bet(tsr_server *srv, const json_t *body, bet_ctx *b, char *why, size_t wl)
{
    tsr_core *c = tsr_core_of(srv);
    if (!c->catalog)
        return TSR_ERR_UNAVAILABLE;
    snprintf(b->game, sizeof b->game, "%s", json_string_value(json_object_get(body, "game")));
    if (!tsr_catalog_find(c->catalog, b->game))
        return TSR_ERR_GAME_UNKNOWN;
    tsr_status s = tsr_bet_from_json(json_object_get(body, "bet"), &b->bet, why, wl);
    if (s == TSR_OK && b->bet.quick_pick)
        s = tsr_bet_quick_pick(c->catalog, b->game, tsr_server_env(srv)->rng, &b->bet);
    if (s == TSR_OK)
        s = tsr_bet_prepare(c->catalog, b->game, &b->bet, &b->per_draw, &b->total, why, wl);
    if (s == TSR_OK && b->total > c->cfg->max_stake_cents)
        s = TSR_ERR_STAKE_LIMIT;
    if (s == TSR_OK)
        s = tsr_bet_encode(&b->bet, b->bet_bytes, sizeof b->bet_bytes, &b->bet_len);
    return s;
}

static tsr_status bet_job(tsr_server *srv, json_t *body, tsr_job **out, char *why, size_t wl)
{
    const char *key = json_string_value(json_object_get(body, "idempotency_key"));
    if (strlen(key) < IDEM_KEY_MIN) {
        snprintf(why, wl, "idempotency_key must have %d to %d characters", IDEM_KEY_MIN,
                 IDEM_KEY_MAX);
        return TSR_ERR_RANGE;
    }
    bet_ctx *b = calloc(1, sizeof *b);
    if (!b)
        return TSR_ERR_NOMEM;
    tsr_status s = parse_bet(srv, body, b, why, wl);
    tsr_job *j = NULL;
    if (s == TSR_OK)
        s = tsr_job_new(&j, "bet", apply_bet);
    if (s != TSR_OK) {
        free(b);
        return s;
    }
    j->ctx = b;
    j->ctx_free = free;
    j->done = bet_done;
    j->ok_code = 201;
    j->idempotency_key = strdup(key);
    j->request = json_incref(body);
    *out = j;
    return j->idempotency_key ? TSR_OK : TSR_ERR_NOMEM;
}

static void handle_post(tsr_server *srv, tsr_request *req)
{
    json_t *body, *detail;
    tsr_status s = tsr_request_json(req, BET_FIELDS, 3, &body, &detail);
    if (s != TSR_OK) {
        tsr_reply_error(req, s, detail);
        return;
    }
    char why[160] = "";
    tsr_job *j = NULL;
    s = bet_job(srv, body, &j, why, sizeof why);
    json_decref(body);
    if (s != TSR_OK) {
        tsr_job_free(j);
        tsr_reply_error(req, s, why[0] ? json_pack("{s:s}", "reason", why) : NULL);
        return;
    }
    tsr_reply_submit(req, j);
}

/* ---- reads ------------------------------------------------------------------------ */

static const char SQL_HIST_PLAYER[] =
    "SELECT bytes, sig, state FROM tickets WHERE player_id = ?1 AND seq < ?2"
    " ORDER BY seq DESC LIMIT ?3";
static const char SQL_HIST_TERMINAL[] =
    "SELECT bytes, sig, state FROM tickets WHERE terminal_id = ?1 AND seq < ?2"
    " ORDER BY seq DESC LIMIT ?3";

static bool owns(const tsr_caller *c, int64_t player_id, const char *terminal)
{
    if (c->kind == TSR_CALLER_PLAYER)
        return player_id != 0 && player_id == c->player_id;
    return c->kind == TSR_CALLER_TERMINAL && strcmp(terminal, c->terminal_id) == 0;
}

/* GET /v1/bets/<ticket>: the receipt, to its owner only (anyone else gets
 * 4.04, so ticket ids cannot be probed). */
static void handle_get_one(tsr_server *srv, tsr_request *req)
{
    uint8_t id[16];
    if (tsr_hex_decode(id, sizeof id, req->params[0]) != TSR_OK) {
        tsr_reply_error(req, TSR_ERR_NOT_FOUND, NULL);
        return;
    }
    tsr_ticket t;
    uint8_t sig[TSR_SIG_LEN];
    bool cancelled;
    int64_t player;
    char terminal[TSR_CALLER_ID_MAX];
    tsr_status s = tsr_receipt_load(tsr_server_reader(srv), id, &t, sig, &cancelled, &player,
                                    terminal);
    if (s == TSR_OK && !owns(&req->caller, player, terminal))
        s = TSR_ERR_NOT_FOUND;
    if (s != TSR_OK) {
        tsr_reply_error(req, s, NULL);
        return;
    }
    tsr_reply_json(req, 205, tsr_receipt_json(&t, sig, cancelled));
}

static tsr_status history_rows(sqlite3_stmt *st, json_t *items, int64_t *last_seq)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        tsr_ticket t;
        if (tsr_ticket_decode(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
                              &t) != TSR_OK ||
            sqlite3_column_bytes(st, 1) != TSR_SIG_LEN)
            return TSR_ERR_ENCODING;
        json_array_append_new(items, tsr_receipt_json(&t, sqlite3_column_blob(st, 1),
                                                      sqlite3_column_int(st, 2) != 0));
        *last_seq = (int64_t)t.seq;
    }
    return rc == SQLITE_DONE ? TSR_OK : tsr_store_status(rc);
}

/* GET /v1/bets?before=<seq>&limit=<n>: newest first; "next" is the
 * `before` of the following page (absent on the last one). */
static void handle_history(tsr_server *srv, tsr_request *req)
{
    int64_t before, limit;
    tsr_status s = tsr_request_query_int(req, "before", 1, INT64_MAX, INT64_MAX, &before);
    if (s == TSR_OK)
        s = tsr_request_query_int(req, "limit", 1, HISTORY_PAGE_MAX, HISTORY_PAGE_DEFAULT, &limit);
    bool player = req->caller.kind == TSR_CALLER_PLAYER;
    sqlite3_stmt *st = NULL;
    if (s == TSR_OK)
        s = tsr_store_stmt(tsr_server_reader(srv), player ? SQL_HIST_PLAYER : SQL_HIST_TERMINAL,
                           &st);
    if (s != TSR_OK) {
        tsr_reply_error(req, s, NULL);
        return;
    }
    if (player)
        sqlite3_bind_int64(st, 1, req->caller.player_id);
    else
        sqlite3_bind_text(st, 1, req->caller.terminal_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, before);
    sqlite3_bind_int64(st, 3, limit);
    json_t *items = json_array();
    int64_t last = 0;
    s = history_rows(st, items, &last);
    sqlite3_reset(st);
    if (s != TSR_OK) {
        json_decref(items);
        tsr_reply_error(req, s, NULL);
        return;
    }
    json_t *page = json_pack("{s:o}", "items", items);
    if ((int64_t)json_array_size(items) == limit)
        json_object_set_new(page, "next", json_integer(last));
    tsr_reply_json(req, 205, page);
}

tsr_status tsr_bets_routes(tsr_server *srv)
{
    static const tsr_route routes[] = {
        {TSR_POST, "/v1/bets", TSR_AUTH_PLAYER | TSR_AUTH_TERMINAL, handle_post, 0, false},
        {TSR_GET, "/v1/bets", TSR_AUTH_PLAYER | TSR_AUTH_TERMINAL, handle_history, 0, false},
        {TSR_GET, "/v1/bets/<ticket>", TSR_AUTH_PLAYER | TSR_AUTH_TERMINAL, handle_get_one, 0,
         false},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        tsr_status s = tsr_server_route(srv, &routes[i]);
        if (s != TSR_OK)
            return s;
    }
    return TSR_OK;
}

/* Bets: POST /v1/bets (the acceptance path of DESIGN.md), GET /v1/bets
 * (history, paged) and GET /v1/bets/<ticket>. */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "ledger_sql.h" /* tsr_sql_sp_covered */
#include "sync_node.h" /* nodesync: tsr_sync_time_ok */
#include "tessera/hash.h"
#include "tessera/log.h"

/* Ticket and bet ids: 16 random bytes. */
#define TICKET_ID_LEN 16
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
    /* filled by apply, or by the replay of an idempotent retry: the bet's
     * tickets in seq order, with what the group's receipts need */
    uint8_t bet_id[TICKET_ID_LEN];
    tsr_ticket *tickets;        /* n_draws slots, malloc'd */
    uint64_t *seqs;             /* n_draws slots */
    uint8_t (*leaves)[TSR_HASH_LEN];
    tsr_receipt_sig *sigs;      /* filled before the group's COMMIT */
    bool signed_alone;          /* a replayed bet sold before schema v2 */
    size_t n_tickets;
    char *bet_json; /* malloc'd: the receipts' "bet" (decoded from bet_bytes) */
} bet_ctx;

static void bet_ctx_free(void *p)
{
    bet_ctx *b = p;
    if (b) {
        free(b->bet_json);
        free(b->tickets);
        free(b->seqs);
        free(b->leaves);
        free(b->sigs);
    }
    free(b);
}

/* Room for n tickets. TSR_ERR_NOMEM. */
static tsr_status bet_ctx_room(bet_ctx *b, size_t n)
{
    b->tickets = calloc(n, sizeof *b->tickets);
    b->seqs = calloc(n, sizeof *b->seqs);
    b->leaves = calloc(n, sizeof *b->leaves);
    b->sigs = calloc(n, sizeof *b->sigs);
    return b->tickets && b->seqs && b->leaves && b->sigs ? TSR_OK : TSR_ERR_NOMEM;
}

/* The receipts' "bet" member, as tsr_receipt_json shows it: the decoded
 * canonical bytes (once per bet, not per ticket), as text without a JSON
 * tree. NULL if they do not decode or memory ran out (then the receipt
 * carries bet_bytes). */
static char *bet_json_of(const uint8_t *bytes, size_t len)
{
    tsr_bet bet;
    char text[TSR_BET_JSON_TEXT_MAX];
    if (tsr_bet_decode(bytes, len, &bet) != TSR_OK ||
        tsr_bet_json_text(&bet, text, sizeof text) != TSR_OK)
        return NULL;
    return strdup(text);
}

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

/* The row of a ticket; its sig column stays empty: the receipt batch
 * (receipts.h) signs it. */
static tsr_status insert_ticket(tsr_store_txn *txn, tsr_job *job, const tsr_ticket *t,
                                const uint8_t *bytes, size_t len, const uint8_t leaf[TSR_HASH_LEN],
                                const uint8_t bet_id[16])
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
    sqlite3_bind_zeroblob(st, 15, 0);
    sqlite3_bind_blob(st, 16, leaf, TSR_HASH_LEN, SQLITE_STATIC);
    return tsr_store_exec_stmt(st);
}

/* A ticket id: the seq, big-endian, then 8 random bytes. Ids grow with
 * the seq, so every index keyed by a ticket id (the tickets table, the
 * ledger's references, central's ticket_ids) is appended to at its right
 * edge instead of dirtying a random page per ticket; the random half keeps
 * ids of different nodes apart and unguessable. */
static void ticket_id_of_seq(uint8_t id[TICKET_ID_LEN], int64_t seq, const uint8_t *random)
{
    for (int k = 0; k < 8; k++)
        id[k] = (uint8_t)((uint64_t)seq >> (56 - 8 * k));
    memcpy(id + 8, random, TICKET_ID_LEN - 8);
}

/* One ticket: seq, serial, canonical bytes, leaf, row, outbox row. Its
 * signature comes with its receipt batch, before the group's COMMIT. */
static tsr_status make_ticket(tsr_store_txn *txn, tsr_job *job, const tsr_wallet_hooks *w,
                              bet_ctx *b, size_t i, const uint8_t *ids)
{
    const tsr_server *srv = job->srv;
    tsr_ticket *t = &b->tickets[i];
    memset(t, 0, sizeof *t);
    int64_t seq;
    tsr_status s = tsr_outbox_reserve(txn, &seq);
    if (s != TSR_OK)
        return s;
    ticket_id_of_seq(t->id, seq, ids + TICKET_ID_LEN * (i + 1));
    /* One debit per ticket, referenced by its id, so every debit has a
     * ticket and a cancel refunds exactly that ticket's stake. */
    char id_hex[33];
    tsr_hex_encode(id_hex, sizeof id_hex, t->id, sizeof t->id);
    tsr_bet_charge ch = {&job->caller, b->game,     b->draws[i],
                         id_hex,       b->per_draw, tsr_store_txn_now(txn).now_ns,
                         seq,          b->per_draw * (tsr_cents)(b->n_draws - i - 1)};
    if ((s = w->charge(w->arg, txn, &ch)) != TSR_OK)
        return s;
    snprintf(t->node, sizeof t->node, "%s", tsr_server_node_id(srv));
    snprintf(t->game, sizeof t->game, "%s", b->game);
    t->seq = (uint64_t)seq;
    t->draw = (uint32_t)b->draws[i];
    t->channel = job->caller.kind == TSR_CALLER_PLAYER ? TSR_CHANNEL_ONLINE : TSR_CHANNEL_RETAIL;
    t->bet_len = (uint16_t)b->bet_len;
    memcpy(t->bet, b->bet_bytes, b->bet_len);
    t->stake_cents = b->per_draw;
    t->accepted_at_ns = tsr_store_txn_now(txn).now_ns;
    tsr_receipt_serial(t);
    uint8_t bytes[TSR_TICKET_ENC_MAX];
    tsr_enc e;
    size_t len;
    tsr_enc_init(&e, bytes, sizeof bytes);
    if ((s = tsr_ticket_encode(t, &e)) != TSR_OK || (s = tsr_enc_finish(&e, &len)) != TSR_OK)
        return s;
    tsr_merkle_leaf(bytes, len, b->leaves[i]);
    if ((s = insert_ticket(txn, job, t, bytes, len, b->leaves[i], b->bet_id)) != TSR_OK ||
        (s = tsr_outbox_put(txn, seq, TSR_OUTBOX_TICKET, bytes, len)) != TSR_OK)
        return s;
    b->seqs[i] = t->seq;
    b->n_tickets = i + 1;
    return TSR_OK;
}

/* ---- the group's audit row ------------------------------------------------------- */

/* Writer thread, after the bet's savepoint was released: the bet is part
 * of the group, so its tickets go into the group's audit record. Seqs grow
 * through the group, so the leaves are folded in seq order. */
static void bet_settled(tsr_job *job)
{
    bet_ctx *b = job->ctx;
    tsr_core *c = tsr_core_of(job->srv);
    core_bet_group *g = &c->bet_group;
    if (b->n_tickets == 0 || b->signed_alone)
        return;
    tsr_receipts_want(&c->receipts, b->seqs, b->sigs, b->n_tickets);
    if (job->replayed)
        return; /* the original's tickets: nothing new */
    tsr_receipts_add(&c->receipts, b->seqs, (const uint8_t(*)[TSR_HASH_LEN])b->leaves,
                     b->n_tickets);
    if (g->bets == 0) {
        tsr_hash256_init(&g->leaves);
        g->first_seq = (int64_t)b->seqs[0];
    }
    for (size_t i = 0; i < b->n_tickets; i++)
        tsr_hash256_update(&g->leaves, b->leaves[i], TSR_HASH_LEN);
    g->bets++;
    g->tickets += b->n_tickets;
    g->stake_cents += b->total;
    g->last_seq = (int64_t)b->seqs[b->n_tickets - 1];
}

/* Writer thread, before the group's COMMIT: one `bet_accepted` row for all
 * the group's bets (one per bet cost two statements and a JSON document
 * each). The chain still commits to every ticket: `leaves` is BLAKE2b-256
 * over the leaf hashes of the tickets with seq in [first_seq, last_seq]
 * (only bets make ticket rows, so exactly the group's), in seq order, which
 * an auditor recomputes from the tickets table. */
static tsr_status bets_group_audit(void *arg, tsr_store_txn *txn)
{
    tsr_core *c = arg;
    core_bet_group *g = &c->bet_group;
    if (!txn) { /* the group failed: its tickets are gone */
        tsr_receipts_clear(&c->receipts);
        memset(g, 0, sizeof *g);
        return TSR_OK;
    }
    tsr_status rs = tsr_receipts_close(&c->receipts, txn, tsr_server_node_key(c->srv),
                                       tsr_server_node_id(c->srv));
    if (rs != TSR_OK) {
        memset(g, 0, sizeof *g);
        return rs;
    }
    if (g->bets == 0)
        return TSR_OK;
    uint8_t h[TSR_HASH_LEN];
    char hex[TSR_HASH_HEX_SIZE];
    tsr_hash256_final(&g->leaves, h);
    json_t *ev = json_pack("{s:I, s:I, s:I, s:I, s:I, s:s}", "bets", (json_int_t)g->bets,
                           "tickets", (json_int_t)g->tickets, "stake_cents",
                           (json_int_t)g->stake_cents, "first_seq", (json_int_t)g->first_seq,
                           "last_seq", (json_int_t)g->last_seq, "leaves",
                           tsr_hex_encode(hex, sizeof hex, h, sizeof h));
    memset(g, 0, sizeof *g);
    tsr_status s = ev ? tsr_audit_append(txn, "bet_accepted", ev) : TSR_ERR_NOMEM;
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
    if ((s = bet_ctx_room(b, b->n_draws)) != TSR_OK ||
        (s = tsr_receipts_reserve(&c->receipts, b->n_draws)) != TSR_OK)
        return s;
    /* The bet id and every ticket id's random half from one draw of the RNG. */
    uint8_t ids[TICKET_ID_LEN * (TSR_DRAWS_MAX + 1)];
    tsr_rng_public_bytes(tsr_store_txn_env(txn)->rng, ids, TICKET_ID_LEN * (b->n_draws + 1));
    memcpy(b->bet_id, ids, TICKET_ID_LEN);
    b->n_tickets = 0;
    b->signed_alone = false;
    /* Any failure fails the whole bet, and the writer rolls its savepoint
     * back: the ledger needs no savepoint of its own per posting. */
    tsr_sql_sp_covered(true);
    for (size_t i = 0; s == TSR_OK && i < b->n_draws; i++)
        s = make_ticket(txn, job, w, b, i, ids);
    tsr_sql_sp_covered(false);
    if (s == TSR_OK)
        job->replay_ref = (int64_t)b->seqs[0];
    return s;
}

/* ---- an idempotent retry ---------------------------------------------------------- */

static const char SQL_BET_TICKETS[] =
    "SELECT bytes, sig, bet_id FROM tickets WHERE seq >= ?1 ORDER BY seq LIMIT ?2";

/* Reads the ticket at row st into b as its next ticket; false when it
 * belongs to another bet. A ticket signed alone (before schema v2) gets its
 * block here; the others are wanted from the receipt batches. */
static tsr_status replay_row(sqlite3_stmt *st, bet_ctx *b, bool *more)
{
    size_t i = b->n_tickets;
    if (sqlite3_column_bytes(st, 2) != TICKET_ID_LEN ||
        (i > 0 && memcmp(sqlite3_column_blob(st, 2), b->bet_id, TICKET_ID_LEN) != 0)) {
        *more = false;
        return TSR_OK;
    }
    memcpy(b->bet_id, sqlite3_column_blob(st, 2), TICKET_ID_LEN);
    tsr_status s = tsr_ticket_decode(sqlite3_column_blob(st, 0),
                                     (size_t)sqlite3_column_bytes(st, 0), &b->tickets[i]);
    if (s != TSR_OK)
        return s;
    b->seqs[i] = b->tickets[i].seq;
    b->total += b->tickets[i].stake_cents;
    b->signed_alone = sqlite3_column_bytes(st, 1) == TSR_SIG_LEN;
    if (b->signed_alone) /* its block is here: nothing to want for it */
        s = tsr_receipt_sig_load(NULL, b->tickets[i].node, b->seqs[i], sqlite3_column_blob(st, 1),
                                 TSR_SIG_LEN, &b->sigs[i]);
    b->n_tickets = i + 1;
    return s;
}

/* Writer thread: the retry of a bet already accepted rebuilds the
 * original receipts from the tickets (seq `ref` onwards, same bet id). */
static tsr_status replay_bet(tsr_store_txn *txn, tsr_job *job, int64_t ref)
{
    bet_ctx *b = job->ctx;
    tsr_core *c = tsr_core_of(job->srv);
    sqlite3_stmt *st;
    tsr_status s = bet_ctx_room(b, TSR_DRAWS_MAX);
    if (s == TSR_OK)
        s = tsr_receipts_reserve(&c->receipts, 0);
    if (s == TSR_OK)
        s = tsr_store_stmt(tsr_store_txn_conn(txn), SQL_BET_TICKETS, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, ref);
    sqlite3_bind_int(st, 2, TSR_DRAWS_MAX);
    b->n_tickets = 0;
    b->total = 0;
    bool more = true;
    int rc;
    while (s == TSR_OK && more && (rc = sqlite3_step(st)) == SQLITE_ROW)
        s = replay_row(st, b, &more);
    sqlite3_reset(st);
    if (s == TSR_OK && b->n_tickets == 0)
        s = TSR_ERR_NOT_FOUND; /* the idempotency row points at no ticket */
    return s;
}

/* CoAP thread, after the commit: the reply, written as text (the bet path
 * costs less without a JSON tree). */
static tsr_status bet_reply(tsr_job *job)
{
    bet_ctx *b = job->ctx;
    if (job->replayed && b->n_tickets == 0)
        return TSR_OK; /* a reply stored as text before schema v2: sent as stored */
    if (job->replayed && b->n_tickets > 0) {
        free(b->bet_json);
        b->bet_json = bet_json_of(b->tickets[0].bet, b->tickets[0].bet_len);
    }
    /* {"bet_id":"<hex>","total_stake":"<money>","total_stake_cents":<n>,
     * "receipts":[...]}, written without stdio (one reply per bet) */
    static const char HEAD[] = "{\"bet_id\":\"", STAKE[] = "\",\"total_stake\":\"",
                      CENTS[] = "\",\"total_stake_cents\":", LIST[] = ",\"receipts\":[";
    tsr_text r = {0};
    tsr_text_append(&r, HEAD, sizeof HEAD - 1);
    tsr_text_hex(&r, b->bet_id, TICKET_ID_LEN);
    tsr_text_append(&r, STAKE, sizeof STAKE - 1);
    tsr_text_money(&r, b->total);
    tsr_text_append(&r, CENTS, sizeof CENTS - 1);
    tsr_text_i64(&r, b->total);
    tsr_text_append(&r, LIST, sizeof LIST - 1);
    for (size_t i = 0; i < b->n_tickets; i++) {
        if (i > 0)
            tsr_text_append(&r, ",", 1);
        tsr_receipt_text(&r, &b->tickets[i], &b->sigs[i], false, b->bet_json);
    }
    tsr_text_append(&r, "]}", 2);
    if (r.failed) {
        free(r.buf);
        return TSR_ERR_NOMEM;
    }
    free(job->response_text);
    job->response_text = r.buf;
    return TSR_OK;
}

/* CoAP thread, after the commit: the reply, and the live sales counters
 * for GET /v1/draws. */
static void bet_done(tsr_server *srv, tsr_job *job, bool committed)
{
    if (!committed)
        return;
    tsr_status s = bet_reply(job);
    if (s != TSR_OK)
        job->status = s; /* the bet stands: a retry with its key gets the receipts */
    if (job->replayed)
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
    b->bet_json = bet_json_of(b->bet_bytes, b->bet_len);
    j->ctx = b;
    j->replay = replay_bet;
    j->ctx_free = bet_ctx_free;
    j->done = bet_done;
    j->settled = bet_settled;
    j->rerun_safe = true; /* apply_bet and replay_bet rebuild the whole bet_ctx */
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
    tsr_receipt_sig sig;
    bool cancelled;
    int64_t player;
    char terminal[TSR_CALLER_ID_MAX];
    tsr_status s = tsr_receipt_load(tsr_server_reader(srv), id, &t, &sig, &cancelled, &player,
                                    terminal);
    if (s == TSR_OK && !owns(&req->caller, player, terminal))
        s = TSR_ERR_NOT_FOUND;
    if (s != TSR_OK) {
        tsr_reply_error(req, s, NULL);
        return;
    }
    tsr_reply_json(req, 205, tsr_receipt_json(&t, &sig, cancelled));
}

static tsr_status history_rows(tsr_store_conn *db, sqlite3_stmt *st, json_t *items,
                               int64_t *last_seq)
{
    int rc;
    tsr_status s = TSR_OK;
    while (s == TSR_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        tsr_ticket t;
        tsr_receipt_sig sig;
        s = tsr_ticket_decode(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), &t);
        if (s == TSR_OK)
            s = tsr_receipt_sig_load(db, t.node, t.seq, sqlite3_column_blob(st, 1),
                                     (size_t)sqlite3_column_bytes(st, 1), &sig);
        if (s != TSR_OK)
            return s;
        json_array_append_new(items, tsr_receipt_json(&t, &sig, sqlite3_column_int(st, 2) != 0));
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
    s = history_rows(tsr_server_reader(srv), st, items, &last);
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
    tsr_status gs = tsr_server_add_group_hook(srv, bets_group_audit, tsr_core_of(srv));
    if (gs != TSR_OK)
        return gs;
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

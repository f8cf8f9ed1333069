/* Sealing a draw at its cutoff: the node's signed statement of what it
 * sold (count, stake, first/last seq, Merkle root over the active tickets
 * in seq order), stored for the streaming relay to publish. Cancelled
 * tickets are excluded. */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "tessera/log.h"

static const char SQL_DRAW_TICKETS[] =
    "SELECT seq, stake_cents, leaf FROM tickets WHERE game = ?1 AND draw = ?2 AND state = 0"
    " ORDER BY seq";
static const char SQL_SEALED[] = "SELECT 1 FROM seals WHERE game = ?1 AND draw = ?2";
static const char SQL_SEAL_PUT[] =
    "INSERT INTO seals(game, draw, count, stake_total_cents, first_seq, last_seq, merkle_root,"
    " sealed_at_ns, signed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

static tsr_status already_sealed(tsr_store_conn *db, const char *game, uint32_t draw)
{
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(db, SQL_SEALED, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_text(st, 1, game, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, draw);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? TSR_ERR_DRAW_SEALED : rc == SQLITE_DONE ? TSR_OK : tsr_store_status(rc);
}

static tsr_status walk_tickets(tsr_store_conn *db, tsr_seal *seal)
{
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(db, SQL_DRAW_TICKETS, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_text(st, 1, seal->game, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seal->draw);
    tsr_merkle_acc acc;
    tsr_merkle_acc_init(&acc);
    int rc;
    while (s == TSR_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
        if (seal->count == 0)
            seal->first_seq = seq;
        seal->last_seq = seq;
        seal->count++;
        s = tsr_money_add(seal->stake_total_cents, sqlite3_column_int64(st, 1),
                          &seal->stake_total_cents);
        if (sqlite3_column_bytes(st, 2) != TSR_HASH_LEN)
            s = TSR_ERR_ENCODING;
        else
            tsr_merkle_acc_add(&acc, sqlite3_column_blob(st, 2));
    }
    if (s == TSR_OK && rc != SQLITE_DONE)
        s = tsr_store_status(rc);
    sqlite3_reset(st);
    tsr_merkle_acc_root(&acc, seal->merkle_root);
    return s;
}

static tsr_status store_seal(tsr_store_conn *db, const tsr_seal *seal, const uint8_t *signed_bytes,
                             size_t len)
{
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(db, SQL_SEAL_PUT, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_text(st, 1, seal->game, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seal->draw);
    sqlite3_bind_int64(st, 3, (int64_t)seal->count);
    sqlite3_bind_int64(st, 4, seal->stake_total_cents);
    sqlite3_bind_int64(st, 5, (int64_t)seal->first_seq);
    sqlite3_bind_int64(st, 6, (int64_t)seal->last_seq);
    sqlite3_bind_blob(st, 7, seal->merkle_root, TSR_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, seal->sealed_at_ns);
    sqlite3_bind_blob(st, 9, signed_bytes, (int)len, SQLITE_STATIC);
    return tsr_store_exec_stmt(st);
}

tsr_status tsr_seal_draw(tsr_store_txn *t, const tsr_keypair *key, const char *node,
                         const char *game, uint32_t draw, tsr_seal *out)
{
    tsr_store_conn *db = tsr_store_txn_conn(t);
    tsr_status s = already_sealed(db, game, draw);
    if (s != TSR_OK)
        return s;
    memset(out, 0, sizeof *out);
    snprintf(out->node, sizeof out->node, "%s", node);
    snprintf(out->game, sizeof out->game, "%s", game);
    out->draw = draw;
    out->sealed_at_ns = tsr_store_txn_now(t).now_ns;
    if ((s = walk_tickets(db, out)) != TSR_OK)
        return s;
    uint8_t signed_bytes[TSR_SIGNED_MAX(TSR_SEAL_ENC_MAX)];
    size_t len;
    if ((s = tsr_seal_sign(out, key, signed_bytes, sizeof signed_bytes, &len)) != TSR_OK ||
        (s = store_seal(db, out, signed_bytes, len)) != TSR_OK)
        return s;
    json_t *ev = tsr_seal_to_json(out);
    s = ev ? tsr_audit_append(t, "draw_sealed", ev) : TSR_ERR_NOMEM;
    json_decref(ev);
    return s;
}

/* ---- the seal job, queued by the tick at cutoff ------------------------------------ */

typedef struct seal_ctx {
    char game[TSR_NAME_MAX];
    uint32_t draw;
} seal_ctx;

static tsr_status apply_seal(tsr_store_txn *t, tsr_job *job)
{
    seal_ctx *sc = job->ctx;
    tsr_seal seal;
    tsr_status s = tsr_seal_draw(t, tsr_server_node_key(job->srv), tsr_server_node_id(job->srv),
                                 sc->game, sc->draw, &seal);
    if (s == TSR_OK)
        tsr_log_info(tsr_server_env(job->srv)->log, "draw_sealed",
                     "game=%s draw=%u count=%llu stake_cents=%lld", seal.game, seal.draw,
                     (unsigned long long)seal.count, (long long)seal.stake_total_cents);
    return s == TSR_ERR_DRAW_SEALED ? TSR_OK : s;
}

static void seal_done(tsr_server *srv, tsr_job *job, bool committed)
{
    tsr_core *c = tsr_core_of(srv);
    seal_ctx *sc = job->ctx;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n_tokens; i++) {
        core_token *k = &c->tokens[i];
        if (k->tok.draw == sc->draw && strcmp(k->tok.game, sc->game) == 0) {
            k->seal_pending = false;
            k->sealed = committed;
        }
    }
    pthread_mutex_unlock(&c->mu);
}

static void queue_seal(tsr_core *c, const core_token *k)
{
    tsr_job *j;
    seal_ctx *sc = calloc(1, sizeof *sc);
    if (!sc || tsr_job_new(&j, "seal", apply_seal) != TSR_OK) {
        free(sc);
        return;
    }
    memcpy(sc->game, k->tok.game, sizeof sc->game);
    sc->draw = k->tok.draw;
    j->ctx = sc;
    j->ctx_free = free;
    j->done = seal_done;
    if (tsr_server_submit_internal(c->srv, j) != TSR_OK) {
        pthread_mutex_lock(&c->mu);
        for (size_t i = 0; i < c->n_tokens; i++)
            if (c->tokens[i].tok.draw == sc->draw && !strcmp(c->tokens[i].tok.game, sc->game))
                c->tokens[i].seal_pending = false;
        pthread_mutex_unlock(&c->mu);
    }
}

static void seal_due(tsr_core *c, int64_t now_ns)
{
    core_token due[16];
    size_t n = 0;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n_tokens && n < 16; i++) {
        core_token *k = &c->tokens[i];
        if (!k->sealed && !k->seal_pending && now_ns >= k->tok.cutoff_at_ns) {
            k->seal_pending = true;
            due[n++] = *k;
        }
    }
    pthread_mutex_unlock(&c->mu);
    for (size_t i = 0; i < n; i++)
        queue_seal(c, &due[i]);
}

static void notify_dirty(tsr_core *c)
{
    int64_t mono = tsr_clock_mono_ns(tsr_server_env(c->srv)->clock);
    if (mono - c->last_notify_mono_ns < TSR_CORE_NOTIFY_INTERVAL_MS * TSR_NS_PER_MS)
        return;
    c->last_notify_mono_ns = mono;
    for (size_t g = 0; c->catalog && g < tsr_catalog_count(c->catalog); g++) {
        pthread_mutex_lock(&c->mu);
        bool dirty = c->draw_dirty[g];
        c->draw_dirty[g] = false;
        pthread_mutex_unlock(&c->mu);
        if (dirty && tsr_server_notify(c->srv, c->draw_paths[g]) != TSR_OK)
            continue;
    }
}

void tsr_core_tick(tsr_server *srv, void *arg)
{
    (void)srv;
    tsr_core *c = arg;
    seal_due(c, tsr_clock_now_ns(tsr_server_env(c->srv)->clock));
    notify_dirty(c);
}

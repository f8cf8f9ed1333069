/* tsr_relay_ops over the node store: reads on the module's own read-only
 * connection (relay thread), writes as writer jobs the relay waits for. */
#include <stdlib.h>
#include <string.h>

#include "sync_node.h"

static const char SQL_BATCHES[] =
    "SELECT first_seq, last_seq FROM batches WHERE first_seq > ?1 ORDER BY first_seq";
static const char SQL_ANCHOR[] = "SELECT seq, chain FROM relay_anchor WHERE id = 1";
static const char SQL_ANCHOR_PUT[] =
    "INSERT INTO relay_anchor(id, seq, chain, released_at_ns) VALUES (1, ?1, ?2, ?3)"
    " ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, chain = excluded.chain,"
    " released_at_ns = excluded.released_at_ns WHERE excluded.seq > relay_anchor.seq";
static const char SQL_SEALS[] = "SELECT game, draw, signed, published FROM seals";
static const char SQL_SEAL_DONE[] = "UPDATE seals SET published = 1 WHERE game = ?1 AND draw = ?2";

/* ---- reads (relay thread, own connection) ----------------------------------------- */

/* Rows of the outbox the node may publish: those on disk. A row central
 * holds while the node lost it in a power cut would be a ticket nobody was
 * answered for (the store syncs the WAL after the COMMIT, store.h). */
static uint64_t publishable_max(tsr_sync *s, uint64_t from, size_t max)
{
    int64_t durable = tsr_store_durable_seq(tsr_server_store(s->srv));
    if (durable < (int64_t)from)
        return 0;
    uint64_t room = (uint64_t)durable - from + 1;
    return room < max ? room : max;
}

static tsr_status op_read(void *ctx, uint64_t from, size_t max, tsr_relay_row_fn fn, void *arg)
{
    tsr_sync *s = ctx;
    tsr_outbox_row rows[TSR_SYNC_READ_CHUNK];
    max = publishable_max(s, from, max);
    while (max > 0) {
        size_t want = max < TSR_SYNC_READ_CHUNK ? max : TSR_SYNC_READ_CHUNK, n = 0;
        tsr_status st = tsr_outbox_read(s->reader, (int64_t)from, want, rows, &n);
        if (st != TSR_OK)
            return st;
        for (size_t i = 0; i < n && st == TSR_OK; i++) {
            /* Seals never enter the outbox (relay.h): a row of another kind
             * is a bug upstream, and the relay must not skip it. */
            int kind = rows[i].kind == TSR_OUTBOX_TICKET   ? TSR_ENTRY_TICKET
                       : rows[i].kind == TSR_OUTBOX_CANCEL ? TSR_ENTRY_CANCEL
                                                           : 0;
            st = kind ? fn(arg, (uint64_t)rows[i].seq, kind, rows[i].bytes, rows[i].len)
                      : TSR_ERR_ENCODING;
        }
        tsr_outbox_rows_free(rows, n);
        if (st != TSR_OK || n < want)
            return st;
        from = (uint64_t)rows[n - 1].seq + 1;
        max -= n;
    }
    return TSR_OK;
}

static tsr_status op_batches(void *ctx, uint64_t after, tsr_relay_range_fn fn, void *arg)
{
    tsr_sync *s = ctx;
    sqlite3_stmt *st;
    tsr_status r = tsr_store_stmt(s->reader, SQL_BATCHES, &st);
    if (r != TSR_OK)
        return r;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)after);
    int rc;
    while (r == TSR_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        r = fn(arg, (uint64_t)sqlite3_column_int64(st, 0), (uint64_t)sqlite3_column_int64(st, 1));
    if (r == TSR_OK && rc != SQLITE_DONE)
        r = tsr_store_status(rc);
    sqlite3_reset(st);
    return r;
}

static tsr_status op_anchor(void *ctx, uint64_t *seq, uint8_t chain[TSR_HASH_LEN])
{
    tsr_sync *s = ctx;
    sqlite3_stmt *st;
    tsr_status r = tsr_store_stmt(s->reader, SQL_ANCHOR, &st);
    if (r != TSR_OK)
        return r;
    *seq = 0;
    tsr_chain_init(chain);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 1) == TSR_HASH_LEN) {
        *seq = (uint64_t)sqlite3_column_int64(st, 0);
        memcpy(chain, sqlite3_column_blob(st, 1), TSR_HASH_LEN);
    } else if (rc != SQLITE_DONE) {
        r = rc == SQLITE_ROW ? TSR_ERR_ENCODING : tsr_store_status(rc);
    }
    sqlite3_reset(st);
    return r;
}

static tsr_status op_seals(void *ctx, tsr_relay_seal_fn fn, void *arg)
{
    tsr_sync *s = ctx;
    sqlite3_stmt *st;
    tsr_status r = tsr_store_stmt(s->reader, SQL_SEALS, &st);
    if (r != TSR_OK)
        return r;
    int rc;
    while (r == TSR_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        char game[TSR_NAME_MAX];
        const char *g = (const char *)sqlite3_column_text(st, 0);
        snprintf(game, sizeof game, "%s", g ? g : "");
        r = fn(arg, game, (uint32_t)sqlite3_column_int64(st, 1), sqlite3_column_blob(st, 2),
               (size_t)sqlite3_column_bytes(st, 2), sqlite3_column_int(st, 3) != 0);
    }
    sqlite3_reset(st);
    return r;
}

static tsr_status op_last_seq(void *ctx, uint64_t *seq)
{
    tsr_sync *s = ctx;
    int64_t v = 0;
    tsr_status r = tsr_outbox_last_seq(s->reader, &v);
    int64_t durable = tsr_store_durable_seq(tsr_server_store(s->srv));
    *seq = (uint64_t)(v < durable ? v : durable);
    return r;
}

/* ---- writes (writer jobs) ---------------------------------------------------------- */

typedef struct batch_arg {
    int64_t first, last;
    char msg_id[TSR_SUBJECT_MAX];
} batch_arg;

static tsr_status apply_batch_put(tsr_store_txn *txn, tsr_server *srv, void *arg)
{
    (void)srv;
    batch_arg *b = arg;
    return tsr_outbox_batch_put(tsr_store_txn_conn(txn), b->first, b->last, b->msg_id);
}

static tsr_status op_batch_put(void *ctx, uint64_t first, uint64_t last, const char *msg_id)
{
    batch_arg *b = calloc(1, sizeof *b);
    if (!b)
        return TSR_ERR_NOMEM;
    *b = (batch_arg){.first = (int64_t)first, .last = (int64_t)last};
    snprintf(b->msg_id, sizeof b->msg_id, "%s", msg_id);
    return tsr_sync_run(ctx, "relay_batch", apply_batch_put, b, free, NULL);
}

typedef struct release_arg {
    tsr_sync *s;
    int64_t up_to;
    uint8_t chain[TSR_HASH_LEN];
} release_arg;

/* Rows, their batches and the new anchor in one transaction: a crash
 * leaves either all three as before or all three after. */
static tsr_status apply_release(tsr_store_txn *txn, tsr_server *srv, void *arg)
{
    (void)srv;
    release_arg *a = arg;
    tsr_store_conn *db = tsr_store_txn_conn(txn);
    tsr_status st = tsr_outbox_delete_upto(db, a->up_to);
    sqlite3_stmt *q;
    if (st == TSR_OK)
        st = tsr_store_stmt(db, SQL_ANCHOR_PUT, &q);
    if (st != TSR_OK)
        return st;
    int64_t now = tsr_store_txn_now(txn).now_ns;
    sqlite3_bind_int64(q, 1, a->up_to);
    sqlite3_bind_blob(q, 2, a->chain, TSR_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, now);
    if ((st = tsr_store_exec_stmt(q)) == TSR_OK) {
        pthread_mutex_lock(&a->s->mu);
        a->s->last_release_ns = now;
        pthread_mutex_unlock(&a->s->mu);
    }
    return st;
}

static tsr_status op_release(void *ctx, uint64_t up_to, const uint8_t chain[TSR_HASH_LEN])
{
    release_arg *a = calloc(1, sizeof *a);
    if (!a)
        return TSR_ERR_NOMEM;
    a->s = ctx;
    a->up_to = (int64_t)up_to;
    memcpy(a->chain, chain, TSR_HASH_LEN);
    tsr_status st = tsr_sync_run(ctx, "relay_release", apply_release, a, free, NULL);
    /* The relay keeps a receipt it could not apply for redelivery only on
     * BUSY/IO: a stopping or wedged writer is the same "try again". */
    return st == TSR_ERR_SHUTTING_DOWN || st == TSR_ERR_TIMEOUT ? TSR_ERR_BUSY : st;
}

typedef struct seal_arg {
    char game[TSR_NAME_MAX];
    uint32_t draw;
} seal_arg;

static tsr_status apply_seal_published(tsr_store_txn *txn, tsr_server *srv, void *arg)
{
    (void)srv;
    seal_arg *a = arg;
    sqlite3_stmt *q;
    tsr_status st = tsr_store_stmt(tsr_store_txn_conn(txn), SQL_SEAL_DONE, &q);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_text(q, 1, a->game, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, a->draw);
    return tsr_store_exec_stmt(q);
}

static tsr_status op_seal_published(void *ctx, const char *game, uint32_t draw)
{
    seal_arg *a = calloc(1, sizeof *a);
    if (!a)
        return TSR_ERR_NOMEM;
    snprintf(a->game, sizeof a->game, "%s", game);
    a->draw = draw;
    return tsr_sync_run(ctx, "relay_seal_published", apply_seal_published, a, free, NULL);
}

tsr_relay_ops tsr_sync_relay_ops(tsr_sync *s)
{
    return (tsr_relay_ops){.ctx = s, .read = op_read, .batch_put = op_batch_put,
                           .batches_load = op_batches, .release = op_release,
                           .anchor = op_anchor, .seals = op_seals,
                           .seal_published = op_seal_published, .last_seq = op_last_seq};
}

/* Ingestion of signed node batches: verify, insert idempotently, alarm on
 * conflicts, advance each node's contiguous sequence and receipt chain. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central_int.h"

/* Distinct (game, draw) pairs aggregated per batch; a batch normally holds
 * one or two draws, more simply flushes early. */
#define AGG_MAX 8
/* Entries read per query while advancing the contiguous sequence. */
#define ADVANCE_CHUNK 4096

typedef struct agg {
    char game[TSR_NAME_MAX];
    uint32_t draw;
    int64_t count, stake;
    uint64_t min_seq, max_seq;
    bool used;
} agg;

typedef struct batch_ctx {
    tsr_central *c;
    cnode *n;
    agg aggs[AGG_MAX];
    int64_t new_entries, new_tickets, dup, conflicts;
    int64_t seq_conflicts; /* entries whose held bytes differ: their leaf is not ours */
} batch_ctx;

static tsr_status agg_flush(batch_ctx *b)
{
    static const char *const sql =
        "INSERT INTO node_draw(node_id,game,draw,count,stake,min_seq,max_seq) VALUES(?,?,?,?,?,?,?)"
        " ON CONFLICT(node_id,game,draw) DO UPDATE SET count=count+excluded.count,"
        " stake=stake+excluded.stake, min_seq=min(coalesce(min_seq,excluded.min_seq),excluded.min_seq),"
        " max_seq=max(coalesce(max_seq,excluded.max_seq),excluded.max_seq)";
    for (int i = 0; i < AGG_MAX; i++) {
        agg *a = &b->aggs[i];
        if (!a->used)
            continue;
        sqlite3_stmt *st;
        tsr_status s = cdb_stmt(&b->c->db, sql, &st);
        if (s != TSR_OK)
            return s;
        sqlite3_bind_int64(st, 1, b->n->id);
        sqlite3_bind_text(st, 2, a->game, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, a->draw);
        sqlite3_bind_int64(st, 4, a->count);
        sqlite3_bind_int64(st, 5, a->stake);
        if (a->min_seq) {
            sqlite3_bind_int64(st, 6, (int64_t)a->min_seq);
            sqlite3_bind_int64(st, 7, (int64_t)a->max_seq);
        }
        if ((s = cdb_step_done(st)) != TSR_OK)
            return s;
        a->used = false;
    }
    return TSR_OK;
}

/* Adds to the aggregate of (game, draw); seq 0 means "do not move the
 * range" (a cancel). */
static tsr_status agg_add(batch_ctx *b, const char *game, uint32_t draw, int64_t dcount,
                          int64_t dstake, uint64_t seq)
{
    agg *free_slot = NULL;
    for (int i = 0; i < AGG_MAX; i++) {
        agg *a = &b->aggs[i];
        if (a->used && a->draw == draw && strcmp(a->game, game) == 0) {
            free_slot = a;
            break;
        }
        if (!a->used && !free_slot)
            free_slot = a;
    }
    if (!free_slot) {
        tsr_status s = agg_flush(b);
        if (s != TSR_OK)
            return s;
        free_slot = &b->aggs[0];
    }
    agg *a = free_slot;
    if (!a->used) {
        memset(a, 0, sizeof *a);
        snprintf(a->game, sizeof a->game, "%s", game);
        a->draw = draw;
        a->used = true;
    }
    a->count += dcount;
    a->stake += dstake;
    if (seq && (!a->min_seq || seq < a->min_seq))
        a->min_seq = seq;
    if (seq > a->max_seq)
        a->max_seq = seq;
    return TSR_OK;
}

static void bind_entry(sqlite3_stmt *st, const batch_ctx *b, const centry *e, int conflict)
{
    sqlite3_bind_int64(st, 1, b->n->id);
    sqlite3_bind_int64(st, 2, (int64_t)e->seq);
    sqlite3_bind_int(st, 3, (int)e->kind);
    sqlite3_bind_blob(st, 4, e->id, TSR_TICKET_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, e->game, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, e->draw);
    sqlite3_bind_int64(st, 7, e->amount);
    sqlite3_bind_int64(st, 8, e->at_ns);
    sqlite3_bind_blob(st, 9, e->leaf, TSR_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 10, e->bytes, (int)e->len, SQLITE_STATIC);
    sqlite3_bind_int(st, 11, conflict);
}

static const char *const insert_sql =
    "INSERT INTO entries(node_id,seq,kind,ticket_id,game,draw,amount,accepted_at_ns,leaf,bytes,"
    "conflict) VALUES(?,?,?,?,?,?,?,?,?,?,?)";

static tsr_status insert_entry(batch_ctx *b, const centry *e, int conflict)
{
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&b->c->db, insert_sql, &st);
    if (s != TSR_OK)
        return s;
    bind_entry(st, b, e, conflict);
    return cdb_step_done(st);
}

/* The entry (node, seq) exists: the same bytes is a duplicate delivery;
 * other bytes is an alarm and the original is kept. */
static tsr_status existing_seq(batch_ctx *b, const centry *e)
{
    static const char *const sql = "SELECT bytes FROM entries WHERE node_id=? AND seq=?";
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&b->c->db, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, b->n->id);
    sqlite3_bind_int64(st, 2, (int64_t)e->seq);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        /* The key (node, seq) is the table's only constraint. */
        return rc == SQLITE_DONE ? TSR_ERR_INTERNAL : cdb_rc(rc);
    }
    bool same = (size_t)sqlite3_column_bytes(st, 0) == e->len &&
                memcmp(sqlite3_column_blob(st, 0), e->bytes, e->len) == 0;
    sqlite3_reset(st);
    if (same) {
        b->dup++;
        return TSR_OK;
    }
    char detail[128];
    snprintf(detail, sizeof detail, "seq=%llu differs from the entry held", (unsigned long long)e->seq);
    b->conflicts++;
    b->seq_conflicts++;
    return cdb_alarm(&b->c->db, central_now(b->c), b->n->name, "seq_conflict", detail);
}

/* A cancel marks its ticket (if held, live, from this node) cancelled. */
static tsr_status apply_cancel(batch_ctx *b, const centry *k)
{
    static const char *const find =
        "SELECT game, draw, amount FROM entries WHERE node_id=? AND seq=? AND kind=1"
        " AND conflict=0 AND cancelled=0";
    static const char *const mark = "UPDATE entries SET cancelled=1 WHERE node_id=? AND seq=?";
    bool found;
    int64_t node_id;
    uint64_t seq;
    tsr_status s = cids_find(b->c, k->id, &found, &node_id, &seq);
    if (s != TSR_OK || !found || node_id != b->n->id)
        return s; /* its ticket comes later (replay): marked on arrival */
    sqlite3_stmt *st;
    if ((s = cdb_stmt(&b->c->db, find, &st)) != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, node_id);
    sqlite3_bind_int64(st, 2, (int64_t)seq);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return TSR_OK; /* cancelled already */
    }
    char game[TSR_NAME_MAX];
    snprintf(game, sizeof game, "%s", (const char *)sqlite3_column_text(st, 0));
    uint32_t draw = (uint32_t)sqlite3_column_int64(st, 1);
    int64_t amount = sqlite3_column_int64(st, 2);
    sqlite3_reset(st);
    if ((s = cdb_stmt(&b->c->db, mark, &st)) != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, node_id);
    sqlite3_bind_int64(st, 2, (int64_t)seq);
    if ((s = cdb_step_done(st)) != TSR_OK)
        return s;
    return agg_add(b, game, draw, -1, -amount, 0);
}

/* A ticket arriving after its cancel (replayed out of order) is stored
 * cancelled. */
static tsr_status cancelled_before(batch_ctx *b, const centry *t, bool *yes)
{
    static const char *const sql = "SELECT 1 FROM entries WHERE kind=2 AND ticket_id=? AND node_id=?";
    static const char *const mark =
        "UPDATE entries SET cancelled=1 WHERE node_id=? AND seq=?";
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&b->c->db, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_blob(st, 1, t->id, TSR_TICKET_ID_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, b->n->id);
    *yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    if (!*yes)
        return TSR_OK;
    if ((s = cdb_stmt(&b->c->db, mark, &st)) != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, b->n->id);
    sqlite3_bind_int64(st, 2, (int64_t)t->seq);
    return cdb_step_done(st);
}

static tsr_status new_ticket(batch_ctx *b, const centry *t)
{
    bool cancelled = false;
    tsr_status s = b->n->has_cancels ? cancelled_before(b, t, &cancelled) : TSR_OK;
    if (s != TSR_OK)
        return s;
    b->new_tickets++;
    return cancelled ? TSR_OK : agg_add(b, t->game, t->draw, 1, t->amount, t->seq);
}

/* A live ticket elsewhere has this id. Keep the original, keep this one as
 * evidence marked conflicting (it still fills the node's sequence, which
 * the node did sign), never merge. */
static tsr_status ticket_conflict(batch_ctx *b, const centry *e, int64_t held_node,
                                  uint64_t held_seq)
{
    static const char *const mark = "UPDATE entries SET conflict=1 WHERE node_id=? AND seq=?";
    char hex[2 * TSR_TICKET_ID_LEN + 1], detail[200];
    tsr_hex_encode(hex, sizeof hex, e->id, TSR_TICKET_ID_LEN);
    snprintf(detail, sizeof detail,
             "ticket_id=%s seq=%llu reuses a held id with other content (held: node_id=%lld seq=%llu)",
             hex, (unsigned long long)e->seq, (long long)held_node, (unsigned long long)held_seq);
    b->conflicts++;
    tsr_status s = cdb_alarm(&b->c->db, central_now(b->c), b->n->name, "ticket_conflict", detail);
    sqlite3_stmt *st;
    if (s != TSR_OK || (s = cdb_stmt(&b->c->db, mark, &st)) != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, b->n->id);
    sqlite3_bind_int64(st, 2, (int64_t)e->seq);
    return cdb_step_done(st);
}

static tsr_status ingest_entry(batch_ctx *b, const centry *e)
{
    tsr_status s = insert_entry(b, e, 0);
    if (s == TSR_ERR_EXISTS)
        return existing_seq(b, e);
    if (s != TSR_OK)
        return s;
    b->new_entries++;
    if (e->kind == TSR_ENTRY_CANCEL) {
        b->n->has_cancels = true;
        return apply_cancel(b, e);
    }
    bool taken;
    int64_t held_node;
    uint64_t held_seq;
    if ((s = cids_claim(b->c, e->id, b->n->id, e->seq, &taken, &held_node, &held_seq)) != TSR_OK)
        return s;
    return taken ? ticket_conflict(b, e, held_node, held_seq) : new_ticket(b, e);
}

static tsr_status reject(tsr_central *c, const char *node, const char *kind, tsr_status why,
                         tsr_central_step_stats *st)
{
    st->rejected++;
    char detail[160];
    snprintf(detail, sizeof detail, "status=%s: %s", tsr_status_name(why), tsr_status_str(why));
    return cdb_alarm(&c->db, central_now(c), node, kind, detail);
}

static tsr_status update_node(batch_ctx *b, const tsr_batch_info *info)
{
    static const char *const sql =
        "UPDATE nodes SET max_seq=max(max_seq,?1), want_seq=max(want_seq,?1),"
        " entries=entries+?2, tickets=tickets+?3, last_batch_ns=?4 WHERE node_id=?5";
    cnode *n = b->n;
    if (info->last_seq > n->max_seq)
        n->max_seq = info->last_seq;
    if (n->max_seq > n->want_seq)
        n->want_seq = n->max_seq;
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&b->c->db, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, (int64_t)info->last_seq);
    sqlite3_bind_int64(st, 2, b->new_entries);
    sqlite3_bind_int64(st, 3, b->new_tickets);
    sqlite3_bind_int64(st, 4, central_now(b->c));
    sqlite3_bind_int64(st, 5, n->id);
    return cdb_step_done(st);
}

/* The batch continues the node's contiguous sequence and every entry now
 * held at its seq has this batch's bytes (new or identical duplicates): the
 * chain moves over the batch's own leaves, with no read back. Otherwise
 * central_advance reads the held rows. */
static tsr_status advance_in_memory(batch_ctx *b, const cmsg *m, const centry *e)
{
    cnode *n = b->n;
    if (m->info.first_seq != n->contig_seq + 1 || b->seq_conflicts ||
        m->count != m->info.last_seq - m->info.first_seq + 1)
        return TSR_OK;
    for (uint32_t i = 0; i < m->count; i++)
        tsr_chain_next(n->chain, e[i].leaf, n->chain);
    n->contig_seq = m->info.last_seq;
    return central_advance_store(b->c, n);
}

static void to_centry(centry *o, const tsr_batch_entry *e)
{
    o->kind = e->kind;
    o->seq = e->seq;
    o->bytes = e->bytes;
    o->len = (uint32_t)e->len;
    memcpy(o->leaf, e->leaf, TSR_HASH_LEN);
    if (e->kind == TSR_ENTRY_TICKET) {
        const tsr_ticket *t = &e->u.ticket;
        memcpy(o->id, t->id, TSR_TICKET_ID_LEN);
        memcpy(o->game, t->game, TSR_NAME_MAX);
        o->draw = t->draw;
        o->amount = t->stake_cents;
        o->at_ns = t->accepted_at_ns;
    } else {
        const tsr_cancel *k = &e->u.cancel;
        memcpy(o->id, k->ticket_id, TSR_TICKET_ID_LEN);
        memcpy(o->game, k->game, TSR_NAME_MAX);
        o->draw = k->draw;
        o->amount = k->refund_cents;
        o->at_ns = k->cancelled_at_ns;
    }
}

static tsr_status refuse(cmsg *m, const char *kind, tsr_status why)
{
    m->verdict = why;
    m->reject_kind = kind;
    return TSR_OK;
}

tsr_status central_prepare(tsr_central *c, const char *subject, const void *data, size_t len,
                           cmsg *m, centries *out)
{
    memset(m, 0, sizeof *m);
    m->first = out->n;
    tsr_status s = tsr_subject_node_of(subject, m->node, sizeof m->node);
    if (s != TSR_OK) {
        m->node[0] = '\0';
        return refuse(m, "bad_subject", s);
    }
    if ((s = tsr_batch_peek(data, len, &m->info)) != TSR_OK)
        return refuse(m, "malformed_batch", s);
    if (strcmp(m->info.node, m->node) != 0)
        return refuse(m, "batch_node_mismatch", TSR_ERR_BATCH_NODE);
    cnode *n = central_node(c, m->node);
    if (!n)
        return refuse(m, "unknown_node", TSR_ERR_NODE_UNKNOWN);
    tsr_batch_iter it;
    if ((s = tsr_batch_verify(n->pk, data, len, &m->info, &it)) != TSR_OK)
        return refuse(m, s == TSR_ERR_SIGNATURE ? "forged_batch" : "bad_batch", s);
    if (out->cap - out->n < m->info.count) {
        size_t cap = out->n + (m->info.count > TSR_BATCH_MAX_ENTRIES ? m->info.count
                                                                      : TSR_BATCH_MAX_ENTRIES);
        centry *v = realloc(out->v, cap * sizeof *v);
        if (!v)
            return TSR_ERR_NOMEM;
        out->v = v;
        out->cap = cap;
    }
    tsr_batch_entry e;
    while (m->count < m->info.count && tsr_batch_next(&it, &e))
        to_centry(&out->v[out->n + m->count++], &e);
    out->n += m->count;
    m->n = n;
    return TSR_OK;
}

tsr_status central_ingest_prepared(tsr_central *c, const cmsg *m, const centry *e,
                                   tsr_central_step_stats *stats)
{
    if (m->verdict != TSR_OK)
        return reject(c, m->node[0] ? m->node : NULL, m->reject_kind, m->verdict, stats);
    batch_ctx b = {.c = c, .n = m->n};
    tsr_status s = TSR_OK;
    for (uint32_t i = 0; i < m->count && s == TSR_OK; i++)
        s = ingest_entry(&b, &e[i]);
    if (s == TSR_OK)
        s = agg_flush(&b);
    if (s == TSR_OK)
        s = update_node(&b, &m->info);
    if (s == TSR_OK)
        s = advance_in_memory(&b, m, e);
    if (s == TSR_OK)
        s = central_advance(c, m->n);
    stats->batches++;
    stats->entries_new += (uint64_t)b.new_entries;
    stats->entries_dup += (uint64_t)b.dup;
    return s;
}

tsr_status central_advance(tsr_central *c, cnode *n)
{
    static const char *const sql =
        "SELECT seq, leaf FROM entries WHERE node_id=? AND seq>? ORDER BY seq LIMIT " "4096";
    _Static_assert(ADVANCE_CHUNK == 4096, "the LIMIT above is ADVANCE_CHUNK");
    uint64_t before = n->contig_seq;
    for (;;) {
        if (n->contig_seq >= n->max_seq)
            break;
        sqlite3_stmt *st;
        tsr_status s = cdb_stmt(&c->db, sql, &st);
        if (s != TSR_OK)
            return s;
        sqlite3_bind_int64(st, 1, n->id);
        sqlite3_bind_int64(st, 2, (int64_t)n->contig_seq);
        int rows = 0, rc;
        bool gap = false;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            rows++;
            uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
            if (seq != n->contig_seq + 1 || sqlite3_column_bytes(st, 1) != TSR_HASH_LEN) {
                gap = true;
                break;
            }
            tsr_chain_next(n->chain, sqlite3_column_blob(st, 1), n->chain);
            n->contig_seq = seq;
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return cdb_rc(rc);
        if (gap || rows < ADVANCE_CHUNK)
            break;
    }
    if (n->contig_seq == before)
        return TSR_OK;
    return central_advance_store(c, n);
}

tsr_status central_advance_store(tsr_central *c, cnode *n)
{
    static const char *const upd = "UPDATE nodes SET contig_seq=?, chain=? WHERE node_id=?";
    n->gap_since_ns = 0;
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&c->db, upd, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, (int64_t)n->contig_seq);
    sqlite3_bind_blob(st, 2, n->chain, TSR_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, n->id);
    if ((s = cdb_step_done(st)) != TSR_OK)
        return s;
    return central_recheck_seals(c, n, false);
}

tsr_status central_ingest_batch(tsr_central *c, const char *subject, const void *data,
                                size_t len, tsr_central_step_stats *stats)
{
    cmsg m;
    centries es = {0};
    tsr_status s = central_prepare(c, subject, data, len, &m, &es);
    if (s == TSR_OK)
        s = central_ingest_prepared(c, &m, es.v ? es.v + m.first : NULL, stats);
    free(es.v);
    return s;
}

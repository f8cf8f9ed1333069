/* Seals and per-draw reconciliation: compare each node's signed seal with
 * what central holds (count, stake total, sequence range, Merkle root). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central_int.h"
#include "tessera/merkle.h"

/* Unreconciled seals of one node re-evaluated per call. */
#define RECHECK_MAX 64

typedef struct seal_row {
    char game[TSR_NAME_MAX];
    uint32_t draw;
    int64_t count, stake, received_at_ns;
    uint64_t first_seq, last_seq;
    uint8_t root[TSR_HASH_LEN];
    char state[16];
} seal_row;

/* Central's live-ticket root over the seal's range for (node, game, draw). */
static tsr_status held_root(tsr_central *c, cnode *n, const seal_row *r,
                            uint8_t root[TSR_HASH_LEN], int64_t *count, int64_t *stake)
{
    static const char *const sql =
        "SELECT leaf, amount FROM entries WHERE node_id=? AND seq BETWEEN ? AND ? AND kind=1"
        " AND conflict=0 AND cancelled=0 AND game=? AND draw=? ORDER BY seq";
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&c->db, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, n->id);
    sqlite3_bind_int64(st, 2, (int64_t)r->first_seq);
    sqlite3_bind_int64(st, 3, (int64_t)r->last_seq);
    sqlite3_bind_text(st, 4, r->game, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, r->draw);
    tsr_merkle_acc acc;
    tsr_merkle_acc_init(&acc);
    *count = 0;
    *stake = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 0) != TSR_HASH_LEN)
            continue;
        tsr_merkle_acc_add(&acc, sqlite3_column_blob(st, 0));
        (*count)++;
        *stake += sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    tsr_merkle_acc_root(&acc, root);
    return cdb_rc(rc);
}

/* Tickets central holds for the draw from this node outside the seal's
 * range (sold after the seal, or a node bug): from the aggregates. */
static tsr_status outside_range(tsr_central *c, cnode *n, const seal_row *r, int64_t *total,
                                bool *outside)
{
    static const char *const sql =
        "SELECT count, min_seq, max_seq FROM node_draw WHERE node_id=? AND game=? AND draw=?";
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&c->db, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, n->id);
    sqlite3_bind_text(st, 2, r->game, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, r->draw);
    *total = 0;
    *outside = false;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *total = sqlite3_column_int64(st, 0);
        if (sqlite3_column_type(st, 1) != SQLITE_NULL)
            *outside = (uint64_t)sqlite3_column_int64(st, 1) < r->first_seq ||
                       (uint64_t)sqlite3_column_int64(st, 2) > r->last_seq;
    }
    sqlite3_reset(st);
    return TSR_OK;
}

static tsr_status set_state(tsr_central *c, cnode *n, const seal_row *r, const char *state,
                            json_t *diff)
{
    static const char *const sql =
        "UPDATE seals SET state=?, diff=? WHERE node_id=? AND game=? AND draw=?";
    char *d = diff ? json_dumps(diff, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(diff);
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&c->db, sql, &st);
    if (s == TSR_OK) {
        sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
        if (d)
            sqlite3_bind_text(st, 2, d, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, n->id);
        sqlite3_bind_text(st, 4, r->game, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, r->draw);
        s = cdb_step_done(st);
    }
    free(d);
    if (s == TSR_OK && strcmp(state, r->state) != 0)
        fprintf(stderr, "central: seal node=%s game=%s draw=%u %s -> %s\n", n->name, r->game,
                r->draw, r->state, state);
    return s;
}

/* Compares a seal with what central holds, once every entry up to its last
 * seq is here; before that the seal waits ("sealed"), and after the replay
 * grace it is a mismatch naming the missing sequences. */
static tsr_status evaluate(tsr_central *c, cnode *n, const seal_row *r)
{
    if (n->contig_seq < r->last_seq) {
        if (r->last_seq > n->want_seq)
            n->want_seq = r->last_seq;
        bool late = central_now(c) - r->received_at_ns >
                    c->o.replay_grace_ms * TSR_NS_PER_MS;
        json_t *diff = json_pack("{s:[[I,I]]}", "missing", (json_int_t)(n->contig_seq + 1),
                                 (json_int_t)r->last_seq);
        return set_state(c, n, r, late ? "mismatch" : "sealed", diff);
    }
    uint8_t root[TSR_HASH_LEN];
    int64_t count, stake, total;
    bool outside;
    tsr_status s = held_root(c, n, r, root, &count, &stake);
    if (s == TSR_OK)
        s = outside_range(c, n, r, &total, &outside);
    if (s != TSR_OK)
        return s;
    bool root_ok = memcmp(root, r->root, TSR_HASH_LEN) == 0;
    if (root_ok && count == r->count && stake == r->stake && !outside)
        return set_state(c, n, r, "reconciled", NULL);
    json_t *diff = json_pack("{s:{s:I,s:I},s:{s:I,s:I},s:b,s:I}",
                             "count", "seal", (json_int_t)r->count, "central", (json_int_t)count,
                             "stake", "seal", (json_int_t)r->stake, "central", (json_int_t)stake,
                             "root_mismatch", !root_ok,
                             "extra_outside_range", (json_int_t)(outside ? total - count : 0));
    return set_state(c, n, r, "mismatch", diff);
}

static void read_seal_row(sqlite3_stmt *st, seal_row *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->game, sizeof r->game, "%s", (const char *)sqlite3_column_text(st, 0));
    r->draw = (uint32_t)sqlite3_column_int64(st, 1);
    r->count = sqlite3_column_int64(st, 2);
    r->stake = sqlite3_column_int64(st, 3);
    r->first_seq = (uint64_t)sqlite3_column_int64(st, 4);
    r->last_seq = (uint64_t)sqlite3_column_int64(st, 5);
    if (sqlite3_column_bytes(st, 6) == TSR_HASH_LEN)
        memcpy(r->root, sqlite3_column_blob(st, 6), TSR_HASH_LEN);
    r->received_at_ns = sqlite3_column_int64(st, 7);
    snprintf(r->state, sizeof r->state, "%s", (const char *)sqlite3_column_text(st, 8));
}

tsr_status central_recheck_seals(tsr_central *c, cnode *n, bool waiting_only)
{
    static const char *const sql =
        "SELECT game, draw, count, stake, first_seq, last_seq, root, received_at_ns, state"
        " FROM seals WHERE node_id=? AND state!='reconciled' LIMIT 64";
    _Static_assert(RECHECK_MAX == 64, "LIMIT above");
    seal_row rows[RECHECK_MAX];
    int k = 0, rc;
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&c->db, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, n->id);
    while (k < RECHECK_MAX && (rc = sqlite3_step(st)) == SQLITE_ROW)
        read_seal_row(st, &rows[k++]);
    sqlite3_reset(st);
    for (int i = 0; i < k && s == TSR_OK; i++)
        if (!waiting_only || n->contig_seq < rows[i].last_seq)
            s = evaluate(c, n, &rows[i]);
    return s;
}

/* Stores a verified seal; a second, different seal for the same draw is an
 * alarm and the first is kept. Sets *is_new. */
static tsr_status store_seal(tsr_central *c, cnode *n, const tsr_seal *s, const void *data,
                             size_t len, bool *is_new)
{
    static const char *const sql =
        "INSERT INTO seals(node_id,game,draw,count,stake,first_seq,last_seq,root,sealed_at_ns,"
        "signed,received_at_ns,state) VALUES(?,?,?,?,?,?,?,?,?,?,?,'sealed')";
    static const char *const same = "SELECT signed FROM seals WHERE node_id=? AND game=? AND draw=?";
    static const char *const draw_sql = "INSERT OR IGNORE INTO draws(game,draw) VALUES(?,?)";
    sqlite3_stmt *st;
    tsr_status r = cdb_stmt(&c->db, sql, &st);
    if (r != TSR_OK)
        return r;
    sqlite3_bind_int64(st, 1, n->id);
    sqlite3_bind_text(st, 2, s->game, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, s->draw);
    sqlite3_bind_int64(st, 4, (int64_t)s->count);
    sqlite3_bind_int64(st, 5, s->stake_total_cents);
    sqlite3_bind_int64(st, 6, (int64_t)s->first_seq);
    sqlite3_bind_int64(st, 7, (int64_t)s->last_seq);
    sqlite3_bind_blob(st, 8, s->merkle_root, TSR_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, s->sealed_at_ns);
    sqlite3_bind_blob(st, 10, data, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 11, central_now(c));
    r = cdb_step_done(st);
    *is_new = r == TSR_OK;
    if (r == TSR_OK) {
        if ((r = cdb_stmt(&c->db, draw_sql, &st)) != TSR_OK)
            return r;
        sqlite3_bind_text(st, 1, s->game, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, s->draw);
        return cdb_step_done(st);
    }
    if (r != TSR_ERR_EXISTS || (r = cdb_stmt(&c->db, same, &st)) != TSR_OK)
        return r;
    sqlite3_bind_int64(st, 1, n->id);
    sqlite3_bind_text(st, 2, s->game, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, s->draw);
    bool identical = sqlite3_step(st) == SQLITE_ROW && (size_t)sqlite3_column_bytes(st, 0) == len &&
                     memcmp(sqlite3_column_blob(st, 0), data, len) == 0;
    sqlite3_reset(st);
    if (identical)
        return TSR_OK;
    char detail[128];
    snprintf(detail, sizeof detail, "game=%s draw=%u: a second, different seal", s->game, s->draw);
    return cdb_alarm(&c->db, central_now(c), n->name, "seal_conflict", detail);
}

tsr_status central_seal_ingest(tsr_central *c, const char *subject, const void *data, size_t len)
{
    char node[TSR_NAME_MAX];
    char detail[128];
    tsr_status s = tsr_subject_node_of(subject, node, sizeof node);
    cnode *n = s == TSR_OK ? central_node(c, node) : NULL;
    if (!n)
        return cdb_alarm(&c->db, central_now(c), s == TSR_OK ? node : NULL, "unknown_node",
                         "seal from a node central does not know");
    tsr_seal seal;
    if ((s = tsr_seal_open(n->pk, data, len, &seal)) != TSR_OK || strcmp(seal.node, node) != 0) {
        snprintf(detail, sizeof detail, "status=%s", tsr_status_name(s ? s : TSR_ERR_BATCH_NODE));
        return cdb_alarm(&c->db, central_now(c), node,
                         s == TSR_ERR_SIGNATURE ? "forged_seal" : "bad_seal", detail);
    }
    bool is_new;
    if ((s = store_seal(c, n, &seal, data, len, &is_new)) != TSR_OK || !is_new)
        return s;
    return central_recheck_seals(c, n, false);
}

tsr_status central_replay_request(tsr_central *c, cnode *n, uint64_t from, uint64_t to,
                                  const char *game, uint32_t draw)
{
    json_t *j = game ? json_pack("{s:s,s:s,s:I}", "node", n->name, "game", game, "draw",
                                 (json_int_t)draw)
                     : json_pack("{s:s,s:I,s:I}", "node", n->name, "from_seq", (json_int_t)from,
                                 "to_seq", (json_int_t)to);
    char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!body)
        return TSR_ERR_NOMEM;
    tsr_status s = tsr_js_publish(c->js, n->subj_replay, NULL, body, strlen(body), NULL);
    fprintf(stderr, "central: replay request %s -> %s\n", body, tsr_status_name(s));
    free(body);
    n->last_replay_ns = central_now(c);
    return s;
}

tsr_status central_request_missing_seals(tsr_central *c)
{
    static const char *const missing =
        "SELECT d.game, d.draw FROM draws d WHERE d.cutoff_at_ns>0 AND d.cutoff_at_ns<?1"
        " AND NOT EXISTS (SELECT 1 FROM seals s WHERE s.node_id=?2 AND s.game=d.game"
        " AND s.draw=d.draw) AND NOT EXISTS (SELECT 1 FROM exclusions x WHERE x.node_id=?2"
        " AND x.game=d.game AND x.draw=d.draw) LIMIT 1";
    int64_t now = central_now(c);
    for (size_t i = 0; i < c->n_nodes; i++) {
        cnode *n = &c->nodes[i];
        if (now - n->last_replay_ns < c->o.replay_interval_ms * TSR_NS_PER_MS)
            continue;
        sqlite3_stmt *st;
        tsr_status s = cdb_stmt(&c->db, missing, &st);
        if (s != TSR_OK)
            return s;
        sqlite3_bind_int64(st, 1, now - c->o.seal_grace_ms * TSR_NS_PER_MS);
        sqlite3_bind_int64(st, 2, n->id);
        if (sqlite3_step(st) == SQLITE_ROW) {
            char game[TSR_NAME_MAX];
            snprintf(game, sizeof game, "%s", (const char *)sqlite3_column_text(st, 0));
            uint32_t draw = (uint32_t)sqlite3_column_int64(st, 1);
            sqlite3_reset(st);
            CENTRAL_BEST_EFFORT(central_replay_request(c, n, 0, 0, game, draw)); /* best effort, retried */
        } else {
            sqlite3_reset(st);
        }
    }
    return TSR_OK;
}

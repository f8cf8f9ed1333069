/* Draws, readiness, totals, control fan-out. */
#include <stdio.h>
#include <string.h>

#include "central_int.h"

/* Why (node, game, draw) is or is not ready: {"state","diff","late"}, where
 * state is "excluded", the seal's state, or "open" (no seal yet), and late
 * says the seal was not there by cutoff + grace. Sets *rank: 0 ready,
 * 1 waiting, 2 mismatch. */
static tsr_status node_reason(cdb *d, int64_t node_id, const char *game, uint32_t draw,
                              int64_t now_ns, int64_t grace_ms, json_t **out, int *rank)
{
    static const char *const sql =
        "SELECT coalesce((SELECT 'excluded' FROM exclusions WHERE node_id=?1 AND game=?2 AND draw=?3),"
        " (SELECT state FROM seals WHERE node_id=?1 AND game=?2 AND draw=?3), 'open'),"
        " (SELECT diff FROM seals WHERE node_id=?1 AND game=?2 AND draw=?3),"
        " (SELECT received_at_ns FROM seals WHERE node_id=?1 AND game=?2 AND draw=?3),"
        " coalesce((SELECT cutoff_at_ns FROM draws WHERE game=?2 AND draw=?3), 0)";
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(d, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, node_id);
    sqlite3_bind_text(st, 2, game, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, draw);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return cdb_rc(rc == SQLITE_DONE ? SQLITE_ERROR : rc);
    }
    const char *state = (const char *)sqlite3_column_text(st, 0);
    const char *diff = (const char *)sqlite3_column_text(st, 1);
    bool sealed = sqlite3_column_type(st, 2) != SQLITE_NULL;
    int64_t received = sqlite3_column_int64(st, 2), cutoff = sqlite3_column_int64(st, 3);
    int64_t due = cutoff + grace_ms * TSR_NS_PER_MS;
    bool late = cutoff > 0 && strcmp(state, "excluded") != 0 &&
                (sealed ? received > due : now_ns > due);
    json_t *dj = diff ? json_loads(diff, 0, NULL) : NULL;
    *rank = strcmp(state, "reconciled") == 0 || strcmp(state, "excluded") == 0 ? 0
            : strcmp(state, "mismatch") == 0                                   ? 2
                                                                               : 1;
    *out = json_pack("{s:s,s:o,s:b}", "state", state, "diff", dj ? dj : json_null(), "late", late);
    sqlite3_reset(st);
    return *out ? TSR_OK : TSR_ERR_NOMEM;
}

/* Readiness over the given nodes; records the first ready time. */
static tsr_status ready_over(cdb *d, const int64_t *ids, const char *const *names, size_t n,
                             const char *game, uint32_t draw, int64_t now_ns, int64_t grace_ms,
                             json_t **why)
{
    static const char *const mark =
        "UPDATE draws SET ready_at_ns=coalesce(ready_at_ns, ?) WHERE game=? AND draw=?";
    if (why)
        *why = NULL;
    if (!game || !tsr_name_valid(game))
        return TSR_ERR_RANGE;
    json_t *list = json_object();
    int worst = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *r = NULL;
        int rank = 0;
        tsr_status s = node_reason(d, ids[i], game, draw, now_ns, grace_ms, &r, &rank);
        if (s != TSR_OK) {
            json_decref(list);
            return s;
        }
        json_object_set_new(list, names[i], r);
        worst = rank > worst ? rank : worst;
    }
    sqlite3_stmt *st;
    if (worst == 0 && cdb_stmt(d, mark, &st) == TSR_OK) {
        sqlite3_bind_int64(st, 1, now_ns);
        sqlite3_bind_text(st, 2, game, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, draw);
        CENTRAL_BEST_EFFORT(cdb_step_done(st)); /* the first "ready" time is informative */
    }
    if (why)
        *why = list;
    else
        json_decref(list);
    return worst == 0 ? TSR_OK : worst == 2 ? TSR_ERR_SEAL_MISMATCH : TSR_ERR_DRAW_NOT_READY;
}

tsr_status tsr_central_draw_ready(tsr_central *c, const char *game, uint32_t draw, json_t **why)
{
    int64_t ids[TSR_CENTRAL_NODES_MAX];
    const char *names[TSR_CENTRAL_NODES_MAX];
    for (size_t i = 0; i < c->n_nodes; i++) {
        ids[i] = c->nodes[i].id;
        names[i] = c->nodes[i].name;
    }
    return ready_over(&c->db, ids, names, c->n_nodes, game, draw, central_now(c),
                      c->o.seal_grace_ms, why);
}

/* The nodes the running central marked active, from its store. */
static tsr_status active_nodes(cdb *d, int64_t *ids, char (*names)[TSR_NAME_MAX], size_t *n)
{
    static const char *const sql = "SELECT node_id, node FROM nodes WHERE active=1 ORDER BY node";
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(d, sql, &st);
    if (s != TSR_OK)
        return s;
    int rc;
    *n = 0;
    while (*n < TSR_CENTRAL_NODES_MAX && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        ids[*n] = sqlite3_column_int64(st, 0);
        snprintf(names[*n], TSR_NAME_MAX, "%s", (const char *)sqlite3_column_text(st, 1));
        (*n)++;
    }
    sqlite3_reset(st);
    return TSR_OK;
}

tsr_status tsr_central_draw_ready_db(const char *db_path, const char *game, uint32_t draw,
                                     int64_t now_ns, int64_t seal_grace_ms, json_t **why)
{
    int64_t ids[TSR_CENTRAL_NODES_MAX];
    char names[TSR_CENTRAL_NODES_MAX][TSR_NAME_MAX];
    const char *ptrs[TSR_CENTRAL_NODES_MAX];
    size_t n = 0;
    if (why)
        *why = NULL;
    cdb d;
    tsr_status s = cdb_open_existing(&d, db_path);
    if (s == TSR_OK)
        s = active_nodes(&d, ids, names, &n);
    for (size_t i = 0; i < n; i++)
        ptrs[i] = names[i];
    if (s == TSR_OK)
        s = ready_over(&d, ids, ptrs, n, game, draw, now_ns, seal_grace_ms, why);
    cdb_close(&d);
    return s;
}

static tsr_status draw_add(cdb *d, const char *game, uint32_t draw, int64_t cutoff_at_ns)
{
    static const char *const sql =
        "INSERT INTO draws(game,draw,cutoff_at_ns) VALUES(?,?,?)"
        " ON CONFLICT(game,draw) DO UPDATE SET cutoff_at_ns=excluded.cutoff_at_ns";
    if (!game || !tsr_name_valid(game) || cutoff_at_ns < 0)
        return TSR_ERR_RANGE;
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(d, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_text(st, 1, game, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, draw);
    sqlite3_bind_int64(st, 3, cutoff_at_ns);
    return cdb_step_done(st);
}

tsr_status tsr_central_draw_add(tsr_central *c, const char *game, uint32_t draw,
                                int64_t cutoff_at_ns)
{
    return draw_add(&c->db, game, draw, cutoff_at_ns);
}

tsr_status tsr_central_draw_add_db(const char *db_path, const char *game, uint32_t draw,
                                   int64_t cutoff_at_ns)
{
    cdb d;
    tsr_status s = cdb_open_existing(&d, db_path);
    if (s == TSR_OK)
        s = draw_add(&d, game, draw, cutoff_at_ns);
    cdb_close(&d);
    return s;
}

tsr_status tsr_central_draw_totals(tsr_central *c, const char *game, uint32_t draw,
                                   uint64_t *count, int64_t *stake_cents)
{
    static const char *const sql =
        "SELECT coalesce(sum(count),0), coalesce(sum(stake),0) FROM node_draw WHERE game=? AND draw=?";
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&c->db, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_text(st, 1, game, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, draw);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *count = (uint64_t)sqlite3_column_int64(st, 0);
        *stake_cents = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return cdb_rc(rc);
}

static tsr_status ctl_one(tsr_central *c, const cnode *n, tsr_ctl_kind kind, const char *id,
                          const void *bytes, size_t len)
{
    char subject[TSR_SUBJECT_MAX], msg_id[TSR_SUBJECT_MAX];
    tsr_status s = tsr_subject_ctl(n->name, kind, subject, sizeof subject);
    if (s != TSR_OK)
        return s;
    if (snprintf(msg_id, sizeof msg_id, "%s:%s:%s", tsr_ctl_kind_name(kind), n->name, id) >=
        (int)sizeof msg_id)
        return TSR_ERR_ARG;
    return tsr_js_publish(c->js, subject, msg_id, bytes, len, NULL);
}

tsr_status tsr_central_ctl_publish(tsr_central *c, const char *node, tsr_ctl_kind kind,
                                   const char *id, const void *bytes, size_t len)
{
    if (!id || !*id || !bytes || !len || !tsr_ctl_kind_name(kind))
        return TSR_ERR_ARG;
    if (node) {
        const cnode *n = central_node(c, node);
        return n ? ctl_one(c, n, kind, id, bytes, len) : TSR_ERR_NODE_UNKNOWN;
    }
    for (size_t i = 0; i < c->n_nodes; i++) {
        tsr_status s = ctl_one(c, &c->nodes[i], kind, id, bytes, len);
        if (s != TSR_OK)
            return s;
    }
    return TSR_OK;
}

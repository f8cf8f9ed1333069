/* Draws, readiness, totals, control fan-out. */
#include <stdio.h>
#include <string.h>

#include "central_int.h"

tsr_status tsr_central_draw_add(tsr_central *c, const char *game, uint32_t draw,
                                int64_t cutoff_at_ns)
{
    static const char *const sql =
        "INSERT INTO draws(game,draw,cutoff_at_ns) VALUES(?,?,?)"
        " ON CONFLICT(game,draw) DO UPDATE SET cutoff_at_ns=excluded.cutoff_at_ns";
    if (!game || !tsr_name_valid(game) || cutoff_at_ns < 0)
        return TSR_ERR_RANGE;
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&c->db, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_text(st, 1, game, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, draw);
    sqlite3_bind_int64(st, 3, cutoff_at_ns);
    return cdb_step_done(st);
}

/* The state of (node, game, draw): "excluded", a seal state, or "open". */
static tsr_status node_draw_state(tsr_central *c, const cnode *n, const char *game,
                                  uint32_t draw, char *state, size_t cap)
{
    static const char *const sql =
        "SELECT coalesce((SELECT 'excluded' FROM exclusions WHERE node_id=?1 AND game=?2 AND draw=?3),"
        " (SELECT state FROM seals WHERE node_id=?1 AND game=?2 AND draw=?3), 'open')";
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&c->db, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, n->id);
    sqlite3_bind_text(st, 2, game, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, draw);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        snprintf(state, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? TSR_OK : cdb_rc(rc);
}

tsr_status tsr_central_draw_ready(tsr_central *c, const char *game, uint32_t draw, json_t **why)
{
    static const char *const mark =
        "UPDATE draws SET ready_at_ns=coalesce(ready_at_ns, ?) WHERE game=? AND draw=?";
    if (why)
        *why = NULL;
    if (!game || !tsr_name_valid(game))
        return TSR_ERR_RANGE;
    json_t *list = json_object();
    bool ready = true;
    for (size_t i = 0; i < c->n_nodes; i++) {
        char state[16];
        tsr_status s = node_draw_state(c, &c->nodes[i], game, draw, state, sizeof state);
        if (s != TSR_OK) {
            json_decref(list);
            return s;
        }
        json_object_set_new(list, c->nodes[i].name, json_string(state));
        ready = ready && (strcmp(state, "reconciled") == 0 || strcmp(state, "excluded") == 0);
    }
    if (ready) {
        sqlite3_stmt *st;
        if (cdb_stmt(&c->db, mark, &st) == TSR_OK) {
            sqlite3_bind_int64(st, 1, central_now(c));
            sqlite3_bind_text(st, 2, game, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(st, 3, draw);
            tsr_status ignored = cdb_step_done(st); /* the first "ready" time is informative */
            (void)ignored;
        }
    }
    if (why)
        *why = list;
    else
        json_decref(list);
    return ready ? TSR_OK : TSR_ERR_DRAW_NOT_READY;
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

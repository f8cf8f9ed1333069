/* Read-side of central's store for the CLI: status, alarms, exclusions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "central_int.h"

static json_t *node_draws(cdb *d, int64_t node_id)
{
    static const char *const sql =
        "SELECT game, draw, state, diff FROM seals WHERE node_id=?1"
        " UNION ALL SELECT game, draw, 'excluded', NULL FROM exclusions WHERE node_id=?1"
        " UNION ALL SELECT d.game, d.draw, 'open', NULL FROM draws d WHERE NOT EXISTS"
        " (SELECT 1 FROM seals s WHERE s.node_id=?1 AND s.game=d.game AND s.draw=d.draw)"
        " AND NOT EXISTS (SELECT 1 FROM exclusions x WHERE x.node_id=?1 AND x.game=d.game"
        " AND x.draw=d.draw) ORDER BY 1, 2";
    json_t *arr = json_array();
    sqlite3_stmt *st;
    if (cdb_stmt(d, sql, &st) != TSR_OK)
        return arr;
    sqlite3_bind_int64(st, 1, node_id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *diff = (const char *)sqlite3_column_text(st, 3);
        json_t *dj = diff ? json_loads(diff, 0, NULL) : NULL;
        json_array_append_new(arr, json_pack("{s:s,s:I,s:s,s:o}",
                                             "game", (const char *)sqlite3_column_text(st, 0),
                                             "draw", (json_int_t)sqlite3_column_int64(st, 1),
                                             "state", (const char *)sqlite3_column_text(st, 2),
                                             "diff", dj ? dj : json_null()));
    }
    sqlite3_reset(st);
    return arr;
}

/* Copies selected fields of the node's last status message. */
static void add_reported(json_t *o, const char *status)
{
    json_t *s = status ? json_loads(status, 0, NULL) : NULL;
    const char *keys[] = {"outbox_lag", "last_seq", "last_beacon_seq", "time_ok", "beacon_skew_ns"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = s ? json_object_get(s, keys[i]) : NULL;
        json_object_set(o, keys[i], v ? v : json_null());
    }
    json_decref(s);
}

static json_t *nodes_json(cdb *d, int64_t now_ns, int64_t stale_ms)
{
    static const char *const sql =
        "SELECT node_id, node, active, last_status_ns, tickets, contig_seq, max_seq,"
        " receipted_seq, status FROM nodes ORDER BY node";
    json_t *arr = json_array();
    sqlite3_stmt *st;
    if (cdb_stmt(d, sql, &st) != TSR_OK)
        return arr;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t last = sqlite3_column_int64(st, 3);
        json_t *o = json_pack("{s:s,s:b,s:b,s:I,s:I,s:I,s:I,s:I}",
                              "node", (const char *)sqlite3_column_text(st, 1),
                              "active", sqlite3_column_int(st, 2) != 0,
                              "connected", last > 0 && now_ns - last <= stale_ms * TSR_NS_PER_MS,
                              "last_status_at_ns", (json_int_t)last,
                              "tickets", (json_int_t)sqlite3_column_int64(st, 4),
                              "contig_seq", (json_int_t)sqlite3_column_int64(st, 5),
                              "max_seq", (json_int_t)sqlite3_column_int64(st, 6),
                              "receipted_seq", (json_int_t)sqlite3_column_int64(st, 7));
        add_reported(o, (const char *)sqlite3_column_text(st, 8));
        json_array_append_new(arr, o);
    }
    sqlite3_reset(st);
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o) {
        int64_t id = 0;
        if (cdb_node_id(d, json_string_value(json_object_get(o, "node")), &id) == TSR_OK)
            json_object_set_new(o, "draws", node_draws(d, id));
    }
    return arr;
}

tsr_status tsr_central_status_json(const char *db_path, int64_t now_ns, int64_t stale_ms,
                                   json_t **out)
{
    cdb d;
    *out = NULL;
    tsr_status s = cdb_open_existing(&d, db_path);
    if (s != TSR_OK)
        return s;
    json_t *nodes = nodes_json(&d, now_ns, stale_ms);
    sqlite3_stmt *st;
    int64_t alarms = 0;
    if (cdb_stmt(&d, "SELECT count(*) FROM alarms", &st) == TSR_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            alarms = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }
    cdb_close(&d);
    *out = json_pack("{s:o,s:I}", "nodes", nodes, "alarms", (json_int_t)alarms);
    return *out ? TSR_OK : TSR_ERR_NOMEM;
}

/* The status code an alarm stands for: fixed per kind, else the
 * "status=<NAME>" its detail starts with (rejected batches), else none. */
static const char *alarm_status(const char *kind, const char *detail, char *buf, size_t cap)
{
    static const struct { const char *kind; tsr_status st; } map[] = {
        {"ticket_conflict", TSR_ERR_TICKET_CONFLICT}, {"seq_conflict", TSR_ERR_TICKET_CONFLICT},
        {"seal_conflict", TSR_ERR_SEAL_MISMATCH},     {"batch_node_mismatch", TSR_ERR_BATCH_NODE},
        {"unknown_node", TSR_ERR_NODE_UNKNOWN},       {"forged_batch", TSR_ERR_SIGNATURE},
        {"forged_seal", TSR_ERR_SIGNATURE},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(kind, map[i].kind) == 0)
            return tsr_status_name(map[i].st);
    if (!detail || strncmp(detail, "status=", 7) != 0)
        return NULL;
    size_t n = strcspn(detail + 7, ": ");
    if (n == 0 || n >= cap)
        return NULL;
    memcpy(buf, detail + 7, n);
    buf[n] = '\0';
    tsr_status st;
    return tsr_status_from_name(buf, &st) == TSR_OK ? buf : NULL;
}

tsr_status tsr_central_alarms_json(const char *db_path, json_t **out)
{
    static const char *const sql = "SELECT at_ns, node, kind, detail FROM alarms ORDER BY id";
    cdb d;
    *out = NULL;
    tsr_status s = cdb_open_existing(&d, db_path);
    if (s != TSR_OK)
        return s;
    json_t *arr = json_array();
    sqlite3_stmt *st;
    if ((s = cdb_stmt(&d, sql, &st)) == TSR_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *kind = (const char *)sqlite3_column_text(st, 2);
            const char *detail = (const char *)sqlite3_column_text(st, 3);
            char buf[64];
            json_array_append_new(arr, json_pack("{s:I,s:s?,s:s,s:s?,s:s?}",
                "at_ns", (json_int_t)sqlite3_column_int64(st, 0),
                "node", (const char *)sqlite3_column_text(st, 1), "kind", kind,
                "status", alarm_status(kind, detail, buf, sizeof buf), "detail", detail));
        }
        sqlite3_reset(st);
    }
    cdb_close(&d);
    *out = arr;
    return s;
}

static tsr_status insert_exclusion(cdb *d, int64_t node_id, const char *game, uint32_t draw,
                                   const char *op, const char *reason, int64_t now_ns)
{
    static const char *const sql =
        "INSERT INTO exclusions(node_id,game,draw,operator,reason,at_ns) VALUES(?,?,?,?,?,?)";
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(d, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, node_id);
    sqlite3_bind_text(st, 2, game, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, draw);
    sqlite3_bind_text(st, 4, op, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now_ns);
    return cdb_step_done(st);
}

tsr_status tsr_central_exclude(const char *db_path, const char *node, const char *game,
                               uint32_t draw, const char *operator_name, const char *reason,
                               int64_t now_ns)
{
    if (!node || !game || !tsr_name_valid(game) || !operator_name || !*operator_name ||
        !reason || !*reason || strlen(reason) > 500 || strlen(operator_name) > 100)
        return TSR_ERR_ARG;
    cdb d;
    tsr_status s = cdb_open_existing(&d, db_path);
    if (s != TSR_OK)
        return s;
    int64_t id;
    s = cdb_node_id(&d, node, &id);
    if (s == TSR_OK)
        s = cdb_exec(&d, "BEGIN IMMEDIATE");
    if (s == TSR_OK) {
        s = insert_exclusion(&d, id, game, draw, operator_name, reason, now_ns);
        json_t *j = json_pack("{s:s,s:s,s:I,s:s,s:s}", "node", node, "game", game, "draw",
                              (json_int_t)draw, "operator", operator_name, "reason", reason);
        char *detail = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(j);
        if (s == TSR_OK)
            s = detail ? cdb_audit(&d, now_ns, "node_excluded", detail) : TSR_ERR_NOMEM;
        free(detail);
        s = s == TSR_OK ? cdb_exec(&d, "COMMIT") : s;
        if (s != TSR_OK)
            CENTRAL_BEST_EFFORT(cdb_exec(&d, "ROLLBACK"));
    }
    cdb_close(&d);
    return s;
}

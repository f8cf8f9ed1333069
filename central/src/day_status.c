/* tsr_day_status_json: what each draw's lifecycle is at and why it waits,
 * read from the store so the CLI can ask beside a live central. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "day_int.h"

static json_t *text_json(sqlite3_stmt *st, int i, bool parse)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    if (!t)
        return json_null();
    json_error_t err;
    json_t *j = parse ? json_loads(t, 0, &err) : json_string(t);
    return j ? j : json_null();
}

/* The drawn numbers from a stored record ("numbers": per pool main+bonus). */
static json_t *numbers_json(sqlite3_stmt *st, int i)
{
    json_t *rec = text_json(st, i, true);
    json_t *n = json_object_get(rec, "numbers");
    n = n ? json_incref(n) : json_null();
    json_decref(rec);
    return n;
}

static json_t *sums_json(cdb *db, const char *game, uint32_t draw)
{
    static const char *const sql =
        "SELECT count(*), coalesce(sum(amount_cents),0), coalesce(sum(withheld_cents),0),"
        " coalesce(sum(kind=2),0), coalesce(sum(CASE WHEN kind=2 THEN amount_cents END),0)"
        " FROM day_payouts WHERE game=? AND draw=?";
    static const char *const msgs =
        "SELECT count(*), coalesce(sum(published),0) FROM day_messages WHERE game=? AND draw=?";
    sqlite3_stmt *st, *m;
    if (cdb_stmt(db, sql, &st) != TSR_OK || cdb_stmt(db, msgs, &m) != TSR_OK)
        return NULL;
    sqlite3_bind_text(st, 1, game, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, draw);
    sqlite3_bind_text(m, 1, game, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(m, 2, draw);
    json_t *j = NULL;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_step(m) == SQLITE_ROW)
        j = json_pack("{s:{s:I,s:I,s:I,s:I,s:I},s:{s:I,s:I}}", "payouts", "entries",
                      (json_int_t)sqlite3_column_int64(st, 0), "amount_cents",
                      (json_int_t)sqlite3_column_int64(st, 1), "withheld_cents",
                      (json_int_t)sqlite3_column_int64(st, 2), "refunds",
                      (json_int_t)sqlite3_column_int64(st, 3), "refund_cents",
                      (json_int_t)sqlite3_column_int64(st, 4), "messages", "stored",
                      (json_int_t)sqlite3_column_int64(m, 0), "published",
                      (json_int_t)sqlite3_column_int64(m, 1));
    sqlite3_reset(st);
    sqlite3_reset(m);
    return j;
}

static json_t *row_json(cdb *db, sqlite3_stmt *st)
{
    const char *game = (const char *)sqlite3_column_text(st, 0);
    uint32_t draw = (uint32_t)sqlite3_column_int64(st, 1);
    json_t *o = json_pack(
        "{s:s,s:I,s:s,s:b,s:I,s:I,s:I,s:o,s:o,s:I,s:I,s:o}", "game", game, "draw",
        (json_int_t)draw, "state", tsr_day_state_name((tsr_day_state)sqlite3_column_int(st, 2)),
        "cancelled", sqlite3_column_int(st, 3), "sales_open_at_ns",
        (json_int_t)sqlite3_column_int64(st, 4), "cutoff_at_ns",
        (json_int_t)sqlite3_column_int64(st, 5), "results_at_ns",
        (json_int_t)sqlite3_column_int64(st, 6), "waiting", text_json(st, 7, false), "numbers",
        numbers_json(st, 8), "carry_cents", (json_int_t)sqlite3_column_int64(st, 9),
        "jackpot_next_cents", (json_int_t)sqlite3_column_int64(st, 10), "report",
        text_json(st, 11, true));
    json_t *sums = o ? sums_json(db, game, draw) : NULL;
    if (!sums || json_object_update(o, sums) != 0) {
        json_decref(o);
        o = NULL;
    }
    json_decref(sums);
    return o;
}

tsr_status tsr_day_status_json(const char *db_path, const char *game, uint32_t draw,
                               json_t **out)
{
    static const char *const all =
        "SELECT game,draw,state,cancelled,sales_open_at_ns,cutoff_at_ns,results_at_ns,waiting,"
        "record,carry_cents,jackpot_next_cents,report FROM day_draws ORDER BY cutoff_at_ns, game";
    static const char *const one =
        "SELECT game,draw,state,cancelled,sales_open_at_ns,cutoff_at_ns,results_at_ns,waiting,"
        "record,carry_cents,jackpot_next_cents,report FROM day_draws WHERE game=? AND draw=?";
    *out = NULL;
    cdb db;
    tsr_status s = cdb_open_existing(&db, db_path);
    s = s ? s : day_schema(&db);
    sqlite3_stmt *st = NULL;
    s = s ? s : cdb_stmt(&db, game ? one : all, &st);
    json_t *list = s == TSR_OK ? json_array() : NULL;
    if (s == TSR_OK && !list)
        s = TSR_ERR_NOMEM;
    if (s == TSR_OK && game) {
        sqlite3_bind_text(st, 1, game, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, draw);
    }
    int rc = SQLITE_DONE;
    while (s == TSR_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *r = row_json(&db, st);
        if (!r || json_array_append_new(list, r) != 0)
            s = TSR_ERR_NOMEM;
    }
    if (s == TSR_OK && rc != SQLITE_DONE)
        s = cdb_rc(rc);
    if (s == TSR_OK && !(*out = json_pack("{s:o}", "draws", list)))
        s = TSR_ERR_NOMEM;
    else if (s != TSR_OK)
        json_decref(list);
    if (st)
        sqlite3_reset(st);
    cdb_close(&db);
    return s;
}

/* The lifecycle's tables in central's store, its audit rows and the stored
 * control messages (publish the stored bytes, so a re-run never sends other
 * content under the same id). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "day_int.h"

static const char *const day_ddl =
    "CREATE TABLE IF NOT EXISTS day_draws(game TEXT NOT NULL, draw INTEGER NOT NULL,"
    " state INTEGER NOT NULL DEFAULT 0, cancelled INTEGER NOT NULL DEFAULT 0,"
    " sales_open_at_ns INTEGER NOT NULL, cutoff_at_ns INTEGER NOT NULL,"
    " results_at_ns INTEGER NOT NULL, seed BLOB, token BLOB, commitments TEXT, manifest TEXT,"
    " record TEXT, carry_cents INTEGER NOT NULL DEFAULT 0,"
    " jackpot_next_cents INTEGER NOT NULL DEFAULT 0, report TEXT, waiting TEXT,"
    " updated_at_ns INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(game, draw));"
    "CREATE TABLE IF NOT EXISTS day_payouts(payout_id BLOB PRIMARY KEY, game TEXT NOT NULL,"
    " draw INTEGER NOT NULL, node TEXT NOT NULL, ticket_id BLOB NOT NULL, kind INTEGER NOT NULL,"
    " tier INTEGER NOT NULL, klass INTEGER NOT NULL, reportable INTEGER NOT NULL,"
    " amount_cents INTEGER NOT NULL, withheld_cents INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS day_payouts_draw ON day_payouts(game, draw, node, payout_id);"
    "CREATE TABLE IF NOT EXISTS day_messages(kind INTEGER NOT NULL, node TEXT NOT NULL,"
    " id TEXT NOT NULL, game TEXT NOT NULL, draw INTEGER NOT NULL, idx INTEGER NOT NULL,"
    " bytes BLOB NOT NULL, published INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(kind, node, id));"
    "CREATE TABLE IF NOT EXISTS claims(payout_id BLOB PRIMARY KEY, id_document TEXT NOT NULL,"
    " paid_by TEXT NOT NULL, amount_cents INTEGER NOT NULL, withheld_cents INTEGER NOT NULL,"
    " at_ns INTEGER NOT NULL);";

int64_t day_now(const tsr_day *d)
{
    return tsr_clock_now_ns(d->o.env->clock);
}

tsr_status day_schema(cdb *db)
{
    return cdb_exec(db, day_ddl);
}

tsr_status day_begin(tsr_day *d)
{
    return cdb_exec(&d->db, "BEGIN IMMEDIATE");
}

tsr_status day_commit(tsr_day *d)
{
    tsr_status st = cdb_exec(&d->db, "COMMIT");
    if (st != TSR_OK)
        day_rollback(d);
    return st;
}

void day_rollback(tsr_day *d)
{
    CENTRAL_BEST_EFFORT(cdb_exec(&d->db, "ROLLBACK"));
}

static char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? strdup((const char *)t) : NULL;
}

static void row_read(sqlite3_stmt *st, day_row *r)
{
    r->state = (tsr_day_state)sqlite3_column_int(st, 0);
    r->cancelled = sqlite3_column_int(st, 1) != 0;
    r->sales_open_at_ns = sqlite3_column_int64(st, 2);
    r->cutoff_at_ns = sqlite3_column_int64(st, 3);
    r->results_at_ns = sqlite3_column_int64(st, 4);
    if (sqlite3_column_bytes(st, 5) == TSR_DRAW_SEED_LEN) {
        memcpy(r->seed, sqlite3_column_blob(st, 5), TSR_DRAW_SEED_LEN);
        r->has_seed = true;
    }
    int n = sqlite3_column_bytes(st, 6);
    if (n > 0 && (r->token = malloc((size_t)n))) {
        memcpy(r->token, sqlite3_column_blob(st, 6), (size_t)n);
        r->token_len = (size_t)n;
    }
    r->commitments = col_text(st, 7);
    r->manifest = col_text(st, 8);
    r->record = col_text(st, 9);
    r->carry_cents = sqlite3_column_int64(st, 10);
    r->jackpot_next_cents = sqlite3_column_int64(st, 11);
    r->report = col_text(st, 12);
}

tsr_status day_row_load(tsr_day *d, const char *game, uint32_t draw, day_row *r)
{
    static const char *const sql =
        "SELECT state,cancelled,sales_open_at_ns,cutoff_at_ns,results_at_ns,seed,token,"
        "commitments,manifest,record,carry_cents,jackpot_next_cents,report FROM day_draws"
        " WHERE game=? AND draw=?";
    memset(r, 0, sizeof *r);
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&d->db, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_text(st, 1, game, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, draw);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        snprintf(r->game, sizeof r->game, "%s", game);
        r->draw = draw;
        row_read(st, r);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? TSR_OK : rc == SQLITE_DONE ? TSR_ERR_DAY_NO_DRAW : cdb_rc(rc);
}

void day_row_free(day_row *r)
{
    free(r->token);
    free(r->commitments);
    free(r->manifest);
    free(r->record);
    free(r->report);
    tsr_wipe(r->seed, sizeof r->seed);
    memset(r, 0, sizeof *r);
}

tsr_status day_row_schedule(tsr_day *d, const char *game, uint32_t draw, int64_t open_ns,
                            int64_t cutoff_ns, int64_t results_ns)
{
    static const char *const sql =
        "INSERT OR IGNORE INTO day_draws(game,draw,sales_open_at_ns,cutoff_at_ns,results_at_ns,"
        "updated_at_ns) VALUES(?,?,?,?,?,?)";
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&d->db, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_text(st, 1, game, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, draw);
    sqlite3_bind_int64(st, 3, open_ns);
    sqlite3_bind_int64(st, 4, cutoff_ns);
    sqlite3_bind_int64(st, 5, results_ns);
    sqlite3_bind_int64(st, 6, day_now(d));
    return cdb_step_done(st);
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *t)
{
    if (t)
        sqlite3_bind_text(st, i, t, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

tsr_status day_row_save(tsr_day *d, const day_row *r)
{
    static const char *const sql =
        "UPDATE day_draws SET state=?,cancelled=?,seed=?,token=?,commitments=?,manifest=?,"
        "record=?,carry_cents=?,jackpot_next_cents=?,report=?,waiting=NULL,updated_at_ns=?"
        " WHERE game=? AND draw=?";
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&d->db, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int(st, 1, (int)r->state);
    sqlite3_bind_int(st, 2, r->cancelled);
    if (r->has_seed)
        sqlite3_bind_blob(st, 3, r->seed, TSR_DRAW_SEED_LEN, SQLITE_TRANSIENT);
    if (r->token)
        sqlite3_bind_blob(st, 4, r->token, (int)r->token_len, SQLITE_TRANSIENT);
    bind_text_or_null(st, 5, r->commitments);
    bind_text_or_null(st, 6, r->manifest);
    bind_text_or_null(st, 7, r->record);
    sqlite3_bind_int64(st, 8, r->carry_cents);
    sqlite3_bind_int64(st, 9, r->jackpot_next_cents);
    bind_text_or_null(st, 10, r->report);
    sqlite3_bind_int64(st, 11, day_now(d));
    sqlite3_bind_text(st, 12, r->game, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 13, r->draw);
    return cdb_step_done(st);
}

tsr_status day_set_waiting(tsr_day *d, const char *game, uint32_t draw, const char *why)
{
    static const char *const sql = "UPDATE day_draws SET waiting=? WHERE game=? AND draw=?";
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&d->db, sql, &st);
    if (s != TSR_OK)
        return s;
    bind_text_or_null(st, 1, why && *why ? why : NULL);
    sqlite3_bind_text(st, 2, game, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, draw);
    return cdb_step_done(st);
}

tsr_status day_audit(tsr_day *d, const char *what, const char *game, uint32_t draw,
                     json_t *extra)
{
    json_t *j = extra ? extra : json_object();
    if (!j)
        return TSR_ERR_NOMEM;
    json_object_set_new(j, "game", json_string(game));
    json_object_set_new(j, "draw", json_integer(draw));
    char *detail = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    if (!detail)
        return TSR_ERR_NOMEM;
    char event[64];
    snprintf(event, sizeof event, "day_%s", what);
    tsr_status st = cdb_audit(&d->db, day_now(d), event, detail);
    if (st == TSR_OK)
        tsr_log_info(d->o.env->log, event, "detail=%s", detail);
    free(detail);
    return st;
}

tsr_status day_msg_put(tsr_day *d, const char *game, uint32_t draw, const char *node,
                       tsr_ctl_kind kind, uint32_t idx, const char *id, const void *bytes,
                       size_t len)
{
    static const char *const sql =
        "INSERT OR IGNORE INTO day_messages(id,game,draw,node,kind,idx,bytes)"
        " VALUES(?,?,?,?,?,?,?)";
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&d->db, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, game, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, draw);
    sqlite3_bind_text(st, 4, node ? node : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 5, (int)kind);
    sqlite3_bind_int64(st, 6, idx);
    sqlite3_bind_blob(st, 7, bytes, (int)len, SQLITE_TRANSIENT);
    return cdb_step_done(st);
}

/* Publishes one stored message and marks it; the mark is its own small
 * commit, so a crash between the two re-publishes the same bytes under the
 * same Nats-Msg-Id, which JetStream drops as a duplicate. */
static tsr_status flush_one(tsr_day *d, sqlite3_stmt *sel)
{
    static const char *const mark =
        "UPDATE day_messages SET published=1 WHERE kind=? AND node=? AND id=?";
    const char *id = (const char *)sqlite3_column_text(sel, 0);
    const char *node = (const char *)sqlite3_column_text(sel, 1);
    tsr_ctl_kind kind = (tsr_ctl_kind)sqlite3_column_int(sel, 2);
    tsr_status st = tsr_central_ctl_publish(d->o.central, *node ? node : NULL, kind, id,
                                            sqlite3_column_blob(sel, 3),
                                            (size_t)sqlite3_column_bytes(sel, 3));
    sqlite3_stmt *m;
    if (st == TSR_OK)
        st = cdb_stmt(&d->db, mark, &m);
    if (st == TSR_OK) {
        sqlite3_bind_int(m, 1, (int)kind);
        sqlite3_bind_text(m, 2, node, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(m, 3, id, -1, SQLITE_TRANSIENT);
        st = cdb_step_done(m);
    }
    return st;
}

tsr_status day_msg_flush(tsr_day *d)
{
    static const char *const sql =
        "SELECT id,node,kind,bytes FROM day_messages WHERE published=0"
        " ORDER BY game,draw,kind,node,idx LIMIT 64";
    if (!d->o.central)
        return TSR_OK;
    for (;;) {
        sqlite3_stmt *sel;
        tsr_status st = cdb_stmt(&d->db, sql, &sel);
        if (st != TSR_OK)
            return st;
        int rows = 0, rc;
        while (st == TSR_OK && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
            rows++;
            st = flush_one(d, sel);
        }
        sqlite3_reset(sel);
        if (st != TSR_OK || rows == 0)
            return st;
    }
}

tsr_status day_msg_all_published(tsr_day *d, const char *game, uint32_t draw, bool *yes)
{
    static const char *const sql =
        "SELECT count(*), coalesce(sum(published),0) FROM day_messages WHERE game=? AND draw=?";
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&d->db, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_text(st, 1, game, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, draw);
    int rc = sqlite3_step(st);
    *yes = rc == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0 &&
           sqlite3_column_int64(st, 0) == sqlite3_column_int64(st, 1);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? TSR_OK : cdb_rc(rc);
}

tsr_status day_active_nodes(tsr_day *d, char (**names)[TSR_NAME_MAX], size_t *n)
{
    static const char *const sql = "SELECT node FROM nodes WHERE active=1 ORDER BY node";
    *names = calloc(TSR_CENTRAL_NODES_MAX, TSR_NAME_MAX);
    *n = 0;
    if (!*names)
        return TSR_ERR_NOMEM;
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&d->db, sql, &st);
    int rc = SQLITE_DONE;
    while (s == TSR_OK && *n < TSR_CENTRAL_NODES_MAX && (rc = sqlite3_step(st)) == SQLITE_ROW)
        snprintf((*names)[(*n)++], TSR_NAME_MAX, "%s", (const char *)sqlite3_column_text(st, 0));
    if (s == TSR_OK) {
        sqlite3_reset(st);
        s = rc == SQLITE_ROW || rc == SQLITE_DONE ? TSR_OK : cdb_rc(rc);
    }
    if (s != TSR_OK) {
        free(*names);
        *names = NULL;
    }
    return s;
}

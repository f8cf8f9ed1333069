/* Players' notifications (edge.h): GET /v1/notifications, Observable
 * (RFC 7641), answers a player's unread rows of `notifications` (written
 * by the sync module's results and payouts and by the accounts module);
 * POST /v1/notifications/read moves the player's read mark. A tick polls
 * the table's highest id and tells the observers when it grows, whoever
 * wrote the row. */
#include <stdlib.h>
#include <string.h>

#include "edge.h"
#include "tessera/log.h"

#define NOTIFY_PATH "/v1/notifications"

static const char SQL_UNREAD[] =
    "SELECT n.id, n.at_ns, n.kind, n.body FROM notifications n"
    " WHERE n.player_id = ?1 AND n.id > ?2 ORDER BY n.id LIMIT ?3";
static const char SQL_UNREAD_COUNT[] =
    "SELECT count(*) FROM notifications WHERE player_id = ?1 AND id > ?2";
static const char SQL_MARK_GET[] = "SELECT last_read_id FROM notification_reads WHERE player_id = ?1";
static const char SQL_MAX_ID[] = "SELECT COALESCE(MAX(id), 0) FROM notifications";
static const char SQL_PLAYER_MAX[] =
    "SELECT COALESCE(MAX(id), 0) FROM notifications WHERE player_id = ?1";
static const char SQL_MARK_PUT[] =
    "INSERT INTO notification_reads(player_id, last_read_id, updated_at_ns) VALUES (?1, ?2, ?3)"
    " ON CONFLICT(player_id) DO UPDATE SET last_read_id = max(last_read_id, excluded.last_read_id),"
    " updated_at_ns = excluded.updated_at_ns";

/* One integer from a statement with player_id (and optionally a second
 * integer) bound; 0 when there is no row. */
static tsr_status int_query(tsr_store_conn *c, const char *sql, int64_t a, int64_t b, bool two,
                            int64_t *out)
{
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(c, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, a);
    if (two)
        sqlite3_bind_int64(st, 2, b);
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    s = rc == SQLITE_ROW || rc == SQLITE_DONE ? TSR_OK : tsr_store_status(rc);
    sqlite3_reset(st);
    return s;
}

/* A row's body is JSON text written by the node; shown as JSON (or as a
 * string should a writer ever store something else). */
static json_t *body_json(const char *text)
{
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    return j ? j : json_string(text ? text : "");
}

static tsr_status unread_items(tsr_store_conn *c, int64_t player, int64_t mark, int64_t limit,
                               json_t *items)
{
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(c, SQL_UNREAD, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, player);
    sqlite3_bind_int64(st, 2, mark);
    sqlite3_bind_int64(st, 3, limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(
            items, json_pack("{s:I, s:I, s:s, s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0),
                             "at_ns", (json_int_t)sqlite3_column_int64(st, 1), "kind",
                             (const char *)sqlite3_column_text(st, 2), "body",
                             body_json((const char *)sqlite3_column_text(st, 3))));
    s = rc == SQLITE_DONE ? TSR_OK : tsr_store_status(rc);
    sqlite3_reset(st);
    return s;
}

/* GET: {"unread": n, "last_read_id": m, "items": [oldest unread first]}. */
static void handle_get(tsr_server *srv, tsr_request *req)
{
    tsr_store_conn *c = tsr_server_reader(srv);
    int64_t player = req->caller.player_id, limit, mark = 0, unread = 0;
    json_t *items = json_array();
    tsr_status s = tsr_request_query_int(req, "limit", 1, TSR_EDGE_NOTIFY_PAGE_MAX,
                                         TSR_EDGE_NOTIFY_PAGE_DEFAULT, &limit);
    if (s == TSR_OK)
        s = int_query(c, SQL_MARK_GET, player, 0, false, &mark);
    if (s == TSR_OK)
        s = int_query(c, SQL_UNREAD_COUNT, player, mark, true, &unread);
    if (s == TSR_OK)
        s = unread_items(c, player, mark, limit, items);
    if (s != TSR_OK) {
        json_decref(items);
        tsr_reply_error(req, s, NULL);
        return;
    }
    tsr_reply_json(req, 205, json_pack("{s:I, s:I, s:o}", "unread", (json_int_t)unread,
                                       "last_read_id", (json_int_t)mark, "items", items));
}

/* ---- POST /v1/notifications/read {"upto": id} ---------------------------------------- */

static tsr_status apply_read(tsr_store_txn *txn, tsr_job *job)
{
    tsr_store_conn *c = tsr_store_txn_conn(txn);
    int64_t player = job->caller.player_id;
    int64_t upto = json_integer_value(json_object_get(job->request, "upto")), top, mark, unread;
    tsr_status s = int_query(c, SQL_PLAYER_MAX, player, 0, false, &top);
    if (s != TSR_OK)
        return s;
    if (upto > top)
        upto = top; /* a mark past the player's rows would hide future ones */
    sqlite3_stmt *st;
    if ((s = tsr_store_stmt(c, SQL_MARK_PUT, &st)) != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, player);
    sqlite3_bind_int64(st, 2, upto);
    sqlite3_bind_int64(st, 3, tsr_store_txn_now(txn).now_ns);
    if ((s = tsr_store_exec_stmt(st)) != TSR_OK ||
        (s = int_query(c, SQL_MARK_GET, player, 0, false, &mark)) != TSR_OK ||
        (s = int_query(c, SQL_UNREAD_COUNT, player, mark, true, &unread)) != TSR_OK)
        return s;
    job->response = json_pack("{s:I, s:I}", "last_read_id", (json_int_t)mark, "unread",
                              (json_int_t)unread);
    return job->response ? TSR_OK : TSR_ERR_NOMEM;
}

static void read_done(tsr_server *srv, tsr_job *job, bool committed)
{
    (void)job;
    if (committed && tsr_server_notify(srv, NOTIFY_PATH) != TSR_OK)
        return; /* the route is registered at init: cannot happen */
}

static void handle_read(tsr_server *srv, tsr_request *req)
{
    (void)srv;
    static const tsr_json_field f[] = {{"upto", TSR_JSON_INT, true, 0}};
    json_t *body = NULL, *detail = NULL;
    tsr_status s = tsr_request_json(req, f, 1, &body, &detail);
    if (s == TSR_OK && json_integer_value(json_object_get(body, "upto")) < 0) {
        json_decref(body);
        s = TSR_ERR_RANGE;
        detail = json_pack("{s:s}", "field", "upto");
    }
    tsr_job *j = NULL;
    if (s == TSR_OK && (s = tsr_job_new(&j, "notifications_read", apply_read)) != TSR_OK)
        json_decref(body);
    if (s != TSR_OK) {
        tsr_reply_error(req, s, detail);
        return;
    }
    j->request = body;
    j->done = read_done;
    tsr_reply_submit(req, j);
}

/* ---- telling observers ------------------------------------------------------------------- */

static void notify_tick(tsr_server *srv, void *arg)
{
    tsr_edge *e = arg;
    int64_t mono = tsr_clock_mono_ns(tsr_server_env(srv)->clock);
    if (mono < e->notify_next_mono_ns)
        return;
    e->notify_next_mono_ns = mono + TSR_EDGE_NOTIFY_POLL_MS * TSR_NS_PER_MS;
    int64_t top;
    if (tsr_store_query_int(tsr_server_reader(srv), SQL_MAX_ID, &top) != TSR_OK ||
        top <= e->notify_last_id)
        return;
    e->notify_last_id = top;
    if (tsr_server_notify(srv, NOTIFY_PATH) != TSR_OK)
        tsr_log_warn(tsr_server_env(srv)->log, "notify_failed", "path=%s", NOTIFY_PATH);
}

tsr_status tsr_edge_notify_routes(tsr_server *srv, tsr_edge *e)
{
    static const tsr_route routes[] = {
        {TSR_GET, NOTIFY_PATH, TSR_AUTH_PLAYER, handle_get, 0, true},
        {TSR_POST, NOTIFY_PATH "/read", TSR_AUTH_PLAYER, handle_read, 0, false},
    };
    tsr_status s = tsr_store_query_int(tsr_server_reader(srv), SQL_MAX_ID, &e->notify_last_id);
    for (size_t i = 0; s == TSR_OK && i < sizeof routes / sizeof routes[0]; i++)
        s = tsr_server_route(srv, &routes[i]);
    return s == TSR_OK ? tsr_server_add_tick(srv, notify_tick, e) : s;
}

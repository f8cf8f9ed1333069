/* Cutoff tokens held by the node: verify, store, look up; the admin path
 * that installs one and the tokens_dir loaded at start. A node sells for a
 * draw only while it holds a valid token for it (DESIGN.md). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "tessera/log.h"

static const char SQL_TOKENS[] = "SELECT packed FROM tokens";
static const char SQL_TOKEN_PUT[] =
    "INSERT OR IGNORE INTO tokens(game, draw, sales_open_at_ns, cutoff_at_ns, results_at_ns,"
    " key_id, packed, received_at_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_SEALED[] = "SELECT 1 FROM seals WHERE game = ?1 AND draw = ?2";
static const char SQL_SALES[] =
    "SELECT count(*), coalesce(sum(stake_cents), 0) FROM tickets"
    " WHERE game = ?1 AND draw = ?2 AND state = 0";

static core_token *find_locked(tsr_core *c, const char *game, uint32_t draw)
{
    for (size_t i = 0; i < c->n_tokens; i++)
        if (c->tokens[i].tok.draw == draw && strcmp(c->tokens[i].tok.game, game) == 0)
            return &c->tokens[i];
    return NULL;
}

tsr_status tsr_core_token_add(tsr_core *c, const tsr_cutoff_token *t, int64_t now_ns)
{
    tsr_status s = tsr_cutoff_token_verify(t, c->authority, now_ns);
    if (s != TSR_OK)
        return s;
    pthread_mutex_lock(&c->mu);
    core_token *have = find_locked(c, t->game, t->draw);
    if (have) {
        s = memcmp(&have->tok, t, sizeof *t) == 0 ? TSR_OK : TSR_ERR_EXISTS;
    } else if (c->n_tokens == TSR_CORE_TOKENS_MAX) {
        s = TSR_ERR_TOO_LARGE;
    } else {
        memset(&c->tokens[c->n_tokens], 0, sizeof c->tokens[0]);
        c->tokens[c->n_tokens++].tok = *t;
    }
    pthread_mutex_unlock(&c->mu);
    return s;
}

tsr_status tsr_core_token_get(tsr_core *c, const char *game, uint32_t draw, core_token *out)
{
    pthread_mutex_lock(&c->mu);
    core_token *have = find_locked(c, game, draw);
    if (have)
        *out = *have;
    pthread_mutex_unlock(&c->mu);
    return have ? TSR_OK : TSR_ERR_NO_TOKEN;
}

size_t tsr_core_next_draws(tsr_core *c, const char *game, int64_t now_ns, core_token *out,
                           size_t n)
{
    size_t found = 0;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n_tokens; i++) {
        const core_token *t = &c->tokens[i];
        if (strcmp(t->tok.game, game) != 0 || t->tok.cutoff_at_ns <= now_ns)
            continue;
        /* insertion sort by cutoff: n is a handful (advance play) */
        size_t at = found < n ? found : n;
        while (at > 0 && out[at - 1].tok.cutoff_at_ns > t->tok.cutoff_at_ns) {
            if (at < n)
                out[at] = out[at - 1];
            at--;
        }
        if (at < n) {
            out[at] = *t;
            if (found < n)
                found++;
        }
    }
    pthread_mutex_unlock(&c->mu);
    return found;
}

/* ---- persistence ------------------------------------------------------------------ */

static tsr_status token_store(tsr_store_txn *txn, const tsr_cutoff_token *t)
{
    uint8_t packed[TSR_TOKEN_PACKED_MAX];
    size_t len;
    tsr_status s = tsr_cutoff_token_pack(t, packed, sizeof packed, &len);
    sqlite3_stmt *st;
    if (s == TSR_OK)
        s = tsr_store_stmt(tsr_store_txn_conn(txn), SQL_TOKEN_PUT, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_text(st, 1, t->game, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, t->draw);
    sqlite3_bind_int64(st, 3, t->sales_open_at_ns);
    sqlite3_bind_int64(st, 4, t->cutoff_at_ns);
    sqlite3_bind_int64(st, 5, t->results_at_ns);
    sqlite3_bind_text(st, 6, t->key_id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 7, packed, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, tsr_store_txn_now(txn).now_ns);
    return tsr_store_exec_stmt(st);
}

/* Sales counters and seal state of a token from the database. */
static void token_state(tsr_store_conn *db, core_token *ct)
{
    sqlite3_stmt *st;
    if (tsr_store_stmt(db, SQL_SEALED, &st) == TSR_OK) {
        sqlite3_bind_text(st, 1, ct->tok.game, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, ct->tok.draw);
        ct->sealed = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_reset(st);
    }
    if (tsr_store_stmt(db, SQL_SALES, &st) == TSR_OK) {
        sqlite3_bind_text(st, 1, ct->tok.game, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, ct->tok.draw);
        if (sqlite3_step(st) == SQLITE_ROW) {
            ct->sales_count = sqlite3_column_int64(st, 0);
            ct->sales_cents = sqlite3_column_int64(st, 1);
        }
        sqlite3_reset(st);
    }
}

static tsr_status load_db_tokens(tsr_core *c, tsr_store_conn *db, int64_t now_ns)
{
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(db, SQL_TOKENS, &st);
    if (s != TSR_OK)
        return s;
    while (sqlite3_step(st) == SQLITE_ROW) {
        tsr_cutoff_token t;
        if (tsr_cutoff_token_unpack(sqlite3_column_blob(st, 0),
                                    (size_t)sqlite3_column_bytes(st, 0), &t) != TSR_OK)
            continue;
        /* Expired ones (past results) are simply not held any more. */
        tsr_status a = tsr_core_token_add(c, &t, now_ns);
        if (a != TSR_OK && a != TSR_ERR_TOKEN_EXPIRED)
            tsr_log_warn(tsr_server_env(c->srv)->log, "stored_token_refused",
                         "game=%s draw=%u status=%s", t.game, t.draw, tsr_status_name(a));
    }
    sqlite3_reset(st);
    for (size_t i = 0; i < c->n_tokens; i++)
        token_state(db, &c->tokens[i]);
    return TSR_OK;
}

/* ---- install: a job so the token is on disk before it is used ------------------- */

static tsr_status apply_install(tsr_store_txn *txn, tsr_job *job)
{
    const tsr_cutoff_token *t = job->ctx;
    tsr_core *c = tsr_core_of(job->srv);
    tsr_status s = tsr_core_token_add(c, t, tsr_store_txn_now(txn).now_ns);
    if (s == TSR_OK)
        s = token_store(txn, t);
    if (s == TSR_OK) {
        json_t *ev = json_pack("{s:s, s:I, s:s}", "game", t->game, "draw", (json_int_t)t->draw,
                               "key_id", t->key_id);
        s = tsr_audit_append(txn, "token_installed", ev);
        json_decref(ev);
    }
    if (s == TSR_OK)
        job->response = json_pack("{s:s, s:I, s:I}", "game", t->game, "draw",
                                  (json_int_t)t->draw, "cutoff_at_ns",
                                  (json_int_t)t->cutoff_at_ns);
    return s;
}

static tsr_status install_job(const tsr_cutoff_token *t, tsr_job **out)
{
    tsr_job *j;
    tsr_status s = tsr_job_new(&j, "token_install", apply_install);
    if (s != TSR_OK)
        return s;
    j->ctx = malloc(sizeof *t);
    if (!j->ctx) {
        tsr_job_free(j);
        return TSR_ERR_NOMEM;
    }
    memcpy(j->ctx, t, sizeof *t);
    j->ctx_free = free;
    j->ok_code = 201;
    *out = j;
    return TSR_OK;
}

/* POST /v1/admin/tokens, loopback only: the body is the token's JSON form. */
static void handle_install(tsr_server *srv, tsr_request *req)
{
    (void)srv;
    json_error_t e;
    json_t *body = json_loadb((const char *)req->body, req->body_len, JSON_REJECT_DUPLICATES, &e);
    if (!body) {
        tsr_reply_error(req, TSR_ERR_JSON, json_pack("{s:i, s:s}", "column", e.column, "reason", e.text));
        return;
    }
    tsr_cutoff_token t;
    tsr_status s = tsr_cutoff_token_from_json(body, &t);
    json_decref(body);
    tsr_job *j = NULL;
    if (s == TSR_OK)
        s = install_job(&t, &j);
    if (s != TSR_OK) {
        tsr_reply_error(req, s, NULL);
        return;
    }
    tsr_reply_submit(req, j);
}

tsr_status tsr_tokens_routes(tsr_server *srv)
{
    static const tsr_route r = {TSR_POST, "/v1/admin/tokens", TSR_AUTH_LOCAL, handle_install, 0,
                                false};
    return tsr_server_route(srv, &r);
}

/* ---- tokens_dir ---------------------------------------------------------------------- */

static tsr_status read_token_file(const char *path, tsr_cutoff_token *t)
{
    json_error_t e;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
    if (!j)
        return TSR_ERR_JSON;
    tsr_status s = tsr_cutoff_token_from_json(j, t);
    json_decref(j);
    return s;
}

/* Loads every *.json of tokens_dir into the table. They are read again at
 * every start rather than copied into the database: the files are the
 * operator's source for them. */
static tsr_status load_dir(tsr_core *c, int64_t now_ns)
{
    DIR *d = opendir(c->cfg->tokens_dir);
    if (!d) {
        tsr_log_error(tsr_server_env(c->srv)->log, "tokens_dir_unreadable", "dir=%s",
                      c->cfg->tokens_dir);
        return TSR_ERR_CONFIG;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        char path[TSR_CFG_PATH_MAX * 2];
        snprintf(path, sizeof path, "%s/%s", c->cfg->tokens_dir, de->d_name);
        tsr_cutoff_token t;
        tsr_status s = read_token_file(path, &t);
        if (s == TSR_OK)
            s = tsr_core_token_add(c, &t, now_ns);
        tsr_log_write(tsr_server_env(c->srv)->log, s == TSR_OK ? TSR_LOG_INFO : TSR_LOG_WARN,
                      s == TSR_OK ? "token_loaded" : "token_refused", "file=%s status=%s", path,
                      tsr_status_name(s));
    }
    closedir(d);
    return TSR_OK;
}

tsr_status tsr_core_tokens_load(tsr_core *c, tsr_store_conn *db, int64_t now_ns)
{
    tsr_status s = load_db_tokens(c, db, now_ns);
    if (s == TSR_OK && c->cfg->tokens_dir[0])
        s = load_dir(c, now_ns);
    return s;
}

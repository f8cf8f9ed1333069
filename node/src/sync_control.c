/* Control messages from central: dispatch, and the applies of cutoff
 * tokens, catalogues and exclusions (results and payouts: sync_result.c,
 * sync_payout.c). Each is verified before anything is written, applied in
 * one writer transaction, and idempotent. */
#include <stdlib.h>
#include <string.h>

#include "sync_node.h"
#include "tessera/catalog.h"
#include "tessera/log.h"
#include "tessera/token.h"

static const char SQL_TOKEN_PUT[] =
    "INSERT OR IGNORE INTO tokens(game, draw, sales_open_at_ns, cutoff_at_ns, results_at_ns,"
    " key_id, packed, received_at_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char SQL_CATALOG_GET[] = "SELECT json FROM catalog WHERE version = ?1";
static const char SQL_CATALOG_PUT[] =
    "INSERT INTO catalog(version, json, installed_at_ns) VALUES (?1, ?2, ?3)";
static const char SQL_EXCL_PUT[] =
    "INSERT OR IGNORE INTO sync_exclusions(jurisdiction, document_no, kind, start_ns, end_ns,"
    " received_at_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
/* The player's own exclusion, unless the same one is there already. */
static const char SQL_EXCL_PLAYER[] =
    "INSERT INTO exclusions(player_id, kind, start_ns, end_ns)"
    " SELECT p.id, ?3, ?4, ?5 FROM players p WHERE p.jurisdiction = ?1 AND p.document_no = ?2"
    " AND NOT EXISTS (SELECT 1 FROM exclusions x WHERE x.player_id = p.id AND x.kind = ?3"
    " AND x.start_ns = ?4 AND x.end_ns = ?5)";

/* Longest identity document / jurisdiction text an exclusion may carry. */
#define SYNC_DOC_MAX 64

static tsr_status audit_event(tsr_store_txn *txn, const char *event, json_t *ev)
{
    tsr_status s = ev ? tsr_audit_append(txn, event, ev) : TSR_ERR_NOMEM;
    json_decref(ev);
    return s;
}

/* ---- cutoff tokens (draw-authority key) ---------------------------------------------- */

static tsr_status apply_token(tsr_store_txn *txn, tsr_server *srv, void *arg)
{
    const tsr_cutoff_token *t = arg;
    tsr_status s = tsr_core_token_add(tsr_core_of(srv), t, tsr_store_txn_now(txn).now_ns);
    if (s == TSR_ERR_EXISTS)
        return TSR_ERR_CONTROL_REFUSED; /* another token for a draw we hold one for */
    uint8_t packed[TSR_TOKEN_PACKED_MAX];
    size_t len;
    sqlite3_stmt *st;
    if (s == TSR_OK)
        s = tsr_cutoff_token_pack(t, packed, sizeof packed, &len);
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
    if ((s = tsr_store_exec_stmt(st)) != TSR_OK)
        return s;
    if (sqlite3_changes(tsr_store_conn_db(tsr_store_txn_conn(txn))) == 0)
        return TSR_OK; /* a redelivery: on disk already, audited already */
    return audit_event(txn, "token_received",
                       json_pack("{s:s, s:I, s:s, s:I, s:s}", "game", t->game, "draw",
                                 (json_int_t)t->draw, "key_id", t->key_id, "cutoff_at_ns",
                                 (json_int_t)t->cutoff_at_ns, "via", "central"));
}

static tsr_status control_token(tsr_sync *s, const void *bytes, size_t len)
{
    tsr_cutoff_token *t = calloc(1, sizeof *t);
    if (!t)
        return TSR_ERR_NOMEM;
    tsr_status st = tsr_cutoff_token_unpack(bytes, len, t);
    if (st == TSR_OK)
        st = tsr_cutoff_token_verify(t, s->core->authority,
                                     tsr_clock_now_ns(tsr_server_env(s->srv)->clock));
    if (st != TSR_OK) {
        free(t);
        return st;
    }
    return tsr_sync_run(s, "ctl_token", apply_token, t, free, NULL);
}

/* ---- catalogue and exclusions (central key, signed JSON) ------------------------------- */

/* Verifies signed JSON from central: body (borrowed from buf) and length. */
static tsr_status open_signed_json(tsr_sync *s, const void *buf, size_t len, const uint8_t **body,
                                   size_t *body_len)
{
    if (!tsr_sync_central_pk(s))
        return TSR_ERR_CONFIG;
    if (len > TSR_SYNC_CTL_MAX)
        return TSR_ERR_TOO_LARGE;
    return tsr_signed_open(s->central_pk, buf, len, body, body_len);
}

typedef struct catalog_arg {
    int64_t version;
    char *json;
} catalog_arg;

static void catalog_arg_free(void *p)
{
    catalog_arg *a = p;
    free(a->json);
    free(a);
}

/* Stored, not swapped in: the core's catalogue is immutable while the node
 * runs (the writer and the CoAP thread read it without a lock), so a new
 * version takes effect at the next start. */
static tsr_status apply_catalog(tsr_store_txn *txn, tsr_server *srv, void *arg)
{
    (void)srv;
    catalog_arg *a = arg;
    tsr_store_conn *db = tsr_store_txn_conn(txn);
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(db, SQL_CATALOG_GET, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, a->version);
    int rc = sqlite3_step(st);
    bool same = rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), a->json) == 0;
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return same ? TSR_OK : TSR_ERR_CONTROL_REFUSED;
    if ((s = tsr_store_stmt(db, SQL_CATALOG_PUT, &st)) != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, a->version);
    sqlite3_bind_text(st, 2, a->json, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, tsr_store_txn_now(txn).now_ns);
    if ((s = tsr_store_exec_stmt(st)) != TSR_OK)
        return s;
    return audit_event(txn, "catalog_received",
                       json_pack("{s:I, s:s}", "version", (json_int_t)a->version, "takes_effect",
                                 "at the next start"));
}

static tsr_status control_catalog(tsr_sync *s, const void *bytes, size_t len)
{
    const uint8_t *body;
    size_t n;
    tsr_status st = open_signed_json(s, bytes, len, &body, &n);
    tsr_catalog *cat = NULL;
    char err[256] = "";
    if (st == TSR_OK)
        st = tsr_catalog_load_json(&cat, (const char *)body, n, err, sizeof err);
    if (st != TSR_OK) {
        if (err[0])
            tsr_log_error(tsr_server_env(s->srv)->log, "ctl_catalog_invalid", "why=\"%s\"", err);
        return st == TSR_ERR_CATALOG || st == TSR_ERR_GAME_TZ ? TSR_ERR_RANGE : st;
    }
    catalog_arg *a = calloc(1, sizeof *a);
    if (a && (a->json = malloc(n + 1))) {
        memcpy(a->json, body, n);
        a->json[n] = '\0';
        a->version = tsr_catalog_version(cat);
    }
    tsr_catalog_free(cat);
    if (!a || !a->json) {
        free(a);
        return TSR_ERR_NOMEM;
    }
    return tsr_sync_run(s, "ctl_catalog", apply_catalog, a, catalog_arg_free, NULL);
}

typedef struct excl_arg {
    char jurisdiction[SYNC_DOC_MAX], document_no[SYNC_DOC_MAX], kind[16];
    int64_t start_ns, end_ns;
} excl_arg;

static tsr_status apply_exclusion(tsr_store_txn *txn, tsr_server *srv, void *arg)
{
    (void)srv;
    excl_arg *a = arg;
    tsr_store_conn *db = tsr_store_txn_conn(txn);
    static const char *const sql[] = {SQL_EXCL_PUT, SQL_EXCL_PLAYER};
    int64_t changes[2] = {0, 0};
    for (size_t i = 0; i < 2; i++) {
        sqlite3_stmt *st;
        tsr_status s = tsr_store_stmt(db, sql[i], &st);
        if (s != TSR_OK)
            return s;
        sqlite3_bind_text(st, 1, a->jurisdiction, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, a->document_no, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, a->kind, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, a->start_ns);
        sqlite3_bind_int64(st, 5, a->end_ns);
        if (i == 0)
            sqlite3_bind_int64(st, 6, tsr_store_txn_now(txn).now_ns);
        if ((s = tsr_store_exec_stmt(st)) != TSR_OK)
            return s;
        changes[i] = sqlite3_changes(tsr_store_conn_db(db));
    }
    if (changes[0] == 0)
        return TSR_OK; /* a redelivery */
    return audit_event(txn, "exclusion_received",
                       json_pack("{s:s, s:s, s:I, s:I, s:b}", "jurisdiction", a->jurisdiction,
                                 "kind", a->kind, "start_ns", (json_int_t)a->start_ns, "end_ns",
                                 (json_int_t)a->end_ns, "player_here", changes[1] > 0));
}

/* {"type":"tessera-exclusion","jurisdiction","document_no","kind","start_ns","end_ns"} */
static tsr_status parse_exclusion(const json_t *j, excl_arg *a)
{
    const char *type = json_string_value(json_object_get(j, "type"));
    const char *jur = json_string_value(json_object_get(j, "jurisdiction"));
    const char *doc = json_string_value(json_object_get(j, "document_no"));
    const char *kind = json_string_value(json_object_get(j, "kind"));
    json_t *start = json_object_get(j, "start_ns"), *end = json_object_get(j, "end_ns");
    if (!json_is_object(j) || json_object_size(j) != 6)
        return TSR_ERR_FIELD_UNKNOWN;
    if (!type || !jur || !doc || !kind || !json_is_integer(start) || !json_is_integer(end))
        return TSR_ERR_FIELD_TYPE;
    if (strcmp(type, "tessera-exclusion") != 0 || !*jur || !*doc ||
        strlen(jur) >= sizeof a->jurisdiction || strlen(doc) >= sizeof a->document_no ||
        (strcmp(kind, "self_exclusion") != 0 && strcmp(kind, "cool_off") != 0) ||
        json_integer_value(start) <= 0 || json_integer_value(end) <= json_integer_value(start))
        return TSR_ERR_RANGE;
    snprintf(a->jurisdiction, sizeof a->jurisdiction, "%s", jur);
    snprintf(a->document_no, sizeof a->document_no, "%s", doc);
    snprintf(a->kind, sizeof a->kind, "%s", kind);
    a->start_ns = json_integer_value(start);
    a->end_ns = json_integer_value(end);
    return TSR_OK;
}

static tsr_status control_exclusion(tsr_sync *s, const void *bytes, size_t len)
{
    const uint8_t *body;
    size_t n;
    tsr_status st = open_signed_json(s, bytes, len, &body, &n);
    if (st != TSR_OK)
        return st;
    json_t *j = json_loadb((const char *)body, n, JSON_REJECT_DUPLICATES, NULL);
    excl_arg *a = calloc(1, sizeof *a);
    st = !j ? TSR_ERR_JSON : !a ? TSR_ERR_NOMEM : parse_exclusion(j, a);
    json_decref(j);
    if (st != TSR_OK) {
        free(a);
        return st;
    }
    return tsr_sync_run(s, "ctl_exclusion", apply_exclusion, a, free, NULL);
}

/* ---- dispatch ----------------------------------------------------------------------- */

/* Statuses that mean "this message will never apply": an alarm, and the
 * relay terminates it on JetStream instead of redelivering it forever. */
static bool is_refusal(tsr_status st)
{
    tsr_status_class c = tsr_status_class_of(st);
    return c == TSR_CLASS_INPUT || c == TSR_CLASS_FORBIDDEN || c == TSR_CLASS_TOO_LARGE;
}

tsr_status tsr_sync_control(tsr_sync *s, tsr_ctl_kind kind, const void *bytes, size_t len)
{
    tsr_status st;
    switch (kind) {
    case TSR_CTL_TOKEN: st = control_token(s, bytes, len); break;
    case TSR_CTL_CATALOG: st = control_catalog(s, bytes, len); break;
    case TSR_CTL_EXCLUSION: st = control_exclusion(s, bytes, len); break;
    case TSR_CTL_RESULT: st = tsr_sync_apply_result(s, bytes, len); break;
    case TSR_CTL_PAYOUT: st = tsr_sync_apply_payouts(s, bytes, len); break;
    default: st = TSR_ERR_ARG; break;
    }
    if (st == TSR_ERR_TOO_LARGE)
        st = TSR_ERR_RANGE; /* class INPUT: the relay drops it rather than retry */
    if (st == TSR_OK)
        tsr_sync_count(s, 1, 0, 0);
    else if (is_refusal(st))
        tsr_sync_refuse(s, kind, st, NULL);
    else
        tsr_log_warn(tsr_server_env(s->srv)->log, "sync_control_retry", "kind=%s status=%s",
                     tsr_ctl_kind_name(kind) ? tsr_ctl_kind_name(kind) : "?",
                     tsr_status_name(st));
    return st;
}

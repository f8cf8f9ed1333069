/* The hash-chained audit log: hash_n = BLAKE2b-256(hash_{n-1} || record_n),
 * hash_0 = 32 zero bytes, where record_n is the canonical JSON (sorted keys,
 * compact) of {"at_ns", "event", "evidence"}. Altering, inserting or
 * deleting a row breaks every later hash. */
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "tessera/hash.h"

static const char SQL_LAST[] = "SELECT hash FROM audit ORDER BY id DESC LIMIT 1";
static const char SQL_PUT[] =
    "INSERT INTO audit(at_ns, event, record, hash) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_ALL[] = "SELECT id, record, hash FROM audit ORDER BY id";

/* The previous hash, or zeros for the first row. */
static tsr_status last_hash(tsr_store_conn *c, uint8_t out[TSR_HASH_LEN])
{
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(c, SQL_LAST, &st);
    if (s != TSR_OK)
        return s;
    memset(out, 0, TSR_HASH_LEN);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == TSR_HASH_LEN)
        memcpy(out, sqlite3_column_blob(st, 0), TSR_HASH_LEN);
    else if (rc == SQLITE_ROW)
        s = TSR_ERR_AUDIT_CHAIN;
    else if (rc != SQLITE_DONE)
        s = tsr_store_status(rc);
    sqlite3_reset(st);
    return s;
}

static void chain(const uint8_t prev[TSR_HASH_LEN], const char *record, uint8_t out[TSR_HASH_LEN])
{
    tsr_hash_ctx h;
    tsr_hash256_init(&h);
    tsr_hash256_update(&h, prev, TSR_HASH_LEN);
    tsr_hash256_update(&h, record, strlen(record));
    tsr_hash256_final(&h, out);
}

static char *canonical_record(int64_t at_ns, const char *event, const json_t *evidence)
{
    json_t *rec = json_pack("{s:I, s:s, s:O}", "at_ns", (json_int_t)at_ns, "event", event,
                            "evidence", (json_t *)(evidence ? evidence : json_null()));
    if (!rec)
        return NULL;
    char *text = json_dumps(rec, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(rec);
    return text;
}

tsr_status tsr_audit_append(tsr_store_txn *t, const char *event, const json_t *evidence)
{
    tsr_store_conn *c = tsr_store_txn_conn(t);
    uint8_t prev[TSR_HASH_LEN], hash[TSR_HASH_LEN];
    tsr_status s = last_hash(c, prev);
    if (s != TSR_OK)
        return s;
    int64_t at = tsr_store_txn_now(t).now_ns;
    char *record = canonical_record(at, event, evidence);
    if (!record)
        return TSR_ERR_NOMEM;
    chain(prev, record, hash);
    sqlite3_stmt *st;
    s = tsr_store_stmt(c, SQL_PUT, &st);
    if (s == TSR_OK) {
        sqlite3_bind_int64(st, 1, at);
        sqlite3_bind_text(st, 2, event, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, record, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 4, hash, TSR_HASH_LEN, SQLITE_STATIC);
        s = tsr_store_exec_stmt(st);
    }
    free(record);
    return s;
}

tsr_status tsr_audit_verify(tsr_store_conn *c, int64_t *bad_id)
{
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(c, SQL_ALL, &st);
    if (s != TSR_OK)
        return s;
    uint8_t prev[TSR_HASH_LEN] = {0}, want[TSR_HASH_LEN];
    *bad_id = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *record = (const char *)sqlite3_column_text(st, 1);
        chain(prev, record ? record : "", want);
        if (sqlite3_column_bytes(st, 2) != TSR_HASH_LEN ||
            memcmp(sqlite3_column_blob(st, 2), want, TSR_HASH_LEN) != 0) {
            *bad_id = sqlite3_column_int64(st, 0);
            s = TSR_ERR_AUDIT_CHAIN;
            break;
        }
        memcpy(prev, want, TSR_HASH_LEN);
    }
    if (s == TSR_OK && rc != SQLITE_DONE)
        s = tsr_store_status(rc);
    sqlite3_reset(st);
    return s;
}

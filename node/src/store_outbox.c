/* The outbox: gapless per-node sequence of tickets and cancels, read by the
 * streaming relay and deleted once central's signed receipt covers it. */
#include <stdlib.h>
#include <string.h>

#include "store.h"

static const char SQL_PUT[] = "INSERT INTO outbox(seq, kind, bytes) VALUES (?1, ?2, ?3)";
static const char SQL_READ[] = "SELECT seq, kind, bytes FROM outbox WHERE seq >= ?1 "
                               "ORDER BY seq LIMIT ?2";
static const char SQL_LAST[] = "SELECT last_seq FROM outbox_meta WHERE id = 1";
static const char SQL_BATCH_GET[] = "SELECT last_seq, msg_id FROM batches WHERE first_seq = ?1";
static const char SQL_BATCH_OVERLAP[] =
    "SELECT count(*) FROM batches WHERE first_seq <= ?2 AND last_seq >= ?1";
static const char SQL_BATCH_PUT[] =
    "INSERT INTO batches(first_seq, last_seq, msg_id) VALUES (?1, ?2, ?3)";
static const char SQL_DEL_OUTBOX[] = "DELETE FROM outbox WHERE seq <= ?1";
static const char SQL_DEL_BATCHES[] = "DELETE FROM batches WHERE last_seq <= ?1";

tsr_status tsr_outbox_reserve(tsr_store_txn *t, int64_t *seq_out)
{
    return tsr_store_txn_next_seq(t, seq_out);
}

tsr_status tsr_outbox_put(tsr_store_txn *t, int64_t seq, int kind, const void *bytes, size_t len)
{
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(tsr_store_txn_conn(t), SQL_PUT, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, seq);
    sqlite3_bind_int(st, 2, kind);
    sqlite3_bind_blob(st, 3, bytes, (int)len, SQLITE_STATIC);
    return tsr_store_exec_stmt(st);
}

tsr_status tsr_outbox_append(tsr_store_txn *t, int kind, const void *bytes, size_t len,
                             int64_t *seq_out)
{
    int64_t seq = 0;
    tsr_status s = tsr_outbox_reserve(t, &seq);
    if (s == TSR_OK)
        s = tsr_outbox_put(t, seq, kind, bytes, len);
    if (s == TSR_OK)
        *seq_out = seq;
    return s;
}

void tsr_outbox_rows_free(tsr_outbox_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].bytes);
        rows[i].bytes = NULL;
    }
}

static tsr_status copy_row(sqlite3_stmt *st, tsr_outbox_row *row)
{
    row->seq = sqlite3_column_int64(st, 0);
    row->kind = sqlite3_column_int(st, 1);
    row->len = (size_t)sqlite3_column_bytes(st, 2);
    row->bytes = malloc(row->len ? row->len : 1);
    if (!row->bytes)
        return TSR_ERR_NOMEM;
    if (row->len)
        memcpy(row->bytes, sqlite3_column_blob(st, 2), row->len);
    return TSR_OK;
}

tsr_status tsr_outbox_read(tsr_store_conn *c, int64_t from_seq, size_t max,
                           tsr_outbox_row *rows, size_t *n)
{
    sqlite3_stmt *st;
    *n = 0;
    tsr_status s = tsr_store_stmt(c, SQL_READ, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, from_seq);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
    int rc;
    while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        s = copy_row(st, &rows[*n]);
        if (s != TSR_OK)
            break;
        (*n)++;
    }
    sqlite3_reset(st);
    if (s != TSR_OK) {
        tsr_outbox_rows_free(rows, *n);
        *n = 0;
    }
    return s;
}

tsr_status tsr_outbox_last_seq(tsr_store_conn *c, int64_t *out)
{
    return tsr_store_query_int(c, SQL_LAST, out);
}

/* An existing batch at first_seq: the same boundary is fine (a restarted
 * relay re-forming it), a different one is a conflict. */
static tsr_status batch_same(tsr_store_conn *c, int64_t first, int64_t last, const char *msg_id,
                             bool *found)
{
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(c, SQL_BATCH_GET, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, first);
    *found = false;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *found = true;
        const char *m = (const char *)sqlite3_column_text(st, 1);
        if (sqlite3_column_int64(st, 0) != last || !m || strcmp(m, msg_id) != 0)
            s = TSR_ERR_EXISTS;
    }
    sqlite3_reset(st);
    return s;
}

tsr_status tsr_outbox_batch_put(tsr_store_conn *c, int64_t first_seq, int64_t last_seq,
                                const char *msg_id)
{
    if (first_seq < 1 || last_seq < first_seq || !msg_id || !*msg_id)
        return TSR_ERR_ARG;
    bool found;
    tsr_status s = batch_same(c, first_seq, last_seq, msg_id, &found);
    if (s != TSR_OK || found)
        return s;
    sqlite3_stmt *st;
    if ((s = tsr_store_stmt(c, SQL_BATCH_OVERLAP, &st)) != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, first_seq);
    sqlite3_bind_int64(st, 2, last_seq);
    int64_t overlaps = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 1;
    sqlite3_reset(st);
    if (overlaps)
        return TSR_ERR_EXISTS;
    if ((s = tsr_store_stmt(c, SQL_BATCH_PUT, &st)) != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, first_seq);
    sqlite3_bind_int64(st, 2, last_seq);
    sqlite3_bind_text(st, 3, msg_id, -1, SQLITE_TRANSIENT);
    return tsr_store_exec_stmt(st);
}

tsr_status tsr_outbox_delete_upto(tsr_store_conn *c, int64_t upto_seq)
{
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(c, SQL_DEL_OUTBOX, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, upto_seq);
    if ((s = tsr_store_exec_stmt(st)) != TSR_OK)
        return s;
    if ((s = tsr_store_stmt(c, SQL_DEL_BATCHES, &st)) != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, upto_seq);
    return tsr_store_exec_stmt(st);
}

/* Receipt signatures per group commit (receipts.h). */
#include "receipts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node_int.h"

/* First capacity of the group's ticket arrays. */
#define GROW_FIRST 256

struct receipt_want {
    const uint64_t *seqs;
    tsr_receipt_sig *out;
    size_t n;
};

/* One signed batch of the group being closed. */
typedef struct closed_batch {
    tsr_receipt_batch b;
    uint8_t sig[TSR_SIG_LEN];
    size_t first; /* its first ticket's index in the group */
    /* every ticket's proof, made with the root in one pass */
    uint32_t depths[TSR_RECEIPT_BATCH_MAX];
    uint8_t siblings[TSR_RECEIPT_BATCH_MAX * TSR_RECEIPT_PROOF_MAX][TSR_HASH_LEN];
} closed_batch;

tsr_status tsr_receipts_reserve(tsr_receipts *r, size_t tickets)
{
    size_t cap = r->cap, cap2 = r->cap;
    size_t need = r->n + r->held + tickets;
    if (!tsr_grow((void **)&r->seqs, &cap, need, sizeof *r->seqs, GROW_FIRST) ||
        !tsr_grow((void **)&r->leaves, &cap2, need, sizeof *r->leaves, GROW_FIRST))
        return TSR_ERR_NOMEM;
    r->cap = cap < cap2 ? cap : cap2;
    if (!tsr_grow((void **)&r->wants, &r->cap_wants, r->n_wants + r->held_wants + 1,
                  sizeof *r->wants, GROW_FIRST))
        return TSR_ERR_NOMEM;
    r->held += tickets;
    r->held_wants++;
    return TSR_OK;
}

void tsr_receipts_add(tsr_receipts *r, const uint64_t *seqs, const uint8_t (*leaves)[TSR_HASH_LEN],
                      size_t n)
{
    if (r->n + n > r->cap)
        abort(); /* a caller added without reserving: writing on would corrupt the heap */
    memcpy(r->seqs + r->n, seqs, n * sizeof *seqs);
    memcpy(r->leaves + r->n, leaves, n * sizeof *leaves);
    r->n += n;
    r->held -= n < r->held ? n : r->held;
}

void tsr_receipts_want(tsr_receipts *r, const uint64_t *seqs, tsr_receipt_sig *out, size_t n)
{
    if (r->n_wants >= r->cap_wants)
        abort(); /* as in add */
    r->held_wants -= r->held_wants > 0;
    r->wants[r->n_wants++] = (struct receipt_want){seqs, out, n};
}

void tsr_receipts_clear(tsr_receipts *r)
{
    r->n = 0;
    r->n_wants = 0;
    r->held = 0;
    r->held_wants = 0;
}

void tsr_receipts_free(tsr_receipts *r)
{
    free(r->seqs);
    free(r->leaves);
    free(r->wants);
    memset(r, 0, sizeof *r);
}

/* ---- the block of one ticket ------------------------------------------------ */

/* Fills out's proof for leaves[index] of a batch of n. */
static tsr_status fill_proof(const uint8_t (*leaves)[TSR_HASH_LEN], size_t n, size_t index,
                             tsr_receipt_sig *out)
{
    tsr_merkle_proof p;
    tsr_status s = tsr_merkle_prove(leaves, n, index, &p);
    if (s != TSR_OK)
        return s;
    if (p.depth > TSR_RECEIPT_PROOF_MAX)
        return TSR_ERR_INTERNAL;
    out->batched = true;
    out->index = (uint32_t)index;
    out->depth = p.depth;
    memcpy(out->siblings, p.siblings, p.depth * sizeof p.siblings[0]);
    return TSR_OK;
}

/* ---- closing the group --------------------------------------------------------- */

static const char SQL_BATCH_PUT[] =
    "INSERT INTO receipt_batches(first_seq, last_seq, count, root, sig) VALUES (?1, ?2, ?3, ?4, ?5)";

static tsr_status store_batch(tsr_store_txn *t, const closed_batch *c)
{
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(tsr_store_txn_conn(t), SQL_BATCH_PUT, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, (int64_t)c->b.first_seq);
    sqlite3_bind_int64(st, 2, (int64_t)c->b.last_seq);
    sqlite3_bind_int(st, 3, (int)c->b.count);
    sqlite3_bind_blob(st, 4, c->b.root, TSR_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, c->sig, TSR_SIG_LEN, SQLITE_STATIC);
    return tsr_store_exec_stmt(st);
}

static tsr_status sign_batch(const tsr_receipts *r, size_t first, size_t n, const tsr_keypair *kp,
                             const char *node, closed_batch *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->b.node, sizeof c->b.node, "%s", node);
    c->b.first_seq = r->seqs[first];
    c->b.last_seq = r->seqs[first + n - 1];
    c->b.count = (uint32_t)n;
    c->first = first;
    tsr_status s = tsr_merkle_prove_each((const uint8_t(*)[TSR_HASH_LEN])(r->leaves + first), n,
                                         TSR_RECEIPT_PROOF_MAX, c->b.root, c->depths, c->siblings);
    return s == TSR_OK ? tsr_receipt_batch_sign(&c->b, kp, c->sig) : TSR_ERR_INTERNAL;
}

/* The index in the group of ticket seq (seqs ascending), or r->n. */
static size_t group_index(const tsr_receipts *r, uint64_t seq)
{
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->seqs[mid] < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->n && r->seqs[lo] == seq ? lo : r->n;
}

static void fill_from_group(const closed_batch *batches, size_t i, tsr_receipt_sig *out)
{
    const closed_batch *c = &batches[i / TSR_RECEIPT_BATCH_MAX];
    size_t k = i - c->first;
    memset(out, 0, sizeof *out);
    out->batch = c->b;
    memcpy(out->sig, c->sig, TSR_SIG_LEN);
    out->batched = true;
    out->index = (uint32_t)k;
    out->depth = c->depths[k];
    memcpy(out->siblings, c->siblings[k * TSR_RECEIPT_PROOF_MAX],
           out->depth * sizeof out->siblings[0]);
}

static tsr_status fill_wants(const tsr_receipts *r, tsr_store_txn *t, const closed_batch *batches,
                             const char *node)
{
    tsr_status s = TSR_OK;
    for (size_t w = 0; s == TSR_OK && w < r->n_wants; w++) {
        const struct receipt_want *want = &r->wants[w];
        for (size_t k = 0; s == TSR_OK && k < want->n; k++) {
            size_t i = group_index(r, want->seqs[k]);
            if (i < r->n)
                fill_from_group(batches, i, &want->out[k]);
            else
                s = tsr_receipt_sig_load(tsr_store_txn_conn(t), node, want->seqs[k], NULL, 0,
                                         &want->out[k]);
        }
    }
    return s;
}

tsr_status tsr_receipts_close(tsr_receipts *r, tsr_store_txn *t, const tsr_keypair *kp,
                              const char *node)
{
    size_t nb = (r->n + TSR_RECEIPT_BATCH_MAX - 1) / TSR_RECEIPT_BATCH_MAX;
    closed_batch *batches = nb ? calloc(nb, sizeof *batches) : NULL;
    tsr_status s = nb && !batches ? TSR_ERR_NOMEM : TSR_OK;
    for (size_t b = 0; s == TSR_OK && b < nb; b++) {
        size_t first = b * TSR_RECEIPT_BATCH_MAX;
        size_t n = r->n - first < TSR_RECEIPT_BATCH_MAX ? r->n - first : TSR_RECEIPT_BATCH_MAX;
        s = sign_batch(r, first, n, kp, node, &batches[b]);
        if (s == TSR_OK)
            s = store_batch(t, &batches[b]);
    }
    if (s == TSR_OK)
        s = fill_wants(r, t, batches, node);
    free(batches);
    tsr_receipts_clear(r);
    return s;
}

/* ---- from the database ------------------------------------------------------------ */

static const char SQL_BATCH_OF[] =
    "SELECT first_seq, last_seq, count, root, sig FROM receipt_batches WHERE first_seq <= ?1"
    " ORDER BY first_seq DESC LIMIT 1";
static const char SQL_BATCH_LEAVES[] =
    "SELECT seq, leaf FROM tickets WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq";

static tsr_status load_batch(tsr_store_conn *db, uint64_t seq, tsr_receipt_sig *out)
{
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(db, SQL_BATCH_OF, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, (int64_t)seq);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && (uint64_t)sqlite3_column_int64(st, 1) >= seq &&
        sqlite3_column_bytes(st, 3) == TSR_HASH_LEN && sqlite3_column_bytes(st, 4) == TSR_SIG_LEN) {
        out->batch.first_seq = (uint64_t)sqlite3_column_int64(st, 0);
        out->batch.last_seq = (uint64_t)sqlite3_column_int64(st, 1);
        out->batch.count = (uint32_t)sqlite3_column_int(st, 2);
        memcpy(out->batch.root, sqlite3_column_blob(st, 3), TSR_HASH_LEN);
        memcpy(out->sig, sqlite3_column_blob(st, 4), TSR_SIG_LEN);
    } else {
        s = rc == SQLITE_ROW || rc == SQLITE_DONE ? TSR_ERR_NOT_FOUND : tsr_store_status(rc);
    }
    sqlite3_reset(st);
    return s;
}

static tsr_status load_proof(tsr_store_conn *db, uint64_t seq, tsr_receipt_sig *out)
{
    uint8_t leaves[TSR_RECEIPT_BATCH_MAX][TSR_HASH_LEN];
    size_t n = 0, index = TSR_RECEIPT_BATCH_MAX;
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(db, SQL_BATCH_LEAVES, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, (int64_t)out->batch.first_seq);
    sqlite3_bind_int64(st, 2, (int64_t)out->batch.last_seq);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < TSR_RECEIPT_BATCH_MAX &&
           sqlite3_column_bytes(st, 1) == TSR_HASH_LEN) {
        if ((uint64_t)sqlite3_column_int64(st, 0) == seq)
            index = n;
        memcpy(leaves[n++], sqlite3_column_blob(st, 1), TSR_HASH_LEN);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return tsr_store_status(rc);
    if (rc == SQLITE_ROW || n != out->batch.count || index == TSR_RECEIPT_BATCH_MAX)
        return TSR_ERR_NOT_FOUND; /* the batch and the tickets disagree */
    return fill_proof((const uint8_t(*)[TSR_HASH_LEN])leaves, n, index, out);
}

tsr_status tsr_receipt_sig_load(tsr_store_conn *db, const char *node, uint64_t seq,
                                const void *legacy_sig, size_t legacy_len, tsr_receipt_sig *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->batch.node, sizeof out->batch.node, "%s", node);
    if (legacy_sig && legacy_len == TSR_SIG_LEN) {
        memcpy(out->sig, legacy_sig, TSR_SIG_LEN);
        return TSR_OK;
    }
    tsr_status s = load_batch(db, seq, out);
    return s == TSR_OK ? load_proof(db, seq, out) : s;
}

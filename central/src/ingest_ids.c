/* Ticket-id claims: which live ticket holds each ticket id.
 *
 * The table ticket_ids(ticket_id PRIMARY KEY, node_id, seq) holds one row
 * per live ticket (kind=1, conflict=0); its primary key is what forbids two
 * live tickets with one id. Ticket ids are random, so inserting them in
 * arrival order dirties a random page of that table per ticket (measured:
 * half of central's ingest time at 1M tickets). Claims are therefore
 * collected per transaction and inserted sorted (cids_flush), which walks
 * the B-tree once, left to right.
 *
 * The verdict "is this id already held" must still be exact at arrival, so
 * an in-memory blocked Bloom filter over every id ever claimed answers
 * "certainly not held" for nearly all tickets; on "maybe" (a real reuse,
 * or ~0.1% false positives) the pending claims are flushed and the table is
 * asked. Bits are never cleared, so a rolled-back claim only causes an
 * extra lookup, never a wrong verdict. */
#include <stdlib.h>
#include <string.h>

#include "central_int.h"

/* Filter bits per expected id: 16 bits and 7 probes in one 512-bit block
 * give ~0.1% false positives. */
#define BLOOM_BITS_PER_ID 16
#define BLOOM_BLOCK_BITS 512
#define BLOOM_BLOCK_WORDS (BLOOM_BLOCK_BITS / 64)
#define BLOOM_PROBES 7
/* Ids the filter is sized for at least (4 MiB of memory). */
#define BLOOM_MIN_IDS (UINT64_C(1) << 21)
/* Pending claims grow by this many at a time. */
#define CLAIMS_GROW 16384

_Static_assert(BLOOM_PROBES * 9 <= 64, "probes are 9-bit slices of one 64-bit hash");

typedef struct claim {
    uint8_t id[TSR_TICKET_ID_LEN];
    uint32_t order; /* arrival order: ties in the sort keep the first claim */
    int64_t node_id;
    uint64_t seq;
} claim;

struct cids {
    uint64_t *bits;
    uint64_t blocks;   /* a power of two */
    uint64_t held;     /* ids added since the filter was built */
    uint64_t capacity; /* ids it was sized for; beyond that it is rebuilt larger */
    uint64_t key[3];   /* per-process hash key: a node cannot aim ids at one block */
    claim *pending;
    size_t n_pending, cap_pending;
    uint64_t lookups;  /* exact lookups the filter could not spare (for the log) */
};

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

static uint64_t *block_of(const cids *f, const uint8_t id[TSR_TICKET_ID_LEN], uint64_t *probes)
{
    uint64_t a, b;
    memcpy(&a, id, 8);
    memcpy(&b, id + 8, 8);
    uint64_t h = mix64(a ^ f->key[0]) + mix64(b ^ f->key[1]);
    *probes = mix64(h ^ f->key[2]);
    return f->bits + (h & (f->blocks - 1)) * BLOOM_BLOCK_WORDS;
}

static bool bloom_maybe(const cids *f, const uint8_t id[TSR_TICKET_ID_LEN])
{
    uint64_t g;
    const uint64_t *w = block_of(f, id, &g);
    for (int i = 0; i < BLOOM_PROBES; i++, g >>= 9)
        if (!(w[(g & 511) >> 6] & (UINT64_C(1) << (g & 63))))
            return false;
    return true;
}

static void bloom_add(cids *f, const uint8_t id[TSR_TICKET_ID_LEN])
{
    uint64_t g;
    uint64_t *w = block_of(f, id, &g);
    for (int i = 0; i < BLOOM_PROBES; i++, g >>= 9)
        w[(g & 511) >> 6] |= UINT64_C(1) << (g & 63);
    f->held++;
}

/* (Re)builds the filter for at least `ids` ids from the table. */
static tsr_status bloom_build(tsr_central *c, uint64_t ids)
{
    static const char *const sql = "SELECT ticket_id FROM ticket_ids";
    cids *f = c->ids;
    uint64_t cap = ids < BLOOM_MIN_IDS ? BLOOM_MIN_IDS : ids;
    uint64_t blocks = 1;
    while (blocks * BLOOM_BLOCK_BITS < cap * BLOOM_BITS_PER_ID)
        blocks <<= 1;
    uint64_t *bits = calloc(blocks * BLOOM_BLOCK_WORDS, sizeof *bits);
    if (!bits)
        return TSR_ERR_NOMEM;
    free(f->bits);
    f->bits = bits;
    f->blocks = blocks;
    f->capacity = cap;
    f->held = 0;
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&c->db, sql, &st);
    if (s != TSR_OK)
        return s;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (sqlite3_column_bytes(st, 0) == TSR_TICKET_ID_LEN)
            bloom_add(f, sqlite3_column_blob(st, 0));
    sqlite3_reset(st);
    return cdb_rc(rc);
}

tsr_status cids_open(tsr_central *c)
{
    static const char *const count = "SELECT count(*) FROM ticket_ids";
    if (!(c->ids = calloc(1, sizeof *c->ids)))
        return TSR_ERR_NOMEM;
    cids *f = c->ids;
    if (c->o.env->rng) {
        tsr_rng_bytes(c->o.env->rng, f->key, sizeof f->key);
    } else { /* no RNG handed in: the key only spreads load, any value is correct */
        f->key[0] = (uint64_t)central_now(c);
        f->key[1] = mix64(f->key[0]);
        f->key[2] = mix64(f->key[1]);
    }
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&c->db, count, &st);
    if (s != TSR_OK)
        return s;
    uint64_t n = sqlite3_step(st) == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return bloom_build(c, 2 * n);
}

void cids_close(tsr_central *c)
{
    if (!c->ids)
        return;
    free(c->ids->bits);
    free(c->ids->pending);
    free(c->ids);
    c->ids = NULL;
}

static int claim_cmp(const void *x, const void *y)
{
    const claim *a = x, *b = y;
    int d = memcmp(a->id, b->id, TSR_TICKET_ID_LEN);
    return d ? d : (a->order > b->order) - (a->order < b->order);
}

tsr_status cids_flush(tsr_central *c)
{
    static const char *const sql = "INSERT INTO ticket_ids(ticket_id,node_id,seq) VALUES(?,?,?)";
    cids *f = c->ids;
    if (f->n_pending == 0)
        return TSR_OK;
    qsort(f->pending, f->n_pending, sizeof *f->pending, claim_cmp);
    tsr_status s = TSR_OK;
    for (size_t i = 0; i < f->n_pending && s == TSR_OK; i++) {
        sqlite3_stmt *st;
        if ((s = cdb_stmt(&c->db, sql, &st)) != TSR_OK)
            break;
        sqlite3_bind_blob(st, 1, f->pending[i].id, TSR_TICKET_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, f->pending[i].node_id);
        sqlite3_bind_int64(st, 3, (int64_t)f->pending[i].seq);
        s = cdb_step_done(st);
    }
    f->n_pending = 0;
    /* A clash here means the filter let a held id through: the table's key
     * refused it (nothing merged), and the transaction must not commit. */
    if (s == TSR_ERR_EXISTS)
        s = TSR_ERR_INTERNAL;
    if (s == TSR_OK && f->held > f->capacity)
        s = bloom_build(c, 2 * f->held);
    return s;
}

void cids_rollback(tsr_central *c)
{
    if (c->ids)
        c->ids->n_pending = 0;
}

/* The exact answer from the table (after flushing what is pending). */
static tsr_status lookup(tsr_central *c, const uint8_t id[TSR_TICKET_ID_LEN], bool *found,
                         int64_t *node_id, uint64_t *seq)
{
    static const char *const sql = "SELECT node_id, seq FROM ticket_ids WHERE ticket_id=?";
    tsr_status s = cids_flush(c);
    sqlite3_stmt *st;
    if (s != TSR_OK || (s = cdb_stmt(&c->db, sql, &st)) != TSR_OK)
        return s;
    c->ids->lookups++;
    sqlite3_bind_blob(st, 1, id, TSR_TICKET_ID_LEN, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    if (*found) {
        *node_id = sqlite3_column_int64(st, 0);
        *seq = (uint64_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? TSR_OK : cdb_rc(rc);
}

tsr_status cids_find(tsr_central *c, const uint8_t id[TSR_TICKET_ID_LEN], bool *found,
                     int64_t *node_id, uint64_t *seq)
{
    *found = false;
    if (!bloom_maybe(c->ids, id))
        return TSR_OK;
    return lookup(c, id, found, node_id, seq);
}

static tsr_status add_pending(cids *f, const uint8_t id[TSR_TICKET_ID_LEN], int64_t node_id,
                              uint64_t seq)
{
    if (f->n_pending == f->cap_pending) {
        size_t cap = f->cap_pending + CLAIMS_GROW;
        claim *p = realloc(f->pending, cap * sizeof *p);
        if (!p)
            return TSR_ERR_NOMEM;
        f->pending = p;
        f->cap_pending = cap;
    }
    claim *k = &f->pending[f->n_pending];
    memcpy(k->id, id, TSR_TICKET_ID_LEN);
    k->order = (uint32_t)f->n_pending++;
    k->node_id = node_id;
    k->seq = seq;
    bloom_add(f, id);
    return TSR_OK;
}

tsr_status cids_claim(tsr_central *c, const uint8_t id[TSR_TICKET_ID_LEN], int64_t node_id,
                      uint64_t seq, bool *taken, int64_t *held_node, uint64_t *held_seq)
{
    *taken = false;
    if (bloom_maybe(c->ids, id)) {
        tsr_status s = lookup(c, id, taken, held_node, held_seq);
        if (s != TSR_OK || *taken)
            return s;
    }
    return add_pending(c->ids, id, node_id, seq);
}

uint64_t cids_lookups(const tsr_central *c)
{
    return c->ids ? c->ids->lookups : 0;
}

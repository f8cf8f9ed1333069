/* Batches: the signed unit the node relay publishes (layout in codec.h). */
#include <stdlib.h>
#include <string.h>

#include "codec_int.h"
#include "tessera/codec.h"
#include "tessera/merkle.h"

/* Per-entry framing: kind byte + u32 length. */
#define ENTRY_OVERHEAD 5
/* Header: tag, version, str node, first, last, count. */
#define HEADER_MAX (2 + 2 + TSR_NAME_MAX - 1 + 8 + 8 + 4)

_Static_assert(HEADER_MAX + (size_t)TSR_BATCH_MAX_ENTRIES *
                                    (ENTRY_OVERHEAD + TSR_TICKET_ENC_MAX) +
                       TSR_SIG_LEN <=
                   TSR_BATCH_MAX_BYTES,
               "a batch of maximal tickets must fit TSR_BATCH_MAX_BYTES");
_Static_assert(TSR_CANCEL_ENC_MAX <= TSR_TICKET_ENC_MAX, "entries are at most a ticket");

struct tsr_batch_builder {
    char node[TSR_NAME_MAX];
    uint8_t *entries; /* framed entries, TSR_BATCH_MAX_BYTES */
    size_t len;
    uint32_t count;
    uint64_t first_seq;
};

tsr_status tsr_batch_builder_create(tsr_batch_builder **out, const char *node)
{
    *out = NULL;
    if (!tsr_name_valid(node))
        return TSR_ERR_RANGE;
    tsr_batch_builder *b = calloc(1, sizeof *b);
    if (!b || !(b->entries = malloc(TSR_BATCH_MAX_BYTES))) {
        free(b);
        return TSR_ERR_NOMEM;
    }
    strcpy(b->node, node);
    *out = b;
    return TSR_OK;
}

void tsr_batch_builder_destroy(tsr_batch_builder *b)
{
    if (!b)
        return;
    free(b->entries);
    free(b);
}

void tsr_batch_builder_reset(tsr_batch_builder *b)
{
    b->len = 0;
    b->count = 0;
    b->first_seq = 0;
}

uint32_t tsr_batch_builder_count(const tsr_batch_builder *b)
{
    return b->count;
}

static size_t header_len(const char *node)
{
    return 2 + 2 + strlen(node) + 8 + 8 + 4;
}

/* Appends one framed entry whose canonical bytes are enc[0..len). */
static tsr_status add_entry(tsr_batch_builder *b, tsr_entry_kind kind, const char *node,
                            uint64_t seq, const uint8_t *enc, size_t len)
{
    if (strcmp(node, b->node) != 0 || (b->count > 0 && seq != b->first_seq + b->count))
        return TSR_ERR_ARG;
    size_t total = header_len(b->node) + b->len + ENTRY_OVERHEAD + len + TSR_SIG_LEN;
    if (b->count == TSR_BATCH_MAX_ENTRIES || total > TSR_BATCH_MAX_BYTES)
        return TSR_ERR_TOO_LARGE;
    tsr_enc e;
    tsr_enc_init(&e, b->entries + b->len, TSR_BATCH_MAX_BYTES - b->len);
    tsr_enc_put_u8(&e, (uint8_t)kind);
    tsr_enc_put_bytes(&e, enc, len);
    b->len += e.len;
    if (b->count++ == 0)
        b->first_seq = seq;
    return TSR_OK;
}

tsr_status tsr_batch_add_ticket(tsr_batch_builder *b, const tsr_ticket *t)
{
    uint8_t buf[TSR_TICKET_ENC_MAX];
    tsr_enc e;
    size_t len;
    tsr_enc_init(&e, buf, sizeof buf);
    tsr_status st = tsr_ticket_encode(t, &e);
    if (st == TSR_OK && (st = tsr_enc_finish(&e, &len)) == TSR_OK)
        st = add_entry(b, TSR_ENTRY_TICKET, t->node, t->seq, buf, len);
    return st;
}

tsr_status tsr_batch_add_cancel(tsr_batch_builder *b, const tsr_cancel *c)
{
    uint8_t buf[TSR_CANCEL_ENC_MAX];
    tsr_enc e;
    size_t len;
    tsr_enc_init(&e, buf, sizeof buf);
    tsr_status st = tsr_cancel_encode(c, &e);
    if (st == TSR_OK && (st = tsr_enc_finish(&e, &len)) == TSR_OK)
        st = add_entry(b, TSR_ENTRY_CANCEL, c->node, c->seq, buf, len);
    return st;
}

tsr_status tsr_batch_finish(const tsr_batch_builder *b, const tsr_keypair *kp, uint8_t *out,
                            size_t cap, size_t *out_len)
{
    *out_len = 0;
    if (b->count == 0)
        return TSR_ERR_ARG;
    tsr_enc e;
    size_t len;
    tsr_enc_init(&e, out, cap < TSR_SIG_LEN ? 0 : cap - TSR_SIG_LEN);
    tsr_enc_put_u8(&e, TSR_TYPE_BATCH);
    tsr_enc_put_u8(&e, TSR_CODEC_VERSION);
    tsr_enc_put_str(&e, b->node);
    tsr_enc_put_u64(&e, b->first_seq);
    tsr_enc_put_u64(&e, b->first_seq + b->count - 1);
    tsr_enc_put_u32(&e, b->count);
    tsr_enc_put_fixed(&e, b->entries, b->len);
    tsr_status st = tsr_enc_finish(&e, &len);
    if (st == TSR_OK)
        st = tsr_signed_make(kp, out, len, out, cap, out_len);
    return st;
}

/* ---- reading ------------------------------------------------------------------ */

/* Parses the header of buf[0..len) (signature excluded by the caller) and
 * leaves d at the first entry. */
static tsr_status read_header(tsr_dec *d, const uint8_t *buf, size_t len, tsr_batch_info *info)
{
    memset(info, 0, sizeof *info);
    tsr_dec_init(d, buf, len);
    tsr_status st = tsr_dec_header(d, TSR_TYPE_BATCH);
    if (st != TSR_OK)
        return st;
    tsr_dec_get_str(d, info->node, sizeof info->node);
    tsr_dec_get_u64(d, &info->first_seq);
    tsr_dec_get_u64(d, &info->last_seq);
    tsr_dec_get_u32(d, &info->count);
    if (d->error || !tsr_name_valid(info->node) || info->count == 0 ||
        info->count > TSR_BATCH_MAX_ENTRIES) {
        memset(info, 0, sizeof *info);
        return TSR_ERR_ENCODING;
    }
    return TSR_OK;
}

tsr_status tsr_batch_peek(const void *buf, size_t len, tsr_batch_info *info)
{
    tsr_dec d;
    memset(info, 0, sizeof *info);
    if (len > TSR_BATCH_MAX_BYTES)
        return TSR_ERR_TOO_LARGE;
    if (len < TSR_SIG_LEN)
        return TSR_ERR_ENCODING;
    return read_header(&d, buf, len - TSR_SIG_LEN, info);
}

/* Reads one framed entry, decoding it into e (kind, seq, bytes, object). */
static tsr_status read_entry(tsr_dec *d, tsr_batch_entry *e)
{
    uint8_t kind;
    memset(e, 0, sizeof *e);
    if (tsr_dec_get_u8(d, &kind) != TSR_OK ||
        tsr_dec_get_bytes_ref(d, &e->bytes, &e->len, TSR_TICKET_ENC_MAX) != TSR_OK)
        return TSR_ERR_ENCODING;
    tsr_status st = TSR_ERR_ENCODING;
    if (kind == TSR_ENTRY_TICKET) {
        st = tsr_ticket_decode(e->bytes, e->len, &e->u.ticket);
        e->seq = e->u.ticket.seq;
    } else if (kind == TSR_ENTRY_CANCEL) {
        st = tsr_cancel_decode(e->bytes, e->len, &e->u.cancel);
        e->seq = e->u.cancel.seq;
    }
    e->kind = (tsr_entry_kind)kind;
    return st;
}

static const char *entry_node(const tsr_batch_entry *e)
{
    return e->kind == TSR_ENTRY_TICKET ? e->u.ticket.node : e->u.cancel.node;
}

/* Decodes every entry, checking seqs run first..last and nodes match. */
static tsr_status check_entries(tsr_dec *d, const tsr_batch_info *info)
{
    tsr_batch_entry *e = malloc(sizeof *e);
    if (!e)
        return TSR_ERR_NOMEM;
    tsr_status st = TSR_OK;
    for (uint32_t i = 0; st == TSR_OK && i < info->count; i++) {
        st = read_entry(d, e);
        if (st == TSR_OK && (e->seq != info->first_seq + i || strcmp(entry_node(e), info->node)))
            st = TSR_ERR_BATCH_INCONSISTENT;
    }
    free(e);
    if (st == TSR_OK)
        st = tsr_dec_finish(d);
    return st;
}

tsr_status tsr_batch_verify(const uint8_t pk[TSR_PK_LEN], const void *buf, size_t len,
                            tsr_batch_info *info, tsr_batch_iter *it)
{
    tsr_batch_info local;
    tsr_dec d;
    if (!info)
        info = &local;
    if (it)
        memset(it, 0, sizeof *it);
    tsr_status st = tsr_batch_peek(buf, len, info);
    if (st == TSR_OK)
        st = tsr_verify(pk, buf, len - TSR_SIG_LEN, (const uint8_t *)buf + len - TSR_SIG_LEN);
    if (st == TSR_OK && (info->first_seq == 0 || info->last_seq < info->first_seq ||
                         info->last_seq - info->first_seq != info->count - 1))
        st = TSR_ERR_BATCH_INCONSISTENT;
    if (st == TSR_OK) {
        (void)read_header(&d, buf, len - TSR_SIG_LEN, info);
        size_t entries_at = d.pos;
        st = check_entries(&d, info);
        if (st == TSR_OK && it)
            *it = (tsr_batch_iter){.p = (const uint8_t *)buf + entries_at,
                                   .len = len - TSR_SIG_LEN - entries_at,
                                   .pos = 0,
                                   .left = info->count};
    }
    if (st != TSR_OK)
        memset(info, 0, sizeof *info);
    return st;
}

bool tsr_batch_next(tsr_batch_iter *it, tsr_batch_entry *e)
{
    tsr_dec d;
    if (it->left == 0)
        return false;
    tsr_dec_init(&d, it->p, it->len);
    d.pos = it->pos;
    if (read_entry(&d, e) != TSR_OK) {
        it->left = 0; /* cannot happen on a verified, unchanged buffer */
        return false;
    }
    tsr_merkle_leaf(e->bytes, e->len, e->leaf);
    it->pos = d.pos;
    it->left--;
    return true;
}

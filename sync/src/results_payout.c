/* PAYOUT batches: ids, canonical bytes, signing and strict decoding
 * (results.h). */
#include <stdlib.h>
#include <string.h>

#include "results_int.h"
#include "tessera/results.h"

/* Domain separation of payout ids from every other BLAKE2b use. */
static const char payout_domain[] = "tessera-payout";

tsr_status tsr_payout_id(const char *game, uint32_t draw,
                         const uint8_t ticket_id[TSR_TICKET_ID_LEN], tsr_payout_kind kind,
                         uint8_t out[TSR_HASH_LEN])
{
    if (!game || !tsr_name_valid(game))
        return TSR_ERR_RANGE;
    uint8_t buf[sizeof payout_domain + 2 + TSR_NAME_MAX + 4 + TSR_TICKET_ID_LEN + 1];
    tsr_enc e;
    tsr_enc_init(&e, buf, sizeof buf);
    tsr_enc_put_fixed(&e, payout_domain, sizeof payout_domain - 1);
    tsr_enc_put_str(&e, game);
    tsr_enc_put_u32(&e, draw);
    tsr_enc_put_fixed(&e, ticket_id, TSR_TICKET_ID_LEN);
    tsr_enc_put_u8(&e, (uint8_t)kind);
    size_t len;
    tsr_status st = tsr_enc_finish(&e, &len);
    if (st == TSR_OK)
        tsr_hash256(out, buf, len);
    return st;
}

const char *tsr_payout_kind_name(tsr_payout_kind k)
{
    return k == TSR_PAYOUT_KIND_WIN ? "win" : k == TSR_PAYOUT_KIND_REFUND ? "refund" : NULL;
}

/* ---- rules -------------------------------------------------------------------- */

static bool entry_ok(const tsr_payout_entry *p)
{
    if (p->klass < TSR_PAYOUT_AUTO || p->klass > TSR_PAYOUT_CLAIM_CENTRE || p->amount_cents <= 0)
        return false;
    if (p->kind == TSR_PAYOUT_KIND_WIN)
        return p->tier < TSR_TIERS_MAX && p->withheld_cents >= 0 &&
               p->withheld_cents <= p->amount_cents;
    if (p->kind == TSR_PAYOUT_KIND_REFUND)
        return p->tier == TSR_PAYOUT_TIER_NONE && p->withheld_cents == 0 && !p->reportable;
    return false;
}

static tsr_status names_ok(const tsr_payout_batch *b)
{
    if (!memchr(b->node, 0, sizeof b->node) || !memchr(b->game, 0, sizeof b->game))
        return TSR_ERR_TOO_LONG;
    return tsr_name_valid(b->node) && tsr_name_valid(b->game) ? TSR_OK : TSR_ERR_RANGE;
}

tsr_status tsr_results_batch_check(const tsr_payout_batch *b)
{
    tsr_status st = names_ok(b);
    if (st != TSR_OK)
        return st;
    if (b->batch_index >= b->batch_count || b->n > TSR_PAYOUT_BATCH_MAX ||
        b->n > b->node_entries || b->node_amount_cents < 0)
        return TSR_ERR_ENCODING;
    if (b->n == 0 && (b->batch_count != 1 || b->node_entries != 0 || b->node_amount_cents != 0))
        return TSR_ERR_ENCODING;
    if (b->n && !b->entries)
        return TSR_ERR_ENCODING;
    for (uint32_t i = 0; i < b->n; i++) {
        const tsr_payout_entry *p = &b->entries[i];
        if (!entry_ok(p) ||
            (i && memcmp(b->entries[i - 1].payout_id, p->payout_id, TSR_HASH_LEN) >= 0))
            return TSR_ERR_ENCODING;
        uint8_t id[TSR_HASH_LEN];
        if (tsr_payout_id(b->game, b->draw, p->ticket_id, (tsr_payout_kind)p->kind, id) != TSR_OK ||
            memcmp(id, p->payout_id, TSR_HASH_LEN) != 0)
            return TSR_ERR_PAYOUT_ID;
    }
    return TSR_OK;
}

/* ---- encoding ----------------------------------------------------------------- */

static void header_put(const tsr_payout_batch *b, tsr_enc *e)
{
    tsr_enc_put_u8(e, TSR_TYPE_PAYOUT_BATCH);
    tsr_enc_put_u8(e, TSR_CODEC_VERSION);
    tsr_enc_put_str(e, b->node);
    tsr_enc_put_str(e, b->game);
    tsr_enc_put_u32(e, b->draw);
    tsr_enc_put_u32(e, b->batch_index);
    tsr_enc_put_u32(e, b->batch_count);
    tsr_enc_put_u32(e, b->node_entries);
    tsr_enc_put_i64(e, b->node_amount_cents);
    tsr_enc_put_u32(e, b->n);
}

static void entry_put(const tsr_payout_entry *p, tsr_enc *e)
{
    tsr_enc_put_fixed(e, p->payout_id, TSR_HASH_LEN);
    tsr_enc_put_fixed(e, p->ticket_id, TSR_TICKET_ID_LEN);
    tsr_enc_put_u8(e, p->kind);
    tsr_enc_put_u8(e, p->tier);
    tsr_enc_put_u8(e, p->klass);
    tsr_enc_put_u8(e, p->reportable ? 1 : 0);
    tsr_enc_put_i64(e, p->amount_cents);
    tsr_enc_put_i64(e, p->withheld_cents);
}

tsr_status tsr_payout_batch_sign(const tsr_payout_batch *b, const tsr_keypair *kp,
                                 uint8_t *out, size_t cap, size_t *out_len)
{
    *out_len = 0;
    tsr_status st = tsr_results_batch_check(b);
    if (st != TSR_OK)
        return st;
    if (cap < TSR_SIG_LEN)
        return TSR_ERR_TOO_LARGE;
    tsr_enc e;
    tsr_enc_init(&e, out, cap - TSR_SIG_LEN);
    header_put(b, &e);
    for (uint32_t i = 0; i < b->n; i++)
        entry_put(&b->entries[i], &e);
    size_t body;
    if ((st = tsr_enc_finish(&e, &body)) != TSR_OK)
        return st;
    tsr_sign(kp, out, body, out + body);
    *out_len = body + TSR_SIG_LEN;
    return TSR_OK;
}

/* ---- decoding ----------------------------------------------------------------- */

tsr_payout_batch *tsr_results_batch_alloc(uint32_t n)
{
    tsr_payout_batch *b = calloc(1, sizeof *b + (size_t)n * sizeof(tsr_payout_entry));
    if (b)
        b->entries = n ? (tsr_payout_entry *)(b + 1) : NULL;
    return b;
}

static void header_get(tsr_dec *d, tsr_payout_batch *b)
{
    tsr_dec_get_str(d, b->node, sizeof b->node);
    tsr_dec_get_str(d, b->game, sizeof b->game);
    tsr_dec_get_u32(d, &b->draw);
    tsr_dec_get_u32(d, &b->batch_index);
    tsr_dec_get_u32(d, &b->batch_count);
    tsr_dec_get_u32(d, &b->node_entries);
    tsr_dec_get_i64(d, &b->node_amount_cents);
    tsr_dec_get_u32(d, &b->n);
}

static void entry_get(tsr_dec *d, tsr_payout_entry *p)
{
    uint8_t rep = 0;
    tsr_dec_get_fixed(d, p->payout_id, TSR_HASH_LEN);
    tsr_dec_get_fixed(d, p->ticket_id, TSR_TICKET_ID_LEN);
    tsr_dec_get_u8(d, &p->kind);
    tsr_dec_get_u8(d, &p->tier);
    tsr_dec_get_u8(d, &p->klass);
    tsr_dec_get_u8(d, &rep);
    tsr_dec_get_i64(d, &p->amount_cents);
    tsr_dec_get_i64(d, &p->withheld_cents);
    if (rep > 1)
        d->error = true;
    p->reportable = rep == 1;
}

/* Header only, into hdr (entries NULL). */
static tsr_status peek(const void *buf, size_t len, tsr_payout_batch *hdr, tsr_dec *d)
{
    memset(hdr, 0, sizeof *hdr);
    tsr_dec_init(d, buf, len);
    tsr_status st = tsr_dec_header(d, (tsr_type)TSR_TYPE_PAYOUT_BATCH);
    if (st != TSR_OK)
        return st;
    header_get(d, hdr);
    if (d->error || hdr->n > TSR_PAYOUT_BATCH_MAX ||
        (size_t)hdr->n * TSR_PAYOUT_ENTRY_ENC_LEN != d->len - d->pos)
        return TSR_ERR_ENCODING;
    return TSR_OK;
}

tsr_status tsr_payout_batch_peek(const void *buf, size_t len, tsr_payout_batch *hdr)
{
    tsr_dec d;
    if (len < TSR_SIG_LEN)
        return TSR_ERR_ENCODING;
    return peek(buf, len - TSR_SIG_LEN, hdr, &d);
}

tsr_status tsr_payout_batch_open(const uint8_t pk[TSR_PK_LEN], const void *buf, size_t len,
                                 tsr_payout_batch **out)
{
    *out = NULL;
    if (len > TSR_PAYOUT_BATCH_SIGNED_MAX)
        return TSR_ERR_TOO_LARGE;
    const uint8_t *body;
    size_t body_len;
    tsr_status st = tsr_signed_open(pk, buf, len, &body, &body_len);
    tsr_payout_batch hdr;
    tsr_dec d;
    if (st == TSR_OK)
        st = peek(body, body_len, &hdr, &d);
    if (st != TSR_OK)
        return st;
    tsr_payout_batch *b = tsr_results_batch_alloc(hdr.n);
    if (!b)
        return TSR_ERR_NOMEM;
    tsr_payout_entry *entries = b->entries;
    *b = hdr;
    b->entries = entries;
    for (uint32_t i = 0; i < b->n; i++)
        entry_get(&d, &b->entries[i]);
    st = tsr_dec_finish(&d);
    if (st == TSR_OK) {
        st = tsr_results_batch_check(b);
        if (st != TSR_OK && st != TSR_ERR_PAYOUT_ID)
            st = TSR_ERR_ENCODING;
    }
    if (st != TSR_OK) {
        free(b);
        return st;
    }
    *out = b;
    return TSR_OK;
}

void tsr_payout_batch_destroy(tsr_payout_batch *b)
{
    free(b);
}

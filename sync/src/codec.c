/* The canonical binary encoding (see codec.h): writer, reader, the four
 * stream objects, their leaf hashes, the receipt chain and signed objects. */
#include "tessera/codec.h"

#include <string.h>

#include "codec_int.h"
#include "tessera/merkle.h"

_Static_assert(TSR_NAME_MAX == TSR_KEY_NAME_MAX, "names share one validator");
_Static_assert(TSR_SERIAL_MAX == TSR_KEY_NAME_MAX, "serials share the name validator");
_Static_assert(TSR_BET_MAX <= UINT16_MAX, "bet_len is a u16");

/* Encoded sizes, field by field: header 2, str 2+31, u64 8, i64 8, u32 4. */
#define HDR 2
#define STR(n) (2 + (n) - 1)
_Static_assert(TSR_TICKET_ENC_MAX == HDR + 16 + STR(TSR_NAME_MAX) + 8 + STR(TSR_NAME_MAX) + 4 +
                                         1 + 4 + TSR_BET_MAX + 8 + 8 + STR(TSR_SERIAL_MAX) + 4,
               "TSR_TICKET_ENC_MAX");
_Static_assert(TSR_CANCEL_ENC_MAX ==
                   HDR + 16 + STR(TSR_NAME_MAX) + 8 + STR(TSR_NAME_MAX) + 4 + 8 + 8,
               "TSR_CANCEL_ENC_MAX");
_Static_assert(TSR_SEAL_ENC_MAX == HDR + 2 * STR(TSR_NAME_MAX) + 4 + 8 + 8 + 8 + 8 + 32 + 8,
               "TSR_SEAL_ENC_MAX");
_Static_assert(TSR_NODE_RECEIPT_ENC_MAX == HDR + STR(TSR_NAME_MAX) + 8 + 32 + 8,
               "TSR_NODE_RECEIPT_ENC_MAX");

/* ---- writer ---------------------------------------------------------------- */

void tsr_enc_init(tsr_enc *e, void *buf, size_t cap)
{
    e->buf = buf;
    e->cap = cap;
    e->len = 0;
    e->overflow = false;
}

/* Overflow is sticky: after one dropped write, later (smaller) writes are
 * dropped too, so the bytes written never skip a field; the caller discards
 * them anyway on TSR_ERR_TOO_LARGE. */
void tsr_enc_put_fixed(tsr_enc *e, const void *p, size_t n)
{
    if (e->overflow || n > e->cap - e->len) {
        e->overflow = true;
        return;
    }
    if (n)
        memcpy(e->buf + e->len, p, n);
    e->len += n;
}

static void put_be(tsr_enc *e, uint64_t v, int bytes)
{
    uint8_t b[8];
    for (int i = 0; i < bytes; i++)
        b[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
    tsr_enc_put_fixed(e, b, (size_t)bytes);
}

void tsr_enc_put_u8(tsr_enc *e, uint8_t v) { put_be(e, v, 1); }
void tsr_enc_put_u16(tsr_enc *e, uint16_t v) { put_be(e, v, 2); }
void tsr_enc_put_u32(tsr_enc *e, uint32_t v) { put_be(e, v, 4); }
void tsr_enc_put_u64(tsr_enc *e, uint64_t v) { put_be(e, v, 8); }
void tsr_enc_put_i64(tsr_enc *e, int64_t v) { put_be(e, (uint64_t)v, 8); }

void tsr_enc_put_bytes(tsr_enc *e, const void *p, size_t n)
{
    if (n > UINT32_MAX) {
        e->overflow = true;
        return;
    }
    tsr_enc_put_u32(e, (uint32_t)n);
    tsr_enc_put_fixed(e, p, n);
}

void tsr_enc_put_str(tsr_enc *e, const char *s)
{
    size_t n = strlen(s);
    if (n > UINT16_MAX) {
        e->overflow = true;
        return;
    }
    tsr_enc_put_u16(e, (uint16_t)n);
    tsr_enc_put_fixed(e, s, n);
}

tsr_status tsr_enc_finish(const tsr_enc *e, size_t *len)
{
    if (len)
        *len = e->overflow ? 0 : e->len;
    return e->overflow ? TSR_ERR_TOO_LARGE : TSR_OK;
}

/* ---- reader ---------------------------------------------------------------- */

void tsr_dec_init(tsr_dec *d, const void *buf, size_t len)
{
    d->buf = buf;
    d->len = len;
    d->pos = 0;
    d->error = false;
}

tsr_status tsr_dec_get_fixed(tsr_dec *d, void *out, size_t n)
{
    if (d->error || n > d->len - d->pos) {
        d->error = true;
        if (n)
            memset(out, 0, n);
        return TSR_ERR_ENCODING;
    }
    if (n)
        memcpy(out, d->buf + d->pos, n);
    d->pos += n;
    return TSR_OK;
}

static tsr_status get_be(tsr_dec *d, uint64_t *v, int bytes)
{
    uint8_t b[8];
    *v = 0;
    tsr_status st = tsr_dec_get_fixed(d, b, (size_t)bytes);
    for (int i = 0; st == TSR_OK && i < bytes; i++)
        *v = *v << 8 | b[i];
    return st;
}

tsr_status tsr_dec_get_u8(tsr_dec *d, uint8_t *v)
{
    uint64_t x;
    tsr_status st = get_be(d, &x, 1);
    *v = (uint8_t)x;
    return st;
}

tsr_status tsr_dec_get_u16(tsr_dec *d, uint16_t *v)
{
    uint64_t x;
    tsr_status st = get_be(d, &x, 2);
    *v = (uint16_t)x;
    return st;
}

tsr_status tsr_dec_get_u32(tsr_dec *d, uint32_t *v)
{
    uint64_t x;
    tsr_status st = get_be(d, &x, 4);
    *v = (uint32_t)x;
    return st;
}

tsr_status tsr_dec_get_u64(tsr_dec *d, uint64_t *v)
{
    return get_be(d, v, 8);
}

tsr_status tsr_dec_get_i64(tsr_dec *d, int64_t *v)
{
    uint64_t x;
    tsr_status st = get_be(d, &x, 8);
    *v = (int64_t)x;
    return st;
}

tsr_status tsr_dec_get_bytes_ref(tsr_dec *d, const uint8_t **p, size_t *n, size_t max)
{
    uint32_t len;
    *p = NULL;
    *n = 0;
    if (tsr_dec_get_u32(d, &len) != TSR_OK || len > max || len > d->len - d->pos) {
        d->error = true;
        return TSR_ERR_ENCODING;
    }
    *p = d->buf + d->pos;
    *n = len;
    d->pos += len;
    return TSR_OK;
}

tsr_status tsr_dec_get_bytes(tsr_dec *d, void *out, size_t cap, size_t *n)
{
    const uint8_t *p;
    tsr_status st = tsr_dec_get_bytes_ref(d, &p, n, cap);
    if (st == TSR_OK && *n)
        memcpy(out, p, *n);
    return st;
}

tsr_status tsr_dec_get_str(tsr_dec *d, char *out, size_t cap)
{
    uint16_t len;
    out[0] = '\0';
    if (tsr_dec_get_u16(d, &len) != TSR_OK || (size_t)len >= cap ||
        tsr_dec_get_fixed(d, out, len) != TSR_OK || memchr(out, '\0', len)) {
        d->error = true;
        out[0] = '\0';
        return TSR_ERR_ENCODING;
    }
    out[len] = '\0';
    return TSR_OK;
}

tsr_status tsr_dec_header(tsr_dec *d, tsr_type type)
{
    uint8_t tag, version;
    if (tsr_dec_get_u8(d, &tag) != TSR_OK || tsr_dec_get_u8(d, &version) != TSR_OK ||
        tag != (uint8_t)type) {
        d->error = true;
        return TSR_ERR_ENCODING;
    }
    if (version != TSR_CODEC_VERSION) {
        d->error = true;
        return TSR_ERR_VERSION;
    }
    return TSR_OK;
}

tsr_status tsr_dec_finish(const tsr_dec *d)
{
    return !d->error && d->pos == d->len ? TSR_OK : TSR_ERR_ENCODING;
}

/* ---- value checks ---------------------------------------------------------- */

tsr_status tsr_codec_check_name(const char *buf, size_t size)
{
    if (!memchr(buf, '\0', size))
        return TSR_ERR_TOO_LONG;
    return tsr_name_valid(buf) ? TSR_OK : TSR_ERR_RANGE;
}

/* Runs the name checks of up to three fields, first failure wins. */
static tsr_status check_names(const char *a, const char *b, const char *c, size_t size)
{
    tsr_status st = tsr_codec_check_name(a, size);
    if (st == TSR_OK && b)
        st = tsr_codec_check_name(b, size);
    if (st == TSR_OK && c)
        st = tsr_codec_check_name(c, size);
    return st;
}

tsr_status tsr_codec_check_ticket(const tsr_ticket *t)
{
    tsr_status st = check_names(t->node, t->game, t->serial, TSR_NAME_MAX);
    if (st != TSR_OK)
        return st;
    bool ok = t->seq >= 1 && t->bet_len <= TSR_BET_MAX && t->stake_cents >= 0 &&
              (t->channel == TSR_CHANNEL_ONLINE || t->channel == TSR_CHANNEL_RETAIL);
    return ok ? TSR_OK : TSR_ERR_RANGE;
}

tsr_status tsr_codec_check_cancel(const tsr_cancel *c)
{
    tsr_status st = check_names(c->node, c->game, NULL, TSR_NAME_MAX);
    if (st != TSR_OK)
        return st;
    return c->seq >= 1 && c->refund_cents >= 0 ? TSR_OK : TSR_ERR_RANGE;
}

/* A seal of an empty draw has count 0 and seqs 0..0; otherwise the draw's
 * entries lie within first..last (other draws' entries and cancelled tickets
 * may interleave, so count can be below the span). */
tsr_status tsr_codec_check_seal(const tsr_seal *s)
{
    tsr_status st = check_names(s->node, s->game, NULL, TSR_NAME_MAX);
    if (st != TSR_OK)
        return st;
    if (s->stake_total_cents < 0)
        return TSR_ERR_RANGE;
    if (s->count == 0)
        return s->first_seq == 0 && s->last_seq == 0 ? TSR_OK : TSR_ERR_RANGE;
    bool ok = s->first_seq >= 1 && s->first_seq <= s->last_seq &&
              s->count - 1 <= s->last_seq - s->first_seq;
    return ok ? TSR_OK : TSR_ERR_RANGE;
}

tsr_status tsr_codec_check_node_receipt(const tsr_node_receipt *r)
{
    return tsr_codec_check_name(r->node, TSR_NAME_MAX);
}

tsr_status tsr_codec_decode_object(const void *buf, size_t len, tsr_type type,
                                   tsr_codec_reader read_body, tsr_codec_checker check,
                                   void *out, size_t size)
{
    tsr_dec d;
    memset(out, 0, size);
    tsr_dec_init(&d, buf, len);
    tsr_status st = tsr_dec_header(&d, type);
    if (st == TSR_OK) {
        read_body(&d, out);
        st = tsr_dec_finish(&d);
    }
    if (st == TSR_OK && check(out) != TSR_OK)
        st = TSR_ERR_ENCODING;
    if (st != TSR_OK)
        memset(out, 0, size);
    return st;
}

/* ---- the objects ----------------------------------------------------------- */

static void put_header(tsr_enc *e, tsr_type type)
{
    tsr_enc_put_u8(e, (uint8_t)type);
    tsr_enc_put_u8(e, TSR_CODEC_VERSION);
}

tsr_status tsr_ticket_encode(const tsr_ticket *t, tsr_enc *e)
{
    tsr_status st = tsr_codec_check_ticket(t);
    if (st != TSR_OK)
        return st;
    put_header(e, TSR_TYPE_TICKET);
    tsr_enc_put_fixed(e, t->id, sizeof t->id);
    tsr_enc_put_str(e, t->node);
    tsr_enc_put_u64(e, t->seq);
    tsr_enc_put_str(e, t->game);
    tsr_enc_put_u32(e, t->draw);
    tsr_enc_put_u8(e, t->channel);
    tsr_enc_put_bytes(e, t->bet, t->bet_len);
    tsr_enc_put_i64(e, t->stake_cents);
    tsr_enc_put_i64(e, t->accepted_at_ns);
    tsr_enc_put_str(e, t->serial);
    tsr_enc_put_u32(e, t->check);
    return tsr_enc_finish(e, NULL);
}

static void read_ticket(tsr_dec *d, void *out)
{
    tsr_ticket *t = out;
    size_t bet_len;
    tsr_dec_get_fixed(d, t->id, sizeof t->id);
    tsr_dec_get_str(d, t->node, sizeof t->node);
    tsr_dec_get_u64(d, &t->seq);
    tsr_dec_get_str(d, t->game, sizeof t->game);
    tsr_dec_get_u32(d, &t->draw);
    tsr_dec_get_u8(d, &t->channel);
    tsr_dec_get_bytes(d, t->bet, sizeof t->bet, &bet_len);
    t->bet_len = (uint16_t)bet_len;
    tsr_dec_get_i64(d, &t->stake_cents);
    tsr_dec_get_i64(d, &t->accepted_at_ns);
    tsr_dec_get_str(d, t->serial, sizeof t->serial);
    tsr_dec_get_u32(d, &t->check);
}

static tsr_status check_ticket_any(const void *obj) { return tsr_codec_check_ticket(obj); }

tsr_status tsr_ticket_decode(const void *buf, size_t len, tsr_ticket *out)
{
    return tsr_codec_decode_object(buf, len, TSR_TYPE_TICKET, read_ticket, check_ticket_any, out,
                                   sizeof *out);
}

tsr_status tsr_cancel_encode(const tsr_cancel *c, tsr_enc *e)
{
    tsr_status st = tsr_codec_check_cancel(c);
    if (st != TSR_OK)
        return st;
    put_header(e, TSR_TYPE_CANCEL);
    tsr_enc_put_fixed(e, c->ticket_id, sizeof c->ticket_id);
    tsr_enc_put_str(e, c->node);
    tsr_enc_put_u64(e, c->seq);
    tsr_enc_put_str(e, c->game);
    tsr_enc_put_u32(e, c->draw);
    tsr_enc_put_i64(e, c->refund_cents);
    tsr_enc_put_i64(e, c->cancelled_at_ns);
    return tsr_enc_finish(e, NULL);
}

static void read_cancel(tsr_dec *d, void *out)
{
    tsr_cancel *c = out;
    tsr_dec_get_fixed(d, c->ticket_id, sizeof c->ticket_id);
    tsr_dec_get_str(d, c->node, sizeof c->node);
    tsr_dec_get_u64(d, &c->seq);
    tsr_dec_get_str(d, c->game, sizeof c->game);
    tsr_dec_get_u32(d, &c->draw);
    tsr_dec_get_i64(d, &c->refund_cents);
    tsr_dec_get_i64(d, &c->cancelled_at_ns);
}

static tsr_status check_cancel_any(const void *obj) { return tsr_codec_check_cancel(obj); }

tsr_status tsr_cancel_decode(const void *buf, size_t len, tsr_cancel *out)
{
    return tsr_codec_decode_object(buf, len, TSR_TYPE_CANCEL, read_cancel, check_cancel_any, out,
                                   sizeof *out);
}

tsr_status tsr_seal_encode(const tsr_seal *s, tsr_enc *e)
{
    tsr_status st = tsr_codec_check_seal(s);
    if (st != TSR_OK)
        return st;
    put_header(e, TSR_TYPE_SEAL);
    tsr_enc_put_str(e, s->node);
    tsr_enc_put_str(e, s->game);
    tsr_enc_put_u32(e, s->draw);
    tsr_enc_put_u64(e, s->count);
    tsr_enc_put_i64(e, s->stake_total_cents);
    tsr_enc_put_u64(e, s->first_seq);
    tsr_enc_put_u64(e, s->last_seq);
    tsr_enc_put_fixed(e, s->merkle_root, sizeof s->merkle_root);
    tsr_enc_put_i64(e, s->sealed_at_ns);
    return tsr_enc_finish(e, NULL);
}

static void read_seal(tsr_dec *d, void *out)
{
    tsr_seal *s = out;
    tsr_dec_get_str(d, s->node, sizeof s->node);
    tsr_dec_get_str(d, s->game, sizeof s->game);
    tsr_dec_get_u32(d, &s->draw);
    tsr_dec_get_u64(d, &s->count);
    tsr_dec_get_i64(d, &s->stake_total_cents);
    tsr_dec_get_u64(d, &s->first_seq);
    tsr_dec_get_u64(d, &s->last_seq);
    tsr_dec_get_fixed(d, s->merkle_root, sizeof s->merkle_root);
    tsr_dec_get_i64(d, &s->sealed_at_ns);
}

static tsr_status check_seal_any(const void *obj) { return tsr_codec_check_seal(obj); }

tsr_status tsr_seal_decode(const void *buf, size_t len, tsr_seal *out)
{
    return tsr_codec_decode_object(buf, len, TSR_TYPE_SEAL, read_seal, check_seal_any, out,
                                   sizeof *out);
}

tsr_status tsr_node_receipt_encode(const tsr_node_receipt *r, tsr_enc *e)
{
    tsr_status st = tsr_codec_check_node_receipt(r);
    if (st != TSR_OK)
        return st;
    put_header(e, TSR_TYPE_NODE_RECEIPT);
    tsr_enc_put_str(e, r->node);
    tsr_enc_put_u64(e, r->up_to_seq);
    tsr_enc_put_fixed(e, r->chain, sizeof r->chain);
    tsr_enc_put_i64(e, r->issued_at_ns);
    return tsr_enc_finish(e, NULL);
}

static void read_node_receipt(tsr_dec *d, void *out)
{
    tsr_node_receipt *r = out;
    tsr_dec_get_str(d, r->node, sizeof r->node);
    tsr_dec_get_u64(d, &r->up_to_seq);
    tsr_dec_get_fixed(d, r->chain, sizeof r->chain);
    tsr_dec_get_i64(d, &r->issued_at_ns);
}

static tsr_status check_receipt_any(const void *obj) { return tsr_codec_check_node_receipt(obj); }

tsr_status tsr_node_receipt_decode(const void *buf, size_t len, tsr_node_receipt *out)
{
    return tsr_codec_decode_object(buf, len, TSR_TYPE_NODE_RECEIPT, read_node_receipt,
                                   check_receipt_any, out, sizeof *out);
}

/* ---- leaves and the receipt chain ------------------------------------------ */

tsr_status tsr_ticket_leaf(const tsr_ticket *t, uint8_t out[TSR_HASH_LEN])
{
    uint8_t buf[TSR_TICKET_ENC_MAX];
    tsr_enc e;
    size_t len;
    tsr_enc_init(&e, buf, sizeof buf);
    tsr_status st = tsr_ticket_encode(t, &e);
    if (st == TSR_OK && (st = tsr_enc_finish(&e, &len)) == TSR_OK)
        tsr_merkle_leaf(buf, len, out);
    return st;
}

tsr_status tsr_cancel_leaf(const tsr_cancel *c, uint8_t out[TSR_HASH_LEN])
{
    uint8_t buf[TSR_CANCEL_ENC_MAX];
    tsr_enc e;
    size_t len;
    tsr_enc_init(&e, buf, sizeof buf);
    tsr_status st = tsr_cancel_encode(c, &e);
    if (st == TSR_OK && (st = tsr_enc_finish(&e, &len)) == TSR_OK)
        tsr_merkle_leaf(buf, len, out);
    return st;
}

void tsr_chain_init(uint8_t out[TSR_HASH_LEN])
{
    memset(out, 0, TSR_HASH_LEN);
}

void tsr_chain_next(const uint8_t prev[TSR_HASH_LEN], const uint8_t entry_hash[TSR_HASH_LEN],
                    uint8_t out[TSR_HASH_LEN])
{
    static const char tag[] = "tsr-chain";
    tsr_hash_ctx h;
    tsr_hash256_init(&h);
    tsr_hash256_update(&h, tag, sizeof tag - 1);
    tsr_hash256_update(&h, prev, TSR_HASH_LEN);
    tsr_hash256_update(&h, entry_hash, TSR_HASH_LEN);
    tsr_hash256_final(&h, out);
}

/* ---- signed objects -------------------------------------------------------- */

tsr_status tsr_signed_make(const tsr_keypair *kp, const void *body, size_t len, uint8_t *out,
                           size_t cap, size_t *out_len)
{
    *out_len = 0;
    if (cap < TSR_SIG_LEN || len > cap - TSR_SIG_LEN)
        return TSR_ERR_TOO_LARGE;
    if (len && out != body)
        memmove(out, body, len);
    tsr_sign(kp, out, len, out + len);
    *out_len = len + TSR_SIG_LEN;
    return TSR_OK;
}

tsr_status tsr_signed_open(const uint8_t pk[TSR_PK_LEN], const void *buf, size_t len,
                           const uint8_t **body, size_t *body_len)
{
    *body = NULL;
    *body_len = 0;
    if (len < TSR_SIG_LEN)
        return TSR_ERR_ENCODING;
    const uint8_t *p = buf;
    tsr_status st = tsr_verify(pk, p, len - TSR_SIG_LEN, p + len - TSR_SIG_LEN);
    if (st != TSR_OK)
        return st;
    *body = p;
    *body_len = len - TSR_SIG_LEN;
    return TSR_OK;
}

/* Encodes with `encode` into out (leaving room for the signature), signs. */
typedef tsr_status (*encoder)(const void *obj, tsr_enc *e);

static tsr_status sign_object(const void *obj, encoder encode, const tsr_keypair *kp,
                              uint8_t *out, size_t cap, size_t *out_len)
{
    tsr_enc e;
    size_t len;
    *out_len = 0;
    if (cap < TSR_SIG_LEN)
        return TSR_ERR_TOO_LARGE;
    tsr_enc_init(&e, out, cap - TSR_SIG_LEN);
    tsr_status st = encode(obj, &e);
    if (st == TSR_OK && (st = tsr_enc_finish(&e, &len)) == TSR_OK)
        st = tsr_signed_make(kp, out, len, out, cap, out_len);
    return st;
}

static tsr_status enc_seal_any(const void *o, tsr_enc *e) { return tsr_seal_encode(o, e); }
static tsr_status enc_receipt_any(const void *o, tsr_enc *e)
{
    return tsr_node_receipt_encode(o, e);
}

tsr_status tsr_seal_sign(const tsr_seal *s, const tsr_keypair *kp, uint8_t *out, size_t cap,
                         size_t *out_len)
{
    return sign_object(s, enc_seal_any, kp, out, cap, out_len);
}

tsr_status tsr_seal_open(const uint8_t pk[TSR_PK_LEN], const void *buf, size_t len,
                         tsr_seal *out)
{
    const uint8_t *body;
    size_t body_len;
    memset(out, 0, sizeof *out);
    tsr_status st = tsr_signed_open(pk, buf, len, &body, &body_len);
    return st == TSR_OK ? tsr_seal_decode(body, body_len, out) : st;
}

tsr_status tsr_node_receipt_sign(const tsr_node_receipt *r, const tsr_keypair *kp, uint8_t *out,
                                 size_t cap, size_t *out_len)
{
    return sign_object(r, enc_receipt_any, kp, out, cap, out_len);
}

tsr_status tsr_node_receipt_open(const uint8_t pk[TSR_PK_LEN], const void *buf, size_t len,
                                 tsr_node_receipt *out)
{
    const uint8_t *body;
    size_t body_len;
    memset(out, 0, sizeof *out);
    tsr_status st = tsr_signed_open(pk, buf, len, &body, &body_len);
    return st == TSR_OK ? tsr_node_receipt_decode(body, body_len, out) : st;
}

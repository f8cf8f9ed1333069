/* Receipt batches (receipt_batch.h). */
#include "tessera/receipt_batch.h"

#include <stdio.h>
#include <string.h>

#include "codec_int.h"

static tsr_status check_batch(const tsr_receipt_batch *b)
{
    tsr_status st = tsr_codec_check_name(b->node, sizeof b->node);
    if (st != TSR_OK)
        return st;
    bool ok = b->count >= 1 && b->count <= TSR_RECEIPT_BATCH_MAX && b->first_seq >= 1 &&
              b->first_seq <= b->last_seq && b->count - 1 <= b->last_seq - b->first_seq;
    return ok ? TSR_OK : TSR_ERR_RANGE;
}

tsr_status tsr_receipt_batch_encode(const tsr_receipt_batch *b, tsr_enc *e)
{
    tsr_status st = check_batch(b);
    if (st != TSR_OK)
        return st;
    tsr_enc_put_u8(e, TSR_TYPE_RECEIPT_BATCH);
    tsr_enc_put_u8(e, TSR_CODEC_VERSION);
    tsr_enc_put_str(e, b->node);
    tsr_enc_put_u64(e, b->first_seq);
    tsr_enc_put_u64(e, b->last_seq);
    tsr_enc_put_u32(e, b->count);
    tsr_enc_put_fixed(e, b->root, sizeof b->root);
    return tsr_enc_finish(e, NULL);
}

/* The batch's canonical bytes into buf (TSR_RECEIPT_BATCH_ENC_MAX). */
static tsr_status encode(const tsr_receipt_batch *b, uint8_t *buf, size_t *len)
{
    tsr_enc e;
    tsr_enc_init(&e, buf, TSR_RECEIPT_BATCH_ENC_MAX);
    tsr_status st = tsr_receipt_batch_encode(b, &e);
    return st == TSR_OK ? tsr_enc_finish(&e, len) : st;
}

tsr_status tsr_receipt_batch_sign(const tsr_receipt_batch *b, const tsr_keypair *kp,
                                  uint8_t sig[TSR_SIG_LEN])
{
    uint8_t buf[TSR_RECEIPT_BATCH_ENC_MAX];
    size_t len;
    tsr_status st = encode(b, buf, &len);
    if (st == TSR_OK)
        tsr_sign(kp, buf, len, sig);
    return st;
}

/* The ticket belongs to the batch: same node, seq inside its range. */
static tsr_status ticket_in_batch(const void *ticket, size_t len, const tsr_receipt_batch *b)
{
    tsr_ticket t;
    tsr_status st = tsr_ticket_decode(ticket, len, &t);
    if (st != TSR_OK)
        return st;
    bool in = strcmp(t.node, b->node) == 0 && t.seq >= b->first_seq && t.seq <= b->last_seq;
    return in ? TSR_OK : TSR_ERR_RANGE;
}

tsr_status tsr_receipt_verify(const uint8_t pk[TSR_PK_LEN], const void *ticket, size_t len,
                              const tsr_receipt_batch *b, const tsr_merkle_proof *proof,
                              const uint8_t sig[TSR_SIG_LEN])
{
    uint8_t buf[TSR_RECEIPT_BATCH_ENC_MAX], leaf[TSR_HASH_LEN];
    size_t blen;
    tsr_status st = encode(b, buf, &blen);
    if (st == TSR_OK)
        st = ticket_in_batch(ticket, len, b);
    if (st != TSR_OK)
        return st;
    if (proof->count != b->count)
        return TSR_ERR_MERKLE_PROOF;
    tsr_merkle_leaf(ticket, len, leaf);
    st = tsr_merkle_verify(b->root, leaf, proof);
    return st == TSR_OK ? tsr_verify(pk, buf, blen, sig) : st;
}

/* ---- JSON ------------------------------------------------------------------------ */

static tsr_status hex_member(const json_t *o, const char *name, uint8_t *out, size_t len)
{
    const json_t *v = json_object_get(o, name);
    if (!v)
        return TSR_ERR_FIELD_MISSING;
    return json_is_string(v) ? tsr_hex_decode(out, len, json_string_value(v)) : TSR_ERR_FIELD_TYPE;
}

static tsr_status seq_member(const json_t *o, const char *name, uint64_t *out)
{
    const json_t *v = json_object_get(o, name);
    if (!v)
        return TSR_ERR_FIELD_MISSING;
    if (!json_is_integer(v))
        return TSR_ERR_FIELD_TYPE;
    if (json_integer_value(v) < 1)
        return TSR_ERR_RANGE;
    *out = (uint64_t)json_integer_value(v);
    return TSR_OK;
}

static tsr_status batch_from_json(const json_t *j, tsr_receipt_batch *b)
{
    if (!j)
        return TSR_ERR_FIELD_MISSING;
    if (!json_is_object(j))
        return TSR_ERR_FIELD_TYPE;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)j, key, v)
        if (strcmp(key, "first_seq") != 0 && strcmp(key, "last_seq") != 0 &&
            strcmp(key, "root") != 0)
            return TSR_ERR_FIELD_UNKNOWN;
    tsr_status st = seq_member(j, "first_seq", &b->first_seq);
    if (st == TSR_OK)
        st = seq_member(j, "last_seq", &b->last_seq);
    return st == TSR_OK ? hex_member(j, "root", b->root, TSR_HASH_LEN) : st;
}

tsr_status tsr_receipt_from_json(const json_t *receipt, tsr_receipt_batch *b,
                                 tsr_merkle_proof *proof, uint8_t sig[TSR_SIG_LEN])
{
    memset(b, 0, sizeof *b);
    const json_t *node = json_object_get(receipt, "node");
    if (!node)
        return TSR_ERR_FIELD_MISSING;
    if (!json_is_string(node))
        return TSR_ERR_FIELD_TYPE;
    if (strlen(json_string_value(node)) >= sizeof b->node)
        return TSR_ERR_TOO_LONG;
    snprintf(b->node, sizeof b->node, "%s", json_string_value(node));
    tsr_status st = hex_member(receipt, "sig", sig, TSR_SIG_LEN);
    if (st == TSR_OK)
        st = batch_from_json(json_object_get(receipt, "batch"), b);
    const json_t *p = json_object_get(receipt, "proof");
    if (st == TSR_OK && !p)
        st = TSR_ERR_FIELD_MISSING;
    if (st == TSR_OK)
        st = tsr_merkle_proof_from_json(p, proof);
    if (st == TSR_OK && (proof->count == 0 || proof->count > TSR_RECEIPT_BATCH_MAX))
        st = TSR_ERR_RANGE;
    if (st == TSR_OK)
        b->count = (uint32_t)proof->count;
    return st == TSR_OK ? check_batch(b) : st;
}

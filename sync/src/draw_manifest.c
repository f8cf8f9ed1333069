/* The draw manifest: the included seals, their root M, bound to the cutoff
 * token and signed by the draw authority (format in draw.h). */
#include <stdlib.h>
#include <string.h>

#include "draw_int.h"
#include "tessera/merkle.h"

/* Per seal in the manifest bytes: u32 length + seal + pk + sig. */
#define SEAL_ENTRY_MAX (4 + TSR_SEAL_ENC_MAX + TSR_PK_LEN + TSR_SIG_LEN)
/* Everything else: header, packed token, count, root, time, key. */
#define MANIFEST_FIXED_MAX (2 + 4 + TSR_TOKEN_PACKED_MAX + 4 + 32 + 8 + 32)

static int seal_order(const void *a, const void *b)
{
    return strcmp(((const tsr_draw_seal *)a)->seal.node, ((const tsr_draw_seal *)b)->seal.node);
}

tsr_status tsr_draw_token_signed_by(const tsr_cutoff_token *t, const uint8_t pk[TSR_PK_LEN])
{
    uint8_t buf[TSR_TOKEN_ENC_MAX];
    tsr_enc e;
    tsr_enc_init(&e, buf, sizeof buf);
    size_t len;
    tsr_status st = tsr_cutoff_token_encode(t, &e);
    if (st == TSR_OK)
        st = tsr_enc_finish(&e, &len);
    if (st != TSR_OK)
        return st;
    return tsr_verify(pk, buf, len, t->sig);
}

/* Each seal: the token's game and draw, ascending distinct nodes, a node
 * signature that verifies. Then the root over their leaves. */
static tsr_status check_seals(const tsr_draw_manifest *m, uint8_t root[TSR_HASH_LEN],
                              char *why, size_t why_len)
{
    tsr_merkle_acc acc;
    tsr_merkle_acc_init(&acc);
    for (uint32_t i = 0; i < m->seal_count; i++) {
        const tsr_draw_seal *ds = &m->seals[i];
        const char *node = ds->seal.node;
        if (strcmp(ds->seal.game, m->token.game) != 0 || ds->seal.draw != m->token.draw) {
            tsr_draw_why(why, why_len, "seal %u (%s) is for %s draw %u, not this draw", i + 1,
                         node, ds->seal.game, ds->seal.draw);
            return TSR_ERR_DRAW_MANIFEST;
        }
        if (i > 0 && strcmp(m->seals[i - 1].seal.node, node) >= 0) {
            tsr_draw_why(why, why_len, "seal %u (%s) is out of node order or repeats a node",
                         i + 1, node);
            return TSR_ERR_DRAW_MANIFEST;
        }
        uint8_t buf[TSR_SEAL_ENC_MAX];
        size_t len;
        tsr_status st = tsr_draw_seal_bytes(&ds->seal, buf, &len);
        if (st != TSR_OK) {
            tsr_draw_why(why, why_len, "seal %u (%s) has no canonical form", i + 1, node);
            return TSR_ERR_DRAW_MANIFEST;
        }
        if (tsr_verify(ds->node_pk, buf, len, ds->sig) != TSR_OK) {
            tsr_draw_why(why, why_len, "seal %u (%s): node signature does not verify", i + 1,
                         node);
            return TSR_ERR_SIGNATURE;
        }
        uint8_t leaf[TSR_HASH_LEN];
        tsr_merkle_leaf(buf, len, leaf);
        tsr_merkle_acc_add(&acc, leaf);
    }
    tsr_merkle_acc_root(&acc, root);
    return TSR_OK;
}

tsr_status tsr_draw_manifest_build(tsr_draw_manifest **out, const tsr_cutoff_token *token,
                                   const tsr_draw_seal *seals, size_t n, char *why,
                                   size_t why_len)
{
    *out = NULL;
    if (n > TSR_DRAW_SEALS_MAX)
        return TSR_ERR_TOO_LARGE;
    tsr_draw_manifest *m = calloc(1, sizeof *m);
    if (!m || (n && !(m->seals = calloc(n, sizeof *m->seals)))) {
        free(m);
        return TSR_ERR_NOMEM;
    }
    m->token = *token;
    m->seal_count = (uint32_t)n;
    if (n)
        memcpy(m->seals, seals, n * sizeof *seals);
    if (n)
        qsort(m->seals, n, sizeof *m->seals, seal_order);
    tsr_status st = check_seals(m, m->root, why, why_len);
    if (st != TSR_OK) {
        tsr_draw_manifest_destroy(m);
        return st;
    }
    *out = m;
    return TSR_OK;
}

static tsr_status encode_into(const tsr_draw_manifest *m, tsr_enc *e)
{
    uint8_t tok[TSR_TOKEN_PACKED_MAX];
    size_t tok_len;
    tsr_status st = tsr_cutoff_token_pack(&m->token, tok, sizeof tok, &tok_len);
    if (st != TSR_OK)
        return st;
    tsr_enc_put_u8(e, TSR_TYPE_DRAW_MANIFEST);
    tsr_enc_put_u8(e, TSR_CODEC_VERSION);
    tsr_enc_put_bytes(e, tok, tok_len);
    tsr_enc_put_u32(e, m->seal_count);
    for (uint32_t i = 0; i < m->seal_count; i++) {
        uint8_t buf[TSR_SEAL_ENC_MAX];
        size_t len;
        st = tsr_draw_seal_bytes(&m->seals[i].seal, buf, &len);
        if (st != TSR_OK)
            return st;
        tsr_enc_put_bytes(e, buf, len);
        tsr_enc_put_fixed(e, m->seals[i].node_pk, TSR_PK_LEN);
        tsr_enc_put_fixed(e, m->seals[i].sig, TSR_SIG_LEN);
    }
    tsr_enc_put_fixed(e, m->root, TSR_HASH_LEN);
    tsr_enc_put_i64(e, m->published_at_ns);
    tsr_enc_put_fixed(e, m->authority_pk, TSR_PK_LEN);
    return TSR_OK;
}

tsr_status tsr_draw_manifest_encode(const tsr_draw_manifest *m, uint8_t **out, size_t *len)
{
    *out = NULL;
    if (m->seal_count > TSR_DRAW_SEALS_MAX)
        return TSR_ERR_TOO_LARGE;
    size_t cap = MANIFEST_FIXED_MAX + (size_t)m->seal_count * SEAL_ENTRY_MAX;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return TSR_ERR_NOMEM;
    tsr_enc e;
    tsr_enc_init(&e, buf, cap);
    tsr_status st = encode_into(m, &e);
    if (st == TSR_OK)
        st = tsr_enc_finish(&e, len);
    if (st != TSR_OK) {
        free(buf);
        return st;
    }
    *out = buf;
    return TSR_OK;
}

tsr_status tsr_draw_manifest_sign(tsr_draw_manifest *m, const tsr_keypair *kp,
                                  int64_t published_at_ns)
{
    if (tsr_draw_token_signed_by(&m->token, kp->pk) != TSR_OK)
        return TSR_ERR_DRAW_AUTHORITY;
    m->published_at_ns = published_at_ns;
    memcpy(m->authority_pk, kp->pk, TSR_PK_LEN);
    uint8_t *buf;
    size_t len;
    tsr_status st = tsr_draw_manifest_encode(m, &buf, &len);
    if (st != TSR_OK)
        return st;
    tsr_sign(kp, buf, len, m->sig);
    free(buf);
    return TSR_OK;
}

tsr_status tsr_draw_manifest_verify(const tsr_draw_manifest *m, const uint8_t *pinned_pk,
                                    char *why, size_t why_len)
{
    if (pinned_pk && memcmp(pinned_pk, m->authority_pk, TSR_PK_LEN) != 0) {
        tsr_draw_why(why, why_len, "the manifest's authority key is not the pinned one");
        return TSR_ERR_DRAW_AUTHORITY;
    }
    char kid[TSR_KEY_ID_SIZE];
    tsr_key_id(m->authority_pk, kid);
    if (strcmp(kid, m->token.key_id) != 0 || tsr_draw_token_signed_by(&m->token, m->authority_pk) != TSR_OK) {
        tsr_draw_why(why, why_len, "cutoff token signature does not verify");
        return TSR_ERR_SIGNATURE;
    }
    uint8_t root[TSR_HASH_LEN];
    tsr_status st = check_seals(m, root, why, why_len);
    if (st != TSR_OK)
        return st;
    if (memcmp(root, m->root, TSR_HASH_LEN) != 0) {
        char a[TSR_HASH_HEX_SIZE], b[TSR_HASH_HEX_SIZE];
        tsr_draw_why(why, why_len, "manifest root differs: record says %s, recomputed %s",
                     tsr_hex_encode(a, sizeof a, m->root, TSR_HASH_LEN),
                     tsr_hex_encode(b, sizeof b, root, TSR_HASH_LEN));
        return TSR_ERR_DRAW_MISMATCH;
    }
    uint8_t *buf;
    size_t len;
    st = tsr_draw_manifest_encode(m, &buf, &len);
    if (st != TSR_OK)
        return st;
    st = tsr_verify(m->authority_pk, buf, len, m->sig);
    free(buf);
    if (st != TSR_OK) {
        tsr_draw_why(why, why_len, "manifest signature does not verify");
        return TSR_ERR_SIGNATURE;
    }
    return TSR_OK;
}

void tsr_draw_manifest_destroy(tsr_draw_manifest *m)
{
    if (!m)
        return;
    free(m->seals);
    free(m);
}

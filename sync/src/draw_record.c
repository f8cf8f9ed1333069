/* The result record: made from a signed manifest and the reveals, signed by
 * the draw authority, and verified from nothing but itself. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw_int.h"

/* Everything but the manifest digest fits in this (shape, seeds, witnesses,
 * DRBG summary, numbers). */
#define RECORD_ENC_MAX                                                                  \
    (2 + 32 + 64 + 1 + TSR_DRAW_POOLS_MAX * 17 + 32 + 1 +                               \
     TSR_WITNESS_MAX * (32 + 32 + 64 + 32 + 64) + 32 + 8 + 32 +                         \
     TSR_DRAW_POOLS_MAX * (1 + 4 * TSR_DRAW_PICK_MAX) + 8)

static void encode_shape(tsr_enc *e, const tsr_draw_shape *s)
{
    tsr_enc_put_u8(e, (uint8_t)s->pool_count);
    for (uint32_t p = 0; p < s->pool_count && p < TSR_DRAW_POOLS_MAX; p++) {
        tsr_enc_put_u32(e, s->pools[p].min);
        tsr_enc_put_u32(e, s->pools[p].max);
        tsr_enc_put_u32(e, s->pools[p].count);
        tsr_enc_put_u32(e, s->pools[p].bonus);
        tsr_enc_put_u8(e, s->pools[p].replacement ? 1 : 0);
    }
}

static void encode_body(tsr_enc *e, const tsr_draw_record *r)
{
    encode_shape(e, &r->shape);
    tsr_enc_put_fixed(e, r->central_seed, TSR_DRAW_SEED_LEN);
    tsr_enc_put_u8(e, (uint8_t)r->witness_count);
    for (uint32_t i = 0; i < r->witness_count && i < TSR_WITNESS_MAX; i++) {
        const tsr_draw_witness *w = &r->witnesses[i];
        tsr_enc_put_fixed(e, w->pk, TSR_PK_LEN);
        tsr_enc_put_fixed(e, w->commitment, TSR_HASH_LEN);
        tsr_enc_put_fixed(e, w->commit_sig, TSR_SIG_LEN);
        tsr_enc_put_fixed(e, w->seed, TSR_DRAW_SEED_LEN);
        tsr_enc_put_fixed(e, w->reveal_sig, TSR_SIG_LEN);
    }
    tsr_enc_put_fixed(e, r->entropy, TSR_HASH_LEN);
    tsr_enc_put_u64(e, r->drbg_bytes);
    tsr_enc_put_fixed(e, r->drbg_digest, TSR_HASH_LEN);
    for (uint32_t p = 0; p < r->numbers.pool_count && p < TSR_DRAW_POOLS_MAX; p++) {
        uint32_t n = r->numbers.len[p] <= TSR_DRAW_PICK_MAX ? r->numbers.len[p] : 0;
        tsr_enc_put_u8(e, (uint8_t)n);
        for (uint32_t i = 0; i < n; i++)
            tsr_enc_put_u32(e, r->numbers.values[p][i]);
    }
    tsr_enc_put_i64(e, r->drawn_at_ns);
}

tsr_status tsr_draw_record_encode(const tsr_draw_record *r, uint8_t **out, size_t *len)
{
    *out = NULL;
    uint8_t *mbuf;
    size_t mlen;
    tsr_status st = tsr_draw_manifest_encode(r->manifest, &mbuf, &mlen);
    if (st != TSR_OK)
        return st;
    uint8_t digest[TSR_HASH_LEN];
    tsr_hash256(digest, mbuf, mlen);
    free(mbuf);
    uint8_t *buf = malloc(RECORD_ENC_MAX);
    if (!buf)
        return TSR_ERR_NOMEM;
    tsr_enc e;
    tsr_enc_init(&e, buf, RECORD_ENC_MAX);
    tsr_enc_put_u8(&e, TSR_TYPE_DRAW_RECORD);
    tsr_enc_put_u8(&e, TSR_CODEC_VERSION);
    tsr_enc_put_fixed(&e, digest, TSR_HASH_LEN);
    tsr_enc_put_fixed(&e, r->manifest->sig, TSR_SIG_LEN);
    encode_body(&e, r);
    st = tsr_enc_finish(&e, len);
    if (st != TSR_OK) {
        free(buf);
        return st;
    }
    *out = buf;
    return TSR_OK;
}

/* The central reveal and every witness entry against the token: count,
 * commitments, signatures, seeds. */
static tsr_status check_reveals(const tsr_draw_record *r, char *why, size_t why_len)
{
    const tsr_cutoff_token *t = &r->manifest->token;
    uint8_t c[TSR_HASH_LEN];
    tsr_seed_commit(r->central_seed, TSR_DRAW_SEED_LEN, c);
    if (memcmp(c, t->seed_commitment, TSR_HASH_LEN) != 0) {
        tsr_draw_why(why, why_len, "central seed reveal does not match its commitment");
        return TSR_ERR_DRAW_COMMITMENT;
    }
    if (r->witness_count != t->witness_count) {
        tsr_draw_why(why, why_len, "the record has %u witnesses, the cutoff token %u",
                     r->witness_count, t->witness_count);
        return TSR_ERR_DRAW_MANIFEST;
    }
    for (uint32_t i = 0; i < r->witness_count; i++) {
        if (memcmp(r->witnesses[i].commitment, t->witness_commitments[i], TSR_HASH_LEN) != 0) {
            tsr_draw_why(why, why_len, "witness %u commitment is not the cutoff token's", i + 1);
            return TSR_ERR_DRAW_COMMITMENT;
        }
        char sub[TSR_DRAW_WHY_MAX];
        tsr_status st = tsr_draw_witness_check(&r->witnesses[i], t->game, t->draw,
                                               r->manifest->root, sub, sizeof sub);
        if (st != TSR_OK) {
            tsr_draw_why(why, why_len, "witness %u %s", i + 1, sub);
            return st;
        }
    }
    return TSR_OK;
}

static void compute_entropy(const tsr_draw_record *r, uint8_t out[TSR_HASH_LEN])
{
    uint8_t seeds[TSR_WITNESS_MAX][TSR_DRAW_SEED_LEN];
    for (uint32_t i = 0; i < r->witness_count && i < TSR_WITNESS_MAX; i++)
        memcpy(seeds[i], r->witnesses[i].seed, TSR_DRAW_SEED_LEN);
    tsr_draw_entropy(r->central_seed, (const uint8_t(*)[TSR_DRAW_SEED_LEN])seeds,
                     r->witness_count, r->manifest->root, out);
    tsr_wipe(seeds, sizeof seeds);
}

tsr_status tsr_draw_record_make(tsr_draw_record **out, tsr_draw_manifest *m,
                                const tsr_draw_shape *shape,
                                const uint8_t central_seed[TSR_DRAW_SEED_LEN],
                                const tsr_draw_witness *witnesses, size_t k,
                                const tsr_keypair *kp, int64_t drawn_at_ns, char *why,
                                size_t why_len)
{
    *out = NULL;
    tsr_draw_record *r = calloc(1, sizeof *r);
    if (!r) {
        tsr_draw_manifest_destroy(m);
        return TSR_ERR_NOMEM;
    }
    r->manifest = m;
    tsr_status st = tsr_draw_shape_check(shape);
    if (st == TSR_OK && memcmp(m->authority_pk, kp->pk, TSR_PK_LEN) != 0)
        st = TSR_ERR_DRAW_AUTHORITY;
    if (st == TSR_OK && k > TSR_WITNESS_MAX)
        st = TSR_ERR_DRAW_MANIFEST;
    if (st == TSR_OK) {
        r->shape = *shape;
        memcpy(r->central_seed, central_seed, TSR_DRAW_SEED_LEN);
        r->witness_count = (uint32_t)k;
        if (k)
            memcpy(r->witnesses, witnesses, k * sizeof *witnesses);
        r->drawn_at_ns = drawn_at_ns;
        st = check_reveals(r, why, why_len);
    }
    if (st == TSR_OK) {
        compute_entropy(r, r->entropy);
        st = tsr_draw_numbers_generate(&r->shape, r->entropy, &r->numbers, &r->drbg_bytes,
                                       r->drbg_digest);
    }
    uint8_t *buf = NULL;
    size_t len;
    if (st == TSR_OK)
        st = tsr_draw_record_encode(r, &buf, &len);
    if (st != TSR_OK) {
        tsr_draw_record_destroy(r);
        return st;
    }
    tsr_sign(kp, buf, len, r->sig);
    free(buf);
    *out = r;
    return TSR_OK;
}

/* "3 12 40" into buf. */
static const char *numbers_text(const tsr_draw_numbers *n, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (uint32_t p = 0; p < n->pool_count && p < TSR_DRAW_POOLS_MAX; p++)
        for (uint32_t i = 0; i < n->len[p] && i < TSR_DRAW_PICK_MAX && used < cap; i++) {
            int w = snprintf(buf + used, cap - used, "%s%s%" PRIu32, used ? " " : "",
                             (p > 0 && i == 0) ? "| " : "", n->values[p][i]);
            if (w < 0)
                break;
            used += (size_t)w;
        }
    return buf;
}

/* The entropy, the DRBG output and the numbers, recomputed. */
static tsr_status check_outcome(const tsr_draw_record *r, char *why, size_t why_len)
{
    uint8_t e[TSR_HASH_LEN];
    char a[TSR_HASH_HEX_SIZE], b[TSR_HASH_HEX_SIZE];
    compute_entropy(r, e);
    if (memcmp(e, r->entropy, TSR_HASH_LEN) != 0) {
        tsr_draw_why(why, why_len, "entropy differs: record says %s, recomputed %s",
                     tsr_hex_encode(a, sizeof a, r->entropy, TSR_HASH_LEN),
                     tsr_hex_encode(b, sizeof b, e, TSR_HASH_LEN));
        return TSR_ERR_DRAW_MISMATCH;
    }
    tsr_draw_numbers n;
    uint64_t used;
    uint8_t digest[TSR_HASH_LEN];
    tsr_status st = tsr_draw_numbers_generate(&r->shape, e, &n, &used, digest);
    if (st != TSR_OK) {
        tsr_draw_why(why, why_len, "the draw cannot be recomputed: %s", tsr_status_str(st));
        return st;
    }
    if (used != r->drbg_bytes || memcmp(digest, r->drbg_digest, TSR_HASH_LEN) != 0) {
        tsr_draw_why(why, why_len,
                     "DRBG output differs: record says %" PRIu64 " bytes with BLAKE2b %s, "
                     "recomputed %" PRIu64 " bytes with %s",
                     r->drbg_bytes, tsr_hex_encode(a, sizeof a, r->drbg_digest, TSR_HASH_LEN),
                     used, tsr_hex_encode(b, sizeof b, digest, TSR_HASH_LEN));
        return TSR_ERR_DRAW_MISMATCH;
    }
    if (memcmp(&n, &r->numbers, sizeof n) != 0) {
        char x[TSR_DRAW_WHY_MAX / 2 - 32], y[TSR_DRAW_WHY_MAX / 2 - 32];
        tsr_draw_why(why, why_len, "numbers differ: record says %s, recomputed %s",
                     numbers_text(&r->numbers, x, sizeof x), numbers_text(&n, y, sizeof y));
        return TSR_ERR_DRAW_MISMATCH;
    }
    return TSR_OK;
}

tsr_status tsr_draw_record_verify(const tsr_draw_record *r, const uint8_t *pinned_pk,
                                  char *why, size_t why_len)
{
    const tsr_draw_manifest *m = r->manifest;
    if (pinned_pk && memcmp(pinned_pk, m->authority_pk, TSR_PK_LEN) != 0) {
        tsr_draw_why(why, why_len, "the record's draw-authority key is not the pinned one");
        return TSR_ERR_DRAW_AUTHORITY;
    }
    if (tsr_draw_shape_check(&r->shape) != TSR_OK ||
        r->numbers.pool_count != r->shape.pool_count) {
        tsr_draw_why(why, why_len, "the record's draw shape is invalid");
        return TSR_ERR_DRAW_SHAPE;
    }
    char kid[TSR_KEY_ID_SIZE];
    tsr_key_id(m->authority_pk, kid);
    if (strcmp(kid, m->token.key_id) != 0 ||
        tsr_draw_token_signed_by(&m->token, m->authority_pk) != TSR_OK) {
        tsr_draw_why(why, why_len, "cutoff token signature does not verify");
        return TSR_ERR_SIGNATURE;
    }
    /* The manifest was published before any reveal, so it is checked
     * first: a reveal is only meaningful against a verified root. */
    tsr_status st = tsr_draw_manifest_verify(m, NULL, why, why_len);
    if (st == TSR_OK)
        st = check_reveals(r, why, why_len);
    if (st == TSR_OK)
        st = check_outcome(r, why, why_len);
    if (st != TSR_OK)
        return st;
    uint8_t *buf;
    size_t len;
    st = tsr_draw_record_encode(r, &buf, &len);
    if (st != TSR_OK)
        return st;
    st = tsr_verify(m->authority_pk, buf, len, r->sig);
    free(buf);
    if (st != TSR_OK) {
        tsr_draw_why(why, why_len, "record signature does not verify");
        return TSR_ERR_SIGNATURE;
    }
    return TSR_OK;
}

void tsr_draw_record_destroy(tsr_draw_record *r)
{
    if (!r)
        return;
    tsr_draw_manifest_destroy(r->manifest);
    tsr_wipe(r, sizeof *r);
    free(r);
}

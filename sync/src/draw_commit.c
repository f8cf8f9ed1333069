/* Seeds, entropy, the witness's signed messages and the included seals. */
#include "tessera/draw.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "draw_int.h"

tsr_status tsr_draw_seed_new(tsr_rng *rng, uint8_t seed[TSR_DRAW_SEED_LEN])
{
    tsr_status st = tsr_rng_require_real(rng);
    if (st != TSR_OK)
        return st;
    tsr_rng_bytes(rng, seed, TSR_DRAW_SEED_LEN);
    return TSR_OK;
}

void tsr_draw_entropy(const uint8_t central_seed[TSR_DRAW_SEED_LEN],
                      const uint8_t (*witness_seeds)[TSR_DRAW_SEED_LEN], size_t k,
                      const uint8_t root[TSR_HASH_LEN], uint8_t out[TSR_HASH_LEN])
{
    tsr_hash_ctx h;
    tsr_hash256_init(&h);
    tsr_hash256_update(&h, central_seed, TSR_DRAW_SEED_LEN);
    for (size_t i = 0; i < k; i++)
        tsr_hash256_update(&h, witness_seeds[i], TSR_DRAW_SEED_LEN);
    tsr_hash256_update(&h, root, TSR_HASH_LEN);
    tsr_hash256_final(&h, out);
}

void tsr_draw_why(char *why, size_t why_len, const char *fmt, ...)
{
    if (!why || why_len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
}

/* The common head of a witness message: tag, version, game, draw, c. */
static void witness_head(tsr_enc *e, uint8_t tag, const char *game, uint32_t draw,
                         const uint8_t commitment[TSR_HASH_LEN])
{
    tsr_enc_put_u8(e, tag);
    tsr_enc_put_u8(e, TSR_CODEC_VERSION);
    tsr_enc_put_str(e, game);
    tsr_enc_put_u32(e, draw);
    tsr_enc_put_fixed(e, commitment, TSR_HASH_LEN);
}

tsr_status tsr_witness_commit_bytes(const char *game, uint32_t draw,
                                    const uint8_t commitment[TSR_HASH_LEN], uint8_t *buf,
                                    size_t cap, size_t *len)
{
    if (!tsr_name_valid(game))
        return TSR_ERR_RANGE;
    tsr_enc e;
    tsr_enc_init(&e, buf, cap);
    witness_head(&e, TSR_TYPE_WITNESS_COMMIT, game, draw, commitment);
    return tsr_enc_finish(&e, len);
}

tsr_status tsr_witness_reveal_bytes(const char *game, uint32_t draw,
                                    const uint8_t commitment[TSR_HASH_LEN],
                                    const uint8_t seed[TSR_DRAW_SEED_LEN],
                                    const uint8_t root[TSR_HASH_LEN], uint8_t *buf,
                                    size_t cap, size_t *len)
{
    if (!tsr_name_valid(game))
        return TSR_ERR_RANGE;
    tsr_enc e;
    tsr_enc_init(&e, buf, cap);
    witness_head(&e, TSR_TYPE_WITNESS_REVEAL, game, draw, commitment);
    tsr_enc_put_fixed(&e, seed, TSR_DRAW_SEED_LEN);
    tsr_enc_put_fixed(&e, root, TSR_HASH_LEN);
    return tsr_enc_finish(&e, len);
}

tsr_status tsr_draw_witness_check(const tsr_draw_witness *w, const char *game, uint32_t draw,
                                  const uint8_t root[TSR_HASH_LEN], char *why,
                                  size_t why_len)
{
    uint8_t buf[TSR_DRAW_MSG_MAX];
    size_t len;
    tsr_status st = tsr_witness_commit_bytes(game, draw, w->commitment, buf, sizeof buf, &len);
    if (st != TSR_OK)
        return st;
    if (tsr_verify(w->pk, buf, len, w->commit_sig) != TSR_OK) {
        tsr_draw_why(why, why_len, "commitment signature does not verify");
        return TSR_ERR_SIGNATURE;
    }
    uint8_t c[TSR_HASH_LEN];
    tsr_seed_commit(w->seed, TSR_DRAW_SEED_LEN, c);
    if (memcmp(c, w->commitment, TSR_HASH_LEN) != 0) {
        tsr_draw_why(why, why_len, "reveal does not match its commitment");
        return TSR_ERR_DRAW_COMMITMENT;
    }
    st = tsr_witness_reveal_bytes(game, draw, w->commitment, w->seed, root, buf, sizeof buf,
                                  &len);
    if (st != TSR_OK)
        return st;
    if (tsr_verify(w->pk, buf, len, w->reveal_sig) != TSR_OK) {
        tsr_draw_why(why, why_len, "reveal signature does not verify (for this manifest root)");
        return TSR_ERR_SIGNATURE;
    }
    return TSR_OK;
}

tsr_status tsr_draw_seal_make(tsr_draw_seal *ds, const tsr_seal *s, const tsr_keypair *kp)
{
    uint8_t buf[TSR_SEAL_ENC_MAX];
    tsr_enc e;
    tsr_enc_init(&e, buf, sizeof buf);
    tsr_status st = tsr_seal_encode(s, &e);
    size_t len;
    if (st == TSR_OK)
        st = tsr_enc_finish(&e, &len);
    if (st != TSR_OK)
        return st;
    memset(ds, 0, sizeof *ds);
    ds->seal = *s;
    memcpy(ds->node_pk, kp->pk, TSR_PK_LEN);
    tsr_sign(kp, buf, len, ds->sig);
    return TSR_OK;
}

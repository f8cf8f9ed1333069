/* The draw's HMAC_DRBG (mbedTLS), its byte stream and the numbers drawn
 * from it by rejection sampling; the rules are in draw.h. */
#include "tessera/draw.h"

#include <mbedtls/hmac_drbg.h>
#include <stdlib.h>
#include <string.h>

struct tsr_drbg {
    mbedtls_hmac_drbg_context ctx;
};

struct tsr_draw_stream {
    tsr_drbg *drbg;
    uint8_t block[TSR_DRAW_BLOCK];
    size_t pos;           /* next unread byte of block; TSR_DRAW_BLOCK = empty */
    uint64_t used;
    tsr_hash_ctx digest;  /* over every byte handed out */
};

tsr_status tsr_drbg_create(tsr_drbg **out, const void *seed_material, size_t len)
{
    *out = NULL;
    if (!seed_material || len == 0 || len > MBEDTLS_HMAC_DRBG_MAX_SEED_INPUT)
        return TSR_ERR_ARG;
    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    if (!md)
        return TSR_ERR_DRBG;
    tsr_drbg *d = calloc(1, sizeof *d);
    if (!d)
        return TSR_ERR_NOMEM;
    mbedtls_hmac_drbg_init(&d->ctx);
    /* seed_buf is SP 800-90A Instantiate with seed_material taken as is and
     * no entropy callback, so mbedTLS never reseeds; prediction resistance
     * stays at its default, off. */
    if (mbedtls_hmac_drbg_seed_buf(&d->ctx, md, seed_material, len) != 0) {
        tsr_drbg_destroy(d);
        return TSR_ERR_DRBG;
    }
    *out = d;
    return TSR_OK;
}

tsr_status tsr_drbg_generate(tsr_drbg *d, void *out, size_t len, const void *add, size_t add_len)
{
    if (len == 0 || len > MBEDTLS_HMAC_DRBG_MAX_REQUEST || (add_len && !add) ||
        add_len > MBEDTLS_HMAC_DRBG_MAX_INPUT)
        return TSR_ERR_ARG;
    if (mbedtls_hmac_drbg_random_with_add(&d->ctx, out, len, add, add_len) != 0)
        return TSR_ERR_DRBG;
    return TSR_OK;
}

void tsr_drbg_destroy(tsr_drbg *d)
{
    if (!d)
        return;
    mbedtls_hmac_drbg_free(&d->ctx); /* zeroizes the state */
    free(d);
}

tsr_status tsr_draw_stream_create(tsr_draw_stream **out, const uint8_t entropy[TSR_HASH_LEN])
{
    *out = NULL;
    uint8_t material[TSR_HASH_LEN + sizeof TSR_DRAW_PERSONALIZATION - 1];
    memcpy(material, entropy, TSR_HASH_LEN);
    memcpy(material + TSR_HASH_LEN, TSR_DRAW_PERSONALIZATION,
           sizeof TSR_DRAW_PERSONALIZATION - 1);
    tsr_draw_stream *s = calloc(1, sizeof *s);
    if (!s)
        return TSR_ERR_NOMEM;
    tsr_status st = tsr_drbg_create(&s->drbg, material, sizeof material);
    tsr_wipe(material, sizeof material);
    if (st != TSR_OK) {
        free(s);
        return st;
    }
    s->pos = TSR_DRAW_BLOCK;
    tsr_hash256_init(&s->digest);
    *out = s;
    return TSR_OK;
}

tsr_status tsr_draw_stream_read(tsr_draw_stream *s, void *out, size_t len)
{
    uint8_t *p = out;
    while (len > 0) {
        if (s->pos == TSR_DRAW_BLOCK) {
            tsr_status st = tsr_drbg_generate(s->drbg, s->block, TSR_DRAW_BLOCK, NULL, 0);
            if (st != TSR_OK)
                return st;
            s->pos = 0;
        }
        size_t n = TSR_DRAW_BLOCK - s->pos;
        if (n > len)
            n = len;
        memcpy(p, s->block + s->pos, n);
        tsr_hash256_update(&s->digest, s->block + s->pos, n);
        s->pos += n;
        s->used += n;
        p += n;
        len -= n;
    }
    return TSR_OK;
}

/* Bits needed to write v (0 for 0). */
static unsigned bit_length(uint32_t v)
{
    unsigned b = 0;
    while (v) {
        b++;
        v >>= 1;
    }
    return b;
}

tsr_status tsr_draw_stream_uniform(tsr_draw_stream *s, uint32_t range, uint32_t *out)
{
    if (range == 0 || range == UINT32_MAX)
        return TSR_ERR_ARG;
    unsigned bits = bit_length(range - 1);
    size_t nbytes = (bits + 7) / 8;
    uint32_t mask = bits == 32 ? UINT32_MAX : ((uint32_t)1 << bits) - 1;
    /* Masking to the bit length of range-1 makes the acceptance chance at
     * least one half, and rejecting (instead of reducing modulo range)
     * leaves every accepted value equally likely. */
    for (;;) {
        uint8_t b[4];
        uint32_t v = 0;
        if (nbytes) {
            tsr_status st = tsr_draw_stream_read(s, b, nbytes);
            if (st != TSR_OK)
                return st;
        }
        for (size_t i = 0; i < nbytes; i++)
            v = (v << 8) | b[i];
        v &= mask;
        if (v < range) {
            *out = v;
            return TSR_OK;
        }
    }
}

uint64_t tsr_draw_stream_used(const tsr_draw_stream *s) { return s->used; }

void tsr_draw_stream_digest(const tsr_draw_stream *s, uint8_t out[TSR_HASH_LEN])
{
    tsr_hash_ctx copy = s->digest; /* final wipes its context; keep ours */
    tsr_hash256_final(&copy, out);
}

void tsr_draw_stream_destroy(tsr_draw_stream *s)
{
    if (!s)
        return;
    tsr_drbg_destroy(s->drbg);
    tsr_wipe(s, sizeof *s);
    free(s);
}

tsr_status tsr_draw_shape_check(const tsr_draw_shape *s)
{
    if (s->pool_count == 0 || s->pool_count > TSR_DRAW_POOLS_MAX)
        return TSR_ERR_DRAW_SHAPE;
    for (uint32_t i = 0; i < s->pool_count; i++) {
        const tsr_draw_pool *p = &s->pools[i];
        if (p->max < p->min || p->max - p->min >= TSR_DRAW_POOL_SIZE_MAX)
            return TSR_ERR_DRAW_SHAPE;
        uint32_t size = p->max - p->min + 1;
        if (p->count == 0 || p->count > TSR_DRAW_PICK_MAX ||
            p->bonus > TSR_DRAW_PICK_MAX - p->count)
            return TSR_ERR_DRAW_SHAPE;
        if (p->replacement ? p->bonus != 0 : p->count + p->bonus > size)
            return TSR_ERR_DRAW_SHAPE;
    }
    return TSR_OK;
}

/* One pool: with replacement each number is independent; without, the
 * pool is kept as an ascending list and the x-th remaining one is taken. */
static tsr_status draw_pool(tsr_draw_stream *s, const tsr_draw_pool *p, uint32_t *values)
{
    uint32_t size = p->max - p->min + 1;
    uint32_t n = p->count + p->bonus;
    if (p->replacement) {
        for (uint32_t i = 0; i < n; i++) {
            uint32_t x;
            tsr_status st = tsr_draw_stream_uniform(s, size, &x);
            if (st != TSR_OK)
                return st;
            values[i] = p->min + x;
        }
        return TSR_OK;
    }
    uint32_t left[TSR_DRAW_POOL_SIZE_MAX];
    for (uint32_t i = 0; i < size; i++)
        left[i] = p->min + i;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t x;
        tsr_status st = tsr_draw_stream_uniform(s, size - i, &x);
        if (st != TSR_OK)
            return st;
        values[i] = left[x];
        memmove(&left[x], &left[x + 1], (size - i - 1 - x) * sizeof left[0]);
    }
    return TSR_OK;
}

tsr_status tsr_draw_numbers_generate(const tsr_draw_shape *shape,
                                     const uint8_t entropy[TSR_HASH_LEN],
                                     tsr_draw_numbers *out, uint64_t *bytes_used,
                                     uint8_t digest[TSR_HASH_LEN])
{
    memset(out, 0, sizeof *out);
    tsr_status st = tsr_draw_shape_check(shape);
    if (st != TSR_OK)
        return st;
    tsr_draw_stream *s;
    st = tsr_draw_stream_create(&s, entropy);
    if (st != TSR_OK)
        return st;
    out->pool_count = shape->pool_count;
    for (uint32_t p = 0; p < shape->pool_count && st == TSR_OK; p++) {
        out->len[p] = shape->pools[p].count + shape->pools[p].bonus;
        st = draw_pool(s, &shape->pools[p], out->values[p]);
    }
    if (st == TSR_OK) {
        if (bytes_used)
            *bytes_used = tsr_draw_stream_used(s);
        if (digest)
            tsr_draw_stream_digest(s, digest);
    } else {
        memset(out, 0, sizeof *out);
    }
    tsr_draw_stream_destroy(s);
    return st;
}

#include "tessera/rng.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct tsr_rng {
    bool seeded;
    pthread_mutex_t lock; /* guards the seeded stream position */
    uint8_t key[randombytes_SEEDBYTES];
    uint64_t block; /* next stream block for the seeded generator */
};

static tsr_status rng_alloc(tsr_rng **out, bool seeded)
{
    if (sodium_init() < 0)
        return TSR_ERR_RNG;
    tsr_rng *r = calloc(1, sizeof *r);
    if (!r)
        return TSR_ERR_NOMEM;
    r->seeded = seeded;
    pthread_mutex_init(&r->lock, NULL);
    *out = r;
    return TSR_OK;
}

tsr_status tsr_rng_real_create(tsr_rng **out) { return rng_alloc(out, false); }

tsr_status tsr_rng_seeded_create(tsr_rng **out, uint64_t seed)
{
    tsr_status st = rng_alloc(out, true);
    if (st != TSR_OK)
        return st;
    /* The 64-bit seed, hashed to a full key, so nearby seeds give unrelated
     * streams. */
    crypto_generichash((*out)->key, sizeof (*out)->key, (const uint8_t *)&seed,
                       sizeof seed, (const uint8_t *)"tessera-rng-seed", 16);
    return TSR_OK;
}

void tsr_rng_destroy(tsr_rng *r)
{
    if (!r)
        return;
    pthread_mutex_destroy(&r->lock);
    sodium_memzero(r->key, sizeof r->key);
    free(r);
}

/* Seeded stream: each call draws from a fresh ChaCha20 block keyed by the
 * seed key and the call counter, so the sequence of calls (not only the total
 * byte count) is what a seed replays. */
static void seeded_bytes(tsr_rng *r, void *buf, size_t len)
{
    uint8_t nonce[crypto_stream_chacha20_NONCEBYTES] = {0};
    pthread_mutex_lock(&r->lock);
    uint64_t block = r->block++;
    pthread_mutex_unlock(&r->lock);
    memcpy(nonce, &block, sizeof block);
    crypto_stream_chacha20(buf, len, nonce, r->key);
}

void tsr_rng_bytes(tsr_rng *r, void *buf, size_t len)
{
    if (r->seeded)
        seeded_bytes(r, buf, len);
    else
        randombytes_buf(buf, len);
}

tsr_status tsr_rng_uniform(tsr_rng *r, uint64_t bound, uint64_t *out)
{
    if (bound == 0)
        return TSR_ERR_ARG;
    /* 2^64 mod bound values at the top would make small results likelier:
     * reject them. When bound divides 2^64 every value is accepted. */
    uint64_t rem = (UINT64_MAX % bound + 1) % bound;
    uint64_t accept_below = 0 - rem; /* 2^64 - rem, wrapping to 0 if rem == 0 */
    uint64_t x;
    do {
        tsr_rng_bytes(r, &x, sizeof x);
    } while (rem != 0 && x >= accept_below);
    *out = x % bound;
    return TSR_OK;
}

bool tsr_rng_is_seeded(const tsr_rng *r) { return r->seeded; }

tsr_status tsr_rng_require_real(const tsr_rng *r)
{
    return r->seeded ? TSR_ERR_RNG_SEEDED : TSR_OK;
}

#include "tessera/rng.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* tsr_rng_public_bytes of the real generator hands out the kernel's random
 * bytes (getrandom via libsodium) from a buffer filled 4 KiB at a time: a
 * bet took four getrandom calls (ids and quick-pick numbers), ~4 system
 * calls a bet at 15,000 bets/s. Bytes are wiped as they are handed out, so
 * the buffer never holds an output already used, and a forked child never
 * hands out its parent's bytes (fork_generation). Secrets (tsr_rng_bytes)
 * never go through it. */
#define REAL_BUFFER 4096

struct tsr_rng {
    bool seeded;
    pthread_mutex_t lock; /* guards the seeded stream position / the buffer */
    uint8_t key[randombytes_SEEDBYTES];
    uint64_t block; /* next stream block for the seeded generator */
    uint8_t buf[REAL_BUFFER];
    size_t used;        /* bytes of buf already handed out (REAL_BUFFER: empty) */
    unsigned buf_fork;  /* fork_generation when buf was filled */
};

/* Bumped in every forked child: a buffer filled before the fork is thrown
 * away, or parent and child would hand out the same bytes. */
static atomic_uint fork_generation;
static pthread_once_t fork_hook_once = PTHREAD_ONCE_INIT;

static void on_fork_child(void) { atomic_fetch_add(&fork_generation, 1); }

static void install_fork_hook(void) { pthread_atfork(NULL, NULL, on_fork_child); }

static tsr_status rng_alloc(tsr_rng **out, bool seeded)
{
    if (sodium_init() < 0)
        return TSR_ERR_RNG;
    tsr_rng *r = calloc(1, sizeof *r);
    if (!r)
        return TSR_ERR_NOMEM;
    r->seeded = seeded;
    r->used = REAL_BUFFER;
    pthread_once(&fork_hook_once, install_fork_hook);
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
    sodium_memzero(r->buf, sizeof r->buf);
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

static void real_bytes(tsr_rng *r, uint8_t *out, size_t len)
{
    if (len > REAL_BUFFER / 4) {
        randombytes_buf(out, len);
        return;
    }
    pthread_mutex_lock(&r->lock);
    unsigned gen = atomic_load(&fork_generation);
    if (REAL_BUFFER - r->used < len || r->buf_fork != gen) {
        randombytes_buf(r->buf, sizeof r->buf);
        r->used = 0;
        r->buf_fork = gen;
    }
    memcpy(out, r->buf + r->used, len);
    sodium_memzero(r->buf + r->used, len);
    r->used += len;
    pthread_mutex_unlock(&r->lock);
}

void tsr_rng_bytes(tsr_rng *r, void *buf, size_t len)
{
    if (r->seeded)
        seeded_bytes(r, buf, len);
    else
        randombytes_buf(buf, len);
}

void tsr_rng_public_bytes(tsr_rng *r, void *buf, size_t len)
{
    if (r->seeded)
        seeded_bytes(r, buf, len);
    else
        real_bytes(r, buf, len);
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
        tsr_rng_public_bytes(r, &x, sizeof x);
    } while (rem != 0 && x >= accept_below);
    *out = x % bound;
    return TSR_OK;
}

bool tsr_rng_is_seeded(const tsr_rng *r) { return r->seeded; }

tsr_status tsr_rng_require_real(const tsr_rng *r)
{
    return r->seeded ? TSR_ERR_RNG_SEEDED : TSR_OK;
}

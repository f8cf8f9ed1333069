/* BLAKE2b-256 through libsodium's crypto_generichash (unkeyed). */
#include "tessera/hash.h"

#include <sodium.h>
#include <pthread.h>
#include <stdalign.h>

#include "crypto_int.h"

_Static_assert(sizeof(crypto_generichash_state) <= sizeof(((tsr_hash_ctx *)0)->opaque_),
               "tsr_hash_ctx too small for libsodium's BLAKE2b state");
_Static_assert(alignof(crypto_generichash_state) <= alignof(tsr_hash_ctx),
               "tsr_hash_ctx under-aligned for libsodium's BLAKE2b state");
_Static_assert(TSR_HASH_LEN >= crypto_generichash_BYTES_MIN &&
                   TSR_HASH_LEN <= crypto_generichash_BYTES_MAX,
               "BLAKE2b output length out of libsodium's range");

static crypto_generichash_state *state_of(tsr_hash_ctx *h)
{
    return (crypto_generichash_state *)(void *)h->opaque_;
}

void tsr_hash256(uint8_t out[TSR_HASH_LEN], const void *data, size_t len)
{
    static const unsigned char nothing[1] = {0};
    tsr_crypto_ready();
    /* libsodium returns -1 only for out-of-range lengths, excluded above. */
    (void)crypto_generichash(out, TSR_HASH_LEN, len ? data : nothing, len, NULL, 0);
}

void tsr_hash256_init(tsr_hash_ctx *h)
{
    tsr_crypto_ready();
    (void)crypto_generichash_init(state_of(h), NULL, 0, TSR_HASH_LEN);
}

void tsr_hash256_update(tsr_hash_ctx *h, const void *data, size_t len)
{
    if (len == 0)
        return;
    (void)crypto_generichash_update(state_of(h), data, len);
}

void tsr_hash256_final(tsr_hash_ctx *h, uint8_t out[TSR_HASH_LEN])
{
    (void)crypto_generichash_final(state_of(h), out, TSR_HASH_LEN);
    sodium_memzero(h, sizeof *h);
}

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;

static void sodium_start(void)
{
    /* sodium_init fails only when /dev/urandom cannot be opened; randombytes
     * would then abort on first use, and tsr_rng reports the failure. */
    if (sodium_init() < 0)
        return;
}

void tsr_crypto_ready(void)
{
    (void)pthread_once(&sodium_once, sodium_start);
}

/*
 * The RNG seam. Everything random (session tokens, quick picks, ticket ids,
 * seeds) comes from a tsr_rng so tests can replay a seed. The real one is the
 * OS CSPRNG (getrandom via libsodium); the seeded one is a deterministic
 * ChaCha20 stream for tests and simulations only — a draw refuses it
 * (tsr_rng_require_real) in a release build.
 */
#ifndef TESSERA_RNG_H
#define TESSERA_RNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/status.h"

typedef struct tsr_rng tsr_rng;

/* The OS CSPRNG. Owns *out. */
tsr_status tsr_rng_real_create(tsr_rng **out) TSR_MUST_CHECK;

/* A deterministic stream from a 64-bit seed, for tests. Owns *out. */
tsr_status tsr_rng_seeded_create(tsr_rng **out, uint64_t seed) TSR_MUST_CHECK;

/* Frees an RNG; NULL-safe. */
void tsr_rng_destroy(tsr_rng *r);

/* Fills buf with len random bytes, straight from the kernel for the real
 * generator: for secrets (keys, seeds, session tokens, PSKs). Thread-safe. */
void tsr_rng_bytes(tsr_rng *r, void *buf, size_t len);

/* The same for values that are made public anyway (ticket ids, quick-pick
 * numbers) at a high rate: the real generator serves them from a buffer
 * refilled 4 KiB at a time (one system call per ~100 bets, not ~4 per bet).
 * Thread-safe; a forked child does not repeat its parent's bytes. */
void tsr_rng_public_bytes(tsr_rng *r, void *buf, size_t len);

/* A uniform integer in [0, bound) by rejection sampling (no modulo bias),
 * from tsr_rng_public_bytes. TSR_ERR_ARG when bound is 0. */
tsr_status tsr_rng_uniform(tsr_rng *r, uint64_t bound, uint64_t *out) TSR_MUST_CHECK;

/* True for a seeded RNG. */
bool tsr_rng_is_seeded(const tsr_rng *r);

/* TSR_ERR_RNG_SEEDED for a seeded RNG: for code (the draw, key generation)
 * that must never run on a predictable stream. */
tsr_status tsr_rng_require_real(const tsr_rng *r) TSR_MUST_CHECK;

#endif

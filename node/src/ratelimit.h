/*
 * Token buckets keyed by a short string ("peer:10.0.0.7", "player:42"):
 * each key may spend `burst` requests at once and earns `per_min` back per
 * minute. The table has a fixed number of slots (no allocation per
 * request); a new key takes a free slot of its probe window, or one whose
 * bucket has refilled (it holds nothing a fresh bucket would not), or else
 * the least recently used one — so a flood of new keys can only make
 * buckets forget, never grow memory. Keys are hashed with a random SipHash
 * key, so a client cannot choose keys that collide on purpose.
 *
 * One thread at a time (the node's CoAP thread).
 */
#ifndef TSR_NODE_RATELIMIT_H
#define TSR_NODE_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/rng.h"
#include "tessera/status.h"

/* Longest key, with its NUL: a prefix and an IPv6 address or username. */
#define TSR_RATE_KEY_MAX 64
/* Slots probed for one key. */
#define TSR_RATE_PROBE 8
/* Largest rate and burst accepted, so the fixed-point arithmetic below
 * (tokens scaled by 60e9 ns) stays far from int64 overflow. */
#define TSR_RATE_PER_MIN_MAX 1000000
#define TSR_RATE_BURST_MAX 1000000

typedef struct tsr_ratelimit tsr_ratelimit;

/* A table of `slots` buckets (rounded up to a power of two), keyed with
 * 16 bytes from rng (borrowed). Owns *out. TSR_ERR_NOMEM, TSR_ERR_ARG. */
tsr_status tsr_ratelimit_create(tsr_ratelimit **out, size_t slots, tsr_rng *rng) TSR_MUST_CHECK;

/* Frees the table; NULL-safe. */
void tsr_ratelimit_destroy(tsr_ratelimit *rl);

/* Takes one token from the bucket of `key` at monotonic time now_ns.
 * True when allowed; false when the bucket is empty, with *retry_s the
 * whole seconds until a token is back (at least 1). per_min <= 0 means no
 * limit. A key longer than TSR_RATE_KEY_MAX - 1 is cut (its prefix
 * still identifies the class and most of the value). */
bool tsr_ratelimit_take(tsr_ratelimit *rl, const char *key, int64_t per_min, int64_t burst,
                        int64_t now_ns, int64_t *retry_s);

#endif

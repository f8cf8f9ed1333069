/*
 * Small private helpers several node files share: growing an array and
 * hashing a key into an in-memory table's slot. Not an API: static inline.
 */
#ifndef TESSERA_NODE_INT_H
#define TESSERA_NODE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Makes room for `need` elements of `elem` bytes in *p (capacity *cap),
 * doubling from `first`; false (nothing changed) when memory runs out. */
static inline bool tsr_grow(void **p, size_t *cap, size_t need, size_t elem, size_t first)
{
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : first;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q)
        return false;
    *p = q;
    *cap = c;
    return true;
}

/* FNV-1a over n bytes of p, started from `seed` (e.g. a session pointer, so
 * equal keys of different owners land apart). For in-memory tables only:
 * not a defence against chosen keys. */
static inline uint64_t tsr_table_hash(uint64_t seed, const void *p, size_t n)
{
    uint64_t h = UINT64_C(14695981039346656037) ^ seed * UINT64_C(0x9E3779B97F4A7C15);
    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const unsigned char *)p)[i]) * UINT64_C(1099511628211);
    return h ^ (h >> 29);
}

#endif

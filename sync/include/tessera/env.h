/*
 * The environment a component runs in: its clock, RNG and logger, passed
 * explicitly instead of hidden globals, so a test or a simulation can hand a
 * component a test clock and a seeded RNG.
 */
#ifndef TESSERA_ENV_H
#define TESSERA_ENV_H

#include "tessera/clock.h"
#include "tessera/log.h"
#include "tessera/rng.h"

typedef struct tsr_env {
    tsr_clock *clock; /* borrowed */
    tsr_rng *rng;     /* borrowed */
    tsr_log *log;     /* borrowed; may be NULL (no logging) */
} tsr_env;

#endif

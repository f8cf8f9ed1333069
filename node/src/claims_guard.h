/*
 * The brake on guessing validation codes: a terminal that sends too many
 * wrong ones (serial + check that name no ticket) within a window is
 * refused every claim lookup until the window ends (TSR_ERR_CLAIM_RATE,
 * 4.29). Per terminal, because a terminal is a proven identity (DTLS-PSK)
 * and the shop behind it is accountable; a correct code does not reset the
 * count, so interleaving real tickets buys a guesser nothing.
 *
 * In memory, CoAP thread only (no locking): a restart forgets the counts,
 * which only an operator can cause.
 */
#ifndef TSR_NODE_CLAIMS_GUARD_H
#define TSR_NODE_CLAIMS_GUARD_H

#include <stdint.h>

#include "job.h"
#include "tessera/status.h"

/* Terminals tracked at once. A node serves a few hundred shops; when every
 * slot holds a terminal inside its window, an unknown terminal is refused
 * (fail closed) rather than forgetting someone's failures. */
#define TSR_CLAIM_GUARD_SLOTS 1024

typedef struct tsr_claim_guard tsr_claim_guard;

/* A guard allowing failures_max wrong codes per window_ns. Owns *out.
 * TSR_ERR_ARG for a limit or window <= 0, TSR_ERR_NOMEM. */
tsr_status tsr_claim_guard_create(tsr_claim_guard **out, int64_t failures_max,
                                  int64_t window_ns) TSR_MUST_CHECK;
void tsr_claim_guard_destroy(tsr_claim_guard *g); /* NULL-safe */

/* TSR_OK when the terminal may look a ticket up now; TSR_ERR_CLAIM_RATE
 * with the nanoseconds until it may in *retry_after_ns. */
tsr_status tsr_claim_guard_check(tsr_claim_guard *g, const char *terminal_id, int64_t now_ns,
                                 int64_t *retry_after_ns) TSR_MUST_CHECK;

/* Counts one wrong code of the terminal. */
void tsr_claim_guard_fail(tsr_claim_guard *g, const char *terminal_id, int64_t now_ns);

#endif

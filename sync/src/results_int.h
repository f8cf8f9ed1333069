/* Private to results*.c: helpers shared by the binary and JSON forms. */
#ifndef TSR_RESULTS_INT_H
#define TSR_RESULTS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "tessera/results.h"

/* True when txt[0..len) is JSON that json_dumps(JSON_COMPACT |
 * JSON_SORT_KEYS) reproduces byte for byte (the one encoding of a record). */
bool tsr_results_record_canonical(const char *txt, size_t len);

/* The result rules of results.h: TSR_ERR_ENCODING, TSR_ERR_TOO_LARGE
 * (record), TSR_ERR_RANGE / TSR_ERR_TOO_LONG (game name). */
tsr_status tsr_results_result_check(const tsr_result *r);

/* Decodes an unsigned result body (header included) into a new result. */
tsr_status tsr_results_result_decode(const void *buf, size_t len, tsr_result **out);

/* The batch rules of results.h on a batch in memory: TSR_ERR_ENCODING,
 * TSR_ERR_PAYOUT_ID, TSR_ERR_RANGE / TSR_ERR_TOO_LONG (names). */
tsr_status tsr_results_batch_check(const tsr_payout_batch *b);

/* A batch and room for n entries in one allocation (entries point inside). */
tsr_payout_batch *tsr_results_batch_alloc(uint32_t n);

#endif

/*
 * The canonical text of a JSON value: exactly the bytes of jansson's
 * json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY), streamed
 * without jansson's dump. The node hashes requests by these bytes for
 * idempotency, and hashes stored by older builds (made with json_dumps)
 * must keep matching, so the text is defined by that call, quirks and all:
 *   - object keys in memcmp order of their bytes, a prefix first;
 *   - strings escaped as jansson 2.14 does: \" \\ \b \f \n \r \t, other
 *     control characters as \u00XX with uppercase hex, '/' and DEL and
 *     non-ASCII (valid UTF-8) as they are;
 *   - integers as "%lld"; reals (which bets never carry) are handed to
 *     jansson itself, as are objects of more than TSR_JSON_CANON_KEYS_MAX
 *     keys and anything nested deeper than TSR_JSON_CANON_DEPTH_MAX.
 * It is several times cheaper than jansson's dump, which builds a sorted
 * key array on the heap and calls back a token at a time.
 */
#ifndef TESSERA_JSON_CANON_H
#define TESSERA_JSON_CANON_H

#include <jansson.h>

#include "tessera/status.h"

/* Objects up to this many members are sorted on the stack; a request body
 * has about ten. */
#define TSR_JSON_CANON_KEYS_MAX 32
/* Nesting walked here; deeper values (a request is two or three deep)
 * are dumped by jansson, which also finds containers that contain
 * themselves. */
#define TSR_JSON_CANON_DEPTH_MAX 32

/* Streams the canonical text of `j` (borrowed) into `sink`, in pieces of
 * any size, with `arg` as the sink's last argument; a sink returning
 * non-zero stops the walk. TSR_OK when the whole text went out;
 * TSR_ERR_ENCODING where json_dumps would give NULL (a string value that is
 * not valid UTF-8, a container inside itself, j NULL) or the sink refused
 * (then part of the text went out and is to be discarded). */
tsr_status tsr_json_canon(const json_t *j, json_dump_callback_t sink, void *arg) TSR_MUST_CHECK;

#endif

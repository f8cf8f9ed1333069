/*
 * Status codes: one list for the whole project, a name, a class and a
 * sentence for each (libuv UV_ERRNO_MAP, curl CURLcode).
 *
 * The list is split by area into status_<area>.h so that work on different
 * modules never edits the same lines; TSR_STATUS_LIST joins them in a fixed
 * order. The numeric values are not part of any wire format: the wire and
 * the logs carry the *name* (e.g. "TSR_ERR_CUTOFF"), so reordering is safe.
 *
 * The class decides how a code reaches a user: the CoAP response code of the
 * node API and the sysexits(3) exit code of the command-line tools.
 */
#ifndef TESSERA_STATUS_H
#define TESSERA_STATUS_H

#include "tessera/status_base.h"
#include "tessera/status_game.h"
#include "tessera/status_node.h"
#include "tessera/status_geo.h"
#include "tessera/status_stream.h"
#include "tessera/status_draw.h"

#define TSR_STATUS_LIST(X)                                                    \
    TSR_STATUS_LIST_BASE(X)                                                   \
    TSR_STATUS_LIST_GAME(X)                                                   \
    TSR_STATUS_LIST_NODE(X)                                                   \
    TSR_STATUS_LIST_GEO(X)                                                    \
    TSR_STATUS_LIST_STREAM(X)                                                 \
    TSR_STATUS_LIST_DRAW(X)

typedef enum tsr_status {
#define TSR_STATUS_ENUM_(name, klass, sentence) name,
    TSR_STATUS_LIST(TSR_STATUS_ENUM_)
#undef TSR_STATUS_ENUM_
    TSR_STATUS_COUNT_
} tsr_status;

/* How a status reaches a user; see tsr_status_class(). */
typedef enum tsr_status_class {
    TSR_CLASS_OK,          /* success: CoAP 2.xx, exit 0 */
    TSR_CLASS_INPUT,       /* malformed or invalid request: 4.00, EX_DATAERR */
    TSR_CLASS_AUTH,        /* not authenticated: 4.01, EX_NOPERM */
    TSR_CLASS_FORBIDDEN,   /* authenticated but not allowed: 4.03, EX_NOPERM */
    TSR_CLASS_NOT_FOUND,   /* no such resource: 4.04, EX_NOINPUT */
    TSR_CLASS_CONFLICT,    /* state conflict, replay with other body: 4.09 */
    TSR_CLASS_TOO_LARGE,   /* request too large: 4.13, EX_DATAERR */
    TSR_CLASS_RATE,        /* rate limit: 4.29 (RFC 8516), EX_TEMPFAIL */
    TSR_CLASS_BUSY,        /* saturated, retry later: 5.03 + Max-Age */
    TSR_CLASS_UNAVAILABLE, /* a dependency is down: 5.03, EX_UNAVAILABLE */
    TSR_CLASS_CONFIG,      /* bad configuration: EX_CONFIG */
    TSR_CLASS_IO,          /* disk or OS failure: 5.00, EX_IOERR */
    TSR_CLASS_INTERNAL     /* our bug: 5.00, EX_SOFTWARE */
} tsr_status_class;

/* Every fallible function returns tsr_status and its result must be used. */
#define TSR_MUST_CHECK __attribute__((warn_unused_result))

/* The sentence for a status ("betting is closed for this draw"); static. */
const char *tsr_status_str(tsr_status s);

/* The code's name ("TSR_ERR_CUTOFF"); static. Used on the wire and in logs. */
const char *tsr_status_name(tsr_status s);

/* The status whose name is `name`; TSR_ERR_NOT_FOUND when none is. */
tsr_status tsr_status_from_name(const char *name, tsr_status *out) TSR_MUST_CHECK;

/* The class of a status, which decides CoAP codes and exit codes. */
tsr_status_class tsr_status_class_of(tsr_status s);

/* The sysexits(3) code a command-line tool exits with for this status. */
int tsr_status_exit_code(tsr_status s);

/* The CoAP response code (class*100 + detail, e.g. 403) for this status. */
int tsr_status_coap_code(tsr_status s);

#endif

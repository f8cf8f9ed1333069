#include "tessera/status.h"

#include <string.h>
#include <sysexits.h>

typedef struct status_entry {
    const char *name;
    const char *sentence;
    tsr_status_class klass;
} status_entry;

static const status_entry entries[] = {
#define ENTRY_(name, klass, sentence) {#name, sentence, TSR_CLASS_##klass},
    TSR_STATUS_LIST(ENTRY_)
#undef ENTRY_
};

_Static_assert(sizeof entries / sizeof entries[0] == TSR_STATUS_COUNT_,
               "one entry per status code");

static const status_entry *entry_of(tsr_status s)
{
    if ((unsigned)s >= TSR_STATUS_COUNT_)
        return &entries[TSR_ERR_INTERNAL];
    return &entries[s];
}

const char *tsr_status_str(tsr_status s) { return entry_of(s)->sentence; }

const char *tsr_status_name(tsr_status s) { return entry_of(s)->name; }

tsr_status_class tsr_status_class_of(tsr_status s) { return entry_of(s)->klass; }

tsr_status tsr_status_from_name(const char *name, tsr_status *out)
{
    for (int i = 0; i < TSR_STATUS_COUNT_; i++) {
        if (strcmp(entries[i].name, name) == 0) {
            *out = (tsr_status)i;
            return TSR_OK;
        }
    }
    return TSR_ERR_NOT_FOUND;
}

int tsr_status_exit_code(tsr_status s)
{
    switch (tsr_status_class_of(s)) {
    case TSR_CLASS_OK: return 0;
    case TSR_CLASS_INPUT:
    case TSR_CLASS_CONFLICT:
    case TSR_CLASS_TOO_LARGE: return EX_DATAERR;
    case TSR_CLASS_AUTH:
    case TSR_CLASS_FORBIDDEN: return EX_NOPERM;
    case TSR_CLASS_NOT_FOUND: return EX_NOINPUT;
    case TSR_CLASS_RATE:
    case TSR_CLASS_BUSY: return EX_TEMPFAIL;
    case TSR_CLASS_UNAVAILABLE: return EX_UNAVAILABLE;
    case TSR_CLASS_CONFIG: return EX_CONFIG;
    case TSR_CLASS_IO: return EX_IOERR;
    case TSR_CLASS_INTERNAL: return EX_SOFTWARE;
    }
    return EX_SOFTWARE;
}

int tsr_status_coap_code(tsr_status s)
{
    switch (tsr_status_class_of(s)) {
    case TSR_CLASS_OK: return 205;
    case TSR_CLASS_INPUT: return 400;
    case TSR_CLASS_AUTH: return 401;
    case TSR_CLASS_FORBIDDEN: return 403;
    case TSR_CLASS_NOT_FOUND: return 404;
    case TSR_CLASS_CONFLICT: return 409;
    case TSR_CLASS_TOO_LARGE: return 413;
    case TSR_CLASS_RATE: return 429;
    case TSR_CLASS_BUSY:
    case TSR_CLASS_UNAVAILABLE: return 503;
    case TSR_CLASS_CONFIG:
    case TSR_CLASS_IO:
    case TSR_CLASS_INTERNAL: return 500;
    }
    return 500;
}

/* Status codes of the common base (see status.h for the format). */
#ifndef TESSERA_STATUS_BASE_H
#define TESSERA_STATUS_BASE_H

#define TSR_STATUS_LIST_BASE(X)                                                        \
    X(TSR_OK, OK, "ok")                                                                \
    X(TSR_ERR_INTERNAL, INTERNAL, "internal error")                                    \
    X(TSR_ERR_NOMEM, INTERNAL, "out of memory")                                        \
    X(TSR_ERR_IO, IO, "input/output error")                                            \
    X(TSR_ERR_DISK_FULL, IO, "the disk is full")                                       \
    X(TSR_ERR_ARG, INPUT, "invalid argument")                                          \
    X(TSR_ERR_PROTO, INPUT, "malformed request")                                       \
    X(TSR_ERR_JSON, INPUT, "malformed JSON")                                           \
    X(TSR_ERR_FIELD_MISSING, INPUT, "a required field is missing")                     \
    X(TSR_ERR_FIELD_UNKNOWN, INPUT, "unknown field")                                   \
    X(TSR_ERR_FIELD_TYPE, INPUT, "a field has the wrong type")                         \
    X(TSR_ERR_RANGE, INPUT, "a value is out of range")                                 \
    X(TSR_ERR_TOO_LARGE, TOO_LARGE, "the request is too large")                        \
    X(TSR_ERR_TOO_LONG, INPUT, "a text value is too long")                             \
    X(TSR_ERR_NOT_FOUND, NOT_FOUND, "not found")                                       \
    X(TSR_ERR_EXISTS, CONFLICT, "already exists")                                      \
    X(TSR_ERR_BUSY, BUSY, "the service is saturated, retry later")                     \
    X(TSR_ERR_UNAVAILABLE, UNAVAILABLE, "a service this needs is unavailable")          \
    X(TSR_ERR_TIMEOUT, UNAVAILABLE, "the operation timed out")                         \
    X(TSR_ERR_CONFIG, CONFIG, "invalid configuration")                                 \
    X(TSR_ERR_CONFIG_UNKNOWN_KEY, CONFIG, "unknown configuration key")                 \
    X(TSR_ERR_CONFIG_RANGE, CONFIG, "configuration value out of range")                \
    X(TSR_ERR_CONFIG_TYPE, CONFIG, "configuration value has the wrong type")           \
    X(TSR_ERR_OVERFLOW, INPUT, "amount overflows the money range")                     \
    X(TSR_ERR_MONEY_FORMAT, INPUT, "malformed amount")                                 \
    X(TSR_ERR_CLOCK_UNSYNCED, UNAVAILABLE, "the clock is not synchronized")            \
    X(TSR_ERR_CLOCK_BOUND, UNAVAILABLE, "the clock error bound is above the budget")   \
    X(TSR_ERR_RNG, INTERNAL, "the random number generator failed")                     \
    X(TSR_ERR_RNG_SEEDED, CONFIG, "a seeded RNG is refused outside tests")             \
    X(TSR_ERR_KEY_FILE, CONFIG, "the key file is missing or malformed")                \
    X(TSR_ERR_KEY_PERMS, CONFIG, "the private key file is readable by group or others") \
    X(TSR_ERR_KEY_UNKNOWN, FORBIDDEN, "the signing key is not known")                  \
    X(TSR_ERR_SIGNATURE, FORBIDDEN, "the signature does not verify")                   \
    X(TSR_ERR_ENCODING, INPUT, "malformed canonical encoding")                         \
    X(TSR_ERR_VERSION, INPUT, "unsupported encoding version")                          \
    X(TSR_ERR_MERKLE_PROOF, FORBIDDEN, "the inclusion proof does not verify")          \
    X(TSR_ERR_TOKEN_EXPIRED, FORBIDDEN, "the cutoff token has expired")                \
    X(TSR_ERR_TOKEN_INCONSISTENT, INPUT, "the cutoff token's times are inconsistent")  \
    X(TSR_ERR_BEACON_STALE, FORBIDDEN, "the time beacon is too old")                   \
    X(TSR_ERR_BEACON_SKEW, UNAVAILABLE, "the local clock disagrees with the time beacon") \
    X(TSR_ERR_BATCH_INCONSISTENT, INPUT, "the batch's sequence numbers, count or node are inconsistent") \
    X(TSR_ERR_USAGE, INPUT, "invalid command-line usage")

#endif

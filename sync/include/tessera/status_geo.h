/* Status codes of the geo area (see status.h for the format). */
#ifndef TESSERA_STATUS_GEO_H
#define TESSERA_STATUS_GEO_H

#define TSR_STATUS_LIST_GEO(X)                                                          \
    X(TSR_ERR_GEO_DATA, CONFIG, "the boundary file is missing or malformed")            \
    X(TSR_ERR_GEO_RULES, CONFIG, "the jurisdiction rules file is invalid")              \
    X(TSR_ERR_GEO_DIRECTORY, CONFIG, "the region directory is invalid")                 \
    X(TSR_ERR_GEO_CIDR, CONFIG, "a CIDR list is malformed")                             \
    X(TSR_ERR_GEO_UNKNOWN_JURISDICTION, NOT_FOUND, "unknown jurisdiction")              \
    X(TSR_ERR_GEO_COORD, INPUT, "latitude or longitude out of range")                   \
    X(TSR_ERR_GEO_IP_INVALID, INPUT, "malformed IP address")                            \
    X(TSR_ERR_GEO_OUTSIDE, FORBIDDEN, "the location is outside the permitted jurisdictions") \
    X(TSR_ERR_GEO_BORDER, FORBIDDEN,                                                    \
      "the location's accuracy radius crosses a border: a better fix is needed")        \
    X(TSR_ERR_GEO_ACCURACY, FORBIDDEN, "the location fix is not precise enough")        \
    X(TSR_ERR_GEO_STALE, FORBIDDEN, "the location fix is too old")                      \
    X(TSR_ERR_GEO_FIX_FUTURE, FORBIDDEN, "the location fix is dated in the future")     \
    X(TSR_ERR_GEO_MOCK, FORBIDDEN, "the device reports a mock or spoofed location")     \
    X(TSR_ERR_GEO_TRAVEL, FORBIDDEN, "impossible travel since the previous location report") \
    X(TSR_ERR_GEO_IP_BLOCKED, FORBIDDEN,                                                \
      "the IP address is in a blocked range (data centre, VPN or proxy)")               \
    X(TSR_ERR_GEO_IP_COUNTRY, FORBIDDEN, "the IP address's country does not match the location") \
    X(TSR_ERR_GEO_RECHECK, FORBIDDEN, "the location check has expired: a new check is needed") \
    X(TSR_ERR_GEO_NO_NODE, NOT_FOUND, "no node serves this location")

#endif

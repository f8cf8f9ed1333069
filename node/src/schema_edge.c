/*
 * The edge module's tables of schema v1 (edge.h: geolocation state,
 * notification read marks). store.c runs this DDL in migration 1 after
 * the core, accounts and sync DDL, in the same transaction.
 */
#include "store.h"

const char *const tsr_schema_edge_v1 =
    /* Each online player's geolocation state (tsr_geo_state as JSON): the
     * last genuine fix (the anchor of the impossible-travel check) and the
     * last pass with its validity, so a restart keeps the re-check policy.
     * The decisions themselves are in the audit log. */
    "CREATE TABLE geo_state ("
    "  player_id INTEGER PRIMARY KEY,"
    "  state TEXT NOT NULL,"
    "  updated_at_ns INTEGER NOT NULL);"
    /* How far each player has read their notifications: rows of
     * `notifications` with a larger id are unread. */
    "CREATE TABLE notification_reads ("
    "  player_id INTEGER PRIMARY KEY,"
    "  last_read_id INTEGER NOT NULL,"
    "  updated_at_ns INTEGER NOT NULL);";

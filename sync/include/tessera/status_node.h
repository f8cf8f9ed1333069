/* Status codes of the node area (see status.h for the format).
 * Two sections: core (server, store, bets, cutoff, seal, cancel) and
 * accounts (players, sessions, wallet, limits, exclusions, claims). Each
 * engineer appends to their own section only. */
#ifndef TESSERA_STATUS_NODE_H
#define TESSERA_STATUS_NODE_H

#define TSR_STATUS_LIST_NODE(X)                                                          \
    /* core */                                                                           \
    X(TSR_ERR_DB_NEWER, CONFIG, "the database was written by a newer schema")            \
    X(TSR_ERR_METHOD, INPUT, "this method is not allowed on this resource")              \
    X(TSR_ERR_UNAUTHENTICATED, AUTH, "this request needs a session or a terminal identity") \
    X(TSR_ERR_FORBIDDEN_CALLER, FORBIDDEN, "this kind of caller may not use this resource") \
    X(TSR_ERR_IDEMPOTENT_MISMATCH, CONFLICT, "the idempotency key was used with a different request") \
    X(TSR_ERR_SHUTTING_DOWN, UNAVAILABLE, "the node is shutting down")                  \
    X(TSR_ERR_AUDIT_CHAIN, INTERNAL, "the audit chain does not verify")                \
    X(TSR_ERR_NO_TOKEN, FORBIDDEN, "the node holds no valid cutoff token for this draw") \
    X(TSR_ERR_SALES_CLOSED, FORBIDDEN, "betting is closed for this draw")              \
    X(TSR_ERR_SALES_NOT_OPEN, FORBIDDEN, "sales for this draw have not opened yet")    \
    X(TSR_ERR_STAKE_LIMIT, FORBIDDEN, "the stake is above the house limit")            \
    X(TSR_ERR_NOT_CANCELLABLE, FORBIDDEN, "this game does not allow cancelling tickets") \
    X(TSR_ERR_VOID_WINDOW, FORBIDDEN, "the void window for this ticket has passed")    \
    X(TSR_ERR_NOT_SELLER, FORBIDDEN, "only the terminal that sold the ticket may cancel it") \
    X(TSR_ERR_CANCELLED, CONFLICT, "the ticket is already cancelled")                  \
    X(TSR_ERR_DRAW_SEALED, CONFLICT, "the draw is already sealed")                     \
    /* accounts */

#endif

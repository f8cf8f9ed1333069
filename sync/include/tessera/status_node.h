/* Status codes of the node area (see status.h for the format). */
#ifndef TESSERA_STATUS_NODE_H
#define TESSERA_STATUS_NODE_H

#define TSR_STATUS_LIST_NODE(X)                                                        \
    /* accounts */                                                                     \
    X(TSR_ERR_UNDERAGE, FORBIDDEN, "the player is below the legal age of the jurisdiction") \
    X(TSR_ERR_DATE, INPUT, "malformed date (expected YYYY-MM-DD)")                     \
    X(TSR_ERR_JURISDICTION, INPUT, "malformed or unknown jurisdiction")                \
    X(TSR_ERR_DOCUMENT, INPUT, "malformed identity document number")                   \
    X(TSR_ERR_USERNAME, INPUT, "malformed username")                                   \
    X(TSR_ERR_PASSWORD_WEAK, INPUT, "the password is too short or too long")           \
    X(TSR_ERR_PIN_FORMAT, INPUT, "the PIN must be 4 to 8 digits")                      \
    X(TSR_ERR_USERNAME_TAKEN, CONFLICT, "the username is already registered")          \
    X(TSR_ERR_DOCUMENT_TAKEN, CONFLICT, "the identity document is already registered") \
    X(TSR_ERR_CREDENTIALS, AUTH, "wrong username or password")                         \
    X(TSR_ERR_ACCOUNT_LOCKED, FORBIDDEN, "the account is locked after failed logins; an operator must unlock it") \
    X(TSR_ERR_SESSION_INVALID, AUTH, "the session token is unknown or forged")          \
    X(TSR_ERR_SESSION_EXPIRED, AUTH, "the session has expired; log in again")          \
    X(TSR_ERR_SESSION_KIND, FORBIDDEN, "this kind of session cannot do that")          \
    X(TSR_ERR_TERMINAL_IDENTITY, AUTH, "the terminal identity is missing or unknown")  \
    X(TSR_ERR_KYC_PENDING, FORBIDDEN, "identity verification is still pending")        \
    X(TSR_ERR_KYC_REJECTED, FORBIDDEN, "identity verification was rejected")           \
    X(TSR_ERR_FUNDS, FORBIDDEN, "insufficient funds")                                  \
    X(TSR_ERR_FLOAT_FUNDS, FORBIDDEN, "the agent float does not cover this")           \
    X(TSR_ERR_LIMIT_EXCEEDED, FORBIDDEN, "this exceeds the player's limit")            \
    X(TSR_ERR_SELF_EXCLUDED, FORBIDDEN, "the player is self-excluded")                 \
    X(TSR_ERR_COOL_OFF, FORBIDDEN, "the player is in a cool-off period")               \
    X(TSR_ERR_EXCLUSION_SHORTER, CONFLICT, "an active exclusion cannot be shortened or undone") \
    X(TSR_ERR_LEDGER_UNBALANCED, INTERNAL, "a ledger transaction does not balance")     \
    X(TSR_ERR_LEDGER_NEGATIVE, INTERNAL, "an account balance that must not be negative is negative") \
    X(TSR_ERR_LEDGER_DRIFT, INTERNAL, "an account balance differs from the sum of its entries") \
    X(TSR_ERR_PSP_REPLAY, CONFLICT, "the provider transaction id was already used with other content") \
    X(TSR_ERR_PSP_STATE, CONFLICT, "the payment request is already settled")           \
    X(TSR_ERR_PAYOUT_CONFLICT, CONFLICT, "the payout id was already applied with other content") \
    X(TSR_ERR_CLAIM_PAID, CONFLICT, "this ticket has already been paid")               \
    X(TSR_ERR_CLAIM_NO_PRIZE, NOT_FOUND, "this ticket has no prize payable (yet)")     \
    X(TSR_ERR_CLAIM_CENTRE, FORBIDDEN, "this prize must be claimed at a claim centre") \
    X(TSR_ERR_CLAIM_ONLINE, FORBIDDEN, "this prize was credited to the player's wallet") \
    X(TSR_ERR_CLAIM_CHECK, NOT_FOUND, "no ticket has this serial and validation code") \
    X(TSR_ERR_CLAIM_RATE, RATE, "too many wrong validation codes from this terminal; wait and try again") \
    X(TSR_ERR_DB_NOT_NODE, CONFIG, "the file is not a tessera-node database of this schema version") \
    /* core */                                                                         \
    X(TSR_ERR_DB_NEWER, CONFIG, "the database was written by a newer schema")          \
    X(TSR_ERR_METHOD, INPUT, "this method is not allowed on this resource")            \
    X(TSR_ERR_UNAUTHENTICATED, AUTH, "this request needs a session or a terminal identity") \
    X(TSR_ERR_FORBIDDEN_CALLER, FORBIDDEN, "this kind of caller may not use this resource") \
    X(TSR_ERR_IDEMPOTENT_MISMATCH, CONFLICT, "the idempotency key was used with a different request") \
    X(TSR_ERR_SHUTTING_DOWN, UNAVAILABLE, "the node is shutting down")                \
    X(TSR_ERR_AUDIT_CHAIN, INTERNAL, "the audit chain does not verify")              \
    X(TSR_ERR_NO_TOKEN, FORBIDDEN, "the node holds no valid cutoff token for this draw") \
    X(TSR_ERR_SALES_CLOSED, FORBIDDEN, "betting is closed for this draw")            \
    X(TSR_ERR_SALES_NOT_OPEN, FORBIDDEN, "sales for this draw have not opened yet")  \
    X(TSR_ERR_STAKE_LIMIT, FORBIDDEN, "the stake is above the house limit")          \
    X(TSR_ERR_NOT_CANCELLABLE, FORBIDDEN, "this game does not allow cancelling tickets") \
    X(TSR_ERR_VOID_WINDOW, FORBIDDEN, "the void window for this ticket has passed")  \
    X(TSR_ERR_NOT_SELLER, FORBIDDEN, "only the terminal that sold the ticket may cancel it") \
    X(TSR_ERR_CANCELLED, CONFLICT, "the ticket is already cancelled")                \
    X(TSR_ERR_DRAW_SEALED, CONFLICT, "the draw is already sealed")                  \
    /* sync (relay glue, control apply) */                                             \
    X(TSR_ERR_CONTROL_REFUSED, FORBIDDEN, "a control message from central conflicts with what the node holds") \
    /* nodefinish (geo, jurisdiction rules, rate limits) */                            \
    X(TSR_ERR_GEO_WRONG_NODE, FORBIDDEN, "this location is served by another node")   \
    X(TSR_ERR_TERMINAL_LOCATION, FORBIDDEN,                                             \
      "this terminal has no registered location in the node's jurisdiction")           \
    X(TSR_ERR_JURISDICTION_CHANNEL, FORBIDDEN,                                          \
      "the jurisdiction does not allow this sales channel")                            \
    X(TSR_ERR_JURISDICTION_GAME, FORBIDDEN, "this game is not allowed in the jurisdiction") \
    X(TSR_ERR_JURISDICTION_BET_CAP, FORBIDDEN,                                          \
      "the stake is above the jurisdiction's limit per bet")                           \
    X(TSR_ERR_JURISDICTION_DAY_CAP, FORBIDDEN,                                          \
      "the stake would take the day's stakes above the jurisdiction's daily limit")     \
    X(TSR_ERR_RATE_LIMITED, RATE, "too many requests: retry after Max-Age seconds")     \
    X(TSR_ERR_DISK_SYNC, IO,                                                            \
      "the node could not sync its database to disk and takes no writes until restarted")

#endif

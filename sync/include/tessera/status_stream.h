/* Status codes of the stream area (see status.h for the format). */
#ifndef TESSERA_STATUS_STREAM_H
#define TESSERA_STATUS_STREAM_H

#define TSR_STATUS_LIST_STREAM(X)                                                          \
    X(TSR_ERR_JS, UNAVAILABLE, "the JetStream request failed")                             \
    X(TSR_ERR_JS_STREAM_CONFIG, CONFIG, "an existing stream has an incompatible configuration") \
    X(TSR_ERR_TICKET_CONFLICT, CONFLICT, "an entry arrived again with different content")   \
    X(TSR_ERR_BATCH_NODE, FORBIDDEN, "the batch was published on another node's subject")  \
    X(TSR_ERR_RECEIPT_CHAIN, CONFLICT, "central's receipt does not match the node's outbox") \
    X(TSR_ERR_SEAL_MISMATCH, CONFLICT, "the seal disagrees with what central holds")        \
    X(TSR_ERR_DRAW_NOT_READY, CONFLICT, "the draw is not reconciled on every active node")  \
    X(TSR_ERR_NODE_UNKNOWN, NOT_FOUND, "no such node is configured at central")

#endif

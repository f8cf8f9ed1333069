/* Status codes of the draw area (see status.h for the format). */
#ifndef TESSERA_STATUS_DRAW_H
#define TESSERA_STATUS_DRAW_H

#define TSR_STATUS_LIST_DRAW(X)                                                              \
    X(TSR_ERR_DRAW_SHAPE, INPUT, "the draw shape is invalid")                                \
    X(TSR_ERR_DRBG, INTERNAL, "the HMAC_DRBG failed")                                        \
    X(TSR_ERR_DRAW_MANIFEST, INPUT, "the draw manifest is inconsistent")                     \
    X(TSR_ERR_DRAW_MISMATCH, FORBIDDEN, "the draw record does not verify")                   \
    X(TSR_ERR_DRAW_COMMITMENT, FORBIDDEN, "a revealed seed does not match its commitment")   \
    X(TSR_ERR_DRAW_AUTHORITY, FORBIDDEN, "the record is not signed by the pinned draw-authority key") \
    X(TSR_ERR_WITNESS_TOO_EARLY, FORBIDDEN, "the witness reveals only after the draw's signed manifest and cutoff") \
    X(TSR_ERR_WITNESS_NOT_COMMITTED, FORBIDDEN, "the witness made no commitment for this draw") \
    X(TSR_ERR_WITNESS_NOT_LISTED, FORBIDDEN, "the manifest does not carry this witness's commitment") \
    X(TSR_ERR_WITNESS_REVEALED, CONFLICT, "the witness already revealed this draw for another manifest") \
    /* lifecycle */                                                                          \
    X(TSR_ERR_PAYOUT_ID, INPUT, "a payout id is not the hash of its game, draw, ticket and kind") \
    X(TSR_ERR_RESULT_RECORD, FORBIDDEN, "the result's draw record does not match the result") \
    X(TSR_ERR_DAY_STATE, CONFLICT, "the draw is not in the state this step needs")          \
    X(TSR_ERR_DAY_WAITING, BUSY, "the draw's next step is waiting for something (see its status)") \
    X(TSR_ERR_DAY_NO_DRAW, NOT_FOUND, "central has no such draw in its lifecycle")           \
    X(TSR_ERR_CLAIM_DONE, CONFLICT, "this payout was already claimed")                      \
    X(TSR_ERR_CLAIM_CLASS, FORBIDDEN, "this payout is not payable at a claim centre")

#endif

/*
 * KYC: the identity verifier interface. The node asks it at registration;
 * an external service may answer "pending" and decide later through
 * tsr_players_set_kyc. No betting or deposit until the player is verified.
 */
#ifndef TSR_NODE_KYC_H
#define TSR_NODE_KYC_H

#include <stddef.h>
#include <stdint.h>

#include "players.h"

/* Bytes of a verifier's reason text, NUL included. */
#define TSR_KYC_REASON_MAX 128
/* The default verifier's document format: 6..20 of [A-Z0-9]. */
#define TSR_KYC_DOCUMENT_MIN 6
#define TSR_KYC_DOCUMENT_MAX 20

typedef struct tsr_kyc_verifier {
    const char *name; /* static */
    void *ctx;        /* borrowed by verify */
    /* Decides on a registration; writes a reason for a rejection into
     * reason (reason_len bytes). Runs on the writer thread: must not block
     * (a remote verifier answers PENDING and calls back later). */
    tsr_kyc_state (*verify)(void *ctx, const tsr_player_reg *reg, int legal_age, int64_t now_ns,
                            char *reason, size_t reason_len);
} tsr_kyc_verifier;

/* The built-in verifier: VERIFIED when the document number has the format
 * above and the age is at least the jurisdiction's legal age, else
 * REJECTED with the reason. Static. */
const tsr_kyc_verifier *tsr_kyc_default(void);

#endif

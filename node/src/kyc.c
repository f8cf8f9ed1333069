#include "kyc.h"

#include <stdio.h>
#include <string.h>

static bool document_format_ok(const char *d)
{
    size_t n = strlen(d);
    if (n < TSR_KYC_DOCUMENT_MIN || n > TSR_KYC_DOCUMENT_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((d[i] >= 'A' && d[i] <= 'Z') || (d[i] >= '0' && d[i] <= '9')))
            return false;
    return true;
}

static tsr_kyc_state default_verify(void *ctx, const tsr_player_reg *reg, int legal_age,
                                    int64_t now_ns, char *reason, size_t reason_len)
{
    (void)ctx;
    int age = 0;
    if (!document_format_ok(reg->document_no)) {
        snprintf(reason, reason_len, "document number is not %d..%d of A-Z 0-9",
                 TSR_KYC_DOCUMENT_MIN, TSR_KYC_DOCUMENT_MAX);
        return TSR_KYC_REJECTED;
    }
    if (tsr_players_age(reg->birth_date, now_ns, &age) != TSR_OK || age < legal_age) {
        snprintf(reason, reason_len, "below the legal age %d", legal_age);
        return TSR_KYC_REJECTED;
    }
    return TSR_KYC_VERIFIED;
}

static const tsr_kyc_verifier default_verifier = {"format-and-age", NULL, default_verify};

const tsr_kyc_verifier *tsr_kyc_default(void) { return &default_verifier; }

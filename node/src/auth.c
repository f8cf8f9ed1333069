#include "auth.h"

#include <sodium.h>
#include <string.h>

_Static_assert(TSR_SECRET_HASH_SIZE == crypto_pwhash_STRBYTES, "Argon2id string size");

tsr_status tsr_auth_password_check(const char *pw)
{
    size_t n = pw ? strlen(pw) : 0;
    return n >= TSR_PASSWORD_MIN && n <= TSR_PASSWORD_MAX ? TSR_OK : TSR_ERR_PASSWORD_WEAK;
}

tsr_status tsr_auth_pin_check(const char *pin)
{
    size_t n = pin ? strlen(pin) : 0;
    if (n < TSR_PIN_MIN || n > TSR_PIN_MAX)
        return TSR_ERR_PIN_FORMAT;
    for (size_t i = 0; i < n; i++)
        if (pin[i] < '0' || pin[i] > '9')
            return TSR_ERR_PIN_FORMAT;
    return TSR_OK;
}

tsr_status tsr_auth_hash(const tsr_accounts_cfg *cfg, const char *secret,
                         char out[TSR_SECRET_HASH_SIZE])
{
    if (sodium_init() < 0)
        return TSR_ERR_INTERNAL;
    if (crypto_pwhash_str_alg(out, secret, strlen(secret), (unsigned long long)cfg->pwhash_ops,
                              (size_t)cfg->pwhash_mem_kib * 1024u,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return TSR_ERR_NOMEM;
    return TSR_OK;
}

bool tsr_auth_verify(const char *hash, const char *secret)
{
    if (sodium_init() < 0 || !hash || !secret)
        return false;
    return crypto_pwhash_str_verify(hash, secret, strlen(secret)) == 0;
}

void tsr_auth_verify_dummy(const tsr_accounts_cfg *cfg, const char *secret)
{
    /* Hashing costs what verifying costs: both run Argon2id once. */
    char h[TSR_SECRET_HASH_SIZE];
    tsr_status st = tsr_auth_hash(cfg, secret, h);
    (void)st;
}

/*
 * Secrets of players (passwords) and agents (PINs): Argon2id through
 * libsodium's crypto_pwhash_str, with the cost from the config. Hashing and
 * verifying are slow on purpose (tens of ms): never on the CoAP thread —
 * the auth worker runs them, then hands the job to the writer.
 */
#ifndef TSR_NODE_AUTH_H
#define TSR_NODE_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "players.h"
#include "tessera/status.h"

/* Password length in bytes: 10 (NIST SP 800-63B asks at least 8) up to
 * 128, far below anything that makes hashing a denial of service. */
#define TSR_PASSWORD_MIN 10
#define TSR_PASSWORD_MAX 128
/* A PIN is 4..8 digits, typed on a shop terminal. */
#define TSR_PIN_MIN 4
#define TSR_PIN_MAX 8
/* Bytes of an Argon2id string (crypto_pwhash_STRBYTES), NUL included. */
#define TSR_SECRET_HASH_SIZE 128

/* TSR_ERR_PASSWORD_WEAK when pw is shorter or longer than allowed. */
tsr_status tsr_auth_password_check(const char *pw) TSR_MUST_CHECK;

/* TSR_ERR_PIN_FORMAT unless pin is TSR_PIN_MIN..TSR_PIN_MAX digits. */
tsr_status tsr_auth_pin_check(const char *pin) TSR_MUST_CHECK;

/* Hashes a secret with Argon2id at the config's cost into out
 * (TSR_SECRET_HASH_SIZE bytes). TSR_ERR_NOMEM when the memory cost cannot
 * be allocated. Slow; thread-safe. */
tsr_status tsr_auth_hash(const tsr_accounts_cfg *cfg, const char *secret,
                         char out[TSR_SECRET_HASH_SIZE]) TSR_MUST_CHECK;

/* True when secret matches the Argon2id string hash. Slow; thread-safe. */
bool tsr_auth_verify(const char *hash, const char *secret);

/* Burns the same time as a verify for an unknown user, so a login for a
 * missing username does not answer faster than a wrong password. */
void tsr_auth_verify_dummy(const tsr_accounts_cfg *cfg, const char *secret);

#endif

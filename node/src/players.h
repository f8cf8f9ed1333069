/*
 * Players: registration (name, date of birth, address, jurisdiction,
 * identity document), the legal age of each jurisdiction, KYC state, and
 * the accounts context every accounts function takes (config, clock/RNG
 * seams, KYC verifier).
 */
#ifndef TSR_NODE_PLAYERS_H
#define TSR_NODE_PLAYERS_H

#include <jansson.h>
#include "store.h"
#include <stdbool.h>
#include <stdint.h>

#include "tessera/env.h"
#include "tessera/status.h"

/* Field limits of a registration (characters, NUL excluded); a request
 * beyond them is refused with TSR_ERR_TOO_LONG. */
#define TSR_USERNAME_MIN 3
#define TSR_USERNAME_MAX 32
#define TSR_PERSON_NAME_MAX 128
#define TSR_ADDRESS_MAX 256
#define TSR_JURISDICTION_MAX 8 /* ISO 3166-1 alpha-2 plus "-" and up to 3 */
#define TSR_DOCUMENT_MAX 32
#define TSR_BIRTH_DATE_LEN 10  /* YYYY-MM-DD */
/* Default legal age where the config names none (the brief: 18). */
#define TSR_LEGAL_AGE_DEFAULT 18
/* Failed logins that lock an account (the regulator's rule: 3). */
#define TSR_LOGIN_FAILURES_MAX 3
/* Jurisdictions with their own legal age in the config. */
#define TSR_JURISDICTIONS_MAX 64

/* The accounts section of the node config ("accounts": {...}). */
typedef struct tsr_accounts_cfg {
    int64_t legal_age_default;   /* years */
    json_t *legal_ages;          /* owned: {"US-NJ": 21, ...} */
    int64_t pwhash_ops;          /* Argon2id passes (OWASP: 2) */
    int64_t pwhash_mem_kib;      /* Argon2id memory (OWASP: 19456 KiB) */
    int64_t session_ttl_s;       /* absolute session lifetime */
    int64_t session_idle_s;      /* inactivity timeout */
    int64_t limit_raise_delay_s; /* cooling period before a raised limit applies */
    int64_t self_exclusion_min_days, self_exclusion_max_days;
    int64_t cool_off_min_hours, cool_off_max_hours;
    char psp_provider[32];       /* "sandbox" */
    char psp_secret_hex[65];     /* HMAC-SHA256 key shared with the provider, 32 bytes hex */
    int64_t claim_check_failures_max; /* wrong validation codes a terminal may send per window */
    int64_t claim_check_window_s;     /* ... and the window (then 4.29 until it ends) */
    char claim_centre[128];           /* where a claim-centre prize is paid (told to the till) */
} tsr_accounts_cfg;

/* Loads the accounts config from obj (borrowed; NULL means all defaults)
 * through the config table; err names the bad key. Also TSR_ERR_CONFIG when
 * legal_ages is not a map of jurisdiction → age in 14..25 or the secret is
 * not 64 hex characters. Free with tsr_accounts_cfg_free even on failure. */
tsr_status tsr_accounts_cfg_load(const json_t *obj, tsr_accounts_cfg *out, char *err,
                                 size_t errlen) TSR_MUST_CHECK;
void tsr_accounts_cfg_free(tsr_accounts_cfg *c);

struct tsr_kyc_verifier;

/* Everything accounts functions need besides the database: borrowed. */
typedef struct tsr_accounts {
    const tsr_accounts_cfg *cfg;
    tsr_env env;                         /* clock, rng (tokens), log */
    const struct tsr_kyc_verifier *kyc;  /* NULL: tsr_kyc_default() */
} tsr_accounts;

/* A registration request (copied strings, NUL-terminated). */
typedef struct tsr_player_reg {
    char username[TSR_USERNAME_MAX + 1];
    char name[TSR_PERSON_NAME_MAX + 1];
    char birth_date[TSR_BIRTH_DATE_LEN + 1];
    char address[TSR_ADDRESS_MAX + 1];
    char jurisdiction[TSR_JURISDICTION_MAX + 1];
    char document_no[TSR_DOCUMENT_MAX + 1];
} tsr_player_reg;

typedef enum tsr_kyc_state { TSR_KYC_PENDING, TSR_KYC_VERIFIED, TSR_KYC_REJECTED } tsr_kyc_state;

/* A player as stored (no password hash). */
typedef struct tsr_player_info {
    int64_t id;
    char username[TSR_USERNAME_MAX + 1];
    char jurisdiction[TSR_JURISDICTION_MAX + 1];
    tsr_kyc_state kyc;
    bool locked;
    int64_t failed_logins;
    int64_t created_at_ns;
    int64_t last_login_at_ns; /* 0: never */
} tsr_player_info;

/* "pending", "verified", "rejected"; static. */
const char *tsr_kyc_state_name(tsr_kyc_state s);

/* The legal age of a jurisdiction: its config entry, else the default. */
int tsr_players_legal_age(const tsr_accounts_cfg *cfg, const char *jurisdiction);

/* Age in whole years on the UTC day of now_ns of someone born on `birth`
 * (YYYY-MM-DD, a real calendar date, 1900 or later, not in the future):
 * TSR_ERR_DATE otherwise. */
tsr_status tsr_players_age(const char *birth, int64_t now_ns, int *years) TSR_MUST_CHECK;

/* Checks a registration without touching the database: TSR_ERR_USERNAME
 * ([a-z0-9_.-], 3..32), TSR_ERR_FIELD_MISSING (empty name/address),
 * TSR_ERR_ARG (control characters), TSR_ERR_DATE, TSR_ERR_JURISDICTION
 * (AA or AA-XXX, uppercase), TSR_ERR_DOCUMENT (empty or control
 * characters), TSR_ERR_UNDERAGE. Cheap: run it on the CoAP thread before
 * hashing the password. */
tsr_status tsr_players_validate(const tsr_accounts *a, const tsr_player_reg *r,
                                int64_t now_ns) TSR_MUST_CHECK;

/* Registers a player (validates again, inserts, runs the KYC verifier) with
 * the Argon2id string pw_hash (borrowed). Fills *out. TSR_ERR_USERNAME_TAKEN,
 * TSR_ERR_DOCUMENT_TAKEN, the validation codes, SQLite failures. */
tsr_status tsr_players_register(const tsr_accounts *a, tsr_store_conn *db, const tsr_player_reg *r,
                                const char *pw_hash, int64_t now_ns,
                                tsr_player_info *out) TSR_MUST_CHECK;

/* Reads a player; TSR_ERR_NOT_FOUND when there is none. */
tsr_status tsr_players_get(tsr_store_conn *db, int64_t player_id, tsr_player_info *out) TSR_MUST_CHECK;

/* Operator unlock: clears the lock and the failure count. TSR_ERR_NOT_FOUND. */
tsr_status tsr_players_unlock(tsr_store_conn *db, int64_t player_id) TSR_MUST_CHECK;

/* Sets the KYC state (an asynchronous verifier's answer or an operator's
 * decision); reason may be NULL. TSR_ERR_NOT_FOUND. */
tsr_status tsr_players_set_kyc(tsr_store_conn *db, int64_t player_id, tsr_kyc_state s,
                               const char *reason) TSR_MUST_CHECK;

/* TSR_OK when the player is verified, else TSR_ERR_KYC_PENDING,
 * TSR_ERR_KYC_REJECTED or TSR_ERR_NOT_FOUND: no betting or deposit before. */
tsr_status tsr_players_require_verified(tsr_store_conn *db, int64_t player_id) TSR_MUST_CHECK;

#endif

#include "players.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kyc.h"
#include "ledger_sql.h"
#include "tessera/clock.h"
#include "tessera/config.h"
#include "tessera/hash.h"

static const tsr_cfg_field cfg_fields[] = {
    TSR_CFG_INT(tsr_accounts_cfg, legal_age_default, "legal_age_default", 14, 25,
                TSR_LEGAL_AGE_DEFAULT, "legal age where legal_ages names no jurisdiction"),
    TSR_CFG_JSON(tsr_accounts_cfg, legal_ages, "legal_ages", JSON_OBJECT, false,
                 "legal age per jurisdiction, e.g. {\"US-NJ\": 21}"),
    /* OWASP's Argon2id minimum (m=19 MiB, t=2, p=1): a login peak on two
     * cores must not queue for seconds, see DESIGN.md. */
    TSR_CFG_INT(tsr_accounts_cfg, pwhash_ops, "pwhash_ops", 1, 10, 2, "Argon2id passes"),
    TSR_CFG_INT(tsr_accounts_cfg, pwhash_mem_kib, "pwhash_mem_kib", 8, 1048576, 19456,
                "Argon2id memory in KiB"),
    TSR_CFG_INT(tsr_accounts_cfg, session_ttl_s, "session_ttl_s", 60, 30 * 86400, 86400,
                "absolute lifetime of a session"),
    TSR_CFG_INT(tsr_accounts_cfg, session_idle_s, "session_idle_s", 30, 86400, 1800,
                "a session unused this long expires"),
    TSR_CFG_INT(tsr_accounts_cfg, limit_raise_delay_s, "limit_raise_delay_s", 0, 30 * 86400,
                86400, "cooling period before a raised limit applies (lowering is immediate)"),
    TSR_CFG_INT(tsr_accounts_cfg, self_exclusion_min_days, "self_exclusion_min_days", 1, 3650,
                1, "shortest self-exclusion"),
    TSR_CFG_INT(tsr_accounts_cfg, self_exclusion_max_days, "self_exclusion_max_days", 1, 36500,
                3650, "longest self-exclusion"),
    TSR_CFG_INT(tsr_accounts_cfg, cool_off_min_hours, "cool_off_min_hours", 1, 8760, 24,
                "shortest cool-off"),
    TSR_CFG_INT(tsr_accounts_cfg, cool_off_max_hours, "cool_off_max_hours", 1, 8760, 42 * 24,
                "longest cool-off"),
    TSR_CFG_STR(tsr_accounts_cfg, psp_provider, "psp_provider", 1, "sandbox",
                "payment provider: sandbox"),
    /* 5 wrong codes per 15 minutes is 480 a day: finding a 6-digit code
     * (half of a million guesses on average) takes about three years from one
     * terminal, longer than a prize stays claimable, while a mistyped code or
     * two at a busy till never locks it out. */
    TSR_CFG_INT(tsr_accounts_cfg, claim_check_failures_max, "claim_check_failures_max", 1, 100, 5,
                "wrong ticket validation codes a terminal may send per window"),
    TSR_CFG_INT(tsr_accounts_cfg, claim_check_window_s, "claim_check_window_s", 1, 86400, 900,
                "window of claim_check_failures_max (then 4.29 until it ends)"),
    TSR_CFG_STR(tsr_accounts_cfg, claim_centre, "claim_centre", 1, "a claim centre of the operator",
                "where a claim-centre prize is paid, as told to the till"),
    {"psp_secret", TSR_CFG_TYPE_STRING, 0, 0, 0, "", offsetof(tsr_accounts_cfg, psp_secret_hex),
     sizeof(((tsr_accounts_cfg *)0)->psp_secret_hex), false, true,
     "HMAC-SHA256 key of provider callbacks, 64 hex characters; empty refuses callbacks"},
};
#define CFG_N (sizeof cfg_fields / sizeof cfg_fields[0])

static bool jurisdiction_ok(const char *j);

static tsr_status legal_ages_check(const json_t *ages, char *err, size_t errlen)
{
    const char *k;
    json_t *v;
    if (json_object_size(ages) > TSR_JURISDICTIONS_MAX) {
        snprintf(err, errlen, "legal_ages: at most %d jurisdictions", TSR_JURISDICTIONS_MAX);
        return TSR_ERR_CONFIG;
    }
    json_object_foreach((json_t *)ages, k, v) {
        if (!jurisdiction_ok(k) || !json_is_integer(v) || json_integer_value(v) < 14 ||
            json_integer_value(v) > 25) {
            snprintf(err, errlen, "legal_ages.%s: a jurisdiction like US-NJ and an age 14..25", k);
            return TSR_ERR_CONFIG;
        }
    }
    return TSR_OK;
}

tsr_status tsr_accounts_cfg_load(const json_t *obj, tsr_accounts_cfg *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    json_t *empty = obj ? NULL : json_object();
    tsr_status st = tsr_config_apply(obj ? obj : empty, cfg_fields, CFG_N, out, err, errlen);
    json_decref(empty);
    if (st == TSR_OK && out->legal_ages)
        st = legal_ages_check(out->legal_ages, err, errlen);
    uint8_t key[32];
    if (st == TSR_OK && out->psp_secret_hex[0] && tsr_hex_decode(key, sizeof key, out->psp_secret_hex) != TSR_OK) {
        snprintf(err, errlen, "psp_secret: 64 hex characters (32 bytes)");
        st = TSR_ERR_CONFIG;
    }
    if (st == TSR_OK && (out->self_exclusion_min_days > out->self_exclusion_max_days ||
                         out->cool_off_min_hours > out->cool_off_max_hours)) {
        snprintf(err, errlen, "self_exclusion/cool_off: min above max");
        st = TSR_ERR_CONFIG;
    }
    return st;
}

void tsr_accounts_cfg_free(tsr_accounts_cfg *c)
{
    if (c)
        tsr_config_free(cfg_fields, CFG_N, c);
}

const char *tsr_kyc_state_name(tsr_kyc_state s)
{
    switch (s) {
    case TSR_KYC_VERIFIED: return "verified";
    case TSR_KYC_REJECTED: return "rejected";
    default: return "pending";
    }
}

static tsr_kyc_state kyc_parse(const char *s)
{
    if (s && strcmp(s, "verified") == 0)
        return TSR_KYC_VERIFIED;
    if (s && strcmp(s, "rejected") == 0)
        return TSR_KYC_REJECTED;
    return TSR_KYC_PENDING;
}

int tsr_players_legal_age(const tsr_accounts_cfg *cfg, const char *jurisdiction)
{
    json_t *v = cfg->legal_ages ? json_object_get(cfg->legal_ages, jurisdiction) : NULL;
    if (json_is_integer(v))
        return (int)json_integer_value(v);
    return (int)cfg->legal_age_default;
}

static bool digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

tsr_status tsr_players_age(const char *birth, int64_t now_ns, int *years)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!birth || strlen(birth) != TSR_BIRTH_DATE_LEN || birth[4] != '-' || birth[7] != '-' ||
        !digits(birth, 4) || !digits(birth + 5, 2) || !digits(birth + 8, 2))
        return TSR_ERR_DATE;
    int y = atoi(birth), m = atoi(birth + 5), d = atoi(birth + 8);
    if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && leap(y)))
        return TSR_ERR_DATE;
    time_t now = (time_t)(now_ns / TSR_NS_PER_S);
    struct tm t;
    gmtime_r(&now, &t);
    int ny = t.tm_year + 1900, nm = t.tm_mon + 1, nd = t.tm_mday;
    if (y > ny || (y == ny && (m > nm || (m == nm && d > nd))))
        return TSR_ERR_DATE; /* born in the future */
    int age = ny - y;
    if (nm < m || (nm == m && nd < d))
        age--;
    *years = age;
    return TSR_OK;
}

static bool username_ok(const char *u)
{
    size_t n = strlen(u);
    if (n < TSR_USERNAME_MIN || n > TSR_USERNAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)u[i]) || isdigit((unsigned char)u[i]) || u[i] == '_' ||
              u[i] == '.' || u[i] == '-'))
            return false;
    return true;
}

/* ISO 3166-1 alpha-2, optionally "-" and 1..3 letters or digits (3166-2). */
static bool jurisdiction_ok(const char *j)
{
    size_t n = strlen(j);
    if (n < 2 || n > TSR_JURISDICTION_MAX || !isupper((unsigned char)j[0]) ||
        !isupper((unsigned char)j[1]))
        return false;
    if (n == 2)
        return true;
    if (j[2] != '-' || n < 4 || n > 6)
        return false;
    for (size_t i = 3; i < n; i++)
        if (!isupper((unsigned char)j[i]) && !isdigit((unsigned char)j[i]))
            return false;
    return true;
}

/* Printable text (UTF-8 bytes >= 0x80 allowed), no control characters. */
static bool text_ok(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

tsr_status tsr_players_validate(const tsr_accounts *a, const tsr_player_reg *r, int64_t now_ns)
{
    if (!username_ok(r->username))
        return TSR_ERR_USERNAME;
    if (!r->name[0] || !r->address[0])
        return TSR_ERR_FIELD_MISSING;
    if (!text_ok(r->name) || !text_ok(r->address))
        return TSR_ERR_ARG;
    if (!jurisdiction_ok(r->jurisdiction))
        return TSR_ERR_JURISDICTION;
    if (!r->document_no[0] || !text_ok(r->document_no))
        return TSR_ERR_DOCUMENT;
    int age;
    tsr_status st = tsr_players_age(r->birth_date, now_ns, &age);
    if (st != TSR_OK)
        return st;
    if (age < tsr_players_legal_age(a->cfg, r->jurisdiction))
        return TSR_ERR_UNDERAGE;
    return TSR_OK;
}

/* Which UNIQUE constraint a failed insert hit: username or document. */
static tsr_status taken(tsr_store_conn *db, const tsr_player_reg *r)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, "SELECT 1 FROM players WHERE username = ?1", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_text(s, 1, r->username, -1, SQLITE_STATIC);
    bool user = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_reset(s);
    return user ? TSR_ERR_USERNAME_TAKEN : TSR_ERR_DOCUMENT_TAKEN;
}

static tsr_status insert_player(tsr_store_conn *db, const tsr_player_reg *r, const char *pw_hash,
                                tsr_kyc_state kyc, const char *reason, int64_t now_ns)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db,
        "INSERT INTO players(username, pw_hash, name, birth_date, address, jurisdiction, "
        "document_no, kyc, kyc_reason, created_at_ns) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)", &s);
    if (st != TSR_OK)
        return st;
    const char *vals[] = {r->username, pw_hash, r->name, r->birth_date, r->address,
                          r->jurisdiction, r->document_no, tsr_kyc_state_name(kyc)};
    for (int i = 0; i < 8; i++)
        sqlite3_bind_text(s, i + 1, vals[i], -1, SQLITE_STATIC);
    if (reason && *reason)
        sqlite3_bind_text(s, 9, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 10, now_ns);
    st = tsr_sql_run(s);
    return st == TSR_ERR_EXISTS ? taken(db, r) : st;
}

tsr_status tsr_players_register(const tsr_accounts *a, tsr_store_conn *db, const tsr_player_reg *r,
                                const char *pw_hash, int64_t now_ns, tsr_player_info *out)
{
    tsr_status st = tsr_players_validate(a, r, now_ns);
    if (st != TSR_OK)
        return st;
    if (!pw_hash || !*pw_hash)
        return TSR_ERR_ARG;
    const tsr_kyc_verifier *v = a->kyc ? a->kyc : tsr_kyc_default();
    char reason[TSR_KYC_REASON_MAX] = "";
    tsr_kyc_state kyc = v->verify(v->ctx, r, tsr_players_legal_age(a->cfg, r->jurisdiction),
                                  now_ns, reason, sizeof reason);
    st = insert_player(db, r, pw_hash, kyc, reason, now_ns);
    if (st != TSR_OK)
        return st;
    return tsr_players_get(db, tsr_sql_last_id(db), out);
}

tsr_status tsr_players_get(tsr_store_conn *db, int64_t player_id, tsr_player_info *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db,
        "SELECT id, username, jurisdiction, kyc, locked, failed_logins, created_at_ns, "
        "coalesce(last_login_at_ns, 0) FROM players WHERE id = ?1", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_int64(s, 1, player_id);
    if ((st = tsr_sql_row(s)) != TSR_OK)
        return st;
    {
        out->id = sqlite3_column_int64(s, 0);
        snprintf(out->username, sizeof out->username, "%s", sqlite3_column_text(s, 1));
        snprintf(out->jurisdiction, sizeof out->jurisdiction, "%s", sqlite3_column_text(s, 2));
        out->kyc = kyc_parse((const char *)sqlite3_column_text(s, 3));
        out->locked = sqlite3_column_int(s, 4) != 0;
        out->failed_logins = sqlite3_column_int64(s, 5);
        out->created_at_ns = sqlite3_column_int64(s, 6);
        out->last_login_at_ns = sqlite3_column_int64(s, 7);
    }
    sqlite3_reset(s);
    return TSR_OK;
}

static tsr_status update_one(tsr_store_conn *db, sqlite3_stmt *s)
{
    tsr_status st = tsr_sql_run(s);
    if (st == TSR_OK && tsr_sql_changes(db) == 0)
        return TSR_ERR_NOT_FOUND;
    return st;
}

tsr_status tsr_players_unlock(tsr_store_conn *db, int64_t player_id)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, "UPDATE players SET locked = 0, failed_logins = 0 WHERE id = ?1", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_int64(s, 1, player_id);
    return update_one(db, s);
}

tsr_status tsr_players_set_kyc(tsr_store_conn *db, int64_t player_id, tsr_kyc_state k, const char *reason)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, "UPDATE players SET kyc = ?2, kyc_reason = ?3 WHERE id = ?1", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_int64(s, 1, player_id);
    sqlite3_bind_text(s, 2, tsr_kyc_state_name(k), -1, SQLITE_STATIC);
    if (reason)
        sqlite3_bind_text(s, 3, reason, -1, SQLITE_STATIC);
    return update_one(db, s);
}

tsr_status tsr_players_require_verified(tsr_store_conn *db, int64_t player_id)
{
    tsr_player_info p;
    tsr_status st = tsr_players_get(db, player_id, &p);
    if (st != TSR_OK)
        return st;
    if (p.kyc == TSR_KYC_VERIFIED)
        return TSR_OK;
    return p.kyc == TSR_KYC_REJECTED ? TSR_ERR_KYC_REJECTED : TSR_ERR_KYC_PENDING;
}

#include "sessions.h"

#include <stdio.h>
#include <string.h>

#include "ledger_sql.h"
#include "tessera/clock.h"
#include "tessera/hash.h"
#include "tessera/rng.h"

static tsr_status token_hash(const char *token, uint8_t out[TSR_HASH_LEN])
{
    uint8_t raw[TSR_TOKEN_BYTES];
    if (!token || tsr_hex_decode(raw, sizeof raw, token) != TSR_OK)
        return TSR_ERR_SESSION_INVALID;
    tsr_hash256(out, raw, sizeof raw);
    return TSR_OK;
}

tsr_status tsr_session_create(const tsr_accounts *a, tsr_store_conn *db, int64_t player_id,
                              int64_t agent_id, const char *terminal_id, int64_t now_ns,
                              char token[TSR_TOKEN_HEX_SIZE], int64_t *expires_at_ns)
{
    if ((player_id > 0) == (agent_id > 0) || (agent_id > 0 && !terminal_id))
        return TSR_ERR_ARG;
    uint8_t raw[TSR_TOKEN_BYTES], h[TSR_HASH_LEN];
    tsr_rng_bytes(a->env.rng, raw, sizeof raw);
    tsr_hash256(h, raw, sizeof raw);
    int64_t expires = now_ns + a->cfg->session_ttl_s * TSR_NS_PER_S;
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db,
        "INSERT INTO sessions(token_hash, player_id, agent_id, terminal_id, created_at_ns, "
        "last_seen_at_ns, expires_at_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_blob(s, 1, h, sizeof h, SQLITE_STATIC);
    if (player_id > 0)
        sqlite3_bind_int64(s, 2, player_id);
    if (agent_id > 0) {
        sqlite3_bind_int64(s, 3, agent_id);
        sqlite3_bind_text(s, 4, terminal_id, -1, SQLITE_STATIC);
    }
    sqlite3_bind_int64(s, 5, now_ns);
    sqlite3_bind_int64(s, 6, expires);
    if ((st = tsr_sql_run(s)) != TSR_OK)
        return st;
    tsr_hex_encode(token, TSR_TOKEN_HEX_SIZE, raw, sizeof raw);
    *expires_at_ns = expires;
    return TSR_OK;
}

tsr_status tsr_session_check(const tsr_accounts *a, tsr_store_conn *db, const char *token,
                             int64_t now_ns, tsr_session_info *out)
{
    memset(out, 0, sizeof *out);
    uint8_t h[TSR_HASH_LEN];
    tsr_status st = token_hash(token, h);
    if (st != TSR_OK)
        return st;
    sqlite3_stmt *s;
    if ((st = tsr_sql_prep(db,
             "SELECT coalesce(player_id, 0), coalesce(agent_id, 0), coalesce(terminal_id, ''), "
             "last_seen_at_ns, expires_at_ns FROM sessions WHERE token_hash = ?1", &s)) != TSR_OK)
        return st;
    sqlite3_bind_blob(s, 1, h, sizeof h, SQLITE_STATIC);
    if ((st = tsr_sql_row(s)) != TSR_OK)
        return st == TSR_ERR_NOT_FOUND ? TSR_ERR_SESSION_INVALID : st;
    out->player_id = sqlite3_column_int64(s, 0);
    out->agent_id = sqlite3_column_int64(s, 1);
    snprintf(out->terminal_id, sizeof out->terminal_id, "%s", sqlite3_column_text(s, 2));
    out->last_seen_at_ns = sqlite3_column_int64(s, 3);
    int64_t idle_end = out->last_seen_at_ns + a->cfg->session_idle_s * TSR_NS_PER_S;
    int64_t abs_end = sqlite3_column_int64(s, 4);
    sqlite3_reset(s);
    out->expires_at_ns = idle_end < abs_end ? idle_end : abs_end;
    return now_ns >= out->expires_at_ns ? TSR_ERR_SESSION_EXPIRED : TSR_OK;
}

int64_t tsr_session_touch_every_ns(const tsr_accounts *a)
{
    int64_t every = TSR_SESSION_READ_TOUCH_S * TSR_NS_PER_S;
    int64_t quarter = a->cfg->session_idle_s * TSR_NS_PER_S / 4;
    return quarter < every ? quarter : every;
}

tsr_status tsr_session_touch(const tsr_accounts *a, tsr_store_conn *db, const char *token,
                             int64_t now_ns)
{
    tsr_session_info info;
    uint8_t h[TSR_HASH_LEN];
    tsr_status st = tsr_session_check(a, db, token, now_ns, &info);
    if (st != TSR_OK)
        return st;
    /* A till selling all day touches its agent's session with every bet:
     * one UPDATE per bet was a B-tree write per sale for an idle expiry
     * that moves in minutes. */
    if (now_ns - info.last_seen_at_ns < tsr_session_touch_every_ns(a))
        return TSR_OK;
    if ((st = token_hash(token, h)) != TSR_OK)
        return st;
    sqlite3_stmt *s;
    if ((st = tsr_sql_prep(db, "UPDATE sessions SET last_seen_at_ns = ?2 "
                               "WHERE token_hash = ?1 AND last_seen_at_ns < ?2", &s)) != TSR_OK)
        return st;
    sqlite3_bind_blob(s, 1, h, sizeof h, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, now_ns);
    return tsr_sql_run(s);
}

tsr_status tsr_session_delete(tsr_store_conn *db, const char *token)
{
    uint8_t h[TSR_HASH_LEN];
    tsr_status st = token_hash(token, h);
    if (st != TSR_OK)
        return st;
    sqlite3_stmt *s;
    if ((st = tsr_sql_prep(db, "DELETE FROM sessions WHERE token_hash = ?1", &s)) != TSR_OK)
        return st;
    sqlite3_bind_blob(s, 1, h, sizeof h, SQLITE_STATIC);
    if ((st = tsr_sql_run(s)) != TSR_OK)
        return st;
    return tsr_sql_changes(db) == 1 ? TSR_OK : TSR_ERR_SESSION_INVALID;
}

tsr_status tsr_session_purge(tsr_store_conn *db, int64_t before_ns, int64_t *removed)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, "DELETE FROM sessions WHERE expires_at_ns < ?1", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_int64(s, 1, before_ns);
    st = tsr_sql_run(s);
    if (st == TSR_OK && removed)
        *removed = tsr_sql_changes(db);
    return st;
}

tsr_status tsr_login_lookup(tsr_store_conn *db, const char *username, int64_t *player_id,
                            char hash[TSR_SECRET_HASH_SIZE])
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, "SELECT id, pw_hash FROM players WHERE username = ?1", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_text(s, 1, username, -1, SQLITE_STATIC);
    if ((st = tsr_sql_row(s)) != TSR_OK)
        return st;
    *player_id = sqlite3_column_int64(s, 0);
    snprintf(hash, TSR_SECRET_HASH_SIZE, "%s", sqlite3_column_text(s, 1));
    sqlite3_reset(s);
    return TSR_OK;
}

/* Counts one failure and locks at the limit; the outcome stays CREDENTIALS
 * for this attempt so the client learns about the lock on its next try. */
static tsr_status count_failure(tsr_store_conn *db, int64_t player_id, int64_t failures,
                                tsr_login_result *out)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, "UPDATE players SET failed_logins = ?2, locked = ?3 "
                                     "WHERE id = ?1", &s);
    if (st != TSR_OK)
        return st;
    failures++;
    sqlite3_bind_int64(s, 1, player_id);
    sqlite3_bind_int64(s, 2, failures);
    sqlite3_bind_int(s, 3, failures >= TSR_LOGIN_FAILURES_MAX);
    out->outcome = TSR_ERR_CREDENTIALS;
    out->failures_left = failures >= TSR_LOGIN_FAILURES_MAX ? 0 : TSR_LOGIN_FAILURES_MAX - failures;
    return tsr_sql_run(s);
}

tsr_status tsr_login_finish(const tsr_accounts *a, tsr_store_conn *db, int64_t player_id,
                            bool password_ok, int64_t now_ns, tsr_login_result *out)
{
    memset(out, 0, sizeof *out);
    out->subject_id = player_id;
    tsr_player_info p;
    tsr_status st = tsr_players_get(db, player_id, &p);
    if (st == TSR_ERR_NOT_FOUND) {
        out->outcome = TSR_ERR_CREDENTIALS; /* deleted between lookup and now */
        return TSR_OK;
    }
    if (st != TSR_OK)
        return st;
    if (p.locked) {
        out->outcome = TSR_ERR_ACCOUNT_LOCKED;
        return TSR_OK;
    }
    if (!password_ok)
        return count_failure(db, player_id, p.failed_logins, out);
    sqlite3_stmt *s;
    if ((st = tsr_sql_prep(db, "UPDATE players SET failed_logins = 0, last_login_at_ns = ?2 "
                               "WHERE id = ?1", &s)) != TSR_OK)
        return st;
    sqlite3_bind_int64(s, 1, player_id);
    sqlite3_bind_int64(s, 2, now_ns);
    if ((st = tsr_sql_run(s)) != TSR_OK)
        return st;
    out->previous_login_at_ns = p.last_login_at_ns;
    out->outcome = TSR_OK;
    return tsr_session_create(a, db, player_id, 0, NULL, now_ns, out->token, &out->expires_at_ns);
}

/*
 * Sessions of players and agents, and the login step that runs on the
 * writer after the auth worker checked the password.
 *
 * A token is 32 bytes from the RNG seam, given to the client as 64 hex
 * characters (the `session` query parameter); the database keeps only its
 * BLAKE2b-256, so a stolen copy of the database does not hold live tokens.
 * A session ends at its absolute expiry (session_ttl_s after login) or when
 * unused for session_idle_s ("used" = any request of the session: writes
 * touch it in their job, reads through a touch job, both at most once per
 * tsr_session_touch_every_ns, see TSR_SESSION_READ_TOUCH_S).
 */
#ifndef TSR_NODE_SESSIONS_H
#define TSR_NODE_SESSIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "auth.h"
#include "job.h"
#include "players.h"
#include "store.h"
#include "tessera/status.h"

#define TSR_TOKEN_BYTES 32
#define TSR_TOKEN_HEX_SIZE (2 * TSR_TOKEN_BYTES + 1)

/* Whose session it is. */
typedef struct tsr_session_info {
    int64_t player_id; /* > 0 for a player session, else 0 */
    int64_t agent_id;  /* > 0 for an agent session, else 0 */
    char terminal_id[TSR_CALLER_ID_MAX]; /* agent sessions: the terminal */
    int64_t expires_at_ns; /* the earlier of absolute and idle expiry */
    int64_t last_seen_at_ns; /* the last recorded use */
} tsr_session_info;

/* A read request (served on the CoAP thread, which never writes) records
 * the use of its session through a writer job, but at most once per this
 * many seconds (or a quarter of the idle timeout when that is shorter), so
 * reads cost the writer a job a minute per session, not one per read. A
 * use not recorded does not push the idle expiry back, so a session can
 * expire idle up to that much early (never late). */
#define TSR_SESSION_READ_TOUCH_S 60

/* TSR_SESSION_READ_TOUCH_S, or a quarter of the idle timeout when that is
 * shorter: how often a session's use is recorded, by reads and writes. */
int64_t tsr_session_touch_every_ns(const tsr_accounts *a);

/* Creates a session for a player (agent_id 0, terminal_id NULL) or an agent
 * (player_id 0) and writes its token (hex) into token. Writer only. */
tsr_status tsr_session_create(const tsr_accounts *a, tsr_store_conn *db, int64_t player_id,
                              int64_t agent_id, const char *terminal_id, int64_t now_ns,
                              char token[TSR_TOKEN_HEX_SIZE], int64_t *expires_at_ns) TSR_MUST_CHECK;

/* Checks a presented token (read-only; any connection): fills *out.
 * TSR_ERR_SESSION_INVALID for a malformed, unknown, forged or logged-out
 * token; TSR_ERR_SESSION_EXPIRED past the absolute or the idle expiry. */
tsr_status tsr_session_check(const tsr_accounts *a, tsr_store_conn *db, const char *token,
                             int64_t now_ns, tsr_session_info *out) TSR_MUST_CHECK;

/* Records use of a session (writer): pushes back the idle expiry, at most
 * once per tsr_session_touch_every_ns (a use sooner after the last one
 * writes nothing). Same errors as tsr_session_check, which it runs first. */
tsr_status tsr_session_touch(const tsr_accounts *a, tsr_store_conn *db, const char *token,
                             int64_t now_ns) TSR_MUST_CHECK;

/* Logout: deletes the session. TSR_ERR_SESSION_INVALID when unknown. */
tsr_status tsr_session_delete(tsr_store_conn *db, const char *token) TSR_MUST_CHECK;

/* Deletes sessions that expired before before_ns (housekeeping; recent
 * ones are kept so a client is told "expired" rather than "unknown"). */
tsr_status tsr_session_purge(tsr_store_conn *db, int64_t before_ns, int64_t *removed) TSR_MUST_CHECK;

/* The outcome of a login, filled by tsr_login_finish. */
typedef struct tsr_login_result {
    tsr_status outcome;            /* TSR_OK, TSR_ERR_CREDENTIALS, TSR_ERR_ACCOUNT_LOCKED */
    int64_t subject_id;            /* the player's or agent's id */
    char token[TSR_TOKEN_HEX_SIZE];/* outcome TSR_OK: the new session */
    int64_t expires_at_ns;
    int64_t previous_login_at_ns;  /* 0 for a first login */
    int64_t failures_left;         /* CREDENTIALS: attempts before the lock */
} tsr_login_result;

/* Finds a player's id and Argon2id string by username (any connection):
 * TSR_ERR_NOT_FOUND when there is none. */
tsr_status tsr_login_lookup(tsr_store_conn *db, const char *username, int64_t *player_id,
                            char hash[TSR_SECRET_HASH_SIZE]) TSR_MUST_CHECK;

/* The writer's half of a player login, once the auth worker verified (or
 * not) the password: a locked account refuses even the right password
 * (outcome TSR_ERR_ACCOUNT_LOCKED); a wrong password counts a failure and
 * the TSR_LOGIN_FAILURES_MAX-th locks the account (outcome
 * TSR_ERR_CREDENTIALS, then LOCKED for every later try); the right one
 * clears the count, creates a session and returns the previous login time.
 * Returns TSR_OK whenever it wrote its outcome — the failure count must be
 * committed even when the login is refused — or a database error. */
tsr_status tsr_login_finish(const tsr_accounts *a, tsr_store_conn *db, int64_t player_id,
                            bool password_ok, int64_t now_ns, tsr_login_result *out) TSR_MUST_CHECK;

#endif

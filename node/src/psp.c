#include "psp.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "ledger_sql.h"
#include "limits.h"

void tsr_psp_destroy(tsr_psp *p)
{
    if (p && p->destroy)
        p->destroy(p->ctx);
    free(p);
}

_Static_assert(TSR_PSP_KEY_LEN == crypto_auth_hmacsha256_KEYBYTES, "HMAC-SHA256 key size");

void tsr_psp_sign(const uint8_t key[TSR_PSP_KEY_LEN], const void *body, size_t len,
                  char sig[TSR_PSP_SIG_HEX_SIZE])
{
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256(mac, body, len, key);
    tsr_hex_encode(sig, TSR_PSP_SIG_HEX_SIZE, mac, sizeof mac);
}

tsr_status tsr_psp_verify(const uint8_t key[TSR_PSP_KEY_LEN], const void *body, size_t len,
                          const char *sig_hex)
{
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    if (!sig_hex || tsr_hex_decode(mac, sizeof mac, sig_hex) != TSR_OK)
        return TSR_ERR_SIGNATURE;
    return crypto_auth_hmacsha256_verify(mac, body, len, key) == 0 ? TSR_OK : TSR_ERR_SIGNATURE;
}

static bool txn_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > TSR_PSP_TXN_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return false;
    return true;
}

tsr_status tsr_psp_event_parse(const json_t *obj, tsr_psp_event *ev, const char **field)
{
    memset(ev, 0, sizeof *ev);
    const char *txn = json_string_value(json_object_get(obj, "provider_txn"));
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    const char *status = json_string_value(json_object_get(obj, "status"));
    json_int_t req = json_integer_value(json_object_get(obj, "request_id"));
    json_int_t amount = json_integer_value(json_object_get(obj, "amount"));
    *field = NULL;
    if (!txn || !txn_ok(txn))
        *field = "provider_txn";
    else if (!kind || (strcmp(kind, "deposit") != 0 && strcmp(kind, "withdrawal") != 0))
        *field = "kind";
    else if (!status || (strcmp(status, "completed") != 0 && strcmp(status, "failed") != 0))
        *field = "status";
    else if (req <= 0)
        *field = "request_id";
    else if (amount <= 0 || amount > TSR_MONEY_MAX)
        *field = "amount";
    if (*field)
        return TSR_ERR_RANGE;
    snprintf(ev->provider_txn, sizeof ev->provider_txn, "%s", txn);
    ev->request_id = req;
    ev->withdrawal = strcmp(kind, "withdrawal") == 0;
    ev->amount = amount;
    ev->completed = strcmp(status, "completed") == 0;
    return TSR_OK;
}

/* A known provider_txn: TSR_OK with the request's state when the body is
 * the same, TSR_ERR_PSP_REPLAY otherwise, TSR_ERR_NOT_FOUND when unknown. */
static tsr_status replay(tsr_store_conn *db, const tsr_psp_event *ev, const uint8_t *hash, char *state)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, "SELECT e.body_hash, r.state FROM psp_events e "
                                     "JOIN psp_requests r ON r.id = e.request_id "
                                     "WHERE e.provider_txn = ?1", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_text(s, 1, ev->provider_txn, -1, SQLITE_STATIC);
    if ((st = tsr_sql_row(s)) != TSR_OK)
        return st;
    bool same = sqlite3_column_bytes(s, 0) == TSR_HASH_LEN &&
                memcmp(sqlite3_column_blob(s, 0), hash, TSR_HASH_LEN) == 0;
    snprintf(state, 16, "%s", sqlite3_column_text(s, 1));
    sqlite3_reset(s);
    return same ? TSR_OK : TSR_ERR_PSP_REPLAY;
}

typedef struct request_row {
    int64_t player_id, created_at_ns;
    bool withdrawal, pending;
    tsr_cents amount;
} request_row;

static tsr_status load_request(tsr_store_conn *db, int64_t id, request_row *r)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, "SELECT player_id, kind, amount, state, created_at_ns "
                                     "FROM psp_requests WHERE id = ?1", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_int64(s, 1, id);
    if ((st = tsr_sql_row(s)) != TSR_OK)
        return st;
    r->player_id = sqlite3_column_int64(s, 0);
    r->withdrawal = strcmp((const char *)sqlite3_column_text(s, 1), "withdrawal") == 0;
    r->amount = sqlite3_column_int64(s, 2);
    r->pending = strcmp((const char *)sqlite3_column_text(s, 3), "pending") == 0;
    r->created_at_ns = sqlite3_column_int64(s, 4);
    sqlite3_reset(s);
    return TSR_OK;
}

static tsr_status move_money(tsr_store_conn *db, const tsr_psp_event *ev, const request_row *r,
                             int64_t now_ns)
{
    char player[TSR_LEDGER_NAME_SIZE];
    tsr_status st = tsr_ledger_player_account(player, r->player_id);
    if (st != TSR_OK)
        return st;
    if (!ev->withdrawal && ev->completed)
        return tsr_ledger_transfer(db, "deposit", ev->provider_txn, now_ns, "psp_clearing", player,
                                   r->amount, NULL);
    if (!ev->withdrawal)
        return tsr_limits_release(db, r->player_id, true, r->amount, r->created_at_ns);
    if (ev->completed)
        return tsr_ledger_transfer(db, "withdrawal_paid", ev->provider_txn, now_ns,
                                   "withdrawals_pending", "psp_clearing", r->amount, NULL);
    return tsr_ledger_transfer(db, "withdrawal_failed", ev->provider_txn, now_ns,
                               "withdrawals_pending", player, r->amount, NULL);
}

static tsr_status record(tsr_store_conn *db, const tsr_psp_event *ev, const uint8_t *hash,
                         int64_t now_ns)
{
    sqlite3_stmt *s;
    tsr_status st = tsr_sql_prep(db, "UPDATE psp_requests SET state = ?2, settled_at_ns = ?3 "
                                     "WHERE id = ?1", &s);
    if (st != TSR_OK)
        return st;
    sqlite3_bind_int64(s, 1, ev->request_id);
    sqlite3_bind_text(s, 2, ev->completed ? "completed" : "failed", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, now_ns);
    if ((st = tsr_sql_run(s)) != TSR_OK)
        return st;
    if ((st = tsr_sql_prep(db, "INSERT INTO psp_events(provider_txn, request_id, body_hash, "
                               "answer, received_at_ns) VALUES (?1, ?2, ?3, ?4, ?5)", &s)) != TSR_OK)
        return st;
    sqlite3_bind_text(s, 1, ev->provider_txn, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, ev->request_id);
    sqlite3_bind_blob(s, 3, hash, TSR_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, ev->completed ? "completed" : "failed", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, now_ns);
    return tsr_sql_run(s);
}

tsr_status tsr_psp_event_apply(tsr_store_conn *db, const tsr_psp_event *ev,
                               const uint8_t body_hash[TSR_HASH_LEN], int64_t now_ns,
                               bool *replayed, char *state)
{
    *replayed = false;
    tsr_status st = replay(db, ev, body_hash, state);
    if (st == TSR_OK)
        *replayed = true;
    if (st != TSR_ERR_NOT_FOUND)
        return st;
    request_row r;
    if ((st = load_request(db, ev->request_id, &r)) != TSR_OK)
        return st;
    if (r.withdrawal != ev->withdrawal || r.amount != ev->amount)
        return TSR_ERR_ARG;
    if (!r.pending)
        return TSR_ERR_PSP_STATE;
    if ((st = tsr_sql_sp_begin(db)) != TSR_OK)
        return st;
    st = move_money(db, ev, &r, now_ns);
    if (st == TSR_OK)
        st = record(db, ev, body_hash, now_ns);
    if (st == TSR_OK)
        snprintf(state, 16, "%s", ev->completed ? "completed" : "failed");
    return tsr_sql_sp_end(db, st);
}

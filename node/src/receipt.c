/* Ticket receipts: serial and check code, JSON form, loading a ticket. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "tessera/hash.h"

/* Six decimal digits: enough that a guessed code is right one time in a
 * million, short enough to key in from a paper slip. */
#define CHECK_MODULUS 1000000u

static const char SQL_LOAD[] =
    "SELECT bytes, sig, state, player_id, terminal_id FROM tickets WHERE id = ?1";

void tsr_receipt_serial(tsr_ticket *t)
{
    /* The node's first 10 characters, a dash and the seq (at most 20
     * digits) fit the 31 characters of a serial; the seq alone makes it
     * unique within the node. */
    snprintf(t->serial, sizeof t->serial, "%.10s-%" PRIu64, t->node, t->seq);
    uint8_t h[TSR_HASH_LEN];
    tsr_hash_ctx c;
    tsr_hash256_init(&c);
    tsr_hash256_update(&c, t->id, sizeof t->id);
    tsr_hash256_update(&c, t->serial, strlen(t->serial));
    tsr_hash256_final(&c, h);
    uint32_t v = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
    t->check = v % CHECK_MODULUS;
}

static void add_bet(json_t *r, const tsr_ticket *t)
{
    tsr_bet bet;
    if (tsr_bet_decode(t->bet, t->bet_len, &bet) == TSR_OK) {
        json_object_set_new(r, "bet", tsr_bet_to_json(&bet));
    } else {
        char hex[2 * TSR_BET_MAX + 1];
        json_object_set_new(r, "bet_bytes", json_string(tsr_hex_encode(hex, sizeof hex, t->bet,
                                                                       t->bet_len)));
    }
}

/* ---- text ------------------------------------------------------------------------- */

/* A receipt of one ticket is ~700 bytes; start with room for two. */
#define TEXT_INITIAL 2048

static bool text_reserve(tsr_text *t, size_t more)
{
    if (t->failed)
        return false;
    if (t->len + more + 1 <= t->cap)
        return true;
    size_t cap = t->cap ? t->cap : TEXT_INITIAL;
    while (cap < t->len + more + 1)
        cap *= 2;
    char *b = realloc(t->buf, cap);
    if (!b) {
        t->failed = true;
        return false;
    }
    t->buf = b;
    t->cap = cap;
    return true;
}

void tsr_text_printf(tsr_text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !text_reserve(t, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

void tsr_text_json_string(tsr_text *t, const char *s)
{
    size_t n = strlen(s);
    if (!text_reserve(t, 6 * n + 2))
        return;
    char *o = t->buf + t->len;
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            *o++ = '\\';
            *o++ = (char)*p;
        } else if (*p < 0x20) {
            o += sprintf(o, "\\u%04x", *p);
        } else {
            *o++ = (char)*p;
        }
    }
    *o++ = '"';
    *o = '\0';
    t->len = (size_t)(o - t->buf);
}

static void text_field(tsr_text *out, const char *name, const char *value)
{
    tsr_text_printf(out, ",\"%s\":", name);
    tsr_text_json_string(out, value);
}

/* ,"batch":{...},"proof":{...} of a batch-signed receipt. */
static void text_batch(tsr_text *out, const tsr_receipt_sig *rs)
{
    char hex[2 * TSR_HASH_LEN + 1];
    tsr_text_printf(out, ",\"batch\":{\"first_seq\":%" PRIu64 ",\"last_seq\":%" PRIu64
                         ",\"root\":\"%s\"},\"proof\":{\"index\":%" PRIu32
                         ",\"count\":%" PRIu32 ",\"siblings\":[",
                    rs->batch.first_seq, rs->batch.last_seq,
                    tsr_hex_encode(hex, sizeof hex, rs->batch.root, TSR_HASH_LEN), rs->index,
                    rs->batch.count);
    for (uint32_t i = 0; i < rs->depth; i++)
        tsr_text_printf(out, "%s\"%s\"", i ? "," : "",
                        tsr_hex_encode(hex, sizeof hex, rs->siblings[i], TSR_HASH_LEN));
    tsr_text_printf(out, "]}");
}

void tsr_receipt_text(tsr_text *out, const tsr_ticket *t, const tsr_receipt_sig *rs,
                      bool cancelled, const char *bet_json)
{
    char id[33], sig_hex[2 * TSR_SIG_LEN + 1], stake[TSR_MONEY_STR_MAX], at[40];
    tsr_hex_encode(id, sizeof id, t->id, sizeof t->id);
    tsr_hex_encode(sig_hex, sizeof sig_hex, rs->sig, TSR_SIG_LEN);
    tsr_money_format(t->stake_cents, stake, sizeof stake);
    tsr_time_format(t->accepted_at_ns, at, sizeof at);
    tsr_text_printf(out, "{\"ticket_id\":\"%s\"", id);
    text_field(out, "serial", t->serial);
    tsr_text_printf(out, ",\"check\":\"%06" PRIu32 "\"", t->check);
    text_field(out, "game", t->game);
    tsr_text_printf(out, ",\"draw\":%" PRIu32, t->draw);
    text_field(out, "stake", stake);
    tsr_text_printf(out, ",\"stake_cents\":%lld", (long long)t->stake_cents);
    text_field(out, "accepted_at", at);
    tsr_text_printf(out, ",\"accepted_at_ns\":%lld", (long long)t->accepted_at_ns);
    text_field(out, "node", t->node);
    tsr_text_printf(out, ",\"seq\":%" PRIu64 ",\"channel\":\"%s\",\"sig\":\"%s\"", t->seq,
                    t->channel == TSR_CHANNEL_RETAIL ? "retail" : "online", sig_hex);
    if (rs->batched)
        text_batch(out, rs);
    tsr_text_printf(out, ",\"state\":\"%s\"", cancelled ? "cancelled" : "active");
    if (bet_json) {
        tsr_text_printf(out, ",\"bet\":%s}", bet_json);
    } else {
        char hex[2 * TSR_BET_MAX + 1];
        tsr_text_printf(out, ",\"bet_bytes\":\"%s\"}",
                        tsr_hex_encode(hex, sizeof hex, t->bet, t->bet_len));
    }
}

/* ---- JSON tree ---------------------------------------------------------------------- */

/* "batch" and "proof" members of a batch-signed receipt. */
static void add_batch(json_t *r, const tsr_receipt_sig *rs)
{
    char hex[2 * TSR_HASH_LEN + 1];
    json_t *sib = json_array();
    for (uint32_t i = 0; i < rs->depth; i++)
        json_array_append_new(sib, json_string(tsr_hex_encode(hex, sizeof hex, rs->siblings[i],
                                                              TSR_HASH_LEN)));
    json_object_set_new(r, "batch",
                        json_pack("{s:I, s:I, s:s}", "first_seq", (json_int_t)rs->batch.first_seq,
                                  "last_seq", (json_int_t)rs->batch.last_seq, "root",
                                  tsr_hex_encode(hex, sizeof hex, rs->batch.root, TSR_HASH_LEN)));
    json_object_set_new(r, "proof", json_pack("{s:I, s:I, s:o}", "index", (json_int_t)rs->index,
                                              "count", (json_int_t)rs->batch.count, "siblings",
                                              sib));
}

json_t *tsr_receipt_json(const tsr_ticket *t, const tsr_receipt_sig *rs, bool cancelled)
{
    const uint8_t *sig = rs->sig;
    char id[33], sig_hex[2 * TSR_SIG_LEN + 1], stake[TSR_MONEY_STR_MAX], at[40], check[8];
    tsr_hex_encode(id, sizeof id, t->id, sizeof t->id);
    tsr_hex_encode(sig_hex, sizeof sig_hex, sig, TSR_SIG_LEN);
    tsr_money_format(t->stake_cents, stake, sizeof stake);
    tsr_time_format(t->accepted_at_ns, at, sizeof at);
    snprintf(check, sizeof check, "%06" PRIu32, t->check);
    json_t *r = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:s, s:I, s:s, s:I, s:s, s:s, s:s}",
                          "ticket_id", id, "serial", t->serial, "check", check, "game", t->game,
                          "draw", (json_int_t)t->draw, "stake", stake, "stake_cents",
                          (json_int_t)t->stake_cents, "accepted_at", at, "accepted_at_ns",
                          (json_int_t)t->accepted_at_ns, "node", t->node, "seq",
                          (json_int_t)t->seq, "channel",
                          t->channel == TSR_CHANNEL_RETAIL ? "retail" : "online", "sig", sig_hex,
                          "state", cancelled ? "cancelled" : "active");
    if (r && rs->batched)
        add_batch(r, rs);
    if (r)
        add_bet(r, t);
    return r;
}

tsr_status tsr_receipt_load(tsr_store_conn *db, const uint8_t id[16], tsr_ticket *t,
                            tsr_receipt_sig *rs, bool *cancelled, int64_t *player_id,
                            char terminal[TSR_CALLER_ID_MAX])
{
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(db, SQL_LOAD, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_blob(st, 1, id, 16, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? TSR_ERR_NOT_FOUND : tsr_store_status(rc);
    }
    s = tsr_ticket_decode(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), t);
    uint8_t legacy[TSR_SIG_LEN];
    size_t legacy_len = (size_t)sqlite3_column_bytes(st, 1);
    if (legacy_len == TSR_SIG_LEN)
        memcpy(legacy, sqlite3_column_blob(st, 1), TSR_SIG_LEN);
    *cancelled = sqlite3_column_int(st, 2) != 0;
    *player_id = sqlite3_column_type(st, 3) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 3);
    const char *term = (const char *)sqlite3_column_text(st, 4);
    snprintf(terminal, TSR_CALLER_ID_MAX, "%s", term ? term : "");
    sqlite3_reset(st);
    if (s == TSR_OK && legacy_len != 0 && legacy_len != TSR_SIG_LEN)
        s = TSR_ERR_ENCODING;
    return s == TSR_OK ? tsr_receipt_sig_load(db, t->node, t->seq, legacy, legacy_len, rs) : s;
}

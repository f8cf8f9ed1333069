/* Ticket receipts: serial and check code, JSON form, loading a ticket. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "tessera/fmt.h"
#include "tessera/hash.h"

/* Six decimal digits: enough that a guessed code is right one time in a
 * million, short enough to key in from a paper slip. */
#define CHECK_MODULUS 1000000u
#define CHECK_DIGITS 6

static const char SQL_LOAD[] =
    "SELECT bytes, sig, state, player_id, terminal_id FROM tickets WHERE id = ?1";

/* The serial shows at most this many characters of the node's name. */
#define SERIAL_NODE_CHARS 10
/* The node's first 10 characters, a dash and the seq (at most 20 digits)
 * fit the 31 characters of a serial; the seq alone makes it unique within
 * the node. */
_Static_assert(SERIAL_NODE_CHARS + 1 + TSR_FMT_U64_MAX < TSR_SERIAL_MAX, "a serial fits");

void tsr_receipt_serial(tsr_ticket *t)
{
    /* "%.10s-%llu", written directly: this runs once per ticket sold */
    size_t n = strnlen(t->node, SERIAL_NODE_CHARS);
    memcpy(t->serial, t->node, n);
    t->serial[n++] = '-';
    n += tsr_fmt_u64(t->serial + n, t->seq);
    t->serial[n] = '\0';
    uint8_t h[TSR_HASH_LEN];
    tsr_hash_ctx c;
    tsr_hash256_init(&c);
    tsr_hash256_update(&c, t->id, sizeof t->id);
    tsr_hash256_update(&c, t->serial, n);
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
    /* Format straight into the free room; only a piece that does not fit
     * is measured and formatted a second time. */
    if (!text_reserve(t, 0))
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        t->buf[t->len] = '\0';
        return;
    }
    if ((size_t)n >= t->cap - t->len) {
        if (!text_reserve(t, (size_t)n)) {
            t->buf[t->len] = '\0';
            return;
        }
        va_start(ap, fmt);
        vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
    }
    t->len += (size_t)n;
}

/* ---- writers: a receipt is ~40 pieces; its room is reserved once and
 * the pieces are written at a cursor, no call or check per piece. ----- */

static const char HEX[] = "0123456789abcdef";

static char *w_raw(char *o, const char *s, size_t n)
{
    memcpy(o, s, n);
    return o + n;
}

#define W_LIT(o, lit) w_raw((o), (lit), sizeof(lit) - 1)

static char *w_hex(char *o, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        *o++ = HEX[b[i] >> 4];
        *o++ = HEX[b[i] & 15];
    }
    return o;
}

/* s[0..n) quoted, with \", \\ and control characters as \u00xx
 * (lowercase, as the receipts have always shown); at most 6n+2 bytes. */
static char *w_str(char *o, const char *s, size_t n)
{
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)s, *end = p + n; p < end; p++) {
        if (*p == '"' || *p == '\\') {
            *o++ = '\\';
            *o++ = (char)*p;
        } else if (*p < 0x20) {
            o = W_LIT(o, "\\u00");
            *o++ = HEX[*p >> 4];
            *o++ = HEX[*p & 15];
        } else {
            *o++ = (char)*p;
        }
    }
    *o++ = '"';
    return o;
}

static char *w_u64(char *o, uint64_t v) { return o + tsr_fmt_u64(o, v); }
static char *w_i64(char *o, int64_t v) { return o + tsr_fmt_i64(o, v); }

/* Ends a write at o: the NUL and the length. */
static void text_done(tsr_text *t, char *o)
{
    *o = '\0';
    t->len = (size_t)(o - t->buf);
}

void tsr_text_json_string(tsr_text *t, const char *s)
{
    size_t n = strlen(s);
    if (text_reserve(t, 6 * n + 2))
        text_done(t, w_str(t->buf + t->len, s, n));
}

void tsr_text_append(tsr_text *t, const char *s, size_t n)
{
    if (text_reserve(t, n))
        text_done(t, w_raw(t->buf + t->len, s, n));
}

void tsr_text_i64(tsr_text *t, int64_t v)
{
    if (text_reserve(t, TSR_FMT_I64_MAX))
        text_done(t, w_i64(t->buf + t->len, v));
}

void tsr_text_money(tsr_text *t, tsr_cents a)
{
    if (text_reserve(t, TSR_FMT_MONEY_MAX))
        text_done(t, t->buf + t->len + tsr_fmt_money(t->buf + t->len, a));
}

void tsr_text_hex(tsr_text *t, const uint8_t *b, size_t n)
{
    if (text_reserve(t, 2 * n))
        text_done(t, w_hex(t->buf + t->len, b, n));
}

/* The most a receipt writes besides its three free-length names, the
 * proof's siblings and the bet: key names and punctuation (~300 bytes),
 * eight numbers of at most 20 characters, the check, stake, time, channel
 * and state strings (~80) and the hex of id, signature and root (288). */
#define RECEIPT_FIXED_MAX 1024
#define SIBLING_TEXT_MAX (2 * TSR_HASH_LEN + 3) /* ,"<hex>" */

/* The receipt from its start to the channel. */
static char *w_head(char *o, const tsr_ticket *t, size_t serial_len, size_t game_len,
                    size_t node_len)
{
    /* the same bytes as tsr_money_format, tsr_time_format and "%06" PRIu32 */
    char check[TSR_FMT_U64_MAX], stake[TSR_FMT_MONEY_MAX], at[TSR_FMT_TIME_LEN];
    size_t check_len = tsr_fmt_u64_zero_pad(check, t->check, CHECK_DIGITS);
    o = W_LIT(o, "{\"ticket_id\":\"");
    o = w_hex(o, t->id, sizeof t->id);
    o = W_LIT(o, "\",\"serial\":");
    o = w_str(o, t->serial, serial_len);
    o = W_LIT(o, ",\"check\":");
    o = w_str(o, check, check_len);
    o = W_LIT(o, ",\"game\":");
    o = w_str(o, t->game, game_len);
    o = W_LIT(o, ",\"draw\":");
    o = w_u64(o, t->draw);
    o = W_LIT(o, ",\"stake\":");
    o = w_str(o, stake, tsr_fmt_money(stake, t->stake_cents));
    o = W_LIT(o, ",\"stake_cents\":");
    o = w_i64(o, t->stake_cents);
    o = W_LIT(o, ",\"accepted_at\":");
    o = w_str(o, at, tsr_fmt_time(at, t->accepted_at_ns));
    o = W_LIT(o, ",\"accepted_at_ns\":");
    o = w_i64(o, t->accepted_at_ns);
    o = W_LIT(o, ",\"node\":");
    o = w_str(o, t->node, node_len);
    o = W_LIT(o, ",\"seq\":");
    o = w_u64(o, t->seq);
    if (t->channel == TSR_CHANNEL_RETAIL)
        return W_LIT(o, ",\"channel\":\"retail\"");
    return W_LIT(o, ",\"channel\":\"online\"");
}

/* ,"batch":{...},"proof":{...} of a batch-signed receipt. */
static char *w_batch(char *o, const tsr_receipt_sig *rs)
{
    o = W_LIT(o, ",\"batch\":{\"first_seq\":");
    o = w_u64(o, rs->batch.first_seq);
    o = W_LIT(o, ",\"last_seq\":");
    o = w_u64(o, rs->batch.last_seq);
    o = W_LIT(o, ",\"root\":\"");
    o = w_hex(o, rs->batch.root, TSR_HASH_LEN);
    o = W_LIT(o, "\"},\"proof\":{\"index\":");
    o = w_u64(o, rs->index);
    o = W_LIT(o, ",\"count\":");
    o = w_u64(o, rs->batch.count);
    o = W_LIT(o, ",\"siblings\":[");
    for (uint32_t i = 0; i < rs->depth; i++) {
        o = i ? W_LIT(o, ",\"") : W_LIT(o, "\"");
        o = w_hex(o, rs->siblings[i], TSR_HASH_LEN);
        *o++ = '"';
    }
    return W_LIT(o, "]}");
}

void tsr_receipt_text(tsr_text *out, const tsr_ticket *t, const tsr_receipt_sig *rs,
                      bool cancelled, const char *bet_json)
{
    size_t serial_len = strlen(t->serial), game_len = strlen(t->game), node_len = strlen(t->node);
    size_t bet_len = bet_json ? strlen(bet_json) : 2u * t->bet_len;
    size_t most = RECEIPT_FIXED_MAX + 6 * (serial_len + game_len + node_len) +
                  (size_t)rs->depth * SIBLING_TEXT_MAX + bet_len;
    if (!text_reserve(out, most))
        return;
    char *o = w_head(out->buf + out->len, t, serial_len, game_len, node_len);
    o = W_LIT(o, ",\"sig\":\"");
    o = w_hex(o, rs->sig, TSR_SIG_LEN);
    *o++ = '"';
    if (rs->batched)
        o = w_batch(o, rs);
    o = cancelled ? W_LIT(o, ",\"state\":\"cancelled\"") : W_LIT(o, ",\"state\":\"active\"");
    if (bet_json) {
        o = W_LIT(o, ",\"bet\":");
        o = w_raw(o, bet_json, bet_len);
        *o++ = '}';
    } else {
        o = W_LIT(o, ",\"bet_bytes\":\"");
        o = w_hex(o, t->bet, t->bet_len);
        o = W_LIT(o, "\"}");
    }
    text_done(out, o);
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

/* Receipt text without stdio: tsr_receipt_text, tsr_receipt_serial,
 * tsr_text_printf and tsr_text_json_string give the same bytes as the
 * printf-based forms the node used before (kept here as the reference:
 * replies are stored for idempotent retries and the serial and check code
 * are printed on paper slips, so not one byte may move), on edge values
 * and on many generated tickets (seed printed). */
#include <check.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../node/src/daemon.h"
#include "tessera/clock.h"
#include "tessera/log.h"
#include "tessera/money.h"
#include "tsr_test.h"

#define SEED UINT64_C(20261124)
#define ROUNDS 1500
#define REF_MAX 65536

/* ---- the reference: every piece through snprintf ------------------------------ */

typedef struct ref {
    char buf[REF_MAX];
    size_t len;
} ref;

static void ref_printf(ref *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ref_printf(ref *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->buf + r->len, sizeof r->buf - r->len, fmt, ap);
    va_end(ap);
    ck_assert(n >= 0 && (size_t)n < sizeof r->buf - r->len);
    r->len += (size_t)n;
}

static void ref_string(ref *r, const char *s)
{
    ref_printf(r, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            ref_printf(r, "\\%c", *p);
        else if (*p < 0x20)
            ref_printf(r, "\\u%04x", *p);
        else
            ref_printf(r, "%c", *p);
    }
    ref_printf(r, "\"");
}

static void ref_hex(ref *r, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ref_printf(r, "%02x", b[i]);
}

static void ref_batch(ref *r, const tsr_receipt_sig *rs)
{
    ref_printf(r, ",\"batch\":{\"first_seq\":%" PRIu64 ",\"last_seq\":%" PRIu64 ",\"root\":\"",
               rs->batch.first_seq, rs->batch.last_seq);
    ref_hex(r, rs->batch.root, TSR_HASH_LEN);
    ref_printf(r, "\"},\"proof\":{\"index\":%" PRIu32 ",\"count\":%" PRIu32 ",\"siblings\":[",
               rs->index, rs->batch.count);
    for (uint32_t i = 0; i < rs->depth; i++) {
        ref_printf(r, "%s\"", i ? "," : "");
        ref_hex(r, rs->siblings[i], TSR_HASH_LEN);
        ref_printf(r, "\"");
    }
    ref_printf(r, "]}");
}

static void ref_receipt(ref *r, const tsr_ticket *t, const tsr_receipt_sig *rs, bool cancelled,
                        const char *bet_json)
{
    char stake[TSR_MONEY_STR_MAX], at[40], check[12];
    tsr_money_format(t->stake_cents, stake, sizeof stake);
    tsr_time_format(t->accepted_at_ns, at, sizeof at);
    snprintf(check, sizeof check, "%06" PRIu32, t->check);
    ref_printf(r, "{\"ticket_id\":\"");
    ref_hex(r, t->id, sizeof t->id);
    ref_printf(r, "\",\"serial\":");
    ref_string(r, t->serial);
    ref_printf(r, ",\"check\":");
    ref_string(r, check);
    ref_printf(r, ",\"game\":");
    ref_string(r, t->game);
    ref_printf(r, ",\"draw\":%" PRIu32 ",\"stake\":", t->draw);
    ref_string(r, stake);
    ref_printf(r, ",\"stake_cents\":%" PRId64 ",\"accepted_at\":", t->stake_cents);
    ref_string(r, at);
    ref_printf(r, ",\"accepted_at_ns\":%" PRId64 ",\"node\":", t->accepted_at_ns);
    ref_string(r, t->node);
    ref_printf(r, ",\"seq\":%" PRIu64 ",\"channel\":\"%s\",\"sig\":\"", t->seq,
               t->channel == TSR_CHANNEL_RETAIL ? "retail" : "online");
    ref_hex(r, rs->sig, TSR_SIG_LEN);
    ref_printf(r, "\"");
    if (rs->batched)
        ref_batch(r, rs);
    ref_printf(r, ",\"state\":\"%s\"", cancelled ? "cancelled" : "active");
    if (bet_json) {
        ref_printf(r, ",\"bet\":%s}", bet_json);
    } else {
        ref_printf(r, ",\"bet_bytes\":\"");
        ref_hex(r, t->bet, t->bet_len);
        ref_printf(r, "\"}");
    }
}

/* The serial and check code as the node made them with snprintf. */
static void ref_serial(const tsr_ticket *t, char serial[TSR_SERIAL_MAX], uint32_t *check)
{
    snprintf(serial, TSR_SERIAL_MAX, "%.10s-%" PRIu64, t->node, t->seq);
    uint8_t h[TSR_HASH_LEN];
    tsr_hash_ctx c;
    tsr_hash256_init(&c);
    tsr_hash256_update(&c, t->id, sizeof t->id);
    tsr_hash256_update(&c, serial, strlen(serial));
    tsr_hash256_final(&c, h);
    *check = ((uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3]) % 1000000u;
}

/* ---- generated tickets -------------------------------------------------------- */

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static const int64_t EDGES[] = {0, 1, -1, 99, 100, -100, 999999, 1000000, INT64_MAX, INT64_MIN,
                                INT64_MIN + 1, INT32_MAX, UINT32_MAX, -1500000};

static int64_t any_i64(uint64_t *s)
{
    uint64_t r = splitmix(s);
    if (r % 4 == 0)
        return EDGES[r / 4 % (sizeof EDGES / sizeof *EDGES)];
    return (int64_t)(splitmix(s) >> (r % 64));
}

/* Names with what needs escaping: quotes, backslashes, control bytes,
 * DEL and bytes of multi-byte UTF-8 (passed through as they are). */
static void any_name(uint64_t *s, char *out, size_t cap)
{
    static const char pool[] = "ab-._Z09\"\\\x01\x1f\x7f\n\t\xc3\xa9/";
    size_t n = splitmix(s) % cap;
    for (size_t i = 0; i < n; i++)
        out[i] = pool[splitmix(s) % (sizeof pool - 1)];
    out[n] = '\0';
}

static void any_ticket(uint64_t *s, tsr_ticket *t, tsr_receipt_sig *rs)
{
    memset(t, 0, sizeof *t);
    memset(rs, 0, sizeof *rs);
    for (size_t i = 0; i < sizeof t->id; i++)
        t->id[i] = (uint8_t)splitmix(s);
    any_name(s, t->node, sizeof t->node);
    any_name(s, t->game, sizeof t->game);
    t->seq = (uint64_t)any_i64(s);
    t->draw = (uint32_t)any_i64(s);
    t->channel = (uint8_t)(splitmix(s) % 4);
    t->bet_len = (uint16_t)(splitmix(s) % (TSR_BET_MAX + 1));
    for (size_t i = 0; i < t->bet_len; i++)
        t->bet[i] = (uint8_t)splitmix(s);
    t->stake_cents = any_i64(s);
    t->accepted_at_ns = any_i64(s);
    if (splitmix(s) & 1)
        tsr_receipt_serial(t); /* also sets a check below a million */
    else {
        any_name(s, t->serial, sizeof t->serial);
        t->check = (uint32_t)any_i64(s); /* any stored value, even past six digits */
    }
    for (size_t i = 0; i < TSR_SIG_LEN; i++)
        rs->sig[i] = (uint8_t)splitmix(s);
    rs->batched = splitmix(s) & 1;
    rs->batch.first_seq = (uint64_t)any_i64(s);
    rs->batch.last_seq = (uint64_t)any_i64(s);
    rs->batch.count = (uint32_t)any_i64(s);
    rs->index = (uint32_t)any_i64(s);
    rs->depth = (uint32_t)(splitmix(s) % (TSR_RECEIPT_PROOF_MAX + 1));
    for (size_t i = 0; i < TSR_HASH_LEN; i++)
        rs->batch.root[i] = (uint8_t)splitmix(s);
    for (size_t d = 0; d < TSR_RECEIPT_PROOF_MAX; d++)
        for (size_t i = 0; i < TSR_HASH_LEN; i++)
            rs->siblings[d][i] = (uint8_t)splitmix(s);
}

START_TEST(receipts_match_the_printf_form)
{
    printf("receipt text seed %" PRIu64 "\n", SEED);
    uint64_t s = SEED;
    static const char *const bets[] = {NULL, "{\"type\":\"straight\",\"numbers\":[4,5,6]}", "{}"};
    for (int i = 0; i < ROUNDS; i++) {
        tsr_ticket t;
        tsr_receipt_sig rs;
        any_ticket(&s, &t, &rs);
        bool cancelled = splitmix(&s) & 1;
        const char *bet = bets[splitmix(&s) % 3];
        /* two receipts in one text, after a prefix, as the bet reply has them */
        ref want = {.len = 0};
        ref_printf(&want, "{\"receipts\":[");
        ref_receipt(&want, &t, &rs, cancelled, bet);
        ref_printf(&want, ",");
        ref_receipt(&want, &t, &rs, !cancelled, bet);
        tsr_text got = {0};
        tsr_text_printf(&got, "{\"receipts\":[");
        tsr_receipt_text(&got, &t, &rs, cancelled, bet);
        tsr_text_printf(&got, ",");
        tsr_receipt_text(&got, &t, &rs, !cancelled, bet);
        ck_assert(!got.failed);
        ck_assert_uint_eq(got.len, want.len);
        ck_assert_str_eq(got.buf, want.buf);
        free(got.buf);
    }
}
END_TEST

START_TEST(serials_and_check_codes_match_the_printf_form)
{
    printf("serial seed %" PRIu64 "\n", SEED);
    uint64_t s = SEED;
    for (int i = 0; i < 20 * ROUNDS; i++) {
        tsr_ticket t;
        memset(&t, 0, sizeof t);
        for (size_t k = 0; k < sizeof t.id; k++)
            t.id[k] = (uint8_t)splitmix(&s);
        any_name(&s, t.node, sizeof t.node);
        t.seq = (uint64_t)any_i64(&s);
        char want[TSR_SERIAL_MAX];
        uint32_t check;
        ref_serial(&t, want, &check);
        tsr_receipt_serial(&t);
        ck_assert_str_eq(t.serial, want);
        ck_assert_uint_eq(t.check, check);
    }
    tsr_ticket e;
    memset(&e, 0, sizeof e);
    strcpy(e.node, "node-0123456789abcdef");
    e.seq = UINT64_MAX;
    tsr_receipt_serial(&e);
    ck_assert_str_eq(e.serial, "node-01234-18446744073709551615"); /* 31 characters: the most */
    e.node[0] = '\0';
    e.seq = 0;
    tsr_receipt_serial(&e);
    ck_assert_str_eq(e.serial, "-0");
    ck_assert_uint_lt(e.check, 1000000);
}
END_TEST

/* tsr_text_printf formats in place when the piece fits and measures only
 * when it does not: pieces of every length across the buffer's growth. */
START_TEST(printf_pieces_grow_the_text_exactly)
{
    tsr_text got = {0};
    ref want = {.len = 0};
    char piece[600];
    for (int i = 0; i < 60; i++) {
        size_t n = (size_t)(i * 37 % 599);
        memset(piece, 'a' + i % 26, n);
        piece[n] = '\0';
        tsr_text_printf(&got, "%d:%s;", i, piece);
        ref_printf(&want, "%d:%s;", i, piece);
        ck_assert_uint_eq(got.len, want.len);
        ck_assert_str_eq(got.buf, want.buf);
    }
    tsr_text_printf(&got, "%s", "");
    ck_assert_uint_eq(got.len, want.len);
    tsr_text_json_string(&got, "q\"b\\c\x01\x1f\x7f\xc3\xa9/");
    ck_assert_str_eq(got.buf + want.len, "\"q\\\"b\\\\c\\u0001\\u001f\x7f\xc3\xa9/\"");
    free(got.buf);
    /* a text that ran out of memory stays as it was */
    tsr_text failed = {.failed = true};
    tsr_text_printf(&failed, "%s", "x");
    tsr_text_json_string(&failed, "x");
    ck_assert_ptr_null(failed.buf);
    ck_assert_uint_eq(failed.len, 0);
}
END_TEST

/* The public appenders against the printf form of a bet reply's head. */
START_TEST(appenders_match_the_printf_form)
{
    uint64_t s = SEED;
    for (int i = 0; i < 20 * ROUNDS; i++) {
        uint8_t id[16];
        for (size_t k = 0; k < sizeof id; k++)
            id[k] = (uint8_t)splitmix(&s);
        int64_t total = any_i64(&s);
        char hex[33], money[TSR_MONEY_STR_MAX];
        tsr_text want = {0}, got = {0};
        tsr_text_printf(&want, "{\"bet_id\":\"%s\",\"total_stake\":\"%s\",\"total_stake_cents\":%lld,",
                        tsr_hex_encode(hex, sizeof hex, id, sizeof id),
                        tsr_money_format(total, money, sizeof money), (long long)total);
        tsr_text_append(&got, "{\"bet_id\":\"", 11);
        tsr_text_hex(&got, id, sizeof id);
        tsr_text_append(&got, "\",\"total_stake\":\"", 17);
        tsr_text_money(&got, total);
        tsr_text_append(&got, "\",\"total_stake_cents\":", 22);
        tsr_text_i64(&got, total);
        tsr_text_append(&got, ",", 1);
        ck_assert_str_eq(got.buf, want.buf);
        ck_assert_uint_eq(got.len, want.len);
        free(got.buf);
        free(want.buf);
    }
}
END_TEST

static Suite *receipt_text_suite(void)
{
    Suite *s = suite_create("receipt_text");
    TCase *tc = tcase_create("receipt_text");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, receipts_match_the_printf_form);
    tcase_add_test(tc, serials_and_check_codes_match_the_printf_form);
    tcase_add_test(tc, printf_pieces_grow_the_text_exactly);
    tcase_add_test(tc, appenders_match_the_printf_form);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(receipt_text_suite()); }

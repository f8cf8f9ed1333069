/* The canonical encoding: primitives, objects, strictness, leaves, chain,
 * signed objects, batches, JSON forms. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/codec.h"
#include "tessera/merkle.h"
#include "tsr_test.h"

static void keypair(tsr_keypair *kp, uint8_t tag)
{
    uint8_t seed[TSR_SEED_LEN];
    memset(seed, tag, sizeof seed);
    tsr_keypair_from_seed(kp, seed);
}

static tsr_ticket ticket(const char *node, uint64_t seq)
{
    tsr_ticket t = {.seq = seq, .draw = 42, .channel = TSR_CHANNEL_RETAIL, .bet_len = 5,
                    .stake_cents = 200, .accepted_at_ns = 1700000000123456789, .check = 987654};
    snprintf(t.node, sizeof t.node, "%s", node);
    snprintf(t.game, sizeof t.game, "lotto-6-49");
    snprintf(t.serial, sizeof t.serial, "N1-%06llu", (unsigned long long)seq);
    for (int i = 0; i < 16; i++)
        t.id[i] = (uint8_t)(seq * 31 + (uint64_t)i);
    memcpy(t.bet, "\x01\x06\x07\x0a\x11", 5);
    return t;
}

static tsr_cancel cancel(const char *node, uint64_t seq)
{
    tsr_cancel c = {.seq = seq, .draw = 42, .refund_cents = 200, .cancelled_at_ns = 17};
    snprintf(c.node, sizeof c.node, "%s", node);
    snprintf(c.game, sizeof c.game, "lotto-6-49");
    memset(c.ticket_id, 9, sizeof c.ticket_id);
    return c;
}

static tsr_seal seal(void)
{
    tsr_seal s = {.node = "node-1", .game = "keno", .draw = 7, .count = 3,
                  .stake_total_cents = 600, .first_seq = 10, .last_seq = 14, .sealed_at_ns = 99};
    memset(s.merkle_root, 0xee, sizeof s.merkle_root);
    return s;
}

static size_t encode_ticket(const tsr_ticket *t, uint8_t *buf, size_t cap)
{
    tsr_enc e;
    size_t len;
    tsr_enc_init(&e, buf, cap);
    ck_assert_int_eq(tsr_ticket_encode(t, &e), TSR_OK);
    ck_assert_int_eq(tsr_enc_finish(&e, &len), TSR_OK);
    return len;
}

START_TEST(writer_is_big_endian_bounded_and_sticky)
{
    uint8_t buf[32];
    tsr_enc e;
    size_t len;
    tsr_enc_init(&e, buf, sizeof buf);
    tsr_enc_put_u8(&e, 0x01);
    tsr_enc_put_u16(&e, 0x0203);
    tsr_enc_put_u32(&e, 0x04050607);
    tsr_enc_put_u64(&e, 0x08090a0b0c0d0e0fULL);
    tsr_enc_put_i64(&e, -2);
    tsr_enc_put_str(&e, "ab");
    ck_assert_int_eq(tsr_enc_finish(&e, &len), TSR_OK);
    ck_assert_uint_eq(len, 1 + 2 + 4 + 8 + 8 + 4);
    static const uint8_t want[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0, 2, 'a', 'b'};
    ck_assert_mem_eq(buf, want, sizeof want);
    tsr_enc_put_bytes(&e, "12345", 5); /* 9 bytes into 5 left: overflow */
    tsr_enc_put_u8(&e, 1);              /* would fit, but overflow is sticky */
    ck_assert_int_eq(tsr_enc_finish(&e, &len), TSR_ERR_TOO_LARGE);
    ck_assert_uint_eq(e.len, 31); /* the length prefix fitted, its bytes did not */
}
END_TEST

START_TEST(reader_refuses_truncation_trailing_and_overlong)
{
    static const uint8_t data[] = {0, 3, 'a', 'b', 'c', 0, 0, 0, 2, 'x', 'y', 7};
    tsr_dec d;
    char s[4];
    uint8_t b[2];
    size_t n;
    uint8_t u;
    tsr_dec_init(&d, data, sizeof data);
    ck_assert_int_eq(tsr_dec_get_str(&d, s, sizeof s), TSR_OK);
    ck_assert_str_eq(s, "abc");
    ck_assert_int_eq(tsr_dec_get_bytes(&d, b, sizeof b, &n), TSR_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(tsr_dec_finish(&d), TSR_ERR_ENCODING); /* one trailing byte */
    ck_assert_int_eq(tsr_dec_get_u8(&d, &u), TSR_OK);
    ck_assert_int_eq(tsr_dec_finish(&d), TSR_OK);
    uint32_t v;
    ck_assert_int_eq(tsr_dec_get_u32(&d, &v), TSR_ERR_ENCODING); /* truncated */
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(tsr_dec_get_u8(&d, &u), TSR_ERR_ENCODING);  /* sticky */
    tsr_dec_init(&d, data, sizeof data);
    ck_assert_int_eq(tsr_dec_get_str(&d, s, 3), TSR_ERR_ENCODING); /* needs 4 */
    tsr_dec_init(&d, data + 5, sizeof data - 5);
    ck_assert_int_eq(tsr_dec_get_bytes(&d, b, 1, &n), TSR_ERR_ENCODING); /* over-long */
    static const uint8_t nul[] = {0, 2, 'a', 0};
    tsr_dec_init(&d, nul, sizeof nul);
    ck_assert_int_eq(tsr_dec_get_str(&d, s, sizeof s), TSR_ERR_ENCODING);
    static const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 1};
    const uint8_t *p;
    tsr_dec_init(&d, huge, sizeof huge);
    ck_assert_int_eq(tsr_dec_get_bytes_ref(&d, &p, &n, SIZE_MAX), TSR_ERR_ENCODING);
    static const uint8_t hdr[] = {TSR_TYPE_SEAL, 2};
    tsr_dec_init(&d, hdr, 2);
    ck_assert_int_eq(tsr_dec_header(&d, TSR_TYPE_SEAL), TSR_ERR_VERSION);
    tsr_dec_init(&d, hdr, 2);
    ck_assert_int_eq(tsr_dec_header(&d, TSR_TYPE_TICKET), TSR_ERR_ENCODING);
}
END_TEST

START_TEST(ticket_round_trips_and_every_truncation_fails)
{
    tsr_ticket t = ticket("node-1", 5), back;
    uint8_t buf[TSR_TICKET_ENC_MAX + 1];
    size_t len = encode_ticket(&t, buf, sizeof buf);
    ck_assert_int_eq(tsr_ticket_decode(buf, len, &back), TSR_OK);
    ck_assert_mem_eq(&back, &t, sizeof t);
    for (size_t cut = 0; cut < len; cut++)
        ck_assert_int_eq(tsr_ticket_decode(buf, cut, &back), TSR_ERR_ENCODING);
    buf[len] = 0;
    ck_assert_int_eq(tsr_ticket_decode(buf, len + 1, &back), TSR_ERR_ENCODING);
    buf[1] = 2;
    ck_assert_int_eq(tsr_ticket_decode(buf, len, &back), TSR_ERR_VERSION);
    buf[1] = TSR_CODEC_VERSION;
    buf[0] = TSR_TYPE_CANCEL;
    ck_assert_int_eq(tsr_ticket_decode(buf, len, &back), TSR_ERR_ENCODING);
    tsr_cancel c;
    ck_assert_int_eq(tsr_cancel_decode(buf, len, &c), TSR_ERR_ENCODING);
}
END_TEST

START_TEST(maximal_ticket_has_the_documented_size)
{
    tsr_ticket t = ticket("n", 1), back;
    memset(t.node, 'N', TSR_NAME_MAX - 1);
    memset(t.game, 'G', TSR_NAME_MAX - 1);
    memset(t.serial, 'S', TSR_SERIAL_MAX - 1);
    t.bet_len = TSR_BET_MAX;
    memset(t.bet, 0xab, TSR_BET_MAX);
    uint8_t buf[TSR_TICKET_ENC_MAX];
    ck_assert_uint_eq(encode_ticket(&t, buf, sizeof buf), TSR_TICKET_ENC_MAX);
    ck_assert_int_eq(tsr_ticket_decode(buf, sizeof buf, &back), TSR_OK);
    ck_assert_mem_eq(&back, &t, sizeof t);
    /* Over-long bet: claim 161 bytes in the length prefix. The bet length
     * field sits after tag, version, id, node, seq, game, draw, channel. */
    size_t at = 2 + 16 + 2 + 31 + 8 + 2 + 31 + 4 + 1;
    ck_assert_uint_eq(buf[at + 3], TSR_BET_MAX);
    buf[at + 3] = TSR_BET_MAX + 1;
    ck_assert_int_eq(tsr_ticket_decode(buf, sizeof buf, &back), TSR_ERR_ENCODING);
}
END_TEST

START_TEST(encoders_refuse_values_without_canonical_form)
{
    uint8_t buf[TSR_TICKET_ENC_MAX];
    tsr_enc e;
    tsr_ticket t;
    t = ticket("node-1", 0);
    tsr_enc_init(&e, buf, sizeof buf);
    ck_assert_int_eq(tsr_ticket_encode(&t, &e), TSR_ERR_RANGE); /* seq 0 */
    t = ticket("node 1", 1);
    ck_assert_int_eq(tsr_ticket_encode(&t, &e), TSR_ERR_RANGE);
    t = ticket("node-1", 1);
    t.channel = 3;
    ck_assert_int_eq(tsr_ticket_encode(&t, &e), TSR_ERR_RANGE);
    t = ticket("node-1", 1);
    t.bet_len = TSR_BET_MAX + 1;
    ck_assert_int_eq(tsr_ticket_encode(&t, &e), TSR_ERR_RANGE);
    t = ticket("node-1", 1);
    t.stake_cents = -1;
    ck_assert_int_eq(tsr_ticket_encode(&t, &e), TSR_ERR_RANGE);
    t = ticket("node-1", 1);
    t.serial[0] = '\0';
    ck_assert_int_eq(tsr_ticket_encode(&t, &e), TSR_ERR_RANGE);
    t = ticket("node-1", 1);
    memset(t.game, 'g', sizeof t.game); /* no NUL */
    ck_assert_int_eq(tsr_ticket_encode(&t, &e), TSR_ERR_TOO_LONG);
    ck_assert_uint_eq(e.len, 0);
    t = ticket("node-1", 1);
    tsr_enc_init(&e, buf, 50);
    ck_assert_int_eq(tsr_ticket_encode(&t, &e), TSR_ERR_TOO_LARGE);
    /* A decoder refuses the same values: patch the channel byte to 3. */
    t = ticket("node-1", 1);
    size_t len = encode_ticket(&t, buf, sizeof buf);
    size_t ch = 2 + 16 + 2 + 6 + 8 + 2 + 10 + 4;
    ck_assert_uint_eq(buf[ch], TSR_CHANNEL_RETAIL);
    buf[ch] = 3;
    tsr_ticket back;
    ck_assert_int_eq(tsr_ticket_decode(buf, len, &back), TSR_ERR_ENCODING);
    buf[ch] = TSR_CHANNEL_ONLINE;
    ck_assert_int_eq(tsr_ticket_decode(buf, len, &back), TSR_OK);
    buf[2 + 16 + 2] = ' '; /* "node-1" -> " ode-1" */
    ck_assert_int_eq(tsr_ticket_decode(buf, len, &back), TSR_ERR_ENCODING);
}
END_TEST

START_TEST(cancel_seal_and_receipt_round_trip)
{
    uint8_t buf[256];
    tsr_enc e;
    size_t len;
    tsr_cancel c = cancel("node-2", 9), cb;
    tsr_enc_init(&e, buf, sizeof buf);
    ck_assert_int_eq(tsr_cancel_encode(&c, &e), TSR_OK);
    ck_assert_int_eq(tsr_enc_finish(&e, &len), TSR_OK);
    ck_assert_int_eq(tsr_cancel_decode(buf, len, &cb), TSR_OK);
    ck_assert_mem_eq(&cb, &c, sizeof c);
    ck_assert_int_eq(tsr_cancel_decode(buf, len - 1, &cb), TSR_ERR_ENCODING);
    c.refund_cents = -5;
    ck_assert_int_eq(tsr_cancel_encode(&c, &e), TSR_ERR_RANGE);

    tsr_seal s = seal(), sb;
    tsr_enc_init(&e, buf, sizeof buf);
    ck_assert_int_eq(tsr_seal_encode(&s, &e), TSR_OK);
    ck_assert_int_eq(tsr_enc_finish(&e, &len), TSR_OK);
    ck_assert_int_eq(tsr_seal_decode(buf, len, &sb), TSR_OK);
    ck_assert_mem_eq(&sb, &s, sizeof s);
    s.count = 6; /* more tickets than seqs 10..14 */
    ck_assert_int_eq(tsr_seal_encode(&s, &e), TSR_ERR_RANGE);
    s = seal();
    s.first_seq = 15;
    ck_assert_int_eq(tsr_seal_encode(&s, &e), TSR_ERR_RANGE);
    s = (tsr_seal){.node = "n", .game = "g"}; /* an empty draw */
    tsr_enc_init(&e, buf, sizeof buf);
    ck_assert_int_eq(tsr_seal_encode(&s, &e), TSR_OK);
    s.last_seq = 3;
    ck_assert_int_eq(tsr_seal_encode(&s, &e), TSR_ERR_RANGE);

    tsr_node_receipt r = {.node = "node-3", .up_to_seq = 77, .issued_at_ns = 5}, rb;
    memset(r.chain, 0x42, sizeof r.chain);
    tsr_enc_init(&e, buf, sizeof buf);
    ck_assert_int_eq(tsr_node_receipt_encode(&r, &e), TSR_OK);
    ck_assert_int_eq(tsr_enc_finish(&e, &len), TSR_OK);
    ck_assert_int_eq(tsr_node_receipt_decode(buf, len, &rb), TSR_OK);
    ck_assert_mem_eq(&rb, &r, sizeof r);
    ck_assert_int_eq(tsr_seal_decode(buf, len, &sb), TSR_ERR_ENCODING);
    r.node[0] = '\0';
    ck_assert_int_eq(tsr_node_receipt_encode(&r, &e), TSR_ERR_RANGE);
}
END_TEST

START_TEST(leaves_bind_every_field_and_the_kind)
{
    tsr_ticket t = ticket("node-1", 3);
    uint8_t leaf[TSR_HASH_LEN], other[TSR_HASH_LEN], buf[TSR_TICKET_ENC_MAX];
    ck_assert_int_eq(tsr_ticket_leaf(&t, leaf), TSR_OK);
    size_t len = encode_ticket(&t, buf, sizeof buf);
    tsr_merkle_leaf(buf, len, other);
    ck_assert_mem_eq(leaf, other, TSR_HASH_LEN);
    tsr_hash256(other, buf, len); /* unprefixed hash differs: domain separation */
    ck_assert(memcmp(leaf, other, TSR_HASH_LEN) != 0);
    tsr_ticket u = t;
    u.stake_cents++;
    ck_assert_int_eq(tsr_ticket_leaf(&u, other), TSR_OK);
    ck_assert(memcmp(leaf, other, TSR_HASH_LEN) != 0);
    u = t;
    u.bet[4] ^= 1;
    ck_assert_int_eq(tsr_ticket_leaf(&u, other), TSR_OK);
    ck_assert(memcmp(leaf, other, TSR_HASH_LEN) != 0);
    u = t;
    u.bet[100] = 7; /* beyond bet_len: not part of the ticket */
    ck_assert_int_eq(tsr_ticket_leaf(&u, other), TSR_OK);
    ck_assert_mem_eq(leaf, other, TSR_HASH_LEN);
    tsr_cancel c = cancel("node-1", 3);
    ck_assert_int_eq(tsr_cancel_leaf(&c, other), TSR_OK);
    ck_assert(memcmp(leaf, other, TSR_HASH_LEN) != 0);
    u.channel = 0;
    ck_assert_int_eq(tsr_ticket_leaf(&u, other), TSR_ERR_RANGE);
    c.node[0] = '\0';
    ck_assert_int_eq(tsr_cancel_leaf(&c, other), TSR_ERR_RANGE);
}
END_TEST

START_TEST(chain_follows_its_definition)
{
    uint8_t c0[TSR_HASH_LEN], c1[TSR_HASH_LEN], want[TSR_HASH_LEN], e[TSR_HASH_LEN];
    uint8_t msg[9 + 64];
    tsr_chain_init(c0);
    for (int i = 0; i < TSR_HASH_LEN; i++)
        ck_assert_int_eq(c0[i], 0);
    memset(e, 0x11, sizeof e);
    tsr_chain_next(c0, e, c1);
    memcpy(msg, "tsr-chain", 9);
    memcpy(msg + 9, c0, 32);
    memcpy(msg + 41, e, 32);
    tsr_hash256(want, msg, sizeof msg);
    ck_assert_mem_eq(c1, want, TSR_HASH_LEN);
    tsr_chain_next(c1, e, c1); /* aliasing allowed */
    memcpy(msg + 9, want, 32);
    tsr_hash256(want, msg, sizeof msg);
    ck_assert_mem_eq(c1, want, TSR_HASH_LEN);
}
END_TEST

START_TEST(signed_seal_and_receipt_verify_only_with_their_key)
{
    tsr_keypair kp, other;
    keypair(&kp, 1);
    keypair(&other, 2);
    tsr_seal s = seal(), back;
    uint8_t buf[TSR_SIGNED_MAX(TSR_SEAL_ENC_MAX)];
    size_t len;
    ck_assert_int_eq(tsr_seal_sign(&s, &kp, buf, sizeof buf, &len), TSR_OK);
    ck_assert_int_eq(tsr_seal_open(kp.pk, buf, len, &back), TSR_OK);
    ck_assert_mem_eq(&back, &s, sizeof s);
    ck_assert_int_eq(tsr_seal_open(other.pk, buf, len, &back), TSR_ERR_SIGNATURE);
    for (size_t i = 0; i < len; i++) {
        buf[i] ^= 0x20;
        ck_assert_int_eq(tsr_seal_open(kp.pk, buf, len, &back), TSR_ERR_SIGNATURE);
        buf[i] ^= 0x20;
    }
    ck_assert_int_eq(tsr_seal_open(kp.pk, buf, 100, &back), TSR_ERR_SIGNATURE);
    ck_assert_int_eq(tsr_seal_open(kp.pk, buf, 63, &back), TSR_ERR_ENCODING);
    ck_assert_int_eq(tsr_seal_sign(&s, &kp, buf, 100, &len), TSR_ERR_TOO_LARGE);
    ck_assert_int_eq(tsr_seal_sign(&s, &kp, buf, 10, &len), TSR_ERR_TOO_LARGE);
    /* A correctly signed receipt is not a seal. */
    tsr_node_receipt r = {.node = "node-1", .up_to_seq = 3}, rb;
    uint8_t rbuf[TSR_SIGNED_MAX(TSR_NODE_RECEIPT_ENC_MAX)];
    ck_assert_int_eq(tsr_node_receipt_sign(&r, &kp, rbuf, sizeof rbuf, &len), TSR_OK);
    ck_assert_int_eq(tsr_node_receipt_open(kp.pk, rbuf, len, &rb), TSR_OK);
    ck_assert_mem_eq(&rb, &r, sizeof r);
    ck_assert_int_eq(tsr_seal_open(kp.pk, rbuf, len, &back), TSR_ERR_ENCODING);
    ck_assert_int_eq(tsr_node_receipt_open(other.pk, rbuf, len, &rb), TSR_ERR_SIGNATURE);
    const uint8_t *body;
    size_t body_len;
    ck_assert_int_eq(tsr_signed_make(&kp, "hello", 5, rbuf, sizeof rbuf, &len), TSR_OK);
    ck_assert_int_eq(tsr_signed_open(kp.pk, rbuf, len, &body, &body_len), TSR_OK);
    ck_assert_uint_eq(body_len, 5);
    ck_assert_mem_eq(body, "hello", 5);
}
END_TEST

/* ---- batches ------------------------------------------------------------------ */

static uint8_t *batch_buf;

static void batch_setup(void) { batch_buf = malloc(TSR_BATCH_MAX_BYTES + 64); }
static void batch_teardown(void) { free(batch_buf); }

START_TEST(batch_round_trip_with_tickets_and_cancels)
{
    tsr_keypair kp;
    keypair(&kp, 1);
    tsr_batch_builder *b;
    ck_assert_int_eq(tsr_batch_builder_create(&b, "node-1"), TSR_OK);
    for (uint64_t seq = 100; seq < 110; seq++) {
        if (seq % 4 == 0) {
            tsr_cancel c = cancel("node-1", seq);
            ck_assert_int_eq(tsr_batch_add_cancel(b, &c), TSR_OK);
        } else {
            tsr_ticket t = ticket("node-1", seq);
            ck_assert_int_eq(tsr_batch_add_ticket(b, &t), TSR_OK);
        }
    }
    ck_assert_uint_eq(tsr_batch_builder_count(b), 10);
    size_t len;
    ck_assert_int_eq(tsr_batch_finish(b, &kp, batch_buf, TSR_BATCH_MAX_BYTES, &len), TSR_OK);
    tsr_batch_info info;
    ck_assert_int_eq(tsr_batch_peek(batch_buf, len, &info), TSR_OK);
    ck_assert_str_eq(info.node, "node-1");
    tsr_batch_iter it;
    ck_assert_int_eq(tsr_batch_verify(kp.pk, batch_buf, len, &info, &it), TSR_OK);
    ck_assert_uint_eq(info.first_seq, 100);
    ck_assert_uint_eq(info.last_seq, 109);
    ck_assert_uint_eq(info.count, 10);
    tsr_batch_entry *e = malloc(sizeof *e);
    uint64_t want = 100;
    while (tsr_batch_next(&it, e)) {
        uint8_t leaf[TSR_HASH_LEN];
        ck_assert_uint_eq(e->seq, want);
        if (want % 4 == 0) {
            tsr_cancel c = cancel("node-1", want);
            ck_assert_int_eq(e->kind, TSR_ENTRY_CANCEL);
            ck_assert_mem_eq(&e->u.cancel, &c, sizeof c);
            ck_assert_int_eq(tsr_cancel_leaf(&c, leaf), TSR_OK);
        } else {
            tsr_ticket t = ticket("node-1", want);
            ck_assert_int_eq(e->kind, TSR_ENTRY_TICKET);
            ck_assert_mem_eq(&e->u.ticket, &t, sizeof t);
            ck_assert_int_eq(tsr_ticket_leaf(&t, leaf), TSR_OK);
        }
        ck_assert_mem_eq(e->leaf, leaf, TSR_HASH_LEN);
        want++;
    }
    ck_assert_uint_eq(want, 110);
    ck_assert(!tsr_batch_next(&it, e));
    /* The same builder re-forms the same bytes (restart safety). */
    size_t len2;
    ck_assert_int_eq(tsr_batch_finish(b, &kp, batch_buf + len, TSR_BATCH_MAX_BYTES, &len2),
                     TSR_OK);
    ck_assert_uint_eq(len2, len);
    ck_assert_mem_eq(batch_buf, batch_buf + len, len < 64 ? len : 64);
    free(e);
    tsr_batch_builder_destroy(b);
}
END_TEST

START_TEST(batch_builder_enforces_order_node_and_limits)
{
    tsr_keypair kp;
    keypair(&kp, 1);
    tsr_batch_builder *b;
    size_t len;
    ck_assert_int_eq(tsr_batch_builder_create(&b, "bad node"), TSR_ERR_RANGE);
    ck_assert_ptr_null(b);
    ck_assert_int_eq(tsr_batch_builder_create(&b, "node-1"), TSR_OK);
    ck_assert_int_eq(tsr_batch_finish(b, &kp, batch_buf, TSR_BATCH_MAX_BYTES, &len), TSR_ERR_ARG);
    tsr_ticket t = ticket("node-1", 1);
    ck_assert_int_eq(tsr_batch_add_ticket(b, &t), TSR_OK);
    t = ticket("node-1", 3);
    ck_assert_int_eq(tsr_batch_add_ticket(b, &t), TSR_ERR_ARG); /* gap */
    t = ticket("node-2", 2);
    ck_assert_int_eq(tsr_batch_add_ticket(b, &t), TSR_ERR_ARG); /* other node */
    t = ticket("node-1", 2);
    t.channel = 9;
    ck_assert_int_eq(tsr_batch_add_ticket(b, &t), TSR_ERR_RANGE);
    ck_assert_uint_eq(tsr_batch_builder_count(b), 1);
    ck_assert_int_eq(tsr_batch_finish(b, &kp, batch_buf, 100, &len), TSR_ERR_TOO_LARGE);
    tsr_batch_builder_reset(b);
    for (uint64_t seq = 1; seq <= TSR_BATCH_MAX_ENTRIES; seq++) {
        t = ticket("node-1", seq);
        t.bet_len = TSR_BET_MAX;
        ck_assert_int_eq(tsr_batch_add_ticket(b, &t), TSR_OK);
    }
    t = ticket("node-1", TSR_BATCH_MAX_ENTRIES + 1);
    ck_assert_int_eq(tsr_batch_add_ticket(b, &t), TSR_ERR_TOO_LARGE);
    ck_assert_int_eq(tsr_batch_finish(b, &kp, batch_buf, TSR_BATCH_MAX_BYTES, &len), TSR_OK);
    ck_assert_uint_le(len, TSR_BATCH_MAX_BYTES);
    ck_assert_int_eq(tsr_batch_verify(kp.pk, batch_buf, len, NULL, NULL), TSR_OK);
    printf("full batch of %d maximal tickets: %zu bytes\n", TSR_BATCH_MAX_ENTRIES, len);
    tsr_batch_builder_destroy(b);
    tsr_batch_builder_destroy(NULL);
}
END_TEST

/* Writes a batch by hand (any header, any entries) and signs it: a node
 * that signs nonsense must still be caught. seqs[i] is entry i's seq. */
static size_t raw_batch(const tsr_keypair *kp, const char *node, uint64_t first, uint64_t last,
                        uint32_t count, const uint64_t *seqs, size_t n, const char *entry_node)
{
    tsr_enc e;
    size_t len;
    tsr_enc_init(&e, batch_buf, TSR_BATCH_MAX_BYTES);
    tsr_enc_put_u8(&e, TSR_TYPE_BATCH);
    tsr_enc_put_u8(&e, TSR_CODEC_VERSION);
    tsr_enc_put_str(&e, node);
    tsr_enc_put_u64(&e, first);
    tsr_enc_put_u64(&e, last);
    tsr_enc_put_u32(&e, count);
    for (size_t i = 0; i < n; i++) {
        uint8_t buf[TSR_TICKET_ENC_MAX];
        tsr_ticket t = ticket(entry_node, seqs[i]);
        size_t tl = encode_ticket(&t, buf, sizeof buf);
        tsr_enc_put_u8(&e, TSR_ENTRY_TICKET);
        tsr_enc_put_bytes(&e, buf, tl);
    }
    ck_assert_int_eq(tsr_enc_finish(&e, &len), TSR_OK);
    ck_assert_int_eq(tsr_signed_make(kp, batch_buf, len, batch_buf, TSR_BATCH_MAX_BYTES, &len),
                     TSR_OK);
    return len;
}

START_TEST(forged_gapped_and_inconsistent_batches_are_refused)
{
    tsr_keypair kp, other;
    keypair(&kp, 1);
    keypair(&other, 2);
    const uint64_t good[] = {5, 6, 7}, gap[] = {5, 6, 8}, dup[] = {5, 5, 6};
    size_t len = raw_batch(&kp, "node-1", 5, 7, 3, good, 3, "node-1");
    tsr_batch_info info;
    tsr_batch_iter it;
    ck_assert_int_eq(tsr_batch_verify(kp.pk, batch_buf, len, &info, &it), TSR_OK);
    /* forged: signed by another key */
    len = raw_batch(&other, "node-1", 5, 7, 3, good, 3, "node-1");
    ck_assert_int_eq(tsr_batch_verify(kp.pk, batch_buf, len, &info, &it), TSR_ERR_SIGNATURE);
    ck_assert_uint_eq(info.count, 0);
    /* tampered after signing */
    len = raw_batch(&kp, "node-1", 5, 7, 3, good, 3, "node-1");
    batch_buf[len / 2] ^= 1;
    ck_assert_int_eq(tsr_batch_verify(kp.pk, batch_buf, len, &info, &it), TSR_ERR_SIGNATURE);
    /* a gap in the entries */
    len = raw_batch(&kp, "node-1", 5, 7, 3, gap, 3, "node-1");
    ck_assert_int_eq(tsr_batch_verify(kp.pk, batch_buf, len, &info, &it),
                     TSR_ERR_BATCH_INCONSISTENT);
    len = raw_batch(&kp, "node-1", 5, 7, 3, dup, 3, "node-1");
    ck_assert_int_eq(tsr_batch_verify(kp.pk, batch_buf, len, &info, &it),
                     TSR_ERR_BATCH_INCONSISTENT);
    /* header count disagrees with first..last */
    len = raw_batch(&kp, "node-1", 5, 8, 3, good, 3, "node-1");
    ck_assert_int_eq(tsr_batch_verify(kp.pk, batch_buf, len, &info, &it),
                     TSR_ERR_BATCH_INCONSISTENT);
    len = raw_batch(&kp, "node-1", 7, 5, 3, good, 3, "node-1");
    ck_assert_int_eq(tsr_batch_verify(kp.pk, batch_buf, len, &info, &it),
                     TSR_ERR_BATCH_INCONSISTENT);
    /* header says 3 but only 2 entries follow: entries run out */
    len = raw_batch(&kp, "node-1", 5, 7, 3, good, 2, "node-1");
    ck_assert_int_eq(tsr_batch_verify(kp.pk, batch_buf, len, &info, &it), TSR_ERR_ENCODING);
    /* header says 2 but 3 entries follow: trailing bytes */
    len = raw_batch(&kp, "node-1", 5, 6, 2, good, 3, "node-1");
    ck_assert_int_eq(tsr_batch_verify(kp.pk, batch_buf, len, &info, &it), TSR_ERR_ENCODING);
    /* entries of another node */
    len = raw_batch(&kp, "node-1", 5, 7, 3, good, 3, "node-9");
    ck_assert_int_eq(tsr_batch_verify(kp.pk, batch_buf, len, &info, &it),
                     TSR_ERR_BATCH_INCONSISTENT);
    /* count 0 and over the limit are malformed */
    len = raw_batch(&kp, "node-1", 5, 7, 0, good, 0, "node-1");
    ck_assert_int_eq(tsr_batch_verify(kp.pk, batch_buf, len, &info, &it), TSR_ERR_ENCODING);
    len = raw_batch(&kp, "node-1", 1, TSR_BATCH_MAX_ENTRIES + 1, TSR_BATCH_MAX_ENTRIES + 1, good,
                    0, "node-1");
    ck_assert_int_eq(tsr_batch_verify(kp.pk, batch_buf, len, &info, &it), TSR_ERR_ENCODING);
}
END_TEST

START_TEST(malformed_and_truncated_batches_are_refused)
{
    tsr_keypair kp;
    keypair(&kp, 1);
    const uint64_t good[] = {1, 2};
    size_t len = raw_batch(&kp, "node-1", 1, 2, 2, good, 2, "node-1");
    tsr_batch_info info;
    ck_assert_int_eq(tsr_batch_verify(kp.pk, batch_buf, TSR_BATCH_MAX_BYTES + 1, &info, NULL),
                     TSR_ERR_TOO_LARGE);
    ck_assert_int_eq(tsr_batch_peek(batch_buf, TSR_BATCH_MAX_BYTES + 1, &info), TSR_ERR_TOO_LARGE);
    ck_assert_int_eq(tsr_batch_verify(kp.pk, batch_buf, 63, &info, NULL), TSR_ERR_ENCODING);
    ck_assert_int_eq(tsr_batch_verify(kp.pk, batch_buf, 64 + 10, &info, NULL), TSR_ERR_ENCODING);
    /* Cut anywhere past the header: the trailing 64 bytes are no longer the
     * signature, so it is refused before any entry is parsed. */
    for (size_t cut = 64 + 40; cut < len; cut += 7)
        ck_assert_int_eq(tsr_batch_verify(kp.pk, batch_buf, cut, &info, NULL), TSR_ERR_SIGNATURE);
    batch_buf[1] = 9;
    ck_assert_int_eq(tsr_batch_verify(kp.pk, batch_buf, len, &info, NULL), TSR_ERR_VERSION);
    ck_assert_int_eq(tsr_batch_peek(batch_buf, len, &info), TSR_ERR_VERSION);
    batch_buf[1] = TSR_CODEC_VERSION;
    batch_buf[0] = TSR_TYPE_SEAL;
    ck_assert_int_eq(tsr_batch_verify(kp.pk, batch_buf, len, &info, NULL), TSR_ERR_ENCODING);
    /* A signed batch with an unknown entry kind. */
    len = raw_batch(&kp, "node-1", 1, 2, 2, good, 2, "node-1");
    size_t first_entry = 2 + 2 + 6 + 8 + 8 + 4;
    batch_buf[first_entry] = 7;
    ck_assert_int_eq(tsr_signed_make(&kp, batch_buf, len - 64, batch_buf, TSR_BATCH_MAX_BYTES,
                                     &len), TSR_OK);
    ck_assert_int_eq(tsr_batch_verify(kp.pk, batch_buf, len, &info, NULL), TSR_ERR_ENCODING);
    /* A signed batch whose entry has an unknown version. */
    len = raw_batch(&kp, "node-1", 1, 2, 2, good, 2, "node-1");
    batch_buf[first_entry + 5 + 1] = 2;
    ck_assert_int_eq(tsr_signed_make(&kp, batch_buf, len - 64, batch_buf, TSR_BATCH_MAX_BYTES,
                                     &len), TSR_OK);
    ck_assert_int_eq(tsr_batch_verify(kp.pk, batch_buf, len, &info, NULL), TSR_ERR_VERSION);
}
END_TEST

/* ---- JSON ---------------------------------------------------------------------- */

static json_t *parse(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(j);
    return j;
}

START_TEST(ticket_json_round_trips_and_is_strict)
{
    tsr_ticket t = ticket("node-1", 12), back;
    json_t *j = tsr_ticket_to_json(&t);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "bet")), "0106070a11");
    ck_assert_str_eq(json_string_value(json_object_get(j, "channel")), "retail");
    ck_assert_int_eq(tsr_ticket_from_json(j, &back), TSR_OK);
    ck_assert_mem_eq(&back, &t, sizeof t);
    json_object_set_new(j, "extra", json_true());
    ck_assert_int_eq(tsr_ticket_from_json(j, &back), TSR_ERR_FIELD_UNKNOWN);
    json_object_del(j, "extra");
    json_object_set_new(j, "seq", json_string("12"));
    ck_assert_int_eq(tsr_ticket_from_json(j, &back), TSR_ERR_FIELD_TYPE);
    json_object_set_new(j, "seq", json_integer(0));
    ck_assert_int_eq(tsr_ticket_from_json(j, &back), TSR_ERR_RANGE);
    json_object_set_new(j, "seq", json_integer(12));
    json_object_set_new(j, "draw", json_integer(INT64_C(1) << 32));
    ck_assert_int_eq(tsr_ticket_from_json(j, &back), TSR_ERR_RANGE);
    json_object_set_new(j, "draw", json_integer(42));
    json_object_set_new(j, "bet", json_string("0g"));
    ck_assert_int_eq(tsr_ticket_from_json(j, &back), TSR_ERR_ENCODING);
    json_object_set_new(j, "bet", json_string("0106070a11"));
    json_object_set_new(j, "channel", json_string("phone"));
    ck_assert_int_eq(tsr_ticket_from_json(j, &back), TSR_ERR_RANGE);
    json_object_set_new(j, "channel", json_string("online"));
    json_object_set_new(j, "node", json_string("a-name-that-is-far-too-long-for-a-node"));
    ck_assert_int_eq(tsr_ticket_from_json(j, &back), TSR_ERR_TOO_LONG);
    json_object_set_new(j, "node", json_string("no/slash"));
    ck_assert_int_eq(tsr_ticket_from_json(j, &back), TSR_ERR_RANGE);
    json_object_set_new(j, "node", json_string("node-1"));
    ck_assert_int_eq(tsr_ticket_from_json(j, &back), TSR_OK);
    ck_assert_int_eq(back.channel, TSR_CHANNEL_ONLINE);
    json_object_del(j, "check");
    ck_assert_int_eq(tsr_ticket_from_json(j, &back), TSR_ERR_FIELD_MISSING);
    json_decref(j);
    j = parse("[1,2]");
    ck_assert_int_eq(tsr_ticket_from_json(j, &back), TSR_ERR_FIELD_TYPE);
    json_decref(j);
}
END_TEST

START_TEST(seal_and_receipt_json_round_trip_and_are_strict)
{
    tsr_seal s = seal(), sb;
    json_t *j = tsr_seal_to_json(&s);
    ck_assert_int_eq(tsr_seal_from_json(j, &sb), TSR_OK);
    ck_assert_mem_eq(&sb, &s, sizeof s);
    json_object_set_new(j, "merkle_root", json_string("00"));
    ck_assert_int_eq(tsr_seal_from_json(j, &sb), TSR_ERR_ENCODING);
    json_object_del(j, "merkle_root");
    ck_assert_int_eq(tsr_seal_from_json(j, &sb), TSR_ERR_FIELD_MISSING);
    json_decref(j);
    j = tsr_seal_to_json(&s);
    json_object_set_new(j, "count", json_integer(100));
    ck_assert_int_eq(tsr_seal_from_json(j, &sb), TSR_ERR_RANGE);
    json_object_set_new(j, "count", json_real(1.5));
    ck_assert_int_eq(tsr_seal_from_json(j, &sb), TSR_ERR_FIELD_TYPE);
    json_decref(j);
    tsr_node_receipt r = {.node = "node-4", .up_to_seq = 1000, .issued_at_ns = -1}, rb;
    memset(r.chain, 0xab, sizeof r.chain);
    j = tsr_node_receipt_to_json(&r);
    ck_assert_int_eq(tsr_node_receipt_from_json(j, &rb), TSR_OK);
    ck_assert_mem_eq(&rb, &r, sizeof r);
    json_object_set_new(j, "sig", json_string(""));
    ck_assert_int_eq(tsr_node_receipt_from_json(j, &rb), TSR_ERR_FIELD_UNKNOWN);
    json_decref(j);
}
END_TEST

static Suite *codec_suite(void)
{
    Suite *s = suite_create("codec");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, batch_setup, batch_teardown);
    tcase_add_test(tc, writer_is_big_endian_bounded_and_sticky);
    tcase_add_test(tc, reader_refuses_truncation_trailing_and_overlong);
    tcase_add_test(tc, ticket_round_trips_and_every_truncation_fails);
    tcase_add_test(tc, maximal_ticket_has_the_documented_size);
    tcase_add_test(tc, encoders_refuse_values_without_canonical_form);
    tcase_add_test(tc, cancel_seal_and_receipt_round_trip);
    tcase_add_test(tc, leaves_bind_every_field_and_the_kind);
    tcase_add_test(tc, chain_follows_its_definition);
    tcase_add_test(tc, signed_seal_and_receipt_verify_only_with_their_key);
    tcase_add_test(tc, batch_round_trip_with_tickets_and_cancels);
    tcase_add_test(tc, batch_builder_enforces_order_node_and_limits);
    tcase_add_test(tc, forged_gapped_and_inconsistent_batches_are_refused);
    tcase_add_test(tc, malformed_and_truncated_batches_are_refused);
    tcase_add_test(tc, ticket_json_round_trips_and_is_strict);
    tcase_add_test(tc, seal_and_receipt_json_round_trip_and_are_strict);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(codec_suite()); }

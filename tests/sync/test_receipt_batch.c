/* Receipt batches (tessera/receipt_batch.h): the canonical bytes and what
 * they refuse, the signature and inclusion proof of every ticket of a batch,
 * each way a receipt can be altered or misapplied, and the JSON reader. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/codec.h"
#include "tessera/hash.h"
#include "tessera/keys.h"
#include "tessera/merkle.h"
#include "tessera/receipt_batch.h"
#include "tessera/rng.h"
#include "tsr_test.h"

/* Fixed seeds, printed by the tests that use them. */
#define SEED_NODE_KEY 4242u
#define SEED_OTHER_KEY 4243u
#define SEED_IDS 77u

/* A batch under test: its tickets' canonical bytes, leaves and proofs. */
typedef struct rb_fix {
    size_t n;
    uint8_t bytes[TSR_RECEIPT_BATCH_MAX][TSR_TICKET_ENC_MAX];
    size_t len[TSR_RECEIPT_BATCH_MAX];
    uint64_t seq[TSR_RECEIPT_BATCH_MAX];
    uint8_t leaves[TSR_RECEIPT_BATCH_MAX][TSR_HASH_LEN];
    tsr_merkle_proof proof[TSR_RECEIPT_BATCH_MAX];
    tsr_receipt_batch b;
    uint8_t sig[TSR_SIG_LEN];
} rb_fix;

static void keypair(tsr_keypair *kp, uint64_t seed)
{
    tsr_rng *rng;
    fprintf(stderr, "key seed=%llu\n", (unsigned long long)seed);
    ck_assert_int_eq(tsr_rng_seeded_create(&rng, seed), TSR_OK);
    tsr_keypair_generate(kp, rng);
    tsr_rng_destroy(rng);
}

/* The canonical bytes of a ticket of `node` with this seq. */
static size_t ticket_bytes(const char *node, uint64_t seq, tsr_rng *rng, uint8_t *out)
{
    tsr_ticket t;
    memset(&t, 0, sizeof t);
    tsr_rng_bytes(rng, t.id, sizeof t.id);
    snprintf(t.node, sizeof t.node, "%s", node);
    t.seq = seq;
    snprintf(t.game, sizeof t.game, "pick3");
    t.draw = 12;
    t.channel = TSR_CHANNEL_RETAIL;
    t.bet_len = 4;
    memcpy(t.bet, "\x01\x01\x02\x03", 4);
    t.stake_cents = 100;
    t.accepted_at_ns = INT64_C(1795608000000000000) + (int64_t)seq;
    snprintf(t.serial, sizeof t.serial, "%s-%llu", node, (unsigned long long)seq);
    t.check = (uint32_t)(123456 + seq);
    tsr_enc e;
    size_t len;
    tsr_enc_init(&e, out, TSR_TICKET_ENC_MAX);
    ck_assert_int_eq(tsr_ticket_encode(&t, &e), TSR_OK);
    ck_assert_int_eq(tsr_enc_finish(&e, &len), TSR_OK);
    return len;
}

/* n tickets of node "n1" from seq `first` on, every third seq skipped (a
 * node's outbox interleaves cancels with tickets), signed by kp. */
static void make_batch(rb_fix *f, size_t n, uint64_t first, const tsr_keypair *kp)
{
    tsr_rng *rng;
    ck_assert_int_eq(tsr_rng_seeded_create(&rng, SEED_IDS + n), TSR_OK);
    memset(f, 0, sizeof *f);
    f->n = n;
    for (size_t i = 0; i < n; i++) {
        f->seq[i] = first + i + i / 2;
        f->len[i] = ticket_bytes("n1", f->seq[i], rng, f->bytes[i]);
        tsr_merkle_leaf(f->bytes[i], f->len[i], f->leaves[i]);
    }
    tsr_rng_destroy(rng);
    snprintf(f->b.node, sizeof f->b.node, "n1");
    f->b.first_seq = f->seq[0];
    f->b.last_seq = f->seq[n - 1];
    f->b.count = (uint32_t)n;
    tsr_merkle_root((const uint8_t(*)[TSR_HASH_LEN])f->leaves, n, f->b.root);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(
            tsr_merkle_prove((const uint8_t(*)[TSR_HASH_LEN])f->leaves, n, i, &f->proof[i]),
            TSR_OK);
    ck_assert_int_eq(tsr_receipt_batch_sign(&f->b, kp, f->sig), TSR_OK);
}

static tsr_status verify_one(const rb_fix *f, const tsr_keypair *kp, size_t ticket, size_t proof)
{
    return tsr_receipt_verify(kp->pk, f->bytes[ticket], f->len[ticket], &f->b, &f->proof[proof],
                              f->sig);
}

static tsr_status encode_status(const tsr_receipt_batch *b)
{
    uint8_t buf[TSR_RECEIPT_BATCH_ENC_MAX];
    tsr_enc e;
    tsr_enc_init(&e, buf, sizeof buf);
    return tsr_receipt_batch_encode(b, &e);
}

static tsr_receipt_batch good_batch(void)
{
    tsr_receipt_batch b;
    memset(&b, 0, sizeof b);
    snprintf(b.node, sizeof b.node, "n1");
    b.first_seq = 10;
    b.last_seq = 14;
    b.count = 5;
    for (size_t i = 0; i < sizeof b.root; i++)
        b.root[i] = (uint8_t)i;
    return b;
}

/* ---- canonical bytes ------------------------------------------------------ */

START_TEST(the_canonical_bytes_follow_the_documented_layout)
{
    tsr_receipt_batch b = good_batch();
    uint8_t buf[TSR_RECEIPT_BATCH_ENC_MAX];
    tsr_enc e;
    size_t len;
    tsr_enc_init(&e, buf, sizeof buf);
    ck_assert_int_eq(tsr_receipt_batch_encode(&b, &e), TSR_OK);
    ck_assert_int_eq(tsr_enc_finish(&e, &len), TSR_OK);
    static const uint8_t head[] = {TSR_TYPE_RECEIPT_BATCH, TSR_CODEC_VERSION, 0, 2, 'n', '1',
                                   0, 0, 0, 0, 0, 0, 0, 10,
                                   0, 0, 0, 0, 0, 0, 0, 14,
                                   0, 0, 0, 5};
    ck_assert_uint_eq(len, sizeof head + TSR_HASH_LEN);
    ck_assert_mem_eq(buf, head, sizeof head);
    ck_assert_mem_eq(buf + sizeof head, b.root, TSR_HASH_LEN);
    /* the longest node name fills TSR_RECEIPT_BATCH_ENC_MAX exactly */
    memset(b.node, 'a', TSR_NAME_MAX - 1);
    b.node[TSR_NAME_MAX - 1] = '\0';
    tsr_enc_init(&e, buf, sizeof buf);
    ck_assert_int_eq(tsr_receipt_batch_encode(&b, &e), TSR_OK);
    ck_assert_int_eq(tsr_enc_finish(&e, &len), TSR_OK);
    ck_assert_uint_eq(len, TSR_RECEIPT_BATCH_ENC_MAX);
}
END_TEST

START_TEST(encode_refuses_each_bad_batch)
{
    tsr_receipt_batch b = good_batch();
    ck_assert_int_eq(encode_status(&b), TSR_OK);
    b.count = 0;
    ck_assert_int_eq(encode_status(&b), TSR_ERR_RANGE);
    b = good_batch();
    b.last_seq = 100;
    b.count = TSR_RECEIPT_BATCH_MAX + 1;
    ck_assert_int_eq(encode_status(&b), TSR_ERR_RANGE);
    b.count = TSR_RECEIPT_BATCH_MAX;
    ck_assert_int_eq(encode_status(&b), TSR_OK);
    b = good_batch();
    b.first_seq = 0;
    ck_assert_int_eq(encode_status(&b), TSR_ERR_RANGE);
    b = good_batch();
    b.first_seq = 15; /* above last_seq 14 */
    b.count = 1;
    ck_assert_int_eq(encode_status(&b), TSR_ERR_RANGE);
    b = good_batch();
    b.count = 6; /* 10..14 holds 5 seqs */
    ck_assert_int_eq(encode_status(&b), TSR_ERR_RANGE);
    b.first_seq = b.last_seq = 9;
    b.count = 1; /* one ticket: first == last */
    ck_assert_int_eq(encode_status(&b), TSR_OK);
    b.first_seq = 1; /* the widest range: no overflow in last - first */
    b.last_seq = UINT64_MAX;
    b.count = TSR_RECEIPT_BATCH_MAX;
    ck_assert_int_eq(encode_status(&b), TSR_OK);
    b = good_batch();
    b.node[0] = '\0';
    ck_assert_int_eq(encode_status(&b), TSR_ERR_RANGE);
    snprintf(b.node, sizeof b.node, "n 1");
    ck_assert_int_eq(encode_status(&b), TSR_ERR_RANGE);
    snprintf(b.node, sizeof b.node, "n1/x");
    ck_assert_int_eq(encode_status(&b), TSR_ERR_RANGE);
    memset(b.node, 'a', sizeof b.node); /* no NUL inside the field */
    ck_assert_int_eq(encode_status(&b), TSR_ERR_TOO_LONG);
    /* a writer too small for the batch */
    b = good_batch();
    uint8_t small[20];
    tsr_enc e;
    tsr_enc_init(&e, small, sizeof small);
    ck_assert_int_eq(tsr_receipt_batch_encode(&b, &e), TSR_ERR_TOO_LARGE);
}
END_TEST

START_TEST(sign_refuses_a_bad_batch_and_verify_reports_it)
{
    tsr_keypair kp;
    keypair(&kp, SEED_NODE_KEY);
    rb_fix f;
    make_batch(&f, 3, 5, &kp);
    uint8_t sig[TSR_SIG_LEN];
    tsr_receipt_batch b = f.b;
    b.count = 0;
    ck_assert_int_eq(tsr_receipt_batch_sign(&b, &kp, sig), TSR_ERR_RANGE);
    ck_assert_int_eq(tsr_receipt_verify(kp.pk, f.bytes[0], f.len[0], &b, &f.proof[0], f.sig),
                     TSR_ERR_RANGE);
    memset(b.node, 'x', sizeof b.node);
    b.count = 3;
    ck_assert_int_eq(tsr_receipt_batch_sign(&b, &kp, sig), TSR_ERR_TOO_LONG);
    ck_assert_int_eq(tsr_receipt_verify(kp.pk, f.bytes[0], f.len[0], &b, &f.proof[0], f.sig),
                     TSR_ERR_TOO_LONG);
}
END_TEST

/* ---- every ticket of every batch size ------------------------------------- */

START_TEST(every_ticket_of_a_batch_verifies_with_its_own_proof_only)
{
    static const size_t sizes[] = {1, 2, 3, 5, 16};
    tsr_keypair kp;
    keypair(&kp, SEED_NODE_KEY);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        static rb_fix f;
        make_batch(&f, sizes[s], 1000, &kp);
        for (size_t i = 0; i < f.n; i++) {
            ck_assert_msg(verify_one(&f, &kp, i, i) == TSR_OK, "n=%zu i=%zu", f.n, i);
            ck_assert_uint_le(f.proof[i].depth, 4);
            /* nobody can take a proof of one ticket to another */
            for (size_t j = 0; j < f.n; j++)
                if (j != i)
                    ck_assert_msg(verify_one(&f, &kp, i, j) == TSR_ERR_MERKLE_PROOF,
                                  "n=%zu ticket %zu proof %zu", f.n, i, j);
        }
    }
}
END_TEST

START_TEST(a_signature_is_deterministic_and_covers_the_whole_batch)
{
    tsr_keypair kp;
    keypair(&kp, SEED_NODE_KEY);
    rb_fix f;
    make_batch(&f, 5, 40, &kp);
    uint8_t again[TSR_SIG_LEN];
    ck_assert_int_eq(tsr_receipt_batch_sign(&f.b, &kp, again), TSR_OK);
    ck_assert_mem_eq(again, f.sig, TSR_SIG_LEN);
    /* widening or narrowing the signed range breaks the signature even
     * though the ticket stays inside it and its proof still leads to the
     * root */
    tsr_receipt_batch signed_b = f.b;
    f.b.last_seq++;
    ck_assert_int_eq(verify_one(&f, &kp, 0, 0), TSR_ERR_SIGNATURE);
    f.b = signed_b;
    f.b.first_seq--;
    ck_assert_int_eq(verify_one(&f, &kp, 0, 0), TSR_ERR_SIGNATURE);
    f.b = signed_b;
    snprintf(f.b.node, sizeof f.b.node, "n2");
    ck_assert_int_eq(verify_one(&f, &kp, 0, 0), TSR_ERR_RANGE); /* the ticket says n1 */
}
END_TEST

/* ---- altered receipts ------------------------------------------------------- */

START_TEST(flipped_bits_of_signature_root_sibling_or_ticket_fail)
{
    tsr_keypair kp;
    keypair(&kp, SEED_NODE_KEY);
    rb_fix f;
    make_batch(&f, 5, 7, &kp);
    for (size_t bit = 0; bit < 8 * TSR_SIG_LEN; bit += 37) {
        f.sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ck_assert_int_eq(verify_one(&f, &kp, 2, 2), TSR_ERR_SIGNATURE);
        f.sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    for (size_t bit = 0; bit < 8 * TSR_HASH_LEN; bit += 29) {
        f.b.root[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ck_assert_int_eq(verify_one(&f, &kp, 2, 2), TSR_ERR_MERKLE_PROOF);
        f.b.root[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    for (uint32_t k = 0; k < f.proof[2].depth; k++) {
        f.proof[2].siblings[k][k + 3] ^= 0x10;
        ck_assert_int_eq(verify_one(&f, &kp, 2, 2), TSR_ERR_MERKLE_PROOF);
        f.proof[2].siblings[k][k + 3] ^= 0x10;
    }
    /* the check code and the stake: fields that still decode */
    f.bytes[2][f.len[2] - 1] ^= 1;
    ck_assert_int_eq(verify_one(&f, &kp, 2, 2), TSR_ERR_MERKLE_PROOF);
    f.bytes[2][f.len[2] - 1] ^= 1;
    ck_assert_int_eq(verify_one(&f, &kp, 2, 2), TSR_OK);
    tsr_ticket t;
    ck_assert_int_eq(tsr_ticket_decode(f.bytes[2], f.len[2], &t), TSR_OK);
    t.stake_cents = 10000;
    tsr_enc e;
    tsr_enc_init(&e, f.bytes[2], TSR_TICKET_ENC_MAX);
    ck_assert_int_eq(tsr_ticket_encode(&t, &e), TSR_OK);
    ck_assert_int_eq(tsr_enc_finish(&e, &f.len[2]), TSR_OK);
    ck_assert_int_eq(verify_one(&f, &kp, 2, 2), TSR_ERR_MERKLE_PROOF);
}
END_TEST

START_TEST(a_proof_for_another_batch_size_fails)
{
    tsr_keypair kp;
    keypair(&kp, SEED_NODE_KEY);
    rb_fix f;
    make_batch(&f, 5, 7, &kp);
    tsr_merkle_proof p = f.proof[4];
    f.proof[4].count = 6;
    ck_assert_int_eq(verify_one(&f, &kp, 4, 4), TSR_ERR_MERKLE_PROOF);
    f.proof[4].count = 4;
    ck_assert_int_eq(verify_one(&f, &kp, 4, 4), TSR_ERR_MERKLE_PROOF);
    f.proof[4] = p;
    /* the batch says 4 but the root is over 5: its signature fails even
     * with a proof that claims 4 */
    f.b.count = 4;
    f.proof[4].count = 4;
    ck_assert_int_ne(verify_one(&f, &kp, 4, 4), TSR_OK);
    /* a proof whose index is out of its own count */
    f.b.count = 5;
    f.proof[4] = p;
    f.proof[4].index = 5;
    ck_assert_int_eq(verify_one(&f, &kp, 4, 4), TSR_ERR_MERKLE_PROOF);
}
END_TEST

START_TEST(a_ticket_outside_the_batch_is_out_of_range)
{
    tsr_keypair kp;
    keypair(&kp, SEED_NODE_KEY);
    rb_fix f;
    make_batch(&f, 3, 20, &kp); /* seqs 20, 21, 23 */
    tsr_rng *rng;
    ck_assert_int_eq(tsr_rng_seeded_create(&rng, SEED_IDS), TSR_OK);
    uint8_t other[TSR_TICKET_ENC_MAX];
    /* another node's ticket with a seq inside the range */
    size_t len = ticket_bytes("n2", 21, rng, other);
    ck_assert_int_eq(tsr_receipt_verify(kp.pk, other, len, &f.b, &f.proof[1], f.sig),
                     TSR_ERR_RANGE);
    /* this node's tickets just outside [first_seq, last_seq] */
    len = ticket_bytes("n1", 19, rng, other);
    ck_assert_int_eq(tsr_receipt_verify(kp.pk, other, len, &f.b, &f.proof[0], f.sig),
                     TSR_ERR_RANGE);
    len = ticket_bytes("n1", 24, rng, other);
    ck_assert_int_eq(tsr_receipt_verify(kp.pk, other, len, &f.b, &f.proof[2], f.sig),
                     TSR_ERR_RANGE);
    /* seq 22 is inside the range but not in the batch: no proof leads there */
    len = ticket_bytes("n1", 22, rng, other);
    for (size_t i = 0; i < f.n; i++)
        ck_assert_int_eq(tsr_receipt_verify(kp.pk, other, len, &f.b, &f.proof[i], f.sig),
                         TSR_ERR_MERKLE_PROOF);
    tsr_rng_destroy(rng);
}
END_TEST

START_TEST(bytes_that_do_not_decode_and_another_key_fail)
{
    tsr_keypair kp, other;
    keypair(&kp, SEED_NODE_KEY);
    keypair(&other, SEED_OTHER_KEY);
    rb_fix f;
    make_batch(&f, 2, 3, &kp);
    ck_assert_int_eq(tsr_receipt_verify(kp.pk, f.bytes[1], f.len[1] - 1, &f.b, &f.proof[1], f.sig),
                     TSR_ERR_ENCODING);
    ck_assert_int_eq(tsr_receipt_verify(kp.pk, f.bytes[1], 0, &f.b, &f.proof[1], f.sig),
                     TSR_ERR_ENCODING);
    uint8_t longer[TSR_TICKET_ENC_MAX + 1];
    memcpy(longer, f.bytes[1], f.len[1]);
    longer[f.len[1]] = 0;
    ck_assert_int_eq(tsr_receipt_verify(kp.pk, longer, f.len[1] + 1, &f.b, &f.proof[1], f.sig),
                     TSR_ERR_ENCODING);
    f.bytes[1][0] = TSR_TYPE_CANCEL; /* another object's tag */
    ck_assert_int_eq(verify_one(&f, &kp, 1, 1), TSR_ERR_ENCODING);
    f.bytes[1][0] = TSR_TYPE_TICKET;
    ck_assert_int_eq(verify_one(&f, &kp, 1, 1), TSR_OK);
    ck_assert_int_eq(verify_one(&f, &other, 1, 1), TSR_ERR_SIGNATURE);
    /* the other key's signature over the same batch fails with ours */
    ck_assert_int_eq(tsr_receipt_batch_sign(&f.b, &other, f.sig), TSR_OK);
    ck_assert_int_eq(verify_one(&f, &kp, 1, 1), TSR_ERR_SIGNATURE);
    ck_assert_int_eq(verify_one(&f, &other, 1, 1), TSR_OK);
}
END_TEST

/* ---- JSON -------------------------------------------------------------------- */

/* A receipt as the node writes it (node/src/receipt.c), ticket i of f. */
static json_t *receipt_json(const rb_fix *f, size_t i)
{
    char sig[2 * TSR_SIG_LEN + 1], root[2 * TSR_HASH_LEN + 1];
    tsr_hex_encode(sig, sizeof sig, f->sig, TSR_SIG_LEN);
    tsr_hex_encode(root, sizeof root, f->b.root, TSR_HASH_LEN);
    json_t *proof = tsr_merkle_proof_to_json(&f->proof[i]);
    ck_assert_ptr_nonnull(proof);
    json_t *r = json_pack("{s:s, s:s, s:I, s:s, s:s, s:{s:I, s:I, s:s}, s:o}", "ticket_id",
                          "00112233445566778899aabbccddeeff", "node", f->b.node, "seq",
                          (json_int_t)f->seq[i], "sig", sig, "state", "active", "batch",
                          "first_seq", (json_int_t)f->b.first_seq, "last_seq",
                          (json_int_t)f->b.last_seq, "root", root, "proof", proof);
    ck_assert_ptr_nonnull(r);
    return r;
}

static tsr_status from_json(const json_t *r)
{
    tsr_receipt_batch b;
    tsr_merkle_proof p;
    uint8_t sig[TSR_SIG_LEN];
    return tsr_receipt_from_json(r, &b, &p, sig);
}

/* The status of receipt i of f after `path` ("batch.root") is set to v
 * (stolen) or removed (v NULL). */
static tsr_status with_member(const rb_fix *f, const char *path, json_t *v)
{
    json_t *r = receipt_json(f, 1);
    json_t *o = r;
    char name[32];
    const char *dot = strchr(path, '.');
    if (dot) {
        snprintf(name, sizeof name, "%.*s", (int)(dot - path), path);
        o = json_object_get(r, name);
        path = dot + 1;
    }
    if (v)
        json_object_set_new(o, path, v);
    else
        json_object_del(o, path);
    tsr_status s = from_json(r);
    json_decref(r);
    return s;
}

START_TEST(a_receipt_read_from_json_verifies)
{
    tsr_keypair kp;
    keypair(&kp, SEED_NODE_KEY);
    rb_fix f;
    make_batch(&f, 5, 30, &kp);
    for (size_t i = 0; i < f.n; i++) {
        json_t *r = receipt_json(&f, i);
        /* through text, as a player's client gets it */
        char *text = json_dumps(r, JSON_COMPACT);
        json_t *back = json_loads(text, 0, NULL);
        tsr_receipt_batch b;
        tsr_merkle_proof p;
        uint8_t sig[TSR_SIG_LEN];
        ck_assert_int_eq(tsr_receipt_from_json(back, &b, &p, sig), TSR_OK);
        ck_assert_str_eq(b.node, "n1");
        ck_assert_uint_eq(b.first_seq, f.b.first_seq);
        ck_assert_uint_eq(b.last_seq, f.b.last_seq);
        ck_assert_uint_eq(b.count, 5);
        ck_assert_mem_eq(b.root, f.b.root, TSR_HASH_LEN);
        ck_assert_mem_eq(sig, f.sig, TSR_SIG_LEN);
        ck_assert_uint_eq(p.index, i);
        ck_assert_int_eq(tsr_receipt_verify(kp.pk, f.bytes[i], f.len[i], &b, &p, sig), TSR_OK);
        free(text);
        json_decref(back);
        json_decref(r);
    }
}
END_TEST

START_TEST(each_missing_member_is_field_missing)
{
    tsr_keypair kp;
    keypair(&kp, SEED_NODE_KEY);
    rb_fix f;
    make_batch(&f, 3, 30, &kp);
    static const char *const required[] = {"node",           "sig",           "batch",
                                           "proof",          "batch.first_seq", "batch.last_seq",
                                           "batch.root",     "proof.index",   "proof.count",
                                           "proof.siblings"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        ck_assert_msg(with_member(&f, required[i], NULL) == TSR_ERR_FIELD_MISSING, "%s",
                      required[i]);
    /* members the reader does not need may go */
    ck_assert_int_eq(with_member(&f, "state", NULL), TSR_OK);
    ck_assert_int_eq(with_member(&f, "seq", NULL), TSR_OK);
    /* a receipt signed per ticket (before receipt batches) has no batch */
    char sig[2 * TSR_SIG_LEN + 1];
    json_t *legacy = json_pack("{s:s, s:s}", "node", "n1", "sig",
                               tsr_hex_encode(sig, sizeof sig, f.sig, TSR_SIG_LEN));
    ck_assert_int_eq(from_json(legacy), TSR_ERR_FIELD_MISSING);
    json_decref(legacy);
    json_t *empty = json_object();
    ck_assert_int_eq(from_json(empty), TSR_ERR_FIELD_MISSING);
    json_decref(empty);
}
END_TEST

START_TEST(wrong_types_are_field_type)
{
    tsr_keypair kp;
    keypair(&kp, SEED_NODE_KEY);
    rb_fix f;
    make_batch(&f, 3, 30, &kp);
    ck_assert_int_eq(with_member(&f, "node", json_integer(1)), TSR_ERR_FIELD_TYPE);
    ck_assert_int_eq(with_member(&f, "sig", json_integer(1)), TSR_ERR_FIELD_TYPE);
    ck_assert_int_eq(with_member(&f, "sig", json_null()), TSR_ERR_FIELD_TYPE);
    ck_assert_int_eq(with_member(&f, "batch", json_array()), TSR_ERR_FIELD_TYPE);
    ck_assert_int_eq(with_member(&f, "batch", json_string("x")), TSR_ERR_FIELD_TYPE);
    ck_assert_int_eq(with_member(&f, "batch.first_seq", json_string("30")), TSR_ERR_FIELD_TYPE);
    ck_assert_int_eq(with_member(&f, "batch.last_seq", json_real(33.0)), TSR_ERR_FIELD_TYPE);
    ck_assert_int_eq(with_member(&f, "batch.root", json_integer(0)), TSR_ERR_FIELD_TYPE);
    ck_assert_int_eq(with_member(&f, "proof", json_string("x")), TSR_ERR_FIELD_TYPE);
    ck_assert_int_eq(with_member(&f, "proof.index", json_string("1")), TSR_ERR_FIELD_TYPE);
    ck_assert_int_eq(with_member(&f, "proof.siblings", json_object()), TSR_ERR_FIELD_TYPE);
}
END_TEST

START_TEST(unknown_members_in_batch_or_proof_are_refused)
{
    tsr_keypair kp;
    keypair(&kp, SEED_NODE_KEY);
    rb_fix f;
    make_batch(&f, 3, 30, &kp);
    ck_assert_int_eq(with_member(&f, "batch.extra", json_integer(1)), TSR_ERR_FIELD_UNKNOWN);
    /* the count travels in the proof only: two counts could disagree */
    ck_assert_int_eq(with_member(&f, "batch.count", json_integer(3)), TSR_ERR_FIELD_UNKNOWN);
    ck_assert_int_eq(with_member(&f, "proof.root", json_string("00")), TSR_ERR_FIELD_UNKNOWN);
    /* other members of the receipt are not the reader's business */
    ck_assert_int_eq(with_member(&f, "extra", json_integer(1)), TSR_OK);
}
END_TEST

START_TEST(bad_hex_is_encoding)
{
    tsr_keypair kp;
    keypair(&kp, SEED_NODE_KEY);
    rb_fix f;
    make_batch(&f, 3, 30, &kp);
    char bad[2 * TSR_SIG_LEN + 1];
    memset(bad, 'a', sizeof bad - 1);
    bad[sizeof bad - 1] = '\0';
    ck_assert_int_eq(with_member(&f, "sig", json_string(bad)), TSR_OK);
    bad[7] = 'g';
    ck_assert_int_eq(with_member(&f, "sig", json_string(bad)), TSR_ERR_ENCODING);
    bad[7] = 'a';
    bad[sizeof bad - 3] = '\0'; /* one byte short */
    ck_assert_int_eq(with_member(&f, "sig", json_string(bad)), TSR_ERR_ENCODING);
    ck_assert_int_eq(with_member(&f, "sig", json_string("")), TSR_ERR_ENCODING);
    ck_assert_int_eq(with_member(&f, "batch.root", json_string(bad)), TSR_ERR_ENCODING);
    bad[2 * TSR_HASH_LEN] = '\0';
    ck_assert_int_eq(with_member(&f, "batch.root", json_string(bad)), TSR_OK);
    bad[0] = 'Z';
    ck_assert_int_eq(with_member(&f, "batch.root", json_string(bad)), TSR_ERR_ENCODING);
    json_t *r = receipt_json(&f, 1);
    json_array_set_new(json_object_get(json_object_get(r, "proof"), "siblings"), 0,
                       json_string(bad));
    ck_assert_int_eq(from_json(r), TSR_ERR_ENCODING);
    json_decref(r);
}
END_TEST

/* A proof JSON for leaf `index` of `count` with the right number of
 * (arbitrary) siblings, so only the count itself is wrong. */
static json_t *proof_of_shape(uint64_t index, uint64_t count)
{
    uint8_t leaves[TSR_RECEIPT_BATCH_MAX + 1][TSR_HASH_LEN];
    memset(leaves, 0x5a, sizeof leaves);
    tsr_merkle_proof p;
    ck_assert_int_eq(tsr_merkle_prove((const uint8_t(*)[TSR_HASH_LEN])leaves, count, index, &p),
                     TSR_OK);
    return tsr_merkle_proof_to_json(&p);
}

START_TEST(seqs_counts_and_names_out_of_range)
{
    tsr_keypair kp;
    keypair(&kp, SEED_NODE_KEY);
    rb_fix f;
    make_batch(&f, 3, 30, &kp); /* seqs 30, 31, 33 */
    ck_assert_int_eq(with_member(&f, "proof", json_pack("{s:i, s:i, s:[]}", "index", 0, "count",
                                                       0, "siblings")),
                     TSR_ERR_MERKLE_PROOF);
    ck_assert_int_eq(with_member(&f, "batch.last_seq", json_integer(100)), TSR_OK);
    json_t *r = receipt_json(&f, 1);
    json_object_set_new(json_object_get(r, "batch"), "last_seq", json_integer(100));
    json_object_set_new(r, "proof", proof_of_shape(0, TSR_RECEIPT_BATCH_MAX + 1));
    ck_assert_int_eq(from_json(r), TSR_ERR_RANGE);
    json_object_set_new(r, "proof", proof_of_shape(16, TSR_RECEIPT_BATCH_MAX + 1));
    ck_assert_int_eq(from_json(r), TSR_ERR_RANGE);
    json_object_set_new(r, "proof", proof_of_shape(15, TSR_RECEIPT_BATCH_MAX));
    ck_assert_int_eq(from_json(r), TSR_OK);
    json_decref(r);
    ck_assert_int_eq(with_member(&f, "batch.first_seq", json_integer(0)), TSR_ERR_RANGE);
    ck_assert_int_eq(with_member(&f, "batch.first_seq", json_integer(-5)), TSR_ERR_RANGE);
    ck_assert_int_eq(with_member(&f, "batch.last_seq", json_integer(0)), TSR_ERR_RANGE);
    ck_assert_int_eq(with_member(&f, "batch.first_seq", json_integer(34)), TSR_ERR_RANGE);
    /* three tickets cannot fit in seqs 30..31 */
    ck_assert_int_eq(with_member(&f, "batch.last_seq", json_integer(31)), TSR_ERR_RANGE);
    ck_assert_int_eq(with_member(&f, "node", json_string("n 1")), TSR_ERR_RANGE);
    ck_assert_int_eq(with_member(&f, "node", json_string("")), TSR_ERR_RANGE);
    char longname[TSR_NAME_MAX + 8];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    ck_assert_int_eq(with_member(&f, "node", json_string(longname)), TSR_ERR_TOO_LONG);
    longname[TSR_NAME_MAX] = '\0'; /* 32 characters: one too many */
    ck_assert_int_eq(with_member(&f, "node", json_string(longname)), TSR_ERR_TOO_LONG);
    longname[TSR_NAME_MAX - 1] = '\0';
    ck_assert_int_eq(with_member(&f, "node", json_string(longname)), TSR_OK);
    /* a malformed proof: a sibling too many for its shape */
    r = receipt_json(&f, 1);
    json_array_append_new(json_object_get(json_object_get(r, "proof"), "siblings"),
                          json_string(""));
    ck_assert_int_eq(from_json(r), TSR_ERR_MERKLE_PROOF);
    json_decref(r);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("receipt_batch");
    TCase *tc = tcase_create("receipt_batch");
    tcase_add_test(tc, the_canonical_bytes_follow_the_documented_layout);
    tcase_add_test(tc, encode_refuses_each_bad_batch);
    tcase_add_test(tc, sign_refuses_a_bad_batch_and_verify_reports_it);
    tcase_add_test(tc, every_ticket_of_a_batch_verifies_with_its_own_proof_only);
    tcase_add_test(tc, a_signature_is_deterministic_and_covers_the_whole_batch);
    tcase_add_test(tc, flipped_bits_of_signature_root_sibling_or_ticket_fail);
    tcase_add_test(tc, a_proof_for_another_batch_size_fails);
    tcase_add_test(tc, a_ticket_outside_the_batch_is_out_of_range);
    tcase_add_test(tc, bytes_that_do_not_decode_and_another_key_fail);
    tcase_add_test(tc, a_receipt_read_from_json_verifies);
    tcase_add_test(tc, each_missing_member_is_field_missing);
    tcase_add_test(tc, wrong_types_are_field_type);
    tcase_add_test(tc, unknown_members_in_batch_or_proof_are_refused);
    tcase_add_test(tc, bad_hex_is_encoding);
    tcase_add_test(tc, seqs_counts_and_names_out_of_range);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(suite()); }

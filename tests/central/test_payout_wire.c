/* The RESULT and PAYOUT wire formats (sync/include/tessera/results.h):
 * round trips in binary and JSON, and each refusal of the strict readers. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/results.h"
#include "tsr_test.h"

static tsr_keypair central_kp, authority_kp, other_kp;

static void keys(void)
{
    uint8_t seed[TSR_SEED_LEN];
    memset(seed, 0xC0, sizeof seed);
    tsr_keypair_from_seed(&central_kp, seed);
    memset(seed, 0xB0, sizeof seed);
    tsr_keypair_from_seed(&authority_kp, seed);
    memset(seed, 0xEE, sizeof seed);
    tsr_keypair_from_seed(&other_kp, seed);
}

/* A real signed record of a 6/49 + bonus draw with no seals and no
 * witnesses, as compact sorted JSON (the form a result carries). */
static char *record_json(tsr_draw_numbers *nums, int64_t *drawn_at)
{
    uint8_t s[TSR_DRAW_SEED_LEN];
    memset(s, 7, sizeof s);
    tsr_cutoff_token t = {.game = "lotto649", .draw = 12, .sales_open_at_ns = 1,
                          .cutoff_at_ns = 100, .results_at_ns = 200, .issued_at_ns = 50};
    tsr_seed_commit(s, sizeof s, t.seed_commitment);
    ck_assert_int_eq(tsr_cutoff_token_sign(&t, &authority_kp), TSR_OK);
    tsr_draw_manifest *m;
    ck_assert_int_eq(tsr_draw_manifest_build(&m, &t, NULL, 0, NULL, 0), TSR_OK);
    ck_assert_int_eq(tsr_draw_manifest_sign(m, &authority_kp, 120), TSR_OK);
    tsr_draw_shape shape = {.pool_count = 1, .pools = {{1, 49, 6, 1, false}}};
    tsr_draw_record *r;
    ck_assert_int_eq(tsr_draw_record_make(&r, m, &shape, s, NULL, 0, &authority_kp, 150, NULL, 0),
                     TSR_OK);
    *nums = r->numbers;
    *drawn_at = r->drawn_at_ns;
    json_t *j = tsr_draw_record_to_json(r);
    char *txt = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    tsr_draw_record_destroy(r);
    return txt;
}

static void make_result(tsr_result *r, char *rec, const tsr_draw_numbers *n, int64_t at)
{
    memset(r, 0, sizeof *r);
    snprintf(r->game, sizeof r->game, "lotto649");
    r->draw = 12;
    r->state = TSR_RESULT_DRAWN;
    r->numbers = *n;
    for (int i = 0; i < 6; i++)
        r->main[r->main_count++] = n->values[0][i];
    r->bonus[r->bonus_count++] = n->values[0][6];
    r->tier_count = 2;
    r->tiers[0] = (tsr_result_tier){0, 0, 0};
    r->tiers[1] = (tsr_result_tier){3, 1000, 3000};
    r->sales_cents = 100000;
    r->paid_cents = 3000;
    r->jackpot_next_cents = 500000;
    r->drawn_at_ns = at;
    r->record_json = rec;
    r->record_len = strlen(rec);
}

START_TEST(result_round_trips_and_verifies_its_record)
{
    keys();
    tsr_draw_numbers n;
    int64_t at;
    char *rec = record_json(&n, &at);
    tsr_result r;
    make_result(&r, rec, &n, at);
    uint8_t *buf;
    size_t len;
    ck_assert_int_eq(tsr_result_sign(&r, &central_kp, &buf, &len), TSR_OK);
    tsr_result *back;
    ck_assert_int_eq(tsr_result_open(central_kp.pk, buf, len, &back), TSR_OK);
    ck_assert_int_eq(back->paid_cents, 3000);
    ck_assert_str_eq(back->record_json, rec);
    char why[TSR_DRAW_WHY_MAX];
    tsr_draw_record *dr;
    ck_assert_msg(tsr_result_check_record(back, authority_kp.pk, &dr, why, sizeof why) == TSR_OK,
                  "%s", why);
    tsr_draw_record_destroy(dr);
    ck_assert_int_eq(tsr_result_check_record(back, other_kp.pk, NULL, why, sizeof why),
                     TSR_ERR_DRAW_AUTHORITY);
    /* JSON round trip gives the same signed bytes. */
    json_t *j = tsr_result_to_json(back);
    tsr_result *fromj;
    ck_assert_int_eq(tsr_result_from_json(j, &fromj), TSR_OK);
    uint8_t *buf2;
    size_t len2;
    ck_assert_int_eq(tsr_result_sign(fromj, &central_kp, &buf2, &len2), TSR_OK);
    ck_assert(len2 == len && memcmp(buf, buf2, len) == 0);
    /* Strict JSON. */
    json_object_set_new(j, "extra", json_true());
    tsr_result *bad;
    ck_assert_int_eq(tsr_result_from_json(j, &bad), TSR_ERR_FIELD_UNKNOWN);
    json_object_del(j, "extra");
    json_object_set_new(j, "draw", json_string("12"));
    ck_assert_int_eq(tsr_result_from_json(j, &bad), TSR_ERR_FIELD_TYPE);
    json_object_del(j, "draw");
    ck_assert_int_eq(tsr_result_from_json(j, &bad), TSR_ERR_FIELD_MISSING);
    json_decref(j);
    /* Tampered: signature; wrong key. */
    buf[5] ^= 1;
    ck_assert_int_eq(tsr_result_open(central_kp.pk, buf, len, &bad), TSR_ERR_SIGNATURE);
    buf[5] ^= 1;
    ck_assert_int_eq(tsr_result_open(other_kp.pk, buf, len, &bad), TSR_ERR_SIGNATURE);
    /* A result whose numbers differ from its record. */
    back->numbers.values[0][0] = back->numbers.values[0][0] == 1 ? 2 : 1;
    ck_assert_int_eq(tsr_result_check_record(back, authority_kp.pk, NULL, why, sizeof why),
                     TSR_ERR_RESULT_RECORD);
    tsr_result_destroy(back);
    tsr_result_destroy(fromj);
    free(buf);
    free(buf2);
    free(rec);
}
END_TEST

START_TEST(result_refusals)
{
    keys();
    tsr_draw_numbers n;
    int64_t at;
    char *rec = record_json(&n, &at);
    tsr_result r;
    uint8_t *buf;
    size_t len;
    /* Record text that is not its own compact sorted dump. */
    char *spaced = malloc(strlen(rec) + 2);
    snprintf(spaced, strlen(rec) + 2, " %s", rec);
    make_result(&r, spaced, &n, at);
    ck_assert_int_eq(tsr_result_sign(&r, &central_kp, &buf, &len), TSR_ERR_ENCODING);
    /* A cancelled result with numbers. */
    make_result(&r, rec, &n, at);
    r.state = TSR_RESULT_CANCELLED;
    ck_assert_int_eq(tsr_result_sign(&r, &central_kp, &buf, &len), TSR_ERR_ENCODING);
    /* Bad game name; negative amount. */
    make_result(&r, rec, &n, at);
    snprintf(r.game, sizeof r.game, "bad game");
    ck_assert_int_eq(tsr_result_sign(&r, &central_kp, &buf, &len), TSR_ERR_RANGE);
    make_result(&r, rec, &n, at);
    r.paid_cents = -1;
    ck_assert_int_eq(tsr_result_sign(&r, &central_kp, &buf, &len), TSR_ERR_ENCODING);
    /* A valid cancelled result; then version and truncation. */
    memset(&r, 0, sizeof r);
    snprintf(r.game, sizeof r.game, "keno");
    r.state = TSR_RESULT_CANCELLED;
    r.refunded_cents = 500;
    ck_assert_int_eq(tsr_result_sign(&r, &central_kp, &buf, &len), TSR_OK);
    tsr_result *back;
    ck_assert_int_eq(tsr_result_open(central_kp.pk, buf, len, &back), TSR_OK);
    char why[128];
    ck_assert_int_eq(tsr_result_check_record(back, NULL, NULL, why, sizeof why),
                     TSR_ERR_RESULT_RECORD);
    tsr_result_destroy(back);
    buf[1] = 9; /* version byte, re-signed */
    tsr_sign(&central_kp, buf, len - TSR_SIG_LEN, buf + len - TSR_SIG_LEN);
    ck_assert_int_eq(tsr_result_open(central_kp.pk, buf, len, &back), TSR_ERR_VERSION);
    buf[1] = TSR_CODEC_VERSION;
    memmove(buf + len - TSR_SIG_LEN - 1, buf + len - TSR_SIG_LEN, TSR_SIG_LEN);
    tsr_sign(&central_kp, buf, len - TSR_SIG_LEN - 1, buf + len - TSR_SIG_LEN - 1);
    ck_assert_int_eq(tsr_result_open(central_kp.pk, buf, len - 1, &back), TSR_ERR_ENCODING);
    ck_assert_int_eq(tsr_result_open(central_kp.pk, buf, TSR_RESULT_SIGNED_MAX + 1, &back),
                     TSR_ERR_TOO_LARGE);
    free(buf);
    free(spaced);
    free(rec);
}
END_TEST

/* n entries of node n1, lotto649 draw 12, sorted by payout id. */
static tsr_payout_entry *entries(uint32_t n)
{
    tsr_payout_entry *e = calloc(n, sizeof *e);
    for (uint32_t i = 0; i < n; i++) {
        memset(e[i].ticket_id, (int)i + 1, TSR_TICKET_ID_LEN);
        e[i].kind = i % 3 ? TSR_PAYOUT_KIND_WIN : TSR_PAYOUT_KIND_REFUND;
        e[i].tier = e[i].kind == TSR_PAYOUT_KIND_WIN ? 2 : TSR_PAYOUT_TIER_NONE;
        e[i].klass = e[i].kind == TSR_PAYOUT_KIND_WIN && i % 2 ? TSR_PAYOUT_CLAIM_CENTRE
                                                                : TSR_PAYOUT_AUTO;
        e[i].amount_cents = 100 * (i + 1);
        e[i].withheld_cents = e[i].klass == TSR_PAYOUT_CLAIM_CENTRE ? 10 : 0;
        ck_assert_int_eq(tsr_payout_id("lotto649", 12, e[i].ticket_id,
                                       (tsr_payout_kind)e[i].kind, e[i].payout_id), TSR_OK);
    }
    for (uint32_t i = 1; i < n; i++) /* insertion sort by id */
        for (uint32_t k = i; k > 0 && memcmp(e[k - 1].payout_id, e[k].payout_id, 32) > 0; k--) {
            tsr_payout_entry t = e[k];
            e[k] = e[k - 1];
            e[k - 1] = t;
        }
    return e;
}

static tsr_payout_batch batch_of(tsr_payout_entry *e, uint32_t n)
{
    tsr_payout_batch b = {.node = "n1", .game = "lotto649", .draw = 12, .batch_count = 1,
                          .node_entries = n, .n = n, .entries = e};
    for (uint32_t i = 0; i < n; i++)
        b.node_amount_cents += e[i].amount_cents;
    return b;
}

static uint8_t wire[TSR_PAYOUT_BATCH_SIGNED_MAX];

START_TEST(payout_batch_round_trips)
{
    keys();
    tsr_payout_entry *e = entries(50);
    tsr_payout_batch b = batch_of(e, 50);
    size_t len;
    ck_assert_int_eq(tsr_payout_batch_sign(&b, &central_kp, wire, sizeof wire, &len), TSR_OK);
    ck_assert_uint_eq(len, 2 + 3 + 2 + 9 + 4 * 4 + 8 + 4 + 50 * TSR_PAYOUT_ENTRY_ENC_LEN + 64);
    tsr_payout_batch *back, hdr;
    ck_assert_int_eq(tsr_payout_batch_open(central_kp.pk, wire, len, &back), TSR_OK);
    ck_assert_int_eq(memcmp(back->entries, e, 50 * sizeof *e), 0);
    ck_assert_int_eq(tsr_payout_batch_peek(wire, len, &hdr), TSR_OK);
    ck_assert_str_eq(hdr.node, "n1");
    json_t *j = tsr_payout_batch_to_json(back);
    tsr_payout_batch *fromj;
    ck_assert_int_eq(tsr_payout_batch_from_json(j, &fromj), TSR_OK);
    ck_assert_int_eq(memcmp(fromj->entries, e, 50 * sizeof *e), 0);
    json_t *first = json_array_get(json_object_get(j, "entries"), 0);
    json_object_set_new(first, "kind", json_string("gift"));
    tsr_payout_batch *bad;
    ck_assert_int_eq(tsr_payout_batch_from_json(j, &bad), TSR_ERR_RANGE);
    json_object_set_new(first, "amount_cents", json_string("1"));
    json_object_set_new(first, "kind", json_string("win"));
    ck_assert_int_eq(tsr_payout_batch_from_json(j, &bad), TSR_ERR_FIELD_TYPE);
    json_decref(j);
    tsr_payout_batch_destroy(back);
    tsr_payout_batch_destroy(fromj);
    /* An empty batch for a node with nothing; not with totals. */
    tsr_payout_batch empty = {.node = "n2", .game = "lotto649", .draw = 12, .batch_count = 1};
    ck_assert_int_eq(tsr_payout_batch_sign(&empty, &central_kp, wire, sizeof wire, &len), TSR_OK);
    ck_assert_int_eq(tsr_payout_batch_open(central_kp.pk, wire, len, &back), TSR_OK);
    ck_assert_uint_eq(back->n, 0);
    tsr_payout_batch_destroy(back);
    empty.node_entries = 1;
    ck_assert_int_eq(tsr_payout_batch_sign(&empty, &central_kp, wire, sizeof wire, &len),
                     TSR_ERR_ENCODING);
    free(e);
}
END_TEST

START_TEST(payout_batch_refusals)
{
    keys();
    tsr_payout_entry *e = entries(10);
    tsr_payout_batch b = batch_of(e, 10);
    size_t len;
    tsr_payout_batch *back;
    /* Unsorted ids; a forged id; a refund with a tier; withheld above the amount. */
    tsr_payout_entry t = e[0];
    e[0] = e[1];
    e[1] = t;
    ck_assert_int_eq(tsr_payout_batch_sign(&b, &central_kp, wire, sizeof wire, &len),
                     TSR_ERR_ENCODING);
    e[1] = e[0];
    e[0] = t;
    e[3].payout_id[31] ^= 1;
    ck_assert_int_eq(tsr_payout_batch_sign(&b, &central_kp, wire, sizeof wire, &len),
                     TSR_ERR_PAYOUT_ID); /* the last byte keeps the order */
    e[3].payout_id[31] ^= 1;
    for (uint32_t i = 0; i < 10; i++)
        if (e[i].kind == TSR_PAYOUT_KIND_WIN) {
            e[i].withheld_cents = e[i].amount_cents + 1;
            ck_assert_int_eq(tsr_payout_batch_sign(&b, &central_kp, wire, sizeof wire, &len),
                             TSR_ERR_ENCODING);
            e[i].withheld_cents = 0;
            break;
        }
    b.batch_index = 1;
    ck_assert_int_eq(tsr_payout_batch_sign(&b, &central_kp, wire, sizeof wire, &len),
                     TSR_ERR_ENCODING);
    b.batch_index = 0;
    snprintf(b.node, sizeof b.node, "n 1");
    ck_assert_int_eq(tsr_payout_batch_sign(&b, &central_kp, wire, sizeof wire, &len),
                     TSR_ERR_RANGE);
    snprintf(b.node, sizeof b.node, "n1");
    ck_assert_int_eq(tsr_payout_batch_sign(&b, &central_kp, wire, 100, &len), TSR_ERR_TOO_LARGE);
    /* A single entry whose id is not the hash of its fields: PAYOUT_ID. */
    tsr_payout_batch one = batch_of(e, 1);
    e[0].payout_id[0] ^= 1;
    ck_assert_int_eq(tsr_payout_batch_sign(&one, &central_kp, wire, sizeof wire, &len),
                     TSR_ERR_PAYOUT_ID);
    e[0].payout_id[0] ^= 1;
    /* Decoder side: signature, version, truncation, size. */
    ck_assert_int_eq(tsr_payout_batch_sign(&b, &central_kp, wire, sizeof wire, &len), TSR_OK);
    ck_assert_int_eq(tsr_payout_batch_open(other_kp.pk, wire, len, &back), TSR_ERR_SIGNATURE);
    wire[1] = 2;
    tsr_sign(&central_kp, wire, len - 64, wire + len - 64);
    ck_assert_int_eq(tsr_payout_batch_open(central_kp.pk, wire, len, &back), TSR_ERR_VERSION);
    wire[1] = 1;
    tsr_sign(&central_kp, wire, len - 65, wire + len - 65);
    ck_assert_int_eq(tsr_payout_batch_open(central_kp.pk, wire, len - 1, &back), TSR_ERR_ENCODING);
    ck_assert_int_eq(tsr_payout_batch_open(central_kp.pk, wire, TSR_PAYOUT_BATCH_SIGNED_MAX + 1,
                                           &back), TSR_ERR_TOO_LARGE);
    /* A forged id signed by central anyway is caught by the reader. */
    ck_assert_int_eq(tsr_payout_batch_sign(&one, &central_kp, wire, sizeof wire, &len), TSR_OK);
    wire[len - 64 - TSR_PAYOUT_ENTRY_ENC_LEN] ^= 1; /* first byte of the id */
    tsr_sign(&central_kp, wire, len - 64, wire + len - 64);
    ck_assert_int_eq(tsr_payout_batch_open(central_kp.pk, wire, len, &back), TSR_ERR_PAYOUT_ID);
    uint8_t id[32], tid[16] = {0};
    ck_assert_int_eq(tsr_payout_id("bad game", 1, tid, TSR_PAYOUT_KIND_WIN, id), TSR_ERR_RANGE);
    ck_assert_str_eq(tsr_payout_kind_name(TSR_PAYOUT_KIND_REFUND), "refund");
    ck_assert_ptr_null(tsr_payout_kind_name((tsr_payout_kind)9));
    free(e);
}
END_TEST

static Suite *wire_suite(void)
{
    Suite *s = suite_create("payout_wire");
    TCase *tc = tcase_create("wire");
    tcase_add_test(tc, result_round_trips_and_verifies_its_record);
    tcase_add_test(tc, result_refusals);
    tcase_add_test(tc, payout_batch_round_trips);
    tcase_add_test(tc, payout_batch_refusals);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(wire_suite()); }

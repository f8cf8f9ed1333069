/* The RESULT message: canonical bytes, signing, strict decoding, and the
 * cross-check against the draw record it carries (results.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results_int.h"
#include "tessera/results.h"

/* ---- consistency ------------------------------------------------------------ */

bool tsr_results_record_canonical(const char *txt, size_t len)
{
    json_error_t err;
    json_t *j = json_loadb(txt, len, JSON_REJECT_DUPLICATES, &err);
    if (!j)
        return false;
    char *again = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    bool same = again && strlen(again) == len && memcmp(again, txt, len) == 0;
    free(again);
    return same;
}

static bool amounts_ok(const tsr_result *r)
{
    return r->sales_cents >= 0 && r->paid_cents >= 0 && r->withheld_cents >= 0 &&
           r->refunded_cents >= 0 && r->jackpot_next_cents >= 0 && r->drawn_at_ns >= 0;
}

static bool numbers_ok(const tsr_result *r)
{
    const tsr_draw_numbers *n = &r->numbers;
    if (n->pool_count < 1 || n->pool_count > TSR_DRAW_POOLS_MAX)
        return false;
    for (uint32_t p = 0; p < n->pool_count; p++)
        if (n->len[p] < 1 || n->len[p] > TSR_DRAW_PICK_MAX)
            return false;
    return r->main_count <= TSR_DRAW_PICK_MAX && r->bonus_count <= TSR_DRAW_PICK_MAX;
}

/* What an encoder refuses and a decoder rejects: TSR_ERR_ENCODING, or
 * TSR_ERR_RANGE / TSR_ERR_TOO_LONG for the game name. */
tsr_status tsr_results_result_check(const tsr_result *r)
{
    if (memchr(r->game, 0, sizeof r->game) == NULL)
        return TSR_ERR_TOO_LONG;
    if (!tsr_name_valid(r->game))
        return TSR_ERR_RANGE;
    if (!amounts_ok(r) || r->tier_count > TSR_TIERS_MAX)
        return TSR_ERR_ENCODING;
    for (unsigned i = 0; i < r->tier_count; i++)
        if (r->tiers[i].prize_cents < 0 || r->tiers[i].paid_cents < 0)
            return TSR_ERR_ENCODING;
    if (r->state == TSR_RESULT_CANCELLED) {
        bool empty = r->numbers.pool_count == 0 && r->main_count == 0 && r->bonus_count == 0 &&
                     r->multiplier == 0 && r->tier_count == 0 && r->sales_cents == 0 &&
                     r->paid_cents == 0 && r->withheld_cents == 0 && r->drawn_at_ns == 0 &&
                     r->record_len == 0;
        return empty ? TSR_OK : TSR_ERR_ENCODING;
    }
    if (r->state != TSR_RESULT_DRAWN || !numbers_ok(r))
        return TSR_ERR_ENCODING;
    if (r->record_len > TSR_RESULT_RECORD_MAX)
        return TSR_ERR_TOO_LARGE;
    if (r->record_len == 0 || !r->record_json ||
        !tsr_results_record_canonical(r->record_json, r->record_len))
        return TSR_ERR_ENCODING;
    return TSR_OK;
}

/* ---- encoding ----------------------------------------------------------------- */

static void put_u32s(tsr_enc *e, const uint32_t *v, uint8_t n)
{
    tsr_enc_put_u8(e, n);
    for (uint8_t i = 0; i < n; i++)
        tsr_enc_put_u32(e, v[i]);
}

static void result_put(const tsr_result *r, tsr_enc *e)
{
    tsr_enc_put_u8(e, TSR_TYPE_RESULT);
    tsr_enc_put_u8(e, TSR_CODEC_VERSION);
    tsr_enc_put_str(e, r->game);
    tsr_enc_put_u32(e, r->draw);
    tsr_enc_put_u8(e, r->state);
    tsr_enc_put_u8(e, (uint8_t)r->numbers.pool_count);
    for (uint32_t p = 0; p < r->numbers.pool_count; p++)
        put_u32s(e, r->numbers.values[p], (uint8_t)r->numbers.len[p]);
    put_u32s(e, r->main, r->main_count);
    put_u32s(e, r->bonus, r->bonus_count);
    tsr_enc_put_u32(e, r->multiplier);
    tsr_enc_put_u8(e, r->tier_count);
    for (unsigned i = 0; i < r->tier_count; i++) {
        tsr_enc_put_u64(e, r->tiers[i].winners);
        tsr_enc_put_i64(e, r->tiers[i].prize_cents);
        tsr_enc_put_i64(e, r->tiers[i].paid_cents);
    }
    tsr_enc_put_i64(e, r->sales_cents);
    tsr_enc_put_i64(e, r->paid_cents);
    tsr_enc_put_i64(e, r->withheld_cents);
    tsr_enc_put_i64(e, r->refunded_cents);
    tsr_enc_put_i64(e, r->jackpot_next_cents);
    tsr_enc_put_i64(e, r->drawn_at_ns);
    tsr_enc_put_bytes(e, r->record_json ? r->record_json : "", r->record_len);
}

tsr_status tsr_result_sign(const tsr_result *r, const tsr_keypair *kp, uint8_t **out,
                           size_t *len)
{
    *out = NULL;
    *len = 0;
    tsr_status st = tsr_results_result_check(r);
    if (st != TSR_OK)
        return st;
    size_t cap = TSR_RESULT_SIGNED_MAX;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return TSR_ERR_NOMEM;
    tsr_enc e;
    tsr_enc_init(&e, buf, cap - TSR_SIG_LEN);
    result_put(r, &e);
    size_t body;
    st = tsr_enc_finish(&e, &body);
    if (st == TSR_OK) {
        tsr_sign(kp, buf, body, buf + body);
        *out = buf;
        *len = body + TSR_SIG_LEN;
        return TSR_OK;
    }
    free(buf);
    return st;
}

/* ---- decoding ----------------------------------------------------------------- */

static void get_u32s(tsr_dec *d, uint32_t *v, uint32_t *n_out)
{
    uint8_t n = 0;
    if (tsr_dec_get_u8(d, &n) != TSR_OK || n > TSR_DRAW_PICK_MAX) {
        d->error = true;
        n = 0;
    }
    for (uint8_t i = 0; i < n; i++)
        (void)!tsr_dec_get_u32(d, &v[i]);
    *n_out = n;
}

static void result_get_numbers(tsr_dec *d, tsr_result *r)
{
    uint8_t pools = 0;
    uint32_t n;
    (void)!tsr_dec_get_u8(d, &pools);
    if (pools > TSR_DRAW_POOLS_MAX) {
        d->error = true;
        return;
    }
    r->numbers.pool_count = pools;
    for (uint8_t p = 0; p < pools; p++)
        get_u32s(d, r->numbers.values[p], &r->numbers.len[p]);
    get_u32s(d, r->main, &n);
    r->main_count = (uint8_t)n;
    get_u32s(d, r->bonus, &n);
    r->bonus_count = (uint8_t)n;
    (void)!tsr_dec_get_u32(d, &r->multiplier);
}

static void result_get_tiers(tsr_dec *d, tsr_result *r)
{
    (void)!tsr_dec_get_u8(d, &r->tier_count);
    if (r->tier_count > TSR_TIERS_MAX) {
        d->error = true;
        return;
    }
    for (unsigned i = 0; i < r->tier_count; i++) {
        (void)!tsr_dec_get_u64(d, &r->tiers[i].winners);
        (void)!tsr_dec_get_i64(d, &r->tiers[i].prize_cents);
        (void)!tsr_dec_get_i64(d, &r->tiers[i].paid_cents);
    }
}

/* Reads the body after the header; the record text is copied (NUL added). */
static tsr_status result_get(tsr_dec *d, tsr_result *r)
{
    (void)!tsr_dec_get_str(d, r->game, sizeof r->game);
    (void)!tsr_dec_get_u32(d, &r->draw);
    (void)!tsr_dec_get_u8(d, &r->state);
    result_get_numbers(d, r);
    result_get_tiers(d, r);
    (void)!tsr_dec_get_i64(d, &r->sales_cents);
    (void)!tsr_dec_get_i64(d, &r->paid_cents);
    (void)!tsr_dec_get_i64(d, &r->withheld_cents);
    (void)!tsr_dec_get_i64(d, &r->refunded_cents);
    (void)!tsr_dec_get_i64(d, &r->jackpot_next_cents);
    (void)!tsr_dec_get_i64(d, &r->drawn_at_ns);
    const uint8_t *rec = NULL;
    size_t n = 0;
    if (tsr_dec_get_bytes_ref(d, &rec, &n, TSR_RESULT_RECORD_MAX) != TSR_OK ||
        tsr_dec_finish(d) != TSR_OK)
        return TSR_ERR_ENCODING;
    if (n) {
        if (!(r->record_json = malloc(n + 1)))
            return TSR_ERR_NOMEM;
        memcpy(r->record_json, rec, n);
        r->record_json[n] = 0;
        r->record_len = n;
        if (memchr(rec, 0, n))
            return TSR_ERR_ENCODING;
    }
    tsr_status st = tsr_results_result_check(r);
    return st == TSR_OK || st == TSR_ERR_NOMEM ? st : TSR_ERR_ENCODING;
}

tsr_status tsr_results_result_decode(const void *buf, size_t len, tsr_result **out)
{
    *out = NULL;
    tsr_result *r = calloc(1, sizeof *r);
    if (!r)
        return TSR_ERR_NOMEM;
    tsr_dec d;
    tsr_dec_init(&d, buf, len);
    tsr_status st = tsr_dec_header(&d, (tsr_type)TSR_TYPE_RESULT);
    if (st == TSR_OK)
        st = result_get(&d, r);
    if (st != TSR_OK) {
        tsr_result_destroy(r);
        return st;
    }
    *out = r;
    return TSR_OK;
}

tsr_status tsr_result_open(const uint8_t pk[TSR_PK_LEN], const void *buf, size_t len,
                           tsr_result **out)
{
    *out = NULL;
    if (len > TSR_RESULT_SIGNED_MAX)
        return TSR_ERR_TOO_LARGE;
    const uint8_t *body;
    size_t body_len;
    tsr_status st = tsr_signed_open(pk, buf, len, &body, &body_len);
    return st != TSR_OK ? st : tsr_results_result_decode(body, body_len, out);
}

void tsr_result_destroy(tsr_result *r)
{
    if (!r)
        return;
    free(r->record_json);
    free(r);
}

/* ---- the record inside ------------------------------------------------------- */

static bool numbers_equal(const tsr_draw_numbers *a, const tsr_draw_numbers *b)
{
    if (a->pool_count != b->pool_count)
        return false;
    for (uint32_t p = 0; p < a->pool_count; p++)
        if (a->len[p] != b->len[p] ||
            memcmp(a->values[p], b->values[p], a->len[p] * sizeof a->values[p][0]) != 0)
            return false;
    return true;
}

static tsr_status parse_record(const tsr_result *r, tsr_draw_record **rec, char *why,
                               size_t why_len)
{
    json_error_t err;
    json_t *j = json_loadb(r->record_json, r->record_len, JSON_REJECT_DUPLICATES, &err);
    if (!j) {
        snprintf(why, why_len, "the record is not JSON: %s", err.text);
        return TSR_ERR_JSON;
    }
    tsr_status st = tsr_draw_record_from_json(j, rec);
    json_decref(j);
    if (st != TSR_OK)
        snprintf(why, why_len, "the record does not parse (%s)", tsr_status_name(st));
    return st;
}

tsr_status tsr_result_check_record(const tsr_result *r, const uint8_t *authority_pk,
                                   tsr_draw_record **out, char *why, size_t why_len)
{
    char scratch[TSR_DRAW_WHY_MAX];
    if (!why) {
        why = scratch;
        why_len = sizeof scratch;
    }
    why[0] = 0;
    if (out)
        *out = NULL;
    if (r->state != TSR_RESULT_DRAWN || !r->record_json) {
        snprintf(why, why_len, "a cancelled draw has no record");
        return TSR_ERR_RESULT_RECORD;
    }
    tsr_draw_record *rec = NULL;
    tsr_status st = parse_record(r, &rec, why, why_len);
    if (st == TSR_OK)
        st = tsr_draw_record_verify(rec, authority_pk, why, why_len);
    if (st == TSR_OK) {
        const tsr_cutoff_token *t = &rec->manifest->token;
        if (strcmp(t->game, r->game) != 0 || t->draw != r->draw) {
            snprintf(why, why_len, "the record is of %s draw %u, the result of %s draw %u",
                     t->game, t->draw, r->game, r->draw);
            st = TSR_ERR_RESULT_RECORD;
        } else if (!numbers_equal(&rec->numbers, &r->numbers) ||
                   rec->drawn_at_ns != r->drawn_at_ns) {
            snprintf(why, why_len, "the result's numbers or draw time differ from the record's");
            st = TSR_ERR_RESULT_RECORD;
        }
    }
    if (st == TSR_OK && out)
        *out = rec;
    else
        tsr_draw_record_destroy(rec);
    return st;
}

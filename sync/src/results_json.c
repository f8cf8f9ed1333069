/* JSON forms of results and payout batches (results.h). Strict on reading:
 * exactly the documented fields, each of its type and range, then the same
 * rules as the binary decoder. */
#include <stdlib.h>
#include <string.h>

#include "crypto_int.h"
#include "results_int.h"
#include "tessera/results.h"

#define U32_MAX_I64 ((int64_t)UINT32_MAX)

/* ---- result ------------------------------------------------------------------ */

static json_t *u32_array(const uint32_t *v, uint32_t n)
{
    json_t *a = json_array();
    for (uint32_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_integer(v[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *tiers_json(const tsr_result *r)
{
    json_t *a = json_array();
    for (unsigned i = 0; a && i < r->tier_count; i++) {
        const tsr_result_tier *t = &r->tiers[i];
        if (t->winners > INT64_MAX ||
            json_array_append_new(a, json_pack("{s:i,s:I,s:I,s:I}", "tier", (json_int_t)i,
                                               "winners", (json_int_t)t->winners, "prize_cents",
                                               (json_int_t)t->prize_cents, "paid_cents",
                                               (json_int_t)t->paid_cents)) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *numbers_json(const tsr_result *r)
{
    json_t *a = json_array();
    for (uint32_t p = 0; a && p < r->numbers.pool_count; p++)
        if (json_array_append_new(a, u32_array(r->numbers.values[p], r->numbers.len[p])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

json_t *tsr_result_to_json(const tsr_result *r)
{
    json_t *rec = json_null();
    if (r->record_json) {
        json_error_t err;
        rec = json_loadb(r->record_json, r->record_len, 0, &err);
    }
    bool ok = rec != NULL;
    json_t *o = json_object();
    ok = ok && o;
    ok = ok && tsr_sj_set(o, "type", json_string("tessera-result"));
    ok = ok && tsr_sj_set(o, "version", json_integer(TSR_CODEC_VERSION));
    ok = ok && tsr_sj_set(o, "game", json_string(r->game));
    ok = ok && tsr_sj_set(o, "draw", json_integer(r->draw));
    ok = ok && tsr_sj_set(o, "state",
                          json_string(r->state == TSR_RESULT_DRAWN ? "drawn" : "cancelled"));
    ok = ok && tsr_sj_set(o, "numbers", numbers_json(r));
    ok = ok && tsr_sj_set(o, "main", u32_array(r->main, r->main_count));
    ok = ok && tsr_sj_set(o, "bonus", u32_array(r->bonus, r->bonus_count));
    ok = ok && tsr_sj_set(o, "multiplier", json_integer(r->multiplier));
    ok = ok && tsr_sj_set(o, "tiers", tiers_json(r));
    ok = ok && tsr_sj_set(o, "sales_cents", json_integer(r->sales_cents));
    ok = ok && tsr_sj_set(o, "paid_cents", json_integer(r->paid_cents));
    ok = ok && tsr_sj_set(o, "withheld_cents", json_integer(r->withheld_cents));
    ok = ok && tsr_sj_set(o, "refunded_cents", json_integer(r->refunded_cents));
    ok = ok && tsr_sj_set(o, "jackpot_next_cents", json_integer(r->jackpot_next_cents));
    ok = ok && tsr_sj_set(o, "drawn_at_ns", json_integer(r->drawn_at_ns));
    if (ok)
        ok = tsr_sj_set(o, "record", rec);
    else
        json_decref(rec);
    if (!ok)
        json_decref(o);
    return ok ? o : NULL;
}

static const char *const result_fields[] = {
    "type", "version", "game", "draw", "state", "numbers", "main", "bonus", "multiplier",
    "tiers", "sales_cents", "paid_cents", "withheld_cents", "refunded_cents",
    "jackpot_next_cents", "drawn_at_ns", "record"};
#define N_RESULT_FIELDS (sizeof result_fields / sizeof result_fields[0])

/* An array of at most TSR_DRAW_PICK_MAX u32 numbers. */
static tsr_status read_u32s(const json_t *a, uint32_t *out, uint32_t *n)
{
    if (!json_is_array(a))
        return TSR_ERR_FIELD_TYPE;
    if (json_array_size(a) > TSR_DRAW_PICK_MAX)
        return TSR_ERR_RANGE;
    *n = (uint32_t)json_array_size(a);
    for (uint32_t i = 0; i < *n; i++) {
        const json_t *v = json_array_get(a, i);
        if (!json_is_integer(v))
            return TSR_ERR_FIELD_TYPE;
        if (json_integer_value(v) < 0 || json_integer_value(v) > U32_MAX_I64)
            return TSR_ERR_RANGE;
        out[i] = (uint32_t)json_integer_value(v);
    }
    return TSR_OK;
}

static tsr_status read_numbers(const json_t *j, tsr_result *r)
{
    const json_t *pools = json_object_get(j, "numbers");
    if (!json_is_array(pools))
        return TSR_ERR_FIELD_TYPE;
    if (json_array_size(pools) > TSR_DRAW_POOLS_MAX)
        return TSR_ERR_RANGE;
    r->numbers.pool_count = (uint32_t)json_array_size(pools);
    tsr_status st = TSR_OK;
    for (uint32_t p = 0; st == TSR_OK && p < r->numbers.pool_count; p++)
        st = read_u32s(json_array_get(pools, p), r->numbers.values[p], &r->numbers.len[p]);
    uint32_t n = 0;
    st = st ? st : read_u32s(json_object_get(j, "main"), r->main, &n);
    r->main_count = (uint8_t)n;
    st = st ? st : read_u32s(json_object_get(j, "bonus"), r->bonus, &n);
    r->bonus_count = (uint8_t)n;
    return st;
}

static tsr_status read_tiers(const json_t *j, tsr_result *r)
{
    static const char *const fields[] = {"tier", "winners", "prize_cents", "paid_cents"};
    const json_t *a = json_object_get(j, "tiers");
    if (!json_is_array(a))
        return TSR_ERR_FIELD_TYPE;
    if (json_array_size(a) > TSR_TIERS_MAX)
        return TSR_ERR_RANGE;
    r->tier_count = (uint8_t)json_array_size(a);
    tsr_status st = TSR_OK;
    for (unsigned i = 0; st == TSR_OK && i < r->tier_count; i++) {
        const json_t *t = json_array_get(a, i);
        int64_t tier = 0, winners = 0;
        st = tsr_sj_fields(t, fields, 4);
        st = st ? st : tsr_sj_int(t, "tier", i, i, &tier);
        st = st ? st : tsr_sj_int(t, "winners", 0, INT64_MAX, &winners);
        st = st ? st : tsr_sj_int(t, "prize_cents", 0, INT64_MAX, &r->tiers[i].prize_cents);
        st = st ? st : tsr_sj_int(t, "paid_cents", 0, INT64_MAX, &r->tiers[i].paid_cents);
        r->tiers[i].winners = (uint64_t)winners;
    }
    return st;
}

static tsr_status read_state(const json_t *j, tsr_result *r)
{
    char s[16];
    tsr_status st = tsr_sj_str(j, "state", s, sizeof s);
    if (st == TSR_ERR_TOO_LONG)
        return TSR_ERR_RANGE;
    r->state = strcmp(s, "drawn") == 0 ? TSR_RESULT_DRAWN
               : strcmp(s, "cancelled") == 0 ? TSR_RESULT_CANCELLED : 0;
    return st ? st : r->state ? TSR_OK : TSR_ERR_RANGE;
}

static tsr_status read_record(const json_t *j, tsr_result *r)
{
    const json_t *rec = json_object_get(j, "record");
    if (json_is_null(rec))
        return TSR_OK;
    if (!json_is_object(rec))
        return TSR_ERR_FIELD_TYPE;
    r->record_json = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
    if (!r->record_json)
        return TSR_ERR_NOMEM;
    r->record_len = strlen(r->record_json);
    return TSR_OK;
}

static tsr_status read_header(const json_t *j, const char *type)
{
    char t[32];
    int64_t version = 0;
    tsr_status st = tsr_sj_str(j, "type", t, sizeof t);
    st = st ? st : strcmp(t, type) == 0 ? TSR_OK : TSR_ERR_RANGE;
    st = st ? st : tsr_sj_int(j, "version", 0, INT64_MAX, &version);
    return st ? st : version == TSR_CODEC_VERSION ? TSR_OK : TSR_ERR_VERSION;
}

static tsr_status result_read(const json_t *j, tsr_result *r)
{
    int64_t draw = 0, mult = 0;
    tsr_status st = tsr_sj_fields(j, result_fields, N_RESULT_FIELDS);
    st = st ? st : read_header(j, "tessera-result");
    st = st ? st : tsr_sj_str(j, "game", r->game, sizeof r->game);
    st = st ? st : tsr_sj_int(j, "draw", 0, U32_MAX_I64, &draw);
    st = st ? st : read_state(j, r);
    st = st ? st : read_numbers(j, r);
    st = st ? st : tsr_sj_int(j, "multiplier", 0, U32_MAX_I64, &mult);
    st = st ? st : read_tiers(j, r);
    st = st ? st : tsr_sj_int(j, "sales_cents", 0, INT64_MAX, &r->sales_cents);
    st = st ? st : tsr_sj_int(j, "paid_cents", 0, INT64_MAX, &r->paid_cents);
    st = st ? st : tsr_sj_int(j, "withheld_cents", 0, INT64_MAX, &r->withheld_cents);
    st = st ? st : tsr_sj_int(j, "refunded_cents", 0, INT64_MAX, &r->refunded_cents);
    st = st ? st : tsr_sj_int(j, "jackpot_next_cents", 0, INT64_MAX, &r->jackpot_next_cents);
    st = st ? st : tsr_sj_int(j, "drawn_at_ns", 0, INT64_MAX, &r->drawn_at_ns);
    st = st ? st : read_record(j, r);
    r->draw = (uint32_t)draw;
    r->multiplier = (uint32_t)mult;
    return st ? st : tsr_results_result_check(r);
}

tsr_status tsr_result_from_json(const json_t *j, tsr_result **out)
{
    *out = NULL;
    tsr_result *r = calloc(1, sizeof *r);
    if (!r)
        return TSR_ERR_NOMEM;
    tsr_status st = result_read(j, r);
    if (st != TSR_OK) {
        tsr_result_destroy(r);
        return st;
    }
    *out = r;
    return TSR_OK;
}

/* ---- payouts ------------------------------------------------------------------ */

static json_t *entry_json(const tsr_payout_entry *p)
{
    json_t *o = json_object();
    bool ok = o != NULL;
    const char *kind = tsr_payout_kind_name((tsr_payout_kind)p->kind);
    const char *klass = tsr_payout_class_name((tsr_payout_class)p->klass);
    ok = ok && kind && klass;
    ok = ok && tsr_sj_set(o, "payout_id", tsr_sj_hexval(p->payout_id, TSR_HASH_LEN));
    ok = ok && tsr_sj_set(o, "ticket_id", tsr_sj_hexval(p->ticket_id, TSR_TICKET_ID_LEN));
    ok = ok && tsr_sj_set(o, "kind", json_string(kind));
    ok = ok && tsr_sj_set(o, "tier", p->tier == TSR_PAYOUT_TIER_NONE ? json_null()
                                                                      : json_integer(p->tier));
    ok = ok && tsr_sj_set(o, "class", json_string(klass));
    ok = ok && tsr_sj_set(o, "reportable", json_boolean(p->reportable));
    ok = ok && tsr_sj_set(o, "amount_cents", json_integer(p->amount_cents));
    ok = ok && tsr_sj_set(o, "withheld_cents", json_integer(p->withheld_cents));
    if (!ok)
        json_decref(o);
    return ok ? o : NULL;
}

json_t *tsr_payout_batch_to_json(const tsr_payout_batch *b)
{
    json_t *entries = json_array();
    for (uint32_t i = 0; entries && i < b->n; i++)
        if (json_array_append_new(entries, entry_json(&b->entries[i])) != 0) {
            json_decref(entries);
            entries = NULL;
        }
    json_t *o = json_object();
    bool ok = o && entries;
    ok = ok && tsr_sj_set(o, "type", json_string("tessera-payouts"));
    ok = ok && tsr_sj_set(o, "version", json_integer(TSR_CODEC_VERSION));
    ok = ok && tsr_sj_set(o, "node", json_string(b->node));
    ok = ok && tsr_sj_set(o, "game", json_string(b->game));
    ok = ok && tsr_sj_set(o, "draw", json_integer(b->draw));
    ok = ok && tsr_sj_set(o, "batch_index", json_integer(b->batch_index));
    ok = ok && tsr_sj_set(o, "batch_count", json_integer(b->batch_count));
    ok = ok && tsr_sj_set(o, "node_entries", json_integer(b->node_entries));
    ok = ok && tsr_sj_set(o, "node_amount_cents", json_integer(b->node_amount_cents));
    if (ok)
        ok = tsr_sj_set(o, "entries", entries);
    else
        json_decref(entries);
    if (!ok)
        json_decref(o);
    return ok ? o : NULL;
}

static tsr_status read_enum(const json_t *j, const char *key, const char *const *names,
                            size_t n, uint8_t first, uint8_t *out)
{
    char s[24];
    tsr_status st = tsr_sj_str(j, key, s, sizeof s);
    if (st != TSR_OK)
        return st == TSR_ERR_TOO_LONG ? TSR_ERR_RANGE : st;
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (uint8_t)(first + i);
            return TSR_OK;
        }
    return TSR_ERR_RANGE;
}

static tsr_status read_entry(const json_t *j, tsr_payout_entry *p)
{
    static const char *const fields[] = {"payout_id", "ticket_id", "kind", "tier", "class",
                                         "reportable", "amount_cents", "withheld_cents"};
    static const char *const kinds[] = {"win", "refund"};
    static const char *const classes[] = {"auto", "terminal", "claim_centre"};
    int64_t tier = TSR_PAYOUT_TIER_NONE;
    tsr_status st = tsr_sj_fields(j, fields, 8);
    st = st ? st : tsr_sj_hex(j, "payout_id", p->payout_id, TSR_HASH_LEN);
    st = st ? st : tsr_sj_hex(j, "ticket_id", p->ticket_id, TSR_TICKET_ID_LEN);
    st = st ? st : read_enum(j, "kind", kinds, 2, TSR_PAYOUT_KIND_WIN, &p->kind);
    if (st == TSR_OK && !json_is_null(json_object_get(j, "tier")))
        st = tsr_sj_int(j, "tier", 0, TSR_TIERS_MAX - 1, &tier);
    st = st ? st : read_enum(j, "class", classes, 3, TSR_PAYOUT_AUTO, &p->klass);
    if (st == TSR_OK && !json_is_boolean(json_object_get(j, "reportable")))
        st = TSR_ERR_FIELD_TYPE;
    p->reportable = json_is_true(json_object_get(j, "reportable"));
    st = st ? st : tsr_sj_int(j, "amount_cents", 0, INT64_MAX, &p->amount_cents);
    st = st ? st : tsr_sj_int(j, "withheld_cents", 0, INT64_MAX, &p->withheld_cents);
    p->tier = (uint8_t)tier;
    return st;
}

static tsr_status batch_read(const json_t *j, tsr_payout_batch *hdr)
{
    static const char *const fields[] = {"type", "version", "node", "game", "draw",
                                         "batch_index", "batch_count", "node_entries",
                                         "node_amount_cents", "entries"};
    int64_t draw = 0, idx = 0, cnt = 0, ne = 0;
    tsr_status st = tsr_sj_fields(j, fields, 10);
    st = st ? st : read_header(j, "tessera-payouts");
    st = st ? st : tsr_sj_str(j, "node", hdr->node, sizeof hdr->node);
    st = st ? st : tsr_sj_str(j, "game", hdr->game, sizeof hdr->game);
    st = st ? st : tsr_sj_int(j, "draw", 0, U32_MAX_I64, &draw);
    st = st ? st : tsr_sj_int(j, "batch_index", 0, U32_MAX_I64, &idx);
    st = st ? st : tsr_sj_int(j, "batch_count", 0, U32_MAX_I64, &cnt);
    st = st ? st : tsr_sj_int(j, "node_entries", 0, U32_MAX_I64, &ne);
    st = st ? st : tsr_sj_int(j, "node_amount_cents", 0, INT64_MAX, &hdr->node_amount_cents);
    if (st == TSR_OK && !json_is_array(json_object_get(j, "entries")))
        st = TSR_ERR_FIELD_TYPE;
    if (st == TSR_OK && json_array_size(json_object_get(j, "entries")) > TSR_PAYOUT_BATCH_MAX)
        st = TSR_ERR_TOO_LARGE;
    hdr->draw = (uint32_t)draw;
    hdr->batch_index = (uint32_t)idx;
    hdr->batch_count = (uint32_t)cnt;
    hdr->node_entries = (uint32_t)ne;
    return st;
}

tsr_status tsr_payout_batch_from_json(const json_t *j, tsr_payout_batch **out)
{
    *out = NULL;
    tsr_payout_batch hdr;
    memset(&hdr, 0, sizeof hdr);
    tsr_status st = batch_read(j, &hdr);
    if (st != TSR_OK)
        return st;
    const json_t *a = json_object_get(j, "entries");
    tsr_payout_batch *b = tsr_results_batch_alloc((uint32_t)json_array_size(a));
    if (!b)
        return TSR_ERR_NOMEM;
    tsr_payout_entry *entries = b->entries;
    *b = hdr;
    b->entries = entries;
    b->n = (uint32_t)json_array_size(a);
    for (uint32_t i = 0; st == TSR_OK && i < b->n; i++)
        st = read_entry(json_array_get(a, i), &b->entries[i]);
    st = st ? st : tsr_results_batch_check(b);
    if (st != TSR_OK) {
        free(b);
        return st;
    }
    *out = b;
    return TSR_OK;
}

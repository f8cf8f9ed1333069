/* JSON form of the result record (the published file tessera verify reads). */
#include <stdlib.h>
#include <string.h>

#include "draw_int.h"

#define RECORD_TYPE "tessera-draw-record"

static json_t *shape_to_json(const tsr_draw_shape *s)
{
    json_t *pools = json_array();
    for (uint32_t p = 0; pools && p < s->pool_count; p++) {
        const tsr_draw_pool *q = &s->pools[p];
        json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:b}", "min", (json_int_t)q->min, "max",
                              (json_int_t)q->max, "count", (json_int_t)q->count, "bonus",
                              (json_int_t)q->bonus, "replacement", q->replacement);
        if (json_array_append_new(pools, o) != 0) {
            json_decref(pools);
            return NULL;
        }
    }
    return pools ? json_pack("{s:o}", "pools", pools) : NULL;
}

static json_t *uint_array(const uint32_t *v, uint32_t n)
{
    json_t *a = json_array();
    for (uint32_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_integer(v[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *numbers_to_json(const tsr_draw_record *r)
{
    json_t *a = json_array();
    for (uint32_t p = 0; a && p < r->numbers.pool_count; p++) {
        uint32_t main_n = r->shape.pools[p].count;
        const uint32_t *v = r->numbers.values[p];
        json_t *o = json_pack("{s:o,s:o}", "main", uint_array(v, main_n), "bonus",
                              uint_array(v + main_n, r->numbers.len[p] - main_n));
        if (json_array_append_new(a, o) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *drbg_to_json(const tsr_draw_record *r)
{
    return json_pack("{s:s,s:s,s:i,s:I,s:o}", "algorithm", TSR_DRAW_DRBG_NAME,
                     "personalization", TSR_DRAW_PERSONALIZATION, "block", TSR_DRAW_BLOCK,
                     "bytes_used", (json_int_t)r->drbg_bytes, "output_blake2b",
                     tsr_dj_hexval(r->drbg_digest, TSR_HASH_LEN));
}

json_t *tsr_draw_record_to_json(const tsr_draw_record *r)
{
    const tsr_draw_manifest *m = r->manifest;
    char kid[TSR_KEY_ID_SIZE];
    tsr_key_id(m->authority_pk, kid);
    json_t *w = json_array();
    for (uint32_t i = 0; w && i < r->witness_count; i++)
        if (json_array_append_new(w, tsr_draw_witness_to_json(&r->witnesses[i])) != 0) {
            json_decref(w);
            w = NULL;
        }
    json_t *o = json_object();
    bool ok = tsr_dj_set(o, "type", json_string(RECORD_TYPE)) &&
              tsr_dj_set(o, "version", json_integer(TSR_CODEC_VERSION)) &&
              tsr_dj_set(o, "game", json_string(m->token.game)) &&
              tsr_dj_set(o, "draw", json_integer(m->token.draw)) &&
              tsr_dj_set(o, "shape", shape_to_json(&r->shape)) &&
              tsr_dj_set(o, "manifest", tsr_draw_manifest_to_json(m)) &&
              tsr_dj_set(o, "central_seed", tsr_dj_hexval(r->central_seed, TSR_DRAW_SEED_LEN)) &&
              tsr_dj_set(o, "witnesses", w) &&
              tsr_dj_set(o, "entropy", tsr_dj_hexval(r->entropy, TSR_HASH_LEN)) &&
              tsr_dj_set(o, "drbg", drbg_to_json(r)) &&
              tsr_dj_set(o, "numbers", numbers_to_json(r)) &&
              tsr_dj_set(o, "drawn_at_ns", json_integer(r->drawn_at_ns)) &&
              tsr_dj_set(o, "authority_key_id", json_string(kid)) &&
              tsr_dj_set(o, "sig", tsr_dj_hexval(r->sig, TSR_SIG_LEN));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static tsr_status pool_from_json(const json_t *j, tsr_draw_pool *p)
{
    static const char *const keys[] = {"min", "max", "count", "bonus", "replacement", NULL};
    tsr_status st = tsr_dj_keys(j, keys);
    if (st == TSR_OK)
        st = tsr_dj_u32(j, "min", &p->min);
    if (st == TSR_OK)
        st = tsr_dj_u32(j, "max", &p->max);
    if (st == TSR_OK)
        st = tsr_dj_u32(j, "count", &p->count);
    if (st == TSR_OK)
        st = tsr_dj_u32(j, "bonus", &p->bonus);
    if (st == TSR_OK)
        st = tsr_dj_bool(j, "replacement", &p->replacement);
    return st;
}

static tsr_status shape_from_json(const json_t *j, tsr_draw_shape *s)
{
    static const char *const keys[] = {"pools", NULL};
    const json_t *pools;
    tsr_status st = tsr_dj_keys(j, keys);
    if (st == TSR_OK)
        st = tsr_dj_array(j, "pools", &pools);
    if (st != TSR_OK)
        return st;
    if (json_array_size(pools) == 0 || json_array_size(pools) > TSR_DRAW_POOLS_MAX)
        return TSR_ERR_DRAW_SHAPE;
    s->pool_count = (uint32_t)json_array_size(pools);
    for (uint32_t p = 0; p < s->pool_count && st == TSR_OK; p++)
        st = pool_from_json(json_array_get(pools, p), &s->pools[p]);
    if (st == TSR_OK)
        st = tsr_draw_shape_check(s);
    return st;
}

/* Appends the integers of array `key` of j to v[*n..], at most `want`. */
static tsr_status uints_from_json(const json_t *j, const char *key, uint32_t want,
                                  uint32_t *v, uint32_t *n)
{
    const json_t *a;
    tsr_status st = tsr_dj_array(j, key, &a);
    if (st != TSR_OK)
        return st;
    if (json_array_size(a) != want)
        return TSR_ERR_DRAW_SHAPE;
    for (uint32_t i = 0; i < want; i++) {
        const json_t *x = json_array_get(a, i);
        if (!json_is_integer(x))
            return TSR_ERR_FIELD_TYPE;
        if (json_integer_value(x) < 0 || json_integer_value(x) > UINT32_MAX)
            return TSR_ERR_RANGE;
        v[(*n)++] = (uint32_t)json_integer_value(x);
    }
    return TSR_OK;
}

static tsr_status numbers_from_json(const json_t *j, tsr_draw_record *r)
{
    static const char *const keys[] = {"main", "bonus", NULL};
    const json_t *a;
    tsr_status st = tsr_dj_array(j, "numbers", &a);
    if (st != TSR_OK)
        return st;
    if (json_array_size(a) != r->shape.pool_count)
        return TSR_ERR_DRAW_SHAPE;
    r->numbers.pool_count = r->shape.pool_count;
    for (uint32_t p = 0; p < r->shape.pool_count && st == TSR_OK; p++) {
        const json_t *o = json_array_get(a, p);
        uint32_t n = 0;
        st = tsr_dj_keys(o, keys);
        if (st == TSR_OK)
            st = uints_from_json(o, "main", r->shape.pools[p].count, r->numbers.values[p], &n);
        if (st == TSR_OK)
            st = uints_from_json(o, "bonus", r->shape.pools[p].bonus, r->numbers.values[p], &n);
        r->numbers.len[p] = n;
    }
    return st;
}

/* The DRBG description must be exactly ours; only the counts vary. */
static tsr_status drbg_from_json(const json_t *j, tsr_draw_record *r)
{
    static const char *const keys[] = {"algorithm", "personalization", "block",
                                       "bytes_used", "output_blake2b", NULL};
    const char *alg, *pers;
    uint32_t block;
    tsr_status st = tsr_dj_keys(j, keys);
    if (st == TSR_OK)
        st = tsr_dj_str(j, "algorithm", &alg);
    if (st == TSR_OK)
        st = tsr_dj_str(j, "personalization", &pers);
    if (st == TSR_OK)
        st = tsr_dj_u32(j, "block", &block);
    if (st == TSR_OK)
        st = tsr_dj_u64(j, "bytes_used", &r->drbg_bytes);
    if (st == TSR_OK)
        st = tsr_dj_hex(j, "output_blake2b", r->drbg_digest, TSR_HASH_LEN);
    if (st == TSR_OK && (strcmp(alg, TSR_DRAW_DRBG_NAME) != 0 ||
                         strcmp(pers, TSR_DRAW_PERSONALIZATION) != 0 || block != TSR_DRAW_BLOCK))
        st = TSR_ERR_DRAW_MISMATCH;
    return st;
}

static tsr_status witnesses_from_json(const json_t *j, tsr_draw_record *r)
{
    const json_t *a;
    tsr_status st = tsr_dj_array(j, "witnesses", &a);
    if (st != TSR_OK)
        return st;
    if (json_array_size(a) > TSR_WITNESS_MAX)
        return TSR_ERR_TOO_LARGE;
    r->witness_count = (uint32_t)json_array_size(a);
    for (uint32_t i = 0; i < r->witness_count && st == TSR_OK; i++)
        st = tsr_draw_witness_from_json(json_array_get(a, i), &r->witnesses[i]);
    return st;
}

/* "game", "draw" and "authority_key_id" repeat signed values for readers:
 * they must agree with them. */
static tsr_status check_repeats(const json_t *j, const tsr_draw_record *r)
{
    const char *game, *kid;
    uint32_t draw;
    tsr_status st = tsr_dj_str(j, "game", &game);
    if (st == TSR_OK)
        st = tsr_dj_u32(j, "draw", &draw);
    if (st == TSR_OK)
        st = tsr_dj_str(j, "authority_key_id", &kid);
    if (st != TSR_OK)
        return st;
    char want[TSR_KEY_ID_SIZE];
    tsr_key_id(r->manifest->authority_pk, want);
    if (strcmp(game, r->manifest->token.game) != 0 || draw != r->manifest->token.draw ||
        strcmp(kid, want) != 0)
        return TSR_ERR_DRAW_MISMATCH;
    return TSR_OK;
}

static tsr_status record_fields(const json_t *j, tsr_draw_record *r)
{
    const json_t *m = json_object_get(j, "manifest");
    const json_t *shape = json_object_get(j, "shape");
    const json_t *drbg = json_object_get(j, "drbg");
    if (!m || !shape || !drbg)
        return TSR_ERR_FIELD_MISSING;
    tsr_status st = tsr_draw_manifest_from_json(m, &r->manifest);
    if (st == TSR_OK)
        st = shape_from_json(shape, &r->shape);
    if (st == TSR_OK)
        st = tsr_dj_hex(j, "central_seed", r->central_seed, TSR_DRAW_SEED_LEN);
    if (st == TSR_OK)
        st = witnesses_from_json(j, r);
    if (st == TSR_OK)
        st = tsr_dj_hex(j, "entropy", r->entropy, TSR_HASH_LEN);
    if (st == TSR_OK)
        st = drbg_from_json(drbg, r);
    if (st == TSR_OK)
        st = numbers_from_json(j, r);
    if (st == TSR_OK)
        st = tsr_dj_i64(j, "drawn_at_ns", &r->drawn_at_ns);
    if (st == TSR_OK)
        st = tsr_dj_hex(j, "sig", r->sig, TSR_SIG_LEN);
    if (st == TSR_OK)
        st = check_repeats(j, r);
    return st;
}

tsr_status tsr_draw_record_from_json(const json_t *j, tsr_draw_record **out)
{
    static const char *const keys[] = {"type", "version", "game", "draw", "shape",
                                       "manifest", "central_seed", "witnesses", "entropy",
                                       "drbg", "numbers", "drawn_at_ns", "authority_key_id",
                                       "sig", NULL};
    *out = NULL;
    const char *type;
    uint32_t version;
    tsr_status st = tsr_dj_keys(j, keys);
    if (st == TSR_OK)
        st = tsr_dj_str(j, "type", &type);
    if (st == TSR_OK && strcmp(type, RECORD_TYPE) != 0)
        st = TSR_ERR_FIELD_TYPE;
    if (st == TSR_OK)
        st = tsr_dj_u32(j, "version", &version);
    if (st == TSR_OK && version != TSR_CODEC_VERSION)
        st = TSR_ERR_VERSION;
    if (st != TSR_OK)
        return st;
    tsr_draw_record *r = calloc(1, sizeof *r);
    if (!r)
        return TSR_ERR_NOMEM;
    st = record_fields(j, r);
    if (st != TSR_OK) {
        tsr_draw_record_destroy(r);
        return st;
    }
    *out = r;
    return TSR_OK;
}

tsr_status tsr_draw_record_read_file(const char *path, tsr_draw_record **out, char *why,
                                     size_t why_len)
{
    *out = NULL;
    char *text;
    size_t len;
    tsr_status st = tsr_draw_read_file(path, TSR_DRAW_RECORD_FILE_MAX, &text, &len);
    if (st != TSR_OK) {
        tsr_draw_why(why, why_len, "%s", path);
        return st;
    }
    json_error_t err;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    free(text);
    if (!j) {
        tsr_draw_why(why, why_len, "%s:%d: %s", path, err.line, err.text);
        return TSR_ERR_JSON;
    }
    st = tsr_draw_record_from_json(j, out);
    json_decref(j);
    if (st != TSR_OK)
        tsr_draw_why(why, why_len, "%s: %s", path, tsr_status_name(st));
    return st;
}

/* Cutoff tokens and time beacons (see token.h). */
#include "tessera/token.h"

#include <string.h>

#include "codec_int.h"
#include "crypto_int.h"

_Static_assert(TSR_TOKEN_ENC_MAX == 2 + (2 + TSR_NAME_MAX - 1) + 4 + 3 * 8 + TSR_HASH_LEN + 1 +
                                        TSR_WITNESS_MAX * TSR_HASH_LEN + (2 + TSR_KEY_ID_LEN) + 8,
               "TSR_TOKEN_ENC_MAX");
_Static_assert(TSR_BEACON_ENC_MAX == 2 + (2 + TSR_KEY_ID_LEN) + 8 + 8, "TSR_BEACON_ENC_MAX");

void tsr_seed_commit(const void *seed, size_t len, uint8_t out[TSR_HASH_LEN])
{
    static const char tag[] = "tessera-seed";
    tsr_hash_ctx h;
    tsr_hash256_init(&h);
    tsr_hash256_update(&h, tag, sizeof tag - 1);
    tsr_hash256_update(&h, seed, len);
    tsr_hash256_final(&h, out);
}

/* A key id field: exactly 16 lowercase hex characters. */
static bool key_id_valid(const char *id, size_t size)
{
    if (!memchr(id, '\0', size) || strlen(id) != TSR_KEY_ID_LEN)
        return false;
    for (size_t i = 0; i < TSR_KEY_ID_LEN; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return false;
    return true;
}

/* ---- cutoff token ---------------------------------------------------------- */

tsr_status tsr_cutoff_token_check(const tsr_cutoff_token *t)
{
    tsr_status st = tsr_codec_check_name(t->game, sizeof t->game);
    if (st != TSR_OK)
        return st;
    bool ok = t->sales_open_at_ns < t->cutoff_at_ns && t->cutoff_at_ns < t->results_at_ns &&
              t->issued_at_ns > 0 && t->issued_at_ns <= t->cutoff_at_ns &&
              t->witness_count <= TSR_WITNESS_MAX;
    return ok ? TSR_OK : TSR_ERR_TOKEN_INCONSISTENT;
}

/* The body without the consistency check, so verify can check the
 * signature of an inconsistent token first and report the right error. */
static void put_token(const tsr_cutoff_token *t, tsr_enc *e)
{
    tsr_enc_put_u8(e, TSR_TYPE_CUTOFF_TOKEN);
    tsr_enc_put_u8(e, TSR_CODEC_VERSION);
    tsr_enc_put_str(e, t->game);
    tsr_enc_put_u32(e, t->draw);
    tsr_enc_put_i64(e, t->sales_open_at_ns);
    tsr_enc_put_i64(e, t->cutoff_at_ns);
    tsr_enc_put_i64(e, t->results_at_ns);
    tsr_enc_put_fixed(e, t->seed_commitment, TSR_HASH_LEN);
    tsr_enc_put_u8(e, t->witness_count);
    for (unsigned i = 0; i < t->witness_count && i < TSR_WITNESS_MAX; i++)
        tsr_enc_put_fixed(e, t->witness_commitments[i], TSR_HASH_LEN);
    tsr_enc_put_str(e, t->key_id);
    tsr_enc_put_i64(e, t->issued_at_ns);
}

/* The structural checks every encoding needs (names, key id, witness
 * count within the array). */
static tsr_status token_shape(const tsr_cutoff_token *t)
{
    tsr_status st = tsr_codec_check_name(t->game, sizeof t->game);
    if (st != TSR_OK)
        return st;
    if (!key_id_valid(t->key_id, sizeof t->key_id) || t->witness_count > TSR_WITNESS_MAX)
        return TSR_ERR_RANGE;
    return TSR_OK;
}

tsr_status tsr_cutoff_token_encode(const tsr_cutoff_token *t, tsr_enc *e)
{
    tsr_status st = token_shape(t);
    if (st == TSR_OK)
        st = tsr_cutoff_token_check(t);
    if (st != TSR_OK)
        return st;
    put_token(t, e);
    return tsr_enc_finish(e, NULL);
}

/* The canonical bytes of a token whose shape is valid, consistent or not. */
static tsr_status token_bytes(const tsr_cutoff_token *t, uint8_t buf[TSR_TOKEN_ENC_MAX],
                              size_t *len)
{
    tsr_enc e;
    tsr_status st = token_shape(t);
    if (st != TSR_OK)
        return st;
    tsr_enc_init(&e, buf, TSR_TOKEN_ENC_MAX);
    put_token(t, &e);
    return tsr_enc_finish(&e, len);
}

tsr_status tsr_cutoff_token_sign(tsr_cutoff_token *t, const tsr_keypair *kp)
{
    uint8_t buf[TSR_TOKEN_ENC_MAX];
    size_t len;
    tsr_key_id(kp->pk, t->key_id);
    tsr_status st = tsr_cutoff_token_check(t);
    if (st == TSR_OK)
        st = token_bytes(t, buf, &len);
    if (st == TSR_OK)
        tsr_sign(kp, buf, len, t->sig);
    return st;
}

tsr_status tsr_cutoff_token_verify(const tsr_cutoff_token *t, const tsr_keyring *kr,
                                   int64_t now_ns)
{
    uint8_t pk[TSR_PK_LEN], buf[TSR_TOKEN_ENC_MAX];
    size_t len;
    tsr_status st = tsr_keyring_find(kr, t->key_id, pk);
    if (st == TSR_OK)
        st = token_bytes(t, buf, &len);
    if (st == TSR_OK)
        st = tsr_verify(pk, buf, len, t->sig);
    if (st == TSR_OK)
        st = tsr_cutoff_token_check(t);
    if (st == TSR_OK && now_ns >= t->results_at_ns)
        st = TSR_ERR_TOKEN_EXPIRED;
    return st;
}

tsr_status tsr_cutoff_token_pack(const tsr_cutoff_token *t, uint8_t *out, size_t cap,
                                 size_t *out_len)
{
    tsr_enc e;
    *out_len = 0;
    tsr_enc_init(&e, out, cap);
    tsr_status st = tsr_cutoff_token_encode(t, &e);
    if (st == TSR_OK) {
        tsr_enc_put_fixed(&e, t->sig, TSR_SIG_LEN);
        st = tsr_enc_finish(&e, out_len);
    }
    return st;
}

static void read_token(tsr_dec *d, void *out)
{
    tsr_cutoff_token *t = out;
    tsr_dec_get_str(d, t->game, sizeof t->game);
    tsr_dec_get_u32(d, &t->draw);
    tsr_dec_get_i64(d, &t->sales_open_at_ns);
    tsr_dec_get_i64(d, &t->cutoff_at_ns);
    tsr_dec_get_i64(d, &t->results_at_ns);
    tsr_dec_get_fixed(d, t->seed_commitment, TSR_HASH_LEN);
    tsr_dec_get_u8(d, &t->witness_count);
    if (t->witness_count > TSR_WITNESS_MAX) {
        d->error = true;
        return;
    }
    for (unsigned i = 0; i < t->witness_count; i++)
        tsr_dec_get_fixed(d, t->witness_commitments[i], TSR_HASH_LEN);
    tsr_dec_get_str(d, t->key_id, sizeof t->key_id);
    tsr_dec_get_i64(d, &t->issued_at_ns);
    tsr_dec_get_fixed(d, t->sig, TSR_SIG_LEN);
}

/* Unpacking accepts inconsistent times (verify reports them, after the
 * signature) but not a malformed shape. */
static tsr_status token_shape_any(const void *t) { return token_shape(t); }

tsr_status tsr_cutoff_token_unpack(const void *buf, size_t len, tsr_cutoff_token *out)
{
    return tsr_codec_decode_object(buf, len, TSR_TYPE_CUTOFF_TOKEN, read_token, token_shape_any,
                                   out, sizeof *out);
}

static const char *const token_fields[] = {
    "game",           "draw",        "sales_open_at_ns", "cutoff_at_ns", "results_at_ns",
    "seed_commitment", "witness_commitments", "key_id", "issued_at_ns", "sig"};
#define N_TOKEN_FIELDS (sizeof token_fields / sizeof token_fields[0])

json_t *tsr_cutoff_token_to_json(const tsr_cutoff_token *t)
{
    json_t *o = json_object(), *w = json_array();
    bool ok = o && w && t->witness_count <= TSR_WITNESS_MAX;
    for (unsigned i = 0; ok && i < t->witness_count; i++)
        ok = json_array_append_new(w, tsr_sj_hexval(t->witness_commitments[i], TSR_HASH_LEN)) == 0;
    if (!ok)
        json_decref(w);
    ok = ok && tsr_sj_set(o, "game", json_string(t->game)) &&
         tsr_sj_set(o, "draw", json_integer(t->draw)) &&
         tsr_sj_set(o, "sales_open_at_ns", json_integer(t->sales_open_at_ns)) &&
         tsr_sj_set(o, "cutoff_at_ns", json_integer(t->cutoff_at_ns)) &&
         tsr_sj_set(o, "results_at_ns", json_integer(t->results_at_ns)) &&
         tsr_sj_set(o, "seed_commitment", tsr_sj_hexval(t->seed_commitment, TSR_HASH_LEN)) &&
         tsr_sj_set(o, "witness_commitments", w) &&
         tsr_sj_set(o, "key_id", json_string(t->key_id)) &&
         tsr_sj_set(o, "issued_at_ns", json_integer(t->issued_at_ns)) &&
         tsr_sj_set(o, "sig", tsr_sj_hexval(t->sig, TSR_SIG_LEN));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static tsr_status read_witnesses(const json_t *j, tsr_cutoff_token *out)
{
    const json_t *w = json_object_get(j, "witness_commitments");
    if (!json_is_array(w))
        return TSR_ERR_FIELD_TYPE;
    if (json_array_size(w) > TSR_WITNESS_MAX)
        return TSR_ERR_RANGE;
    out->witness_count = (uint8_t)json_array_size(w);
    for (unsigned i = 0; i < out->witness_count; i++) {
        const char *hex = json_string_value(json_array_get(w, i));
        if (!hex)
            return TSR_ERR_FIELD_TYPE;
        if (tsr_hex_decode(out->witness_commitments[i], TSR_HASH_LEN, hex) != TSR_OK)
            return TSR_ERR_ENCODING;
    }
    return TSR_OK;
}

tsr_status tsr_cutoff_token_from_json(const json_t *j, tsr_cutoff_token *out)
{
    int64_t draw = 0;
    memset(out, 0, sizeof *out);
    tsr_status st = tsr_sj_fields(j, token_fields, N_TOKEN_FIELDS);
    st = st ? st : tsr_sj_str(j, "game", out->game, sizeof out->game);
    st = st ? st : tsr_sj_int(j, "draw", 0, UINT32_MAX, &draw);
    st = st ? st : tsr_sj_int(j, "sales_open_at_ns", INT64_MIN, INT64_MAX, &out->sales_open_at_ns);
    st = st ? st : tsr_sj_int(j, "cutoff_at_ns", INT64_MIN, INT64_MAX, &out->cutoff_at_ns);
    st = st ? st : tsr_sj_int(j, "results_at_ns", INT64_MIN, INT64_MAX, &out->results_at_ns);
    st = st ? st : tsr_sj_hex(j, "seed_commitment", out->seed_commitment, TSR_HASH_LEN);
    st = st ? st : read_witnesses(j, out);
    st = st ? st : tsr_sj_str(j, "key_id", out->key_id, sizeof out->key_id);
    st = st ? st : tsr_sj_int(j, "issued_at_ns", INT64_MIN, INT64_MAX, &out->issued_at_ns);
    st = st ? st : tsr_sj_hex(j, "sig", out->sig, TSR_SIG_LEN);
    out->draw = (uint32_t)draw;
    st = st ? st : token_shape(out);
    if (st != TSR_OK)
        memset(out, 0, sizeof *out);
    return st;
}

/* ---- time beacon ----------------------------------------------------------- */

static void put_beacon(const tsr_beacon *b, tsr_enc *e)
{
    tsr_enc_put_u8(e, TSR_TYPE_BEACON);
    tsr_enc_put_u8(e, TSR_CODEC_VERSION);
    tsr_enc_put_str(e, b->key_id);
    tsr_enc_put_u64(e, b->seq);
    tsr_enc_put_i64(e, b->time_ns);
}

tsr_status tsr_beacon_encode(const tsr_beacon *b, tsr_enc *e)
{
    if (!key_id_valid(b->key_id, sizeof b->key_id))
        return TSR_ERR_RANGE;
    put_beacon(b, e);
    return tsr_enc_finish(e, NULL);
}

static tsr_status beacon_bytes(const tsr_beacon *b, uint8_t buf[TSR_BEACON_ENC_MAX], size_t *len)
{
    tsr_enc e;
    tsr_enc_init(&e, buf, TSR_BEACON_ENC_MAX);
    tsr_status st = tsr_beacon_encode(b, &e);
    return st == TSR_OK ? tsr_enc_finish(&e, len) : st;
}

tsr_status tsr_beacon_sign(tsr_beacon *b, const tsr_keypair *kp)
{
    uint8_t buf[TSR_BEACON_ENC_MAX];
    size_t len;
    tsr_key_id(kp->pk, b->key_id);
    tsr_status st = beacon_bytes(b, buf, &len);
    if (st == TSR_OK)
        tsr_sign(kp, buf, len, b->sig);
    return st;
}

tsr_status tsr_beacon_verify(const tsr_beacon *b, const tsr_keyring *kr, int64_t now_ns,
                             int64_t max_age_ns)
{
    uint8_t pk[TSR_PK_LEN], buf[TSR_BEACON_ENC_MAX];
    size_t len;
    tsr_status st = tsr_keyring_find(kr, b->key_id, pk);
    if (st == TSR_OK)
        st = beacon_bytes(b, buf, &len);
    if (st == TSR_OK)
        st = tsr_verify(pk, buf, len, b->sig);
    /* Written as a subtraction-free comparison so extreme values of either
     * time cannot overflow. */
    if (st == TSR_OK && now_ns > b->time_ns && (uint64_t)now_ns - (uint64_t)b->time_ns >
                                                   (uint64_t)(max_age_ns < 0 ? 0 : max_age_ns))
        st = TSR_ERR_BEACON_STALE;
    return st;
}

/* |a - b| as an unsigned value, without overflow. */
static uint64_t distance(int64_t a, int64_t b)
{
    return a >= b ? (uint64_t)a - (uint64_t)b : (uint64_t)b - (uint64_t)a;
}

tsr_status tsr_beacon_check_skew(const tsr_beacon *b, int64_t local_ns, int64_t bound_ns,
                                 int64_t transit_ns)
{
    if (bound_ns < 0 || transit_ns < 0)
        return TSR_ERR_ARG;
    uint64_t d = distance(local_ns, b->time_ns);
    if (local_ns >= b->time_ns)
        return d > (uint64_t)bound_ns + (uint64_t)transit_ns ? TSR_ERR_BEACON_SKEW : TSR_OK;
    return d > (uint64_t)bound_ns ? TSR_ERR_BEACON_SKEW : TSR_OK;
}

tsr_status tsr_beacon_pack(const tsr_beacon *b, uint8_t *out, size_t cap, size_t *out_len)
{
    tsr_enc e;
    *out_len = 0;
    tsr_enc_init(&e, out, cap);
    tsr_status st = tsr_beacon_encode(b, &e);
    if (st == TSR_OK) {
        tsr_enc_put_fixed(&e, b->sig, TSR_SIG_LEN);
        st = tsr_enc_finish(&e, out_len);
    }
    return st;
}

static void read_beacon(tsr_dec *d, void *out)
{
    tsr_beacon *b = out;
    tsr_dec_get_str(d, b->key_id, sizeof b->key_id);
    tsr_dec_get_u64(d, &b->seq);
    tsr_dec_get_i64(d, &b->time_ns);
    tsr_dec_get_fixed(d, b->sig, TSR_SIG_LEN);
}

static tsr_status beacon_shape(const void *obj)
{
    const tsr_beacon *b = obj;
    return key_id_valid(b->key_id, sizeof b->key_id) ? TSR_OK : TSR_ERR_RANGE;
}

tsr_status tsr_beacon_unpack(const void *buf, size_t len, tsr_beacon *out)
{
    return tsr_codec_decode_object(buf, len, TSR_TYPE_BEACON, read_beacon, beacon_shape, out,
                                   sizeof *out);
}

static const char *const beacon_fields[] = {"key_id", "seq", "time_ns", "sig"};

json_t *tsr_beacon_to_json(const tsr_beacon *b)
{
    json_t *o = json_object();
    if (!o || b->seq > INT64_MAX)
        return json_decref(o), NULL;
    bool ok = tsr_sj_set(o, "key_id", json_string(b->key_id)) &&
              tsr_sj_set(o, "seq", json_integer((json_int_t)b->seq)) &&
              tsr_sj_set(o, "time_ns", json_integer(b->time_ns)) &&
              tsr_sj_set(o, "sig", tsr_sj_hexval(b->sig, TSR_SIG_LEN));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

tsr_status tsr_beacon_from_json(const json_t *j, tsr_beacon *out)
{
    int64_t seq = 0;
    memset(out, 0, sizeof *out);
    tsr_status st = tsr_sj_fields(j, beacon_fields, 4);
    st = st ? st : tsr_sj_str(j, "key_id", out->key_id, sizeof out->key_id);
    st = st ? st : tsr_sj_int(j, "seq", 0, INT64_MAX, &seq);
    st = st ? st : tsr_sj_int(j, "time_ns", INT64_MIN, INT64_MAX, &out->time_ns);
    st = st ? st : tsr_sj_hex(j, "sig", out->sig, TSR_SIG_LEN);
    out->seq = (uint64_t)seq;
    st = st ? st : beacon_shape(out);
    if (st != TSR_OK)
        memset(out, 0, sizeof *out);
    return st;
}

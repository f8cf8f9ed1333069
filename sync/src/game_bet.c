/*
 * Bet codec: canonical bytes for tickets and the JSON form of the CoAP API.
 * The bytes are signed and hashed as part of a ticket, so one bet must have
 * exactly one encoding: fixed field order, explicit lengths, big-endian
 * integers, and set selections sorted. Decoding is strict for the same
 * reason: anything that is not the canonical form is refused.
 */
#include <stdio.h>
#include <string.h>

#include "tessera/fmt.h"
#include "tessera/game.h"

#define FLAG_QUICK_PICK 0x1u
#define HEADER_LEN 17 /* version, type, flags, draws(2), stake(8), addons(4) */

static bool is_set_type(unsigned type) { return type == TSR_BET_STANDARD || type == TSR_BET_SPOT; }

static void sort_u8(uint8_t *a, unsigned n)
{
    for (unsigned i = 1; i < n; i++)
        for (unsigned j = i; j > 0 && a[j - 1] > a[j]; j--) {
            uint8_t t = a[j];
            a[j] = a[j - 1];
            a[j - 1] = t;
        }
}

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

tsr_status tsr_bet_encode(const tsr_bet *bet, uint8_t *out, size_t cap, size_t *len)
{
    if (bet->type >= TSR_BET_TYPE_COUNT_ || bet->count > TSR_BET_NUMBERS_MAX ||
        bet->second_count > TSR_BET_SECOND_MAX || bet->stake_cents < 0 || bet->stake_cents > TSR_MONEY_MAX ||
        (bet->addons & ~TSR_ADDON_KNOWN_) || bet->draws == 0)
        return TSR_ERR_ARG;
    size_t need = HEADER_LEN + 1u + bet->count + 1u + bet->second_count;
    if (cap < need)
        return TSR_ERR_TOO_LARGE;
    uint8_t nums[TSR_BET_NUMBERS_MAX];
    memcpy(nums, bet->numbers, bet->count);
    if (is_set_type(bet->type))
        sort_u8(nums, bet->count);
    out[0] = TSR_BET_VERSION;
    out[1] = bet->type;
    out[2] = bet->quick_pick ? FLAG_QUICK_PICK : 0;
    put_be(out + 3, bet->draws, 2);
    put_be(out + 5, (uint64_t)bet->stake_cents, 8);
    put_be(out + 13, bet->addons, 4);
    uint8_t *p = out + HEADER_LEN;
    *p++ = bet->count;
    memcpy(p, nums, bet->count);
    p += bet->count;
    *p++ = bet->second_count;
    memcpy(p, bet->second, bet->second_count);
    *len = need;
    return TSR_OK;
}

tsr_status tsr_bet_decode(const uint8_t *in, size_t len, tsr_bet *out)
{
    if (len >= 1 && in[0] != TSR_BET_VERSION)
        return TSR_ERR_VERSION;
    if (len < HEADER_LEN + 2)
        return TSR_ERR_ENCODING;
    tsr_bet b;
    memset(&b, 0, sizeof b);
    b.type = in[1];
    b.quick_pick = in[2] & FLAG_QUICK_PICK;
    b.draws = (uint16_t)get_be(in + 3, 2);
    uint64_t stake = get_be(in + 5, 8);
    b.addons = (uint32_t)get_be(in + 13, 4);
    b.count = in[HEADER_LEN];
    if (b.type >= TSR_BET_TYPE_COUNT_ || (in[2] & ~FLAG_QUICK_PICK) || b.draws == 0 ||
        stake > (uint64_t)TSR_MONEY_MAX || (b.addons & ~TSR_ADDON_KNOWN_) || b.count > TSR_BET_NUMBERS_MAX ||
        len < HEADER_LEN + 2u + b.count)
        return TSR_ERR_ENCODING;
    b.stake_cents = (tsr_cents)stake;
    memcpy(b.numbers, in + HEADER_LEN + 1, b.count);
    b.second_count = in[HEADER_LEN + 1 + b.count];
    if (b.second_count > TSR_BET_SECOND_MAX || len != HEADER_LEN + 2u + b.count + b.second_count)
        return TSR_ERR_ENCODING;
    memcpy(b.second, in + HEADER_LEN + 2 + b.count, b.second_count);
    for (unsigned i = 1; is_set_type(b.type) && i < b.count; i++)
        if (b.numbers[i - 1] >= b.numbers[i])
            return TSR_ERR_ENCODING;
    *out = b;
    return TSR_OK;
}

/* ---- JSON ---- */

static tsr_status why_fail(tsr_status st, char *why, size_t whylen, const char *fmt, const char *arg)
{
    if (why && whylen)
        snprintf(why, whylen, fmt, arg);
    return st;
}

static tsr_status json_numbers(const json_t *arr, const char *key, uint8_t *dst, uint8_t *count, unsigned max,
                               char *why, size_t whylen)
{
    if (!arr)
        return TSR_OK;
    if (!json_is_array(arr))
        return why_fail(TSR_ERR_FIELD_TYPE, why, whylen, "'%s' must be a list of numbers", key);
    if (json_array_size(arr) > max)
        return why_fail(TSR_ERR_GAME_COUNT, why, whylen, "'%s' has too many numbers", key);
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (!json_is_integer(v))
            return why_fail(TSR_ERR_FIELD_TYPE, why, whylen, "'%s' must be a list of integers", key);
        json_int_t x = json_integer_value(v);
        if (x < 0 || x > TSR_POOL_MAX)
            return why_fail(TSR_ERR_GAME_NUMBER_RANGE, why, whylen, "'%s' has a number outside 0..99", key);
        dst[i] = (uint8_t)x;
    }
    *count = (uint8_t)json_array_size(arr);
    return TSR_OK;
}

static tsr_status json_addons(const json_t *arr, uint32_t *addons, char *why, size_t whylen)
{
    if (!arr)
        return TSR_OK;
    if (!json_is_array(arr))
        return why_fail(TSR_ERR_FIELD_TYPE, why, whylen, "'%s' must be a list of names", "addons");
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v))
            return why_fail(TSR_ERR_FIELD_TYPE, why, whylen, "'%s' must be a list of names", "addons");
        uint32_t a = tsr_addon_from_name(json_string_value(v));
        if (a == 0)
            return why_fail(TSR_ERR_GAME_ADDON_UNKNOWN, why, whylen, "no add-on is called '%s'",
                            json_string_value(v));
        *addons |= a;
    }
    return TSR_OK;
}

static tsr_status json_scalars(const json_t *obj, tsr_bet *b, char *why, size_t whylen)
{
    const json_t *qp = json_object_get(obj, "quick_pick"), *dr = json_object_get(obj, "draws"),
                 *st = json_object_get(obj, "stake"), *sp = json_object_get(obj, "spots");
    if (qp && !json_is_boolean(qp))
        return why_fail(TSR_ERR_FIELD_TYPE, why, whylen, "'%s' must be true or false", "quick_pick");
    b->quick_pick = json_is_true(qp);
    if (dr && !json_is_integer(dr))
        return why_fail(TSR_ERR_FIELD_TYPE, why, whylen, "'%s' must be an integer", "draws");
    if (dr && (json_integer_value(dr) < 1 || json_integer_value(dr) > TSR_DRAWS_MAX))
        return why_fail(TSR_ERR_GAME_DRAWS, why, whylen, "'%s' must be 1..104", "draws");
    b->draws = dr ? (uint16_t)json_integer_value(dr) : 1;
    if (st && !json_is_string(st))
        return why_fail(TSR_ERR_FIELD_TYPE, why, whylen, "'%s' must be a decimal string such as \"1.00\"", "stake");
    if (st) {
        tsr_status s = tsr_money_parse(json_string_value(st), &b->stake_cents);
        if (s != TSR_OK)
            return why_fail(s, why, whylen, "'%s' is not an amount", json_string_value(st));
        if (b->stake_cents < 0)
            return why_fail(TSR_ERR_RANGE, why, whylen, "'%s' is negative", "stake");
    }
    if (sp && (!json_is_integer(sp) || json_integer_value(sp) < 1 || json_integer_value(sp) > TSR_BET_NUMBERS_MAX))
        return why_fail(TSR_ERR_GAME_COUNT, why, whylen, "'%s' must be 1..10", "spots");
    if (sp && b->count && b->count != json_integer_value(sp))
        return why_fail(TSR_ERR_GAME_COUNT, why, whylen, "'%s' differs from the count of numbers", "spots");
    if (sp && !b->count)
        b->count = (uint8_t)json_integer_value(sp); /* the spot count of a quick pick */
    return TSR_OK;
}

tsr_status tsr_bet_from_json(const json_t *obj, tsr_bet *out, char *why, size_t whylen)
{
    static const char *const keys[] = {"type", "numbers", "second", "spots", "addons",
                                       "quick_pick", "draws", "stake", NULL};
    if (!json_is_object(obj))
        return why_fail(TSR_ERR_FIELD_TYPE, why, whylen, "%s must be a JSON object", "a bet");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        bool ok = false;
        for (const char *const *k = keys; *k && !ok; k++)
            ok = strcmp(*k, key) == 0;
        if (!ok)
            return why_fail(TSR_ERR_FIELD_UNKNOWN, why, whylen, "a bet has no field '%s'", key);
    }
    tsr_bet b;
    memset(&b, 0, sizeof b);
    const json_t *type = json_object_get(obj, "type");
    if (!type)
        return why_fail(TSR_ERR_FIELD_MISSING, why, whylen, "'%s' is required", "type");
    if (!json_is_string(type))
        return why_fail(TSR_ERR_FIELD_TYPE, why, whylen, "'%s' must be a string", "type");
    int t = tsr_bet_type_from_name(json_string_value(type));
    if (t < 0)
        return why_fail(TSR_ERR_GAME_BET_TYPE, why, whylen, "no bet type is called '%s'", json_string_value(type));
    b.type = (uint8_t)t;
    tsr_status st;
    if ((st = json_numbers(json_object_get(obj, "numbers"), "numbers", b.numbers, &b.count, TSR_BET_NUMBERS_MAX,
                           why, whylen)) != TSR_OK ||
        (st = json_numbers(json_object_get(obj, "second"), "second", b.second, &b.second_count,
                           TSR_BET_SECOND_MAX, why, whylen)) != TSR_OK ||
        (st = json_addons(json_object_get(obj, "addons"), &b.addons, why, whylen)) != TSR_OK ||
        (st = json_scalars(obj, &b, why, whylen)) != TSR_OK)
        return st;
    *out = b;
    return TSR_OK;
}

json_t *tsr_bet_to_json(const tsr_bet *bet)
{
    json_t *o = json_object(), *nums = json_array(), *second = json_array(), *addons = json_array();
    char stake[TSR_MONEY_STR_MAX];
    const char *type = tsr_bet_type_name((tsr_bet_type)bet->type);
    if (!o || !nums || !second || !addons || !type) {
        json_decref(o);
        json_decref(nums);
        json_decref(second);
        json_decref(addons);
        return NULL;
    }
    for (unsigned i = 0; i < bet->count && i < TSR_BET_NUMBERS_MAX; i++)
        json_array_append_new(nums, json_integer(bet->numbers[i]));
    for (unsigned i = 0; i < bet->second_count && i < TSR_BET_SECOND_MAX; i++)
        json_array_append_new(second, json_integer(bet->second[i]));
    if (bet->addons & TSR_ADDON_MULTIPLIER)
        json_array_append_new(addons, json_string("multiplier"));
    json_object_set_new(o, "type", json_string(type));
    json_object_set_new(o, "numbers", nums);
    if (bet->second_count)
        json_object_set_new(o, "second", second);
    else
        json_decref(second);
    json_object_set_new(o, "addons", addons);
    json_object_set_new(o, "quick_pick", json_boolean(bet->quick_pick));
    json_object_set_new(o, "draws", json_integer(bet->draws));
    json_object_set_new(o, "stake", json_string(tsr_money_format(bet->stake_cents, stake, sizeof stake)));
    return o;
}

/* A bounded writer for tsr_bet_json_text: a bet's JSON text is made once
 * per bet on the node's CoAP thread, and vsnprintf per piece was most of
 * its cost, so pieces are copied in directly. `ok` turns false for good
 * once a piece (with the final NUL) would not fit. */
typedef struct text_out {
    char *buf;
    size_t cap, len;
    bool ok;
} text_out;

static void put(text_out *o, const char *s, size_t n)
{
    if (!o->ok || n >= o->cap - o->len) {
        o->ok = false;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

#define PUT_LIT(o, lit) put((o), (lit), sizeof(lit) - 1)

static void put_numbers(text_out *o, const uint8_t *v, unsigned n)
{
    char d[4 * TSR_BET_NUMBERS_MAX + 2]; /* "[", up to "99," per number, "]" */
    size_t k = 0;
    d[k++] = '[';
    for (unsigned i = 0; i < n; i++) {
        if (i)
            d[k++] = ',';
        if (v[i] >= 100)
            d[k++] = (char)('0' + v[i] / 100);
        if (v[i] >= 10)
            d[k++] = (char)('0' + v[i] / 10 % 10);
        d[k++] = (char)('0' + v[i] % 10);
    }
    d[k++] = ']';
    put(o, d, k);
}

tsr_status tsr_bet_json_text(const tsr_bet *bet, char *out, size_t cap)
{
    const char *type = tsr_bet_type_name((tsr_bet_type)bet->type);
    if (!type)
        return TSR_ERR_GAME_BET_TYPE;
    unsigned n = bet->count < TSR_BET_NUMBERS_MAX ? bet->count : TSR_BET_NUMBERS_MAX;
    unsigned n2 = bet->second_count < TSR_BET_SECOND_MAX ? bet->second_count : TSR_BET_SECOND_MAX;
    text_out o = {.buf = out, .cap = cap, .len = 0, .ok = cap > 0};
    PUT_LIT(&o, "{\"type\":\"");
    put(&o, type, strlen(type));
    PUT_LIT(&o, "\",\"numbers\":");
    put_numbers(&o, bet->numbers, n);
    if (bet->second_count) {
        PUT_LIT(&o, ",\"second\":");
        put_numbers(&o, bet->second, n2);
    }
    if (bet->addons & TSR_ADDON_MULTIPLIER)
        PUT_LIT(&o, ",\"addons\":[\"multiplier\"],\"quick_pick\":");
    else
        PUT_LIT(&o, ",\"addons\":[],\"quick_pick\":");
    if (bet->quick_pick)
        PUT_LIT(&o, "true,\"draws\":");
    else
        PUT_LIT(&o, "false,\"draws\":");
    char num[TSR_FMT_U64_MAX > TSR_FMT_MONEY_MAX ? TSR_FMT_U64_MAX : TSR_FMT_MONEY_MAX];
    put(&o, num, tsr_fmt_u64(num, bet->draws));
    PUT_LIT(&o, ",\"stake\":\"");
    put(&o, num, tsr_fmt_money(num, bet->stake_cents));
    PUT_LIT(&o, "\"}");
    if (!o.ok)
        return TSR_ERR_TOO_LONG;
    out[o.len] = '\0';
    return TSR_OK;
}

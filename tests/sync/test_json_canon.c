/* The canonical JSON walker (json_canon.h) against the definition it must
 * keep: json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY),
 * byte for byte, on generated documents (seed printed) with nesting, empty
 * containers, escapes, NUL bytes, non-ASCII, keys that prefix each other,
 * integer extremes, reals, wide objects and deep nesting (both left to
 * jansson), and on the inputs where json_dumps gives NULL. */
#include <check.h>
#include <float.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/json_canon.h"
#include "tsr_test.h"

#define SEED UINT64_C(20261124)
#define DOCS 6000
#define CANON_FLAGS (JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY)

typedef struct out {
    char *buf;
    size_t len, cap;
    size_t calls, refuse_at; /* refuse_at: the call that fails, 0 never */
} out;

static int collect(const char *s, size_t n, void *arg)
{
    out *o = arg;
    if (o->refuse_at && ++o->calls >= o->refuse_at)
        return -1;
    if (o->len + n + 1 > o->cap) {
        o->cap = (o->len + n + 1) * 2;
        o->buf = realloc(o->buf, o->cap);
        ck_assert_ptr_nonnull(o->buf);
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
    return 0;
}

/* The walker's text equals json_dumps', or both refuse. */
static void check_same(const json_t *j)
{
    char *want = json_dumps(j, CANON_FLAGS);
    out o = {0};
    tsr_status s = tsr_json_canon(j, collect, &o);
    if (!want) {
        ck_assert_int_eq(s, TSR_ERR_ENCODING);
    } else {
        ck_assert_int_eq(s, TSR_OK);
        ck_assert_uint_eq(o.len, strlen(want));
        ck_assert_msg(o.len == 0 || memcmp(o.buf, want, o.len) == 0, "got %s\nwant %s", o.buf,
                      want);
    }
    free(want);
    free(o.buf);
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Pieces of text: plain, everything jansson escapes, '/', DEL, NUL, and
 * valid UTF-8 of two, three and four bytes. */
static const char *const PIECES[] = {"a", "Z", "0", " ", "key", "\"", "\\", "/", "\b", "\f", "\n",
                                     "\r", "\t", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xe2\x82\xac",
                                     "\xf0\x9f\x8e\xb2", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf", "{}[],:"};

/* Text of up to `max` pieces; a NUL byte now and then (jansson keeps it
 * with the length and dumps it as \u0000). */
static size_t any_text(uint64_t *s, char *buf, size_t max)
{
    size_t n = 0, pieces = splitmix(s) % (max + 1);
    for (size_t i = 0; i < pieces; i++) {
        uint64_t r = splitmix(s);
        if (r % 29 == 0) {
            buf[n++] = '\0';
            continue;
        }
        const char *p = PIECES[r % (sizeof PIECES / sizeof *PIECES)];
        memcpy(buf + n, p, strlen(p));
        n += strlen(p);
    }
    return n;
}

static json_t *any_scalar(uint64_t *s)
{
    static const json_int_t ints[] = {0, 1, -1, 9, 10, -10, INT64_MAX, INT64_MIN, INT64_MAX - 1,
                                      INT64_MIN + 1, 999999, 1000000};
    static const double reals[] = {0.0, -0.0, 1.0, -1.5, 0.1, 1e300, -1e-300, 1e17, 123456789.0,
                                   DBL_MAX, DBL_MIN, 5e-324, 3.141592653589793};
    char text[4 * 200 + 8];
    uint64_t r = splitmix(s);
    switch (r % 8) {
    case 0: return json_null();
    case 1: return json_boolean(r & 8);
    case 2: return json_integer(ints[r / 8 % (sizeof ints / sizeof *ints)]);
    case 3: return json_integer((json_int_t)(splitmix(s) >> (r / 8 % 64)));
    case 4: return json_real(r & 8 ? reals[r / 16 % (sizeof reals / sizeof *reals)]
                                   : (double)(int64_t)splitmix(s) / (double)(1 + r % 1000));
    case 5: return json_stringn(text, any_text(s, text, 200)); /* past the walker's buffer */
    default: return json_stringn(text, any_text(s, text, 24));
    }
}

/* Keys from a small alphabet, so prefixes and shared stems are common. */
static void add_members(uint64_t *s, json_t *o, int depth, size_t n);

static json_t *any_value(uint64_t *s, int depth)
{
    uint64_t r = splitmix(s);
    if (depth <= 0 || r % 3 == 0)
        return any_scalar(s);
    if (r % 3 == 1) {
        json_t *a = json_array();
        size_t n = splitmix(s) % 6;
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, any_value(s, depth - 1));
        return a;
    }
    json_t *o = json_object();
    add_members(s, o, depth - 1, splitmix(s) % 8);
    return o;
}

static void add_members(uint64_t *s, json_t *o, int depth, size_t n)
{
    static const char *const stems[] = {"", "a", "ab", "abc", "b", "B", "type", "types", "\xc3\xa9",
                                        "\x7f", "~", "z\"", "\\", "\n", "/"};
    for (size_t i = 0; i < n; i++) {
        char key[64 + 4 * 24 + 8];
        const char *stem = stems[splitmix(s) % (sizeof stems / sizeof *stems)];
        size_t len = strlen(stem);
        memcpy(key, stem, len);
        if (splitmix(s) & 1)
            len += any_text(s, key + len, 3);
        key[len] = '\0';
        if (strlen(key) == len) /* a key with a NUL byte is refused by jansson */
            json_object_set_new(o, key, any_value(s, depth));
    }
}

START_TEST(generated_documents_match_json_dumps)
{
    printf("json canon seed %" PRIu64 "\n", SEED);
    uint64_t s = SEED;
    for (int i = 0; i < DOCS; i++) {
        json_t *j = any_value(&s, 1 + (int)(i % 5));
        check_same(j);
        json_decref(j);
    }
    /* an object of each size around the walker's sorting limit */
    for (size_t n = TSR_JSON_CANON_KEYS_MAX - 2; n <= TSR_JSON_CANON_KEYS_MAX + 2; n++) {
        json_t *o = json_object();
        char key[16];
        for (size_t k = 0; json_object_size(o) < n; k++) {
            snprintf(key, sizeof key, "k%zu", (size_t)(splitmix(&s) % 1000));
            json_object_set_new(o, key, any_scalar(&s));
        }
        check_same(o);
        json_decref(o);
    }
}
END_TEST

START_TEST(edge_documents_match_json_dumps)
{
    static const char *const texts[] = {
        "{}", "[]", "[[],{},[{}]]", "\"\"", "0", "-9223372036854775808", "9223372036854775807",
        "true", "null", "1.0", "1e20", "-0.0", "[1.5e-7, 100000000000000000000.0]",
        "{\"b\":1,\"a\":{\"d\":[],\"c\":{}},\"\":null,\"aa\":2,\"A\":3}",
        "\"\\u0000\\u001f\\u007f\\/\\\"\\\\\\b\\f\\n\\r\\t\\u00e9\\u20ac\\ud83c\\udfb2\"",
        "{\"type\":\"straight\",\"numbers\":[4,5,6],\"stake\":\"1.00\",\"draws\":3}"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        json_error_t e;
        json_t *j = json_loads(texts[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
        ck_assert_msg(j != NULL, "%s: %s", texts[i], e.text);
        check_same(j);
        json_decref(j);
    }
    /* jansson's bytes, spelled out: sorted by bytes, uppercase \u, '/' as is */
    json_t *j = json_pack("{s:s#, s:i, s:i}", "b", "a/\x01\xc3\xa9", (int)5, "B", 1, "a", 2);
    out o = {0};
    ck_assert_int_eq(tsr_json_canon(j, collect, &o), TSR_OK);
    ck_assert_str_eq(o.buf, "{\"B\":1,\"a\":2,\"b\":\"a/\\u0001\xc3\xa9\"}");
    free(o.buf);
    json_decref(j);
    /* nesting past the walker's depth: the rest is jansson's */
    json_t *deep = json_integer(7);
    for (int d = 0; d < 3 * TSR_JSON_CANON_DEPTH_MAX; d++) {
        json_t *up = d % 2 ? json_array() : json_object();
        if (d % 2)
            json_array_append_new(up, deep);
        else
            json_object_set_new(up, "k", deep);
        deep = up;
        check_same(deep);
    }
    json_decref(deep);
}
END_TEST

START_TEST(refusals_match_json_dumps)
{
    out o = {0};
    ck_assert_int_eq(tsr_json_canon(NULL, collect, &o), TSR_ERR_ENCODING);
    /* string values that are not UTF-8 (only the unchecked setter makes them) */
    static const char *const bad[] = {"\x80", "a\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                                      "\xe2\x82", "\xf8\x88\x80\x80\x80", "ok\"\xff",
                                      "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xc3("};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *a = json_array();
        json_array_append_new(a, json_stringn_nocheck(bad[i], strlen(bad[i])));
        check_same(a);
        /* as a key jansson ignores the failure and goes on: so does the walker */
        json_t *k = json_object();
        json_object_setn_new_nocheck(k, bad[i], strlen(bad[i]), json_integer(1));
        json_object_set_new(k, "z", json_true());
        check_same(k);
        json_decref(k);
        json_decref(a);
    }
    /* the same past the walker's buffer: a long string, an escape far in */
    char lng[700];
    memset(lng, 'a', sizeof lng);
    lng[300] = '\n';
    lng[sizeof lng - 1] = '\0';
    for (size_t at = 1; at < sizeof lng - 1; at += 97) {
        char keep = lng[at];
        lng[at] = '\xff';
        json_t *k = json_object(), *v = json_array();
        json_object_setn_new_nocheck(k, lng, strlen(lng), json_integer(1));
        json_object_setn_new_nocheck(k, lng + 600, strlen(lng + 600), json_integer(2));
        json_array_append_new(v, json_stringn_nocheck(lng, strlen(lng)));
        check_same(k);
        check_same(v);
        json_decref(k);
        json_decref(v);
        lng[at] = keep;
    }
    /* a container inside itself */
    json_t *a = json_array(), *b = json_array();
    json_array_append(a, b);
    json_array_append(b, a);
    check_same(a);
    json_array_clear(b);
    json_decref(a);
    json_decref(b);
    /* a sink that refuses, at its first call and at a later one */
    json_t *big = json_pack("{s:s, s:[i, f]}", "text", "0123456789", "list", 1, 2.5);
    for (size_t at = 1; at <= 3; at++) {
        out r = {.refuse_at = at};
        ck_assert_int_eq(tsr_json_canon(big, collect, &r), TSR_ERR_ENCODING);
        free(r.buf);
    }
    json_decref(big);
}
END_TEST

static Suite *json_canon_suite(void)
{
    Suite *s = suite_create("json_canon");
    TCase *tc = tcase_create("json_canon");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, generated_documents_match_json_dumps);
    tcase_add_test(tc, edge_documents_match_json_dumps);
    tcase_add_test(tc, refusals_match_json_dumps);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(json_canon_suite()); }

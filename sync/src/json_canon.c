/* The canonical text of a JSON value, byte for byte jansson 2.14's
 * json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY), without
 * its dump (see json_canon.h for why, and tests/sync/test_json_canon.c for
 * the comparison on generated documents). */
#include "tessera/json_canon.h"

#include <stdbool.h>
#include <string.h>

#include "tessera/fmt.h"

#define CANON_FLAGS (JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY)
/* Text gathered before it goes to the sink: a request body fits whole. */
#define OUT_CHUNK 512

typedef struct canon {
    json_dump_callback_t sink;
    void *arg;
    bool failed; /* the sink refused: nothing more goes out */
    size_t used;
    char buf[OUT_CHUNK];
} canon;

typedef struct member {
    const char *key;
    size_t len;
    json_t *value;
} member;

static void flush(canon *c)
{
    if (c->used && !c->failed && c->sink(c->buf, c->used, c->arg) != 0)
        c->failed = true;
    c->used = 0;
}

static void put(canon *c, const char *s, size_t n)
{
    while (n > OUT_CHUNK - c->used) {
        size_t k = OUT_CHUNK - c->used;
        memcpy(c->buf + c->used, s, k);
        c->used += k;
        s += k;
        n -= k;
        flush(c);
    }
    memcpy(c->buf + c->used, s, n);
    c->used += n;
}

#define PUT_LIT(c, lit) put((c), (lit), sizeof(lit) - 1)

/* One byte of punctuation. */
static void put_byte(canon *c, char b)
{
    if (c->used == OUT_CHUNK)
        flush(c);
    c->buf[c->used++] = b;
}

/* The length of the UTF-8 sequence at p (n > 0 bytes left) as jansson's
 * utf8_iterate accepts it, 0 where it refuses: a continuation or C0/C1 or
 * F5+ lead byte, a missing continuation, an overlong form, a surrogate or
 * a code point past U+10FFFF. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    size_t len;
    uint32_t v;
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        len = 2;
        v = p[0] & 0x1Fu;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        len = 3;
        v = p[0] & 0x0Fu;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        len = 4;
        v = p[0] & 0x07u;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (p[i] & 0x3Fu);
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (len == 3 && v < 0x800) ||
        (len == 4 && v < 0x10000))
        return 0;
    return len;
}

/* Writes the escape of a byte below 0x20 or '"' or '\\' at o: jansson's
 * short forms, else \u00XX with uppercase hex. Returns its length. */
static size_t escape(char *o, unsigned char b)
{
    static const char hex[] = "0123456789ABCDEF";
    o[0] = '\\';
    switch (b) {
    case '"': o[1] = '"'; return 2;
    case '\\': o[1] = '\\'; return 2;
    case '\b': o[1] = 'b'; return 2;
    case '\f': o[1] = 'f'; return 2;
    case '\n': o[1] = 'n'; return 2;
    case '\r': o[1] = 'r'; return 2;
    case '\t': o[1] = 't'; return 2;
    default:
        memcpy(o + 1, "u00", 3);
        o[4] = hex[b >> 4];
        o[5] = hex[b & 15];
        return 6;
    }
}

static bool plain(unsigned char b) { return b >= 0x20 && b < 0x80 && b != '"' && b != '\\'; }

/* put_string for text that may not fit the buffer: streamed in runs. */
static bool put_string_long(canon *c, const unsigned char *p, const unsigned char *end)
{
    const unsigned char *run = p;
    char e[6];
    while (p < end) {
        if (plain(*p)) {
            p++;
        } else if (*p >= 0x80) {
            size_t n = utf8_seq(p, (size_t)(end - p));
            if (n == 0)
                return false;
            p += n;
        } else {
            put(c, (const char *)run, (size_t)(p - run));
            put(c, e, escape(e, *p));
            run = ++p;
        }
    }
    put(c, (const char *)run, (size_t)(p - run));
    put_byte(c, '"');
    return true;
}

/* s[0..len) quoted and escaped. On bytes that are not UTF-8 it stops as
 * jansson's dump_string does: what went out is the opening quote and the
 * text up to the last escape, not the run of plain bytes it was gathering
 * (and no closing quote); returns false. A string whose worst case fits
 * the buffer is written in place, the usual case. */
static bool put_string(canon *c, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    put_byte(c, '"');
    if (len > (OUT_CHUNK - 1) / 6)
        return put_string_long(c, p, end);
    if (OUT_CHUNK - c->used < 6 * len + 1)
        flush(c);
    char *o = c->buf + c->used;
    size_t kept = c->used; /* the end of what jansson would have written */
    while (p < end) {
        if (plain(*p)) {
            *o++ = (char)*p++;
        } else if (*p >= 0x80) {
            size_t n = utf8_seq(p, (size_t)(end - p));
            if (n == 0) {
                c->used = kept;
                return false;
            }
            memcpy(o, p, n);
            o += n;
            p += n;
        } else {
            o += escape(o, *p++);
            kept = (size_t)(o - c->buf);
        }
    }
    *o++ = '"';
    c->used = (size_t)(o - c->buf);
    return true;
}

/* What this walker leaves to jansson: reals, large objects, deep nesting.
 * A value's dump does not depend on where it sits in compact form. */
static bool delegate(canon *c, const json_t *j)
{
    flush(c);
    if (!c->failed && json_dump_callback(j, c->sink, c->arg, CANON_FLAGS) != 0)
        c->failed = true;
    return !c->failed;
}

static bool walk(canon *c, const json_t *j, unsigned depth);

static bool walk_array(canon *c, const json_t *j, unsigned depth)
{
    size_t n = json_array_size(j);
    put_byte(c, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            put_byte(c, ',');
        if (!walk(c, json_array_get(j, i), depth + 1))
            return false;
    }
    put_byte(c, ']');
    return true;
}

/* jansson's key order: memcmp over the common length, then the shorter. */
static int key_cmp(const member *a, const member *b)
{
    int r = memcmp(a->key, b->key, a->len < b->len ? a->len : b->len);
    return r ? r : (a->len > b->len) - (a->len < b->len);
}

static bool walk_object(canon *c, const json_t *j, unsigned depth)
{
    member m[TSR_JSON_CANON_KEYS_MAX];
    size_t n = 0;
    for (void *it = json_object_iter((json_t *)j); it && n < TSR_JSON_CANON_KEYS_MAX;
         it = json_object_iter_next((json_t *)j, it)) {
        member x = {json_object_iter_key(it), json_object_iter_key_len(it),
                    json_object_iter_value(it)};
        size_t k = n++;
        for (; k > 0 && key_cmp(&m[k - 1], &x) > 0; k--) /* insertion sort: few keys */
            m[k] = m[k - 1];
        m[k] = x;
    }
    put_byte(c, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            put_byte(c, ',');
        /* jansson ignores a key's dump failing (keys are checked UTF-8
         * when set; only the unchecked setters can make one that is not):
         * the text then goes on after the part it wrote, and so does this */
        (void)put_string(c, m[i].key, m[i].len);
        put_byte(c, ':');
        if (!walk(c, m[i].value, depth + 1))
            return false;
    }
    put_byte(c, '}');
    return true;
}

static bool walk(canon *c, const json_t *j, unsigned depth)
{
    if (c->failed || !j)
        return false;
    switch (json_typeof(j)) {
    case JSON_NULL:
        PUT_LIT(c, "null");
        return true;
    case JSON_TRUE:
        PUT_LIT(c, "true");
        return true;
    case JSON_FALSE:
        PUT_LIT(c, "false");
        return true;
    case JSON_INTEGER: {
        if (OUT_CHUNK - c->used < TSR_FMT_I64_MAX)
            flush(c);
        c->used += tsr_fmt_i64(c->buf + c->used, (int64_t)json_integer_value(j));
        return true;
    }
    case JSON_STRING:
        return put_string(c, json_string_value(j), json_string_length(j));
    case JSON_ARRAY:
        return depth >= TSR_JSON_CANON_DEPTH_MAX ? delegate(c, j) : walk_array(c, j, depth);
    case JSON_OBJECT:
        return depth >= TSR_JSON_CANON_DEPTH_MAX || json_object_size(j) > TSR_JSON_CANON_KEYS_MAX
                   ? delegate(c, j)
                   : walk_object(c, j, depth);
    default: /* JSON_REAL: "%.17g" and jansson's own touches */
        return delegate(c, j);
    }
}

tsr_status tsr_json_canon(const json_t *j, json_dump_callback_t sink, void *arg)
{
    canon c; /* not zero-filled: buf is written before it is read */
    c.sink = sink;
    c.arg = arg;
    c.failed = false;
    c.used = 0;
    bool ok = walk(&c, j, 0);
    flush(&c);
    return ok && !c.failed ? TSR_OK : TSR_ERR_ENCODING;
}

/*
 * CIDR tables: block lists (data centres, VPN exits, proxies) and the
 * IP -> country table. Lookup is longest-prefix match: for each prefix
 * length present, longest first, mask the address and binary-search the
 * entries of that length. Real exports use a few dozen distinct lengths, so
 * a lookup is a few dozen binary searches at most.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo_int.h"

/* A line of a CIDR file: an IPv6 prefix, a label and a comment fit. */
#define LINE_MAX_LEN 256
/* Labels: a country code or a short note ("aws", "tor-exit"). */
#define LABEL_MAX 16

typedef struct entry {
    geo_ip net;
    uint8_t len; /* 0..128, IPv4 as 96 + its length */
    char label[LABEL_MAX];
} entry;

struct geo_iptable {
    entry *v;
    size_t n, cap;
    uint8_t has_len[129];
};

tsr_status geo_ip_parse(const char *s, geo_ip *out)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (!s)
        return TSR_ERR_GEO_IP_INVALID;
    if (inet_pton(AF_INET, s, &a4) == 1) {
        memset(out->b, 0, 10);
        out->b[10] = out->b[11] = 0xff;
        memcpy(out->b + 12, &a4, 4);
        return TSR_OK;
    }
    if (inet_pton(AF_INET6, s, &a6) == 1) {
        memcpy(out->b, &a6, 16);
        return TSR_OK;
    }
    return TSR_ERR_GEO_IP_INVALID;
}

static void mask(geo_ip *ip, int len)
{
    for (int i = 0; i < 16; i++) {
        int keep = len - 8 * i;
        if (keep >= 8)
            continue;
        ip->b[i] &= keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
    }
}

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return memcmp(x->net.b, y->net.b, 16);
}

/* "198.51.100.0/24" or "2001:db8::/32" -> net, len (IPv4 lengths + 96). */
static int parse_prefix(char *text, geo_ip *net, uint8_t *len)
{
    char *slash = strchr(text, '/');
    if (!slash || !slash[1])
        return 0;
    *slash = '\0';
    char *end;
    errno = 0;
    long l = strtol(slash + 1, &end, 10);
    if (*end || errno || !isdigit((unsigned char)slash[1]))
        return 0;
    int v4 = strchr(text, ':') == NULL;
    if (l < 0 || l > (v4 ? 32 : 128) || geo_ip_parse(text, net) != TSR_OK)
        return 0;
    *len = (uint8_t)(v4 ? l + 96 : l);
    geo_ip masked = *net;
    mask(&masked, *len);
    return memcmp(masked.b, net->b, 16) == 0; /* host bits must be zero */
}

static int label_ok(const char *label, int country)
{
    size_t n = strlen(label);
    if (country)
        return n == 2 && isupper((unsigned char)label[0]) && isupper((unsigned char)label[1]);
    if (n >= LABEL_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isgraph((unsigned char)label[i]))
            return 0;
    return 1;
}

static tsr_status push(geo_iptable *t, const entry *e)
{
    if (t->n == t->cap) {
        if (t->cap >= TSR_GEO_CIDR_MAX_ENTRIES)
            return TSR_ERR_GEO_CIDR;
        size_t cap = t->cap ? 2 * t->cap : 256;
        entry *v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return TSR_ERR_NOMEM;
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n++] = *e;
    t->has_len[e->len] = 1;
    return TSR_OK;
}

/* One line: "prefix [label] [# comment]". Blank and comment lines: *skip. */
static tsr_status parse_line(char *line, int label_required, entry *e, int *skip)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    char *save = NULL;
    char *prefix = strtok_r(line, " \t\r\n", &save);
    *skip = prefix == NULL;
    if (*skip)
        return TSR_OK;
    char *label = strtok_r(NULL, " \t\r\n", &save);
    if (strtok_r(NULL, " \t\r\n", &save) || !parse_prefix(prefix, &e->net, &e->len))
        return TSR_ERR_GEO_CIDR;
    if (label_required && !label)
        return TSR_ERR_GEO_CIDR;
    if (label && !label_ok(label, label_required))
        return TSR_ERR_GEO_CIDR;
    snprintf(e->label, sizeof e->label, "%s", label ? label : "");
    return TSR_OK;
}

static tsr_status load_lines(geo_iptable *t, FILE *f, const char *path, int label_required,
                             char *err, size_t errlen)
{
    char line[LINE_MAX_LEN + 2];
    for (long no = 1; fgets(line, sizeof line, f); no++) {
        int skip;
        entry e;
        tsr_status st = strchr(line, '\n') || feof(f) ? parse_line(line, label_required, &e, &skip)
                                                      : TSR_ERR_GEO_CIDR;
        if (st == TSR_OK && !skip)
            st = push(t, &e);
        if (st != TSR_OK) {
            snprintf(err, errlen, "%s:%ld: %s", path, no,
                     st == TSR_ERR_NOMEM ? "out of memory"
                     : label_required    ? "expected \"<prefix>/<len> <CC>\""
                                         : "expected \"<prefix>/<len> [label]\"");
            return st;
        }
    }
    return ferror(f) ? TSR_ERR_GEO_CIDR : TSR_OK;
}

tsr_status geo_iptable_load(geo_iptable **out, const char *path, int label_required, char *err,
                            size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return TSR_ERR_GEO_CIDR;
    }
    geo_iptable *t = calloc(1, sizeof *t);
    tsr_status st = t ? load_lines(t, f, path, label_required, err, errlen) : TSR_ERR_NOMEM;
    fclose(f);
    if (st != TSR_OK) {
        geo_iptable_free(t);
        return st;
    }
    if (t->n)
        qsort(t->v, t->n, sizeof *t->v, cmp_entry);
    *out = t;
    return TSR_OK;
}

void geo_iptable_free(geo_iptable *t)
{
    if (!t)
        return;
    free(t->v);
    free(t);
}

size_t geo_iptable_size(const geo_iptable *t) { return t ? t->n : 0; }

const char *geo_iptable_lookup(const geo_iptable *t, const geo_ip *ip)
{
    if (!t)
        return NULL;
    for (int len = 128; len >= 0; len--) {
        if (!t->has_len[len])
            continue;
        entry key = {.net = *ip, .len = (uint8_t)len};
        mask(&key.net, len);
        const entry *hit = bsearch(&key, t->v, t->n, sizeof *t->v, cmp_entry);
        if (hit)
            return hit->label;
    }
    return NULL;
}

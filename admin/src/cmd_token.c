/*
 * `tessera token`: issue and check cutoff tokens from the shell.
 *
 *   tessera token sign --key SECRET_KEY --game G --draw N
 *                      --sales-open-ns T --cutoff-ns T --results-ns T
 *                      --seed-commitment HEX [--witness HEX]... [--issued-ns T]
 *                      [--out FILE]
 *   tessera token verify --token FILE (--pubkey FILE | --manifest FILE) [--now-ns T]
 *
 * sign writes the token's JSON form (stdout by default; --out creates a new
 * file). --issued-ns defaults to now. verify checks the token against the
 * pinned key (a public key file, or the draw-authority key of a keygen
 * manifest) at --now-ns (default now) and prints "token ok ..." or fails with
 * the reason, e.g. when the token was signed by another key.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "tessera/admin.h"
#include "tessera/clock.h"
#include "tessera/keys.h"
#include "tessera/token.h"

int tsr_cmd_token(int argc, char **argv);

#define CMD "token"

static void usage(FILE *to)
{
    fprintf(to,
            "usage: tessera token sign --key SECRET_KEY --game G --draw N --sales-open-ns T\n"
            "                          --cutoff-ns T --results-ns T --seed-commitment HEX\n"
            "                          [--witness HEX]... [--issued-ns T] [--out FILE]\n"
            "       tessera token verify --token FILE (--pubkey FILE | --manifest FILE)\n"
            "                          [--now-ns T]\n"
            "Times are Unix nanoseconds (UTC). A token expires at results time.\n");
}

static int parse_i64(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return 0;
    *out = v;
    return 1;
}

static int64_t now_ns(void)
{
    tsr_clock *c;
    int64_t t = 0;
    if (tsr_clock_real_create(&c) == TSR_OK)
        t = tsr_clock_now_ns(c);
    tsr_clock_destroy(c);
    return t;
}

typedef struct sign_opts {
    const char *key, *out;
    tsr_cutoff_token t;
    int have; /* bit per required option */
} sign_opts;

enum { O_KEY = 1, O_GAME = 2, O_DRAW = 4, O_OPEN = 8, O_CUT = 16, O_RES = 32, O_SEED = 64 };
#define O_ALL 127

/* Applies one sign option; 0 on a bad value. */
static int sign_opt(sign_opts *o, int c, const char *arg)
{
    int64_t v;
    tsr_cutoff_token *t = &o->t;
    switch (c) {
    case 'k': o->key = arg; o->have |= O_KEY; return 1;
    case 'o': o->out = arg; return 1;
    case 'g': o->have |= O_GAME; return snprintf(t->game, sizeof t->game, "%s", arg) < (int)sizeof t->game;
    case 'd':
        o->have |= O_DRAW;
        if (!parse_i64(arg, &v) || v < 0 || v > UINT32_MAX)
            return 0;
        t->draw = (uint32_t)v;
        return 1;
    case 's': o->have |= O_OPEN; return parse_i64(arg, &t->sales_open_at_ns);
    case 'c': o->have |= O_CUT; return parse_i64(arg, &t->cutoff_at_ns);
    case 'r': o->have |= O_RES; return parse_i64(arg, &t->results_at_ns);
    case 'i': return parse_i64(arg, &t->issued_at_ns);
    case 'S': o->have |= O_SEED;
        return tsr_hex_decode(t->seed_commitment, TSR_HASH_LEN, arg) == TSR_OK;
    case 'w':
        return t->witness_count < TSR_WITNESS_MAX &&
               tsr_hex_decode(t->witness_commitments[t->witness_count++], TSR_HASH_LEN, arg) ==
                   TSR_OK;
    }
    return 0;
}

/* Writes JSON text to a new file (or stdout). */
static tsr_status emit(json_t *j, const char *path)
{
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!text)
        return TSR_ERR_NOMEM;
    tsr_status st = TSR_OK;
    if (!path) {
        puts(text);
    } else {
        FILE *f = fopen(path, "wx");
        if (!f || fprintf(f, "%s\n", text) < 0)
            st = f ? TSR_ERR_IO : (errno == EEXIST ? TSR_ERR_EXISTS : TSR_ERR_IO);
        if (f && fclose(f) != 0)
            st = TSR_ERR_IO;
    }
    free(text);
    return st;
}

static int cmd_sign(int argc, char **argv)
{
    static const struct option longs[] = {
        {"key", 1, NULL, 'k'},       {"game", 1, NULL, 'g'},       {"draw", 1, NULL, 'd'},
        {"sales-open-ns", 1, NULL, 's'}, {"cutoff-ns", 1, NULL, 'c'}, {"results-ns", 1, NULL, 'r'},
        {"issued-ns", 1, NULL, 'i'}, {"seed-commitment", 1, NULL, 'S'}, {"witness", 1, NULL, 'w'},
        {"out", 1, NULL, 'o'},       {NULL, 0, NULL, 0}};
    sign_opts o = {0};
    o.t.issued_at_ns = now_ns();
    int c;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1)
        if (!sign_opt(&o, c, optarg))
            return usage(stderr), EX_USAGE;
    if (o.have != O_ALL || optind != argc)
        return fprintf(stderr, "tessera token: sign needs every option shown\n"), usage(stderr),
               EX_USAGE;
    tsr_keypair kp;
    tsr_status st = tsr_key_read_secret(o.key, &kp);
    if (st != TSR_OK)
        return tsr_admin_fail(CMD, st, o.key);
    st = tsr_cutoff_token_sign(&o.t, &kp);
    tsr_wipe(&kp, sizeof kp);
    if (st != TSR_OK)
        return tsr_admin_fail(CMD, st, "need sales-open < cutoff < results and issued <= cutoff");
    json_t *j = tsr_cutoff_token_to_json(&o.t);
    st = j ? emit(j, o.out) : TSR_ERR_NOMEM;
    json_decref(j);
    return st == TSR_OK ? 0 : tsr_admin_fail(CMD, st, o.out ? o.out : "stdout");
}

/* Reads a token's JSON form from a file. */
static tsr_status load_token(const char *path, tsr_cutoff_token *t)
{
    json_error_t err;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!j)
        return TSR_ERR_JSON;
    tsr_status st = tsr_cutoff_token_from_json(j, t);
    json_decref(j);
    return st;
}

/* A sentence saying which key signed and which keys are pinned. */
static void describe_keys(const tsr_cutoff_token *t, const tsr_keyring *kr, const char *pinned_from,
                          char *out, size_t len)
{
    snprintf(out, len, "token %s/%u is signed by key id %s; pinned: %zu key(s) from %s", t->game,
             t->draw, t->key_id, tsr_keyring_count(kr), pinned_from);
}

static int cmd_verify(int argc, char **argv)
{
    static const struct option longs[] = {{"token", 1, NULL, 't'}, {"pubkey", 1, NULL, 'p'},
                                          {"manifest", 1, NULL, 'm'}, {"now-ns", 1, NULL, 'n'},
                                          {NULL, 0, NULL, 0}};
    const char *token = NULL, *pub = NULL, *manifest = NULL;
    int64_t now = now_ns();
    int c;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        int ok = c == 't' ? (token = optarg, 1) : c == 'p' ? (pub = optarg, 1)
               : c == 'm' ? (manifest = optarg, 1) : c == 'n' ? parse_i64(optarg, &now) : 0;
        if (!ok)
            return usage(stderr), EX_USAGE;
    }
    if (!token || !pub == !manifest || optind != argc)
        return fprintf(stderr, "tessera token: verify needs --token and one of --pubkey, "
                               "--manifest\n"), usage(stderr), EX_USAGE;
    tsr_cutoff_token t;
    tsr_status st = load_token(token, &t);
    if (st != TSR_OK)
        return tsr_admin_fail(CMD, st, token);
    tsr_keyring *kr;
    if ((st = tsr_keyring_create(&kr)) != TSR_OK)
        return tsr_admin_fail(CMD, st, NULL);
    st = pub ? tsr_keyring_add_file(kr, pub, NULL)
             : tsr_keyring_load_manifest(kr, manifest, "draw-authority");
    if (st != TSR_OK) {
        tsr_keyring_destroy(kr);
        return tsr_admin_fail(CMD, st, pub ? pub : manifest);
    }
    char detail[512];
    st = tsr_cutoff_token_verify(&t, kr, now);
    if (st == TSR_ERR_TOKEN_EXPIRED)
        snprintf(detail, sizeof detail, "results_at_ns %lld, now %lld",
                 (long long)t.results_at_ns, (long long)now);
    else
        describe_keys(&t, kr, pub ? pub : manifest, detail, sizeof detail);
    tsr_keyring_destroy(kr);
    if (st != TSR_OK)
        return tsr_admin_fail(CMD, st, detail);
    printf("token ok: game %s draw %u, cutoff_at_ns %lld, results_at_ns %lld, key id %s\n", t.game,
           t.draw, (long long)t.cutoff_at_ns, (long long)t.results_at_ns, t.key_id);
    return 0;
}

int tsr_cmd_token(int argc, char **argv)
{
    optind = 1;
    opterr = 0;
    if (argc >= 2 && strcmp(argv[1], "--help") == 0)
        return usage(stdout), 0;
    if (argc >= 2 && strcmp(argv[1], "sign") == 0)
        return cmd_sign(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "verify") == 0)
        return cmd_verify(argc - 1, argv + 1);
    usage(stderr);
    return EX_USAGE;
}

/*
 * tessera-witness: an independent draw witness (sync/include/tessera/witness.h).
 * It holds its own Ed25519 key and one seed per draw in a state directory,
 * commits when asked and reveals only after it has seen the draw's manifest
 * signed by the pinned draw-authority key, past the cutoff.
 *
 *   tessera-witness init   --dir DIR --authority-key PUB.json
 *   tessera-witness commit --dir DIR --game GAME --draw N
 *   tessera-witness reveal --dir DIR --manifest MANIFEST.json
 *   tessera-witness pubkey --dir DIR
 *
 * commit and reveal print one JSON object on stdout (the signed commitment;
 * the record entry). Every refusal is a clear sentence on stderr and a
 * sysexits(3) code.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "tessera/witness.h"

/* A manifest file holds at most TSR_DRAW_SEALS_MAX seals, ~700 B each. */
#define MANIFEST_FILE_MAX TSR_DRAW_RECORD_FILE_MAX

typedef struct opts {
    const char *cmd, *dir, *key, *game, *manifest;
    uint32_t draw;
    bool have_draw;
} opts;

static void usage(FILE *to)
{
    fprintf(to, "usage: tessera-witness init   --dir DIR --authority-key PUB.json\n"
                "       tessera-witness commit --dir DIR --game GAME --draw N\n"
                "       tessera-witness reveal --dir DIR --manifest MANIFEST.json\n"
                "       tessera-witness pubkey --dir DIR\n");
}

static int fail(tsr_status st, const char *detail)
{
    if (detail && *detail)
        fprintf(stderr, "tessera-witness: %s: %s\n", tsr_status_str(st), detail);
    else
        fprintf(stderr, "tessera-witness: %s\n", tsr_status_str(st));
    return tsr_status_exit_code(st);
}

static bool parse_draw(const char *v, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (errno || *end || !*v || v[0] == '-' || n > UINT32_MAX)
        return false;
    *out = (uint32_t)n;
    return true;
}

static bool parse(int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    if (argc < 2)
        return false;
    o->cmd = argv[1];
    for (int i = 2; i + 1 < argc + 1; i += 2) {
        if (i + 1 >= argc)
            return false;
        const char *a = argv[i], *v = argv[i + 1];
        if (strcmp(a, "--dir") == 0)
            o->dir = v;
        else if (strcmp(a, "--authority-key") == 0)
            o->key = v;
        else if (strcmp(a, "--game") == 0)
            o->game = v;
        else if (strcmp(a, "--manifest") == 0)
            o->manifest = v;
        else if (strcmp(a, "--draw") == 0 && parse_draw(v, &o->draw))
            o->have_draw = true;
        else
            return false;
    }
    return o->dir != NULL;
}

static int print_json(json_t *j)
{
    if (!j)
        return fail(TSR_ERR_NOMEM, NULL);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!s)
        return fail(TSR_ERR_NOMEM, NULL);
    puts(s);
    free(s);
    return 0;
}

static int cmd_init(const opts *o)
{
    if (!o->key)
        return fail(TSR_ERR_USAGE, "init needs --authority-key");
    uint8_t pk[TSR_PK_LEN];
    tsr_status st = tsr_key_read_public(o->key, pk);
    if (st != TSR_OK)
        return fail(st, o->key);
    tsr_rng *rng;
    st = tsr_rng_real_create(&rng);
    if (st == TSR_OK)
        st = tsr_witness_init(o->dir, pk, rng, false);
    tsr_rng_destroy(rng);
    if (st != TSR_OK)
        return fail(st, o->dir);
    printf("witness state created in %s\n", o->dir);
    return 0;
}

/* A manifest from its file. Its absence means the draw authority has not
 * published one: too early to reveal. */
static tsr_status load_manifest(const char *path, tsr_draw_manifest **out, char *why,
                                size_t why_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, why_len, "no signed manifest at %s (%s): a witness reveals only after "
                 "the draw's manifest is published", path, strerror(errno));
        return TSR_ERR_WITNESS_TOO_EARLY;
    }
    json_error_t err;
    json_t *j = json_loadf(f, JSON_REJECT_DUPLICATES, &err);
    fclose(f);
    if (!j) {
        snprintf(why, why_len, "%s:%d: %s", path, err.line, err.text);
        return TSR_ERR_JSON;
    }
    tsr_status st = tsr_draw_manifest_from_json(j, out);
    json_decref(j);
    if (st != TSR_OK)
        snprintf(why, why_len, "%s is not a draw manifest (%s)", path, tsr_status_name(st));
    return st;
}

static int cmd_with_witness(const opts *o, tsr_witness *w)
{
    if (strcmp(o->cmd, "pubkey") == 0) {
        uint8_t pk[TSR_PK_LEN];
        char hex[2 * TSR_PK_LEN + 1], kid[TSR_KEY_ID_SIZE];
        tsr_witness_public_key(w, pk);
        tsr_key_id(pk, kid);
        printf("{\"key_id\":\"%s\",\"pk\":\"%s\"}\n", kid, tsr_hex_encode(hex, sizeof hex, pk, TSR_PK_LEN));
        return 0;
    }
    if (strcmp(o->cmd, "commit") == 0) {
        if (!o->game || !o->have_draw)
            return fail(TSR_ERR_USAGE, "commit needs --game and --draw");
        tsr_witness_commitment c;
        tsr_status st = tsr_witness_commit(w, o->game, o->draw, &c);
        return st == TSR_OK ? print_json(tsr_witness_commitment_to_json(&c)) : fail(st, o->game);
    }
    if (!o->manifest)
        return fail(TSR_ERR_WITNESS_TOO_EARLY, "reveal needs --manifest: the draw's signed manifest");
    char why[TSR_DRAW_WHY_MAX] = "";
    tsr_draw_manifest *m;
    tsr_status st = load_manifest(o->manifest, &m, why, sizeof why);
    if (st != TSR_OK)
        return fail(st, why);
    tsr_draw_witness dw;
    st = tsr_witness_reveal(w, m, &dw, why, sizeof why);
    json_t *j = NULL;
    if (st == TSR_OK) {
        char root[TSR_HASH_HEX_SIZE];
        j = json_pack("{s:s,s:s,s:i,s:s,s:o}", "type", "tessera-witness-reveal", "game",
                      m->token.game, "draw", (json_int_t)m->token.draw, "manifest_root",
                      tsr_hex_encode(root, sizeof root, m->root, TSR_HASH_LEN), "witness",
                      tsr_draw_witness_to_json(&dw));
    }
    tsr_draw_manifest_destroy(m);
    return st == TSR_OK ? print_json(j) : fail(st, why);
}

int main(int argc, char **argv)
{
    opts o;
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    bool known = argc >= 2 && (strcmp(argv[1], "init") == 0 || strcmp(argv[1], "commit") == 0 ||
                               strcmp(argv[1], "reveal") == 0 || strcmp(argv[1], "pubkey") == 0);
    if (!known || !parse(argc, argv, &o)) {
        usage(stderr);
        return EX_USAGE;
    }
    if (strcmp(o.cmd, "init") == 0)
        return cmd_init(&o);
    tsr_rng *rng = NULL;
    tsr_clock *clock = NULL;
    tsr_witness *w = NULL;
    tsr_status st = tsr_rng_real_create(&rng);
    if (st == TSR_OK)
        st = tsr_clock_real_create(&clock);
    if (st == TSR_OK)
        st = tsr_witness_open(&w, o.dir, rng, clock, false);
    int rc = st == TSR_OK ? cmd_with_witness(&o, w) : fail(st, o.dir);
    tsr_witness_close(w);
    tsr_clock_destroy(clock);
    tsr_rng_destroy(rng);
    return rc;
}

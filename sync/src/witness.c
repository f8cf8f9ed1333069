/* The draw witness: its key, its per-draw seeds and the reveal rule. */
#include "tessera/witness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "draw_int.h"

/* A seed or reveal file is one small JSON object. */
#define STATE_FILE_MAX 1024

struct tsr_witness {
    char dir[TSR_WITNESS_PATH_MAX];
    tsr_keypair kp;
    uint8_t authority_pk[TSR_PK_LEN];
    tsr_rng *rng;
    tsr_clock *clock;
};

static tsr_status path_of(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, TSR_WITNESS_PATH_MAX, "%s/%s", dir, name);
    return n > 0 && n < TSR_WITNESS_PATH_MAX ? TSR_OK : TSR_ERR_TOO_LONG;
}

static tsr_status draw_path(char *out, const char *dir, const char *kind, const char *game,
                            uint32_t draw)
{
    char name[96];
    snprintf(name, sizeof name, "%s-%s-%u.json", kind, game, draw);
    return path_of(out, dir, name);
}

tsr_status tsr_witness_init(const char *dir, const uint8_t authority_pk[TSR_PK_LEN],
                            tsr_rng *rng, bool allow_seeded)
{
    if (!allow_seeded && tsr_rng_require_real(rng) != TSR_OK)
        return TSR_ERR_RNG_SEEDED;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return TSR_ERR_IO;
    char key[TSR_WITNESS_PATH_MAX], pub[TSR_WITNESS_PATH_MAX];
    tsr_status st = path_of(key, dir, "witness.key");
    if (st == TSR_OK)
        st = path_of(pub, dir, "authority.pub");
    if (st != TSR_OK)
        return st;
    tsr_keypair kp;
    tsr_keypair_generate(&kp, rng);
    st = tsr_key_write_secret(key, &kp);
    tsr_wipe(&kp, sizeof kp);
    if (st == TSR_OK)
        st = tsr_key_write_public(pub, authority_pk);
    return st;
}

tsr_status tsr_witness_open(tsr_witness **out, const char *dir, tsr_rng *rng,
                            tsr_clock *clock, bool allow_seeded)
{
    *out = NULL;
    if (!allow_seeded && tsr_rng_require_real(rng) != TSR_OK)
        return TSR_ERR_RNG_SEEDED;
    tsr_witness *w = calloc(1, sizeof *w);
    if (!w)
        return TSR_ERR_NOMEM;
    char key[TSR_WITNESS_PATH_MAX], pub[TSR_WITNESS_PATH_MAX];
    /* Room for the longest state file name after the directory. */
    tsr_status st = strlen(dir) + 128 < sizeof w->dir ? TSR_OK : TSR_ERR_TOO_LONG;
    snprintf(w->dir, sizeof w->dir, "%s", dir);
    if (st == TSR_OK)
        st = path_of(key, dir, "witness.key");
    if (st == TSR_OK)
        st = path_of(pub, dir, "authority.pub");
    if (st == TSR_OK)
        st = tsr_key_read_secret(key, &w->kp);
    if (st == TSR_OK)
        st = tsr_key_read_public(pub, w->authority_pk);
    if (st != TSR_OK) {
        tsr_witness_close(w);
        return st;
    }
    w->rng = rng;
    w->clock = clock;
    *out = w;
    return TSR_OK;
}

void tsr_witness_close(tsr_witness *w)
{
    if (!w)
        return;
    tsr_wipe(w, sizeof *w);
    free(w);
}

void tsr_witness_public_key(const tsr_witness *w, uint8_t pk[TSR_PK_LEN])
{
    memcpy(pk, w->kp.pk, TSR_PK_LEN);
}

/* Reads the stored seed of (game, draw). TSR_ERR_NOT_FOUND when none. */
static tsr_status load_seed(const tsr_witness *w, const char *game, uint32_t draw,
                            uint8_t seed[TSR_DRAW_SEED_LEN])
{
    char path[TSR_WITNESS_PATH_MAX];
    tsr_status st = draw_path(path, w->dir, "seed", game, draw);
    if (st != TSR_OK)
        return st;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return errno == ENOENT ? TSR_ERR_NOT_FOUND : TSR_ERR_IO;
    char buf[STATE_FILE_MAX + 1];
    size_t len;
    st = tsr_secret_file_read(path, buf, STATE_FILE_MAX, &len);
    if (st != TSR_OK)
        return st;
    buf[len] = '\0';
    json_t *j = json_loads(buf, JSON_REJECT_DUPLICATES, NULL);
    const char *g;
    uint32_t d;
    st = j ? tsr_dj_str(j, "game", &g) : TSR_ERR_KEY_FILE;
    if (st == TSR_OK)
        st = tsr_dj_u32(j, "draw", &d);
    if (st == TSR_OK)
        st = tsr_dj_hex(j, "seed", seed, TSR_DRAW_SEED_LEN);
    if (st == TSR_OK && (strcmp(g, game) != 0 || d != draw))
        st = TSR_ERR_KEY_FILE;
    json_decref(j);
    tsr_wipe(buf, sizeof buf);
    return st == TSR_OK ? TSR_OK : TSR_ERR_KEY_FILE;
}

static tsr_status store_seed(const tsr_witness *w, const char *game, uint32_t draw,
                             const uint8_t seed[TSR_DRAW_SEED_LEN])
{
    char path[TSR_WITNESS_PATH_MAX], hex[2 * TSR_DRAW_SEED_LEN + 1], buf[STATE_FILE_MAX];
    tsr_status st = draw_path(path, w->dir, "seed", game, draw);
    if (st != TSR_OK)
        return st;
    int n = snprintf(buf, sizeof buf, "{\"game\":\"%s\",\"draw\":%u,\"seed\":\"%s\"}\n", game,
                     draw, tsr_hex_encode(hex, sizeof hex, seed, TSR_DRAW_SEED_LEN));
    st = tsr_secret_file_write(path, buf, (size_t)n);
    tsr_wipe(buf, sizeof buf);
    tsr_wipe(hex, sizeof hex);
    return st;
}

static tsr_status sign_commitment(const tsr_witness *w, const char *game, uint32_t draw,
                                  const uint8_t seed[TSR_DRAW_SEED_LEN],
                                  tsr_witness_commitment *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->game, sizeof out->game, "%s", game);
    out->draw = draw;
    memcpy(out->pk, w->kp.pk, TSR_PK_LEN);
    tsr_seed_commit(seed, TSR_DRAW_SEED_LEN, out->commitment);
    uint8_t msg[TSR_DRAW_MSG_MAX];
    size_t len;
    tsr_status st = tsr_witness_commit_bytes(game, draw, out->commitment, msg, sizeof msg, &len);
    if (st == TSR_OK)
        tsr_sign(&w->kp, msg, len, out->sig);
    return st;
}

tsr_status tsr_witness_commit(tsr_witness *w, const char *game, uint32_t draw,
                              tsr_witness_commitment *out)
{
    if (!tsr_name_valid(game))
        return TSR_ERR_RANGE;
    uint8_t seed[TSR_DRAW_SEED_LEN];
    tsr_status st = load_seed(w, game, draw, seed);
    if (st == TSR_ERR_NOT_FOUND) {
        /* open() already refused a seeded RNG unless a test allowed it. */
        tsr_rng_bytes(w->rng, seed, sizeof seed);
        st = TSR_OK;
        if (st == TSR_OK)
            st = store_seed(w, game, draw, seed);
        if (st == TSR_ERR_EXISTS) /* a concurrent commit won: keep its seed */
            st = load_seed(w, game, draw, seed);
    }
    if (st == TSR_OK)
        st = sign_commitment(w, game, draw, seed, out);
    tsr_wipe(seed, sizeof seed);
    return st;
}

/* The root this witness already revealed for (game, draw), if any:
 * TSR_ERR_NOT_FOUND when it has not revealed. */
static tsr_status load_reveal(const tsr_witness *w, const char *game, uint32_t draw,
                              uint8_t root[TSR_HASH_LEN])
{
    char path[TSR_WITNESS_PATH_MAX];
    tsr_status st = draw_path(path, w->dir, "reveal", game, draw);
    if (st != TSR_OK)
        return st;
    char *text;
    st = tsr_draw_read_file(path, STATE_FILE_MAX, &text, NULL);
    if (st != TSR_OK)
        return st;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    free(text);
    st = j ? tsr_dj_hex(j, "root", root, TSR_HASH_LEN) : TSR_ERR_KEY_FILE;
    json_decref(j);
    return st == TSR_OK ? TSR_OK : TSR_ERR_KEY_FILE;
}

/* Remembers the reveal before handing it out, so a crash after the seed
 * left the process still finds the root it was bound to. */
static tsr_status store_reveal(const tsr_witness *w, const char *game, uint32_t draw,
                               const uint8_t root[TSR_HASH_LEN])
{
    char path[TSR_WITNESS_PATH_MAX], hex[TSR_HASH_HEX_SIZE], buf[STATE_FILE_MAX];
    tsr_status st = draw_path(path, w->dir, "reveal", game, draw);
    if (st != TSR_OK)
        return st;
    int n = snprintf(buf, sizeof buf, "{\"game\":\"%s\",\"draw\":%u,\"root\":\"%s\"}\n", game,
                     draw, tsr_hex_encode(hex, sizeof hex, root, TSR_HASH_LEN));
    return tsr_secret_file_write(path, buf, (size_t)n);
}

/* The rules before a reveal, past the manifest's own verification. */
static tsr_status may_reveal(const tsr_witness *w, const tsr_draw_manifest *m,
                             const uint8_t commitment[TSR_HASH_LEN], char *why,
                             size_t why_len)
{
    const tsr_cutoff_token *t = &m->token;
    bool listed = false;
    for (uint32_t i = 0; i < t->witness_count && i < TSR_WITNESS_MAX; i++)
        listed = listed || memcmp(t->witness_commitments[i], commitment, TSR_HASH_LEN) == 0;
    if (!listed) {
        tsr_draw_why(why, why_len, "%s draw %u: the cutoff token does not list our commitment",
                     t->game, t->draw);
        return TSR_ERR_WITNESS_NOT_LISTED;
    }
    int64_t now = tsr_clock_now_ns(w->clock);
    if (now < t->cutoff_at_ns) {
        tsr_draw_why(why, why_len, "%s draw %u: cutoff is in %lld s", t->game, t->draw,
                     (long long)((t->cutoff_at_ns - now) / TSR_NS_PER_S));
        return TSR_ERR_WITNESS_TOO_EARLY;
    }
    uint8_t root[TSR_HASH_LEN];
    tsr_status st = load_reveal(w, t->game, t->draw, root);
    if (st == TSR_OK && memcmp(root, m->root, TSR_HASH_LEN) != 0) {
        char hex[TSR_HASH_HEX_SIZE];
        tsr_draw_why(why, why_len, "%s draw %u was revealed for manifest root %s", t->game,
                     t->draw, tsr_hex_encode(hex, sizeof hex, root, TSR_HASH_LEN));
        return TSR_ERR_WITNESS_REVEALED;
    }
    if (st == TSR_ERR_NOT_FOUND)
        st = store_reveal(w, t->game, t->draw, m->root);
    return st;
}

tsr_status tsr_witness_reveal(tsr_witness *w, const tsr_draw_manifest *m,
                              tsr_draw_witness *out, char *why, size_t why_len)
{
    memset(out, 0, sizeof *out);
    tsr_status st = tsr_draw_manifest_verify(m, w->authority_pk, why, why_len);
    if (st != TSR_OK)
        return st;
    const tsr_cutoff_token *t = &m->token;
    uint8_t seed[TSR_DRAW_SEED_LEN];
    st = load_seed(w, t->game, t->draw, seed);
    if (st == TSR_ERR_NOT_FOUND) {
        tsr_draw_why(why, why_len, "%s draw %u: no commitment was made here", t->game, t->draw);
        return TSR_ERR_WITNESS_NOT_COMMITTED;
    }
    tsr_witness_commitment c;
    if (st == TSR_OK)
        st = sign_commitment(w, t->game, t->draw, seed, &c);
    if (st == TSR_OK)
        st = may_reveal(w, m, c.commitment, why, why_len);
    uint8_t msg[TSR_DRAW_MSG_MAX];
    size_t len;
    if (st == TSR_OK)
        st = tsr_witness_reveal_bytes(t->game, t->draw, c.commitment, seed, m->root, msg,
                                      sizeof msg, &len);
    if (st == TSR_OK) {
        memcpy(out->pk, w->kp.pk, TSR_PK_LEN);
        memcpy(out->commitment, c.commitment, TSR_HASH_LEN);
        memcpy(out->commit_sig, c.sig, TSR_SIG_LEN);
        memcpy(out->seed, seed, TSR_DRAW_SEED_LEN);
        tsr_sign(&w->kp, msg, len, out->reveal_sig);
    }
    tsr_wipe(seed, sizeof seed);
    return st;
}

json_t *tsr_witness_commitment_to_json(const tsr_witness_commitment *c)
{
    char kid[TSR_KEY_ID_SIZE];
    tsr_key_id(c->pk, kid);
    json_t *o = json_object();
    bool ok = tsr_dj_set(o, "type", json_string("tessera-witness-commitment")) &&
              tsr_dj_set(o, "game", json_string(c->game)) &&
              tsr_dj_set(o, "draw", json_integer(c->draw)) &&
              tsr_dj_set(o, "key_id", json_string(kid)) &&
              tsr_dj_set(o, "pk", tsr_dj_hexval(c->pk, TSR_PK_LEN)) &&
              tsr_dj_set(o, "commitment", tsr_dj_hexval(c->commitment, TSR_HASH_LEN)) &&
              tsr_dj_set(o, "sig", tsr_dj_hexval(c->sig, TSR_SIG_LEN));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

tsr_status tsr_witness_commitment_from_json(const json_t *j, tsr_witness_commitment *out)
{
    static const char *const keys[] = {"type", "game", "draw", "key_id", "pk",
                                       "commitment", "sig", NULL};
    memset(out, 0, sizeof *out);
    const char *type, *game, *kid;
    tsr_status st = tsr_dj_keys(j, keys);
    if (st == TSR_OK)
        st = tsr_dj_str(j, "type", &type);
    if (st == TSR_OK && strcmp(type, "tessera-witness-commitment") != 0)
        st = TSR_ERR_FIELD_TYPE;
    if (st == TSR_OK)
        st = tsr_dj_str(j, "game", &game);
    if (st == TSR_OK && !tsr_name_valid(game))
        st = TSR_ERR_RANGE;
    if (st == TSR_OK)
        st = tsr_dj_u32(j, "draw", &out->draw);
    if (st == TSR_OK)
        st = tsr_dj_str(j, "key_id", &kid);
    if (st == TSR_OK)
        st = tsr_dj_hex(j, "pk", out->pk, TSR_PK_LEN);
    if (st == TSR_OK)
        st = tsr_dj_hex(j, "commitment", out->commitment, TSR_HASH_LEN);
    if (st == TSR_OK)
        st = tsr_dj_hex(j, "sig", out->sig, TSR_SIG_LEN);
    if (st != TSR_OK)
        return st;
    snprintf(out->game, sizeof out->game, "%s", game);
    char want[TSR_KEY_ID_SIZE];
    tsr_key_id(out->pk, want);
    uint8_t msg[TSR_DRAW_MSG_MAX];
    size_t len;
    if (strcmp(want, kid) != 0)
        return TSR_ERR_DRAW_MISMATCH;
    st = tsr_witness_commit_bytes(out->game, out->draw, out->commitment, msg, sizeof msg, &len);
    if (st == TSR_OK)
        st = tsr_verify(out->pk, msg, len, out->sig);
    return st;
}

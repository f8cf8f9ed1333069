/*
 * `tessera keygen`: makes the key set of a deployment.
 *
 *   tessera keygen --out DIR [--nodes N] [--terminals N] [--witnesses N] [--force]
 *
 * Layout written under DIR (secrets 0600, everything else 0644):
 *   keys/central.{key,pub}          central's Ed25519 key (node receipts)
 *   keys/draw-authority.{key,pub}   signs cutoff tokens, beacons, results
 *   keys/witness-<i>.{key,pub}      independent draw witnesses
 *   keys/node-<i>.{key,pub}         each edge node (batches, seals, receipts)
 *   terminals/term-<i>.psk          DTLS PSK of terminal i, identity "term-<i>"
 *   terminals/psk-table.json        every terminal's PSK, for the nodes
 *   tls/ca.{crt,key}                deployment CA, ECDSA P-256, self-signed
 *   tls/<name>.{crt,key}            TLS certificate and key of central and of
 *                                   each node, signed by the CA
 *   manifest.json                   every public key (name, role, key id,
 *                                   fingerprint, pk), certificate SHA-256
 *                                   fingerprints and terminal identities —
 *                                   never a secret
 * The set is generated in a staging directory inside DIR and moved into
 * place at the end, so a failure never leaves half a key set. An existing
 * set is replaced only with --force.
 */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "keygen_x509.h"
#include "tessera/admin.h"
#include "tessera/clock.h"
#include "tessera/keys.h"
#include "tessera/rng.h"
#include "tessera/token.h"

int tsr_cmd_keygen(int argc, char **argv);

#define CMD "keygen"
/* Bounds of the counts: nodes and witnesses share the keyring with central
 * and the draw authority; terminals are bounded by a node's PSK table. */
#define NODES_MAX 1000
#define WITNESS_MAX TSR_WITNESS_MAX
#define TERMINALS_MAX TSR_PSK_TABLE_MAX
#define PATH_SIZE 1024
/* --out leaves room for the staging name and the longest file under it. */
#define OUT_MAX 512

_Static_assert(NODES_MAX + WITNESS_MAX + 2 <= TSR_KEYRING_MAX, "every key fits one keyring");

static const char *const set_entries[] = {"keys", "terminals", "tls", "manifest.json"};
#define N_SET_ENTRIES (sizeof set_entries / sizeof set_entries[0])

typedef struct opts {
    const char *out;
    long nodes, terminals, witnesses;
    int force;
} opts;

typedef struct job {
    const opts *o;
    char stage[PATH_SIZE];
    tsr_rng *rng;
    int64_t now_ns;
    json_t *manifest, *keys, *terminals, *certs;
    char detail[PATH_SIZE + 128];
} job;

static void usage(FILE *to)
{
    fprintf(to,
            "usage: tessera keygen --out DIR [--nodes N] [--terminals N] [--witnesses N] [--force]\n"
            "Makes a deployment's key set in DIR: Ed25519 keys of central, the draw authority,\n"
            "N witnesses (default 2, at most %d) and N nodes (default 1, at most %d, named\n"
            "node-1..N); a 32-byte DTLS PSK per terminal (default 0, at most %d, identities\n"
            "term-1..N); a P-256 deployment CA with TLS certificates for central and each node;\n"
            "and manifest.json listing every public key. Secret files are mode 0600.\n"
            "An existing key set is replaced only with --force.\n",
            WITNESS_MAX, NODES_MAX, TERMINALS_MAX);
}

/* Parses a count in [lo, hi]; false otherwise. */
static int parse_count(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

/* Returns -1 when parsed, else the exit code to return now. */
static int parse_args(int argc, char **argv, opts *o)
{
    static const struct option longs[] = {
        {"out", required_argument, NULL, 'o'},     {"nodes", required_argument, NULL, 'n'},
        {"terminals", required_argument, NULL, 't'}, {"witnesses", required_argument, NULL, 'w'},
        {"force", no_argument, NULL, 'f'},         {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    *o = (opts){.nodes = 1, .terminals = 0, .witnesses = 2};
    int c, ok = 1;
    optind = 1;
    opterr = 0;
    while (ok && (c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 'o': o->out = optarg; break;
        case 'n': ok = parse_count(optarg, 1, NODES_MAX, &o->nodes); break;
        case 't': ok = parse_count(optarg, 0, TERMINALS_MAX, &o->terminals); break;
        case 'w': ok = parse_count(optarg, 0, WITNESS_MAX, &o->witnesses); break;
        case 'f': o->force = 1; break;
        case 'h': usage(stdout); return 0;
        default: ok = 0;
        }
    }
    if (ok && o->out && strlen(o->out) > OUT_MAX)
        ok = 0;
    if (ok && o->out && optind == argc)
        return -1;
    fprintf(stderr, "tessera keygen: %s\n",
            !ok ? "a bad option, count (see the bounds below) or an --out path over 512 bytes"
                : !o->out ? "--out DIR is required" : "unexpected arguments");
    usage(stderr);
    return EX_USAGE;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rmtree(const char *path)
{
    (void)nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* stage/<rel> into out (PATH_SIZE bytes). --out is at most OUT_MAX long,
 * so this never truncates; if it did, the empty path fails to open. */
static void staged(const job *j, char *out, const char *fmt, const char *name)
{
    char rel[PATH_SIZE];
    int n = snprintf(rel, sizeof rel, fmt, name);
    if (n >= 0 && (size_t)n < sizeof rel)
        n = snprintf(out, PATH_SIZE, "%s/%s", j->stage, rel);
    if (n < 0 || (size_t)n >= PATH_SIZE)
        out[0] = '\0';
}

/* Adds one Ed25519 key to the manifest. */
static tsr_status manifest_key(job *j, const char *name, const char *role, const uint8_t *pk)
{
    char id[TSR_KEY_ID_SIZE], fp[TSR_FINGERPRINT_SIZE], hex[2 * TSR_PK_LEN + 1];
    char pub[PATH_SIZE], sec[PATH_SIZE];
    tsr_key_id(pk, id);
    tsr_key_fingerprint(pk, fp);
    tsr_hex_encode(hex, sizeof hex, pk, TSR_PK_LEN);
    snprintf(pub, sizeof pub, "keys/%s.pub", name);
    snprintf(sec, sizeof sec, "keys/%s.key", name);
    json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name", name, "role", role,
                          "key_id", id, "fingerprint", fp, "pk", hex, "public_file", pub,
                          "secret_file", sec);
    return e && json_array_append_new(j->keys, e) == 0 ? TSR_OK : TSR_ERR_NOMEM;
}

/* Makes, writes and lists one Ed25519 key pair. */
static tsr_status make_key(job *j, const char *name, const char *role)
{
    tsr_keypair kp;
    char sec[PATH_SIZE], pub[PATH_SIZE];
    tsr_keypair_generate(&kp, j->rng);
    staged(j, sec, "keys/%s.key", name);
    staged(j, pub, "keys/%s.pub", name);
    tsr_status st = tsr_key_write_secret(sec, &kp);
    if (st == TSR_OK)
        st = tsr_key_write_public(pub, kp.pk);
    if (st == TSR_OK)
        st = manifest_key(j, name, role, kp.pk);
    tsr_wipe(&kp, sizeof kp);
    snprintf(j->detail, sizeof j->detail, "writing the key of %s", name);
    return st;
}

static tsr_status make_ed25519_keys(job *j)
{
    char name[TSR_KEY_NAME_MAX];
    tsr_status st = make_key(j, "central", "central");
    if (st == TSR_OK)
        st = make_key(j, "draw-authority", "draw-authority");
    for (long i = 1; st == TSR_OK && i <= j->o->witnesses; i++) {
        snprintf(name, sizeof name, "witness-%ld", i);
        st = make_key(j, name, "witness");
    }
    for (long i = 1; st == TSR_OK && i <= j->o->nodes; i++) {
        snprintf(name, sizeof name, "node-%ld", i);
        st = make_key(j, name, "node");
    }
    return st;
}

/* One PSK file per terminal plus the table every node loads. */
static tsr_status make_psks(job *j)
{
    long n = j->o->terminals;
    if (n == 0)
        return TSR_OK;
    tsr_psk *psks = calloc((size_t)n, sizeof *psks);
    if (!psks)
        return TSR_ERR_NOMEM;
    tsr_status st = TSR_OK;
    char path[PATH_SIZE], rel[PATH_SIZE];
    for (long i = 0; st == TSR_OK && i < n; i++) {
        snprintf(psks[i].identity, sizeof psks[i].identity, "term-%ld", i + 1);
        tsr_rng_bytes(j->rng, psks[i].key, TSR_PSK_LEN);
        staged(j, path, "terminals/%s.psk", psks[i].identity);
        snprintf(rel, sizeof rel, "terminals/%s.psk", psks[i].identity);
        st = tsr_psk_write(path, &psks[i]);
        json_t *e = json_pack("{s:s, s:s}", "identity", psks[i].identity, "psk_file", rel);
        if (st == TSR_OK && (!e || json_array_append_new(j->terminals, e) != 0))
            st = TSR_ERR_NOMEM;
    }
    staged(j, path, "terminals/%s", "psk-table.json");
    if (st == TSR_OK)
        st = tsr_psk_table_write(path, psks, (size_t)n);
    tsr_wipe(psks, (size_t)n * sizeof *psks);
    free(psks);
    snprintf(j->detail, sizeof j->detail, "writing terminal PSKs under %s/terminals", j->stage);
    return st;
}

/* A TLS key and certificate for `name`, signed by ca (NULL: self-signed CA). */
static tsr_status make_cert(job *j, const char *name, tsr_kg_key *ca, tsr_kg_key **key_out)
{
    tsr_kg_key *key;
    char crt[PATH_SIZE], keyp[PATH_SIZE], fp[65] = "", rel_crt[PATH_SIZE], rel_key[PATH_SIZE];
    snprintf(j->detail, sizeof j->detail, "making the TLS certificate of %s", name);
    tsr_status st = tsr_kg_key_generate(&key, j->rng);
    if (st != TSR_OK)
        return st;
    tsr_kg_cert_req req = {.cn = ca ? name : "Tessera deployment CA", .key = key,
                           .issuer_cn = "Tessera deployment CA", .issuer_key = ca ? ca : key,
                           .is_ca = !ca, .now_ns = j->now_ns,
                           .days = ca ? TSR_KG_LEAF_DAYS : TSR_KG_CA_DAYS};
    snprintf(rel_crt, sizeof rel_crt, "tls/%s.crt", name);
    snprintf(rel_key, sizeof rel_key, "tls/%s.key", name);
    staged(j, crt, "%s", rel_crt);
    staged(j, keyp, "%s", rel_key);
    st = tsr_kg_key_write(key, keyp);
    if (st == TSR_OK)
        st = tsr_kg_cert_write(&req, crt, fp);
    json_t *e = json_pack("{s:s, s:s, s:s, s:s}", "name", name, "cert_file", rel_crt,
                          "key_file", rel_key, "sha256", fp);
    if (st == TSR_OK && (!e || json_array_append_new(j->certs, e) != 0))
        st = TSR_ERR_NOMEM;
    if (st == TSR_OK && key_out)
        *key_out = key;
    else
        tsr_kg_key_destroy(key);
    return st;
}

static tsr_status make_tls(job *j)
{
    tsr_kg_key *ca = NULL;
    char name[TSR_KEY_NAME_MAX];
    tsr_status st = make_cert(j, "ca", NULL, &ca);
    if (st == TSR_OK)
        st = make_cert(j, "central", ca, NULL);
    for (long i = 1; st == TSR_OK && i <= j->o->nodes; i++) {
        snprintf(name, sizeof name, "node-%ld", i);
        st = make_cert(j, name, ca, NULL);
    }
    tsr_kg_key_destroy(ca);
    return st;
}

static tsr_status write_manifest(job *j)
{
    char path[PATH_SIZE];
    staged(j, path, "%s", "manifest.json");
    snprintf(j->detail, sizeof j->detail, "writing %s", path);
    char *text = json_dumps(j->manifest, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!text)
        return TSR_ERR_NOMEM;
    size_t len = strlen(text);
    text[len] = '\n'; /* replaces the NUL; len + 1 bytes are written */
    tsr_status st = tsr_secret_file_write(path, text, len + 1);
    free(text);
    if (st == TSR_OK && chmod(path, 0644) != 0)
        st = TSR_ERR_IO;
    return st;
}

/* True when DIR already holds any part of a key set. */
static int has_key_set(const char *dir, char *which, size_t len)
{
    for (size_t i = 0; i < N_SET_ENTRIES; i++) {
        char p[PATH_SIZE];
        snprintf(p, sizeof p, "%s/%s", dir, set_entries[i]);
        if (access(p, F_OK) == 0) {
            snprintf(which, len, "%s", p);
            return 1;
        }
    }
    return 0;
}

/* Creates DIR (if needed) and the staging directory with its subfolders. */
static tsr_status prepare(job *j)
{
    const char *dir = j->o->out;
    char which[PATH_SIZE];
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(j->detail, sizeof j->detail, "cannot create %s: %s", dir, strerror(errno));
        return TSR_ERR_IO;
    }
    if (!j->o->force && has_key_set(dir, which, sizeof which)) {
        snprintf(j->detail, sizeof j->detail,
                 "%s already holds a key set (%s); pass --force to replace it", dir, which);
        return TSR_ERR_EXISTS;
    }
    snprintf(j->stage, sizeof j->stage, "%s/.keygen-XXXXXX", dir);
    if (!mkdtemp(j->stage)) {
        snprintf(j->detail, sizeof j->detail, "cannot write in %s: %s", dir, strerror(errno));
        j->stage[0] = '\0';
        return TSR_ERR_IO;
    }
    static const char *const subdirs[] = {"keys", "terminals", "tls"};
    for (size_t i = 0; i < 3; i++) {
        char p[PATH_SIZE];
        staged(j, p, "%s", subdirs[i]);
        if (mkdir(p, i == 1 ? 0700 : 0755) != 0)
            return TSR_ERR_IO;
    }
    return TSR_OK;
}

/* Moves the staged set into DIR, replacing an old one (only reached with
 * --force when one exists). */
static tsr_status commit(job *j)
{
    for (size_t i = 0; i < N_SET_ENTRIES; i++) {
        char from[PATH_SIZE], to[PATH_SIZE];
        staged(j, from, "%s", set_entries[i]);
        snprintf(to, sizeof to, "%s/%s", j->o->out, set_entries[i]);
        rmtree(to);
        if (rename(from, to) != 0) {
            snprintf(j->detail, sizeof j->detail, "moving %s into place: %s", to,
                     strerror(errno));
            return TSR_ERR_IO;
        }
    }
    rmdir(j->stage);
    j->stage[0] = '\0';
    return TSR_OK;
}

static tsr_status start(job *j)
{
    tsr_clock *clock;
    tsr_status st = tsr_rng_real_create(&j->rng);
    if (st == TSR_OK)
        st = tsr_rng_require_real(j->rng);
    if (st == TSR_OK && (st = tsr_clock_real_create(&clock)) == TSR_OK) {
        j->now_ns = tsr_clock_now_ns(clock);
        tsr_clock_destroy(clock);
    }
    j->keys = json_array();
    j->terminals = json_array();
    j->certs = json_array();
    j->manifest = json_pack("{s:s, s:i, s:I, s:O, s:O, s:s, s:O}", "type", "tessera-keyset",
                            "version", 1, "created_at_ns", (json_int_t)j->now_ns, "keys",
                            j->keys, "terminals", j->terminals, "psk_table",
                            "terminals/psk-table.json", "tls", j->certs);
    if (st == TSR_OK && (!j->manifest || !j->keys || !j->terminals || !j->certs))
        st = TSR_ERR_NOMEM;
    return st;
}

static void finish(job *j)
{
    if (j->stage[0])
        rmtree(j->stage);
    json_decref(j->manifest);
    json_decref(j->keys);
    json_decref(j->terminals);
    json_decref(j->certs);
    tsr_rng_destroy(j->rng);
}

int tsr_cmd_keygen(int argc, char **argv)
{
    opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    job j = {.o = &o};
    snprintf(j.detail, sizeof j.detail, "starting");
    tsr_status st = start(&j);
    if (st == TSR_OK)
        st = prepare(&j);
    if (st == TSR_OK)
        st = make_ed25519_keys(&j);
    if (st == TSR_OK)
        st = make_psks(&j);
    if (st == TSR_OK)
        st = make_tls(&j);
    if (st == TSR_OK)
        st = write_manifest(&j);
    if (st == TSR_OK)
        st = commit(&j);
    finish(&j);
    if (st != TSR_OK)
        return tsr_admin_fail(CMD, st, j.detail);
    printf("key set written to %s: central, draw-authority, %ld witness(es), %ld node(s), "
           "%ld terminal PSK(s), CA + %ld TLS certificate(s); see %s/manifest.json\n",
           o.out, o.witnesses, o.nodes, o.terminals, o.nodes + 1, o.out);
    return 0;
}

/* Ed25519 keys, key files, DTLS PSK files and the keyring (see keys.h). */
#include "tessera/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto_int.h"
#include "tessera/hash.h"

_Static_assert(TSR_PK_LEN == crypto_sign_PUBLICKEYBYTES, "Ed25519 public key size");
_Static_assert(TSR_SK_LEN == crypto_sign_SECRETKEYBYTES, "Ed25519 secret key size");
_Static_assert(TSR_SEED_LEN == crypto_sign_SEEDBYTES, "Ed25519 seed size");
_Static_assert(TSR_SIG_LEN == crypto_sign_BYTES, "Ed25519 signature size");

/* ---- ids and signatures ---------------------------------------------------- */

void tsr_key_id(const uint8_t pk[TSR_PK_LEN], char out[TSR_KEY_ID_SIZE])
{
    uint8_t h[TSR_HASH_LEN];
    tsr_hash256(h, pk, TSR_PK_LEN);
    tsr_hex_encode(out, TSR_KEY_ID_SIZE, h, TSR_KEY_ID_LEN / 2);
}

void tsr_key_fingerprint(const uint8_t pk[TSR_PK_LEN], char out[TSR_FINGERPRINT_SIZE])
{
    uint8_t h[TSR_HASH_LEN];
    tsr_hash256(h, pk, TSR_PK_LEN);
    tsr_hex_encode(out, TSR_FINGERPRINT_SIZE, h, sizeof h);
}

void tsr_keypair_from_seed(tsr_keypair *out, const uint8_t seed[TSR_SEED_LEN])
{
    tsr_crypto_ready();
    (void)crypto_sign_seed_keypair(out->pk, out->sk, seed);
}

void tsr_keypair_generate(tsr_keypair *out, tsr_rng *rng)
{
    uint8_t seed[TSR_SEED_LEN];
    tsr_rng_bytes(rng, seed, sizeof seed);
    tsr_keypair_from_seed(out, seed);
    sodium_memzero(seed, sizeof seed);
}

void tsr_wipe(void *secret, size_t len)
{
    sodium_memzero(secret, len);
}

void tsr_sign(const tsr_keypair *kp, const void *msg, size_t len, uint8_t sig[TSR_SIG_LEN])
{
    static const unsigned char nothing[1] = {0};
    tsr_crypto_ready();
    (void)crypto_sign_detached(sig, NULL, len ? msg : nothing, len, kp->sk);
}

tsr_status tsr_verify(const uint8_t pk[TSR_PK_LEN], const void *msg, size_t len,
                      const uint8_t sig[TSR_SIG_LEN])
{
    static const unsigned char nothing[1] = {0};
    tsr_crypto_ready();
    if (crypto_sign_verify_detached(sig, len ? msg : nothing, len, pk) != 0)
        return TSR_ERR_SIGNATURE;
    return TSR_OK;
}

bool tsr_name_valid(const char *s)
{
    size_t n = 0;
    if (!s)
        return false;
    for (; s[n]; n++) {
        char c = s[n];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok || n >= TSR_KEY_NAME_MAX - 1)
            return false;
    }
    return n > 0;
}

/* ---- files ------------------------------------------------------------------- */

/* fsyncs the directory holding path, so a new file's name survives a crash. */
static tsr_status sync_parent(const char *path)
{
    char copy[PATH_MAX];
    if (strlen(path) >= sizeof copy)
        return TSR_ERR_IO;
    strcpy(copy, path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return TSR_ERR_IO;
    int rc = fsync(fd);
    close(fd);
    return rc == 0 ? TSR_OK : TSR_ERR_IO;
}

/* Creates path exclusively with `mode` (forced, whatever the umask), writes
 * data, fsyncs. A partial file is removed on failure. */
static tsr_status write_new_file(const char *path, const void *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return errno == EEXIST ? TSR_ERR_EXISTS : TSR_ERR_IO;
    bool ok = fchmod(fd, mode) == 0;
    const uint8_t *p = data;
    for (size_t done = 0; ok && done < len;) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        ok = w > 0;
        done += ok ? (size_t)w : 0;
    }
    ok = ok && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok) {
        unlink(path);
        return errno == ENOSPC ? TSR_ERR_DISK_FULL : TSR_ERR_IO;
    }
    return sync_parent(path);
}

/* Reads a whole file of at most cap-1 bytes into buf, NUL-terminated. With
 * `secret`, refuses a file group or others may access. */
static tsr_status read_small_file(const char *path, char *buf, size_t cap, size_t *len_out,
                                  bool secret)
{
    *len_out = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return TSR_ERR_KEY_FILE;
    struct stat st;
    tsr_status rc = TSR_OK;
    if (fstat(fd, &st) != 0)
        rc = TSR_ERR_IO;
    else if (!S_ISREG(st.st_mode) || (size_t)st.st_size >= cap)
        rc = TSR_ERR_KEY_FILE;
    else if (secret && (st.st_mode & (S_IRWXG | S_IRWXO)))
        rc = TSR_ERR_KEY_PERMS;
    size_t done = 0;
    while (rc == TSR_OK && done < cap - 1) {
        ssize_t r = read(fd, buf + done, cap - 1 - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            rc = TSR_ERR_IO;
        if (r <= 0)
            break;
        done += (size_t)r;
    }
    close(fd);
    if (rc == TSR_OK && done == cap - 1)
        rc = TSR_ERR_KEY_FILE; /* grew while we read it */
    buf[rc == TSR_OK ? done : 0] = '\0';
    *len_out = rc == TSR_OK ? done : 0;
    return rc;
}

tsr_status tsr_secret_file_write(const char *path, const void *data, size_t len)
{
    return write_new_file(path, data, len, S_IRUSR | S_IWUSR);
}

tsr_status tsr_secret_file_read(const char *path, void *buf, size_t cap, size_t *len_out)
{
    char *tmp = malloc(cap + 1);
    if (!tmp)
        return TSR_ERR_NOMEM;
    tsr_status st = read_small_file(path, tmp, cap + 1, len_out, true);
    if (st == TSR_OK)
        memcpy(buf, tmp, *len_out);
    sodium_memzero(tmp, cap + 1);
    free(tmp);
    return st;
}

/* Serialises obj compactly (with a newline) and writes it as a new file;
 * the text is wiped afterwards as it may hold a secret. Takes obj. */
static tsr_status write_json_file(const char *path, json_t *obj, mode_t mode)
{
    if (!obj)
        return TSR_ERR_NOMEM;
    char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(obj);
    if (!text)
        return TSR_ERR_NOMEM;
    size_t len = strlen(text);
    text[len] = '\n'; /* jansson's buffer has the NUL we overwrite; write len+1 */
    tsr_status st = write_new_file(path, text, len + 1, mode);
    sodium_memzero(text, len + 1);
    free(text);
    return st;
}

/* Reads and parses a key-ish JSON file of at most `cap` bytes. Owns *out. */
static tsr_status load_json_file(const char *path, size_t cap, bool secret, json_t **out)
{
    *out = NULL;
    char *buf = malloc(cap + 1);
    if (!buf)
        return TSR_ERR_NOMEM;
    size_t len;
    tsr_status st = read_small_file(path, buf, cap + 1, &len, secret);
    if (st == TSR_OK) {
        *out = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
        st = *out ? TSR_OK : TSR_ERR_KEY_FILE;
    }
    sodium_memzero(buf, cap + 1);
    free(buf);
    return st;
}

/* Checks the "type" member and the exact field set of a key file. */
static tsr_status check_key_object(const json_t *j, const char *type, const char *const *fields,
                                   size_t n)
{
    if (tsr_sj_fields(j, fields, n) != TSR_OK)
        return TSR_ERR_KEY_FILE;
    const char *t = json_string_value(json_object_get(j, "type"));
    return t && strcmp(t, type) == 0 ? TSR_OK : TSR_ERR_KEY_FILE;
}

/* Checks that field "key_id" of j is pk's key id. */
static tsr_status check_key_id(const json_t *j, const uint8_t pk[TSR_PK_LEN])
{
    char want[TSR_KEY_ID_SIZE];
    tsr_key_id(pk, want);
    const char *got = json_string_value(json_object_get(j, "key_id"));
    return got && strcmp(got, want) == 0 ? TSR_OK : TSR_ERR_KEY_FILE;
}

tsr_status tsr_key_write_secret(const char *path, const tsr_keypair *kp)
{
    char id[TSR_KEY_ID_SIZE], sk[2 * TSR_SK_LEN + 1];
    tsr_key_id(kp->pk, id);
    tsr_hex_encode(sk, sizeof sk, kp->sk, TSR_SK_LEN);
    json_t *o = json_pack("{s:s, s:s, s:s}", "type", "ed25519-secret", "key_id", id, "sk", sk);
    sodium_memzero(sk, sizeof sk);
    return write_json_file(path, o, S_IRUSR | S_IWUSR);
}

tsr_status tsr_key_write_public(const char *path, const uint8_t pk[TSR_PK_LEN])
{
    char id[TSR_KEY_ID_SIZE], hex[2 * TSR_PK_LEN + 1];
    tsr_key_id(pk, id);
    tsr_hex_encode(hex, sizeof hex, pk, TSR_PK_LEN);
    json_t *o = json_pack("{s:s, s:s, s:s}", "type", "ed25519-public", "key_id", id, "pk", hex);
    return write_json_file(path, o, S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH);
}

/* Parses a secret key object: the public half must be the one the seed
 * derives, so a file cannot pair one key's seed with another's pk. */
static tsr_status parse_secret(const json_t *j, tsr_keypair *out)
{
    static const char *const fields[] = {"type", "key_id", "sk"};
    tsr_keypair derived;
    if (check_key_object(j, "ed25519-secret", fields, 3) != TSR_OK ||
        tsr_sj_hex(j, "sk", out->sk, TSR_SK_LEN) != TSR_OK)
        return TSR_ERR_KEY_FILE;
    tsr_keypair_from_seed(&derived, out->sk);
    bool same = sodium_memcmp(derived.sk, out->sk, TSR_SK_LEN) == 0;
    memcpy(out->pk, derived.pk, TSR_PK_LEN);
    sodium_memzero(&derived, sizeof derived);
    if (!same)
        return TSR_ERR_KEY_FILE;
    return check_key_id(j, out->pk);
}

tsr_status tsr_key_read_secret(const char *path, tsr_keypair *out)
{
    json_t *j;
    tsr_status st = load_json_file(path, TSR_KEY_FILE_MAX, true, &j);
    if (st == TSR_OK)
        st = parse_secret(j, out);
    if (j) {
        /* jansson keeps the hex text in its own buffers: wipe them too. */
        json_t *sk = json_object_get(j, "sk");
        if (json_is_string(sk))
            sodium_memzero((char *)json_string_value(sk), json_string_length(sk));
        json_decref(j);
    }
    if (st != TSR_OK)
        sodium_memzero(out, sizeof *out);
    return st;
}

tsr_status tsr_key_read_public(const char *path, uint8_t pk[TSR_PK_LEN])
{
    static const char *const fields[] = {"type", "key_id", "pk"};
    json_t *j;
    tsr_status st = load_json_file(path, TSR_KEY_FILE_MAX, false, &j);
    if (st == TSR_OK && (check_key_object(j, "ed25519-public", fields, 3) != TSR_OK ||
                         tsr_sj_hex(j, "pk", pk, TSR_PK_LEN) != TSR_OK))
        st = TSR_ERR_KEY_FILE;
    if (st == TSR_OK)
        st = check_key_id(j, pk);
    json_decref(j);
    if (st != TSR_OK)
        memset(pk, 0, TSR_PK_LEN);
    return st;
}

/* ---- DTLS PSKs ---------------------------------------------------------------- */

static json_t *psk_object(const tsr_psk *p, bool with_type)
{
    char hex[2 * TSR_PSK_LEN + 1];
    tsr_hex_encode(hex, sizeof hex, p->key, TSR_PSK_LEN);
    json_t *o = with_type ? json_pack("{s:s, s:s, s:s}", "type", "dtls-psk", "identity",
                                      p->identity, "psk", hex)
                          : json_pack("{s:s, s:s}", "identity", p->identity, "psk", hex);
    sodium_memzero(hex, sizeof hex);
    return o;
}

static tsr_status parse_psk(const json_t *j, tsr_psk *out)
{
    memset(out, 0, sizeof *out);
    if (tsr_sj_str(j, "identity", out->identity, sizeof out->identity) != TSR_OK ||
        !tsr_name_valid(out->identity) || tsr_sj_hex(j, "psk", out->key, TSR_PSK_LEN) != TSR_OK)
        return TSR_ERR_KEY_FILE;
    return TSR_OK;
}

tsr_status tsr_psk_write(const char *path, const tsr_psk *psk)
{
    if (!tsr_name_valid(psk->identity))
        return TSR_ERR_ARG;
    return write_json_file(path, psk_object(psk, true), S_IRUSR | S_IWUSR);
}

tsr_status tsr_psk_read(const char *path, tsr_psk *out)
{
    static const char *const fields[] = {"type", "identity", "psk"};
    json_t *j;
    memset(out, 0, sizeof *out);
    tsr_status st = load_json_file(path, TSR_KEY_FILE_MAX, true, &j);
    if (st == TSR_OK && check_key_object(j, "dtls-psk", fields, 3) != TSR_OK)
        st = TSR_ERR_KEY_FILE;
    if (st == TSR_OK)
        st = parse_psk(j, out);
    json_decref(j);
    if (st != TSR_OK)
        sodium_memzero(out, sizeof *out);
    return st;
}

tsr_status tsr_psk_table_write(const char *path, const tsr_psk *psks, size_t n)
{
    if (n == 0 || n > TSR_PSK_TABLE_MAX)
        return TSR_ERR_ARG;
    json_t *arr = json_array();
    bool ok = arr != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        if (!tsr_name_valid(psks[i].identity)) {
            json_decref(arr);
            return TSR_ERR_ARG;
        }
        ok = json_array_append_new(arr, psk_object(&psks[i], false)) == 0;
    }
    json_t *o = ok ? json_pack("{s:s, s:o}", "type", "dtls-psk-table", "psks", arr) : NULL;
    if (!ok)
        json_decref(arr);
    return write_json_file(path, o, S_IRUSR | S_IWUSR);
}

/* Reads the entries of a parsed table into out, refusing duplicates. */
static tsr_status parse_psk_table(const json_t *j, tsr_psk *out, size_t cap, size_t *n)
{
    static const char *const fields[] = {"type", "psks"};
    static const char *const entry_fields[] = {"identity", "psk"};
    const json_t *arr = json_object_get(j, "psks");
    if (check_key_object(j, "dtls-psk-table", fields, 2) != TSR_OK || !json_is_array(arr) ||
        json_array_size(arr) > cap)
        return TSR_ERR_KEY_FILE;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *e = json_array_get(arr, i);
        if (tsr_sj_fields(e, entry_fields, 2) != TSR_OK || parse_psk(e, &out[i]) != TSR_OK)
            return TSR_ERR_KEY_FILE;
        for (size_t k = 0; k < i; k++)
            if (strcmp(out[k].identity, out[i].identity) == 0)
                return TSR_ERR_KEY_FILE;
        *n = i + 1;
    }
    return TSR_OK;
}

tsr_status tsr_psk_table_read(const char *path, tsr_psk *out, size_t cap, size_t *n)
{
    json_t *j;
    *n = 0;
    tsr_status st = load_json_file(path, TSR_PSK_TABLE_FILE_MAX, true, &j);
    if (st == TSR_OK)
        st = parse_psk_table(j, out, cap, n);
    json_decref(j);
    if (st != TSR_OK) {
        sodium_memzero(out, *n * sizeof *out);
        *n = 0;
    }
    return st;
}

/* ---- keyring ---------------------------------------------------------------------- */

typedef struct pinned {
    uint8_t pk[TSR_PK_LEN];
    char id[TSR_KEY_ID_SIZE];
    char name[TSR_KEY_NAME_MAX]; /* "" when none */
} pinned;

/* Lookups are linear: a deployment pins at most TSR_KEYRING_MAX keys and
 * a lookup happens once per batch or token, not per ticket. */
struct tsr_keyring {
    pinned *keys;
    size_t n, cap;
};

tsr_status tsr_keyring_create(tsr_keyring **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? TSR_OK : TSR_ERR_NOMEM;
}

void tsr_keyring_destroy(tsr_keyring *kr)
{
    if (!kr)
        return;
    free(kr->keys);
    free(kr);
}

size_t tsr_keyring_count(const tsr_keyring *kr)
{
    return kr->n;
}

static const pinned *find_id(const tsr_keyring *kr, const char *id)
{
    for (size_t i = 0; i < kr->n; i++)
        if (strcmp(kr->keys[i].id, id) == 0)
            return &kr->keys[i];
    return NULL;
}

static const pinned *find_name(const tsr_keyring *kr, const char *name)
{
    for (size_t i = 0; i < kr->n; i++)
        if (strcmp(kr->keys[i].name, name) == 0)
            return &kr->keys[i];
    return NULL;
}

tsr_status tsr_keyring_add(tsr_keyring *kr, const uint8_t pk[TSR_PK_LEN], const char *name)
{
    if (name && !tsr_name_valid(name))
        return TSR_ERR_ARG;
    char id[TSR_KEY_ID_SIZE];
    tsr_key_id(pk, id);
    const pinned *same_id = find_id(kr, id);
    const pinned *same_name = name ? find_name(kr, name) : NULL;
    if (same_id && same_id == same_name && memcmp(same_id->pk, pk, TSR_PK_LEN) == 0)
        return TSR_OK;
    if (same_id && !name && !same_id->name[0] && memcmp(same_id->pk, pk, TSR_PK_LEN) == 0)
        return TSR_OK;
    if (same_id || same_name)
        return TSR_ERR_EXISTS;
    if (kr->n == TSR_KEYRING_MAX)
        return TSR_ERR_TOO_LARGE;
    if (kr->n == kr->cap) {
        size_t cap = kr->cap ? kr->cap * 2 : 16;
        pinned *k = realloc(kr->keys, cap * sizeof *k);
        if (!k)
            return TSR_ERR_NOMEM;
        kr->keys = k;
        kr->cap = cap;
    }
    pinned *p = &kr->keys[kr->n++];
    memcpy(p->pk, pk, TSR_PK_LEN);
    memcpy(p->id, id, sizeof id);
    snprintf(p->name, sizeof p->name, "%s", name ? name : "");
    return TSR_OK;
}

tsr_status tsr_keyring_add_file(tsr_keyring *kr, const char *path, const char *name)
{
    uint8_t pk[TSR_PK_LEN];
    tsr_status st = tsr_key_read_public(path, pk);
    return st == TSR_OK ? tsr_keyring_add(kr, pk, name) : st;
}

tsr_status tsr_keyring_find(const tsr_keyring *kr, const char *key_id, uint8_t pk_out[TSR_PK_LEN])
{
    const pinned *p = key_id ? find_id(kr, key_id) : NULL;
    if (!p) {
        memset(pk_out, 0, TSR_PK_LEN);
        return TSR_ERR_KEY_UNKNOWN;
    }
    memcpy(pk_out, p->pk, TSR_PK_LEN);
    return TSR_OK;
}

tsr_status tsr_keyring_find_name(const tsr_keyring *kr, const char *name,
                                 uint8_t pk_out[TSR_PK_LEN])
{
    const pinned *p = name && name[0] ? find_name(kr, name) : NULL;
    if (!p) {
        memset(pk_out, 0, TSR_PK_LEN);
        return TSR_ERR_KEY_UNKNOWN;
    }
    memcpy(pk_out, p->pk, TSR_PK_LEN);
    return TSR_OK;
}

/* One manifest key entry: its pk must match its key id and fingerprint. */
static tsr_status parse_manifest_key(const json_t *e, uint8_t pk[TSR_PK_LEN], const char **name,
                                     const char **role)
{
    char fp[TSR_FINGERPRINT_SIZE];
    *name = json_string_value(json_object_get(e, "name"));
    *role = json_string_value(json_object_get(e, "role"));
    const char *want_fp = json_string_value(json_object_get(e, "fingerprint"));
    if (!*name || !*role || !want_fp || tsr_sj_hex(e, "pk", pk, TSR_PK_LEN) != TSR_OK ||
        check_key_id(e, pk) != TSR_OK)
        return TSR_ERR_KEY_FILE;
    tsr_key_fingerprint(pk, fp);
    return strcmp(fp, want_fp) == 0 ? TSR_OK : TSR_ERR_KEY_FILE;
}

tsr_status tsr_keyring_load_manifest(tsr_keyring *kr, const char *manifest_path, const char *role)
{
    json_t *j;
    tsr_status st = load_json_file(manifest_path, TSR_PSK_TABLE_FILE_MAX, false, &j);
    if (st != TSR_OK)
        return st;
    const json_t *keys = json_object_get(j, "keys");
    const char *type = json_string_value(json_object_get(j, "type"));
    if (!type || strcmp(type, "tessera-keyset") != 0 || !json_is_array(keys))
        st = TSR_ERR_KEY_FILE;
    size_t added = 0;
    for (size_t i = 0; st == TSR_OK && i < json_array_size(keys); i++) {
        uint8_t pk[TSR_PK_LEN];
        const char *name, *r;
        st = parse_manifest_key(json_array_get(keys, i), pk, &name, &r);
        if (st == TSR_OK && (!role || strcmp(role, r) == 0)) {
            st = tsr_keyring_add(kr, pk, name);
            added++;
        }
    }
    json_decref(j);
    if (st == TSR_OK && added == 0)
        st = TSR_ERR_NOT_FOUND;
    return st;
}

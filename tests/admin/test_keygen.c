/* tessera keygen and tessera token, end to end through the built binary. */
#include <check.h>
#include <jansson.h>
#include <mbedtls/x509_crt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "tessera/keys.h"
#include "tessera/token.h"
#include "tsr_test.h"

static char dir[256], bin[512];

static void setup(void)
{
    tsr_test_tmpdir("keygen", dir, sizeof dir);
    tsr_test_bin("tessera", bin, sizeof bin);
}

static void teardown(void) { tsr_test_rmtree(dir); }

/* The exit code of a shell command. */
static int run(const char *fmt, const char *a, const char *b)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    return tsr_test_sh("%s", cmd);
}

static void path_in(char *out, size_t len, const char *rel)
{
    snprintf(out, len, "%s/ks/%s", dir, rel);
}

static int mode_of(const char *rel)
{
    char p[600];
    struct stat st;
    path_in(p, sizeof p, rel);
    ck_assert_msg(stat(p, &st) == 0, "missing %s", p);
    return st.st_mode & 0777;
}

static void keygen_ok(const char *extra)
{
    char out[300];
    snprintf(out, sizeof out, "%s/ks", dir);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "'%s' keygen --out '%s' --nodes 2 --terminals 3 --witnesses 1 %s",
             bin, out, extra);
    ck_assert_int_eq(run("%s%s", cmd, ""), 0);
}

static json_t *load_manifest(void)
{
    char p[600];
    path_in(p, sizeof p, "manifest.json");
    json_t *m = json_load_file(p, JSON_REJECT_DUPLICATES, NULL);
    ck_assert_ptr_nonnull(m);
    return m;
}

START_TEST(writes_every_file_with_its_mode)
{
    keygen_ok("");
    static const char *const secret[] = {
        "keys/central.key", "keys/draw-authority.key", "keys/witness-1.key", "keys/node-1.key",
        "keys/node-2.key", "terminals/term-1.psk", "terminals/term-3.psk",
        "terminals/psk-table.json", "tls/ca.key", "tls/central.key", "tls/node-2.key"};
    static const char *const public[] = {"keys/central.pub", "keys/node-2.pub", "tls/ca.crt",
                                         "tls/node-1.crt", "tls/central.crt", "manifest.json"};
    for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++)
        ck_assert_msg(mode_of(secret[i]) == 0600, "%s is %o", secret[i], mode_of(secret[i]));
    for (size_t i = 0; i < sizeof public / sizeof public[0]; i++)
        ck_assert_msg(mode_of(public[i]) == 0644, "%s is %o", public[i], mode_of(public[i]));
    char p[600];
    path_in(p, sizeof p, "keys/witness-2.key");
    struct stat st;
    ck_assert_int_ne(stat(p, &st), 0); /* exactly the witnesses asked for */
}
END_TEST

/* Each manifest key matches its files, id and fingerprint. */
static void check_manifest_key(const json_t *e)
{
    char p[600], id[TSR_KEY_ID_SIZE], fp[TSR_FINGERPRINT_SIZE], hex[65];
    uint8_t pk[TSR_PK_LEN];
    tsr_keypair kp;
    path_in(p, sizeof p, json_string_value(json_object_get(e, "public_file")));
    ck_assert_int_eq(tsr_key_read_public(p, pk), TSR_OK);
    path_in(p, sizeof p, json_string_value(json_object_get(e, "secret_file")));
    ck_assert_int_eq(tsr_key_read_secret(p, &kp), TSR_OK);
    ck_assert_mem_eq(kp.pk, pk, TSR_PK_LEN);
    tsr_key_id(pk, id);
    tsr_key_fingerprint(pk, fp);
    ck_assert_str_eq(json_string_value(json_object_get(e, "key_id")), id);
    ck_assert_str_eq(json_string_value(json_object_get(e, "fingerprint")), fp);
    ck_assert_str_eq(json_string_value(json_object_get(e, "pk")),
                     tsr_hex_encode(hex, sizeof hex, pk, TSR_PK_LEN));
}

START_TEST(manifest_lists_public_material_only)
{
    keygen_ok("");
    json_t *m = load_manifest();
    ck_assert_str_eq(json_string_value(json_object_get(m, "type")), "tessera-keyset");
    const json_t *keys = json_object_get(m, "keys");
    ck_assert_uint_eq(json_array_size(keys), 5); /* central, authority, 1 witness, 2 nodes */
    for (size_t i = 0; i < json_array_size(keys); i++)
        check_manifest_key(json_array_get(keys, i));
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(keys, 4), "name")), "node-2");
    const json_t *terms = json_object_get(m, "terminals");
    ck_assert_uint_eq(json_array_size(terms), 3);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(terms, 2), "identity")),
                     "term-3");
    ck_assert_uint_eq(json_array_size(json_object_get(m, "tls")), 4); /* CA, central, 2 nodes */
    /* No secret appears in it: not a PSK, not a secret key. */
    char *text = json_dumps(m, 0), p[600], hex[2 * TSR_SK_LEN + 1];
    tsr_psk psk;
    path_in(p, sizeof p, "terminals/term-2.psk");
    ck_assert_int_eq(tsr_psk_read(p, &psk), TSR_OK);
    ck_assert_str_eq(psk.identity, "term-2");
    ck_assert_ptr_null(strstr(text, tsr_hex_encode(hex, sizeof hex, psk.key, TSR_PSK_LEN)));
    tsr_keypair kp;
    path_in(p, sizeof p, "keys/draw-authority.key");
    ck_assert_int_eq(tsr_key_read_secret(p, &kp), TSR_OK);
    ck_assert_ptr_null(strstr(text, tsr_hex_encode(hex, sizeof hex, kp.sk, TSR_SEED_LEN)));
    free(text);
    tsr_psk table[8];
    size_t n;
    path_in(p, sizeof p, "terminals/psk-table.json");
    ck_assert_int_eq(tsr_psk_table_read(p, table, 8, &n), TSR_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_mem_eq(&table[1], &psk, sizeof psk);
    /* The keyring pins exactly the nodes by role. */
    tsr_keyring *kr;
    uint8_t pk[TSR_PK_LEN];
    path_in(p, sizeof p, "manifest.json");
    ck_assert_int_eq(tsr_keyring_create(&kr), TSR_OK);
    ck_assert_int_eq(tsr_keyring_load_manifest(kr, p, "node"), TSR_OK);
    ck_assert_uint_eq(tsr_keyring_count(kr), 2);
    ck_assert_int_eq(tsr_keyring_find_name(kr, "node-2", pk), TSR_OK);
    tsr_keyring_destroy(kr);
    json_decref(m);
}
END_TEST

START_TEST(certificates_chain_to_the_ca)
{
    keygen_ok("");
    json_t *m = load_manifest();
    mbedtls_x509_crt ca, leaf;
    mbedtls_x509_crt_init(&ca);
    mbedtls_x509_crt_init(&leaf);
    char p[600];
    path_in(p, sizeof p, "tls/ca.crt");
    ck_assert_int_eq(mbedtls_x509_crt_parse_file(&ca, p), 0);
    ck_assert_int_eq(ca.ca_istrue, 1);
    path_in(p, sizeof p, "tls/node-1.crt");
    ck_assert_int_eq(mbedtls_x509_crt_parse_file(&leaf, p), 0);
    ck_assert_int_eq(leaf.ca_istrue, 0);
    uint32_t flags = 0;
    ck_assert_int_eq(mbedtls_x509_crt_verify(&leaf, &ca, NULL, "node-1", &flags, NULL, NULL), 0);
    ck_assert_int_ne(mbedtls_x509_crt_verify(&leaf, &ca, NULL, "node-2", &flags, NULL, NULL), 0);
    ck_assert_int_eq(mbedtls_x509_crt_verify(&leaf, &ca, NULL, "localhost", &flags, NULL, NULL),
                     0);
    /* The manifest's fingerprint is the SHA-256 of the DER. */
    const json_t *tls = json_object_get(m, "tls");
    const char *fp = NULL;
    for (size_t i = 0; i < json_array_size(tls); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(tls, i), "name")), "node-1") == 0)
            fp = json_string_value(json_object_get(json_array_get(tls, i), "sha256"));
    ck_assert_ptr_nonnull(fp);
    char cmd[900], out[200];
    snprintf(cmd, sizeof cmd, "openssl x509 -in '%s' -outform DER | sha256sum | cut -c1-64", p);
    if (tsr_test_sh_capture(out, sizeof out, "%s", cmd) == 0 && out[0]) {
        out[strcspn(out, "\n")] = '\0';
        ck_assert_str_eq(out, fp);
    }
    mbedtls_x509_crt_free(&ca);
    mbedtls_x509_crt_free(&leaf);
    json_decref(m);
}
END_TEST

START_TEST(token_signed_by_one_key_fails_against_another)
{
    keygen_ok("");
    char key[600], other[600], pub[600], manifest[600], tok[600], cmd[2048];
    path_in(key, sizeof key, "keys/draw-authority.key");
    path_in(other, sizeof other, "keys/node-1.key");
    path_in(pub, sizeof pub, "keys/central.pub");
    path_in(manifest, sizeof manifest, "manifest.json");
    snprintf(tok, sizeof tok, "%s/token.json", dir);
    const char *times = "--game lotto --draw 3 --sales-open-ns 1000000000000000000 "
                        "--cutoff-ns 1000000003600000000 --results-ns 4000000000000000000 "
                        "--issued-ns 999999999000000000 --seed-commitment "
                        "0000000000000000000000000000000000000000000000000000000000000000";
    snprintf(cmd, sizeof cmd, "'%s' token sign --key '%s' %s --out '%s'", bin, key, times, tok);
    ck_assert_int_eq(run("%s%s", cmd, ""), 0);
    snprintf(cmd, sizeof cmd, "'%s' token verify --token '%s' --manifest '%s' --now-ns 1000000000000000000",
             bin, tok, manifest);
    ck_assert_int_eq(run("%s%s", cmd, ""), 0);
    char out[1000];
    snprintf(cmd, sizeof cmd, "'%s' token verify --token '%s' --pubkey '%s' --now-ns 1000000000000000000 2>&1",
             bin, tok, pub);
    ck_assert_int_eq(tsr_test_sh_capture(out, sizeof out, "%s", cmd), EX_NOPERM);
    ck_assert_ptr_nonnull(strstr(out, "tessera token: the signing key is not known"));
    /* Signed with a node key: the manifest's draw authority refuses it. */
    snprintf(tok, sizeof tok, "%s/token2.json", dir);
    snprintf(cmd, sizeof cmd, "'%s' token sign --key '%s' %s --out '%s'", bin, other, times, tok);
    ck_assert_int_eq(run("%s%s", cmd, ""), 0);
    snprintf(cmd, sizeof cmd, "'%s' token verify --token '%s' --manifest '%s' --now-ns 1000000000000000000 2>&1",
             bin, tok, manifest);
    ck_assert_int_eq(tsr_test_sh_capture(out, sizeof out, "%s", cmd), EX_NOPERM);
    ck_assert_ptr_nonnull(strstr(out, "not known"));
    /* The same, in the library: a forged key id gives a signature error. */
    tsr_keypair authority, node;
    tsr_keyring *kr;
    ck_assert_int_eq(tsr_key_read_secret(key, &authority), TSR_OK);
    ck_assert_int_eq(tsr_key_read_secret(other, &node), TSR_OK);
    ck_assert_int_eq(tsr_keyring_create(&kr), TSR_OK);
    ck_assert_int_eq(tsr_keyring_load_manifest(kr, manifest, "draw-authority"), TSR_OK);
    tsr_cutoff_token t = {.game = "g", .draw = 1, .sales_open_at_ns = 10, .cutoff_at_ns = 20,
                          .results_at_ns = 30, .issued_at_ns = 5};
    ck_assert_int_eq(tsr_cutoff_token_sign(&t, &node), TSR_OK);
    tsr_key_id(authority.pk, t.key_id);
    ck_assert_int_eq(tsr_cutoff_token_verify(&t, kr, 15), TSR_ERR_SIGNATURE);
    tsr_keyring_destroy(kr);
}
END_TEST

static void read_text(const char *rel, char *out, size_t len)
{
    char p[600];
    path_in(p, sizeof p, rel);
    FILE *f = fopen(p, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(out, 1, len - 1, f);
    out[n] = '\0';
    fclose(f);
}

START_TEST(refuses_to_overwrite_without_force)
{
    keygen_ok("");
    char before[600], after[600], out[1000], cmd[1200];
    read_text("keys/node-1.pub", before, sizeof before);
    snprintf(cmd, sizeof cmd, "'%s' keygen --out '%s/ks' --nodes 1 2>&1", bin, dir);
    int st = tsr_test_sh_capture(out, sizeof out, "%s", cmd);
    ck_assert_int_ne(st, 0);
    ck_assert_ptr_nonnull(strstr(out, "tessera keygen: already exists"));
    ck_assert_ptr_nonnull(strstr(out, "--force"));
    read_text("keys/node-1.pub", after, sizeof after);
    ck_assert_str_eq(before, after);
    read_text("keys/node-2.pub", after, sizeof after); /* the old set is intact */
    keygen_ok("--force");
    read_text("keys/node-1.pub", after, sizeof after);
    ck_assert_str_ne(before, after);
    /* No staging directory is left behind. */
    snprintf(cmd, sizeof cmd, "ls -A '%s/ks' | grep -c keygen", dir);
    tsr_test_sh_capture(out, sizeof out, "%s", cmd);
    ck_assert_int_eq(atoi(out), 0);
}
END_TEST

START_TEST(usage_errors_and_help)
{
    ck_assert_int_eq(run("'%s' keygen --help >/dev/null%s", bin, ""), 0);
    ck_assert_int_eq(run("'%s' keygen --nodes 2 2>/dev/null%s", bin, ""), EX_USAGE);
    ck_assert_int_eq(run("'%s' keygen --out '%s/x' --nodes 0 2>/dev/null", bin, dir), EX_USAGE);
    ck_assert_int_eq(run("'%s' keygen --out '%s/x' --witnesses 9 2>/dev/null", bin, dir), EX_USAGE);
    ck_assert_int_eq(run("'%s' keygen --out '%s/x' --bogus 2>/dev/null", bin, dir), EX_USAGE);
    ck_assert_int_eq(run("'%s' keygen --out /proc/no/such/dir 2>/dev/null%s", bin, ""), EX_IOERR);
    ck_assert_int_eq(run("'%s' token --help >/dev/null%s", bin, ""), 0);
    ck_assert_int_eq(run("'%s' token verify --token x 2>/dev/null%s", bin, ""), EX_USAGE);
    ck_assert_int_eq(run("'%s' token verify --token /nonexistent --pubkey x 2>/dev/null%s", bin, ""),
                     EX_DATAERR);
}
END_TEST

static Suite *keygen_suite(void)
{
    Suite *s = suite_create("keygen");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, writes_every_file_with_its_mode);
    tcase_add_test(tc, manifest_lists_public_material_only);
    tcase_add_test(tc, certificates_chain_to_the_ca);
    tcase_add_test(tc, token_signed_by_one_key_fails_against_another);
    tcase_add_test(tc, refuses_to_overwrite_without_force);
    tcase_add_test(tc, usage_errors_and_help);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(keygen_suite()); }

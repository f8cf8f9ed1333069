/* Ed25519 known answers, signatures, key files and their modes, PSK files,
 * the keyring. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tessera/hash.h"
#include "tessera/keys.h"
#include "tessera/rng.h"
#include "tsr_test.h"

#define SEED_HEX "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define PK_HEX "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
#define SIG_HEX                                                                                    \
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b" \
    "46bd25bf5f0595bbe24655141438e7a100b"

static char dir[256];

static void setup(void) { tsr_test_tmpdir("keys", dir, sizeof dir); }
static void teardown(void) { tsr_test_rmtree(dir); }

static void path_in(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
}

static void write_raw(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    ck_assert_int_eq(fchmod(fd, mode), 0);
    close(fd);
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    return st.st_mode & 07777;
}

static void rfc_keypair(tsr_keypair *kp)
{
    uint8_t seed[TSR_SEED_LEN];
    ck_assert_int_eq(tsr_hex_decode(seed, sizeof seed, SEED_HEX), TSR_OK);
    tsr_keypair_from_seed(kp, seed);
}

static void seeded_keypair(tsr_keypair *kp, uint64_t seed)
{
    tsr_rng *rng;
    ck_assert_int_eq(tsr_rng_seeded_create(&rng, seed), TSR_OK);
    tsr_keypair_generate(kp, rng);
    tsr_rng_destroy(rng);
}

START_TEST(rfc8032_test_1)
{
    tsr_keypair kp;
    rfc_keypair(&kp);
    char hex[2 * TSR_SIG_LEN + 1];
    ck_assert_str_eq(tsr_hex_encode(hex, sizeof hex, kp.pk, TSR_PK_LEN), PK_HEX);
    uint8_t sig[TSR_SIG_LEN], want[TSR_SIG_LEN];
    tsr_sign(&kp, NULL, 0, sig);
    ck_assert_str_eq(tsr_hex_encode(hex, sizeof hex, sig, TSR_SIG_LEN), SIG_HEX);
    ck_assert_int_eq(tsr_hex_decode(want, sizeof want, SIG_HEX), TSR_OK);
    ck_assert_int_eq(tsr_verify(kp.pk, "", 0, want), TSR_OK);
    ck_assert_int_eq(tsr_verify(kp.pk, "x", 1, want), TSR_ERR_SIGNATURE);
}
END_TEST

START_TEST(every_flipped_byte_of_signature_or_message_fails)
{
    tsr_keypair kp;
    seeded_keypair(&kp, 11);
    printf("seed 11\n");
    uint8_t msg[100], sig[TSR_SIG_LEN];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)i;
    tsr_sign(&kp, msg, sizeof msg, sig);
    ck_assert_int_eq(tsr_verify(kp.pk, msg, sizeof msg, sig), TSR_OK);
    for (size_t i = 0; i < TSR_SIG_LEN; i++) {
        sig[i] ^= 0x01;
        ck_assert_int_eq(tsr_verify(kp.pk, msg, sizeof msg, sig), TSR_ERR_SIGNATURE);
        sig[i] ^= 0x01;
    }
    for (size_t i = 0; i < sizeof msg; i++) {
        msg[i] ^= 0x80;
        ck_assert_int_eq(tsr_verify(kp.pk, msg, sizeof msg, sig), TSR_ERR_SIGNATURE);
        msg[i] ^= 0x80;
    }
    ck_assert_int_eq(tsr_verify(kp.pk, msg, sizeof msg - 1, sig), TSR_ERR_SIGNATURE);
    tsr_keypair other;
    seeded_keypair(&other, 12);
    ck_assert_int_eq(tsr_verify(other.pk, msg, sizeof msg, sig), TSR_ERR_SIGNATURE);
    uint8_t zero_pk[TSR_PK_LEN] = {0};
    ck_assert_int_eq(tsr_verify(zero_pk, msg, sizeof msg, sig), TSR_ERR_SIGNATURE);
}
END_TEST

START_TEST(key_id_is_hash_prefix_and_generation_follows_the_rng)
{
    tsr_keypair kp, again, other;
    rfc_keypair(&kp);
    char id[TSR_KEY_ID_SIZE], fp[TSR_FINGERPRINT_SIZE], want[TSR_HASH_HEX_SIZE];
    uint8_t h[TSR_HASH_LEN];
    tsr_hash256(h, kp.pk, TSR_PK_LEN);
    tsr_hex_encode(want, sizeof want, h, TSR_HASH_LEN);
    tsr_key_id(kp.pk, id);
    tsr_key_fingerprint(kp.pk, fp);
    ck_assert_uint_eq(strlen(id), 16);
    ck_assert_int_eq(strncmp(id, want, 16), 0);
    ck_assert_str_eq(fp, want);
    seeded_keypair(&kp, 5);
    seeded_keypair(&again, 5);
    seeded_keypair(&other, 6);
    ck_assert_mem_eq(kp.sk, again.sk, TSR_SK_LEN);
    ck_assert(memcmp(kp.pk, other.pk, TSR_PK_LEN) != 0);
    tsr_wipe(&kp, sizeof kp);
    uint8_t zeros[sizeof kp] = {0};
    ck_assert_mem_eq(&kp, zeros, sizeof kp);
}
END_TEST

START_TEST(names_are_validated)
{
    ck_assert(tsr_name_valid("node-1"));
    ck_assert(tsr_name_valid("a.b_C-9"));
    ck_assert(tsr_name_valid("1234567890123456789012345678901")); /* 31 */
    ck_assert(!tsr_name_valid("12345678901234567890123456789012"));
    ck_assert(!tsr_name_valid(""));
    ck_assert(!tsr_name_valid(NULL));
    ck_assert(!tsr_name_valid("a b"));
    ck_assert(!tsr_name_valid("a/b"));
    ck_assert(!tsr_name_valid("caf\xc3\xa9"));
}
END_TEST

START_TEST(key_files_round_trip_with_modes)
{
    tsr_keypair kp, back;
    rfc_keypair(&kp);
    char sec[300], pub[300];
    path_in(sec, sizeof sec, "k.key");
    path_in(pub, sizeof pub, "k.pub");
    ck_assert_int_eq(tsr_key_write_secret(sec, &kp), TSR_OK);
    ck_assert_int_eq(tsr_key_write_public(pub, kp.pk), TSR_OK);
    ck_assert_int_eq(mode_of(sec), 0600);
    ck_assert_int_eq(mode_of(pub), 0644);
    ck_assert_int_eq(tsr_key_read_secret(sec, &back), TSR_OK);
    ck_assert_mem_eq(&back, &kp, sizeof kp);
    uint8_t pk[TSR_PK_LEN];
    ck_assert_int_eq(tsr_key_read_public(pub, pk), TSR_OK);
    ck_assert_mem_eq(pk, kp.pk, TSR_PK_LEN);
    /* Never overwritten in place. */
    ck_assert_int_eq(tsr_key_write_secret(sec, &kp), TSR_ERR_EXISTS);
    ck_assert_int_eq(tsr_key_write_public(pub, kp.pk), TSR_ERR_EXISTS);
    char nodir[300];
    path_in(nodir, sizeof nodir, "no/such/dir/k.key");
    ck_assert_int_eq(tsr_key_write_secret(nodir, &kp), TSR_ERR_IO);
}
END_TEST

START_TEST(secret_readable_by_others_is_refused)
{
    tsr_keypair kp, back;
    rfc_keypair(&kp);
    char sec[300];
    path_in(sec, sizeof sec, "k.key");
    ck_assert_int_eq(tsr_key_write_secret(sec, &kp), TSR_OK);
    static const mode_t bad[] = {0644, 0640, 0604, 0610, 0601, 0700 | 0020};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(chmod(sec, bad[i]), 0);
        ck_assert_int_eq(tsr_key_read_secret(sec, &back), TSR_ERR_KEY_PERMS);
    }
    ck_assert_int_eq(chmod(sec, 0400), 0);
    ck_assert_int_eq(tsr_key_read_secret(sec, &back), TSR_OK);
    /* A public key file needs no such protection. */
    char pub[300];
    path_in(pub, sizeof pub, "k.pub");
    ck_assert_int_eq(tsr_key_write_public(pub, kp.pk), TSR_OK);
    uint8_t pk[TSR_PK_LEN];
    ck_assert_int_eq(tsr_key_read_public(pub, pk), TSR_OK);
}
END_TEST

/* Writes `text` as a 0600 file and expects reading it as a secret key to
 * fail with TSR_ERR_KEY_FILE. */
static void expect_bad_secret(const char *name, const char *text)
{
    char p[300];
    tsr_keypair kp;
    path_in(p, sizeof p, name);
    write_raw(p, text, 0600);
    ck_assert_int_eq(tsr_key_read_secret(p, &kp), TSR_ERR_KEY_FILE);
}

START_TEST(malformed_key_files_are_refused)
{
    tsr_keypair kp, other;
    rfc_keypair(&kp);
    seeded_keypair(&other, 3);
    char id[TSR_KEY_ID_SIZE], other_id[TSR_KEY_ID_SIZE], sk[129], text[600];
    tsr_key_id(kp.pk, id);
    tsr_key_id(other.pk, other_id);
    tsr_hex_encode(sk, sizeof sk, kp.sk, TSR_SK_LEN);
    tsr_keypair back;
    char missing[300];
    path_in(missing, sizeof missing, "missing.key");
    ck_assert_int_eq(tsr_key_read_secret(missing, &back), TSR_ERR_KEY_FILE);
    expect_bad_secret("empty", "");
    expect_bad_secret("notjson", "hello");
    snprintf(text, sizeof text, "{\"type\":\"ed25519-secret\",\"key_id\":\"%s\",\"sk\":\"%s\"}",
             other_id, sk);
    expect_bad_secret("idmismatch", text);
    snprintf(text, sizeof text, "{\"type\":\"ed25519-public\",\"key_id\":\"%s\",\"sk\":\"%s\"}", id,
             sk);
    expect_bad_secret("wrongtype", text);
    snprintf(text, sizeof text,
             "{\"type\":\"ed25519-secret\",\"key_id\":\"%s\",\"sk\":\"%s\",\"x\":1}", id, sk);
    expect_bad_secret("unknownfield", text);
    snprintf(text, sizeof text, "{\"type\":\"ed25519-secret\",\"key_id\":\"%s\"}", id);
    expect_bad_secret("nosk", text);
    snprintf(text, sizeof text, "{\"type\":\"ed25519-secret\",\"key_id\":\"%s\",\"sk\":\"%.126s\"}",
             id, sk);
    expect_bad_secret("shortsk", text);
    /* The seed of one key with the public half of another. */
    char mixed[129];
    memcpy(mixed, sk, 64);
    tsr_hex_encode(mixed + 64, sizeof mixed - 64, other.pk, TSR_PK_LEN);
    snprintf(text, sizeof text, "{\"type\":\"ed25519-secret\",\"key_id\":\"%s\",\"sk\":\"%s\"}",
             other_id, mixed);
    expect_bad_secret("mixed", text);
    /* Public file whose id does not match its key. */
    char pub[300], pkhex[65];
    path_in(pub, sizeof pub, "bad.pub");
    snprintf(text, sizeof text, "{\"type\":\"ed25519-public\",\"key_id\":\"%s\",\"pk\":\"%s\"}",
             other_id, tsr_hex_encode(pkhex, sizeof pkhex, kp.pk, TSR_PK_LEN));
    write_raw(pub, text, 0644);
    uint8_t pk[TSR_PK_LEN];
    ck_assert_int_eq(tsr_key_read_public(pub, pk), TSR_ERR_KEY_FILE);
    ck_assert_int_eq(tsr_key_read_public(dir, pk), TSR_ERR_KEY_FILE); /* a directory */
}
END_TEST

START_TEST(secret_files_and_psks)
{
    char p[300], t[300];
    path_in(p, sizeof p, "blob");
    ck_assert_int_eq(tsr_secret_file_write(p, "secret", 6), TSR_OK);
    ck_assert_int_eq(mode_of(p), 0600);
    char buf[16];
    size_t n;
    ck_assert_int_eq(tsr_secret_file_read(p, buf, sizeof buf, &n), TSR_OK);
    ck_assert_uint_eq(n, 6);
    ck_assert_mem_eq(buf, "secret", 6);
    ck_assert_int_eq(tsr_secret_file_read(p, buf, 5, &n), TSR_ERR_KEY_FILE); /* too big */
    ck_assert_int_eq(tsr_secret_file_write(p, "x", 1), TSR_ERR_EXISTS);
    tsr_psk psk = {.identity = "term-1"}, back;
    memset(psk.key, 0x5a, sizeof psk.key);
    path_in(p, sizeof p, "term-1.psk");
    ck_assert_int_eq(tsr_psk_write(p, &psk), TSR_OK);
    ck_assert_int_eq(mode_of(p), 0600);
    ck_assert_int_eq(tsr_psk_read(p, &back), TSR_OK);
    ck_assert_mem_eq(&back, &psk, sizeof psk);
    ck_assert_int_eq(chmod(p, 0644), 0);
    ck_assert_int_eq(tsr_psk_read(p, &back), TSR_ERR_KEY_PERMS);
    tsr_psk bad = {.identity = "term 1"};
    path_in(p, sizeof p, "bad.psk");
    ck_assert_int_eq(tsr_psk_write(p, &bad), TSR_ERR_ARG);
    tsr_psk table[3] = {{.identity = "term-1"}, {.identity = "term-2"}, {.identity = "term-3"}};
    for (int i = 0; i < 3; i++)
        memset(table[i].key, i + 1, TSR_PSK_LEN);
    path_in(t, sizeof t, "psk-table.json");
    ck_assert_int_eq(tsr_psk_table_write(t, table, 0), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_psk_table_write(t, table, 3), TSR_OK);
    tsr_psk got[4];
    ck_assert_int_eq(tsr_psk_table_read(t, got, 4, &n), TSR_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_mem_eq(got, table, sizeof table);
    ck_assert_int_eq(tsr_psk_table_read(t, got, 2, &n), TSR_ERR_KEY_FILE); /* over cap */
    ck_assert_uint_eq(n, 0);
    path_in(t, sizeof t, "dup.json");
    write_raw(t,
              "{\"type\":\"dtls-psk-table\",\"psks\":[{\"identity\":\"a\",\"psk\":\"" PK_HEX
              "\"},{\"identity\":\"a\",\"psk\":\"" PK_HEX "\"}]}",
              0600);
    ck_assert_int_eq(tsr_psk_table_read(t, got, 4, &n), TSR_ERR_KEY_FILE);
}
END_TEST

START_TEST(keyring_pins_and_finds_keys)
{
    tsr_keyring *kr;
    ck_assert_int_eq(tsr_keyring_create(&kr), TSR_OK);
    tsr_keypair a, b;
    seeded_keypair(&a, 1);
    seeded_keypair(&b, 2);
    char ida[TSR_KEY_ID_SIZE], idb[TSR_KEY_ID_SIZE];
    tsr_key_id(a.pk, ida);
    tsr_key_id(b.pk, idb);
    uint8_t pk[TSR_PK_LEN];
    ck_assert_int_eq(tsr_keyring_find(kr, ida, pk), TSR_ERR_KEY_UNKNOWN);
    ck_assert_int_eq(tsr_keyring_add(kr, a.pk, "node-1"), TSR_OK);
    ck_assert_int_eq(tsr_keyring_add(kr, a.pk, "node-1"), TSR_OK); /* idempotent */
    ck_assert_int_eq(tsr_keyring_add(kr, b.pk, "node-1"), TSR_ERR_EXISTS);
    ck_assert_int_eq(tsr_keyring_add(kr, a.pk, "node-2"), TSR_ERR_EXISTS);
    ck_assert_int_eq(tsr_keyring_add(kr, b.pk, "bad name"), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_keyring_add(kr, b.pk, NULL), TSR_OK);
    ck_assert_int_eq(tsr_keyring_add(kr, b.pk, NULL), TSR_OK);
    ck_assert_uint_eq(tsr_keyring_count(kr), 2);
    ck_assert_int_eq(tsr_keyring_find(kr, ida, pk), TSR_OK);
    ck_assert_mem_eq(pk, a.pk, TSR_PK_LEN);
    ck_assert_int_eq(tsr_keyring_find(kr, idb, pk), TSR_OK);
    ck_assert_mem_eq(pk, b.pk, TSR_PK_LEN);
    ck_assert_int_eq(tsr_keyring_find_name(kr, "node-1", pk), TSR_OK);
    ck_assert_mem_eq(pk, a.pk, TSR_PK_LEN);
    ck_assert_int_eq(tsr_keyring_find_name(kr, "node-2", pk), TSR_ERR_KEY_UNKNOWN);
    ck_assert_int_eq(tsr_keyring_find_name(kr, "", pk), TSR_ERR_KEY_UNKNOWN);
    ck_assert_int_eq(tsr_keyring_find(kr, NULL, pk), TSR_ERR_KEY_UNKNOWN);
    ck_assert_int_eq(tsr_keyring_find(kr, "0000000000000000", pk), TSR_ERR_KEY_UNKNOWN);
    char pub[300];
    tsr_keypair c;
    seeded_keypair(&c, 3);
    path_in(pub, sizeof pub, "c.pub");
    ck_assert_int_eq(tsr_key_write_public(pub, c.pk), TSR_OK);
    ck_assert_int_eq(tsr_keyring_add_file(kr, pub, "central"), TSR_OK);
    ck_assert_int_eq(tsr_keyring_find_name(kr, "central", pk), TSR_OK);
    path_in(pub, sizeof pub, "none.pub");
    ck_assert_int_eq(tsr_keyring_add_file(kr, pub, NULL), TSR_ERR_KEY_FILE);
    tsr_keyring_destroy(kr);
    tsr_keyring_destroy(NULL);
}
END_TEST

START_TEST(keyring_is_bounded)
{
    tsr_keyring *kr;
    ck_assert_int_eq(tsr_keyring_create(&kr), TSR_OK);
    uint8_t pk[TSR_PK_LEN] = {0};
    for (uint32_t i = 0; i < TSR_KEYRING_MAX; i++) {
        memcpy(pk, &i, sizeof i);
        ck_assert_int_eq(tsr_keyring_add(kr, pk, NULL), TSR_OK);
    }
    pk[10] = 1;
    ck_assert_int_eq(tsr_keyring_add(kr, pk, NULL), TSR_ERR_TOO_LARGE);
    tsr_keyring_destroy(kr);
}
END_TEST

/* Writes a manifest of two keys (roles node and draw-authority). */
static void write_manifest(const char *path, const tsr_keypair *n1, const tsr_keypair *da,
                           bool corrupt_fp)
{
    char text[2000], id1[TSR_KEY_ID_SIZE], id2[TSR_KEY_ID_SIZE], fp1[TSR_FINGERPRINT_SIZE],
        fp2[TSR_FINGERPRINT_SIZE], pk1[65], pk2[65];
    tsr_key_id(n1->pk, id1);
    tsr_key_id(da->pk, id2);
    tsr_key_fingerprint(n1->pk, fp1);
    tsr_key_fingerprint(da->pk, fp2);
    if (corrupt_fp)
        fp2[0] = fp2[0] == 'a' ? 'b' : 'a';
    tsr_hex_encode(pk1, sizeof pk1, n1->pk, TSR_PK_LEN);
    tsr_hex_encode(pk2, sizeof pk2, da->pk, TSR_PK_LEN);
    snprintf(text, sizeof text,
             "{\"type\":\"tessera-keyset\",\"version\":1,\"keys\":["
             "{\"name\":\"node-1\",\"role\":\"node\",\"key_id\":\"%s\",\"fingerprint\":\"%s\","
             "\"pk\":\"%s\"},"
             "{\"name\":\"draw-authority\",\"role\":\"draw-authority\",\"key_id\":\"%s\","
             "\"fingerprint\":\"%s\",\"pk\":\"%s\"}]}",
             id1, fp1, pk1, id2, fp2, pk2);
    write_raw(path, text, 0644);
}

START_TEST(keyring_loads_a_manifest_by_role)
{
    tsr_keypair n1, da;
    seeded_keypair(&n1, 21);
    seeded_keypair(&da, 22);
    char m[300];
    path_in(m, sizeof m, "manifest.json");
    write_manifest(m, &n1, &da, false);
    tsr_keyring *kr;
    uint8_t pk[TSR_PK_LEN];
    ck_assert_int_eq(tsr_keyring_create(&kr), TSR_OK);
    ck_assert_int_eq(tsr_keyring_load_manifest(kr, m, "draw-authority"), TSR_OK);
    ck_assert_uint_eq(tsr_keyring_count(kr), 1);
    ck_assert_int_eq(tsr_keyring_find_name(kr, "draw-authority", pk), TSR_OK);
    ck_assert_mem_eq(pk, da.pk, TSR_PK_LEN);
    ck_assert_int_eq(tsr_keyring_find_name(kr, "node-1", pk), TSR_ERR_KEY_UNKNOWN);
    ck_assert_int_eq(tsr_keyring_load_manifest(kr, m, "witness"), TSR_ERR_NOT_FOUND);
    ck_assert_int_eq(tsr_keyring_load_manifest(kr, m, NULL), TSR_OK);
    ck_assert_uint_eq(tsr_keyring_count(kr), 2);
    tsr_keyring_destroy(kr);
    ck_assert_int_eq(tsr_keyring_create(&kr), TSR_OK);
    path_in(m, sizeof m, "bad.json");
    write_manifest(m, &n1, &da, true);
    ck_assert_int_eq(tsr_keyring_load_manifest(kr, m, NULL), TSR_ERR_KEY_FILE);
    write_raw(m, "{\"type\":\"other\",\"keys\":[]}", 0644);
    ck_assert_int_eq(tsr_keyring_load_manifest(kr, m, NULL), TSR_ERR_KEY_FILE);
    path_in(m, sizeof m, "absent.json");
    ck_assert_int_eq(tsr_keyring_load_manifest(kr, m, NULL), TSR_ERR_KEY_FILE);
    tsr_keyring_destroy(kr);
}
END_TEST

static Suite *keys_suite(void)
{
    Suite *s = suite_create("keys");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, rfc8032_test_1);
    tcase_add_test(tc, every_flipped_byte_of_signature_or_message_fails);
    tcase_add_test(tc, key_id_is_hash_prefix_and_generation_follows_the_rng);
    tcase_add_test(tc, names_are_validated);
    tcase_add_test(tc, key_files_round_trip_with_modes);
    tcase_add_test(tc, secret_readable_by_others_is_refused);
    tcase_add_test(tc, malformed_key_files_are_refused);
    tcase_add_test(tc, secret_files_and_psks);
    tcase_add_test(tc, keyring_pins_and_finds_keys);
    tcase_add_test(tc, keyring_is_bounded);
    tcase_add_test(tc, keyring_loads_a_manifest_by_role);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(keys_suite()); }

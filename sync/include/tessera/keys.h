/*
 * Keys and signatures: Ed25519 (libsodium) key pairs, their ids, their files,
 * the keyring of pinned public keys, and the DTLS pre-shared keys of retail
 * terminals.
 *
 * Key id: lowercase hex of the first 8 bytes of BLAKE2b-256(pk), 16 chars.
 * Fingerprint: lowercase hex of all 32 bytes of BLAKE2b-256(pk), 64 chars.
 *
 * File formats (one JSON object per file, written by tessera keygen):
 *   secret key  {"type":"ed25519-secret","key_id":"<16 hex>","sk":"<128 hex>"}
 *               mode 0600; sk is libsodium's 64-byte secret key
 *               (32-byte seed || public key).
 *   public key  {"type":"ed25519-public","key_id":"<16 hex>","pk":"<64 hex>"}
 *   DTLS PSK    {"type":"dtls-psk","identity":"term-1","psk":"<64 hex>"}
 *               mode 0600.
 *   PSK table   {"type":"dtls-psk-table","psks":[{"identity":..,"psk":..},..]}
 *               mode 0600; what a node loads to accept its terminals.
 * Readers are strict: unknown or missing fields, a wrong type string, a key
 * id that does not match the key, or a secret key whose public half does not
 * match its seed are all TSR_ERR_KEY_FILE. Secret files readable by group or
 * others are refused with TSR_ERR_KEY_PERMS before their content is read.
 *
 * Sign, verify and key ids are pure and thread-safe; a keyring is immutable
 * once loaded, so concurrent lookups are safe.
 */
#ifndef TESSERA_KEYS_H
#define TESSERA_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/rng.h"
#include "tessera/status.h"

#define TSR_PK_LEN 32
#define TSR_SK_LEN 64
#define TSR_SEED_LEN 32
#define TSR_SIG_LEN 64
/* Key id: 16 hex characters (64 bits of the key's hash): short enough for
 * logs and JSON, long enough that ids of a deployment's few thousand keys
 * never collide by chance. */
#define TSR_KEY_ID_LEN 16
#define TSR_KEY_ID_SIZE (TSR_KEY_ID_LEN + 1)
#define TSR_FINGERPRINT_SIZE 65

/* A key file is a few hundred bytes; anything larger is not one of ours. */
#define TSR_KEY_FILE_MAX 4096
/* A PSK table holds one entry per terminal of a node; a node serves at most
 * a few thousand shops (see TSR_PSK_TABLE_MAX), ~130 bytes per entry. */
#define TSR_PSK_TABLE_FILE_MAX (1024 * 1024)
/* Pinned keys of a deployment: central, draw authority, witnesses and one
 * per node; 4096 leaves room for thousands of nodes. */
#define TSR_KEYRING_MAX 4096
/* Terminals one node may serve (the PSK table size). */
#define TSR_PSK_TABLE_MAX 8192
/* DTLS PSK: 32 random bytes (256 bits). */
#define TSR_PSK_LEN 32
/* PSK identity "term-<n>": at most 31 characters of [A-Za-z0-9._-]. */
#define TSR_PSK_IDENTITY_MAX 32
/* Role or name attached to a pinned key ("node-1", "central"): as above. */
#define TSR_KEY_NAME_MAX 32

typedef struct tsr_keypair {
    uint8_t pk[TSR_PK_LEN];
    uint8_t sk[TSR_SK_LEN]; /* seed || pk, libsodium layout */
} tsr_keypair;

typedef struct tsr_psk {
    char identity[TSR_PSK_IDENTITY_MAX];
    uint8_t key[TSR_PSK_LEN];
} tsr_psk;

/* ---- ids and signatures ---------------------------------------------- */

/* Writes the 16-char key id of pk plus a NUL into out. */
void tsr_key_id(const uint8_t pk[TSR_PK_LEN], char out[TSR_KEY_ID_SIZE]);

/* Writes the 64-char fingerprint (hex BLAKE2b-256 of pk) plus a NUL. */
void tsr_key_fingerprint(const uint8_t pk[TSR_PK_LEN], char out[TSR_FINGERPRINT_SIZE]);

/* The key pair whose seed is `seed` (deterministic; RFC 8032 vectors). */
void tsr_keypair_from_seed(tsr_keypair *out, const uint8_t seed[TSR_SEED_LEN]);

/* A new key pair from 32 bytes of `rng` (borrowed). Production key
 * generation passes the real RNG and checks tsr_rng_require_real first;
 * tests pass a seeded one for reproducible keys. */
void tsr_keypair_generate(tsr_keypair *out, tsr_rng *rng);

/* Overwrites a key pair (or any secret) with zeros in a way the compiler
 * does not remove. */
void tsr_wipe(void *secret, size_t len);

/* sig = Ed25519 signature of msg[0..len) by kp. */
void tsr_sign(const tsr_keypair *kp, const void *msg, size_t len, uint8_t sig[TSR_SIG_LEN]);

/* TSR_OK when sig is pk's signature of msg[0..len), else TSR_ERR_SIGNATURE
 * (also for a malformed or small-order public key). */
tsr_status tsr_verify(const uint8_t pk[TSR_PK_LEN], const void *msg, size_t len,
                      const uint8_t sig[TSR_SIG_LEN]) TSR_MUST_CHECK;

/* ---- files ------------------------------------------------------------- */

/* Writes a secret (any bytes) to a new file created with O_CREAT|O_EXCL and
 * mode 0600, fsyncs it and its directory. TSR_ERR_EXISTS when the path
 * exists (secrets are never overwritten in place), TSR_ERR_IO otherwise. */
tsr_status tsr_secret_file_write(const char *path, const void *data, size_t len) TSR_MUST_CHECK;

/* Reads a secret file of at most cap bytes into buf (*len_out bytes).
 * TSR_ERR_KEY_FILE when missing or larger than cap, TSR_ERR_KEY_PERMS when
 * group or others have any permission bit, TSR_ERR_IO on a read error. */
tsr_status tsr_secret_file_read(const char *path, void *buf, size_t cap,
                                size_t *len_out) TSR_MUST_CHECK;

/* Writes kp's secret key file (mode 0600, see formats above).
 * TSR_ERR_EXISTS / TSR_ERR_IO as tsr_secret_file_write. */
tsr_status tsr_key_write_secret(const char *path, const tsr_keypair *kp) TSR_MUST_CHECK;

/* Writes pk's public key file (mode 0644, O_EXCL, fsynced). */
tsr_status tsr_key_write_public(const char *path, const uint8_t pk[TSR_PK_LEN]) TSR_MUST_CHECK;

/* Reads a secret key file into *out. TSR_ERR_KEY_PERMS (mode has group or
 * other bits), TSR_ERR_KEY_FILE (missing, malformed, key id mismatch, seed
 * and public half disagree). */
tsr_status tsr_key_read_secret(const char *path, tsr_keypair *out) TSR_MUST_CHECK;

/* Reads a public key file into pk. TSR_ERR_KEY_FILE when missing, malformed
 * or its key id does not match. */
tsr_status tsr_key_read_public(const char *path, uint8_t pk[TSR_PK_LEN]) TSR_MUST_CHECK;

/* True when s is 1..31 characters of [A-Za-z0-9._-] (names of nodes,
 * games, terminals, PSK identities, keyring names). */
bool tsr_name_valid(const char *s);

/* Writes one terminal's PSK file (mode 0600). TSR_ERR_ARG for an invalid
 * identity; else as tsr_secret_file_write. */
tsr_status tsr_psk_write(const char *path, const tsr_psk *psk) TSR_MUST_CHECK;

/* Reads one terminal's PSK file. TSR_ERR_KEY_PERMS, TSR_ERR_KEY_FILE. */
tsr_status tsr_psk_read(const char *path, tsr_psk *out) TSR_MUST_CHECK;

/* Writes a PSK table (mode 0600) of n entries. TSR_ERR_ARG for n == 0,
 * n > TSR_PSK_TABLE_MAX or an invalid identity; else as
 * tsr_secret_file_write. */
tsr_status tsr_psk_table_write(const char *path, const tsr_psk *psks, size_t n) TSR_MUST_CHECK;

/* Reads a PSK table into out[0..cap) and its entry count into *n.
 * TSR_ERR_KEY_PERMS, TSR_ERR_KEY_FILE (malformed, duplicate identity, more
 * than cap entries). */
tsr_status tsr_psk_table_read(const char *path, tsr_psk *out, size_t cap,
                              size_t *n) TSR_MUST_CHECK;

/* ---- keyring: pinned public keys ---------------------------------------- */

typedef struct tsr_keyring tsr_keyring;

/* An empty keyring. Owns *out (free with tsr_keyring_destroy). */
tsr_status tsr_keyring_create(tsr_keyring **out) TSR_MUST_CHECK;

/* Frees a keyring; NULL-safe. */
void tsr_keyring_destroy(tsr_keyring *kr);

/* Pins pk, optionally under `name` (copied; NULL for none). Adding the same
 * key with the same name again is a no-op. TSR_ERR_ARG for an invalid name,
 * TSR_ERR_EXISTS when the name or the key id is already pinned to something
 * else, TSR_ERR_TOO_LARGE beyond TSR_KEYRING_MAX keys. */
tsr_status tsr_keyring_add(tsr_keyring *kr, const uint8_t pk[TSR_PK_LEN],
                           const char *name) TSR_MUST_CHECK;

/* Pins the key of a public key file, under `name` (may be NULL).
 * TSR_ERR_KEY_FILE plus the errors of tsr_keyring_add. */
tsr_status tsr_keyring_add_file(tsr_keyring *kr, const char *path,
                                const char *name) TSR_MUST_CHECK;

/* Pins the keys listed in a tessera keygen manifest.json whose role is
 * `role` ("central", "draw-authority", "witness", "node"; NULL for every
 * role), each under its manifest name ("node-3", "draw-authority", ...).
 * The manifest's key ids and fingerprints are checked against the keys.
 * TSR_ERR_KEY_FILE for a missing or malformed manifest, TSR_ERR_NOT_FOUND
 * when no key has that role, plus the errors of tsr_keyring_add. */
tsr_status tsr_keyring_load_manifest(tsr_keyring *kr, const char *manifest_path,
                                     const char *role) TSR_MUST_CHECK;

/* Copies the pinned key with this id into pk_out. TSR_ERR_KEY_UNKNOWN when
 * none is pinned (or key_id is NULL or malformed). */
tsr_status tsr_keyring_find(const tsr_keyring *kr, const char *key_id,
                            uint8_t pk_out[TSR_PK_LEN]) TSR_MUST_CHECK;

/* Copies the key pinned under `name` (e.g. a node's name) into pk_out.
 * TSR_ERR_KEY_UNKNOWN when none is. */
tsr_status tsr_keyring_find_name(const tsr_keyring *kr, const char *name,
                                 uint8_t pk_out[TSR_PK_LEN]) TSR_MUST_CHECK;

/* Number of pinned keys. */
size_t tsr_keyring_count(const tsr_keyring *kr);

#endif

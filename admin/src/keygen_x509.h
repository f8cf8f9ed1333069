/* Private to tessera keygen: the deployment CA and TLS certificates
 * (ECDSA P-256, SHA-256, mbedTLS 2.28 x509write). */
#ifndef TESSERA_KEYGEN_X509_H
#define TESSERA_KEYGEN_X509_H

#include <stdbool.h>
#include <stdint.h>

#include "tessera/rng.h"
#include "tessera/status.h"

/* Validity: the CA outlives every certificate it signs; leaf certificates
 * are renewed by re-running keygen for a node well within 2 years. */
#define TSR_KG_CA_DAYS 3650
#define TSR_KG_LEAF_DAYS 730

typedef struct tsr_kg_key tsr_kg_key;

/* A new P-256 key drawn from rng (borrowed, must outlive the key). Owns *out. */
tsr_status tsr_kg_key_generate(tsr_kg_key **out, tsr_rng *rng) TSR_MUST_CHECK;

/* Frees and wipes a key; NULL-safe. */
void tsr_kg_key_destroy(tsr_kg_key *k);

/* Writes the key as PEM (SEC1 "EC PRIVATE KEY") to a new 0600 file. */
tsr_status tsr_kg_key_write(const tsr_kg_key *k, const char *path) TSR_MUST_CHECK;

/* What a certificate says. */
typedef struct tsr_kg_cert_req {
    const char *cn;        /* subject CN, also its DNS subjectAltName for leaves */
    const tsr_kg_key *key; /* subject key */
    const char *issuer_cn; /* == cn for the self-signed CA */
    const tsr_kg_key *issuer_key;
    bool is_ca;
    int64_t now_ns; /* notBefore; notAfter = now + days */
    int days;
} tsr_kg_cert_req;

/* Writes the certificate as PEM to a new 0644 file and its SHA-256
 * fingerprint (of the DER) as 64 hex chars into sha256_hex. Leaves carry
 * subjectAltName DNS:<cn>, DNS:localhost, IP:127.0.0.1 (the local demo and
 * tests), serverAuth and clientAuth. */
tsr_status tsr_kg_cert_write(const tsr_kg_cert_req *req, const char *path,
                             char sha256_hex[65]) TSR_MUST_CHECK;

#endif

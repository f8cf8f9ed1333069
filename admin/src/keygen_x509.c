/* The deployment CA and TLS certificates for tessera keygen. */
#include "keygen_x509.h"

#include <mbedtls/asn1write.h>
#include <mbedtls/ecp.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "tessera/hash.h"
#include "tessera/keys.h"

/* PEM of a P-256 key or certificate is well under 4 KiB. */
#define PEM_MAX 4096

struct tsr_kg_key {
    mbedtls_pk_context pk;
    tsr_rng *rng;
};

/* mbedTLS's RNG callback over our seam. */
static int rng_cb(void *ctx, unsigned char *buf, size_t len)
{
    tsr_rng_bytes(ctx, buf, len);
    return 0;
}

tsr_status tsr_kg_key_generate(tsr_kg_key **out, tsr_rng *rng)
{
    tsr_kg_key *k = calloc(1, sizeof *k);
    *out = NULL;
    if (!k)
        return TSR_ERR_NOMEM;
    k->rng = rng;
    mbedtls_pk_init(&k->pk);
    if (mbedtls_pk_setup(&k->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
        mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(k->pk), rng_cb, rng) != 0) {
        tsr_kg_key_destroy(k);
        return TSR_ERR_INTERNAL;
    }
    *out = k;
    return TSR_OK;
}

void tsr_kg_key_destroy(tsr_kg_key *k)
{
    if (!k)
        return;
    mbedtls_pk_free(&k->pk); /* zeroizes the private scalar */
    free(k);
}

tsr_status tsr_kg_key_write(const tsr_kg_key *k, const char *path)
{
    unsigned char pem[PEM_MAX];
    tsr_status st = TSR_ERR_INTERNAL;
    if (mbedtls_pk_write_key_pem((mbedtls_pk_context *)&k->pk, pem, sizeof pem) == 0)
        st = tsr_secret_file_write(path, pem, strlen((char *)pem));
    tsr_wipe(pem, sizeof pem);
    return st;
}

/* "YYYYMMDDhhmmss" in UTC, as x509write wants validity. */
static void x509_time(int64_t unix_s, char out[15])
{
    time_t t = (time_t)unix_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 15, "%Y%m%d%H%M%S", &tm);
}

/* DER of SubjectAltName: DNS:cn, DNS:localhost, IP:127.0.0.1. Written
 * backwards, as mbedTLS's asn1write does; *p ends at the start. */
static int san_der(const char *cn, unsigned char *buf, size_t size, unsigned char **p)
{
    static const unsigned char loopback[4] = {127, 0, 0, 1};
    *p = buf + size;
    int len = 0, r;
#define W(expr)                                                                                    \
    do {                                                                                           \
        if ((r = (expr)) < 0)                                                                      \
            return r;                                                                              \
        len += r;                                                                                  \
    } while (0)
    int part = 0;
    W(part = mbedtls_asn1_write_raw_buffer(p, buf, loopback, 4));
    W(mbedtls_asn1_write_len(p, buf, (size_t)part));
    W(mbedtls_asn1_write_tag(p, buf, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7));
    W(part = mbedtls_asn1_write_raw_buffer(p, buf, (const unsigned char *)"localhost", 9));
    W(mbedtls_asn1_write_len(p, buf, (size_t)part));
    W(mbedtls_asn1_write_tag(p, buf, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2));
    W(part = mbedtls_asn1_write_raw_buffer(p, buf, (const unsigned char *)cn, strlen(cn)));
    W(mbedtls_asn1_write_len(p, buf, (size_t)part));
    W(mbedtls_asn1_write_tag(p, buf, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2));
    W(mbedtls_asn1_write_len(p, buf, (size_t)len));
    W(mbedtls_asn1_write_tag(p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
#undef W
    return len;
}

/* DER of ExtendedKeyUsage: serverAuth, clientAuth (nodes and central are
 * both TLS servers and clients of each other). */
static int eku_der(unsigned char *buf, size_t size, unsigned char **p)
{
    *p = buf + size;
    int len = 0, r;
    if ((r = mbedtls_asn1_write_oid(p, buf, MBEDTLS_OID_CLIENT_AUTH,
                                    MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH))) < 0)
        return r;
    len += r;
    if ((r = mbedtls_asn1_write_oid(p, buf, MBEDTLS_OID_SERVER_AUTH,
                                    MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH))) < 0)
        return r;
    len += r;
    if ((r = mbedtls_asn1_write_len(p, buf, (size_t)len)) < 0)
        return r;
    len += r;
    if ((r = mbedtls_asn1_write_tag(p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) < 0)
        return r;
    return len + r;
}

/* The leaf-only extensions. */
static int leaf_extensions(mbedtls_x509write_cert *crt, const char *cn)
{
    unsigned char buf[256], *p;
    int len = san_der(cn, buf, sizeof buf, &p);
    if (len < 0 || mbedtls_x509write_crt_set_extension(
                       crt, MBEDTLS_OID_SUBJECT_ALT_NAME, MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME),
                       0, p, (size_t)len) != 0)
        return -1;
    len = eku_der(buf, sizeof buf, &p);
    if (len < 0 || mbedtls_x509write_crt_set_extension(
                       crt, MBEDTLS_OID_EXTENDED_KEY_USAGE,
                       MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE), 0, p, (size_t)len) != 0)
        return -1;
    return mbedtls_x509write_crt_set_key_usage(crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE);
}

/* Fills in everything but the extensions specific to CA or leaf. */
static int set_fields(mbedtls_x509write_cert *crt, const tsr_kg_cert_req *req, mbedtls_mpi *serial)
{
    char subject[96], issuer[96], from[15], to[15];
    unsigned char sn[16];
    int64_t now_s = req->now_ns / 1000000000;
    tsr_rng_bytes(req->key->rng, sn, sizeof sn);
    sn[0] &= 0x7f; /* a positive INTEGER */
    sn[0] |= 0x01; /* and a full 16 bytes, never a leading zero */
    snprintf(subject, sizeof subject, "CN=%s,O=Tessera", req->cn);
    snprintf(issuer, sizeof issuer, "CN=%s,O=Tessera", req->issuer_cn);
    x509_time(now_s, from);
    x509_time(now_s + (int64_t)req->days * 86400, to);
    mbedtls_x509write_crt_set_version(crt, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(crt, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(crt, (mbedtls_pk_context *)&req->key->pk);
    mbedtls_x509write_crt_set_issuer_key(crt, (mbedtls_pk_context *)&req->issuer_key->pk);
    if (mbedtls_mpi_read_binary(serial, sn, sizeof sn) != 0 ||
        mbedtls_x509write_crt_set_serial(crt, serial) != 0 ||
        mbedtls_x509write_crt_set_subject_name(crt, subject) != 0 ||
        mbedtls_x509write_crt_set_issuer_name(crt, issuer) != 0 ||
        mbedtls_x509write_crt_set_validity(crt, from, to) != 0 ||
        mbedtls_x509write_crt_set_basic_constraints(crt, req->is_ca, req->is_ca ? 0 : -1) != 0 ||
        mbedtls_x509write_crt_set_subject_key_identifier(crt) != 0 ||
        mbedtls_x509write_crt_set_authority_key_identifier(crt) != 0)
        return -1;
    if (req->is_ca)
        return mbedtls_x509write_crt_set_key_usage(crt, MBEDTLS_X509_KU_KEY_CERT_SIGN |
                                                            MBEDTLS_X509_KU_CRL_SIGN);
    return leaf_extensions(crt, req->cn);
}

/* SHA-256 of the certificate's DER, parsed back from the PEM (which also
 * proves mbedTLS accepts what it wrote). */
static tsr_status fingerprint(const unsigned char *pem, char sha256_hex[65])
{
    mbedtls_x509_crt crt;
    unsigned char h[32];
    mbedtls_x509_crt_init(&crt);
    tsr_status st = TSR_ERR_INTERNAL;
    if (mbedtls_x509_crt_parse(&crt, pem, strlen((const char *)pem) + 1) == 0 &&
        mbedtls_sha256_ret(crt.raw.p, crt.raw.len, h, 0) == 0) {
        tsr_hex_encode(sha256_hex, 65, h, sizeof h);
        st = TSR_OK;
    }
    mbedtls_x509_crt_free(&crt);
    return st;
}

tsr_status tsr_kg_cert_write(const tsr_kg_cert_req *req, const char *path, char sha256_hex[65])
{
    mbedtls_x509write_cert crt;
    mbedtls_mpi serial;
    unsigned char pem[PEM_MAX];
    mbedtls_x509write_crt_init(&crt);
    mbedtls_mpi_init(&serial);
    tsr_status st = TSR_ERR_INTERNAL;
    if (set_fields(&crt, req, &serial) == 0 &&
        mbedtls_x509write_crt_pem(&crt, pem, sizeof pem, rng_cb, req->issuer_key->rng) == 0)
        st = fingerprint(pem, sha256_hex);
    mbedtls_x509write_crt_free(&crt);
    mbedtls_mpi_free(&serial);
    if (st != TSR_OK)
        return st;
    /* A certificate is public: write it like a public key, 0644. */
    st = tsr_secret_file_write(path, pem, strlen((char *)pem));
    if (st == TSR_OK && chmod(path, 0644) != 0)
        st = TSR_ERR_IO;
    return st;
}

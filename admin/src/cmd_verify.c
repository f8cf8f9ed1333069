/*
 * `tessera verify`: checks a published draw record from the record alone
 * (DESIGN.md invariant 5): recomputes the commitments from the reveals, the
 * manifest root from the seals (each with its node signature), the
 * entropy, the DRBG output and the numbers, and checks every signature.
 *
 *   tessera verify [--authority-key PUB.json] RECORD.json
 *
 * With --authority-key the record must also be signed by that pinned key;
 * without it the key the record names is used and its fingerprint printed,
 * to compare with the one the operator publishes. Exit 0 when everything
 * matches; otherwise non-zero, naming the first thing that does not.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "tessera/admin.h"
#include "tessera/draw.h"

int tsr_cmd_verify(int argc, char **argv);

static void usage(FILE *to)
{
    fprintf(to, "usage: tessera verify [--authority-key PUB.json] RECORD.json\n"
                "Recomputes a published draw record and checks every signature.\n");
}

static void print_numbers(const tsr_draw_record *r)
{
    for (uint32_t p = 0; p < r->numbers.pool_count; p++) {
        printf("  pool %u:", p + 1);
        for (uint32_t i = 0; i < r->numbers.len[p]; i++)
            printf("%s %" PRIu32, i == r->shape.pools[p].count ? " bonus" : "",
                   r->numbers.values[p][i]);
        printf("\n");
    }
}

static void print_ok(const tsr_draw_record *r, bool pinned)
{
    const tsr_draw_manifest *m = r->manifest;
    char fp[TSR_FINGERPRINT_SIZE], root[TSR_HASH_HEX_SIZE];
    tsr_key_fingerprint(m->authority_pk, fp);
    printf("ok: %s draw %u verifies\n", m->token.game, m->token.draw);
    printf("  seals: %u, manifest root %s\n", m->seal_count,
           tsr_hex_encode(root, sizeof root, m->root, TSR_HASH_LEN));
    printf("  witnesses: %u (plus the central seed)\n", r->witness_count);
    printf("  draw authority: %s (%s)\n", fp, pinned ? "pinned" : "as named by the record");
    print_numbers(r);
}

int tsr_cmd_verify(int argc, char **argv)
{
    const char *key = NULL, *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--authority-key") == 0 && i + 1 < argc) {
            key = argv[++i];
        } else if (argv[i][0] != '-' && !path) {
            path = argv[i];
        } else {
            usage(stderr);
            return EX_USAGE;
        }
    }
    if (!path) {
        usage(stderr);
        return EX_USAGE;
    }
    uint8_t pk[TSR_PK_LEN];
    if (key) {
        tsr_status st = tsr_key_read_public(key, pk);
        if (st != TSR_OK)
            return tsr_admin_fail("verify", st, key);
    }
    char why[TSR_DRAW_WHY_MAX] = "";
    tsr_draw_record *r;
    tsr_status st = tsr_draw_record_read_file(path, &r, why, sizeof why);
    if (st != TSR_OK)
        return tsr_admin_fail("verify", st, why);
    st = tsr_draw_record_verify(r, key ? pk : NULL, why, sizeof why);
    if (st == TSR_OK)
        print_ok(r, key != NULL);
    else
        fprintf(stderr, "tessera verify: FAILED: %s\n", why);
    tsr_draw_record_destroy(r);
    return tsr_status_exit_code(st);
}

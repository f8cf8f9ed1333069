/* The tessera-witness program: its own key and seed files, a commitment on
 * request, and a reveal only against the draw's signed manifest after the
 * cutoff (refused before the manifest exists, or for a forged one). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>

#include "../sync/draw_fixture.h"

static char prog[512];

/* tsr_test_sh* already return the exit code. */
static int exit_of(int code) { return code; }

static int64_t real_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * TSR_NS_PER_S + ts.tv_nsec;
}

typedef struct cli {
    char dir[256], wdir[300], key[300], manifest[300];
    tsr_keypair authority, node;
    tsr_witness_commitment c;
} cli;

static void cli_setup(cli *t)
{
    memset(t, 0, sizeof *t);
    tsr_test_tmpdir("witness-cli", t->dir, sizeof t->dir);
    snprintf(t->wdir, sizeof t->wdir, "%s/witness", t->dir);
    snprintf(t->key, sizeof t->key, "%s/authority.pub", t->dir);
    snprintf(t->manifest, sizeof t->manifest, "%s/manifest.json", t->dir);
    dfx_key(&t->authority, 0xA1);
    dfx_key(&t->node, 0x11);
    ck_assert_int_eq(tsr_key_write_public(t->key, t->authority.pk), TSR_OK);
    ck_assert_int_eq(tsr_test_sh("%s init --dir %s --authority-key %s", prog, t->wdir, t->key), 0);
    char out[4096];
    ck_assert_int_eq(tsr_test_sh_capture(out, sizeof out, "%s commit --dir %s --game %s --draw %u",
                                         prog, t->wdir, DFX_GAME, DFX_DRAW), 0);
    json_t *j = json_loads(out, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(tsr_witness_commitment_from_json(j, &t->c), TSR_OK);
    json_decref(j);
}

/* Writes a manifest for `draw` with its cutoff at `cutoff_ns`, signed by
 * `signer` (the token by the authority), and returns its root. */
static void write_manifest(cli *t, uint32_t draw, int64_t cutoff_ns, const tsr_keypair *signer,
                           uint8_t root[32])
{
    tsr_cutoff_token tok = {0};
    snprintf(tok.game, sizeof tok.game, "%s", DFX_GAME);
    tok.draw = draw;
    tok.sales_open_at_ns = cutoff_ns - 3600 * TSR_NS_PER_S;
    tok.cutoff_at_ns = cutoff_ns;
    tok.results_at_ns = cutoff_ns + 3600 * TSR_NS_PER_S;
    tok.issued_at_ns = tok.sales_open_at_ns;
    tok.witness_count = 1;
    memcpy(tok.witness_commitments[0], t->c.commitment, 32);
    ck_assert_int_eq(tsr_cutoff_token_sign(&tok, signer), TSR_OK);
    tsr_seal s = {0};
    snprintf(s.node, sizeof s.node, "node-1");
    snprintf(s.game, sizeof s.game, "%s", DFX_GAME);
    s.draw = draw;
    s.count = 1;
    s.first_seq = s.last_seq = 1;
    s.sealed_at_ns = cutoff_ns;
    tsr_draw_seal ds;
    ck_assert_int_eq(tsr_draw_seal_make(&ds, &s, &t->node), TSR_OK);
    tsr_draw_manifest *m;
    char why[TSR_DRAW_WHY_MAX];
    ck_assert_int_eq(tsr_draw_manifest_build(&m, &tok, &ds, 1, why, sizeof why), TSR_OK);
    ck_assert_int_eq(tsr_draw_manifest_sign(m, signer, cutoff_ns + 1), TSR_OK);
    memcpy(root, m->root, 32);
    json_t *j = tsr_draw_manifest_to_json(m);
    ck_assert_int_eq(json_dump_file(j, t->manifest, 0), 0);
    json_decref(j);
    tsr_draw_manifest_destroy(m);
}

static int reveal(cli *t, char *out, size_t len)
{
    return exit_of(tsr_test_sh_capture(out, len, "%s reveal --dir %s --manifest %s 2>&1", prog,
                                       t->wdir, t->manifest));
}

START_TEST(reveal_is_refused_until_the_signed_manifest_exists)
{
    cli t;
    cli_setup(&t);
    char out[8192];
    /* No manifest published yet. */
    ck_assert_int_eq(reveal(&t, out, sizeof out), EX_NOPERM);
    ck_assert_ptr_nonnull(strstr(out, "reveals only after"));
    ck_assert_int_eq(exit_of(tsr_test_sh_capture(out, sizeof out, "%s reveal --dir %s 2>&1", prog,
                                                 t.wdir)), EX_NOPERM);
    /* A manifest whose cutoff has not come. */
    uint8_t root[32];
    write_manifest(&t, DFX_DRAW, real_now_ns() + 3600 * TSR_NS_PER_S, &t.authority, root);
    ck_assert_int_eq(reveal(&t, out, sizeof out), EX_NOPERM);
    ck_assert_ptr_nonnull(strstr(out, "cutoff is in"));
    /* A manifest signed by someone else. */
    write_manifest(&t, DFX_DRAW, real_now_ns() - 60 * TSR_NS_PER_S, &t.node, root);
    ck_assert_int_eq(reveal(&t, out, sizeof out), EX_NOPERM);
    ck_assert_ptr_nonnull(strstr(out, "not the pinned one"));
    /* A draw this witness never committed to. */
    write_manifest(&t, DFX_DRAW + 1, real_now_ns() - 60 * TSR_NS_PER_S, &t.authority, root);
    ck_assert_int_eq(reveal(&t, out, sizeof out), EX_NOPERM);
    ck_assert_ptr_nonnull(strstr(out, "no commitment"));
    /* Not a manifest at all. */
    FILE *fp = fopen(t.manifest, "w");
    fputs("{\"type\":\"nonsense\"}", fp);
    fclose(fp);
    ck_assert_int_ne(reveal(&t, out, sizeof out), 0);
    tsr_test_rmtree(t.dir);
}
END_TEST

START_TEST(reveal_after_the_manifest_gives_a_checkable_entry_and_is_remembered)
{
    cli t;
    cli_setup(&t);
    char out[8192], again[8192];
    uint8_t root[32];
    write_manifest(&t, DFX_DRAW, real_now_ns() - 60 * TSR_NS_PER_S, &t.authority, root);
    ck_assert_int_eq(reveal(&t, out, sizeof out), 0);
    json_t *j = json_loads(out, 0, NULL);
    ck_assert_ptr_nonnull(j);
    tsr_draw_witness w;
    ck_assert_int_eq(tsr_draw_witness_from_json(json_object_get(j, "witness"), &w), TSR_OK);
    json_decref(j);
    char why[TSR_DRAW_WHY_MAX] = "";
    ck_assert_msg(tsr_draw_witness_check(&w, DFX_GAME, DFX_DRAW, root, why, sizeof why) == TSR_OK,
                  "%s", why);
    ck_assert_mem_eq(w.commitment, t.c.commitment, 32);
    ck_assert_int_eq(reveal(&t, again, sizeof again), 0);
    ck_assert_str_eq(out, again);
    /* The same draw, another manifest (other seal time, other root): refused. */
    write_manifest(&t, DFX_DRAW, real_now_ns() - 120 * TSR_NS_PER_S, &t.authority, root);
    ck_assert_int_eq(reveal(&t, out, sizeof out), EX_DATAERR);
    ck_assert_ptr_nonnull(strstr(out, "was revealed for manifest root"));
    /* Its files are private. */
    char path[400];
    struct stat sb;
    snprintf(path, sizeof path, "%s/witness.key", t.wdir);
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600);
    snprintf(path, sizeof path, "%s/seed-%s-%u.json", t.wdir, DFX_GAME, DFX_DRAW);
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600);
    tsr_test_rmtree(t.dir);
}
END_TEST

START_TEST(commit_is_stable_and_usage_errors_are_clear)
{
    cli t;
    cli_setup(&t);
    char out[4096];
    ck_assert_int_eq(tsr_test_sh_capture(out, sizeof out, "%s commit --dir %s --game %s --draw %u",
                                         prog, t.wdir, DFX_GAME, DFX_DRAW), 0);
    tsr_witness_commitment c2;
    json_t *j = json_loads(out, 0, NULL);
    ck_assert_int_eq(tsr_witness_commitment_from_json(j, &c2), TSR_OK);
    json_decref(j);
    ck_assert_mem_eq(c2.commitment, t.c.commitment, 32);
    ck_assert_int_eq(tsr_test_sh_capture(out, sizeof out, "%s pubkey --dir %s", prog, t.wdir), 0);
    ck_assert_ptr_nonnull(strstr(out, "\"pk\""));
    ck_assert_int_eq(exit_of(tsr_test_sh_capture(out, sizeof out, "%s 2>&1", prog)), EX_USAGE);
    ck_assert_int_eq(exit_of(tsr_test_sh_capture(out, sizeof out, "%s commit --dir %s --draw x 2>&1",
                                                 prog, t.wdir)), EX_USAGE);
    ck_assert_int_eq(exit_of(tsr_test_sh_capture(out, sizeof out, "%s commit --dir %s 2>&1", prog,
                                                 t.wdir)), EX_DATAERR);
    ck_assert_int_eq(exit_of(tsr_test_sh_capture(out, sizeof out, "%s init --dir %s --authority-key %s 2>&1",
                                                 prog, t.wdir, t.key)), EX_DATAERR); /* exists */
    ck_assert_int_eq(exit_of(tsr_test_sh_capture(out, sizeof out, "%s commit --dir %s/none --game g --draw 1 2>&1",
                                                 prog, t.dir)), EX_CONFIG);
    tsr_test_rmtree(t.dir);
}
END_TEST

static Suite *witness_cli_suite(void)
{
    tsr_test_bin("tessera-witness", prog, sizeof prog);
    Suite *s = suite_create("witness_cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, reveal_is_refused_until_the_signed_manifest_exists);
    tcase_add_test(tc, reveal_after_the_manifest_gives_a_checkable_entry_and_is_remembered);
    tcase_add_test(tc, commit_is_stable_and_usage_errors_are_clear);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(witness_cli_suite()); }

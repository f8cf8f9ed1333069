/* `tessera verify` on a published record file and `tessera draw-stream`:
 * the programs anyone can run. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>

#include "../sync/draw_fixture.h"

#define T0 (1700000000 * TSR_NS_PER_S)

static char tessera[512];

/* tsr_test_sh* already return the exit code. */
static int exit_of(int code) { return code; }

/* Writes the fixture's record with one change made by `edit` (may be NULL). */
static void write_edited(const tsr_draw_record *r, const char *path,
                         void (*edit)(json_t *root))
{
    json_t *j = tsr_draw_record_to_json(r);
    if (edit)
        edit(j);
    ck_assert_int_eq(json_dump_file(j, path, JSON_INDENT(2)), 0);
    json_decref(j);
}

static void edit_number(json_t *j)
{
    json_t *main0 = json_array_get(json_object_get(json_array_get(json_object_get(j, "numbers"), 0), "main"), 0);
    json_integer_set(main0, json_integer_value(main0) % 49 + 1);
}

static void edit_reveal(json_t *j)
{
    json_t *w = json_array_get(json_object_get(j, "witnesses"), 1);
    char seed[65];
    snprintf(seed, sizeof seed, "%s", json_string_value(json_object_get(w, "seed")));
    seed[0] = seed[0] == 'a' ? 'b' : 'a';
    json_object_set_new(w, "seed", json_string(seed));
}

static void edit_seal_root(json_t *j)
{
    json_t *seal = json_object_get(
        json_array_get(json_object_get(json_object_get(j, "manifest"), "seals"), 0), "seal");
    json_object_set_new(seal, "merkle_root", json_string("00000000000000000000000000000000"
                                                         "00000000000000000000000000000000"));
}

static void run_verify(const char *args, const char *path, int want_exit, const char *want_text)
{
    char out[8192];
    int st = tsr_test_sh_capture(out, sizeof out, "%s verify %s %s 2>&1", tessera, args, path);
    ck_assert_msg(exit_of(st) == want_exit, "exit %d, wanted %d: %s", exit_of(st), want_exit, out);
    ck_assert_msg(strstr(out, want_text) != NULL, "'%s' does not say '%s'", out, want_text);
}

START_TEST(verify_passes_on_a_published_record_and_names_what_was_altered)
{
    dfx f;
    dfx_setup(&f, "verify-cli", 3, 2, T0);
    tsr_draw_shape sh = dfx_lotto();
    dfx_draw(&f, &sh);
    char path[400], key[400], other[400];
    snprintf(path, sizeof path, "%s/record.json", f.dir);
    snprintf(key, sizeof key, "%s/authority.pub", f.dir);
    snprintf(other, sizeof other, "%s/other.pub", f.dir);
    ck_assert_int_eq(tsr_key_write_public(key, f.authority.pk), TSR_OK);
    ck_assert_int_eq(tsr_key_write_public(other, f.nodes[0].pk), TSR_OK);
    write_edited(f.r, path, NULL);
    run_verify("", path, 0, "ok: lotto draw 7 verifies");
    char pinned[450];
    snprintf(pinned, sizeof pinned, "--authority-key %s", key);
    run_verify(pinned, path, 0, "(pinned)");
    snprintf(pinned, sizeof pinned, "--authority-key %s", other);
    run_verify(pinned, path, EX_NOPERM, "is not the pinned one");
    write_edited(f.r, path, edit_number);
    run_verify("", path, EX_NOPERM, "numbers differ: record says");
    write_edited(f.r, path, edit_reveal);
    run_verify("", path, EX_NOPERM, "witness 2 reveal does not match its commitment");
    write_edited(f.r, path, edit_seal_root);
    run_verify("", path, EX_NOPERM, "seal 1 (node-1): node signature does not verify");
    dfx_teardown(&f);
}
END_TEST

START_TEST(verify_usage_and_file_errors)
{
    char dir[256], path[300], out[4096];
    tsr_test_tmpdir("verify-err", dir, sizeof dir);
    ck_assert_int_eq(exit_of(tsr_test_sh_capture(out, sizeof out, "%s verify 2>&1", tessera)),
                     EX_USAGE);
    ck_assert_int_eq(exit_of(tsr_test_sh_capture(out, sizeof out, "%s verify --help", tessera)), 0);
    snprintf(path, sizeof path, "%s/missing.json", dir);
    run_verify("", path, EX_NOINPUT, "not found");
    run_verify("--authority-key /nonexistent.pub", path, EX_CONFIG, "key file");
    snprintf(path, sizeof path, "%s/bad.json", dir);
    FILE *fp = fopen(path, "w");
    fputs("[1,2", fp);
    fclose(fp);
    run_verify("", path, EX_DATAERR, "malformed JSON");
    tsr_test_rmtree(dir);
}
END_TEST

START_TEST(draw_stream_writes_exactly_the_draw_stream)
{
    char dir[256], path[300], out[4096];
    tsr_test_tmpdir("draw-stream", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/s.bin", dir);
    const char *hex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    ck_assert_int_eq(tsr_test_sh("%s draw-stream --seed-hex %s --bytes 5000 --out %s", tessera,
                                 hex, path), 0);
    uint8_t e[32], want[5000], got[5001];
    ck_assert_int_eq(tsr_hex_decode(e, 32, hex), TSR_OK);
    tsr_draw_stream *s;
    ck_assert_int_eq(tsr_draw_stream_create(&s, e), TSR_OK);
    ck_assert_int_eq(tsr_draw_stream_read(s, want, sizeof want), TSR_OK);
    tsr_draw_stream_destroy(s);
    FILE *fp = fopen(path, "rb");
    ck_assert_uint_eq(fread(got, 1, sizeof got, fp), 5000);
    fclose(fp);
    ck_assert_mem_eq(got, want, 5000);
    /* Unbounded into a reader that stops: a normal end. */
    ck_assert_int_eq(tsr_test_sh("%s draw-stream --seed-hex %s | head -c 100000 > /dev/null",
                                 tessera, hex), 0);
    ck_assert_int_eq(exit_of(tsr_test_sh_capture(out, sizeof out,
                                                 "%s draw-stream --seed-hex abc 2>&1", tessera)),
                     EX_DATAERR);
    ck_assert_int_eq(exit_of(tsr_test_sh_capture(out, sizeof out, "%s draw-stream 2>&1", tessera)),
                     EX_USAGE);
    ck_assert_int_eq(exit_of(tsr_test_sh_capture(out, sizeof out,
                                                 "%s draw-stream --seed-hex %s --bytes -1 2>&1",
                                                 tessera, hex)), EX_USAGE);
    ck_assert_int_eq(exit_of(tsr_test_sh_capture(out, sizeof out,
                                                 "%s draw-stream --seed-hex %s --out /nonexistent/x 2>&1",
                                                 tessera, hex)), EX_IOERR);
    tsr_test_rmtree(dir);
}
END_TEST

static Suite *verify_suite(void)
{
    tsr_test_bin("tessera", tessera, sizeof tessera);
    Suite *s = suite_create("verify");
    TCase *tc = tcase_create("verify");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, verify_passes_on_a_published_record_and_names_what_was_altered);
    tcase_add_test(tc, verify_usage_and_file_errors);
    tcase_add_test(tc, draw_stream_writes_exactly_the_draw_stream);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(verify_suite()); }

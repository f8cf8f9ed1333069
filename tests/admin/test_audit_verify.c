/* `tessera audit-verify --db FILE`: the real program on a node database
 * written through the node's store (tsr_audit_append), while that store
 * holds its write connection open (as a running node does, with a write
 * transaction in progress): an intact chain passes; altering, deleting or
 * inserting a row fails naming the row; bad files get their own exits. */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "../../node/src/store.h"
#include "tsr_test.h"

#define T0 (INT64_C(1795608000) * TSR_NS_PER_S)

static char tessera[512], dir[200], db[300];
static tsr_store *store;
static tsr_env env;
static tsr_clock *clk;

static void append_rows(int n)
{
    tsr_store_txn *t;
    ck_assert_int_eq(tsr_store_txn_begin(store, &env, &t), TSR_OK);
    for (int i = 0; i < n; i++) {
        json_t *ev = json_pack("{s:i, s:s}", "n", i, "what", "test");
        ck_assert_int_eq(tsr_audit_append(t, "test_event", ev), TSR_OK);
        json_decref(ev);
    }
    ck_assert_int_eq(tsr_store_txn_commit(t), TSR_OK);
}

static void setup(void)
{
    tsr_test_bin("tessera", tessera, sizeof tessera);
    tsr_test_tmpdir("auditverify", dir, sizeof dir);
    snprintf(db, sizeof db, "%s/node.db", dir);
    ck_assert_int_eq(tsr_clock_test_create(&clk, T0), TSR_OK);
    env = (tsr_env){clk, NULL, NULL};
    ck_assert_int_eq(tsr_store_open(&store, db, NULL), TSR_OK);
    append_rows(5);
}

static void teardown(void)
{
    tsr_store_close(store);
    tsr_clock_destroy(clk);
    tsr_test_rmtree(dir);
}

static void run(const char *path, int want_exit, const char *want_text)
{
    char out[4096];
    int st = tsr_test_sh_capture(out, sizeof out, "%s audit-verify --db %s 2>&1", tessera, path);
    ck_assert_msg(st == want_exit, "exit %d, wanted %d: %s", st, want_exit, out);
    ck_assert_msg(strstr(out, want_text) != NULL, "'%s' does not say '%s'", out, want_text);
}

/* Changes the database behind the store's back, as an attacker with the
 * file would. */
static void tamper(const char *sql)
{
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_busy_timeout(h, 5000);
    ck_assert_int_eq(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
}

START_TEST(intact_beside_a_writer)
{
    run(db, 0, "audit ok: 5 records");
    /* A write transaction in progress (uncommitted rows) is not seen and
     * does not block the reader. */
    tsr_store_txn *t;
    ck_assert_int_eq(tsr_store_txn_begin(store, &env, &t), TSR_OK);
    json_t *ev = json_pack("{s:i}", "n", 99);
    ck_assert_int_eq(tsr_audit_append(t, "pending", ev), TSR_OK);
    json_decref(ev);
    run(db, 0, "audit ok: 5 records");
    ck_assert_int_eq(tsr_store_txn_commit(t), TSR_OK);
    run(db, 0, "audit ok: 6 records");
}
END_TEST

START_TEST(altered_row_named)
{
    tamper("UPDATE audit SET record = replace(record, '\"n\":2', '\"n\":7') WHERE id = 3");
    run(db, EX_SOFTWARE, "row 3");
}
END_TEST

START_TEST(deleted_row_named)
{
    tamper("DELETE FROM audit WHERE id = 2");
    run(db, EX_SOFTWARE, "row 3");
}
END_TEST

START_TEST(rehashed_row_still_breaks_the_next)
{
    /* Changing a record and its own hash still breaks the next row. */
    tamper("UPDATE audit SET record = 'x', hash = zeroblob(32) WHERE id = 5");
    run(db, EX_SOFTWARE, "row 5");
}
END_TEST

START_TEST(bad_files)
{
    char path[400];
    snprintf(path, sizeof path, "%s/missing.db", dir);
    run(path, EX_NOINPUT, "missing.db");
    snprintf(path, sizeof path, "%s/other.db", dir);
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(path, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    run(path, EX_CONFIG, "not a tessera-node database");
    snprintf(path, sizeof path, "%s/text.db", dir);
    FILE *f = fopen(path, "w");
    fputs("this is not sqlite at all, just some text padding the header out\n", f);
    fclose(f);
    run(path, EX_CONFIG, "not a tessera-node database");
    char out[512];
    ck_assert_int_eq(tsr_test_sh_capture(out, sizeof out, "%s audit-verify 2>&1", tessera),
                     EX_USAGE);
}
END_TEST

static Suite *audit_suite(void)
{
    Suite *s = suite_create("audit_verify");
    TCase *tc = tcase_create("audit");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, intact_beside_a_writer);
    tcase_add_test(tc, altered_row_named);
    tcase_add_test(tc, deleted_row_named);
    tcase_add_test(tc, rehashed_row_still_breaks_the_next);
    tcase_add_test(tc, bad_files);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(audit_suite()); }

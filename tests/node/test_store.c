/* The node store: migrations, newer schemas, transactions and savepoints,
 * the outbox's gapless seq, batches, the audit chain. */
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../../node/src/store.h"
#include "../../node/src/writer.h"
#include "tsr_test.h"

static char dir[128], path[200];
static tsr_clock *clk;
static tsr_rng *rng;
static tsr_env env;
static tsr_store *st;

static void setup(void)
{
    tsr_test_tmpdir("store", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/node.db", dir);
    ck_assert_int_eq(tsr_clock_test_create(&clk, 1000 * TSR_NS_PER_S), TSR_OK);
    ck_assert_int_eq(tsr_rng_seeded_create(&rng, 7), TSR_OK);
    env = (tsr_env){clk, rng, NULL};
    ck_assert_int_eq(tsr_store_open(&st, path, NULL), TSR_OK);
}

static void teardown(void)
{
    tsr_store_close(st);
    tsr_rng_destroy(rng);
    tsr_clock_destroy(clk);
    tsr_test_rmtree(dir);
}

START_TEST(a_new_database_gets_the_current_schema_in_wal_mode)
{
    ck_assert_int_eq(tsr_store_schema_version(st), TSR_STORE_SCHEMA_VERSION);
    int64_t n;
    ck_assert_int_eq(tsr_store_query_int(tsr_store_writer(st),
                                         "SELECT count(*) FROM sqlite_master WHERE name IN "
                                         "('tickets','outbox','audit','idempotency','seals',"
                                         "'tokens','players','ledger_entries')",
                                         &n),
                     TSR_OK);
    ck_assert_int_eq(n, 8);
    ck_assert_int_eq(tsr_store_query_int(tsr_store_writer(st), "PRAGMA synchronous", &n), TSR_OK);
    ck_assert_int_eq(n, 2); /* FULL */
    ck_assert_int_eq(tsr_store_query_int(tsr_store_writer(st), "SELECT 1 WHERE 0", &n),
                     TSR_ERR_NOT_FOUND);
    /* reopening migrates nothing and keeps the data */
    tsr_store_close(st);
    ck_assert_int_eq(tsr_store_open(&st, path, NULL), TSR_OK);
    ck_assert_int_eq(tsr_store_schema_version(st), TSR_STORE_SCHEMA_VERSION);
}
END_TEST

START_TEST(a_database_from_a_newer_schema_is_refused)
{
    ck_assert_int_eq(tsr_store_exec(tsr_store_writer(st), "PRAGMA user_version = 3"), TSR_OK);
    tsr_store_close(st);
    st = NULL;
    ck_assert_int_eq(tsr_store_open(&st, path, NULL), TSR_ERR_DB_NEWER);
    char bad[256];
    snprintf(bad, sizeof bad, "%s/nodir/x.db", dir);
    ck_assert_int_eq(tsr_store_open(&st, bad, NULL), TSR_ERR_IO);
}
END_TEST

START_TEST(outbox_seqs_are_gapless_across_rollbacks_and_deletes)
{
    tsr_store_txn *t;
    int64_t seq;
    ck_assert_int_eq(tsr_store_txn_begin(st, &env, &t), TSR_OK);
    tsr_store_txn *t2;
    ck_assert_int_eq(tsr_store_txn_begin(st, &env, &t2), TSR_ERR_BUSY);
    ck_assert_int_eq(tsr_store_txn_savepoint(t), TSR_OK);
    ck_assert_int_eq(tsr_outbox_append(t, TSR_OUTBOX_TICKET, "a", 1, &seq), TSR_OK);
    ck_assert_int_eq(seq, 1);
    ck_assert_int_eq(tsr_store_txn_release(t), TSR_OK);
    ck_assert_int_eq(tsr_store_txn_savepoint(t), TSR_OK);
    ck_assert_int_eq(tsr_outbox_append(t, TSR_OUTBOX_TICKET, "b", 1, &seq), TSR_OK);
    ck_assert_int_eq(seq, 2);
    ck_assert_int_eq(tsr_store_txn_rollback_to(t), TSR_OK); /* seq 2 given back */
    ck_assert_int_eq(tsr_store_txn_savepoint(t), TSR_OK);
    ck_assert_int_eq(tsr_outbox_reserve(t, &seq), TSR_OK);
    ck_assert_int_eq(seq, 2);
    ck_assert_int_eq(tsr_outbox_put(t, seq, TSR_OUTBOX_CANCEL, "cc", 2), TSR_OK);
    ck_assert_int_eq(tsr_outbox_put(t, seq, TSR_OUTBOX_CANCEL, "cc", 2), TSR_ERR_EXISTS);
    ck_assert_int_eq(tsr_store_txn_release(t), TSR_OK);
    ck_assert_int_eq(tsr_store_txn_commit(t), TSR_OK);

    tsr_store_conn *rd;
    ck_assert_int_eq(tsr_store_reader_open(st, &rd), TSR_OK);
    tsr_outbox_row rows[4];
    size_t n;
    ck_assert_int_eq(tsr_outbox_read(rd, 1, 4, rows, &n), TSR_OK);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(rows[1].seq, 2);
    ck_assert_int_eq(rows[1].kind, TSR_OUTBOX_CANCEL);
    ck_assert_mem_eq(rows[1].bytes, "cc", 2);
    tsr_outbox_rows_free(rows, n);

    ck_assert_int_eq(tsr_outbox_batch_put(tsr_store_writer(st), 1, 2, "n1:1-2"), TSR_OK);
    ck_assert_int_eq(tsr_outbox_batch_put(tsr_store_writer(st), 1, 2, "n1:1-2"), TSR_OK);
    ck_assert_int_eq(tsr_outbox_batch_put(tsr_store_writer(st), 1, 1, "n1:1-1"), TSR_ERR_EXISTS);
    ck_assert_int_eq(tsr_outbox_batch_put(tsr_store_writer(st), 2, 3, "n1:2-3"), TSR_ERR_EXISTS);
    ck_assert_int_eq(tsr_outbox_batch_put(tsr_store_writer(st), 3, 2, "x"), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_outbox_delete_upto(tsr_store_writer(st), 2), TSR_OK);
    ck_assert_int_eq(tsr_outbox_read(rd, 1, 4, rows, &n), TSR_OK);
    ck_assert_int_eq(n, 0);
    int64_t last;
    ck_assert_int_eq(tsr_outbox_last_seq(rd, &last), TSR_OK);
    ck_assert_int_eq(last, 2);
    tsr_store_reader_close(rd);
    /* the next seq continues after the deleted rows */
    ck_assert_int_eq(tsr_store_txn_begin(st, &env, &t), TSR_OK);
    ck_assert_int_eq(tsr_outbox_append(t, TSR_OUTBOX_TICKET, "c", 1, &seq), TSR_OK);
    ck_assert_int_eq(seq, 3);
    tsr_store_txn_abort(t);
}
END_TEST

/* Deferred sync: a COMMIT moves the committed seq, only a sync moves the
 * durable one (what the relay may publish); an aborted transaction moves
 * neither; without deferred sync every COMMIT counts as durable. */
START_TEST(deferred_sync_makes_seqs_durable_only_after_a_sync)
{
    ck_assert(!tsr_store_sync_deferred(st));
    ck_assert_int_eq(tsr_store_durable_seq(st), INT64_MAX);
    ck_assert_int_eq(tsr_store_sync(st), TSR_OK); /* a no-op */
    tsr_store_txn *t;
    int64_t seq;
    ck_assert_int_eq(tsr_store_txn_begin(st, &env, &t), TSR_OK);
    ck_assert_int_eq(tsr_outbox_append(t, TSR_OUTBOX_TICKET, "a", 1, &seq), TSR_OK);
    ck_assert_int_eq(tsr_store_txn_commit(t), TSR_OK);
    ck_assert_int_eq(tsr_store_defer_sync(st), TSR_OK);
    ck_assert_int_eq(tsr_store_defer_sync(st), TSR_ERR_EXISTS);
    ck_assert(tsr_store_sync_deferred(st));
    ck_assert_int_eq(tsr_store_durable_seq(st), 1); /* synced when deferring */
    int64_t mode = 0;
    ck_assert_int_eq(tsr_store_query_int(tsr_store_writer(st), "PRAGMA synchronous", &mode), TSR_OK);
    ck_assert_int_eq(mode, 1); /* NORMAL: the syncer does the rest */
    ck_assert_int_eq(tsr_store_txn_begin(st, &env, &t), TSR_OK);
    ck_assert_int_eq(tsr_outbox_append(t, TSR_OUTBOX_TICKET, "b", 1, &seq), TSR_OK);
    ck_assert_int_eq(tsr_outbox_append(t, TSR_OUTBOX_TICKET, "c", 1, &seq), TSR_OK);
    ck_assert_int_eq(tsr_store_txn_commit(t), TSR_OK);
    ck_assert_int_eq(tsr_store_durable_seq(st), 1);
    ck_assert_int_eq(tsr_store_sync(st), TSR_OK);
    ck_assert_int_eq(tsr_store_durable_seq(st), 3);
    ck_assert_int_eq(tsr_store_txn_begin(st, &env, &t), TSR_OK);
    ck_assert_int_eq(tsr_outbox_append(t, TSR_OUTBOX_TICKET, "d", 1, &seq), TSR_OK);
    tsr_store_txn_abort(t);
    ck_assert_int_eq(tsr_store_sync(st), TSR_OK);
    ck_assert_int_eq(tsr_store_durable_seq(st), 3);
}
END_TEST

/* The store's own descriptor of the WAL: the highest one open on it (the
 * writer's connection opened the WAL first, and no other connection is
 * open in this test). */
static int wal_fd_of_store(void)
{
    char want[256], link[300], target[300];
    snprintf(want, sizeof want, "%s-wal", path);
    int best = -1;
    DIR *d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);
    for (struct dirent *e; (e = readdir(d));) {
        int fd = atoi(e->d_name);
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n > 0 && (target[n] = '\0', strcmp(target, want) == 0) && fd > best)
            best = fd;
    }
    closedir(d);
    ck_assert_int_ge(best, 0);
    return best;
}

static int applied;

static tsr_status append_apply(tsr_store_txn *t, tsr_job *j)
{
    (void)j;
    int64_t seq;
    applied++;
    return tsr_outbox_append(t, TSR_OUTBOX_TICKET, "x", 1, &seq);
}

/* Submits one job and waits for its completion; returns its status. */
static tsr_status run_one(tsr_writer *w)
{
    tsr_job *j;
    ck_assert_int_eq(tsr_job_new(&j, "t", append_apply), TSR_OK);
    ck_assert_int_eq(tsr_writer_submit(w, j), TSR_OK);
    tsr_job *done = NULL;
    for (int i = 0; i < 500 && !done; i++) {
        done = tsr_writer_take_done(w);
        if (!done)
            usleep(10 * 1000);
    }
    ck_assert_ptr_nonnull(done);
    tsr_status s = done->status;
    tsr_job_free(done);
    return s;
}

/* A failed WAL sync (a pipe put in place of the WAL descriptor makes
 * fdatasync fail) fails the replies of the group it covered, stays failed
 * (Linux may report a later fdatasync as a success after losing pages),
 * never moves the durable seq, and every later job fails before its apply
 * runs: nothing more is written until a restart. */
START_TEST(a_failed_sync_fails_closed_and_for_good)
{
    ck_assert_int_eq(tsr_store_defer_sync(st), TSR_OK);
    int done_fd = eventfd(0, EFD_NONBLOCK);
    tsr_writer_opts o = {.store = st, .env = &env, .queue_max = 16, .group_max = 4,
                         .auth_workers = 1, .done_fd = done_fd};
    tsr_writer *w;
    ck_assert_int_eq(tsr_writer_start(&w, &o), TSR_OK);
    applied = 0;
    ck_assert_int_eq(run_one(w), TSR_OK);
    ck_assert_int_eq(tsr_store_durable_seq(st), 1);
    int p[2], wal = wal_fd_of_store(), saved = dup(wal);
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_ge(dup2(p[0], wal), 0);
    ck_assert_int_eq(run_one(w), TSR_ERR_DISK_SYNC); /* committed, not known on disk */
    ck_assert(tsr_store_sync_failed(st));
    ck_assert_int_eq(tsr_store_durable_seq(st), 1);
    ck_assert_int_eq(run_one(w), TSR_ERR_DISK_SYNC); /* refused before its apply */
    ck_assert_int_eq(applied, 2);
    ck_assert_int_ge(dup2(saved, wal), 0); /* the disk "works" again: still no */
    ck_assert_int_eq(tsr_store_sync(st), TSR_ERR_DISK_SYNC);
    ck_assert_int_eq(tsr_store_durable_seq(st), 1);
    int64_t last = 0;
    ck_assert_int_eq(tsr_store_query_int(tsr_store_writer(st),
                                         "SELECT last_seq FROM outbox_meta", &last), TSR_OK);
    ck_assert_int_eq(last, 2);
    tsr_writer_destroy(w);
    close(p[0]);
    close(p[1]);
    close(saved);
    close(done_fd);
}
END_TEST

/* A transaction's time is read at BEGIN and again on request (the writer
 * does when a group takes in jobs that arrived after its BEGIN). */
START_TEST(a_transaction_reads_the_clock_again_on_request)
{
    tsr_store_txn *t;
    ck_assert_int_eq(tsr_store_txn_begin(st, &env, &t), TSR_OK);
    int64_t t0 = tsr_store_txn_now(t).now_ns;
    ck_assert_int_eq(tsr_clock_test_advance(clk, 250 * TSR_NS_PER_MS), TSR_OK);
    ck_assert_int_eq(tsr_store_txn_now(t).now_ns, t0);
    tsr_store_txn_read_clock(t);
    ck_assert_int_eq(tsr_store_txn_now(t).now_ns, t0 + 250 * TSR_NS_PER_MS);
    tsr_store_txn_abort(t);
}
END_TEST

START_TEST(the_audit_chain_verifies_and_detects_tampering)
{
    tsr_store_txn *t;
    ck_assert_int_eq(tsr_store_txn_begin(st, &env, &t), TSR_OK);
    for (int i = 0; i < 5; i++) {
        json_t *ev = json_pack("{s:i}", "n", i);
        ck_assert_int_eq(tsr_audit_append(t, "test_event", ev), TSR_OK);
        json_decref(ev);
    }
    ck_assert_int_eq(tsr_audit_append(t, "no_evidence", NULL), TSR_OK);
    ck_assert_int_eq(tsr_store_txn_commit(t), TSR_OK);
    int64_t bad = -1;
    ck_assert_int_eq(tsr_audit_verify(tsr_store_writer(st), &bad), TSR_OK);
    ck_assert_int_eq(bad, 0);
    ck_assert_int_eq(tsr_store_exec(tsr_store_writer(st),
                                    "UPDATE audit SET record = replace(record, '\"n\":2', "
                                    "'\"n\":9') WHERE id = 3"),
                     TSR_OK);
    ck_assert_int_eq(tsr_audit_verify(tsr_store_writer(st), &bad), TSR_ERR_AUDIT_CHAIN);
    ck_assert_int_eq(bad, 3);
    /* deleting a row breaks the chain at the next one */
    ck_assert_int_eq(tsr_store_exec(tsr_store_writer(st),
                                    "UPDATE audit SET record = replace(record, '\"n\":9', "
                                    "'\"n\":2') WHERE id = 3; DELETE FROM audit WHERE id = 2"),
                     TSR_OK);
    ck_assert_int_eq(tsr_audit_verify(tsr_store_writer(st), &bad), TSR_ERR_AUDIT_CHAIN);
    ck_assert_int_eq(bad, 3);
}
END_TEST

static char sqls[TSR_STORE_STMT_CACHE_MAX + 1][32];

START_TEST(statements_are_cached_and_bad_sql_is_a_bug)
{
    sqlite3_stmt *a, *b;
    static const char q[] = "SELECT 1";
    ck_assert_int_eq(tsr_store_stmt(tsr_store_writer(st), q, &a), TSR_OK);
    ck_assert_int_eq(tsr_store_stmt(tsr_store_writer(st), q, &b), TSR_OK);
    ck_assert_ptr_eq(a, b);
    ck_assert_int_eq(tsr_store_stmt(tsr_store_writer(st), "SELEC nonsense", &a), TSR_ERR_INTERNAL);
    ck_assert_int_eq(tsr_store_exec(tsr_store_writer(st), "CREATE TABLE tickets(x)"), TSR_ERR_IO);
    tsr_status last = TSR_OK;
    for (int i = 0; i <= TSR_STORE_STMT_CACHE_MAX && last == TSR_OK; i++) {
        snprintf(sqls[i], sizeof sqls[i], "SELECT %d", i + 2);
        last = tsr_store_stmt(tsr_store_writer(st), sqls[i], &a);
    }
    ck_assert_int_eq(last, TSR_ERR_TOO_LARGE);
    ck_assert_int_eq(tsr_store_status(SQLITE_CONSTRAINT_UNIQUE), TSR_ERR_EXISTS);
    ck_assert_int_eq(tsr_store_status(SQLITE_FULL), TSR_ERR_DISK_FULL);
    ck_assert_int_eq(tsr_store_status(SQLITE_BUSY), TSR_ERR_BUSY);
    ck_assert_int_eq(tsr_store_status(SQLITE_NOMEM), TSR_ERR_NOMEM);
    ck_assert_int_eq(tsr_store_status(SQLITE_CORRUPT), TSR_ERR_IO);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("node_store");
    TCase *t = tcase_create("store");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, a_new_database_gets_the_current_schema_in_wal_mode);
    tcase_add_test(t, a_database_from_a_newer_schema_is_refused);
    tcase_add_test(t, outbox_seqs_are_gapless_across_rollbacks_and_deletes);
    tcase_add_test(t, deferred_sync_makes_seqs_durable_only_after_a_sync);
    tcase_add_test(t, a_failed_sync_fails_closed_and_for_good);
    tcase_add_test(t, a_transaction_reads_the_clock_again_on_request);
    tcase_add_test(t, the_audit_chain_verifies_and_detects_tampering);
    tcase_add_test(t, statements_are_cached_and_bad_sql_is_a_bug);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tsr_test_run(suite()); }

/* The writer's runs: consecutive rerun_safe jobs (bets) share one
 * savepoint. A job that fails without writing fails alone and gives its
 * seqs back; one that fails after writing has the run rolled back and its
 * earlier jobs applied again, each once settled, so the group commits
 * exactly the successful jobs' rows, gapless, in order. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../../node/src/store.h"
#include "../../node/src/writer.h"
#include "tsr_test.h"

/* What a test job does in its apply. */
typedef enum act {
    ACT_OK,         /* appends its outbox row */
    ACT_FAIL_CLEAN, /* reserves a seq, then fails having written nothing */
    ACT_FAIL_DIRTY, /* appends its outbox row, then fails */
    ACT_GATE,       /* waits for the test to open the gate: holds the writer */
    ACT_LOSE_TXN,   /* appends its row, then the transaction is gone, as SQLite
                       rolls it all back on SQLITE_FULL or an I/O error */
    ACT_BREAK_SP    /* appends its row and releases the writer's savepoint
                       itself: the writer's RELEASE then fails */
} act;

typedef struct test_job {
    char name[8];
    act what;
    int applied, settled;
    int settled_order; /* 1-based position among settled steps */
} test_job;

static char dir[128], path[200];
static tsr_clock *clk;
static tsr_rng *rng;
static tsr_env env;
static tsr_store *st;
static int settle_count;
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static bool gate_open;

/* A module's pending state, as the retail sales batch keeps it: the jobs
 * that counted something, in order. flush writes them as one outbox row
 * "[a,b,...]", so the outbox shows where the writer flushed. */
static char pending[64][8];
static size_t n_pending;
static bool use_pending;

static tsr_status fake_flush(void *arg, tsr_store_txn *t)
{
    (void)arg;
    char row[64 * 9 + 2] = "[";
    size_t len = 1;
    for (size_t i = 0; i < n_pending; i++) {
        size_t n = strnlen(pending[i], sizeof pending[i]);
        if (i)
            row[len++] = ',';
        memcpy(row + len, pending[i], n);
        len += n;
    }
    row[len++] = ']';
    row[len] = '\0';
    int64_t seq;
    tsr_status s = n_pending ? tsr_outbox_append(t, TSR_OUTBOX_TICKET, row, strlen(row), &seq)
                             : TSR_OK;
    n_pending = 0;
    return s;
}

static size_t fake_mark(void *arg)
{
    (void)arg;
    return n_pending;
}

static void fake_revert(void *arg, size_t mark)
{
    (void)arg;
    n_pending = mark;
}

static void setup(void)
{
    tsr_test_tmpdir("writer_runs", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/node.db", dir);
    ck_assert_int_eq(tsr_clock_test_create(&clk, 1000 * TSR_NS_PER_S), TSR_OK);
    ck_assert_int_eq(tsr_rng_seeded_create(&rng, 7), TSR_OK);
    env = (tsr_env){clk, rng, NULL};
    ck_assert_int_eq(tsr_store_open(&st, path, NULL), TSR_OK);
    settle_count = 0;
    gate_open = false;
    use_pending = false;
    n_pending = 0;
}

static void teardown(void)
{
    tsr_store_close(st);
    tsr_rng_destroy(rng);
    tsr_clock_destroy(clk);
    tsr_test_rmtree(dir);
}

static tsr_status test_apply(tsr_store_txn *t, tsr_job *j)
{
    test_job *tj = j->ctx;
    int64_t seq;
    tj->applied++;
    if (use_pending && tj->what != ACT_GATE)
        snprintf(pending[n_pending++], sizeof pending[0], "%s", tj->name);
    if (tj->what == ACT_GATE) {
        pthread_mutex_lock(&gate_mu);
        while (!gate_open)
            pthread_cond_wait(&gate_cv, &gate_mu);
        pthread_mutex_unlock(&gate_mu);
        return TSR_OK;
    }
    if (tj->what == ACT_FAIL_CLEAN) {
        tsr_status s = tsr_outbox_reserve(t, &seq);
        return s == TSR_OK ? TSR_ERR_FUNDS : s;
    }
    tsr_status s = tsr_outbox_append(t, TSR_OUTBOX_TICKET, tj->name, strlen(tj->name), &seq);
    if (s != TSR_OK)
        return s;
    if (tj->what == ACT_LOSE_TXN || tj->what == ACT_BREAK_SP) {
        bool lose = tj->what == ACT_LOSE_TXN;
        ck_assert_int_eq(sqlite3_exec(tsr_store_conn_db(tsr_store_txn_conn(t)),
                                      lose ? "ROLLBACK" : "RELEASE job", NULL, NULL, NULL),
                         SQLITE_OK);
        return lose ? TSR_ERR_IO : TSR_OK;
    }
    return tj->what == ACT_FAIL_DIRTY ? TSR_ERR_LIMIT_EXCEEDED : TSR_OK;
}

static void test_settled(tsr_job *j)
{
    test_job *tj = j->ctx;
    tj->settled++;
    tj->settled_order = ++settle_count;
}

static void submit(tsr_writer *w, test_job *tj, bool rerun_safe)
{
    tsr_job *j;
    ck_assert_int_eq(tsr_job_new(&j, "test", test_apply), TSR_OK);
    j->ctx = tj;
    j->settled = test_settled;
    j->rerun_safe = rerun_safe;
    ck_assert_int_eq(tsr_writer_submit(w, j), TSR_OK);
}

static void open_gate(void)
{
    pthread_mutex_lock(&gate_mu);
    gate_open = true;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

/* Takes back the completions of the gate and of jobs[0..n) (waiting up
 * to 10 s); each job's status into status[i]. */
static void collect(tsr_writer *w, const test_job *gate, test_job *jobs, tsr_status *status,
                    size_t n)
{
    size_t got = 0;
    for (int i = 0; i < 1000 && got < n + 1; i++) {
        tsr_job *d = tsr_writer_take_done(w);
        if (!d)
            usleep(10 * 1000);
        while (d) {
            tsr_job *next = d->next_;
            if (d->ctx == gate)
                ck_assert_int_eq(d->status, TSR_OK);
            else
                status[(test_job *)d->ctx - jobs] = d->status;
            tsr_job_free(d);
            got++;
            d = next;
        }
    }
    ck_assert_uint_eq(got, n + 1);
}

/* The outbox rows in seq order as "name,name,...", and their seqs gapless
 * from 1 (asserted). */
static void outbox_names(char *out, size_t cap)
{
    sqlite3 *db;
    sqlite3_stmt *q;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT seq, bytes FROM outbox ORDER BY seq", -1, &q,
                                        NULL),
                     SQLITE_OK);
    out[0] = '\0';
    int64_t want = 1;
    while (sqlite3_step(q) == SQLITE_ROW) {
        ck_assert_int_eq(sqlite3_column_int64(q, 0), want++);
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s%.*s", len ? "," : "", sqlite3_column_bytes(q, 1),
                 (const char *)sqlite3_column_blob(q, 1));
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
}

/* Starts a writer held by a gate job, queues `n` jobs behind it (one
 * group), opens the gate and collects everything. */
static void run_group_of(test_job *jobs, const bool *rerun_safe, size_t n, tsr_status *status)
{
    int done_fd = eventfd(0, EFD_NONBLOCK);
    tsr_writer_opts o = {.store = st, .env = &env, .queue_max = 64, .group_max = 64,
                         .auth_workers = 1, .done_fd = done_fd};
    if (use_pending)
        o.pending = (tsr_pending_hooks){fake_flush, fake_mark, fake_revert, NULL};
    tsr_writer *w;
    ck_assert_int_eq(tsr_writer_start(&w, &o), TSR_OK);
    gate_open = false; /* closed again for each group a test runs */
    test_job gate = {.name = "gate", .what = ACT_GATE};
    submit(w, &gate, false);
    for (int i = 0; i < 500 && gate.applied == 0; i++)
        usleep(10 * 1000); /* the gate's group is running */
    ck_assert_int_eq(gate.applied, 1);
    for (size_t i = 0; i < n; i++)
        submit(w, &jobs[i], rerun_safe[i]);
    open_gate();
    collect(w, &gate, jobs, status, n);
    uint64_t groups, ran;
    tsr_writer_stats(w, &groups, &ran);
    ck_assert_uint_eq(groups, 2); /* the gate's, then all the others in one */
    tsr_writer_destroy(w);
    close(done_fd);
}

START_TEST(a_run_without_failures_applies_and_settles_each_job_once_in_order)
{
    test_job jobs[5] = {{"a", ACT_OK}, {"b", ACT_OK}, {"c", ACT_OK}, {"d", ACT_OK}, {"e", ACT_OK}};
    bool safe[5] = {true, true, true, true, true};
    tsr_status s[5];
    run_group_of(jobs, safe, 5, s);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(s[i], TSR_OK);
        ck_assert_int_eq(jobs[i].applied, 1);
        ck_assert_int_eq(jobs[i].settled, 1);
        ck_assert_int_eq(jobs[i].settled_order, i + 2); /* the gate settled first */
    }
    char names[128];
    outbox_names(names, sizeof names);
    ck_assert_str_eq(names, "a,b,c,d,e");
}
END_TEST

/* A clean failure in a run fails alone: no undo, its reserved seq reused. */
START_TEST(a_job_that_fails_without_writing_fails_alone)
{
    test_job jobs[4] = {{"a", ACT_OK}, {"b", ACT_FAIL_CLEAN}, {"c", ACT_OK}, {"d", ACT_OK}};
    bool safe[4] = {true, true, true, true};
    tsr_status s[4];
    run_group_of(jobs, safe, 4, s);
    ck_assert_int_eq(s[0], TSR_OK);
    ck_assert_int_eq(s[1], TSR_ERR_FUNDS);
    ck_assert_int_eq(s[2], TSR_OK);
    ck_assert_int_eq(s[3], TSR_OK);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(jobs[i].applied, 1);
    ck_assert_int_eq(jobs[1].settled, 0);
    char names[128];
    outbox_names(names, sizeof names);
    ck_assert_str_eq(names, "a,c,d"); /* gapless: b's seq went to c */
}
END_TEST

/* A dirty failure undoes the run (here it opened the group: the whole
 * transaction is rolled back and begun again): its earlier successful jobs
 * are applied again (once settled each), the failed one leaves nothing, an earlier
 * clean failure stays failed without running again, later jobs run in
 * their own savepoints, a job that is not rerun_safe closes the run. */
START_TEST(a_job_that_fails_after_writing_undoes_the_run_and_nothing_else)
{
    test_job jobs[8] = {{"a", ACT_OK}, {"b", ACT_FAIL_CLEAN}, {"c", ACT_OK},
                        {"d", ACT_FAIL_DIRTY}, {"e", ACT_OK}, {"f", ACT_OK},
                        {"g", ACT_FAIL_DIRTY}, {"h", ACT_OK}};
    bool safe[8] = {true, true, true, true, true, false, true, true};
    tsr_status s[8];
    run_group_of(jobs, safe, 8, s);
    tsr_status want[8] = {TSR_OK, TSR_ERR_FUNDS, TSR_OK, TSR_ERR_LIMIT_EXCEEDED,
                          TSR_OK, TSR_OK, TSR_ERR_LIMIT_EXCEEDED, TSR_OK};
    int applied[8] = {2, 1, 2, 1, 1, 1, 1, 1};
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(s[i], want[i]);
        ck_assert_int_eq(jobs[i].applied, applied[i]);
        ck_assert_int_eq(jobs[i].settled, want[i] == TSR_OK ? 1 : 0);
    }
    /* settled in job order all the same */
    ck_assert_int_lt(jobs[0].settled_order, jobs[2].settled_order);
    ck_assert_int_lt(jobs[2].settled_order, jobs[4].settled_order);
    ck_assert_int_lt(jobs[4].settled_order, jobs[5].settled_order);
    ck_assert_int_lt(jobs[5].settled_order, jobs[7].settled_order);
    char names[128];
    outbox_names(names, sizeof names);
    ck_assert_str_eq(names, "a,c,e,f,h");
}
END_TEST

/* After a run was undone, a job that is not rerun_safe in the middle of a
 * later run also keeps the run's jobs intact (the run closes before it). */
START_TEST(a_job_that_is_not_rerun_safe_closes_the_run)
{
    test_job jobs[5] = {{"a", ACT_OK}, {"b", ACT_OK}, {"c", ACT_OK}, {"d", ACT_FAIL_DIRTY},
                        {"e", ACT_OK}};
    bool safe[5] = {true, true, false, true, true};
    tsr_status s[5];
    run_group_of(jobs, safe, 5, s);
    /* d's undo reaches back only to its own run, which began after c */
    int applied[5] = {1, 1, 1, 1, 1};
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(jobs[i].applied, applied[i]);
    ck_assert_int_eq(s[3], TSR_ERR_LIMIT_EXCEEDED);
    ck_assert_int_eq(jobs[0].settled_order + 1, jobs[1].settled_order);
    ck_assert_int_eq(jobs[1].settled_order + 1, jobs[2].settled_order);
    char names[128];
    outbox_names(names, sizeof names);
    ck_assert_str_eq(names, "a,b,c,e");
}
END_TEST

/* A run after another job has a savepoint of its own: its undo rolls back
 * only the run, the job before it stays, the run's earlier jobs again. */
START_TEST(a_run_after_another_job_is_undone_to_its_savepoint)
{
    test_job jobs[5] = {{"x", ACT_OK}, {"a", ACT_OK}, {"b", ACT_OK}, {"c", ACT_FAIL_DIRTY},
                        {"d", ACT_OK}};
    bool safe[5] = {false, true, true, true, true};
    tsr_status s[5];
    run_group_of(jobs, safe, 5, s);
    int applied[5] = {1, 2, 2, 1, 1};
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(jobs[i].applied, applied[i]);
    ck_assert_int_eq(s[3], TSR_ERR_LIMIT_EXCEEDED);
    char names[128];
    outbox_names(names, sizeof names);
    ck_assert_str_eq(names, "x,a,b,d");
}
END_TEST

/* Pending state follows the jobs: what a failed job counted is forgotten,
 * an undone run forgets its jobs' counts (and counts them again when they
 * are applied again), and it is flushed before a job that is not
 * rerun_safe and before the COMMIT. */
START_TEST(pending_state_is_reverted_with_failed_jobs_and_flushed_in_place)
{
    use_pending = true;
    test_job jobs[8] = {{"a", ACT_OK}, {"b", ACT_FAIL_CLEAN}, {"c", ACT_OK},
                        {"d", ACT_FAIL_DIRTY}, {"e", ACT_OK}, {"f", ACT_OK},
                        {"g", ACT_FAIL_DIRTY}, {"h", ACT_OK}};
    bool safe[8] = {true, true, true, true, true, false, true, true};
    tsr_status s[8];
    run_group_of(jobs, safe, 8, s);
    char names[256];
    outbox_names(names, sizeof names);
    ck_assert_str_eq(names, "a,c,e,[a,c,e],f,h,[f,h]");
    ck_assert_uint_eq(n_pending, 0);
}
END_TEST

/* SQLite rolls the whole transaction back on some errors (SQLITE_FULL,
 * I/O errors) whatever savepoints were open. Nothing may then run in
 * autocommit (each row would commit on its own): in a run that opened the
 * group, the undo begins the transaction again and applies the jobs before
 * the failed one anew, so the group commits whole without it; anywhere
 * else the whole group fails, nothing of it written, not even its hooks. */
START_TEST(a_transaction_sqlite_rolled_back_is_never_written_in_autocommit)
{
    bool safe[3][4] = {{true, true, true, true},    /* bare run: begun again */
                       {false, true, true, true},   /* savepoint run after a job */
                       {true, false, false, true}}; /* the job in its own savepoint */
    const char *written = "a,b,d,[a,b,d]"; /* shape 0 wrote it, the others nothing */
    for (int k = 0; k < 3; k++) {
        use_pending = true;
        n_pending = 0;
        test_job jobs[4] = {{"a", ACT_OK}, {"b", ACT_OK}, {"c", ACT_LOSE_TXN}, {"d", ACT_OK}};
        if (k == 2)
            jobs[1].what = ACT_LOSE_TXN, jobs[2].what = ACT_OK;
        tsr_status s[4];
        run_group_of(jobs, safe[k], 4, s);
        for (int i = 0; i < 4; i++) {
            bool lost = jobs[i].what == ACT_LOSE_TXN;
            if (k == 0)
                ck_assert_int_eq(s[i], lost ? TSR_ERR_IO : TSR_OK);
            else
                ck_assert_msg(s[i] != TSR_OK, "shape %d: job %d succeeded in a lost transaction",
                              k, i);
            if (k == 0) /* (a job settled in a group that then failed is
                           forgotten by the hooks' discard, t NULL) */
                ck_assert_int_eq(jobs[i].settled, lost ? 0 : 1);
        }
        char names[256];
        outbox_names(names, sizeof names);
        ck_assert_str_eq(names, written);
        ck_assert_uint_eq(n_pending, 0);
    }
}
END_TEST

/* A job's savepoint that cannot be released (or rolled back to) leaves
 * the job's rows in an unknown state: its writes may stay although it
 * reports a failure. The whole group fails then, nothing of it written. */
START_TEST(a_savepoint_that_fails_fails_the_group)
{
    use_pending = true;
    test_job jobs[3] = {{"a", ACT_OK}, {"b", ACT_BREAK_SP}, {"c", ACT_OK}};
    bool safe[3] = {false, false, false};
    tsr_status s[3];
    run_group_of(jobs, safe, 3, s);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(s[i] != TSR_OK, "job %d succeeded in a failed group", i);
    char names[256];
    outbox_names(names, sizeof names);
    ck_assert_str_eq(names, "");
    ck_assert_uint_eq(n_pending, 0);
}
END_TEST

static Suite *writer_runs_suite(void)
{
    Suite *s = suite_create("writer_runs");
    TCase *t = tcase_create("runs");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30);
    tcase_add_test(t, a_run_without_failures_applies_and_settles_each_job_once_in_order);
    tcase_add_test(t, a_job_that_fails_without_writing_fails_alone);
    tcase_add_test(t, a_job_that_fails_after_writing_undoes_the_run_and_nothing_else);
    tcase_add_test(t, a_job_that_is_not_rerun_safe_closes_the_run);
    tcase_add_test(t, a_run_after_another_job_is_undone_to_its_savepoint);
    tcase_add_test(t, pending_state_is_reverted_with_failed_jobs_and_flushed_in_place);
    tcase_add_test(t, a_transaction_sqlite_rolled_back_is_never_written_in_autocommit);
    tcase_add_test(t, a_savepoint_that_fails_fails_the_group);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tsr_test_run(writer_runs_suite()); }

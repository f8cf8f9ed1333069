/* The writer thread (group commit) and the auth workers. See writer.h. */
#include "writer.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tessera/log.h"

/* While a group grows during a sync, the writer is woken every this many
 * queued jobs (and when the sync ends). */
#define WRITER_WAKE_BATCH 16

/* An idempotency scope: a route pattern (< 64) and a caller id (< 40). */
#define SCOPE_MAX 128

typedef struct job_list {
    tsr_job *head, *tail;
} job_list;

struct tsr_writer {
    tsr_writer_opts o;
    pthread_mutex_t mu;
    pthread_cond_t work;      /* writer queue or stop */
    pthread_cond_t auth_work; /* auth queue or stop */
    job_list queue;           /* waiting for the writer */
    job_list auth_queue;      /* waiting for prepare */
    job_list done;            /* finished, for the CoAP thread */
    job_list syncing;         /* committed, waiting for the WAL sync */
    pthread_cond_t sync_work; /* syncing or writer_done */
    bool writer_done;         /* the writer thread has left its loop */
    pthread_t sync_thread;
    bool sync_started;        /* the store defers its sync to this thread */
    bool sync_busy;           /* the syncer is in its fdatasync */
    size_t queued;            /* jobs in `queue` */
    size_t pending;           /* submitted and not yet taken back */
    size_t auth_busy;         /* auth jobs being prepared */
    bool stopping, stopped;
    pthread_t writer_thread;
    bool writer_started;
    pthread_t *auth_threads;
    size_t n_auth;
    uint64_t groups, jobs;
    tsr_job **group;          /* group_max slots */
};

static void list_push(job_list *l, tsr_job *j)
{
    j->next_ = NULL;
    if (l->tail)
        l->tail->next_ = j;
    else
        l->head = j;
    l->tail = j;
}

static tsr_job *list_pop(job_list *l)
{
    tsr_job *j = l->head;
    if (j) {
        l->head = j->next_;
        if (!l->head)
            l->tail = NULL;
        j->next_ = NULL;
    }
    return j;
}

static void signal_done(tsr_writer *w)
{
    uint64_t one = 1;
    ssize_t r = write(w->o.done_fd, &one, sizeof one);
    (void)r; /* an eventfd counter only fails when it would overflow */
}

/* ---- idempotency ------------------------------------------------------------ */

static const char SQL_IDEM_GET[] =
    "SELECT req_hash, code, response, replay_ref FROM idempotency WHERE scope = ?1 AND key = ?2";
static const char SQL_IDEM_PUT[] =
    "INSERT INTO idempotency(scope, key, req_hash, code, response, created_at_ns, replay_ref) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/* The scope of a key: the route and the caller, so that two players (or a
 * player and a terminal) never share a key space. */
static void idem_scope(const tsr_job *j, char *buf, size_t len)
{
    const tsr_caller *c = &j->caller;
    if (c->kind == TSR_CALLER_PLAYER)
        snprintf(buf, len, "%s|p:%" PRId64, j->route ? j->route : "", c->player_id);
    else if (c->kind == TSR_CALLER_TERMINAL)
        snprintf(buf, len, "%s|t:%s", j->route ? j->route : "", c->terminal_id);
    else
        snprintf(buf, len, "%s|a", j->route ? j->route : "");
}

/* A stored entry of the same request: its reply text, or its replay. */
static tsr_status idem_replay(tsr_store_txn *t, tsr_job *j, sqlite3_stmt *st)
{
    j->ok_code = sqlite3_column_int(st, 1);
    j->replayed = true;
    if (sqlite3_column_type(st, 3) != SQLITE_NULL)
        return j->replay ? j->replay(t, j, sqlite3_column_int64(st, 3)) : TSR_ERR_INTERNAL;
    const char *text = (const char *)sqlite3_column_text(st, 2);
    j->response_text = text ? strdup(text) : NULL;
    return text && !j->response_text ? TSR_ERR_NOMEM : TSR_OK;
}

/* TSR_OK with *found when the key was seen: the stored reply is put in the
 * job (same request) or the job fails with TSR_ERR_IDEMPOTENT_MISMATCH. */
static tsr_status idem_lookup(tsr_store_txn *t, tsr_job *j, const char *scope, bool *found)
{
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(tsr_store_txn_conn(t), SQL_IDEM_GET, &st);
    *found = false;
    if (s != TSR_OK)
        return s;
    sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, j->idempotency_key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *found = true;
        if (sqlite3_column_bytes(st, 0) != TSR_HASH_LEN ||
            memcmp(sqlite3_column_blob(st, 0), j->request_hash, TSR_HASH_LEN) != 0)
            s = TSR_ERR_IDEMPOTENT_MISMATCH;
        else
            s = idem_replay(t, j, st);
    } else if (rc != SQLITE_DONE) {
        s = tsr_store_status(rc);
    }
    sqlite3_reset(st);
    return s;
}

static tsr_status idem_store(tsr_store_txn *t, tsr_job *j, const char *scope)
{
    sqlite3_stmt *st;
    tsr_status s = tsr_store_stmt(tsr_store_txn_conn(t), SQL_IDEM_PUT, &st);
    if (s != TSR_OK)
        return s;
    /* The reply sends exactly the stored bytes: a job that wrote its reply
     * as text keeps it, a JSON reply is serialized here once. A job with a
     * replay stores its reference instead. */
    if (j->replay) {
        sqlite3_bind_int64(st, 7, j->replay_ref);
    } else if (j->response) {
        free(j->response_text);
        j->response_text = json_dumps(j->response, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!j->response_text)
            return TSR_ERR_NOMEM;
    }
    const char *text = j->response_text;
    sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, j->idempotency_key, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, j->request_hash, TSR_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, j->ok_code);
    if (text && !j->replay)
        sqlite3_bind_text(st, 5, text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, tsr_store_txn_now(t).now_ns);
    return tsr_store_exec_stmt(st);
}

/* ---- one job in its savepoint ------------------------------------------------ */

static void job_reset_reply(tsr_job *j)
{
    json_decref(j->response);
    j->response = NULL;
    free(j->response_text);
    j->response_text = NULL;
}

static tsr_status run_apply(tsr_store_txn *t, tsr_job *j)
{
    char scope[SCOPE_MAX];
    bool found = false;
    tsr_status s = TSR_OK;
    if (j->idempotency_key) {
        idem_scope(j, scope, sizeof scope);
        s = idem_lookup(t, j, scope, &found);
        if (s != TSR_OK || found)
            return s;
    }
    s = j->apply(t, j);
    if (s == TSR_OK && j->idempotency_key)
        s = idem_store(t, j, scope);
    return s;
}

/* ---- pending state of the group (writer.h tsr_pending_hooks) --------------------- */

static size_t pending_mark(const tsr_writer *w)
{
    return w->o.pending.mark ? w->o.pending.mark(w->o.pending.arg) : 0;
}

static void pending_revert(const tsr_writer *w, size_t mark)
{
    if (w->o.pending.revert)
        w->o.pending.revert(w->o.pending.arg, mark);
}

static tsr_status pending_flush(const tsr_writer *w, tsr_store_txn *t)
{
    return w->o.pending.flush ? w->o.pending.flush(w->o.pending.arg, t) : TSR_OK;
}

/* Runs j in its own savepoint; j->status is its outcome. Returns non-OK
 * when the savepoint itself failed (SAVEPOINT, RELEASE or ROLLBACK TO):
 * what the job left is then unknown, so the caller fails the group. */
static tsr_status run_job(tsr_writer *w, tsr_store_txn *t, tsr_job *j)
{
    size_t mark = pending_mark(w);
    tsr_status sp = tsr_store_txn_savepoint(t);
    tsr_status s = sp;
    if (sp == TSR_OK) {
        s = run_apply(t, j);
        sp = s == TSR_OK ? tsr_store_txn_release(t) : tsr_store_txn_rollback_to(t);
        if (sp != TSR_OK) {
            tsr_log_error(w->o.env->log, "writer_savepoint_failed", "job=%s status=%s undo=%s",
                          j->kind, tsr_status_name(s), tsr_status_name(sp));
            s = sp;
        }
    }
    if (s != TSR_OK) {
        job_reset_reply(j);
        pending_revert(w, mark);
    } else if (j->settled) {
        j->settled(j);
    }
    j->status = s;
    return sp;
}

/* ---- runs: jobs that share one savepoint -------------------------------------- */

/* Consecutive rerun_safe jobs (bets) of a group share one savepoint; their
 * `settled` steps wait for the run's RELEASE. A job of the run that fails
 * having written nothing just fails (its seqs given back). One that fails
 * after writing cannot be undone alone: the run is rolled back, its earlier
 * jobs are applied again each in its own savepoint, and the rest of the
 * group runs that way (`careful`). A run that opens the group (at peak, the
 * whole group) takes no savepoint: its undo rolls back the transaction. */
typedef struct group_run {
    bool open;
    bool bare;    /* the run opened the group: the transaction is its savepoint */
    bool careful; /* a run was undone in this group: one savepoint per job */
    size_t first; /* the run's first job in w->group */
    size_t pending_mark; /* the pending state when the run began */
} group_run;

/* Ends the open run: RELEASE, then the settled steps of its jobs, in
 * order. A failed RELEASE fails the group (the caller aborts it). */
static tsr_status run_close(tsr_writer *w, tsr_store_txn *t, group_run *r, size_t end)
{
    if (!r->open)
        return TSR_OK;
    r->open = false;
    tsr_status s = r->bare ? TSR_OK : tsr_store_txn_run_release(t);
    for (size_t i = r->first; s == TSR_OK && i < end; i++) {
        tsr_job *j = w->group[i];
        if (j->status == TSR_OK && j->settled)
            j->settled(j);
    }
    return s;
}

/* Rolls the run back: to its savepoint, or for a bare run the whole
 * transaction, begun again (the same store txn object, the clock read
 * anew: nothing of the group was answered yet). */
static tsr_status run_rollback(tsr_writer *w, tsr_store_txn *t, const group_run *r)
{
    if (!r->bare)
        return tsr_store_txn_run_rollback(t);
    tsr_store_txn_abort(t);
    tsr_store_txn *again;
    tsr_status s = tsr_store_txn_begin(w->o.store, w->o.env, &again);
    return s == TSR_OK && again != t ? TSR_ERR_INTERNAL : s;
}

/* Job k of the run failed after writing: undo the run, apply its earlier
 * successful jobs again one by one (they ran before on the same state, so
 * they succeed again), and leave job k failed with nothing of it written. */
static tsr_status run_undo(tsr_writer *w, tsr_store_txn *t, group_run *r, size_t k)
{
    tsr_log_warn(w->o.env->log, "writer_run_undone", "job=%s status=%s jobs_again=%zu",
                 w->group[k]->kind, tsr_status_name(w->group[k]->status), k - r->first);
    r->open = false;
    r->careful = true;
    tsr_status s = run_rollback(w, t, r);
    pending_revert(w, r->pending_mark);
    for (size_t i = r->first; s == TSR_OK && i < k && !tsr_store_txn_lost(t); i++) {
        tsr_job *j = w->group[i];
        if (j->status != TSR_OK)
            continue; /* failed without writing: fails again the same way */
        job_reset_reply(j);
        j->replayed = false;
        s = run_job(w, t, j);
    }
    return s;
}

/* One job of the group: in the open run (starting one) when it allows,
 * else in its own savepoint. A non-OK return fails the whole group. */
static tsr_status run_one(tsr_writer *w, tsr_store_txn *t, group_run *r, size_t i)
{
    tsr_job *j = w->group[i];
    if (!j->rerun_safe) {
        tsr_status s = run_close(w, t, r, i);
        if (s == TSR_OK)
            s = pending_flush(w, t); /* the job sees the ledger whole */
        return s == TSR_OK ? run_job(w, t, j) : s;
    }
    if (r->careful)
        return run_job(w, t, j);
    if (!r->open) {
        /* A run that opens the group needs no savepoint: the transaction
         * is one. SQLite's sub-journal copy of every page the group
         * touches (and its freeing at COMMIT) is then saved too. */
        r->bare = i == 0;
        tsr_status s = r->bare ? TSR_OK : tsr_store_txn_run_begin(t);
        if (s != TSR_OK)
            return s;
        r->open = true;
        r->first = i;
        r->pending_mark = pending_mark(w);
    }
    int64_t changes = tsr_store_txn_changes(t);
    tsr_store_seq_mark seq = tsr_store_txn_seq_mark(t);
    size_t mark = pending_mark(w);
    j->status = run_apply(t, j);
    if (j->status == TSR_OK)
        return TSR_OK;
    job_reset_reply(j);
    pending_revert(w, mark);
    if (tsr_store_txn_changes(t) == changes) {
        tsr_store_txn_seq_restore(t, seq);
        return TSR_OK;
    }
    return run_undo(w, t, r, i);
}

/* ---- the group --------------------------------------------------------------- */

static void fail_group(tsr_writer *w, size_t n, tsr_status s)
{
    tsr_log_error(w->o.env->log, "writer_group_failed", "jobs=%zu status=%s", n,
                  tsr_status_name(s));
    for (size_t i = 0; i < n; i++) {
        w->group[i]->status = s;
        job_reset_reply(w->group[i]);
    }
}

/* Deferred sync: while the previous groups' sync is still under way, a
 * COMMIT now would only queue one more sync; the group takes in the jobs
 * that arrive meanwhile instead (up to group_max), so commits follow the
 * syncs as they did when each COMMIT synced itself, and the WAL gets fewer,
 * fuller commits. Returns true when jobs were added to w->group[*n..]. */
static bool grow_group(tsr_writer *w, size_t *n)
{
    bool added = false;
    pthread_mutex_lock(&w->mu);
    while (!added && w->sync_busy && *n < w->o.group_max && !w->stopping) {
        while (*n < w->o.group_max && w->queue.head) {
            w->group[(*n)++] = list_pop(&w->queue);
            w->queued--;
            added = true;
        }
        if (!added)
            pthread_cond_wait(&w->work, &w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return added;
}

static void run_group(tsr_writer *w, size_t *n)
{
    tsr_store_txn *t;
    /* After a failed sync nothing new is written (store.h): the jobs fail
     * with TSR_ERR_DISK_SYNC and change nothing. */
    tsr_status s = tsr_store_sync_failed(w->o.store) ? TSR_ERR_DISK_SYNC
                                                     : tsr_store_txn_begin(w->o.store, w->o.env, &t);
    if (s != TSR_OK) {
        fail_group(w, *n, s);
        return;
    }
    int64_t t0 = tsr_clock_mono_ns(w->o.env->clock);
    size_t ran = 0;
    group_run run = {0};
    for (;;) {
        for (; s == TSR_OK && ran < *n; ran++)
            if ((s = run_one(w, t, &run, ran)) == TSR_OK && tsr_store_txn_lost(t))
                s = TSR_ERR_IO; /* no statement may run in autocommit now */
        if (s != TSR_OK || !grow_group(w, n))
            break;
        /* the new jobs came after BEGIN: their cutoff checks need the time
         * of now, not of the BEGIN (a slow sync can take long) */
        tsr_store_txn_read_clock(t);
    }
    if (s == TSR_OK)
        s = run_close(w, t, &run, ran);
    if (s == TSR_OK)
        s = pending_flush(w, t);
    if (s == TSR_OK && w->o.before_commit)
        s = w->o.before_commit(w->o.hook_arg, t);
    if (s == TSR_OK && tsr_store_txn_lost(t))
        s = TSR_ERR_IO;
    int64_t t1 = tsr_clock_mono_ns(w->o.env->clock);
    if (s == TSR_OK) {
        s = tsr_store_txn_commit(t);
    } else {
        /* nothing of the group stays: the modules forget what its jobs
         * left in memory (written nothing: the transaction may be gone) */
        tsr_store_txn_abort(t);
        pending_revert(w, 0);
        if (w->o.before_commit)
            (void)w->o.before_commit(w->o.hook_arg, NULL);
    }
    if (s != TSR_OK)
        fail_group(w, *n, s);
    tsr_log_debug(w->o.env->log, "group_committed", "jobs=%zu apply_us=%lld commit_us=%lld", *n,
                  (long long)(t1 - t0) / 1000,
                  (long long)(tsr_clock_mono_ns(w->o.env->clock) - t1) / 1000);
}

static void *writer_main(void *arg)
{
    tsr_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->queue.head && !(w->stopping && !w->auth_queue.head && !w->auth_busy))
            pthread_cond_wait(&w->work, &w->mu);
        if (!w->queue.head)
            break;
        size_t n = 0;
        while (n < w->o.group_max && w->queue.head) {
            w->group[n++] = list_pop(&w->queue);
            w->queued--;
        }
        pthread_mutex_unlock(&w->mu);
        run_group(w, &n);
        pthread_mutex_lock(&w->mu);
        /* With deferred sync the replies wait for the syncer. */
        job_list *to = w->sync_started ? &w->syncing : &w->done;
        for (size_t i = 0; i < n; i++)
            list_push(to, w->group[i]);
        w->groups++;
        w->jobs += n;
        if (w->sync_started)
            pthread_cond_signal(&w->sync_work);
        else
            signal_done(w);
    }
    w->writer_done = true;
    pthread_cond_signal(&w->sync_work);
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* The syncer: takes every group committed so far, syncs the WAL once for
 * all of them (tsr_store_sync), then hands them to the CoAP thread. A
 * failed sync fails their replies: the bets may or may not be on disk, and
 * a retry with the same key answers from the database either way. */
static void *sync_main(void *arg)
{
    tsr_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->syncing.head && !w->writer_done)
            pthread_cond_wait(&w->sync_work, &w->mu);
        if (!w->syncing.head)
            break;
        job_list batch = w->syncing;
        w->syncing.head = w->syncing.tail = NULL;
        w->sync_busy = true;
        pthread_mutex_unlock(&w->mu);
        tsr_status s = tsr_store_sync(w->o.store);
        for (tsr_job *j = batch.head; s != TSR_OK && j; j = j->next_) {
            if (j->status == TSR_OK) {
                j->status = s;
                job_reset_reply(j);
            }
        }
        pthread_mutex_lock(&w->mu);
        w->sync_busy = false;
        pthread_cond_broadcast(&w->work); /* a growing group may commit now */
        if (w->done.tail)
            w->done.tail->next_ = batch.head;
        else
            w->done.head = batch.head;
        w->done.tail = batch.tail;
        signal_done(w);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static void *auth_main(void *arg)
{
    tsr_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->auth_queue.head && !w->stopping)
            pthread_cond_wait(&w->auth_work, &w->mu);
        tsr_job *j = list_pop(&w->auth_queue);
        if (!j)
            break;
        w->auth_busy++;
        pthread_mutex_unlock(&w->mu);
        j->status = j->prepare(j);
        pthread_mutex_lock(&w->mu);
        w->auth_busy--;
        if (j->status == TSR_OK) {
            list_push(&w->queue, j);
            w->queued++;
        } else {
            list_push(&w->done, j);
            signal_done(w);
        }
        pthread_cond_signal(&w->work);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* ---- lifecycle ----------------------------------------------------------------- */

static tsr_status start_threads(tsr_writer *w)
{
    if (tsr_store_sync_deferred(w->o.store)) {
        if (pthread_create(&w->sync_thread, NULL, sync_main, w) != 0)
            return TSR_ERR_INTERNAL;
        w->sync_started = true;
    }
    if (pthread_create(&w->writer_thread, NULL, writer_main, w) != 0)
        return TSR_ERR_INTERNAL;
    w->writer_started = true;
    w->auth_threads = calloc(w->o.auth_workers, sizeof *w->auth_threads);
    if (!w->auth_threads)
        return TSR_ERR_NOMEM;
    for (; w->n_auth < w->o.auth_workers; w->n_auth++)
        if (pthread_create(&w->auth_threads[w->n_auth], NULL, auth_main, w) != 0)
            return TSR_ERR_INTERNAL;
    return TSR_OK;
}

tsr_status tsr_writer_start(tsr_writer **out, const tsr_writer_opts *o)
{
    tsr_writer *w = calloc(1, sizeof *w);
    if (!w)
        return TSR_ERR_NOMEM;
    w->o = *o;
    if (w->o.auth_workers == 0)
        w->o.auth_workers = 1;
    w->group = calloc(o->group_max ? o->group_max : 1, sizeof *w->group);
    if (!w->group) {
        free(w);
        return TSR_ERR_NOMEM;
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->work, NULL);
    pthread_cond_init(&w->auth_work, NULL);
    pthread_cond_init(&w->sync_work, NULL);
    tsr_status s = start_threads(w);
    if (s != TSR_OK) {
        tsr_writer_destroy(w);
        return s;
    }
    *out = w;
    return TSR_OK;
}

tsr_status tsr_writer_submit(tsr_writer *w, tsr_job *job)
{
    pthread_mutex_lock(&w->mu);
    tsr_status s = TSR_OK;
    if (w->stopping)
        s = TSR_ERR_SHUTTING_DOWN;
    else if (w->pending >= w->o.queue_max)
        s = TSR_ERR_BUSY;
    if (s == TSR_OK) {
        w->pending++;
        if (job->prepare) {
            list_push(&w->auth_queue, job);
            pthread_cond_signal(&w->auth_work);
        } else {
            list_push(&w->queue, job);
            /* The writer wants the first job at once (it may be idle), and
             * while a group grows during a sync, jobs a few at a time: a
             * wake-up per job was a futex call and a context switch each. */
            if (++w->queued == 1 || w->queued % WRITER_WAKE_BATCH == 0)
                pthread_cond_signal(&w->work);
        }
    }
    pthread_mutex_unlock(&w->mu);
    return s;
}

tsr_job *tsr_writer_take_done(tsr_writer *w)
{
    pthread_mutex_lock(&w->mu);
    tsr_job *head = w->done.head;
    for (tsr_job *j = head; j; j = j->next_)
        w->pending--;
    w->done.head = w->done.tail = NULL;
    pthread_mutex_unlock(&w->mu);
    return head;
}

size_t tsr_writer_pending(tsr_writer *w)
{
    pthread_mutex_lock(&w->mu);
    size_t n = w->pending;
    pthread_mutex_unlock(&w->mu);
    return n;
}

void tsr_writer_stats(tsr_writer *w, uint64_t *groups, uint64_t *jobs)
{
    pthread_mutex_lock(&w->mu);
    *groups = w->groups;
    *jobs = w->jobs;
    pthread_mutex_unlock(&w->mu);
}

void tsr_writer_stop(tsr_writer *w)
{
    pthread_mutex_lock(&w->mu);
    bool was = w->stopped;
    w->stopping = true;
    w->stopped = true;
    pthread_cond_broadcast(&w->auth_work);
    pthread_cond_broadcast(&w->work);
    pthread_mutex_unlock(&w->mu);
    if (was)
        return;
    /* Auth workers first: what they finish still goes to the writer. */
    for (size_t i = 0; i < w->n_auth; i++)
        pthread_join(w->auth_threads[i], NULL);
    pthread_mutex_lock(&w->mu);
    pthread_cond_broadcast(&w->work);
    pthread_mutex_unlock(&w->mu);
    if (w->writer_started)
        pthread_join(w->writer_thread, NULL);
    if (w->sync_started) {
        pthread_mutex_lock(&w->mu);
        w->writer_done = true; /* also when the writer never started */
        pthread_cond_signal(&w->sync_work);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->sync_thread, NULL);
    }
}

static void free_list(job_list *l)
{
    tsr_job *j;
    while ((j = list_pop(l)))
        tsr_job_free(j);
}

void tsr_writer_destroy(tsr_writer *w)
{
    if (!w)
        return;
    tsr_writer_stop(w);
    free_list(&w->queue);
    free_list(&w->auth_queue);
    free_list(&w->done);
    free_list(&w->syncing);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->sync_work);
    pthread_cond_destroy(&w->work);
    pthread_cond_destroy(&w->auth_work);
    free(w->auth_threads);
    free(w->group);
    free(w);
}

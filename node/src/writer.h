/*
 * The writer: a bounded job queue drained by one thread that owns the
 * SQLite write connection and runs up to group_max jobs per transaction
 * (group commit), each in its own savepoint (or, for rerun_safe jobs such
 * as bets, one savepoint per run of them: writer.c), plus auth worker threads that
 * run jobs' prepare step (Argon2id) before they reach the writer.
 *
 * Completed jobs are collected in a done list and signalled on `done_fd`
 * (an eventfd owned by the caller, written with 1 per group), so the CoAP
 * thread replies only after the group's COMMIT returned — on disk with
 * synchronous=FULL.
 */
#ifndef TSR_NODE_WRITER_H
#define TSR_NODE_WRITER_H

#include <stddef.h>

#include "job.h"
#include "store.h"
#include "tessera/env.h"

typedef struct tsr_writer tsr_writer;

/* State a module keeps in memory across the jobs of a group instead of
 * writing it per job (the retail sales of sales_batch.h). The writer
 * brackets every job with mark and, when the job fails, revert to its
 * mark (also to a run's first mark when it rolls a run back); it calls
 * flush, which writes the state into the group transaction, before every
 * job that is not rerun_safe and before the group's before_commit, so
 * every other job and the COMMIT see it written. All NULL: none. */
typedef struct tsr_pending_hooks {
    tsr_status (*flush)(void *arg, tsr_store_txn *t);
    size_t (*mark)(void *arg);
    void (*revert)(void *arg, size_t mark);
    void *arg;
} tsr_pending_hooks;

typedef struct tsr_writer_opts {
    tsr_store *store;     /* borrowed */
    const tsr_env *env;   /* borrowed */
    size_t queue_max;     /* jobs queued or in prepare; beyond: TSR_ERR_BUSY */
    size_t group_max;     /* jobs per transaction */
    size_t auth_workers;  /* prepare threads (>= 1) */
    int done_fd;          /* eventfd to signal completions (borrowed) */
    /* Optional: runs on the writer thread after the group's jobs and before
     * its COMMIT (per-group records such as the bets' audit row). A non-OK
     * status fails the whole group: nothing of it commits. */
    tsr_status (*before_commit)(void *arg, tsr_store_txn *t);
    /* (also called with t NULL when the group failed: forget the per-group
     * state, write nothing) */
    void *hook_arg;       /* borrowed: before_commit's argument */
    tsr_pending_hooks pending; /* optional (see above) */
} tsr_writer_opts;

/* Starts the writer and auth threads. Owns *out. TSR_ERR_NOMEM,
 * TSR_ERR_INTERNAL (thread creation failed). */
tsr_status tsr_writer_start(tsr_writer **out, const tsr_writer_opts *o) TSR_MUST_CHECK;

/* Queues a job (taken on TSR_OK only). TSR_ERR_BUSY when queue_max jobs are
 * pending, TSR_ERR_SHUTTING_DOWN after tsr_writer_stop began. Any thread. */
tsr_status tsr_writer_submit(tsr_writer *w, tsr_job *job) TSR_MUST_CHECK;

/* Takes every completed job (a list linked by next_, oldest first; the
 * caller owns them) or NULL. Any thread. */
tsr_job *tsr_writer_take_done(tsr_writer *w);

/* Jobs submitted and not yet taken back. */
size_t tsr_writer_pending(tsr_writer *w);

/* Refuses new jobs, lets the queued ones finish (their completions stay in
 * the done list) and joins the threads. Idempotent. */
void tsr_writer_stop(tsr_writer *w);

/* Stops (if needed) and frees the writer and any jobs left in it; NULL-safe. */
void tsr_writer_destroy(tsr_writer *w);

/* Groups committed and jobs run since start (for health and the benchmark). */
void tsr_writer_stats(tsr_writer *w, uint64_t *groups, uint64_t *jobs);

#endif

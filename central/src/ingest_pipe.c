/* The ingest pipeline: a worker thread fetches ticket batches from
 * JetStream, checks their signatures and decodes their entries (the second
 * core's share: Ed25519, BLAKE2b leaves, decoding), while the step's thread
 * writes earlier fetches to SQLite. The worker never touches the store; the
 * writer takes every ready fetch into one transaction, commits, and only
 * then acks, so "commit before ack" and "receipts only for committed
 * entries" hold as before.
 *
 * Slots form a ring: the worker fills slot `fill`, the writer empties from
 * `take`; `ready` slots between them are the writer's until it releases
 * them. Only the counters are shared under the mutex. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "central_int.h"

/* A fetch the writer could not store is redelivered after this delay. */
#define PIPE_NAK_DELAY_MS 1000
/* Expiry of a fetch sized to the consumer's backlog: it completes when
 * those messages (or TSR_JS_FETCH_BYTES_MAX) arrived, long before this,
 * unless the count was stale. */
#define PIPE_BULK_WAIT_MS 2000
/* The writer's own checkpoint threshold once the checkpointer runs: only a
 * safety valve (256 MiB of WAL) should the checkpointer fall behind. */
#define PIPE_WAL_VALVE_PAGES 65536
/* The worker's pause after the bus refused a fetch (down, reconnecting). */
#define PIPE_RETRY_MS 50

typedef struct slot {
    tsr_js_msgs msgs;
    cmsg m[TSR_JS_FETCH_MAX];
    centries e;
} slot;

struct cpipe {
    pthread_t thread, ckpt_thread;
    sqlite3 *ckpt_db;   /* the checkpointer's own connection */
    bool ckpt_started, ckpt_due;
    pthread_cond_t ckpt_cv;
    pthread_mutex_t mu;
    pthread_cond_t ready_cv, free_cv;
    bool started, stop;
    int fill, take, ready;
    uint64_t backlog; /* worker only: messages the consumer said it still held */
    slot slots[CENTRAL_PIPE_SLOTS];
};

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Verifies and decodes every message of a fetch. */
static tsr_status prepare_slot(tsr_central *c, slot *sl)
{
    sl->e.n = 0;
    for (int i = 0; i < sl->msgs.count; i++) {
        size_t len;
        const void *data = tsr_js_msg_data(&sl->msgs, i, &len);
        tsr_status s = central_prepare(c, tsr_js_msg_subject(&sl->msgs, i), data, len,
                                       &sl->m[i], &sl->e);
        if (s != TSR_OK)
            return s;
    }
    return TSR_OK;
}

static void nak_slot(slot *sl, int64_t delay_ms)
{
    for (int i = 0; i < sl->msgs.count; i++)
        CENTRAL_BEST_EFFORT(tsr_js_msg_nak(&sl->msgs, i, delay_ms)); /* AckWait redelivers anyway */
    tsr_js_msgs_free(&sl->msgs);
}

/* Fetches into the next free slot; returns false when asked to stop. */
static bool worker_fill(tsr_central *c, cpipe *p)
{
    pthread_mutex_lock(&p->mu);
    while (!p->stop && p->ready == CENTRAL_PIPE_SLOTS)
        pthread_cond_wait(&p->free_cv, &p->mu);
    bool stop = p->stop;
    slot *sl = &p->slots[p->fill];
    pthread_mutex_unlock(&p->mu);
    if (stop)
        return false;
    /* cnats 3.4 ends a waiting fetch at its Expires and drops what the
     * server sends after, so a fetch must never be mid-delivery at its
     * expiry (30 s AckWait stalls otherwise). An idle consumer waits for a
     * single message; the consumer's pending count then sizes the next
     * fetch to what is already there, which completes at once. */
    int want = p->backlog > TSR_JS_FETCH_MAX ? TSR_JS_FETCH_MAX : (int)p->backlog;
    tsr_status s = want > 0 ? tsr_js_fetch(c->tickets, want, PIPE_BULK_WAIT_MS, &sl->msgs)
                            : tsr_js_fetch(c->tickets, 1, CENTRAL_PIPE_FETCH_WAIT_MS, &sl->msgs);
    p->backlog = s == TSR_OK ? tsr_js_msg_pending(&sl->msgs, sl->msgs.count - 1) : 0;
    if (s == TSR_ERR_TIMEOUT)
        return true;
    if (s != TSR_OK) {
        sleep_ms(PIPE_RETRY_MS); /* the broker is away: retried, as the step did */
        return true;
    }
    if (prepare_slot(c, sl) != TSR_OK) {
        tsr_log_error(c->o.env->log, "ingest_prepare_failed", "status=%s msgs=%d",
                      tsr_status_name(TSR_ERR_NOMEM), sl->msgs.count);
        nak_slot(sl, PIPE_NAK_DELAY_MS);
        sleep_ms(PIPE_RETRY_MS);
        return true;
    }
    pthread_mutex_lock(&p->mu);
    p->fill = (p->fill + 1) % CENTRAL_PIPE_SLOTS;
    p->ready++;
    pthread_cond_signal(&p->ready_cv);
    pthread_mutex_unlock(&p->mu);
    return true;
}

static void *worker(void *arg)
{
    tsr_central *c = arg;
    while (worker_fill(c, c->pipe))
        ;
    return NULL;
}

/* Copies committed WAL frames into the database after each commit, on its
 * own connection and thread (PASSIVE: never blocks the writer), so the
 * writer's COMMIT no longer pays for checkpoints (measured: 12-15% of its
 * time at 1M tickets). Durability is unchanged: a commit is on disk in the
 * WAL (synchronous=FULL) before its ack, whoever checkpoints it later. */
static void *checkpointer(void *arg)
{
    cpipe *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && !p->ckpt_due)
            pthread_cond_wait(&p->ckpt_cv, &p->mu);
        if (p->stop)
            break;
        p->ckpt_due = false;
        pthread_mutex_unlock(&p->mu);
        /* Busy (a reader holds old frames) is fine: the next commit retries. */
        (void)sqlite3_wal_checkpoint_v2(p->ckpt_db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Starts the checkpointer; without it the writer checkpoints as SQLite's
 * default does (nothing is lost, only speed). */
static void checkpointer_start(tsr_central *c, cpipe *p)
{
    if (sqlite3_open_v2(c->o.db_path, &p->ckpt_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK ||
        sqlite3_exec(p->ckpt_db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK ||
        pthread_create(&p->ckpt_thread, NULL, checkpointer, p) != 0) {
        sqlite3_close(p->ckpt_db);
        p->ckpt_db = NULL;
        return;
    }
    p->ckpt_started = true;
    CENTRAL_BEST_EFFORT(cdb_exec(&c->db, "PRAGMA wal_autocheckpoint=" CDB_STR(PIPE_WAL_VALVE_PAGES)));
}

static void checkpoint_soon(cpipe *p)
{
    pthread_mutex_lock(&p->mu);
    p->ckpt_due = true;
    pthread_cond_signal(&p->ckpt_cv);
    pthread_mutex_unlock(&p->mu);
}

static tsr_status pipe_start(tsr_central *c)
{
    cpipe *p = calloc(1, sizeof *p);
    if (!p)
        return TSR_ERR_NOMEM;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* waits are durations */
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->ready_cv, &ca);
    pthread_cond_init(&p->free_cv, &ca);
    pthread_cond_init(&p->ckpt_cv, &ca);
    pthread_condattr_destroy(&ca);
    c->pipe = p;
    checkpointer_start(c, p);
    if (pthread_create(&p->thread, NULL, worker, c) != 0) {
        central_pipe_stop(c);
        return TSR_ERR_NOMEM;
    }
    p->started = true;
    return TSR_OK;
}

void central_pipe_stop(tsr_central *c)
{
    cpipe *p = c->pipe;
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->free_cv);
    pthread_cond_broadcast(&p->ckpt_cv);
    pthread_mutex_unlock(&p->mu);
    if (p->started)
        pthread_join(p->thread, NULL);
    if (p->ckpt_started) {
        pthread_join(p->ckpt_thread, NULL);
        /* The writer checkpoints at its usual threshold again. */
        CENTRAL_BEST_EFFORT(cdb_exec(&c->db, "PRAGMA wal_autocheckpoint=1000"));
    }
    sqlite3_close(p->ckpt_db);
    /* Fetched but never written: hand them back at once for the next run. */
    for (int k = 0; k < p->ready; k++)
        nak_slot(&p->slots[(p->take + k) % CENTRAL_PIPE_SLOTS], 0);
    for (int k = 0; k < CENTRAL_PIPE_SLOTS; k++) {
        tsr_js_msgs_free(&p->slots[k].msgs);
        free(p->slots[k].e.v);
    }
    pthread_cond_destroy(&p->ready_cv);
    pthread_cond_destroy(&p->free_cv);
    pthread_cond_destroy(&p->ckpt_cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
    c->pipe = NULL;
}

/* Waits at most wait_ms for a ready slot; returns how many the writer takes
 * (consecutive from p->take, at most CENTRAL_TXN_ENTRIES_MAX entries past
 * the first). */
static int wait_ready(cpipe *p, int64_t wait_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&p->mu);
    while (p->ready == 0 && pthread_cond_timedwait(&p->ready_cv, &p->mu, &until) == 0)
        ;
    int ready = p->ready;
    pthread_mutex_unlock(&p->mu);
    int n = 0;
    size_t entries = 0;
    while (n < ready) {
        entries += p->slots[(p->take + n) % CENTRAL_PIPE_SLOTS].e.n;
        if (n > 0 && entries > CENTRAL_TXN_ENTRIES_MAX)
            break;
        n++;
    }
    return n;
}

static void release(cpipe *p, int n)
{
    for (int k = 0; k < n; k++)
        tsr_js_msgs_free(&p->slots[(p->take + k) % CENTRAL_PIPE_SLOTS].msgs);
    pthread_mutex_lock(&p->mu);
    p->take = (p->take + n) % CENTRAL_PIPE_SLOTS;
    p->ready -= n;
    pthread_cond_signal(&p->free_cv);
    pthread_mutex_unlock(&p->mu);
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* durations only: not the clock seam's job */
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Writes n taken slots in one transaction. */
static tsr_status write_slots(tsr_central *c, cpipe *p, int n, tsr_central_step_stats *stats,
                              int *msgs)
{
    tsr_status s = cdb_exec(&c->db, "BEGIN IMMEDIATE");
    *msgs = 0;
    for (int k = 0; k < n && s == TSR_OK; k++) {
        slot *sl = &p->slots[(p->take + k) % CENTRAL_PIPE_SLOTS];
        for (int i = 0; i < sl->msgs.count && s == TSR_OK; i++, (*msgs)++)
            s = central_ingest_prepared(c, &sl->m[i], sl->e.v ? sl->e.v + sl->m[i].first : NULL,
                                        stats);
    }
    if (s == TSR_OK)
        s = cids_flush(c);
    return s;
}

tsr_status central_pipe_step(tsr_central *c, int64_t wait_ms, tsr_central_step_stats *stats)
{
    tsr_status s;
    if (!c->pipe && c->tickets && (s = pipe_start(c)) != TSR_OK)
        return s;
    cpipe *p = c->pipe;
    if (!p)
        return TSR_OK;
    int n = wait_ready(p, wait_ms);
    if (n == 0)
        return TSR_OK;
    int64_t t0 = mono_us();
    uint64_t before = stats->entries_new;
    int msgs;
    s = write_slots(c, p, n, stats, &msgs);
    int64_t t1 = mono_us();
    if (s == TSR_OK)
        s = cdb_exec(&c->db, "COMMIT");
    tsr_log_debug(c->o.env->log, "ingest_txn",
                  "fetches=%d msgs=%d entries=%llu work_us=%lld commit_us=%lld id_lookups=%llu",
                  n, msgs, (unsigned long long)(stats->entries_new - before), (long long)(t1 - t0),
                  (long long)(mono_us() - t1), (unsigned long long)cids_lookups(c));
    if (s != TSR_OK) {
        tsr_log_error(c->o.env->log, "ingest_failed", "status=%s", tsr_status_name(s));
        CENTRAL_BEST_EFFORT(cdb_exec(&c->db, "ROLLBACK"));
        cids_rollback(c);
        tsr_status r = central_load_nodes(c);
        for (int k = 0; k < n; k++)
            nak_slot(&p->slots[(p->take + k) % CENTRAL_PIPE_SLOTS], PIPE_NAK_DELAY_MS);
        release(p, n);
        return r == TSR_OK ? s : r;
    }
    for (int k = 0; k < n; k++) {
        slot *sl = &p->slots[(p->take + k) % CENTRAL_PIPE_SLOTS];
        for (int i = 0; i < sl->msgs.count; i++)
            CENTRAL_BEST_EFFORT(tsr_js_msg_ack(&sl->msgs, i)); /* a lost ack is a redelivery, absorbed */
    }
    release(p, n);
    if (p->ckpt_started)
        checkpoint_soon(p);
    return TSR_OK;
}

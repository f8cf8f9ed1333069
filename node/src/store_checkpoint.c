/* The background checkpointer of a running node's store (store.h).
 *
 * With SQLite's automatic checkpoint the writer thread copies WAL frames
 * back into the database file itself, after the COMMIT of every group that
 * crosses the threshold: measured at ~12 % of the node's CPU, all of it on
 * the writer's critical path (the group waits, and so do the bets queued
 * behind it). Here the writer's connection only counts WAL pages (its WAL
 * hook) and wakes a thread that runs PASSIVE checkpoints on a connection
 * of its own, concurrently with the next groups. Durability does not move:
 * a commit is durable once its WAL frames are synced (synchronous=FULL);
 * the checkpoint only shortens the WAL. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "tessera/log.h"

/* WAL pages that wake the checkpointer (SQLite's own default threshold). */
#define CHECKPOINT_WAKE_PAGES 1000
/* WAL pages at which the writer stops waiting for the thread and
 * checkpoints itself: bounds the WAL (~64 MiB of 4 KiB pages) if the
 * thread cannot keep up, e.g. starved of CPU. */
#define CHECKPOINT_INLINE_PAGES 16000
_Static_assert(CHECKPOINT_INLINE_PAGES > 4 * CHECKPOINT_WAKE_PAGES,
               "the inline checkpoint is the exception, not the rule");

struct tsr_checkpointer {
    sqlite3 *db;      /* the checkpointer's own connection */
    tsr_log *log;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    bool due, stopping;
};

/* Writer thread, after each commit: nPages is the WAL's size in pages. */
static int on_wal_commit(void *arg, sqlite3 *writer, const char *name, int pages)
{
    tsr_checkpointer *c = arg;
    if (pages >= CHECKPOINT_INLINE_PAGES) {
        sqlite3_wal_checkpoint_v2(writer, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        return SQLITE_OK;
    }
    if (pages >= CHECKPOINT_WAKE_PAGES) {
        pthread_mutex_lock(&c->mu);
        c->due = true;
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->mu);
    }
    return SQLITE_OK;
}

static void *checkpoint_main(void *arg)
{
    tsr_checkpointer *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->due && !c->stopping)
            pthread_cond_wait(&c->wake, &c->mu);
        if (c->stopping)
            break;
        c->due = false;
        pthread_mutex_unlock(&c->mu);
        int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            tsr_log_warn(c->log, "checkpoint_failed", "sqlite=\"%s\"", sqlite3_errstr(rc));
        pthread_mutex_lock(&c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

static tsr_status open_conn(tsr_checkpointer *c, const char *path)
{
    int rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK)
        return TSR_ERR_IO;
    sqlite3_busy_timeout(c->db, TSR_STORE_BUSY_TIMEOUT_MS);
    /* The database file is synced after each checkpoint, as the writer's
     * own checkpoints did. */
    rc = sqlite3_exec(c->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    return rc == SQLITE_OK ? TSR_OK : TSR_ERR_IO;
}

tsr_status tsr_checkpointer_start(const char *path, sqlite3 *writer, tsr_log *log,
                                  tsr_checkpointer **out)
{
    tsr_checkpointer *c = calloc(1, sizeof *c);
    if (!c)
        return TSR_ERR_NOMEM;
    c->log = log;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->wake, NULL);
    tsr_status s = open_conn(c, path);
    if (s == TSR_OK && pthread_create(&c->thread, NULL, checkpoint_main, c) != 0)
        s = TSR_ERR_INTERNAL;
    if (s != TSR_OK) {
        sqlite3_close(c->db);
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->wake);
        free(c);
        return s;
    }
    /* Replaces the automatic checkpoint (which is a WAL hook too). */
    sqlite3_wal_hook(writer, on_wal_commit, c);
    *out = c;
    return TSR_OK;
}

void tsr_checkpointer_stop(tsr_checkpointer *c, sqlite3 *writer)
{
    if (!c)
        return;
    sqlite3_wal_autocheckpoint(writer, CHECKPOINT_WAKE_PAGES); /* unhooks ours */
    pthread_mutex_lock(&c->mu);
    c->stopping = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    sqlite3_close(c->db);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->wake);
    free(c);
}

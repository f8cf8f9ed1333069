/* The reconciler's loop: ingest, reconcile, receipts, replays, beacons. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "central_int.h"
#include "tessera/token.h"

int64_t central_now(tsr_central *c)
{
    return tsr_clock_now_ns(c->o.env->clock);
}

cnode *central_node(tsr_central *c, const char *name)
{
    for (size_t i = 0; i < c->n_nodes; i++)
        if (strcmp(c->nodes[i].name, name) == 0)
            return &c->nodes[i];
    return NULL;
}

static void defaults(tsr_central_opts *o)
{
    if (!o->beacon_interval_ms) o->beacon_interval_ms = 1000;
    if (!o->replay_grace_ms) o->replay_grace_ms = 2000;
    if (!o->replay_interval_ms) o->replay_interval_ms = 2000;
    if (!o->seal_grace_ms) o->seal_grace_ms = 5000;
    if (!o->status_stale_ms) o->status_stale_ms = 5000;
}

/* Whether the node streamed any cancel yet: until it has, a new ticket
 * cannot have been cancelled before it arrived, and ingestion skips that
 * lookup (one statement per ticket). */
static tsr_status node_has_cancels(tsr_central *c, cnode *n)
{
    static const char *const sql = "SELECT EXISTS(SELECT 1 FROM entries WHERE kind=2 AND node_id=?)";
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&c->db, sql, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, n->id);
    int rc = sqlite3_step(st);
    n->has_cancels = rc == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? TSR_OK : cdb_rc(rc);
}

/* Loads (or creates) a node's row into memory. */
static tsr_status load_node(tsr_central *c, cnode *n)
{
    static const char *const ins =
        "INSERT INTO nodes(node, chain, active) VALUES(?, ?, 1)"
        " ON CONFLICT(node) DO UPDATE SET active=1";
    static const char *const sel =
        "SELECT node_id, contig_seq, chain, max_seq, want_seq, receipted_seq FROM nodes WHERE node=?";
    uint8_t zero[TSR_HASH_LEN];
    tsr_chain_init(zero);
    sqlite3_stmt *st;
    tsr_status s = cdb_stmt(&c->db, ins, &st);
    if (s != TSR_OK)
        return s;
    sqlite3_bind_text(st, 1, n->name, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, zero, sizeof zero, SQLITE_STATIC);
    if ((s = cdb_step_done(st)) != TSR_OK || (s = cdb_stmt(&c->db, sel, &st)) != TSR_OK)
        return s;
    sqlite3_bind_text(st, 1, n->name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return TSR_ERR_IO;
    }
    n->id = sqlite3_column_int64(st, 0);
    n->contig_seq = (uint64_t)sqlite3_column_int64(st, 1);
    memcpy(n->chain, sqlite3_column_blob(st, 2), TSR_HASH_LEN);
    n->max_seq = (uint64_t)sqlite3_column_int64(st, 3);
    n->want_seq = (uint64_t)sqlite3_column_int64(st, 4);
    n->receipted_seq = (uint64_t)sqlite3_column_int64(st, 5);
    sqlite3_reset(st);
    return node_has_cancels(c, n);
}

/* (Re)loads every node from the store: at open, and after a rolled-back
 * transaction so memory never runs ahead of the disk. */
tsr_status central_load_nodes(tsr_central *c)
{
    tsr_status s = cdb_exec(&c->db, "UPDATE nodes SET active=0");
    for (size_t i = 0; i < c->n_nodes && s == TSR_OK; i++)
        s = load_node(c, &c->nodes[i]);
    return s;
}

static tsr_status setup_nodes(tsr_central *c)
{
    if (c->o.n_nodes == 0 || c->o.n_nodes > TSR_CENTRAL_NODES_MAX)
        return TSR_ERR_ARG;
    for (size_t i = 0; i < c->o.n_nodes; i++) {
        cnode *n = &c->nodes[i];
        memset(n, 0, sizeof *n);
        const char *name = c->o.nodes[i];
        if (!name || strlen(name) >= TSR_NAME_MAX ||
            tsr_subject_node(TSR_SUBJ_RECEIPTS, name, n->subj_receipts, sizeof n->subj_receipts) ||
            tsr_subject_node(TSR_SUBJ_REPLAY, name, n->subj_replay, sizeof n->subj_replay))
            return TSR_ERR_ARG;
        strcpy(n->name, name);
        tsr_status s = tsr_keyring_find_name(c->o.node_keys, name, n->pk);
        if (s != TSR_OK)
            return s;
    }
    c->n_nodes = c->o.n_nodes;
    return central_load_nodes(c);
}

/* Streams and consumers; retried each step until NATS is there. */
static tsr_status setup_bus(tsr_central *c)
{
    if (c->streams_ready)
        return TSR_OK;
    tsr_status s = tsr_js_ensure_tessera_streams(c->js, c->o.replicas);
    const tsr_js_consumer_spec tickets = {TSR_STREAM_TICKETS, TSR_DURABLE_CENTRAL,
                                          TSR_SUBJ_TICKETS_ALL, 0, 0};
    const tsr_js_consumer_spec seals = {TSR_STREAM_SEALS, TSR_DURABLE_CENTRAL,
                                        TSR_SUBJ_SEALS_ALL, 0, 0};
    if (s == TSR_OK && !c->tickets)
        s = tsr_js_pull_open(&c->tickets, c->js, &tickets);
    if (s == TSR_OK && !c->seals)
        s = tsr_js_pull_open(&c->seals, c->js, &seals);
    if (s == TSR_OK && !c->status)
        s = tsr_js_sub_open(&c->status, c->js, TSR_SUBJ_STATUS_ALL);
    c->streams_ready = s == TSR_OK;
    return s;
}

tsr_status tsr_central_open(tsr_central **out, const tsr_central_opts *o)
{
    *out = NULL;
    if (!o || !o->nats_url || !o->db_path || !o->receipt_key || !o->node_keys || !o->env ||
        !o->env->clock || (o->replicas != 1 && o->replicas != 3))
        return TSR_ERR_ARG;
    tsr_central *c = calloc(1, sizeof *c);
    if (!c)
        return TSR_ERR_NOMEM;
    c->o = *o;
    defaults(&c->o);
    tsr_status s = cdb_open(&c->db, o->db_path);
    if (s == TSR_OK)
        s = setup_nodes(c);
    if (s == TSR_OK)
        s = cids_open(c);
    if (s == TSR_OK) {
        tsr_js_opts jo = {.url = o->nats_url, .name = o->name ? o->name : "tessera-central",
                          .log = o->env->log,
                          .timeout_ms = 5000};
        s = tsr_js_connect(&c->js, &jo);
    }
    if (s == TSR_OK)
        s = setup_bus(c);
    if (s != TSR_OK) {
        tsr_central_close(c);
        return s;
    }
    c->beacon_seq = (uint64_t)central_now(c); /* strictly increasing across restarts */
    *out = c;
    return TSR_OK;
}

void tsr_central_close(tsr_central *c)
{
    if (!c)
        return;
    central_pipe_stop(c); /* before the pull it fetches from */
    tsr_js_pull_close(c->tickets);
    tsr_js_pull_close(c->seals);
    tsr_js_sub_close(c->status);
    tsr_js_close(c->js);
    cids_close(c);
    cdb_close(&c->db);
    free(c);
}

/* Ingests one fetch of messages with `ingest` in one transaction; acks only
 * after COMMIT, so a crash between the two means a redelivery, which the
 * idempotent insert absorbs. */
typedef tsr_status (*ingest_fn)(tsr_central *c, const char *subject, const void *data,
                                size_t len, tsr_central_step_stats *st);

static tsr_status ingest_msgs(tsr_central *c, tsr_js_msgs *m, ingest_fn fn,
                              tsr_central_step_stats *stats)
{
    struct timespec t0, t1, t2;
    clock_gettime(CLOCK_MONOTONIC, &t0); /* durations only: not the clock seam's job */
    tsr_status s = cdb_exec(&c->db, "BEGIN IMMEDIATE");
    for (int i = 0; i < m->count && s == TSR_OK; i++) {
        size_t len;
        const void *data = tsr_js_msg_data(m, i, &len);
        s = fn(c, tsr_js_msg_subject(m, i), data, len, stats);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (s == TSR_OK)
        s = cdb_exec(&c->db, "COMMIT");
    clock_gettime(CLOCK_MONOTONIC, &t2);
    tsr_log_debug(c->o.env->log, "ingest_txn", "msgs=%d work_us=%lld commit_us=%lld", m->count,
                  (long long)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000),
                  (long long)((t2.tv_sec - t1.tv_sec) * 1000000 + (t2.tv_nsec - t1.tv_nsec) / 1000));
    if (s != TSR_OK) {
        tsr_log_error(c->o.env->log, "ingest_failed", "status=%s", tsr_status_name(s));
        CENTRAL_BEST_EFFORT(cdb_exec(&c->db, "ROLLBACK"));
        tsr_status r = central_load_nodes(c);
        for (int i = 0; i < m->count; i++)
            CENTRAL_BEST_EFFORT(tsr_js_msg_nak(m, i, 1000)); /* best effort: AckWait redelivers anyway */
        return r == TSR_OK ? s : r;
    }
    for (int i = 0; i < m->count; i++)
        CENTRAL_BEST_EFFORT(tsr_js_msg_ack(m, i)); /* a lost ack is a redelivery, absorbed */
    return TSR_OK;
}

static tsr_status seal_fn(tsr_central *c, const char *subject, const void *data, size_t len,
                          tsr_central_step_stats *st)
{
    st->seals++;
    return central_seal_ingest(c, subject, data, len);
}

static tsr_status pull_and_ingest(tsr_central *c, tsr_js_pull *p, int max, int64_t wait_ms,
                                  ingest_fn fn, tsr_central_step_stats *stats)
{
    tsr_js_msgs m;
    tsr_status s = tsr_js_fetch(p, max, wait_ms, &m);
    if (s == TSR_ERR_TIMEOUT || s == TSR_ERR_UNAVAILABLE || s == TSR_ERR_JS)
        return TSR_OK; /* nothing now, or the broker is away: next step retries */
    if (s != TSR_OK)
        return s;
    s = ingest_msgs(c, &m, fn, stats);
    tsr_js_msgs_free(&m);
    return s;
}

static tsr_status send_receipt(tsr_central *c, cnode *n, int64_t now)
{
    static const char *const upd = "UPDATE nodes SET receipted_seq=? WHERE node_id=?";
    static const char *const ins =
        "INSERT OR IGNORE INTO receipts(node_id,up_to_seq,chain,issued_at_ns) VALUES(?,?,?,?)";
    tsr_node_receipt r = {.up_to_seq = n->contig_seq, .issued_at_ns = now};
    memcpy(r.node, n->name, sizeof r.node);
    memcpy(r.chain, n->chain, TSR_HASH_LEN);
    uint8_t buf[TSR_SIGNED_MAX(TSR_NODE_RECEIPT_ENC_MAX)];
    size_t len;
    char id[TSR_SUBJECT_MAX];
    snprintf(id, sizeof id, "%s:r%llu", n->name, (unsigned long long)r.up_to_seq);
    tsr_status s = tsr_node_receipt_sign(&r, c->o.receipt_key, buf, sizeof buf, &len);
    if (s == TSR_OK)
        s = tsr_js_publish(c->js, n->subj_receipts, id, buf, len, NULL);
    if (s != TSR_OK)
        return s;
    n->receipted_seq = r.up_to_seq;
    n->last_receipt_ns = now;
    sqlite3_stmt *st;
    if ((s = cdb_stmt(&c->db, upd, &st)) != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, (int64_t)r.up_to_seq);
    sqlite3_bind_int64(st, 2, n->id);
    if ((s = cdb_step_done(st)) != TSR_OK || (s = cdb_stmt(&c->db, ins, &st)) != TSR_OK)
        return s;
    sqlite3_bind_int64(st, 1, n->id);
    sqlite3_bind_int64(st, 2, (int64_t)r.up_to_seq);
    sqlite3_bind_blob(st, 3, r.chain, TSR_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now);
    return cdb_step_done(st);
}

/* Receipts go out only for committed entries (contig_seq is advanced inside
 * the ingest transaction, and this runs after its COMMIT). */
static tsr_status receipts(tsr_central *c, tsr_central_step_stats *stats)
{
    int64_t now = central_now(c);
    for (size_t i = 0; i < c->n_nodes; i++) {
        cnode *n = &c->nodes[i];
        if (n->contig_seq <= n->receipted_seq ||
            now - n->last_receipt_ns < c->o.receipt_interval_ms * TSR_NS_PER_MS)
            continue;
        tsr_status s = send_receipt(c, n, now);
        if (s == TSR_ERR_IO || s == TSR_ERR_DISK_FULL)
            return s;
        if (s == TSR_OK)
            stats->receipts++;
    }
    return TSR_OK;
}

static void gaps(tsr_central *c, tsr_central_step_stats *stats)
{
    int64_t now = central_now(c);
    for (size_t i = 0; i < c->n_nodes; i++) {
        cnode *n = &c->nodes[i];
        if (n->want_seq <= n->contig_seq) {
            n->gap_since_ns = 0;
            continue;
        }
        if (!n->gap_since_ns)
            n->gap_since_ns = now;
        if (now - n->gap_since_ns < c->o.replay_grace_ms * TSR_NS_PER_MS ||
            (n->last_replay_ns && now - n->last_replay_ns < c->o.replay_interval_ms * TSR_NS_PER_MS))
            continue;
        uint64_t to = n->want_seq;
        if (to - n->contig_seq > TSR_CENTRAL_REPLAY_MAX)
            to = n->contig_seq + TSR_CENTRAL_REPLAY_MAX;
        if (central_replay_request(c, n, n->contig_seq + 1, to, NULL, 0) == TSR_OK)
            stats->replays++;
    }
}

static void beacon(tsr_central *c)
{
    int64_t now = central_now(c);
    if (!c->o.beacon_key || (c->last_beacon_ns &&
                             now - c->last_beacon_ns < c->o.beacon_interval_ms * TSR_NS_PER_MS))
        return;
    tsr_beacon b = {.seq = ++c->beacon_seq, .time_ns = now};
    uint8_t buf[TSR_BEACON_PACKED_MAX];
    size_t len;
    if (tsr_beacon_sign(&b, c->o.beacon_key) == TSR_OK &&
        tsr_beacon_pack(&b, buf, sizeof buf, &len) == TSR_OK &&
        tsr_js_publish_core(c->js, TSR_SUBJ_BEACON, buf, len) == TSR_OK)
        c->last_beacon_ns = now;
}

/* Node status messages (JSON, see relay.h) land in the nodes table. */
static tsr_status node_status(tsr_central *c)
{
    static const char *const sql =
        "UPDATE nodes SET last_status_ns=?, status=? WHERE node=?";
    char buf[CENTRAL_STATUS_MSG_MAX + 1], subject[TSR_SUBJECT_MAX], node[TSR_NAME_MAX];
    for (int k = 0; k < CENTRAL_STATUS_PER_STEP; k++) {
        size_t len;
        tsr_status s = tsr_js_sub_next(c->status, 0, buf, CENTRAL_STATUS_MSG_MAX, &len, subject);
        if (s == TSR_ERR_TOO_LARGE)
            continue;
        if (s != TSR_OK)
            return TSR_OK;
        buf[len] = '\0';
        if (tsr_subject_node_of(subject, node, sizeof node) != TSR_OK || !central_node(c, node))
            continue;
        json_t *j = json_loads(buf, 0, NULL);
        bool ok = json_is_object(j);
        json_decref(j);
        sqlite3_stmt *st;
        if (!ok || (s = cdb_stmt(&c->db, sql, &st)) != TSR_OK)
            continue;
        sqlite3_bind_int64(st, 1, central_now(c));
        sqlite3_bind_text(st, 2, buf, (int)len, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, node, -1, SQLITE_STATIC);
        if ((s = cdb_step_done(st)) != TSR_OK)
            return s;
    }
    return TSR_OK;
}

static tsr_status recheck_all(tsr_central *c)
{
    tsr_status s = cdb_exec(&c->db, "BEGIN IMMEDIATE");
    for (size_t i = 0; i < c->n_nodes && s == TSR_OK; i++)
        s = central_recheck_seals(c, &c->nodes[i], true);
    if (s == TSR_OK)
        s = cdb_exec(&c->db, "COMMIT");
    if (s != TSR_OK)
        CENTRAL_BEST_EFFORT(cdb_exec(&c->db, "ROLLBACK"));
    return s;
}

tsr_status tsr_central_step(tsr_central *c, int64_t wait_ms, tsr_central_step_stats *stats)
{
    tsr_central_step_stats local = {0};
    if (!stats)
        stats = &local;
    if (setup_bus(c) != TSR_OK) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
        return TSR_OK;
    }
    tsr_status s = central_pipe_step(c, wait_ms, stats);
    if (s == TSR_OK)
        s = pull_and_ingest(c, c->seals, CENTRAL_SEAL_FETCH, 0, seal_fn, stats);
    if (s == TSR_OK)
        s = node_status(c);
    if (s == TSR_OK)
        s = receipts(c, stats);
    if (s == TSR_OK)
        s = recheck_all(c);
    if (s != TSR_OK)
        return s;
    gaps(c, stats);
    beacon(c);
    return central_request_missing_seals(c);
}

tsr_status tsr_central_run(tsr_central *c, volatile sig_atomic_t *stop)
{
    while (!*stop) {
        tsr_status s = tsr_central_step(c, 100, NULL);
        if (s != TSR_OK)
            return s;
    }
    return TSR_OK;
}

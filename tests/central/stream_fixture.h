/* Shared fixture of the streaming tests: a real nats-server, keys from
 * fixed seeds, a test clock, tickets and signed batches. Header-only
 * (static inline) so each test executable stays self-contained. */
#ifndef TSR_STREAM_FIXTURE_H
#define TSR_STREAM_FIXTURE_H

#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tessera/central.h"
#include "tessera/codec.h"
#include "tessera/merkle.h"
#include "tessera/transport.h"
#include "tsr_test.h"

#define FX_T0 (INT64_C(1795446000) * TSR_NS_PER_S)

typedef struct fx {
    tsr_test_nats nats;
    char dir[256], db[300];
    tsr_clock *clock;
    tsr_env env;
    tsr_keypair central_kp, beacon_kp, node_kp[3], forger_kp;
    tsr_keyring *node_keys;
    const char *names[3];
    tsr_central *central;
    tsr_js *js; /* a publisher standing in for nodes */
} fx;

static inline void fx_seed_key(tsr_keypair *kp, uint8_t tag)
{
    uint8_t seed[TSR_SEED_LEN];
    memset(seed, tag, sizeof seed);
    tsr_keypair_from_seed(kp, seed);
}

static inline void fx_central_open(fx *f, size_t n_nodes)
{
    tsr_central_opts o = {.nats_url = f->nats.url, .db_path = f->db,
                          .receipt_key = &f->central_kp, .beacon_key = &f->beacon_kp,
                          .node_keys = f->node_keys, .nodes = f->names, .n_nodes = n_nodes,
                          .replicas = 1, .env = &f->env};
    ck_assert_int_eq(tsr_central_open(&f->central, &o), TSR_OK);
}

/* Debian installs nats-server in /usr/sbin; tsr_test.c looks in /usr/bin
 * unless TSR_NATS_SERVER says otherwise. */
static inline void fx_nats_path(void)
{
    if (!getenv("TSR_NATS_SERVER") && access("/usr/bin/nats-server", X_OK) != 0 &&
        access("/usr/sbin/nats-server", X_OK) == 0)
        setenv("TSR_NATS_SERVER", "/usr/sbin/nats-server", 1);
}

static inline void fx_start(fx *f, size_t n_nodes)
{
    memset(f, 0, sizeof *f);
    fx_nats_path();
    ck_assert(tsr_test_nats_start(&f->nats));
    tsr_test_tmpdir("central", f->dir, sizeof f->dir);
    snprintf(f->db, sizeof f->db, "%s/central.db", f->dir);
    ck_assert_int_eq(tsr_clock_test_create(&f->clock, FX_T0), TSR_OK);
    f->env.clock = f->clock;
    fx_seed_key(&f->central_kp, 0xC0);
    fx_seed_key(&f->beacon_kp, 0xB0);
    fx_seed_key(&f->forger_kp, 0xEE);
    ck_assert_int_eq(tsr_keyring_create(&f->node_keys), TSR_OK);
    static const char *const names[3] = {"n1", "n2", "n3"};
    for (size_t i = 0; i < 3; i++) {
        fx_seed_key(&f->node_kp[i], (uint8_t)(0x10 + i));
        f->names[i] = names[i];
        ck_assert_int_eq(tsr_keyring_add(f->node_keys, f->node_kp[i].pk, names[i]), TSR_OK);
    }
    fx_central_open(f, n_nodes);
    tsr_js_opts jo = {.url = f->nats.url, .name = "test-publisher"};
    ck_assert_int_eq(tsr_js_connect(&f->js, &jo), TSR_OK);
}

static inline void fx_stop(fx *f)
{
    tsr_js_close(f->js);
    tsr_central_close(f->central);
    tsr_keyring_destroy(f->node_keys);
    tsr_clock_destroy(f->clock);
    tsr_test_nats_stop(&f->nats, true);
    tsr_test_rmtree(f->dir);
}

/* A ticket of node `node`, seq, for lotto draw `draw`, with an id derived
 * from (node, seq, salt) so tests can make ids collide on purpose. */
static inline void fx_ticket(tsr_ticket *t, const char *node, uint64_t seq, uint32_t draw,
                             int64_t stake, uint32_t id_salt)
{
    memset(t, 0, sizeof *t);
    snprintf(t->node, sizeof t->node, "%s", node);
    t->seq = seq;
    snprintf(t->game, sizeof t->game, "lotto");
    t->draw = draw;
    t->channel = TSR_CHANNEL_ONLINE;
    t->bet_len = 6;
    for (int i = 0; i < 6; i++)
        t->bet[i] = (uint8_t)(1 + (seq + (uint64_t)i) % 49);
    t->stake_cents = stake;
    t->accepted_at_ns = FX_T0 + (int64_t)seq * TSR_NS_PER_MS;
    snprintf(t->serial, sizeof t->serial, "S%llu", (unsigned long long)seq);
    t->check = (uint32_t)(seq * 7919u);
    char buf[64];
    snprintf(buf, sizeof buf, "%s/%llu/%u", node, (unsigned long long)seq, id_salt);
    uint8_t h[TSR_HASH_LEN];
    tsr_hash256(h, buf, strlen(buf));
    memcpy(t->id, h, sizeof t->id);
}

/* Signs a batch of the given tickets with kp into out. */
static inline size_t fx_batch(const tsr_keypair *kp, const char *node, const tsr_ticket *t,
                              size_t n, uint8_t *out, size_t cap)
{
    tsr_batch_builder *b;
    ck_assert_int_eq(tsr_batch_builder_create(&b, node), TSR_OK);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(tsr_batch_add_ticket(b, &t[i]), TSR_OK);
    size_t len;
    ck_assert_int_eq(tsr_batch_finish(b, kp, out, cap, &len), TSR_OK);
    tsr_batch_builder_destroy(b);
    return len;
}

static inline void fx_publish(fx *f, const char *node, const uint8_t *data, size_t len,
                              const char *msg_id)
{
    char subject[TSR_SUBJECT_MAX];
    ck_assert_int_eq(tsr_subject_node(TSR_SUBJ_TICKETS, node, subject, sizeof subject), TSR_OK);
    ck_assert_int_eq(tsr_js_publish(f->js, subject, msg_id, data, len, NULL), TSR_OK);
}

/* Steps central until `done` says so or `max` steps pass. */
static inline void fx_steps(fx *f, int max)
{
    for (int i = 0; i < max; i++)
        ck_assert_int_eq(tsr_central_step(f->central, 20, NULL), TSR_OK);
}

static inline int64_t fx_query(const char *db, const char *sql)
{
    sqlite3 *d;
    ck_assert_int_eq(sqlite3_open_v2(db, &d, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    ck_assert_msg(sqlite3_prepare_v2(d, sql, -1, &st, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(d));
    int64_t v = -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(d);
    return v;
}

/* Seal over live tickets t[0..n) of one draw, signed by kp. */
static inline size_t fx_seal(const tsr_keypair *kp, const char *node, uint32_t draw,
                             const tsr_ticket *t, size_t n, uint8_t *out, size_t cap)
{
    tsr_seal s = {.draw = draw, .first_seq = t[0].seq, .last_seq = t[n - 1].seq,
                  .sealed_at_ns = FX_T0 + TSR_NS_PER_S};
    snprintf(s.node, sizeof s.node, "%s", node);
    snprintf(s.game, sizeof s.game, "lotto");
    tsr_merkle_acc acc;
    tsr_merkle_acc_init(&acc);
    for (size_t i = 0; i < n; i++) {
        uint8_t leaf[TSR_HASH_LEN];
        ck_assert_int_eq(tsr_ticket_leaf(&t[i], leaf), TSR_OK);
        tsr_merkle_acc_add(&acc, leaf);
        s.count++;
        s.stake_total_cents += t[i].stake_cents;
    }
    tsr_merkle_acc_root(&acc, s.merkle_root);
    size_t len;
    ck_assert_int_eq(tsr_seal_sign(&s, kp, out, cap, &len), TSR_OK);
    return len;
}

#endif

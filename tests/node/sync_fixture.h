/*
 * Fixture of the node sync suites: the node fixture's in-process node
 * (plain CoAP, test clock, in-test wallet) with the sync module and a
 * nats_url, a real nats-server, and central in-process (stepped by the
 * test thread). Keys: the node's and the draw authority's from the node
 * fixture, central's from a fixed seed (its public file is the node's
 * central_key). Header-only: each test is its own executable.
 */
#ifndef TSR_SYNC_FIXTURE_H
#define TSR_SYNC_FIXTURE_H

#include <sqlite3.h>
#include <time.h>

#include "../../node/src/sync_node.h"
#include "node_fixture.h"
#include "tessera/central.h"
#include "tessera/results.h"
#include "tessera/transport.h"

/* Central steps (each waits at most SX_STEP_MS for messages) before a
 * waited-for condition counts as never reached: generous, so a slow
 * machine is never mistaken for a failure, and the condition is checked
 * after every step so a fast one never waits for nothing. */
#define SX_STEPS_MAX 1500
#define SX_STEP_MS 10

static const char *PICK3 = "{\"type\":\"straight\",\"numbers\":[1,2,3],\"stake\":\"1.00\"}";

typedef struct sx {
    fx f;
    tsr_test_nats nats;
    tsr_keypair central_kp;
    tsr_keyring *node_keys;
    tsr_central *central;
    char cdb[300];
} sx;

static inline void sx_central_open(sx *s)
{
    static const char *const names[] = {"n1", "n2"};
    tsr_central_opts o = {.nats_url = s->nats.url, .db_path = s->cdb,
                          .receipt_key = &s->central_kp, .beacon_key = &s->f.authority_kp,
                          .node_keys = s->node_keys, .nodes = names, .n_nodes = 2,
                          .replicas = 1, .env = &s->f.env};
    ck_assert_int_eq(tsr_central_open(&s->central, &o), TSR_OK);
}

/* Everything but the node start (tests may adjust cfg first). */
static inline void sx_setup(sx *s, const char *tag)
{
    memset(s, 0, sizeof *s);
    fx_setup(&s->f, tag);
    ck_assert(tsr_test_nats_start(&s->nats));
    uint8_t seed[TSR_SEED_LEN];
    memset(seed, 0xC0, sizeof seed);
    tsr_keypair_from_seed(&s->central_kp, seed);
    char p[200];
    fx_path(&s->f, "central.pub", p, sizeof p);
    ck_assert_int_eq(tsr_key_write_public(p, s->central_kp.pk), TSR_OK);
    snprintf(s->f.cfg.central_key, sizeof s->f.cfg.central_key, "%s", p);
    snprintf(s->f.cfg.nats_url, sizeof s->f.cfg.nats_url, "%s", s->nats.url);
    s->f.extra[0] = tsr_sync_module;
    s->f.n_extra = 1;
    ck_assert_int_eq(tsr_keyring_create(&s->node_keys), TSR_OK);
    ck_assert_int_eq(tsr_keyring_add(s->node_keys, s->f.node_kp.pk, "n1"), TSR_OK);
    ck_assert_int_eq(tsr_keyring_add(s->node_keys, s->f.other_kp.pk, "n2"), TSR_OK);
    snprintf(s->cdb, sizeof s->cdb, "%s/central.db", s->f.dir);
    sx_central_open(s);
}

static inline void sx_teardown(sx *s)
{
    fx_stop_node(&s->f);
    tsr_central_close(s->central);
    tsr_keyring_destroy(s->node_keys);
    tsr_test_nats_stop(&s->nats, true);
    fx_teardown(&s->f);
}

/* One integer from a query on a database file (read-only; WAL readers see
 * the last commit). -1 when no row. */
static inline int64_t sx_q(const char *db, const char *sql)
{
    sqlite3 *d;
    ck_assert_int_eq(sqlite3_open_v2(db, &d, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(d, 5000);
    sqlite3_stmt *st;
    ck_assert_msg(sqlite3_prepare_v2(d, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
                  sqlite3_errmsg(d));
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(d);
    return v;
}

static inline int64_t sx_node_q(sx *s, const char *sql) { return sx_q(s->f.cfg.db_path, sql); }
static inline int64_t sx_central_q(sx *s, const char *sql) { return sx_q(s->cdb, sql); }

/* The invariant checked at every step: the node never deleted a row that
 * central's store does not hold (its anchor is at most central's
 * contiguous seq for n1). Returns the anchor. */
static inline int64_t sx_check_no_early_release(sx *s)
{
    int64_t anchor = sx_node_q(s, "SELECT coalesce(max(seq), 0) FROM relay_anchor");
    int64_t last = sx_node_q(s, "SELECT last_seq FROM outbox_meta");
    int64_t rows = sx_node_q(s, "SELECT count(*) FROM outbox");
    int64_t held = sx_central_q(s, "SELECT coalesce(max(contig_seq), 0) FROM nodes WHERE node='n1'");
    ck_assert_msg(anchor <= held, "node released up to %lld, central holds %lld",
                  (long long)anchor, (long long)held);
    ck_assert_msg(last - rows <= held, "rows deleted beyond what central holds");
    return anchor;
}

typedef bool (*sx_cond)(sx *s, void *arg);

/* Steps central until cond holds (checking the release invariant after
 * every step). Returns whether it did. */
static inline bool sx_until(sx *s, sx_cond cond, void *arg)
{
    for (int i = 0; i < SX_STEPS_MAX; i++) {
        ck_assert_int_eq(tsr_central_step(s->central, SX_STEP_MS, NULL), TSR_OK);
        sx_check_no_early_release(s);
        if (cond(s, arg))
            return true;
    }
    return false;
}

static inline bool sx_outbox_empty(sx *s, void *arg)
{
    int64_t want = *(const int64_t *)arg;
    return sx_node_q(s, "SELECT count(*) FROM outbox") == 0 &&
           sx_central_q(s, "SELECT count(*) FROM entries") == want;
}

/* The relay's counters as /v1/health reports them. */
static inline json_int_t sx_health_relay(sx *s, const char *key)
{
    fx_resp *r = fx_req(&s->f, COAP_REQUEST_CODE_GET, "v1/health", NULL, NULL);
    ck_assert_int_eq(r->code, 205);
    json_t *v = json_object_get(json_object_get(r->json, "relay"), key);
    return json_is_integer(v) ? json_integer_value(v) : json_is_true(v) ? 1 : json_is_false(v) ? 0 : -1;
}

typedef struct sx_counter {
    const char *key;
    json_int_t at_least;
} sx_counter;

static inline bool sx_health_at_least(sx *s, void *arg)
{
    const sx_counter *c = arg;
    return sx_health_relay(s, c->key) >= c->at_least;
}

/* Waits until the relay counted `n` more of `key` than `base`. */
static inline void sx_wait_counter(sx *s, const char *key, json_int_t base, json_int_t n)
{
    sx_counter c = {key, base + n};
    ck_assert_msg(sx_until(s, sx_health_at_least, &c), "relay.%s never reached %lld", key,
                  (long long)(base + n));
}

/* A cutoff token for the next pick3 draw signed by kp, packed. */
static inline size_t sx_token(sx *s, const tsr_keypair *kp, tsr_cutoff_token *t, uint8_t *out)
{
    fx_token(&s->f, "pick3", tsr_clock_now_ns(s->f.clock), kp, t);
    size_t len;
    ck_assert_int_eq(tsr_cutoff_token_pack(t, out, TSR_TOKEN_PACKED_MAX, &len), TSR_OK);
    return len;
}

/* Sells n pick3 bets as player 7 with keys "<tag>-<i>"; all must succeed. */
static inline void sx_sell(sx *s, const char *tag, int n)
{
    for (int i = 0; i < n; i++) {
        char key[64];
        snprintf(key, sizeof key, "sync-%s-%06d", tag, i);
        fx_resp *r = fx_bet(&s->f, "session=player-7", "pick3", PICK3, key);
        ck_assert_msg(r->code == 201, "bet %s: %d %s", key, r->code, r->body);
    }
}

#endif

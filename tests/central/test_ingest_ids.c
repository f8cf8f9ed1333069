/* Ticket-id claims at central (schema v2: table ticket_ids, sorted inserts
 * behind an in-memory filter): a reused id is caught whether its holder was
 * written in this transaction, an earlier one, by another node or before a
 * restart; cancels find their ticket; a version-1 store is migrated and a
 * newer one refused. Ids derive from fixed strings (no randomness). */
#include <stdlib.h>

#include "stream_fixture.h"

static uint8_t buf[TSR_BATCH_MAX_BYTES];

/* A batch of tickets then cancels (either list may be empty). */
static size_t batch_mixed(const tsr_keypair *kp, const char *node, const tsr_ticket *t, size_t nt,
                          const tsr_cancel *k, size_t nk)
{
    tsr_batch_builder *b;
    ck_assert_int_eq(tsr_batch_builder_create(&b, node), TSR_OK);
    for (size_t i = 0; i < nt; i++)
        ck_assert_int_eq(tsr_batch_add_ticket(b, &t[i]), TSR_OK);
    for (size_t i = 0; i < nk; i++)
        ck_assert_int_eq(tsr_batch_add_cancel(b, &k[i]), TSR_OK);
    size_t len;
    ck_assert_int_eq(tsr_batch_finish(b, kp, buf, sizeof buf, &len), TSR_OK);
    tsr_batch_builder_destroy(b);
    return len;
}

static void cancel_of(tsr_cancel *k, const tsr_ticket *t, const char *node, uint64_t seq)
{
    memset(k, 0, sizeof *k);
    memcpy(k->ticket_id, t->id, sizeof k->ticket_id);
    snprintf(k->node, sizeof k->node, "%s", node);
    k->seq = seq;
    snprintf(k->game, sizeof k->game, "%s", t->game);
    k->draw = t->draw;
    k->refund_cents = t->stake_cents;
    k->cancelled_at_ns = t->accepted_at_ns + TSR_NS_PER_S;
}

static int64_t conflicts(fx *f)
{
    return fx_query(f->db, "SELECT count(*) FROM alarms WHERE kind='ticket_conflict'");
}

static void totals(fx *f, uint64_t want_count, int64_t want_stake)
{
    uint64_t count;
    int64_t stake;
    ck_assert_int_eq(tsr_central_draw_totals(f->central, "lotto", 7, &count, &stake), TSR_OK);
    ck_assert_uint_eq(count, want_count);
    ck_assert_int_eq(stake, want_stake);
}

START_TEST(reuse_is_caught_in_any_transaction_node_or_run)
{
    fx f;
    fx_start(&f, 2);
    enum { N = 3000 };
    static tsr_ticket t[N];
    for (size_t i = 0; i < N; i++)
        fx_ticket(&t[i], "n1", i + 1, 7, 100, 0);
    /* Three batches, likely in one transaction: thousands of distinct ids. */
    for (size_t i = 0; i < N; i += 1000) {
        char id[32];
        snprintf(id, sizeof id, "n1:%zu", i + 1);
        fx_publish(&f, "n1", buf, batch_mixed(&f.node_kp[0], "n1", t + i, 1000, NULL, 0), id);
    }
    fx_steps(&f, 6);
    ck_assert_int_eq(fx_query(f.db, "SELECT count(*) FROM ticket_ids"), N);
    ck_assert_int_eq(conflicts(&f), 0);
    /* n1 reuses its own committed id; n2 reuses another of n1's ids. */
    tsr_ticket again, other;
    fx_ticket(&again, "n1", N + 1, 7, 100, 1);
    memcpy(again.id, t[10].id, sizeof again.id);
    fx_ticket(&other, "n2", 1, 7, 100, 0);
    memcpy(other.id, t[20].id, sizeof other.id);
    fx_publish(&f, "n1", buf, batch_mixed(&f.node_kp[0], "n1", &again, 1, NULL, 0), "n1:again");
    fx_publish(&f, "n2", buf, batch_mixed(&f.node_kp[1], "n2", &other, 1, NULL, 0), "n2:1");
    fx_steps(&f, 4);
    ck_assert_int_eq(conflicts(&f), 2);
    ck_assert_int_eq(fx_query(f.db, "SELECT count(*) FROM entries WHERE conflict=1"), 2);
    ck_assert_int_eq(fx_query(f.db, "SELECT count(*) FROM ticket_ids"), N);
    /* The evidence still fills each node's sequence. */
    ck_assert_int_eq(fx_query(f.db, "SELECT sum(contig_seq) FROM nodes"), N + 2);
    totals(&f, N, N * 100);
    /* After a restart the filter is rebuilt from the table. */
    tsr_central_close(f.central);
    fx_central_open(&f, 2);
    fx_ticket(&other, "n2", 2, 7, 100, 0);
    memcpy(other.id, t[N - 1].id, sizeof other.id);
    fx_publish(&f, "n2", buf, batch_mixed(&f.node_kp[1], "n2", &other, 1, NULL, 0), "n2:2");
    fx_steps(&f, 4);
    ck_assert_int_eq(conflicts(&f), 3);
    totals(&f, N, N * 100);
    fx_stop(&f);
}
END_TEST

START_TEST(same_id_twice_in_one_batch_keeps_the_first)
{
    fx f;
    fx_start(&f, 1);
    tsr_ticket t[4];
    for (size_t i = 0; i < 4; i++)
        fx_ticket(&t[i], "n1", i + 1, 7, 100 + (int64_t)i, 0);
    memcpy(t[3].id, t[1].id, sizeof t[1].id);
    fx_publish(&f, "n1", buf, batch_mixed(&f.node_kp[0], "n1", t, 4, NULL, 0), "n1:1-4");
    fx_steps(&f, 4);
    ck_assert_int_eq(conflicts(&f), 1);
    ck_assert_int_eq(fx_query(f.db, "SELECT seq FROM ticket_ids WHERE ticket_id=(SELECT ticket_id"
                                    " FROM entries WHERE seq=4)"), 2);
    ck_assert_int_eq(fx_query(f.db, "SELECT conflict FROM entries WHERE seq=4"), 1);
    totals(&f, 3, 100 + 101 + 102);
    fx_stop(&f);
}
END_TEST

START_TEST(cancels_find_their_ticket_in_this_or_an_earlier_transaction)
{
    fx f;
    fx_start(&f, 2);
    tsr_ticket t[3];
    tsr_cancel k[2];
    for (size_t i = 0; i < 3; i++)
        fx_ticket(&t[i], "n1", i + 1, 7, 100, 0);
    cancel_of(&k[0], &t[0], "n1", 4); /* same batch as its ticket: still pending */
    fx_publish(&f, "n1", buf, batch_mixed(&f.node_kp[0], "n1", t, 3, k, 1), "n1:1-4");
    fx_steps(&f, 4);
    totals(&f, 2, 200);
    cancel_of(&k[1], &t[1], "n1", 5); /* committed earlier */
    fx_publish(&f, "n1", buf, batch_mixed(&f.node_kp[0], "n1", NULL, 0, &k[1], 1), "n1:5");
    /* Another node cannot cancel n1's ticket. */
    tsr_cancel foreign;
    cancel_of(&foreign, &t[2], "n2", 1);
    fx_publish(&f, "n2", buf, batch_mixed(&f.node_kp[1], "n2", NULL, 0, &foreign, 1), "n2:1");
    fx_steps(&f, 4);
    totals(&f, 1, 100);
    ck_assert_int_eq(fx_query(f.db, "SELECT count(*) FROM entries WHERE kind=1 AND cancelled=1"), 2);
    ck_assert_int_eq(fx_query(f.db, "SELECT cancelled FROM entries WHERE node_id=1 AND seq=3"), 0);
    ck_assert_int_eq(conflicts(&f), 0);
    fx_stop(&f);
}
END_TEST

static void sql(const char *db, const char *text)
{
    sqlite3 *d;
    ck_assert_int_eq(sqlite3_open(db, &d), SQLITE_OK);
    ck_assert_msg(sqlite3_exec(d, text, NULL, NULL, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(d));
    sqlite3_close(d);
}

/* A store as version 1 left it: the unique index on entries, no
 * ticket_ids, user_version 0, holding n1's ticket 1 of the fixture. */
static void make_v1_store(fx *f, const tsr_ticket *t)
{
    tsr_central_close(f->central);
    f->central = NULL;
    static const char *const suffix[3] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        char path[sizeof f->db + 8];
        snprintf(path, sizeof path, "%s%s", f->db, suffix[i]);
        unlink(path);
    }
    char hex[2 * TSR_TICKET_ID_LEN + 1], text[1024];
    tsr_hex_encode(hex, sizeof hex, t->id, TSR_TICKET_ID_LEN);
    snprintf(text, sizeof text,
             "CREATE TABLE entries(node_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
             " kind INTEGER NOT NULL, ticket_id BLOB NOT NULL, game TEXT NOT NULL,"
             " draw INTEGER NOT NULL, amount INTEGER NOT NULL, accepted_at_ns INTEGER NOT NULL,"
             " leaf BLOB NOT NULL, bytes BLOB NOT NULL, conflict INTEGER NOT NULL DEFAULT 0,"
             " cancelled INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(node_id, seq)) WITHOUT ROWID;"
             "CREATE UNIQUE INDEX entries_ticket ON entries(ticket_id) WHERE kind=1 AND conflict=0;"
             "INSERT INTO entries VALUES(1,1,1,x'%s','lotto',7,100,0,x'00',x'00',0,0);", hex);
    sql(f->db, text);
}

START_TEST(a_version_1_store_is_migrated_and_a_newer_one_refused)
{
    fx f;
    fx_start(&f, 1);
    tsr_ticket held, reuse;
    fx_ticket(&held, "n1", 1, 7, 100, 0);
    make_v1_store(&f, &held);
    fx_central_open(&f, 1);
    ck_assert_int_eq(fx_query(f.db, "PRAGMA user_version"), 2);
    ck_assert_int_eq(fx_query(f.db, "SELECT seq FROM ticket_ids"), 1);
    ck_assert_int_eq(fx_query(f.db, "SELECT count(*) FROM sqlite_master WHERE name='entries_ticket'"), 0);
    fx_ticket(&reuse, "n1", 2, 7, 100, 9);
    memcpy(reuse.id, held.id, sizeof reuse.id);
    fx_publish(&f, "n1", buf, batch_mixed(&f.node_kp[0], "n1", &reuse, 1, NULL, 0), "n1:2");
    fx_steps(&f, 4);
    ck_assert_int_eq(conflicts(&f), 1);
    /* A store from a newer build is left alone. */
    tsr_central_close(f.central);
    f.central = NULL;
    sql(f.db, "PRAGMA user_version=99");
    tsr_central_opts o = {.nats_url = f.nats.url, .db_path = f.db, .receipt_key = &f.central_kp,
                          .node_keys = f.node_keys, .nodes = f.names, .n_nodes = 1,
                          .replicas = 1, .env = &f.env};
    tsr_central *c = NULL;
    ck_assert_int_eq(tsr_central_open(&c, &o), TSR_ERR_VERSION);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(fx_query(f.db, "PRAGMA user_version"), 99);
    fx_stop(&f);
}
END_TEST

static Suite *ids_suite(void)
{
    Suite *s = suite_create("central_ingest_ids");
    TCase *tc = tcase_create("ids");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, reuse_is_caught_in_any_transaction_node_or_run);
    tcase_add_test(tc, same_id_twice_in_one_batch_keeps_the_first);
    tcase_add_test(tc, cancels_find_their_ticket_in_this_or_an_earlier_transaction);
    tcase_add_test(tc, a_version_1_store_is_migrated_and_a_newer_one_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(ids_suite()); }

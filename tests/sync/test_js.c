/* The JetStream wrapper's refusals against a real nats-server: a stream the
 * server cannot make as asked (TSR_ERR_JS), an existing stream whose
 * storage we cannot change (TSR_ERR_JS_STREAM_CONFIG), bad arguments, and
 * the byte cap of a fetch (big batches arrive over several fetches, none
 * lost). */
#include <check.h>
#include <nats/nats.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tessera/transport.h"
#include "tsr_test.h"

static int flood_stop;

static void nats_path(void)
{
    if (!getenv("TSR_NATS_SERVER") && access("/usr/bin/nats-server", X_OK) != 0 &&
        access("/usr/sbin/nats-server", X_OK) == 0)
        setenv("TSR_NATS_SERVER", "/usr/sbin/nats-server", 1);
}

static tsr_js *connect_js(const tsr_test_nats *n)
{
    tsr_js *js;
    tsr_js_opts o = {.url = n->url, .name = "test-js"};
    ck_assert_int_eq(tsr_js_connect(&js, &o), TSR_OK);
    return js;
}

START_TEST(streams_the_server_refuses)
{
    tsr_test_nats n = {0};
    nats_path();
    ck_assert(tsr_test_nats_start(&n));
    tsr_js *js = connect_js(&n);
    /* Three replicas on a single server: the server refuses. */
    tsr_js_stream_spec s = {"T_R3", "t.r3.>", 3, 0, -1, -1, 0};
    ck_assert_int_eq(tsr_js_stream_ensure(js, &s), TSR_ERR_JS);
    ck_assert_int_eq(tsr_js_ensure_tessera_streams(js, 3), TSR_ERR_JS);
    /* A memory stream made by someone else cannot become our file stream. */
    natsConnection *nc;
    jsCtx *jc;
    jsStreamConfig c;
    const char *subj[1] = {"t.mem.>"};
    ck_assert_int_eq(natsConnection_ConnectTo(&nc, n.url), NATS_OK);
    ck_assert_int_eq(natsConnection_JetStream(&jc, nc, NULL), NATS_OK);
    jsStreamConfig_Init(&c);
    c.Name = "T_MEM";
    c.Subjects = subj;
    c.SubjectsLen = 1;
    c.Storage = js_MemoryStorage;
    ck_assert_int_eq(js_AddStream(NULL, jc, &c, NULL, NULL), NATS_OK);
    tsr_js_stream_spec m = {"T_MEM", "t.mem.>", 1, 0, -1, -1, 0};
    ck_assert_int_eq(tsr_js_stream_ensure(js, &m), TSR_ERR_JS_STREAM_CONFIG);
    jsCtx_Destroy(jc);
    natsConnection_Destroy(nc);
    /* Our own streams are idempotent; bad arguments are refused. */
    ck_assert_int_eq(tsr_js_ensure_tessera_streams(js, 1), TSR_OK);
    ck_assert_int_eq(tsr_js_ensure_tessera_streams(js, 1), TSR_OK);
    ck_assert_int_eq(tsr_js_ensure_tessera_streams(js, 2), TSR_ERR_ARG);
    uint64_t msgs;
    ck_assert_int_eq(tsr_js_stream_msgs(js, "NO_SUCH", &msgs), TSR_ERR_NOT_FOUND);
    tsr_js_close(js);
    tsr_test_nats_stop(&n, true);
}
END_TEST

START_TEST(fetches_are_capped_in_bytes_and_lose_nothing)
{
    tsr_test_nats n = {0};
    nats_path();
    ck_assert(tsr_test_nats_start(&n));
    tsr_js *js = connect_js(&n);
    tsr_js_stream_spec s = {"T_BIG", "t.big", 1, 0, -1, -1, 0};
    ck_assert_int_eq(tsr_js_stream_ensure(js, &s), TSR_OK);
    enum { MSGS = 40, SIZE = 400 * 1024 }; /* 16 MB: four times the cap */
    static uint8_t body[SIZE];
    for (int i = 0; i < MSGS; i++) {
        char id[32];
        snprintf(id, sizeof id, "big-%d", i);
        memset(body, i, sizeof body);
        ck_assert_int_eq(tsr_js_publish(js, "t.big", id, body, sizeof body, NULL), TSR_OK);
    }
    tsr_js_consumer_spec cs = {"T_BIG", "reader", "t.big", 0, 0};
    tsr_js_pull *p;
    ck_assert_int_eq(tsr_js_pull_open(&p, js, &cs), TSR_OK);
    int got = 0, fetches = 0;
    while (got < MSGS && fetches < 100) {
        tsr_js_msgs m;
        tsr_status st = tsr_js_fetch(p, TSR_JS_FETCH_MAX, 50, &m);
        fetches++;
        if (st == TSR_ERR_TIMEOUT)
            continue;
        ck_assert_int_eq(st, TSR_OK);
        /* A call that asks the server may also take the few messages that
         * reached the queue between our check and cnats's own (its pull
         * then adds up to one cap): bounded, not one cap exactly. */
        ck_assert_int_le(m.count * SIZE, 2 * TSR_JS_FETCH_BYTES_MAX);
        for (int i = 0; i < m.count; i++) {
            size_t len;
            const uint8_t *d = tsr_js_msg_data(&m, i, &len);
            ck_assert_uint_eq(len, SIZE);
            ck_assert_int_eq(d[0], got); /* in order, none skipped */
            got++;
            ck_assert_int_eq(tsr_js_msg_ack(&m, i), TSR_OK);
        }
        tsr_js_msgs_free(&m);
    }
    ck_assert_int_eq(got, MSGS);
    ck_assert_int_lt(fetches, 40); /* nothing waited for an AckWait redelivery */
    tsr_js_msgs none;
    ck_assert_int_eq(tsr_js_fetch(p, 0, 0, &none), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_js_fetch(p, TSR_JS_FETCH_MAX + 1, 0, &none), TSR_ERR_ARG);
    tsr_js_pull_close(p);
    tsr_js_close(js);
    tsr_test_nats_stop(&n, true);
}
END_TEST

/* Publishes n messages of size bytes on t.big, message i filled with i. */
static void publish_big(tsr_js *js, int n, size_t size)
{
    static uint8_t body[512 * 1024];
    ck_assert_uint_le(size, sizeof body);
    tsr_js_stream_spec s = {"T_BIG", "t.big", 1, 0, -1, -1, 0};
    ck_assert_int_eq(tsr_js_stream_ensure(js, &s), TSR_OK);
    for (int i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "big-%d", i);
        memset(body, i, size);
        ck_assert_int_eq(tsr_js_publish(js, "t.big", id, body, size, NULL), TSR_OK);
    }
}

/* The consumer's delivered-but-unacked count, read with cnats directly. */
static int64_t ack_pending(const tsr_test_nats *n, const char *durable)
{
    natsConnection *nc;
    jsCtx *jc;
    jsConsumerInfo *ci = NULL;
    ck_assert_int_eq(natsConnection_ConnectTo(&nc, n->url), NATS_OK);
    ck_assert_int_eq(natsConnection_JetStream(&jc, nc, NULL), NATS_OK);
    ck_assert_int_eq(js_GetConsumerInfo(&ci, jc, "T_BIG", durable, NULL, NULL), NATS_OK);
    int64_t pending = ci->NumAckPending;
    jsConsumerInfo_Destroy(ci);
    jsCtx_Destroy(jc);
    natsConnection_Destroy(nc);
    return pending;
}

/* A starved reader, made on purpose: wait-0 fetches ask the server and
 * return before its answers arrive, so every message of the stream (16 MB)
 * is delivered into the pull subscription's queue while nobody reads it.
 * With the connection-wide 4 MiB queue limit cnats dropped most of them
 * (back only after AckWait, out of order); now all must come, in order,
 * first deliveries only, each call bounded. */
START_TEST(answers_that_arrive_after_their_fetch_are_kept)
{
    tsr_test_nats n = {0};
    nats_path();
    ck_assert(tsr_test_nats_start(&n));
    tsr_js *js = connect_js(&n);
    enum { MSGS = 40, SIZE = 400 * 1024, BATCH = 10 };
    publish_big(js, MSGS, SIZE);
    tsr_js_consumer_spec cs = {"T_BIG", "starved", "t.big", 0, 0};
    tsr_js_pull *p;
    ck_assert_int_eq(tsr_js_pull_open(&p, js, &cs), TSR_OK);
    int got = 0, fetches = 0;
    tsr_js_msgs m;
    /* Ask for everything without reading; a call that finds answers
     * already queued returns them instead of asking (kept, checked below). */
    for (int asked = 0; asked < MSGS / BATCH; asked++) {
        tsr_status st = tsr_js_fetch(p, BATCH, 0, &m);
        ck_assert(st == TSR_OK || st == TSR_ERR_TIMEOUT);
        for (int i = 0; i < m.count; i++, got++) {
            size_t len;
            ck_assert_int_eq(((const uint8_t *)tsr_js_msg_data(&m, i, &len))[0], got);
            ck_assert_int_eq(tsr_js_msg_ack(&m, i), TSR_OK);
        }
        tsr_js_msgs_free(&m);
    }
    /* The server has sent them all (not yet read by us: queued). */
    for (int tries = 0; tries < 500 && ack_pending(&n, "starved") + got < MSGS; tries++)
        usleep(20 * 1000);
    ck_assert_int_eq(ack_pending(&n, "starved") + got, MSGS);
    while (got < MSGS && fetches < MSGS) {
        tsr_status st = tsr_js_fetch(p, TSR_JS_FETCH_MAX, 50, &m);
        fetches++;
        ck_assert_int_eq(st, TSR_OK); /* all are queued: never a timeout */
        ck_assert_int_le(m.count * SIZE, 2 * TSR_JS_FETCH_BYTES_MAX); /* as above */
        for (int i = 0; i < m.count; i++, got++) {
            size_t len;
            const uint8_t *d = tsr_js_msg_data(&m, i, &len);
            ck_assert_uint_eq(len, SIZE);
            ck_assert_int_eq(d[0], got); /* in order, none skipped */
            ck_assert_uint_eq(tsr_js_msg_delivered(&m, i), 1); /* not an AckWait redelivery */
            ck_assert_int_eq(tsr_js_msg_ack(&m, i), TSR_OK);
        }
        tsr_js_msgs_free(&m);
    }
    ck_assert_int_eq(got, MSGS);
    ck_assert_int_eq(tsr_js_fetch(p, 1, 0, &m), TSR_ERR_TIMEOUT); /* nothing left over */
    tsr_js_pull_close(p);
    tsr_js_close(js);
    tsr_test_nats_stop(&n, true);
}
END_TEST

/* Publishes core messages on t.flood as fast as it can until *stop. */
static void *flood(void *arg)
{
    const tsr_test_nats *n = arg;
    natsConnection *nc;
    if (natsConnection_ConnectTo(&nc, n->url) != NATS_OK)
        return NULL; /* the reader then times out and fails the test */
    char body[256] = {0};
    while (!__atomic_load_n(&flood_stop, __ATOMIC_ACQUIRE))
        natsConnection_Publish(nc, "t.flood", body, sizeof body);
    natsConnection_Destroy(nc);
    return NULL;
}

/* cnats 3.4.1 takes a subscription from its table and then, without a
 * reference, locks it: one closed (destroyed) while its connection's reader
 * holds a message for it was read after free (a crash seen in CI, fixed
 * upstream in nats.c 0a7dd28b). Closing under a flood of messages, many
 * times, must neither crash nor leak (ASan). */
START_TEST(subscriptions_closed_while_messages_arrive)
{
    tsr_test_nats n = {0};
    nats_path();
    ck_assert(tsr_test_nats_start(&n));
    tsr_js *js = connect_js(&n);
    pthread_t t;
    flood_stop = 0;
    ck_assert_int_eq(pthread_create(&t, NULL, flood, &n), 0);
    for (int i = 0; i < 300; i++) {
        tsr_js_sub *s;
        ck_assert_int_eq(tsr_js_sub_open(&s, js, "t.flood"), TSR_OK);
        char buf[512];
        size_t len;
        ck_assert_int_eq(tsr_js_sub_next(s, 2000, buf, sizeof buf, &len, NULL), TSR_OK);
        tsr_js_sub_close(s);
    }
    __atomic_store_n(&flood_stop, 1, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
    tsr_js_close(js);
    tsr_test_nats_stop(&n, true);
}
END_TEST

typedef struct late_pub {
    const tsr_test_nats *n;
    int delay_ms;
} late_pub;

/* Publishes one message on t.late after a delay, from its own connection. */
static void *publish_late(void *arg)
{
    const late_pub *lp = arg;
    usleep((useconds_t)lp->delay_ms * 1000);
    natsConnection *nc;
    jsCtx *jc;
    if (natsConnection_ConnectTo(&nc, lp->n->url) != NATS_OK)
        return NULL; /* the reader then times out and fails the test */
    if (natsConnection_JetStream(&jc, nc, NULL) == NATS_OK) {
        js_Publish(NULL, jc, "t.late", "late", 4, NULL, NULL);
        jsCtx_Destroy(jc);
    }
    natsConnection_Destroy(nc);
    return NULL;
}

/* An idle consumer polled with wait 0 has no-wait pull requests answered
 * 404 after the call returned. A later waiting fetch must not take such a
 * 404 for its own answer: it waits, and gets the message published while
 * it waits (it came back at once with a timeout before). */
START_TEST(a_waiting_fetch_is_not_ended_by_an_older_no_wait_answer)
{
    tsr_test_nats n = {0};
    nats_path();
    ck_assert(tsr_test_nats_start(&n));
    tsr_js *js = connect_js(&n);
    tsr_js_stream_spec s = {"T_LATE", "t.late", 1, 0, -1, -1, 0};
    ck_assert_int_eq(tsr_js_stream_ensure(js, &s), TSR_OK);
    tsr_js_consumer_spec cs = {"T_LATE", "poller", "t.late", 0, 0};
    tsr_js_pull *p;
    ck_assert_int_eq(tsr_js_pull_open(&p, js, &cs), TSR_OK);
    tsr_js_msgs m;
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(tsr_js_fetch(p, 16, 0, &m), TSR_ERR_TIMEOUT);
        usleep(50 * 1000); /* the 404s arrive and wait in the queue */
    }
    late_pub lp = {&n, 300};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, publish_late, &lp), 0);
    /* one message: a waiting cnats fetch returns when its batch is full */
    tsr_status st = tsr_js_fetch(p, 1, 10000, &m);
    pthread_join(t, NULL);
    ck_assert_int_eq(st, TSR_OK);
    ck_assert_int_eq(m.count, 1);
    ck_assert_int_eq(tsr_js_msg_ack(&m, 0), TSR_OK);
    tsr_js_msgs_free(&m);
    tsr_js_pull_close(p);
    tsr_js_close(js);
    tsr_test_nats_stop(&n, true);
}
END_TEST

static Suite *js_suite(void)
{
    Suite *s = suite_create("js_transport");
    TCase *tc = tcase_create("js");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, streams_the_server_refuses);
    tcase_add_test(tc, fetches_are_capped_in_bytes_and_lose_nothing);
    tcase_add_test(tc, answers_that_arrive_after_their_fetch_are_kept);
    tcase_add_test(tc, subscriptions_closed_while_messages_arrive);
    tcase_add_test(tc, a_waiting_fetch_is_not_ended_by_an_older_no_wait_answer);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(js_suite()); }

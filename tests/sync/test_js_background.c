/* tsr_js_connect with background_connect while no server answers (a node
 * started while its NATS is down): it returns at once with the connection
 * still down, and connects once the server is up; without
 * background_connect it says TSR_ERR_UNAVAILABLE. cnats blocks in
 * natsConnection_Connect forever (MaxReconnect -1) when retry-on-failed-
 * connect has no connected callback: a hang here is that bug, caught by the
 * case timeout. */
#include <check.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "tessera/transport.h"
#include "tsr_test.h"

/* Polls of the connection state once the server is back, 100 ms apart:
 * cnats retries with our backoff (at most 2 s between attempts). */
#define CONNECT_POLLS 150
#define POLL_NS (100 * 1000 * 1000L)
#define CASE_TIMEOUT_S 60

static void nats_path(void)
{
    if (!getenv("TSR_NATS_SERVER") && access("/usr/bin/nats-server", X_OK) != 0 &&
        access("/usr/sbin/nats-server", X_OK) == 0)
        setenv("TSR_NATS_SERVER", "/usr/sbin/nats-server", 1);
}

static bool wait_connected(tsr_js *js)
{
    for (int i = 0; i < CONNECT_POLLS; i++) {
        if (tsr_js_connected(js))
            return true;
        struct timespec ts = {0, POLL_NS};
        nanosleep(&ts, NULL);
    }
    return false;
}

START_TEST(background_connect_returns_and_connects_later)
{
    tsr_test_nats n = {0};
    nats_path();
    ck_assert(tsr_test_nats_start(&n)); /* a port and store of our own... */
    tsr_test_nats_stop(&n, false);      /* ...with nothing listening on it now */

    tsr_js *js = NULL;
    tsr_js_opts fg = {.url = n.url, .name = "test-js-fg"};
    ck_assert_int_eq(tsr_js_connect(&js, &fg), TSR_ERR_UNAVAILABLE);
    ck_assert_ptr_null(js);

    tsr_js_opts bg = {.url = n.url, .name = "test-js-bg", .background_connect = true};
    ck_assert_int_eq(tsr_js_connect(&js, &bg), TSR_OK); /* returns: does not wait for a server */
    ck_assert_ptr_nonnull(js);
    ck_assert(!tsr_js_connected(js));
    uint64_t msgs = 0;
    ck_assert_int_ne(tsr_js_stream_msgs(js, "TSR_CTL", &msgs), TSR_OK);

    ck_assert(tsr_test_nats_restart(&n));
    ck_assert(wait_connected(js));
    ck_assert_int_eq(tsr_js_ensure_tessera_streams(js, 1), TSR_OK);
    bool dup = true;
    ck_assert_int_eq(tsr_js_publish(js, "tsr.ctl.n1.token", "bg-1", "x", 1, &dup), TSR_OK);
    ck_assert(!dup);
    ck_assert_int_eq(tsr_js_stream_msgs(js, "TSR_CTL", &msgs), TSR_OK);
    ck_assert_uint_eq(msgs, 1);
    tsr_js_close(js);
    tsr_test_nats_stop(&n, true);
}
END_TEST

static Suite *js_background_suite(void)
{
    Suite *s = suite_create("js_background");
    TCase *tc = tcase_create("js_background");
    tcase_set_timeout(tc, CASE_TIMEOUT_S);
    tcase_add_test(tc, background_connect_returns_and_connects_later);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(js_background_suite()); }

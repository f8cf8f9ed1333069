/* `tessera ledger-check` on a node killed (SIGKILL) in the middle of money
 * traffic: whatever committed balances, nothing half-written survives. */
#include <signal.h>
#include <sys/wait.h>

#include "../../node/src/psp.h"
#include "test_players_coap.h"

/* Deposits completed before the kill; the last burst is in flight. */
#define ROUNDS 40
#define BURST 30

/* The child: runs a node until killed, tells the parent its port. */
static pid_t spawn_node(nx *x, int *port)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(p[0]);
        nx_start_in(x, "manual", x->dir);
        ssize_t w = write(p[1], &x->port, sizeof x->port);
        (void)w;
        for (;;)
            pause();
    }
    close(p[1]);
    ck_assert_int_eq(read(p[0], port, sizeof *port), (ssize_t)sizeof *port);
    close(p[0]);
    return pid;
}

static void sign_query(const char *body, char *q, size_t len)
{
    uint8_t key[TSR_PSP_KEY_LEN];
    char sig[TSR_PSP_SIG_HEX_SIZE];
    ck_assert_int_eq(tsr_hex_decode(key, sizeof key, NX_PSP_KEY_HEX), TSR_OK);
    tsr_psp_sign(key, body, strlen(body), sig);
    snprintf(q, len, "sig=%s", sig);
}

static void deposit_and_complete(nx *x, const char *session, int i, bool wait)
{
    char body[200], q[80];
    nx_reply r;
    ck_assert_int_eq(nx_req(x, 2, "/v1/wallet/deposits", session, "{\"amount\":100}", &r), 201);
    int64_t id = json_integer_value(json_object_get(r.json, "deposit_id"));
    nx_free(&r);
    snprintf(body, sizeof body, "{\"provider_txn\":\"bank-%d\",\"request_id\":%lld,\"kind\":\"deposit\","
             "\"amount\":100,\"status\":\"completed\"}", i, (long long)id);
    sign_query(body, q, sizeof q);
    if (wait) {
        ck_assert_int_eq(nx_req(x, 2, "/v1/psp/events", q, body, &r), 205);
        nx_free(&r);
        return;
    }
    /* Fire and forget: the node dies with these in its queue. */
    static uint8_t pkt[2048];
    size_t n = 0;
    unsigned last = 0;
    pkt[n++] = 0x54, pkt[n++] = 2, pkt[n++] = (uint8_t)(i >> 8), pkt[n++] = (uint8_t)i;
    memcpy(pkt + n, "crsh", 4);
    n += 4;
    n += nx_opts(pkt + n, &last, 11, "v1/psp/events", '/');
    n += nx_opts(pkt + n, &last, 15, q, '&');
    pkt[n++] = 0xff;
    memcpy(pkt + n, body, strlen(body));
    n += strlen(body);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)x->port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sendto(x->fd, pkt, n, 0, (struct sockaddr *)&to, sizeof to);
}

START_TEST(ledger_check_passes_after_a_kill)
{
    nx x;
    memset(&x, 0, sizeof x);
    tsr_test_tmpdir("acctcrash", x.dir, sizeof x.dir);
    snprintf(x.db, sizeof x.db, "%s/node.db", x.dir);
    int port;
    pid_t pid = spawn_node(&x, &port);
    x.port = port;
    x.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    nx_reply r;
    ck_assert_int_eq(nx_req(&x, 2, "/v1/players", NULL,
        "{\"username\":\"ada\",\"password\":\"correct horse\",\"name\":\"A\",\"birth_date\":\"1990-01-01\","
        "\"address\":\"x\",\"jurisdiction\":\"GB\",\"document_no\":\"AB123456\"}", &r), 201);
    nx_free(&r);
    ck_assert_int_eq(nx_req(&x, 2, "/v1/sessions", NULL, "{\"username\":\"ada\",\"password\":\"correct horse\"}", &r), 201);
    char session[200];
    snprintf(session, sizeof session, "session=%s", json_string_value(json_object_get(r.json, "session")));
    nx_free(&r);
    for (int i = 0; i < ROUNDS; i++)
        deposit_and_complete(&x, session, i, true);
    ck_assert_int_eq(nx_req(&x, 2, "/v1/wallet/withdrawals", session, "{\"amount\":1500}", &r), 201);
    nx_free(&r);
    for (int i = ROUNDS; i < ROUNDS + BURST; i++)
        deposit_and_complete(&x, session, i, false);
    kill(pid, SIGKILL);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    close(x.fd);
    char tessera[300], out[512];
    const char *db = x.db;
    tsr_test_bin("tessera", tessera, sizeof tessera);
    int rc = tsr_test_sh_capture(out, sizeof out, "%s ledger-check --db %s", tessera, db);
    ck_assert_msg(rc == 0, "ledger-check exit %d: %s", rc, out);
    ck_assert_ptr_nonnull(strstr(out, "ledger ok"));
    fprintf(stderr, "after kill: %s", out);
    /* A damaged ledger fails the same command. */
    ck_assert_int_eq(tsr_test_sh("sqlite3 %s \"UPDATE accounts SET balance = balance + 1 "
                                 "WHERE name LIKE 'player:%%'\"", db), 0);
    rc = tsr_test_sh_capture(out, sizeof out, "%s ledger-check --db %s 2>&1", tessera, db);
    ck_assert_int_ne(rc, 0);
    ck_assert_ptr_nonnull(strstr(out, "differs from the sum"));
    rc = tsr_test_sh_capture(out, sizeof out, "%s ledger-check --db %s/missing.db 2>&1", tessera, x.dir);
    ck_assert_int_ne(rc, 0);
    tsr_test_rmtree(x.dir);
}
END_TEST

static Suite *crash_suite(void)
{
    Suite *s = suite_create("ledger_crash");
    TCase *tc = tcase_create("crash");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, ledger_check_passes_after_a_kill);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(crash_suite()); }

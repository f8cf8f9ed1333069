/* The common base: status codes, money, clock, RNG, logging. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <string.h>
#include <sysexits.h>

#include "tessera/clock.h"
#include "tessera/log.h"
#include "tessera/money.h"
#include "tessera/rng.h"
#include "tessera/udpbuf.h"
#include "tessera/status.h"
#include "tsr_test.h"

START_TEST(status_names_and_sentences_are_unique_and_round_trip)
{
    for (int i = 0; i < TSR_STATUS_COUNT_; i++) {
        tsr_status back;
        ck_assert_int_eq(tsr_status_from_name(tsr_status_name((tsr_status)i), &back), TSR_OK);
        ck_assert_int_eq(back, i);
        ck_assert_ptr_nonnull(tsr_status_str((tsr_status)i));
        ck_assert_int_gt((int)strlen(tsr_status_str((tsr_status)i)), 1);
    }
    tsr_status x;
    ck_assert_int_eq(tsr_status_from_name("TSR_ERR_NO_SUCH_THING", &x), TSR_ERR_NOT_FOUND);
    ck_assert_str_eq(tsr_status_name(TSR_OK), "TSR_OK");
    ck_assert_str_eq(tsr_status_str((tsr_status)9999), tsr_status_str(TSR_ERR_INTERNAL));
}
END_TEST

START_TEST(status_classes_map_to_coap_and_exit_codes)
{
    ck_assert_int_eq(tsr_status_exit_code(TSR_OK), 0);
    ck_assert_int_eq(tsr_status_exit_code(TSR_ERR_CONFIG_RANGE), EX_CONFIG);
    ck_assert_int_eq(tsr_status_exit_code(TSR_ERR_SIGNATURE), EX_NOPERM);
    ck_assert_int_eq(tsr_status_exit_code(TSR_ERR_IO), EX_IOERR);
    ck_assert_int_eq(tsr_status_coap_code(TSR_ERR_PROTO), 400);
    ck_assert_int_eq(tsr_status_coap_code(TSR_ERR_SIGNATURE), 403);
    ck_assert_int_eq(tsr_status_coap_code(TSR_ERR_NOT_FOUND), 404);
    ck_assert_int_eq(tsr_status_coap_code(TSR_ERR_EXISTS), 409);
    ck_assert_int_eq(tsr_status_coap_code(TSR_ERR_TOO_LARGE), 413);
    ck_assert_int_eq(tsr_status_coap_code(TSR_ERR_BUSY), 503);
}
END_TEST

START_TEST(money_arithmetic_checks_overflow)
{
    tsr_cents r;
    ck_assert_int_eq(tsr_money_add(150, 250, &r), TSR_OK);
    ck_assert_int_eq(r, 400);
    ck_assert_int_eq(tsr_money_sub(100, 250, &r), TSR_OK);
    ck_assert_int_eq(r, -150);
    ck_assert_int_eq(tsr_money_add(TSR_MONEY_MAX, 1, &r), TSR_ERR_OVERFLOW);
    ck_assert_int_eq(tsr_money_sub(-TSR_MONEY_MAX, 1, &r), TSR_ERR_OVERFLOW);
    ck_assert_int_eq(tsr_money_mul(INT64_MAX, 2, &r), TSR_ERR_OVERFLOW);
    ck_assert_int_eq(tsr_money_mul(INT64_MIN, -1, &r), TSR_ERR_OVERFLOW);
    ck_assert_int_eq(tsr_money_mul(200, 3, &r), TSR_OK);
    ck_assert_int_eq(r, 600);
    ck_assert_int_eq(tsr_money_muldiv(1001, 1, 3, &r), TSR_OK);
    ck_assert_int_eq(r, 333);
    ck_assert_int_eq(tsr_money_muldiv(TSR_MONEY_MAX, TSR_MONEY_MAX, TSR_MONEY_MAX, &r), TSR_OK);
    ck_assert_int_eq(r, TSR_MONEY_MAX);
    ck_assert_int_eq(tsr_money_muldiv(1, 1, 0, &r), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_money_muldiv(-1, 1, 2, &r), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_money_muldiv(TSR_MONEY_MAX, 2, 1, &r), TSR_ERR_OVERFLOW);
}
END_TEST

START_TEST(money_formats_and_parses)
{
    char buf[TSR_MONEY_STR_MAX];
    ck_assert_str_eq(tsr_money_format(123456, buf, sizeof buf), "1234.56");
    ck_assert_str_eq(tsr_money_format(-5, buf, sizeof buf), "-0.05");
    ck_assert_str_eq(tsr_money_format(0, buf, sizeof buf), "0.00");
    ck_assert_str_eq(tsr_money_format(INT64_MIN, buf, sizeof buf), "-92233720368547758.08");
    tsr_cents c;
    ck_assert_int_eq(tsr_money_parse("12.34", &c), TSR_OK);
    ck_assert_int_eq(c, 1234);
    ck_assert_int_eq(tsr_money_parse("12.5", &c), TSR_OK);
    ck_assert_int_eq(c, 1250);
    ck_assert_int_eq(tsr_money_parse("-7", &c), TSR_OK);
    ck_assert_int_eq(c, -700);
    const char *bad[] = {"", "-", "1.", ".5", "1.234", "1e3", " 1", "1 ", "abc", "1.2.3", NULL};
    for (int i = 0; bad[i]; i++)
        ck_assert_msg(tsr_money_parse(bad[i], &c) == TSR_ERR_MONEY_FORMAT, "accepted '%s'", bad[i]);
    ck_assert_int_eq(tsr_money_parse("99999999999999999999", &c), TSR_ERR_OVERFLOW);
}
END_TEST

START_TEST(test_clock_is_settable_and_checked_against_budget)
{
    tsr_clock *c;
    ck_assert_int_eq(tsr_clock_test_create(&c, 1000), TSR_OK);
    ck_assert(tsr_clock_is_test(c));
    ck_assert_int_eq(tsr_clock_now_ns(c), 1000);
    ck_assert_int_eq(tsr_clock_test_advance(c, 500), TSR_OK);
    ck_assert_int_eq(tsr_clock_now_ns(c), 1500);
    ck_assert_int_eq(tsr_clock_test_advance(c, -1), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_clock_test_set(c, 42), TSR_OK);
    tsr_clock_reading r = tsr_clock_read(c);
    ck_assert_int_eq(r.now_ns, 42);
    ck_assert_int_eq(tsr_clock_check(&r, 0), TSR_OK);
    ck_assert_int_eq(tsr_clock_test_set_error(c, 300 * TSR_NS_PER_MS, true), TSR_OK);
    r = tsr_clock_read(c);
    ck_assert_int_eq(tsr_clock_check(&r, 250 * TSR_NS_PER_MS), TSR_ERR_CLOCK_BOUND);
    ck_assert_int_eq(tsr_clock_check(&r, 300 * TSR_NS_PER_MS), TSR_OK);
    ck_assert_int_eq(tsr_clock_test_set_error(c, 0, false), TSR_OK);
    r = tsr_clock_read(c);
    ck_assert_int_eq(tsr_clock_check(&r, TSR_NS_PER_S), TSR_ERR_CLOCK_UNSYNCED);
    ck_assert_int_eq(tsr_clock_test_set_error(c, -1, true), TSR_ERR_ARG);
    tsr_clock_destroy(c);
}
END_TEST

START_TEST(real_clock_reads_time_and_refuses_test_setters)
{
    tsr_clock *c;
    ck_assert_int_eq(tsr_clock_real_create(&c), TSR_OK);
    tsr_clock_reading r = tsr_clock_read(c);
    ck_assert_int_gt(r.now_ns, INT64_C(1700000000) * TSR_NS_PER_S);
    ck_assert_int_ge(r.error_bound_ns, 0);
    ck_assert_int_eq(tsr_clock_test_set(c, 1), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_clock_test_advance(c, 1), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_clock_test_set_error(c, 1, true), TSR_ERR_ARG);
    int64_t m1 = tsr_clock_mono_ns(c), m2 = tsr_clock_mono_ns(c);
    ck_assert_int_ge(m2, m1);
    tsr_clock_destroy(c);
    tsr_clock_destroy(NULL);
}
END_TEST

START_TEST(offset_clock_is_shifted_and_declares_its_bound)
{
    tsr_clock *real, *off;
    ck_assert_int_eq(tsr_clock_real_create(&real), TSR_OK);
    ck_assert_int_eq(tsr_clock_offset_create(&off, -3600 * TSR_NS_PER_S, 5 * TSR_NS_PER_MS), TSR_OK);
    int64_t before = tsr_clock_now_ns(real);
    tsr_clock_reading r = tsr_clock_read(off);
    int64_t after = tsr_clock_now_ns(real);
    ck_assert_int_ge(r.now_ns, before - 3600 * TSR_NS_PER_S);
    ck_assert_int_le(r.now_ns, after - 3600 * TSR_NS_PER_S);
    ck_assert(r.synced);
    ck_assert_int_eq(r.error_bound_ns, 5 * TSR_NS_PER_MS);
    ck_assert(!tsr_clock_is_test(off));
    ck_assert_int_eq(tsr_clock_test_set(off, 1), TSR_ERR_ARG);
    ck_assert_int_eq(tsr_clock_offset_create(&off, 0, -1), TSR_ERR_ARG);
    tsr_clock_destroy(off);
    tsr_clock_destroy(real);
}
END_TEST

START_TEST(seeded_rng_replays_and_is_refused_where_real_is_required)
{
    tsr_rng *a, *b, *real;
    ck_assert_int_eq(tsr_rng_seeded_create(&a, 7), TSR_OK);
    ck_assert_int_eq(tsr_rng_seeded_create(&b, 7), TSR_OK);
    ck_assert_int_eq(tsr_rng_real_create(&real), TSR_OK);
    uint8_t x[64], y[64];
    tsr_rng_bytes(a, x, sizeof x);
    tsr_rng_bytes(b, y, sizeof y);
    ck_assert_mem_eq(x, y, sizeof x);
    tsr_rng_bytes(a, x, sizeof x);
    ck_assert(memcmp(x, y, sizeof x) != 0);
    ck_assert(tsr_rng_is_seeded(a));
    ck_assert_int_eq(tsr_rng_require_real(a), TSR_ERR_RNG_SEEDED);
    ck_assert_int_eq(tsr_rng_require_real(real), TSR_OK);
    uint64_t v;
    ck_assert_int_eq(tsr_rng_uniform(a, 0, &v), TSR_ERR_ARG);
    int counts[6] = {0};
    for (int i = 0; i < 60000; i++) {
        ck_assert_int_eq(tsr_rng_uniform(a, 6, &v), TSR_OK);
        ck_assert_uint_lt(v, 6);
        counts[v]++;
    }
    for (int i = 0; i < 6; i++) /* seed 7 is fixed: this cannot flake */
        ck_assert_msg(counts[i] > 9500 && counts[i] < 10500, "face %d: %d", i, counts[i]);
    ck_assert_int_eq(tsr_rng_uniform(real, 1, &v), TSR_OK);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(tsr_rng_uniform(real, UINT64_MAX, &v), TSR_OK);
    tsr_rng_destroy(a);
    tsr_rng_destroy(b);
    tsr_rng_destroy(real);
}
END_TEST

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The real generator serves small public requests from a buffer it
 * refills: over many refills no 64-bit value repeats (a collision among
 * 20,000 is ~2^-35), every byte value turns up about as often, and large
 * requests still come whole. */
START_TEST(real_rng_buffers_without_repeating)
{
    enum { N = 20000 };
    tsr_rng *real;
    ck_assert_int_eq(tsr_rng_real_create(&real), TSR_OK);
    static uint64_t v[N];
    int bytes[256] = {0};
    for (int i = 0; i < N; i++) {
        tsr_rng_public_bytes(real, &v[i], sizeof v[i]);
        for (int k = 0; k < 8; k++)
            bytes[(v[i] >> (8 * k)) & 0xff]++;
    }
    qsort(v, N, sizeof v[0], cmp_u64);
    for (int i = 1; i < N; i++)
        ck_assert_msg(v[i] != v[i - 1], "a repeated value at %d", i);
    for (int b = 0; b < 256; b++) /* mean 625, sd 25: 8 sd either side */
        ck_assert_msg(bytes[b] > 425 && bytes[b] < 825, "byte %d: %d", b, bytes[b]);
    uint8_t big[10000], zero[10000] = {0};
    tsr_rng_public_bytes(real, big, sizeof big);
    ck_assert(memcmp(big, zero, 64) != 0 && memcmp(big + 9936, zero, 64) != 0);
    tsr_rng_destroy(real);
}
END_TEST

/* A forked child must not hand out what its parent hands out next from
 * the buffer (one was filled before the fork), nor secret bytes the same. */
START_TEST(real_rng_does_not_repeat_across_fork)
{
    tsr_rng *real;
    ck_assert_int_eq(tsr_rng_real_create(&real), TSR_OK);
    uint64_t before;
    tsr_rng_public_bytes(real, &before, sizeof before); /* fills the buffer */
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        uint64_t mine[2];
        tsr_rng_public_bytes(real, &mine[0], sizeof mine[0]);
        tsr_rng_bytes(real, &mine[1], sizeof mine[1]);
        _exit(write(fds[1], mine, sizeof mine) == (ssize_t)sizeof mine ? 0 : 1);
    }
    uint64_t child[2], parent[2];
    ck_assert_int_eq(read(fds[0], child, sizeof child), (ssize_t)sizeof child);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    tsr_rng_public_bytes(real, &parent[0], sizeof parent[0]);
    tsr_rng_bytes(real, &parent[1], sizeof parent[1]);
    ck_assert(child[0] != parent[0]);
    ck_assert(child[1] != parent[1]);
    close(fds[0]);
    close(fds[1]);
    tsr_rng_destroy(real);
}
END_TEST

static int udp_connected(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static int rcvbuf_of(int fd)
{
    int v = 0;
    socklen_t l = sizeof v;
    ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &l), 0);
    return v;
}

/* Only the sockets connected to the given server get the larger buffer
 * (as much of it as the kernel allows this process). */
START_TEST(udp_receive_buffers_grow_for_one_server_only)
{
    int mine = udp_connected(40001), other = udp_connected(40002);
    int before = rcvbuf_of(mine), other_before = rcvbuf_of(other);
    tsr_udp_grow_rcvbuf(htonl(INADDR_LOOPBACK), htons(40001), 4 * before);
    ck_assert_int_gt(rcvbuf_of(mine), before);
    ck_assert_int_eq(rcvbuf_of(other), other_before);
    close(mine);
    close(other);
}
END_TEST

/* A load generator with a thousand sessions has sockets past descriptor
 * 1024: they are found too. */
START_TEST(udp_receive_buffers_grow_past_descriptor_1024)
{
    struct rlimit rl;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 1600) {
        fprintf(stderr, "skipped: hard descriptor limit %llu\n", (unsigned long long)rl.rlim_max);
        return;
    }
    rl.rlim_cur = 1600;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    int low = udp_connected(40003);
    int before = rcvbuf_of(low);
    int high = dup2(low, 1500);
    ck_assert_int_eq(high, 1500);
    close(low);
    tsr_udp_grow_rcvbuf(htonl(INADDR_LOOPBACK), htons(40003), 4 * before);
    ck_assert_int_gt(rcvbuf_of(high), before);
    close(high);
}
END_TEST

START_TEST(log_writes_one_keyvalue_line_with_clock_time)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    tsr_clock *c;
    ck_assert_int_eq(tsr_clock_test_create(&c, INT64_C(1795446000) * TSR_NS_PER_S + 5 * TSR_NS_PER_MS), TSR_OK);
    tsr_log *l;
    ck_assert_int_eq(tsr_log_create(&l, mem, c, "node", TSR_LOG_INFO), TSR_OK);
    tsr_log_debug(l, "hidden", "x=%d", 1);
    tsr_log_info(l, "bet_accepted", "seq=%d", 42);
    tsr_log_write(l, TSR_LOG_ERROR, "bare", NULL);
    fclose(mem);
    ck_assert_str_eq(buf, "ts=2026-11-23T15:00:00.005Z level=info component=node event=bet_accepted seq=42\n"
                          "ts=2026-11-23T15:00:00.005Z level=error component=node event=bare\n");
    free(buf);
    tsr_log_level lv;
    ck_assert_int_eq(tsr_log_level_parse("warn", &lv), TSR_OK);
    ck_assert_int_eq(lv, TSR_LOG_WARN);
    ck_assert_int_eq(tsr_log_level_parse("loud", &lv), TSR_ERR_ARG);
    tsr_log_write(NULL, TSR_LOG_ERROR, "nothing", NULL);
    tsr_log_destroy(l);
    tsr_clock_destroy(c);
}
END_TEST

static Suite *base_suite(void)
{
    Suite *s = suite_create("base");
    TCase *tc = tcase_create("base");
    tcase_add_test(tc, status_names_and_sentences_are_unique_and_round_trip);
    tcase_add_test(tc, status_classes_map_to_coap_and_exit_codes);
    tcase_add_test(tc, money_arithmetic_checks_overflow);
    tcase_add_test(tc, money_formats_and_parses);
    tcase_add_test(tc, test_clock_is_settable_and_checked_against_budget);
    tcase_add_test(tc, real_clock_reads_time_and_refuses_test_setters);
    tcase_add_test(tc, offset_clock_is_shifted_and_declares_its_bound);
    tcase_add_test(tc, seeded_rng_replays_and_is_refused_where_real_is_required);
    tcase_add_test(tc, real_rng_buffers_without_repeating);
    tcase_add_test(tc, real_rng_does_not_repeat_across_fork);
    tcase_add_test(tc, udp_receive_buffers_grow_for_one_server_only);
    tcase_add_test(tc, udp_receive_buffers_grow_past_descriptor_1024);
    tcase_add_test(tc, log_writes_one_keyvalue_line_with_clock_time);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tsr_test_run(base_suite()); }

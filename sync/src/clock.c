#include "tessera/clock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/timex.h>
#include <time.h>

struct tsr_clock {
    bool is_test;
    bool is_offset;
    int64_t offset_ns;       /* offset clock: added to CLOCK_REALTIME */
    int64_t offset_error_ns; /* offset clock: the declared error bound */
    pthread_mutex_t lock; /* guards the test fields */
    int64_t test_now_ns;
    int64_t test_error_ns;
    bool test_synced;
};

static int64_t timespec_ns(const struct timespec *ts)
{
    return (int64_t)ts->tv_sec * TSR_NS_PER_S + ts->tv_nsec;
}

static tsr_status clock_alloc(tsr_clock **out, bool is_test)
{
    tsr_clock *c = calloc(1, sizeof *c);
    if (!c)
        return TSR_ERR_NOMEM;
    c->is_test = is_test;
    pthread_mutex_init(&c->lock, NULL);
    *out = c;
    return TSR_OK;
}

tsr_status tsr_clock_real_create(tsr_clock **out) { return clock_alloc(out, false); }

tsr_status tsr_clock_test_create(tsr_clock **out, int64_t now_ns)
{
    tsr_status st = clock_alloc(out, true);
    if (st != TSR_OK)
        return st;
    (*out)->test_now_ns = now_ns;
    (*out)->test_synced = true;
    return TSR_OK;
}

tsr_status tsr_clock_offset_create(tsr_clock **out, int64_t offset_ns, int64_t error_bound_ns)
{
    if (error_bound_ns < 0)
        return TSR_ERR_ARG;
    tsr_status st = clock_alloc(out, false);
    if (st != TSR_OK)
        return st;
    (*out)->is_offset = true;
    (*out)->offset_ns = offset_ns;
    (*out)->offset_error_ns = error_bound_ns;
    return TSR_OK;
}

void tsr_clock_destroy(tsr_clock *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->lock);
    free(c);
}

bool tsr_clock_is_test(const tsr_clock *c) { return c->is_test; }

/* The kernel's view of NTP discipline. maxerror is in microseconds; an
 * unsynchronized kernel (STA_UNSYNC, or TIME_ERROR from adjtimex) cannot
 * vouch for the time at all. */
static tsr_clock_reading read_real(void)
{
    tsr_clock_reading r = {0};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    r.now_ns = timespec_ns(&ts);
    struct timex tx = {0};
    int state = ntp_adjtime(&tx);
    r.synced = state != -1 && state != TIME_ERROR && !(tx.status & STA_UNSYNC);
    r.error_bound_ns = (int64_t)tx.maxerror * 1000;
    if (r.error_bound_ns < 0)
        r.error_bound_ns = 0;
    return r;
}

tsr_clock_reading tsr_clock_read(tsr_clock *c)
{
    if (c->is_offset) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (tsr_clock_reading){timespec_ns(&ts) + c->offset_ns, c->offset_error_ns, true};
    }
    if (!c->is_test)
        return read_real();
    pthread_mutex_lock(&c->lock);
    tsr_clock_reading r = {c->test_now_ns, c->test_error_ns, c->test_synced};
    pthread_mutex_unlock(&c->lock);
    return r;
}

int64_t tsr_clock_now_ns(tsr_clock *c) { return tsr_clock_read(c).now_ns; }

int64_t tsr_clock_mono_ns(tsr_clock *c)
{
    if (c && c->is_test)
        return tsr_clock_now_ns(c);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return timespec_ns(&ts);
}

tsr_status tsr_clock_test_set(tsr_clock *c, int64_t now_ns)
{
    if (!c->is_test)
        return TSR_ERR_ARG;
    pthread_mutex_lock(&c->lock);
    c->test_now_ns = now_ns;
    pthread_mutex_unlock(&c->lock);
    return TSR_OK;
}

tsr_status tsr_clock_test_advance(tsr_clock *c, int64_t delta_ns)
{
    if (!c->is_test || delta_ns < 0)
        return TSR_ERR_ARG;
    pthread_mutex_lock(&c->lock);
    c->test_now_ns += delta_ns;
    pthread_mutex_unlock(&c->lock);
    return TSR_OK;
}

tsr_status tsr_clock_test_set_error(tsr_clock *c, int64_t error_bound_ns, bool synced)
{
    if (!c->is_test || error_bound_ns < 0)
        return TSR_ERR_ARG;
    pthread_mutex_lock(&c->lock);
    c->test_error_ns = error_bound_ns;
    c->test_synced = synced;
    pthread_mutex_unlock(&c->lock);
    return TSR_OK;
}

tsr_status tsr_clock_check(const tsr_clock_reading *r, int64_t budget_ns)
{
    if (!r->synced)
        return TSR_ERR_CLOCK_UNSYNCED;
    if (r->error_bound_ns > budget_ns)
        return TSR_ERR_CLOCK_BOUND;
    return TSR_OK;
}

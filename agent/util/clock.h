/* Where the agent reads the time: a monotonic clock for durations (session
 * idle time, lockout windows, rate limits) and the wall clock for what is
 * shown or persisted. Carried by the agent context and handed to the modules
 * that measure time, so tests can move time forward instead of waiting. */
#ifndef CXLA_UTIL_CLOCK_H
#define CXLA_UTIL_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

struct clock_source {
	/* Both fill ts and return 0 or -errno; arg is passed through. */
	int (*monotonic)(void *arg, struct timespec *ts);
	int (*realtime)(void *arg, struct timespec *ts);
	void *arg;
};

/* The system clocks (CLOCK_MONOTONIC, CLOCK_REALTIME); never NULL, static. */
const struct clock_source *clock_system(void);

/* Whole seconds of each clock; a NULL source means the system one. */
time_t clock_monotonic_s(const struct clock_source *c);
time_t clock_realtime_s(const struct clock_source *c);
void clock_realtime(const struct clock_source *c, struct timespec *ts);
void clock_monotonic(const struct clock_source *c, struct timespec *ts);

/* Waits that end at a deadline: the condition's timed waits count on the
 * system's CLOCK_MONOTONIC, so a wall clock set back does not stretch them
 * and one set forward does not cut them short. The deadline is read from
 * the system clock, never from a source: a thread's real wait cannot run
 * on a test's clock. clock_cond_init returns 0 or a positive error number,
 * as pthread_cond_init does. */
int clock_cond_init(pthread_cond_t *cond);
/* CLOCK_MONOTONIC now plus ms, for pthread_cond_timedwait on a condition
 * from clock_cond_init(). */
void clock_deadline_ms(struct timespec *ts, unsigned ms);

/* Milliseconds from one time to another of the same clock, negative when
 * to comes first; sub-millisecond parts are cut, not rounded. */
int64_t clock_ms_between(const struct timespec *from, const struct timespec *to);
/* The system's CLOCK_MONOTONIC in milliseconds: for the server threads'
 * own timing (idle passes, a stop's wait for bodies), never a test's. */
int64_t clock_monotonic_ms(void);

#endif

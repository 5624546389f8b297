#include "util/clock.h"

#include <errno.h>
#include <string.h>

static int system_monotonic(void *arg, struct timespec *ts)
{
	(void)arg;
	return clock_gettime(CLOCK_MONOTONIC, ts) == 0 ? 0 : -errno;
}

static int system_realtime(void *arg, struct timespec *ts)
{
	(void)arg;
	return clock_gettime(CLOCK_REALTIME, ts) == 0 ? 0 : -errno;
}

static const struct clock_source system_clock = { system_monotonic, system_realtime, NULL };

const struct clock_source *clock_system(void)
{
	return &system_clock;
}

/* Both system clocks exist on every Linux the agent supports, so a failure
 * cannot happen there; a zero time keeps a broken source harmless. */
time_t clock_monotonic_s(const struct clock_source *c)
{
	struct timespec ts;
	if (!c)
		c = &system_clock;
	if (c->monotonic(c->arg, &ts))
		memset(&ts, 0, sizeof(ts));
	return ts.tv_sec;
}

void clock_realtime(const struct clock_source *c, struct timespec *ts)
{
	if (!c)
		c = &system_clock;
	if (c->realtime(c->arg, ts))
		memset(ts, 0, sizeof(*ts));
}

void clock_monotonic(const struct clock_source *c, struct timespec *ts)
{
	if (!c)
		c = &system_clock;
	if (c->monotonic(c->arg, ts))
		memset(ts, 0, sizeof(*ts));
}

int clock_cond_init(pthread_cond_t *cond)
{
	pthread_condattr_t attr;
	int rc = pthread_condattr_init(&attr);

	if (rc)
		return rc;
	rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (!rc)
		rc = pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
	return rc;
}

void clock_deadline_ms(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

int64_t clock_ms_between(const struct timespec *from, const struct timespec *to)
{
	return (int64_t)(to->tv_sec - from->tv_sec) * 1000 + (to->tv_nsec - from->tv_nsec) / 1000000L;
}

time_t clock_realtime_s(const struct clock_source *c)
{
	struct timespec ts;
	clock_realtime(c, &ts);
	return ts.tv_sec;
}

int64_t clock_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#include "support/clock_step.h"

#include <stdatomic.h>
#include <time.h>

int __real_clock_gettime(clockid_t id, struct timespec *ts);
int __wrap_clock_gettime(clockid_t id, struct timespec *ts);

static atomic_llong step_s;

void clock_step_realtime(long long seconds)
{
	atomic_store(&step_s, seconds);
}

int __wrap_clock_gettime(clockid_t id, struct timespec *ts)
{
	int rc = __real_clock_gettime(id, ts);

	if (rc == 0 && id == CLOCK_REALTIME)
		ts->tv_sec += (time_t)atomic_load(&step_s);
	return rc;
}

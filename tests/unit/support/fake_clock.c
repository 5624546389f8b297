#include "support/fake_clock.h"

#include <string.h>

#define FAKE_MONOTONIC_START 1000000
#define FAKE_REALTIME_START 1767225600 /* 2026-01-01T00:00:00Z */

static int read_clock(struct fake_clock *fc, const struct timespec *which, struct timespec *ts)
{
	pthread_mutex_lock(&fc->lock);
	*ts = *which;
	pthread_mutex_unlock(&fc->lock);
	return 0;
}

static int fake_monotonic(void *arg, struct timespec *ts)
{
	struct fake_clock *fc = arg;
	return read_clock(fc, &fc->monotonic, ts);
}

static int fake_realtime(void *arg, struct timespec *ts)
{
	struct fake_clock *fc = arg;
	return read_clock(fc, &fc->realtime, ts);
}

void fake_clock_init(struct fake_clock *fc)
{
	memset(fc, 0, sizeof(*fc));
	pthread_mutex_init(&fc->lock, NULL);
	fc->monotonic.tv_sec = FAKE_MONOTONIC_START;
	fc->realtime.tv_sec = FAKE_REALTIME_START;
	fc->source.monotonic = fake_monotonic;
	fc->source.realtime = fake_realtime;
	fc->source.arg = fc;
}

void fake_clock_destroy(struct fake_clock *fc)
{
	pthread_mutex_destroy(&fc->lock);
}

static void add_ns(struct timespec *ts, long long ns)
{
	long long total = (long long)ts->tv_nsec + ns % 1000000000LL;
	ts->tv_sec += (time_t)(ns / 1000000000LL + total / 1000000000LL);
	ts->tv_nsec = (long)(total % 1000000000LL);
}

void fake_clock_advance_ms(struct fake_clock *fc, long ms)
{
	pthread_mutex_lock(&fc->lock);
	add_ns(&fc->monotonic, (long long)ms * 1000000LL);
	add_ns(&fc->realtime, (long long)ms * 1000000LL);
	pthread_mutex_unlock(&fc->lock);
}

void fake_clock_advance(struct fake_clock *fc, time_t seconds)
{
	fake_clock_advance_ms(fc, (long)seconds * 1000L);
}

void fake_clock_step_realtime(struct fake_clock *fc, time_t seconds)
{
	pthread_mutex_lock(&fc->lock);
	fc->realtime.tv_sec += seconds;
	pthread_mutex_unlock(&fc->lock);
}

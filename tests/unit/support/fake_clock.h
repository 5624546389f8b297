/* A clock that moves only when a test says so: both the monotonic and the
 * wall clock advance together. Thread-safe, so a fixture's agent threads may
 * read it while a test advances it. */
#ifndef CXLA_TEST_FAKE_CLOCK_H
#define CXLA_TEST_FAKE_CLOCK_H

#include <pthread.h>
#include <time.h>

#include "util/clock.h"

struct fake_clock {
	struct clock_source source; /* hand &fc->source to the code under test */
	pthread_mutex_t lock;
	struct timespec monotonic;
	struct timespec realtime;
};

/* Start at a fixed, recognisable instant (monotonic 1000000 s, wall clock
 * 2026-01-01T00:00:00Z). */
void fake_clock_init(struct fake_clock *fc);
void fake_clock_destroy(struct fake_clock *fc);
void fake_clock_advance(struct fake_clock *fc, time_t seconds);
void fake_clock_advance_ms(struct fake_clock *fc, long ms);
/* The wall clock alone set forward (seconds > 0) or back, as an NTP step or
 * an operator would; the monotonic clock does not move. */
void fake_clock_step_realtime(struct fake_clock *fc, time_t seconds);

#endif

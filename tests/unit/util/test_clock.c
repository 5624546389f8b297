/* Time arithmetic shared by every duration the agent measures. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support/clock_step.h"
#include "util/clock.h"

static void test_ms_between(void **state)
{
	struct timespec a = { .tv_sec = 10, .tv_nsec = 900000000 };
	struct timespec b = { .tv_sec = 12, .tv_nsec = 100000000 };
	struct timespec c = { .tv_sec = 12, .tv_nsec = 100999999 };
	(void)state;

	/* across a second boundary, where the nanoseconds go negative */
	assert_int_equal(clock_ms_between(&a, &b), 1200);
	assert_int_equal(clock_ms_between(&b, &a), -1200);
	assert_int_equal(clock_ms_between(&a, &a), 0);
	/* parts of a millisecond are cut */
	assert_int_equal(clock_ms_between(&b, &c), 0);
	/* far apart: no overflow of a 32-bit intermediate */
	b.tv_sec = a.tv_sec + 30 * 24 * 3600;
	b.tv_nsec = a.tv_nsec;
	assert_true(clock_ms_between(&a, &b) == (int64_t)30 * 24 * 3600 * 1000);
}

/* A deadline wait ends after its milliseconds whatever the wall clock
 * reads: here a day ahead of the one a CLOCK_REALTIME wait counts on. */
static void test_deadline_wait_is_monotonic(void **state)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cond;
	struct timespec t0, t1, until;
	int rc;
	(void)state;

	clock_step_realtime(86400);
	assert_int_equal(clock_cond_init(&cond), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_deadline_ms(&until, 50);
	assert_true(clock_ms_between(&t0, &until) >= 50);
	pthread_mutex_lock(&lock);
	do
		rc = pthread_cond_timedwait(&cond, &lock, &until);
	while (rc == 0);
	pthread_mutex_unlock(&lock);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	clock_step_realtime(0);
	pthread_cond_destroy(&cond);
	assert_int_equal(rc, ETIMEDOUT);
	assert_true(clock_ms_between(&t0, &t1) >= 50);
	assert_true(clock_ms_between(&t0, &t1) < 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ms_between),
		cmocka_unit_test(test_deadline_wait_is_monotonic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

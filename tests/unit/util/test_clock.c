/* Time arithmetic shared by every duration the agent measures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ms_between),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

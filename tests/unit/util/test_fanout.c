/* fanout_run(): every item runs, all at the same time, each on a stack of
 * the size asked for; no item is lost for want of a thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

#include "util/fanout.h"

#define ITEMS 6

struct seen {
	atomic_int ran[ITEMS];
	size_t stack[ITEMS];
	pthread_t who[ITEMS];
};

static void item(void *arg, size_t i)
{
	struct seen *s = arg;
	pthread_attr_t attr;

	assert_true(i < ITEMS);
	atomic_fetch_add(&s->ran[i], 1);
	s->who[i] = pthread_self();
	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		if (pthread_attr_getstacksize(&attr, &s->stack[i]))
			s->stack[i] = 0;
		pthread_attr_destroy(&attr);
	}
	usleep(200 * 1000); /* an item waiting on its device */
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_all_at_once(void **state)
{
	struct seen s = { 0 };
	double t0;
	(void)state;

	t0 = now_s();
	fanout_run(ITEMS, 256 * 1024, item, &s);
	/* six items of 200 ms: one after another would take 1.2 s */
	assert_true(now_s() - t0 < 0.8);
	for (size_t i = 0; i < ITEMS; i++) {
		assert_int_equal(atomic_load(&s.ran[i]), 1);
		assert_false(pthread_equal(s.who[i], pthread_self()));
		assert_true(s.stack[i] >= 256 * 1024 && s.stack[i] <= 512 * 1024);
		for (size_t j = 0; j < i; j++)
			assert_false(pthread_equal(s.who[i], s.who[j]));
	}
}

static void test_none_and_one(void **state)
{
	struct seen s = { 0 };
	(void)state;

	fanout_run(0, 0, item, &s);
	for (size_t i = 0; i < ITEMS; i++)
		assert_int_equal(atomic_load(&s.ran[i]), 0);
	/* a single item needs no thread of its own */
	fanout_run(1, 0, item, &s);
	assert_int_equal(atomic_load(&s.ran[0]), 1);
	assert_true(pthread_equal(s.who[0], pthread_self()));
}

/* A stack size the system refuses: every item still runs, inline. */
static void test_refused_stack_runs_inline(void **state)
{
	struct seen s = { 0 };
	(void)state;

	fanout_run(2, 1, item, &s);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(atomic_load(&s.ran[i]), 1);
		assert_true(pthread_equal(s.who[i], pthread_self()));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_at_once),
		cmocka_unit_test(test_none_and_one),
		cmocka_unit_test(test_refused_stack_runs_inline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

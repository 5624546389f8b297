/* The work pool: everything submitted runs, threads are reused rather than
 * created per item, slow items do not hold up others while the pool can
 * grow, and free() waits for what was queued. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "support/clock_step.h"
#include "util/workpool.h"

static atomic_int ran;
static pthread_t seen[4096];
static atomic_int nseen;

static void count(void *arg)
{
	(void)arg;
	int i = atomic_fetch_add(&nseen, 1);
	if (i < 4096)
		seen[i] = pthread_self();
	atomic_fetch_add(&ran, 1);
}

static void test_all_run_on_few_threads(void **state)
{
	struct workpool *p;
	size_t distinct = 0;
	(void)state;

	atomic_store(&ran, 0);
	atomic_store(&nseen, 0);
	assert_int_equal(workpool_new(4, 1000, &p), 0);
	for (int i = 0; i < 2000; i++)
		assert_int_equal(workpool_submit(p, count, NULL), 0);
	workpool_free(p);
	assert_int_equal(atomic_load(&ran), 2000);
	for (int i = 0; i < 2000; i++) {
		int dup = 0;
		for (int j = 0; j < i && !dup; j++)
			dup = pthread_equal(seen[i], seen[j]);
		distinct += !dup;
	}
	/* never more threads than the maximum (thread ids may repeat only
	 * after a thread ended, which an idle time of 1 s rules out here) */
	assert_true(distinct >= 1 && distinct <= 4);
}

static atomic_int release_slow;

static void slow(void *arg)
{
	(void)arg;
	while (!atomic_load(&release_slow))
		usleep(1000);
	atomic_fetch_add(&ran, 1);
}

static void test_slow_items_do_not_block_others(void **state)
{
	struct workpool *p;
	struct timespec t0, t1;
	(void)state;

	atomic_store(&ran, 0);
	atomic_store(&release_slow, 0);
	assert_int_equal(workpool_new(8, 1000, &p), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(workpool_submit(p, slow, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(workpool_submit(p, count, NULL), 0);
	while (atomic_load(&ran) < 1) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		assert_true(t1.tv_sec - t0.tv_sec < 5);
		usleep(1000);
	}
	assert_int_equal(workpool_pending(p), 4);
	atomic_store(&release_slow, 1);
	workpool_free(p);
	assert_int_equal(atomic_load(&ran), 5);
}

static atomic_int running, most;

#define BURST 10

static long long monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static atomic_llong burst_deadline;

/* Each item stays until the whole burst runs at once, or until the
 * burst's deadline: a pool that queued items behind each other never
 * reaches BURST, and one slow to start threads on a loaded machine still
 * does. */
static void overlap(void *arg)
{
	int now = atomic_fetch_add(&running, 1) + 1;
	(void)arg;
	for (int top = atomic_load(&most); now > top;)
		if (atomic_compare_exchange_weak(&most, &top, now))
			break;
	while (atomic_load(&most) < BURST && monotonic_ms() < atomic_load(&burst_deadline))
		usleep(1000);
	atomic_fetch_sub(&running, 1);
	atomic_fetch_add(&ran, 1);
}

/* A burst arriving while one thread idles runs side by side, not in line
 * behind that thread. */
static void test_burst_runs_in_parallel(void **state)
{
	struct workpool *p;
	(void)state;

	atomic_store(&ran, 0);
	atomic_store(&most, 0);
	assert_int_equal(workpool_new(16, 1000, &p), 0);
	assert_int_equal(workpool_submit(p, count, NULL), 0);
	while (atomic_load(&ran) < 1)
		usleep(1000);
	usleep(20 * 1000); /* that thread is idle now */
	atomic_store(&burst_deadline, monotonic_ms() + 5000);
	for (int i = 0; i < BURST; i++)
		assert_int_equal(workpool_submit(p, overlap, NULL), 0);
	workpool_free(p);
	assert_int_equal(atomic_load(&ran), BURST + 1);
	assert_int_equal(atomic_load(&most), BURST);
}

static void test_idle_threads_end(void **state)
{
	struct workpool *p;
	(void)state;

	atomic_store(&ran, 0);
	assert_int_equal(workpool_new(2, 20, &p), 0);
	assert_int_equal(workpool_submit(p, count, NULL), 0);
	usleep(200 * 1000); /* the thread has ended by now; a new one comes */
	assert_int_equal(workpool_submit(p, count, NULL), 0);
	workpool_free(p);
	assert_int_equal(atomic_load(&ran), 2);
}

static void record_tid(void *arg)
{
	*(long *)arg = syscall(SYS_gettid);
}

/* The idle wait counts on the monotonic clock: with the wall clock read a
 * day ahead of the one a REALTIME wait counts on (a clock set back a day),
 * an idle thread still ends after idle_ms, and the next item starts a new
 * thread rather than finding the old one kept for the day. */
static void test_idle_threads_end_when_the_clock_is_set_back(void **state)
{
	struct workpool *p;
	long first = 0, second = 0;
	(void)state;

	clock_step_realtime(86400);
	assert_int_equal(workpool_new(1, 20, &p), 0);
	assert_int_equal(workpool_submit(p, record_tid, &first), 0);
	usleep(300 * 1000);
	assert_int_equal(workpool_submit(p, record_tid, &second), 0);
	workpool_free(p);
	clock_step_realtime(0);
	assert_true(first > 0 && second > 0);
	assert_true(first != second);
}

static void read_name(void *arg)
{
	pthread_getname_np(pthread_self(), arg, 16);
}

/* A named pool's threads carry its name, not their creator's. */
static void test_named_threads(void **state)
{
	struct workpool *p;
	char name[16] = "";
	(void)state;

	assert_int_equal(workpool_new(1, 1000, &p), 0);
	workpool_name(p, "password-check-long");
	assert_int_equal(workpool_submit(p, read_name, name), 0);
	workpool_free(p);
	assert_string_equal(name, "password-check-"); /* 15 characters kept */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_run_on_few_threads),
		cmocka_unit_test(test_slow_items_do_not_block_others),
		cmocka_unit_test(test_burst_runs_in_parallel),
		cmocka_unit_test(test_idle_threads_end),
		cmocka_unit_test(test_idle_threads_end_when_the_clock_is_set_back),
		cmocka_unit_test(test_named_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

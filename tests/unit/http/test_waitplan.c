/* A server thread's wait: pending work is run at once, never waited for,
 * unless the last pass moved nothing (a handshake waiting for the client);
 * connection timeouts bound the wait; freed memory goes back only after a
 * whole idle second following closes, never while requests keep coming. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http/waitplan.h"

static void test_pending_work_is_not_waited_for(void **state)
{
	(void)state;
	assert_int_equal(wait_plan_ms(0, false, false, 0), 0);
	/* Closed connections do not turn a busy pass into a wait either. */
	assert_int_equal(wait_plan_ms(0, false, true, 0), 0);
	assert_int_equal(wait_plan_ms(0, false, true, 5000), 0);
}

static void test_a_pass_that_moved_nothing_waits_for_an_event(void **state)
{
	(void)state;
	/* Asked for another pass at once, but the last one moved no bytes:
	 * wait for the peer, bounded, instead of asking again and again. */
	assert_int_equal(wait_plan_ms(0, true, false, 0), WAIT_STUCK_MS);
	assert_true(WAIT_STUCK_MS > 0 && WAIT_STUCK_MS <= 20);
	/* Only a pending-work answer is affected: real timeouts stay. */
	assert_int_equal(wait_plan_ms(-1, true, false, 0), -1);
	assert_int_equal(wait_plan_ms(250, true, false, 0), 250);
	/* With a trim pending, the shorter of the two. */
	assert_int_equal(wait_plan_ms(0, true, true, WAIT_TRIM_IDLE_MS - 3), 3);
}

static void test_timeouts_bound_the_wait(void **state)
{
	(void)state;
	assert_int_equal(wait_plan_ms(-1, false, false, 0), -1);
	assert_int_equal(wait_plan_ms(250, false, false, 0), 250);
	assert_int_equal(wait_plan_ms(10LL * WAIT_MAX_MS, false, false, 0), WAIT_MAX_MS);
}

static void test_closes_wake_the_thread_for_the_trim(void **state)
{
	(void)state;
	/* Idle with nothing due: wake when the idle second is over. */
	assert_int_equal(wait_plan_ms(-1, false, true, 0), WAIT_TRIM_IDLE_MS);
	assert_int_equal(wait_plan_ms(-1, false, true, 300), WAIT_TRIM_IDLE_MS - 300);
	assert_int_equal(wait_plan_ms(30000, false, true, 300), WAIT_TRIM_IDLE_MS - 300);
	/* A connection timeout due earlier still comes first. */
	assert_int_equal(wait_plan_ms(100, false, true, 300), 100);
	/* Past due (the trim is done before planning): a short wait, not 0,
	 * which would mean work is pending. */
	assert_int_equal(wait_plan_ms(-1, false, true, 5000), 1);
}

static void test_trim_only_after_an_idle_second(void **state)
{
	(void)state;
	assert_false(wait_trim_due(false, 0));
	assert_false(wait_trim_due(false, 10 * WAIT_TRIM_IDLE_MS));
	/* Requests still arriving (idle time short): no trim, however many
	 * passes find nothing new to do. */
	assert_false(wait_trim_due(true, 0));
	assert_false(wait_trim_due(true, WAIT_TRIM_IDLE_MS - 1));
	assert_true(wait_trim_due(true, WAIT_TRIM_IDLE_MS));
	assert_true(wait_trim_due(true, 3 * WAIT_TRIM_IDLE_MS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pending_work_is_not_waited_for),
		cmocka_unit_test(test_a_pass_that_moved_nothing_waits_for_an_event),
		cmocka_unit_test(test_timeouts_bound_the_wait),
		cmocka_unit_test(test_closes_wake_the_thread_for_the_trim),
		cmocka_unit_test(test_trim_only_after_an_idle_second),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* A server thread's wait: pending work is run at once, never waited for,
 * unless the last passes only found empty sockets (a handshake waiting for
 * the client): then a wait that doubles from 1 to 16 ms;
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
	assert_int_equal(wait_plan_ms(0, 0, false, 0), 0);
	/* Closed connections do not turn a busy pass into a wait either. */
	assert_int_equal(wait_plan_ms(0, 0, true, 0), 0);
	assert_int_equal(wait_plan_ms(0, 0, true, 5000), 0);
}

static void test_a_pass_that_only_found_empty_sockets_waits_for_an_event(void **state)
{
	(void)state;
	/* Asked for another pass at once, but the last ones only found empty
	 * sockets: wait for the peer, 1 ms, then doubled up to 16 ms, instead
	 * of asking again and again. */
	assert_int_equal(wait_plan_ms(0, 1, false, 0), 1);
	assert_int_equal(wait_plan_ms(0, 2, false, 0), 2);
	assert_int_equal(wait_plan_ms(0, 3, false, 0), 4);
	assert_int_equal(wait_plan_ms(0, 4, false, 0), 8);
	assert_int_equal(wait_plan_ms(0, 5, false, 0), 16);
	assert_int_equal(wait_plan_ms(0, 6, false, 0), 16);
	assert_int_equal(wait_plan_ms(0, ~0u, false, 0), 16);
	/* Only a pending-work answer is affected: real timeouts stay. */
	assert_int_equal(wait_plan_ms(-1, 5, false, 0), -1);
	assert_int_equal(wait_plan_ms(250, 5, false, 0), 250);
	/* With a trim pending, the shorter of the two. */
	assert_int_equal(wait_plan_ms(0, 5, true, WAIT_TRIM_IDLE_MS - 3), 3);
	assert_int_equal(wait_plan_ms(0, 5, true, 0), 16);
}

static void test_idle_passes_count_only_empty_reads(void **state)
{
	unsigned n = 0;
	(void)state;
	/* Passes that found only empty sockets: counted, and the count stops
	 * where the wait stops growing. */
	for (int i = 0; i < 100; i++)
		n = wait_idle_passes(n, false, true);
	assert_int_equal(wait_plan_ms(0, n, false, 0), WAIT_IDLE_MS << WAIT_IDLE_MAX_SHIFT);
	assert_true(n <= WAIT_IDLE_MAX_SHIFT + 1);
	/* Bytes moved or request data handled: the next pass runs at once. */
	assert_int_equal(wait_idle_passes(n, true, true), 0);
	assert_int_equal(wait_idle_passes(n, true, false), 0);
	/* Nothing read at all (work from buffers, an accept): not idle. */
	assert_int_equal(wait_idle_passes(n, false, false), 0);
	assert_int_equal(wait_idle_passes(0, false, true), 1);
}

static void test_timeouts_bound_the_wait(void **state)
{
	(void)state;
	assert_int_equal(wait_plan_ms(-1, 0, false, 0), -1);
	assert_int_equal(wait_plan_ms(250, 0, false, 0), 250);
	assert_int_equal(wait_plan_ms(10LL * WAIT_MAX_MS, 0, false, 0), WAIT_MAX_MS);
}

static void test_closes_wake_the_thread_for_the_trim(void **state)
{
	(void)state;
	/* Idle with nothing due: wake when the idle second is over. */
	assert_int_equal(wait_plan_ms(-1, 0, true, 0), WAIT_TRIM_IDLE_MS);
	assert_int_equal(wait_plan_ms(-1, 0, true, 300), WAIT_TRIM_IDLE_MS - 300);
	assert_int_equal(wait_plan_ms(30000, 0, true, 300), WAIT_TRIM_IDLE_MS - 300);
	/* A connection timeout due earlier still comes first. */
	assert_int_equal(wait_plan_ms(100, 0, true, 300), 100);
	/* Past due (the trim is done before planning): a short wait, not 0,
	 * which would mean work is pending. */
	assert_int_equal(wait_plan_ms(-1, 0, true, 5000), 1);
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
		cmocka_unit_test(test_a_pass_that_only_found_empty_sockets_waits_for_an_event),
		cmocka_unit_test(test_idle_passes_count_only_empty_reads),
		cmocka_unit_test(test_timeouts_bound_the_wait),
		cmocka_unit_test(test_closes_wake_the_thread_for_the_trim),
		cmocka_unit_test(test_trim_only_after_an_idle_second),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

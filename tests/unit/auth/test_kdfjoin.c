/* The table of shared password checks on its own: who leads, who joins,
 * the bounds, who is told when a check ends, and which outcome holds. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth/kdfjoin.h"

static const unsigned char KEY_A[KDFJOIN_KEY_LEN] = { 1 };
static const unsigned char KEY_B[KDFJOIN_KEY_LEN] = { 2 };

static void count(void *arg)
{
	(*(int *)arg)++;
}

static void test_lead_then_join(void **state)
{
	struct kdfjoin *j;
	struct kdfjoin_wait *lead, *w1, *w2, *other;
	(void)state;

	assert_int_equal(kdfjoin_new(2, 4, &j), 0);
	assert_int_equal(kdfjoin_take(j, KEY_A, 7, false, &lead), -ENOENT);
	assert_int_equal(kdfjoin_take(j, KEY_A, 7, true, &lead), 0);
	assert_false(kdfjoin_joined(lead));
	/* Same key and generation: joined, with or without the right to lead. */
	assert_int_equal(kdfjoin_take(j, KEY_A, 7, false, &w1), 0);
	assert_true(kdfjoin_joined(w1));
	assert_int_equal(kdfjoin_take(j, KEY_A, 7, true, &w2), 0);
	assert_true(kdfjoin_joined(w2));
	/* Another generation or key is another check. */
	assert_int_equal(kdfjoin_take(j, KEY_A, 8, false, &other), -ENOENT);
	assert_int_equal(kdfjoin_take(j, KEY_B, 7, true, &other), 0);
	assert_false(kdfjoin_joined(other));
	kdfjoin_release(j, other);
	kdfjoin_release(j, w2);
	kdfjoin_release(j, w1);
	kdfjoin_release(j, lead);
	kdfjoin_free(j);
}

static void test_bounds(void **state)
{
	struct kdfjoin *j;
	struct kdfjoin_wait *w[8];
	(void)state;

	assert_int_equal(kdfjoin_new(2, 2, &j), 0);
	assert_int_equal(kdfjoin_take(j, KEY_A, 1, true, &w[0]), 0);
	assert_int_equal(kdfjoin_take(j, KEY_A, 1, false, &w[1]), 0);
	assert_int_equal(kdfjoin_take(j, KEY_A, 1, false, &w[2]), 0);
	/* Two joined: full, even after one of them left. */
	kdfjoin_release(j, w[2]);
	assert_int_equal(kdfjoin_take(j, KEY_A, 1, false, &w[2]), -ENOENT);
	assert_int_equal(kdfjoin_take(j, KEY_A, 1, true, &w[2]), 0);
	assert_false(kdfjoin_joined(w[2]));
	/* Two checks at most. */
	assert_int_equal(kdfjoin_take(j, KEY_B, 1, true, &w[3]), -ENOSPC);
	kdfjoin_release(j, w[1]);
	kdfjoin_release(j, w[0]);
	/* The first check's slot is free again once all its places are. */
	assert_int_equal(kdfjoin_take(j, KEY_B, 1, true, &w[3]), 0);
	kdfjoin_release(j, w[3]);
	kdfjoin_release(j, w[2]);
	kdfjoin_free(j);
}

static void test_end_notifies_and_holds_for_its_generation(void **state)
{
	struct kdfjoin *j;
	struct kdfjoin_wait *lead, *w1, *w2, *late;
	int n1 = 0, n2 = 0, nlate = 0;
	(void)state;

	assert_int_equal(kdfjoin_new(1, 8, &j), 0);
	assert_int_equal(kdfjoin_take(j, KEY_A, 3, true, &lead), 0);
	assert_int_equal(kdfjoin_take(j, KEY_A, 3, false, &w1), 0);
	assert_int_equal(kdfjoin_take(j, KEY_A, 3, false, &w2), 0);
	kdfjoin_notify(j, w1, count, &n1);
	kdfjoin_notify(j, w2, count, &n2);
	/* Given up before the end: not told. */
	kdfjoin_release(j, w2);
	assert_int_equal(kdfjoin_outcome(j, w1, 3), KDFJOIN_NONE);
	kdfjoin_end(j, lead, 1, 3);
	assert_int_equal(n1, 1);
	assert_int_equal(n2, 0);
	assert_int_equal(kdfjoin_outcome(j, w1, 3), 1);
	assert_int_equal(kdfjoin_outcome(j, w1, 4), KDFJOIN_NONE);
	/* Only the first end counts, and an ended check is not joined. */
	kdfjoin_end(j, lead, 0, 3);
	assert_int_equal(n1, 1);
	assert_int_equal(kdfjoin_outcome(j, w1, 3), 1);
	assert_int_equal(kdfjoin_take(j, KEY_A, 3, false, &late), -ENOENT);
	/* Told at once when asking after the end. */
	kdfjoin_notify(j, w1, count, &nlate);
	assert_int_equal(nlate, 1);
	kdfjoin_release(j, w1);
	kdfjoin_release(j, lead);
	kdfjoin_free(j);
}

static void test_outcome_reached_at_another_generation(void **state)
{
	struct kdfjoin *j;
	struct kdfjoin_wait *lead, *w;
	(void)state;

	assert_int_equal(kdfjoin_new(1, 8, &j), 0);
	assert_int_equal(kdfjoin_take(j, KEY_A, 3, true, &lead), 0);
	assert_int_equal(kdfjoin_take(j, KEY_A, 3, false, &w), 0);
	kdfjoin_end(j, lead, 0, 4);
	assert_int_equal(kdfjoin_outcome(j, w, 3), KDFJOIN_NONE);
	assert_int_equal(kdfjoin_outcome(j, w, 4), KDFJOIN_NONE);
	kdfjoin_release(j, w);
	kdfjoin_release(j, lead);
	kdfjoin_free(j);
}

static void test_leader_released_ends_with_none(void **state)
{
	struct kdfjoin *j;
	struct kdfjoin_wait *lead, *w;
	int n = 0;
	(void)state;

	assert_int_equal(kdfjoin_new(1, 8, &j), 0);
	assert_int_equal(kdfjoin_take(j, KEY_A, 3, true, &lead), 0);
	assert_int_equal(kdfjoin_take(j, KEY_A, 3, false, &w), 0);
	kdfjoin_notify(j, w, count, &n);
	kdfjoin_release(j, lead);
	assert_int_equal(n, 1);
	assert_int_equal(kdfjoin_outcome(j, w, 3), KDFJOIN_NONE);
	/* The slot stays taken by the joined place, but is not joinable. */
	assert_int_equal(kdfjoin_take(j, KEY_A, 3, true, &lead), -ENOSPC);
	kdfjoin_release(j, w);
	kdfjoin_free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lead_then_join),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_end_notifies_and_holds_for_its_generation),
		cmocka_unit_test(test_outcome_reached_at_another_generation),
		cmocka_unit_test(test_leader_released_ends_with_none),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

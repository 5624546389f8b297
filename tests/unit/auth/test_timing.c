/* Every refused password costs the same work: an unknown user, a disabled
 * account, a locked account and a wrong password each run one KDF at the
 * configured cost, so the time of a refusal does not tell the account's
 * state. Measured as the thread's CPU time, which other load on the
 * machine mostly leaves alone; but on a busy virtual machine a round is
 * counted long or short by a third (time stolen from the virtual CPU, a
 * core that changes speed, for a while). So the cases take turns, each is
 * compared with the wrong password of its own round, and judged by the
 * median of those ratios. A refusal that skipped the KDF would cost a
 * small fraction. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accounts_fx.h"

#undef ITER
#define COST 100000 /* the lowest configurable cost: a few ms per KDF */
#define ROUNDS 9

enum { WRONG, UNKNOWN, DISABLED, LOCKED, CASES };

static double cpu_ms(struct accounts *a, const char *user, const char *password)
{
	struct timespec t0, t1;
	struct identity who;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	(void)accounts_check_password(a, user, password, &who);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	return (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

static void test_equal_work(void **state)
{
	static const char *const users[CASES] = { "wrong", "nosuchuser", "disabled", "locked" };
	static const char *const names[CASES] = { "wrong password", "unknown user", "disabled",
						  "locked" };
	struct fx *f = *state;
	struct account_settings lock_fast = { 1, 3600, 3600 };
	double t[CASES][ROUNDS], ratio[ROUNDS];
	struct account_info ai;
	char err[512];

	/* Reopen at the cost under test: the dummy KDF must follow it. */
	accounts_free(f->a);
	assert_int_equal(accounts_open(f->path, COST, &f->a, err, sizeof(err)), 0);
	assert_int_equal(accounts_create(f->a, "wrong", "right-password-1", "ReadOnly", true, NULL), 0);
	assert_int_equal(accounts_create(f->a, "disabled", "right-password-1", "ReadOnly", false,
					 NULL), 0);
	assert_int_equal(accounts_create(f->a, "locked", "right-password-1", "ReadOnly", true, NULL), 0);
	assert_int_equal(accounts_settings_set(f->a, &lock_fast, NULL), 0);
	(void)cpu_ms(f->a, "locked", "bad-password-1");
	assert_int_equal(accounts_get_by_user(f->a, "locked", &ai), 0);
	assert_true(ai.locked);
	/* One failure locks: "wrong" is unlocked before each of its attempts. */
	for (int r = 0; r < ROUNDS; r++) {
		for (int c = 0; c < CASES; c++) {
			struct account_change unlock = { .enabled = -1, .unlock = true };
			if (c == WRONG)
				assert_int_equal(accounts_update(f->a, "2", &unlock, NULL, NULL), 0);
			t[c][r] = cpu_ms(f->a, users[c], "bad-password-1");
		}
	}
	for (int r = 0; r < ROUNDS; r++)
		assert_true(t[WRONG][r] > 1.0); /* a KDF did run */
	for (int c = 1; c < CASES; c++) {
		double median;

		for (int r = 0; r < ROUNDS; r++)
			ratio[r] = t[c][r] / t[WRONG][r];
		qsort(ratio, ROUNDS, sizeof(double), cmp_double);
		median = ratio[ROUNDS / 2];
		print_message("%-15s %.2f times a wrong password's CPU time (%.2f to %.2f)\n",
			      names[c], median, ratio[0], ratio[ROUNDS - 1]);
		if (median < 0.75 || median > 1.33)
			fail_msg("%s costs %.2f times a wrong password", names[c], median);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_equal_work, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* fd_connection_limit(): the connections a descriptor limit carries leave
 * the agent descriptors of its own; a limit that cannot is refused with a
 * line naming it and what is needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "util/fdlimit.h"

static unsigned derived(unsigned long long nofile)
{
	char err[256] = "";
	unsigned limit = 0;

	assert_int_equal(fd_connection_limit(nofile, 0, &limit, err, sizeof(err)), 0);
	return limit;
}

static void plenty_keeps_128(void **state)
{
	(void)state;
	assert_int_equal(derived(1024), 1024 - 128);
	assert_int_equal(derived(256), 128);
	assert_int_equal(derived(~0ULL), 1048576); /* no limit */
}

/* Below 256 the agent keeps half, and never fewer than FD_OWN_MIN: a low
 * limit once allowed 64 connections whatever it was, more than 64 or 32
 * descriptors can hold beside the front's own. */
static void low_limit_keeps_a_share(void **state)
{
	(void)state;
	assert_int_equal(derived(128), 64);
	assert_int_equal(derived(100), 50);
	assert_int_equal(derived(64), FD_MIN_CONNECTIONS);
	for (unsigned long long n = FD_LIMIT_MIN; n < 4096; n++)
		assert_true(derived(n) + FD_OWN_MIN <= n);
}

static void too_low_is_refused(void **state)
{
	char err[256] = "";
	unsigned limit = 7;

	(void)state;
	assert_int_equal(fd_connection_limit(FD_LIMIT_MIN - 1, 0, &limit, err, sizeof(err)), -ERANGE);
	assert_int_equal(limit, 7);
	assert_non_null(strstr(err, "RLIMIT_NOFILE"));
	assert_non_null(strstr(err, "is 63;"));
	assert_non_null(strstr(err, "at least 64"));
	assert_int_equal(fd_connection_limit(0, 0, &limit, err, sizeof(err)), -ERANGE);
}

static void configured_limit_must_fit(void **state)
{
	char err[256] = "";
	unsigned limit = 0;

	(void)state;
	assert_int_equal(fd_connection_limit(1024, 500, &limit, err, sizeof(err)), 0);
	assert_int_equal(limit, 500);
	assert_int_equal(fd_connection_limit(1024, 896, &limit, err, sizeof(err)), 0);
	assert_int_equal(fd_connection_limit(1024, 897, &limit, err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "connection_limit 897 needs a descriptor limit of at least 1025"));
	assert_non_null(strstr(err, "which is 1024"));
	assert_int_equal(fd_connection_limit(~0ULL, 1048576, &limit, err, sizeof(err)), 0);
	assert_int_equal(limit, 1048576);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plenty_keeps_128),
		cmocka_unit_test(low_limit_keeps_a_share),
		cmocka_unit_test(too_low_is_refused),
		cmocka_unit_test(configured_limit_must_fit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

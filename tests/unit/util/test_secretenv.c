/* A secret taken from the environment is gone from it afterwards: neither
 * getenv nor the bytes where the variable lay still show it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/secretenv.h"

static void test_take(void **state)
{
	char out[32];
	const char *where;
	size_t n;
	(void)state;

	assert_int_equal(setenv("CXLA_TEST_SECRET", "s3cret-value", 1), 0);
	where = getenv("CXLA_TEST_SECRET");
	n = strlen(where);
	assert_int_equal(secretenv_take("CXLA_TEST_SECRET", out, sizeof(out)), 0);
	assert_string_equal(out, "s3cret-value");
	assert_null(getenv("CXLA_TEST_SECRET"));
	for (size_t i = 0; i < n; i++)
		assert_int_equal(where[i], 0); /* overwritten in place */
	assert_int_equal(secretenv_take("CXLA_TEST_SECRET", out, sizeof(out)), -ENOENT);
	assert_string_equal(out, "");

	/* Too long for out: refused, and wiped all the same. */
	assert_int_equal(setenv("CXLA_TEST_SECRET", "0123456789", 1), 0);
	assert_int_equal(secretenv_take("CXLA_TEST_SECRET", out, 5), -E2BIG);
	assert_string_equal(out, "");
	assert_null(getenv("CXLA_TEST_SECRET"));
	/* A longer name with the same start is another variable. */
	assert_int_equal(setenv("CXLA_TEST_SECRET_2", "x", 1), 0);
	assert_int_equal(secretenv_take("CXLA_TEST_SECRET", out, sizeof(out)), -ENOENT);
	assert_string_equal(getenv("CXLA_TEST_SECRET_2"), "x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_take),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

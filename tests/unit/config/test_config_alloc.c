/* The configuration loader and its dump with every allocation failing in
 * turn: each run either succeeds or reports -ENOMEM (never a crash, never a
 * half-filled config that leaks), and the run without a failure gives the
 * same dump as an unhindered load. Leaks show under the sanitizer build. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "support/alloc_fail.h"
#include "util/fileio.h"

struct run {
	const char *text;
	char *dump;        /* of the last run */
	size_t failures;
};

static int load_and_dump(void *arg)
{
	struct run *r = arg;
	struct config cfg;
	char err[512] = "";
	int rc;

	free(r->dump);
	r->dump = NULL;
	if ((rc = config_defaults(&cfg)))
		return rc;
	rc = config_load_string(&cfg, "valid.json", r->text, err, sizeof(err));
	if (rc == 0) {
		r->dump = config_dump(&cfg);
		if (!r->dump)
			rc = -ENOMEM;
	}
	config_release(&cfg);
	return rc;
}

static void check(void *arg, int rc, bool failed)
{
	struct run *r = arg;

	if (!failed) {
		assert_int_equal(rc, 0);
		return;
	}
	r->failures++;
	/* an allocation failure is reported, never mistaken for success */
	if (rc == 0)
		assert_non_null(r->dump);
	else
		assert_true(rc == -ENOMEM || rc == -EINVAL);
}

static void test_config_every_allocation_fails(void **state)
{
	char path[512], *text = NULL;
	size_t len, runs;
	struct run r = { 0 };
	char *expected;

	(void)state;
	snprintf(path, sizeof(path), "%s/config/valid.json", getenv("CXLA_TEST_DATA"));
	assert_int_equal(file_read_all(path, 1 << 20, &text, &len), 0);
	r.text = text;
	assert_int_equal(load_and_dump(&r), 0);
	expected = r.dump;
	r.dump = NULL;

	runs = alloc_fail_each(load_and_dump, check, &r, 100000);
	assert_true(runs > 10); /* the seam did reach the loader */
	assert_int_equal(r.failures, runs - 1);
	assert_string_equal(r.dump, expected);
	free(r.dump);
	free(expected);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_every_allocation_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

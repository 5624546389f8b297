/* The catalogue parser with every allocation failing in turn, over the
 * example catalogue and the test catalogue: each run gives a whole
 * catalogue or an error and nothing else; the run without a failure gives
 * the same digest as an unhindered parse. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy/catalogue.h"
#include "support/alloc_fail.h"
#include "util/fileio.h"

struct run {
	const char *text;
	size_t len;
	char digest[80];
	size_t count;
};

static int parse(void *arg)
{
	struct run *r = arg;
	struct policy_catalogue *cat = NULL;
	char err[512] = "";
	int rc = catalogue_parse("catalogue.json", r->text, r->len, &cat, err, sizeof(err));

	r->digest[0] = '\0';
	r->count = 0;
	if (rc)
		return rc;
	snprintf(r->digest, sizeof(r->digest), "%s", catalogue_digest(cat));
	r->count = catalogue_count(cat);
	catalogue_unref(cat);
	return 0;
}

static void check(void *arg, int rc, bool failed)
{
	(void)arg;
	if (!failed)
		assert_int_equal(rc, 0);
	else
		assert_true(rc == 0 || rc == -ENOMEM || rc == -EINVAL);
}

static void every_allocation_fails(const char *path)
{
	struct run r = { 0 };
	char *text = NULL, digest[80];
	size_t count, runs;

	assert_int_equal(file_read_all(path, 1 << 20, &text, &r.len), 0);
	r.text = text;
	assert_int_equal(parse(&r), 0);
	assert_true(r.count > 0);
	snprintf(digest, sizeof(digest), "%s", r.digest);
	count = r.count;

	runs = alloc_fail_each(parse, check, &r, 100000);
	assert_true(runs > 10);
	assert_string_equal(r.digest, digest);
	assert_int_equal(r.count, count);
	free(text);
}

static void test_example_catalogue(void **state)
{
	char path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/packaging/policy.example.json", getenv("CXLA_SOURCE_DIR"));
	every_allocation_fails(path);
}

static void test_test_catalogue(void **state)
{
	char path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/policy/valid.json", getenv("CXLA_TEST_DATA"));
	every_allocation_fails(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_catalogue),
		cmocka_unit_test(test_test_catalogue),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

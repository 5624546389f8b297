/* The strict JSON reader with every allocation failing in turn: a valid
 * document and an invalid one (whose error message is placed by line and
 * column). Each run ends in success or an error, never a crash or a leak;
 * the invalid document never comes out as valid. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/alloc_fail.h"
#include "util/jsonfile.h"

struct run {
	const char *text;
	char err[256];
	int unknown_key; /* 1 when only_keys refused a key */
};

static int read_doc(void *arg)
{
	static const char *const allowed[] = { "a", "b", NULL };
	static const char *const root[] = { NULL };
	struct run *r = arg;
	struct jsonfile jf;
	int rc;

	r->err[0] = '\0';
	r->unknown_key = 0;
	if ((rc = jsonfile_parse("doc.json", r->text, strlen(r->text), &jf, r->err,
				 sizeof(r->err))))
		return rc;
	rc = jsonfile_only_keys(&jf, root, jf.root, allowed, r->err, sizeof(r->err));
	r->unknown_key = rc != 0;
	jsonfile_release(&jf);
	return rc;
}

static void check_valid(void *arg, int rc, bool failed)
{
	(void)arg;
	if (!failed)
		assert_int_equal(rc, 0);
	else
		assert_true(rc == 0 || rc == -ENOMEM || rc == -EINVAL);
}

static void check_invalid(void *arg, int rc, bool failed)
{
	struct run *r = arg;

	assert_int_not_equal(rc, 0);
	if (!failed) {
		assert_true(r->unknown_key);
		assert_string_equal(r->err, "doc.json:3:3: unknown key \"c\"");
	}
}

static void test_valid_document(void **state)
{
	struct run r = { .text = "{\"a\": [1, 2, {\"x\": \"y\"}],\n \"b\": \"text\"}\n" };

	(void)state;
	assert_true(alloc_fail_each(read_doc, check_valid, &r, 10000) > 3);
}

static void test_invalid_document(void **state)
{
	struct run r = { .text = "{\"a\": 1,\n \"b\": 2,\n  \"c\": 3}\n" };

	(void)state;
	assert_int_not_equal(read_doc(&r), 0);
	check_invalid(&r, -EINVAL, false);
	assert_true(alloc_fail_each(read_doc, check_invalid, &r, 10000) > 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_document),
		cmocka_unit_test(test_invalid_document),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The accounts file: strict loading (a corrupt file is refused with
 * file:line:column and left alone) and removal of temporaries left by an
 * interrupted rewrite. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "accounts_fx.h"
#include "util/fileio.h"

static void test_strict_load(void **state)
{
	struct fx *f = *state;
	static const char bad[] = "{\"Version\": 1, \"Accounts\": [], \"Extra\": 1}";
	char err[512], tmp[160], *text;
	size_t len;
	struct accounts *a2 = NULL;

	snprintf(tmp, sizeof(tmp), "%s.tmp.AbC123", f->path);
	assert_int_equal(file_write_atomic(tmp, "x", 1, 0600), 0);
	assert_int_equal(file_write_atomic(f->path, bad, strlen(bad), 0600), 0);
	assert_int_equal(accounts_open(f->path, ITER, &a2, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, f->path));
	assert_non_null(strstr(err, "Extra"));
	assert_int_equal(file_read_all(f->path, 4096, &text, &len), 0);
	assert_string_equal(text, bad); /* never replaced */
	free(text);
	assert_int_equal(access(tmp, F_OK), -1); /* the leftover is gone */
}

/* Each problem in the file is named and placed at line:column; the check
 * used by --check-config refuses exactly what opening refuses. */
static void test_invalid_files(void **state)
{
	static const char hash[] = "\"PasswordHash\": \"pbkdf2-sha256$1000$AAAA$AAAA\"";
	static const struct {
		const char *text;
		const char *want; /* "line:col: message" */
	} cases[] = {
		{ "[]", "1:1: expected an object, not an array" },
		{ "{\"Accounts\": []}", "1:1: missing required key \"Version\"" },
		{ "{\"Version\": 2, \"Accounts\": []}", "1:13: unsupported Version (expected 1)" },
		{ "{\"Version\": 1, \"Accounts\": {}}",
		  "1:28: \"Accounts\" must be an array, not an object" },
		{ "{\"Version\": 1,\n \"Accounts\": [{\"Id\": \"1\", \"UserName\": \"\"}]}",
		  "2:39: \"UserName\" must be a non-empty string" },
		{ "{\"Version\": 1,\n \"Accounts\": [{\"Id\": \"1\", \"Extra\": 1}]}",
		  "2:27: unknown key \"Extra\"" },
		{ "{\"Version\": 1,\n \"Accounts\": [{\"Id\": \"1\"}]}",
		  "2:15: missing required key \"UserName\"" },
		{ "{\"Version\": 1, \"Accounts\": [],\n \"Settings\": {\"AccountLockoutDuration\": -1}}",
		  "2:41: \"AccountLockoutDuration\" must be between 0 and 31536000" },
		{ "{\"Version\": 1, \"Accounts\": [],\n \"Roles\": [{\"Id\": \"R\", \"Privileges\": []}]}",
		  "2:38: \"Privileges\" must be a non-empty array of privilege names" },
		{ "{\"Version\": 1, \"Accounts\": [],\n \"Roles\": [{\"Id\": \"Operator\", \"Privileges\": [\"Login\"]}]}",
		  "2:19: Id must be a string naming no predefined role" },
	};
	struct fx *f = *state;
	char err[512], want[600], good[400];
	struct accounts *a2 = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		assert_int_equal(file_write_atomic(f->path, cases[i].text, strlen(cases[i].text),
						   0600),
				 0);
		snprintf(want, sizeof(want), "%s:%s", f->path, cases[i].want);
		err[0] = '\0';
		rc = accounts_open(f->path, ITER, &a2, err, sizeof(err));
		if (rc != -EINVAL || strcmp(err, want) != 0)
			fail_msg("open %s:\n  got  (%d) %s\n  want %s", cases[i].text, rc, err, want);
		err[0] = '\0';
		rc = accounts_check_file(f->path, err, sizeof(err));
		if (rc != -EINVAL || strcmp(err, want) != 0)
			fail_msg("check %s:\n  got  (%d) %s\n  want %s", cases[i].text, rc, err, want);
	}
	snprintf(good, sizeof(good),
		 "{\"Version\": 1, \"Accounts\": [{\"Id\": \"1\", \"UserName\": \"u\", \"RoleId\": "
		 "\"Operator\", \"Enabled\": true, %s}]}",
		 hash);
	assert_int_equal(file_write_atomic(f->path, good, strlen(good), 0600), 0);
	assert_int_equal(accounts_check_file(f->path, err, sizeof(err)), 0);
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(accounts_check_file(f->path, err, sizeof(err)), 0); /* missing is fine */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_strict_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_files, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

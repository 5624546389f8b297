/* The accounts file: strict loading (a corrupt file is refused with
 * file:line:column and left alone) and removal of temporaries left by an
 * interrupted rewrite. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "accounts_fx.h"
#include <sys/stat.h>

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

#define SALT "AAAAAAAAAAAAAAAAAAAAAA=="
#define KEY "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
#define GOOD_HASH "pbkdf2-sha256$1000$" SALT "$" KEY
#define ACCOUNT(id, user, hash) \
	"{\"Version\": 1, \"Accounts\": [{\"Id\": \"" id "\", \"UserName\": \"" user \
	"\", \"RoleId\": \"Operator\", \"Enabled\": true, \"PasswordHash\": \"" hash "\"}]}"

/* What a start must refuse rather than accept or repair: a hash that is not
 * one, a cost that makes every login a denial of service, a name the API
 * would refuse, an emptied file (never silently re-populated), a file
 * others can read, and anything but a regular file (a FIFO must not hang
 * the start). Each message names the file. */
static void test_refused_content(void **state)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ ACCOUNT("1", "u", "pbkdf2-sha256$1000$AAAA$AAAA"), "1:113: PasswordHash is not a" },
		{ ACCOUNT("1", "u", "sha1$1000$" SALT "$" KEY), "PasswordHash is not a pbkdf2" },
		{ ACCOUNT("1", "u", "pbkdf2-sha256$10000000$" SALT "$" KEY),
		  "PasswordHash iterations must be between 1000 and 1000000" },
		{ ACCOUNT("1", "u", "pbkdf2-sha256$999$" SALT "$" KEY), "iterations must be between" },
		{ ACCOUNT("1", "bad user", GOOD_HASH), "1:53: UserName must be 1 to 63 of" },
		{ ACCOUNT("1", "u/../x", GOOD_HASH), "UserName must be" },
		{ ACCOUNT("x1", "u", GOOD_HASH), "1:36: Id must be a decimal number" },
		{ "{\"Version\": 1, \"Accounts\": [],\n \"Roles\": [{\"Id\": \"a b\", \"Privileges\": [\"Login\"]}]}",
		  "2:19: Id must be 1 to 63 of" },
		{ "{\"Version\": 1, \"Accounts\": []}", "1:28: no account; remove the file" },
	};
	struct fx *f = *state;
	char err[512], want[600], *text;
	struct accounts *a2 = NULL;
	size_t len;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		assert_int_equal(file_write_atomic(f->path, cases[i].text, strlen(cases[i].text),
						   0600),
				 0);
		snprintf(want, sizeof(want), "%s:", f->path);
		err[0] = '\0';
		rc = accounts_open(f->path, ITER, &a2, err, sizeof(err));
		if (rc != -EINVAL || strncmp(err, want, strlen(want)) != 0 ||
		    !strstr(err, cases[i].want))
			fail_msg("open %s:\n  got  (%d) %s\n  want %s...%s", cases[i].text, rc, err,
				 want, cases[i].want);
		assert_int_equal(accounts_check_file(f->path, err, sizeof(err)), -EINVAL);
		assert_int_equal(file_read_all(f->path, 4096, &text, &len), 0);
		assert_string_equal(text, cases[i].text); /* never rewritten */
		free(text);
	}

	/* Readable by others: refused, told how to fix. */
	assert_int_equal(file_write_atomic(f->path, ACCOUNT("1", "u", GOOD_HASH),
					   strlen(ACCOUNT("1", "u", GOOD_HASH)), 0644),
			 0);
	assert_int_equal(accounts_open(f->path, ITER, &a2, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "mode 0644"));
	assert_non_null(strstr(err, "chmod 600"));
	assert_int_equal(chmod(f->path, 0600), 0);
	assert_int_equal(accounts_open(f->path, ITER, &a2, err, sizeof(err)), 0);
	accounts_free(a2);

	/* A FIFO is refused at once (opening it for reading would wait for a
	 * writer for ever), and so is a symbolic link. */
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(mkfifo(f->path, 0600), 0);
	assert_int_equal(accounts_open(f->path, ITER, &a2, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(symlink("/etc/passwd", f->path), 0);
	assert_int_equal(accounts_open(f->path, ITER, &a2, err, sizeof(err)), -ELOOP);
	assert_non_null(strstr(err, "symbolic link"));
}

/* Each problem in the file is named and placed at line:column; the check
 * used by --check-config refuses exactly what opening refuses. */
static void test_invalid_files(void **state)
{
	static const char hash[] = "\"PasswordHash\": \"" GOOD_HASH "\"";
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
		cmocka_unit_test_setup_teardown(test_refused_content, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

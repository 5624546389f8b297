/* The account store: create/update/delete with rollback-free atomic saves,
 * the last Administrator, ETags and If-Match, roles, settings, lockout,
 * strict loading (a corrupt file is refused and left alone), and removal
 * of temporaries left by an interrupted rewrite. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth/accounts.h"
#include "util/fileio.h"

#define ITER 1000 /* cheap hashes: these tests are about the store */

struct fx {
	char dir[64];
	char path[128];
	struct accounts *a;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[512];

	snprintf(f->dir, sizeof(f->dir), "/tmp/cxla-acct-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/accounts.json", f->dir);
	assert_int_equal(accounts_open(f->path, ITER, &f->a, err, sizeof(err)), 0);
	assert_int_equal(accounts_bootstrap(f->a, "admin-password-1", NULL, 0), 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	accounts_free(f->a);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static struct accounts *reopen(struct fx *f)
{
	char err[512];
	accounts_free(f->a);
	f->a = NULL;
	assert_int_equal(accounts_open(f->path, ITER, &f->a, err, sizeof(err)), 0);
	return f->a;
}

static void test_crud(void **state)
{
	struct fx *f = *state;
	struct account_info ai, old;
	struct account_change c = { .enabled = -1 };
	struct identity who;

	assert_int_equal(accounts_create(f->a, "bob", "short", "Operator", true, &ai), -ERANGE);
	assert_int_equal(accounts_create(f->a, "b b", "bob-password-1", "Operator", true, &ai), -EINVAL);
	assert_int_equal(accounts_create(f->a, "bob", "bob-password-1", "Nope", true, &ai), -EINVAL);
	assert_int_equal(accounts_create(f->a, "bob", "bob-password-1", "Operator", true, &ai), 0);
	assert_string_equal(ai.id, "2");
	assert_int_equal(accounts_create(f->a, "bob", "bob-password-2", "ReadOnly", true, NULL), -EEXIST);
	assert_int_equal(accounts_check_password(f->a, "bob", "bob-password-1", &who), ACCOUNT_OK);
	assert_string_equal(who.role, "Operator");

	c.password = "bob-password-2";
	c.role = "ReadOnly";
	assert_int_equal(accounts_update(f->a, "2", &c, &old, &ai), 0);
	assert_string_equal(old.role, "Operator");
	assert_string_equal(ai.role, "ReadOnly");
	assert_string_not_equal(old.etag, ai.etag);
	assert_int_equal(accounts_check_password(f->a, "bob", "bob-password-1", &who),
			 ACCOUNT_BAD_CREDENTIALS);
	/* Survives a reopen: the file holds the change. */
	reopen(f);
	assert_int_equal(accounts_check_password(f->a, "bob", "bob-password-2", &who), ACCOUNT_OK);
	assert_string_equal(who.role, "ReadOnly");
	assert_int_equal(accounts_delete(f->a, "2", &ai), 0);
	assert_string_equal(ai.user, "bob");
	assert_int_equal(accounts_delete(f->a, "2", NULL), -ENOENT);
	assert_int_equal(accounts_resolve(reopen(f), "bob", &who), ACCOUNT_BAD_CREDENTIALS);
}

static void test_last_admin(void **state)
{
	struct fx *f = *state;
	struct account_change demote = { .enabled = -1, .role = "Operator" };
	struct account_change disable = { .enabled = 0 };

	assert_int_equal(accounts_delete(f->a, "1", NULL), -EBUSY);
	assert_int_equal(accounts_update(f->a, "1", &demote, NULL, NULL), -EBUSY);
	assert_int_equal(accounts_update(f->a, "1", &disable, NULL, NULL), -EBUSY);
	assert_int_equal(accounts_create(f->a, "root2", "root2-password", "Administrator", false, NULL), 0);
	/* A disabled Administrator does not count. */
	assert_int_equal(accounts_delete(f->a, "1", NULL), -EBUSY);
	struct account_change enable = { .enabled = 1 };
	assert_int_equal(accounts_update(f->a, "2", &enable, NULL, NULL), 0);
	assert_int_equal(accounts_update(f->a, "1", &demote, NULL, NULL), 0);
	assert_int_equal(accounts_delete(f->a, "2", NULL), -EBUSY);
}

static void test_etag(void **state)
{
	struct fx *f = *state;
	struct account_info ai;
	struct account_change c = { .enabled = -1, .user = "admin2" };

	assert_int_equal(accounts_get(f->a, "1", &ai), 0);
	assert_true(accounts_etag_match(ai.etag, ai.etag));
	assert_true(accounts_etag_match("*", ai.etag));
	assert_false(accounts_etag_match("\"0\"", ai.etag));
	char list[64], weak[32];
	snprintf(list, sizeof(list), "\"x\", %s", ai.etag);
	snprintf(weak, sizeof(weak), "W/%s", ai.etag);
	assert_true(accounts_etag_match(list, ai.etag));
	assert_true(accounts_etag_match(weak, ai.etag));
	c.if_match = "\"0000000000000000\"";
	assert_int_equal(accounts_update(f->a, "1", &c, NULL, NULL), -ESTALE);
	c.if_match = ai.etag;
	assert_int_equal(accounts_update(f->a, "1", &c, NULL, NULL), 0);
	assert_int_equal(accounts_update(f->a, "1", &c, NULL, NULL), -ESTALE);
}

static void test_roles(void **state)
{
	struct fx *f = *state;
	struct role_info ri, *list;
	size_t n;
	struct identity who;

	assert_int_equal(accounts_role_create(f->a, "Administrator", PRIV_LOGIN, NULL), -EEXIST);
	assert_int_equal(accounts_role_create(f->a, "bad id", PRIV_LOGIN, NULL), -EINVAL);
	assert_int_equal(accounts_role_create(f->a, "Empty", 0, NULL), -EINVAL);
	assert_int_equal(accounts_role_create(f->a, "Writer",
					      PRIV_LOGIN | PRIV_CXL_COMMAND_WRITE_FULL, &ri), 0);
	assert_false(ri.predefined);
	assert_int_equal(accounts_role_update(f->a, "Operator", PRIV_LOGIN, NULL, NULL), -EPERM);
	assert_int_equal(accounts_role_delete(f->a, "ReadOnly"), -EPERM);
	assert_int_equal(accounts_create(f->a, "w", "writer-password", "Writer", true, NULL), 0);
	assert_int_equal(accounts_role_delete(f->a, "Writer"), -EBUSY);
	assert_int_equal(accounts_check_password(reopen(f), "w", "writer-password", &who), ACCOUNT_OK);
	assert_true(who.privileges & PRIV_CXL_COMMAND_WRITE_FULL);
	assert_int_equal(accounts_roles_list(f->a, &list, &n), 0);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++)
		if (list[i].predefined)
			assert_false(list[i].privileges & PRIV_CXL_COMMAND_WRITE_FULL);
	free(list);
}

static void test_lockout(void **state)
{
	struct fx *f = *state;
	struct account_settings s = { 3, 2, 2 }, bad = { 3, 2, 5 };
	struct account_info ai;
	struct identity who;
	struct account_change unlock = { .enabled = -1, .unlock = true };

	assert_int_equal(accounts_settings_set(f->a, &bad, NULL), -EINVAL);
	assert_int_equal(accounts_settings_set(f->a, &s, NULL), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(accounts_check_password(f->a, "admin", "wrong", &who),
				 ACCOUNT_BAD_CREDENTIALS);
	/* A success resets the counter. */
	assert_int_equal(accounts_check_password(f->a, "admin", "admin-password-1", &who), ACCOUNT_OK);
	for (int i = 0; i < 3; i++)
		accounts_check_password(f->a, "admin", "wrong", &who);
	assert_int_equal(accounts_get(f->a, "1", &ai), 0);
	assert_true(ai.locked);
	assert_int_equal(accounts_check_password(f->a, "admin", "admin-password-1", &who),
			 ACCOUNT_LOCKED);
	/* Established sessions and certificates still resolve. */
	assert_int_equal(accounts_resolve(f->a, "admin", &who), ACCOUNT_OK);
	assert_int_equal(accounts_update(f->a, "1", &unlock, NULL, &ai), 0);
	assert_false(ai.locked);
	for (int i = 0; i < 3; i++)
		accounts_check_password(f->a, "admin", "wrong", &who);
	sleep(3);
	assert_int_equal(accounts_check_password(f->a, "admin", "admin-password-1", &who), ACCOUNT_OK);
	/* Settings persist. */
	struct account_settings got;
	accounts_settings_get(reopen(f), &got, NULL);
	assert_int_equal(got.lockout_threshold, 3);
	assert_int_equal(got.lockout_duration_s, 2);
}

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
		cmocka_unit_test_setup_teardown(test_crud, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_admin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_etag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lockout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strict_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_files, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

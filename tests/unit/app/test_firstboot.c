/* First start: the host's own TLS pair is made once, in a 0700 directory
 * under the state directory; the first administrator's generated password
 * goes to a file only its owner can read before the account exists, and
 * only on the first start. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "app/firstboot.h"
#include "auth/accounts.h"
#include "support/tmpdir.h"
#include "util/fileio.h"

static void test_generates_in_private_state_dir(void **state)
{
	struct config cfg;
	char dir[48], text[128], err[256], path[256];
	char *before = NULL, *after = NULL;
	size_t len;
	struct stat st;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "fb"), 0);
	snprintf(text, sizeof(text), "{\"state_dir\": \"%s/state\"}", dir);
	assert_int_equal(config_defaults(&cfg), 0);
	assert_int_equal(config_load_string(&cfg, "t", text, err, sizeof(err)), 0);
	assert_int_equal(firstboot_tls(&cfg, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/state", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/state/tls/server.crt", dir);
	assert_int_equal(file_read_all(path, 1 << 16, &before, &len), 0);
	assert_non_null(strstr(before, "BEGIN CERTIFICATE"));
	assert_int_equal(firstboot_tls(&cfg, err, sizeof(err)), 0);
	assert_int_equal(file_read_all(path, 1 << 16, &after, &len), 0);
	assert_string_equal(before, after);
	free(before);
	free(after);
	config_release(&cfg);
	assert_int_equal(tmpdir_remove(dir), 0);
}

static void test_password_file(void **state)
{
	char dir[48], path[96];
	char *text = NULL;
	size_t len;
	struct stat st;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "fb"), 0);
	snprintf(path, sizeof(path), "%s/initial-admin-password", dir);
	assert_int_equal(firstboot_password_file(path, "Abcdefgh2345jkmn"), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(file_read_all(path, 1024, &text, &len), 0);
	assert_string_equal(text, "Abcdefgh2345jkmn\n");
	free(text);
	assert_int_equal(tmpdir_remove(dir), 0);
}

static void test_admin_once(void **state)
{
	struct config cfg;
	struct accounts *a = NULL;
	struct identity who;
	char dir[48], text[128], err[256], path[256], pw[32] = "";
	char *file = NULL;
	size_t len;
	struct stat st;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "fb"), 0);
	snprintf(text, sizeof(text), "{\"state_dir\": \"%s\"}", dir);
	assert_int_equal(config_defaults(&cfg), 0);
	assert_int_equal(config_load_string(&cfg, "t", text, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/accounts.json", dir);
	assert_int_equal(accounts_open(path, 1000, &a, err, sizeof(err)), 0);
	assert_int_equal(firstboot_admin(&cfg, a, NULL, pw, sizeof(pw), err, sizeof(err)), 1);
	assert_true(strlen(pw) >= 12);
	snprintf(path, sizeof(path), "%s/initial-admin-password", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(file_read_all(path, 1024, &file, &len), 0);
	assert_int_equal(len, strlen(pw) + 1);
	assert_memory_equal(file, pw, strlen(pw));
	free(file);
	assert_int_equal(accounts_check_password(a, "admin", pw, &who), ACCOUNT_OK);

	/* Accounts exist: nothing is created and a deleted file stays deleted. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(firstboot_admin(&cfg, a, NULL, pw, sizeof(pw), err, sizeof(err)), 0);
	assert_string_equal(pw, "");
	assert_int_not_equal(stat(path, &st), 0);
	accounts_free(a);
	config_release(&cfg);
	assert_int_equal(tmpdir_remove(dir), 0);
}

static void test_admin_given_password_writes_no_file(void **state)
{
	struct config cfg;
	struct accounts *a = NULL;
	struct identity who;
	char dir[48], text[128], err[256], path[256], pw[32] = "x";
	struct stat st;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "fb"), 0);
	snprintf(text, sizeof(text), "{\"state_dir\": \"%s\"}", dir);
	assert_int_equal(config_defaults(&cfg), 0);
	assert_int_equal(config_load_string(&cfg, "t", text, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/accounts.json", dir);
	assert_int_equal(accounts_open(path, 1000, &a, err, sizeof(err)), 0);
	assert_int_equal(firstboot_admin(&cfg, a, "given-password-123", pw, sizeof(pw), err,
					 sizeof(err)), 1);
	assert_string_equal(pw, "");
	snprintf(path, sizeof(path), "%s/initial-admin-password", dir);
	assert_int_not_equal(stat(path, &st), 0);
	assert_int_equal(accounts_check_password(a, "admin", "given-password-123", &who),
			 ACCOUNT_OK);
	accounts_free(a);
	config_release(&cfg);
	assert_int_equal(tmpdir_remove(dir), 0);
}

/* The password file cannot be written: no account is created either. */
static void test_admin_not_created_without_its_file(void **state)
{
	struct config cfg;
	struct accounts *a = NULL;
	struct account_info *list = NULL;
	char dir[48], text[160], err[256] = "", path[256];
	size_t n = 1;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "fb"), 0);
	snprintf(text, sizeof(text), "{\"state_dir\": \"%s/missing\"}", dir);
	assert_int_equal(config_defaults(&cfg), 0);
	assert_int_equal(config_load_string(&cfg, "t", text, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/accounts.json", dir);
	assert_int_equal(accounts_open(path, 1000, &a, err, sizeof(err)), 0);
	assert_true(firstboot_admin(&cfg, a, NULL, NULL, 0, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "initial administrator password"));
	assert_int_equal(accounts_list(a, &list, &n), 0);
	assert_int_equal(n, 0);
	free(list);
	accounts_free(a);
	config_release(&cfg);
	assert_int_equal(tmpdir_remove(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generates_in_private_state_dir),
		cmocka_unit_test(test_password_file),
		cmocka_unit_test(test_admin_once),
		cmocka_unit_test(test_admin_given_password_writes_no_file),
		cmocka_unit_test(test_admin_not_created_without_its_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The accounts store with every allocation failing in turn, for opening the
 * file and for each change that rewrites it (create, update, delete, role
 * create and delete, settings). After every run:
 *  - the file on disk is either exactly what it was (the change failed) or
 *    the complete new state (it succeeded): never half-written, and no
 *    temporary file is left beside it;
 *  - what the store holds in memory is what the file says (reopened by a
 *    second store and compared);
 * then the state is put back and the next allocation is made to fail. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth/accounts.h"
#include "support/alloc_fail.h"
#include "support/tmpdir.h"
#include "util/fileio.h"

#define ADMIN_PASSWORD "admin-password-123"
#define VICTIM_PASSWORD "victim-password-1"

struct fixture {
	char dir[64];
	char path[128];
	struct accounts *a;
	char victim_id[ACCOUNT_ID_MAX];
	char *before;
	size_t before_len;
	int (*change)(struct fixture *f);
	size_t changed; /* runs that did change the file */
};

static void reopen(struct fixture *f)
{
	char err[256] = "";

	accounts_free(f->a);
	f->a = NULL;
	assert_int_equal(accounts_open(f->path, 1000, &f->a, err, sizeof(err)), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct account_info victim;

	if (!f)
		return -1;
	if (tmpdir_make(f->dir, sizeof(f->dir), "accounts-alloc"))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/accounts.json", f->dir);
	reopen(f);
	if (accounts_bootstrap(f->a, ADMIN_PASSWORD, NULL, 0) != 1 ||
	    accounts_create(f->a, "victim", VICTIM_PASSWORD, "ReadOnly", true, &victim) ||
	    accounts_role_create(f->a, "Spare", PRIV_LOGIN, NULL))
		return -1;
	snprintf(f->victim_id, sizeof(f->victim_id), "%s", victim.id);
	if (file_read_all(f->path, 1 << 20, &f->before, &f->before_len))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	accounts_free(f->a);
	free(f->before);
	if (tmpdir_remove(f->dir))
		return -1;
	free(f);
	return 0;
}

/* Users, roles and settings as one comparable text. */
static void summary(struct accounts *a, char *out, size_t len)
{
	struct account_info *list = NULL;
	struct role_info *roles = NULL;
	struct account_settings s;
	char etag[ACCOUNT_ETAG_MAX];
	size_t n = 0, nr = 0, o = 0;

	assert_int_equal(accounts_list(a, &list, &n), 0);
	assert_int_equal(accounts_roles_list(a, &roles, &nr), 0);
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(out + o, len - o, "%s:%s:%s:%d;", list[i].id, list[i].user,
				      list[i].role, list[i].enabled);
	for (size_t i = 0; i < nr; i++)
		o += (size_t)snprintf(out + o, len - o, "%s=%llx;", roles[i].id,
				      (unsigned long long)roles[i].privileges);
	accounts_settings_get(a, &s, etag);
	snprintf(out + o, len - o, "%u/%u/%u", s.lockout_threshold, s.lockout_duration_s,
		 s.lockout_reset_after_s);
	free(list);
	free(roles);
}

static void no_temporaries(const struct fixture *f)
{
	DIR *d = opendir(f->dir);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			assert_string_equal(e->d_name, "accounts.json");
	closedir(d);
}

static int run_change(void *arg)
{
	struct fixture *f = arg;
	return f->change(f);
}

static void check_and_restore(void *arg, int rc, bool failed)
{
	struct fixture *f = arg;
	char *now = NULL;
	size_t len = 0;
	char mem[2048], disk[2048], err[256] = "";
	struct accounts *other = NULL;

	if (!failed)
		assert_int_equal(rc, 0);
	no_temporaries(f);
	assert_int_equal(file_read_all(f->path, 1 << 20, &now, &len), 0);
	if (len == f->before_len && memcmp(now, f->before, len) == 0) {
		/* unchanged on disk: the store must not claim the change either */
		assert_int_not_equal(rc, 0);
	} else {
		f->changed++;
	}
	/* the file is whole and is what the store believes */
	assert_int_equal(accounts_open(f->path, 1000, &other, err, sizeof(err)), 0);
	summary(f->a, mem, sizeof(mem));
	summary(other, disk, sizeof(disk));
	assert_string_equal(mem, disk);
	accounts_free(other);
	free(now);

	/* back to the starting state for the next run */
	assert_int_equal(file_write_atomic(f->path, f->before, f->before_len, 0600), 0);
	reopen(f);
}

static void every_allocation_fails(struct fixture *f, int (*change)(struct fixture *f))
{
	size_t runs;

	f->change = change;
	f->changed = 0;
	runs = alloc_fail_each(run_change, check_and_restore, f, 10000);
	assert_true(runs > 1);
	assert_true(f->changed >= 1); /* at least the run without a failure */
}

static int change_create(struct fixture *f)
{
	return accounts_create(f->a, "newuser", "new-password-123", "Operator", true, NULL);
}

static int change_update(struct fixture *f)
{
	const struct account_change c = { .user = "renamed", .password = "other-password-1",
					  .role = "Spare", .enabled = 0 };
	return accounts_update(f->a, f->victim_id, &c, NULL, NULL);
}

static int change_delete(struct fixture *f)
{
	return accounts_delete(f->a, f->victim_id, NULL);
}

static int change_role_create(struct fixture *f)
{
	return accounts_role_create(f->a, "NewRole", PRIV_LOGIN | PRIV_CONFIGURE_SELF, NULL);
}

static int change_role_delete(struct fixture *f)
{
	return accounts_role_delete(f->a, "Spare");
}

static int change_settings(struct fixture *f)
{
	const struct account_settings s = { 3, 60, 30 };
	return accounts_settings_set(f->a, &s, NULL);
}

static void test_create(void **state) { every_allocation_fails(*state, change_create); }
static void test_update(void **state) { every_allocation_fails(*state, change_update); }
static void test_delete(void **state) { every_allocation_fails(*state, change_delete); }
static void test_role_create(void **state) { every_allocation_fails(*state, change_role_create); }
static void test_role_delete(void **state) { every_allocation_fails(*state, change_role_delete); }
static void test_settings(void **state) { every_allocation_fails(*state, change_settings); }

struct open_run {
	const char *path;
	char expect[2048];
};

static int open_and_read(void *arg)
{
	struct open_run *r = arg;
	struct accounts *a = NULL;
	char err[256] = "", got[2048];
	struct identity who;
	int rc = accounts_open(r->path, 1000, &a, err, sizeof(err));

	if (rc)
		return rc;
	alloc_fail_at(0); /* what was loaded is checked unhindered */
	summary(a, got, sizeof(got));
	assert_string_equal(got, r->expect);
	assert_int_equal(accounts_check_password(a, "victim", VICTIM_PASSWORD, &who), ACCOUNT_OK);
	accounts_free(a);
	return 0;
}

static void open_check(void *arg, int rc, bool failed)
{
	(void)arg;
	if (!failed)
		assert_int_equal(rc, 0);
	else
		assert_true(rc == 0 || rc == -ENOMEM || rc == -EINVAL);
}

static void test_open(void **state)
{
	struct fixture *f = *state;
	struct open_run r = { .path = f->path };
	char *after = NULL;
	size_t len = 0;

	summary(f->a, r.expect, sizeof(r.expect));
	assert_true(alloc_fail_each(open_and_read, open_check, &r, 10000) > 1);
	/* a failed open never rewrites or removes the file */
	assert_int_equal(file_read_all(f->path, 1 << 20, &after, &len), 0);
	assert_int_equal(len, f->before_len);
	assert_memory_equal(after, f->before, len);
	free(after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_role_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_role_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

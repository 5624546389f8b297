/* The account store: create/update/delete with atomic saves, the last
 * Administrator, ETags and If-Match, settings and lockout. Roles and the
 * file format have their own tests (test_roles.c, test_accounts_file.c). */
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

#include "accounts_fx.h"
#include "auth/accounts_internal.h"
#include "support/fake_clock.h"

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
	static const char *const parts[] = { "admin", "Administrator" };
	char tag[ACCOUNT_ETAG_MAX];

	/* SHA-256 of "admin\0Administrator\0", its first 8 bytes (Python's
	 * hashlib): tags a client holds stay valid across versions */
	acct_etag_of(parts, 2, tag);
	assert_string_equal(tag, "\"f954063470c9f571\"");
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

static void test_lockout(void **state)
{
	struct fx *f = *state;
	struct account_settings s = { 3, 2, 2 }, bad = { 3, 2, 5 };
	struct account_info ai;
	struct fake_clock clock;

	fake_clock_init(&clock);
	accounts_set_clock(f->a, &clock.source);
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
	fake_clock_advance(&clock, 3);
	assert_int_equal(accounts_check_password(f->a, "admin", "admin-password-1", &who), ACCOUNT_OK);
	/* Settings persist. */
	struct account_settings got;
	accounts_settings_get(reopen(f), &got, NULL);
	assert_int_equal(got.lockout_threshold, 3);
	assert_int_equal(got.lockout_duration_s, 2);
	fake_clock_destroy(&clock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_crud, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_admin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_etag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lockout, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

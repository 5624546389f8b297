/* Custom roles beside the predefined ones: names, privileges, refusal to
 * change predefined roles or delete one in use, persistence. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "accounts_fx.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roles, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

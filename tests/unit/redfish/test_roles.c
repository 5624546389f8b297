/* roles.c: the predefined roles (read-only) and the roles an
 * administrator defines, the only way to grant CxlCommandWriteFull. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "fixture.h"

#define ROLES "/redfish/v1/AccountService/Roles"

struct rt {
	struct rfx *f;
	char reader[256];
};

static int setup(void **state)
{
	struct rt *t = calloc(1, sizeof(*t));

	if (!t || !(t->f = rfx_open()) ||
	    rfx_user(t->f, "reader", "ReadOnly", t->reader, sizeof(t->reader)))
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct rt *t = *state;
	rfx_close(t->f);
	free(t);
	return 0;
}

static struct rfx_reply send_role(struct rt *t, enum http_method m, const char *path,
				  const char *body, int status, const char *id)
{
	struct rfx_reply r = rfx_send(t->f, m, path, t->f->admin, body, NULL);
	if (r.status != status || (id && strcmp(rfx_message_id(&r), id) != 0))
		fail_msg("%s %s: %d %s, want %d %s", path, body ? body : "", r.status,
			 rfx_message_id(&r), status, id ? id : "");
	return r;
}

static bool has(json_t *arr, const char *name)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
		if (strcmp(json_string_value(v), name) == 0)
			return true;
	return false;
}

static void test_predefined(void **state)
{
	struct rt *t = *state;
	struct rfx_reply r = rfx_get(t->f, ROLES, t->reader);

	assert_int_equal(r.status, 200);
	assert_int_equal(rfx_int(r.body, "Members@odata.count"), 3);
	rfx_free(&r);

	r = rfx_get(t->f, ROLES "/Operator", t->reader);
	assert_int_equal(r.status, 200);
	assert_true(json_is_true(rfx_at(r.body, "IsPredefined")));
	assert_true(has(rfx_at(r.body, "AssignedPrivileges"), "ConfigureComponents"));
	assert_false(has(rfx_at(r.body, "AssignedPrivileges"), "ConfigureUsers"));
	assert_true(has(rfx_at(r.body, "OemPrivileges"), "CxlCommandConfigure"));
	assert_false(has(rfx_at(r.body, "OemPrivileges"), "CxlCommandWriteFull"));
	rfx_free(&r);
	r = rfx_get(t->f, ROLES "/Administrator", t->reader);
	assert_false(has(rfx_at(r.body, "OemPrivileges"), "CxlCommandWriteFull"));
	rfx_free(&r);

	r = send_role(t, HTTP_PATCH, ROLES "/Operator", "{\"AssignedPrivileges\": [\"Login\"]}",
		      400, "PropertyNotWritable");
	rfx_free(&r);
	r = send_role(t, HTTP_DELETE, ROLES "/ReadOnly", NULL, 409, "ResourceCannotBeDeleted");
	rfx_free(&r);
	r = send_role(t, HTTP_GET, ROLES "/Nobody", NULL, 404, "ResourceNotFound");
	rfx_free(&r);
}

static void test_custom_role(void **state)
{
	struct rt *t = *state;
	struct rfx_reply r = send_role(t, HTTP_POST, ROLES,
				       "{\"RoleId\": \"Writer\", \"AssignedPrivileges\": [\"Login\"],"
				       " \"OemPrivileges\": [\"CxlCommandWriteFull\"]}",
				       201, NULL);
	struct account_info ai;

	assert_string_equal(r.location, ROLES "/Writer");
	assert_true(json_is_false(rfx_at(r.body, "IsPredefined")));
	assert_true(has(rfx_at(r.body, "OemPrivileges"), "CxlCommandWriteFull"));
	rfx_free(&r);

	r = send_role(t, HTTP_POST, ROLES, "{\"RoleId\": \"Writer\", \"AssignedPrivileges\": [\"Login\"]}",
		      409, "ResourceAlreadyExists");
	rfx_free(&r);
	r = send_role(t, HTTP_POST, ROLES, "{\"AssignedPrivileges\": [\"Login\"]}", 400,
		      "CreateFailedMissingReqProperties");
	rfx_free(&r);
	r = send_role(t, HTTP_POST, ROLES, "{\"RoleId\": \"X\", \"OemPrivileges\": []}", 400,
		      "CreateFailedMissingReqProperties");
	rfx_free(&r);
	/* an OEM privilege among the standard ones, and an unknown one */
	r = send_role(t, HTTP_POST, ROLES,
		      "{\"RoleId\": \"Y\", \"AssignedPrivileges\": [\"CxlCommandRead\", \"Fly\"]}",
		      400, "PropertyValueNotInList");
	assert_int_equal(json_array_size(rfx_at(r.body, "error/@Message.ExtendedInfo")), 2);
	rfx_free(&r);
	r = send_role(t, HTTP_POST, ROLES, "{\"RoleId\": 3, \"AssignedPrivileges\": [\"Login\"]}",
		      400, "PropertyValueTypeError");
	rfx_free(&r);

	/* OemPrivileges left out of a PATCH stay as they were */
	r = send_role(t, HTTP_PATCH, ROLES "/Writer",
		      "{\"AssignedPrivileges\": [\"Login\", \"ConfigureSelf\"]}", 200, NULL);
	assert_true(has(rfx_at(r.body, "AssignedPrivileges"), "ConfigureSelf"));
	assert_true(has(rfx_at(r.body, "OemPrivileges"), "CxlCommandWriteFull"));
	rfx_free(&r);
	r = send_role(t, HTTP_PATCH, ROLES "/Writer", "{\"AssignedPrivileges\": [], \"OemPrivileges\": []}",
		      400, "PropertyValueIncorrect");
	rfx_free(&r);

	/* in use by an account: not deleted */
	assert_int_equal(accounts_create(t->f->ag.accounts, "wendy", RFX_PASSWORD, "Writer", true,
					 &ai),
			 0);
	r = send_role(t, HTTP_DELETE, ROLES "/Writer", NULL, 409, "ResourceInUse");
	rfx_free(&r);
	assert_int_equal(accounts_delete(t->f->ag.accounts, ai.id, &ai), 0);
	r = send_role(t, HTTP_DELETE, ROLES "/Writer", NULL, 204, NULL);
	rfx_free(&r);
	r = send_role(t, HTTP_GET, ROLES "/Writer", NULL, 404, "ResourceNotFound");
	rfx_free(&r);
}

/* Roles are managed with ConfigureUsers: ReadOnly may only read them. */
static void test_readers_cannot_manage(void **state)
{
	struct rt *t = *state;
	struct rfx_reply r = rfx_send(t->f, HTTP_POST, ROLES, t->reader,
				      "{\"RoleId\": \"Z\", \"AssignedPrivileges\": [\"Login\"]}", NULL);

	assert_int_equal(r.status, 403);
	rfx_free(&r);
	r = rfx_send(t->f, HTTP_DELETE, ROLES "/Operator", t->reader, NULL, NULL);
	assert_int_equal(r.status, 403);
	rfx_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_predefined),
		cmocka_unit_test(test_custom_role),
		cmocka_unit_test(test_readers_cannot_manage),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

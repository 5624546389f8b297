/* accounts.c: the AccountService settings and the local accounts: what a
 * caller with ConfigureUsers may do, what ConfigureSelf alone allows (one's
 * own account, and only its password), every 400 problem of a body reported
 * at once, and the rules that keep an Administrator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "fixture.h"
#include "support/io_fail.h"
#include "util/fileio.h"

#define SERVICE "/redfish/v1/AccountService"
#define ACCOUNTS SERVICE "/Accounts"

struct at {
	struct rfx *f;
	char reader[256];
	char reader_uri[128];
	char admin_uri[128];
};

static void uri_of(struct rfx *f, const char *user, char *out, size_t len)
{
	struct account_info ai;
	assert_int_equal(accounts_get_by_user(f->ag.accounts, user, &ai), 0);
	snprintf(out, len, ACCOUNTS "/%s", ai.id);
}

static int setup(void **state)
{
	struct at *t = calloc(1, sizeof(*t));

	if (!t || !(t->f = rfx_open()) ||
	    rfx_user(t->f, "reader", "ReadOnly", t->reader, sizeof(t->reader)))
		return -1;
	uri_of(t->f, "reader", t->reader_uri, sizeof(t->reader_uri));
	uri_of(t->f, "admin", t->admin_uri, sizeof(t->admin_uri));
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct at *t = *state;
	rfx_close(t->f);
	free(t);
	return 0;
}

/* The message ids of an error reply, comma-separated, into buf. */
static const char *ids(const struct rfx_reply *r, char *buf, size_t len)
{
	json_t *info = rfx_at(r->body, "error/@Message.ExtendedInfo"), *m;
	size_t i, o = 0;

	buf[0] = '\0';
	json_array_foreach(info, i, m) {
		const char *id = strrchr(rfx_str(m, "MessageId"), '.') + 1;
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "," : "", id);
		if (o >= len)
			break;
	}
	return buf;
}

static void expect(struct rfx *f, enum http_method method, const char *path, const char *auth,
		   const char *body, int status, const char *message_ids)
{
	struct rfx_reply r = rfx_send(f, method, path, auth, body, NULL);
	char got[256];

	if (r.status != status || (message_ids && strcmp(ids(&r, got, sizeof(got)), message_ids)))
		fail_msg("%s %s: %d %s, want %d %s", body ? body : "", path, r.status,
			 ids(&r, got, sizeof(got)), status, message_ids ? message_ids : "");
	rfx_free(&r);
}

static void test_service_settings(void **state)
{
	struct at *t = *state;
	struct rfx_reply r = rfx_get(t->f, SERVICE, t->reader);
	char stale[80];

	assert_int_equal(r.status, 200);
	assert_int_equal(rfx_int(r.body, "MinPasswordLength"), ACCOUNT_PASSWORD_MIN);
	assert_int_equal(rfx_int(r.body, "MaxPasswordLength"), ACCOUNT_PASSWORD_MAX);
	assert_string_equal(rfx_str(r.body, "Accounts/@odata.id"), ACCOUNTS);
	assert_true(json_is_false(rfx_at(r.body, "MultiFactorAuth/ClientCertificate/Enabled")));
	snprintf(stale, sizeof(stale), "%s", r.etag);
	rfx_free(&r);

	r = rfx_send(t->f, HTTP_PATCH, SERVICE, t->f->admin,
		     "{\"AccountLockoutThreshold\": 7, \"AccountLockoutDuration\": 600,"
		     " \"AccountLockoutCounterResetAfter\": 300}",
		     NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(rfx_int(r.body, "AccountLockoutThreshold"), 7);
	assert_int_equal(rfx_int(r.body, "AccountLockoutDuration"), 600);
	assert_string_not_equal(r.etag, stale);
	rfx_free(&r);

	/* every problem at once */
	expect(t->f, HTTP_PATCH, SERVICE, t->f->admin,
	       "{\"AccountLockoutThreshold\": -1, \"AccountLockoutDuration\": \"x\"}", 400,
	       "PropertyValueOutOfRange,PropertyValueTypeError");
	expect(t->f, HTTP_PATCH, SERVICE, t->f->admin,
	       "{\"MinPasswordLength\": 3, \"Nonsense\": 1}", 400,
	       "PropertyNotWritable,PropertyUnknown");
	expect(t->f, HTTP_PATCH, SERVICE, t->f->admin,
	       "{\"AccountLockoutDuration\": 10, \"AccountLockoutCounterResetAfter\": 20}", 400,
	       "PropertyValueConflict");
	expect(t->f, HTTP_PATCH, SERVICE, t->f->admin, "{}", 400, "EmptyJSON");
	expect(t->f, HTTP_PATCH, SERVICE, t->f->admin, "[", 400, "MalformedJSON");
	expect(t->f, HTTP_PATCH, SERVICE, t->reader, "{\"AccountLockoutThreshold\": 1}", 403,
	       "InsufficientPrivilege");
	/* a stale If-Match */
	const char *const if_match[] = { "If-Match", stale, NULL };
	r = rfx_send(t->f, HTTP_PATCH, SERVICE, t->f->admin, "{\"AccountLockoutThreshold\": 1}",
		     if_match);
	assert_int_equal(r.status, 412);
	assert_string_equal(rfx_message_id(&r), "PreconditionFailed");
	rfx_free(&r);
}

static void test_create_and_delete(void **state)
{
	struct at *t = *state;
	struct rfx_reply r = rfx_send(t->f, HTTP_POST, ACCOUNTS, t->f->admin,
				      "{\"UserName\": \"alice\", \"Password\": \"" RFX_PASSWORD
				      "\", \"RoleId\": \"Operator\"}",
				      NULL);
	char uri[256];

	assert_int_equal(r.status, 201);
	assert_string_equal(rfx_str(r.body, "UserName"), "alice");
	assert_string_equal(rfx_str(r.body, "RoleId"), "Operator");
	assert_true(json_is_true(rfx_at(r.body, "Enabled")));
	assert_string_equal(rfx_str(r.body, "Links/Role/@odata.id"), SERVICE "/Roles/Operator");
	assert_string_equal(r.location, rfx_str(r.body, "@odata.id"));
	assert_true(r.etag[0]);
	assert_null(rfx_at(r.body, "Password"));
	snprintf(uri, sizeof(uri), "%s", r.location);
	rfx_free(&r);

	expect(t->f, HTTP_POST, ACCOUNTS, t->f->admin,
	       "{\"UserName\": \"alice\", \"Password\": \"" RFX_PASSWORD "\", \"RoleId\": \"ReadOnly\"}",
	       409, "ResourceAlreadyExists");
	expect(t->f, HTTP_POST, ACCOUNTS, t->f->admin, "{\"UserName\": \"bob\", \"RoleId\": \"ReadOnly\"}",
	       400, "CreateFailedMissingReqProperties");
	expect(t->f, HTTP_POST, ACCOUNTS, t->f->admin,
	       "{\"UserName\": \"bob\", \"Password\": \"short\", \"RoleId\": \"ReadOnly\"}", 400,
	       "PasswordIncorrectLength");
	expect(t->f, HTTP_POST, ACCOUNTS, t->f->admin,
	       "{\"UserName\": \"bob\", \"Password\": \"" RFX_PASSWORD "\", \"RoleId\": \"King\"}",
	       400, "PropertyValueNotInList");
	expect(t->f, HTTP_POST, ACCOUNTS, t->f->admin,
	       "{\"UserName\": 5, \"Password\": [], \"Locked\": true, \"Id\": \"x\"}", 400,
	       "PropertyNotWritable");
	expect(t->f, HTTP_POST, ACCOUNTS, t->f->admin,
	       "{\"UserName\": 5, \"Password\": [], \"Locked\": true}", 400,
	       "PropertyValueTypeError,PropertyValueTypeError,PropertyValueIncorrect");
	expect(t->f, HTTP_POST, ACCOUNTS, t->reader,
	       "{\"UserName\": \"bob\", \"Password\": \"" RFX_PASSWORD "\", \"RoleId\": \"ReadOnly\"}",
	       403, "InsufficientPrivilege");

	expect(t->f, HTTP_DELETE, uri, t->f->admin, NULL, 204, NULL);
	expect(t->f, HTTP_GET, uri, t->f->admin, NULL, 404, "ResourceNotFound");
	expect(t->f, HTTP_DELETE, uri, t->f->admin, NULL, 404, "ResourceNotFound");
}

/* A password never shows in a message, even a type error about it. */
static void test_password_hidden(void **state)
{
	struct at *t = *state;
	struct rfx_reply r = rfx_send(t->f, HTTP_PATCH, t->reader_uri, t->f->admin,
				      "{\"Password\": 123456789012345}", NULL);

	assert_int_equal(r.status, 400);
	assert_null(strstr(r.text, "123456789012345"));
	assert_string_equal(rfx_str(r.body, "error/@Message.ExtendedInfo/0/MessageArgs/0"),
			    "(hidden)");
	rfx_free(&r);
}

/* ConfigureSelf alone: one's own account, and only its password. */
static void test_self(void **state)
{
	struct at *t = *state;
	struct rfx_reply r = rfx_get(t->f, ACCOUNTS, t->reader);
	char auth[256];

	assert_int_equal(rfx_int(r.body, "Members@odata.count"), 1);
	assert_string_equal(rfx_str(r.body, "Members/0/@odata.id"), t->reader_uri);
	rfx_free(&r);
	r = rfx_get(t->f, ACCOUNTS, t->f->admin);
	assert_int_equal(rfx_int(r.body, "Members@odata.count"), 2);
	rfx_free(&r);

	expect(t->f, HTTP_GET, t->reader_uri, t->reader, NULL, 200, NULL);
	expect(t->f, HTTP_GET, t->admin_uri, t->reader, NULL, 403, "InsufficientPrivilege");
	expect(t->f, HTTP_PATCH, t->reader_uri, t->reader, "{\"RoleId\": \"Administrator\"}", 403,
	       "InsufficientPrivilege");
	expect(t->f, HTTP_PATCH, t->admin_uri, t->reader,
	       "{\"Password\": \"another-password-2\"}", 403, "InsufficientPrivilege");
	expect(t->f, HTTP_DELETE, t->reader_uri, t->reader, NULL, 403, "InsufficientPrivilege");
	expect(t->f, HTTP_PATCH, t->reader_uri, t->reader, "{\"Password\": \"another-password-2\"}",
	       200, NULL);
	/* the old password is gone, the new one works */
	expect(t->f, HTTP_GET, t->reader_uri, t->reader, NULL, 401, "NoValidSession");
	assert_int_equal(rfx_basic(auth, sizeof(auth), "reader", "another-password-2"), 0);
	expect(t->f, HTTP_GET, t->reader_uri, auth, NULL, 200, NULL);
	assert_int_equal(rfx_basic(t->reader, sizeof(t->reader), "reader", "another-password-2"), 0);
}

/* The last enabled Administrator stays. */
static void test_last_administrator(void **state)
{
	struct at *t = *state;

	expect(t->f, HTTP_DELETE, t->admin_uri, t->f->admin, NULL, 409, "ResourceCannotBeDeleted");
	expect(t->f, HTTP_PATCH, t->admin_uri, t->f->admin, "{\"RoleId\": \"ReadOnly\"}", 409,
	       "PropertyValueResourceConflict");
	expect(t->f, HTTP_PATCH, t->admin_uri, t->f->admin, "{\"Enabled\": false}", 409,
	       "PropertyValueResourceConflict");
	expect(t->f, HTTP_GET, t->admin_uri, t->f->admin, NULL, 200, NULL);
}

/* Sessions follow their account: disabling it ends them. */
static void test_sessions_follow_the_account(void **state)
{
	struct at *t = *state;
	struct rfx_reply login = rfx_send(t->f, HTTP_POST, "/redfish/v1/SessionService/Sessions",
					  NULL,
					  "{\"UserName\": \"reader\", \"Password\": "
					  "\"another-password-2\"}",
					  NULL);
	char token[80];

	assert_int_equal(login.status, 201);
	snprintf(token, sizeof(token), "%s", login.token);
	rfx_free(&login);
	expect(t->f, HTTP_GET, t->reader_uri, token, NULL, 200, NULL);
	expect(t->f, HTTP_PATCH, t->reader_uri, t->f->admin, "{\"Enabled\": false}", 200, NULL);
	expect(t->f, HTTP_GET, t->reader_uri, token, NULL, 401, "NoValidSession");
}

/* A full disk: every change of accounts, roles and settings answers 507
 * with a message that says so, and changes nothing (neither in memory nor
 * on disk, and no temporary file is left). */
static void test_disk_full(void **state)
{
	static const char role[] = "{\"RoleId\": \"Auditor\", \"AssignedPrivileges\": [\"Login\"]}";
	struct at *t = *state;
	char path[512], *before, *after, cmd[600];
	size_t blen, alen;
	struct rfx_reply r;

	expect(t->f, HTTP_POST, SERVICE "/Roles", t->f->admin, role, 201, NULL);
	snprintf(path, sizeof(path), "%s/accounts.json", t->f->dir);
	assert_int_equal(file_read_all(path, 1 << 20, &before, &blen), 0);

	io_fail_writes(ENOSPC);
	expect(t->f, HTTP_POST, ACCOUNTS, t->f->admin,
	       "{\"UserName\": \"carol\", \"Password\": \"" RFX_PASSWORD
	       "\", \"RoleId\": \"Operator\"}",
	       507, "GeneralError,GeneralError");
	expect(t->f, HTTP_PATCH, t->reader_uri, t->f->admin, "{\"RoleId\": \"Operator\"}", 507,
	       "GeneralError,GeneralError");
	expect(t->f, HTTP_DELETE, t->reader_uri, t->f->admin, NULL, 507, "GeneralError,GeneralError");
	expect(t->f, HTTP_PATCH, SERVICE, t->f->admin, "{\"AccountLockoutThreshold\": 9}", 507,
	       "GeneralError,GeneralError");
	expect(t->f, HTTP_POST, SERVICE "/Roles", t->f->admin,
	       "{\"RoleId\": \"Other\", \"AssignedPrivileges\": [\"Login\"]}", 507,
	       "GeneralError,GeneralError");
	expect(t->f, HTTP_PATCH, SERVICE "/Roles/Auditor", t->f->admin,
	       "{\"AssignedPrivileges\": [\"Login\", \"ConfigureSelf\"]}", 507,
	       "GeneralError,GeneralError");
	expect(t->f, HTTP_DELETE, SERVICE "/Roles/Auditor", t->f->admin, NULL, 507,
	       "GeneralError,GeneralError");
	assert_true(io_fail_count() > 0);
	io_fail_writes(0);

	/* Nothing changed: the file, the accounts, the roles, the settings. */
	assert_int_equal(file_read_all(path, 1 << 20, &after, &alen), 0);
	assert_int_equal(alen, blen);
	assert_memory_equal(after, before, blen);
	free(before);
	free(after);
	snprintf(cmd, sizeof(cmd), "ls %s | grep -q tmp", t->f->dir);
	assert_int_not_equal(system(cmd), 0);
	r = rfx_get(t->f, t->reader_uri, t->f->admin);
	assert_string_equal(rfx_str(r.body, "RoleId"), "ReadOnly");
	rfx_free(&r);
	r = rfx_get(t->f, SERVICE, t->f->admin);
	assert_int_not_equal(rfx_int(r.body, "AccountLockoutThreshold"), 9);
	rfx_free(&r);
	r = rfx_get(t->f, SERVICE "/Roles/Other", t->f->admin);
	assert_int_equal(r.status, 404);
	rfx_free(&r);
	r = rfx_get(t->f, SERVICE "/Roles/Auditor", t->f->admin);
	assert_int_equal(json_array_size(rfx_at(r.body, "AssignedPrivileges")), 1);
	rfx_free(&r);
	expect(t->f, HTTP_DELETE, SERVICE "/Roles/Auditor", t->f->admin, NULL, 204, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service_settings),
		cmocka_unit_test(test_create_and_delete),
		cmocka_unit_test(test_password_hidden),
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_last_administrator),
		cmocka_unit_test(test_sessions_follow_the_account),
		cmocka_unit_test(test_disk_full),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

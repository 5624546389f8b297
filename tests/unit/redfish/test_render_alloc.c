/* JSON rendering and request-body parsing at the service edge with every
 * allocation failing in turn: the service root, a collection, a 404, a
 * malformed body and a role creation, each sent as the HTTP server would.
 * Every run must answer either what the unhindered run answers or a 5xx;
 * a success status always comes with a whole JSON body (never an empty or
 * truncated one), and a role creation answered 201 made the role and one
 * answered 4xx did not. Leaks show under the sanitizer build. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "auth/accounts.h"
#include "auth/authn.h"
#include "config/config.h"
#include "core/agent.h"
#include "http/message.h"
#include "redfish/router.h"
#include "redfish/routes.h"
#include "redfish/service.h"
#include "support/agent_fixture.h"
#include "support/alloc_fail.h"
#include "support/tmpdir.h"
#include "util/base64.h"

#define ADMIN_PASSWORD "render-admin-password"

struct fixture {
	char dir[64];
	struct config cfg;
	struct agent ag;
	char auth[128];
	/* the request of the current case and what the unhindered run gave */
	enum http_method method;
	const char *path;
	const char *body;
	int expect_status;
	int status;
	size_t failures;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const struct authn_config ac = { .cache_ttl_s = 300 };
	char path[128], err[256] = "", cred[64];
	char *b64;

	if (!f)
		return -1;
	if (tmpdir_make(f->dir, sizeof(f->dir), "render-alloc") || config_defaults(&f->cfg))
		return -1;
	snprintf(path, sizeof(path), "%s/accounts.json", f->dir);
	if (accounts_open(path, 1000, &f->ag.accounts, err, sizeof(err)) ||
	    accounts_bootstrap(f->ag.accounts, ADMIN_PASSWORD, NULL, 0) != 1 ||
	    authn_new(f->ag.accounts, NULL, &ac, &f->ag.authn) ||
	    router_new(agent_route_tables, agent_route_table_count, &f->ag.router, err,
		       sizeof(err)))
		return -1;
	f->ag.cfg = &f->cfg;
	snprintf(f->ag.uuid, sizeof(f->ag.uuid), "12345678-1234-4234-8234-123456789abc");
	clock_gettime(CLOCK_REALTIME, &f->ag.started);
	snprintf(cred, sizeof(cred), "admin:%s", ADMIN_PASSWORD);
	b64 = base64_encode((const uint8_t *)cred, strlen(cred));
	if (!b64)
		return -1;
	snprintf(f->auth, sizeof(f->auth), "Basic %s", b64);
	free(b64);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	router_free(f->ag.router);
	authn_free(f->ag.authn);
	accounts_free(f->ag.accounts);
	config_release(&f->cfg);
	if (tmpdir_remove(f->dir))
		return -1;
	free(f);
	return 0;
}

static int send_request(void *arg)
{
	struct fixture *f = arg;
	const struct http_header headers[] = { { "Authorization", f->auth },
					       { "Content-Type", "application/json" } };
	struct http_request req = { .method = f->method,
				    .method_token = f->method == HTTP_POST ? "POST" : "GET",
				    .path = f->path,
				    .headers = headers,
				    .nheaders = 2,
				    .body = f->body,
				    .body_len = f->body ? strlen(f->body) : 0,
				    .peer = "127.0.0.1" };
	struct http_response resp;

	http_response_init(&resp);
	test_service_handle(&f->ag, &req, &resp);
	alloc_fail_at(0); /* the answer is checked unhindered */
	f->status = resp.status;
	if (resp.status >= 200 && resp.status < 300 && resp.status != 204) {
		json_error_t jerr;
		json_t *body;

		/* a success carries its whole body */
		assert_non_null(resp.text);
		body = json_loadb(resp.text, resp.text_len, 0, &jerr);
		assert_non_null(body);
		assert_true(json_object_size(body) > 0);
		json_decref(body);
	}
	http_response_release(&resp);
	return f->status == f->expect_status ? 0 : -EIO;
}

static void check(void *arg, int rc, bool failed)
{
	struct fixture *f = arg;
	struct role_info role;

	if (!failed) {
		assert_int_equal(f->status, f->expect_status);
	} else {
		f->failures++;
		if (rc)
			assert_true(f->status >= 500 && f->status < 600);
	}
	if (f->method == HTTP_POST && f->expect_status == 201) {
		int exists = accounts_role_get(f->ag.accounts, "Rendered", &role) == 0;
		/* a 5xx may come after the change was made (the answer could not
		 * be built), as after a dropped connection; anything else must say
		 * what happened */
		if (f->status < 500)
			assert_int_equal(exists, f->status == 201);
		if (exists)
			assert_int_equal(accounts_role_delete(f->ag.accounts, "Rendered"), 0);
	}
}

static void every_allocation_fails(struct fixture *f, enum http_method method, const char *path,
				   const char *body, int expect_status)
{
	f->method = method;
	f->path = path;
	f->body = body;
	f->expect_status = expect_status;
	f->failures = 0;
	/* prime the credential cache so every run takes the same path */
	assert_int_equal(send_request(f), 0);
	check(f, 0, false);
	f->failures = 0;
	assert_true(alloc_fail_each(send_request, check, f, 100000) > 2);
	assert_true(f->failures > 0);
}

static void test_service_root(void **state)
{
	every_allocation_fails(*state, HTTP_GET, "/redfish/v1", NULL, 200);
}

static void test_collection(void **state)
{
	every_allocation_fails(*state, HTTP_GET, "/redfish/v1/AccountService/Roles", NULL, 200);
}

static void test_not_found(void **state)
{
	every_allocation_fails(*state, HTTP_GET, "/redfish/v1/Nowhere", NULL, 404);
}

static void test_malformed_body(void **state)
{
	every_allocation_fails(*state, HTTP_POST, "/redfish/v1/AccountService/Roles",
			       "{\"RoleId\": \"Rendered\", \"AssignedPrivileges\": [\"Login\"", 400);
}

static void test_role_created(void **state)
{
	every_allocation_fails(*state, HTTP_POST, "/redfish/v1/AccountService/Roles",
			       "{\"RoleId\": \"Rendered\", \"AssignedPrivileges\": [\"Login\"]}",
			       201);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service_root),
		cmocka_unit_test(test_collection),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_malformed_body),
		cmocka_unit_test(test_role_created),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

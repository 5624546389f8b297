/* Everything that ends with the passing of time, through the service edge of
 * an agent opened as the daemon opens it, on a fake clock: a session's
 * sliding idle timeout (an expired token is refused on every route, an
 * expired session leaves the collection and stops counting against the
 * limits), the account lockout (locked for AccountLockoutDuration, the
 * failure counter reset after AccountLockoutCounterResetAfter) and the
 * per-(address, user) rate limit on failed logins (lifted when its minute is over);
 * none of them moved by the wall clock set forward or back a day. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "auth/privilege.h"
#include "redfish/router.h"
#include "support/agent_fixture.h"

#define SESSIONS "/redfish/v1/SessionService/Sessions"
#define ACCOUNTS "/redfish/v1/AccountService/Accounts"
#define MANAGERS "/redfish/v1/Managers"
#define NO_VALID_SESSION "Base.1.22.1.NoValidSession"
#define TIMEOUT 30

static int open_with_limit(void **state, int failures_per_minute)
{
	struct test_agent *t;
	char cfg[160];

	snprintf(cfg, sizeof(cfg),
		 "{\"session_timeout_s\": %d, \"max_sessions_per_user\": 3,"
		 " \"auth_failures_per_minute\": %d}",
		 TIMEOUT, failures_per_minute);
	if (test_agent_open(cfg, &t))
		return -1;
	*state = t;
	return 0;
}

static int setup(void **state)
{
	return open_with_limit(state, 100000);
}

static int setup_rate_limited(void **state)
{
	return open_with_limit(state, 3);
}

static int teardown(void **state)
{
	test_agent_close(*state);
	return 0;
}

static int req(struct test_agent *t, const char *method, const char *path, const char *auth,
	       const char *token, const char *body)
{
	struct test_request rq = { method, path, auth, token, body, NULL, NULL };
	return test_agent_status(t, &rq, NULL);
}

/* Status and error MessageId ("" when none) of a GET with token. */
static int get_with_token(struct test_agent *t, const char *path, const char *token,
			  char *msg, size_t len)
{
	struct test_request rq = { .method = "GET", .path = path, .token = token };
	json_t *body = NULL;
	int status = test_agent_status(t, &rq, &body);

	snprintf(msg, len, "%s", test_error_message_id(body));
	json_decref(body);
	return status;
}

/* Log user in; the token into tok. Returns the status. */
static int login(struct test_agent *t, const char *user, const char *password, char *tok,
		 size_t len)
{
	struct http_response resp;
	json_t *body = json_pack("{s:s, s:s}", "UserName", user, "Password", password);
	char *text = json_dumps(body, 0);
	struct test_request rq = { .method = "POST", .path = SESSIONS, .body = text };
	const char *h;
	int status;

	test_agent_call(t, &rq, &resp);
	status = resp.status;
	h = http_response_get_header(&resp, "X-Auth-Token");
	snprintf(tok, len, "%s", h ? h : "");
	http_response_release(&resp);
	free(text);
	json_decref(body);
	return status;
}

static void add_account(struct test_agent *t, const char *user, const char *password,
			const char *role)
{
	json_t *body = json_pack("{s:s, s:s, s:s}", "UserName", user, "Password", password,
				 "RoleId", role);
	char *text = json_dumps(body, 0);

	assert_int_equal(req(t, "POST", ACCOUNTS, t->admin_auth, NULL, text), 201);
	free(text);
	json_decref(body);
}

static size_t session_count(struct test_agent *t)
{
	struct test_request rq = { .method = "GET", .path = SESSIONS, .auth = t->admin_auth };
	json_t *body = NULL;
	size_t n;

	assert_int_equal(test_agent_status(t, &rq, &body), 200);
	n = (size_t)json_integer_value(json_object_get(body, "Members@odata.count"));
	json_decref(body);
	return n;
}

/* ---- sessions ---- */

static void test_session_idle_timeout(void **state)
{
	struct test_agent *t = *state;
	char tok[3][80], extra[80], msg[128];

	for (int i = 0; i < 3; i++)
		assert_int_equal(login(t, "admin", TEST_ADMIN_PASSWORD, tok[i], sizeof(tok[i])), 201);
	assert_int_equal(session_count(t), 3);
	fake_clock_advance(&t->clock, TIMEOUT * 6 / 10);
	assert_int_equal(get_with_token(t, MANAGERS, tok[0], msg, sizeof(msg)), 200);
	/* 29 s after the logins: every session is still alive. */
	fake_clock_advance(&t->clock, TIMEOUT * 4 / 10 - 1);
	assert_int_equal(get_with_token(t, MANAGERS, tok[2], msg, sizeof(msg)), 200);
	/* 30 s idle: tok[1] is gone; tok[0], used 12 s ago, slid along. */
	fake_clock_advance(&t->clock, 1);
	assert_int_equal(get_with_token(t, MANAGERS, tok[1], msg, sizeof(msg)), 401);
	assert_string_equal(msg, NO_VALID_SESSION);
	assert_int_equal(get_with_token(t, MANAGERS, tok[0], msg, sizeof(msg)), 200);
	assert_int_equal(session_count(t), 2);
	/* Expired sessions do not count against the per-user limit of 3. */
	assert_int_equal(login(t, "admin", TEST_ADMIN_PASSWORD, extra, sizeof(extra)), 201);
	assert_int_equal(login(t, "admin", TEST_ADMIN_PASSWORD, extra, sizeof(extra)), 503);
	/* Everything idle for the timeout ends; nothing accumulates. */
	fake_clock_advance(&t->clock, TIMEOUT);
	assert_int_equal(get_with_token(t, MANAGERS, tok[0], msg, sizeof(msg)), 401);
	assert_int_equal(session_count(t), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(login(t, "admin", TEST_ADMIN_PASSWORD, tok[i], sizeof(tok[i])), 201);
}

/* A concrete path for pattern: every {param} becomes a name that does not
 * exist, so an admitted write ends in its handler's 400/404. */
static void instantiate(const char *pattern, char *out, size_t len)
{
	size_t o = 0;
	for (const char *p = pattern; *p && o + 16 < len; p++) {
		if (*p == '{') {
			while (*p && *p != '}')
				p++;
			memcpy(out + o, "expiry-missing", 14);
			o += 14;
			if (!*p)
				break;
			continue;
		}
		out[o++] = *p;
	}
	out[o] = '\0';
}

/* The authorisation matrix's expired-session column: the token of every
 * predefined role, once idle for the timeout, is refused (401
 * NoValidSession) on every protected route and method, and ignored on the
 * public ones. */
static void test_expired_token_everywhere(void **state)
{
	static const char *const roles[] = { "Administrator", "Operator", "ReadOnly" };
	static const char *const methods[] = { "GET", "HEAD", "POST", "PATCH", "PUT", "DELETE" };
	struct test_agent *t = *state;
	char tok[3][80], user[64], path[512], msg[128];
	size_t checked = 0;

	for (size_t r = 0; r < 3; r++) {
		snprintf(user, sizeof(user), "expiry-%zu", r);
		add_account(t, user, "expiry-password-123", roles[r]);
		assert_int_equal(login(t, user, "expiry-password-123", tok[r], sizeof(tok[r])), 201);
	}
	fake_clock_advance(&t->clock, TIMEOUT);
	for (size_t i = 0; i < router_count(t->ag->router); i++) {
		const struct route *rt = router_at(t->ag->router, i);
		instantiate(rt->pattern, path, sizeof(path));
		for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
			unsigned bit = http_method_parse(methods[m]);
			if (!(rt->methods & bit) && !(bit == HTTP_HEAD && (rt->methods & HTTP_GET)))
				continue;
			for (size_t r = 0; r < 3; r++) {
				const char *body = bit & (HTTP_POST | HTTP_PATCH | HTTP_PUT) ? "{}" : NULL;
				struct test_request rq = { .method = methods[m], .path = path,
							   .token = tok[r], .body = body };
				json_t *reply = NULL;
				int status = test_agent_status(t, &rq, &reply);

				snprintf(msg, sizeof(msg), "%s", test_error_message_id(reply));
				json_decref(reply);
				if (route_is_public(rt)) {
					if (status == 401 || status == 403 || status >= 500)
						fail_msg("%s %s (public) with an expired %s token: %d",
							 methods[m], path, roles[r], status);
				} else if (status != 401 || strcmp(msg, NO_VALID_SESSION) != 0) {
					fail_msg("%s %s with an expired %s token: %d %s", methods[m],
						 path, roles[r], status, msg);
				}
				checked++;
			}
		}
	}
	assert_true(checked >= 3 * 20);
}

/* ---- account lockout ---- */

static bool locked(struct test_agent *t, const char *user)
{
	struct test_request rq = { .method = "GET", .path = ACCOUNTS, .auth = t->admin_auth };
	json_t *list = NULL, *m;
	size_t i;
	bool out = false, found = false;

	assert_int_equal(test_agent_status(t, &rq, &list), 200);
	json_array_foreach(json_object_get(list, "Members"), i, m) {
		struct test_request one = { .method = "GET",
					    .path = json_string_value(json_object_get(m, "@odata.id")),
					    .auth = t->admin_auth };
		json_t *acct = NULL;
		assert_int_equal(test_agent_status(t, &one, &acct), 200);
		if (strcmp(json_string_value(json_object_get(acct, "UserName")), user) == 0) {
			found = true;
			out = json_is_true(json_object_get(acct, "Locked"));
		}
		json_decref(acct);
	}
	json_decref(list);
	assert_true(found);
	return out;
}

static void test_lockout_duration_and_reset(void **state)
{
	struct test_agent *t = *state;
	struct test_request svc = { .method = "GET", .path = "/redfish/v1/AccountService",
				    .auth = t->admin_auth };
	struct http_response resp;
	char good[256], bad[256], tok[80], etag[64];

	test_agent_call(t, &svc, &resp);
	snprintf(etag, sizeof(etag), "%s", http_response_get_header(&resp, "ETag"));
	http_response_release(&resp);
	svc.method = "PATCH";
	svc.if_match = etag;
	svc.body = "{\"AccountLockoutThreshold\": 3, \"AccountLockoutDuration\": 4,"
		   " \"AccountLockoutCounterResetAfter\": 4}";
	assert_int_equal(test_agent_status(t, &svc, NULL), 200);
	add_account(t, "viewer", "viewer-password-1", "ReadOnly");
	test_basic_auth(good, sizeof(good), "viewer", "viewer-password-1");
	test_basic_auth(bad, sizeof(bad), "viewer", "wrong-password");

	/* Failures further apart than the reset window do not add up. */
	for (int i = 0; i < 2; i++)
		assert_int_equal(req(t, "GET", MANAGERS, bad, NULL, NULL), 401);
	fake_clock_advance(&t->clock, 4);
	assert_int_equal(req(t, "GET", MANAGERS, bad, NULL, NULL), 401);
	assert_false(locked(t, "viewer"));
	assert_int_equal(req(t, "GET", MANAGERS, good, NULL, NULL), 200);

	/* Threshold failures within the window lock the account... */
	for (int i = 0; i < 2; i++)
		assert_int_equal(req(t, "GET", MANAGERS, bad, NULL, NULL), 401);
	assert_false(locked(t, "viewer"));
	assert_int_equal(req(t, "GET", MANAGERS, bad, NULL, NULL), 401);
	assert_true(locked(t, "viewer"));
	/* ...against its right password and session logins, for the duration,
	 * and attempts while locked do not extend it. */
	assert_int_equal(req(t, "GET", MANAGERS, good, NULL, NULL), 401);
	assert_int_equal(login(t, "viewer", "viewer-password-1", tok, sizeof(tok)), 401);
	fake_clock_advance(&t->clock, 3);
	assert_int_equal(req(t, "GET", MANAGERS, bad, NULL, NULL), 401);
	assert_int_equal(req(t, "GET", MANAGERS, good, NULL, NULL), 401);
	assert_true(locked(t, "viewer"));
	fake_clock_advance(&t->clock, 1);
	assert_false(locked(t, "viewer"));
	assert_int_equal(req(t, "GET", MANAGERS, good, NULL, NULL), 200);
	assert_int_equal(login(t, "viewer", "viewer-password-1", tok, sizeof(tok)), 201);
}

/* ---- the rate limit on failed password attempts ---- */

static void test_rate_limit_window(void **state)
{
	struct test_agent *t = *state;
	struct http_response resp;
	struct test_request limited = { .method = "GET", .path = MANAGERS, .auth = t->admin_auth,
					.peer = "192.0.2.7" };
	struct test_request elsewhere = limited;
	struct test_request other_user = limited;
	char bad[256], other[256];
	const char *retry;

	add_account(t, "neighbour", "neighbour-password-1", "ReadOnly");
	test_basic_auth(other, sizeof(other), "neighbour", "neighbour-password-1");
	other_user.auth = other;
	elsewhere.peer = "198.51.100.9";
	/* below the account lockout threshold, so only the rate limit speaks */
	test_basic_auth(bad, sizeof(bad), "admin", "wrong");
	for (int i = 0; i < 3; i++) {
		struct test_request rq = { .method = "GET", .path = MANAGERS, .auth = bad,
					   .peer = "192.0.2.7" };
		assert_int_equal(test_agent_status(t, &rq, NULL), 401);
	}
	fake_clock_advance(&t->clock, 20);
	test_agent_call(t, &limited, &resp);
	assert_int_equal(resp.status, 429);
	retry = http_response_get_header(&resp, "Retry-After");
	assert_non_null(retry);
	/* The window opened with the first failure, 20 s ago. */
	assert_int_equal(atoi(retry), 40);
	http_response_release(&resp);
	/* Keyed by (address, user): neither another user behind the same
	 * address nor the same user from elsewhere is held back. */
	assert_int_equal(test_agent_status(t, &other_user, NULL), 200);
	assert_int_equal(test_agent_status(t, &elsewhere, NULL), 200);
	fake_clock_advance(&t->clock, 39);
	assert_int_equal(test_agent_status(t, &limited, NULL), 429);
	fake_clock_advance(&t->clock, 1);
	assert_int_equal(test_agent_status(t, &limited, NULL), 200);
}

/* ---- the wall clock stepped ---- */

/* Idle time counts on the monotonic clock: the wall clock set forward a
 * day, then back two, neither ends a fresh session nor keeps an idle one
 * past the timeout. */
static void test_session_wall_clock_steps(void **state)
{
	struct test_agent *t = *state;
	char tok[80], msg[128];

	assert_int_equal(login(t, "admin", TEST_ADMIN_PASSWORD, tok, sizeof(tok)), 201);
	fake_clock_step_realtime(&t->clock, 86400);
	assert_int_equal(get_with_token(t, MANAGERS, tok, msg, sizeof(msg)), 200);
	fake_clock_step_realtime(&t->clock, -2 * 86400);
	assert_int_equal(get_with_token(t, MANAGERS, tok, msg, sizeof(msg)), 200);
	assert_int_equal(session_count(t), 1);
	fake_clock_advance(&t->clock, TIMEOUT);
	assert_int_equal(get_with_token(t, MANAGERS, tok, msg, sizeof(msg)), 401);
	assert_string_equal(msg, NO_VALID_SESSION);
	assert_int_equal(session_count(t), 0);
}

/* A lockout lasts its duration of monotonic time: set back a day it does
 * not last the day, set forward it does not end at once. */
static void test_lockout_wall_clock_steps(void **state)
{
	struct test_agent *t = *state;
	struct test_request svc = { .method = "GET", .path = "/redfish/v1/AccountService",
				    .auth = t->admin_auth };
	struct http_response resp;
	char good[256], bad[256], etag[64];

	test_agent_call(t, &svc, &resp);
	snprintf(etag, sizeof(etag), "%s", http_response_get_header(&resp, "ETag"));
	http_response_release(&resp);
	svc.method = "PATCH";
	svc.if_match = etag;
	svc.body = "{\"AccountLockoutThreshold\": 3, \"AccountLockoutDuration\": 4,"
		   " \"AccountLockoutCounterResetAfter\": 4}";
	assert_int_equal(test_agent_status(t, &svc, NULL), 200);
	add_account(t, "stepper", "stepper-password-1", "ReadOnly");
	test_basic_auth(good, sizeof(good), "stepper", "stepper-password-1");
	test_basic_auth(bad, sizeof(bad), "stepper", "wrong-password");

	for (int step = -86400; step <= 86400; step += 2 * 86400) {
		for (int i = 0; i < 3; i++)
			assert_int_equal(req(t, "GET", MANAGERS, bad, NULL, NULL), 401);
		assert_true(locked(t, "stepper"));
		fake_clock_step_realtime(&t->clock, step);
		assert_int_equal(req(t, "GET", MANAGERS, good, NULL, NULL), 401);
		assert_true(locked(t, "stepper"));
		fake_clock_advance(&t->clock, 4);
		assert_false(locked(t, "stepper"));
		assert_int_equal(req(t, "GET", MANAGERS, good, NULL, NULL), 200);
	}
}

/* The failed-login window is a minute of monotonic time whatever the wall
 * clock does. */
static void test_rate_limit_wall_clock_steps(void **state)
{
	struct test_agent *t = *state;
	struct test_request limited = { .method = "GET", .path = MANAGERS, .auth = t->admin_auth,
					.peer = "192.0.2.7" };
	struct test_request failing = limited;
	char bad[256];

	test_basic_auth(bad, sizeof(bad), "admin", "wrong");
	failing.auth = bad;
	for (int i = 0; i < 3; i++)
		assert_int_equal(test_agent_status(t, &failing, NULL), 401);
	fake_clock_step_realtime(&t->clock, 86400);
	assert_int_equal(test_agent_status(t, &limited, NULL), 429);
	fake_clock_step_realtime(&t->clock, -2 * 86400);
	assert_int_equal(test_agent_status(t, &limited, NULL), 429);
	fake_clock_advance(&t->clock, 60);
	assert_int_equal(test_agent_status(t, &limited, NULL), 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_session_idle_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_token_everywhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lockout_duration_and_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit_window, setup_rate_limited, teardown),
		cmocka_unit_test_setup_teardown(test_session_wall_clock_steps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lockout_wall_clock_steps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit_wall_clock_steps, setup_rate_limited,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

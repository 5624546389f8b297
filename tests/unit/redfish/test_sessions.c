/* sessions.c: login without prior authentication, the token, who sees and
 * ends which sessions, and the refusals of a login. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "fixture.h"
#include "auth/authn.h"
#include "support/io_fail.h"
#include "support/stderr_capture.h"
#include "util/fileio.h"

#define SERVICE "/redfish/v1/SessionService"
#define SESSIONS SERVICE "/Sessions"

static int setup(void **state)
{
	struct rfx *f = rfx_open();
	char auth[256];

	if (!f || rfx_user(f, "reader", "ReadOnly", auth, sizeof(auth)) ||
	    rfx_user(f, "other", "ReadOnly", auth, sizeof(auth)))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	rfx_close(*state);
	return 0;
}

/* Logs user in; the token into token, the session's URI into uri (each
 * as large as the reply's). */
static void login(struct rfx *f, const char *user, const char *password, char *token,
		  char *uri)
{
	char body[256];
	struct rfx_reply r;

	snprintf(body, sizeof(body), "{\"UserName\": \"%s\", \"Password\": \"%s\", "
		 "\"Context\": \"unit test\"}", user, password);
	r = rfx_send(f, HTTP_POST, SESSIONS, NULL, body, NULL);
	assert_int_equal(r.status, 201);
	assert_int_equal(strlen(r.token), 64);
	assert_string_equal(r.location, rfx_str(r.body, "@odata.id"));
	assert_string_equal(rfx_str(r.body, "UserName"), user);
	assert_string_equal(rfx_str(r.body, "Context"), "unit test");
	assert_string_equal(rfx_str(r.body, "ClientOriginIPAddress"), "192.0.2.20");
	snprintf(token, sizeof(r.token), "%s", r.token);
	snprintf(uri, sizeof(r.location), "%s", r.location);
	rfx_free(&r);
}

static void test_service(void **state)
{
	struct rfx *f = *state;
	struct rfx_reply r = rfx_get(f, SERVICE, f->admin);

	assert_int_equal(r.status, 200);
	assert_int_equal(rfx_int(r.body, "SessionTimeout"), 1800);
	assert_string_equal(rfx_str(r.body, "Sessions/@odata.id"), SESSIONS);
	rfx_free(&r);
}

static void test_login_and_logout(void **state)
{
	struct rfx *f = *state;
	char token[80], uri[256], other_token[80], other_uri[256];
	struct rfx_reply r;

	login(f, "reader", RFX_PASSWORD, token, uri);
	login(f, "other", RFX_PASSWORD, other_token, other_uri);
	r = rfx_get(f, uri, token);
	assert_int_equal(r.status, 200);
	assert_string_equal(rfx_str(r.body, "@odata.type"), "#Session.v1_8_0.Session");
	assert_null(rfx_at(r.body, "Token"));
	rfx_free(&r);

	/* ConfigureSelf: one's own sessions only */
	r = rfx_get(f, SESSIONS, token);
	assert_int_equal(rfx_int(r.body, "Members@odata.count"), 1);
	assert_string_equal(rfx_str(r.body, "Members/0/@odata.id"), uri);
	rfx_free(&r);
	r = rfx_get(f, other_uri, token);
	assert_int_equal(r.status, 403);
	rfx_free(&r);
	r = rfx_send(f, HTTP_DELETE, other_uri, token, NULL, NULL);
	assert_int_equal(r.status, 403);
	rfx_free(&r);
	/* ConfigureManager: all of them */
	r = rfx_get(f, SESSIONS, f->admin);
	assert_int_equal(rfx_int(r.body, "Members@odata.count"), 2);
	rfx_free(&r);
	r = rfx_send(f, HTTP_DELETE, other_uri, f->admin, NULL, NULL);
	assert_int_equal(r.status, 204);
	rfx_free(&r);
	r = rfx_get(f, uri, other_token);
	assert_int_equal(r.status, 401);
	rfx_free(&r);

	/* logout with the session itself */
	r = rfx_send(f, HTTP_DELETE, uri, token, NULL, NULL);
	assert_int_equal(r.status, 204);
	rfx_free(&r);
	r = rfx_get(f, SESSIONS, token);
	assert_int_equal(r.status, 401);
	rfx_free(&r);
	r = rfx_get(f, uri, f->admin);
	assert_int_equal(r.status, 404);
	assert_string_equal(rfx_str(r.body, "error/@Message.ExtendedInfo/0/MessageArgs/0"), "Session");
	rfx_free(&r);
}

/* An Authorization header on the login is ignored, not refused. */
static void test_login_ignores_authorization(void **state)
{
	struct rfx *f = *state;
	char bad[256];
	struct rfx_reply r;

	assert_int_equal(rfx_basic(bad, sizeof(bad), "reader", "wrong-password-123"), 0);
	r = rfx_send(f, HTTP_POST, SESSIONS, bad,
		     "{\"UserName\": \"reader\", \"Password\": \"" RFX_PASSWORD "\"}", NULL);
	assert_int_equal(r.status, 201);
	rfx_free(&r);
}

static void test_login_refusals(void **state)
{
	struct rfx *f = *state;
	char long_context[400];
	static const char *const cases[][3] = {
		{ "{\"UserName\": \"reader\", \"Password\": \"wrong-password-123\"}", "401",
		  "NoValidSession" },
		{ "{\"UserName\": \"nobody\", \"Password\": \"" RFX_PASSWORD "\"}", "401",
		  "NoValidSession" },
		{ "{\"UserName\": \"reader\"}", "400", "CreateFailedMissingReqProperties" },
		{ "{\"UserName\": \"reader\", \"Password\": 5}", "400", "PropertyValueTypeError" },
		{ "{\"UserName\": \"reader\", \"Password\": \"x\", \"Role\": \"x\"}", "400",
		  "PropertyUnknown" },
		{ "not json", "400", "MalformedJSON" },
	};
	struct rfx_reply r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = rfx_send(f, HTTP_POST, SESSIONS, NULL, cases[i][0], NULL);
		if (r.status != atoi(cases[i][1]) || strcmp(rfx_message_id(&r), cases[i][2]) != 0)
			fail_msg("%s: %d %s", cases[i][0], r.status, rfx_message_id(&r));
		assert_null(r.token[0] ? r.token : NULL);
		rfx_free(&r);
	}
	/* a typed password is never echoed */
	r = rfx_send(f, HTTP_POST, SESSIONS, NULL, "{\"UserName\": \"reader\", \"Password\": 5}", NULL);
	assert_string_equal(rfx_str(r.body, "error/@Message.ExtendedInfo/0/MessageArgs/0"),
			    "(hidden)");
	rfx_free(&r);

	memset(long_context, 'c', sizeof(long_context) - 1);
	long_context[sizeof(long_context) - 1] = '\0';
	char body[600];
	snprintf(body, sizeof(body),
		 "{\"UserName\": \"reader\", \"Password\": \"" RFX_PASSWORD "\", \"Context\": \"%s\"}",
		 long_context);
	r = rfx_send(f, HTTP_POST, SESSIONS, NULL, body, NULL);
	assert_int_equal(r.status, 400);
	assert_string_equal(rfx_message_id(&r), "StringValueTooLong");
	rfx_free(&r);
}

/* Four sessions per user at most in this fixture: the fifth is refused. */
static void test_session_limit(void **state)
{
	struct rfx *f = *state;
	char token[80], uri[256];
	struct rfx_reply r;
	json_t *m;
	size_t i;

	/* none left over from the other tests */
	r = rfx_get(f, SESSIONS, f->admin);
	json_array_foreach(rfx_at(r.body, "Members"), i, m) {
		struct rfx_reply d = rfx_send(f, HTTP_DELETE, rfx_str(m, "@odata.id"), f->admin,
					      NULL, NULL);
		assert_int_equal(d.status, 204);
		rfx_free(&d);
	}
	rfx_free(&r);
	for (i = 0; i < 4; i++)
		login(f, "other", RFX_PASSWORD, token, uri);
	r = rfx_send(f, HTTP_POST, SESSIONS, NULL,
		     "{\"UserName\": \"other\", \"Password\": \"" RFX_PASSWORD "\"}", NULL);
	assert_int_equal(r.status, 503);
	assert_string_equal(rfx_message_id(&r), "SessionLimitExceeded");
	rfx_free(&r);
}

static void expect_error(struct rfx *f, const char *auth, const char *body, int status,
			 const char *id)
{
	struct rfx_reply r = rfx_send(f, HTTP_PATCH, SERVICE, auth, body, NULL);
	char want[96];

	snprintf(want, sizeof(want), "Base.1.22.1.%s", id);
	if (r.status != status)
		fail_msg("%s: status %d, want %d", body, r.status, status);
	if (!rfx_str(r.body, "error/@Message.ExtendedInfo/0/MessageId") ||
	    strcmp(rfx_str(r.body, "error/@Message.ExtendedInfo/0/MessageId"), want) != 0)
		fail_msg("%s: %s, want %s", body, r.text, want);
	rfx_free(&r);
}

/* SessionTimeout is written by ConfigureManager within 30 s..24 h, kept in
 * the state directory before it applies, and read back at start-up; every
 * refusal changes nothing. */
static void test_session_timeout(void **state)
{
	struct rfx *f = *state;
	char ro[256], path[600], err[700], *text = NULL;
	size_t len;
	struct sessions *again;
	struct rfx_reply r;
	static const struct {
		const char *body, *id;
	} bad[] = {
		{ "{\"SessionTimeout\": \"600\"}", "PropertyValueTypeError" },
		{ "{\"SessionTimeout\": 600.5}", "PropertyValueTypeError" },
		{ "{\"SessionTimeout\": null}", "PropertyValueTypeError" },
		{ "{\"SessionTimeout\": 29}", "PropertyValueOutOfRange" },
		{ "{\"SessionTimeout\": -1}", "PropertyValueOutOfRange" },
		{ "{\"SessionTimeout\": 86401}", "PropertyValueOutOfRange" },
		{ "{\"SessionTimeout\": 99999999999999999}", "PropertyValueOutOfRange" },
		{ "{\"Id\": \"x\"}", "PropertyNotWritable" },
		{ "{\"Bogus\": 1}", "PropertyUnknown" },
		{ "{\"@odata.etag\": \"W/\\\"1\\\"\"}", "NoOperation" },
		{ "{\"SessionTimeout\": 600", "MalformedJSON" },
	};

	snprintf(path, sizeof(path), "%s/session-service.json", f->dir);
	assert_int_equal(rfx_user(f, "ro-timeout", "ReadOnly", ro, sizeof(ro)), 0);
	expect_error(f, ro, "{\"SessionTimeout\": 600}", 403, "InsufficientPrivilege");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(f, f->admin, bad[i].body, 400, bad[i].id);
	assert_int_equal(sessions_timeout(f->ag.sessions), 1800);
	assert_int_equal(access(path, F_OK), -1);

	/* What can never be written beside what can: the rest is done, and
	 * the 200 names what was left out. */
	r = rfx_send(f, HTTP_PATCH, SERVICE, f->admin,
		     "{\"SessionTimeout\": 900, \"Id\": \"x\", \"Bogus\": 1}", NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(rfx_int(r.body, "SessionTimeout"), 900);
	assert_int_equal(json_array_size(json_object_get(r.body, "@Message.ExtendedInfo")), 2);
	rfx_free(&r);

	r = rfx_send(f, HTTP_PATCH, SERVICE, f->admin, "{\"SessionTimeout\": 600}", NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(rfx_int(r.body, "SessionTimeout"), 600);
	rfx_free(&r);
	r = rfx_get(f, SERVICE, f->admin);
	assert_int_equal(rfx_int(r.body, "SessionTimeout"), 600);
	rfx_free(&r);
	assert_int_equal(file_read_all(path, 4096, &text, &len), 0);
	assert_string_equal(text, "{\"SessionTimeout\":600}");
	free(text);

	/* a restart reads it back; a damaged file stops the start */
	assert_int_equal(sessions_new(1800, 4, 4, &again), 0);
	assert_int_equal(sessions_open_store(again, path, err, sizeof(err)), 0);
	assert_int_equal(sessions_timeout(again), 600);
	assert_int_equal(file_write_atomic(path, "{\"SessionTimeout\": 5}", 21, 0600), 0);
	assert_int_equal(sessions_open_store(again, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "session-service.json:1:"));
	assert_int_equal(sessions_timeout(again), 600);
	sessions_free(again);

	r = rfx_send(f, HTTP_PATCH, SERVICE, f->admin, "{\"SessionTimeout\": 1800}", NULL);
	assert_int_equal(r.status, 200);
	rfx_free(&r);
}

/* Ordinary accounts filling the table leave the reserved places to an
 * account with ConfigureManager/ConfigureUsers: the administrator can
 * still log in (and end the others' sessions). */
static void test_reserve_for_administrators(void **state)
{
	static const char *const users[] = { "reader", "other", "third", "fourth" };
	struct rfx *f = *state;
	char token[80], uri[256], auth[256];
	struct rfx_reply r;
	json_t *m;
	size_t i;

	sessions_set_reserve(f->ag.sessions, 2); /* 16 places, 14 for ordinary accounts */
	assert_int_equal(rfx_user(f, "third", "ReadOnly", auth, sizeof(auth)), 0);
	assert_int_equal(rfx_user(f, "fourth", "Operator", auth, sizeof(auth)), 0);
	r = rfx_get(f, SESSIONS, f->admin);
	json_array_foreach(rfx_at(r.body, "Members"), i, m) {
		struct rfx_reply d = rfx_send(f, HTTP_DELETE, rfx_str(m, "@odata.id"), f->admin,
					      NULL, NULL);
		assert_int_equal(d.status, 204);
		rfx_free(&d);
	}
	rfx_free(&r);
	for (i = 0; i < 14; i++)
		login(f, users[i / 4], RFX_PASSWORD, token, uri);
	r = rfx_send(f, HTTP_POST, SESSIONS, NULL,
		     "{\"UserName\": \"fourth\", \"Password\": \"" RFX_PASSWORD "\"}", NULL);
	assert_int_equal(r.status, 503);
	assert_string_equal(rfx_message_id(&r), "SessionLimitExceeded");
	rfx_free(&r);
	for (i = 0; i < 2; i++)
		login(f, "admin", RFX_ADMIN_PASSWORD, token, uri);
	/* The reserve is a reserve, not a second table. */
	r = rfx_send(f, HTTP_POST, SESSIONS, NULL,
		     "{\"UserName\": \"admin\", \"Password\": \"" RFX_ADMIN_PASSWORD "\"}",
		     NULL);
	assert_int_equal(r.status, 503);
	rfx_free(&r);
}

/* Logins while every place on the password pool is taken: each answered 503
 * at once, and the log keeps the first few of their lines, not one each. */
static void test_pool_busy_log(void **state)
{
	struct rfx *f = *state;
	struct stderr_capture cap;
	struct rfx_reply r;
	unsigned taken = 0;
	int lines;

	while (authn_kdf_admit(f->ag.authn) == 0)
		taken++;
	assert_int_equal(stderr_capture_start(&cap), 0);
	for (int i = 0; i < 50; i++) {
		r = rfx_send(f, HTTP_POST, SESSIONS, NULL,
			     "{\"UserName\": \"other\", \"Password\": \"" RFX_PASSWORD "\"}", NULL);
		assert_int_equal(r.status, 503);
		rfx_free(&r);
	}
	lines = stderr_capture_stop(&cap, "too many password checks waiting");
	while (taken--)
		authn_kdf_done(f->ag.authn);
	assert_true(lines >= 1 && lines <= 5);
}

/* A full disk: the SessionTimeout change answers 507 and changes nothing. */
static void test_timeout_disk_full(void **state)
{
	struct rfx *f = *state;
	struct rfx_reply r;

	io_fail_writes(ENOSPC);
	r = rfx_send(f, HTTP_PATCH, SERVICE, f->admin, "{\"SessionTimeout\": 900}", NULL);
	io_fail_writes(0);
	assert_int_equal(r.status, 507);
	assert_string_equal(rfx_str(r.body, "error/@Message.ExtendedInfo/0/MessageId"),
			    "Base.1.22.1.GeneralError");
	rfx_free(&r);
	assert_int_equal(sessions_timeout(f->ag.sessions), 1800);
	r = rfx_get(f, SERVICE, f->admin);
	assert_int_equal(rfx_int(r.body, "SessionTimeout"), 1800);
	rfx_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service),
		cmocka_unit_test(test_login_and_logout),
		cmocka_unit_test(test_login_ignores_authorization),
		cmocka_unit_test(test_login_refusals),
		cmocka_unit_test(test_session_limit),
		cmocka_unit_test(test_session_timeout),
		cmocka_unit_test(test_reserve_for_administrators),
		cmocka_unit_test(test_pool_busy_log),
		cmocka_unit_test(test_timeout_disk_full),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

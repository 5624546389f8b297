/* The Redfish service edge driven without sockets (h2o t/00unit style): an
 * agent opened as the daemon opens one (tests/unit/support: the real route
 * table, accounts with one bootstrap admin, the real authenticator, emulated
 * devices); requests are struct http_request values handed to
 * service_handle(). The protocol
 * rules are a table of cases: request in, status, message id and headers
 * out. A second agent with a small custom table covers what the real table
 * cannot show (handler failures, privilege refusals, alternatives).
 *
 * Written against behaviour, not route counts: the real table is growing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "auth/privilege.h"
#include "core/agent.h"
#include "http/message.h"
#include "redfish/router.h"
#include "redfish/routes.h"
#include "redfish/service.h"
#include "support/agent_fixture.h"
#include "util/base64.h"

#define JSON_TYPE "application/json; charset=utf-8"

/* ---- the custom table ---- */

static int calls;
static privset_t last_admitted;
static char last_param[64];

static int h_fail(const struct route_ctx *ctx, struct http_response *resp)
{
	(void)ctx;
	calls++;
	/* a half-built answer must not leak out */
	http_response_json(resp, 200, json_pack("{s:s}", "Partial", "yes"));
	return -EIO;
}

static int h_echo(const struct route_ctx *ctx, struct http_response *resp)
{
	const char *p = route_param(ctx->params, "id");
	calls++;
	last_admitted = ctx->admitted_by;
	snprintf(last_param, sizeof(last_param), "%s", p ? p : "");
	http_response_json(resp, 200,
			   json_pack("{s:s, s:s}", "User", ctx->who->user, "Id", last_param));
	return 0;
}

static int h_text(const struct route_ctx *ctx, struct http_response *resp)
{
	(void)ctx;
	calls++;
	return http_response_text(resp, 200, "text/plain", "plain", 5);
}

static const struct route custom_routes[] = {
	{ HTTP_GET, "/redfish/v1/Fail", { PRIV_NOAUTH }, h_fail, NULL },
	{ HTTP_GET | HTTP_POST | HTTP_PATCH, "/redfish/v1/Echo/{id}", { PRIV_LOGIN }, h_echo, NULL },
	/* OEM write-full is in no predefined role: even the admin is refused */
	{ HTTP_GET, "/redfish/v1/WriteFull", { PRIV_CXL_COMMAND_WRITE_FULL }, h_echo, NULL },
	/* alternatives: admitted by the second */
	{ HTTP_GET, "/redfish/v1/Either",
	  { PRIV_CXL_COMMAND_WRITE_FULL, PRIV_CONFIGURE_SELF | PRIV_LOGIN }, h_echo, NULL },
	{ HTTP_GET, "/redfish/v1/Text", { PRIV_NOAUTH }, h_text, NULL },
	{ 0 },
};

/* ---- fixture ---- */

struct fixture {
	struct test_agent *t;
	struct agent *real;  /* the agent's route tables, opened as the daemon opens it */
	struct agent custom; /* custom_routes over the same accounts */
	char good_auth[256];
	char bad_auth[256];
	char unknown_auth[256];
	char post_path[512]; /* a POST route of the agent the admin may call */
};

static void basic_header(char *out, size_t len, const char *user, const char *pass)
{
	char raw[200];
	char *b64;
	int n = snprintf(raw, sizeof(raw), "%s:%s", user, pass);
	b64 = base64_encode((const uint8_t *)raw, (size_t)n);
	assert_non_null(b64);
	snprintf(out, len, "Basic %s", b64);
	free(b64);
}

/* A concrete path for pattern: every {param} becomes "x". */
static void instantiate(const char *pattern, char *out, size_t len)
{
	size_t o = 0;
	for (const char *p = pattern; *p && o + 2 < len; p++) {
		if (*p == '{') {
			while (*p && *p != '}')
				p++;
			out[o++] = 'x';
			if (!*p)
				break;
			continue;
		}
		out[o++] = *p;
	}
	out[o] = '\0';
}

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const struct route *const custom_tables[] = { custom_routes };
	privset_t admin = role_predefined("Administrator")->privileges;
	char err[512] = "";

	if (!f)
		return -1;
	/* No rate limit to trip: the cases send many wrong passwords. */
	if (test_agent_open("{\"auth_failures_per_minute\": 100000}", &f->t))
		return -1;
	f->real = f->t->ag;
	/* The custom table is served by the same accounts and authenticator. */
	f->custom.cfg = f->real->cfg;
	f->custom.accounts = f->real->accounts;
	f->custom.authn = f->real->authn;
	f->custom.sessions = f->real->sessions;
	f->custom.clock = f->real->clock;
	f->custom.started = f->real->started;
	snprintf(f->custom.uuid, sizeof(f->custom.uuid), "%s", f->real->uuid);
	if (router_new(custom_tables, 1, &f->custom.router, err, sizeof(err))) {
		fprintf(stderr, "router_new: %s\n", err);
		return -1;
	}

	basic_header(f->good_auth, sizeof(f->good_auth), "admin", TEST_ADMIN_PASSWORD);
	basic_header(f->bad_auth, sizeof(f->bad_auth), "admin", "wrong-password-000");
	basic_header(f->unknown_auth, sizeof(f->unknown_auth), "nobody", TEST_ADMIN_PASSWORD);

	for (size_t i = 0; i < router_count(f->real->router); i++) {
		const struct route *rt = router_at(f->real->router, i);
		if ((rt->methods & HTTP_POST) && route_admits(rt, admin)) {
			instantiate(rt->pattern, f->post_path, sizeof(f->post_path));
			break;
		}
	}
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;

	router_free(f->custom.router);
	test_agent_close(f->t);
	free(f);
	return 0;
}

/* ---- requests ---- */

enum creds { NONE, GOOD, BAD, UNKNOWN, MALFORMED };

struct req_spec {
	enum http_method method;
	const char *path;
	enum creds creds;
	const char *content_type;
	const char *body;
	bool too_large;
	const char *query;        /* one query argument name ("$expand") */
	const char *query_value;  /* its value ("1" when NULL) */
	const char *if_none_match;
};

static const char *method_token(enum http_method m)
{
	switch (m) {
	case HTTP_GET: return "GET";
	case HTTP_HEAD: return "HEAD";
	case HTTP_POST: return "POST";
	case HTTP_PATCH: return "PATCH";
	case HTTP_PUT: return "PUT";
	case HTTP_DELETE: return "DELETE";
	default: return "BREW";
	}
}

static void perform(struct fixture *f, struct agent *ag, const struct req_spec *s,
		    struct http_response *resp)
{
	struct http_header h[4];
	struct http_header q[1];
	struct http_request req;
	size_t nh = 0;

	memset(&req, 0, sizeof(req));
	req.method = s->method;
	req.method_token = method_token(s->method);
	req.path = s->path;
	req.peer = "192.0.2.10";
	switch (s->creds) {
	case GOOD: h[nh++] = (struct http_header){ "Authorization", f->good_auth }; break;
	case BAD: h[nh++] = (struct http_header){ "Authorization", f->bad_auth }; break;
	case UNKNOWN: h[nh++] = (struct http_header){ "Authorization", f->unknown_auth }; break;
	case MALFORMED: h[nh++] = (struct http_header){ "authorization", "Basic !!!" }; break;
	case NONE: break;
	}
	if (s->content_type)
		h[nh++] = (struct http_header){ "Content-Type", s->content_type };
	if (s->if_none_match)
		h[nh++] = (struct http_header){ "If-None-Match", s->if_none_match };
	req.headers = h;
	req.nheaders = nh;
	if (s->query) {
		q[0] = (struct http_header){ s->query, s->query_value ? s->query_value : "1" };
		req.query = q;
		req.nquery = 1;
	}
	if (s->body) {
		req.body = s->body;
		req.body_len = strlen(s->body);
	}
	req.body_too_large = s->too_large;
	http_response_init(resp);
	test_service_handle(ag, &req, resp);
}

/* Body as JSON (new reference) or NULL. */
static json_t *body_json(const struct http_response *resp)
{
	json_error_t jerr;
	if (!resp->text)
		return NULL;
	return json_loadb(resp->text, resp->text_len, 0, &jerr);
}

/* "Base.1.22.1.<Id>" of an error body, in buf. */
static const char *error_id(const struct http_response *resp, char *buf, size_t len)
{
	json_t *j = body_json(resp);
	const char *code = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
	snprintf(buf, len, "%s", code ? code : "(no error body)");
	json_decref(j);
	return buf;
}

/* Headers every answer carries. */
static void check_common(const struct http_response *resp)
{
	assert_string_equal(http_response_get_header(resp, "OData-Version"), "4.0");
	assert_string_equal(http_response_get_header(resp, "Cache-Control"), "no-store");
	assert_null(resp->json); /* serialised */
	assert_null(resp->defer.run);
}

/* ---- the protocol table ---- */

struct service_case {
	const char *what;
	struct req_spec req;
	int status;
	const char *message_id; /* Base id of the error body, or NULL */
	const char *allow;      /* expected Allow header, or NULL: not checked */
	bool www_authenticate;
};

#define MANAGERS "/redfish/v1/Managers"

#define GET(p) .method = HTTP_GET, .path = (p)

static const struct service_case cases[] = {
	{ "public root without credentials", { GET("/redfish/v1") }, 200, NULL, NULL, false },
	{ "public root, trailing slash", { GET("/redfish/v1/") }, 200, NULL, NULL, false },
	{ "version document", { GET("/redfish") }, 200, NULL, NULL, false },
	{ "HEAD of the root", { .method = HTTP_HEAD, .path = "/redfish/v1" }, 200, NULL, NULL,
	  false },
	{ "public root ignores wrong credentials", { GET("/redfish/v1"), .creds = BAD }, 200, NULL,
	  NULL, false },
	{ "protected, no credentials", { GET(MANAGERS) }, 401, "NoValidSession", NULL, true },
	{ "protected, wrong password", { GET(MANAGERS), .creds = BAD }, 401, "NoValidSession",
	  NULL, true },
	{ "protected, unknown user", { GET(MANAGERS), .creds = UNKNOWN }, 401, "NoValidSession",
	  NULL, true },
	{ "protected, malformed Authorization", { GET(MANAGERS), .creds = MALFORMED }, 401,
	  "NoValidSession", NULL, true },
	{ "protected, right password", { GET(MANAGERS), .creds = GOOD }, 200, NULL, NULL, false },
	{ "protected, right password, trailing slash", { GET(MANAGERS "/"), .creds = GOOD }, 200,
	  NULL, NULL, false },
	{ "unknown path with credentials", { GET("/redfish/v1/NoSuchThing"), .creds = GOOD }, 404,
	  "ResourceNotFound", NULL, false },
	{ "unknown path without credentials", { GET("/redfish/v1/NoSuchThing") }, 401,
	  "NoValidSession", NULL, true },
	{ "unknown path with wrong credentials", { GET("/redfish/v1/NoSuchThing"), .creds = BAD },
	  401, "NoValidSession", NULL, true },
	{ "DELETE on a public GET route", { .method = HTTP_DELETE, .path = "/redfish/v1" }, 405,
	  "OperationNotAllowed", "GET, HEAD", false },
	{ "DELETE on a protected GET route",
	  { .method = HTTP_DELETE, .path = MANAGERS, .creds = GOOD }, 405, "OperationNotAllowed",
	  "GET, HEAD", false },
	{ "unknown method", { .method = HTTP_OTHER, .path = MANAGERS, .creds = GOOD }, 405,
	  "OperationNotAllowed", "GET, HEAD", false },
	/* Like an unknown path, a protected resource must not be revealed to
	 * an anonymous caller by its 405 and Allow list. */
	{ "DELETE on a protected route without credentials",
	  { .method = HTTP_DELETE, .path = MANAGERS }, 401, "NoValidSession", NULL, true },
	{ "$filter is not supported", { GET(MANAGERS), .creds = GOOD, .query = "$filter" }, 501,
	  "QueryParameterUnsupported", NULL, false },
	{ "$select on a public route", { GET("/redfish/v1"), .query = "$select", .query_value = "Id" },
	  200, NULL, NULL, false },
	{ "a malformed $expand", { GET(MANAGERS), .creds = GOOD, .query = "$expand" }, 400,
	  "QueryParameterValueFormatError", NULL, false },
	{ "only with a value", { GET(MANAGERS), .creds = GOOD, .query = "only" }, 400,
	  "QueryParameterValueFormatError", NULL, false },
	{ "$top on a resource that is no collection",
	  { GET("/redfish/v1"), .query = "$top", .query_value = "1" }, 400,
	  "QueryNotSupportedOnResource", NULL, false },
	{ "query options on a method other than GET",
	  { .method = HTTP_POST, .path = "/redfish/v1/SessionService/Sessions", .content_type = "application/json",
	    .body = "{}", .query = "$top" },
	  400, "QueryNotSupportedOnOperation", NULL, false },
	{ "other query parameters are ignored",
	  { GET(MANAGERS), .creds = GOOD, .query = "unrelated" }, 200, NULL, NULL, false },
	{ "$expand without credentials is still 401",
	  { GET(MANAGERS), .query = "$expand", .query_value = "." }, 401, "NoValidSession", NULL,
	  true },
	{ "a bad $top without credentials is still 401", { GET(MANAGERS), .query = "$top", .query_value = "x" },
	  401, "NoValidSession", NULL, true },
	{ "oversized body on POST, refused before authentication",
	  { .method = HTTP_POST, .path = "/redfish/v1/NoSuchThing",
	    .content_type = "application/json", .too_large = true },
	  413, "PayloadTooLarge", NULL, false },
	{ "oversized body on GET", { GET(MANAGERS), .creds = GOOD, .too_large = true }, 413,
	  "PayloadTooLarge", NULL, false },
};

static void test_cases(void **state)
{
	struct fixture *f = *state;
	size_t failed = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct service_case *c = &cases[i];
		struct http_response resp;
		char id[128], want_id[128];
		const char *allow, *www;
		bool ok = true;

		perform(f, f->real, &c->req, &resp);
		check_common(&resp);
		error_id(&resp, id, sizeof(id));
		snprintf(want_id, sizeof(want_id), "Base.1.22.1.%s", c->message_id ? c->message_id : "");
		allow = http_response_get_header(&resp, "Allow");
		www = http_response_get_header(&resp, "WWW-Authenticate");
		if (resp.status != c->status)
			ok = false;
		if (c->message_id && strcmp(id, want_id) != 0)
			ok = false;
		if (c->allow && (!allow || strcmp(allow, c->allow) != 0))
			ok = false;
		if (c->www_authenticate != (www != NULL))
			ok = false;
		if (www && strncmp(www, "Basic realm=", 12) != 0)
			ok = false;
		if (resp.status >= 400 &&
		    (!resp.content_type || strcmp(resp.content_type, JSON_TYPE) != 0))
			ok = false;
		if (!ok) {
			print_error("case %zu, %s: got %d %s Allow=%s WWW-Authenticate=%s; "
				    "want %d %s Allow=%s%s\n",
				    i, c->what, resp.status, id, allow ? allow : "-", www ? www : "-",
				    c->status, c->message_id ? want_id : "-",
				    c->allow ? c->allow : "-",
				    c->www_authenticate ? " WWW-Authenticate" : "");
			failed++;
		}
		http_response_release(&resp);
	}
	if (failed)
		fail_msg("%zu of %zu service cases failed", failed, sizeof(cases) / sizeof(cases[0]));
}

/* The root: content, headers and a strong ETag derived from the body. */
static void test_root_and_etag(void **state)
{
	struct fixture *f = *state;
	struct req_spec get = { .method = HTTP_GET, .path = "/redfish/v1" };
	struct http_response resp, again;
	char etag[64], list[160];
	json_t *j;

	perform(f, f->real, &get, &resp);
	assert_int_equal(resp.status, 200);
	check_common(&resp);
	assert_string_equal(resp.content_type, JSON_TYPE);
	assert_string_equal(http_response_get_header(&resp, "X-Content-Type-Options"), "nosniff");
	assert_non_null(http_response_get_header(&resp, "Strict-Transport-Security"));
	assert_non_null(http_response_get_header(&resp, "ETag"));
	snprintf(etag, sizeof(etag), "%s", http_response_get_header(&resp, "ETag"));
	assert_true(etag[0] == '"' && etag[strlen(etag) - 1] == '"' && strlen(etag) > 2);
	assert_int_equal(resp.text_len, strlen(resp.text));
	j = body_json(&resp);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "@odata.id")), "/redfish/v1");
	assert_string_equal(json_string_value(json_object_get(j, "UUID")), f->real->uuid);
	json_decref(j);

	/* same content, same tag */
	perform(f, f->real, &get, &again);
	assert_string_equal(http_response_get_header(&again, "ETag"), etag);
	assert_int_equal(again.text_len, resp.text_len);
	http_response_release(&again);

	/* HEAD carries the same tag */
	struct req_spec head = { .method = HTTP_HEAD, .path = "/redfish/v1" };
	perform(f, f->real, &head, &again);
	assert_int_equal(again.status, 200);
	assert_string_equal(http_response_get_header(&again, "ETag"), etag);
	http_response_release(&again);

	/* If-None-Match with that tag: 304 without a body, tag repeated */
	struct req_spec cond = { .method = HTTP_GET, .path = "/redfish/v1", .if_none_match = etag };
	perform(f, f->real, &cond, &again);
	assert_int_equal(again.status, 304);
	assert_null(again.text);
	assert_int_equal(again.text_len, 0);
	assert_string_equal(http_response_get_header(&again, "ETag"), etag);
	check_common(&again);
	http_response_release(&again);

	/* in a list of tags */
	snprintf(list, sizeof(list), "\"0000\", %s", etag);
	cond.if_none_match = list;
	perform(f, f->real, &cond, &again);
	assert_int_equal(again.status, 304);
	http_response_release(&again);

	/* "*" matches any current representation */
	cond.if_none_match = "*";
	perform(f, f->real, &cond, &again);
	assert_int_equal(again.status, 304);
	http_response_release(&again);

	/* another tag: the full answer */
	cond.if_none_match = "\"00000000deadbeef\"";
	perform(f, f->real, &cond, &again);
	assert_int_equal(again.status, 200);
	assert_non_null(again.text);
	http_response_release(&again);

	/* errors carry no ETag */
	struct req_spec missing = { .method = HTTP_GET, .path = "/redfish/v1/Managers" };
	perform(f, f->real, &missing, &again);
	assert_int_equal(again.status, 401);
	assert_null(http_response_get_header(&again, "ETag"));
	http_response_release(&again);

	http_response_release(&resp);
}

/* A 404 for an authenticated caller names the path. */
static void test_not_found_body(void **state)
{
	struct fixture *f = *state;
	struct req_spec s = { .method = HTTP_GET, .path = "/redfish/v1/NoSuchThing", .creds = GOOD };
	struct http_response resp;
	json_t *j, *args;

	perform(f, f->real, &s, &resp);
	assert_int_equal(resp.status, 404);
	j = body_json(&resp);
	args = json_object_get(json_array_get(json_object_get(json_object_get(j, "error"),
							       "@Message.ExtendedInfo"),
					      0),
			       "MessageArgs");
	assert_int_equal(json_array_size(args), 2);
	assert_string_equal(json_string_value(json_array_get(args, 1)), "/redfish/v1/NoSuchThing");
	json_decref(j);
	http_response_release(&resp);
}

/* 415 on a POST route of the real table when one exists that the admin
 * may call; otherwise on the custom table. */
static void test_unsupported_media_type(void **state)
{
	struct fixture *f = *state;
	struct agent *ag = f->post_path[0] ? f->real : &f->custom;
	const char *path = f->post_path[0] ? f->post_path : "/redfish/v1/Echo/1";
	static const char *const refused[] = { "text/plain", "application/xml", "application/jsonx",
					       "application/json-patch+json", NULL };
	struct http_response resp;
	char id[128];

	if (!f->post_path[0])
		print_message("no POST route in the agent; using the custom table\n");
	for (size_t i = 0; refused[i]; i++) {
		struct req_spec s = { .method = HTTP_POST, .path = path, .creds = GOOD,
				      .content_type = refused[i], .body = "{}" };
		perform(f, ag, &s, &resp);
		if (resp.status != 415)
			fail_msg("POST %s with %s: %d, want 415", path, refused[i], resp.status);
		error_id(&resp, id, sizeof(id));
		assert_string_equal(id, "Base.1.22.1.GeneralError");
		check_common(&resp);
		http_response_release(&resp);
	}
	/* no Content-Type at all, with a body */
	struct req_spec none = { .method = HTTP_POST, .path = path, .creds = GOOD, .body = "{}" };
	perform(f, ag, &none, &resp);
	assert_int_equal(resp.status, 415);
	http_response_release(&resp);
}

static void test_custom_table(void **state)
{
	struct fixture *f = *state;
	struct http_response resp;
	char id[128];
	json_t *j;

	/* a handler failure is a 500 InternalError, whatever it left behind */
	calls = 0;
	struct req_spec fail = { .method = HTTP_GET, .path = "/redfish/v1/Fail" };
	perform(f, &f->custom, &fail, &resp);
	assert_int_equal(calls, 1);
	assert_int_equal(resp.status, 500);
	assert_string_equal(error_id(&resp, id, sizeof(id)), "Base.1.22.1.InternalError");
	assert_null(strstr(resp.text, "Partial"));
	check_common(&resp);
	http_response_release(&resp);

	/* a route the admin lacks the privilege for: 403, handler not run */
	calls = 0;
	struct req_spec wf = { .method = HTTP_GET, .path = "/redfish/v1/WriteFull", .creds = GOOD };
	perform(f, &f->custom, &wf, &resp);
	assert_int_equal(resp.status, 403);
	assert_string_equal(error_id(&resp, id, sizeof(id)), "Base.1.22.1.InsufficientPrivilege");
	assert_int_equal(calls, 0);
	http_response_release(&resp);

	/* ... and without credentials it is 401, not 403 */
	wf.creds = NONE;
	perform(f, &f->custom, &wf, &resp);
	assert_int_equal(resp.status, 401);
	http_response_release(&resp);

	/* the alternative that admitted the caller reaches the handler */
	struct req_spec either = { .method = HTTP_GET, .path = "/redfish/v1/Either", .creds = GOOD };
	perform(f, &f->custom, &either, &resp);
	assert_int_equal(resp.status, 200);
	assert_int_equal(last_admitted, PRIV_CONFIGURE_SELF | PRIV_LOGIN);
	http_response_release(&resp);

	/* JSON bodies with parameters in the media type are accepted, the
	 * handler sees the caller and the path parameter */
	static const char *const accepted[] = { "application/json",
						"application/json; charset=utf-8",
						"Application/JSON", NULL };
	for (size_t i = 0; accepted[i]; i++) {
		struct req_spec post = { .method = HTTP_POST, .path = "/redfish/v1/Echo/abc",
					 .creds = GOOD, .content_type = accepted[i],
					 .body = "{\"a\":1}" };
		calls = 0;
		perform(f, &f->custom, &post, &resp);
		if (resp.status != 200)
			fail_msg("POST with %s: %d", accepted[i], resp.status);
		assert_int_equal(calls, 1);
		assert_string_equal(last_param, "abc");
		assert_int_equal(last_admitted, PRIV_LOGIN);
		j = body_json(&resp);
		assert_string_equal(json_string_value(json_object_get(j, "User")), "admin");
		json_decref(j);
		http_response_release(&resp);
	}

	/* a POST without a body still needs the JSON media type: a browser
	 * form (text/plain, or none) must not reach a handler */
	struct req_spec empty = { .method = HTTP_POST, .path = "/redfish/v1/Echo/e", .creds = GOOD };
	calls = 0;
	perform(f, &f->custom, &empty, &resp);
	assert_int_equal(resp.status, 415);
	assert_int_equal(calls, 0);
	http_response_release(&resp);
	empty.content_type = "text/plain";
	perform(f, &f->custom, &empty, &resp);
	assert_int_equal(resp.status, 415);
	assert_int_equal(calls, 0);
	http_response_release(&resp);
	empty.content_type = "application/json";
	perform(f, &f->custom, &empty, &resp);
	assert_int_equal(resp.status, 200);
	assert_int_equal(calls, 1);
	http_response_release(&resp);

	/* PATCH is held to the same media-type rule */
	struct req_spec patch = { .method = HTTP_PATCH, .path = "/redfish/v1/Echo/e", .creds = GOOD,
				  .content_type = "text/plain", .body = "x" };
	perform(f, &f->custom, &patch, &resp);
	assert_int_equal(resp.status, 415);
	http_response_release(&resp);

	/* a route declaring GET alone serves HEAD too */
	struct req_spec head = { .method = HTTP_HEAD, .path = "/redfish/v1/Fail" };
	calls = 0;
	perform(f, &f->custom, &head, &resp);
	assert_int_equal(calls, 1);
	assert_int_equal(resp.status, 500);
	http_response_release(&resp);

	/* the Allow list of a multi-method route */
	struct req_spec del = { .method = HTTP_DELETE, .path = "/redfish/v1/Echo/e", .creds = GOOD };
	perform(f, &f->custom, &del, &resp);
	assert_int_equal(resp.status, 405);
	assert_string_equal(http_response_get_header(&resp, "Allow"), "GET, HEAD, POST, PATCH");
	http_response_release(&resp);

	/* a text answer keeps its own type and gets no ETag */
	struct req_spec text = { .method = HTTP_GET, .path = "/redfish/v1/Text" };
	perform(f, &f->custom, &text, &resp);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.content_type, "text/plain");
	assert_int_equal(resp.text_len, 5);
	check_common(&resp);
	http_response_release(&resp);
}

/* Wrong passwords are counted per account: a right password in between
 * resets the count, so the cases above never lock the admin out. This also
 * guards the table: if it ever grows past the lockout threshold in wrong
 * passwords, this test shows why the later cases fail. */
static void test_admin_still_usable(void **state)
{
	struct fixture *f = *state;
	struct req_spec s = { .method = HTTP_GET, .path = MANAGERS, .creds = GOOD };
	struct http_response resp;

	perform(f, f->real, &s, &resp);
	assert_int_equal(resp.status, 200);
	http_response_release(&resp);
}

/* A request the server does not start (it is stopping, or no thread can
 * start for its deferred work, such as a password check) is a Redfish 503
 * with Retry-After and the headers every answer carries, not a bare
 * status. */
static void test_unavailable(void **state)
{
	struct fixture *f = *state;
	struct http_response resp;
	char id[128];

	http_response_init(&resp);
	service_unavailable(f->real, &resp);
	assert_int_equal(resp.status, 503);
	assert_string_equal(error_id(&resp, id, sizeof(id)), "Base.1.22.1.ServiceTemporarilyUnavailable");
	assert_string_equal(http_response_get_header(&resp, "Retry-After"), "1");
	check_common(&resp);
	http_response_release(&resp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_root_and_etag),
		cmocka_unit_test(test_not_found_body),
		cmocka_unit_test(test_unsupported_media_type),
		cmocka_unit_test(test_custom_table),
		cmocka_unit_test(test_admin_still_usable),
		cmocka_unit_test(test_unavailable),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

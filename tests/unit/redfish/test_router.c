/* The router: {param} matching, tolerated slashes, most-specific wins, 404
 * versus 405 with the Allow mask, parameter extraction, privilege
 * alternatives, and refusal at start-up of badly declared tables. Lookups
 * and refusals are tables of cases. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/privilege.h"
#include "redfish/router.h"
#include "redfish/routes.h"

static int h_dummy(const struct route_ctx *ctx, struct http_response *resp)
{
	(void)ctx;
	(void)resp;
	return 0;
}

#define GH (HTTP_GET | HTTP_HEAD)
#define LOGIN { PRIV_LOGIN }
#define NOAUTH { PRIV_NOAUTH }

static const struct route table[] = {
	{ GH, "/redfish/v1", NOAUTH, h_dummy, NULL },
	{ GH, "/redfish/v1/Systems", LOGIN, h_dummy, NULL },
	{ GH, "/redfish/v1/Systems/{system}", LOGIN, h_dummy, NULL },
	{ HTTP_PATCH, "/redfish/v1/Systems/{id}", { PRIV_CONFIGURE_COMPONENTS }, h_dummy, NULL },
	{ GH, "/redfish/v1/Systems/special", LOGIN, h_dummy, NULL },
	{ HTTP_POST, "/redfish/v1/Systems/{system}/Memory/{dev}/Actions/Reset",
	  { PRIV_CONFIGURE_COMPONENTS }, h_dummy, NULL },
	{ GH, "/redfish/v1/Systems/{system}/Memory/{dev}", LOGIN, h_dummy, NULL },
	{ HTTP_DELETE, "/redfish/v1/Things/{a}", LOGIN, h_dummy, NULL },
	{ HTTP_POST, "/redfish/v1/Things/{a}", LOGIN, h_dummy, NULL },
	{ 0 },
};

struct fixture {
	struct router *r;
};

static int setup(void **state)
{
	static struct fixture f;
	const struct route *const tables[] = { table };
	char err[256] = "";

	if (router_new(tables, 1, &f.r, err, sizeof(err))) {
		fprintf(stderr, "router_new: %s\n", err);
		return -1;
	}
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	router_free(f->r);
	return 0;
}

static void test_count(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(router_count(f->r), 9);
	assert_ptr_equal(router_at(f->r, 0), &table[0]);
	assert_null(router_at(f->r, 9));
}

struct match_case {
	enum http_method method;
	const char *path;
	enum route_lookup want;
	int route_index;       /* index in table when found, else -1 */
	unsigned allowed;      /* expected Allow mask */
	const char *params[4]; /* name, value pairs, NULL-terminated */
};

static const struct match_case match_cases[] = {
	{ HTTP_GET, "/redfish/v1", ROUTE_FOUND, 0, GH, { NULL } },
	{ HTTP_HEAD, "/redfish/v1", ROUTE_FOUND, 0, GH, { NULL } },
	{ HTTP_GET, "/redfish/v1/", ROUTE_FOUND, 0, GH, { NULL } },
	{ HTTP_GET, "//redfish//v1//", ROUTE_FOUND, 0, GH, { NULL } },
	{ HTTP_GET, "/redfish/v1/Systems", ROUTE_FOUND, 1, GH, { NULL } },
	{ HTTP_GET, "/redfish/v1/Systems/host", ROUTE_FOUND, 2, GH | HTTP_PATCH,
	  { "system", "host", NULL } },
	{ HTTP_GET, "/redfish/v1/Systems/host/", ROUTE_FOUND, 2, GH | HTTP_PATCH,
	  { "system", "host", NULL } },
	/* same shape, other method: the other route, with its own param name */
	{ HTTP_PATCH, "/redfish/v1/Systems/host", ROUTE_FOUND, 3, GH | HTTP_PATCH,
	  { "id", "host", NULL } },
	/* the literal segment beats the parameter, and its methods alone count */
	{ HTTP_GET, "/redfish/v1/Systems/special", ROUTE_FOUND, 4, GH, { NULL } },
	{ HTTP_PATCH, "/redfish/v1/Systems/special", ROUTE_METHOD_NOT_ALLOWED, -1, GH, { NULL } },
	{ HTTP_GET, "/redfish/v1/Systems/h/Memory/m0", ROUTE_FOUND, 6, GH,
	  { "system", "h", "dev", "m0" } },
	{ HTTP_POST, "/redfish/v1/Systems/h/Memory/m0/Actions/Reset", ROUTE_FOUND, 5, HTTP_POST,
	  { "system", "h", "dev", "m0" } },
	{ HTTP_GET, "/redfish/v1/Systems/h/Memory/m0/Actions/Reset", ROUTE_METHOD_NOT_ALLOWED, -1,
	  HTTP_POST, { NULL } },
	{ HTTP_DELETE, "/redfish/v1/Systems", ROUTE_METHOD_NOT_ALLOWED, -1, GH, { NULL } },
	{ HTTP_OTHER, "/redfish/v1", ROUTE_METHOD_NOT_ALLOWED, -1, GH, { NULL } },
	/* no GET there: HEAD is not implied */
	{ HTTP_HEAD, "/redfish/v1/Things/x", ROUTE_METHOD_NOT_ALLOWED, -1, HTTP_DELETE | HTTP_POST,
	  { NULL } },
	{ HTTP_POST, "/redfish/v1/Things/x", ROUTE_FOUND, 8, HTTP_DELETE | HTTP_POST,
	  { "a", "x", NULL } },
	{ HTTP_DELETE, "/redfish/v1/Things/x", ROUTE_FOUND, 7, HTTP_DELETE | HTTP_POST,
	  { "a", "x", NULL } },
	{ HTTP_GET, "/redfish/v1/Nope", ROUTE_NOT_FOUND, -1, 0, { NULL } },
	{ HTTP_GET, "/redfish/v1/Systems/h/Memory", ROUTE_NOT_FOUND, -1, 0, { NULL } },
	{ HTTP_GET, "/redfish/v1/Systems/h/Memory/m0/x", ROUTE_NOT_FOUND, -1, 0, { NULL } },
	{ HTTP_GET, "/redfish/v1x", ROUTE_NOT_FOUND, -1, 0, { NULL } },
	{ HTTP_GET, "/Redfish/v1", ROUTE_NOT_FOUND, -1, 0, { NULL } },
	{ HTTP_GET, "redfish/v1", ROUTE_NOT_FOUND, -1, 0, { NULL } },
	{ HTTP_GET, "", ROUTE_NOT_FOUND, -1, 0, { NULL } },
	{ HTTP_GET, "/", ROUTE_NOT_FOUND, -1, 0, { NULL } },
	/* more segments than any pattern may have */
	{ HTTP_GET, "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r", ROUTE_NOT_FOUND, -1, 0, { NULL } },
};

static void test_match_cases(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		const struct match_case *c = &match_cases[i];
		char scratch[256];
		const struct route *rt = (const struct route *)1;
		struct route_params params = { 0 };
		unsigned allowed = 0xdead;
		enum route_lookup got;

		got = router_match(f->r, c->method, c->path, scratch, sizeof(scratch), &rt, &params,
				   &allowed);
		if (got != c->want || allowed != c->allowed)
			fail_msg("case %zu (%s): lookup %d allowed %#x, want %d allowed %#x", i,
				 c->path, got, allowed, c->want, c->allowed);
		if (c->want == ROUTE_NOT_FOUND)
			assert_null(rt);
		if (c->want != ROUTE_FOUND)
			continue;
		if (rt != &table[c->route_index])
			fail_msg("case %zu (%s): matched %s", i, c->path, rt ? rt->pattern : "none");
		size_t np = 0;
		while (np < 4 && c->params[np])
			np += 2;
		assert_int_equal(params.count, np / 2);
		for (size_t p = 0; p < np; p += 2) {
			assert_string_equal(params.names[p / 2], c->params[p]);
			assert_non_null(route_param(&params, c->params[p]));
			assert_string_equal(route_param(&params, c->params[p]), c->params[p + 1]);
		}
		assert_null(route_param(&params, "nosuch"));
	}
}

/* Parameter values live in the caller's scratch, not in the path. */
static void test_params_in_scratch(void **state)
{
	struct fixture *f = *state;
	char path[] = "/redfish/v1/Systems/abc";
	char scratch[64];
	const struct route *rt;
	struct route_params params;
	unsigned allowed;

	assert_int_equal(router_match(f->r, HTTP_GET, path, scratch, sizeof(scratch), &rt, &params,
				      &allowed),
			 ROUTE_FOUND);
	const char *v = route_param(&params, "system");
	assert_true(v >= scratch && v < scratch + sizeof(scratch));
	memset(path, 'x', sizeof(path) - 1);
	assert_string_equal(v, "abc");
}

static void test_scratch_too_small(void **state)
{
	struct fixture *f = *state;
	const char *path = "/redfish/v1/Systems";
	char scratch[64];
	const struct route *rt;
	struct route_params params;
	unsigned allowed;

	assert_int_equal(router_match(f->r, HTTP_GET, path, scratch, strlen(path), &rt, &params,
				      &allowed),
			 ROUTE_NOT_FOUND);
	assert_int_equal(router_match(f->r, HTTP_GET, path, scratch, strlen(path) + 1, &rt,
				      &params, &allowed),
			 ROUTE_FOUND);
}

static void test_admits(void **state)
{
	const struct route pub = { GH, "/p", NOAUTH, h_dummy, NULL };
	const struct route login = { GH, "/l", LOGIN, h_dummy, NULL };
	const struct route both = { GH, "/b", { PRIV_LOGIN | PRIV_CONFIGURE_MANAGER }, h_dummy, NULL };
	const struct route alt = { HTTP_PATCH, "/a",
				   { PRIV_CONFIGURE_USERS, PRIV_CONFIGURE_SELF | PRIV_LOGIN },
				   h_dummy, NULL };
	(void)state;

	assert_int_equal(route_admits(&pub, 0), PRIV_NOAUTH);
	assert_int_equal(route_admits(&pub, PRIV_LOGIN), PRIV_NOAUTH);
	assert_true(route_is_public(&pub));
	assert_false(route_is_public(&login));

	assert_int_equal(route_admits(&login, 0), 0);
	assert_int_equal(route_admits(&login, PRIV_LOGIN), PRIV_LOGIN);
	assert_int_equal(route_admits(&login, PRIV_LOGIN | PRIV_CONFIGURE_USERS), PRIV_LOGIN);

	/* every bit of an alternative is needed */
	assert_int_equal(route_admits(&both, PRIV_LOGIN), 0);
	assert_int_equal(route_admits(&both, PRIV_CONFIGURE_MANAGER), 0);
	assert_int_equal(route_admits(&both, PRIV_LOGIN | PRIV_CONFIGURE_MANAGER),
			 PRIV_LOGIN | PRIV_CONFIGURE_MANAGER);

	/* the first satisfied alternative is reported */
	assert_int_equal(route_admits(&alt, PRIV_CONFIGURE_USERS | PRIV_LOGIN | PRIV_CONFIGURE_SELF),
			 PRIV_CONFIGURE_USERS);
	assert_int_equal(route_admits(&alt, PRIV_LOGIN | PRIV_CONFIGURE_SELF),
			 PRIV_CONFIGURE_SELF | PRIV_LOGIN);
	assert_int_equal(route_admits(&alt, PRIV_CONFIGURE_SELF), 0);
	assert_int_equal(route_admits(&alt, PRIV_LOGIN), 0);

	/* the predefined roles against a ConfigureManager route */
	const struct route mgr = { GH, "/m", { PRIV_CONFIGURE_MANAGER }, h_dummy, NULL };
	assert_int_not_equal(route_admits(&mgr, role_predefined("Administrator")->privileges), 0);
	assert_int_equal(route_admits(&mgr, role_predefined("Operator")->privileges), 0);
	assert_int_equal(route_admits(&mgr, role_predefined("ReadOnly")->privileges), 0);
}

/* Tables the router must refuse, with a word the message must contain. */
struct bad_case {
	const char *what;
	struct route routes[3];
	const char *mentions[2];
};

static const struct bad_case bad_cases[] = {
	{ "no privileges", { { GH, "/redfish/v1/Open", { 0 }, h_dummy, NULL }, { 0 } },
	  { "/redfish/v1/Open", "privileges" } },
	{ "no privileges after a good route",
	  { { GH, "/redfish/v1", NOAUTH, h_dummy, NULL }, { HTTP_POST, "/redfish/v1/X", { 0 }, h_dummy, NULL },
	    { 0 } },
	  { "/redfish/v1/X", "privileges" } },
	{ "unterminated parameter", { { GH, "/redfish/v1/Systems/{id", LOGIN, h_dummy, NULL }, { 0 } },
	  { "/redfish/v1/Systems/{id", "malformed" } },
	{ "empty parameter", { { GH, "/redfish/v1/Systems/{}", LOGIN, h_dummy, NULL }, { 0 } },
	  { "/redfish/v1/Systems/{}", "malformed" } },
	{ "trailing text after parameter", { { GH, "/a/{id}x", LOGIN, h_dummy, NULL }, { 0 } },
	  { "/a/{id}x", "malformed" } },
	{ "relative pattern", { { GH, "redfish/v1", LOGIN, h_dummy, NULL }, { 0 } },
	  { "redfish/v1", "'/'" } },
	{ "no handler", { { GH, "/redfish/v1", LOGIN, NULL, NULL }, { 0 } }, { "/redfish/v1", "handler" } },
	{ "no methods", { { 0, "/redfish/v1", LOGIN, h_dummy, NULL }, { 0 } }, { "/redfish/v1", "methods" } },
	{ "too many parameters",
	  { { GH, "/{a}/{b}/{c}/{d}/{e}/{f}/{g}", LOGIN, h_dummy, NULL }, { 0 } },
	  { "/{a}/{b}/{c}/{d}/{e}/{f}/{g}", "parameters" } },
	{ "too many segments",
	  { { GH, "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q", LOGIN, h_dummy, NULL }, { 0 } },
	  { "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q", "segments" } },
	{ "same pattern, same method",
	  { { GH, "/redfish/v1/Systems", LOGIN, h_dummy, NULL },
	    { HTTP_GET, "/redfish/v1/Systems", LOGIN, h_dummy, NULL }, { 0 } },
	  { "/redfish/v1/Systems", "same method" } },
	{ "same shape, other parameter name",
	  { { GH, "/redfish/v1/Systems/{a}", LOGIN, h_dummy, NULL },
	    { HTTP_POST | HTTP_GET, "/redfish/v1/Systems/{b}", LOGIN, h_dummy, NULL }, { 0 } },
	  { "/redfish/v1/Systems/{a}", "/redfish/v1/Systems/{b}" } },
	{ "same shape once slashes are ignored",
	  { { GH, "/redfish/v1/Systems", LOGIN, h_dummy, NULL },
	    { HTTP_HEAD, "/redfish//v1/Systems/", LOGIN, h_dummy, NULL }, { 0 } },
	  { "/redfish//v1/Systems/", "same method" } },
};

static void test_refusals(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		const struct route *const tables[] = { c->routes };
		struct router *r = (struct router *)1;
		char err[256] = "";
		int rc = router_new(tables, 1, &r, err, sizeof(err));

		if (rc != -EINVAL)
			fail_msg("%s: router_new returned %d (%s)", c->what, rc, err);
		assert_ptr_equal(r, (struct router *)1);
		for (size_t m = 0; m < 2; m++)
			if (!strstr(err, c->mentions[m]))
				fail_msg("%s: message \"%s\" does not mention \"%s\"", c->what, err,
					 c->mentions[m]);
	}
}

/* Two tables are validated together: a clash across them is refused. */
static void test_refusal_across_tables(void **state)
{
	static const struct route t1[] = { { GH, "/redfish/v1/X/{id}", LOGIN, h_dummy, NULL }, { 0 } };
	static const struct route t2[] = { { HTTP_GET, "/redfish/v1/X/{other}", LOGIN, h_dummy, NULL },
					   { 0 } };
	static const struct route t3[] = { { HTTP_PATCH, "/redfish/v1/X/{other}", LOGIN, h_dummy, NULL },
					   { 0 } };
	const struct route *const clash[] = { t1, t2 };
	const struct route *const fine[] = { t1, t3 };
	struct router *r = NULL;
	char err[256] = "";
	(void)state;

	assert_int_equal(router_new(clash, 2, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "/redfish/v1/X/{other}"));
	assert_int_equal(router_new(fine, 2, &r, err, sizeof(err)), 0);
	assert_int_equal(router_count(r), 2);
	router_free(r);
}

static void test_empty_table(void **state)
{
	static const struct route t[] = { { 0 } };
	const struct route *const tables[] = { t };
	struct router *r = NULL;
	const struct route *rt;
	struct route_params params;
	unsigned allowed;
	char scratch[32], err[64] = "";
	(void)state;

	assert_int_equal(router_new(tables, 1, &r, err, sizeof(err)), 0);
	assert_int_equal(router_count(r), 0);
	assert_int_equal(router_match(r, HTTP_GET, "/redfish", scratch, sizeof(scratch), &rt,
				      &params, &allowed),
			 ROUTE_NOT_FOUND);
	router_free(r);
	router_free(NULL);
}

/* The agent's own table builds, and nothing in it is left undeclared. */
static void test_agent_routes(void **state)
{
	struct router *r = NULL;
	char err[512] = "";
	size_t n = 0, public = 0;
	(void)state;

	if (router_new(agent_route_tables, agent_route_table_count, &r, err, sizeof(err)) != 0)
		fail_msg("the agent's routes are refused: %s", err);
	for (size_t t = 0; t < agent_route_table_count; t++)
		for (const struct route *rt = agent_route_tables[t]; rt->pattern || rt->handler; rt++)
			n++;
	assert_int_equal(router_count(r), n);
	assert_true(n > 0);
	for (size_t i = 0; i < router_count(r); i++) {
		const struct route *rt = router_at(r, i);
		if (!rt->privileges[0])
			fail_msg("%s declares no privileges", rt->pattern);
		/* the only route outside Redfish is the OpenMetrics endpoint */
		if (strncmp(rt->pattern, "/redfish", 8) != 0 && strcmp(rt->pattern, "/metrics") != 0)
			fail_msg("%s is outside /redfish", rt->pattern);
		if (route_is_public(rt)) {
			public++;
			/* NoAuth is never mixed with real privileges */
			if (rt->privileges[0] != PRIV_NOAUTH)
				fail_msg("%s mixes NoAuth with privileges", rt->pattern);
		} else {
			/* an unauthenticated caller holds nothing and is admitted nowhere */
			if (route_admits(rt, 0))
				fail_msg("%s admits a caller without privileges", rt->pattern);
		}
	}
	assert_true(public > 0);

	/* the service root and the version document are public */
	const struct route *rt;
	struct route_params params;
	unsigned allowed;
	char scratch[128];
	assert_int_equal(router_match(r, HTTP_GET, "/redfish/v1/", scratch, sizeof(scratch), &rt,
				      &params, &allowed),
			 ROUTE_FOUND);
	assert_true(route_is_public(rt));
	assert_int_equal(router_match(r, HTTP_GET, "/redfish", scratch, sizeof(scratch), &rt,
				      &params, &allowed),
			 ROUTE_FOUND);
	assert_true(route_is_public(rt));
	router_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_match_cases),
		cmocka_unit_test(test_params_in_scratch),
		cmocka_unit_test(test_scratch_too_small),
		cmocka_unit_test(test_admits),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_refusal_across_tables),
		cmocka_unit_test(test_empty_table),
		cmocka_unit_test(test_agent_routes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

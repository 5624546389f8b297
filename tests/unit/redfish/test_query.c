/* Parsing query parameters: every option with good values, every kind of
 * bad value with the Base message DSP0266 asks for (type, format, range,
 * unsupported option, invalid combination), the limits, and the mapping of
 * each refusal to its status and message. Cases are data: one row each. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "redfish/query.h"

#define MAX_ARGS 4

/* A query string, split as the server splits it: "&" between arguments,
 * the first "=" between name and value. */
struct args {
	char buf[2048];
	struct http_header a[MAX_ARGS];
	size_t n;
};

static void split(const char *query, struct args *out)
{
	char *save = NULL;

	snprintf(out->buf, sizeof(out->buf), "%s", query);
	out->n = 0;
	for (char *arg = strtok_r(out->buf, "&", &save); arg && out->n < MAX_ARGS;
	     arg = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(arg, '=');
		if (eq)
			*eq++ = '\0';
		out->a[out->n++] = (struct http_header){ arg, eq ? eq : "" };
	}
}

enum want { OK, UNSUP, TYPE, FORMAT, RANGE, COMBO };

struct pcase {
	const char *query;
	enum want want;
	const char *param; /* the parameter the refusal names */
	const char *range; /* for RANGE */
};

static const struct pcase parse_cases[] = {
	{ "", OK, NULL, NULL },
	{ "unrelated=1&other", OK, NULL, NULL },
	{ "$top=0", OK, NULL, NULL },
	{ "$top=1000", OK, NULL, NULL },
	{ "$top=007", OK, NULL, NULL },
	{ "$top=1001", RANGE, "$top", "0-1000" },
	{ "$top=99999999999999999999999999", RANGE, "$top", "0-1000" },
	{ "$top=-1", RANGE, "$top", "0-1000" },
	{ "$top=abc", TYPE, "$top", NULL },
	{ "$top=", TYPE, "$top", NULL },
	{ "$top", TYPE, "$top", NULL },
	{ "$top= 1", TYPE, "$top", NULL },
	{ "$top=0x10", TYPE, "$top", NULL },
	{ "$top=1.5", FORMAT, "$top", NULL },
	{ "$top=+3", FORMAT, "$top", NULL },
	{ "$top=1e3", FORMAT, "$top", NULL },
	{ "$top=-", TYPE, "$top", NULL },
	{ "$skip=0", OK, NULL, NULL },
	{ "$skip=4294967295", OK, NULL, NULL },
	{ "$skip=4294967296", RANGE, "$skip", "0-4294967295" },
	{ "$skip=-5", RANGE, "$skip", "0-4294967295" },
	{ "$skip=x", TYPE, "$skip", NULL },
	{ "only", OK, NULL, NULL },
	{ "only=", OK, NULL, NULL },
	{ "only=1", FORMAT, "only", NULL },
	{ "only&unrelated=1", OK, NULL, NULL },
	{ "only&$top=1", COMBO, NULL, NULL },
	{ "$skip=1&only", COMBO, NULL, NULL },
	{ "only&$expand=.", COMBO, NULL, NULL },
	{ "only&$select=Id", COMBO, NULL, NULL },
	{ "only&only", COMBO, NULL, NULL },
	{ "$expand=*", OK, NULL, NULL },
	{ "$expand=.", OK, NULL, NULL },
	{ "$expand=~", OK, NULL, NULL },
	{ "$expand=.($levels=1)", OK, NULL, NULL },
	{ "$expand=*($levels=2)", OK, NULL, NULL },
	{ "$expand=~($levels=02)", OK, NULL, NULL },
	{ "$expand=*($levels=0)", RANGE, "$expand", "$levels 1-2" },
	{ "$expand=*($levels=3)", RANGE, "$expand", "$levels 1-2" },
	{ "$expand=*($levels=000)", RANGE, "$expand", "$levels 1-2" },
	{ "$expand=.($levels=99999999999999999999)", RANGE, "$expand", "$levels 1-2" },
	{ "$expand=", FORMAT, "$expand", NULL },
	{ "$expand", FORMAT, "$expand", NULL },
	{ "$expand=x", FORMAT, "$expand", NULL },
	{ "$expand=.x", FORMAT, "$expand", NULL },
	{ "$expand=**", FORMAT, "$expand", NULL },
	{ "$expand=*(levels=1)", FORMAT, "$expand", NULL },
	{ "$expand=*($levels=1", FORMAT, "$expand", NULL },
	{ "$expand=*($levels=1))", FORMAT, "$expand", NULL },
	{ "$expand=*($levels=)", FORMAT, "$expand", NULL },
	{ "$expand=*($levels=a)", FORMAT, "$expand", NULL },
	{ "$expand=*($levels=-1)", FORMAT, "$expand", NULL },
	{ "$expand=*($levels=max)", FORMAT, "$expand", NULL },
	{ "$expand=.&$top=2&$skip=1", OK, NULL, NULL },
	{ "$select=Id", OK, NULL, NULL },
	{ "$select=Id,Name,Status/Health,Status/State", OK, NULL, NULL },
	{ "$select=Members@odata.count,#Action.Reset,Oem/Vendor_1", OK, NULL, NULL },
	{ "$select=Id,Id", OK, NULL, NULL },
	{ "$select=", FORMAT, "$select", NULL },
	{ "$select", FORMAT, "$select", NULL },
	{ "$select=Id,", FORMAT, "$select", NULL },
	{ "$select=,Id", FORMAT, "$select", NULL },
	{ "$select=Id,,Name", FORMAT, "$select", NULL },
	{ "$select=/Id", FORMAT, "$select", NULL },
	{ "$select=Id/", FORMAT, "$select", NULL },
	{ "$select=a//b", FORMAT, "$select", NULL },
	{ "$select=Id Name", FORMAT, "$select", NULL },
	{ "$select=Id;Name", FORMAT, "$select", NULL },
	{ "$select=*", FORMAT, "$select", NULL },
	{ "$select=x0123456789012345678901234567890123456789012345678901234567890123",
	  FORMAT, "$select", NULL },
	{ "$select=Id&$expand=.", COMBO, NULL, NULL },
	{ "$select=Id&$top=1&$skip=1", OK, NULL, NULL },
	{ "$top=1&$top=2", COMBO, NULL, NULL },
	{ "$select=Id&$select=Name", COMBO, NULL, NULL },
	{ "$filter=Id%20eq%201", UNSUP, "$filter", NULL },
	{ "$orderby=Id", UNSUP, "$orderby", NULL },
	{ "$count=true", UNSUP, "$count", NULL },
	{ "$search=x", UNSUP, "$search", NULL },
	{ "$Top=1", UNSUP, "$Top", NULL },
	{ "excerpt", OK, NULL, NULL },
	{ "$top=1&$levels=2", UNSUP, "$levels", NULL },
	/* the first refusal wins */
	{ "$top=x&$filter=y", TYPE, "$top", NULL },
	{ "$filter=y&$top=x", UNSUP, "$filter", NULL },
};

static const enum rf_query_refusal kind_of[] = {
	[UNSUP] = RF_QUERY_UNSUPPORTED,	  [TYPE] = RF_QUERY_VALUE_TYPE,
	[FORMAT] = RF_QUERY_VALUE_FORMAT, [RANGE] = RF_QUERY_OUT_OF_RANGE,
	[COMBO] = RF_QUERY_COMBINATION,
};

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct pcase *c = &parse_cases[i];
		struct rf_query_error err;
		struct rf_query q;
		struct args a;
		int rc;

		split(c->query, &a);
		memset(&err, 0, sizeof(err));
		rc = rf_query_parse(a.a, a.n, &q, &err);
		if (c->want == OK) {
			if (rc)
				fail_msg("\"%s\": refused (kind %d, %s), want accepted", c->query,
					 err.kind, err.param ? err.param : "-");
			continue;
		}
		if (rc != -EINVAL)
			fail_msg("\"%s\": accepted, want refused", c->query);
		if (err.kind != kind_of[c->want])
			fail_msg("\"%s\": refusal kind %d, want %d", c->query, err.kind,
				 kind_of[c->want]);
		if (c->param && strcmp(err.param, c->param) != 0)
			fail_msg("\"%s\": names %s, want %s", c->query, err.param, c->param);
		if (c->range && strcmp(err.range, c->range) != 0)
			fail_msg("\"%s\": range %s, want %s", c->query, err.range, c->range);
	}
}

static struct rf_query parse_ok(const char *query)
{
	struct rf_query_error err;
	struct rf_query q;
	static struct args a; /* q borrows from it */

	split(query, &a);
	assert_int_equal(rf_query_parse(a.a, a.n, &q, &err), 0);
	return q;
}

static void test_values(void **state)
{
	struct rf_query q;
	(void)state;

	q = parse_ok("unrelated=1");
	assert_int_equal(q.options, 0);
	q = parse_ok("$top=12&$skip=34");
	assert_int_equal(q.options, RF_Q_TOP | RF_Q_SKIP);
	assert_int_equal(q.top, 12);
	assert_int_equal(q.skip, 34);
	q = parse_ok("$skip=4294967295");
	assert_int_equal(q.skip, 4294967295u);
	q = parse_ok("only");
	assert_int_equal(q.options, RF_Q_ONLY);
	q = parse_ok("$expand=~");
	assert_int_equal(q.expand, RF_EXPAND_LINKS);
	assert_int_equal(q.levels, 1);
	assert_string_equal(q.expand_text, "~");
	q = parse_ok("$expand=.($levels=2)");
	assert_int_equal(q.expand, RF_EXPAND_NOT_LINKS);
	assert_int_equal(q.levels, 2);
	q = parse_ok("$expand=*($levels=01)");
	assert_int_equal(q.expand, RF_EXPAND_ALL);
	assert_int_equal(q.levels, 1);
	assert_null(q.select_text);
}

/* The selection tree: shared prefixes are one node, a path's last segment
 * is marked, repeats add nothing. */
static void test_select_tree(void **state)
{
	struct rf_query q = parse_ok("$select=Status/Health,Id,Status/State,Id,Links/Chassis");
	(void)state;

	assert_int_equal(q.options, RF_Q_SELECT);
	assert_string_equal(q.select_text, "Status/Health,Id,Status/State,Id,Links/Chassis");
	/* root, Status, Health, Id, State, Links, Chassis */
	assert_int_equal(q.nselect, 7);
	assert_int_equal(q.select[0].parent, -1);
	assert_int_equal(q.select[1].len, 6);
	assert_memory_equal(q.select[1].name, "Status", 6);
	assert_false(q.select[1].selected);
	assert_int_equal(q.select[2].parent, 1);
	assert_true(q.select[2].selected);
	assert_int_equal(q.select[3].parent, 0);
	assert_true(q.select[3].selected);
	assert_int_equal(q.select[4].parent, 1);
	assert_int_equal(q.select[6].parent, 5);
}

/* The tree is bounded: 47 names fit, the 48th is out of range. */
static void test_select_limit(void **state)
{
	char query[1024];
	size_t o = (size_t)snprintf(query, sizeof(query), "$select=");
	struct rf_query_error err;
	struct rf_query q;
	struct args a;
	(void)state;

	for (int i = 0; i < RF_SELECT_MAX_NODES - 1; i++)
		o += (size_t)snprintf(query + o, sizeof(query) - o, "%sP%d", i ? "," : "", i);
	split(query, &a);
	assert_int_equal(rf_query_parse(a.a, a.n, &q, &err), 0);
	assert_int_equal(q.nselect, RF_SELECT_MAX_NODES);
	snprintf(query + o, sizeof(query) - o, ",Q");
	split(query, &a);
	assert_int_equal(rf_query_parse(a.a, a.n, &q, &err), -EINVAL);
	assert_int_equal(err.kind, RF_QUERY_OUT_OF_RANGE);
	assert_string_equal(err.param, "$select");
}

/* A NULL value (an argument without "=" as some servers hand it over)
 * reads as empty. */
static void test_null_value(void **state)
{
	const struct http_header only[] = { { "only", NULL } };
	const struct http_header top[] = { { "$top", NULL } };
	struct rf_query_error err;
	struct rf_query q;
	(void)state;

	assert_int_equal(rf_query_parse(only, 1, &q, &err), 0);
	assert_int_equal(q.options, RF_Q_ONLY);
	assert_int_equal(rf_query_parse(top, 1, &q, &err), -EINVAL);
	assert_int_equal(err.kind, RF_QUERY_VALUE_TYPE);
	assert_string_equal(err.value, "");
}

static const char *message_id(const struct http_response *resp)
{
	json_t *info = json_object_get(json_object_get(resp->json, "error"),
				       "@Message.ExtendedInfo");
	return json_string_value(json_object_get(json_array_get(info, 0), "MessageId"));
}

static json_t *message_args(const struct http_response *resp)
{
	json_t *info = json_object_get(json_object_get(resp->json, "error"),
				       "@Message.ExtendedInfo");
	return json_object_get(json_array_get(info, 0), "MessageArgs");
}

/* Each refusal is its Base message with the arguments in registry order
 * (value, parameter[, range]) and the status DSP0266 gives it. */
static void test_refuse(void **state)
{
	static const struct {
		const char *query;
		int status;
		const char *id;
		const char *args[3];
	} cases[] = {
		{ "$filter=x", 501, "Base.1.22.1.QueryParameterUnsupported", { "$filter" } },
		{ "$top=x", 400, "Base.1.22.1.QueryParameterValueTypeError", { "x", "$top" } },
		{ "$top=1.5", 400, "Base.1.22.1.QueryParameterValueFormatError", { "1.5", "$top" } },
		{ "$top=2000", 400, "Base.1.22.1.QueryParameterOutOfRange",
		  { "2000", "$top", "0-1000" } },
		{ "only&$top=1", 400, "Base.1.22.1.QueryCombinationInvalid", { NULL } },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_response resp;
		struct rf_query_error err;
		struct rf_query q;
		struct args a;
		json_t *args;
		size_t n = 0;

		split(cases[i].query, &a);
		assert_int_equal(rf_query_parse(a.a, a.n, &q, &err), -EINVAL);
		http_response_init(&resp);
		rf_query_refuse(&resp, &err);
		assert_int_equal(resp.status, cases[i].status);
		assert_string_equal(message_id(&resp), cases[i].id);
		args = message_args(&resp);
		while (n < 3 && cases[i].args[n]) {
			assert_string_equal(json_string_value(json_array_get(args, n)),
					    cases[i].args[n]);
			n++;
		}
		assert_int_equal(json_array_size(args), n);
		http_response_release(&resp);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table), cmocka_unit_test(test_values),
		cmocka_unit_test(test_select_tree), cmocka_unit_test(test_select_limit),
		cmocka_unit_test(test_null_value),  cmocka_unit_test(test_refuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The declared-member reader: every type, required and nullable members,
 * unknown members, integer ranges, string and array bounds, choices, the
 * order errors are found in, and placement at file:line:column (duplicates
 * are refused by the file parser before the reader sees them). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/jsonfile.h"
#include "util/jsonmembers.h"

static const char *const colours[] = { "red", "green", "blue", NULL };

enum { M_NAME, M_COUNT, M_ON, M_OPT, M_LIST, M_COLOUR, M_NOTE, M__N };

static const struct jm_member decl[M__N] = {
	[M_NAME] = { "name", JM_STRING, JM_REQUIRED, 1, 8, NULL, NULL },
	[M_COUNT] = { "count", JM_INTEGER, 0, -5, 5, NULL, NULL },
	[M_ON] = { "on", JM_BOOLEAN, 0, 0, 0, NULL, NULL },
	[M_OPT] = { "opt", JM_OBJECT, 0, 0, 0, NULL, NULL },
	[M_LIST] = { "list", JM_ARRAY, 0, 1, 3, NULL, NULL },
	[M_COLOUR] = { "colour", JM_STRING, 0, 0, 0, colours, NULL },
	[M_NOTE] = { "note", JM_STRING, JM_NULLABLE, 0, 0, NULL, "text or null" },
};

static int read_text(const char *text, struct jm_value *v, struct jm_error *e, json_t **root)
{
	json_error_t jerr;

	*root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	assert_non_null(*root);
	return jm_read(*root, decl, M__N, v, e);
}

static void test_every_type(void **state)
{
	struct jm_value v[M__N];
	struct jm_error e;
	json_t *root;
	(void)state;

	assert_int_equal(read_text("{\"name\": \"ab\", \"count\": -5, \"on\": true, \"opt\": {},"
				   " \"list\": [1, 2, 3], \"colour\": \"blue\", \"note\": null}",
				   v, &e, &root),
			 0);
	assert_string_equal(v[M_NAME].str, "ab");
	assert_int_equal(v[M_NAME].len, 2);
	assert_int_equal(v[M_NAME].choice, -1);
	assert_int_equal(v[M_COUNT].num, -5);
	assert_true(v[M_ON].flag);
	assert_true(json_is_object(v[M_OPT].json));
	assert_int_equal(json_array_size(v[M_LIST].json), 3);
	assert_int_equal(v[M_COLOUR].choice, 2);
	assert_non_null(v[M_NOTE].json);
	assert_true(v[M_NOTE].is_null);
	json_decref(root);

	/* only the required member: the others are absent, not defaulted */
	assert_int_equal(read_text("{\"name\": \"12345678\"}", v, &e, &root), 0);
	assert_int_equal(v[M_NAME].len, 8);
	for (int i = M_COUNT; i < M__N; i++)
		assert_null(v[i].json);
	assert_int_equal(v[M_COLOUR].choice, -1);
	json_decref(root);

	assert_int_equal(read_text("{\"name\": \"x\", \"on\": false, \"note\": \"n\"}", v, &e, &root),
			 0);
	assert_false(v[M_ON].flag);
	assert_false(v[M_NOTE].is_null);
	assert_string_equal(v[M_NOTE].str, "n");
	json_decref(root);
}

struct bad_case {
	const char *text;
	enum jm_problem problem;
	const char *name;
	const char *message;
};

static const struct bad_case bad[] = {
	{ "[1]", JM_NOT_OBJECT, NULL, "expected an object, not an array" },
	{ "{}", JM_MISSING, "name", "missing required key \"name\"" },
	{ "{\"name\": \"a\", \"Name\": \"b\"}", JM_UNKNOWN, "Name", "unknown key \"Name\"" },
	{ "{\"name\": 1}", JM_WRONG_TYPE, "name", "\"name\" must be a string, not an integer" },
	{ "{\"name\": null}", JM_WRONG_TYPE, "name", "\"name\" must be a string, not null" },
	{ "{\"name\": \"\"}", JM_BAD_LENGTH, "name", "\"name\" must be 1 to 8 characters" },
	{ "{\"name\": \"123456789\"}", JM_BAD_LENGTH, "name", "\"name\" must be 1 to 8 characters" },
	{ "{\"name\": \"a\", \"count\": 6}", JM_OUT_OF_RANGE, "count",
	  "\"count\" must be between -5 and 5" },
	{ "{\"name\": \"a\", \"count\": -6}", JM_OUT_OF_RANGE, "count",
	  "\"count\" must be between -5 and 5" },
	{ "{\"name\": \"a\", \"count\": 1.0}", JM_WRONG_TYPE, "count",
	  "\"count\" must be an integer, not a number" },
	{ "{\"name\": \"a\", \"count\": \"1\"}", JM_WRONG_TYPE, "count",
	  "\"count\" must be an integer, not a string" },
	{ "{\"name\": \"a\", \"on\": 1}", JM_WRONG_TYPE, "on",
	  "\"on\" must be a boolean, not an integer" },
	{ "{\"name\": \"a\", \"opt\": []}", JM_WRONG_TYPE, "opt",
	  "\"opt\" must be an object, not an array" },
	{ "{\"name\": \"a\", \"list\": {}}", JM_WRONG_TYPE, "list",
	  "\"list\" must be an array, not an object" },
	{ "{\"name\": \"a\", \"list\": []}", JM_BAD_LENGTH, "list", "\"list\" must be 1 to 3 items" },
	{ "{\"name\": \"a\", \"list\": [1,2,3,4]}", JM_BAD_LENGTH, "list",
	  "\"list\" must be 1 to 3 items" },
	{ "{\"name\": \"a\", \"colour\": \"Red\"}", JM_NOT_IN_LIST, "colour",
	  "\"colour\" must be one of red|green|blue" },
	{ "{\"name\": \"a\", \"colour\": null}", JM_WRONG_TYPE, "colour",
	  "\"colour\" must be a string, not null" },
	{ "{\"name\": \"a\", \"note\": 5}", JM_WRONG_TYPE, "note", "\"note\" must be text or null" },
	/* the first problem in document order wins, a missing member comes last */
	{ "{\"count\": 9, \"name\": 1}", JM_OUT_OF_RANGE, "count",
	  "\"count\" must be between -5 and 5" },
	{ "{\"extra\": 1}", JM_UNKNOWN, "extra", "unknown key \"extra\"" },
	{ "{\"on\": true}", JM_MISSING, "name", "missing required key \"name\"" },
};

static void test_problems(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct jm_value v[M__N];
		struct jm_error e;
		json_t *root;
		char msg[256];
		int rc = read_text(bad[i].text, v, &e, &root);

		jm_error_message(&e, msg, sizeof(msg));
		/* e.name may point into root: the checks below come before the decref */
		if (rc != -EINVAL || e.problem != bad[i].problem)
			fail_msg("%s: rc %d problem %d, want %d", bad[i].text, rc, (int)e.problem,
				 (int)bad[i].problem);
		if (bad[i].name ? !e.name || strcmp(e.name, bad[i].name) != 0 : e.name != NULL)
			fail_msg("%s: member %s, want %s", bad[i].text, e.name ? e.name : "(none)",
				 bad[i].name ? bad[i].name : "(none)");
		if (strcmp(msg, bad[i].message) != 0)
			fail_msg("%s: message \"%s\", want \"%s\"", bad[i].text, msg, bad[i].message);
		/* the declaration comes back with the error, except for an unknown member */
		if (e.problem != JM_UNKNOWN && e.problem != JM_NOT_OBJECT)
			assert_string_equal(e.member->name, bad[i].name);
		if (e.problem == JM_MISSING)
			assert_null(e.value);
		json_decref(root);
	}
}

/* Integer members without bounds take any integer; a string member without
 * bounds takes the empty string. */
static void test_unbounded(void **state)
{
	static const struct jm_member m[] = {
		{ "n", JM_INTEGER, 0, 0, 0, NULL, NULL },
		{ "s", JM_STRING, 0, 0, 0, NULL, NULL },
		{ "a", JM_ARRAY, 0, 0, 0, NULL, NULL },
	};
	struct jm_value v[3];
	struct jm_error e;
	json_t *root = json_loads("{\"n\": -9223372036854775808, \"s\": \"\", \"a\": []}", 0, NULL);

	(void)state;
	assert_int_equal(jm_read(root, m, 3, v, &e), 0);
	assert_true(v[0].num < -9000000000000000000LL);
	assert_int_equal(v[1].len, 0);
	json_decref(root);
}

/* Errors from a file are placed: a bad value at the value, an unknown member
 * at its key, a missing one at the object holding it. */
static void test_file_positions(void **state)
{
	static const char text[] = "{\n"
				   "  \"inner\": {\n"
				   "    \"name\": \"abc\",\n"
				   "    \"count\": 17,\n"
				   "    \"zzz\": 0\n"
				   "  },\n"
				   "  \"other\": {}\n"
				   "}\n";
	static const struct {
		const char *object;
		const char *drop; /* member removed from the declaration */
		const char *want;
	} cases[] = {
		{ "inner", NULL, "t.json:4:14: \"count\" must be between -5 and 5" },
		{ "other", NULL, "t.json:7:12: missing required key \"name\"" },
	};
	struct jsonfile jf;
	char err[512];
	(void)state;

	assert_int_equal(jsonfile_parse("t.json", text, strlen(text), &jf, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path[] = { cases[i].object, NULL };
		struct jm_value v[M__N];
		int rc = jm_read_file(&jf, path, json_object_get(jf.root, cases[i].object), decl,
				      M__N, v, err, sizeof(err));
		assert_int_equal(rc, -EINVAL);
		assert_string_equal(err, cases[i].want);
	}
	{
		/* with count in range, the unknown "zzz" is found, at its key */
		static const struct jm_member wide[] = {
			{ "name", JM_STRING, JM_REQUIRED, 0, 0, NULL, NULL },
			{ "count", JM_INTEGER, 0, 0, 0, NULL, NULL },
		};
		const char *path[] = { "inner", NULL };
		struct jm_value v[2];
		assert_int_equal(jm_read_file(&jf, path, json_object_get(jf.root, "inner"), wide, 2,
					      v, err, sizeof(err)),
				 -EINVAL);
		assert_string_equal(err, "t.json:5:5: unknown key \"zzz\"");
	}
	jsonfile_release(&jf);

	/* a member given twice never reaches the reader: the file is refused */
	{
		static const char dup[] = "{\"name\": \"a\",\n \"name\": \"b\"}";
		assert_int_equal(jsonfile_parse("d.json", dup, strlen(dup), &jf, err, sizeof(err)),
				 -EINVAL);
	}
	assert_non_null(strstr(err, "d.json:2:"));
	assert_non_null(strstr(err, "duplicate"));
}

/* Every problem at once, in document order and then the missing ones; the
 * members without a problem are read all the same. */
static void test_read_all(void **state)
{
	static const struct jm_member m[] = {
		{ "a", JM_INTEGER, JM_REQUIRED, 0, 10, NULL, NULL },
		{ "b", JM_STRING, JM_REQUIRED, 0, 0, NULL, NULL },
		{ "c", JM_BOOLEAN, 0, 0, 0, NULL, NULL },
		{ "any", JM_ANY, 0, 0, 0, NULL, NULL },
	};
	json_t *root = json_loads("{\"x\": 1, \"a\": 11, \"c\": true, \"y\": 2, \"any\": [null]}",
				  0, NULL);
	struct jm_value v[4];
	struct jm_error e[8];
	size_t n = 99;
	(void)state;

	assert_int_equal(jm_read_all(root, m, 4, v, e, 8, &n), -EINVAL);
	assert_int_equal(n, 4);
	assert_int_equal(e[0].problem, JM_UNKNOWN);
	assert_string_equal(e[0].name, "x");
	assert_int_equal(e[1].problem, JM_OUT_OF_RANGE);
	assert_string_equal(e[1].name, "a");
	assert_int_equal(e[2].problem, JM_UNKNOWN);
	assert_string_equal(e[2].name, "y");
	assert_int_equal(e[3].problem, JM_MISSING);
	assert_string_equal(e[3].name, "b");
	assert_true(v[2].flag);
	assert_true(json_is_array(v[3].json));
	assert_null(v[0].json); /* "a" had a problem: it reads as absent */
	/* at most max */
	assert_int_equal(jm_read_all(root, m, 4, v, e, 2, &n), -EINVAL);
	assert_int_equal(n, 2);
	assert_string_equal(e[1].name, "a");
	json_decref(root);

	root = json_loads("{\"a\": 0, \"b\": \"\", \"any\": null}", 0, NULL);
	assert_int_equal(jm_read_all(root, m, 4, v, e, 8, &n), 0);
	assert_int_equal(n, 0);
	assert_true(json_is_null(v[3].json));
	assert_false(v[3].is_null); /* null is simply a value of an ANY member */
	json_decref(root);
}

static void test_kinds(void **state)
{
	json_t *vals[] = { json_object(), json_array(), json_string("s"), json_integer(1),
			   json_real(1.5), json_true(), json_null() };
	const char *want[] = { "an object", "an array", "a string", "an integer",
			       "a number", "a boolean", "null" };
	(void)state;

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		assert_string_equal(jm_kind(vals[i]), want[i]);
		json_decref(vals[i]);
	}
	assert_string_equal(jm_kind(NULL), "nothing");
	assert_string_equal(jm_type_name(JM_BOOLEAN), "a boolean");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_type),   cmocka_unit_test(test_problems),
		cmocka_unit_test(test_unbounded),    cmocka_unit_test(test_file_positions),
		cmocka_unit_test(test_read_all),     cmocka_unit_test(test_kinds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Strict JSON files: locating a path inside the raw text (nested objects and
 * arrays, escapes, key versus value, absent paths), unknown-key checks,
 * jansson's own position for parse errors, and file loading limits. The
 * locate cases are a table: a document, a path, the expected line:column. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/jsonfile.h"

static char data_dir[1024];

static int setup(void **state)
{
	const char *d = getenv("CXLA_TEST_DATA");
	(void)state;
	snprintf(data_dir, sizeof(data_dir), "%s", d ? d : "tests/data");
	return 0;
}

static const char doc[] =
	"{\n"                                      /* 1 */
	"  \"name\": \"x\",\n"                     /* 2 */
	"  \"nested\": {\n"                        /* 3 */
	"    \"a\": [1, {\"b\": true}, \"s]\"],\n" /* 4 */
	"    \"q\\\"k\": \"v\\\"}\",\n"            /* 5: key q\"k, value v\"} */
	"    \"z\": { }\n"                         /* 6 */
	"  },\n"                                   /* 7 */
	"  \"list\": [\n"                          /* 8 */
	"    [ ],\n"                               /* 9 */
	"    [\"x\", \"y\"]\n"                     /* 10 */
	"  ],\n"                                   /* 11 */
	"  \"t\\u0041b\": 5,\n"                    /* 12: key "tAb" written with an escape */
	"  \"last\":\t\"e\"\n"                     /* 13 */
	"}\n";

struct locate_case {
	const char *path[5];
	int key_pos;
	int rc;
	int line, col;
};

static const struct locate_case locate_cases[] = {
	{ { NULL }, 0, 0, 1, 1 },
	{ { "name", NULL }, 0, 0, 2, 11 },
	{ { "name", NULL }, 1, 0, 2, 3 },
	{ { "nested", NULL }, 0, 0, 3, 13 },
	{ { "nested", "a", NULL }, 0, 0, 4, 10 },
	{ { "nested", "a", NULL }, 1, 0, 4, 5 },
	{ { "nested", "a", "[0]", NULL }, 0, 0, 4, 11 },
	{ { "nested", "a", "[1]", NULL }, 0, 0, 4, 14 },
	{ { "nested", "a", "[1]", "b", NULL }, 0, 0, 4, 20 },
	{ { "nested", "a", "[1]", "b", NULL }, 1, 0, 4, 15 },
	{ { "nested", "a", "[2]", NULL }, 0, 0, 4, 27 },
	/* an escaped quote inside a key and a brace inside a value are skipped
	 * correctly on the way to a later member */
	{ { "nested", "z", NULL }, 0, 0, 6, 10 },
	{ { "nested", "z", NULL }, 1, 0, 6, 5 },
	{ { "list", "[1]", "[1]", NULL }, 0, 0, 10, 11 },
	{ { "list", "[0]", NULL }, 0, 0, 9, 5 },
	{ { "last", NULL }, 0, 0, 13, 11 },
	/* a key written with escapes is found by its decoded name */
	{ { "q\"k", NULL }, 0, -ENOENT, 1, 1 }, /* not at top level */
	{ { "nested", "q\"k", NULL }, 0, 0, 5, 13 },
	{ { "nested", "q\"k", NULL }, 1, 0, 5, 5 },
	{ { "tAb", NULL }, 0, 0, 12, 15 },
	{ { "tAb", NULL }, 1, 0, 12, 3 },
	/* absent paths: -ENOENT at the deepest container found */
	{ { "nosuch", NULL }, 0, -ENOENT, 1, 1 },
	{ { "nested", "nosuch", NULL }, 0, -ENOENT, 3, 13 },
	{ { "nested", "a", "[3]", NULL }, 0, -ENOENT, 4, 10 },
	{ { "nested", "a", "[1]", "c", NULL }, 0, -ENOENT, 4, 14 },
	{ { "nested", "z", "k", NULL }, 0, -ENOENT, 6, 10 },
	{ { "list", "[0]", "[0]", NULL }, 0, -ENOENT, 9, 5 },
	{ { "name", "x", NULL }, 0, -ENOENT, 2, 11 }, /* a string has no members */
	{ { "[0]", NULL }, 0, -ENOENT, 1, 1 },         /* an object has no index */
	{ { "list", "b", NULL }, 0, -ENOENT, 8, 11 },   /* an array has no keys */
	/* a prefix of a key is not the key */
	{ { "nam", NULL }, 0, -ENOENT, 1, 1 },
	{ { "names", NULL }, 0, -ENOENT, 1, 1 },
};

static void test_locate_cases(void **state)
{
	size_t failed = 0;
	json_error_t jerr;
	json_t *j = json_loads(doc, 0, &jerr);
	(void)state;

	if (!j)
		fail_msg("test document does not parse: %d:%d %s", jerr.line, jerr.column, jerr.text);
	json_decref(j);
	for (size_t i = 0; i < sizeof(locate_cases) / sizeof(locate_cases[0]); i++) {
		const struct locate_case *c = &locate_cases[i];
		size_t depth = 0;
		int line = -1, col = -1, rc;

		while (c->path[depth])
			depth++;
		rc = jsonpos_locate(doc, strlen(doc), c->path, depth, c->key_pos, &line, &col);
		if (rc != c->rc || line != c->line || col != c->col) {
			print_error("case %zu (%s/%s/%s key_pos=%d): got %d at %d:%d, want %d at %d:%d\n",
				    i, c->path[0] ? c->path[0] : "", depth > 1 ? c->path[1] : "",
				    depth > 2 ? c->path[2] : "", c->key_pos, rc, line, col, c->rc,
				    c->line, c->col);
			failed++;
		}
	}
	if (failed)
		fail_msg("%zu locate cases failed", failed);
}

static void test_locate_array_root_and_crlf(void **state)
{
	const char *text = "\r\n[\r\n  1,\r\n  {\"k\": \"v\"}\r\n]";
	const char *p1[] = { "[1]", "k" };
	const char *p0[] = { "[0]" };
	int line, col;
	(void)state;

	assert_int_equal(jsonpos_locate(text, strlen(text), p0, 1, 0, &line, &col), 0);
	assert_int_equal(line, 3);
	assert_int_equal(col, 3);
	assert_int_equal(jsonpos_locate(text, strlen(text), p1, 2, 1, &line, &col), 0);
	assert_int_equal(line, 4);
	assert_int_equal(col, 4);
	/* len is honoured: a cut-off document finds nothing past the cut */
	assert_int_equal(jsonpos_locate(text, 8, p1, 2, 0, &line, &col), -ENOENT);
}

static void test_error_format(void **state)
{
	struct jsonfile jf;
	char err[256];
	const char *text = "{\n  \"a\": {\"b\": [10, 20]}\n}";
	const char *path[] = { "a", "b", "[1]", NULL };
	const char *missing[] = { "a", "c", NULL };
	(void)state;

	assert_int_equal(jsonfile_parse("mem.json", text, strlen(text), &jf, err, sizeof(err)), 0);
	assert_string_equal(jf.path, "mem.json");
	assert_int_equal(jf.len, strlen(text));
	assert_int_equal(jsonfile_error(&jf, path, 0, err, sizeof(err), "bad %s %d", "value", 7),
			 -EINVAL);
	assert_string_equal(err, "mem.json:2:19: bad value 7");
	assert_int_equal(jsonfile_error(&jf, missing, 0, err, sizeof(err), "x"), -EINVAL);
	assert_string_equal(err, "mem.json:2:8: x");
	/* truncation never overflows */
	assert_int_equal(jsonfile_error(&jf, path, 0, err, 8, "long message"), -EINVAL);
	assert_int_equal(strlen(err), 7);
	jsonfile_release(&jf);
	jsonfile_release(&jf);
}

static void test_only_keys(void **state)
{
	struct jsonfile jf;
	char err[256] = "";
	const char *text = "{\"outer\": [ {\"Id\": 1,\n \"Name\": \"n\",\n   \"Bogus\": 2} ]}";
	const char *path[] = { "outer", "[0]", NULL };
	const char *allowed[] = { "Id", "Name", "Bogus", NULL };
	const char *fewer[] = { "Id", "Name", NULL };
	const char *none[] = { NULL };
	const char *root_path[] = { NULL };
	json_t *obj;
	(void)state;

	assert_int_equal(jsonfile_parse("k.json", text, strlen(text), &jf, err, sizeof(err)), 0);
	obj = json_array_get(json_object_get(jf.root, "outer"), 0);
	assert_int_equal(jsonfile_only_keys(&jf, path, obj, allowed, err, sizeof(err)), 0);
	assert_int_equal(jsonfile_only_keys(&jf, path, obj, fewer, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "k.json:3:4: unknown key \"Bogus\"");
	assert_int_equal(jsonfile_only_keys(&jf, path, obj, none, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown key"));
	assert_int_equal(jsonfile_only_keys(&jf, root_path, jf.root, fewer, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "k.json:1:2: unknown key \"outer\"");
	jsonfile_release(&jf);
}

static void test_only_keys_deep_path(void **state)
{
	struct jsonfile jf;
	char err[256] = "";
	const char *path[16];
	const char *allowed[] = { NULL };
	(void)state;

	for (size_t i = 0; i < 15; i++)
		path[i] = "x";
	path[15] = NULL;
	assert_int_equal(jsonfile_parse("d", "{\"k\":1}", 7, &jf, err, sizeof(err)), 0);
	assert_int_equal(jsonfile_only_keys(&jf, path, jf.root, allowed, err, sizeof(err)), -E2BIG);
	path[14] = NULL; /* 14 segments + key + terminator fit */
	assert_int_equal(jsonfile_only_keys(&jf, path, jf.root, allowed, err, sizeof(err)), -EINVAL);
	jsonfile_release(&jf);
}

struct parse_case {
	const char *text;
};

static const struct parse_case parse_errors[] = {
	{ "" },
	{ "{" },
	{ "{\"a\": 1,}" },
	{ "{\"a\": 1, \"a\": 2}" }, /* duplicates are refused */
	{ "{\n\n   \"a\": tru }" },
	{ "\"just a string\"" }, /* only objects and arrays */
	{ "{} {}" },
};

static void test_parse_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(parse_errors) / sizeof(parse_errors[0]); i++) {
		const char *text = parse_errors[i].text;
		struct jsonfile jf;
		json_error_t jerr;
		char err[512] = "", want[512];

		assert_null(json_loadb(text, strlen(text), JSON_REJECT_DUPLICATES, &jerr));
		snprintf(want, sizeof(want), "p.json:%d:%d: %s", jerr.line, jerr.column, jerr.text);
		assert_int_equal(jsonfile_parse("p.json", text, strlen(text), &jf, err, sizeof(err)),
				 -EINVAL);
		assert_string_equal(err, want);
		assert_null(jf.root);
		assert_null(jf.text);
	}
}

static void test_load(void **state)
{
	char path[1200], err[1400] = "";
	struct jsonfile jf;
	(void)state;

	snprintf(path, sizeof(path), "%s/config/valid.json", data_dir);
	assert_int_equal(jsonfile_load(path, 1 << 20, &jf, err, sizeof(err)), 0);
	assert_string_equal(jf.path, path);
	assert_true(json_is_object(jf.root));
	assert_int_equal(json_integer_value(json_object_get(jf.root, "port")), 9443);
	assert_int_equal(strlen(jf.text), jf.len);
	size_t len = jf.len;
	jsonfile_release(&jf);

	/* exactly at the limit is fine, one byte less is not */
	assert_int_equal(jsonfile_load(path, len, &jf, err, sizeof(err)), 0);
	jsonfile_release(&jf);
	assert_int_equal(jsonfile_load(path, len - 1, &jf, err, sizeof(err)), -EFBIG);
	assert_true(strncmp(err, path, strlen(path)) == 0);
	assert_null(jf.root);

	snprintf(path, sizeof(path), "%s/config/does-not-exist.json", data_dir);
	assert_int_equal(jsonfile_load(path, 1 << 20, &jf, err, sizeof(err)), -ENOENT);
	assert_true(strncmp(err, path, strlen(path)) == 0);
	assert_null(jf.root);

	snprintf(path, sizeof(path), "%s/config", data_dir);
	assert_int_equal(jsonfile_load(path, 1 << 20, &jf, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));

	/* an empty file is a parse error at jansson's position */
	char tmp[] = "/tmp/cxla-jsonfile-XXXXXX";
	int fd = mkstemp(tmp);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(jsonfile_load(tmp, 1 << 20, &jf, err, sizeof(err)), -EINVAL);
	assert_true(strncmp(err, tmp, strlen(tmp)) == 0);
	assert_null(strstr(err, ":0:0:"));
	unlink(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_locate_cases),
		cmocka_unit_test(test_locate_array_root_and_crlf),
		cmocka_unit_test(test_error_format),
		cmocka_unit_test(test_only_keys),
		cmocka_unit_test(test_only_keys_deep_path),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_load),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}

/* HTTP messages without a server: method tokens, Allow lists, request
 * header lookup, response headers (set, replace, case-insensitive lookup,
 * the limit) and bodies. */
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

#include "http/message.h"

static void test_method_parse(void **state)
{
	static const struct {
		const char *token;
		enum http_method m;
	} cases[] = {
		{ "GET", HTTP_GET },	   { "HEAD", HTTP_HEAD },     { "POST", HTTP_POST },
		{ "PATCH", HTTP_PATCH },   { "PUT", HTTP_PUT },	      { "DELETE", HTTP_DELETE },
		/* methods are case-sensitive (RFC 9110 9.1) */
		{ "get", HTTP_OTHER },	   { "Get", HTTP_OTHER },     { "OPTIONS", HTTP_OTHER },
		{ "TRACE", HTTP_OTHER },   { "CONNECT", HTTP_OTHER }, { "", HTTP_OTHER },
		{ "GET ", HTTP_OTHER },	   { "GETX", HTTP_OTHER },    { "DELET", HTTP_OTHER },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (http_method_parse(cases[i].token) != cases[i].m)
			fail_msg("\"%s\" parsed as %#x", cases[i].token,
				 (unsigned)http_method_parse(cases[i].token));
}

static void test_methods_format(void **state)
{
	static const struct {
		unsigned mask;
		const char *want;
	} cases[] = {
		{ 0, "" },
		{ HTTP_GET, "GET" },
		{ HTTP_GET | HTTP_HEAD, "GET, HEAD" },
		{ HTTP_DELETE | HTTP_GET, "GET, DELETE" },
		{ HTTP_POST, "POST" },
		{ HTTP_GET | HTTP_HEAD | HTTP_POST | HTTP_PATCH | HTTP_PUT | HTTP_DELETE,
		  "GET, HEAD, POST, PATCH, PUT, DELETE" },
		{ HTTP_OTHER, "" },
		{ HTTP_OTHER | HTTP_PATCH, "PATCH" },
	};
	char buf[64];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(buf, 'z', sizeof(buf));
		http_methods_format(cases[i].mask, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].want);
	}
	/* a short buffer gets whole names only, and stays terminated */
	memset(buf, 'z', sizeof(buf));
	http_methods_format(HTTP_GET | HTTP_HEAD | HTTP_POST, buf, 10);
	assert_string_equal(buf, "GET, HEAD");
	http_methods_format(HTTP_GET | HTTP_HEAD, buf, 9);
	assert_string_equal(buf, "GET");
	http_methods_format(HTTP_GET, buf, 3);
	assert_string_equal(buf, "");
	http_methods_format(HTTP_GET, buf, 1);
	assert_string_equal(buf, "");
}

static void test_request_header(void **state)
{
	const struct http_header h[] = {
		{ "Content-Type", "application/json" },
		{ "If-None-Match", "\"abc\"" },
		{ "X-Empty", "" },
		{ "content-type", "second" },
	};
	struct http_request req = { .headers = h, .nheaders = 4 };
	(void)state;

	assert_string_equal(http_request_header(&req, "content-type"), "application/json");
	assert_string_equal(http_request_header(&req, "CONTENT-TYPE"), "application/json");
	assert_string_equal(http_request_header(&req, "if-none-match"), "\"abc\"");
	assert_string_equal(http_request_header(&req, "X-Empty"), "");
	assert_null(http_request_header(&req, "Content"));
	assert_null(http_request_header(&req, "Content-Type-X"));
	req.nheaders = 0;
	assert_null(http_request_header(&req, "Content-Type"));
}

static void test_response_headers(void **state)
{
	struct http_response resp;
	char name[32];
	(void)state;

	http_response_init(&resp);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.nheaders, 0);
	assert_null(http_response_get_header(&resp, "ETag"));

	assert_int_equal(http_response_header(&resp, "ETag", "\"1\""), 0);
	assert_string_equal(http_response_get_header(&resp, "etag"), "\"1\"");
	/* replaced in place whatever the case of the name */
	assert_int_equal(http_response_header(&resp, "ETAG", "\"2\""), 0);
	assert_int_equal(resp.nheaders, 1);
	assert_string_equal(http_response_get_header(&resp, "ETag"), "\"2\"");
	assert_string_equal(resp.headers[0].name, "ETag");

	/* the value is copied */
	char value[] = "v1";
	assert_int_equal(http_response_header(&resp, "X-A", value), 0);
	value[1] = '9';
	assert_string_equal(http_response_get_header(&resp, "x-a"), "v1");

	/* fill up to the limit, then -E2BIG; replacing still works when full */
	while (resp.nheaders < HTTP_MAX_RESP_HEADERS) {
		snprintf(name, sizeof(name), "X-H%zu", resp.nheaders);
		assert_int_equal(http_response_header(&resp, name, "v"), 0);
	}
	assert_int_equal(http_response_header(&resp, "X-One-Too-Many", "v"), -E2BIG);
	assert_null(http_response_get_header(&resp, "X-One-Too-Many"));
	assert_int_equal(resp.nheaders, HTTP_MAX_RESP_HEADERS);
	assert_int_equal(http_response_header(&resp, "etag", "\"3\""), 0);
	assert_string_equal(http_response_get_header(&resp, "ETag"), "\"3\"");
	assert_int_equal(resp.nheaders, HTTP_MAX_RESP_HEADERS);

	http_response_release(&resp);
	assert_int_equal(resp.nheaders, 0);
	assert_null(resp.json);
}

static void test_response_bodies(void **state)
{
	struct http_response resp;
	(void)state;

	http_response_init(&resp);
	http_response_json(&resp, 201, json_pack("{s:i}", "a", 1));
	assert_int_equal(resp.status, 201);
	assert_non_null(resp.json);
	assert_null(resp.content_type);

	/* text replaces JSON (which is released: the sanitizer build checks) */
	assert_int_equal(http_response_text(&resp, 200, "text/plain", "a\0b", 3), 0);
	assert_null(resp.json);
	assert_int_equal(resp.text_len, 3);
	assert_memory_equal(resp.text, "a\0b", 3);
	assert_int_equal(resp.text[3], '\0');
	assert_string_equal(resp.content_type, "text/plain");

	/* and JSON replaces text, resetting the content type */
	http_response_json(&resp, 404, json_object());
	assert_null(resp.text);
	assert_int_equal(resp.text_len, 0);
	assert_null(resp.content_type);
	assert_int_equal(resp.status, 404);
	http_response_release(&resp);
	http_response_release(&resp);
}

static int released;

static void count_release(void *arg)
{
	(void)arg;
	released++;
}

static void test_release_calls_deferred(void **state)
{
	struct http_response resp;
	(void)state;

	http_response_init(&resp);
	resp.defer.release = count_release;
	http_response_release(&resp);
	assert_int_equal(released, 1);
	http_response_release(&resp);
	assert_int_equal(released, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_method_parse),
		cmocka_unit_test(test_methods_format),
		cmocka_unit_test(test_request_header),
		cmocka_unit_test(test_response_headers),
		cmocka_unit_test(test_response_bodies),
		cmocka_unit_test(test_release_calls_deferred),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Accept negotiation: what real clients send is admitted, a header that
 * names only other types (or weighs ours 0) is not, and a header that cannot
 * be read is disregarded rather than refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <cmocka.h>

#include "http/accept.h"

#define JSON "application/json"
#define XML "application/xml"
#define SSE "text/event-stream"
#define OPENMETRICS "application/openmetrics-text"

static void test_absent_or_empty_admits(void **state)
{
	(void)state;
	assert_true(http_accept_allows(NULL, JSON));
	assert_true(http_accept_allows("", JSON));
	assert_true(http_accept_allows("   ", JSON));
	assert_true(http_accept_allows(",", JSON));
	assert_true(http_accept_allows(" , ,", XML));
}

/* The values DSP0266 names and the DMTF protocol validator sends. */
static void test_redfish_values(void **state)
{
	static const char *const json_ok[] = {
		"application/json", "application/json;charset=utf-8", "application/*",
		"application/*;charset=utf-8", "*/*", "*/*;charset=utf-8",
		"application/json; charset=UTF-8", "Application/JSON",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(json_ok) / sizeof(json_ok[0]); i++)
		assert_true(http_accept_allows(json_ok[i], JSON));
	assert_true(http_accept_allows("application/xml", XML));
	assert_true(http_accept_allows("application/xml;charset=utf-8", XML));
	assert_true(http_accept_allows("application/*;charset=utf-8", XML));
	assert_true(http_accept_allows("text/event-stream", SSE));
	assert_true(http_accept_allows("text/event-stream;charset=utf-8", SSE));
	assert_false(http_accept_allows("application/xml", JSON));
	assert_false(http_accept_allows("application/json", XML));
	assert_false(http_accept_allows("text/event-stream", JSON));
	assert_false(http_accept_allows("application/json", SSE));
}

/* What the clients the agent is used with send. */
static void test_real_clients(void **state)
{
	(void)state;
	/* curl, python-requests (sushy, redfishtool) */
	assert_true(http_accept_allows("*/*", JSON));
	/* Firefox and Chrome on a page load */
	assert_true(http_accept_allows("text/html,application/xhtml+xml,application/xml;q=0.9,"
				       "*/*;q=0.8", JSON));
	assert_true(http_accept_allows("text/html,application/xhtml+xml,application/xml;q=0.9,"
				       "image/avif,image/webp,image/apng,*/*;q=0.8,"
				       "application/signed-exchange;v=b3;q=0.7", JSON));
	/* Prometheus 2 and 3 scrapes */
	assert_true(http_accept_allows("application/openmetrics-text;version=1.0.0,"
				       "application/openmetrics-text;version=0.0.1;q=0.75,"
				       "text/plain;version=0.0.4;q=0.5,*/*;q=0.1", OPENMETRICS));
	assert_true(http_accept_allows("application/openmetrics-text;version=1.0.0;"
				       "escaping=allow-utf-8;q=0.6,text/plain;version=1.0.0;"
				       "escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,"
				       "*/*;q=0.2", OPENMETRICS));
	assert_true(http_accept_allows("text/plain;version=0.0.4;q=1,*/*;q=0.1", OPENMETRICS));
	/* EventSource in a browser */
	assert_true(http_accept_allows("text/event-stream", SSE));
}

static void test_weights(void **state)
{
	(void)state;
	assert_false(http_accept_allows("application/json;q=0", JSON));
	assert_false(http_accept_allows("application/json;q=0.000", JSON));
	assert_true(http_accept_allows("application/json;q=0.001", JSON));
	assert_true(http_accept_allows("application/json;Q=1.000", JSON));
	assert_false(http_accept_allows("*/*;q=0", JSON));
	/* The most specific range decides, whatever the order. */
	assert_false(http_accept_allows("application/json;q=0, */*", JSON));
	assert_false(http_accept_allows("*/*, application/json;q=0", JSON));
	assert_false(http_accept_allows("application/*, application/json;q=0", JSON));
	assert_true(http_accept_allows("*/*;q=0, application/json", JSON));
	assert_true(http_accept_allows("*/*;q=0, application/*;q=0.5", JSON));
	assert_false(http_accept_allows("application/*;q=0, */*;q=1", JSON));
	/* Equally specific: the highest weight. */
	assert_true(http_accept_allows("application/json;charset=latin1;q=0, application/json",
				       JSON));
	/* Excluding another type leaves ours to the wildcard. */
	assert_true(http_accept_allows("text/html;q=0, */*", JSON));
	assert_false(http_accept_allows("text/*;q=0.5", JSON));
}

/* Elements that do not parse are skipped; a header of nothing else is
 * disregarded. */
static void test_malformed(void **state)
{
	static const char *const unreadable[] = {
		"json", "application", "application/", "/json", "*/json", "application/json;q=2",
		"application/json;q=0.5.5", "application/json;q=0.0001", "application/json;q=1.5",
		"application/json;q=", "application/json;q=\"0\"", "application/json;=x",
		"application/json;charset", "application/json x", "appli cation/json",
		"text/html;a=\"unclosed", "text/html;a=\"\\", "\x01/\x02", "application/json;;",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(unreadable) / sizeof(unreadable[0]); i++) {
		assert_true(http_accept_allows(unreadable[i], JSON));
		assert_true(http_accept_allows(unreadable[i], XML));
	}
	/* Next to a readable element, only the readable one counts. */
	assert_false(http_accept_allows("application/json;q=2, text/html", JSON));
	assert_false(http_accept_allows("*/json, application/xml", JSON));
	assert_true(http_accept_allows("bogus, application/json", JSON));
	assert_false(http_accept_allows("text/html;a=\"x,application/json\", text/plain", JSON));
	assert_true(http_accept_allows("text/html;a=\"x,\\\"y\", application/json", JSON));
	assert_true(http_accept_allows("text/html;a=b ;q=0.5 , application/json ;q=0.1", JSON));
	assert_true(http_accept_allows("\tapplication/json\t", JSON));
}

/* A type matches on its whole name: no prefix or suffix of another. */
static void test_whole_names(void **state)
{
	(void)state;
	assert_false(http_accept_allows("application/jsonx", JSON));
	assert_false(http_accept_allows("application/jso", JSON));
	assert_false(http_accept_allows("applicationx/json", JSON));
	assert_false(http_accept_allows("app/*", JSON));
	assert_false(http_accept_allows("application/json-seq", JSON));
	assert_false(http_accept_allows("text/event-stream-x", SSE));
	assert_true(http_accept_allows("text/*", SSE));
	assert_false(http_accept_allows("text/*", JSON));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absent_or_empty_admits),
		cmocka_unit_test(test_redfish_values),
		cmocka_unit_test(test_real_clients),
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_whole_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

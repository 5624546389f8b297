/* The body cache serves a stored body only for the same URI and version. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "redfish/body_cache.h"

static void stored(struct http_response *r, const char *text, const char *etag)
{
	http_response_init(r);
	assert_int_equal(http_response_text(r, 200, "application/json", text, strlen(text)), 0);
	assert_int_equal(http_response_header(r, "ETag", etag), 0);
}

static void test_hit_and_misses(void **state)
{
	struct body_cache *c;
	struct http_response put, got;
	(void)state;

	assert_int_equal(body_cache_new(8, &c), 0);
	stored(&put, "{\"a\":1}", "\"e1\"");
	body_cache_put(c, "/redfish/v1/X", 7, &put);
	http_response_release(&put);

	http_response_init(&got);
	assert_int_equal(body_cache_get(c, "/redfish/v1/X", 7, &got), 1);
	assert_string_equal(got.text, "{\"a\":1}");
	assert_int_equal(got.text_len, 7);
	assert_int_equal(got.status, 200);
	assert_string_equal(http_response_get_header(&got, "ETag"), "\"e1\"");
	http_response_release(&got);

	http_response_init(&got);
	assert_int_equal(body_cache_get(c, "/redfish/v1/X", 8, &got), 0); /* changed since */
	assert_int_equal(body_cache_get(c, "/redfish/v1/Y", 7, &got), 0); /* other URI */
	assert_null(got.text);
	http_response_release(&got);
	body_cache_free(c);
}

static void test_collisions_replace(void **state)
{
	struct body_cache *c;
	struct http_response r;
	char path[32];
	(void)state;

	/* One slot: every URI shares it, the newest wins, no wrong body. */
	assert_int_equal(body_cache_new(1, &c), 0);
	for (int i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "/p/%d", i);
		stored(&r, path, "\"t\"");
		body_cache_put(c, path, 1, &r);
		http_response_release(&r);
	}
	http_response_init(&r);
	assert_int_equal(body_cache_get(c, "/p/3", 1, &r), 0);
	assert_int_equal(body_cache_get(c, "/p/4", 1, &r), 1);
	assert_string_equal(r.text, "/p/4");
	http_response_release(&r);
	body_cache_free(c);
}

static void test_only_complete_200s(void **state)
{
	struct body_cache *c;
	struct http_response r;
	(void)state;

	assert_int_equal(body_cache_new(4, &c), 0);
	stored(&r, "{}", "\"x\"");
	r.status = 404;
	body_cache_put(c, "/a", 1, &r);
	http_response_release(&r);
	http_response_init(&r);
	assert_int_equal(http_response_text(&r, 200, "application/json", "{}", 2), 0);
	body_cache_put(c, "/b", 1, &r); /* no ETag: not kept */
	http_response_release(&r);
	http_response_init(&r);
	assert_int_equal(body_cache_get(c, "/a", 1, &r), 0);
	assert_int_equal(body_cache_get(c, "/b", 1, &r), 0);
	http_response_release(&r);
	body_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_and_misses),
		cmocka_unit_test(test_collisions_replace),
		cmocka_unit_test(test_only_complete_200s),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

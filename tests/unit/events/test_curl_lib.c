/* libcurl is loaded on first use, once per process, and what it hands out is
 * the real library: a URL parses and an easy handle takes options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "events/curl_lib.h"

static void test_loads_once(void **state)
{
	const struct curl_lib *a = NULL, *b = NULL;
	(void)state;

	assert_int_equal(curl_lib_get(&a), 0);
	assert_non_null(a);
	assert_int_equal(curl_lib_get(&b), 0);
	assert_ptr_equal(a, b);
}

static void test_entry_points_work(void **state)
{
	const struct curl_lib *cl;
	struct curl_slist *l;
	char *host = NULL;
	CURLU *u;
	CURL *c;
	(void)state;

	assert_int_equal(curl_lib_get(&cl), 0);
	u = cl->url();
	assert_non_null(u);
	assert_int_equal(cl->url_set(u, CURLUPART_URL, "https://[::1]:8443/x", 0), CURLUE_OK);
	assert_int_equal(cl->url_get(u, CURLUPART_HOST, &host, 0), CURLUE_OK);
	assert_string_equal(host, "[::1]");
	cl->free(host);
	cl->url_cleanup(u);

	c = cl->easy_init();
	assert_non_null(c);
	assert_int_equal(cl->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https"), CURLE_OK);
	assert_non_null(cl->easy_strerror(CURLE_COULDNT_CONNECT));
	cl->easy_cleanup(c);
	l = cl->slist_append(NULL, "A: b");
	assert_non_null(l);
	cl->slist_free_all(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loads_once),
		cmocka_unit_test(test_entry_points_work),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

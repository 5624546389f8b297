/* The trust one delivery is given: a configured CA bundle is the only one
 * (libcurl's built-in CA directory is switched off, not merely added to),
 * no bundle leaves libcurl's own store alone, and the peer and its name
 * are verified either way. libcurl is replaced by a recorder here: this
 * file's curl_lib_get() is linked before the core library's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "events/curl_lib.h"
#include "events/https_post.h"

/* What the last transfer was told. */
static struct {
	bool cainfo_set, capath_set;
	const char *cainfo, *capath;
	long verify_peer, verify_host;
	int performed;
} seen;

static int handle;

static CURL *fake_easy_init(void)
{
	return (CURL *)&handle;
}

static CURLcode fake_easy_setopt(CURL *c, CURLoption opt, ...)
{
	va_list ap;
	(void)c;

	va_start(ap, opt);
	switch (opt) {
	case CURLOPT_CAINFO:
		seen.cainfo_set = true;
		seen.cainfo = va_arg(ap, const char *);
		break;
	case CURLOPT_CAPATH:
		seen.capath_set = true;
		seen.capath = va_arg(ap, const char *);
		break;
	case CURLOPT_SSL_VERIFYPEER:
		seen.verify_peer = va_arg(ap, long);
		break;
	case CURLOPT_SSL_VERIFYHOST:
		seen.verify_host = va_arg(ap, long);
		break;
	default:
		break;
	}
	va_end(ap);
	return CURLE_OK;
}

static CURLcode fake_easy_perform(CURL *c)
{
	(void)c;
	seen.performed++;
	return CURLE_OK;
}

static CURLcode fake_easy_getinfo(CURL *c, CURLINFO info, ...)
{
	va_list ap;
	(void)c;

	va_start(ap, info);
	if (info == CURLINFO_RESPONSE_CODE)
		*va_arg(ap, long *) = 204;
	va_end(ap);
	return CURLE_OK;
}

static void fake_easy_cleanup(CURL *c)
{
	(void)c;
}

static const char *fake_easy_strerror(CURLcode cc)
{
	(void)cc;
	return "fake";
}

static struct curl_slist *fake_slist_append(struct curl_slist *list, const char *s)
{
	struct curl_slist *n = calloc(1, sizeof(*n)), *last = list;

	if (!n)
		return NULL;
	n->data = (char *)s; /* the recorder never frees or changes it */
	if (!list)
		return n;
	while (last->next)
		last = last->next;
	last->next = n;
	return list;
}

static void fake_slist_free_all(struct curl_slist *list)
{
	while (list) {
		struct curl_slist *next = list->next;
		free(list);
		list = next;
	}
}

static const struct curl_lib fake = {
	.easy_init = fake_easy_init,
	.easy_setopt = fake_easy_setopt,
	.easy_perform = fake_easy_perform,
	.easy_getinfo = fake_easy_getinfo,
	.easy_cleanup = fake_easy_cleanup,
	.easy_strerror = fake_easy_strerror,
	.slist_append = fake_slist_append,
	.slist_free_all = fake_slist_free_all,
};

int curl_lib_get(const struct curl_lib **out)
{
	*out = &fake;
	return 0;
}

static int post(const char *ca_file)
{
	static char body[] = "{}";
	const char *headers[] = { "X-Token: t" };
	struct https_post p = { .url = "https://127.0.0.1:9/e", .body = body, .ca_file = ca_file,
				.headers = headers, .nheaders = 1, .timeout_s = 5 };
	char err[CURL_ERROR_SIZE] = "";

	memset(&seen, 0, sizeof(seen));
	return https_post_json(&p, err, sizeof(err));
}

static void test_configured_bundle_is_the_only_trust(void **state)
{
	(void)state;

	assert_int_equal(post("/etc/cxl-agent/collectors-ca.pem"), 0);
	assert_int_equal(seen.performed, 1);
	assert_true(seen.cainfo_set);
	assert_string_equal(seen.cainfo, "/etc/cxl-agent/collectors-ca.pem");
	/* Unset, libcurl would add its built-in directory of public CAs. */
	assert_true(seen.capath_set);
	assert_null(seen.capath);
	assert_int_equal(seen.verify_peer, 1);
	assert_int_equal(seen.verify_host, 2);
}

static void test_no_bundle_keeps_the_system_store(void **state)
{
	(void)state;

	assert_int_equal(post(NULL), 0);
	assert_int_equal(seen.performed, 1);
	assert_false(seen.cainfo_set);
	assert_false(seen.capath_set);
	assert_int_equal(seen.verify_peer, 1);
	assert_int_equal(seen.verify_host, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_configured_bundle_is_the_only_trust),
		cmocka_unit_test(test_no_bundle_keeps_the_system_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* An event stream's EventDestination: its Id space and its resource. */
#include <setjmp.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "events/sse_dest.h"

#define BASE "/redfish/v1/EventService/Subscriptions"

static void test_ids(void **state)
{
	static const char *const bad[] = {
		"SSE-", "SSE-0", "SSE-01", "SSE--1", "SSE-+1", "SSE-1a", "SSE-1 ", "sse-1", "1", "",
		"SSE-18446744073709551616",
	};
	uint64_t n = 0;
	(void)state;

	assert_int_equal(sse_dest_parse_id("SSE-1", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(sse_dest_parse_id("SSE-18446744073709551615", &n), 0);
	assert_true(n == UINT64_MAX);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sse_dest_parse_id(bad[i], &n) != -EINVAL)
			fail_msg("\"%s\" taken as a stream's Id", bad[i]);
	assert_int_equal(sse_dest_parse_id(NULL, &n), -EINVAL);
	/* Push subscriptions' Ids are plain numbers: never in this space. */
	assert_false(sse_dest_is_id("1"));
	assert_false(sse_dest_is_id(NULL));
	assert_true(sse_dest_is_id("SSE-7"));
}

static void test_resource(void **state)
{
	json_t *lists = json_pack("{s:[s]}", "RegistryPrefixes", "ResourceEvent");
	json_t *doc = sse_dest_json(BASE, 12, "RegistryPrefix eq 'ResourceEvent'", lists);
	(void)state;

	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "@odata.id")), BASE "/SSE-12");
	assert_string_equal(json_string_value(json_object_get(doc, "Id")), "SSE-12");
	assert_string_equal(json_string_value(json_object_get(doc, "SubscriptionType")), "SSE");
	assert_string_equal(json_string_value(json_object_get(doc, "Protocol")), "Redfish");
	/* Required by the schema, and a string (DMTF's protocol validator). */
	assert_string_equal(json_string_value(json_object_get(doc, "Context")), "");
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "Status"), "State")),
			    "Enabled");
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(doc, "RegistryPrefixes"), 0)),
			    "ResourceEvent");
	assert_non_null(strstr(json_string_value(json_object_get(doc, "Description")),
			       "$filter=RegistryPrefix eq 'ResourceEvent'"));
	/* Nothing that names where events go or what is sent with them. */
	assert_null(json_object_get(doc, "Destination"));
	assert_int_equal(json_array_size(json_object_get(doc, "HttpHeaders")), 0);
	assert_null(json_object_get(doc, "Actions"));
	json_decref(doc);

	/* A filter without a list form: Description alone says it. */
	doc = sse_dest_json(BASE, 3, "RegistryPrefix eq 'A' or MessageId eq 'B.1.0.C'", NULL);
	assert_non_null(doc);
	assert_null(json_object_get(doc, "RegistryPrefixes"));
	assert_null(json_object_get(doc, "MessageIds"));
	assert_non_null(strstr(json_string_value(json_object_get(doc, "Description")),
			       "or MessageId eq 'B.1.0.C'"));
	json_decref(doc);
	json_decref(lists);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_resource),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

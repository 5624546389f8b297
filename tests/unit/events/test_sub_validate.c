/* Subscription input checks: destinations, registries, resource types,
 * message ids, OriginResources and HttpHeaders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "events/sub_validate.h"

static void test_destinations(void **state)
{
	struct sub_error e;
	(void)state;

	assert_int_equal(sub_check_destination("https://127.0.0.1:8443/events", &e), 0);
	assert_int_equal(sub_check_destination("https://[::1]/x", &e), 0);
	assert_int_equal(sub_check_destination("http://127.0.0.1/x", &e), -EINVAL);
	assert_string_equal(e.message_id, "PropertyValueFormatError");
	assert_int_equal(e.nargs, 2);
	assert_int_equal(sub_check_destination("https://", &e), -EINVAL);
	assert_int_equal(sub_check_destination("not a url", &e), -EINVAL);
	assert_int_equal(sub_check_destination("ftp://host/x", &e), -EINVAL);
	/* A credential in the URL would be shown to every reader: refused,
	 * and not echoed in the refusal. */
	assert_int_equal(sub_check_destination("https://fleet:pw@127.0.0.1/x", &e), -EINVAL);
	assert_string_equal(e.message_id, "PropertyValueFormatError");
	assert_null(strstr(e.args[0], "pw@"));
	assert_int_equal(sub_check_destination("https://:pw@127.0.0.1/x", &e), -EINVAL);
	assert_int_equal(sub_check_destination("https://fleet@127.0.0.1/x", &e), -EINVAL);
	char longurl[1200];
	memset(longurl, 'a', sizeof(longurl) - 1);
	memcpy(longurl, "https://", 8);
	longurl[sizeof(longurl) - 1] = '\0';
	assert_int_equal(sub_check_destination(longurl, &e), -EINVAL);
	assert_string_equal(e.message_id, "StringValueTooLong");
}

static void test_lists(void **state)
{
	struct sub_error e;
	json_t *out = NULL, *in;
	(void)state;

	assert_true(sub_known_prefix("ResourceEvent"));
	assert_true(sub_known_prefix("CxlAgent"));
	assert_false(sub_known_prefix("Base"));
	assert_true(sub_known_type("PCIeDevice"));
	assert_false(sub_known_type("Toaster"));
	assert_true(sub_valid_message_id("TaskEvent.1.0.TaskStarted"));
	assert_false(sub_valid_message_id("TaskEvent."));
	assert_false(sub_valid_message_id("Nope.1.0.X"));
	/* The deprecated EventTypes older clients still send; no metric
	 * reports are published, so that one value is refused. */
	assert_true(sub_known_event_type("Alert"));
	assert_true(sub_known_event_type("Other"));
	assert_false(sub_known_event_type("MetricReport"));
	assert_false(sub_known_event_type("alert"));

	in = json_pack("[s, s]", "ResourceEvent", "TaskEvent");
	assert_int_equal(sub_check_list(in, "RegistryPrefixes", sub_known_prefix, &out, &e), 0);
	assert_int_equal(json_array_size(out), 2);
	json_decref(out);
	json_decref(in);
	in = json_pack("[s, i]", "ResourceEvent", 3);
	assert_int_equal(sub_check_list(in, "RegistryPrefixes", sub_known_prefix, &out, &e), -EINVAL);
	assert_string_equal(e.message_id, "PropertyValueTypeError");
	json_decref(in);
	in = json_pack("[s]", "Nope");
	assert_int_equal(sub_check_list(in, "RegistryPrefixes", sub_known_prefix, &out, &e), -EINVAL);
	assert_string_equal(e.message_id, "PropertyValueNotInList");
	assert_string_equal(e.args[0], "Nope");
	json_decref(in);
	assert_int_equal(sub_check_list(NULL, "X", NULL, &out, &e), 0);
	assert_int_equal(json_array_size(out), 0);
	json_decref(out);
}

static void test_filter_conflict(void **state)
{
	json_t *empty = json_array(), *prefixes = json_pack("[s]", "ResourceEvent"),
	       *ids = json_pack("[s]", "TaskEvent.1.0.TaskStarted");
	struct sub_error e;
	(void)state;

	assert_int_equal(sub_check_filter_conflict(empty, empty, &e), 0);
	assert_int_equal(sub_check_filter_conflict(prefixes, empty, &e), 0);
	assert_int_equal(sub_check_filter_conflict(empty, ids, &e), 0);
	assert_int_equal(sub_check_filter_conflict(NULL, ids, &e), 0);
	assert_int_equal(sub_check_filter_conflict(prefixes, NULL, &e), 0);
	assert_int_equal(sub_check_filter_conflict(prefixes, ids, &e), -EINVAL);
	assert_int_equal(e.status, 400);
	assert_string_equal(e.message_id, "PropertyValueConflict");
	assert_int_equal(e.nargs, 2);
	assert_string_equal(e.args[0], "RegistryPrefixes");
	assert_string_equal(e.args[1], "MessageIds");
	json_decref(empty);
	json_decref(prefixes);
	json_decref(ids);
}

static void test_origins(void **state)
{
	struct sub_error e;
	json_t *out = NULL, *in;
	(void)state;

	in = json_pack("[{s:s}]", "@odata.id", "/redfish/v1/Chassis/host");
	assert_int_equal(sub_check_origins(in, &out, &e), 0);
	assert_string_equal(json_string_value(json_array_get(out, 0)), "/redfish/v1/Chassis/host");
	json_decref(out);
	json_decref(in);
	in = json_pack("[{s:s}]", "@odata.id", "http://elsewhere/");
	assert_int_equal(sub_check_origins(in, &out, &e), -EINVAL);
	assert_null(out);
	json_decref(in);
	in = json_pack("[s]", "/redfish/v1");
	assert_int_equal(sub_check_origins(in, &out, &e), -EINVAL);
	json_decref(in);
}

/* One header object {name: value} through sub_check_headers. */
static int check_one(const char *name, const char *value, struct sub_error *e)
{
	json_t *in = json_pack("[{s:s}]", name, value), *out = NULL, *lines = NULL;
	int rc = sub_check_headers(in, &out, &lines, e);

	json_decref(in);
	json_decref(out);
	json_decref(lines);
	return rc;
}

static void test_headers(void **state)
{
	struct sub_error e;
	json_t *out = NULL, *lines = NULL, *in;
	char big[SUB_HEADER_VALUE_MAX + 2];
	(void)state;

	assert_int_equal(sub_check_headers(NULL, &out, &lines, &e), 0);
	assert_int_equal(json_array_size(out), 0);
	assert_int_equal(json_array_size(lines), 0);
	json_decref(out);
	json_decref(lines);
	in = json_pack("[{s:s}, {s:s}]", "Authorization", "Bearer abc", "X-Fleet", "rack 7");
	assert_int_equal(sub_check_headers(in, &out, &lines, &e), 0);
	assert_true(json_equal(in, out));
	assert_string_equal(json_string_value(json_array_get(lines, 0)), "Authorization: Bearer abc");
	assert_string_equal(json_string_value(json_array_get(lines, 1)), "X-Fleet: rack 7");
	json_decref(in);
	json_decref(out);
	json_decref(lines);

	/* A line break would end the header and start another one. */
	assert_int_equal(check_one("X-Token", "secret\r\nX-Evil: 1", &e), -EINVAL);
	assert_string_equal(e.message_id, "PropertyValueFormatError");
	assert_null(strstr(e.args[0], "secret"));
	assert_int_equal(check_one("X-Token", "a\nb", &e), -EINVAL);
	assert_int_equal(check_one("X-A: b", "v", &e), -EINVAL);
	assert_int_equal(check_one("", "v", &e), -EINVAL);
	assert_int_equal(check_one("X Token", "v", &e), -EINVAL);
	/* What libcurl writes from the request itself. */
	assert_int_equal(check_one("content-length", "0", &e), -EINVAL);
	assert_int_equal(check_one("Host", "elsewhere", &e), -EINVAL);
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(check_one("X-Big", big, &e), -EINVAL);
	big[SUB_HEADER_VALUE_MAX] = '\0';
	assert_int_equal(check_one("X-Big", big, &e), 0);

	in = json_pack("[{s:i}]", "X-Token", 5);
	assert_int_equal(sub_check_headers(in, &out, &lines, &e), -EINVAL);
	assert_string_equal(e.message_id, "PropertyValueTypeError");
	assert_null(out);
	assert_null(lines);
	json_decref(in);
	in = json_pack("{s:s}", "X-Token", "v");
	assert_int_equal(sub_check_headers(in, &out, &lines, &e), -EINVAL);
	json_decref(in);
	in = json_array();
	for (int i = 0; i <= SUB_HEADERS_MAX; i++) {
		char name[16];
		snprintf(name, sizeof(name), "X-H%d", i);
		json_array_append_new(in, json_pack("{s:s}", name, "v"));
	}
	assert_int_equal(sub_check_headers(in, &out, &lines, &e), -EINVAL);
	json_array_remove(in, 0);
	assert_int_equal(sub_check_headers(in, &out, &lines, &e), 0);
	json_decref(out);
	json_decref(lines);
	json_decref(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_destinations),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_filter_conflict),
		cmocka_unit_test(test_origins),
		cmocka_unit_test(test_headers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

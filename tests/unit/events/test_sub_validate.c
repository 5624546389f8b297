/* Subscription input checks: destinations, registries, resource types,
 * message ids and OriginResources. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_destinations),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_origins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Redfish error bodies: the built-in table agrees with DMTF's Base 1.22.1
 * registry (checked against ../shared when present), argument substitution,
 * wrong argument counts, the error body shape, unknown ids, appended
 * messages, and allocation failure inside jansson at every step. */
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
#include <jansson.h>

#include "http/message.h"
#include "redfish/error.h"

static void test_registry_matches_dmtf(void **state)
{
	const char *src = getenv("CXLA_SOURCE_DIR");
	char path[1024];
	json_error_t jerr;
	json_t *reg, *msgs;
	size_t n = 0;
	(void)state;

	snprintf(path, sizeof(path), "%s/../shared/redfish/registries/Base.1.22.1.json",
		 src ? src : ".");
	if (access(path, R_OK) != 0) {
		print_message("skipping: %s not present\n", path);
		skip();
	}
	reg = json_load_file(path, 0, &jerr);
	assert_non_null(reg);
	assert_string_equal(json_string_value(json_object_get(reg, "Id")), RF_BASE_REGISTRY);
	msgs = json_object_get(reg, "Messages");
	assert_true(json_is_object(msgs));
	for (const char *id; (id = rf_message_id_at(n)); n++) {
		json_t *m = json_object_get(msgs, id);
		const char *message, *severity, *resolution;
		const char *want_sev;

		if (!m)
			fail_msg("%s is not in %s", id, path);
		assert_int_equal(rf_message_template(id, &message, &severity, &resolution), 0);
		if (rf_message_nargs(id) != json_integer_value(json_object_get(m, "NumberOfArgs")))
			fail_msg("%s: %d arguments, registry says %lld", id, rf_message_nargs(id),
				 (long long)json_integer_value(json_object_get(m, "NumberOfArgs")));
		if (strcmp(message, json_string_value(json_object_get(m, "Message"))) != 0)
			fail_msg("%s: message \"%s\", registry says \"%s\"", id, message,
				 json_string_value(json_object_get(m, "Message")));
		want_sev = json_string_value(json_object_get(m, "MessageSeverity"));
		if (!want_sev)
			want_sev = json_string_value(json_object_get(m, "Severity"));
		if (!want_sev || strcmp(severity, want_sev) != 0)
			fail_msg("%s: severity %s, registry says %s", id, severity,
				 want_sev ? want_sev : "(none)");
		if (strcmp(resolution, json_string_value(json_object_get(m, "Resolution"))) != 0)
			fail_msg("%s: resolution differs from the registry", id);
		/* each id appears once in the table */
		for (size_t k = 0; k < n; k++)
			if (strcmp(rf_message_id_at(k), id) == 0)
				fail_msg("%s is in the table twice", id);
	}
	assert_true(n >= 10);
	json_decref(reg);
}

/* Ids the agent's code uses must be there with the arity it passes. */
static void test_known_ids(void **state)
{
	static const struct {
		const char *id;
		int nargs;
	} used[] = {
		{ "InternalError", 0 },	       { "NoValidSession", 0 },
		{ "InsufficientPrivilege", 0 }, { "ResourceNotFound", 2 },
		{ "OperationNotAllowed", 0 },   { "PayloadTooLarge", 0 },
		{ "GeneralError", 0 },	       { "QueryParameterUnsupported", 1 },
		{ "MalformedJSON", 0 },	       { "PropertyUnknown", 1 },
		{ "ActionParameterValueTypeError", 3 },
	};
	const char *m, *s, *r;
	(void)state;

	for (size_t i = 0; i < sizeof(used) / sizeof(used[0]); i++)
		assert_int_equal(rf_message_nargs(used[i].id), used[i].nargs);
	assert_int_equal(rf_message_nargs("NoSuchMessage"), -1);
	assert_int_equal(rf_message_nargs("resourcenotfound"), -1);
	assert_int_equal(rf_message_template("NoSuchMessage", &m, &s, &r), -1);
	assert_null(rf_message_id_at(100000));
}

static void test_message(void **state)
{
	const char *args[] = { "Manager", "bmc-2" };
	json_t *m = rf_message("ResourceNotFound", args, 2);
	(void)state;

	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "@odata.type")),
			    "#Message.v1_3_0.Message");
	assert_string_equal(json_string_value(json_object_get(m, "MessageId")),
			    "Base.1.22.1.ResourceNotFound");
	assert_string_equal(json_string_value(json_object_get(m, "Message")),
			    "The requested resource of type Manager named 'bmc-2' was not found.");
	assert_int_equal(json_array_size(json_object_get(m, "MessageArgs")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(m, "MessageArgs"), 0)),
			    "Manager");
	assert_string_equal(json_string_value(json_array_get(json_object_get(m, "MessageArgs"), 1)),
			    "bmc-2");
	assert_string_equal(json_string_value(json_object_get(m, "MessageSeverity")), "Critical");
	assert_string_equal(json_string_value(json_object_get(m, "Resolution")),
			    "Provide a valid resource identifier and resubmit the request.");
	json_decref(m);

	/* zero arguments: an empty MessageArgs array */
	m = rf_message("InternalError", NULL, 0);
	assert_non_null(m);
	assert_true(json_is_array(json_object_get(m, "MessageArgs")));
	assert_int_equal(json_array_size(json_object_get(m, "MessageArgs")), 0);
	json_decref(m);
}

struct subst_case {
	const char *id;
	const char *args[3];
	size_t nargs;
	const char *want;
};

static const struct subst_case subst_cases[] = {
	{ "ActionParameterValueTypeError", { "12", "Opcode", "Submit" }, 3,
	  "The value '12' for the parameter Opcode in the action Submit is not a type that the "
	  "parameter can accept." },
	/* arguments are inserted literally, never re-expanded */
	{ "PropertyUnknown", { "%1%2" }, 1,
	  "The property %1%2 is not in the list of valid properties for the resource." },
	{ "PropertyValueNotInList", { "", "P" }, 2,
	  "The value '' for the property P is not in the list of acceptable values." },
	{ "PropertyValueNotInList", { "\"quoted\"\n", "P" }, 2,
	  "The value '\"quoted\"\n' for the property P is not in the list of acceptable values." },
	{ "ServiceTemporarilyUnavailable", { "30" }, 1,
	  "The service is temporarily unavailable.  Retry in 30 seconds." },
};

static void test_substitution(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(subst_cases) / sizeof(subst_cases[0]); i++) {
		const struct subst_case *c = &subst_cases[i];
		json_t *m = rf_message(c->id, c->args, c->nargs);
		assert_non_null(m);
		assert_string_equal(json_string_value(json_object_get(m, "Message")), c->want);
		json_decref(m);
	}
}

/* A very long argument is cut, never overflowing, and the message stays a
 * valid string. */
static void test_long_argument(void **state)
{
	char big[4000];
	const char *args[] = { big };
	json_t *m;
	(void)state;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	m = rf_message("PropertyUnknown", args, 1);
	assert_non_null(m);
	assert_true(json_string_length(json_object_get(m, "Message")) < sizeof(big));
	assert_true(strncmp(json_string_value(json_object_get(m, "Message")), "The property xxx",
			    16) == 0);
	/* the argument itself is kept whole */
	assert_string_equal(json_string_value(json_array_get(json_object_get(m, "MessageArgs"), 0)),
			    big);
	json_decref(m);
}

static void test_wrong_count(void **state)
{
	const char *args[] = { "a", "b", "c" };
	(void)state;

	assert_null(rf_message("ResourceNotFound", args, 1));
	assert_null(rf_message("ResourceNotFound", args, 3));
	assert_null(rf_message("InternalError", args, 1));
	assert_null(rf_message("NoSuchMessage", NULL, 0));
	assert_null(rf_message("", NULL, 0));
}

/* The body: {"error": {"code", "message", "@Message.ExtendedInfo": [msg]}}
 * and nothing else. */
static void check_error_body(const struct http_response *resp, int status, const char *id,
			     const char *message)
{
	json_t *err, *info, *m;
	char code[96];

	snprintf(code, sizeof(code), "Base.1.22.1.%s", id);
	assert_int_equal(resp->status, status);
	assert_non_null(resp->json);
	assert_int_equal(json_object_size(resp->json), 1);
	err = json_object_get(resp->json, "error");
	assert_true(json_is_object(err));
	assert_int_equal(json_object_size(err), 3);
	assert_string_equal(json_string_value(json_object_get(err, "code")), code);
	assert_string_equal(json_string_value(json_object_get(err, "message")), message);
	info = json_object_get(err, "@Message.ExtendedInfo");
	assert_true(json_is_array(info));
	assert_true(json_array_size(info) >= 1);
	m = json_array_get(info, 0);
	assert_string_equal(json_string_value(json_object_get(m, "MessageId")), code);
	assert_string_equal(json_string_value(json_object_get(m, "Message")), message);
}

static void test_error_body(void **state)
{
	struct http_response resp;
	(void)state;

	http_response_init(&resp);
	rf_error2(&resp, 404, "ResourceNotFound", "Manager", "x");
	check_error_body(&resp, 404, "ResourceNotFound",
			 "The requested resource of type Manager named 'x' was not found.");
	assert_null(resp.text);
	assert_null(resp.content_type);
	http_response_release(&resp);

	http_response_init(&resp);
	rf_error0(&resp, 401, "NoValidSession");
	check_error_body(&resp, 401, "NoValidSession",
			 "There is no valid session established with the implementation.");
	http_response_release(&resp);

	http_response_init(&resp);
	rf_error1(&resp, 501, "QueryParameterUnsupported", "$expand");
	check_error_body(&resp, 501, "QueryParameterUnsupported",
			 "Query parameter '$expand' is not supported.");
	http_response_release(&resp);

	http_response_init(&resp);
	rf_error3(&resp, 400, "ActionParameterValueTypeError", "v", "p", "a");
	check_error_body(&resp, 400, "ActionParameterValueTypeError",
			 "The value 'v' for the parameter p in the action a is not a type that the "
			 "parameter can accept.");
	http_response_release(&resp);

	/* an error replaces a body already there */
	http_response_init(&resp);
	assert_int_equal(http_response_text(&resp, 200, "text/plain", "hello", 5), 0);
	rf_error0(&resp, 500, "InternalError");
	assert_null(resp.text);
	assert_int_equal(resp.text_len, 0);
	check_error_body(&resp, 500, "InternalError",
			 "The request failed due to an internal service error.  The service is "
			 "still operational.");
	http_response_release(&resp);
}

static void test_error_unknown_id(void **state)
{
	static const char internal[] =
		"The request failed due to an internal service error.  The service is still "
		"operational.";
	struct http_response resp;
	const char *args[] = { "a" };
	(void)state;

	http_response_init(&resp);
	rf_error0(&resp, 404, "NoSuchMessage");
	check_error_body(&resp, 500, "InternalError", internal);
	http_response_release(&resp);

	/* a known id with the wrong number of arguments is the same bug */
	http_response_init(&resp);
	rf_error(&resp, 404, "ResourceNotFound", args, 1);
	check_error_body(&resp, 500, "InternalError", internal);
	http_response_release(&resp);
}

static void test_error_append(void **state)
{
	struct http_response resp;
	json_t *info;
	(void)state;

	http_response_init(&resp);
	rf_error1(&resp, 400, "PropertyUnknown", "A");
	rf_error_append(&resp, rf_message("PropertyUnknown", (const char *[]){ "B" }, 1));
	rf_error_append(&resp, NULL);
	info = json_object_get(json_object_get(resp.json, "error"), "@Message.ExtendedInfo");
	assert_int_equal(json_array_size(info), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_array_get(info, 1),
									       "MessageArgs"),
							  0)),
			    "B");
	http_response_release(&resp);

	/* appending to a response without an error body drops the message
	 * (the sanitizer build checks it is freed) */
	http_response_init(&resp);
	http_response_json(&resp, 200, json_object());
	rf_error_append(&resp, rf_message("InternalError", NULL, 0));
	assert_int_equal(json_object_size(resp.json), 0);
	http_response_release(&resp);
}

/* Allocation failure: make the Nth jansson allocation fail, for every N.
 * "Never fails: on allocation failure the response becomes a bare 500", so
 * the answer is either the complete error or a 500. */
static size_t chaos_count, chaos_fail_at;
static int chaos_failed;

static void *chaos_malloc(size_t n)
{
	if (chaos_count++ == chaos_fail_at) {
		chaos_failed = 1;
		return NULL;
	}
	return malloc(n);
}

static void test_error_chaos(void **state)
{
	size_t runs = 0, bad = 0;
	(void)state;

	for (size_t n = 0;; n++) {
		struct http_response resp;
		int complete;

		http_response_init(&resp);
		chaos_count = 0;
		chaos_fail_at = n;
		chaos_failed = 0;
		json_set_alloc_funcs(chaos_malloc, free);
		rf_error2(&resp, 404, "ResourceNotFound", "Manager", "x");
		json_set_alloc_funcs(malloc, free);
		runs++;

		complete = resp.status == 404 &&
			   json_is_array(json_object_get(json_object_get(resp.json, "error"),
							 "@Message.ExtendedInfo"));
		if (!complete && resp.status != 500) {
			print_error("allocation %zu failing: status %d, body %s\n", n, resp.status,
				    resp.json ? "present" : "missing");
			bad++;
		}
		http_response_release(&resp);
		if (!chaos_failed)
			break;
	}
	assert_true(runs > 5);
	if (bad)
		fail_msg("%zu of %zu allocation failures left a non-500 without a complete body",
			 bad, runs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_matches_dmtf),
		cmocka_unit_test(test_known_ids),
		cmocka_unit_test(test_message),
		cmocka_unit_test(test_substitution),
		cmocka_unit_test(test_long_argument),
		cmocka_unit_test(test_wrong_count),
		cmocka_unit_test(test_error_body),
		cmocka_unit_test(test_error_unknown_id),
		cmocka_unit_test(test_error_append),
		cmocka_unit_test(test_error_chaos),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

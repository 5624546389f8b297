/* Redfish error bodies: every message function against DMTF's Base 1.22.1
 * registry in ../shared (message id, number of arguments, substitution,
 * severity, resolution) and the status it answers with; every message the
 * agent can send has a function tested here; arguments are inserted
 * literally and cut safely; Property* problems accumulate while other
 * errors replace; appended details; Retry-After; and allocation failure
 * inside jansson at every step. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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

/* ---- the calls under test: one row per function ---- */

#define A1 "arg-one"
#define A2 "arg-two"
#define A3 "arg-three"

struct call {
	const char *id;     /* the Base message it must send */
	int status;         /* the status it must answer with */
	size_t nargs;       /* arguments it passes: A1, A2, A3 in order */
	void (*run)(struct http_response *resp);
};

static void c_malformed(struct http_response *r) { rf_malformed_json(r); }
static void c_empty(struct http_response *r) { rf_empty_json(r); }
static void c_unknown(struct http_response *r) { rf_property_unknown(r, A1); }
static void c_not_writable(struct http_response *r) { rf_property_not_writable(r, A1); }
static void c_type(struct http_response *r) { rf_property_value_type_error(r, A1, A2); }
static void c_not_in_list(struct http_response *r) { rf_property_value_not_in_list(r, A1, A2); }
static void c_format(struct http_response *r) { rf_property_value_format_error(r, A1, A2); }
static void c_range(struct http_response *r) { rf_property_value_out_of_range(r, A1, A2); }
static void c_incorrect(struct http_response *r) { rf_property_value_incorrect(r, A1, A2); }
static void c_conflict(struct http_response *r) { rf_property_value_conflict(r, A1, A2); }
static void c_too_long(struct http_response *r) { rf_string_value_too_long(r, A1, 42); }
static void c_missing(struct http_response *r) { rf_create_failed_missing_req_properties(r, A1); }
static void c_pw_length(struct http_response *r) { rf_password_incorrect_length(r); }
static void c_query_value(struct http_response *r) { rf_query_parameter_value_error(r, A1); }
static void c_query_type(struct http_response *r) { rf_query_parameter_value_type_error(r, A1, A2); }
static void c_query_format(struct http_response *r) { rf_query_parameter_value_format_error(r, A1, A2); }
static void c_query_range(struct http_response *r) { rf_query_parameter_out_of_range(r, A1, A2, A3); }
static void c_query_resource(struct http_response *r) { rf_query_not_supported_on_resource(r); }
static void c_query_operation(struct http_response *r) { rf_query_not_supported_on_operation(r); }
static void c_query_combination(struct http_response *r) { rf_query_combination_invalid(r); }
static void c_ap_unknown(struct http_response *r) { rf_action_parameter_unknown(r, A1, A2); }
static void c_ap_value(struct http_response *r) { rf_action_parameter_value_error(r, A1, A2); }
static void c_ap_type(struct http_response *r) { rf_action_parameter_value_type_error(r, A1, A2, A3); }
static void c_ap_format(struct http_response *r) { rf_action_parameter_value_format_error(r, A1, A2, A3); }
static void c_ap_conflict(struct http_response *r) { rf_action_parameter_value_conflict(r, A1, A2); }
static void c_no_session(struct http_response *r) { rf_no_valid_session(r); }
static void c_privilege(struct http_response *r) { rf_insufficient_privilege(r); }
static void c_not_found(struct http_response *r) { rf_resource_not_found(r, A1, A2); }
static void c_not_allowed(struct http_response *r) { rf_operation_not_allowed(r); }
static void c_exists(struct http_response *r) { rf_resource_already_exists(r, A1, A2, A3); }
static void c_res_conflict(struct http_response *r) { rf_property_value_resource_conflict(r, A1, A2, A3); }
static void c_limit(struct http_response *r) { rf_create_limit_reached_for_resource(r); }
static void c_no_delete(struct http_response *r) { rf_resource_cannot_be_deleted(r); }
static void c_in_use(struct http_response *r) { rf_resource_in_use(r); }
static void c_precondition(struct http_response *r) { rf_precondition_failed(r); }
static void c_too_large(struct http_response *r) { rf_payload_too_large(r); }
static void c_invalid_uri(struct http_response *r) { rf_invalid_uri(r, A1); }
static void c_header_invalid(struct http_response *r) { rf_header_invalid_precondition(r, A1); }
static void c_media(struct http_response *r) { rf_unsupported_media_type(r); }
static void c_internal(struct http_response *r) { rf_internal_error(r); }
static void c_no_operation(struct http_response *r) { rf_no_operation(r); }
static void c_query_unsup(struct http_response *r) { rf_query_parameter_unsupported(r, A1); }
static void c_action_unsup(struct http_response *r) { rf_action_not_supported(r, A1); }
static void c_unavailable(struct http_response *r) { rf_service_temporarily_unavailable(r, 17); }
static void c_throttled(struct http_response *r) { rf_too_many_requests(r, 17); }
static void c_session_limit(struct http_response *r) { rf_session_limit_exceeded(r); }
static void c_timeout(struct http_response *r) { rf_operation_timeout(r); }
static void c_general_409(struct http_response *r) { rf_general_error(r, 409); }
static void c_general_502(struct http_response *r) { rf_general_error(r, 502); }

/* Statuses as DSP0266 and the agent use them; nargs counts A1..A3 (the
 * numeric arguments of StringValueTooLong and ServiceTemporarilyUnavailable
 * are checked by name below). */
static const struct call calls[] = {
	{ "MalformedJSON", 400, 0, c_malformed },
	{ "EmptyJSON", 400, 0, c_empty },
	{ "NoOperation", 400, 0, c_no_operation },
	{ "PropertyUnknown", 400, 1, c_unknown },
	{ "PropertyNotWritable", 400, 1, c_not_writable },
	{ "PropertyValueTypeError", 400, 2, c_type },
	{ "PropertyValueNotInList", 400, 2, c_not_in_list },
	{ "PropertyValueFormatError", 400, 2, c_format },
	{ "PropertyValueOutOfRange", 400, 2, c_range },
	{ "PropertyValueIncorrect", 400, 2, c_incorrect },
	{ "PropertyValueConflict", 400, 2, c_conflict },
	{ "StringValueTooLong", 400, 1, c_too_long },
	{ "CreateFailedMissingReqProperties", 400, 1, c_missing },
	{ "PasswordIncorrectLength", 400, 0, c_pw_length },
	{ "QueryParameterValueError", 400, 1, c_query_value },
	{ "QueryParameterValueTypeError", 400, 2, c_query_type },
	{ "QueryParameterValueFormatError", 400, 2, c_query_format },
	{ "QueryParameterOutOfRange", 400, 3, c_query_range },
	{ "QueryNotSupportedOnResource", 400, 0, c_query_resource },
	{ "QueryNotSupportedOnOperation", 400, 0, c_query_operation },
	{ "QueryCombinationInvalid", 400, 0, c_query_combination },
	{ "ActionParameterUnknown", 400, 2, c_ap_unknown },
	{ "ActionParameterValueError", 400, 2, c_ap_value },
	{ "ActionParameterValueTypeError", 400, 3, c_ap_type },
	{ "ActionParameterValueFormatError", 400, 3, c_ap_format },
	{ "ActionParameterValueConflict", 400, 2, c_ap_conflict },
	{ "NoValidSession", 401, 0, c_no_session },
	{ "InsufficientPrivilege", 403, 0, c_privilege },
	{ "ResourceNotFound", 404, 2, c_not_found },
	{ "OperationNotAllowed", 405, 0, c_not_allowed },
	{ "ResourceAlreadyExists", 409, 3, c_exists },
	{ "PropertyValueResourceConflict", 409, 3, c_res_conflict },
	{ "CreateLimitReachedForResource", 409, 0, c_limit },
	{ "ResourceCannotBeDeleted", 409, 0, c_no_delete },
	{ "ResourceInUse", 409, 0, c_in_use },
	{ "PreconditionFailed", 412, 0, c_precondition },
	{ "PayloadTooLarge", 413, 0, c_too_large },
	{ "InvalidURI", 400, 1, c_invalid_uri },
	{ "HeaderInvalid", 412, 1, c_header_invalid },
	{ "GeneralError", 415, 0, c_media },
	{ "InternalError", 500, 0, c_internal },
	{ "QueryParameterUnsupported", 501, 1, c_query_unsup },
	{ "ActionNotSupported", 501, 1, c_action_unsup },
	{ "ServiceTemporarilyUnavailable", 503, 0, c_unavailable },
	{ "ServiceTemporarilyUnavailable", 429, 0, c_throttled },
	{ "SessionLimitExceeded", 503, 0, c_session_limit },
	{ "OperationTimeout", 504, 0, c_timeout },
	{ "GeneralError", 409, 0, c_general_409 },
	{ "GeneralError", 502, 0, c_general_502 },
};
#define NCALLS (sizeof(calls) / sizeof(calls[0]))

/* The Base registry from ../shared. Its absence is a failure, never a
 * skip: without it nothing here is checked against DMTF. */
static json_t *load_base_registry(void)
{
	const char *dir = getenv("CXLA_SHARED_DIR");
	char path[1024];
	json_error_t jerr;
	json_t *reg;

	if (!dir)
		fail_msg("CXLA_SHARED_DIR is not set: it names the shared reference directory "
			 "holding redfish/registries/Base.1.22.1.json (tests/CMakeLists.txt sets it)");
	snprintf(path, sizeof(path), "%s/redfish/registries/Base.1.22.1.json", dir);
	reg = json_load_file(path, 0, &jerr);
	if (!reg)
		fail_msg("cannot read DMTF's Base registry %s (%s): the message functions cannot "
			 "be checked without it", path, jerr.text);
	assert_string_equal(json_string_value(json_object_get(reg, "Id")), RF_BASE_REGISTRY);
	return reg;
}

/* Arguments the call passed, in order. */
static size_t call_args(const struct call *c, const char **args)
{
	static const char *const given[] = { A1, A2, A3 };
	size_t n = 0;
	for (; n < c->nargs; n++)
		args[n] = given[n];
	if (strcmp(c->id, "StringValueTooLong") == 0)
		args[n++] = "42";
	else if (strcmp(c->id, "ServiceTemporarilyUnavailable") == 0)
		args[n++] = "17";
	return n;
}

/* The registry's text with %1..%9 replaced by args. */
static void substitute(const char *tmpl, const char *const *args, size_t nargs, char *out,
		       size_t len)
{
	size_t o = 0;
	for (const char *p = tmpl; *p && o + 1 < len; p++) {
		if (p[0] == '%' && p[1] >= '1' && p[1] <= '9' && (size_t)(p[1] - '1') < nargs) {
			o += (size_t)snprintf(out + o, len - o, "%s", args[p[1] - '1']);
			p++;
			continue;
		}
		out[o++] = *p;
	}
	out[o < len ? o : len - 1] = '\0';
}

static json_t *first_message(const struct http_response *resp)
{
	return json_array_get(json_object_get(json_object_get(resp->json, "error"),
					      "@Message.ExtendedInfo"),
			      0);
}

static void check_call(const struct call *c, json_t *msgs)
{
	struct http_response resp;
	const char *args[4];
	size_t nargs = call_args(c, args);
	json_t *def = json_object_get(msgs, c->id), *m, *margs, *err;
	char code[96], want[1024];
	const char *sev;

	if (!def)
		fail_msg("%s is not a message of %s", c->id, RF_BASE_REGISTRY);
	http_response_init(&resp);
	c->run(&resp);
	snprintf(code, sizeof(code), "%s.%s", RF_BASE_REGISTRY, c->id);
	if (resp.status != c->status)
		fail_msg("%s: status %d, want %d", c->id, resp.status, c->status);
	err = json_object_get(resp.json, "error");
	m = first_message(&resp);
	assert_string_equal(json_string_value(json_object_get(err, "code")), code);
	assert_string_equal(json_string_value(json_object_get(m, "MessageId")), code);
	assert_string_equal(json_string_value(json_object_get(m, "@odata.type")),
			    "#Message.v1_3_0.Message");
	if ((json_int_t)nargs != json_integer_value(json_object_get(def, "NumberOfArgs")))
		fail_msg("%s: %zu arguments, the registry says %lld", c->id, nargs,
			 (long long)json_integer_value(json_object_get(def, "NumberOfArgs")));
	margs = json_object_get(m, "MessageArgs");
	assert_int_equal(json_array_size(margs), nargs);
	for (size_t i = 0; i < nargs; i++)
		assert_string_equal(json_string_value(json_array_get(margs, i)), args[i]);
	substitute(json_string_value(json_object_get(def, "Message")), args, nargs, want,
		   sizeof(want));
	if (strcmp(json_string_value(json_object_get(m, "Message")), want) != 0)
		fail_msg("%s: message \"%s\", want \"%s\"", c->id,
			 json_string_value(json_object_get(m, "Message")), want);
	sev = json_string_value(json_object_get(def, "MessageSeverity"));
	assert_non_null(sev);
	assert_string_equal(json_string_value(json_object_get(def, "Severity")), sev);
	assert_string_equal(json_string_value(json_object_get(m, "MessageSeverity")), sev);
	assert_string_equal(json_string_value(json_object_get(m, "Resolution")),
			    json_string_value(json_object_get(def, "Resolution")));
	/* the error's own message is the first one's, except for the media
	 * type refusal, which says what was wrong */
	if (c->run != c_media)
		assert_string_equal(json_string_value(json_object_get(err, "message")), want);
	else
		assert_string_equal(json_string_value(json_object_get(err, "message")),
				    "The request body must be application/json.");
	http_response_release(&resp);
}

static void test_every_function_against_registry(void **state)
{
	json_t *reg = load_base_registry();
	json_t *msgs = json_object_get(reg, "Messages");
	(void)state;

	assert_true(json_is_object(msgs));
	for (size_t i = 0; i < NCALLS; i++)
		check_call(&calls[i], msgs);
	json_decref(reg);
}

/* Every message the agent can send is sent by a function tested above. */
static void test_every_message_has_a_tested_function(void **state)
{
	size_t n = 0;
	(void)state;

	for (const char *id; (id = rf_message_id_at(n)); n++) {
		bool tested = false;
		for (size_t i = 0; i < NCALLS && !tested; i++)
			tested = strcmp(calls[i].id, id) == 0;
		if (!tested)
			fail_msg("%s can be sent but no function sending it is tested here", id);
		for (size_t k = 0; k < n; k++)
			if (strcmp(rf_message_id_at(k), id) == 0)
				fail_msg("%s is in the table twice", id);
	}
	assert_true(n >= 30);
	for (size_t i = 0; i < NCALLS; i++) {
		bool known = false;
		for (size_t k = 0; k < n && !known; k++)
			known = strcmp(rf_message_id_at(k), calls[i].id) == 0;
		assert_true(known);
	}
}

static void test_retry_after(void **state)
{
	struct http_response resp;
	(void)state;

	http_response_init(&resp);
	rf_service_temporarily_unavailable(&resp, 60);
	assert_int_equal(resp.status, 503);
	assert_string_equal(http_response_get_header(&resp, "Retry-After"), "60");
	assert_string_equal(json_string_value(json_object_get(first_message(&resp), "Message")),
			    "The service is temporarily unavailable.  Retry in 60 seconds.");
	http_response_release(&resp);

	http_response_init(&resp);
	rf_too_many_requests(&resp, 3);
	assert_int_equal(resp.status, 429);
	assert_string_equal(http_response_get_header(&resp, "Retry-After"), "3");
	http_response_release(&resp);
}

/* Arguments are inserted literally, never re-expanded; a very long one is
 * cut in the text, never overflowing, and kept whole in MessageArgs. */
static void test_arguments(void **state)
{
	struct http_response resp;
	char big[4000];
	json_t *m;
	(void)state;

	http_response_init(&resp);
	rf_property_unknown(&resp, "%1%2");
	m = first_message(&resp);
	assert_string_equal(json_string_value(json_object_get(m, "Message")),
			    "The property %1%2 is not in the list of valid properties for the "
			    "resource.");
	http_response_release(&resp);

	http_response_init(&resp);
	rf_property_value_not_in_list(&resp, "\"quoted\"\n", "P");
	assert_string_equal(json_string_value(json_object_get(first_message(&resp), "Message")),
			    "The value '\"quoted\"\n' for the property P is not in the list of "
			    "acceptable values.");
	http_response_release(&resp);

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	http_response_init(&resp);
	rf_property_unknown(&resp, big);
	m = first_message(&resp);
	assert_true(json_string_length(json_object_get(m, "Message")) < sizeof(big));
	assert_true(strncmp(json_string_value(json_object_get(m, "Message")), "The property xxx",
			    16) == 0);
	assert_string_equal(json_string_value(json_array_get(json_object_get(m, "MessageArgs"), 0)),
			    big);
	http_response_release(&resp);
}

static size_t info_count(const struct http_response *resp)
{
	return json_array_size(json_object_get(json_object_get(resp->json, "error"),
					       "@Message.ExtendedInfo"));
}

/* Property problems accumulate into one 400; any other error replaces what
 * resp held, a body or an earlier error. */
static void test_accumulate_and_replace(void **state)
{
	struct http_response resp;
	json_t *info;
	(void)state;

	http_response_init(&resp);
	rf_property_unknown(&resp, "A");
	rf_property_not_writable(&resp, "B");
	rf_property_value_type_error(&resp, "1", "C");
	assert_int_equal(resp.status, 400);
	assert_int_equal(info_count(&resp), 3);
	info = json_object_get(json_object_get(resp.json, "error"), "@Message.ExtendedInfo");
	assert_string_equal(json_string_value(json_object_get(json_array_get(info, 1),
							      "MessageId")),
			    "Base.1.22.1.PropertyNotWritable");
	/* the error's code stays the first problem's */
	assert_string_equal(json_string_value(json_object_get(json_object_get(resp.json, "error"),
							      "code")),
			    "Base.1.22.1.PropertyUnknown");
	rf_resource_not_found(&resp, "T", "n");
	assert_int_equal(resp.status, 404);
	assert_int_equal(info_count(&resp), 1);
	/* a property problem after another status starts a new 400 */
	rf_property_unknown(&resp, "D");
	assert_int_equal(resp.status, 400);
	assert_int_equal(info_count(&resp), 1);
	http_response_release(&resp);

	/* an error replaces a body already there */
	http_response_init(&resp);
	assert_int_equal(http_response_text(&resp, 200, "text/plain", "hello", 5), 0);
	rf_internal_error(&resp);
	assert_int_equal(resp.status, 500);
	assert_null(resp.text);
	assert_int_equal(resp.text_len, 0);
	assert_int_equal(info_count(&resp), 1);
	http_response_release(&resp);

	/* a 200 JSON body is not an error to add to */
	http_response_init(&resp);
	http_response_json(&resp, 400, json_object());
	rf_property_unknown(&resp, "E");
	assert_int_equal(info_count(&resp), 1);
	http_response_release(&resp);
}

static void test_append_and_general_message(void **state)
{
	struct http_response resp;
	json_t *info, *m;
	(void)state;

	m = rf_general_error_message("the device said no");
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "MessageId")),
			    "Base.1.22.1.GeneralError");
	assert_string_equal(json_string_value(json_object_get(m, "Message")), "the device said no");
	assert_int_equal(json_array_size(json_object_get(m, "MessageArgs")), 0);

	http_response_init(&resp);
	rf_general_error(&resp, 502);
	rf_error_append(&resp, m);
	rf_error_append(&resp, NULL);
	info = json_object_get(json_object_get(resp.json, "error"), "@Message.ExtendedInfo");
	assert_int_equal(json_array_size(info), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(info, 1), "Message")),
			    "the device said no");
	http_response_release(&resp);

	/* appending to a response without an error body drops the message
	 * (the sanitizer build checks it is freed) */
	http_response_init(&resp);
	http_response_json(&resp, 200, json_object());
	rf_error_append(&resp, rf_general_error_message("dropped"));
	assert_int_equal(json_object_size(resp.json), 0);
	http_response_release(&resp);
}

/* Allocation failure: make the Nth jansson allocation fail, for every N.
 * The answer is either the complete error or a 500. */
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
		rf_resource_not_found(&resp, "Manager", "x");
		rf_error_append(&resp, rf_general_error_message("more"));
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
		cmocka_unit_test(test_every_function_against_registry),
		cmocka_unit_test(test_every_message_has_a_tested_function),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_accumulate_and_replace),
		cmocka_unit_test(test_append_and_general_message),
		cmocka_unit_test(test_error_chaos),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

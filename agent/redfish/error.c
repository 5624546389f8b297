#include "redfish/error.h"

#include <stdio.h>
#include <string.h>

/* The Base messages the agent sends. Only this file names them. */
enum base_id {
	M_MALFORMED_JSON,
	M_EMPTY_JSON,
	M_PROPERTY_UNKNOWN,
	M_PROPERTY_NOT_WRITABLE,
	M_PROPERTY_VALUE_TYPE_ERROR,
	M_PROPERTY_VALUE_NOT_IN_LIST,
	M_PROPERTY_VALUE_FORMAT_ERROR,
	M_PROPERTY_VALUE_OUT_OF_RANGE,
	M_PROPERTY_VALUE_INCORRECT,
	M_PROPERTY_VALUE_CONFLICT,
	M_STRING_VALUE_TOO_LONG,
	M_CREATE_FAILED_MISSING_REQ_PROPERTIES,
	M_PASSWORD_INCORRECT_LENGTH,
	M_QUERY_PARAMETER_VALUE_ERROR,
	M_QUERY_PARAMETER_VALUE_TYPE_ERROR,
	M_QUERY_PARAMETER_VALUE_FORMAT_ERROR,
	M_QUERY_PARAMETER_OUT_OF_RANGE,
	M_QUERY_NOT_SUPPORTED_ON_RESOURCE,
	M_QUERY_NOT_SUPPORTED_ON_OPERATION,
	M_QUERY_COMBINATION_INVALID,
	M_ACTION_PARAMETER_UNKNOWN,
	M_ACTION_PARAMETER_VALUE_ERROR,
	M_ACTION_PARAMETER_VALUE_TYPE_ERROR,
	M_ACTION_PARAMETER_VALUE_FORMAT_ERROR,
	M_ACTION_PARAMETER_VALUE_CONFLICT,
	M_NO_VALID_SESSION,
	M_INSUFFICIENT_PRIVILEGE,
	M_RESOURCE_NOT_FOUND,
	M_OPERATION_NOT_ALLOWED,
	M_RESOURCE_ALREADY_EXISTS,
	M_PROPERTY_VALUE_RESOURCE_CONFLICT,
	M_CREATE_LIMIT_REACHED_FOR_RESOURCE,
	M_RESOURCE_CANNOT_BE_DELETED,
	M_RESOURCE_IN_USE,
	M_PRECONDITION_FAILED,
	M_PAYLOAD_TOO_LARGE,
	M_INTERNAL_ERROR,
	M_QUERY_PARAMETER_UNSUPPORTED,
	M_ACTION_NOT_SUPPORTED,
	M_SERVICE_TEMPORARILY_UNAVAILABLE,
	M_SESSION_LIMIT_EXCEEDED,
	M_OPERATION_TIMEOUT,
	M_GENERAL_ERROR,
	M_INVALID_URI,
	M_HEADER_INVALID,
	M_NO_OPERATION,
	M_COUNT
};

struct base_message {
	const char *id;
	int nargs;
	const char *severity;
	const char *message;
	const char *resolution;
};

/* As published by DMTF in Base 1.22.1 (a unit test compares them). */
static const struct base_message base_messages[M_COUNT] = {
	[M_MALFORMED_JSON] = { "MalformedJSON", 0, "Critical", "The request body submitted was malformed JSON and could not be parsed by the receiving service.",
		"Ensure that the request body is valid JSON and resubmit the request." },
	[M_NO_OPERATION] = { "NoOperation", 0, "Warning", "The request body submitted contain no data to act upon and no changes to the resource took place.",
		"Add properties in the JSON object and resubmit the request." },
	[M_EMPTY_JSON] = { "EmptyJSON", 0, "Warning", "The request body submitted contained an empty JSON object and the service is unable to process it.",
		"Add properties in the JSON object and resubmit the request." },
	[M_PROPERTY_UNKNOWN] = { "PropertyUnknown", 1, "Warning", "The property %1 is not in the list of valid properties for the resource.",
		"Remove the unknown property from the request body and resubmit the request if the operation failed." },
	[M_PROPERTY_NOT_WRITABLE] = { "PropertyNotWritable", 1, "Warning", "The property %1 is a read-only property and cannot be assigned a value.",
		"Remove the property from the request body and resubmit the request if the operation failed." },
	[M_PROPERTY_VALUE_TYPE_ERROR] = { "PropertyValueTypeError", 2, "Warning", "The value '%1' for the property %2 is not a type that the property can accept.",
		"Correct the value for the property in the request body and resubmit the request if the operation failed." },
	[M_PROPERTY_VALUE_NOT_IN_LIST] = { "PropertyValueNotInList", 2, "Warning", "The value '%1' for the property %2 is not in the list of acceptable values.",
		"Choose a value from the enumeration list that the implementation can support and resubmit the request if the operation failed." },
	[M_PROPERTY_VALUE_FORMAT_ERROR] = { "PropertyValueFormatError", 2, "Warning", "The value '%1' for the property %2 is not a format that the property can accept.",
		"Correct the value for the property in the request body and resubmit the request if the operation failed." },
	[M_PROPERTY_VALUE_OUT_OF_RANGE] = { "PropertyValueOutOfRange", 2, "Warning", "The value '%1' for the property %2 is not in the supported range of acceptable values.",
		"Correct the value for the property in the request body and resubmit the request if the operation failed." },
	[M_PROPERTY_VALUE_INCORRECT] = { "PropertyValueIncorrect", 2, "Warning", "The property '%1' with the requested value of '%2' could not be written because the value is not acceptable for the property.",
		"None." },
	[M_PROPERTY_VALUE_CONFLICT] = { "PropertyValueConflict", 2, "Warning", "The property '%1' could not be written because its value would conflict with the value of the '%2' property.",
		"None." },
	[M_STRING_VALUE_TOO_LONG] = { "StringValueTooLong", 2, "Warning", "The string '%1' exceeds the length limit %2.",
		"Resubmit the request with an appropriate string length." },
	[M_CREATE_FAILED_MISSING_REQ_PROPERTIES] = { "CreateFailedMissingReqProperties", 1, "Critical", "The create operation failed because the required property %1 was missing from the request.",
		"Correct the body to include the required property with a valid value and resubmit the request if the operation failed." },
	[M_PASSWORD_INCORRECT_LENGTH] = { "PasswordIncorrectLength", 0, "Critical", "The password provided for this account does not meet the password length requirements of the service.",
		"Resubmit the request with a password that meets the password length requirements as specified by the `MinPasswordLength` and `MaxPasswordLength` properties in the `AccountService` resource." },
	[M_QUERY_PARAMETER_VALUE_ERROR] = { "QueryParameterValueError", 1, "Warning", "The value for the parameter %1 is invalid.",
		"Correct the value for the query parameter in the request and resubmit the request if the operation failed." },
	[M_QUERY_PARAMETER_VALUE_TYPE_ERROR] = { "QueryParameterValueTypeError", 2, "Warning", "The value '%1' for the query parameter %2 is not a type that the parameter can accept.",
		"Correct the value for the query parameter in the request and resubmit the request if the operation failed." },
	[M_QUERY_PARAMETER_VALUE_FORMAT_ERROR] = { "QueryParameterValueFormatError", 2, "Warning", "The value '%1' for the parameter %2 is not a format that the parameter can accept.",
		"Correct the value for the query parameter in the request and resubmit the request if the operation failed." },
	[M_QUERY_PARAMETER_OUT_OF_RANGE] = { "QueryParameterOutOfRange", 3, "Warning", "The value '%1' for the query parameter %2 is out of range %3.",
		"Reduce the value for the query parameter to a value that is within range, such as a start or count value that is within bounds of the number of resources in a collection or a page number that is within the range of valid pages." },
	[M_QUERY_NOT_SUPPORTED_ON_RESOURCE] = { "QueryNotSupportedOnResource", 0, "Warning", "Querying is not supported on the requested resource.",
		"Remove the query parameters and resubmit the request if the operation failed." },
	[M_QUERY_NOT_SUPPORTED_ON_OPERATION] = { "QueryNotSupportedOnOperation", 0, "Warning", "Querying is not supported with the requested operation.",
		"Remove the query parameters and resubmit the request if the operation failed." },
	[M_QUERY_COMBINATION_INVALID] = { "QueryCombinationInvalid", 0, "Warning", "Two or more query parameters in the request cannot be used together.",
		"Remove one or more of the query parameters and resubmit the request if the operation failed." },
	[M_ACTION_PARAMETER_UNKNOWN] = { "ActionParameterUnknown", 2, "Warning", "The action %1 was submitted with the invalid parameter %2.",
		"Correct the invalid action parameter and resubmit the request if the operation failed." },
	[M_ACTION_PARAMETER_VALUE_ERROR] = { "ActionParameterValueError", 2, "Warning", "The value for the parameter %1 in the action %2 is invalid.",
		"Correct the value for the parameter in the request body and resubmit the request if the operation failed." },
	[M_ACTION_PARAMETER_VALUE_TYPE_ERROR] = { "ActionParameterValueTypeError", 3, "Warning", "The value '%1' for the parameter %2 in the action %3 is not a type that the parameter can accept.",
		"Correct the value for the parameter in the request body and resubmit the request if the operation failed." },
	[M_ACTION_PARAMETER_VALUE_FORMAT_ERROR] = { "ActionParameterValueFormatError", 3, "Warning", "The value '%1' for the parameter %2 in the action %3 is not a format that the parameter can accept.",
		"Correct the value for the parameter in the request body and resubmit the request if the operation failed." },
	[M_ACTION_PARAMETER_VALUE_CONFLICT] = { "ActionParameterValueConflict", 2, "Warning", "The parameter '%1' with the requested value of '%2' does not meet the constraints of the implementation.",
		"None." },
	[M_NO_VALID_SESSION] = { "NoValidSession", 0, "Critical", "There is no valid session established with the implementation.",
		"Establish a session before attempting any operations." },
	[M_INSUFFICIENT_PRIVILEGE] = { "InsufficientPrivilege", 0, "Critical", "There are insufficient privileges for the account or credentials associated with the current session to perform the requested operation.",
		"Either abandon the operation or change the associated access rights and resubmit the request if the operation failed." },
	[M_RESOURCE_NOT_FOUND] = { "ResourceNotFound", 2, "Critical", "The requested resource of type %1 named '%2' was not found.",
		"Provide a valid resource identifier and resubmit the request." },
	[M_OPERATION_NOT_ALLOWED] = { "OperationNotAllowed", 0, "Critical", "The HTTP method is not allowed on this resource.",
		"None." },
	[M_RESOURCE_ALREADY_EXISTS] = { "ResourceAlreadyExists", 3, "Critical", "The requested resource of type %1 with the property %2 with the value '%3' already exists.",
		"Do not repeat the create operation as the resource was already created." },
	[M_PROPERTY_VALUE_RESOURCE_CONFLICT] = { "PropertyValueResourceConflict", 3, "Warning", "The property '%1' with the requested value of '%2' could not be written because the value conflicts with the state or configuration of the resource at '%3'.",
		"None." },
	[M_CREATE_LIMIT_REACHED_FOR_RESOURCE] = { "CreateLimitReachedForResource", 0, "Critical", "The create operation failed because the resource has reached the limit of possible resources.",
		"Either delete resources and resubmit the request if the operation failed or do not resubmit the request." },
	[M_RESOURCE_CANNOT_BE_DELETED] = { "ResourceCannotBeDeleted", 0, "Critical", "The delete request failed because the resource requested cannot be deleted.",
		"Do not attempt to delete a non-deletable resource." },
	[M_RESOURCE_IN_USE] = { "ResourceInUse", 0, "Warning", "The change to the requested resource failed because the resource is in use or in transition.",
		"Remove the condition and resubmit the request if the operation failed." },
	[M_PRECONDITION_FAILED] = { "PreconditionFailed", 0, "Critical", "The ETag supplied did not match the ETag required to change this resource.",
		"Try the operation again using the appropriate ETag." },
	[M_PAYLOAD_TOO_LARGE] = { "PayloadTooLarge", 0, "Critical", "The supplied payload exceeds the maximum size supported by the service.",
		"Check that the supplied payload is correct and supported by this service." },
	[M_INTERNAL_ERROR] = { "InternalError", 0, "Critical", "The request failed due to an internal service error.  The service is still operational.",
		"Resubmit the request.  If the problem persists, consider resetting the service." },
	[M_QUERY_PARAMETER_UNSUPPORTED] = { "QueryParameterUnsupported", 1, "Warning", "Query parameter '%1' is not supported.",
		"Correct or remove the query parameter and resubmit the request." },
	[M_ACTION_NOT_SUPPORTED] = { "ActionNotSupported", 1, "Critical", "The action %1 is not supported by the resource.",
		"Check the Actions property in the resource for the supported actions." },
	[M_SERVICE_TEMPORARILY_UNAVAILABLE] = { "ServiceTemporarilyUnavailable", 1, "Critical", "The service is temporarily unavailable.  Retry in %1 seconds.",
		"Wait for the indicated retry duration and retry the operation." },
	[M_SESSION_LIMIT_EXCEEDED] = { "SessionLimitExceeded", 0, "Critical", "The session establishment failed due to the number of simultaneous sessions exceeding the limit of the implementation.",
		"Reduce the number of other sessions before trying to establish the session or increase the limit of simultaneous sessions, if supported." },
	[M_OPERATION_TIMEOUT] = { "OperationTimeout", 0, "Warning", "A timeout internal to the service occurred as part of the request.  Partial results may have been returned.",
		"Resubmit the request.  If the problem persists, consider resetting the service or provider." },
	[M_GENERAL_ERROR] = { "GeneralError", 0, "Critical", "A general error has occurred.  See Resolution for information on how to resolve the error, or @Message.ExtendedInfo if Resolution is not provided.",
		"None." },
	[M_INVALID_URI] = { "InvalidURI", 1, "Critical", "The URI %1 was not found.",
		"Provide a valid URI and resubmit the request." },
	[M_HEADER_INVALID] = { "HeaderInvalid", 1, "Critical", "Header '%1' is invalid.",
		"Resubmit the request with a valid request header." },
};

const char *rf_message_id_at(size_t i)
{
	return i < M_COUNT ? base_messages[i].id : NULL;
}

/* Substitute %1..%9 in the template with args. */
static json_t *render(const char *tmpl, const char *const *args, size_t nargs)
{
	char out[1024];
	size_t off = 0;

	for (const char *p = tmpl; *p && off + 1 < sizeof(out); p++) {
		if (p[0] == '%' && p[1] >= '1' && p[1] <= '9' && (size_t)(p[1] - '1') < nargs) {
			const char *a = args[p[1] - '1'];
			size_t n = strlen(a);
			if (n > sizeof(out) - 1 - off) {
				/* Cut on a character boundary: a string ending
				 * inside a UTF-8 sequence is no JSON string at all,
				 * and the message would be lost. */
				n = sizeof(out) - 1 - off;
				while (n > 0 && ((unsigned char)a[n] & 0xc0) == 0x80)
					n--;
			}
			memcpy(out + off, a, n);
			off += n;
			p++;
			continue;
		}
		out[off++] = *p;
	}
	out[off] = '\0';
	return json_string(out);
}

/* A Message object (Message.v1_3_0). NULL on allocation failure, or when
 * nargs is not the registry's NumberOfArgs (a bug the unit test catches). */
static json_t *message(enum base_id id, const char *const *args, size_t nargs)
{
	const struct base_message *m = &base_messages[id];
	char msg_id[96];
	json_t *arr;

	if ((size_t)m->nargs != nargs)
		return NULL;
	snprintf(msg_id, sizeof(msg_id), "%s.%s", RF_BASE_REGISTRY, m->id);
	arr = json_array();
	for (size_t i = 0; arr && i < nargs; i++)
		json_array_append_new(arr, json_string(args[i]));
	return json_pack("{s:s, s:s, s:o, s:o, s:s, s:s}",
			 "@odata.type", "#Message.v1_3_0.Message",
			 "MessageId", msg_id,
			 "Message", render(m->message, args, nargs),
			 "MessageArgs", arr ? arr : json_array(),
			 "MessageSeverity", m->severity,
			 "Resolution", m->resolution);
}

/* Set resp to status with an error body whose only extended info is the
 * message id with args. */
static void emit(struct http_response *resp, int status, enum base_id id,
		 const char *const *args, size_t nargs)
{
	json_t *msg = message(id, args, nargs);
	json_t *body = NULL;
	char code[96];

	if (!msg) {
		status = 500;
		id = M_INTERNAL_ERROR;
		msg = message(id, NULL, 0);
	}
	snprintf(code, sizeof(code), "%s.%s", RF_BASE_REGISTRY, base_messages[id].id);
	if (msg)
		body = json_pack("{s:{s:s, s:O, s:[o]}}", "error", "code", code, "message",
				 json_object_get(msg, "Message"), "@Message.ExtendedInfo", msg);
	http_response_json(resp, body ? status : 500, body);
}

/* emit(), or another message in the error already in resp when that has
 * the same status. */
static void add(struct http_response *resp, int status, enum base_id id,
		const char *const *args, size_t nargs)
{
	if (resp->status == status && resp->json &&
	    json_object_get(resp->json, "error")) {
		rf_error_append(resp, message(id, args, nargs));
		return;
	}
	emit(resp, status, id, args, nargs);
}

#define ARGS(...) (const char *const[]){ __VA_ARGS__ }, \
	sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *)

/* The message functions declared in error.h: name, how the message goes
 * into the response (emit: replaces; add: joins a 400 of Property*
 * problems), status, message, and the parameters, in the registry's
 * argument order. */
#define MESSAGE0(fn, how, status, id)                                                      \
	void fn(struct http_response *resp)                                                 \
	{                                                                                   \
		how(resp, status, id, NULL, 0);                                             \
	}
#define MESSAGE1(fn, how, status, id, a)                                                   \
	void fn(struct http_response *resp, const char *a)                                  \
	{                                                                                   \
		how(resp, status, id, ARGS(a));                                             \
	}
#define MESSAGE2(fn, how, status, id, a, b)                                                \
	void fn(struct http_response *resp, const char *a, const char *b)                   \
	{                                                                                   \
		how(resp, status, id, ARGS(a, b));                                          \
	}
#define MESSAGE3(fn, how, status, id, a, b, c)                                             \
	void fn(struct http_response *resp, const char *a, const char *b, const char *c)    \
	{                                                                                   \
		how(resp, status, id, ARGS(a, b, c));                                       \
	}

MESSAGE0(rf_malformed_json, emit, 400, M_MALFORMED_JSON)
MESSAGE0(rf_empty_json, emit, 400, M_EMPTY_JSON)
MESSAGE0(rf_no_operation, emit, 400, M_NO_OPERATION)
MESSAGE1(rf_property_unknown, add, 400, M_PROPERTY_UNKNOWN, prop)
MESSAGE1(rf_property_not_writable, add, 400, M_PROPERTY_NOT_WRITABLE, prop)
MESSAGE2(rf_property_value_type_error, add, 400, M_PROPERTY_VALUE_TYPE_ERROR, value, prop)
MESSAGE2(rf_property_value_not_in_list, add, 400, M_PROPERTY_VALUE_NOT_IN_LIST, value, prop)
MESSAGE2(rf_property_value_format_error, add, 400, M_PROPERTY_VALUE_FORMAT_ERROR, value, prop)
MESSAGE2(rf_property_value_out_of_range, add, 400, M_PROPERTY_VALUE_OUT_OF_RANGE, value, prop)
MESSAGE2(rf_property_value_incorrect, add, 400, M_PROPERTY_VALUE_INCORRECT, prop, value)
MESSAGE2(rf_property_value_conflict, add, 400, M_PROPERTY_VALUE_CONFLICT, prop, other_prop)
MESSAGE1(rf_create_failed_missing_req_properties, emit, 400,
	 M_CREATE_FAILED_MISSING_REQ_PROPERTIES, prop)
MESSAGE0(rf_password_incorrect_length, emit, 400, M_PASSWORD_INCORRECT_LENGTH)
MESSAGE1(rf_query_parameter_value_error, emit, 400, M_QUERY_PARAMETER_VALUE_ERROR, param)
MESSAGE2(rf_query_parameter_value_type_error, emit, 400, M_QUERY_PARAMETER_VALUE_TYPE_ERROR, value,
	 param)
MESSAGE2(rf_query_parameter_value_format_error, emit, 400, M_QUERY_PARAMETER_VALUE_FORMAT_ERROR,
	 value, param)
MESSAGE3(rf_query_parameter_out_of_range, emit, 400, M_QUERY_PARAMETER_OUT_OF_RANGE, value, param,
	 range)
MESSAGE0(rf_query_not_supported_on_resource, emit, 400, M_QUERY_NOT_SUPPORTED_ON_RESOURCE)
MESSAGE0(rf_query_not_supported_on_operation, emit, 400, M_QUERY_NOT_SUPPORTED_ON_OPERATION)
MESSAGE0(rf_query_combination_invalid, emit, 400, M_QUERY_COMBINATION_INVALID)
MESSAGE2(rf_action_parameter_unknown, emit, 400, M_ACTION_PARAMETER_UNKNOWN, action, param)
MESSAGE2(rf_action_parameter_value_error, emit, 400, M_ACTION_PARAMETER_VALUE_ERROR, param,
	 action)
MESSAGE3(rf_action_parameter_value_type_error, emit, 400, M_ACTION_PARAMETER_VALUE_TYPE_ERROR,
	 value, param, action)
MESSAGE3(rf_action_parameter_value_format_error, emit, 400,
	 M_ACTION_PARAMETER_VALUE_FORMAT_ERROR, value, param, action)
MESSAGE2(rf_action_parameter_value_conflict, emit, 400, M_ACTION_PARAMETER_VALUE_CONFLICT,
	 param, value)
MESSAGE0(rf_no_valid_session, emit, 401, M_NO_VALID_SESSION)
MESSAGE0(rf_insufficient_privilege, emit, 403, M_INSUFFICIENT_PRIVILEGE)
MESSAGE2(rf_resource_not_found, emit, 404, M_RESOURCE_NOT_FOUND, type, name)
MESSAGE0(rf_operation_not_allowed, emit, 405, M_OPERATION_NOT_ALLOWED)
MESSAGE3(rf_resource_already_exists, emit, 409, M_RESOURCE_ALREADY_EXISTS, type, prop, value)
MESSAGE3(rf_property_value_resource_conflict, emit, 409, M_PROPERTY_VALUE_RESOURCE_CONFLICT, prop,
	 value, uri)
MESSAGE0(rf_create_limit_reached_for_resource, emit, 409, M_CREATE_LIMIT_REACHED_FOR_RESOURCE)
MESSAGE0(rf_resource_cannot_be_deleted, emit, 409, M_RESOURCE_CANNOT_BE_DELETED)
MESSAGE0(rf_resource_in_use, emit, 409, M_RESOURCE_IN_USE)
MESSAGE0(rf_precondition_failed, emit, 412, M_PRECONDITION_FAILED)
/* DSP0266: an OData-Version the service does not support is refused with 412. */
MESSAGE1(rf_header_invalid_precondition, emit, 412, M_HEADER_INVALID, header)
MESSAGE1(rf_invalid_uri, emit, 400, M_INVALID_URI, uri)
MESSAGE0(rf_payload_too_large, emit, 413, M_PAYLOAD_TOO_LARGE)
MESSAGE0(rf_internal_error, emit, 500, M_INTERNAL_ERROR)
MESSAGE1(rf_query_parameter_unsupported, emit, 501, M_QUERY_PARAMETER_UNSUPPORTED, param)
MESSAGE1(rf_action_not_supported, emit, 501, M_ACTION_NOT_SUPPORTED, action)
MESSAGE0(rf_session_limit_exceeded, emit, 503, M_SESSION_LIMIT_EXCEEDED)
MESSAGE0(rf_operation_timeout, emit, 504, M_OPERATION_TIMEOUT)

void rf_string_value_too_long(struct http_response *resp, const char *value, int limit)
{
	char n[16];
	snprintf(n, sizeof(n), "%d", limit);
	emit(resp, 400, M_STRING_VALUE_TOO_LONG, ARGS(value, n));
}

void rf_unsupported_media_type(struct http_response *resp)
{
	emit(resp, 415, M_GENERAL_ERROR, NULL, 0);
	json_object_set_new(json_object_get(resp->json, "error"), "message",
			    json_string("The request body must be application/json."));
}

void rf_not_acceptable(struct http_response *resp, const char *media)
{
	char text[160];

	emit(resp, 406, M_GENERAL_ERROR, NULL, 0);
	snprintf(text, sizeof(text),
		 "The resource is served as %s only, which the Accept header excludes.", media);
	json_object_set_new(json_object_get(resp->json, "error"), "message", json_string(text));
}

static void retry_later(struct http_response *resp, int status, unsigned retry_s)
{
	char n[16];
	snprintf(n, sizeof(n), "%u", retry_s);
	emit(resp, status, M_SERVICE_TEMPORARILY_UNAVAILABLE, ARGS(n));
	http_response_header(resp, "Retry-After", n);
}

void rf_service_temporarily_unavailable(struct http_response *resp, unsigned retry_s)
{
	retry_later(resp, 503, retry_s);
}

void rf_too_many_requests(struct http_response *resp, unsigned retry_s)
{
	retry_later(resp, 429, retry_s);
}

void rf_general_error(struct http_response *resp, int status)
{
	emit(resp, status, M_GENERAL_ERROR, NULL, 0);
}

void rf_storage_full(struct http_response *resp)
{
	emit(resp, 507, M_GENERAL_ERROR, NULL, 0);
	rf_error_append(resp, rf_general_error_message(
				      "The change was not made: no space is left on the file "
				      "system that holds the service's state. Free space and retry."));
}

json_t *rf_general_error_message(const char *text)
{
	json_t *msg = message(M_GENERAL_ERROR, NULL, 0);
	if (msg)
		json_object_set_new(msg, "Message", json_string(text));
	return msg;
}

void rf_error_append(struct http_response *resp, json_t *msg)
{
	json_t *info = json_object_get(json_object_get(resp->json, "error"),
				       "@Message.ExtendedInfo");
	if (!msg)
		return;
	if (!json_is_array(info)) {
		json_decref(msg);
		return;
	}
	json_array_append_new(info, msg);
}

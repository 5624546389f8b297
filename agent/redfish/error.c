#include "redfish/error.h"

#include <stdio.h>
#include <string.h>

struct base_message {
	const char *id;
	int nargs;
	const char *severity;
	const char *message;
	const char *resolution;
};

/* The subset of Base 1.22.1 the agent uses, as published by DMTF. */
static const struct base_message base_messages[] = {
	{ "Success", 0, "OK", "The request completed successfully.", "None." },
	{ "Created", 0, "OK", "The resource was created successfully.", "None." },
	{ "NoValidSession", 0, "Critical", "There is no valid session established with the implementation.", "Establish a session before attempting any operations." },
	{ "InsufficientPrivilege", 0, "Critical", "There are insufficient privileges for the account or credentials associated with the current session to perform the requested operation.", "Either abandon the operation or change the associated access rights and resubmit the request if the operation failed." },
	{ "SessionLimitExceeded", 0, "Critical", "The session establishment failed due to the number of simultaneous sessions exceeding the limit of the implementation.", "Reduce the number of other sessions before trying to establish the session or increase the limit of simultaneous sessions, if supported." },
	{ "ResourceNotFound", 2, "Critical", "The requested resource of type %1 named '%2' was not found.", "Provide a valid resource identifier and resubmit the request." },
	{ "ResourceMissingAtURI", 1, "Critical", "The resource at the URI '%1' was not found.", "Place a valid resource at the URI or correct the URI and resubmit the request." },
	{ "OperationNotAllowed", 0, "Critical", "The HTTP method is not allowed on this resource.", "None." },
	{ "PropertyUnknown", 1, "Warning", "The property %1 is not in the list of valid properties for the resource.", "Remove the unknown property from the request body and resubmit the request if the operation failed." },
	{ "PropertyNotWritable", 1, "Warning", "The property %1 is a read-only property and cannot be assigned a value.", "Remove the property from the request body and resubmit the request if the operation failed." },
	{ "PropertyValueNotInList", 2, "Warning", "The value '%1' for the property %2 is not in the list of acceptable values.", "Choose a value from the enumeration list that the implementation can support and resubmit the request if the operation failed." },
	{ "PropertyValueTypeError", 2, "Warning", "The value '%1' for the property %2 is not a type that the property can accept.", "Correct the value for the property in the request body and resubmit the request if the operation failed." },
	{ "PropertyValueFormatError", 2, "Warning", "The value '%1' for the property %2 is not a format that the property can accept.", "Correct the value for the property in the request body and resubmit the request if the operation failed." },
	{ "PropertyValueOutOfRange", 2, "Warning", "The value '%1' for the property %2 is not in the supported range of acceptable values.", "Correct the value for the property in the request body and resubmit the request if the operation failed." },
	{ "PropertyMissing", 1, "Warning", "The property %1 is a required property and must be included in the request.", "Ensure that the property is in the request body and has a valid value and resubmit the request if the operation failed." },
	{ "MalformedJSON", 0, "Critical", "The request body submitted was malformed JSON and could not be parsed by the receiving service.", "Ensure that the request body is valid JSON and resubmit the request." },
	{ "ActionNotSupported", 1, "Critical", "The action %1 is not supported by the resource.", "Check the Actions property in the resource for the supported actions." },
	{ "ActionParameterMissing", 2, "Critical", "The action %1 requires the parameter %2 to be present in the request body.", "Supply the action with the required parameter in the request body when the request is resubmitted." },
	{ "ActionParameterValueError", 2, "Warning", "The value for the parameter %1 in the action %2 is invalid.", "Correct the value for the parameter in the request body and resubmit the request if the operation failed." },
	{ "ActionParameterUnknown", 2, "Warning", "The action %1 was submitted with the invalid parameter %2.", "Correct the invalid action parameter and resubmit the request if the operation failed." },
	{ "ActionParameterValueTypeError", 3, "Warning", "The value '%1' for the parameter %2 in the action %3 is not a type that the parameter can accept.", "Correct the value for the parameter in the request body and resubmit the request if the operation failed." },
	{ "ActionParameterValueFormatError", 3, "Warning", "The value '%1' for the parameter %2 in the action %3 is not a format that the parameter can accept.", "Correct the value for the parameter in the request body and resubmit the request if the operation failed." },
	{ "PreconditionFailed", 0, "Critical", "The ETag supplied did not match the ETag required to change this resource.", "Try the operation again using the appropriate ETag." },
	{ "PreconditionRequired", 0, "Critical", "A precondition header or annotation is required to change this resource.", "Try the operation again using an If-Match or If-None-Match header and appropriate ETag." },
	{ "QueryNotSupported", 0, "Warning", "Querying is not supported by the implementation.", "Remove the query parameters and resubmit the request if the operation failed." },
	{ "QueryParameterValueError", 1, "Warning", "The value for the parameter %1 is invalid.", "Correct the value for the query parameter in the request and resubmit the request if the operation failed." },
	{ "QueryParameterUnsupported", 1, "Warning", "Query parameter '%1' is not supported.", "Correct or remove the query parameter and resubmit the request." },
	{ "ResourceInUse", 0, "Warning", "The change to the requested resource failed because the resource is in use or in transition.", "Remove the condition and resubmit the request if the operation failed." },
	{ "ServiceTemporarilyUnavailable", 1, "Critical", "The service is temporarily unavailable.  Retry in %1 seconds.", "Wait for the indicated retry duration and retry the operation." },
	{ "InternalError", 0, "Critical", "The request failed due to an internal service error.  The service is still operational.", "Resubmit the request.  If the problem persists, consider resetting the service." },
	{ "GeneralError", 0, "Critical", "A general error has occurred.  See Resolution for information on how to resolve the error, or @Message.ExtendedInfo if Resolution is not provided.", "None." },
	{ "PayloadTooLarge", 0, "Critical", "The supplied payload exceeds the maximum size supported by the service.", "Check that the supplied payload is correct and supported by this service." },
	{ "ResourceAlreadyExists", 3, "Critical", "The requested resource of type %1 with the property %2 with the value '%3' already exists.", "Do not repeat the create operation as the resource was already created." },
	{ "ResourceCannotBeDeleted", 0, "Critical", "The delete request failed because the resource requested cannot be deleted.", "Do not attempt to delete a non-deletable resource." },
	{ "PasswordChangeRequired", 1, "Critical", "The password provided for this account must be changed before access is granted.  PATCH the Password property for this account located at the target URI '%1' to complete this process.", "Change the password for this account using a PATCH to the Password property at the URI provided." },
	{ "CreateFailedMissingReqProperties", 1, "Critical", "The create operation failed because the required property %1 was missing from the request.", "Correct the body to include the required property with a valid value and resubmit the request if the operation failed." },
	{ "ServiceShuttingDown", 0, "Critical", "The operation failed because the service is shutting down and can no longer take incoming requests.", "When the service becomes available, resubmit the request if the operation failed." },
	{ "OperationTimeout", 0, "Warning", "A timeout internal to the service occurred as part of the request.  Partial results may have been returned.", "Resubmit the request.  If the problem persists, consider resetting the service or provider." },
	{ "OperationFailed", 0, "Warning", "An error occurred internal to the service as part of the overall request.  Partial results may have been returned.", "Resubmit the request.  If the problem persists, consider resetting the service or provider." },
	{ "NoOperation", 0, "Warning", "The request body submitted contain no data to act upon and no changes to the resource took place.", "Add properties in the JSON object and resubmit the request." },
	{ "EmptyJSON", 0, "Warning", "The request body submitted contained an empty JSON object and the service is unable to process it.", "Add properties in the JSON object and resubmit the request." },
	{ "ResourceExhaustion", 1, "Critical", "The resource '%1' was unable to satisfy the request due to unavailability of resources.", "Ensure that the resources are available and resubmit the request." },
	{ "AccountRemoved", 0, "OK", "The account was successfully removed.", "None." },
	{ "AccountModified", 0, "OK", "The account was successfully modified.", "None." },
	{ "PropertyValueIncorrect", 2, "Warning", "The property '%1' with the requested value of '%2' could not be written because the value is not acceptable for the property.", "None." },
	{ "StringValueTooLong", 2, "Warning", "The string '%1' exceeds the length limit %2.", "Resubmit the request with an appropriate string length." },
	{ "PropertyValueModified", 2, "Warning", "The property %1 was assigned the value '%2' due to modification by the service.", "None." },
	{ "ResourceInStandby", 0, "Critical", "The request could not be performed because the resource is in standby.", "Ensure that the resource is in the correct power state and resubmit the request." },
	{ "PasswordIncorrectLength", 0, "Critical", "The password provided for this account does not meet the password length requirements of the service.", "Resubmit the request with a password that meets the password length requirements as specified by the `MinPasswordLength` and `MaxPasswordLength` properties in the `AccountService` resource." },
	{ "CreateLimitReachedForResource", 0, "Critical", "The create operation failed because the resource has reached the limit of possible resources.", "Either delete resources and resubmit the request if the operation failed or do not resubmit the request." },
	{ "PropertyValueConflict", 2, "Warning", "The property '%1' could not be written because its value would conflict with the value of the '%2' property.", "None." },
	{ "PropertyValueResourceConflict", 3, "Warning", "The property '%1' with the requested value of '%2' could not be written because the value conflicts with the state or configuration of the resource at '%3'.", "None." },
	{ "AccessUnauthorized", 0, "Critical", "Unauthorized.", "Resubmit the request with valid credentials." },
};
static const size_t nbase = sizeof(base_messages) / sizeof(base_messages[0]);

static const struct base_message *lookup(const char *id)
{
	for (size_t i = 0; i < nbase; i++)
		if (strcmp(base_messages[i].id, id) == 0)
			return &base_messages[i];
	return NULL;
}

int rf_message_nargs(const char *id)
{
	const struct base_message *m = lookup(id);
	return m ? m->nargs : -1;
}

const char *rf_message_id_at(size_t i)
{
	return i < nbase ? base_messages[i].id : NULL;
}

int rf_message_template(const char *id, const char **message, const char **severity,
			const char **resolution)
{
	const struct base_message *m = lookup(id);
	if (!m)
		return -1;
	*message = m->message;
	*severity = m->severity;
	*resolution = m->resolution;
	return 0;
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
			if (n > sizeof(out) - 1 - off)
				n = sizeof(out) - 1 - off;
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

json_t *rf_message(const char *id, const char *const *args, size_t nargs)
{
	const struct base_message *m = lookup(id);
	char msg_id[96];
	json_t *arr;

	if (!m || (size_t)m->nargs != nargs)
		return NULL;
	snprintf(msg_id, sizeof(msg_id), "%s.%s", RF_BASE_REGISTRY, id);
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

void rf_error(struct http_response *resp, int status, const char *id, const char *const *args,
	      size_t nargs)
{
	json_t *msg = rf_message(id, args, nargs);
	json_t *body = NULL;
	char code[96];

	if (!msg) {
		/* A wrong id or argument count is a bug; still answer in shape. */
		msg = rf_message("InternalError", NULL, 0);
		status = 500;
		id = "InternalError";
	}
	snprintf(code, sizeof(code), "%s.%s", RF_BASE_REGISTRY, id);
	if (msg)
		body = json_pack("{s:{s:s, s:O, s:[o]}}", "error", "code", code, "message",
				 json_object_get(msg, "Message"), "@Message.ExtendedInfo", msg);
	http_response_json(resp, body ? status : 500, body);
}

void rf_error0(struct http_response *resp, int status, const char *id)
{
	rf_error(resp, status, id, NULL, 0);
}

void rf_error1(struct http_response *resp, int status, const char *id, const char *a1)
{
	const char *args[] = { a1 };
	rf_error(resp, status, id, args, 1);
}

void rf_error2(struct http_response *resp, int status, const char *id, const char *a1,
	       const char *a2)
{
	const char *args[] = { a1, a2 };
	rf_error(resp, status, id, args, 2);
}

void rf_error3(struct http_response *resp, int status, const char *id, const char *a1,
	       const char *a2, const char *a3)
{
	const char *args[] = { a1, a2, a3 };
	rf_error(resp, status, id, args, 3);
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

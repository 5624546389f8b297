/* Redfish error and message bodies, built from the Base message registry
 * (Base.1.22.1). Every 4xx/5xx body the agent sends is made here, by one
 * function per Base message: the function sets the HTTP status the agent
 * answers with for that message, the message's arguments, text, severity
 * and resolution, so that a message id cannot be misspelt or given the wrong
 * arguments or status at a call site.
 *
 * Each rf_<message>() sets resp to its status with a body
 * {"error": {"code", "message", "@Message.ExtendedInfo": [Message]}},
 * replacing whatever resp held. They never fail: on allocation failure the
 * response becomes a bare 500. The Property* ones are problems with one
 * property of a request body: the first makes the 400, later ones on the
 * same response are added to it, so a client sees every problem at once.
 * String arguments are borrowed. */
#ifndef CXLA_REDFISH_ERROR_H
#define CXLA_REDFISH_ERROR_H

#include <jansson.h>

#include "http/message.h"

#define RF_BASE_REGISTRY "Base.1.22.1"

/* ---- 400: the request body, query or action parameters ---- */
void rf_malformed_json(struct http_response *resp);
void rf_empty_json(struct http_response *resp);
/* A PATCH with nothing to act upon (only annotations). */
void rf_no_operation(struct http_response *resp);
void rf_property_unknown(struct http_response *resp, const char *prop);
void rf_property_not_writable(struct http_response *resp, const char *prop);
void rf_property_value_type_error(struct http_response *resp, const char *value,
				  const char *prop);
void rf_property_value_not_in_list(struct http_response *resp, const char *value,
				   const char *prop);
void rf_property_value_format_error(struct http_response *resp, const char *value,
				    const char *prop);
void rf_property_value_out_of_range(struct http_response *resp, const char *value,
				    const char *prop);
void rf_property_value_incorrect(struct http_response *resp, const char *prop, const char *value);
void rf_property_value_conflict(struct http_response *resp, const char *prop,
				const char *other_prop);
void rf_string_value_too_long(struct http_response *resp, const char *value, int limit);
void rf_create_failed_missing_req_properties(struct http_response *resp, const char *prop);
void rf_password_incorrect_length(struct http_response *resp);
void rf_query_parameter_value_error(struct http_response *resp, const char *param);
void rf_query_parameter_value_type_error(struct http_response *resp, const char *value,
					 const char *param);
void rf_query_parameter_value_format_error(struct http_response *resp, const char *value,
					   const char *param);
void rf_query_parameter_out_of_range(struct http_response *resp, const char *value,
				     const char *param, const char *range);
/* $top, $skip or only on a resource that is not a collection. */
void rf_query_not_supported_on_resource(struct http_response *resp);
/* Query options on a method other than GET and HEAD. */
void rf_query_not_supported_on_operation(struct http_response *resp);
void rf_query_combination_invalid(struct http_response *resp);
void rf_action_parameter_unknown(struct http_response *resp, const char *action,
				 const char *param);
void rf_action_parameter_value_error(struct http_response *resp, const char *param,
				     const char *action);
void rf_action_parameter_value_type_error(struct http_response *resp, const char *value,
					  const char *param, const char *action);
void rf_action_parameter_value_format_error(struct http_response *resp, const char *value,
					    const char *param, const char *action);
/* A parameter whose value clashes with another one of the same request. */
void rf_action_parameter_value_conflict(struct http_response *resp, const char *param,
					const char *value);

/* ---- 401 to 415: who may do what to which resource ---- */
void rf_no_valid_session(struct http_response *resp);          /* 401 */
void rf_insufficient_privilege(struct http_response *resp);    /* 403 */
void rf_resource_not_found(struct http_response *resp, const char *type,
			   const char *name);                  /* 404 */
void rf_operation_not_allowed(struct http_response *resp);     /* 405 */
void rf_resource_already_exists(struct http_response *resp, const char *type, const char *prop,
				const char *value);            /* 409 */
void rf_property_value_resource_conflict(struct http_response *resp, const char *prop,
					 const char *value, const char *uri); /* 409 */
void rf_create_limit_reached_for_resource(struct http_response *resp); /* 409 */
void rf_resource_cannot_be_deleted(struct http_response *resp); /* 409 */
void rf_resource_in_use(struct http_response *resp);           /* 409 */
void rf_precondition_failed(struct http_response *resp);       /* 412 */
void rf_payload_too_large(struct http_response *resp);         /* 413 */
void rf_invalid_uri(struct http_response *resp, const char *uri);        /* 400 */
void rf_header_invalid_precondition(struct http_response *resp, const char *header); /* 412 */
/* 415: GeneralError, its message saying the body must be application/json. */
void rf_unsupported_media_type(struct http_response *resp);
/* 406: GeneralError, its message naming media (borrowed), the only type the
 * resource is served as. */
void rf_not_acceptable(struct http_response *resp, const char *media);

/* ---- 5xx and throttling ---- */
void rf_internal_error(struct http_response *resp);            /* 500 */
void rf_query_parameter_unsupported(struct http_response *resp, const char *param); /* 501 */
void rf_action_not_supported(struct http_response *resp, const char *action); /* 501 */
/* 503 ServiceTemporarilyUnavailable with a matching Retry-After header. */
void rf_service_temporarily_unavailable(struct http_response *resp, unsigned retry_s);
/* 429: the same message and header, for a caller over a rate limit. */
void rf_too_many_requests(struct http_response *resp, unsigned retry_s);
void rf_session_limit_exceeded(struct http_response *resp);    /* 503 */
void rf_operation_timeout(struct http_response *resp);         /* 504 */
/* GeneralError has no status of its own: the caller says which (409 for a
 * device's refusal, 502 when the path to a device failed). */
void rf_general_error(struct http_response *resp, int status);

/* 507 Insufficient Storage: a change could not be written for want of
 * space and was not made. Base has no message for a full disk: a
 * GeneralError, and a second one whose text says what happened. */
void rf_storage_full(struct http_response *resp);

/* A GeneralError Message object whose Message is text (for details the
 * Base registry has no message for). New reference, NULL on failure. */
json_t *rf_general_error_message(const char *text);

/* Append another message to the error already in resp (e.g. an OEM
 * detail). msg is taken over; dropped when resp holds no error. */
void rf_error_append(struct http_response *resp, json_t *msg);

/* For tests: the id of the i-th message the agent can send, or NULL past
 * the end. */
const char *rf_message_id_at(size_t i);

#endif

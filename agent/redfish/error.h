/* Redfish error and message bodies, built from the Base message registry
 * (Base.1.22.1). Every 4xx/5xx body the agent sends is made here. */
#ifndef CXLA_REDFISH_ERROR_H
#define CXLA_REDFISH_ERROR_H

#include <jansson.h>

#include "http/message.h"

#define RF_BASE_REGISTRY "Base.1.22.1"

/* A Message object (Message.v1_3_0) for a Base message id with its string
 * arguments; nargs must equal the registry's NumberOfArgs. Returns a new
 * reference, or NULL for an unknown id or a wrong argument count. */
json_t *rf_message(const char *id, const char *const *args, size_t nargs);

/* Set resp to status with a Redfish error body whose only extended info is
 * message id with args. Never fails: on allocation failure the response
 * becomes a bare 500. */
void rf_error(struct http_response *resp, int status, const char *id, const char *const *args,
	      size_t nargs);
/* Convenience for zero- to three-argument messages. */
void rf_error0(struct http_response *resp, int status, const char *id);
void rf_error1(struct http_response *resp, int status, const char *id, const char *a1);
void rf_error2(struct http_response *resp, int status, const char *id, const char *a1,
	       const char *a2);
void rf_error3(struct http_response *resp, int status, const char *id, const char *a1,
	       const char *a2, const char *a3);

/* Append another message to the error already in resp (e.g. a second
 * unknown property, or an OEM detail). msg is taken over. */
void rf_error_append(struct http_response *resp, json_t *msg);

/* Registry lookup for tests and diagnostics: returns the number of
 * arguments, or -1 if id is not in the built-in table. */
int rf_message_nargs(const char *id);
/* Iterate the built-in table: id of entry i, or NULL past the end. */
const char *rf_message_id_at(size_t i);
/* Message template and severity of id (borrowed) for tests. */
int rf_message_template(const char *id, const char **message, const char **severity,
			const char **resolution);

#endif

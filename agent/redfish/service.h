/* The Redfish service edge: one function takes every HTTP request, applies
 * the protocol rules (authentication, routing, privileges, body and query
 * rules), runs the handler and adds the headers every answer carries. It is
 * the only place where internal results become HTTP statuses. */
#ifndef CXLA_REDFISH_SERVICE_H
#define CXLA_REDFISH_SERVICE_H

#include "http/message.h"

/* ctx is the struct agent. Matches http_handler_fn. */
void service_handle(void *ctx, const struct http_request *req, struct http_response *resp);
/* The answer to a request the server does not start (stopping, or no
 * thread for its deferred work): ServiceTemporarilyUnavailable with
 * Retry-After, and the headers every answer carries. Matches
 * http_server_config.unavailable. */
void service_unavailable(void *ctx, struct http_response *resp);

#endif

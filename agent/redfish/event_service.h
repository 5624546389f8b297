/* EventService resources: the service, its SSE stream. */
#ifndef CXLA_REDFISH_EVENT_SERVICE_H
#define CXLA_REDFISH_EVENT_SERVICE_H

#include "redfish/router.h"

int h_event_service(const struct route_ctx *ctx, struct http_response *resp);
int h_event_stream(const struct route_ctx *ctx, struct http_response *resp);

#endif

/* EventService resources: the service, its SSE stream, SubmitTestEvent and
 * the push subscriptions (EventDestination). */
#ifndef CXLA_REDFISH_EVENT_SERVICE_H
#define CXLA_REDFISH_EVENT_SERVICE_H

#include "redfish/router.h"

int h_event_service(const struct route_ctx *ctx, struct http_response *resp);
int h_event_stream(const struct route_ctx *ctx, struct http_response *resp);
int h_submit_test_event(const struct route_ctx *ctx, struct http_response *resp);
int h_subscription_collection(const struct route_ctx *ctx, struct http_response *resp);
int h_subscription_create(const struct route_ctx *ctx, struct http_response *resp);
int h_subscription(const struct route_ctx *ctx, struct http_response *resp);
int h_subscription_delete(const struct route_ctx *ctx, struct http_response *resp);
int h_subscription_resume(const struct route_ctx *ctx, struct http_response *resp);

#endif

/* The OpenMetrics endpoint as a resource family with its own routes. */
#ifndef CXLA_METRICS_ENDPOINT_H
#define CXLA_METRICS_ENDPOINT_H

#include "redfish/router.h"

int h_metrics(const struct route_ctx *ctx, struct http_response *resp);

#endif

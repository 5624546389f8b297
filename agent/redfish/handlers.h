/* Resource handlers, one file per resource family. The routes that use them
 * and the privileges each needs are declared in routes.c only. */
#ifndef CXLA_REDFISH_HANDLERS_H
#define CXLA_REDFISH_HANDLERS_H

#include "redfish/router.h"

/* root.c: protocol entry points */
int h_redfish_versions(const struct route_ctx *ctx, struct http_response *resp);
int h_service_root(const struct route_ctx *ctx, struct http_response *resp);
int h_odata(const struct route_ctx *ctx, struct http_response *resp);
int h_metadata(const struct route_ctx *ctx, struct http_response *resp);

/* managers.c: the agent itself */
int h_manager_collection(const struct route_ctx *ctx, struct http_response *resp);
int h_manager(const struct route_ctx *ctx, struct http_response *resp);

#endif

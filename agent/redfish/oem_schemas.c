#include <errno.h>
#include <string.h>

#include "redfish/error.h"
#include "redfish/handlers.h"
#include "redfish/schemas.h"

int h_oem_schema(const struct route_ctx *ctx, struct http_response *resp)
{
	const char *name = route_param(ctx->params, "file");
	size_t n = strlen(name);

	for (const struct embedded_schema *s = embedded_schemas; s->name; s++) {
		if (strcmp(s->name, name) != 0)
			continue;
		return http_response_text(resp, 200,
					  n > 4 && strcmp(name + n - 4, ".xml") == 0
						  ? "application/xml; charset=utf-8"
						  : "application/json; charset=utf-8",
					  (const char *)s->data, s->len);
	}
	rf_error2(resp, 404, "ResourceNotFound", "Schema", name);
	return 0;
}

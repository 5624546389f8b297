/* The message registries the agent's events name that DMTF does not
 * publish: CxlAgent 1.0.0 (schemas/CxlAgent.1.0.0.json, embedded and served
 * with the schema files). ResourceEvent, TaskEvent and Base are DMTF's. */
#include <errno.h>
#include <string.h>

#include "redfish/error.h"
#include "redfish/resource.h"
#include "redfish/routes.h"
#include "redfish/schemas.h"

#define REGISTRIES_URI "/redfish/v1/Registries"
#define CXLA_REGISTRY "CxlAgent.1.0.0"

static int h_registry_collection(const struct route_ctx *ctx, struct http_response *resp)
{
	json_t *members = json_pack("[o]", rf_link(REGISTRIES_URI "/" CXLA_REGISTRY));
	(void)ctx;
	http_response_json(resp, 200,
			   rf_collection(REGISTRIES_URI, "MessageRegistryFileCollection",
					 "Message registries", members));
	return resp->json ? 0 : -ENOMEM;
}

static int h_registry_file(const struct route_ctx *ctx, struct http_response *resp)
{
	const char *id = route_param(ctx->params, "registry");
	json_t *doc;

	if (!id || strcmp(id, CXLA_REGISTRY) != 0) {
		rf_resource_not_found(resp, "MessageRegistryFile", id ? id : "");
		return 0;
	}
	doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s], s:s, s:[{s:s, s:s}]}", "@odata.id",
			REGISTRIES_URI "/" CXLA_REGISTRY, "@odata.type",
			"#MessageRegistryFile.v1_1_5.MessageRegistryFile", "Id", CXLA_REGISTRY, "Name",
			"cxl-agent message registry file", "Description",
			"Messages of the events the agent publishes", "Languages", "en", "Registry",
			"CxlAgent.1.0", "Location", "Language", "en", "Uri",
			OEM_SCHEMA_URI "/" CXLA_REGISTRY ".json");
	http_response_json(resp, 200, doc);
	return doc ? 0 : -ENOMEM;
}

/* PrivilegeRegistry 1.8.0: MessageRegistryFile(Collection) GET is Login. */
const struct route registry_routes[] = {
	{ GET_HEAD, REGISTRIES_URI, LOGIN, h_registry_collection, rf_version_static },
	{ GET_HEAD, REGISTRIES_URI "/{registry}", LOGIN, h_registry_file, UNCACHED },
	{ 0 },
};

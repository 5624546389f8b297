/* The protocol entry points: the version document, the service root, the
 * OData service document, $metadata and the OEM schema files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/agent.h"
#include "redfish/error.h"
#include "redfish/query.h"
#include "redfish/resource.h"
#include "redfish/routes.h"
#include "redfish/schemas.h"
#include "version.h"

#define REDFISH_VERSION "1.20.0"

static int h_redfish_versions(const struct route_ctx *ctx, struct http_response *resp)
{
	(void)ctx;
	http_response_json(resp, 200, json_pack("{s:s}", "v1", "/redfish/v1/"));
	return resp->json ? 0 : -ENOMEM;
}

/* Top-level services, in the order ServiceRoot and the OData document list
 * them: property name, URI. */
static const struct {
	const char *property;
	const char *uri;
} top_level[] = {
	{ "Systems", "/redfish/v1/Systems" },
	{ "Chassis", "/redfish/v1/Chassis" },
	{ "Managers", "/redfish/v1/Managers" },
	{ "Tasks", "/redfish/v1/TaskService" },
	{ "AccountService", "/redfish/v1/AccountService" },
	{ "SessionService", "/redfish/v1/SessionService" },
	{ "EventService", "/redfish/v1/EventService" },
	{ "Registries", "/redfish/v1/Registries" },
};

static int h_service_root(const struct route_ctx *ctx, struct http_response *resp)
{
	struct agent *ag = ctx->agent;
	/* What redfish/query.h implements; $filter and excerpt are not. */
	json_t *root = json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:o},"
		" s:{s:{s:b, s:b, s:b, s:b, s:i}, s:b, s:b, s:b, s:b, s:b, s:b}}",
		"@odata.id", "/redfish/v1", "@odata.type", "#ServiceRoot.v1_20_0.ServiceRoot", "Id",
		"RootService", "Name", "CXL Agent Service", "RedfishVersion", REDFISH_VERSION, "UUID",
		ag->uuid, "Product", "cxl-agent", "Vendor", "cxl-agent", "Links", "Sessions",
		rf_link("/redfish/v1/SessionService/Sessions"), "ProtocolFeaturesSupported",
		"ExpandQuery", "ExpandAll", 1, "Levels", 1, "Links", 1, "NoLinks", 1, "MaxLevels",
		RF_QUERY_MAX_LEVELS, "FilterQuery", 0, "SelectQuery", 1, "OnlyMemberQuery", 1,
		"TopSkipQuery", 1, "ExcerptQuery", 0, "DeepOperations", 0);

	if (!root)
		return -ENOMEM;
	json_object_set_new(json_object_get(root, "ProtocolFeaturesSupported"), "DeepOperations",
			    json_pack("{s:b, s:b}", "DeepPATCH", 0, "DeepPOST", 0));
	for (size_t i = 0; i < sizeof(top_level) / sizeof(top_level[0]); i++)
		json_object_set_new(root, top_level[i].property, rf_link("%s", top_level[i].uri));
	http_response_json(resp, 200, root);
	return 0;
}

static int h_odata(const struct route_ctx *ctx, struct http_response *resp)
{
	json_t *value = json_array();
	(void)ctx;

	if (!value)
		return -ENOMEM;
	json_array_append_new(value, json_pack("{s:s, s:s, s:s}", "name", "Service", "kind",
					       "Singleton", "url", "/redfish/v1/"));
	for (size_t i = 0; i < sizeof(top_level) / sizeof(top_level[0]); i++)
		json_array_append_new(value, json_pack("{s:s, s:s, s:s}", "name",
						       top_level[i].property, "kind", "Singleton",
						       "url", top_level[i].uri));
	http_response_json(resp, 200,
			   json_pack("{s:s, s:o}", "@odata.context", "/redfish/v1/$metadata",
				     "value", value));
	return resp->json ? 0 : -ENOMEM;
}

/* CSDL documents the agent's payloads use: DMTF schema file stem and the
 * versioned namespace in use (NULL: unversioned only). */
static const struct {
	const char *file;
	const char *version;
} csdl_refs[] = {
	{ "ServiceRoot", "v1_20_0" },
	{ "ManagerCollection", NULL },
	{ "Manager", "v1_24_0" },
	{ "ChassisCollection", NULL },
	{ "Chassis", "v1_28_0" },
	{ "PCIeDeviceCollection", NULL },
	{ "PCIeDevice", "v1_21_0" },
	{ "CXLLogicalDeviceCollection", NULL },
	{ "CXLLogicalDevice", "v1_3_0" },
	{ "LogService", "v1_9_0" },
	{ "LogEntryCollection", NULL },
	{ "LogEntry", "v1_21_0" },
	{ "ComputerSystemCollection", NULL },
	{ "ComputerSystem", "v1_27_0" },
	{ "MemoryCollection", NULL },
	{ "Memory", "v1_23_0" },
	{ "MemoryDomainCollection", NULL },
	{ "MemoryDomain", "v1_5_1" },
	{ "LogServiceCollection", NULL },
	{ "TaskService", "v1_3_0" },
	{ "TaskCollection", NULL },
	{ "Task", "v1_7_4" },
	{ "SessionService", "v1_2_0" },
	{ "SessionCollection", NULL },
	{ "Session", "v1_8_0" },
	{ "AccountService", "v1_18_1" },
	{ "ManagerAccountCollection", NULL },
	{ "ManagerAccount", "v1_14_1" },
	{ "RoleCollection", NULL },
	{ "Role", "v1_3_3" },
	{ "EventService", "v1_10_0" },
	{ "EventDestinationCollection", NULL },
	{ "EventDestination", "v1_13_0" },
	{ "Event", "v1_13_0" },
	{ "MessageRegistryFileCollection", NULL },
	{ "MessageRegistryFile", "v1_1_5" },
	{ "Message", "v1_3_0" },
	{ "Resource", "v1_23_0" },
	{ "RedfishExtensions", "v1_0_0" },
};

static int h_metadata(const struct route_ctx *ctx, struct http_response *resp)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	(void)ctx;

	if (!f)
		return -ENOMEM;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	      "<edmx:Edmx xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\" Version=\"4.0\">\n",
	      f);
	for (size_t i = 0; i < sizeof(csdl_refs) / sizeof(csdl_refs[0]); i++) {
		fprintf(f,
			"  <edmx:Reference Uri=\"http://redfish.dmtf.org/schemas/v1/%s_v1.xml\">\n"
			"    <edmx:Include Namespace=\"%s\"/>\n",
			csdl_refs[i].file, csdl_refs[i].file);
		if (csdl_refs[i].version)
			fprintf(f, "    <edmx:Include Namespace=\"%s.%s\"/>\n", csdl_refs[i].file,
				csdl_refs[i].version);
		fputs("  </edmx:Reference>\n", f);
	}
	fputs("  <edmx:Reference Uri=\"/redfish/v1/Schemas/CxlAgent_v1.xml\">\n"
	      "    <edmx:Include Namespace=\"CxlAgent\"/>\n"
	      "    <edmx:Include Namespace=\"CxlAgent.v1_0_0\"/>\n"
	      "  </edmx:Reference>\n",
	      f);
	fputs("  <edmx:DataServices>\n"
	      "    <Schema xmlns=\"http://docs.oasis-open.org/odata/ns/edm\" Namespace=\"Service\">\n"
	      "      <EntityContainer Name=\"Service\" Extends=\"ServiceRoot.v1_20_0.ServiceContainer\"/>\n"
	      "    </Schema>\n"
	      "  </edmx:DataServices>\n"
	      "</edmx:Edmx>\n",
	      f);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	int rc = http_response_text(resp, 200, "application/xml; charset=utf-8", buf, len);
	free(buf);
	return rc;
}

static int h_oem_schema(const struct route_ctx *ctx, struct http_response *resp)
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
	rf_resource_not_found(resp, "Schema", name);
	return 0;
}

/* No authentication, as DSP0266 requires for /redfish, the service root,
 * the OData documents; the schema files too, so that validators and
 * clients can resolve them before they log in. */
const struct route root_routes[] = {
	{ GET_HEAD, "/redfish", NOAUTH, h_redfish_versions, UNCACHED },
	{ GET_HEAD, "/redfish/v1", NOAUTH, h_service_root, rf_version_static },
	{ GET_HEAD, "/redfish/v1/odata", NOAUTH, h_odata, rf_version_static },
	{ GET_HEAD | ROUTE_XML, "/redfish/v1/$metadata", NOAUTH, h_metadata, UNCACHED },
	{ GET_HEAD | ROUTE_MEDIA_BY_NAME, OEM_SCHEMA_URI "/{file}", NOAUTH, h_oem_schema, UNCACHED },
	{ 0 },
};

#include <errno.h>
#include <string.h>
#include <time.h>

#include "core/agent.h"
#include "redfish/error.h"
#include "redfish/handlers.h"
#include "redfish/resource.h"
#include "redfish/routes.h"
#include "version.h"

int h_manager_collection(const struct route_ctx *ctx, struct http_response *resp)
{
	json_t *members = json_pack("[o]", rf_link("/redfish/v1/Managers/" MANAGER_ID));
	(void)ctx;
	http_response_json(resp, 200,
			   rf_collection("/redfish/v1/Managers", "ManagerCollection",
					 "Manager Collection", members));
	return resp->json ? 0 : -ENOMEM;
}

int h_manager(const struct route_ctx *ctx, struct http_response *resp)
{
	const char *id = route_param(ctx->params, "manager");
	struct agent *ag = ctx->agent;
	struct timespec now;
	char date[32], started[32];

	if (strcmp(id, MANAGER_ID) != 0) {
		rf_error2(resp, 404, "ResourceNotFound", "Manager", id);
		return 0;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	rf_datetime(now, date, sizeof(date));
	rf_datetime(ag->started, started, sizeof(started));
	http_response_json(
		resp, 200,
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}}",
			  "@odata.id", "/redfish/v1/Managers/" MANAGER_ID, "@odata.type",
			  "#Manager.v1_24_0.Manager", "Id", MANAGER_ID, "Name", "CXL Agent",
			  "Description", "Management agent for the host's CXL memory devices",
			  "ManagerType", "Service", "FirmwareVersion", CXLA_VERSION, "UUID", ag->uuid,
			  "ServiceEntryPointUUID", ag->uuid, "DateTime", date,
			  "LastResetTime", started, "Status", "State", "Enabled", "Health", "OK"));
	if (resp->json)
		json_object_set_new(resp->json, "DateTimeLocalOffset", json_string("+00:00"));
	return resp->json ? 0 : -ENOMEM;
}

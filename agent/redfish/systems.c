/* The host as a ComputerSystem; its CXL memory is under memory.c. */
#include <errno.h>

#include "redfish/resource.h"
#include "redfish/routes.h"

static int h_system_collection(const struct route_ctx *ctx, struct http_response *resp)
{
	(void)ctx;
	return rf_reply_collection(resp, "/redfish/v1/Systems", "ComputerSystemCollection",
				   "Computer System Collection", json_pack("[o]", rf_link(SYSTEM_URI)));
}

static int h_system(const struct route_ctx *ctx, struct http_response *resp)
{
	if (rf_check_id(ctx, "system", SYSTEM_ID, "ComputerSystem", resp))
		return 0;
	http_response_json(
		resp, 200,
		/* Actions and Boot are empty (the agent neither resets nor boots
		 * the host) but present: python3-sushy requires both. */
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:{}, s:{}, s:o, s:o, s:{s:s}, s:{s:[o], s:[o]}}",
			  "@odata.id", SYSTEM_URI, "@odata.type",
			  "#ComputerSystem.v1_27_0.ComputerSystem", "Id", SYSTEM_ID, "Name", "Host",
			  "SystemType", "Physical", "Actions", "Boot", "Memory",
			  rf_link(SYSTEM_URI "/Memory"), "MemoryDomains",
			  rf_link(SYSTEM_URI "/MemoryDomains"), "Status", "State", "Enabled", "Links",
			  "Chassis", rf_link(CHASSIS_URI), "ManagedBy", rf_link(MANAGER_URI)));
	return resp->json ? 0 : -ENOMEM;
}

/* PrivilegeRegistry 1.8.0: ComputerSystem(Collection) is read with Login. */
const struct route system_routes[] = {
	{ GET_HEAD, "/redfish/v1/Systems", LOGIN, h_system_collection, rf_version_static },
	{ GET_HEAD, "/redfish/v1/Systems/{system}", LOGIN, h_system, rf_version_static },
	{ 0 },
};

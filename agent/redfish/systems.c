/* The host as a ComputerSystem; its CXL memory is under memory.c. */
#include <errno.h>

#include "core/agent.h"
#include "cxl/device.h"
#include "redfish/resource.h"
#include "redfish/routes.h"

static int h_system_collection(const struct route_ctx *ctx, struct http_response *resp)
{
	(void)ctx;
	return rf_reply_collection(resp, "/redfish/v1/Systems", "ComputerSystemCollection",
				   "Computer System Collection", json_pack("[o]", rf_link(SYSTEM_URI)));
}

/* Identity, roll-up and memory summary: what aggregators key and sort on. */
static json_t *add_identity(struct agent *ag, json_t *o)
{
	char name[256];
	uint64_t bytes = 0;
	const char *rollup = NULL;
	json_t *status = json_object_get(o, "Status");

	if (!o)
		return NULL;
	if (ag->host.uuid[0])
		json_object_set_new(o, "UUID", json_string(ag->host.uuid));
	if (host_name(&ag->host, name, sizeof(name)) == 0)
		json_object_set_new(o, "HostName", json_string(name));
	for (size_t i = 0; i < rf_device_count(ag); i++) {
		struct cxl_dev_info info;
		if (cxl_devset_info(ag->devices, i, &info) < 0 || !info.present)
			continue;
		bytes = cxl_bytes_add(bytes, info.total_bytes);
		rollup = rf_worse_health(rollup, rf_health_of(ag, i, &info));
	}
	if (rollup)
		json_object_set_new(status, "HealthRollup", json_string(rollup));
	/* The memory the agent manages: the host's CXL memory devices. */
	json_object_set_new(o, "MemorySummary",
			    json_pack("{s:f, s:o}", "TotalSystemMemoryGiB",
				      (double)bytes / (1024.0 * 1024.0 * 1024.0), "Status",
				      json_deep_copy(status)));
	return o;
}

static int h_system(const struct route_ctx *ctx, struct http_response *resp)
{
	if (rf_check_id(ctx, "system", SYSTEM_ID, "ComputerSystem", resp))
		return 0;
	http_response_json(
		resp, 200, add_identity(ctx->agent,
		/* Actions and Boot are empty (the agent neither resets nor boots
		 * the host) but present: python3-sushy requires both. */
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:{}, s:{}, s:o, s:o, s:{s:s}, s:{s:[o], s:[o]}}",
			  "@odata.id", SYSTEM_URI, "@odata.type",
			  "#ComputerSystem.v1_27_0.ComputerSystem", "Id", SYSTEM_ID, "Name", "Host",
			  "SystemType", "Physical", "Actions", "Boot", "Memory",
			  rf_link(SYSTEM_URI "/Memory"), "MemoryDomains",
			  rf_link(SYSTEM_URI "/MemoryDomains"), "Status", "State", "Enabled", "Links",
			  "Chassis", rf_link(CHASSIS_URI), "ManagedBy", rf_link(MANAGER_URI))));
	return resp->json ? 0 : -ENOMEM;
}

/* PrivilegeRegistry 1.8.0: ComputerSystem(Collection) is read with Login.
 * The system itself is not cached: its host name and roll-up change. */
const struct route system_routes[] = {
	{ GET_HEAD, "/redfish/v1/Systems", LOGIN, h_system_collection, rf_version_static },
	{ GET_HEAD, "/redfish/v1/Systems/{system}", LOGIN, h_system, UNCACHED },
	{ 0 },
};

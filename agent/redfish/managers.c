#include <errno.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "core/agent.h"
#include "cxl/device.h"
#include "policy/catalogue.h"
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

/* The agent's own state: which backend, which catalogue, and whether the
 * audit log can be written (if not, every command is refused: fail closed). */
static json_t *manager_oem(struct agent *ag, int *audit_bad)
{
	char msg[256];
	struct policy_catalogue *cat = catalogue_cell_get(&ag->catalogue);
	json_t *o = json_pack("{s:s, s:s, s:I, s:s}", "@odata.type", "#CxlAgent.v1_0_0.Manager",
			      "Backend", ag->devices ? cxl_devset_backend(ag->devices) : "none",
			      "ApprovedCommands", (json_int_t)(cat ? catalogue_count(cat) : 0),
			      "CatalogueDigest", cat && catalogue_digest(cat) ? catalogue_digest(cat) : "");
	catalogue_unref(cat);
	*audit_bad = ag->audit ? audit_health(ag->audit, msg, sizeof(msg)) != 0 : 1;
	if (!o)
		return NULL;
	if (ag->backend_why)
		json_object_set_new(o, "BackendReason", json_string(ag->backend_why));
	json_object_set_new(o, "AuditHealthy", json_boolean(!*audit_bad));
	if (*audit_bad)
		json_object_set_new(o, "AuditError",
				    json_string(ag->audit ? msg : "audit log not open"));
	return o;
}

int h_manager(const struct route_ctx *ctx, struct http_response *resp)
{
	const char *id = route_param(ctx->params, "manager");
	struct agent *ag = ctx->agent;
	struct timespec now;
	char date[32], started[32];
	int audit_bad = 0;
	json_t *oem;

	if (strcmp(id, MANAGER_ID) != 0) {
		rf_error2(resp, 404, "ResourceNotFound", "Manager", id);
		return 0;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	rf_datetime(now, date, sizeof(date));
	rf_datetime(ag->started, started, sizeof(started));
	oem = manager_oem(ag, &audit_bad);
	http_response_json(
		resp, 200,
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:o, s:{s:o}}",
			  "@odata.id", "/redfish/v1/Managers/" MANAGER_ID, "@odata.type",
			  "#Manager.v1_24_0.Manager", "Id", MANAGER_ID, "Name", "CXL Agent",
			  "Description", "Management agent for the host's CXL memory devices",
			  "ManagerType", "Service", "FirmwareVersion", CXLA_VERSION, "UUID", ag->uuid,
			  "ServiceEntryPointUUID", ag->uuid, "DateTime", date, "DateTimeLocalOffset",
			  "+00:00", "LastResetTime", started, "Status", "State", "Enabled", "Health",
			  audit_bad ? "Critical" : "OK", "LogServices",
			  rf_link("/redfish/v1/Managers/" MANAGER_ID "/LogServices"), "Oem",
			  "CxlAgent", oem));
	return resp->json ? 0 : -ENOMEM;
}

/* TaskService: background operations started by vendor commands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/agent.h"
#include "core/tasks.h"
#include "redfish/error.h"
#include "redfish/resource.h"
#include "redfish/routes.h"

static const char *state_name(enum task_state s)
{
	return s == TASK_RUNNING ? "Running" : s == TASK_COMPLETED ? "Completed" : "Exception";
}

json_t *task_json(struct agent *ag, unsigned id)
{
	struct task_info ti;
	char uri[64], sid[16], start[32], end[32];
	json_t *o, *msg;

	if (tasks_get(ag->tasks, id, &ti))
		return NULL;
	snprintf(uri, sizeof(uri), "/redfish/v1/TaskService/Tasks/%u", id);
	snprintf(sid, sizeof(sid), "%u", id);
	rf_datetime(ti.started, start, sizeof(start));
	msg = rf_general_error_message(ti.message);
	if (msg) {
		json_object_set_new(msg, "MessageSeverity",
				    json_string(ti.state == TASK_EXCEPTION ? "Critical" : "OK"));
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:[o], s:{s:{s:s, s:s, s:s, s:s, s:s}}}",
		      "@odata.id", uri, "@odata.type", "#Task.v1_7_4.Task", "Id", sid, "Name",
		      "Background vendor command", "TaskState", state_name(ti.state), "TaskStatus",
		      ti.state == TASK_EXCEPTION ? "Critical" : "OK", "StartTime", start,
		      "PercentComplete", (int)ti.percent, "Messages", msg, "Oem", "CxlAgent",
		      "@odata.type", "#CxlAgent.v1_0_0.TaskDetail", "Device", ti.device_id,
		      "Command", ti.command_id, "AuditRecordId", ti.audit_id, "Owner", ti.owner);
	if (o && ti.state != TASK_RUNNING) {
		json_t *oem = json_object_get(json_object_get(o, "Oem"), "CxlAgent");
		rf_datetime(ti.ended, end, sizeof(end));
		json_object_set_new(o, "EndTime", json_string(end));
		/* A lost operation has no return code: say how it was lost. */
		if (ti.transport)
			json_object_set_new(oem, "TransportError", json_integer(-ti.transport));
		else
			json_object_set_new(oem, "MailboxReturnCode", json_integer(ti.final_rc));
	}
	return o;
}

static int h_task_service(const struct route_ctx *ctx, struct http_response *resp)
{
	(void)ctx;
	http_response_json(resp, 200,
			   json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:o, s:{s:s}}", "@odata.id",
				     "/redfish/v1/TaskService", "@odata.type",
				     "#TaskService.v1_3_0.TaskService", "Id", "TaskService", "Name",
				     "Task Service", "ServiceEnabled", 1,
				     "CompletedTaskOverWritePolicy", "Oldest", "Tasks",
				     rf_link("/redfish/v1/TaskService/Tasks"), "Status", "State",
				     "Enabled"));
	return resp->json ? 0 : -ENOMEM;
}

static int h_task_collection(const struct route_ctx *ctx, struct http_response *resp)
{
	unsigned ids[256];
	size_t n = tasks_list(ctx->agent->tasks, ids, 256);
	json_t *members = json_array();

	for (size_t i = 0; members && i < n; i++)
		json_array_append_new(members, rf_link("/redfish/v1/TaskService/Tasks/%u", ids[i]));
	http_response_json(resp, 200,
			   rf_collection("/redfish/v1/TaskService/Tasks", "TaskCollection",
					 "Task Collection", members));
	return resp->json ? 0 : -ENOMEM;
}

static int h_task(const struct route_ctx *ctx, struct http_response *resp)
{
	const char *id = route_param(ctx->params, "task");
	char *end;
	unsigned long n = strtoul(id, &end, 10);
	json_t *o = (*end || end == id || n > 0xffffffffu) ? NULL : task_json(ctx->agent, (unsigned)n);

	if (!o) {
		rf_resource_not_found(resp, "Task", id);
		return 0;
	}
	http_response_json(resp, 200, o);
	return 0;
}

/* PrivilegeRegistry 1.8.0: TaskService, TaskCollection and Task are read
 * with Login. */
const struct route task_routes[] = {
	{ GET_HEAD, "/redfish/v1/TaskService", LOGIN, h_task_service, UNCACHED },
	{ GET_HEAD, "/redfish/v1/TaskService/Tasks", LOGIN, h_task_collection, UNCACHED },
	{ GET_HEAD, "/redfish/v1/TaskService/Tasks/{task}", LOGIN, h_task, UNCACHED },
	{ 0 },
};

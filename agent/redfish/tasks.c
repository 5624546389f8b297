/* TaskService: background operations started by vendor commands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/agent.h"
#include "core/tasks.h"
#include "cxl/cel.h"
#include "redfish/error.h"
#include "redfish/resource.h"
#include "redfish/routes.h"

#define TASK_URI "/redfish/v1/TaskService/Tasks/%u"
#define MONITOR_URI "/redfish/v1/TaskService/TaskMonitors/%u"
/* Suggested interval between polls of a running task's monitor. */
#define MONITOR_RETRY_S 1

static const char *state_name(enum task_state s)
{
	return s == TASK_RUNNING ? "Running" : s == TASK_COMPLETED ? "Completed" : "Exception";
}

const char *task_event_key(const struct task_info *ti)
{
	if (ti->state == TASK_RUNNING)
		return "TaskStarted";
	if (ti->state == TASK_EXCEPTION)
		return "TaskAborted";
	/* The operation succeeded but its completion is missing from the
	 * audit log: done, and worth a look. */
	return ti->record_failed ? "TaskCompletedWarning" : "TaskCompletedOK";
}

json_t *task_event_message(const struct task_info *ti)
{
	static const struct {
		const char *key, *text, *severity;
	} msgs[] = {
		{ "TaskStarted", "has started.", "OK" },
		{ "TaskCompletedOK", "has completed.", "OK" },
		{ "TaskCompletedWarning", "has completed with warnings.", "Warning" },
		{ "TaskAborted", "has completed with errors.", "Critical" },
	};
	const char *key = task_event_key(ti);
	char id[16], mid[64], text[96];

	snprintf(id, sizeof(id), "%u", ti->id);
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		if (strcmp(msgs[i].key, key) != 0)
			continue;
		snprintf(mid, sizeof(mid), "TaskEvent.1.0.5.%s", key);
		snprintf(text, sizeof(text), "The task with Id '%u' %s", ti->id, msgs[i].text);
		return json_pack("{s:s, s:s, s:s, s:s, s:[s], s:s}", "@odata.type",
				 "#Message.v1_3_0.Message", "MessageId", mid, "Message", text,
				 "MessageSeverity", msgs[i].severity, "MessageArgs", id,
				 "Resolution", "None.");
	}
	return NULL;
}

static const char *task_status(const struct task_info *ti)
{
	if (ti->state == TASK_EXCEPTION)
		return "Critical";
	return ti->state == TASK_COMPLETED && ti->record_failed ? "Warning" : "OK";
}

static json_t *task_info_json(const struct task_info *ti)
{
	char uri[64], mon[64], sid[16], start[32], end[32];
	json_t *o;

	snprintf(uri, sizeof(uri), TASK_URI, ti->id);
	snprintf(mon, sizeof(mon), MONITOR_URI, ti->id);
	snprintf(sid, sizeof(sid), "%u", ti->id);
	rf_datetime(ti->started, start, sizeof(start));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:[o], s:{s:{s:s, s:s, s:s, s:s, s:s}}}",
		      "@odata.id", uri, "@odata.type", "#Task.v1_7_4.Task", "Id", sid, "Name",
		      "Background vendor command", "TaskState", state_name(ti->state),
		      "TaskStatus", task_status(ti), "TaskMonitor", mon, "StartTime", start,
		      "PercentComplete", (int)ti->percent, "Messages", task_event_message(ti), "Oem",
		      "CxlAgent", "@odata.type", "#CxlAgent.v1_0_0.TaskDetail", "Device",
		      ti->device_id, "Command", ti->command_id, "AuditRecordId", ti->audit_id,
		      "Owner", ti->owner);
	if (o && ti->state != TASK_RUNNING) {
		json_t *oem = json_object_get(json_object_get(o, "Oem"), "CxlAgent");
		rf_datetime(ti->ended, end, sizeof(end));
		json_object_set_new(o, "EndTime", json_string(end));
		/* A lost operation has no return code: say how it was lost. */
		if (ti->transport)
			json_object_set_new(oem, "TransportError", json_integer(-ti->transport));
		else
			json_object_set_new(oem, "MailboxReturnCode", json_integer(ti->final_rc));
	}
	return o;
}

json_t *task_json(struct agent *ag, unsigned id)
{
	struct task_info ti;

	if (tasks_get(ag->tasks, id, &ti))
		return NULL;
	return task_info_json(&ti);
}

/* Retry-After as an HTTP-date (RFC 9110 allows it beside delta-seconds):
 * clients that hand the header's digits straight to a sleep call (sushy
 * 4.3) fail on delta-seconds, and every client parses the date. */
static void retry_after(struct http_response *resp)
{
	char buf[40];
	struct tm tm;
	time_t when = time(NULL) + MONITOR_RETRY_S;

	if (gmtime_r(&when, &tm) && strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm))
		http_response_header(resp, "Retry-After", buf);
}

/* The answer of a finished operation, as if it had completed synchronously:
 * the vendor command's result, or the error it ended with. */
static void final_response(const struct task_info *ti, struct http_response *resp)
{
	const char *rcname = cxl_mbox_rc_name(ti->final_rc);
	uint64_t us = tasks_duration_us(ti);

	if (ti->state == TASK_COMPLETED) {
		http_response_json(resp, 200,
				   json_pack("{s:s, s:i, s:s, s:s, s:I, s:s}", "@odata.type",
					     "#CxlAgent.v1_0_0.SubmitResult", "MailboxReturnCode",
					     ti->final_rc, "MailboxReturnCodeName",
					     rcname ? rcname : "", "OutputPayload", "", "DurationUs",
					     (json_int_t)us, "AuditRecordId", ti->audit_id));
		return;
	}
	/* The device refused the operation (409, as a synchronous refusal),
	 * or the device or its answer was lost on the way (502). */
	rf_general_error(resp, ti->transport ? 502 : 409);
	rf_error_append(resp, task_event_message(ti));
}

int task_monitor_reply(struct agent *ag, unsigned id, struct http_response *resp)
{
	struct task_info ti;
	char mon[64];

	if (tasks_get(ag->tasks, id, &ti) || !tasks_monitor_kept(ag->tasks, &ti))
		return -ENOENT;
	if (ti.state != TASK_RUNNING) {
		final_response(&ti, resp);
		return 0;
	}
	snprintf(mon, sizeof(mon), MONITOR_URI, id);
	http_response_json(resp, 202, task_info_json(&ti));
	if (!resp->json)
		return -ENOMEM;
	/* Location again, so a client that follows Location from whichever
	 * 202 it holds stays on the monitor. */
	http_response_header(resp, "Location", mon);
	retry_after(resp);
	return 0;
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

/* A task id from route parameter "task": decimal digits only, 0 when not. */
static unsigned task_param(const struct route_ctx *ctx)
{
	const char *id = route_param(ctx->params, "task");
	char *end;
	unsigned long n;

	if (id[0] < '0' || id[0] > '9')
		return 0;
	n = strtoul(id, &end, 10);
	return (*end || n > 0xffffffffu) ? 0 : (unsigned)n;
}

static int h_task_monitor(const struct route_ctx *ctx, struct http_response *resp)
{
	unsigned n = task_param(ctx);
	int rc = n ? task_monitor_reply(ctx->agent, n, resp) : -ENOENT;

	if (rc == -ENOENT) {
		/* unknown, or its final answer is no longer kept */
		rf_resource_not_found(resp, "TaskMonitor", route_param(ctx->params, "task"));
		return 0;
	}
	return rc;
}

static int h_task(const struct route_ctx *ctx, struct http_response *resp)
{
	const char *id = route_param(ctx->params, "task");
	unsigned n = task_param(ctx);
	json_t *o = n ? task_json(ctx->agent, n) : NULL;

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
	/* A monitor is read like its Task (DSP0266: the same authorization). */
	{ GET_HEAD, "/redfish/v1/TaskService/TaskMonitors/{task}", LOGIN, h_task_monitor,
	  UNCACHED },
	{ 0 },
};

/* The audit log as a read-only LogService of the Manager. Reading it needs
 * ConfigureManager: the records say who ran what on which device. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "core/agent.h"
#include "redfish/error.h"
#include "redfish/handlers.h"
#include "redfish/resource.h"
#include "redfish/routes.h"

#define LOGS "/redfish/v1/Managers/" MANAGER_ID "/LogServices"
#define AUDIT LOGS "/Audit"
/* An Entries page; the collection links the next one. */
#define PAGE 200

static int check_manager(const struct route_ctx *ctx, struct http_response *resp)
{
	const char *id = route_param(ctx->params, "manager");
	if (strcmp(id, MANAGER_ID) == 0)
		return 0;
	rf_error2(resp, 404, "ResourceNotFound", "Manager", id);
	return -ENOENT;
}

int h_manager_log_services(const struct route_ctx *ctx, struct http_response *resp)
{
	if (check_manager(ctx, resp))
		return 0;
	http_response_json(resp, 200,
			   rf_collection(LOGS, "LogServiceCollection", "Log Service Collection",
					 json_pack("[o]", rf_link(AUDIT))));
	return resp->json ? 0 : -ENOMEM;
}

int h_audit_log_service(const struct route_ctx *ctx, struct http_response *resp)
{
	char health_msg[256];
	int bad;

	if (check_manager(ctx, resp))
		return 0;
	bad = audit_health(ctx->agent->audit, health_msg, sizeof(health_msg));
	http_response_json(
		resp, 200,
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:o, s:{s:s, s:s}}", "@odata.id",
			  AUDIT, "@odata.type", "#LogService.v1_9_0.LogService", "Id", "Audit", "Name",
			  "Vendor command audit log", "Description",
			  "Every vendor command attempt: intent recorded before submission, result after",
			  "LogEntryType", "OEM", "ServiceEnabled", 1, "OverWritePolicy",
			  "WrapsWhenFull", "Entries", rf_link(AUDIT "/Entries"), "Status", "State",
			  "Enabled", "Health", bad ? "Critical" : "OK"));
	return resp->json ? 0 : -ENOMEM;
}

/* An audit record as a LogEntry: the record itself rides in Oem. */
static json_t *entry_json(json_t *rec)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	const char *type = json_string_value(json_object_get(rec, "type"));
	const char *time = json_string_value(json_object_get(rec, "time"));
	char uri[128], msg[256];
	json_t *o;

	if (!id)
		return NULL;
	snprintf(uri, sizeof(uri), AUDIT "/Entries/%s", id);
	if (type && strcmp(type, "Intent") == 0)
		snprintf(msg, sizeof(msg), "%s by %s on device %s: %s (%s)",
			 json_string_value(json_object_get(rec, "opcode")) ?: "?",
			 json_string_value(json_object_get(rec, "user")) ?: "?",
			 json_string_value(json_object_get(rec, "device")) ?: "?",
			 json_string_value(json_object_get(rec, "decision")) ?: "?",
			 json_string_value(json_object_get(rec, "reason")) ?: "?");
	else
		snprintf(msg, sizeof(msg), "Result of record %s: transport %s",
			 json_string_value(json_object_get(rec, "intent")) ?: "?",
			 json_string_value(json_object_get(rec, "transport")) ?: "?");
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:O}}", "@odata.id", uri, "@odata.type",
		      "#LogEntry.v1_21_0.LogEntry", "Id", id, "Name", "Audit record", "EntryType",
		      "Oem", "Severity", "OK", "Message", msg, "Oem", "CxlAgent", rec);
	/* The record's RFC 3339 time with milliseconds is a valid Edm.DateTimeOffset. */
	if (o && time)
		json_object_set_new(o, "Created", json_string(time));
	if (o) {
		json_object_set_new(o, "OemRecordFormat", json_string("CxlAgentAudit"));
		json_object_set_new(json_object_get(json_object_get(o, "Oem"), "CxlAgent"),
				    "@odata.type", json_string("#CxlAgent.v1_0_0.AuditRecord"));
	}
	return o;
}

int h_audit_entries(const struct route_ctx *ctx, struct http_response *resp)
{
	json_t *recs = NULL, *members, *rec;
	size_t total = 0, skip = 0, i;
	const char *s = NULL;
	int rc;

	if (check_manager(ctx, resp))
		return 0;
	if (!(members = json_array()))
		return -ENOMEM;
	for (size_t q = 0; q < ctx->req->nquery; q++)
		if (strcmp(ctx->req->query[q].name, "skip") == 0)
			s = ctx->req->query[q].value;
	if (s) {
		char *end;
		skip = strtoul(s, &end, 10);
		if (*end || end == s) {
			json_decref(members);
			rf_error1(resp, 400, "QueryParameterValueError", "skip");
			return 0;
		}
	}
	rc = audit_read(ctx->agent->audit, skip, PAGE, &recs, &total);
	if (rc) {
		json_decref(members);
		return rc;
	}
	json_array_foreach(recs, i, rec) json_array_append_new(members, entry_json(rec));
	json_decref(recs);
	http_response_json(resp, 200,
			   rf_collection(AUDIT "/Entries", "LogEntryCollection", "Audit records",
					 members));
	if (!resp->json)
		return -ENOMEM;
	json_object_set_new(resp->json, "Members@odata.count", json_integer((json_int_t)total));
	if (skip + PAGE < total) {
		char next[96];
		snprintf(next, sizeof(next), AUDIT "/Entries?skip=%zu", skip + PAGE);
		json_object_set_new(resp->json, "Members@odata.nextLink", json_string(next));
	}
	return 0;
}

int h_audit_entry(const struct route_ctx *ctx, struct http_response *resp)
{
	const char *id = route_param(ctx->params, "entry");
	json_t *rec = NULL;

	if (check_manager(ctx, resp))
		return 0;
	if (audit_find(ctx->agent->audit, id, &rec)) {
		rf_error2(resp, 404, "ResourceNotFound", "LogEntry", id);
		return 0;
	}
	http_response_json(resp, 200, entry_json(rec));
	json_decref(rec);
	return resp->json ? 0 : -ENOMEM;
}

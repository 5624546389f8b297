/* The agent itself as the Manager, and the audit log as its read-only
 * LogService. Reading the audit log needs ConfigureManager: the records say
 * who ran what on which device. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "core/agent.h"
#include "core/remote.h"
#include "cxl/device.h"
#include "events/messages.h"
#include "policy/catalogue.h"
#include "redfish/error.h"
#include "redfish/query.h"
#include "redfish/resource.h"
#include "redfish/routes.h"
#include "version.h"

static int h_manager_collection(const struct route_ctx *ctx, struct http_response *resp)
{
	(void)ctx;
	return rf_reply_collection(resp, "/redfish/v1/Managers", "ManagerCollection",
				   "Manager Collection", json_pack("[o]", rf_link(MANAGER_URI)));
}

/* Raw mailbox commands taint the kernel (a WARN at first use): an operator
 * reading the Manager must see both that they were used and the taint. */
static void kernel_state_json(struct agent *ag, json_t *o)
{
	static const char *const raw_names[] = {
		[CXL_RAW_UNAVAILABLE] = "Unavailable",
		[CXL_RAW_AVAILABLE] = "Available",
		[CXL_RAW_USED] = "Used",
	};
	struct cxl_host_state hs;

	if (!ag->devices || cxl_devset_host_state(ag->devices, &hs) < 0)
		return;
	json_object_set_new(o, "KernelRawCommands", json_string(raw_names[hs.raw]));
	json_object_set_new(o, "DeviceEventRecords",
			    json_string(hs.events == CXL_EVENTS_DRIVER_TRACE ? "KernelTrace"
									 : "NotRead"));
	json_object_set_new(o, "DeviceEventRecordsNote", json_string(hs.events_note));
	if (!hs.taint_known)
		return;
	json_object_set_new(o, "KernelTaint", json_integer((json_int_t)hs.taint));
	json_object_set_new(o, "KernelTaintFlags", json_string(hs.taint_flags));
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
	char head[65];
	*audit_bad = agent_audit_status(ag, msg, sizeof(msg), head) != 0;
	if (!o)
		return NULL;
	if (ag->backend_why)
		json_object_set_new(o, "BackendReason", json_string(ag->backend_why));
	kernel_state_json(ag, o);
	json_object_set_new(o, "AuditHealthy", json_boolean(!*audit_bad));
	if (*audit_bad)
		json_object_set_new(o, "AuditError", json_string(msg));
	return o;
}

static int h_manager(const struct route_ctx *ctx, struct http_response *resp)
{
	struct agent *ag = ctx->agent;
	struct timespec now;
	char date[32], started[32];
	int audit_bad = 0;
	json_t *oem;

	if (rf_check_id(ctx, "manager", MANAGER_ID, "Manager", resp))
		return 0;
	clock_gettime(CLOCK_REALTIME, &now);
	rf_datetime(now, date, sizeof(date));
	rf_datetime(ag->started, started, sizeof(started));
	oem = manager_oem(ag, &audit_bad);
	http_response_json(
		resp, 200,
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:o, s:{s:o}}",
			  "@odata.id", MANAGER_URI, "@odata.type",
			  "#Manager.v1_24_0.Manager", "Id", MANAGER_ID, "Name", "CXL Agent",
			  "Description", "Management agent for the host's CXL memory devices",
			  "ManagerType", "Service", "FirmwareVersion", CXLA_VERSION, "UUID", ag->uuid,
			  "ServiceEntryPointUUID", ag->uuid, "DateTime", date, "DateTimeLocalOffset",
			  "+00:00", "LastResetTime", started, "Status", "State", "Enabled", "Health",
			  audit_bad ? "Critical" : "OK", "LogServices",
			  rf_link(MANAGER_URI "/LogServices"), "Oem",
			  "CxlAgent", oem));
	return resp->json ? 0 : -ENOMEM;
}

/* ---- the audit log ---- */

#define LOGS MANAGER_URI "/LogServices"
#define AUDIT LOGS "/Audit"
/* An Entries page; the collection links the next one. */
#define PAGE 200

static int h_manager_log_services(const struct route_ctx *ctx, struct http_response *resp)
{
	if (rf_check_id(ctx, "manager", MANAGER_ID, "Manager", resp))
		return 0;
	return rf_reply_collection(resp, LOGS, "LogServiceCollection", "Log Service Collection",
				   json_pack("[o]", rf_link(AUDIT)));
}

static int h_audit_log_service(const struct route_ctx *ctx, struct http_response *resp)
{
	char health_msg[256], head[65];
	int bad;

	if (rf_check_id(ctx, "manager", MANAGER_ID, "Manager", resp))
		return 0;
	bad = agent_audit_status(ctx->agent, health_msg, sizeof(health_msg), head);
	/* The chain head, copied elsewhere now and then, lets a later reader
	 * prove that nothing before it was rewritten (cxl-agent --verify-audit). */
	http_response_json(
		resp, 200,
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:o, s:{s:s, s:s},"
			  " s:{s:{s:s, s:s, s:s}}}",
			  "@odata.id", AUDIT, "@odata.type", "#LogService.v1_9_0.LogService", "Id",
			  "Audit", "Name", "Vendor command audit log", "Description",
			  "Every vendor command attempt: intent recorded before submission, result after",
			  "LogEntryType", "Event", "ServiceEnabled", 1, "OverWritePolicy",
			  "WrapsWhenFull", "Entries", rf_link(AUDIT "/Entries"), "Status", "State",
			  "Enabled", "Health", bad ? "Critical" : "OK", "Oem", "CxlAgent",
			  "@odata.type", "#CxlAgent.v1_0_0.AuditLog", "ChainHead", head, "Forwarding",
			  config_audit_forward_name(ctx->agent->cfg)));
	return resp->json ? 0 : -ENOMEM;
}

/* The audit file's member names (kept short and stable for log tooling) and
 * the declared members of CxlAgent.v1_0_0.AuditRecord they are served as. */
static const struct {
	const char *file;
	const char *redfish;
} audit_members[] = {
	{ "id", "RecordId" },
	{ "type", "RecordType" },
	{ "time", "Time" },
	{ "user", "UserName" },
	{ "auth", "AuthMethod" },
	{ "source", "SourceAddress" },
	{ "device", "Device" },
	{ "opcode", "Opcode" },
	{ "command", "Command" },
	{ "payload_bytes", "PayloadBytes" },
	{ "payload_sha256", "PayloadSHA256" },
	{ "decision", "Decision" },
	{ "reason", "Reason" },
	{ "scope", "Scope" },
	{ "detail", "Detail" },
	{ "intent", "IntentRecordId" },
	{ "transport", "Transport" },
	{ "errno", "Errno" },
	{ "mbox_rc", "MailboxReturnCode" },
	{ "mbox_rc_name", "MailboxReturnCodeName" },
	{ "duration_us", "DurationUs" },
	{ "outcome", "Outcome" },
	{ "prev_sha256", "PrevRecordSHA256" },
	{ "suppressed", "SuppressedDenials" },
	{ "first", "FirstSuppressed" },
	{ "last", "LastSuppressed" },
};

static const char *audit_member_redfish_name(const char *file_key)
{
	for (size_t i = 0; i < sizeof(audit_members) / sizeof(audit_members[0]); i++)
		if (strcmp(audit_members[i].file, file_key) == 0)
			return audit_members[i].redfish;
	if (strcmp(file_key, "effects") == 0)
		return "RawEffects";
	return NULL;
}

/* The record as the declared OEM object. Effects are {raw, names} in the
 * file and RawEffects plus EffectNames here. A member the table does not
 * know is left out rather than served undeclared. */
static json_t *audit_record_json(json_t *rec)
{
	json_t *out = json_pack("{s:s}", "@odata.type", "#CxlAgent.v1_0_0.AuditRecord");
	const char *key;
	json_t *v;

	json_object_foreach(rec, key, v) {
		const char *name = audit_member_redfish_name(key);
		if (!out || !name)
			continue;
		if (strcmp(key, "effects") == 0) {
			if (json_is_object(v)) {
				json_object_set(out, "RawEffects", json_object_get(v, "raw"));
				json_object_set(out, "EffectNames", json_object_get(v, "names"));
			}
			continue;
		}
		json_object_set(out, name, v);
	}
	return out;
}

static const char *rec_str(json_t *rec, const char *key)
{
	const char *v = json_string_value(json_object_get(rec, key));
	return v ? v : "?";
}

/* The registry message of an audit record and its arguments, which say
 * how much an operator should care: a denial is a warning, a command the
 * device refused or whose end nobody saw is one too, a command that never
 * reached the device is critical. severity is set where it differs from
 * the message's. text holds arguments built here. */
static enum event_msg audit_message(json_t *rec, const char *args[4], const char **severity,
				    char *text, size_t len)
{
	const char *type = rec_str(rec, "type");
	const char *transport = json_string_value(json_object_get(rec, "transport"));
	json_t *mbox = json_object_get(rec, "mbox_rc");

	if (strcmp(type, "Intent") == 0) {
		const char *cmd = json_string_value(json_object_get(rec, "command"));
		args[0] = cmd ? cmd : text;
		snprintf(text, len, "opcode %s", rec_str(rec, "opcode"));
		args[1] = rec_str(rec, "device");
		args[2] = rec_str(rec, "user");
		args[3] = rec_str(rec, "reason");
		return strcmp(rec_str(rec, "decision"), "Allowed") == 0 ? EVM_VENDOR_COMMAND_ALLOWED
									: EVM_VENDOR_COMMAND_DENIED;
	}
	if (strcmp(type, "Suppressed") == 0) {
		snprintf(text, len, "%lld", json_integer_value(json_object_get(rec, "suppressed")));
		args[0] = text;
		args[1] = rec_str(rec, "user");
		args[2] = rec_str(rec, "source");
		return EVM_VENDOR_COMMAND_DENIALS_SUPPRESSED;
	}
	args[0] = rec_str(rec, "intent");
	args[1] = text;
	if (json_object_get(rec, "outcome")) {
		snprintf(text, len, "%s", rec_str(rec, "outcome"));
		return EVM_VENDOR_COMMAND_OUTCOME_UNKNOWN;
	}
	if (transport && strcmp(transport, "OK") != 0) {
		/* Too many commands waited for the device: refused for load,
		 * the path to the device is not in doubt. */
		if (strcmp(transport, "EBUSY") == 0)
			*severity = "Warning";
		snprintf(text, len, "%s", transport);
		return EVM_VENDOR_COMMAND_NOT_DELIVERED;
	}
	snprintf(text, len, "mailbox return code %lld (%s)", json_integer_value(mbox),
		 rec_str(rec, "mbox_rc_name"));
	/* 0 Success, 1 Background Command Started */
	return json_is_integer(mbox) && json_integer_value(mbox) > 1 ? EVM_VENDOR_COMMAND_DEVICE_ERROR
								     : EVM_VENDOR_COMMAND_RESULT;
}

/* An audit record as an event LogEntry of the agent's registry; the record
 * itself rides in Oem. */
static json_t *entry_json(json_t *rec)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	const char *time = json_string_value(json_object_get(rec, "time"));
	const char *args[4] = { 0 }, *severity = NULL;
	char uri[128], text[96];
	enum event_msg msg;
	json_t *o;

	if (!id)
		return NULL;
	snprintf(uri, sizeof(uri), AUDIT "/Entries/%s", id);
	msg = audit_message(rec, args, &severity, text, sizeof(text));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:o}}", "@odata.id", uri, "@odata.type",
		      "#LogEntry.v1_21_0.LogEntry", "Id", id, "Name", "Audit record", "EntryType",
		      "Event", "Severity", severity ? severity : event_message_get(msg)->severity,
		      "Oem", "CxlAgent",
		      audit_record_json(rec));
	if (o && event_message_set(o, msg, args)) {
		json_decref(o);
		return NULL;
	}
	/* The record's RFC 3339 time with milliseconds is a valid Edm.DateTimeOffset. */
	if (o && time)
		json_object_set_new(o, "Created", json_string(time));
	return o;
}

/* The audit log pages itself: reading it back parses every record, so only
 * the page asked for ($skip, $top, at most PAGE without $top) is built. Its
 * members are the entries themselves (as bmcweb's log collections), so
 * $expand has nothing to fetch one by one. */
static int h_audit_entries(const struct route_ctx *ctx, struct http_response *resp)
{
	struct rf_query *q = ctx->query;
	size_t total = 0, skip = 0, max = PAGE, i, got;
	json_t *recs = NULL, *members, *rec;
	int rc;

	if (rf_check_id(ctx, "manager", MANAGER_ID, "Manager", resp))
		return 0;
	if (q) {
		skip = q->options & RF_Q_SKIP ? q->skip : 0;
		max = q->options & RF_Q_TOP ? q->top : PAGE;
		q->paged = true;
	}
	if (!(members = json_array()))
		return -ENOMEM;
	rc = agent_audit_read(ctx->agent, skip, max, &recs, &total);
	if (rc) {
		json_decref(members);
		return rc;
	}
	json_array_foreach(recs, i, rec) json_array_append_new(members, entry_json(rec));
	/* A page can come back shorter than asked (the broker halves one that
	 * does not fit its message): the next page starts after what came. */
	got = json_array_size(recs);
	json_decref(recs);
	http_response_json(resp, 200,
			   rf_collection(AUDIT "/Entries", "LogEntryCollection", "Audit records",
					 members));
	if (!resp->json)
		return -ENOMEM;
	json_object_set_new(resp->json, "Members@odata.count", json_integer((json_int_t)total));
	return rf_query_next_link(q, AUDIT "/Entries", skip, got, total, resp->json);
}

static int h_audit_entry(const struct route_ctx *ctx, struct http_response *resp)
{
	const char *id = route_param(ctx->params, "entry");
	json_t *rec = NULL;

	if (rf_check_id(ctx, "manager", MANAGER_ID, "Manager", resp))
		return 0;
	if (agent_audit_find(ctx->agent, id, &rec)) {
		rf_resource_not_found(resp, "LogEntry", id);
		return 0;
	}
	http_response_json(resp, 200, entry_json(rec));
	json_decref(rec);
	return resp->json ? 0 : -ENOMEM;
}

/* PrivilegeRegistry 1.8.0 reads Manager(Collection) with Login. The audit
 * log's LogService, Entries and LogEntry need ConfigureManager rather than
 * Login: the records say who ran what on which device. */
const struct route manager_routes[] = {
	{ GET_HEAD, "/redfish/v1/Managers", LOGIN, h_manager_collection, UNCACHED },
	{ GET_HEAD, "/redfish/v1/Managers/{manager}", LOGIN, h_manager, UNCACHED },
	{ GET_HEAD, "/redfish/v1/Managers/{manager}/LogServices", MANAGE, h_manager_log_services,
	  UNCACHED },
	{ GET_HEAD, "/redfish/v1/Managers/{manager}/LogServices/Audit", MANAGE, h_audit_log_service,
	  UNCACHED },
	{ GET_HEAD, "/redfish/v1/Managers/{manager}/LogServices/Audit/Entries", MANAGE,
	  h_audit_entries, UNCACHED },
	{ GET_HEAD, "/redfish/v1/Managers/{manager}/LogServices/Audit/Entries/{entry}", MANAGE,
	  h_audit_entry, UNCACHED },
	{ 0 },
};

/* Approved vendor commands of a device (OEM) and their Submit action. A
 * member exists only for a command that the catalogue approves for this
 * device and that the device declares in its CEL. Submitting parks the
 * connection: the command goes to the broker from the server thread and the
 * answer is made where the reply arrives (or, in one process, on a worker
 * thread), so inventory requests never wait behind a device. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "core/agent.h"
#include "core/commands.h"
#include "core/tasks.h"
#include "cxl/cel.h"
#include "cxl/device.h"
#include "policy/catalogue.h"
#include "policy/policy.h"
#include "redfish/error.h"
#include "redfish/resource.h"
#include "redfish/routes.h"
#include "util/base64.h"

#define ACTION_NAME "CxlAgent.Submit"
#define MAX_TIMEOUT_MS 60000

static void collection_uri(const char *dev, char *buf, size_t len)
{
	snprintf(buf, len, CHASSIS_URI "/PCIeDevices/%s/Oem/CxlAgent/VendorCommands",
		 dev);
}

/* The approval for this device with this id, if it is also in the CEL.
 * *cel_effects gets the device's declared effects. Borrowed from cat. */
static const struct policy_command *approved_here(const struct policy_catalogue *cat,
						  const struct cxl_dev_info *info,
						  const struct cxl_cel *cel, const char *id,
						  uint16_t *cel_effects)
{
	const struct policy_command *cmd = cat ? catalogue_find_id(cat, id) : NULL;
	struct policy_device dev;
	const struct cxl_cel_entry *e;

	if (!cmd)
		return NULL;
	policy_device_from_info(info, &dev);
	if (policy_match_device(cmd, &dev) != POLICY_MATCH_OK)
		return NULL;
	e = cxl_cel_find(cel, cmd->opcode);
	if (!e)
		return NULL;
	*cel_effects = e->effects;
	return cmd;
}

static json_t *member_json(struct agent *ag, size_t idx, const struct cxl_dev_info *info,
			   const struct policy_command *cmd, uint16_t cel_effects)
{
	char base[300], uri[400], opcode[8];
	enum policy_scope scope = policy_scope_of(cel_effects,
						  (cmd->effects & CXL_EFFECT_BACKGROUND_OPERATION) != 0);
	privset_t need = policy_scope_privilege(scope);
	json_t *o;

	collection_uri(info->id, base, sizeof(base));
	snprintf(uri, sizeof(uri), "%s/%s", base, cmd->id);
	snprintf(opcode, sizeof(opcode), "0x%04X", cmd->opcode);
	if (cmd->privilege_floor > need)
		need = cmd->privilege_floor;
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:o, s:b, s:s, s:o, s:{s:I, s:I}, s:o, s:{s:{s:s}}}",
		      "@odata.id", uri, "@odata.type", "#CxlAgent.v1_0_0.VendorCommand", "Id",
		      cmd->id, "Name", cmd->name, "Description",
		      cmd->description ? cmd->description : "", "Opcode", opcode, "RawEffects",
		      cel_effects, "Effects", cel_effects_json(cel_effects), "EffectsMatchApproval",
		      cel_effects == cmd->effects, "Scope", policy_scope_name(scope),
		      "PrivilegeRequired",
		      need ? json_string(privilege_name(need)) : json_null(), "Input", "MinBytes",
		      (json_int_t)cmd->min_bytes, "MaxBytes", (json_int_t)cmd->max_bytes,
		      "Delivery", cel_delivery_json(ag, idx, cmd->opcode), "Actions",
		      "#" ACTION_NAME, "target", "");
	if (o) {
		char target[460];
		snprintf(target, sizeof(target), "%s/Actions/" ACTION_NAME, uri);
		json_object_set_new(json_object_get(json_object_get(o, "Actions"), "#" ACTION_NAME),
				    "target", json_string(target));
	}
	return o;
}

/* Shared start of every handler: the device, its CEL and the catalogue. */
struct vc_ctx {
	int idx;
	struct cxl_dev_info info;
	struct cxl_cel cel;
	struct policy_catalogue *cat;
};

static int vc_open(const struct route_ctx *ctx, struct http_response *resp, struct vc_ctx *v)
{
	memset(v, 0, sizeof(*v));
	v->idx = rf_device_lookup(ctx, "dev", resp, &v->info);
	if (v->idx < 0)
		return -ENOENT;
	if (cxl_devset_cel(ctx->agent->devices, (size_t)v->idx, &v->cel) < 0)
		v->cel.count = 0;
	v->cat = catalogue_cell_get(&ctx->agent->catalogue);
	return 0;
}

static void vc_close(struct vc_ctx *v)
{
	cxl_cel_free(&v->cel);
	catalogue_unref(v->cat);
}

static int h_vendor_command_collection(const struct route_ctx *ctx, struct http_response *resp)
{
	struct vc_ctx v;
	char uri[300];
	json_t *members;

	if (vc_open(ctx, resp, &v))
		return 0;
	collection_uri(v.info.id, uri, sizeof(uri));
	members = json_array();
	for (size_t i = 0; members && v.cat && i < catalogue_count(v.cat); i++) {
		const struct policy_command *cmd = catalogue_at(v.cat, i);
		uint16_t eff;
		if (approved_here(v.cat, &v.info, &v.cel, cmd->id, &eff))
			json_array_append_new(members, rf_link("%s/%s", uri, cmd->id));
	}
	vc_close(&v);
	http_response_json(resp, 200,
			   rf_collection(uri, "CxlAgentVendorCommandCollection",
					 "Approved vendor commands", members));
	if (resp->json)
		json_object_set_new(resp->json, "@odata.type",
				    json_string("#CxlAgent.v1_0_0.VendorCommandCollection"));
	return resp->json ? 0 : -ENOMEM;
}

static int h_vendor_command(const struct route_ctx *ctx, struct http_response *resp)
{
	struct vc_ctx v;
	const struct policy_command *cmd;
	const char *id = route_param(ctx->params, "cmd");
	uint16_t eff = 0;

	if (vc_open(ctx, resp, &v))
		return 0;
	cmd = approved_here(v.cat, &v.info, &v.cel, id, &eff);
	if (!cmd)
		rf_resource_not_found(resp, "VendorCommand", id);
	else
		http_response_json(resp, 200, member_json(ctx->agent, (size_t)v.idx, &v.info, cmd, eff));
	vc_close(&v);
	return resp->status == 200 && !resp->json ? -ENOMEM : 0;
}

/* ---- Submit ---- */

struct submit_job {
	struct agent *agent;
	struct identity who;
	char peer[64];
	size_t idx;
	char device_id[CXL_ID_MAX];
	struct policy_catalogue *cat; /* keeps approval alive across a reload */
	const struct policy_command *approval;
	uint8_t *payload;
	size_t payload_len;
	const char *payload_param; /* the parameter that carried it, for messages */
	unsigned timeout_ms;
	/* while started: the server's response and completion */
	struct http_response *resp;
	void (*done)(void *done_arg);
	void *done_arg;
};

static void submit_job_release(void *arg)
{
	struct submit_job *j = arg;
	catalogue_unref(j->cat);
	free(j->payload);
	free(j);
}

/* One Message carrying what the device or the policy said, for the error's
 * extended info. */
static json_t *outcome_message(const struct command_outcome *o, const char *text)
{
	json_t *msg = rf_general_error_message(text);
	json_t *oem;

	if (!msg)
		return NULL;
	oem = json_pack("{s:s}", "@odata.type", "#CxlAgent.v1_0_0.CommandOutcome");
	/* A denial past its caller's burst is counted, not given a record. */
	if (oem && o->audit_id[0])
		json_object_set_new(oem, "AuditRecordId", json_string(o->audit_id));
	if (o->stage == COMMAND_DENIED) {
		json_object_set_new(oem, "DenialReason",
				    json_string(policy_reason_name(o->decision.reason)));
		json_object_set_new(oem, "Scope", json_string(policy_scope_name(o->decision.scope)));
	}
	if (o->stage == COMMAND_SUBMITTED) {
		json_object_set_new(oem, "TransportError",
				    json_integer(-o->result.transport));
		if (o->result.transport == 0) {
			const char *n = cxl_mbox_rc_name(o->result.mbox_rc);
			json_object_set_new(oem, "MailboxReturnCode", json_integer(o->result.mbox_rc));
			json_object_set_new(oem, "MailboxReturnCodeName",
					    n ? json_string(n) : json_null());
		}
	}
	json_object_set_new(msg, "Oem", json_pack("{s:o}", "CxlAgent", oem));
	return msg;
}

/* Add what the device or the policy said to the error already in resp. */
static void detail(struct http_response *resp, const struct command_outcome *o, const char *text)
{
	rf_error_append(resp, outcome_message(o, text));
}

static void start_task(struct submit_job *j, const struct command_outcome *o,
		       struct http_response *resp)
{
	struct task_info ti;
	int id;

	memset(&ti, 0, sizeof(ti));
	ti.device = j->idx;
	snprintf(ti.device_id, sizeof(ti.device_id), "%s", j->device_id);
	ti.opcode = j->approval->opcode;
	snprintf(ti.command_id, sizeof(ti.command_id), "%s", j->approval->id);
	snprintf(ti.audit_id, sizeof(ti.audit_id), "%s", o->audit_id);
	snprintf(ti.owner, sizeof(ti.owner), "%s", j->who.user);
	snprintf(ti.message, sizeof(ti.message), "Background operation 0x%04X started",
		 ti.opcode);
	id = tasks_start(j->agent->tasks, &ti);
	if (id < 0) {
		rf_service_temporarily_unavailable(resp, 5);
		detail(resp, o,
		       "The device started a background operation but no task slot is free to follow it");
		return;
	}
	if (task_monitor_reply(j->agent, (unsigned)id, resp))
		rf_internal_error(resp);
}

/* A command that never reached the device: audit failure, full queue or
 * policy refusal. */
static void not_submitted(const struct submit_job *j, const struct command_outcome *o,
			  struct http_response *resp)
{
	char text[256];

	switch (o->stage) {
	case COMMAND_AUDIT_FAILED:
		snprintf(text, sizeof(text), "The audit record could not be written (%s); no command was sent",
			 strerror(-o->audit_error));
		rf_service_temporarily_unavailable(resp, 60);
		detail(resp, o, text);
		return;
	case COMMAND_QUEUE_FULL:
		rf_service_temporarily_unavailable(resp, 1);
		detail(resp, o, "Too many commands are waiting for this device");
		return;
	case COMMAND_DENIED:
		if (o->decision.reason == POLICY_DENY_PAYLOAD_TOO_LARGE ||
		    o->decision.reason == POLICY_DENY_PAYLOAD_TOO_SMALL)
			rf_action_parameter_value_error(resp, j->payload_param, ACTION_NAME);
		else
			rf_insufficient_privilege(resp);
		detail(resp, o, o->decision.detail);
		return;
	case COMMAND_SUBMITTED:
		break;
	}
}

/* The path to the device failed (transport is not 0). */
static void transport_failed(struct submit_job *j, const struct command_outcome *o,
			     struct http_response *resp)
{
	char text[256];

	switch (o->result.transport) {
	case -ETIMEDOUT:
		rf_operation_timeout(resp);
		detail(resp, o, "The device did not answer within the timeout");
		return;
	case -EBUSY:
		rf_service_temporarily_unavailable(resp, 1);
		detail(resp, o, "The device is busy with another command");
		return;
	case -EPERM:
	case -ENOTTY:
	case -EOPNOTSUPP: {
		struct cxl_delivery_info d = { 0 };
		cxl_devset_delivery(j->agent->devices, j->idx, j->approval->opcode, &d);
		snprintf(text, sizeof(text), "This host cannot deliver the command: %s",
			 d.reason[0] ? d.reason : strerror(-o->result.transport));
		rf_action_not_supported(resp, ACTION_NAME);
		detail(resp, o, text);
		return;
	}
	default:
		snprintf(text, sizeof(text), "The path to the device failed: %s",
			 strerror(-o->result.transport));
		rf_general_error(resp, 502);
		detail(resp, o, text);
		return;
	}
}

/* The one place where a command outcome becomes an HTTP status and message. */
static void outcome_to_response(struct submit_job *j, const struct command_outcome *o,
				struct http_response *resp)
{
	char text[256];
	const char *rcname;

	if (o->stage != COMMAND_SUBMITTED) {
		not_submitted(j, o, resp);
		return;
	}
	if (o->result.transport) {
		transport_failed(j, o, resp);
		return;
	}
	rcname = cxl_mbox_rc_name(o->result.mbox_rc);
	snprintf(text, sizeof(text), "The device returned mailbox code 0x%02X (%s)", o->result.mbox_rc,
		 rcname ? rcname : "unknown");
	switch (o->result.mbox_rc) {
	case CXL_MBOX_SUCCESS: {
		char *b64 = base64_encode(o->result.out, o->result.out_len);
		http_response_json(resp, 200,
				   json_pack("{s:s, s:i, s:s, s:s, s:I, s:s}", "@odata.type",
					     "#CxlAgent.v1_0_0.SubmitResult", "MailboxReturnCode",
					     o->result.mbox_rc, "MailboxReturnCodeName",
					     rcname ? rcname : "", "OutputPayload", b64 ? b64 : "",
					     "DurationUs", (json_int_t)o->result.duration_us,
					     "AuditRecordId", o->audit_id));
		free(b64);
		return;
	}
	case CXL_MBOX_BACKGROUND_STARTED:
		start_task(j, o, resp);
		return;
	case CXL_MBOX_BUSY:
	case CXL_MBOX_RETRY_REQUIRED:
		rf_service_temporarily_unavailable(resp, 1);
		break;
	case CXL_MBOX_INVALID_INPUT:
	case CXL_MBOX_INVALID_PAYLOAD_LENGTH:
		rf_action_parameter_value_error(resp, j->payload_param, ACTION_NAME);
		break;
	case CXL_MBOX_UNSUPPORTED:
		rf_action_not_supported(resp, ACTION_NAME);
		break;
	case CXL_MBOX_INTERNAL_ERROR:
		rf_general_error(resp, 502);
		break;
	default:
		rf_general_error(resp, 409);
		break;
	}
	detail(resp, o, text);
}

static void submit_run(void *arg, struct http_response *resp)
{
	struct submit_job *j = arg;
	struct command_outcome o;
	int rc = command_submit(j->agent, &j->who, j->idx, j->approval, j->payload, j->payload_len,
				j->timeout_ms, &o);
	if (rc) {
		rf_internal_error(resp);
		return;
	}
	outcome_to_response(j, &o, resp);
	command_outcome_clear(&o);
}

static void submit_done(void *arg, int rc, const struct command_outcome *o)
{
	struct submit_job *j = arg;

	if (rc)
		rf_internal_error(j->resp);
	else
		outcome_to_response(j, o, j->resp);
	j->done(j->done_arg);
}

/* Sent to the broker from the server thread; the answer is made on the
 * thread that reads the broker's reply. */
static int submit_start(void *arg, struct http_response *resp, void (*done)(void *done_arg),
			void *done_arg)
{
	struct submit_job *j = arg;

	j->resp = resp;
	j->done = done;
	j->done_arg = done_arg;
	return command_submit_start(j->agent, &j->who, j->idx, j->approval, j->payload,
				    j->payload_len, j->timeout_ms, submit_done, j);
}

enum { S_PAYLOAD, S_PAYLOAD_HEX, S_TIMEOUT, S__N };
static const struct jm_member submit_members[S__N] = {
	[S_PAYLOAD] = { "Payload", JM_STRING, 0, 0, 0, NULL, NULL },
	[S_PAYLOAD_HEX] = { "PayloadHex", JM_STRING, 0, 0, 0, NULL, NULL },
	[S_TIMEOUT] = { "TimeoutMs", JM_INTEGER, 0, 1, MAX_TIMEOUT_MS, NULL, NULL },
};
static const struct rf_body submit_body = { submit_members, S__N, NULL, ACTION_NAME };

/* The payload as base64 "Payload" or hexadecimal "PayloadHex", one of them
 * at most; neither is an empty payload. 0, -EINVAL with resp filled, or
 * -ENOMEM. */
static int decode_payload(const struct jm_value *v, struct submit_job *j,
			  struct http_response *resp)
{
	const struct jm_value *b64 = &v[S_PAYLOAD], *hex = &v[S_PAYLOAD_HEX];
	const struct jm_value *given = hex->json ? hex : b64;
	const char *name = hex->json ? "PayloadHex" : "Payload";
	int rc;

	j->payload_param = name;
	if (b64->json && hex->json) {
		rf_action_parameter_value_conflict(resp, "PayloadHex", hex->str);
		return -EINVAL;
	}
	if (!given->json) {
		j->payload = calloc(1, 1);
		return j->payload ? 0 : -ENOMEM;
	}
	rc = (hex->json ? hex_decode : base64_decode)(given->str, given->len, &j->payload,
						      &j->payload_len);
	if (rc == -EINVAL)
		rf_action_parameter_value_format_error(resp, given->str, name, ACTION_NAME);
	return rc;
}

/* Parse {"Payload": base64? | "PayloadHex": hex?, "TimeoutMs": int?}
 * strictly. */
static int parse_submit(const struct http_request *req, struct submit_job *j,
			struct http_response *resp)
{
	json_error_t jerr;
	struct jm_value v[S__N];
	json_t *body;
	int rc;

	j->payload_param = "Payload";
	if (!req->body) {
		j->payload = calloc(1, 1);
		return j->payload ? 0 : -ENOMEM;
	}
	body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!body || !json_is_object(body)) {
		rf_malformed_json(resp);
		json_decref(body);
		return -EINVAL;
	}
	if ((rc = rf_body_read(body, &submit_body, v, resp)) || (rc = decode_payload(v, j, resp)))
		goto out;
	if (v[S_TIMEOUT].json)
		j->timeout_ms = (unsigned)v[S_TIMEOUT].num;
out:
	json_decref(body);
	return rc;
}

static int h_vendor_command_submit(const struct route_ctx *ctx, struct http_response *resp)
{
	struct vc_ctx v;
	struct submit_job *j;
	const char *id = route_param(ctx->params, "cmd");
	uint16_t eff = 0;
	int rc;

	if (vc_open(ctx, resp, &v))
		return 0;
	if (!approved_here(v.cat, &v.info, &v.cel, id, &eff)) {
		rf_resource_not_found(resp, "VendorCommand", id);
		vc_close(&v);
		return 0;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		vc_close(&v);
		return -ENOMEM;
	}
	j->agent = ctx->agent;
	j->who = *ctx->who;
	snprintf(j->peer, sizeof(j->peer), "%s", ctx->who->peer ? ctx->who->peer : "");
	j->who.peer = j->peer;
	j->idx = (size_t)v.idx;
	snprintf(j->device_id, sizeof(j->device_id), "%s", v.info.id);
	j->cat = catalogue_ref(v.cat);
	j->approval = catalogue_find_id(j->cat, id);
	vc_close(&v);
	rc = parse_submit(ctx->req, j, resp);
	if (rc) {
		submit_job_release(j);
		return rc == -EINVAL ? 0 : rc;
	}
	resp->defer = (struct http_deferred){ submit_run, submit_job_release, j, NULL,
					      command_can_start(ctx->agent) ? submit_start : NULL };
	return 0;
}

/* OEM. Any caller may try a command: the policy decides from the CEL
 * effects and the caller's CxlCommand* privileges, and every attempt is
 * audited. */
const struct route vendor_command_routes[] = {
	{ GET_HEAD, DEVICE_ROUTE "/Oem/CxlAgent/VendorCommands", LOGIN,
	  h_vendor_command_collection, UNCACHED },
	{ GET_HEAD, DEVICE_ROUTE "/Oem/CxlAgent/VendorCommands/{cmd}", LOGIN, h_vendor_command,
	  UNCACHED },
	{ HTTP_POST, DEVICE_ROUTE "/Oem/CxlAgent/VendorCommands/{cmd}/Actions/" ACTION_NAME, LOGIN,
	  h_vendor_command_submit, UNCACHED },
	{ 0 },
};

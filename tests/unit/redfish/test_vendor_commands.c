/* vendor_commands.c: the approved commands of a device and their Submit
 * action against the emulated device: listing, a member, submissions that
 * are allowed, denied by the policy, refused for their input, answered
 * Busy or Internal Error by the device, and a background operation that
 * becomes a Task. Every attempt leaves its record in the audit log. Behind
 * a broker, a submission is started from the server thread and its answer
 * made when the outcome comes back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "fixture.h"
#include "core/remote.h"
#include "cxl/emu_hooks.h"
#include "events/bus.h"
#include "metrics/metrics.h"

#define DEV0_COMMANDS RFX_DEVICES RFX_DEV0 "/Oem/CxlAgent/VendorCommands"
#define SUBMIT(cmd) DEV0_COMMANDS "/" cmd "/Actions/CxlAgent.Submit"

struct vc {
	struct rfx *f;
	char operator_auth[256];
	char reader[256];
	char writer[256];
};

static int setup(void **state)
{
	struct vc *v = calloc(1, sizeof(*v));
	struct role_info ri;

	if (!v || !(v->f = rfx_open()))
		return -1;
	if (rfx_user(v->f, "operator", "Operator", v->operator_auth, sizeof(v->operator_auth)) ||
	    rfx_user(v->f, "reader", "ReadOnly", v->reader, sizeof(v->reader)) ||
	    accounts_role_create(v->f->ag.accounts, "Writer",
				 PRIV_LOGIN | PRIV_CONFIGURE_SELF | PRIV_CXL_COMMAND_WRITE_FULL,
				 &ri) ||
	    rfx_user(v->f, "writer", "Writer", v->writer, sizeof(v->writer)))
		return -1;
	*state = v;
	return 0;
}

static int teardown(void **state)
{
	struct vc *v = *state;
	rfx_close(v->f);
	free(v);
	return 0;
}

static void test_collection(void **state)
{
	struct vc *v = *state;
	struct rfx_reply r = rfx_get(v->f, DEV0_COMMANDS, v->reader);

	assert_int_equal(r.status, 200);
	assert_string_equal(rfx_str(r.body, "@odata.type"),
			    "#CxlAgent.v1_0_0.VendorCommandCollection");
	assert_int_equal(rfx_int(r.body, "Members@odata.count"), 4);
	assert_string_equal(rfx_str(r.body, "Members/0/@odata.id"),
			    DEV0_COMMANDS "/emu-read-telemetry");
	rfx_free(&r);
}

static void test_member(void **state)
{
	struct vc *v = *state;
	struct rfx_reply r = rfx_get(v->f, DEV0_COMMANDS "/emu-set-config-after-reset", v->reader);

	assert_int_equal(r.status, 200);
	assert_string_equal(rfx_str(r.body, "Opcode"), "0xC001");
	assert_string_equal(rfx_str(r.body, "Scope"), "Configure");
	assert_string_equal(rfx_str(r.body, "PrivilegeRequired"), "CxlCommandConfigure");
	assert_true(json_is_true(rfx_at(r.body, "EffectsMatchApproval")));
	assert_true(json_is_true(rfx_at(r.body, "Effects/ConfigChangeAfterColdReset")));
	assert_int_equal(rfx_int(r.body, "Input/MinBytes"), 4);
	assert_string_equal(rfx_str(r.body, "Delivery/Method"), "Emulated");
	assert_string_equal(rfx_str(r.body, "Actions/#CxlAgent.Submit/target"),
			    SUBMIT("emu-set-config-after-reset"));
	rfx_free(&r);

	r = rfx_get(v->f, DEV0_COMMANDS "/emu-unknown", v->reader);
	assert_int_equal(r.status, 404);
	assert_string_equal(rfx_str(r.body, "error/@Message.ExtendedInfo/0/MessageArgs/0"),
			    "VendorCommand");
	rfx_free(&r);
	r = rfx_get(v->f, RFX_DEVICES "0000000000000009/Oem/CxlAgent/VendorCommands", v->reader);
	assert_int_equal(r.status, 404);
	rfx_free(&r);
}

/* The audit record named by a reply exists, with this decision. */
static void check_audited(struct vc *v, const struct rfx_reply *r, const char *oem_path,
			  const char *decision)
{
	const char *id = rfx_str(r->body, oem_path);
	json_t *rec = NULL;

	assert_non_null(id);
	assert_int_equal(audit_find(v->f->ag.audit, id, &rec), 0);
	assert_string_equal(rfx_str(rec, "decision"), decision);
	json_decref(rec);
}

static void test_submit_allowed(void **state)
{
	struct vc *v = *state;
	struct rfx_reply r = rfx_send(v->f, HTTP_POST, SUBMIT("emu-read-telemetry"),
				      v->operator_auth, "{}", NULL);
	uint8_t *out = NULL;
	size_t out_len = 0;

	assert_int_equal(r.status, 200);
	assert_string_equal(rfx_str(r.body, "@odata.type"), "#CxlAgent.v1_0_0.SubmitResult");
	assert_int_equal(rfx_int(r.body, "MailboxReturnCode"), 0);
	assert_int_equal(base64_decode(rfx_str(r.body, "OutputPayload"),
				       strlen(rfx_str(r.body, "OutputPayload")), &out, &out_len),
			 0);
	assert_int_equal(out_len, 64); /* the telemetry blob */
	free(out);
	check_audited(v, &r, "AuditRecordId", "Allowed");
	rfx_free(&r);

	/* Configure scope with its 4-byte input */
	r = rfx_send(v->f, HTTP_POST, SUBMIT("emu-set-config-after-reset"), v->operator_auth,
		     "{\"Payload\": \"AQAAAA==\", \"TimeoutMs\": 5000}", NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(rfx_int(r.body, "MailboxReturnCode"), 0);
	rfx_free(&r);
}

/* The payload of a reply's audit record, as its SHA-256 (new string). */
static char *audited_digest(struct vc *v, const struct rfx_reply *r)
{
	json_t *rec = NULL;
	char *d;

	assert_int_equal(audit_find(v->f->ag.audit, rfx_str(r->body, "AuditRecordId"), &rec), 0);
	d = strdup(rfx_str(rec, "payload_sha256"));
	json_decref(rec);
	return d;
}

/* PayloadHex carries the same bytes as base64 Payload. */
static void test_submit_payload_hex(void **state)
{
	struct vc *v = *state;
	struct rfx_reply a = rfx_send(v->f, HTTP_POST, SUBMIT("emu-set-config-after-reset"),
				      v->operator_auth, "{\"Payload\": \"AQIDBA==\"}", NULL);
	struct rfx_reply b = rfx_send(v->f, HTTP_POST, SUBMIT("emu-set-config-after-reset"),
				      v->operator_auth, "{\"PayloadHex\": \"01020304\"}", NULL);
	char *da, *db;

	assert_int_equal(a.status, 200);
	assert_int_equal(b.status, 200);
	da = audited_digest(v, &a);
	db = audited_digest(v, &b);
	assert_string_equal(da, db);
	free(da);
	free(db);
	rfx_free(&a);
	rfx_free(&b);
	/* a refusal of the payload names the parameter the caller used */
	a = rfx_send(v->f, HTTP_POST, SUBMIT("emu-read-telemetry"), v->operator_auth,
		     "{\"PayloadHex\": \"01000000\"}", NULL);
	assert_int_equal(a.status, 400);
	assert_string_equal(rfx_str(a.body, "error/@Message.ExtendedInfo/0/MessageArgs/0"),
			    "PayloadHex");
	rfx_free(&a);
}

static void test_submit_denied(void **state)
{
	struct vc *v = *state;
	/* WriteFull is in no predefined role: the Administrator is refused too */
	const char *callers[] = { v->operator_auth, v->f->admin, v->reader };

	for (size_t i = 0; i < 3; i++) {
		struct rfx_reply r = rfx_send(v->f, HTTP_POST, SUBMIT("emu-set-mode"), callers[i],
					      "{\"Payload\": \"AQAAAA==\"}", NULL);
		assert_int_equal(r.status, 403);
		assert_string_equal(rfx_message_id(&r), "InsufficientPrivilege");
		assert_string_equal(rfx_str(r.body, "error/@Message.ExtendedInfo/1/Oem/CxlAgent/"
						    "Scope"),
				    "WriteFull");
		assert_non_null(rfx_str(r.body, "error/@Message.ExtendedInfo/1/Oem/CxlAgent/"
						"DenialReason"));
		check_audited(v, &r, "error/@Message.ExtendedInfo/1/Oem/CxlAgent/AuditRecordId",
			      "Denied");
		rfx_free(&r);
	}
	/* ReadOnly holds no CxlCommand privilege at all */
	struct rfx_reply r = rfx_send(v->f, HTTP_POST, SUBMIT("emu-read-telemetry"), v->reader,
				      "{}", NULL);
	assert_int_equal(r.status, 403);
	rfx_free(&r);
}

static void test_submit_bad_input(void **state)
{
	struct vc *v = *state;
	static const char *const cases[][2] = {
		{ "{\"Payload\": \"AQAAAA==\"}", "ActionParameterValueError" }, /* over max_bytes */
		{ "{\"Payload\": 5}", "ActionParameterValueTypeError" },
		{ "{\"Payload\": \"!!notbase64\"}", "ActionParameterValueFormatError" },
		{ "{\"PayloadHex\": 5}", "ActionParameterValueTypeError" },
		{ "{\"PayloadHex\": null}", "ActionParameterValueTypeError" },
		{ "{\"PayloadHex\": \"0g\"}", "ActionParameterValueFormatError" },
		{ "{\"PayloadHex\": \"010\"}", "ActionParameterValueFormatError" },
		{ "{\"PayloadHex\": \"0x01\"}", "ActionParameterValueFormatError" },
		{ "{\"PayloadHex\": \"01000000\"}", "ActionParameterValueError" }, /* over max */
		{ "{\"Payload\": \"\", \"PayloadHex\": \"\"}", "ActionParameterValueConflict" },
		{ "{\"PayloadHex\": \"\", \"Payload\": \"AA==\"}", "ActionParameterValueConflict" },
		{ "{\"TimeoutMs\": \"1\"}", "ActionParameterValueTypeError" },
		{ "{\"TimeoutMs\": 0}", "ActionParameterValueError" },
		{ "{\"TimeoutMs\": 60001}", "ActionParameterValueError" },
		{ "{\"Other\": 1}", "ActionParameterUnknown" },
		{ "[1]", "MalformedJSON" },
		{ "{", "MalformedJSON" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rfx_reply r = rfx_send(v->f, HTTP_POST, SUBMIT("emu-read-telemetry"),
					      v->operator_auth, cases[i][0], NULL);
		if (r.status != 400 || strcmp(rfx_message_id(&r), cases[i][1]) != 0)
			fail_msg("%s: %d %s, want 400 %s", cases[i][0], r.status, rfx_message_id(&r),
				 cases[i][1]);
		rfx_free(&r);
	}
	struct rfx_reply r = rfx_send(v->f, HTTP_POST, SUBMIT("emu-nothing"), v->operator_auth,
				      "{}", NULL);
	assert_int_equal(r.status, 404);
	rfx_free(&r);
}

/* What the device answers becomes the status: Busy a 503 to retry, an
 * Internal Error a 502, each with the mailbox code in the detail. */
static void test_submit_device_refusals(void **state)
{
	struct vc *v = *state;
	struct rfx_reply r;

	assert_int_equal(emu_inject(v->f->ag.devices, 0, CXL_EMU_FAULT_BUSY, 1, 0xC000), 0);
	r = rfx_send(v->f, HTTP_POST, SUBMIT("emu-read-telemetry"), v->operator_auth, "{}", NULL);
	assert_int_equal(r.status, 503);
	assert_string_equal(rfx_message_id(&r), "ServiceTemporarilyUnavailable");
	assert_string_equal(r.retry_after, "1");
	assert_int_equal(rfx_int(r.body, "error/@Message.ExtendedInfo/1/Oem/CxlAgent/"
					 "MailboxReturnCode"),
			 6);
	rfx_free(&r);

	assert_int_equal(emu_inject(v->f->ag.devices, 0, CXL_EMU_FAULT_INTERNAL, 1, 0xC000), 0);
	r = rfx_send(v->f, HTTP_POST, SUBMIT("emu-read-telemetry"), v->operator_auth, "{}", NULL);
	assert_int_equal(r.status, 502);
	assert_string_equal(rfx_message_id(&r), "GeneralError");
	rfx_free(&r);

	/* the fault is spent: the next one runs */
	r = rfx_send(v->f, HTTP_POST, SUBMIT("emu-read-telemetry"), v->operator_auth, "{}", NULL);
	assert_int_equal(r.status, 200);
	rfx_free(&r);
}

static void test_submit_background(void **state)
{
	struct vc *v = *state;
	struct task_info ti;
	struct rfx_reply r = rfx_send(v->f, HTTP_POST, SUBMIT("emu-background-op"), v->writer,
				      "{\"Payload\": \"ZAAAAA==\"}", NULL);

	assert_int_equal(r.status, 202);
	assert_true(strncmp(r.location, "/redfish/v1/TaskService/TaskMonitors/", 37) == 0);
	assert_string_equal(rfx_str(r.body, "TaskMonitor"), r.location);
	assert_true(strncmp(rfx_str(r.body, "@odata.id"), "/redfish/v1/TaskService/Tasks/", 30) == 0);
	assert_string_equal(rfx_str(r.body, "@odata.type"), "#Task.v1_7_4.Task");
	assert_string_equal(rfx_str(r.body, "Oem/CxlAgent/Command"), "emu-background-op");
	assert_string_equal(rfx_str(r.body, "Oem/CxlAgent/Owner"), "writer");
	assert_string_equal(rfx_str(r.body, "Oem/CxlAgent/Device"), RFX_DEV0);
	check_audited(v, &r, "Oem/CxlAgent/AuditRecordId", "Allowed");
	/* The operation ends on its own; its watcher is done with the agent
	 * before the next test changes it. */
	assert_int_equal(rfx_task_ended(v->f, (unsigned)strtoul(rfx_str(r.body, "Id"), NULL, 10),
				       &ti), 0);
	assert_int_equal(ti.state, TASK_COMPLETED);
	rfx_free(&r);
}

/* A broker that takes commands and answers when the test says. */
struct fake_broker {
	int rc; /* what submit_start returns */
	int calls;
	size_t idx;
	char command_id[80];
	void (*done)(void *arg, int rc, struct command_outcome *out);
	void *arg;
};

static int fake_submit_start(void *ctx, const struct identity *who, size_t idx,
			     const char *device_id, const char *command_id,
			     const uint8_t *payload, size_t payload_len, unsigned timeout_ms,
			     void (*done)(void *arg, int rc, struct command_outcome *out), void *arg)
{
	struct fake_broker *fb = ctx;
	(void)who;
	(void)device_id;
	(void)payload;
	(void)payload_len;
	(void)timeout_ms;
	if (fb->rc)
		return fb->rc;
	fb->calls++;
	fb->idx = idx;
	snprintf(fb->command_id, sizeof(fb->command_id), "%s", command_id ? command_id : "");
	fb->done = done;
	fb->arg = arg;
	return 0;
}

static void mark_done(void *arg)
{
	(*(int *)arg)++;
}

/* What the agent had recorded when the answer was finished. */
struct at_done {
	struct agent *ag;
	int done;
	uint64_t published; /* events */
	bool counted;       /* the command, in the metrics */
};

static bool metrics_have(struct metrics *m, const char *needle)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	bool found;

	assert_non_null(f);
	assert_int_equal(metrics_write(m, f), 0);
	fclose(f);
	found = strstr(text, needle) != NULL;
	free(text);
	return found;
}

static void note_done(void *arg)
{
	struct at_done *d = arg;
	struct event_bus_stats st;

	event_bus_stats(d->ag->events, &st);
	d->published = st.published;
	d->counted = metrics_have(d->ag->metrics, "mailbox_commands_total{");
	d->done++;
}

/* The submission as the server thread sees it: the deferred work. */
static void submit_deferred(struct vc *v, struct http_response *resp)
{
	struct http_header h[2] = { { "Authorization", v->operator_auth },
				    { "Content-Type", "application/json" } };
	struct http_request req;
	/* The caller's credential verified just before: the cache keeps one
	 * per slot, and another user's (a slot shared under the process's
	 * random key) would send this request to the password pool instead. */
	struct rfx_reply r = rfx_get(v->f, DEV0_COMMANDS, v->operator_auth);

	assert_int_equal(r.status, 200);
	rfx_free(&r);
	memset(&req, 0, sizeof(req));
	req.method = HTTP_POST;
	req.method_token = "POST";
	req.path = SUBMIT("emu-read-telemetry");
	req.headers = h;
	req.nheaders = 2;
	req.peer = "192.0.2.20";
	req.body = "{}";
	req.body_len = 2;
	http_response_init(resp);
	service_handle(&v->f->ag, &req, resp);
	assert_non_null(resp->defer.run);
}

/* The submission and its answer, once the test is done with both. */
static void release_started(struct http_response *resp, struct http_response *answer)
{
	http_response_release(answer);
	resp->defer.release(resp->defer.arg);
	resp->defer = (struct http_deferred){ 0 };
	http_response_release(resp);
}

static void test_submit_started(void **state)
{
	struct vc *v = *state;
	static const struct agent_remote remote = { .submit_start = fake_submit_start };
	struct fake_broker fb = { 0 };
	struct http_response resp, answer;
	struct command_outcome o;
	uint8_t blob[4] = { 1, 2, 3, 4 };
	int done = 0;
	json_t *body;
	json_error_t jerr;

	/* in one process there is nothing to start: the work runs */
	submit_deferred(v, &resp);
	assert_null(resp.defer.start);
	http_response_release(&resp);

	v->f->ag.remote = &remote;
	v->f->ag.remote_ctx = &fb;
	submit_deferred(v, &resp);
	assert_non_null(resp.defer.start);
	http_response_init(&answer);
	assert_int_equal(resp.defer.start(resp.defer.arg, &answer, mark_done, &done), 0);
	assert_int_equal(fb.calls, 1);
	assert_int_equal(fb.idx, 0);
	assert_string_equal(fb.command_id, "emu-read-telemetry");
	assert_int_equal(done, 0);

	/* the outcome arrives: the answer is made and finished there */
	memset(&o, 0, sizeof(o));
	o.stage = COMMAND_SUBMITTED;
	snprintf(o.audit_id, sizeof(o.audit_id), "%s", "4242");
	o.result.out = blob;
	o.result.out_len = sizeof(blob);
	fb.done(fb.arg, 0, &o);
	assert_int_equal(done, 1);
	assert_int_equal(answer.status, 200);
	assert_string_equal(http_response_get_header(&answer, "OData-Version"), "4.0");
	assert_non_null(answer.text);
	body = json_loadb(answer.text, answer.text_len, 0, &jerr);
	assert_string_equal(rfx_str(body, "AuditRecordId"), "4242");
	assert_string_equal(rfx_str(body, "OutputPayload"), "AQIDBA==");
	json_decref(body);
	release_started(&resp, &answer);

	/* a failure on the way is a 500, still finished */
	submit_deferred(v, &resp);
	http_response_init(&answer);
	assert_int_equal(resp.defer.start(resp.defer.arg, &answer, mark_done, &done), 0);
	fb.done(fb.arg, -EPIPE, NULL);
	assert_int_equal(done, 2);
	assert_int_equal(answer.status, 500);
	assert_string_equal(http_response_get_header(&answer, "OData-Version"), "4.0");
	release_started(&resp, &answer);

	/* not taken (no free request slot): nothing is called, run is used */
	fb.rc = -EAGAIN;
	submit_deferred(v, &resp);
	http_response_init(&answer);
	assert_int_not_equal(resp.defer.start(resp.defer.arg, &answer, mark_done, &done), 0);
	assert_int_equal(done, 2);
	assert_int_equal(fb.calls, 2);
	release_started(&resp, &answer);

	v->f->ag.remote = NULL;
	v->f->ag.remote_ctx = NULL;
}

/* A started command's answer is finished as soon as its outcome is in: it
 * is counted by then (metrics read after the answer include it), and its
 * two events follow, on the same thread, rather than delay it. */
static void test_started_answer_before_events(void **state)
{
	struct vc *v = *state;
	static const struct agent_remote remote = { .submit_start = fake_submit_start };
	struct fake_broker fb = { 0 };
	struct at_done at = { .ag = &v->f->ag };
	struct http_response resp, answer;
	struct event_bus_stats st;
	struct command_outcome o;

	assert_int_equal(event_bus_new(16, 1, &v->f->ag.events), 0);
	assert_int_equal(metrics_new(&v->f->ag.metrics), 0);
	v->f->ag.remote = &remote;
	v->f->ag.remote_ctx = &fb;
	submit_deferred(v, &resp);
	http_response_init(&answer);
	assert_int_equal(resp.defer.start(resp.defer.arg, &answer, note_done, &at), 0);

	memset(&o, 0, sizeof(o));
	o.stage = COMMAND_SUBMITTED;
	snprintf(o.audit_id, sizeof(o.audit_id), "%s", "4243");
	fb.done(fb.arg, 0, &o);
	assert_int_equal(at.done, 1);
	assert_int_equal(answer.status, 200);
	assert_true(at.counted);
	assert_int_equal(at.published, 0);
	event_bus_stats(v->f->ag.events, &st);
	assert_int_equal(st.published, 2); /* VendorCommandAllowed, ...Completed */

	release_started(&resp, &answer);
	v->f->ag.remote = NULL;
	v->f->ag.remote_ctx = NULL;
	event_bus_free(v->f->ag.events);
	v->f->ag.events = NULL;
	metrics_free(v->f->ag.metrics);
	v->f->ag.metrics = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collection),
		cmocka_unit_test(test_member),
		cmocka_unit_test(test_submit_allowed),
		cmocka_unit_test(test_submit_payload_hex),
		cmocka_unit_test(test_submit_denied),
		cmocka_unit_test(test_submit_bad_input),
		cmocka_unit_test(test_submit_device_refusals),
		cmocka_unit_test(test_submit_background),
		cmocka_unit_test(test_submit_started),
		cmocka_unit_test(test_started_answer_before_events),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

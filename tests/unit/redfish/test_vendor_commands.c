/* vendor_commands.c: the approved commands of a device and their Submit
 * action against the emulated device: listing, a member, submissions that
 * are allowed, denied by the policy, refused for their input, answered
 * Busy or Internal Error by the device, and a background operation that
 * becomes a Task. Every attempt leaves its record in the audit log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "fixture.h"
#include "cxl/emu_hooks.h"

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
	rfx_free(&r);
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
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

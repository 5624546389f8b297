/* managers.c: the agent as its Manager (backend, catalogue, audit health)
 * and the audit log as its LogService, read with ConfigureManager only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "fixture.h"
#include "version.h"

#define LOGS MANAGER_URI "/LogServices"
#define AUDIT LOGS "/Audit"
#define READ_TELEMETRY RFX_DEVICES RFX_DEV0 RFX_COMMANDS "emu-read-telemetry/Actions/CxlAgent.Submit"

struct mt {
	struct rfx *f;
	char operator_auth[256];
};

static int setup(void **state)
{
	struct mt *m = calloc(1, sizeof(*m));

	if (!m || !(m->f = rfx_open()) ||
	    rfx_user(m->f, "operator", "Operator", m->operator_auth, sizeof(m->operator_auth)))
		return -1;
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	struct mt *m = *state;
	rfx_close(m->f);
	free(m);
	return 0;
}

static void test_manager(void **state)
{
	struct mt *m = *state;
	struct rfx_reply r = rfx_get(m->f, "/redfish/v1/Managers", m->operator_auth);

	assert_int_equal(r.status, 200);
	assert_int_equal(rfx_int(r.body, "Members@odata.count"), 1);
	assert_string_equal(rfx_str(r.body, "Members/0/@odata.id"), MANAGER_URI);
	rfx_free(&r);

	r = rfx_get(m->f, MANAGER_URI, m->operator_auth);
	assert_int_equal(r.status, 200);
	assert_string_equal(rfx_str(r.body, "@odata.type"), "#Manager.v1_24_0.Manager");
	assert_string_equal(rfx_str(r.body, "FirmwareVersion"), CXLA_VERSION);
	assert_string_equal(rfx_str(r.body, "UUID"), m->f->ag.uuid);
	assert_string_equal(rfx_str(r.body, "Status/Health"), "OK");
	assert_string_equal(rfx_str(r.body, "Oem/CxlAgent/Backend"), "emulated");
	assert_int_equal(rfx_int(r.body, "Oem/CxlAgent/ApprovedCommands"), 4);
	assert_true(json_is_true(rfx_at(r.body, "Oem/CxlAgent/AuditHealthy")));
	assert_null(rfx_at(r.body, "Oem/CxlAgent/AuditError"));
	assert_string_equal(rfx_str(r.body, "LogServices/@odata.id"), LOGS);
	rfx_free(&r);

	r = rfx_get(m->f, "/redfish/v1/Managers/bmc", m->operator_auth);
	assert_int_equal(r.status, 404);
	assert_string_equal(rfx_str(r.body, "error/@Message.ExtendedInfo/0/MessageArgs/0"), "Manager");
	rfx_free(&r);
}

/* The audit log tells who ran what: an Operator may not read it. */
static void test_audit_needs_configure_manager(void **state)
{
	struct mt *m = *state;
	static const char *const paths[] = { LOGS, AUDIT, AUDIT "/Entries", AUDIT "/Entries/1" };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct rfx_reply r = rfx_get(m->f, paths[i], m->operator_auth);
		assert_int_equal(r.status, 403);
		rfx_free(&r);
	}
}

static void test_audit_log(void **state)
{
	struct mt *m = *state;
	struct rfx_reply r = rfx_get(m->f, LOGS, m->f->admin), cmd, entry;
	const char *id;
	char last_id[160];
	json_t *last;

	assert_int_equal(r.status, 200);
	assert_string_equal(rfx_str(r.body, "Members/0/@odata.id"), AUDIT);
	rfx_free(&r);
	r = rfx_get(m->f, AUDIT, m->f->admin);
	assert_int_equal(r.status, 200);
	assert_string_equal(rfx_str(r.body, "Status/Health"), "OK");
	assert_string_equal(rfx_str(r.body, "Entries/@odata.id"), AUDIT "/Entries");
	rfx_free(&r);

	/* a command leaves its intent and its result */
	cmd = rfx_send(m->f, HTTP_POST, READ_TELEMETRY, m->operator_auth, "{}", NULL);
	assert_int_equal(cmd.status, 200);
	r = rfx_get(m->f, AUDIT "/Entries", m->f->admin);
	assert_int_equal(r.status, 200);
	assert_int_equal(rfx_int(r.body, "Members@odata.count"), 2);
	assert_string_equal(rfx_str(r.body, "Members/0/Id"), rfx_str(cmd.body, "AuditRecordId"));
	assert_string_equal(rfx_str(r.body, "Members/0/Oem/CxlAgent/RecordType"), "Intent");
	assert_string_equal(rfx_str(r.body, "Members/0/Oem/CxlAgent/UserName"), "operator");
	assert_string_equal(rfx_str(r.body, "Members/0/OemRecordFormat"), "CxlAgentAudit");
	assert_non_null(strstr(rfx_str(r.body, "Members/0/Message"), "by operator on device"));
	last = rfx_at(r.body, "Members/1");
	assert_string_equal(rfx_str(last, "Oem/CxlAgent/IntentRecordId"), rfx_str(cmd.body, "AuditRecordId"));
	id = rfx_str(last, "@odata.id");
	snprintf(last_id, sizeof(last_id), "%s", id);
	entry = rfx_get(m->f, id, m->f->admin);
	assert_int_equal(entry.status, 200);
	assert_true(json_equal(entry.body, last));
	rfx_free(&entry);
	rfx_free(&r);
	rfx_free(&cmd);

	/* paging: the log reads only the page asked for and links the next */
	r = rfx_get(m->f, AUDIT "/Entries?$skip=1", m->f->admin);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(rfx_at(r.body, "Members")), 1);
	assert_int_equal(rfx_int(r.body, "Members@odata.count"), 2);
	assert_string_equal(rfx_str(r.body, "Members/0/@odata.id"), last_id);
	assert_null(rfx_at(r.body, "Members@odata.nextLink"));
	rfx_free(&r);
	r = rfx_get(m->f, AUDIT "/Entries?$top=1", m->f->admin);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(rfx_at(r.body, "Members")), 1);
	assert_int_equal(rfx_int(r.body, "Members@odata.count"), 2);
	assert_string_equal(rfx_str(r.body, "Members@odata.nextLink"),
			    AUDIT "/Entries?$skip=1&$top=1");
	rfx_free(&r);
	r = rfx_get(m->f, AUDIT "/Entries?$skip=x", m->f->admin);
	assert_int_equal(r.status, 400);
	assert_string_equal(rfx_message_id(&r), "QueryParameterValueTypeError");
	rfx_free(&r);
	/* the private parameter of earlier versions is just another unknown one */
	r = rfx_get(m->f, AUDIT "/Entries?skip=1", m->f->admin);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(rfx_at(r.body, "Members")), 2);
	rfx_free(&r);
	r = rfx_get(m->f, AUDIT "/Entries/no-such-record", m->f->admin);
	assert_int_equal(r.status, 404);
	assert_string_equal(rfx_str(r.body, "error/@Message.ExtendedInfo/0/MessageArgs/0"),
			    "LogEntry");
	rfx_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manager),
		cmocka_unit_test(test_audit_needs_configure_manager),
		cmocka_unit_test(test_audit_log),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

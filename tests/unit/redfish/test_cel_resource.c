/* The CommandEffectsLog resource against the emulated device's CEL, entry by
 * entry: an agent is opened as the daemon opens one (tests/unit/support:
 * emulated devices, state in a temporary directory), and GETs go through the
 * whole service edge (service_handle: Basic authentication, routing,
 * privileges, ETag) exactly as the daemon serves them. Every JSON entry is compared with
 * cxl_devset_cel(): opcode, raw effects, each effect flag, command name,
 * reserved bits, kernel ownership, scope, privilege, delivery. The CEL itself
 * is checked against the model: the vendor opcodes and effects documented in
 * agent/cxl/emulated/commands.c, every listed opcode implemented, unlisted ones
 * answered Unsupported. A second group opens a device whose Get Supported
 * Logs is malformed ("bad_cel" fault): its CEL resource is empty. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "auth/privilege.h"
#include "cxl/cel.h"
#include "cxl/device.h"
#include "cxl/emu_hooks.h"
#include "cxl/emulated/emulated.h"
#include "http/message.h"
#include "policy/catalogue.h"
#include "policy/policy.h"
#include "redfish/resource.h"
#include "redfish/routes.h"
#include "redfish/service.h"
#include "support/agent_fixture.h"

#define DEV0 "1000000000000001"
#define DEV1 "1000000000000002"
#define DEVICES "/redfish/v1/Chassis/" CHASSIS_ID "/PCIeDevices/"
#define CEL_SUFFIX "/Oem/CxlAgent/CommandEffectsLog"

struct reply {
	int status;
	json_t *body; /* NULL for an empty body */
	char etag[64];
};

/* ---- fixture ---- */

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* One device whose Get Supported Logs reports a CEL size that is not a
 * multiple of 4 from the first command on; the profile's path in profile. */
static int write_bad_cel_profile(const char *dir, char *profile, size_t len)
{
	char fault[512];
	char *text = NULL;
	int rc;

	snprintf(fault, sizeof(fault), "%s/fault.json", dir);
	snprintf(profile, len, "%s/profile.json", dir);
	if (write_file(fault, "{\"fault\": \"bad_cel\", \"count\": -1}") ||
	    asprintf(&text,
		     "{\"devices\": [{\"name\": \"emu0\", \"serial\": \"0x1000000000000001\","
		     " \"pci_vendor_id\": \"0x8086\", \"pci_device_id\": \"0x0d93\","
		     " \"firmware_revision\": \"EMU FW 1.0.0\", \"volatile_bytes\": 4294967296,"
		     " \"persistent_bytes\": 0, \"lsa_bytes\": 131072, \"payload_max\": 4096,"
		     " \"numa_node\": 0, \"fault_control\": \"%s\"}]}",
		     fault) < 0)
		return -1;
	rc = write_file(profile, text);
	free(text);
	return rc;
}

/* bad_cel: 0 for the built-in two-device profile, 1 for the profile above. */
static int fixture_new(void **state, int bad_cel)
{
	struct test_agent *t;
	char profile[512], cfg[1024];
	json_t *o;
	char *text;
	int rc;

	if (test_agent_prepare(&t))
		return -1;
	o = json_pack("{s:i, s:i, s:i}", "command_timeout_ms", 2000, "refresh_interval_ms", 60000,
		      "event_ring_size", 64);
	if (bad_cel && (write_bad_cel_profile(t->dir, profile, sizeof(profile)) ||
			json_object_set_new(o, "emulated_profile", json_string(profile)))) {
		json_decref(o);
		test_agent_close(t);
		return -1;
	}
	text = json_dumps(o, 0);
	json_decref(o);
	snprintf(cfg, sizeof(cfg), "%s", text ? text : "");
	free(text);
	rc = test_agent_start(t, cfg);
	if (rc) {
		test_agent_close(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int setup_builtin(void **state)
{
	return fixture_new(state, 0);
}

static int setup_bad_cel(void **state)
{
	return fixture_new(state, 1);
}

static int teardown(void **state)
{
	test_agent_close(*state);
	return 0;
}

/* ---- requests through the service edge ---- */

static struct reply get(struct test_agent *f, const char *path, const char *if_none_match,
			const struct http_header *query, size_t nquery, int authenticate)
{
	struct http_header hdrs[3];
	size_t n = 0;
	struct http_request req;
	struct http_response resp;
	struct reply r;
	const char *etag;

	memset(&r, 0, sizeof(r));
	memset(&req, 0, sizeof(req));
	hdrs[n++] = (struct http_header){ "Accept", "application/json" };
	if (authenticate)
		hdrs[n++] = (struct http_header){ "Authorization", f->admin_auth };
	if (if_none_match)
		hdrs[n++] = (struct http_header){ "If-None-Match", if_none_match };
	req.method = HTTP_GET;
	req.method_token = "GET";
	req.path = path;
	req.headers = hdrs;
	req.nheaders = n;
	req.query = query;
	req.nquery = nquery;
	req.peer = "127.0.0.1";
	http_response_init(&resp);
	service_handle(f->ag, &req, &resp);
	assert_null(resp.defer.run);
	r.status = resp.status;
	if (resp.text && resp.text_len) {
		json_error_t jerr;
		r.body = json_loadb(resp.text, resp.text_len, 0, &jerr);
		if (!r.body)
			fail_msg("%s: body is not JSON: %s", path, jerr.text);
	}
	etag = http_response_get_header(&resp, "ETag");
	if (etag)
		snprintf(r.etag, sizeof(r.etag), "%s", etag);
	assert_non_null(http_response_get_header(&resp, "OData-Version"));
	http_response_release(&resp);
	return r;
}

static void reply_free(struct reply *r)
{
	json_decref(r->body);
	r->body = NULL;
}

static const char *error_message_id(const struct reply *r)
{
	json_t *info = json_object_get(json_object_get(r->body, "error"), "@Message.ExtendedInfo");
	return json_string_value(json_object_get(json_array_get(info, 0), "MessageId"));
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = s ? strlen(s) : 0, b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* ---- the comparison ---- */

static void check_entry(struct test_agent *f, size_t idx, json_t *je, const struct cxl_cel_entry *e)
{
	char opcode[8];
	const char *name = cxl_opcode_name(e->opcode);
	int kernel_owned = cxl_opcode_kernel_owned(e->opcode);
	enum policy_scope scope = kernel_owned ? POLICY_SCOPE_REFUSED
					       : policy_scope_of_effects(e->effects);
	json_t *effects = json_object_get(je, "Effects");
	json_t *delivery = json_object_get(je, "Delivery");
	json_t *cmdname = json_object_get(je, "CommandName");
	json_t *priv = json_object_get(je, "PrivilegeRequired");
	struct cxl_delivery_info d;
	size_t nflags = 0;

	snprintf(opcode, sizeof(opcode), "0x%04X", e->opcode);
	assert_string_equal(json_string_value(json_object_get(je, "Opcode")), opcode);
	assert_true(json_is_integer(json_object_get(je, "RawEffects")));
	assert_int_equal(json_integer_value(json_object_get(je, "RawEffects")), e->effects);
	assert_true(json_is_object(effects));
	for (size_t k = 0; cxl_effect_names[k].name; k++, nflags++) {
		json_t *flag = json_object_get(effects, cxl_effect_names[k].name);
		if (!json_is_boolean(flag))
			fail_msg("%s: Effects.%s missing", opcode, cxl_effect_names[k].name);
		if (json_is_true(flag) != ((e->effects >> cxl_effect_names[k].bit) & 1))
			fail_msg("%s: Effects.%s is %d, raw effects 0x%04x", opcode,
				 cxl_effect_names[k].name, json_is_true(flag), e->effects);
	}
	assert_int_equal(json_object_size(effects), nflags);
	if (name)
		assert_string_equal(json_string_value(cmdname), name);
	else
		assert_true(json_is_null(cmdname));
	assert_int_equal(json_is_true(json_object_get(je, "ReservedBitsSet")),
			 cxl_effects_reserved_bits(e->effects) != 0);
	assert_true(json_is_boolean(json_object_get(je, "KernelOwned")));
	assert_int_equal(json_is_true(json_object_get(je, "KernelOwned")), kernel_owned != 0);
	assert_string_equal(json_string_value(json_object_get(je, "Scope")), policy_scope_name(scope));
	if (scope == POLICY_SCOPE_REFUSED)
		assert_null(priv);
	else
		assert_string_equal(json_string_value(priv),
				    privilege_name(policy_scope_privilege(scope)));
	assert_int_equal(cxl_devset_delivery(f->ag->devices, idx, e->opcode, &d), 0);
	assert_ptr_equal(d.path, &cxl_emu_path);
	assert_string_equal(json_string_value(json_object_get(delivery, "Method")), "Emulated");
	assert_true(json_is_true(json_object_get(delivery, "Available")));
	assert_null(json_object_get(delivery, "Reason"));
	assert_int_equal(json_object_size(je), scope == POLICY_SCOPE_REFUSED ? 8 : 9);
}

static void check_device(struct test_agent *f, const char *id)
{
	char path[256];
	struct cxl_cel cel;
	struct reply r;
	json_t *entries;
	int idx = cxl_devset_find(f->ag->devices, id);

	assert_true(idx >= 0);
	snprintf(path, sizeof(path), DEVICES "%s" CEL_SUFFIX, id);
	r = get(f, path, NULL, NULL, 0, 1);
	assert_int_equal(r.status, 200);
	assert_non_null(r.body);
	assert_string_equal(json_string_value(json_object_get(r.body, "@odata.id")), path);
	assert_string_equal(json_string_value(json_object_get(r.body, "@odata.type")),
			    "#CxlAgent.v1_0_0.CommandEffectsLog");
	assert_true(r.etag[0] == '"');

	assert_int_equal(cxl_devset_cel(f->ag->devices, (size_t)idx, &cel), 0);
	assert_true(cel.count > 0);
	entries = json_object_get(r.body, "Entries");
	assert_true(json_is_array(entries));
	assert_int_equal(json_array_size(entries), cel.count);
	assert_int_equal(json_integer_value(json_object_get(r.body, "Entries@odata.count")),
			 cel.count);
	for (size_t i = 0; i < cel.count; i++)
		check_entry(f, (size_t)idx, json_array_get(entries, i), &cel.entries[i]);
	cxl_cel_free(&cel);
	reply_free(&r);
}

/* ---- tests ---- */

static void test_cel_resource_matches_devset(void **state)
{
	struct test_agent *f = *state;
	assert_int_equal(cxl_devset_count(f->ag->devices), 2);
	check_device(f, DEV0);
	check_device(f, DEV1);
}

/* What agent/cxl/emulated/model.c documents: its vendor opcodes and effects, and
 * a few standard commands with effects. */
static void test_cel_is_the_documented_model(void **state)
{
	struct test_agent *f = *state;
	static const struct {
		uint16_t opcode;
		uint16_t effects;
	} documented[] = {
		{ CXL_EMU_OP_READ_TELEMETRY, 0 },
		{ CXL_EMU_OP_SET_CONFIG_RESET, CXL_EFFECT_CONFIG_CHANGE_COLD_RESET },
		{ CXL_EMU_OP_SET_MODE, CXL_EFFECT_IMMEDIATE_CONFIG_CHANGE | CXL_EFFECT_IMMEDIATE_DATA_CHANGE },
		{ CXL_EMU_OP_BACKGROUND, CXL_EFFECT_BACKGROUND_OPERATION | CXL_EFFECT_IMMEDIATE_DATA_CHANGE },
		{ CXL_OP_IDENTIFY, 0 },
		{ CXL_OP_GET_PARTITION_INFO, 0 },
		{ CXL_OP_GET_HEALTH_INFO, 0 },
		{ CXL_OP_GET_LSA, 0 },
		{ CXL_OP_SET_LSA, CXL_EFFECT_IMMEDIATE_CONFIG_CHANGE | CXL_EFFECT_IMMEDIATE_DATA_CHANGE },
		{ CXL_OP_GET_SUPPORTED_LOGS, 0 },
		{ CXL_OP_GET_LOG, 0 },
		{ CXL_OP_GET_EVENT_RECORDS, 0 },
		{ CXL_OP_CLEAR_EVENT_RECORDS, CXL_EFFECT_IMMEDIATE_LOG_CHANGE },
		{ CXL_OP_GET_TIMESTAMP, 0 },
		{ CXL_OP_SET_TIMESTAMP, CXL_EFFECT_IMMEDIATE_POLICY_CHANGE },
		{ CXL_OP_GET_FW_INFO, 0 },
		{ CXL_OP_BG_OP_STATUS, 0 },
	};
	/* Not modelled (model.c: "Not modelled"), so not in the CEL. */
	static const uint16_t absent[] = { CXL_OP_SET_PARTITION_INFO, CXL_OP_GET_POISON,
					   CXL_OP_SCAN_MEDIA, CXL_OP_SANITIZE, CXL_OP_TRANSFER_FW,
					   CXL_OP_ACTIVATE_FW, CXL_OP_GET_ALERT_CONFIG, 0x4500,
					   0xC004, 0xC0FF };

	for (size_t dev = 0; dev < cxl_devset_count(f->ag->devices); dev++) {
		struct cxl_cel cel;
		assert_int_equal(cxl_devset_cel(f->ag->devices, dev, &cel), 0);
		for (size_t i = 0; i < sizeof(documented) / sizeof(documented[0]); i++) {
			const struct cxl_cel_entry *e = cxl_cel_find(&cel, documented[i].opcode);
			if (!e)
				fail_msg("device %zu: documented opcode 0x%04x not in the CEL", dev,
					 documented[i].opcode);
			if (e->effects != documented[i].effects)
				fail_msg("device %zu: opcode 0x%04x effects 0x%04x, documented 0x%04x",
					 dev, documented[i].opcode, e->effects, documented[i].effects);
		}
		for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
			assert_null(cxl_cel_find(&cel, absent[i]));
		/* Listed means implemented: an empty payload gets a verdict other
		 * than Unsupported (the background operation is left out: it
		 * would start one). */
		for (size_t i = 0; i < cel.count; i++) {
			struct cxl_cmd cmd = { .opcode = cel.entries[i].opcode };
			struct cxl_cmd_result res;
			if (cel.entries[i].effects & CXL_EFFECT_BACKGROUND_OPERATION)
				continue;
			assert_int_equal(cxl_devset_submit(f->ag->devices, dev, &cmd, &res), 0);
			assert_int_equal(res.transport, 0);
			if (res.mbox_rc == CXL_MBOX_UNSUPPORTED)
				fail_msg("device %zu: CEL opcode 0x%04x answers Unsupported", dev,
					 cel.entries[i].opcode);
			cxl_cmd_result_clear(&res);
		}
		/* Not listed means not implemented. */
		for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
			struct cxl_cmd cmd = { .opcode = absent[i] };
			struct cxl_cmd_result res;
			assert_int_equal(cxl_devset_submit(f->ag->devices, dev, &cmd, &res), 0);
			assert_int_equal(res.transport, 0);
			assert_int_equal(res.mbox_rc, CXL_MBOX_UNSUPPORTED);
			cxl_cmd_result_clear(&res);
		}
		cxl_cel_free(&cel);
	}
	/* And the resource still says the same after that traffic. */
	check_device(f, DEV0);
}

static void test_cel_resource_etag_and_304(void **state)
{
	struct test_agent *f = *state;
	struct reply r = get(f, DEVICES DEV0 CEL_SUFFIX, NULL, NULL, 0, 1), r2, r3;
	char etag[64];

	assert_int_equal(r.status, 200);
	assert_true(r.etag[0]);
	snprintf(etag, sizeof(etag), "%s", r.etag);
	r2 = get(f, DEVICES DEV0 CEL_SUFFIX, etag, NULL, 0, 1);
	assert_int_equal(r2.status, 304);
	assert_null(r2.body);
	assert_string_equal(r2.etag, etag);
	r3 = get(f, DEVICES DEV0 CEL_SUFFIX, "\"0000000000000000\"", NULL, 0, 1);
	assert_int_equal(r3.status, 200);
	assert_string_equal(r3.etag, etag);
	/* The two devices' logs have the same entries but not the same URI. */
	reply_free(&r2);
	r2 = get(f, DEVICES DEV1 CEL_SUFFIX, NULL, NULL, 0, 1);
	assert_int_equal(r2.status, 200);
	assert_string_not_equal(r2.etag, etag);
	reply_free(&r);
	reply_free(&r2);
	reply_free(&r3);
}

static void test_cel_resource_errors(void **state)
{
	struct test_agent *f = *state;
	const struct http_header filter[] = { { "$filter", "Opcode eq 1" } };
	const struct http_header select[] = { { "$select", "Entries" } };
	const struct http_header other[] = { { "unrelated", "1" } };
	struct reply r;

	r = get(f, DEVICES "ffffffffffffffff" CEL_SUFFIX, NULL, NULL, 0, 1);
	assert_int_equal(r.status, 404);
	assert_true(ends_with(error_message_id(&r), ".ResourceNotFound"));
	reply_free(&r);
	r = get(f, "/redfish/v1/Chassis/other/PCIeDevices/" DEV0 CEL_SUFFIX, NULL, NULL, 0, 1);
	assert_int_equal(r.status, 404);
	reply_free(&r);
	r = get(f, DEVICES DEV0 CEL_SUFFIX, NULL, filter, 1, 1);
	assert_int_equal(r.status, 501);
	assert_true(ends_with(error_message_id(&r), ".QueryParameterUnsupported"));
	reply_free(&r);
	/* $select keeps what was named, its annotations and the resource's
	 * identity */
	r = get(f, DEVICES DEV0 CEL_SUFFIX, NULL, select, 1, 1);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_object_size(r.body), 4);
	assert_int_equal(json_integer_value(json_object_get(r.body, "Entries@odata.count")),
			 json_array_size(json_object_get(r.body, "Entries")));
	assert_non_null(json_object_get(r.body, "@odata.id"));
	assert_non_null(json_object_get(r.body, "@odata.type"));
	assert_true(json_is_array(json_object_get(r.body, "Entries")));
	reply_free(&r);
	r = get(f, DEVICES DEV0 CEL_SUFFIX, NULL, other, 1, 1);
	assert_int_equal(r.status, 200);
	reply_free(&r);
	r = get(f, DEVICES DEV0 CEL_SUFFIX, NULL, NULL, 0, 0);
	assert_int_equal(r.status, 401);
	assert_true(ends_with(error_message_id(&r), ".NoValidSession"));
	reply_free(&r);
}

/* A GET never changes device state. With the cache stale (a command with
 * effects just ran) and a record waiting in the device's event log, reading every device resource many
 * times sends no mailbox command at all: the record stays on the device
 * until the poller's refresh reads and clears it. */
static void test_gets_never_touch_devices(void **state)
{
	struct test_agent *f = *state;
	static const char *const paths[] = {
		DEVICES DEV0,
		DEVICES DEV0 "/CXLLogicalDevices/0",
		DEVICES DEV0 "/CXLLogicalDevices/0/DeviceLog",
		DEVICES DEV0 "/CXLLogicalDevices/0/DeviceLog/Entries",
		DEVICES DEV0 CEL_SUFFIX,
		DEVICES DEV0 "/Oem/CxlAgent/VendorCommands",
		DEVICES,
		"/redfish/v1/Chassis/" CHASSIS_ID,
		"/redfish/v1/Systems/host/Memory",
		"/redfish/v1/Systems/host/Memory/" DEV0,
		"/redfish/v1/Systems/host/MemoryDomains",
		"/redfish/v1/Systems/host/MemoryDomains/" DEV0,
		"/redfish/v1/Managers/agent",
	};
	const size_t npaths = sizeof(paths) / sizeof(paths[0]);
	uint8_t mode[4] = { 1, 0, 0, 0 };
	struct cxl_cmd cmd = { .opcode = CXL_EMU_OP_SET_MODE, .in = mode, .in_len = sizeof(mode) };
	struct cxl_cmd_result res;
	struct cxl_event ev[8];
	uint64_t mbox0, mbox1, exec0, exec1, after;
	int idx = cxl_devset_find(f->ag->devices, DEV0), before;

	assert_true(idx >= 0);
	assert_int_equal(cxl_devset_submit(f->ag->devices, (size_t)idx, &cmd, &res), 0);
	assert_int_equal(res.transport, 0);
	assert_int_equal(res.mbox_rc, 0);
	cxl_cmd_result_clear(&res);
	assert_int_equal(emu_add_event(f->ag->devices, (size_t)idx, CXL_EVENT_LOG_WARN), 0);
	before = cxl_devset_events(f->ag->devices, (size_t)idx, 0, ev, 8);
	assert_true(before >= 0);
	mbox0 = cxl_devset_mailbox_count(f->ag->devices, (size_t)idx);
	mbox1 = cxl_devset_mailbox_count(f->ag->devices, 1);
	assert_int_equal(emu_commands_executed(f->ag->devices, (size_t)idx, &exec0), 0);
	assert_int_equal(emu_commands_executed(f->ag->devices, 1, &exec1), 0);

	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < npaths; i++) {
			struct reply r = get(f, paths[i], NULL, NULL, 0, 1);
			if (r.status != 200)
				fail_msg("GET %s: %d", paths[i], r.status);
			reply_free(&r);
		}
	}
	assert_true(cxl_devset_mailbox_count(f->ag->devices, (size_t)idx) == mbox0);
	assert_true(cxl_devset_mailbox_count(f->ag->devices, 1) == mbox1);
	assert_int_equal(emu_commands_executed(f->ag->devices, (size_t)idx, &after), 0);
	assert_true(after == exec0);
	assert_int_equal(emu_commands_executed(f->ag->devices, 1, &after), 0);
	assert_true(after == exec1);
	assert_int_equal(cxl_devset_events(f->ag->devices, (size_t)idx, 0, ev, 8), before);

	/* What the poller runs collects the record (and clears it on the device). */
	assert_int_equal(cxl_devset_refresh(f->ag->devices, (size_t)idx, false), 0);
	assert_int_equal(cxl_devset_events(f->ag->devices, (size_t)idx, 0, ev, 8), before + 1);
	assert_true(cxl_devset_mailbox_count(f->ag->devices, (size_t)idx) > mbox0);
}

static void test_malformed_cel_is_empty(void **state)
{
	struct test_agent *f = *state;
	struct cxl_cel cel;
	struct reply r;

	assert_int_equal(cxl_devset_count(f->ag->devices), 1);
	assert_int_equal(cxl_devset_cel(f->ag->devices, 0, &cel), 0);
	assert_int_equal(cel.count, 0);
	cxl_cel_free(&cel);
	r = get(f, DEVICES DEV0 CEL_SUFFIX, NULL, NULL, 0, 1);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(json_object_get(r.body, "Entries")), 0);
	assert_int_equal(json_integer_value(json_object_get(r.body, "Entries@odata.count")), 0);
	reply_free(&r);
	/* The inventory is still served. */
	r = get(f, DEVICES DEV0, NULL, NULL, 0, 1);
	assert_int_equal(r.status, 200);
	reply_free(&r);
}

int main(void)
{
	const struct CMUnitTest builtin[] = {
		cmocka_unit_test(test_cel_resource_matches_devset),
		cmocka_unit_test(test_cel_is_the_documented_model),
		cmocka_unit_test(test_cel_resource_etag_and_304),
		cmocka_unit_test(test_cel_resource_errors),
		cmocka_unit_test(test_gets_never_touch_devices),
	};
	const struct CMUnitTest bad_cel[] = {
		cmocka_unit_test(test_malformed_cel_is_empty),
	};
	int failed = cmocka_run_group_tests_name("cel_resource", builtin, setup_builtin, teardown);
	failed += cmocka_run_group_tests_name("cel_resource_bad_cel", bad_cel, setup_bad_cel, teardown);
	return failed ? 1 : 0;
}

/* logical_devices.c: each memory device's CXL logical device and its
 * DeviceLog, whose entries are the device's event records. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "fixture.h"
#include "cxl/emu_hooks.h"

#define LDS RFX_DEVICES RFX_DEV0 "/CXLLogicalDevices"
#define LOG LDS "/0/DeviceLog"

/* Device data refreshed by the poller every 20 ms, as the daemon does. */
static int setup(void **state)
{
	struct rfx *f = rfx_open_with(20);
	if (!f || rfx_start_poller(f)) {
		rfx_close(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	rfx_close(*state);
	return 0;
}

static void test_logical_device(void **state)
{
	struct rfx *f = *state;
	struct cxl_dev_info info;
	struct rfx_reply r = rfx_get(f, LDS, f->admin);

	assert_int_equal(r.status, 200);
	assert_int_equal(rfx_int(r.body, "Members@odata.count"), 1);
	assert_string_equal(rfx_str(r.body, "Members/0/@odata.id"), LDS "/0");
	rfx_free(&r);

	assert_int_equal(cxl_devset_info(f->ag.devices, 0, &info), 0);
	r = rfx_get(f, LDS "/0", f->admin);
	assert_int_equal(r.status, 200);
	assert_string_equal(rfx_str(r.body, "@odata.type"),
			    "#CXLLogicalDevice.v1_3_0.CXLLogicalDevice");
	assert_int_equal(rfx_int(r.body, "MemorySizeMiB"), info.total_bytes / (1024 * 1024));
	/* GCXLID: the serial as EUI-64, then the LD-ID */
	assert_string_equal(rfx_str(r.body, "Identifiers/0/DurableNameFormat"), "GCXLID");
	assert_string_equal(rfx_str(r.body, "Identifiers/0/DurableName"),
			    "10-00-00-00-00-00-00-01:0000");
	assert_string_equal(rfx_str(r.body, "Log/@odata.id"), LOG);
	assert_string_equal(rfx_str(r.body, "Links/MemoryDomains/0/@odata.id"),
			    SYSTEM_URI "/MemoryDomains/" RFX_DEV0);
	rfx_free(&r);
}

static void test_not_found(void **state)
{
	struct rfx *f = *state;
	static const char *const paths[][2] = {
		{ RFX_DEVICES RFX_DEV0 "/CXLLogicalDevices/1", "CXLLogicalDevice" },
		{ RFX_DEVICES RFX_DEV0 "/CXLLogicalDevices/1/DeviceLog", "CXLLogicalDevice" },
		{ RFX_DEVICES "0000000000000009/CXLLogicalDevices", "PCIeDevice" },
		{ "/redfish/v1/Chassis/x/PCIeDevices/" RFX_DEV0 "/CXLLogicalDevices/0", "Chassis" },
		{ LOG "/Entries/999999", "LogEntry" },
		{ LOG "/Entries/abc", "LogEntry" },
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct rfx_reply r = rfx_get(f, paths[i][0], f->admin);
		if (r.status != 404)
			fail_msg("%s: %d", paths[i][0], r.status);
		assert_string_equal(rfx_str(r.body, "error/@Message.ExtendedInfo/0/MessageArgs/0"),
				    paths[i][1]);
		rfx_free(&r);
	}
}

static void test_device_log(void **state)
{
	struct rfx *f = *state;
	struct rfx_reply r = rfx_get(f, LOG, f->admin);

	assert_int_equal(r.status, 200);
	assert_string_equal(rfx_str(r.body, "@odata.type"), "#LogService.v1_9_0.LogService");
	assert_string_equal(rfx_str(r.body, "LogEntryType"), "Event");
	assert_int_equal(rfx_int(r.body, "MaxNumberOfRecords"), f->cfg.event_ring_size);
	assert_string_equal(rfx_str(r.body, "Entries/@odata.id"), LOG "/Entries");
	rfx_free(&r);
}

/* Records added to the device appear as entries, each with its own URI,
 * and the device's Status takes the worst severity. */
static void test_entries(void **state)
{
	struct rfx *f = *state;
	struct rfx_reply before = rfx_get(f, LOG "/Entries", f->admin), after = { 0 }, one;
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	size_t n0 = json_array_size(rfx_at(before.body, "Members"));
	const char *uri;

	assert_int_equal(before.status, 200);
	assert_int_equal(emu_add_event(f->ag.devices, 0, CXL_EVENT_LOG_FAIL), 0);
	assert_int_equal(emu_add_event(f->ag.devices, 0, CXL_EVENT_LOG_WARN), 0);
	/* the poller drains them into the log within a refresh or two */
	for (int i = 0; i < 500; i++) {
		rfx_free(&after);
		after = rfx_get(f, LOG "/Entries", f->admin);
		if (json_array_size(rfx_at(after.body, "Members")) >= n0 + 2)
			break;
		nanosleep(&tick, NULL);
	}
	assert_int_equal(after.status, 200);
	assert_int_equal(json_array_size(rfx_at(after.body, "Members")), n0 + 2);
	assert_int_equal(rfx_int(after.body, "Members@odata.count"), n0 + 2);
	assert_string_not_equal(before.etag, after.etag);
	/* event entries of the agent's registry, as the events they were
	 * published as: the CXL log rides in the arguments */
	assert_string_equal(rfx_str(after.body, "Members/0/EntryType"), "Event");
	assert_null(rfx_at(after.body, "Members/0/CXLEntryType"));
	/* the two new ones, in the order the poller drained the logs */
	json_t *a = json_array_get(rfx_at(after.body, "Members"), n0);
	json_t *last = json_array_get(rfx_at(after.body, "Members"), n0 + 1);
	json_t *fail = strcmp(rfx_str(a, "MessageArgs/1"), "Failure") == 0 ? a : last;
	json_t *warn = fail == a ? last : a;
	assert_string_equal(rfx_str(a, "@odata.type"), "#LogEntry.v1_21_0.LogEntry");
	assert_string_equal(rfx_str(fail, "MessageId"), "CxlAgent.1.0.DeviceEventRecord");
	assert_string_equal(rfx_str(fail, "MessageArgs/1"), "Failure");
	assert_string_equal(rfx_str(fail, "Severity"), "Critical");
	assert_non_null(strstr(rfx_str(fail, "Message"), "reported an event record in its Failure log"));
	assert_string_equal(rfx_str(warn, "MessageArgs/1"), "Warning");
	assert_string_equal(rfx_str(warn, "Severity"), "Warning");
	assert_non_null(rfx_str(last, "Oem/CxlAgent/RecordUUID"));
	uri = rfx_str(last, "@odata.id");
	assert_true(strncmp(uri, LOG "/Entries/", strlen(LOG "/Entries/")) == 0);
	one = rfx_get(f, uri, f->admin);
	assert_int_equal(one.status, 200);
	assert_true(json_equal(one.body, last));
	rfx_free(&one);
	one = rfx_get(f, LDS "/0", f->admin);
	assert_string_equal(rfx_str(one.body, "Status/Health"), "Critical");
	rfx_free(&one);
	rfx_free(&before);
	rfx_free(&after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_logical_device),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_device_log),
		cmocka_unit_test(test_entries),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

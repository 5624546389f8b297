/* memory.c: each CXL memory device as Memory and as a MemoryDomain of the
 * host, compared field by field with the device layer's inventory and
 * health. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "fixture.h"

#define MIB (1024ull * 1024ull)

static int setup(void **state)
{
	return (*state = rfx_open()) ? 0 : -1;
}

static int teardown(void **state)
{
	rfx_close(*state);
	return 0;
}

static void test_collections(void **state)
{
	struct rfx *f = *state;
	static const char *const colls[] = { SYSTEM_URI "/Memory", SYSTEM_URI "/MemoryDomains" };

	for (size_t i = 0; i < 2; i++) {
		char want[256];
		struct rfx_reply r = rfx_get(f, colls[i], f->admin);
		assert_int_equal(r.status, 200);
		assert_int_equal(rfx_int(r.body, "Members@odata.count"), 2);
		snprintf(want, sizeof(want), "%s/%s", colls[i], RFX_DEV1);
		assert_string_equal(rfx_str(r.body, "Members/1/@odata.id"), want);
		rfx_free(&r);
	}
}

static void test_memory(void **state)
{
	struct rfx *f = *state;
	struct cxl_dev_info info;
	struct cxl_health h;
	char serial[20];
	uint64_t vol, pers;
	struct rfx_reply r = rfx_get(f, SYSTEM_URI "/Memory/" RFX_DEV0, f->admin);

	assert_int_equal(cxl_devset_info(f->ag.devices, 0, &info), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(rfx_str(r.body, "@odata.type"), "#Memory.v1_23_0.Memory");
	assert_string_equal(rfx_str(r.body, "Id"), RFX_DEV0);
	assert_int_equal(rfx_int(r.body, "CapacityMiB"), info.total_bytes / MIB);
	vol = info.has_partition ? info.active_volatile_bytes : info.volatile_only_bytes;
	pers = info.has_partition ? info.active_persistent_bytes : info.persistent_only_bytes;
	assert_int_equal(rfx_int(r.body, "VolatileSizeMiB"), vol / MIB);
	assert_int_equal(rfx_int(r.body, "NonVolatileSizeMiB"), pers / MIB);
	assert_int_equal(rfx_int(r.body, "CXL/LabelStorageSizeBytes"), info.lsa_size);
	snprintf(serial, sizeof(serial), "%016" PRIx64, info.serial);
	assert_string_equal(rfx_str(r.body, "SerialNumber"), serial);
	assert_string_equal(rfx_str(r.body, "FirmwareRevision"), info.fw_revision);
	assert_string_equal(rfx_str(r.body, "Oem/CxlAgent/PCIeDevice/@odata.id"),
			    RFX_DEVICES RFX_DEV0);
	assert_int_equal(rfx_int(r.body, "Oem/CxlAgent/VolatileOnlySizeMiB"),
			 info.volatile_only_bytes / MIB);
	if (info.partition_align_bytes)
		assert_int_equal(rfx_int(r.body, "AllocationAlignmentMiB"),
				 info.partition_align_bytes / MIB);
	else
		assert_null(rfx_at(r.body, "AllocationAlignmentMiB"));
	/* health where the device gives it, nothing made up where it does not */
	assert_int_equal(cxl_devset_health(f->ag.devices, 0, &h), 0);
	if (h.valid) {
		assert_int_equal(rfx_int(r.body, "Oem/CxlAgent/Health/DirtyShutdowns"),
				 h.dirty_shutdowns);
		assert_string_equal(rfx_str(r.body, "Status/Health"), rf_device_health(&h));
		if (h.life_used_pct <= 100)
			assert_int_equal(rfx_int(r.body, "HealthData/PredictedMediaLifeLeftPercent"),
					 100 - h.life_used_pct);
	} else {
		assert_null(rfx_at(r.body, "Oem/CxlAgent/Health"));
		assert_null(rfx_at(r.body, "HealthData"));
	}
	assert_string_equal(rfx_str(r.body, "Status/State"), "Enabled");
	rfx_free(&r);
}

static void test_memory_domain(void **state)
{
	struct rfx *f = *state;
	struct cxl_dev_info info;
	struct rfx_reply r = rfx_get(f, SYSTEM_URI "/MemoryDomains/" RFX_DEV1, f->admin);

	assert_int_equal(cxl_devset_info(f->ag.devices, 1, &info), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(rfx_str(r.body, "@odata.type"), "#MemoryDomain.v1_5_1.MemoryDomain");
	assert_string_equal(rfx_str(r.body, "@odata.id"), SYSTEM_URI "/MemoryDomains/" RFX_DEV1);
	assert_int_equal(rfx_int(r.body, "MemorySizeMiB"), info.total_bytes / MIB);
	assert_true(json_is_false(rfx_at(r.body, "AllowsMirroring")));
	assert_string_equal(rfx_str(r.body, "Links/CXLLogicalDevices/0/@odata.id"),
			    RFX_DEVICES RFX_DEV1 "/CXLLogicalDevices/0");
	rfx_free(&r);
}

static void test_not_found(void **state)
{
	struct rfx *f = *state;
	static const char *const paths[][2] = {
		{ SYSTEM_URI "/Memory/0000000000000009", "PCIeDevice" },
		{ SYSTEM_URI "/MemoryDomains/nope", "PCIeDevice" },
		{ "/redfish/v1/Systems/x/Memory", "ComputerSystem" },
		{ "/redfish/v1/Systems/x/MemoryDomains/" RFX_DEV0, "ComputerSystem" },
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collections),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_memory_domain),
		cmocka_unit_test(test_not_found),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

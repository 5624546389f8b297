/* chassis.c: the host as a Chassis and its CXL memory devices as
 * PCIeDevices, compared with what the device layer holds. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "fixture.h"

static int setup(void **state)
{
	return (*state = rfx_open()) ? 0 : -1;
}

static int teardown(void **state)
{
	rfx_close(*state);
	return 0;
}

static void test_chassis(void **state)
{
	struct rfx *f = *state;
	struct rfx_reply r = rfx_get(f, "/redfish/v1/Chassis", f->admin);

	assert_int_equal(r.status, 200);
	assert_int_equal(rfx_int(r.body, "Members@odata.count"), 1);
	assert_string_equal(rfx_str(r.body, "Members/0/@odata.id"), CHASSIS_URI);
	rfx_free(&r);

	r = rfx_get(f, CHASSIS_URI, f->admin);
	assert_int_equal(r.status, 200);
	assert_string_equal(rfx_str(r.body, "@odata.type"), "#Chassis.v1_28_0.Chassis");
	assert_string_equal(rfx_str(r.body, "PCIeDevices/@odata.id"), CHASSIS_URI "/PCIeDevices");
	assert_string_equal(rfx_str(r.body, "Links/ComputerSystems/0/@odata.id"), SYSTEM_URI);
	assert_string_equal(rfx_str(r.body, "Links/ManagedBy/0/@odata.id"), MANAGER_URI);
	/* DMI identity, and the devices' worst health as the roll-up */
	assert_string_equal(rfx_str(r.body, "SerialNumber"), RFX_HOST_SERIAL);
	assert_string_equal(rfx_str(r.body, "Manufacturer"), "Fixture Inc.");
	assert_string_equal(rfx_str(r.body, "Model"), "Fixture Host");
	{
		const char *worst = NULL;
		for (size_t i = 0; i < rf_device_count(&f->ag); i++) {
			struct cxl_dev_info info;
			assert_int_equal(cxl_devset_info(f->ag.devices, i, &info), 0);
			worst = rf_worse_health(worst, rf_health_of(&f->ag, i, &info));
		}
		assert_non_null(worst);
		assert_string_equal(rfx_str(r.body, "Status/HealthRollup"), worst);
	}
	rfx_free(&r);

	r = rfx_get(f, "/redfish/v1/Chassis/other", f->admin);
	assert_int_equal(r.status, 404);
	assert_string_equal(rfx_str(r.body, "error/@Message.ExtendedInfo/0/MessageArgs/0"), "Chassis");
	rfx_free(&r);
}

static void test_device_collection(void **state)
{
	struct rfx *f = *state;
	struct rfx_reply r = rfx_get(f, CHASSIS_URI "/PCIeDevices", f->admin);
	size_t n = cxl_devset_count(f->ag.devices);

	assert_int_equal(r.status, 200);
	assert_int_equal(n, 2);
	assert_int_equal(rfx_int(r.body, "Members@odata.count"), n);
	assert_string_equal(rfx_str(r.body, "Members/0/@odata.id"), RFX_DEVICES RFX_DEV0);
	assert_string_equal(rfx_str(r.body, "Members/1/@odata.id"), RFX_DEVICES RFX_DEV1);
	rfx_free(&r);
	r = rfx_get(f, "/redfish/v1/Chassis/other/PCIeDevices", f->admin);
	assert_int_equal(r.status, 404);
	rfx_free(&r);
}

static void test_device(void **state)
{
	struct rfx *f = *state;
	struct cxl_dev_info info;
	char serial[20], hex[8];
	struct rfx_reply r = rfx_get(f, RFX_DEVICES RFX_DEV1, f->admin);

	assert_int_equal(cxl_devset_info(f->ag.devices, 1, &info), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(rfx_str(r.body, "@odata.type"), "#PCIeDevice.v1_21_0.PCIeDevice");
	assert_string_equal(rfx_str(r.body, "Id"), RFX_DEV1);
	snprintf(serial, sizeof(serial), "%016" PRIx64, info.serial);
	assert_string_equal(rfx_str(r.body, "SerialNumber"), serial);
	assert_string_equal(rfx_str(r.body, "FirmwareVersion"), info.fw_revision);
	assert_string_equal(rfx_str(r.body, "CXLDevice/DeviceType"), "Type3");
	assert_string_equal(rfx_str(r.body, "Status/State"), "Enabled");
	assert_string_equal(rfx_str(r.body, "CXLLogicalDevices/@odata.id"),
			    RFX_DEVICES RFX_DEV1 "/CXLLogicalDevices");
	assert_string_equal(rfx_str(r.body, "Oem/CxlAgent/KernelName"), info.name);
	assert_string_equal(rfx_str(r.body, "Oem/CxlAgent/Backend"), "emulated");
	assert_int_equal(rfx_int(r.body, "Oem/CxlAgent/PayloadMaxBytes"), info.payload_max);
	snprintf(hex, sizeof(hex), "0x%04x", info.pci_vendor_id);
	assert_string_equal(rfx_str(r.body, "Oem/CxlAgent/PCIVendorId"), hex);
	assert_string_equal(rfx_str(r.body, "Oem/CxlAgent/Memory/@odata.id"),
			    SYSTEM_URI "/Memory/" RFX_DEV1);
	assert_string_equal(rfx_str(r.body, "Oem/CxlAgent/CommandEffectsLog/@odata.id"),
			    RFX_DEVICES RFX_DEV1 "/Oem/CxlAgent/CommandEffectsLog");
	assert_string_equal(rfx_str(r.body, "Oem/CxlAgent/VendorCommands/@odata.id"),
			    RFX_DEVICES RFX_DEV1 "/Oem/CxlAgent/VendorCommands");
	/* Get Timestamp is in the emulated CEL and its clock runs: read with the
	 * inventory, shown as a date */
	assert_true(json_is_true(rfx_at(r.body, "Oem/CxlAgent/DeviceTimestampSet")));
	assert_non_null(rfx_str(r.body, "Oem/CxlAgent/DeviceTimestamp"));
	assert_int_equal(strlen(rfx_str(r.body, "Oem/CxlAgent/DeviceTimestamp")),
			 strlen("1970-01-01T00:00:00Z"));
	rfx_free(&r);
}

/* The body cache serves a device again until something it shows changes:
 * a mailbox command counts. */
static void test_device_follows_the_device(void **state)
{
	struct rfx *f = *state;
	struct rfx_reply a = rfx_get(f, RFX_DEVICES RFX_DEV0, f->admin), b;
	struct cxl_cmd cmd = { .opcode = CXL_OP_IDENTIFY };
	struct cxl_cmd_result res;
	long long before = rfx_int(a.body, "Oem/CxlAgent/MailboxCommands");

	b = rfx_get(f, RFX_DEVICES RFX_DEV0, f->admin);
	assert_string_equal(a.etag, b.etag);
	rfx_free(&b);
	assert_int_equal(cxl_devset_submit(f->ag.devices, 0, &cmd, &res), 0);
	cxl_cmd_result_clear(&res);
	b = rfx_get(f, RFX_DEVICES RFX_DEV0, f->admin);
	assert_int_equal(rfx_int(b.body, "Oem/CxlAgent/MailboxCommands"), before + 1);
	assert_string_not_equal(a.etag, b.etag);
	rfx_free(&a);
	rfx_free(&b);
}

static void test_unknown_device(void **state)
{
	struct rfx *f = *state;
	struct rfx_reply r = rfx_get(f, RFX_DEVICES "ffffffffffffffff", f->admin);

	assert_int_equal(r.status, 404);
	assert_string_equal(rfx_message_id(&r), "ResourceNotFound");
	assert_string_equal(rfx_str(r.body, "error/@Message.ExtendedInfo/0/MessageArgs/0"),
			    "PCIeDevice");
	assert_string_equal(rfx_str(r.body, "error/@Message.ExtendedInfo/0/MessageArgs/1"),
			    "ffffffffffffffff");
	rfx_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chassis),
		cmocka_unit_test(test_device_collection),
		cmocka_unit_test(test_device),
		cmocka_unit_test(test_device_follows_the_device),
		cmocka_unit_test(test_unknown_device),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

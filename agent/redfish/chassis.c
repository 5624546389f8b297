/* The host as a Chassis, its CXL memory devices as PCIeDevices. Data a
 * device does not provide is left out, never made up. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "core/agent.h"
#include "cxl/device.h"
#include "redfish/resource.h"
#include "redfish/routes.h"

static int h_chassis_collection(const struct route_ctx *ctx, struct http_response *resp)
{
	(void)ctx;
	return rf_reply_collection(resp, "/redfish/v1/Chassis", "ChassisCollection",
				   "Chassis Collection", json_pack("[o]", rf_link(CHASSIS_URI)));
}

/* DMI identity where the firmware filled it in, and the roll-up of the
 * devices' health. */
static json_t *add_identity(struct agent *ag, json_t *o)
{
	const char *rollup = NULL;
	const struct {
		const char *prop, *value;
	} dmi[] = { { "SerialNumber", ag->host.serial },
		    { "Manufacturer", ag->host.manufacturer },
		    { "Model", ag->host.model } };

	if (!o)
		return NULL;
	for (size_t i = 0; i < sizeof(dmi) / sizeof(dmi[0]); i++)
		if (dmi[i].value[0])
			json_object_set_new(o, dmi[i].prop, json_string(dmi[i].value));
	for (size_t i = 0; i < rf_device_count(ag); i++) {
		struct cxl_dev_info info;
		if (cxl_devset_info(ag->devices, i, &info) == 0 && info.present)
			rollup = rf_worse_health(rollup, rf_health_of(ag, i, &info));
	}
	if (rollup)
		json_object_set_new(json_object_get(o, "Status"), "HealthRollup",
				    json_string(rollup));
	return o;
}

static int h_chassis(const struct route_ctx *ctx, struct http_response *resp)
{
	if (rf_check_id(ctx, "chassis", CHASSIS_ID, "Chassis", resp))
		return 0;
	http_response_json(
		resp, 200,
		add_identity(ctx->agent, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:{s:s}, s:{s:[o], s:[o]}}", "@odata.id",
			  CHASSIS_URI, "@odata.type", "#Chassis.v1_28_0.Chassis", "Id", CHASSIS_ID,
			  "Name", "Host", "ChassisType", "Other", "PCIeDevices",
			  rf_link(CHASSIS_URI "/PCIeDevices"), "Status", "State", "Enabled", "Links",
			  "ComputerSystems", rf_link(SYSTEM_URI), "ManagedBy", rf_link(MANAGER_URI))));
	return resp->json ? 0 : -ENOMEM;
}

static int h_pcie_device_collection(const struct route_ctx *ctx, struct http_response *resp)
{
	if (rf_check_id(ctx, "chassis", CHASSIS_ID, "Chassis", resp))
		return 0;
	return rf_device_collection(ctx, resp, CHASSIS_URI "/PCIeDevices", "PCIeDeviceCollection",
				    "PCIe Device Collection");
}

/* What the agent adds to a PCIeDevice: kernel name, backend, PCI ids and
 * links to the OEM resources of the device. */
static json_t *pcie_oem(struct agent *ag, size_t idx, const struct cxl_dev_info *info,
			const char *uri)
{
	char read_at[32], hex[8];
	json_t *oem;

	rf_datetime(info->read_at, read_at, sizeof(read_at));
	oem = json_pack("{s:s, s:s, s:s, s:I, s:s, s:I, s:o, s:o, s:o}", "@odata.type",
			"#CxlAgent.v1_0_0.PCIeDevice", "KernelName", info->name, "Backend",
			cxl_devset_backend(ag->devices), "PayloadMaxBytes",
			(json_int_t)info->payload_max, "DataReadAt", read_at, "MailboxCommands",
			(json_int_t)cxl_devset_mailbox_count(ag->devices, idx), "Memory",
			rf_link(SYSTEM_URI "/Memory/%s", info->id), "CommandEffectsLog",
			rf_link("%s/Oem/CxlAgent/CommandEffectsLog", uri), "VendorCommands",
			rf_link("%s/Oem/CxlAgent/VendorCommands", uri));
	if (!oem)
		return NULL;
	snprintf(hex, sizeof(hex), "0x%04x", info->pci_vendor_id);
	json_object_set_new(oem, "PCIVendorId", json_string(hex));
	snprintf(hex, sizeof(hex), "0x%04x", info->pci_device_id);
	json_object_set_new(oem, "PCIDeviceId", json_string(hex));
	if (info->host[0])
		json_object_set_new(oem, "HostAddress", json_string(info->host));
	if (info->numa_node >= 0)
		json_object_set_new(oem, "NumaNode", json_integer(info->numa_node));
	/* Get Timestamp, read with the inventory: a device clock never set (0)
	 * or far from DataReadAt explains odd event record times */
	if (info->has_timestamp) {
		json_object_set_new(oem, "DeviceTimestampSet",
				    json_boolean(info->device_timestamp_ns != 0));
		if (info->device_timestamp_ns) {
			struct timespec ts = { (time_t)(info->device_timestamp_ns / 1000000000ull),
					       (long)(info->device_timestamp_ns % 1000000000ull) };
			rf_datetime(ts, read_at, sizeof(read_at));
			json_object_set_new(oem, "DeviceTimestamp", json_string(read_at));
		}
	}
	return oem;
}

static int h_pcie_device(const struct route_ctx *ctx, struct http_response *resp)
{
	struct agent *ag = ctx->agent;
	struct cxl_dev_info info;
	char uri[256], serial[20];
	json_t *doc;
	int idx;

	if ((idx = rf_chassis_device(ctx, resp, &info)) < 0)
		return 0;
	rf_pcie_uri(info.id, uri, sizeof(uri));
	snprintf(serial, sizeof(serial), "%016" PRIx64, info.serial);
	doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:i}, s:o, s:{s:[o]}, s:o, s:{s:o}}",
			"@odata.id", uri, "@odata.type", "#PCIeDevice.v1_21_0.PCIeDevice", "Id",
			info.id, "Name", "CXL memory device", "SerialNumber", serial, "DeviceType",
			"SingleFunction", "CXLDevice", "DeviceType", "Type3",
			"MaxNumberLogicalDevices", 1, "CXLLogicalDevices",
			rf_link("%s/CXLLogicalDevices", uri), "Links", "Chassis",
			rf_link(CHASSIS_URI), "Status", rf_device_status(ag, (size_t)idx, &info), "Oem",
			"CxlAgent", pcie_oem(ag, (size_t)idx, &info, uri));
	if (doc && info.fw_revision[0])
		json_object_set_new(doc, "FirmwareVersion", json_string(info.fw_revision));
	http_response_json(resp, 200, doc);
	return doc ? 0 : -ENOMEM;
}

/* PrivilegeRegistry 1.8.0: Chassis, ChassisCollection, PCIeDevice and
 * PCIeDeviceCollection are read with Login. */
const struct route chassis_routes[] = {
	{ GET_HEAD, "/redfish/v1/Chassis", LOGIN, h_chassis_collection, rf_version_static },
	/* not cached: the health roll-up changes with the devices */
	{ GET_HEAD, "/redfish/v1/Chassis/{chassis}", LOGIN, h_chassis, UNCACHED },
	{ GET_HEAD, "/redfish/v1/Chassis/{chassis}/PCIeDevices", LOGIN, h_pcie_device_collection,
	  rf_version_static },
	{ GET_HEAD, "/redfish/v1/Chassis/{chassis}/PCIeDevices/{dev}", LOGIN, h_pcie_device,
	  rf_version_device },
	{ 0 },
};

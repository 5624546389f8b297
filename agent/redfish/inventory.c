/* Inventory: the host as a Chassis (its CXL memory devices as PCIeDevices
 * with one CXL logical device each) and as a ComputerSystem (each device as
 * Memory and a MemoryDomain). Everything comes from the device layer's cache,
 * so a GET never waits behind a mailbox command. Data a device does not
 * provide is left out, never made up. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/agent.h"
#include "cxl/device.h"
#include "redfish/error.h"
#include "redfish/handlers.h"
#include "redfish/inventory.h"
#include "redfish/resource.h"
#include "redfish/routes.h"

#define MIB (1024ull * 1024ull)
#define LD_ID "0"
#define CHASSIS_URI "/redfish/v1/Chassis/" CHASSIS_ID
#define SYSTEM_URI "/redfish/v1/Systems/" SYSTEM_ID

size_t inventory_count(const struct agent *ag)
{
	return ag->devices ? cxl_devset_count(ag->devices) : 0;
}

int inventory_lookup(const struct route_ctx *ctx, const char *param, struct http_response *resp,
		     struct cxl_dev_info *info)
{
	struct agent *ag = ctx->agent;
	const char *id = route_param(ctx->params, param);
	int idx = ag->devices && id ? cxl_devset_find(ag->devices, id) : -ENOENT;

	if (idx < 0 || cxl_devset_info(ag->devices, (size_t)idx, info) < 0) {
		rf_error2(resp, 404, "ResourceNotFound", "PCIeDevice", id ? id : "");
		return -ENOENT;
	}
	return idx;
}

/* Worst of two Redfish Health values. */
static const char *worse(const char *a, const char *b)
{
	static const char *const order[] = { "OK", "Warning", "Critical" };
	int ia = 0, ib = 0;
	for (int i = 0; i < 3; i++) {
		if (a && strcmp(a, order[i]) == 0)
			ia = i;
		if (b && strcmp(b, order[i]) == 0)
			ib = i;
	}
	if (!a)
		return b;
	if (!b)
		return a;
	return ia >= ib ? a : b;
}

const char *inventory_health(const struct cxl_health *h)
{
	unsigned life, temp;

	if (!h->valid)
		return NULL;
	life = h->additional_status & 0x3;
	temp = (h->additional_status >> 2) & 0x3;
	if ((h->health_status & 0x4) || h->media_status >= 2 || life >= 2 || temp >= 2)
		return "Critical";
	if ((h->health_status & 0x3) || h->media_status == 1 || life == 1 || temp == 1 ||
	    (h->additional_status & 0x30))
		return "Warning";
	return "OK";
}

/* Severity of the device's recent event records: the worst one kept. */
/* Calls fn for every kept event of device idx; stops early when fn says so. */
static int foreach_event(struct agent *ag, size_t idx,
			 int (*fn)(const struct cxl_event *, void *), void *arg)
{
	struct cxl_event ev[32];
	uint64_t after = 0;
	int n;

	while ((n = cxl_devset_events(ag->devices, idx, after, ev, 32)) > 0) {
		for (int i = 0; i < n; i++) {
			if (fn(&ev[i], arg))
				return 0;
			after = ev[i].seq;
		}
		if (n < 32)
			break;
	}
	return n < 0 ? n : 0;
}

static int worst_severity(const struct cxl_event *ev, void *arg)
{
	const char **worst = arg;
	if (ev->log == CXL_EVENT_LOG_FATAL || ev->log == CXL_EVENT_LOG_FAIL)
		*worst = "Critical";
	else if (ev->log == CXL_EVENT_LOG_WARN)
		*worst = worse(*worst, "Warning");
	return 0;
}

static const char *event_health(struct agent *ag, size_t idx)
{
	const char *worst = NULL;
	foreach_event(ag, idx, worst_severity, &worst);
	return worst;
}

json_t *inventory_status(struct agent *ag, size_t idx, const struct cxl_dev_info *info)
{
	struct cxl_health h;
	const char *health;

	if (!info->present)
		return json_pack("{s:s}", "State", "Absent");
	if (cxl_devset_health(ag->devices, idx, &h) < 0)
		h.valid = false;
	health = worse(inventory_health(&h), event_health(ag, idx));
	if (!health)
		return json_pack("{s:s}", "State", "Enabled");
	return json_pack("{s:s, s:s}", "State", "Enabled", "Health", health);
}

static void serial_string(const struct cxl_dev_info *info, char *buf, size_t len)
{
	snprintf(buf, len, "%016" PRIx64, info->serial);
}

static void pcie_uri(const char *id, char *buf, size_t len)
{
	snprintf(buf, len, CHASSIS_URI "/PCIeDevices/%s", id);
}

static int member_list(struct agent *ag, const char *prefix, json_t **out)
{
	json_t *members = json_array();
	struct cxl_dev_info info;

	if (!members)
		return -ENOMEM;
	for (size_t i = 0; i < inventory_count(ag); i++) {
		if (cxl_devset_info(ag->devices, i, &info) < 0)
			continue;
		json_array_append_new(members, rf_link("%s/%s", prefix, info.id));
	}
	*out = members;
	return 0;
}

static int collection(const struct route_ctx *ctx, struct http_response *resp, const char *uri,
		      const char *type, const char *name)
{
	json_t *members;
	int rc = member_list(ctx->agent, uri, &members);
	if (rc)
		return rc;
	http_response_json(resp, 200, rf_collection(uri, type, name, members));
	return resp->json ? 0 : -ENOMEM;
}

static int check_id(const struct route_ctx *ctx, const char *param, const char *want,
		    const char *type, struct http_response *resp)
{
	const char *id = route_param(ctx->params, param);
	if (id && strcmp(id, want) == 0)
		return 0;
	rf_error2(resp, 404, "ResourceNotFound", type, id ? id : "");
	return -ENOENT;
}

int h_chassis_collection(const struct route_ctx *ctx, struct http_response *resp)
{
	(void)ctx;
	http_response_json(resp, 200,
			   rf_collection("/redfish/v1/Chassis", "ChassisCollection",
					 "Chassis Collection",
					 json_pack("[o]", rf_link(CHASSIS_URI))));
	return resp->json ? 0 : -ENOMEM;
}

int h_chassis(const struct route_ctx *ctx, struct http_response *resp)
{
	if (check_id(ctx, "chassis", CHASSIS_ID, "Chassis", resp))
		return 0;
	http_response_json(
		resp, 200,
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:{s:s}, s:{s:[o], s:[o]}}", "@odata.id",
			  CHASSIS_URI, "@odata.type", "#Chassis.v1_28_0.Chassis", "Id", CHASSIS_ID,
			  "Name", "Host", "ChassisType", "Other", "PCIeDevices",
			  rf_link(CHASSIS_URI "/PCIeDevices"), "Status", "State", "Enabled", "Links",
			  "ComputerSystems", rf_link(SYSTEM_URI), "ManagedBy",
			  rf_link("/redfish/v1/Managers/" MANAGER_ID)));
	return resp->json ? 0 : -ENOMEM;
}

int h_pcie_device_collection(const struct route_ctx *ctx, struct http_response *resp)
{
	if (check_id(ctx, "chassis", CHASSIS_ID, "Chassis", resp))
		return 0;
	return collection(ctx, resp, CHASSIS_URI "/PCIeDevices", "PCIeDeviceCollection",
			  "PCIe Device Collection");
}

int h_pcie_device(const struct route_ctx *ctx, struct http_response *resp)
{
	struct agent *ag = ctx->agent;
	struct cxl_dev_info info;
	char uri[256], serial[20], read_at[32];
	json_t *doc, *oem;
	int idx;

	if (check_id(ctx, "chassis", CHASSIS_ID, "Chassis", resp))
		return 0;
	if ((idx = inventory_lookup(ctx, "dev", resp, &info)) < 0)
		return 0;
	pcie_uri(info.id, uri, sizeof(uri));
	serial_string(&info, serial, sizeof(serial));
	rf_datetime(info.read_at, read_at, sizeof(read_at));
	oem = json_pack("{s:s, s:s, s:s, s:I, s:s, s:I, s:o, s:o, s:o}", "@odata.type",
			"#CxlAgent.v1_0_0.PCIeDevice", "KernelName", info.name, "Backend",
			cxl_devset_backend(ag->devices), "PayloadMaxBytes",
			(json_int_t)info.payload_max, "DataReadAt", read_at, "MailboxCommands",
			(json_int_t)cxl_devset_mailbox_count(ag->devices, (size_t)idx), "Memory",
			rf_link(SYSTEM_URI "/Memory/%s", info.id), "CommandEffectsLog",
			rf_link("%s/Oem/CxlAgent/CommandEffectsLog", uri), "VendorCommands",
			rf_link("%s/Oem/CxlAgent/VendorCommands", uri));
	if (oem) {
		char hex[8];
		snprintf(hex, sizeof(hex), "0x%04x", info.pci_vendor_id);
		json_object_set_new(oem, "PCIVendorId", json_string(hex));
		snprintf(hex, sizeof(hex), "0x%04x", info.pci_device_id);
		json_object_set_new(oem, "PCIDeviceId", json_string(hex));
		if (info.host[0])
			json_object_set_new(oem, "HostAddress", json_string(info.host));
		if (info.numa_node >= 0)
			json_object_set_new(oem, "NumaNode", json_integer(info.numa_node));
	}
	doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:i}, s:o, s:{s:[o]}, s:o, s:{s:o}}",
			"@odata.id", uri, "@odata.type", "#PCIeDevice.v1_21_0.PCIeDevice", "Id",
			info.id, "Name", "CXL memory device", "SerialNumber", serial, "DeviceType",
			"SingleFunction", "CXLDevice", "DeviceType", "Type3",
			"MaxNumberLogicalDevices", 1, "CXLLogicalDevices",
			rf_link("%s/CXLLogicalDevices", uri), "Links", "Chassis",
			rf_link(CHASSIS_URI), "Status", inventory_status(ag, (size_t)idx, &info), "Oem",
			"CxlAgent", oem);
	if (doc && info.fw_revision[0])
		json_object_set_new(doc, "FirmwareVersion", json_string(info.fw_revision));
	http_response_json(resp, 200, doc);
	return doc ? 0 : -ENOMEM;
}

int h_cxl_ld_collection(const struct route_ctx *ctx, struct http_response *resp)
{
	struct cxl_dev_info info;
	char uri[256], coll[300];

	if (check_id(ctx, "chassis", CHASSIS_ID, "Chassis", resp))
		return 0;
	if (inventory_lookup(ctx, "dev", resp, &info) < 0)
		return 0;
	pcie_uri(info.id, uri, sizeof(uri));
	snprintf(coll, sizeof(coll), "%s/CXLLogicalDevices", uri);
	http_response_json(resp, 200,
			   rf_collection(coll, "CXLLogicalDeviceCollection",
					 "CXL Logical Device Collection",
					 json_pack("[o]", rf_link("%s/" LD_ID, coll))));
	return resp->json ? 0 : -ENOMEM;
}

int h_cxl_ld(const struct route_ctx *ctx, struct http_response *resp)
{
	struct agent *ag = ctx->agent;
	struct cxl_dev_info info;
	char uri[256], ld[320], gcxlid[40];
	json_t *doc;
	int idx;

	if (check_id(ctx, "chassis", CHASSIS_ID, "Chassis", resp))
		return 0;
	if ((idx = inventory_lookup(ctx, "dev", resp, &info)) < 0)
		return 0;
	if (check_id(ctx, "ld", LD_ID, "CXLLogicalDevice", resp))
		return 0;
	pcie_uri(info.id, uri, sizeof(uri));
	snprintf(ld, sizeof(ld), "%s/CXLLogicalDevices/" LD_ID, uri);
	/* GCXLID: the device serial as EUI-64 bytes, then the LD-ID. */
	snprintf(gcxlid, sizeof(gcxlid), "%02X-%02X-%02X-%02X-%02X-%02X-%02X-%02X:0000",
		 (unsigned)(info.serial >> 56) & 0xff, (unsigned)(info.serial >> 48) & 0xff,
		 (unsigned)(info.serial >> 40) & 0xff, (unsigned)(info.serial >> 32) & 0xff,
		 (unsigned)(info.serial >> 24) & 0xff, (unsigned)(info.serial >> 16) & 0xff,
		 (unsigned)(info.serial >> 8) & 0xff, (unsigned)info.serial & 0xff);
	doc = json_pack("{s:s, s:s, s:s, s:s, s:[s, s], s:I, s:[{s:s, s:s}], s:o, s:o, s:{s:[o], s:i}}",
			"@odata.id", ld, "@odata.type", "#CXLLogicalDevice.v1_3_0.CXLLogicalDevice",
			"Id", LD_ID, "Name", "CXL logical device", "SemanticsSupported", "CXLio",
			"CXLmem", "MemorySizeMiB", (json_int_t)(info.total_bytes / MIB), "Identifiers",
			"DurableName", gcxlid, "DurableNameFormat", "GCXLID", "Log",
			rf_link("%s/DeviceLog", ld), "Status", inventory_status(ag, (size_t)idx, &info),
			"Links", "MemoryDomains", rf_link(SYSTEM_URI "/MemoryDomains/%s", info.id),
			"MemoryDomains@odata.count", 1);
	http_response_json(resp, 200, doc);
	return doc ? 0 : -ENOMEM;
}

/* ---- device event records as a LogService ---- */

static const char *cxl_entry_type(enum cxl_event_log log)
{
	switch (log) {
	case CXL_EVENT_LOG_WARN:
		return "Warning";
	case CXL_EVENT_LOG_FAIL:
		return "Failure";
	case CXL_EVENT_LOG_FATAL:
		return "Fatal";
	default:
		return "Informational";
	}
}

static const char *entry_severity(enum cxl_event_log log)
{
	return log == CXL_EVENT_LOG_INFO ? "OK" : log == CXL_EVENT_LOG_WARN ? "Warning" : "Critical";
}

static int log_base(const struct route_ctx *ctx, struct http_response *resp,
		    struct cxl_dev_info *info, char *base, size_t len)
{
	int idx;
	char uri[256];

	if (check_id(ctx, "chassis", CHASSIS_ID, "Chassis", resp))
		return -ENOENT;
	if ((idx = inventory_lookup(ctx, "dev", resp, info)) < 0)
		return idx;
	if (check_id(ctx, "ld", LD_ID, "CXLLogicalDevice", resp))
		return -ENOENT;
	pcie_uri(info->id, uri, sizeof(uri));
	snprintf(base, len, "%s/CXLLogicalDevices/" LD_ID "/DeviceLog", uri);
	return idx;
}

int h_device_log(const struct route_ctx *ctx, struct http_response *resp)
{
	struct cxl_dev_info info;
	char base[400];

	if (log_base(ctx, resp, &info, base, sizeof(base)) < 0)
		return 0;
	http_response_json(
		resp, 200,
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:s, s:o, s:{s:s}}", "@odata.id", base,
			  "@odata.type", "#LogService.v1_9_0.LogService", "Id", "DeviceLog", "Name",
			  "CXL device event records", "LogEntryType", "CXL", "ServiceEnabled", 1,
			  "MaxNumberOfRecords", (json_int_t)ctx->agent->cfg->event_ring_size,
			  "OverWritePolicy", "WrapsWhenFull", "Entries",
			  rf_link("%s/Entries", base), "Status", "State", "Enabled"));
	return resp->json ? 0 : -ENOMEM;
}

static json_t *event_entry(const struct cxl_event *ev, const char *base)
{
	char id[24], uuid[40], data[2 * sizeof(ev->data) + 1], created[32];
	const uint8_t *u = ev->uuid;
	json_t *e;

	snprintf(id, sizeof(id), "%" PRIu64, ev->seq);
	snprintf(uuid, sizeof(uuid),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
		 u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
		 u[15]);
	for (size_t i = 0; i < sizeof(ev->data); i++)
		snprintf(data + 2 * i, 3, "%02x", ev->data[i]);
	e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:{s:s, s:s, s:i, s:i, s:s}}}",
		      "@odata.id", "", "@odata.type", "#LogEntry.v1_21_0.LogEntry", "Id", id, "Name",
		      "CXL event record", "EntryType", "CXL", "CXLEntryType",
		      cxl_entry_type(ev->log), "Severity", entry_severity(ev->log), "Message", "",
		      "Oem", "CxlAgent", "@odata.type", "#CxlAgent.v1_0_0.EventRecord", "RecordUUID",
		      uuid, "Handle", ev->handle, "Flags", ev->flags, "Data", data);
	if (!e)
		return NULL;
	char uri[512], msg[128];
	snprintf(uri, sizeof(uri), "%s/Entries/%s", base, id);
	json_object_set_new(e, "@odata.id", json_string(uri));
	snprintf(msg, sizeof(msg), "%s event record %s from the device's %s log",
		 cxl_entry_type(ev->log), uuid, cxl_entry_type(ev->log));
	json_object_set_new(e, "Message", json_string(msg));
	if (ev->timestamp_ns) {
		struct timespec ts = { (time_t)(ev->timestamp_ns / 1000000000ull),
				       (long)(ev->timestamp_ns % 1000000000ull) };
		rf_datetime(ts, created, sizeof(created));
		json_object_set_new(e, "Created", json_string(created));
	}
	return e;
}

struct entries_ctx {
	json_t *members;
	const char *base;
	uint64_t want;
	json_t *found;
};

static int add_entry(const struct cxl_event *ev, void *arg)
{
	struct entries_ctx *c = arg;
	json_array_append_new(c->members, event_entry(ev, c->base));
	return 0;
}

int h_device_log_entries(const struct route_ctx *ctx, struct http_response *resp)
{
	struct cxl_dev_info info;
	char base[400], uri[420];
	struct entries_ctx c = { 0 };
	int idx;

	if ((idx = log_base(ctx, resp, &info, base, sizeof(base))) < 0)
		return 0;
	c.members = json_array();
	c.base = base;
	if (!c.members)
		return -ENOMEM;
	foreach_event(ctx->agent, (size_t)idx, add_entry, &c);
	snprintf(uri, sizeof(uri), "%s/Entries", base);
	http_response_json(resp, 200,
			   rf_collection(uri, "LogEntryCollection", "CXL event records", c.members));
	return resp->json ? 0 : -ENOMEM;
}

static int find_entry(const struct cxl_event *ev, void *arg)
{
	struct entries_ctx *c = arg;
	if (ev->seq != c->want)
		return 0;
	c->found = event_entry(ev, c->base);
	return 1;
}

int h_device_log_entry(const struct route_ctx *ctx, struct http_response *resp)
{
	struct cxl_dev_info info;
	char base[400], *end;
	struct entries_ctx c = { 0 };
	const char *id = route_param(ctx->params, "entry");
	int idx;

	if ((idx = log_base(ctx, resp, &info, base, sizeof(base))) < 0)
		return 0;
	c.base = base;
	c.want = strtoull(id, &end, 10);
	if (*end == '\0' && end != id)
		foreach_event(ctx->agent, (size_t)idx, find_entry, &c);
	if (!c.found) {
		rf_error2(resp, 404, "ResourceNotFound", "LogEntry", id);
		return 0;
	}
	http_response_json(resp, 200, c.found);
	return 0;
}

/* ---- the host as a ComputerSystem ---- */

int h_system_collection(const struct route_ctx *ctx, struct http_response *resp)
{
	(void)ctx;
	http_response_json(resp, 200,
			   rf_collection("/redfish/v1/Systems", "ComputerSystemCollection",
					 "Computer System Collection",
					 json_pack("[o]", rf_link(SYSTEM_URI))));
	return resp->json ? 0 : -ENOMEM;
}

int h_system(const struct route_ctx *ctx, struct http_response *resp)
{
	if (check_id(ctx, "system", SYSTEM_ID, "ComputerSystem", resp))
		return 0;
	http_response_json(
		resp, 200,
		/* Actions and Boot are empty (the agent neither resets nor boots
		 * the host) but present: python3-sushy requires both. */
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:{}, s:{}, s:o, s:o, s:{s:s}, s:{s:[o], s:[o]}}",
			  "@odata.id", SYSTEM_URI, "@odata.type",
			  "#ComputerSystem.v1_27_0.ComputerSystem", "Id", SYSTEM_ID, "Name", "Host",
			  "SystemType", "Physical", "Actions", "Boot", "Memory",
			  rf_link(SYSTEM_URI "/Memory"), "MemoryDomains",
			  rf_link(SYSTEM_URI "/MemoryDomains"), "Status", "State", "Enabled", "Links",
			  "Chassis", rf_link(CHASSIS_URI), "ManagedBy",
			  rf_link("/redfish/v1/Managers/" MANAGER_ID)));
	return resp->json ? 0 : -ENOMEM;
}

int h_memory_collection(const struct route_ctx *ctx, struct http_response *resp)
{
	if (check_id(ctx, "system", SYSTEM_ID, "ComputerSystem", resp))
		return 0;
	return collection(ctx, resp, SYSTEM_URI "/Memory", "MemoryCollection",
			  "Memory Collection");
}

static json_t *health_oem(const struct cxl_health *h)
{
	json_t *o = json_pack("{s:I, s:I, s:I, s:b, s:b, s:b}", "DirtyShutdowns",
			      (json_int_t)h->dirty_shutdowns, "CorrectedVolatileErrors",
			      (json_int_t)h->corrected_volatile_errors, "CorrectedPersistentErrors",
			      (json_int_t)h->corrected_persistent_errors, "MaintenanceNeeded",
			      (h->health_status & 1) != 0, "PerformanceDegraded",
			      (h->health_status & 2) != 0, "ReplacementNeeded",
			      (h->health_status & 4) != 0);
	char read_at[32];
	if (!o)
		return NULL;
	if (h->life_used_pct != 0xff)
		json_object_set_new(o, "LifeUsedPercent", json_integer(h->life_used_pct));
	if (h->temperature_c != INT16_MAX)
		json_object_set_new(o, "TemperatureCelsius", json_integer(h->temperature_c));
	rf_datetime(h->read_at, read_at, sizeof(read_at));
	json_object_set_new(o, "ReadAt", json_string(read_at));
	return o;
}

int h_memory(const struct route_ctx *ctx, struct http_response *resp)
{
	struct agent *ag = ctx->agent;
	struct cxl_dev_info info;
	struct cxl_health h;
	char uri[256], serial[20], pcie[256], read_at[32];
	uint64_t vol, pers;
	json_t *doc, *oem;
	int idx;

	if (check_id(ctx, "system", SYSTEM_ID, "ComputerSystem", resp))
		return 0;
	if ((idx = inventory_lookup(ctx, "dev", resp, &info)) < 0)
		return 0;
	snprintf(uri, sizeof(uri), SYSTEM_URI "/Memory/%s", info.id);
	serial_string(&info, serial, sizeof(serial));
	pcie_uri(info.id, pcie, sizeof(pcie));
	rf_datetime(info.read_at, read_at, sizeof(read_at));
	/* Active partition when the device reports it; otherwise the fixed
	 * volatile-only and persistent-only capacities. */
	vol = info.has_partition ? info.active_volatile_bytes : info.volatile_only_bytes;
	pers = info.has_partition ? info.active_persistent_bytes : info.persistent_only_bytes;
	oem = json_pack("{s:s, s:o, s:s, s:I, s:I, s:I}", "@odata.type", "#CxlAgent.v1_0_0.Memory",
			"PCIeDevice", rf_link("%s", pcie), "DataReadAt", read_at,
			"VolatileOnlySizeMiB", (json_int_t)(info.volatile_only_bytes / MIB),
			"PersistentOnlySizeMiB", (json_int_t)(info.persistent_only_bytes / MIB),
			"PartitionAlignmentMiB", (json_int_t)(info.partition_align_bytes / MIB));
	doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:{s:I}, s:o, s:{s:o}}",
			"@odata.id", uri, "@odata.type", "#Memory.v1_23_0.Memory", "Id", info.id,
			"Name", "CXL memory", "MemoryType", "DRAM", "CapacityMiB",
			(json_int_t)(info.total_bytes / MIB), "VolatileSizeMiB",
			(json_int_t)(vol / MIB), "NonVolatileSizeMiB", (json_int_t)(pers / MIB),
			"SerialNumber", serial, "CXL", "LabelStorageSizeBytes",
			(json_int_t)info.lsa_size, "Status", inventory_status(ag, (size_t)idx, &info),
			"Oem", "CxlAgent", oem);
	if (!doc)
		return -ENOMEM;
	if (info.fw_revision[0])
		json_object_set_new(doc, "FirmwareRevision", json_string(info.fw_revision));
	if (info.has_partition && info.partition_align_bytes) {
		json_t *cxl = json_object_get(doc, "CXL");
		json_object_set_new(cxl, "StagedVolatileSizeMiB",
				    json_integer((json_int_t)(info.next_volatile_bytes / MIB)));
		json_object_set_new(cxl, "StagedNonVolatileSizeMiB",
				    json_integer((json_int_t)(info.next_persistent_bytes / MIB)));
	}
	if (info.partition_align_bytes)
		json_object_set_new(doc, "AllocationAlignmentMiB",
				    json_integer((json_int_t)(info.partition_align_bytes / MIB)));
	if (cxl_devset_health(ag->devices, (size_t)idx, &h) == 0 && h.valid) {
		if (h.life_used_pct <= 100)
			json_object_set_new(doc, "HealthData",
					    json_pack("{s:i}", "PredictedMediaLifeLeftPercent",
						      100 - h.life_used_pct));
		json_object_set_new(oem, "Health", health_oem(&h));
	}
	http_response_json(resp, 200, doc);
	return 0;
}

int h_memory_domain_collection(const struct route_ctx *ctx, struct http_response *resp)
{
	if (check_id(ctx, "system", SYSTEM_ID, "ComputerSystem", resp))
		return 0;
	return collection(ctx, resp, SYSTEM_URI "/MemoryDomains", "MemoryDomainCollection",
			  "Memory Domain Collection");
}

int h_memory_domain(const struct route_ctx *ctx, struct http_response *resp)
{
	struct cxl_dev_info info;
	char uri[256], pcie[256];
	int idx;

	if (check_id(ctx, "system", SYSTEM_ID, "ComputerSystem", resp))
		return 0;
	if ((idx = inventory_lookup(ctx, "dev", resp, &info)) < 0)
		return 0;
	snprintf(uri, sizeof(uri), SYSTEM_URI "/MemoryDomains/%s", info.id);
	pcie_uri(info.id, pcie, sizeof(pcie));
	http_response_json(
		resp, 200,
		json_pack("{s:s, s:s, s:s, s:s, s:I, s:b, s:b, s:b, s:b, s:o, s:{s:[o], s:i}}",
			  "@odata.id", uri, "@odata.type", "#MemoryDomain.v1_5_1.MemoryDomain", "Id",
			  info.id, "Name", "CXL memory domain", "MemorySizeMiB",
			  (json_int_t)(info.total_bytes / MIB), "AllowsMemoryChunkCreation", 0,
			  "AllowsBlockProvisioning", 0, "AllowsMirroring", 0, "AllowsSparing", 0,
			  "Status", inventory_status(ctx->agent, (size_t)idx, &info), "Links",
			  "CXLLogicalDevices", rf_link("%s/CXLLogicalDevices/" LD_ID, pcie),
			  "CXLLogicalDevices@odata.count", 1));
	return resp->json ? 0 : -ENOMEM;
}

/* ---- content versions for the body cache ---- */

uint64_t v_static(const struct route_ctx *ctx)
{
	(void)ctx;
	return 1;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h;
}

static int newest_seq(const struct cxl_event *ev, void *arg)
{
	*(uint64_t *)arg = ev->seq;
	return 0;
}

/* Everything a device resource shows that can change: the cached inventory
 * and health with their read times, the newest event record, the mailbox
 * command count. Calling it also lets a stale cache refresh. */
uint64_t v_device(const struct route_ctx *ctx)
{
	struct agent *ag = ctx->agent;
	const char *id = route_param(ctx->params, "dev");
	int idx = ag->devices && id ? cxl_devset_find(ag->devices, id) : -ENOENT;
	struct cxl_dev_info info;
	struct cxl_health h;
	uint64_t v = 0x5a17, newest = 0;

	if (idx < 0 || cxl_devset_info(ag->devices, (size_t)idx, &info) < 0)
		return 0; /* unknown: let the handler answer 404 */
	v = mix(v, (uint64_t)idx);
	v = mix(v, info.generation);
	v = mix(v, (uint64_t)info.read_at.tv_sec);
	v = mix(v, (uint64_t)info.read_at.tv_nsec);
	v = mix(v, info.present);
	if (cxl_devset_health(ag->devices, (size_t)idx, &h) == 0 && h.valid) {
		v = mix(v, (uint64_t)h.read_at.tv_sec);
		v = mix(v, (uint64_t)h.read_at.tv_nsec);
	}
	foreach_event(ag, (size_t)idx, newest_seq, &newest);
	v = mix(v, newest);
	v = mix(v, cxl_devset_mailbox_count(ag->devices, (size_t)idx));
	return v ? v : 1;
}

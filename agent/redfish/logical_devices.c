/* The one CXL logical device of each memory device, and the device's event
 * records as its DeviceLog (LogEntry, EntryType CXL). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/agent.h"
#include "cxl/device.h"
#include "redfish/error.h"
#include "redfish/resource.h"
#include "redfish/routes.h"

#define MIB (1024ull * 1024ull)
#define LD_ID "0"
#define LD_ROUTE "/redfish/v1/Chassis/{chassis}/PCIeDevices/{dev}/CXLLogicalDevices"

static int h_cxl_ld_collection(const struct route_ctx *ctx, struct http_response *resp)
{
	struct cxl_dev_info info;
	char uri[256], coll[300];

	if (rf_chassis_device(ctx, resp, &info) < 0)
		return 0;
	rf_pcie_uri(info.id, uri, sizeof(uri));
	snprintf(coll, sizeof(coll), "%s/CXLLogicalDevices", uri);
	return rf_reply_collection(resp, coll, "CXLLogicalDeviceCollection",
				   "CXL Logical Device Collection",
				   json_pack("[o]", rf_link("%s/" LD_ID, coll)));
}

/* The device, the logical device and the URI of the latter into ld; the
 * device's index, or -ENOENT with a 404 in resp. */
static int logical_device_of(const struct route_ctx *ctx, struct http_response *resp,
			     struct cxl_dev_info *info, char *ld, size_t len)
{
	char uri[256];
	int idx;

	if ((idx = rf_chassis_device(ctx, resp, info)) < 0)
		return idx;
	if (rf_check_id(ctx, "ld", LD_ID, "CXLLogicalDevice", resp))
		return -ENOENT;
	rf_pcie_uri(info->id, uri, sizeof(uri));
	snprintf(ld, len, "%s/CXLLogicalDevices/" LD_ID, uri);
	return idx;
}

static int h_cxl_ld(const struct route_ctx *ctx, struct http_response *resp)
{
	struct agent *ag = ctx->agent;
	struct cxl_dev_info info;
	char ld[320], gcxlid[40];
	json_t *doc;
	int idx;

	if ((idx = logical_device_of(ctx, resp, &info, ld, sizeof(ld))) < 0)
		return 0;
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
			rf_link("%s/DeviceLog", ld), "Status", rf_device_status(ag, (size_t)idx, &info),
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
	char ld[320];
	int idx = logical_device_of(ctx, resp, info, ld, sizeof(ld));

	if (idx >= 0)
		snprintf(base, len, "%s/DeviceLog", ld);
	return idx;
}

static int h_device_log(const struct route_ctx *ctx, struct http_response *resp)
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
	data[0] = '\0';
	for (size_t i = 0; i < ev->data_len && i < sizeof(ev->data); i++)
		snprintf(data + 2 * i, 3, "%02x", ev->data[i]);
	e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:{s:s, s:s, s:i, s:i, s:s, s:s}}}",
		      "@odata.id", "", "@odata.type", "#LogEntry.v1_21_0.LogEntry", "Id", id, "Name",
		      "CXL event record", "EntryType", "CXL", "CXLEntryType",
		      cxl_entry_type(ev->log), "Severity", entry_severity(ev->log), "Message", "",
		      "Oem", "CxlAgent", "@odata.type", "#CxlAgent.v1_0_0.EventRecord", "RecordUUID",
		      uuid, "Handle", ev->handle, "Flags", ev->flags, "Data", data, "Source",
		      ev->source == CXL_EVENT_SOURCE_KERNEL_TRACE ? "KernelTrace" : "Mailbox");
	if (!e)
		return NULL;
	char uri[512], msg[192 + sizeof(ev->detail)];
	snprintf(uri, sizeof(uri), "%s/Entries/%s", base, id);
	json_object_set_new(e, "@odata.id", json_string(uri));
	if (ev->source == CXL_EVENT_SOURCE_KERNEL_TRACE)
		snprintf(msg, sizeof(msg),
			 "%s event record %s from the device's %s log, read by the kernel driver: %s",
			 cxl_entry_type(ev->log), uuid, cxl_entry_type(ev->log), ev->detail);
	else
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

static int h_device_log_entries(const struct route_ctx *ctx, struct http_response *resp)
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
	rf_foreach_event(ctx->agent, (size_t)idx, add_entry, &c);
	snprintf(uri, sizeof(uri), "%s/Entries", base);
	return rf_reply_collection(resp, uri, "LogEntryCollection", "CXL event records", c.members);
}

static int find_entry(const struct cxl_event *ev, void *arg)
{
	struct entries_ctx *c = arg;
	if (ev->seq != c->want)
		return 0;
	c->found = event_entry(ev, c->base);
	return 1;
}

static int h_device_log_entry(const struct route_ctx *ctx, struct http_response *resp)
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
		rf_foreach_event(ctx->agent, (size_t)idx, find_entry, &c);
	if (!c.found) {
		rf_resource_not_found(resp, "LogEntry", id);
		return 0;
	}
	http_response_json(resp, 200, c.found);
	return 0;
}

/* PrivilegeRegistry 1.8.0: CXLLogicalDevice(Collection), and LogService,
 * LogEntryCollection, LogEntry beneath it, are read with Login. */
const struct route logical_device_routes[] = {
	{ GET_HEAD, LD_ROUTE, LOGIN, h_cxl_ld_collection, UNCACHED },
	{ GET_HEAD, LD_ROUTE "/{ld}", LOGIN, h_cxl_ld, rf_version_device },
	{ GET_HEAD, LD_ROUTE "/{ld}/DeviceLog", LOGIN, h_device_log, UNCACHED },
	{ GET_HEAD, LD_ROUTE "/{ld}/DeviceLog/Entries", LOGIN, h_device_log_entries,
	  rf_version_device },
	{ GET_HEAD, LD_ROUTE "/{ld}/DeviceLog/Entries/{entry}", LOGIN, h_device_log_entry,
	  rf_version_device },
	{ 0 },
};

/* Each CXL memory device as Memory and as a MemoryDomain of the host's
 * ComputerSystem: capacities, partition, label storage and health when the
 * device provides them. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "core/agent.h"
#include "cxl/device.h"
#include "redfish/resource.h"
#include "redfish/routes.h"

#define MIB (1024ull * 1024ull)

/* The device of a route beneath the ComputerSystem, and its resource's
 * URI (<collection>/<device id>) into uri; -ENOENT with a 404 in resp. */
static int system_device(const struct route_ctx *ctx, struct http_response *resp,
			 const char *collection, struct cxl_dev_info *info, char *uri, size_t len)
{
	int idx;

	if (rf_check_id(ctx, "system", SYSTEM_ID, "ComputerSystem", resp))
		return -ENOENT;
	if ((idx = rf_device_lookup(ctx, "dev", resp, info)) >= 0)
		snprintf(uri, len, SYSTEM_URI "/%s/%s", collection, info->id);
	return idx;
}

static int h_memory_collection(const struct route_ctx *ctx, struct http_response *resp)
{
	if (rf_check_id(ctx, "system", SYSTEM_ID, "ComputerSystem", resp))
		return 0;
	return rf_device_collection(ctx, resp, SYSTEM_URI "/Memory", "MemoryCollection",
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

/* What only some devices report: firmware, staged partition, alignment and
 * health. */
static void memory_optional(struct agent *ag, size_t idx, const struct cxl_dev_info *info,
			    json_t *doc, json_t *oem)
{
	struct cxl_health h;

	if (info->fw_revision[0])
		json_object_set_new(doc, "FirmwareRevision", json_string(info->fw_revision));
	if (info->has_partition && info->partition_align_bytes) {
		json_t *cxl = json_object_get(doc, "CXL");
		json_object_set_new(cxl, "StagedVolatileSizeMiB",
				    json_integer((json_int_t)(info->next_volatile_bytes / MIB)));
		json_object_set_new(cxl, "StagedNonVolatileSizeMiB",
				    json_integer((json_int_t)(info->next_persistent_bytes / MIB)));
	}
	if (info->partition_align_bytes)
		json_object_set_new(doc, "AllocationAlignmentMiB",
				    json_integer((json_int_t)(info->partition_align_bytes / MIB)));
	if (cxl_devset_health(ag->devices, idx, &h) == 0 && h.valid) {
		if (h.life_used_pct <= 100)
			json_object_set_new(doc, "HealthData",
					    json_pack("{s:i}", "PredictedMediaLifeLeftPercent",
						      100 - h.life_used_pct));
		json_object_set_new(oem, "Health", health_oem(&h));
	}
}

static int h_memory(const struct route_ctx *ctx, struct http_response *resp)
{
	struct agent *ag = ctx->agent;
	struct cxl_dev_info info;
	char uri[256], serial[20], pcie[256], read_at[32];
	uint64_t vol, pers;
	json_t *doc, *oem;
	int idx;

	if ((idx = system_device(ctx, resp, "Memory", &info, uri, sizeof(uri))) < 0)
		return 0;
	snprintf(serial, sizeof(serial), "%016" PRIx64, info.serial);
	rf_pcie_uri(info.id, pcie, sizeof(pcie));
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
			(json_int_t)info.lsa_size, "Status", rf_device_status(ag, (size_t)idx, &info),
			"Oem", "CxlAgent", oem);
	if (!doc)
		return -ENOMEM;
	memory_optional(ag, (size_t)idx, &info, doc, oem);
	http_response_json(resp, 200, doc);
	return 0;
}

static int h_memory_domain_collection(const struct route_ctx *ctx, struct http_response *resp)
{
	if (rf_check_id(ctx, "system", SYSTEM_ID, "ComputerSystem", resp))
		return 0;
	return rf_device_collection(ctx, resp, SYSTEM_URI "/MemoryDomains", "MemoryDomainCollection",
				    "Memory Domain Collection");
}

static int h_memory_domain(const struct route_ctx *ctx, struct http_response *resp)
{
	struct cxl_dev_info info;
	char uri[256], pcie[256];
	int idx;

	if ((idx = system_device(ctx, resp, "MemoryDomains", &info, uri, sizeof(uri))) < 0)
		return 0;
	rf_pcie_uri(info.id, pcie, sizeof(pcie));
	http_response_json(
		resp, 200,
		json_pack("{s:s, s:s, s:s, s:s, s:I, s:b, s:b, s:b, s:b, s:o, s:{s:[o], s:i}}",
			  "@odata.id", uri, "@odata.type", "#MemoryDomain.v1_5_1.MemoryDomain", "Id",
			  info.id, "Name", "CXL memory domain", "MemorySizeMiB",
			  (json_int_t)(info.total_bytes / MIB), "AllowsMemoryChunkCreation", 0,
			  "AllowsBlockProvisioning", 0, "AllowsMirroring", 0, "AllowsSparing", 0,
			  "Status", rf_device_status(ctx->agent, (size_t)idx, &info), "Links",
			  "CXLLogicalDevices", rf_link("%s/CXLLogicalDevices/0", pcie),
			  "CXLLogicalDevices@odata.count", 1));
	return resp->json ? 0 : -ENOMEM;
}

/* PrivilegeRegistry 1.8.0: Memory(Collection) and MemoryDomain(Collection)
 * are read with Login. */
const struct route memory_routes[] = {
	{ GET_HEAD, "/redfish/v1/Systems/{system}/Memory", LOGIN, h_memory_collection,
	  rf_version_static },
	{ GET_HEAD, "/redfish/v1/Systems/{system}/Memory/{dev}", LOGIN, h_memory,
	  rf_version_device },
	{ GET_HEAD, "/redfish/v1/Systems/{system}/MemoryDomains", LOGIN,
	  h_memory_domain_collection, UNCACHED },
	{ GET_HEAD, "/redfish/v1/Systems/{system}/MemoryDomains/{dev}", LOGIN, h_memory_domain,
	  rf_version_device },
	{ 0 },
};

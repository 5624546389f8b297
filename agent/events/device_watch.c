#include "events/device_watch.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cxl/device.h"
#include "events/messages.h"
#include "redfish/resource.h"
#include "util/base64.h"

#define DEVICE_URI_FMT "/redfish/v1/Chassis/" CHASSIS_ID "/PCIeDevices/%s"

struct dev_snap {
	bool present;
	const char *health; /* static string or NULL */
	uint64_t last_seq;
};

struct device_watch {
	struct cxl_devset *devices;
	struct event_bus *bus;
	size_t count;
	struct dev_snap *snap;
};

static uint64_t newest_seq(struct cxl_devset *devs, size_t idx)
{
	struct cxl_event ev[32];
	uint64_t after = 0;
	int n;

	while ((n = cxl_devset_events(devs, idx, after, ev, 32)) > 0) {
		after = ev[n - 1].seq;
		if (n < 32)
			break;
	}
	return after;
}

static const char *current_health(struct cxl_devset *devs, size_t idx)
{
	struct cxl_health h;
	if (cxl_devset_health(devs, idx, &h))
		return NULL;
	return rf_device_health(&h);
}

int device_watch_new(struct cxl_devset *devices, struct event_bus *bus, struct device_watch **out)
{
	struct device_watch *w = calloc(1, sizeof(*w));
	struct cxl_dev_info info;

	if (!w)
		return -ENOMEM;
	w->devices = devices;
	w->bus = bus;
	w->count = devices ? cxl_devset_count(devices) : 0;
	w->snap = calloc(w->count ? w->count : 1, sizeof(*w->snap));
	if (!w->snap) {
		free(w);
		return -ENOMEM;
	}
	for (size_t i = 0; i < w->count; i++) {
		if (cxl_devset_info(devices, i, &info) == 0)
			w->snap[i].present = info.present;
		w->snap[i].health = current_health(devices, i);
		w->snap[i].last_seq = newest_seq(devices, i);
	}
	*out = w;
	return 0;
}

void device_watch_free(struct device_watch *w)
{
	if (!w)
		return;
	free(w->snap);
	free(w);
}

static const char *log_name(enum cxl_event_log log)
{
	static const char *const names[] = { "Informational", "Warning", "Failure", "Fatal" };
	return (unsigned)log < 4 ? names[log] : "Unknown";
}

static const char *log_severity(enum cxl_event_log log)
{
	return log == CXL_EVENT_LOG_INFO ? "OK" : log == CXL_EVENT_LOG_WARN ? "Warning" : "Critical";
}

static void format_uuid(const uint8_t u[16], char *buf, size_t len)
{
	snprintf(buf, len,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
		 u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
		 u[15]);
}

static void emit_record(struct device_watch *w, const char *id, const char *uri,
			const struct cxl_event *ev)
{
	char uuid[37], handle[8], ts[24], seq[24];
	const char *args[4] = { id, log_name(ev->log), uuid, handle };
	char *data = base64_encode(ev->data, sizeof(ev->data));
	json_t *oem;

	format_uuid(ev->uuid, uuid, sizeof(uuid));
	snprintf(handle, sizeof(handle), "0x%04x", ev->handle);
	snprintf(ts, sizeof(ts), "%" PRIu64, ev->timestamp_ns);
	snprintf(seq, sizeof(seq), "%" PRIu64, ev->seq);
	oem = json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s?, s:s}}", "CxlAgent",
			"@odata.type", "#CxlAgent.v1_0_0.DeviceEvent", "Device", id, "Log",
			log_name(ev->log), "RecordType", uuid, "Handle", handle, "Flags",
			(int)ev->flags, "DeviceTimestampNs", ts, "Data", data, "LogEntryId", seq);
	free(data);
	event_emit(w->bus, EVM_DEVICE_EVENT_RECORD, log_severity(ev->log), uri, "PCIeDevice", args,
		   oem);
}

static void poll_records(struct device_watch *w, size_t idx, const char *id, const char *uri)
{
	struct cxl_event ev[16];
	int n;

	while ((n = cxl_devset_events(w->devices, idx, w->snap[idx].last_seq, ev, 16)) > 0) {
		for (int i = 0; i < n; i++) {
			emit_record(w, id, uri, &ev[i]);
			w->snap[idx].last_seq = ev[i].seq;
		}
		if (n < 16)
			break;
	}
}

static enum event_msg health_message(const char *health)
{
	if (strcmp(health, "Critical") == 0)
		return EVM_STATUS_CHANGED_CRITICAL;
	if (strcmp(health, "Warning") == 0)
		return EVM_STATUS_CHANGED_WARNING;
	return EVM_STATUS_CHANGED_OK;
}

void device_watch_poll(void *arg)
{
	struct device_watch *w = arg;
	struct cxl_dev_info info;
	char uri[160];

	for (size_t i = 0; i < w->count; i++) {
		struct dev_snap *s = &w->snap[i];
		const char *health;

		if (cxl_devset_info(w->devices, i, &info))
			continue;
		snprintf(uri, sizeof(uri), DEVICE_URI_FMT, info.id);
		if (s->present != info.present) {
			s->present = info.present;
			event_emit(w->bus, info.present ? EVM_RESOURCE_CREATED : EVM_RESOURCE_REMOVED,
				   NULL, uri, "PCIeDevice", NULL, NULL);
		}
		poll_records(w, i, info.id, uri);
		health = info.present ? current_health(w->devices, i) : NULL;
		if (health && (!s->health || strcmp(health, s->health) != 0)) {
			const char *args[2] = { uri, health };
			event_emit(w->bus, health_message(health), NULL, uri, "PCIeDevice", args,
				   NULL);
		}
		s->health = health;
	}
}

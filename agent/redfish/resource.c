/* Helpers shared by the resource files. Device data comes from the device
 * layer's cache, so nothing here waits behind a mailbox command. */
#include "redfish/resource.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/agent.h"
#include "redfish/error.h"

json_t *rf_link(const char *fmt, ...)
{
	char uri[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(uri, sizeof(uri), fmt, ap);
	va_end(ap);
	return json_pack("{s:s}", "@odata.id", uri);
}

json_t *rf_collection(const char *odata_id, const char *type, const char *name, json_t *members)
{
	char otype[128];

	if (!members)
		members = json_array();
	if (!members)
		return NULL;
	snprintf(otype, sizeof(otype), "#%s.%s", type, type);
	return json_pack("{s:s, s:s, s:s, s:I, s:o}", "@odata.id", odata_id, "@odata.type", otype,
			 "Name", name, "Members@odata.count", (json_int_t)json_array_size(members),
			 "Members", members);
}

int rf_reply_collection(struct http_response *resp, const char *odata_id, const char *type,
			const char *name, json_t *members)
{
	http_response_json(resp, 200, rf_collection(odata_id, type, name, members));
	return resp->json ? 0 : -ENOMEM;
}

void rf_datetime(struct timespec ts, char *buf, size_t len)
{
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int rf_reply_with_etag(struct http_response *resp, int status, json_t *body, const char *etag)
{
	if (!body)
		return -ENOMEM;
	http_response_json(resp, status, body);
	http_response_header(resp, "ETag", etag);
	return 0;
}

int rf_check_id(const struct route_ctx *ctx, const char *param, const char *want,
		const char *type, struct http_response *resp)
{
	const char *id = route_param(ctx->params, param);
	if (id && strcmp(id, want) == 0)
		return 0;
	rf_resource_not_found(resp, type, id ? id : "");
	return -ENOENT;
}

int rf_check_self(const struct route_ctx *ctx, const char *owner, struct http_response *resp)
{
	if (ctx->admitted_by != PRIV_CONFIGURE_SELF || strcmp(owner, ctx->who->user) == 0)
		return 0;
	rf_insufficient_privilege(resp);
	return -EACCES;
}

/* ---- devices ---- */

size_t rf_device_count(const struct agent *ag)
{
	return ag->devices ? cxl_devset_count(ag->devices) : 0;
}

int rf_device_lookup(const struct route_ctx *ctx, const char *param, struct http_response *resp,
		     struct cxl_dev_info *info)
{
	struct agent *ag = ctx->agent;
	const char *id = route_param(ctx->params, param);
	int idx = ag->devices && id ? cxl_devset_find(ag->devices, id) : -ENOENT;

	if (idx < 0 || cxl_devset_info(ag->devices, (size_t)idx, info) < 0) {
		rf_resource_not_found(resp, "PCIeDevice", id ? id : "");
		return -ENOENT;
	}
	return idx;
}

int rf_chassis_device(const struct route_ctx *ctx, struct http_response *resp,
		      struct cxl_dev_info *info)
{
	if (rf_check_id(ctx, "chassis", CHASSIS_ID, "Chassis", resp))
		return -ENOENT;
	return rf_device_lookup(ctx, "dev", resp, info);
}

/* Worst of two Redfish Health values. */
const char *rf_worse_health(const char *a, const char *b)
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

const char *rf_device_health(const struct cxl_health *h)
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

int rf_foreach_event(struct agent *ag, size_t idx, int (*fn)(const struct cxl_event *, void *),
		     void *arg)
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
		*worst = rf_worse_health(*worst, "Warning");
	return 0;
}

const char *rf_health_of(struct agent *ag, size_t idx, const struct cxl_dev_info *info)
{
	struct cxl_health h;
	const char *events = NULL;

	if (!info->present)
		return NULL;
	if (cxl_devset_health(ag->devices, idx, &h) < 0)
		h.valid = false;
	rf_foreach_event(ag, idx, worst_severity, &events);
	return rf_worse_health(rf_device_health(&h), events);
}

json_t *rf_device_status(struct agent *ag, size_t idx, const struct cxl_dev_info *info)
{
	const char *health;

	if (!info->present)
		return json_pack("{s:s}", "State", "Absent");
	health = rf_health_of(ag, idx, info);
	if (!health)
		return json_pack("{s:s}", "State", "Enabled");
	return json_pack("{s:s, s:s}", "State", "Enabled", "Health", health);
}

void rf_pcie_uri(const char *dev_id, char *buf, size_t len)
{
	snprintf(buf, len, CHASSIS_URI "/PCIeDevices/%s", dev_id);
}

int rf_device_collection(const struct route_ctx *ctx, struct http_response *resp,
			 const char *uri, const char *type, const char *name)
{
	struct agent *ag = ctx->agent;
	json_t *members = json_array();
	struct cxl_dev_info info;

	if (!members)
		return -ENOMEM;
	for (size_t i = 0; i < rf_device_count(ag); i++) {
		if (cxl_devset_info(ag->devices, i, &info) < 0)
			continue;
		json_array_append_new(members, rf_link("%s/%s", uri, info.id));
	}
	return rf_reply_collection(resp, uri, type, name, members);
}

/* ---- content versions for the body cache ---- */

uint64_t rf_version_static(const struct route_ctx *ctx)
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
uint64_t rf_version_device(const struct route_ctx *ctx)
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
	rf_foreach_event(ag, (size_t)idx, newest_seq, &newest);
	v = mix(v, newest);
	v = mix(v, cxl_devset_mailbox_count(ag->devices, (size_t)idx));
	return v ? v : 1;
}

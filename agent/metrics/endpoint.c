/* GET /metrics: OpenMetrics text 1.0 on the same TLS listener, for callers
 * with Login (ReadOnly and up): the agent's counters, per-device gauges read
 * from the device cache (never a mailbox command), event bus, streams and
 * subscriptions. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authn.h"
#include "core/agent.h"
#include "cxl/device.h"
#include "events/bus.h"
#include "events/sse.h"
#include "events/subscriptions.h"
#include "metrics/metrics.h"
#include "redfish/resource.h"
#include "redfish/routes.h"

#define PREFIX "cxl_agent_"
#define OPENMETRICS_TYPE "application/openmetrics-text; version=1.0.0; charset=utf-8"

static int health_value(const char *h)
{
	return strcmp(h, "OK") == 0 ? 0 : strcmp(h, "Warning") == 0 ? 1 : 2;
}

/* %.15g: every count a device reports (32 bits) and every ratio it can give
 * exactly; %g's six digits would turn 1234567 errors into 1.23457e+06, and
 * hide the next ones. */
static void write_device(FILE *f, const char *family, const char *id, const char *extra,
			 double v)
{
	fprintf(f, PREFIX "%s{device=\"%s\"%s} %.15g\n", family, id, extra, v);
}

/* One pass per family: OpenMetrics wants a family's samples together. */
static void write_devices(struct agent *ag, FILE *f)
{
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
		{ "device_up", "gauge", "1 while the device is present, 0 once it vanished." },
		{ "device_health", "gauge", "Device health: 0 OK, 1 Warning, 2 Critical." },
		{ "device_temperature_celsius", "gauge", "Device temperature." },
		{ "device_life_used_ratio", "gauge", "Share of the device's rated life used." },
		{ "device_corrected_errors", "gauge", "Corrected media errors the device reports." },
		{ "device_dirty_shutdowns", "gauge", "Dirty shutdowns the device counted." },
	};
	size_t n = ag->devices ? cxl_devset_count(ag->devices) : 0;

	for (size_t k = 0; k < sizeof(fam) / sizeof(fam[0]); k++) {
		char name[64];
		snprintf(name, sizeof(name), PREFIX "%s", fam[k].name);
		metrics_family(f, name, fam[k].type, fam[k].help);
		for (size_t i = 0; i < n; i++) {
			struct cxl_dev_info info;
			struct cxl_health h;
			const char *health;

			if (cxl_devset_info(ag->devices, i, &info))
				continue;
			if (k == 0) {
				write_device(f, fam[k].name, info.id, "", info.present ? 1 : 0);
				continue;
			}
			if (!info.present || cxl_devset_health(ag->devices, i, &h) || !h.valid)
				continue;
			health = rf_device_health(&h);
			if (k == 1 && health)
				write_device(f, fam[k].name, info.id, "", health_value(health));
			else if (k == 2 && h.temperature_c != INT16_MAX)
				write_device(f, fam[k].name, info.id, "", h.temperature_c);
			else if (k == 3 && h.life_used_pct != 0xff)
				write_device(f, fam[k].name, info.id, "", h.life_used_pct / 100.0);
			else if (k == 4) {
				write_device(f, fam[k].name, info.id, ",memory=\"volatile\"",
					     h.corrected_volatile_errors);
				write_device(f, fam[k].name, info.id, ",memory=\"persistent\"",
					     h.corrected_persistent_errors);
			} else if (k == 5)
				write_device(f, fam[k].name, info.id, "", h.dirty_shutdowns);
		}
	}
}

static void write_events(struct agent *ag, FILE *f)
{
	struct event_bus_stats es;
	struct subscriptions_stats ss;

	event_bus_stats(ag->events, &es);
	subscriptions_stats(ag->subs, &ss);
	metrics_family(f, PREFIX "events_published", "counter", "Redfish events published.");
	fprintf(f, PREFIX "events_published_total %llu\n", (unsigned long long)es.published);
	metrics_family(f, PREFIX "event_drops", "counter",
		       "Events a stream or subscription lost because its queue was full.");
	fprintf(f, PREFIX "event_drops_total %llu\n", (unsigned long long)es.dropped);
	metrics_family(f, PREFIX "event_queue_depth", "gauge",
		       "Events queued for streams and subscriptions.");
	fprintf(f, PREFIX "event_queue_depth %zu\n", es.queued);
	metrics_family(f, PREFIX "sse_clients", "gauge", "Open server-sent event streams.");
	fprintf(f, PREFIX "sse_clients %u\n", sse_hub_streams(ag->sse));
	metrics_family(f, PREFIX "subscriptions", "gauge", "Push subscriptions.");
	fprintf(f, PREFIX "subscriptions %u\n", ss.count);
	metrics_family(f, PREFIX "event_deliveries", "counter",
		       "Push delivery attempts, by result.");
	fprintf(f, PREFIX "event_deliveries_total{result=\"ok\"} %llu\n",
		(unsigned long long)ss.delivered);
	fprintf(f, PREFIX "event_deliveries_total{result=\"failed\"} %llu\n",
		(unsigned long long)ss.failed_attempts);
}

/* Requests that share one Basic credential's check run one KDF between
 * them, so this counts the work done, not the requests that waited. */
static void write_auth(struct agent *ag, FILE *f)
{
	metrics_family(f, PREFIX "password_checks", "counter",
		       "Password checks run (PBKDF2), by Basic requests, logins and cache renewals.");
	fprintf(f, PREFIX "password_checks_total %lu\n", authn_kdf_runs(ag->authn));
}

static int h_metrics(const struct route_ctx *ctx, struct http_response *resp)
{
	struct agent *ag = ctx->agent;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc = 0;

	if (!f)
		return -ENOMEM;
	if (ag->metrics)
		rc = metrics_write(ag->metrics, f);
	write_devices(ag, f);
	write_events(ag, f);
	if (ag->authn)
		write_auth(ag, f);
	fputs("# EOF\n", f);
	if (fclose(f) || rc) {
		free(text);
		return -ENOMEM;
	}
	rc = http_response_text(resp, 200, OPENMETRICS_TYPE, text, len);
	free(text);
	return rc;
}


/* Login is what ReadOnly holds: monitoring needs no more. */
const struct route metrics_routes[] = {
	{ HTTP_GET | HTTP_HEAD | ROUTE_OPENMETRICS, "/metrics", LOGIN, h_metrics, NULL },
	{ 0 },
};

/* The agent's context: everything a request handler may reach, passed down
 * explicitly (no mutable globals). Built by agent_open() (app/open.h), torn
 * down by agent_close(). */
#ifndef CXLA_CORE_AGENT_H
#define CXLA_CORE_AGENT_H

#include <stdbool.h>
#include <time.h>

#include "config/config.h"
#include "core/host.h"
#include "policy/catalogue.h"
#include "util/clock.h"

struct router;
struct accounts;
struct authn;
struct sessions;
struct cxl_devset;
struct audit_log;
struct command_queues;
struct tasks;
struct body_cache;
struct poller;
struct event_bus;
struct sse_hub;
struct subscriptions;
struct metrics;
struct device_watch;
struct agent_remote;

struct agent {
	const struct config *cfg;
	struct router *router;
	struct accounts *accounts;
	struct authn *authn;
	struct sessions *sessions;      /* Redfish sessions (in memory) */
	struct cxl_devset *devices;     /* NULL when no backend could be opened */
	const char *backend_why;        /* why this backend was chosen */
	struct catalogue_cell catalogue; /* approved commands in force (SIGHUP swaps) */
	struct audit_log *audit;
	struct command_queues *queues;  /* per-device admission of commands */
	struct tasks *tasks;            /* background operations being followed */
	struct body_cache *bodies;      /* serialised GET bodies by URI and version */
	struct event_bus *events;       /* Redfish events published by every part */
	struct sse_hub *sse;            /* open event streams */
	struct subscriptions *subs;     /* push subscriptions */
	struct metrics *metrics;        /* counters for /metrics */
	struct device_watch *watch;     /* device events from the poller's rounds */
	char uuid[37];                  /* service UUID, stable across restarts */
	struct host_identity host;      /* read at start-up */
	struct timespec started;        /* wall clock at start-up */
	const struct clock_source *clock; /* time for expiry and lockout (borrowed) */
	struct poller *poller;          /* background device refresh, NULL when off */
	bool catalogue_ready;           /* catalogue holds a cell to destroy */
	/* In the network-facing process: the broker that holds the devices and
	 * the audit log (devices is then a mirror, audit NULL). NULL when this
	 * process holds them itself. Borrowed. */
	const struct agent_remote *remote;
	void *remote_ctx;
};

#endif

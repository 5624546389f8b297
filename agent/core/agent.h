/* The agent's context: everything a request handler may reach, passed down
 * explicitly (no mutable globals). Built in main.c, torn down there. */
#ifndef CXLA_CORE_AGENT_H
#define CXLA_CORE_AGENT_H

#include <time.h>

#include "config/config.h"
#include "core/host.h"
#include "policy/catalogue.h"

struct router;
struct accounts;
struct authn;
struct sessions;
struct cxl_devset;
struct audit_log;
struct command_queues;
struct tasks;
struct body_cache;

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
	char uuid[37];                  /* service UUID, stable across restarts */
	struct host_identity host;      /* read at start-up */
	struct timespec started;        /* CLOCK_REALTIME at start-up */
};

#endif

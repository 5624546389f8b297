/* The daemon once it listens: signals are taken synchronously by the
 * calling thread, the service manager is told how the agent is doing
 * (ready, reloading, stopping, watchdog pings while healthy), and shutdown
 * stops accepting and lets requests in flight finish. */
#ifndef CXLA_APP_SERVE_H
#define CXLA_APP_SERVE_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "core/agent.h"
#include "http/server.h"

struct serve_ctx {
	const struct config *cfg;   /* borrowed: the configuration started with */
	struct agent *agent;        /* borrowed */
	struct http_server *server; /* borrowed */
	/* false in the front under privilege separation: the broker, the
	 * process the service manager watches, tells it (the front's readiness
	 * through the broker) */
	bool notify;
	/* Non-NULL: SIGUSR1 (blocked by the caller too) calls it. */
	void (*on_usr1)(void);
};

/* Runs until SIGTERM or SIGINT, which the caller has blocked in every
 * thread; SIGHUP reloads (an agent with a remote, the front, leaves the
 * catalogue to the broker). Returns 0 once in-flight requests have finished or
 * the grace period is over (the caller then closes server and agent). */
int serve_run(const struct serve_ctx *s);

/* Healthy means the device poller keeps finishing rounds: a round may take
 * a command timeout per device, so it is given that twice over. idle_ms is
 * the time since the last round finished. */
bool serve_healthy(const struct config *cfg, size_t ndevices, unsigned long long idle_ms);

#endif

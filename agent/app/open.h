/* Opening and closing an agent: everything the daemon runs on (route table,
 * state directory, accounts, sessions, authenticator, devices, catalogue,
 * audit log, command queues, tasks, body cache, background poller), built in
 * one order and torn down in the reverse. The daemon and the unit tests open
 * an agent through the same function, so tests run against what ships. The
 * HTTPS server and the privilege drop stay with the daemon's main(). */
#ifndef CXLA_APP_OPEN_H
#define CXLA_APP_OPEN_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "core/agent.h"
#include "policy/catalogue.h"
#include "util/clock.h"

struct router;
struct agent_remote;
struct cxl_devset;
struct cxl_ktrace_handover;

/* Which part of the agent a process opens. Under privilege separation the
 * broker holds the devices, the catalogue, the audit log and the poller;
 * the front holds the rest (accounts, sessions, routes, tasks, the body
 * cache) over the broker's mirror devices. */
enum agent_part {
	AGENT_WHOLE = 0,
	AGENT_BROKER,
	AGENT_FRONT,
};

struct agent_open_options {
	/* Password of the "admin" account created on the first start; NULL:
	 * one is generated, written to state_dir/initial-admin-password (mode
	 * 0600) and copied into generated (>= 32 bytes; "" when no password was
	 * generated; NULL: no copy). */
	const char *initial_admin_password;
	char *generated;
	size_t generated_len;
	/* PBKDF2 cost of hashes made from now on (0: the production default). */
	unsigned password_iterations;
	/* Borrowed, must outlive the agent; NULL: the system clocks. */
	const struct clock_source *clock;
	/* The background poller refreshes devices; tests leave it off and
	 * refresh where they need to. */
	bool poller;
	/* Where the host's /sys and /etc are read for its identity: NULL for
	 * "/", a prepared tree in tests. */
	const char *host_root;
	enum agent_part part;
	/* AGENT_FRONT: the mirror devices and the catalogue the broker sent
	 * (both taken over, also on failure) and the broker as the agent's
	 * remote (borrowed). */
	struct cxl_devset *devices;
	struct policy_catalogue *catalogue;
	const struct agent_remote *remote;
	void *remote_ctx;
	/* Not AGENT_FRONT: what the service's privileged step left for the
	 * kernel backend (app/handover.h), borrowed; NULL: none. */
	const struct cxl_ktrace_handover *kernel_trace;
};

/* Open an agent over cfg (borrowed: it must outlive the agent). *out is new
 * (agent_close()). On failure returns -errno with a message in err. */
int agent_open(const struct config *cfg, const struct agent_open_options *opt,
	       struct agent **out, char *err, size_t errlen);
/* Stop the poller and release everything, in reverse order. NULL is fine. */
void agent_close(struct agent *ag);

/* The route table of the service, as a router (new). */
int agent_router_new(struct router **out, char *err, size_t errlen);
/* The catalogue cfg names (none configured: an empty one, so nothing is
 * approved); *out is new. A configured file must load cleanly. */
int agent_catalogue_load(const struct config *cfg, struct policy_catalogue **out, char *err,
			 size_t errlen);

#endif

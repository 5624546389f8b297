/* A whole agent without sockets for fuzz targets that enter at the Redfish
 * service edge: the real route table, a real accounts file (on a temporary
 * directory), the real authenticator and session table, the built-in
 * emulated devices and the example catalogue. Requests go through
 * service_handle() exactly as the HTTP server hands them over.
 *
 * Every input must start from the same state, or a finding could not be
 * replayed: fuzz_agent_reset() ends all sessions and, when an input changed
 * the accounts store, reopens it from the baseline file. */
#ifndef CXLA_FUZZ_AGENT_H
#define CXLA_FUZZ_AGENT_H

#include <stddef.h>

#include "auth/accounts.h"
#include "core/agent.h"
#include "http/message.h"

#define FUZZ_ADMIN_PASSWORD "fuzz-admin-password-1"
#define FUZZ_VICTIM_USER "victim"
#define FUZZ_CUSTOM_ROLE "FuzzRole"

struct fuzz_agent {
	char dir[128];
	char accounts_path[192];
	char *baseline;         /* the accounts file after set-up */
	size_t baseline_len;
	uint64_t generation;    /* accounts_generation() of the baseline */
	struct config cfg;
	struct agent ag;
	char admin_auth[128];   /* "Basic ..." of the administrator */
	char victim_id[ACCOUNT_ID_MAX];
	char device_id[40];     /* the first emulated device */
};

/* A new agent (with_devices: also the emulated devices and the example
 * catalogue), or NULL with a message on stderr. Freed at exit. */
struct fuzz_agent *fuzz_agent_new(int with_devices);

/* Run one request through the service edge and release the answer. A
 * deferred device command is released (with the answer) without being run:
 * the targets are about what reaches the handlers, not the device. Returns
 * the status. */
int fuzz_agent_call(struct fuzz_agent *f, const struct http_request *req);

/* Back to the baseline state (see above). Aborts if that fails: a target
 * whose state drifts would report findings nobody can replay. */
void fuzz_agent_reset(struct fuzz_agent *f);

/* A file path under the fixture's directory for targets that feed files. */
const char *fuzz_scratch_file(const char *leaf);

#endif

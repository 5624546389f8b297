/* What the network-facing process asks of the device broker (broker/):
 * the few operations that need a device or the audit log. In a process that
 * holds both itself (tests, --check-config) no remote is set and the agent
 * does them directly; core functions below pick the one in force, so the
 * Redfish layer never knows which.
 *
 * The broker trusts nothing in these calls: it re-resolves the command,
 * re-runs the policy and writes the audit itself (broker/server.c). */
#ifndef CXLA_CORE_REMOTE_H
#define CXLA_CORE_REMOTE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/identity.h"
#include "cxl/device.h"

struct agent;
struct command_outcome;

enum remote_bg_close {
	REMOTE_BG_LOST = 0,      /* no completion within the limit, or the device is gone */
	REMOTE_BG_ABANDONED,     /* still running when the front stopped following it */
};

struct agent_remote {
	/* command_submit() by command id (NULL: not approved) for device idx
	 * whose id is device_id. Fills *out as command_submit() does. */
	int (*submit)(void *ctx, const struct identity *who, size_t idx, const char *device_id,
		      const char *command_id, const uint8_t *payload, size_t payload_len,
		      unsigned timeout_ms, struct command_outcome *out);
	/* The same without waiting: 0, and done(arg, rc, out) is called exactly
	 * once with what submit would have returned (out borrowed for the
	 * call, NULL unless rc is 0), on the session's reader thread, possibly
	 * before this returns; or a negative errno (-EAGAIN: too many requests
	 * under way) and done is never called. payload is copied before this
	 * returns. done must not wait for the broker. */
	int (*submit_start)(void *ctx, const struct identity *who, size_t idx,
			    const char *device_id, const char *command_id, const uint8_t *payload,
			    size_t payload_len, unsigned timeout_ms,
			    void (*done)(void *arg, int rc, struct command_outcome *out), void *arg);
	/* Background Operation Status of device idx for the operation intent
	 * started; the broker records a finished one itself. */
	int (*bg_poll)(void *ctx, size_t idx, const char *intent, struct cxl_cmd_result *res);
	int (*bg_close)(void *ctx, const char *intent, enum remote_bg_close kind, int transport,
			uint64_t duration_us);
	int (*audit_read)(void *ctx, size_t skip, size_t max, json_t **entries, size_t *total);
	int (*audit_find)(void *ctx, const char *id, json_t **entry);
	/* Last known health (as audit_health()) and chain head; never waits. */
	int (*audit_status)(void *ctx, char *msg, size_t len, char head[65]);
};

/* The audit log, wherever it is (audit.h has the contracts). With neither a
 * log nor a remote, health is bad ("audit log not open") and reads fail
 * with -ENODEV. */
int agent_audit_read(struct agent *ag, size_t skip, size_t max, json_t **entries,
		     size_t *total);
int agent_audit_find(struct agent *ag, const char *id, json_t **entry);
int agent_audit_status(struct agent *ag, char *msg, size_t len, char head[65]);

#endif

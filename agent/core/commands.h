/* Vendor command submission: decide (pure policy), record the intent durably,
 * submit one mailbox command, record the result. Knows nothing of HTTP: the
 * Redfish edge turns an outcome into a status and a message.
 *
 * Order is the point: nothing reaches a device unless the intent record is
 * on disk first. If it cannot be written the command is refused. */
#ifndef CXLA_CORE_COMMANDS_H
#define CXLA_CORE_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/identity.h"
#include "cxl/device.h"
#include "policy/policy.h"

struct agent;
struct policy_command;

enum command_stage {
	COMMAND_DENIED,        /* policy said no (decision holds why) */
	COMMAND_AUDIT_FAILED,  /* intent could not be recorded: not submitted */
	COMMAND_QUEUE_FULL,    /* too many commands waiting for this device */
	COMMAND_SUBMITTED,     /* reached the device path: see result */
};

struct command_outcome {
	enum command_stage stage;
	struct policy_decision decision;
	struct cxl_cmd_result result;  /* when SUBMITTED; clear with command_outcome_clear */
	char audit_id[32];             /* intent record id ("" when none) */
	int audit_error;               /* -errno when AUDIT_FAILED */
	uint64_t audit_us;             /* time the intent took to write */
};

/* Per-device bookkeeping the submission path needs. */
struct command_queues;
int command_queues_new(size_t ndevices, unsigned max_waiting, struct command_queues **out);
void command_queues_free(struct command_queues *q);

/* Decide, audit and (when allowed) submit approval's opcode with payload to
 * device idx on behalf of who. approval may be NULL (not approved: denied and
 * audited). timeout_ms 0 uses the device default. Always fills *out; returns
 * 0, or -errno for failures outside the command itself (out of memory). */
int command_submit(struct agent *ag, const struct identity *who, size_t idx,
		   const struct policy_command *approval, const uint8_t *payload,
		   size_t payload_len, unsigned timeout_ms, struct command_outcome *out);
void command_outcome_clear(struct command_outcome *out);

/* Completion of command_submit_start(): rc and out as command_submit()
 * returns them (out borrowed for the call; NULL when rc is not 0). */
typedef void (*command_done_fn)(void *arg, int rc, const struct command_outcome *out);

/* Whether command_submit_start() can be used: the commands go to a broker
 * that answers on another thread. */
bool command_can_start(const struct agent *ag);
/* command_submit() without waiting for the device: 0, and done(arg, ...)
 * is then called exactly once, on the thread that reads the broker's
 * replies (possibly before this returns), after the metrics
 * command_submit() produces and before its events (which follow on the
 * same thread); or a negative errno (-EAGAIN: too many under
 * way, -ENOTSUP: no broker) and done is never called. approval and who are
 * borrowed for the call only; approval->opcode and id are copied. done
 * must be quick and must not wait for the broker. */
int command_submit_start(struct agent *ag, const struct identity *who, size_t idx,
			 const struct policy_command *approval, const uint8_t *payload,
			 size_t payload_len, unsigned timeout_ms, command_done_fn done, void *arg);

/* Record the final result of a background operation that intent_id started:
 * transport 0 and the device's return code, or -errno when it was lost.
 * 0, or -errno when the record could not be written (already logged). */
int command_record_completion(struct agent *ag, const char *intent_id, int transport,
			       uint16_t mbox_rc, uint64_t duration_us);

/* Record that the background operation of intent_id was still running when
 * the agent stopped following it. */
void command_record_abandoned(struct agent *ag, const char *intent_id);

#endif

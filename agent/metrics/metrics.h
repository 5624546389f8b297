/* Counters and histograms the agent keeps for its OpenMetrics endpoint.
 * Every label set is bounded: HTTP status classes, the policy's reasons, a
 * fixed number of opcode/outcome pairs (later ones are counted under
 * opcode "other"). Updates are lock-free atomics except for the first use
 * of an opcode/outcome pair. Thread-safe. */
#ifndef CXLA_METRICS_METRICS_H
#define CXLA_METRICS_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include "policy/policy.h"

enum command_result {
	CMD_RESULT_OK,              /* mailbox Success or background started */
	CMD_RESULT_DEVICE_ERROR,    /* the device answered another return code */
	CMD_RESULT_TRANSPORT_ERROR, /* the path to the device failed */
	CMD_RESULT_DENIED,          /* the policy said no */
	CMD_RESULT_BUSY,            /* queue full or device busy */
	CMD_RESULT_AUDIT_FAILED,    /* intent could not be recorded */
	CMD_RESULT_COUNT
};

struct metrics;

int metrics_new(struct metrics **out);
void metrics_free(struct metrics *m);

/* All accept m == NULL (then do nothing). */
void metrics_http(struct metrics *m, int status);
void metrics_auth_failure(struct metrics *m);
void metrics_decision(struct metrics *m, enum policy_reason reason);
/* duration_us is observed only for commands that reached the device. */
void metrics_command(struct metrics *m, uint16_t opcode, enum command_result result,
		     uint64_t duration_us, int reached_device);
void metrics_audit_write(struct metrics *m, uint64_t duration_us);

/* Write the agent's own families (no "# EOF") to f. Returns 0 or -EIO. */
int metrics_write(struct metrics *m, FILE *f);

/* OpenMetrics helpers for other writers: "# TYPE/# HELP" of a family. */
void metrics_family(FILE *f, const char *name, const char *type, const char *help);

#endif

/* Background operations started by vendor commands, followed as Redfish
 * Tasks. A bounded table: finished tasks are forgotten oldest first. */
#ifndef CXLA_CORE_TASKS_H
#define CXLA_CORE_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "auth/identity.h"

struct agent;
struct tasks;

enum task_state { TASK_RUNNING, TASK_COMPLETED, TASK_EXCEPTION };

struct task_info {
	unsigned id;
	enum task_state state;
	unsigned percent;
	size_t device;            /* device index */
	char device_id[64];
	uint16_t opcode;
	char command_id[72];
	char audit_id[32];
	char owner[IDENTITY_NAME_MAX];
	struct timespec started;
	struct timespec ended;    /* when not running */
	uint16_t final_rc;        /* mailbox return code of the finished operation */
	char message[160];
};

int tasks_new(size_t max, struct tasks **out);
void tasks_free(struct tasks *t);
/* Register a running operation; returns its id (> 0) or -ENOSPC when every
 * slot holds a running task. */
int tasks_start(struct tasks *t, const struct task_info *info);
/* Copy of task id, refreshed from the device first while it runs
 * (Background Operation Status). 0 or -ENOENT. */
int tasks_get(struct agent *ag, unsigned id, struct task_info *out);
/* Ids of known tasks in ascending order; returns the count (<= max). */
size_t tasks_list(struct tasks *t, unsigned *ids, size_t max);

#endif

/* Background operations started by vendor commands, followed as Redfish
 * Tasks. Each running operation has a watcher thread that polls the device's
 * Background Operation Status and records the completion in the audit log,
 * whether or not anybody reads the Task; reading a Task never touches the
 * device. A bounded table: finished tasks are forgotten oldest first. */
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
	int transport;            /* 0, or -errno when the device was lost */
	uint16_t final_rc;        /* mailbox return code, meaningful when transport is 0 */
	char message[160];
};

/* max: tasks kept; poll_ms: interval of the watchers; limit_ms: how long a
 * watcher follows an operation before declaring it lost. */
int tasks_new(struct agent *ag, size_t max, unsigned poll_ms, unsigned limit_ms,
	      struct tasks **out);
/* Stops the watchers (each ends within one poll) and frees. */
void tasks_free(struct tasks *t);
/* Register a running operation and start its watcher; returns its id (> 0),
 * -ENOSPC when every slot holds a running task, or -errno. */
int tasks_start(struct tasks *t, const struct task_info *info);
/* Copy of task id. 0 or -ENOENT. */
int tasks_get(struct tasks *t, unsigned id, struct task_info *out);
/* Ids of known tasks in ascending order; returns the count (<= max). */
size_t tasks_list(struct tasks *t, unsigned *ids, size_t max);

#endif

/* Background operations started by vendor commands, followed as Redfish
 * Tasks. Each running operation has a watcher thread that polls the device's
 * Background Operation Status and records the completion in the audit log,
 * whether or not anybody reads the Task; reading a Task never touches the
 * device. A bounded table: finished tasks are forgotten oldest first.
 * Ids never repeat across restarts: they are handed out from blocks whose
 * upper bound is written durably before the first id of the block is used,
 * and a restart continues after the last bound written. */
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
	struct timespec started;  /* wall clock, shown; set by tasks_start() */
	struct timespec ended;    /* wall clock, when not running */
	struct timespec started_mono, ended_mono; /* the agent clock's monotonic
				   * time of the same: durations and retention */
	int transport;            /* 0, or -errno when the device was lost */
	uint16_t final_rc;        /* mailbox return code, meaningful when transport is 0 */
	bool record_failed;       /* the completion could not be written to the audit log */
	char message[160];
};

struct tasks_params {
	size_t max;               /* tasks kept */
	unsigned poll_ms;         /* interval of the watchers */
	unsigned limit_ms;        /* how long a watcher follows an operation before
				   * declaring it lost */
	unsigned monitor_keep_s;  /* how long a task monitor serves the final
				   * response after completion */
	const char *id_path;      /* borrowed; where the id bound persists, NULL: ids
				   * start at 1 on every start (tests) */
};

/* -EBADMSG when the id file exists but does not hold an id bound: ids could
 * no longer be promised unique, so the caller must not start. The file is
 * never read through a symbolic link (-ELOOP) and anything but a regular
 * file is refused at once (-EINVAL, -EISDIR). */
int tasks_new(struct agent *ag, const struct tasks_params *p, struct tasks **out);
/* Stops the watchers (each ends within one poll), records every task still
 * running as abandoned at shutdown (it ends as an Exception) and frees. */
void tasks_free(struct tasks *t);

/* Whoever follows task state (an event service): called once when a task
 * starts (TASK_RUNNING) and once when it ends (TASK_COMPLETED or
 * TASK_EXCEPTION, abandonment at shutdown included), after the change is
 * visible through tasks_get() and its audit record is written. Called
 * outside the table's lock, from the thread that made the change (a request
 * thread, a watcher, or the one in tasks_free(); never after tasks_free()
 * returns); it must not call tasks_free(). ti is borrowed for the call. */
typedef void (*tasks_observer_fn)(void *arg, const struct task_info *ti);
/* Install fn (NULL: none); arg is borrowed and must outlive the table. */
void tasks_observe(struct tasks *t, tasks_observer_fn fn, void *arg);
/* Register a running operation and start its watcher, stamping its start on
 * the agent's clock; returns its id (> 0),
 * -ENOSPC when every slot holds a running task, or -errno. One task per
 * device (index and id): a CXL mailbox runs one background operation at a
 * time, so a start on a device whose task still runs means that operation
 * is over (or the device breaks the rule); the older task ends as an
 * Exception (transport -ECANCELED, its audit intent closed so) by its own
 * watcher, and the new one is followed. Behind a broker, a task whose
 * operation the broker no longer holds open (it closed it when another start
 * replaced it) ends the same way at its next poll, recording nothing. */
int tasks_start(struct tasks *t, const struct task_info *info);
/* Copy of task id. 0 or -ENOENT. */
int tasks_get(struct tasks *t, unsigned id, struct task_info *out);
/* Ids of known tasks in ascending order; returns the count (<= max). */
size_t tasks_list(struct tasks *t, unsigned *ids, size_t max);
/* Whether ti's task monitor still answers: while the task runs, and for
 * monitor_keep_s after it ended, counted on the agent's monotonic clock so
 * that a wall clock set back or forward neither keeps nor drops it. */
bool tasks_monitor_kept(const struct tasks *t, const struct task_info *ti);
/* Microseconds from ti's start to its end (ended tasks), on the same clock. */
uint64_t tasks_duration_us(const struct task_info *ti);

#endif

#include "core/tasks.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/agent.h"
#include "core/commands.h"
#include "cxl/cel.h"
#include "cxl/device.h"

/* Polling Background Operation Status is a mailbox command: keep it short so
 * a GET of a task never waits long behind another command to the device. */
#define POLL_TIMEOUT_MS 250

struct tasks {
	pthread_mutex_t lock;
	size_t max;
	unsigned next_id;
	struct task_info *slot; /* id 0 = free */
};

int tasks_new(size_t max, struct tasks **out)
{
	struct tasks *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->slot = calloc(max, sizeof(*t->slot));
	if (!t->slot) {
		free(t);
		return -ENOMEM;
	}
	t->max = max;
	t->next_id = 1;
	pthread_mutex_init(&t->lock, NULL);
	*out = t;
	return 0;
}

void tasks_free(struct tasks *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t->slot);
	free(t);
}

static int ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

int tasks_start(struct tasks *t, const struct task_info *info)
{
	struct task_info *victim = NULL;
	int id;

	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->max; i++) {
		struct task_info *s = &t->slot[i];
		if (s->id == 0) {
			victim = s;
			break;
		}
		if (s->state != TASK_RUNNING && (!victim || ts_before(&s->ended, &victim->ended)))
			victim = s;
	}
	if (!victim) {
		pthread_mutex_unlock(&t->lock);
		return -ENOSPC;
	}
	*victim = *info;
	victim->id = t->next_id++;
	victim->state = TASK_RUNNING;
	id = (int)victim->id;
	pthread_mutex_unlock(&t->lock);
	return id;
}

static struct task_info *find_locked(struct tasks *t, unsigned id)
{
	for (size_t i = 0; i < t->max; i++)
		if (t->slot[i].id == id && id)
			return &t->slot[i];
	return NULL;
}

/* Ask the device how its background operation is doing (opcode 0002h:
 * byte 0 bit0 running, bits 7:1 percent; le16 opcode at 2; le16 return code
 * at 4). */
static int poll_device(struct agent *ag, struct task_info *ti)
{
	struct cxl_cmd cmd = { CXL_OP_BG_OP_STATUS, NULL, 0, POLL_TIMEOUT_MS };
	struct cxl_cmd_result res = { 0 };
	int rc = cxl_devset_submit(ag->devices, ti->device, &cmd, &res);

	if (rc == 0 && res.transport == 0 && res.mbox_rc == CXL_MBOX_SUCCESS && res.out_len >= 6) {
		int running = res.out[0] & 1;
		uint16_t op = (uint16_t)(res.out[2] | res.out[3] << 8);
		uint16_t frc = (uint16_t)(res.out[4] | res.out[5] << 8);
		ti->percent = res.out[0] >> 1;
		if (ti->percent > 100)
			ti->percent = 100;
		if (!running && op == ti->opcode) {
			clock_gettime(CLOCK_REALTIME, &ti->ended);
			ti->final_rc = frc;
			ti->percent = 100;
			ti->state = frc == CXL_MBOX_SUCCESS ? TASK_COMPLETED : TASK_EXCEPTION;
			snprintf(ti->message, sizeof(ti->message),
				 "Background operation 0x%04X finished with mailbox return code 0x%02X (%s)",
				 ti->opcode, frc, cxl_mbox_rc_name(frc) ? cxl_mbox_rc_name(frc) : "unknown");
			rc = 1;
		}
	} else if (rc == 0 && res.transport == -ENODEV) {
		clock_gettime(CLOCK_REALTIME, &ti->ended);
		ti->state = TASK_EXCEPTION;
		snprintf(ti->message, sizeof(ti->message), "The device is gone");
		rc = 1;
	}
	cxl_cmd_result_clear(&res);
	return rc;
}

int tasks_get(struct agent *ag, unsigned id, struct task_info *out)
{
	struct tasks *t = ag->tasks;
	struct task_info *ti, copy;
	int finished = 0;

	pthread_mutex_lock(&t->lock);
	ti = find_locked(t, id);
	if (!ti) {
		pthread_mutex_unlock(&t->lock);
		return -ENOENT;
	}
	copy = *ti;
	pthread_mutex_unlock(&t->lock);

	if (copy.state == TASK_RUNNING && poll_device(ag, &copy) == 1)
		finished = 1;

	pthread_mutex_lock(&t->lock);
	ti = find_locked(t, id);
	if (ti && ti->state == TASK_RUNNING) {
		ti->percent = copy.percent;
		if (finished) {
			*ti = copy;
		} else {
			finished = 0;
		}
	} else {
		finished = 0; /* another reader recorded the completion */
		if (ti)
			copy = *ti;
	}
	pthread_mutex_unlock(&t->lock);
	if (finished) {
		uint64_t us = (uint64_t)(copy.ended.tv_sec - copy.started.tv_sec) * 1000000u +
			      (uint64_t)((copy.ended.tv_nsec - copy.started.tv_nsec) / 1000);
		command_record_completion(ag, copy.audit_id, copy.final_rc, us);
	}
	*out = copy;
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return x < y ? -1 : x > y;
}

size_t tasks_list(struct tasks *t, unsigned *ids, size_t max)
{
	size_t n = 0;
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->max && n < max; i++)
		if (t->slot[i].id)
			ids[n++] = t->slot[i].id;
	pthread_mutex_unlock(&t->lock);
	qsort(ids, n, sizeof(*ids), cmp_id);
	return n;
}

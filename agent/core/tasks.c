#include "core/tasks.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/agent.h"
#include "core/commands.h"
#include "core/remote.h"
#include "cxl/cel.h"
#include "cxl/device.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/log.h"

/* A poll is a mailbox command: short, so it never holds the device long. */
#define POLL_TIMEOUT_MS 250
/* Ids reserved per durable write: one fsync per this many tasks, and at most
 * this many ids skipped by a restart. */
#define ID_BLOCK 64u

struct tasks {
	struct agent *agent;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	size_t max;
	unsigned poll_ms;
	unsigned limit_ms;
	unsigned monitor_keep_s;
	char *id_path;      /* NULL: ids are not persisted */
	unsigned next_id;
	unsigned id_bound;  /* ids below it are reserved durably */
	unsigned watchers;  /* running watcher threads */
	bool stopping;
	struct task_info *slot; /* id 0 = free */
	bool *superseded;   /* per slot: another start on its device ended it */
	tasks_observer_fn observer;
	void *observer_arg;
};

struct watch {
	struct tasks *t;
	unsigned id;
};

/* The bound written last, or 1 when none was ever written. -EBADMSG when
 * the file holds no bound; a link is never followed (-ELOOP), anything but
 * a regular file never waited on (-EINVAL, -EISDIR). */
static int read_id_bound(const char *path, unsigned *out)
{
	char *text = NULL, *end;
	size_t len;
	unsigned long v;
	int rc;

	file_remove_stale_temporaries(path);
	if ((rc = file_read_all_flags(path, O_NOFOLLOW, 32, &text, &len)) == -ENOENT) {
		*out = 1;
		return 0;
	}
	if (rc)
		return rc;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (end == text || text[0] < '0' || text[0] > '9' || (*end && strcmp(end, "\n")) ||
	    errno || v < 1 || v > 0xffffffffUL - ID_BLOCK)
		rc = -EBADMSG;
	else
		*out = (unsigned)v;
	free(text);
	return rc;
}

static int write_id_bound(const char *path, unsigned bound)
{
	char text[16];
	int n = snprintf(text, sizeof(text), "%u\n", bound);
	return file_write_atomic(path, text, (size_t)n, 0600);
}

int tasks_new(struct agent *ag, const struct tasks_params *p, struct tasks **out)
{
	struct tasks *t = calloc(1, sizeof(*t));
	int rc = 0;

	if (!t)
		return -ENOMEM;
	t->slot = calloc(p->max, sizeof(*t->slot));
	t->superseded = calloc(p->max ? p->max : 1, sizeof(*t->superseded));
	t->id_path = p->id_path ? strdup(p->id_path) : NULL;
	t->next_id = 1;
	if (!t->slot || !t->superseded || (p->id_path && !t->id_path))
		rc = -ENOMEM;
	else if (t->id_path)
		rc = read_id_bound(t->id_path, &t->next_id);
	if (rc) {
		free(t->id_path);
		free(t->superseded);
		free(t->slot);
		free(t);
		return rc;
	}
	t->id_bound = t->next_id;
	t->agent = ag;
	t->max = p->max;
	t->poll_ms = p->poll_ms;
	t->limit_ms = p->limit_ms;
	t->monitor_keep_s = p->monitor_keep_s;
	/* Watchers wait on it with a deadline on the monotonic clock: a wall
	 * clock set back would hold their next poll for as long as the step. */
	if ((rc = clock_cond_init(&t->changed))) {
		free(t->id_path);
		free(t->superseded);
		free(t->slot);
		free(t);
		return -rc;
	}
	pthread_mutex_init(&t->lock, NULL);
	*out = t;
	return 0;
}

void tasks_observe(struct tasks *t, tasks_observer_fn fn, void *arg)
{
	pthread_mutex_lock(&t->lock);
	t->observer = fn;
	t->observer_arg = arg;
	pthread_mutex_unlock(&t->lock);
}

/* Every change of a task's state is announced here, and only here: called
 * unlocked with a copy of the task as it now stands in the table. */
static void announce(struct tasks *t, const struct task_info *ti)
{
	tasks_observer_fn fn;
	void *arg;

	pthread_mutex_lock(&t->lock);
	fn = t->observer;
	arg = t->observer_arg;
	pthread_mutex_unlock(&t->lock);
	if (fn)
		fn(arg, ti);
}

static void finish(const struct tasks *t, struct task_info *ti, enum task_state state,
		   int transport, uint16_t rc, const char *what)
{
	clock_realtime(t->agent->clock, &ti->ended);
	clock_monotonic(t->agent->clock, &ti->ended_mono);
	ti->state = state;
	ti->transport = transport;
	ti->final_rc = rc;
	ti->percent = state == TASK_COMPLETED ? 100 : ti->percent;
	snprintf(ti->message, sizeof(ti->message), "Background operation 0x%04X: %s", ti->opcode,
		 what);
}

void tasks_free(struct tasks *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->stopping = true;
	pthread_cond_broadcast(&t->changed);
	while (t->watchers > 0)
		pthread_cond_wait(&t->changed, &t->lock);
	pthread_mutex_unlock(&t->lock);
	/* Nobody will see these finish: say so in the audit log. Start-up asks
	 * the device for their completion. */
	for (size_t i = 0; i < t->max; i++) {
		struct task_info copy;
		bool abandoned = false;

		pthread_mutex_lock(&t->lock);
		if (t->slot[i].id && t->slot[i].state == TASK_RUNNING) {
			finish(t, &t->slot[i], TASK_EXCEPTION, -ECANCELED, 0, "abandoned at shutdown");
			copy = t->slot[i];
			abandoned = true;
		}
		pthread_mutex_unlock(&t->lock);
		if (abandoned) {
			command_record_abandoned(t->agent, copy.audit_id);
			announce(t, &copy);
		}
	}
	pthread_cond_destroy(&t->changed);
	pthread_mutex_destroy(&t->lock);
	free(t->id_path);
	free(t->superseded);
	free(t->slot);
	free(t);
}

bool tasks_monitor_kept(const struct tasks *t, const struct task_info *ti)
{
	struct timespec now;

	if (ti->state == TASK_RUNNING)
		return true;
	clock_monotonic(t->agent->clock, &now);
	return clock_ms_between(&ti->ended_mono, &now) < (int64_t)t->monitor_keep_s * 1000;
}

uint64_t tasks_duration_us(const struct task_info *ti)
{
	int64_t us = (int64_t)(ti->ended_mono.tv_sec - ti->started_mono.tv_sec) * 1000000 +
		     (ti->ended_mono.tv_nsec - ti->started_mono.tv_nsec) / 1000;
	return us > 0 ? (uint64_t)us : 0;
}

/* The next id, reserving a new block durably first when the last one is
 * used up. 0 on failure (*err set): an id that a restart could hand out
 * again is never given. Called locked. */
static unsigned take_id_locked(struct tasks *t, int *err)
{
	if (t->next_id >= t->id_bound && t->id_path) {
		if (t->next_id > 0xffffffffu - ID_BLOCK) {
			*err = -EOVERFLOW;
			return 0;
		}
		if ((*err = write_id_bound(t->id_path, t->next_id + ID_BLOCK))) {
			log_error("tasks: id bound not written to %s: %s", t->id_path,
				  strerror(-*err));
			return 0;
		}
		t->id_bound = t->next_id + ID_BLOCK;
	}
	return t->next_id++;
}

static struct task_info *find_locked(struct tasks *t, unsigned id)
{
	for (size_t i = 0; i < t->max; i++)
		if (t->slot[i].id == id && id)
			return &t->slot[i];
	return NULL;
}

#define SUPERSEDED "superseded, the device started another before its end was seen"

/* How a watcher's look ended: still running, over, or over and already
 * closed in the audit log by the broker. */
enum poll_outcome { POLL_RUNNING, POLL_OVER, POLL_CLOSED };

/* One look at the device (opcode 0002h: byte 0 bit0 running, bits 7:1
 * percent; le16 opcode at 2; le16 return code at 4). Updates ti. */
static enum poll_outcome poll_device(const struct tasks *t, struct task_info *ti)
{
	struct agent *ag = t->agent;
	struct cxl_cmd cmd = { CXL_OP_BG_OP_STATUS, NULL, 0, POLL_TIMEOUT_MS };
	struct cxl_cmd_result res = { 0 };
	enum poll_outcome done = POLL_RUNNING;
	int rc = ag->remote ? ag->remote->bg_poll(ag->remote_ctx, ti->device, ti->audit_id, &res)
			    : cxl_devset_submit(ag->devices, ti->device, &cmd, &res);

	if (rc == 0 && res.transport == 0 && res.mbox_rc == CXL_MBOX_SUCCESS && res.out_len >= 6) {
		uint16_t op = (uint16_t)(res.out[2] | res.out[3] << 8);
		uint16_t frc = (uint16_t)(res.out[4] | res.out[5] << 8);
		unsigned pct = res.out[0] >> 1;
		ti->percent = pct > 100 ? 100 : pct;
		if (!(res.out[0] & 1) && op == ti->opcode) {
			const char *name = cxl_mbox_rc_name(frc);
			finish(t, ti, frc == CXL_MBOX_SUCCESS ? TASK_COMPLETED : TASK_EXCEPTION, 0, frc,
			       name ? name : "finished with an unknown return code");
			done = POLL_OVER;
		}
	} else if (rc == 0 && (res.transport == -ENODEV || res.transport == -ENXIO)) {
		finish(t, ti, TASK_EXCEPTION, res.transport, 0, "lost, the device is gone");
		done = POLL_OVER;
	} else if (rc == -ENOENT && ag->remote) {
		/* The broker keeps one open operation per device and has closed
		 * this one (ECANCELED in the audit log) when a start it answered
		 * replaced it, a start this table may not follow (no free slot,
		 * or a caller gone before its Task was made). Polling on would
		 * only find nothing until the limit. */
		finish(t, ti, TASK_EXCEPTION, -ECANCELED, 0, SUPERSEDED);
		done = POLL_CLOSED;
	}
	cxl_cmd_result_clear(&res);
	return done;
}

static uint64_t ms_since(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)clock_ms_between(since, &now);
}

static void *watcher(void *arg)
{
	struct watch *w = arg;
	struct tasks *t = w->t;
	struct task_info copy, *ti;
	struct timespec deadline, since;
	bool over;
	enum poll_outcome done = POLL_RUNNING;

	/* The limit is on time, not on polls: a poll can take its own timeout
	 * (a device that does not answer, or is busy with another command), and
	 * the wait ends early when another task ends. */
	clock_gettime(CLOCK_MONOTONIC, &since);
	pthread_mutex_lock(&t->lock);
	while (!done && !t->stopping) {
		clock_deadline_ms(&deadline, t->poll_ms);
		pthread_cond_timedwait(&t->changed, &t->lock, &deadline);
		if (t->stopping || !(ti = find_locked(t, w->id)))
			break;
		copy = *ti;
		over = t->superseded[ti - t->slot];
		pthread_mutex_unlock(&t->lock);

		if (over) {
			finish(t, &copy, TASK_EXCEPTION, -ECANCELED, 0, SUPERSEDED);
			done = POLL_OVER;
		} else {
			done = poll_device(t, &copy);
		}
		if (!done && ms_since(&since) >= t->limit_ms) {
			finish(t, &copy, TASK_EXCEPTION, -ETIMEDOUT, 0, "no completion within the limit");
			done = POLL_OVER;
		}
		if (done == POLL_OVER)
			copy.record_failed =
				command_record_completion(t->agent, copy.audit_id, copy.transport,
							  copy.final_rc, tasks_duration_us(&copy)) != 0;

		pthread_mutex_lock(&t->lock);
		if ((ti = find_locked(t, w->id))) {
			ti->percent = copy.percent;
			if (done)
				*ti = copy;
		}
		if (done && ti) {
			pthread_mutex_unlock(&t->lock);
			announce(t, &copy);
			pthread_mutex_lock(&t->lock);
		}
	}
	t->watchers--;
	pthread_cond_broadcast(&t->changed);
	pthread_mutex_unlock(&t->lock);
	free(w);
	return NULL;
}

static int ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* A free slot, or the one of the task that ended first; NULL when every
 * slot holds a running task. Called locked. */
static struct task_info *free_slot_locked(struct tasks *t)
{
	struct task_info *victim = NULL;

	for (size_t i = 0; i < t->max; i++) {
		struct task_info *s = &t->slot[i];
		if (s->id == 0)
			return s;
		if (s->state != TASK_RUNNING &&
		    (!victim || ts_before(&s->ended_mono, &victim->ended_mono)))
			victim = s;
	}
	return victim;
}

/* The task followed on the device info names, if any. Called locked. */
static struct task_info *running_on_locked(struct tasks *t, const struct task_info *info)
{
	for (size_t i = 0; i < t->max; i++) {
		struct task_info *s = &t->slot[i];
		if (s->id && s->state == TASK_RUNNING && !t->superseded[i] &&
		    s->device == info->device && strcmp(s->device_id, info->device_id) == 0)
			return s;
	}
	return NULL;
}

int tasks_start(struct tasks *t, const struct task_info *info)
{
	struct task_info *slot, *busy, copy;
	struct watch *w = malloc(sizeof(*w));
	pthread_attr_t attr;
	pthread_t tid;
	unsigned new_id;
	int rc = -ENOSPC;

	if (!w)
		return -ENOMEM;
	pthread_mutex_lock(&t->lock);
	/* A mailbox runs one background operation at a time: a device that
	 * says it started one has ended the one before (or breaks the rule).
	 * Either way the Background Operation Status now speaks of the new
	 * one, so the old task cannot learn its result: its watcher ends it
	 * (and writes its audit result, off this thread, which may be the
	 * one a broker's answers arrive on). One task per device, so a device
	 * that says "started" to everything never holds more than its own. */
	if ((busy = running_on_locked(t, info))) {
		log_warn("tasks: device %s started background operation 0x%04X while task %u was "
			 "followed there; task %u ends unfinished",
			 info->device_id, info->opcode, busy->id, busy->id);
		t->superseded[busy - t->slot] = true;
		pthread_cond_broadcast(&t->changed);
	}
	slot = free_slot_locked(t);
	if (!slot || t->stopping || !(new_id = take_id_locked(t, &rc))) {
		pthread_mutex_unlock(&t->lock);
		free(w);
		return rc;
	}
	*slot = *info;
	clock_realtime(t->agent->clock, &slot->started);
	clock_monotonic(t->agent->clock, &slot->started_mono);
	t->superseded[slot - t->slot] = false;
	slot->id = new_id;
	slot->state = TASK_RUNNING;
	copy = *slot;
	/* Counted before its thread exists, so tasks_free() waits for it and
	 * the start is announced before the watcher can announce the end. */
	t->watchers++;
	pthread_mutex_unlock(&t->lock);
	announce(t, &copy);

	w->t = t;
	w->id = new_id;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&tid, &attr, watcher, w);
	pthread_attr_destroy(&attr);
	if (rc) {
		free(w);
		pthread_mutex_lock(&t->lock);
		if ((slot = find_locked(t, new_id))) {
			finish(t, slot, TASK_EXCEPTION, -rc, 0, "cannot be followed");
			copy = *slot;
		}
		t->watchers--;
		pthread_cond_broadcast(&t->changed);
		pthread_mutex_unlock(&t->lock);
		announce(t, &copy);
	}
	return (int)new_id;
}

int tasks_get(struct tasks *t, unsigned id, struct task_info *out)
{
	struct task_info *ti;
	int rc = -ENOENT;

	pthread_mutex_lock(&t->lock);
	if ((ti = find_locked(t, id))) {
		*out = *ti;
		rc = 0;
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
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

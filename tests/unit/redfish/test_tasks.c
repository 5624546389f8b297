/* tasks.c: the TaskService and the Task a background vendor command
 * starts, followed until the device says the operation is done. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "fixture.h"
#include "core/tasks.h"
#include "cxl/backend.h"
#include "cxl/cel.h"
#include "cxl/emulated/emulated.h"
#include "redfish/resource.h"
#include "support/clock_step.h"
#include "support/fake_clock.h"
#include "util/fileio.h"

#define TASKS "/redfish/v1/TaskService/Tasks"
#define BACKGROUND RFX_DEVICES RFX_DEV0 RFX_COMMANDS "emu-background-op/Actions/CxlAgent.Submit"

struct tt {
	struct rfx *f;
	char writer[256];
	char reader[256];
};

static int setup(void **state)
{
	struct tt *t = calloc(1, sizeof(*t));
	struct role_info ri;

	if (!t || !(t->f = rfx_open()))
		return -1;
	if (accounts_role_create(t->f->ag.accounts, "Writer",
				 PRIV_LOGIN | PRIV_CONFIGURE_SELF | PRIV_CXL_COMMAND_READ |
					 PRIV_CXL_COMMAND_WRITE_FULL,
				 &ri) ||
	    rfx_user(t->f, "writer", "Writer", t->writer, sizeof(t->writer)) ||
	    rfx_user(t->f, "reader", "ReadOnly", t->reader, sizeof(t->reader)))
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tt *t = *state;
	rfx_close(t->f);
	free(t);
	return 0;
}

static void test_service_and_empty_collection(void **state)
{
	struct tt *t = *state;
	struct rfx_reply r = rfx_get(t->f, "/redfish/v1/TaskService", t->reader);

	assert_int_equal(r.status, 200);
	assert_string_equal(rfx_str(r.body, "@odata.type"), "#TaskService.v1_3_0.TaskService");
	assert_string_equal(rfx_str(r.body, "Tasks/@odata.id"), TASKS);
	assert_true(json_is_true(rfx_at(r.body, "ServiceEnabled")));
	rfx_free(&r);
	r = rfx_get(t->f, TASKS, t->reader);
	assert_int_equal(r.status, 200);
	assert_int_equal(rfx_int(r.body, "Members@odata.count"), 0);
	rfx_free(&r);
}

static void test_not_found(void **state)
{
	struct tt *t = *state;
	static const char *const ids[] = { "1", "abc", "1x", "", "4294967296" };

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char path[128];
		snprintf(path, sizeof(path), TASKS "/%s", ids[i]);
		struct rfx_reply r = rfx_get(t->f, path, t->reader);
		/* "Tasks/" is the collection itself */
		if (ids[i][0] && r.status != 404)
			fail_msg("%s: %d", path, r.status);
		rfx_free(&r);
	}
}

#define MONITORS "/redfish/v1/TaskService/TaskMonitors/"

static struct rfx_reply start_background(struct tt *t)
{
	return rfx_send(t->f, HTTP_POST, BACKGROUND, t->writer, "{\"Payload\": \"ZAAAAA==\"}",
			NULL);
}

/* A background operation: 202 with Location at the task monitor and the
 * Task in the body; the monitor answers 202 with Retry-After while the
 * operation runs, then the operation's final response; the Task stays 200
 * throughout; any authenticated caller may follow both. */
static void test_task_follows_the_operation(void **state)
{
	struct tt *t = *state;
	const struct timespec tick = { 0, 20 * 1000 * 1000 };
	struct rfx_reply r = start_background(t);
	char task[sizeof(r.location)], mon[sizeof(r.location)];
	struct tm tm;
	int running = 0;

	assert_int_equal(r.status, 202);
	snprintf(mon, sizeof(mon), "%s", r.location);
	snprintf(task, sizeof(task), "%s", rfx_str(r.body, "@odata.id"));
	assert_memory_equal(mon, MONITORS, strlen(MONITORS));
	assert_memory_equal(task, TASKS "/", strlen(TASKS "/"));
	assert_string_equal(rfx_str(r.body, "TaskMonitor"), mon);
	assert_string_equal(rfx_str(r.body, "TaskState"), "Running");
	assert_string_equal(rfx_str(r.body, "Messages/0/MessageId"), "TaskEvent.1.0.5.TaskStarted");
	assert_string_equal(rfx_str(r.body, "Messages/0/MessageArgs/0"), rfx_str(r.body, "Id"));
	assert_null(rfx_at(r.body, "EndTime"));
	/* an HTTP-date */
	memset(&tm, 0, sizeof(tm));
	assert_non_null(strptime(r.retry_after, "%a, %d %b %Y %H:%M:%S GMT", &tm));
	rfx_free(&r);

	r = rfx_get(t->f, TASKS, t->reader);
	assert_int_equal(rfx_int(r.body, "Members@odata.count"), 1);
	assert_string_equal(rfx_str(r.body, "Members/0/@odata.id"), task);
	rfx_free(&r);

	for (int i = 0; i < 500; i++) {
		r = rfx_get(t->f, mon, t->reader);
		if (r.status != 202)
			break;
		running++;
		assert_string_equal(rfx_str(r.body, "TaskState"), "Running");
		assert_string_equal(r.location, mon);
		assert_true(r.retry_after[0]);
		rfx_free(&r);
		r = rfx_get(t->f, task, t->reader);
		assert_int_equal(r.status, 200);
		rfx_free(&r);
		nanosleep(&tick, NULL);
	}
	assert_true(running > 0);
	/* the final response: the command's result as if it had been synchronous */
	assert_int_equal(r.status, 200);
	assert_string_equal(rfx_str(r.body, "@odata.type"), "#CxlAgent.v1_0_0.SubmitResult");
	assert_int_equal(rfx_int(r.body, "MailboxReturnCode"), 0);
	assert_string_equal(r.retry_after, "");
	rfx_free(&r);
	/* served again while kept (a client may retry a lost answer) */
	r = rfx_get(t->f, mon, t->reader);
	assert_int_equal(r.status, 200);
	rfx_free(&r);

	r = rfx_get(t->f, task, t->reader);
	assert_int_equal(r.status, 200);
	assert_string_equal(rfx_str(r.body, "TaskState"), "Completed");
	assert_string_equal(rfx_str(r.body, "TaskStatus"), "OK");
	assert_string_equal(rfx_str(r.body, "Messages/0/MessageId"), "TaskEvent.1.0.5.TaskCompletedOK");
	assert_string_equal(rfx_str(r.body, "Messages/0/MessageSeverity"), "OK");
	assert_non_null(rfx_str(r.body, "EndTime"));
	assert_int_equal(rfx_int(r.body, "PercentComplete"), 100);
	assert_int_equal(rfx_int(r.body, "Oem/CxlAgent/MailboxReturnCode"), 0);
	assert_string_equal(rfx_str(r.body, "Oem/CxlAgent/Command"), "emu-background-op");
	rfx_free(&r);

	/* the fixture keeps a final answer 1 s: then the monitor is gone, the
	 * Task stays */
	sleep(2);
	r = rfx_get(t->f, mon, t->reader);
	assert_int_equal(r.status, 404);
	assert_string_equal(rfx_str(r.body, "error/@Message.ExtendedInfo/0/MessageId"),
			    "Base.1.22.1.ResourceNotFound");
	rfx_free(&r);
	r = rfx_get(t->f, task, t->reader);
	assert_int_equal(r.status, 200);
	rfx_free(&r);
}

static void test_monitor_not_found(void **state)
{
	struct tt *t = *state;
	static const char *const ids[] = { "999", "abc", "1x", "+1", "-1", " 1", "0",
					   "4294967296" };

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char path[128];
		snprintf(path, sizeof(path), MONITORS "%s", ids[i]);
		struct rfx_reply r = rfx_get(t->f, path, t->reader);
		if (r.status != 404 && r.status != 400)
			fail_msg("%s: %d", path, r.status);
		rfx_free(&r);
	}
	/* no anonymous access */
	struct rfx_reply r = rfx_get(t->f, MONITORS "1", NULL);
	assert_int_equal(r.status, 401);
	rfx_free(&r);
}

static void test_event_keys(void **state)
{
	struct task_info ti = { 0 };

	(void)state;
	ti.state = TASK_RUNNING;
	assert_string_equal(task_event_key(&ti), "TaskStarted");
	ti.state = TASK_COMPLETED;
	assert_string_equal(task_event_key(&ti), "TaskCompletedOK");
	ti.record_failed = true;
	assert_string_equal(task_event_key(&ti), "TaskCompletedWarning");
	ti.state = TASK_EXCEPTION;
	assert_string_equal(task_event_key(&ti), "TaskAborted");
}

/* Ids continue after a restart (a new table on the same id file), and an
 * id file that holds no bound stops the start. */
static void test_ids_never_repeat(void **state)
{
	struct tt *t = *state;
	char path[600];
	struct tasks_params tp = { 4, 20, 30000, 1, path };
	struct task_info ti = { 0 };
	struct tasks *a;
	int first, second;

	snprintf(path, sizeof(path), "%s/ids-test", t->f->dir);
	ti.device = 9999; /* no such device: the watcher ends it, which is fine */
	assert_int_equal(tasks_new(&t->f->ag, &tp, &a), 0);
	first = tasks_start(a, &ti);
	assert_int_equal(first, 1);
	tasks_free(a);
	assert_int_equal(tasks_new(&t->f->ag, &tp, &a), 0);
	second = tasks_start(a, &ti);
	assert_true(second > first);
	tasks_free(a);

	static const char *const bad[] = { "", "x", "12x", "-5", "0\n", "99999999999999\n", " 7" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(file_write_atomic(path, bad[i], strlen(bad[i]), 0600), 0);
		if (tasks_new(&t->f->ag, &tp, &a) != -EBADMSG)
			fail_msg("id file \"%s\" accepted", bad[i]);
	}
}

/* Every Task message is DMTF's TaskEvent registry message for its state:
 * id, text with the task id substituted, severity and resolution. */
static void test_messages_match_the_registry(void **state)
{
	static const struct {
		enum task_state state;
		bool record_failed;
		const char *key;
	} cases[] = {
		{ TASK_RUNNING, false, "TaskStarted" },
		{ TASK_COMPLETED, false, "TaskCompletedOK" },
		{ TASK_COMPLETED, true, "TaskCompletedWarning" },
		{ TASK_EXCEPTION, false, "TaskAborted" },
	};
	const char *dir = getenv("CXLA_SHARED_DIR");
	char path[1024], want[160], mid[64];
	json_error_t jerr;
	json_t *reg;

	(void)state;
	if (!dir)
		fail_msg("CXLA_SHARED_DIR is not set (tests/CMakeLists.txt sets it)");
	snprintf(path, sizeof(path), "%s/redfish/registries/TaskEvent.1.0.5.json", dir);
	if (!(reg = json_load_file(path, 0, &jerr)))
		fail_msg("cannot read DMTF's TaskEvent registry %s: %s", path, jerr.text);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct task_info ti = { .id = 4242, .state = cases[i].state,
					.record_failed = cases[i].record_failed };
		json_t *def = json_object_get(json_object_get(reg, "Messages"), cases[i].key);
		json_t *msg = task_event_message(&ti);
		const char *text = json_string_value(json_object_get(def, "Message"));
		const char *arg = strstr(text ? text : "", "%1");

		assert_non_null(def);
		assert_non_null(msg);
		assert_non_null(arg);
		assert_string_equal(task_event_key(&ti), cases[i].key);
		snprintf(mid, sizeof(mid), "%s.%s", json_string_value(json_object_get(reg, "Id")),
			 cases[i].key);
		snprintf(want, sizeof(want), "%.*s4242%s", (int)(arg - text), text, arg + 2);
		assert_string_equal(json_string_value(json_object_get(msg, "MessageId")), mid);
		assert_string_equal(json_string_value(json_object_get(msg, "Message")), want);
		assert_string_equal(json_string_value(json_object_get(msg, "MessageSeverity")),
				    json_string_value(json_object_get(def, "MessageSeverity")));
		assert_string_equal(json_string_value(json_object_get(msg, "Resolution")),
				    json_string_value(json_object_get(def, "Resolution")));
		assert_int_equal(json_array_size(json_object_get(msg, "MessageArgs")),
				 json_integer_value(json_object_get(def, "NumberOfArgs")));
		assert_string_equal(json_string_value(
					    json_array_get(json_object_get(msg, "MessageArgs"), 0)),
				    "4242");
		json_decref(msg);
	}
	json_decref(reg);
}

struct seen {
	pthread_mutex_t lock;
	size_t n;
	unsigned id[8];
	enum task_state state[8];
	char key[8][32];
};

static void observe(void *arg, const struct task_info *ti)
{
	struct seen *s = arg;

	pthread_mutex_lock(&s->lock);
	if (s->n < 8) {
		s->id[s->n] = ti->id;
		s->state[s->n] = ti->state;
		snprintf(s->key[s->n], sizeof(s->key[0]), "%s", task_event_key(ti));
		s->n++;
	}
	pthread_mutex_unlock(&s->lock);
}

static size_t seen_count(struct seen *s)
{
	size_t n;
	pthread_mutex_lock(&s->lock);
	n = s->n;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* The observer hears each task start and end exactly once, in that order,
 * with the state the table holds by then: a completed operation, and one
 * still running when the table is freed (abandoned: an Exception). */
static void test_observer_hears_every_change(void **state)
{
	struct tt *t = *state;
	const struct timespec tick = { 0, 20 * 1000 * 1000 };
	struct seen s = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct tasks_params tp = { 4, 20, 30000, 1, NULL };
	struct task_info ti = { 0 }, now;
	struct rfx_reply r;
	struct tasks *a;
	unsigned id;
	int n;

	tasks_observe(t->f->ag.tasks, observe, &s);
	r = start_background(t);
	assert_int_equal(r.status, 202);
	id = (unsigned)atoi(rfx_str(r.body, "Id"));
	rfx_free(&r);
	for (int i = 0; i < 500 && seen_count(&s) < 2; i++)
		nanosleep(&tick, NULL);
	tasks_observe(t->f->ag.tasks, NULL, NULL);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.id[0], id);
	assert_int_equal(s.state[0], TASK_RUNNING);
	assert_string_equal(s.key[0], "TaskStarted");
	assert_int_equal(s.id[1], id);
	assert_int_equal(s.state[1], TASK_COMPLETED);
	assert_string_equal(s.key[1], "TaskCompletedOK");
	assert_int_equal(tasks_get(t->f->ag.tasks, id, &now), 0);
	assert_int_equal(now.state, TASK_COMPLETED);

	s.n = 0;
	ti.device = 9999; /* no such device: never seen to finish */
	assert_int_equal(tasks_new(&t->f->ag, &tp, &a), 0);
	tasks_observe(a, observe, &s);
	n = tasks_start(a, &ti);
	assert_true(n > 0);
	tasks_free(a);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.id[0], (unsigned)n);
	assert_int_equal(s.state[0], TASK_RUNNING);
	assert_int_equal(s.state[1], TASK_EXCEPTION);
	assert_string_equal(s.key[1], "TaskAborted");
	pthread_mutex_destroy(&s.lock);
}

/* A device that never says the operation ended, and whose every status
 * poll goes unanswered (each takes the poll's own timeout): the Task ends as
 * an Exception once the limit has passed in time, not after as many polls
 * as fit in the limit at the watcher's interval. */
static void test_limit_is_time_not_polls(void **state)
{
	struct tt *t = *state;
	const struct timespec tick = { 0, 20 * 1000 * 1000 };
	struct tasks_params tp = { 4, 20, 400, 1, NULL };
	struct task_info ti = { 0 }, now = { 0 };
	struct cxl_backend *be;
	struct timespec t0, t1;
	struct tasks *a;
	size_t local;
	long ms;
	int id;

	assert_int_equal(cxl_devset_locate(t->f->ag.devices, 0, &be, &local), 0);
	assert_int_equal(cxl_emu_inject(be, local, CXL_EMU_FAULT_TIMEOUT, -1, CXL_OP_BG_OP_STATUS), 0);
	assert_int_equal(tasks_new(&t->f->ag, &tp, &a), 0);
	ti.device = 0;
	ti.opcode = CXL_EMU_OP_BACKGROUND;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	id = tasks_start(a, &ti);
	assert_true(id > 0);
	for (int i = 0; i < 500; i++) {
		assert_int_equal(tasks_get(a, (unsigned)id, &now), 0);
		if (now.state != TASK_RUNNING)
			break;
		nanosleep(&tick, NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000L;
	assert_int_equal(cxl_emu_inject(be, local, CXL_EMU_FAULT_NONE, 0, -1), 0);
	tasks_free(a);
	assert_int_equal(now.state, TASK_EXCEPTION);
	assert_int_equal(now.transport, -ETIMEDOUT);
	/* 400 ms and at most one poll more (250 ms), with room for a loaded
	 * machine; counted in polls it would be 20 polls of 270 ms */
	if (ms < 400 || ms > 2500)
		fail_msg("the task ended after %ld ms", ms);
}

#define TELEMETRY(dev) RFX_DEVICES dev RFX_COMMANDS "emu-read-telemetry/Actions/CxlAgent.Submit"

/* Whether the audit log holds a result of intent with transport tr. */
static bool audit_result_with(struct tt *t, const char *intent, const char *tr)
{
	char path[600], *text = NULL;
	size_t len;
	bool found = false;

	snprintf(path, sizeof(path), "%s/audit/audit.log", t->f->dir);
	if (file_read_all(path, 1u << 20, &text, &len))
		return false;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		json_t *rec = json_loads(line, 0, NULL);
		const char *type = json_string_value(json_object_get(rec, "type"));
		const char *in = json_string_value(json_object_get(rec, "intent"));
		const char *got = json_string_value(json_object_get(rec, "transport"));

		if (type && in && got && !strcmp(type, "Result") && !strcmp(in, intent) &&
		    !strcmp(got, tr))
			found = true;
		json_decref(rec);
	}
	free(text);
	return found;
}

/* The task once it is no longer running (waits up to 5 s). */
static struct task_info ended(struct tt *t, unsigned id)
{
	struct task_info now = { 0 };

	assert_int_equal(rfx_task_ended(t->f, id, &now), 0);
	return now;
}

/* The duration_us of the audit result of intent, or -1 when none. */
static long long audit_duration(struct tt *t, const char *intent)
{
	char path[600], *text = NULL;
	size_t len;
	long long us = -1;

	snprintf(path, sizeof(path), "%s/audit/audit.log", t->f->dir);
	if (file_read_all(path, 1u << 20, &text, &len))
		return -1;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		json_t *rec = json_loads(line, 0, NULL);
		const char *type = json_string_value(json_object_get(rec, "type"));
		const char *in = json_string_value(json_object_get(rec, "intent"));

		if (type && in && !strcmp(type, "Result") && !strcmp(in, intent))
			us = json_integer_value(json_object_get(rec, "duration_us"));
		json_decref(rec);
	}
	free(text);
	return us;
}

/* The wall clock is what a Task shows (StartTime, EndTime), never what its
 * durations or its monitor's retention count: the agent's wall clock set
 * back a day while the operation runs and forward two days once it ended
 * leaves DurationUs (in the final answer and the audit result) the 500 ms
 * of monotonic time it took, and the final answer kept for its one second
 * of monotonic time after the end, no more, no less. */
static void test_wall_clock_steps(void **state)
{
	struct tt *t = *state;
	static struct fake_clock fc; /* outlives a failure here: the agent keeps it */
	struct rfx_reply r;
	struct task_info ti;
	char task[sizeof(r.location)], mon[sizeof(r.location)];
	unsigned id;

	fake_clock_init(&fc);
	t->f->ag.clock = &fc.source;
	r = start_background(t);
	assert_int_equal(r.status, 202);
	snprintf(mon, sizeof(mon), "%s", r.location);
	snprintf(task, sizeof(task), "%s", rfx_str(r.body, "@odata.id"));
	id = (unsigned)atoi(rfx_str(r.body, "Id"));
	rfx_free(&r);
	fake_clock_step_realtime(&fc, -86400);
	fake_clock_advance_ms(&fc, 500);
	ti = ended(t, id);
	assert_int_equal(ti.state, TASK_COMPLETED);
	fake_clock_step_realtime(&fc, 2 * 86400);

	r = rfx_get(t->f, mon, t->reader);
	assert_int_equal(r.status, 200);
	assert_int_equal(rfx_int(r.body, "DurationUs"), 500000);
	rfx_free(&r);
	assert_int_equal(audit_duration(t, ti.audit_id), 500000);
	r = rfx_get(t->f, task, t->reader);
	assert_int_equal(r.status, 200);
	assert_string_equal(rfx_str(r.body, "StartTime"), "2026-01-01T00:00:00Z");
	assert_string_equal(rfx_str(r.body, "EndTime"), "2025-12-31T00:00:00Z");
	rfx_free(&r);

	fake_clock_advance_ms(&fc, 999);
	r = rfx_get(t->f, mon, t->reader);
	assert_int_equal(r.status, 200);
	rfx_free(&r);
	fake_clock_advance_ms(&fc, 1);
	r = rfx_get(t->f, mon, t->reader);
	assert_int_equal(r.status, 404);
	rfx_free(&r);
	t->f->ag.clock = NULL;
	fake_clock_destroy(&fc);
}

/* With the wall clock read a day ahead of the one a REALTIME wait counts on
 * (a clock set back a day), the watcher still polls every poll_ms: the
 * 100 ms operation is seen to end within seconds, not a day. */
static void test_watcher_polls_when_the_clock_is_set_back(void **state)
{
	struct tt *t = *state;
	struct rfx_reply r;
	struct task_info ti;
	unsigned id;

	clock_step_realtime(86400);
	r = start_background(t);
	assert_int_equal(r.status, 202);
	id = (unsigned)atoi(rfx_str(r.body, "Id"));
	rfx_free(&r);
	ti = ended(t, id);
	clock_step_realtime(0);
	assert_int_equal(ti.state, TASK_COMPLETED);
}

/* A device that answers "background operation started" to everything: one
 * task per device, each start ending the one before it (its audit intent
 * closed as ECANCELED), so more starts than the table has slots leave the
 * other device free to start one, and no start is refused for want of a
 * slot. */
static void test_one_background_operation_per_device(void **state)
{
	struct tt *t = *state;
	struct cxl_backend *be;
	struct rfx_reply r;
	struct task_info before, now;
	size_t local;
	unsigned prev = 0, ids[16];
	size_t running = 0, n;

	assert_int_equal(cxl_devset_locate(t->f->ag.devices, 0, &be, &local), 0);
	assert_int_equal(cxl_emu_inject(be, local, CXL_EMU_FAULT_BG_STARTED, -1, 0xC000), 0);
	for (int i = 0; i < 12; i++) {
		unsigned id;

		r = rfx_send(t->f, HTTP_POST, TELEMETRY(RFX_DEV0), t->writer, "{}", NULL);
		if (r.status != 202)
			fail_msg("start %d: %d", i, r.status);
		id = (unsigned)atoi(rfx_str(r.body, "Id"));
		rfx_free(&r);
		if (prev) {
			before = ended(t, prev);
			assert_int_equal(before.state, TASK_EXCEPTION);
			assert_int_equal(before.transport, -ECANCELED);
			assert_non_null(strstr(before.message, "superseded"));
			if (!audit_result_with(t, before.audit_id, "ECANCELED"))
				fail_msg("task %u: intent %s not closed as ECANCELED", prev,
					 before.audit_id);
		}
		prev = id;
	}
	assert_int_equal(tasks_get(t->f->ag.tasks, prev, &now), 0);
	assert_int_equal(now.state, TASK_RUNNING);
	r = rfx_send(t->f, HTTP_POST, RFX_DEVICES RFX_DEV1 RFX_COMMANDS
		     "emu-background-op/Actions/CxlAgent.Submit", t->writer,
		     "{\"Payload\": \"ZAAAAA==\"}", NULL);
	assert_int_equal(r.status, 202);
	rfx_free(&r);
	n = tasks_list(t->f->ag.tasks, ids, 16);
	for (size_t i = 0; i < n; i++)
		if (tasks_get(t->f->ag.tasks, ids[i], &now) == 0 && now.state == TASK_RUNNING &&
		    now.device == 0)
			running++;
	assert_int_equal(running, 1);
	assert_int_equal(cxl_emu_inject(be, local, CXL_EMU_FAULT_NONE, 0, -1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service_and_empty_collection),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_task_follows_the_operation),
		cmocka_unit_test(test_monitor_not_found),
		cmocka_unit_test(test_event_keys),
		cmocka_unit_test(test_messages_match_the_registry),
		cmocka_unit_test(test_ids_never_repeat),
		cmocka_unit_test(test_observer_hears_every_change),
		cmocka_unit_test(test_limit_is_time_not_polls),
		cmocka_unit_test(test_one_background_operation_per_device),
		cmocka_unit_test(test_wall_clock_steps),
		cmocka_unit_test(test_watcher_polls_when_the_clock_is_set_back),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

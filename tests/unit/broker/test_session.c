/* A broker session end to end, in one process: the broker serves an agent
 * over the emulated devices on one end of a socketpair, the front's client
 * on the other. The client mirrors the devices and the catalogue; the
 * broker re-decides every command from what it is told (the caller's
 * privileges) and its own catalogue, audits it, and pushes the changes; an
 * operation it did not start cannot be polled or closed; a command started
 * without waiting completes on the client's reader; a device that takes its
 * time holds only its own request; one background operation is open per
 * device, a new one closing the one it replaced; a datagram outside the
 * request table ends the session, kills the front, and completes what was
 * started. */
#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "broker/client.h"
#include "broker/proto.h"
#include "broker/server.h"
#include "core/agent.h"
#include "core/commands.h"
#include "core/tasks.h"
#include "cxl/device.h"
#include "policy/catalogue.h"
#include "cxl/emu_hooks.h"
#include "support/agent_fixture.h"

struct session {
	struct test_agent *t;
	pid_t front;
	int sv[2];
	pthread_t server;
	int server_rc;
	bool joined;
	struct broker_client *c;
	struct agent mirror;  /* what the front's agent holds: devices, catalogue */
};

static void *serve(void *arg)
{
	struct session *s = arg;
	s->server_rc = broker_serve(s->t->ag, s->sv[0], s->front, NULL);
	return NULL;
}

static int setup(void **state)
{
	struct session *s = calloc(1, sizeof(*s));
	struct policy_catalogue *cat;
	char cfg[1024], err[1024] = "";
	sigset_t set;

	assert_non_null(s);
	/* The broker takes these through a signalfd: no thread may take them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	snprintf(cfg, sizeof(cfg), "{\"policy_file\": \"%s/packaging/policy.example.json\"}",
		 getenv("CXLA_SOURCE_DIR"));
	assert_int_equal(test_agent_open(cfg, &s->t), 0);
	s->front = fork();
	assert_true(s->front >= 0);
	if (s->front == 0) {
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
		for (;;)
			pause();
	}
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, s->sv), 0);
	assert_int_equal(pthread_create(&s->server, NULL, serve, s), 0);
	assert_int_equal(broker_client_open(s->sv[1], &s->c, &s->mirror.devices, &cat, err,
					    sizeof(err)),
			 0);
	assert_int_equal(catalogue_cell_init(&s->mirror.catalogue, cat), 0);
	assert_int_equal(broker_client_start(s->c, &s->mirror), 0);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct session *s = *state;

	broker_client_detach(s->c);
	broker_client_free(s->c);
	if (!s->joined)
		pthread_join(s->server, NULL);
	cxl_devset_free(s->mirror.devices);
	catalogue_cell_destroy(&s->mirror.catalogue);
	test_agent_close(s->t);
	free(s);
	return 0;
}

static struct identity caller(privset_t privileges)
{
	struct identity who = { .method = AUTH_BASIC, .privileges = privileges, .peer = "::1" };
	snprintf(who.user, sizeof(who.user), "operator");
	return who;
}

static void test_mirror_and_catalogue(void **state)
{
	struct session *s = *state;
	struct policy_catalogue *cat = catalogue_cell_get(&s->mirror.catalogue);
	struct cxl_dev_info a, b;
	struct cxl_cel ca = { 0 }, cb = { 0 };

	assert_int_equal(cxl_devset_count(s->mirror.devices), cxl_devset_count(s->t->ag->devices));
	assert_string_equal(cxl_devset_backend(s->mirror.devices), "emulated");
	for (size_t i = 0; i < cxl_devset_count(s->mirror.devices); i++) {
		assert_int_equal(cxl_devset_info(s->mirror.devices, i, &a), 0);
		assert_int_equal(cxl_devset_info(s->t->ag->devices, i, &b), 0);
		assert_string_equal(a.id, b.id);
		assert_int_equal(a.total_bytes, b.total_bytes);
		assert_int_equal(cxl_devset_cel(s->mirror.devices, i, &ca), 0);
		assert_int_equal(cxl_devset_cel(s->t->ag->devices, i, &cb), 0);
		assert_int_equal(ca.count, cb.count);
		assert_memory_equal(ca.entries, cb.entries, ca.count * sizeof(*ca.entries));
		cxl_cel_free(&ca);
		cxl_cel_free(&cb);
	}
	assert_int_equal(catalogue_count(cat), 4);
	catalogue_unref(cat);
	/* the mirror never reaches a device */
	{
		struct cxl_cmd cmd = { 0x4000, NULL, 0, 10 };
		struct cxl_cmd_result res;
		assert_int_equal(cxl_devset_submit(s->mirror.devices, 0, &cmd, &res), 0);
		assert_int_equal(res.transport, -EOPNOTSUPP);
	}
}

static void test_submit_is_decided_by_the_broker(void **state)
{
	struct session *s = *state;
	struct identity reader = caller(PRIV_LOGIN | PRIV_CXL_COMMAND_READ);
	struct identity login = caller(PRIV_LOGIN);
	struct command_outcome o;
	struct cxl_dev_info info;
	uint64_t before;

	assert_int_equal(cxl_devset_info(s->mirror.devices, 0, &info), 0);
	before = cxl_devset_mailbox_count(s->t->ag->devices, 0);
	assert_int_equal(broker_client_remote.submit(s->c, &reader, 0, info.id,
						     "emu-read-telemetry", NULL, 0, 0, &o),
			 0);
	assert_int_equal(o.stage, COMMAND_SUBMITTED);
	assert_int_equal(o.result.transport, 0);
	assert_true(o.audit_id[0]);
	command_outcome_clear(&o);

	/* what the broker is told is what it decides on */
	assert_int_equal(broker_client_remote.submit(s->c, &login, 0, info.id,
						     "emu-read-telemetry", NULL, 0, 0, &o),
			 0);
	assert_int_equal(o.stage, COMMAND_DENIED);
	assert_int_equal(o.decision.reason, POLICY_DENY_INSUFFICIENT_PRIVILEGE);
	/* not in the broker's catalogue: denied, and audited */
	assert_int_equal(broker_client_remote.submit(s->c, &reader, 0, info.id, "no-such-command",
						     NULL, 0, 0, &o),
			 0);
	assert_int_equal(o.stage, COMMAND_DENIED);
	assert_int_equal(o.decision.reason, POLICY_DENY_NOT_APPROVED);
	assert_true(o.audit_id[0]);
	/* index and id must name the same device */
	assert_int_equal(broker_client_remote.submit(s->c, &reader, 1, info.id,
						     "emu-read-telemetry", NULL, 0, 0, &o),
			 -ENODEV);

	/* the broker pushes the device's new mailbox count to the mirror */
	assert_true(cxl_devset_mailbox_count(s->t->ag->devices, 0) > before);
	for (int i = 0; i < 200 && cxl_devset_mailbox_count(s->mirror.devices, 0) !=
					   cxl_devset_mailbox_count(s->t->ag->devices, 0);
	     i++)
		usleep(10000);
	assert_int_equal(cxl_devset_mailbox_count(s->mirror.devices, 0),
			 cxl_devset_mailbox_count(s->t->ag->devices, 0));
}

static void test_audit_through_the_broker(void **state)
{
	struct session *s = *state;
	struct identity reader = caller(PRIV_LOGIN | PRIV_CXL_COMMAND_READ);
	struct command_outcome o;
	struct cxl_dev_info info;
	json_t *recs = NULL, *rec = NULL;
	size_t total = 0;
	char msg[256], head[65];

	assert_int_equal(cxl_devset_info(s->mirror.devices, 1, &info), 0);
	assert_int_equal(broker_client_remote.submit(s->c, &reader, 1, info.id,
						     "emu-read-telemetry", NULL, 0, 0, &o),
			 0);
	assert_int_equal(broker_client_remote.audit_read(s->c, 0, 100, &recs, &total), 0);
	assert_true(json_is_array(recs));
	assert_true(total >= 2);
	assert_int_equal(json_array_size(recs), total);
	json_decref(recs);
	assert_int_equal(broker_client_remote.audit_find(s->c, o.audit_id, &rec), 0);
	assert_string_equal(json_string_value(json_object_get(rec, "id")), o.audit_id);
	json_decref(rec);
	assert_int_equal(broker_client_remote.audit_find(s->c, "999999", &rec), -ENOENT);
	command_outcome_clear(&o);
	for (int i = 0; i < 200; i++) {
		assert_int_equal(broker_client_remote.audit_status(s->c, msg, sizeof(msg), head), 0);
		if (strlen(head) == 64)
			break;
		usleep(10000);
	}
	assert_int_equal(strlen(head), 64);
}

static void test_only_operations_the_broker_started(void **state)
{
	struct session *s = *state;
	struct cxl_cmd_result res;

	assert_int_equal(broker_client_remote.bg_poll(s->c, 0, "1", &res), -ENOENT);
	assert_int_equal(broker_client_remote.bg_close(s->c, "1", REMOTE_BG_LOST, -ETIMEDOUT, 0),
			 -ENOENT);
}

/* The Result records the broker's audit log holds for intent, with transport
 * tr ("ECANCELED"), read through the session. */
static size_t results_for(struct session *s, const char *intent, const char *tr)
{
	json_t *recs = NULL, *rec;
	size_t total = 0, i, n = 0;

	assert_int_equal(broker_client_remote.audit_read(s->c, 0, 1000, &recs, &total), 0);
	json_array_foreach(recs, i, rec) {
		const char *type = json_string_value(json_object_get(rec, "type"));
		const char *in = json_string_value(json_object_get(rec, "intent"));
		const char *got = json_string_value(json_object_get(rec, "transport"));

		if (type && in && got && !strcmp(type, "Result") && !strcmp(in, intent) &&
		    !strcmp(got, tr))
			n++;
	}
	json_decref(recs);
	return n;
}

/* A mailbox runs one background operation at a time, so a device that says
 * it started another has ended the one before unseen. More starts on one
 * device than there are devices: each one stays open for the front to poll
 * (the table used to fill at 64 and drop the rest without a word: a poll
 * then found nothing and the intent was never closed), and the one it
 * replaced is closed in the audit log as ECANCELED, once, at once. */
static void test_a_new_background_operation_supersedes_the_open_one(void **state)
{
	struct session *s = *state;
	struct identity reader = caller(PRIV_LOGIN | PRIV_CXL_COMMAND_READ);
	char first[BROKER_AUDIT_ID_MAX] = "", prev[BROKER_AUDIT_ID_MAX] = "";
	struct command_outcome o;
	struct cxl_cmd_result res;
	struct cxl_dev_info info;

	assert_int_equal(cxl_devset_info(s->mirror.devices, 0, &info), 0);
	assert_int_equal(emu_inject(s->t->ag->devices, 0, CXL_EMU_FAULT_BG_STARTED, -1, 0xC000), 0);
	for (int i = 0; i <= CXL_MAX_DEVICES; i++) {
		assert_int_equal(broker_client_remote.submit(s->c, &reader, 0, info.id,
							     "emu-read-telemetry", NULL, 0, 0, &o),
				 0);
		assert_int_equal(o.stage, COMMAND_SUBMITTED);
		assert_int_equal(o.result.mbox_rc, CXL_MBOX_BACKGROUND_STARTED);
		if (!first[0])
			snprintf(first, sizeof(first), "%s", o.audit_id);
		snprintf(prev, sizeof(prev), "%s", o.audit_id);
		command_outcome_clear(&o);
		if (broker_client_remote.bg_poll(s->c, 0, prev, &res) != 0)
			fail_msg("start %d (intent %s) is not open in the broker", i, prev);
		cxl_cmd_result_clear(&res);
	}
	assert_int_equal(emu_inject(s->t->ag->devices, 0, CXL_EMU_FAULT_NONE, 0, -1), 0);

	/* the one replaced is no longer open, and was closed exactly once */
	assert_int_equal(broker_client_remote.bg_poll(s->c, 0, first, &res), -ENOENT);
	assert_int_equal(broker_client_remote.bg_close(s->c, first, REMOTE_BG_LOST, -ECANCELED, 0),
			 -ENOENT);
	assert_int_equal(results_for(s, first, "ECANCELED"), 1);
	assert_int_equal(results_for(s, prev, "ECANCELED"), 0);
	/* the last is the front's to close */
	assert_int_equal(broker_client_remote.bg_close(s->c, prev, REMOTE_BG_LOST, -ETIMEDOUT, 0),
			 0);
	assert_int_equal(results_for(s, prev, "ETIMEDOUT"), 1);
}

/* The operation a front's Task follows is replaced in the broker by a start
 * the front followed with no Task of its own (a 503 for want of a slot, a
 * caller gone): the broker has closed it (ECANCELED, once), so its polls
 * find nothing. The Task ends at once as superseded, writing nothing more
 * (it used to poll -ENOENT until its time limit). */
static void test_a_task_whose_operation_the_broker_closed_ends_at_once(void **state)
{
	struct session *s = *state;
	struct identity reader = caller(PRIV_LOGIN | PRIV_CXL_COMMAND_READ);
	struct tasks_params tp = { 4, 20, 60000, 60, NULL };
	struct task_info ti = { 0 }, got;
	char second[BROKER_AUDIT_ID_MAX];
	struct command_outcome o;
	struct cxl_dev_info info;
	struct timespec pause_ts = { 0, 20 * 1000000L };
	int id;

	s->mirror.remote = &broker_client_remote;
	s->mirror.remote_ctx = s->c;
	assert_int_equal(tasks_new(&s->mirror, &tp, &s->mirror.tasks), 0);
	assert_int_equal(cxl_devset_info(s->mirror.devices, 0, &info), 0);
	assert_int_equal(emu_inject(s->t->ag->devices, 0, CXL_EMU_FAULT_BG_STARTED, -1, 0xC000), 0);
	assert_int_equal(broker_client_remote.submit(s->c, &reader, 0, info.id, "emu-read-telemetry",
						     NULL, 0, 0, &o),
			 0);
	assert_int_equal(o.result.mbox_rc, CXL_MBOX_BACKGROUND_STARTED);
	ti.device = 0;
	ti.opcode = 0xC000;
	snprintf(ti.device_id, sizeof(ti.device_id), "%s", info.id);
	snprintf(ti.audit_id, sizeof(ti.audit_id), "%s", o.audit_id);
	command_outcome_clear(&o);
	assert_true((id = tasks_start(s->mirror.tasks, &ti)) > 0);

	/* The replacing start, which no Task follows. */
	assert_int_equal(broker_client_remote.submit(s->c, &reader, 0, info.id, "emu-read-telemetry",
						     NULL, 0, 0, &o),
			 0);
	assert_int_equal(o.result.mbox_rc, CXL_MBOX_BACKGROUND_STARTED);
	snprintf(second, sizeof(second), "%s", o.audit_id);
	command_outcome_clear(&o);
	for (int i = 0; i < 250; i++) { /* 5 s: far less than the minute's limit */
		assert_int_equal(tasks_get(s->mirror.tasks, (unsigned)id, &got), 0);
		if (got.state != TASK_RUNNING)
			break;
		nanosleep(&pause_ts, NULL);
	}
	assert_int_equal(got.state, TASK_EXCEPTION);
	assert_int_equal(got.transport, -ECANCELED);
	assert_non_null(strstr(got.message, "superseded"));
	assert_false(got.record_failed);
	assert_int_equal(emu_inject(s->t->ag->devices, 0, CXL_EMU_FAULT_NONE, 0, -1), 0);
	tasks_free(s->mirror.tasks);
	s->mirror.tasks = NULL;
	s->mirror.remote = NULL;
	assert_int_equal(results_for(s, ti.audit_id, "ECANCELED"), 1);
	assert_int_equal(results_for(s, ti.audit_id, "ETIMEDOUT"), 0);
	assert_int_equal(broker_client_remote.bg_close(s->c, second, REMOTE_BG_LOST, -ETIMEDOUT, 0),
			 0);
}

/* What a command started without waiting hands its completion. */
struct started {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	int rc;
	struct command_outcome o;
	pthread_t thread;
};

static void started_init(struct started *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->cond, NULL);
}

static void on_started_done(void *arg, int rc, struct command_outcome *out)
{
	struct started *st = arg;

	pthread_mutex_lock(&st->lock);
	st->rc = rc;
	if (out) {
		st->o = *out;
		/* out is borrowed for the call: keep no pointer into it */
		st->o.result.out = NULL;
		st->o.result.out_len = out->result.out_len;
	}
	st->thread = pthread_self();
	st->done = true;
	pthread_cond_signal(&st->cond);
	pthread_mutex_unlock(&st->lock);
}

static void started_wait(struct started *st)
{
	pthread_mutex_lock(&st->lock);
	while (!st->done)
		pthread_cond_wait(&st->cond, &st->lock);
	pthread_mutex_unlock(&st->lock);
}

static bool started_done_yet(struct started *st)
{
	bool done;

	pthread_mutex_lock(&st->lock);
	done = st->done;
	pthread_mutex_unlock(&st->lock);
	return done;
}

static void test_started_command_completes_on_the_reader(void **state)
{
	struct session *s = *state;
	struct identity reader = caller(PRIV_LOGIN | PRIV_CXL_COMMAND_READ);
	struct cxl_dev_info info;
	struct started st;

	started_init(&st);
	assert_int_equal(cxl_devset_info(s->mirror.devices, 1, &info), 0);
	assert_int_equal(broker_client_remote.submit_start(s->c, &reader, 1, info.id,
							   "emu-read-telemetry", NULL, 0, 0,
							   on_started_done, &st),
			 0);
	started_wait(&st);
	assert_int_equal(st.rc, 0);
	assert_int_equal(st.o.stage, COMMAND_SUBMITTED);
	assert_int_equal(st.o.result.transport, 0);
	assert_int_equal(st.o.result.mbox_rc, CXL_MBOX_SUCCESS);
	assert_int_equal(st.o.result.out_len, 64);
	assert_true(st.o.audit_id[0]);
	assert_false(pthread_equal(st.thread, pthread_self()));

	/* the broker's own refusal reaches the completion as its rc */
	started_init(&st);
	assert_int_equal(broker_client_remote.submit_start(s->c, &reader, 0, info.id,
							   "emu-read-telemetry", NULL, 0, 0,
							   on_started_done, &st),
			 0);
	started_wait(&st);
	assert_int_equal(st.rc, -ENODEV);
}

static uint64_t ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)((now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000);
}

/* Every request is served on the thread that read it; the last idle one
 * starts another first, so a device that does not answer keeps only its
 * own request waiting. */
static void test_a_silent_device_holds_only_its_own_request(void **state)
{
	struct session *s = *state;
	struct identity reader = caller(PRIV_LOGIN | PRIV_CXL_COMMAND_READ);
	struct cxl_dev_info slow, other;
	struct command_outcome o;
	struct timespec t0;
	struct started st;

	started_init(&st);
	assert_int_equal(cxl_devset_info(s->mirror.devices, 0, &slow), 0);
	assert_int_equal(cxl_devset_info(s->mirror.devices, 1, &other), 0);
	assert_int_equal(emu_inject(s->t->ag->devices, 0, CXL_EMU_FAULT_TIMEOUT, 1, 0xC000), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(broker_client_remote.submit_start(s->c, &reader, 0, slow.id,
							   "emu-read-telemetry", NULL, 0, 1500,
							   on_started_done, &st),
			 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(broker_client_remote.submit(s->c, &reader, 1, other.id,
							     "emu-read-telemetry", NULL, 0, 0, &o),
				 0);
		assert_int_equal(o.stage, COMMAND_SUBMITTED);
		assert_int_equal(o.result.transport, 0);
		command_outcome_clear(&o);
	}
	assert_true(ms_since(&t0) < 1000);
	assert_false(started_done_yet(&st));
	started_wait(&st);
	assert_int_equal(st.rc, 0);
	assert_int_equal(st.o.stage, COMMAND_SUBMITTED);
	assert_int_equal(st.o.result.transport, -ETIMEDOUT);
	assert_true(ms_since(&t0) >= 1400);
}

/* Last: a push type sent to the broker is outside the request table. A
 * command under way when the session ends completes with -EPIPE. */
static void test_protocol_violation_ends_the_session(void **state)
{
	struct session *s = *state;
	struct broker_msg m = { .type = BROKER_MSG_HELLO };
	struct cxl_cmd_result res;
	uint8_t *buf;
	size_t len;

	struct identity reader = caller(PRIV_LOGIN | PRIV_CXL_COMMAND_READ);
	struct cxl_dev_info info;
	struct started st;

	started_init(&st);
	assert_int_equal(cxl_devset_info(s->mirror.devices, 0, &info), 0);
	assert_int_equal(emu_inject(s->t->ag->devices, 0, CXL_EMU_FAULT_TIMEOUT, 1, 0xC000), 0);
	assert_int_equal(broker_client_remote.submit_start(s->c, &reader, 0, info.id,
							   "emu-read-telemetry", NULL, 0, 1000,
							   on_started_done, &st),
			 0);
	m.u.hello.version = BROKER_PROTO_VERSION;
	m.u.hello.ring_size = 1;
	assert_int_equal(broker_msg_encode(&m, &buf, &len), 0);
	assert_int_equal(send(s->sv[1], buf, len, MSG_NOSIGNAL), (ssize_t)len);
	free(buf);
	started_wait(&st);
	assert_int_equal(st.rc, -EPIPE);
	pthread_join(s->server, NULL);
	s->joined = true;
	assert_int_equal(s->server_rc, 1);
	assert_int_equal(broker_client_remote.bg_poll(s->c, 0, "1", &res), -EPIPE);
	assert_int_equal(broker_client_remote.submit_start(s->c, &reader, 0, info.id,
							   "emu-read-telemetry", NULL, 0, 0,
							   on_started_done, &st),
			 -EPIPE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mirror_and_catalogue),
		cmocka_unit_test(test_submit_is_decided_by_the_broker),
		cmocka_unit_test(test_audit_through_the_broker),
		cmocka_unit_test(test_only_operations_the_broker_started),
		cmocka_unit_test(test_a_new_background_operation_supersedes_the_open_one),
		cmocka_unit_test(test_a_task_whose_operation_the_broker_closed_ends_at_once),
		cmocka_unit_test(test_started_command_completes_on_the_reader),
		cmocka_unit_test(test_a_silent_device_holds_only_its_own_request),
		cmocka_unit_test(test_protocol_violation_ends_the_session),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/* Group commit of the audit log: intents of concurrent writers share one
 * fdatasync run by one of them, a failed sync fails exactly the writers it
 * covered, and records nobody waits for never hold their writer. The
 * fdatasync seam (support/io_fail.h) counts, holds and fails syncs. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit/audit.h"
#include "support/io_fail.h"
#include "support/tmpdir.h"

#define FOLLOWERS 8

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (tmpdir_make(f->dir, sizeof(f->dir), "group-commit")) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/audit.log", f->dir);
	io_sync_reset();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	io_sync_reset();
	io_wake_delay(0);
	rc = tmpdir_remove(f->dir);
	free(f);
	return rc ? -1 : 0;
}

static struct audit_intent sample_intent(void)
{
	struct audit_intent in = {
		.user = "alice", .auth_method = "Basic", .source = "192.0.2.7",
		.device = "1000000000000001", .opcode = 0xC000,
		.command_id = "emu-read-telemetry", .payload = "", .payload_len = 0,
		.allowed = 1, .reason = "Allowed", .scope = "Read",
	};
	return in;
}

struct writer {
	struct audit_log *log;
	pthread_t thread;
	char id[AUDIT_ID_MAX];
	int rc;
};

static void *write_intent(void *arg)
{
	struct writer *w = arg;
	struct audit_intent in = sample_intent();

	w->rc = audit_intent(w->log, &in, w->id);
	return NULL;
}

static void start(struct writer *w, struct audit_log *log)
{
	memset(w, 0, sizeof(*w));
	w->log = log;
	snprintf(w->id, sizeof(w->id), "untouched");
	assert_int_equal(pthread_create(&w->thread, NULL, write_intent, w), 0);
}

/* Lines in the file: records appended, whether synced or not. */
static size_t lines_in(const char *path)
{
	FILE *fp = fopen(path, "r");
	size_t n = 0;
	int c;

	if (!fp)
		return 0;
	while ((c = fgetc(fp)) != EOF)
		n += c == '\n';
	fclose(fp);
	return n;
}

static void wait_lines(const char *path, size_t n)
{
	for (int i = 0; i < 10000 && lines_in(path) < n; i++)
		usleep(1000);
	assert_int_equal(lines_in(path), n);
}

/* A leader whose sync is held, and FOLLOWERS writers whose records are
 * written behind it, waiting. */
static void start_group(struct fixture *f, struct audit_log *log, struct writer *lead,
			struct writer *w)
{
	io_sync_reset();
	io_sync_hold(1);
	start(lead, log);
	io_sync_wait_calls(1);
	for (int i = 0; i < FOLLOWERS; i++)
		start(&w[i], log);
	wait_lines(f->path, 1 + FOLLOWERS);
}

/* One writer leads a sync; FOLLOWERS more append while it runs. They wait
 * for it rather than start syncs of their own, and then one sync covers all
 * of them. */
static void test_followers_share_one_sync(void **state)
{
	struct fixture *f = *state;
	struct audit_log *log;
	struct audit_stats st;
	struct writer lead, w[FOLLOWERS];

	assert_int_equal(audit_open(f->dir, 0, 0, &log), 0);
	start_group(f, log, &lead, w);
	usleep(20000);
	assert_int_equal(io_sync_calls(), 1); /* nobody else started a sync */
	io_sync_hold(0);
	pthread_join(lead.thread, NULL);
	assert_int_equal(lead.rc, 0);
	for (int i = 0; i < FOLLOWERS; i++) {
		pthread_join(w[i].thread, NULL);
		assert_int_equal(w[i].rc, 0);
		assert_string_not_equal(w[i].id, "untouched");
	}
	/* The leader's sync and one for all the followers; the log's own
	 * lazy sync may come along too, but covers nothing new. */
	assert_true(io_sync_calls() >= 2);
	audit_get_stats(log, &st);
	assert_int_equal(st.syncs, 2);
	assert_int_equal(st.durable, 1 + FOLLOWERS);
	assert_int_equal(st.records, 1 + FOLLOWERS);
	assert_int_equal(st.failures, 0);
	audit_close(log);
}

struct forwarded {
	char ids[1 + FOLLOWERS][AUDIT_ID_MAX];
	pthread_t by[1 + FOLLOWERS];
	int n;
};

/* Called under the log's lock. */
static void record_forward(void *ctx, const char *line)
{
	struct forwarded *fw = ctx;
	const char *id = strstr(line, "\"id\":\"");

	assert_non_null(id);
	assert_true(fw->n < 1 + FOLLOWERS);
	snprintf(fw->ids[fw->n], AUDIT_ID_MAX, "%.*s", (int)strcspn(id + 6, "\""), id + 6);
	fw->by[fw->n++] = pthread_self();
}

/* The followers' records are finished by the sync that covers them, on
 * the thread that ran it: forwarded in the order they were written, and
 * none of the followers runs a sync or forwards anything itself. */
static void test_group_finished_in_record_order(void **state)
{
	struct fixture *f = *state;
	struct audit_log *log;
	struct forwarded fw = { .n = 0 };
	struct writer lead, w[FOLLOWERS];
	int found;

	assert_int_equal(audit_open(f->dir, 0, 0, &log), 0);
	audit_set_forward(log, record_forward, &fw);
	start_group(f, log, &lead, w);
	io_sync_hold(0);
	pthread_join(lead.thread, NULL);
	for (int i = 0; i < FOLLOWERS; i++) {
		pthread_join(w[i].thread, NULL);
		assert_int_equal(w[i].rc, 0);
	}
	assert_int_equal(fw.n, 1 + FOLLOWERS);
	assert_string_equal(fw.ids[0], lead.id);
	for (int i = 2; i <= FOLLOWERS; i++) {
		assert_true(strtoull(fw.ids[i], NULL, 10) > strtoull(fw.ids[i - 1], NULL, 10));
		/* one thread forwarded the whole group */
		assert_true(pthread_equal(fw.by[i], fw.by[1]));
	}
	/* ...not the leader's, which had its own sync: one of the followers,
	 * woken to run theirs, or the log's own lazy sync when that comes
	 * first (a loaded machine). */
	assert_false(pthread_equal(fw.by[1], lead.thread));
	found = 0;
	for (int i = 0; i < FOLLOWERS; i++)
		found += pthread_equal(fw.by[1], w[i].thread) != 0;
	assert_true(found <= 1);
	audit_close(log);
}

/* The follower woken to run the group's sync is late (a loaded machine),
 * and the log's own lazy sync covers the group first: the records are still
 * forwarded in the order written, the late one in its place, not last. */
static void test_group_order_kept_when_lead_is_late(void **state)
{
	struct fixture *f = *state;
	struct audit_log *log;
	struct forwarded fw = { .n = 0 };
	struct writer lead, w[FOLLOWERS];

	assert_int_equal(audit_open(f->dir, 0, 0, &log), 0);
	audit_set_forward(log, record_forward, &fw);
	start_group(f, log, &lead, w);
	io_wake_delay(200);
	io_sync_hold(0);
	pthread_join(lead.thread, NULL);
	for (int i = 0; i < FOLLOWERS; i++) {
		pthread_join(w[i].thread, NULL);
		assert_int_equal(w[i].rc, 0);
	}
	io_wake_delay(0);
	assert_int_equal(fw.n, 1 + FOLLOWERS);
	assert_string_equal(fw.ids[0], lead.id);
	for (int i = 1; i <= FOLLOWERS; i++)
		assert_true(strtoull(fw.ids[i], NULL, 10) > strtoull(fw.ids[i - 1], NULL, 10));
	audit_close(log);
}

/* The sync that covers the followers fails: each of them is told (the
 * command is refused), the leader whose own sync worked is not, health
 * says so, and the next intent gets a sync of its own that works. */
static void test_failed_sync_fails_its_group_only(void **state)
{
	struct fixture *f = *state;
	struct audit_log *log;
	struct audit_stats st;
	struct writer lead, w[FOLLOWERS], after;
	char msg[512];

	assert_int_equal(audit_open(f->dir, 0, 0, &log), 0);
	io_sync_reset();
	io_sync_hold(1);
	io_sync_fail_from(2, EIO);
	start(&lead, log);
	io_sync_wait_calls(1);
	for (int i = 0; i < FOLLOWERS; i++)
		start(&w[i], log);
	wait_lines(f->path, 1 + FOLLOWERS);
	io_sync_hold(0);
	pthread_join(lead.thread, NULL);
	assert_int_equal(lead.rc, 0);
	for (int i = 0; i < FOLLOWERS; i++) {
		pthread_join(w[i].thread, NULL);
		assert_int_equal(w[i].rc, -EIO);
		assert_string_equal(w[i].id, "untouched");
	}
	/* The journal's sync failed, and so did the log's own that stands in
	 * for it (the log's alone where there is no journal: TMPDIR in
	 * memory). */
	assert_true(io_sync_calls() >= 2);
	assert_int_equal(audit_health(log, msg, sizeof(msg)), -EIO);
	assert_non_null(strstr(msg, "sync"));
	audit_get_stats(log, &st);
	assert_int_equal(st.durable, 1);
	assert_int_equal(st.failures, FOLLOWERS);
	assert_int_equal(st.records, 1);

	/* Nothing of the failure stays behind. */
	io_sync_fail_from(0, 0);
	start(&after, log);
	pthread_join(after.thread, NULL);
	assert_int_equal(after.rc, 0);
	assert_int_equal(audit_health(log, NULL, 0), 0);
	assert_int_equal(audit_sync(log), 0);
	audit_get_stats(log, &st);
	assert_int_equal(st.durable, 2);
	assert_int_equal(st.records, 2);
	audit_close(log);
	/* The chain still runs through every record appended. */
	assert_int_equal(lines_in(f->path), 2 + FOLLOWERS);
}

/* A result never waits for a sync: it returns while syncs are held, and
 * the next intent's sync covers it. */
static void test_results_do_not_wait(void **state)
{
	struct fixture *f = *state;
	struct audit_log *log;
	struct audit_stats st;
	struct audit_intent in = sample_intent();
	struct audit_result res = { .transport = 0, .mbox_rc = 0, .duration_us = 3 };
	struct writer next;
	char id[AUDIT_ID_MAX];

	assert_int_equal(audit_open(f->dir, 0, 0, &log), 0);
	assert_int_equal(audit_intent(log, &in, id), 0);
	io_sync_reset();
	io_sync_hold(1);
	res.intent_id = id;
	for (int i = 0; i < 3; i++)
		assert_int_equal(audit_result(log, &res, NULL), 0);
	audit_get_stats(log, &st);
	assert_int_equal(st.records, 4);
	assert_int_equal(st.durable, 1);
	/* The next intent waits for a sync that covers the results too. */
	start(&next, log);
	wait_lines(f->path, 5);
	io_sync_hold(0);
	pthread_join(next.thread, NULL);
	assert_int_equal(next.rc, 0);
	audit_get_stats(log, &st);
	assert_int_equal(st.durable, 5);
	assert_true(io_sync_calls() >= 1 && io_sync_calls() <= 2);
	audit_close(log);
}

/* Left alone, results become durable within a short while without any
 * caller asking, and close settles whatever is left. */
static void test_results_settle_by_themselves(void **state)
{
	struct fixture *f = *state;
	struct audit_log *log;
	struct audit_stats st;
	struct audit_intent in = sample_intent();
	struct audit_result res = { .transport = 0 };
	char id[AUDIT_ID_MAX];

	assert_int_equal(audit_open(f->dir, 0, 0, &log), 0);
	assert_int_equal(audit_intent(log, &in, id), 0);
	res.intent_id = id;
	assert_int_equal(audit_result(log, &res, NULL), 0);
	for (int i = 0; i < 2000; i++) {
		audit_get_stats(log, &st);
		if (st.durable == 2)
			break;
		usleep(1000);
	}
	assert_int_equal(st.durable, 2);
	assert_int_equal(audit_result(log, &res, NULL), 0);
	audit_close(log); /* must not hang, and syncs the last result */
	assert_int_equal(lines_in(f->path), 3);
}

/* One caller submitting command after command: its intent is synced on
 * its own thread (no hand-over to another thread and back), and that sync
 * also covers the previous command's result, so a command costs one sync,
 * not two in series. */
static void test_serial_commands_one_sync_each(void **state)
{
	struct fixture *f = *state;
	struct audit_log *log;
	struct audit_intent in = sample_intent();
	struct audit_result res = { .transport = 0 };
	char id[AUDIT_ID_MAX];

	assert_int_equal(audit_open(f->dir, 0, 0, &log), 0);
	io_sync_reset();
	for (int i = 0; i < 20; i++) {
		assert_int_equal(audit_intent(log, &in, id), 0);
		assert_true(io_sync_last_by_me());
		res.intent_id = id;
		assert_int_equal(audit_result(log, &res, NULL), 0);
	}
	/* 20 and the last result's; a few more only if the machine stalled
	 * this thread past the syncer's delay. Two per command would be 40. */
	assert_true(io_sync_calls() <= 26);
	assert_int_equal(audit_sync(log), 0);
	audit_close(log);
}

struct busy_writer {
	struct audit_log *log;
	pthread_t thread;
	int rc;
};

static void *busy(void *arg)
{
	struct busy_writer *b = arg;
	struct audit_intent in = sample_intent();
	struct audit_result res = { .transport = 0 };
	char id[AUDIT_ID_MAX];

	for (int i = 0; i < 150 && !b->rc; i++) {
		b->rc = audit_intent(b->log, &in, id);
		res.intent_id = id;
		if (!b->rc && i % 3)
			b->rc = audit_result(b->log, &res, NULL);
		if (!b->rc && i % 50 == 0)
			b->rc = audit_sync(b->log);
	}
	return NULL;
}

/* Many writers at once, intents, results and explicit syncs mixed, the
 * syncer running beside them: every one of them gets its answer (none is
 * left waiting for a sync nobody runs), and every record is counted once. */
static void test_many_writers_all_answered(void **state)
{
	struct fixture *f = *state;
	struct audit_log *log;
	struct audit_stats st;
	struct busy_writer b[16];

	assert_int_equal(audit_open(f->dir, 0, 0, &log), 0);
	for (int i = 0; i < 16; i++) {
		b[i].log = log;
		b[i].rc = 0;
		assert_int_equal(pthread_create(&b[i].thread, NULL, busy, &b[i]), 0);
	}
	for (int i = 0; i < 16; i++) {
		pthread_join(b[i].thread, NULL);
		assert_int_equal(b[i].rc, 0);
	}
	assert_int_equal(audit_sync(log), 0);
	audit_get_stats(log, &st);
	assert_int_equal(st.records, 16 * 250);
	assert_int_equal(st.durable, 16 * 250);
	assert_int_equal(st.failures, 0);
	audit_close(log);
	assert_int_equal(lines_in(f->path), 16 * 250);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_followers_share_one_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_finished_in_record_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_order_kept_when_lead_is_late, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_failed_sync_fails_its_group_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_results_do_not_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_results_settle_by_themselves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_serial_commands_one_sync_each, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_writers_all_answered, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The audit log: records as JSON lines, ids across reopen, rotation,
 * read-back, fail-closed writes and recovery, concurrency. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "audit/audit.h"
#include "cxl/cel.h"
#include "support/tmpdir.h"

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (tmpdir_make(f->dir, sizeof(f->dir), "audit")) {
		free(f);
		return -1;
	}
	/* audit_open must create the last component itself */
	strcat(f->dir, "/log");
	snprintf(f->path, sizeof(f->path), "%s/audit.log", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	chmod(f->dir, 0700);
	*strrchr(f->dir, '/') = '\0';
	if (tmpdir_remove(f->dir))
		return -1;
	free(f);
	return 0;
}

static struct audit_intent sample_intent(void)
{
	struct audit_intent in = {
		.user = "alice",
		.auth_method = "Basic",
		.source = "192.0.2.7",
		.device = "1000000000000001",
		.opcode = 0xC002,
		.command_id = "emu-set-mode",
		.payload = "abc",
		.payload_len = 3,
		.in_cel = 1,
		.effects = CXL_EFFECT_IMMEDIATE_CONFIG_CHANGE | CXL_EFFECT_IMMEDIATE_DATA_CHANGE,
		.allowed = 1,
		.reason = "Allowed",
		.scope = "WriteFull",
		.detail = "approved",
	};
	return in;
}

/* Parse every line of a file; fails the test on a line that is not JSON. */
static json_t *read_lines(const char *path)
{
	json_t *arr = json_array();
	char line[8192];
	FILE *fp = fopen(path, "r");

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		json_error_t e;
		json_t *rec;
		assert_non_null(strchr(line, '\n'));
		rec = json_loads(line, 0, &e);
		if (!rec)
			fail_msg("not JSON: %s (%s)", line, e.text);
		json_array_append_new(arr, rec);
	}
	fclose(fp);
	return arr;
}

static const char *sget(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static uint64_t id_num(json_t *o)
{
	return strtoull(sget(o, "id"), NULL, 10);
}

static void test_time_format(void **state)
{
	struct timespec t = { 0, 5000000 };
	char buf[40];
	(void)state;

	audit_format_time(&t, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00.005Z");
	t.tv_sec = 1735689599; /* 2024-12-31T23:59:59Z */
	t.tv_nsec = 999999999;
	audit_format_time(&t, buf, sizeof(buf));
	assert_string_equal(buf, "2024-12-31T23:59:59.999Z");
}

static void test_intent_and_result(void **state)
{
	struct fixture *f = *state;
	struct audit_log *log;
	struct audit_intent in = sample_intent();
	struct audit_result res = { 0 };
	struct audit_stats st;
	char id[AUDIT_ID_MAX], rid[AUDIT_ID_MAX], buf[256];
	struct stat sb;
	json_t *lines, *r, *eff;

	assert_int_equal(audit_open(f->dir, 0, 0, &log), 0);
	assert_int_equal(stat(f->dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	assert_int_equal(audit_intent(log, &in, id), 0);
	assert_true(strlen(id) > 0);
	/* an intent returns only once a sync covers it */
	audit_get_stats(log, &st);
	assert_int_equal(st.records, 1);
	assert_int_equal(st.durable, 1);
	res.intent_id = id;
	res.transport = 0;
	res.mbox_rc = 0;
	res.duration_us = 1234;
	assert_int_equal(audit_result(log, &res, rid), 0);
	res.transport = -ETIMEDOUT;
	res.mbox_rc = 6; /* ignored when the transport failed */
	assert_int_equal(audit_result(log, &res, NULL), 0);
	audit_get_stats(log, &st);
	assert_int_equal(st.records, 3);
	/* results are settled by the syncer without holding their caller */
	assert_true(st.syncs >= 1 && st.syncs <= 3);
	assert_int_equal(st.failures, 0);
	assert_int_equal(audit_sync(log), 0);
	audit_get_stats(log, &st);
	assert_int_equal(st.durable, 3);
	assert_int_equal(audit_health(log, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "OK");
	audit_close(log);

	lines = read_lines(f->path);
	assert_int_equal(json_array_size(lines), 3);

	r = json_array_get(lines, 0);
	assert_string_equal(sget(r, "id"), id);
	assert_string_equal(sget(r, "type"), "Intent");
	assert_int_equal(strlen(sget(r, "time")), 24);
	assert_int_equal(sget(r, "time")[10], 'T');
	assert_int_equal(sget(r, "time")[23], 'Z');
	assert_string_equal(sget(r, "user"), "alice");
	assert_string_equal(sget(r, "auth"), "Basic");
	assert_string_equal(sget(r, "source"), "192.0.2.7");
	assert_string_equal(sget(r, "device"), "1000000000000001");
	assert_string_equal(sget(r, "opcode"), "0xC002");
	assert_string_equal(sget(r, "command"), "emu-set-mode");
	assert_int_equal(json_integer_value(json_object_get(r, "payload_bytes")), 3);
	assert_string_equal(sget(r, "payload_sha256"),
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	eff = json_object_get(r, "effects");
	assert_int_equal(json_integer_value(json_object_get(eff, "raw")), 6);
	assert_int_equal(json_array_size(json_object_get(eff, "names")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(eff, "names"), 0)),
			    "ImmediateConfigChange");
	assert_string_equal(json_string_value(json_array_get(json_object_get(eff, "names"), 1)),
			    "ImmediateDataChange");
	assert_string_equal(sget(r, "decision"), "Allowed");
	assert_string_equal(sget(r, "reason"), "Allowed");
	assert_string_equal(sget(r, "scope"), "WriteFull");
	assert_string_equal(sget(r, "detail"), "approved");
	assert_null(json_object_get(r, "payload")); /* the payload itself is never stored */

	r = json_array_get(lines, 1);
	assert_string_equal(sget(r, "id"), rid);
	assert_string_equal(sget(r, "type"), "Result");
	assert_string_equal(sget(r, "intent"), id);
	assert_string_equal(sget(r, "transport"), "OK");
	assert_int_equal(json_integer_value(json_object_get(r, "errno")), 0);
	assert_int_equal(json_integer_value(json_object_get(r, "mbox_rc")), 0);
	assert_string_equal(sget(r, "mbox_rc_name"), "Success");
	assert_int_equal(json_integer_value(json_object_get(r, "duration_us")), 1234);

	r = json_array_get(lines, 2);
	assert_string_equal(sget(r, "transport"), "ETIMEDOUT");
	assert_int_equal(json_integer_value(json_object_get(r, "errno")), ETIMEDOUT);
	assert_null(json_object_get(r, "mbox_rc"));

	assert_true(id_num(json_array_get(lines, 0)) < id_num(json_array_get(lines, 1)));
	assert_true(id_num(json_array_get(lines, 1)) < id_num(json_array_get(lines, 2)));
	json_decref(lines);
}

static void test_denial_and_odd_strings(void **state)
{
	struct fixture *f = *state;
	struct audit_log *log;
	struct audit_intent in = sample_intent();
	char id[AUDIT_ID_MAX];
	json_t *lines, *r;

	assert_int_equal(audit_open(f->dir, 0, 0, &log), 0);
	in.allowed = 0;
	in.reason = "NotApproved";
	in.command_id = NULL;
	in.in_cel = 0;
	in.scope = NULL;
	in.detail = NULL;
	in.payload = NULL;
	in.payload_len = 0;
	in.user = "mallory\n{\"forged\":1}\xff";
	assert_int_equal(audit_intent(log, &in, id), 0);
	audit_close(log);

	lines = read_lines(f->path);
	assert_int_equal(json_array_size(lines), 1); /* the newline did not split the record */
	r = json_array_get(lines, 0);
	assert_string_equal(sget(r, "decision"), "Denied");
	assert_string_equal(sget(r, "reason"), "NotApproved");
	assert_true(json_is_null(json_object_get(r, "command")));
	assert_true(json_is_null(json_object_get(r, "effects")));
	assert_null(json_object_get(r, "scope"));
	assert_string_equal(sget(r, "payload_sha256"),
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_non_null(strstr(sget(r, "user"), "mallory"));
	assert_null(json_object_get(r, "forged"));
	json_decref(lines);
}

static void test_ids_across_reopen(void **state)
{
	struct fixture *f = *state;
	struct audit_log *log;
	struct audit_intent in = sample_intent();
	char id[AUDIT_ID_MAX], prev[AUDIT_ID_MAX] = "0";
	FILE *fp;
	json_t *entries;
	size_t total;

	for (int round = 0; round < 3; round++) {
		assert_int_equal(audit_open(f->dir, 0, 0, &log), 0);
		for (int i = 0; i < 3; i++) {
			assert_int_equal(audit_intent(log, &in, id), 0);
			assert_true(strtoull(id, NULL, 10) > strtoull(prev, NULL, 10));
			memcpy(prev, id, sizeof(id));
		}
		audit_close(log);
	}

	/* an id from the file beats the clock: continue after it */
	fp = fopen(f->path, "a");
	assert_non_null(fp);
	fputs("{\"id\": \"9000000000000000000\", \"type\": \"Intent\"}\n", fp);
	/* and a torn last line from a crash */
	fputs("{\"id\": \"9100000000000000000\", \"ty", fp);
	fclose(fp);
	assert_int_equal(audit_open(f->dir, 0, 0, &log), 0);
	assert_int_equal(audit_intent(log, &in, id), 0);
	assert_string_equal(id, "9000000000000000001");
	assert_int_equal(audit_read(log, 0, 100, &entries, &total), 0);
	assert_int_equal(total, 11); /* 9 + the injected one + the new one; torn skipped */
	assert_string_equal(sget(json_array_get(entries, 10), "id"), "9000000000000000001");
	json_decref(entries);
	audit_close(log);
}

static void test_rotation(void **state)
{
	struct fixture *f = *state;
	struct audit_log *log;
	struct audit_intent in = sample_intent();
	struct audit_stats st;
	char id[AUDIT_ID_MAX], p[256];
	struct stat sb;
	json_t *entries;
	size_t total, in_files = 0;
	uint64_t prev = 0;

	assert_int_equal(audit_open(f->dir, 1500, 2, &log), 0);
	for (int i = 0; i < 40; i++)
		assert_int_equal(audit_intent(log, &in, id), 0);
	audit_get_stats(log, &st);
	assert_true(st.rotations >= 3);
	for (unsigned n = 0; n <= 3; n++) {
		if (n)
			snprintf(p, sizeof(p), "%s.%u", f->path, n);
		else
			snprintf(p, sizeof(p), "%s", f->path);
		if (n == 3) {
			assert_int_not_equal(stat(p, &sb), 0); /* only keep_files rotated files */
			continue;
		}
		assert_int_equal(stat(p, &sb), 0);
		assert_true(sb.st_size <= 1500);
		assert_int_equal(sb.st_mode & 0777, 0600);
		json_t *lines = read_lines(p);
		in_files += json_array_size(lines);
		json_decref(lines);
	}

	/* read back: everything still on disk, oldest first, newest last */
	assert_int_equal(audit_read(log, 0, 1000, &entries, &total), 0);
	assert_int_equal(total, in_files);
	assert_int_equal(json_array_size(entries), in_files);
	for (size_t i = 0; i < json_array_size(entries); i++) {
		uint64_t v = id_num(json_array_get(entries, i));
		assert_true(v > prev);
		prev = v;
	}
	assert_string_equal(sget(json_array_get(entries, in_files - 1), "id"), id);
	json_decref(entries);

	/* paging */
	assert_int_equal(audit_read(log, in_files - 2, 10, &entries, &total), 0);
	assert_int_equal(json_array_size(entries), 2);
	assert_string_equal(sget(json_array_get(entries, 1), "id"), id);
	json_decref(entries);
	assert_int_equal(audit_read(log, 1, 3, &entries, NULL), 0);
	assert_int_equal(json_array_size(entries), 3);
	json_decref(entries);
	assert_int_equal(audit_read(log, in_files, 3, &entries, NULL), 0);
	assert_int_equal(json_array_size(entries), 0);
	json_decref(entries);
	audit_close(log);

	/* ids still continue after a reopen of a freshly rotated log */
	assert_int_equal(audit_open(f->dir, 1500, 2, &log), 0);
	{
		char id2[AUDIT_ID_MAX];
		assert_int_equal(audit_intent(log, &in, id2), 0);
		assert_true(strtoull(id2, NULL, 10) > strtoull(id, NULL, 10));
	}
	audit_close(log);
}

static void test_rotation_keep_zero(void **state)
{
	struct fixture *f = *state;
	struct audit_log *log;
	struct audit_intent in = sample_intent();
	char id[AUDIT_ID_MAX], p[256];
	struct stat sb;

	assert_int_equal(audit_open(f->dir, 1000, 0, &log), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(audit_intent(log, &in, id), 0);
	audit_close(log);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_true(sb.st_size <= 1000);
	snprintf(p, sizeof(p), "%s.1", f->path);
	assert_int_not_equal(stat(p, &sb), 0);
}

static void test_find(void **state)
{
	struct fixture *f = *state;
	struct audit_log *log;
	struct audit_intent in = sample_intent();
	char ids[5][AUDIT_ID_MAX];
	json_t *e;

	assert_int_equal(audit_open(f->dir, 700, 5, &log), 0); /* one record per file */
	for (int i = 0; i < 5; i++)
		assert_int_equal(audit_intent(log, &in, ids[i]), 0);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(audit_find(log, ids[i], &e), 0);
		assert_string_equal(sget(e, "id"), ids[i]);
		json_decref(e);
	}
	assert_int_equal(audit_find(log, "12345", &e), -ENOENT);
	assert_null(e);
	audit_close(log);
}

/* Write failures are real (the file-size limit applies to root too): the
 * intent fails, health says why, nothing partial is left, and writing works
 * again once the cause is gone. */
static void test_failure_and_recovery(void **state)
{
	struct fixture *f = *state;
	struct audit_log *log;
	struct audit_intent in = sample_intent();
	struct audit_stats st;
	struct rlimit old, lim;
	char id[AUDIT_ID_MAX], id2[AUDIT_ID_MAX], msg[512];
	struct stat before, after;
	void (*oldsig)(int);
	int rc;
	json_t *lines;

	assert_int_equal(audit_open(f->dir, 0, 0, &log), 0);
	assert_int_equal(audit_intent(log, &in, id), 0);
	assert_int_equal(stat(f->path, &before), 0);

	oldsig = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)before.st_size + 10; /* a partial record would fit */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	strcpy(id2, "untouched");
	rc = audit_intent(log, &in, id2);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, oldsig);

	assert_int_equal(rc, -EFBIG);
	assert_string_equal(id2, "untouched");
	assert_int_equal(audit_health(log, msg, sizeof(msg)), -EFBIG);
	assert_non_null(strstr(msg, "audit.log"));
	assert_non_null(strstr(msg, "File too large"));
	audit_get_stats(log, &st);
	assert_int_equal(st.failures, 1);
	assert_int_equal(st.records, 1);
	assert_int_equal(stat(f->path, &after), 0);
	assert_int_equal(after.st_size, before.st_size); /* partial line taken back */

	/* recovery */
	assert_int_equal(audit_intent(log, &in, id2), 0);
	assert_true(strtoull(id2, NULL, 10) > strtoull(id, NULL, 10));
	assert_int_equal(audit_health(log, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "OK");
	audit_close(log);
	lines = read_lines(f->path);
	assert_int_equal(json_array_size(lines), 2);
	json_decref(lines);
}

/* The log file disappears behind the agent's back and its path cannot be
 * created (a directory sits there): open fails, then recovers. */
static void test_unwritable_path(void **state)
{
	struct fixture *f = *state;
	struct audit_log *log;
	struct audit_intent in = sample_intent();
	char id[AUDIT_ID_MAX], msg[512], moved[256];
	struct rlimit old, lim;
	void (*oldsig)(int);

	/* at open */
	assert_int_equal(mkdir(f->dir, 0700), 0);
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_true(audit_open(f->dir, 0, 0, &log) < 0);
	assert_int_equal(rmdir(f->path), 0);
	/* A FIFO in the log's place is refused at once (opening it would wait
	 * for a reader for ever: the start hung), and left as it is. */
	assert_int_equal(mkfifo(f->path, 0600), 0);
	alarm(10);
	assert_int_equal(audit_open(f->dir, 0, 0, &log), -EINVAL);
	alarm(0);
	assert_int_equal(unlink(f->path), 0);

	/* while running: a failed write closes the file; the reopen then finds
	 * a directory in its place */
	assert_int_equal(audit_open(f->dir, 0, 0, &log), 0);
	assert_int_equal(audit_intent(log, &in, id), 0);
	oldsig = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 1;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(audit_intent(log, &in, id), -EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, oldsig);
	snprintf(moved, sizeof(moved), "%s.moved", f->path);
	assert_int_equal(rename(f->path, moved), 0);
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_true(audit_intent(log, &in, id) < 0);
	assert_true(audit_health(log, msg, sizeof(msg)) < 0);
	assert_non_null(strstr(msg, "open"));
	assert_int_equal(rmdir(f->path), 0);
	assert_int_equal(audit_intent(log, &in, id), 0); /* a new audit.log */
	assert_int_equal(audit_health(log, NULL, 0), 0);
	audit_close(log);

	/* permission bits, where they apply (not as root) */
	if (geteuid() != 0) {
		char sub[256];
		snprintf(sub, sizeof(sub), "%s/ro", f->dir);
		assert_int_equal(mkdir(sub, 0500), 0);
		assert_int_equal(audit_open(sub, 0, 0, &log), -EACCES);
		chmod(sub, 0700);
	}
}

struct worker {
	struct audit_log *log;
	char ids[50][AUDIT_ID_MAX];
	int rc;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct audit_intent in = sample_intent();

	for (int i = 0; i < 50 && !w->rc; i++)
		w->rc = audit_intent(w->log, &in, w->ids[i]);
	return NULL;
}

static void test_threads(void **state)
{
	struct fixture *f = *state;
	struct audit_log *log;
	struct worker w[4];
	pthread_t t[4];
	json_t *entries, *seen = json_object();
	size_t total;

	assert_int_equal(audit_open(f->dir, 4000, 50, &log), 0);
	for (int i = 0; i < 4; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].log = log;
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].rc, 0);
		for (int k = 0; k < 50; k++) {
			assert_null(json_object_get(seen, w[i].ids[k]));
			json_object_set_new(seen, w[i].ids[k], json_true());
		}
	}
	assert_int_equal(audit_read(log, 0, 1000, &entries, &total), 0);
	assert_int_equal(total, 200);
	json_decref(entries);
	json_decref(seen);
	audit_close(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_format),
		cmocka_unit_test_setup_teardown(test_intent_and_result, setup, teardown),
		cmocka_unit_test_setup_teardown(test_denial_and_odd_strings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ids_across_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_keep_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_and_recovery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwritable_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

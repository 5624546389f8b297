/* The privileged step's trace pipe reaches the agent through the service
 * manager: --prepare-trace stores the pipe and a note with the manager (here
 * a datagram socket standing in for it), and the main process takes them
 * back from LISTEN_FDS as systemd passes them, keeping nothing else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/handover.h"
#include "cxl/kernel/trace.h"
#include "support/fake_tracefs.h"
#include "support/notify_listener.h"

/* Run the step in a child, as the unit does, answering as the manager:
 * the descriptors stored under each name (-1 when none) come back. */
static void run_step(struct notify_listener *m, const char *root, int *pipe_fd, int *note_fd)
{
	char msg[256];
	int status, fd;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		char err[512];
		_exit(handover_prepare_trace(root, err, sizeof(err)) ? 1 : 0);
	}
	*pipe_fd = *note_fd = -1;
	for (;;) {
		fd = notify_receive(m->fd, msg, sizeof(msg), 5000);
		assert_true(fd != -2);
		if (strcmp(msg, "BARRIER=1") == 0) {
			assert_true(fd >= 0);
			close(fd); /* the step waits for this */
			break;
		}
		assert_true(fd >= 0);
		if (strcmp(msg, "FDSTORE=1\nFDNAME=" HANDOVER_TRACE_PIPE) == 0)
			*pipe_fd = fd;
		else if (strcmp(msg, "FDSTORE=1\nFDNAME=" HANDOVER_TRACE_NOTE) == 0)
			*note_fd = fd;
		else
			fail_msg("unexpected message %s", msg);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static json_t *read_note(int fd)
{
	char buf[4096];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);
	assert_true(n > 0);
	return json_loadb(buf, (size_t)n, 0, NULL);
}

/* In a child (the descriptor numbers are fixed): put the descriptors at 3,
 * 4, ... as the manager passes them and set LISTEN_*. */
static void pass_as_manager(const int *fds, size_t n, const char *names)
{
	int moved[8];
	char count[8], pid[16];

	for (size_t i = 0; i < n; i++)
		moved[i] = fcntl(fds[i], F_DUPFD, 100);
	for (size_t i = 0; i < n; i++) {
		if (moved[i] < 0 || dup2(moved[i], 3 + (int)i) < 0)
			_exit(90);
		close(moved[i]);
	}
	snprintf(count, sizeof(count), "%zu", n);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("LISTEN_FDS", count, 1);
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDNAMES", names, 1);
}

#define CHILD_CHECK(cond)              \
	do {                           \
		if (!(cond))           \
			_exit(__LINE__ % 200 + 1); \
	} while (0)

static int child_status(pid_t pid)
{
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static bool closed(int fd)
{
	return fcntl(fd, F_GETFD) < 0 && errno == EBADF;
}

static void count_rec(void *arg, const struct cxl_trace_rec *rec)
{
	(void)rec;
	(*(int *)arg)++;
}

/* A kernel with the event trace points: the step opens the instance's
 * trace_pipe; the agent takes it (and only it), and records written to the
 * instance reach a reader made over it. */
static void test_pipe_handed_over(void **state)
{
	static const char line[] =
		"cxl_generic_event: memdev=mem0 host=0000:0d:00.0 serial=4096 log=Warning : "
		"time=1 uuid=fbcd0a77-c260-417f-85a9-088b1621eba6 len=128 flags='' handle=1a "
		"related_handle=0 maint_op_class=0 : 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d "
		"0e 0f 10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23 24 25 26 27 "
		"28 29 2a 2b 2c 2d 2e 2f 30 31 32 33 34 35 36 37 38 39 3a 3b 3c 3d 3e 3f 40 41 "
		"42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f\n";
	struct fake_tracefs t;
	struct notify_listener m;
	int pipe_fd, note_fd, stray;
	json_t *note;
	pid_t pid;
	(void)state;

	fake_tracefs(&t, true);
	notify_listen(&m);
	run_step(&m, t.root, &pipe_fd, &note_fd);
	assert_true(pipe_fd >= 0 && note_fd >= 0);
	note = read_note(note_fd);
	assert_non_null(strstr(json_string_value(json_object_get(note, "instance")),
			       "/instances/" CXL_KTRACE_INSTANCE));
	assert_non_null(strstr(json_string_value(json_object_get(note, "note")), "reading"));
	json_decref(note);

	stray = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(stray >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct handover h;
		struct cxl_ktrace *kt;
		char err[512], msg[256];
		const struct cxl_ktrace_handover *th;
		int fds[3] = { pipe_fd, note_fd, stray }, got = 0;

		pass_as_manager(fds, 3, HANDOVER_TRACE_PIPE ":" HANDOVER_TRACE_NOTE ":other");
		CHILD_CHECK(handover_take(&h, err, sizeof(err)) == 0);
		CHILD_CHECK(h.present && h.trace.fd == 3);
		CHILD_CHECK(fcntl(3, F_GETFD) & FD_CLOEXEC);
		CHILD_CHECK(closed(4) && closed(5)); /* read, and nobody's */
		CHILD_CHECK(!getenv("LISTEN_FDS") && !getenv("LISTEN_PID") &&
			    !getenv("LISTEN_FDNAMES"));
		/* the manager is asked to forget both */
		CHILD_CHECK(notify_receive(m.fd, msg, sizeof(msg), 5000) == -1);
		CHILD_CHECK(strcmp(msg, "FDSTOREREMOVE=1\nFDNAME=" HANDOVER_TRACE_PIPE) == 0);
		CHILD_CHECK(notify_receive(m.fd, msg, sizeof(msg), 5000) == -1);
		CHILD_CHECK(strcmp(msg, "FDSTOREREMOVE=1\nFDNAME=" HANDOVER_TRACE_NOTE) == 0);
		th = handover_trace(&h);
		CHILD_CHECK(th && th->fd == 3 && strstr(th->instance, CXL_KTRACE_INSTANCE));
		CHILD_CHECK(cxl_ktrace_adopt(th, &kt, err, sizeof(err)) == 0);
		handover_release(&h);
		CHILD_CHECK(closed(3));
		fake_writer(&t);
		put(&t, line, strlen(line));
		CHILD_CHECK(cxl_ktrace_poll(kt, count_rec, &got) == 1 && got == 1);
		cxl_ktrace_free(kt);
		_exit(0);
	}
	assert_int_equal(child_status(pid), 0);
	close(stray);
	close(pipe_fd);
	close(note_fd);
	notify_listener_close(&m);
	fake_remove(&t);
}

/* A kernel without them (6.1): no pipe, and the note says why, which is
 * what the Manager shows instead of a permission error. */
static void test_kernel_without_trace_points(void **state)
{
	struct fake_tracefs t;
	struct notify_listener m;
	int pipe_fd, note_fd;
	json_t *note;
	pid_t pid;
	(void)state;

	fake_tracefs(&t, false);
	notify_listen(&m);
	run_step(&m, t.root, &pipe_fd, &note_fd);
	assert_int_equal(pipe_fd, -1);
	assert_true(note_fd >= 0);
	note = read_note(note_fd);
	assert_string_equal(json_string_value(json_object_get(note, "instance")), "");
	assert_non_null(strstr(json_string_value(json_object_get(note, "note")),
			       "cxl_generic_event"));
	json_decref(note);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct handover h;
		struct cxl_ktrace *kt;
		char err[512];
		const struct cxl_ktrace_handover *th;

		pass_as_manager(&note_fd, 1, HANDOVER_TRACE_NOTE);
		CHILD_CHECK(handover_take(&h, err, sizeof(err)) == 0);
		th = handover_trace(&h);
		CHILD_CHECK(h.present && th && th->fd == -1 && closed(3));
		CHILD_CHECK(cxl_ktrace_adopt(th, &kt, err, sizeof(err)) == -ENOENT && !kt);
		CHILD_CHECK(strstr(err, "cxl_generic_event") != NULL);
		handover_release(&h);
		_exit(0);
	}
	assert_int_equal(child_status(pid), 0);
	close(note_fd);
	notify_listener_close(&m);
	fake_remove(&t);
}

/* Run by hand, outside the service: nobody to hand anything to. */
static void test_step_without_manager(void **state)
{
	char err[512];
	(void)state;

	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(handover_prepare_trace("/nonexistent", err, sizeof(err)), -ENOTCONN);
	assert_non_null(strstr(err, "NOTIFY_SOCKET"));
}

/* Nothing passed, or passed to another process: nothing taken, and the
 * variables are gone either way. Malformed ones are an error. */
static void test_take_nothing(void **state)
{
	struct handover h;
	char err[256] = "", pid[16];
	(void)state;

	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_PID");
	assert_int_equal(handover_take(&h, err, sizeof(err)), 0);
	assert_false(h.present);
	assert_null(handover_trace(&h));
	handover_release(&h);

	snprintf(pid, sizeof(pid), "%d", (int)getpid() + 1);
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "1", 1);
	setenv("LISTEN_FDNAMES", HANDOVER_TRACE_PIPE, 1);
	assert_int_equal(handover_take(&h, err, sizeof(err)), 0);
	assert_false(h.present);
	assert_null(getenv("LISTEN_FDS"));
	assert_null(getenv("LISTEN_FDNAMES"));

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "0x1", 1);
	assert_int_equal(handover_take(&h, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "LISTEN_FDS=0x1"));
	assert_false(h.present);
	assert_null(getenv("LISTEN_PID"));
}

static void test_parse(void **state)
{
	char names[4][64];
	size_t n = 99;
	char longname[80];
	(void)state;

	assert_int_equal(handover_parse("42", "2", "a:b", 42, names, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "a");
	assert_string_equal(names[1], "b");
	/* fewer names than descriptors: the rest are unnamed */
	assert_int_equal(handover_parse("42", "3", "a", 42, names, 4, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(names[1], "");
	assert_int_equal(handover_parse("42", "2", NULL, 42, names, 4, &n), 0);
	assert_string_equal(names[0], "");
	/* empty names between colons */
	assert_int_equal(handover_parse("42", "3", "::c", 42, names, 4, &n), 0);
	assert_string_equal(names[0], "");
	assert_string_equal(names[2], "c");
	/* not ours, or nothing */
	assert_int_equal(handover_parse("41", "2", "a:b", 42, names, 4, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(handover_parse(NULL, "2", "a:b", 42, names, 4, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(handover_parse("42", NULL, NULL, 42, names, 4, &n), 0);
	assert_int_equal(n, 0);
	/* malformed */
	assert_int_equal(handover_parse("42", "-1", NULL, 42, names, 4, &n), -EINVAL);
	assert_int_equal(handover_parse("42", "", NULL, 42, names, 4, &n), -EINVAL);
	assert_int_equal(handover_parse("4x", "1", NULL, 42, names, 4, &n), -EINVAL);
	assert_int_equal(handover_parse("42", "5", NULL, 42, names, 4, &n), -EINVAL);
	assert_int_equal(handover_parse("42", "99999999999999999999999", NULL, 42, names, 4, &n),
			 -EINVAL);
	assert_int_equal(handover_parse("42", "1", "a:b", 42, names, 4, &n), -EINVAL);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(handover_parse("42", "1", longname, 42, names, 4, &n), -EINVAL);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_take_nothing),
		cmocka_unit_test(test_step_without_manager),
		cmocka_unit_test(test_pipe_handed_over),
		cmocka_unit_test(test_kernel_without_trace_points),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Service manager notifications reach the socket named by NOTIFY_SOCKET in
 * systemd's datagram format, do nothing without it, and the watchdog interval
 * is read from WATCHDOG_USEC only for this process. Descriptors reach the
 * descriptor store with their names, and a barrier waits for the manager. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/notify.h"
#include "support/notify_listener.h"

static void receive(struct notify_listener *l, char *buf, size_t len)
{
	assert_int_equal(notify_receive(l->fd, buf, len, 0), -1);
}

static void test_lifecycle_messages(void **state)
{
	struct notify_listener l;
	char msg[256];
	(void)state;

	notify_listen(&l);
	assert_int_equal(notify_ready("serving 2 device(s)"), 0);
	receive(&l, msg, sizeof(msg));
	assert_string_equal(msg, "READY=1\nSTATUS=serving 2 device(s)");

	assert_int_equal(notify_reloading(), 0);
	receive(&l, msg, sizeof(msg));
	assert_non_null(strstr(msg, "RELOADING=1\n"));
	assert_non_null(strstr(msg, "MONOTONIC_USEC="));

	assert_int_equal(notify_watchdog(), 0);
	receive(&l, msg, sizeof(msg));
	assert_string_equal(msg, "WATCHDOG=1");

	assert_int_equal(notify_stopping(), 0);
	receive(&l, msg, sizeof(msg));
	assert_non_null(strstr(msg, "STOPPING=1"));

	assert_int_equal(notify_failed("/etc/x.json:3:24: bad", 22), 0);
	receive(&l, msg, sizeof(msg));
	assert_string_equal(msg, "STATUS=/etc/x.json:3:24: bad\nERRNO=22");
	notify_listener_close(&l);
}

static void test_without_manager_is_silent(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(notify_ready("x"), 0);
	assert_int_equal(notify_watchdog(), 0);
	assert_int_equal(notify_stopping(), 0);
}

/* systemd names an abstract socket with a leading '@'. */
static void test_abstract_socket(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char name[64], msg[64];
	size_t len;
	int fd;
	(void)state;

	len = (size_t)snprintf(name, sizeof(name), "@cxla-notify-%ld", (long)getpid());
	memcpy(sa.sun_path, name, len);
	sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa,
			      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", name, 1), 0);
	assert_int_equal(notify_ready("up"), 0);
	len = (size_t)recv(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT);
	assert_true(len > 0 && len < sizeof(msg));
	msg[len] = '\0';
	assert_string_equal(msg, "READY=1\nSTATUS=up");

	/* Neither a path nor an abstract name: refused, not sent elsewhere. */
	assert_int_equal(setenv("NOTIFY_SOCKET", "relative/sock", 1), 0);
	assert_true(notify_watchdog() < 0);
	unsetenv("NOTIFY_SOCKET");
	close(fd);
}

/* The descriptor store: the descriptor itself reaches the manager under its
 * name; removal names it; names systemd would refuse are refused here. */
static void test_store_fd(void **state)
{
	struct notify_listener l;
	char msg[256], got[8] = "";
	int p[2], fd;
	(void)state;

	notify_listen(&l);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(notify_store_fd("cxl-trace", p[0]), 0);
	fd = notify_receive(l.fd, msg, sizeof(msg), 0);
	assert_string_equal(msg, "FDSTORE=1\nFDNAME=cxl-trace");
	assert_true(fd >= 0 && fd != p[0]);
	/* the same pipe: what is written at one end is read at the copy */
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(read(fd, got, 1), 1);
	assert_string_equal(got, "x");
	close(fd);

	assert_int_equal(notify_remove_fd("cxl-trace"), 0);
	assert_int_equal(notify_receive(l.fd, msg, sizeof(msg), 0), -1);
	assert_string_equal(msg, "FDSTOREREMOVE=1\nFDNAME=cxl-trace");

	assert_int_equal(notify_store_fd("a:b", p[0]), -EINVAL);
	assert_int_equal(notify_store_fd("", p[0]), -EINVAL);
	assert_int_equal(notify_store_fd("new\nREADY=1", p[0]), -EINVAL);
	assert_int_equal(notify_store_fd("ok", -1), -EINVAL);
	assert_int_equal(notify_remove_fd("a b"), -EINVAL);
	notify_listener_close(&l);

	/* nobody to keep it: an error, unlike the status messages */
	assert_false(notify_manager_present());
	assert_int_equal(notify_store_fd("cxl-trace", p[0]), -ENOTCONN);
	close(p[0]);
	close(p[1]);
}

/* BARRIER=1 returns once the manager closes its copy of the pipe it was
 * sent, and gives up after the timeout when it never does. */
static void test_barrier(void **state)
{
	struct notify_listener l;
	char msg[64];
	int fd;
	pid_t pid;
	(void)state;

	assert_int_equal(notify_barrier(10), 0); /* no manager: nothing to wait for */
	notify_listen(&l);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* the manager: takes the barrier and lets it go */
		fd = notify_receive(l.fd, msg, sizeof(msg), 5000);
		_exit(strcmp(msg, "BARRIER=1") == 0 && fd >= 0 ? 0 : 2);
	}
	assert_int_equal(notify_barrier(5000), 0);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* a manager that keeps it */
	assert_int_equal(notify_barrier(50), -ETIMEDOUT);
	fd = notify_receive(l.fd, msg, sizeof(msg), 0);
	assert_string_equal(msg, "BARRIER=1");
	close(fd);
	notify_listener_close(&l);
}

static void test_watchdog_interval(void **state)
{
	char pid[32];
	(void)state;

	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	assert_true(notify_watchdog_usec() == 0);

	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_USEC", "30000000", 1);
	setenv("WATCHDOG_PID", pid, 1);
	assert_true(notify_watchdog_usec() == 30000000u);

	/* Armed for another process (a parent that exec'd us): not ours. */
	snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_USEC", "30000000", 1);
	setenv("WATCHDOG_PID", pid, 1);
	assert_true(notify_watchdog_usec() == 0);

	/* Without WATCHDOG_PID the interval is for whoever reads it. */
	unsetenv("WATCHDOG_PID");
	assert_true(notify_watchdog_usec() == 30000000u);
	setenv("WATCHDOG_USEC", "30s", 1);
	assert_true(notify_watchdog_usec() == 0);
	unsetenv("WATCHDOG_USEC");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle_messages),
		cmocka_unit_test(test_without_manager_is_silent),
		cmocka_unit_test(test_abstract_socket),
		cmocka_unit_test(test_watchdog_interval),
		cmocka_unit_test(test_store_fd),
		cmocka_unit_test(test_barrier),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

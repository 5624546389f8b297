/* Service manager notifications reach the socket named by NOTIFY_SOCKET in
 * systemd's datagram format, do nothing without it, and the watchdog interval
 * is read from WATCHDOG_USEC only for this process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/notify.h"
#include "support/tmpdir.h"

struct listener {
	char dir[64];
	char path[80];
	int fd;
};

static void listen_on(struct listener *l)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	assert_int_equal(tmpdir_make(l->dir, sizeof(l->dir), "notify"), 0);
	snprintf(l->path, sizeof(l->path), "%s/sock", l->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", l->path);
	l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(l->fd >= 0);
	assert_int_equal(bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", l->path, 1), 0);
}

static void listener_close(struct listener *l)
{
	close(l->fd);
	unlink(l->path);
	rmdir(l->dir);
	unsetenv("NOTIFY_SOCKET");
}

static void receive(struct listener *l, char *buf, size_t len)
{
	ssize_t n = recv(l->fd, buf, len - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	buf[n] = '\0';
}

static void test_lifecycle_messages(void **state)
{
	struct listener l;
	char msg[256];
	(void)state;

	listen_on(&l);
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
	listener_close(&l);
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The user the agent runs as, and the front's confinement in a child
 * process: after sandbox_drop() no capability is left (bounding set
 * included) and no_new_privs is set; under the filter a thread can still be
 * made, a local socket opened, an outgoing TCP connection tried (event
 * subscriptions), a UDP socket made (the resolver) and the kernel's routing
 * socket opened and bound (getaddrinfo), while a raw or packet socket,
 * another netlink family, a ping socket, listen(2), a new process, a
 * namespace or an execve kills the process with SIGSYS. */
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "broker/sandbox.h"

static void test_user_resolution(void **state)
{
	struct sandbox_user u;
	char err[256] = "";

	(void)state;
	assert_int_equal(sandbox_user_resolve("no-such-user-here", &u, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "does not exist"));
	if (geteuid() != 0)
		skip();
	assert_int_equal(sandbox_user_resolve("nobody", &u, err, sizeof(err)), 0);
	assert_true(u.change);
	assert_int_equal(u.uid, getpwnam("nobody")->pw_uid);
	assert_int_equal(sandbox_user_resolve("root", &u, err, sizeof(err)), 0);
	assert_int_equal(u.uid, 0);
	if (!getpwnam(SANDBOX_DEFAULT_USER)) {
		assert_int_equal(sandbox_user_resolve(NULL, &u, err, sizeof(err)), -ENOENT);
		assert_non_null(strstr(err, "useradd --system " SANDBOX_DEFAULT_USER));
	} else {
		assert_int_equal(sandbox_user_resolve(NULL, &u, err, sizeof(err)), 0);
		assert_string_equal(u.name, SANDBOX_DEFAULT_USER);
	}
}

static long status_field(const char *name)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, name, strlen(name)) == 0 && line[strlen(name)] == ':')
			v = strtol(line + strlen(name) + 1, NULL, 16);
	if (f)
		fclose(f);
	return v;
}

static void *nothing(void *arg)
{
	return arg;
}

enum which { NO_FILTER, FRONT, BROKER };

/* Run what() in a child confined as the front or the broker; the child's
 * wait status. */
static int confined(int (*what)(void), enum which filter)
{
	pid_t pid = fork();
	int status = 0;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct sandbox_user u;
		char err[256];
		if (sandbox_user_resolve("nobody", &u, err, sizeof(err)) ||
		    sandbox_drop(&u, err, sizeof(err)) ||
		    (filter == FRONT && sandbox_front_filter(err, sizeof(err))) ||
		    (filter == BROKER && sandbox_broker_filter(getppid(), err, sizeof(err)))) {
			fprintf(stderr, "%s\n", err);
			_exit(100);
		}
		_exit(what());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static int check_dropped(void)
{
	if (getuid() != getpwnam("nobody")->pw_uid || status_field("CapEff") != 0 ||
	    status_field("CapPrm") != 0 || status_field("CapBnd") != 0 ||
	    status_field("CapInh") != 0 || status_field("NoNewPrivs") != 1 || setuid(0) == 0)
		return 1;
	return 0;
}

static int outgoing_work(void);

static int allowed_work(void)
{
	pthread_t t;
	int sv[2];

	if (status_field("Seccomp") != 2)
		return 2;
	if (pthread_create(&t, NULL, nothing, NULL) || pthread_join(t, NULL))
		return 3;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 4;
	close(sv[0]);
	close(sv[1]);
	return outgoing_work();
}

/* What glibc's resolver does for a name not in /etc/hosts: a connected UDP
 * socket, the A and AAAA queries sent together with sendmmsg, an answer
 * waited for. Here to a loopback port nobody listens on. */
static int resolver_query(const struct sockaddr_in *to)
{
	char q[2][12] = { { 0 } };
	struct iovec iov[2] = { { q[0], sizeof(q[0]) }, { q[1], sizeof(q[1]) } };
	struct mmsghdr m[2] = { { .msg_hdr = { .msg_iov = &iov[0], .msg_iovlen = 1 } },
				{ .msg_hdr = { .msg_iov = &iov[1], .msg_iovlen = 1 } } };
	char answer[64];
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return 9;
	/* the port's refusal may come back between the two */
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) < 0 ||
	    (sendmmsg(fd, m, 2, 0) < 1 && errno != ECONNREFUSED))
		rc = 12;
	/* nothing answers: refused or nothing yet, never a kill */
	if (!rc && recvfrom(fd, answer, sizeof(answer), 0, NULL, NULL) >= 0)
		rc = 13;
	close(fd);
	return rc;
}

/* What event delivery does: a TCP connection out (refused here: nothing
 * listens on the port just bound and released), a UDP socket for the
 * resolver's queries, the routing socket bound as getaddrinfo() binds it. */
static int outgoing_work(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	socklen_t len = sizeof(sin);
	int fd, rc = 0;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP)) < 0)
		return 5;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0)
		rc = 6;
	close(fd);
	if (!rc && (fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) < 0)
		rc = 7;
	if (!rc && (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 ||
		    (errno != ECONNREFUSED && errno != EINPROGRESS)))
		rc = 8;
	if (fd >= 0)
		close(fd);
	if (!rc)
		rc = resolver_query(&sin);
	/* IPv6 may be off in the kernel: refused, but not killed */
	if (!rc && (fd = socket(AF_INET6, SOCK_STREAM, 0)) >= 0)
		close(fd);
	if (!rc && (fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) < 0)
		rc = 10;
	if (!rc && bind(fd, (struct sockaddr *)&snl, sizeof(snl)) < 0)
		rc = 11;
	if (fd >= 0)
		close(fd);
	return rc;
}

static int raw_socket(void)
{
	return socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) >= 0 ? 0 : 1;
}

static int ping_socket(void)
{
	return socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) >= 0 ? 0 : 1;
}

static int packet_socket(void)
{
	return socket(AF_PACKET, SOCK_DGRAM, 0) >= 0 ? 0 : 1;
}

static int netlink_other(void)
{
	return socket(AF_NETLINK, SOCK_RAW, NETLINK_KOBJECT_UEVENT) >= 0 ? 0 : 1;
}

static int listening(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	return fd >= 0 && listen(fd, 1) == 0 ? 0 : 1;
}

static int new_process(void)
{
	return (int)syscall(SYS_fork) >= 0 ? 0 : 1;
}

static int new_namespace(void)
{
	return unshare(CLONE_NEWUSER) == 0 ? 0 : 1;
}

static int run_program(void)
{
	char *argv[] = { "/bin/true", NULL };
	execv(argv[0], argv);
	return 1;
}

static void test_drop_and_filter(void **state)
{
	int (*const forbidden[])(void) = { raw_socket, ping_socket,   packet_socket, netlink_other,
					   listening,  new_process,   new_namespace, run_program };
	int st;

	(void)state;
	if (geteuid() != 0)
		skip();
	st = confined(check_dropped, NO_FILTER);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	st = confined(allowed_work, FRONT);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
		st = confined(forbidden[i], FRONT);
		if (!WIFSIGNALED(st))
			fail_msg("forbidden call %zu was not killed (status %d)", i, st);
		assert_int_equal(WTERMSIG(st), SIGSYS);
	}
}

/* The broker's work: its signals, the audit log's files, a local datagram
 * socket (sd_notify), a signal to its front (here: the parent), threads. */
static int broker_work(void)
{
	char dir[] = "/tmp/cxla-sandbox-XXXXXX", a[64], b[64];
	sigset_t set;
	pthread_t t;
	int fd, rc = 0;

	if (status_field("Seccomp") != 2)
		return 2;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	if ((fd = signalfd(-1, &set, SFD_CLOEXEC)) < 0 || close(fd))
		return 3;
	if (pthread_create(&t, NULL, nothing, NULL) || pthread_join(t, NULL))
		return 4;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 || close(fd))
		return 5;
	/* the test's parent is root: refused by the kernel, not the filter */
	if (kill(getppid(), 0) < 0 && errno != EPERM)
		return 6;
	if (!mkdtemp(dir))
		return 7;
	snprintf(a, sizeof(a), "%s/audit.log", dir);
	snprintf(b, sizeof(b), "%s/audit.log.1", dir);
	if ((fd = open(a, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0)
		return 8;
	if (write(fd, "{}\n", 3) != 3 || fdatasync(fd) || fsync(fd))
		rc = 9;
	close(fd);
	if (!rc && (rename(a, b) || unlink(b) || unlinkat(AT_FDCWD, dir, AT_REMOVEDIR)))
		rc = 10;
	return rc;
}

static int inet_socket(void)
{
	return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 0 : 1;
}

static int signal_other(void)
{
	return kill(1, 0) == 0 ? 0 : 1;
}

static void test_broker_filter(void **state)
{
	int (*const forbidden[])(void) = { inet_socket, netlink_other, packet_socket, listening,
					   signal_other, new_process, new_namespace, run_program };
	int st;

	(void)state;
	if (geteuid() != 0)
		skip();
	st = confined(broker_work, BROKER);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
		st = confined(forbidden[i], BROKER);
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS)
			fail_msg("forbidden call %zu was not killed (status %d)", i, st);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_resolution),
		cmocka_unit_test(test_drop_and_filter),
		cmocka_unit_test(test_broker_filter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

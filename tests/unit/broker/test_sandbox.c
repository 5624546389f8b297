/* The user the agent runs as, and the front's confinement in a child
 * process: after sandbox_drop() no capability is left (bounding set
 * included) and no_new_privs is set; under the filter a thread can still be
 * made and a local socket opened, while a network socket, a new process,
 * a namespace or an execve kills the process with SIGSYS. */
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

/* Run what(n) in a child confined as the front; the child's wait status. */
static int confined(int (*what)(void), bool filter)
{
	pid_t pid = fork();
	int status = 0;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct sandbox_user u;
		char err[256];
		if (sandbox_user_resolve("nobody", &u, err, sizeof(err)) ||
		    sandbox_drop(&u, err, sizeof(err)) ||
		    (filter && sandbox_front_filter(err, sizeof(err)))) {
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
	return 0;
}

static int network_socket(void)
{
	return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 0 : 1;
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
	int (*const forbidden[])(void) = { network_socket, new_process, new_namespace, run_program };
	int st;

	(void)state;
	if (geteuid() != 0)
		skip();
	st = confined(check_dropped, false);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	st = confined(allowed_work, true);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
		st = confined(forbidden[i], true);
		assert_true(WIFSIGNALED(st));
		assert_int_equal(WTERMSIG(st), SIGSYS);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user_resolution),
		cmocka_unit_test(test_drop_and_filter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

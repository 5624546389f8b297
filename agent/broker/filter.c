/* The two processes' system call filters (sandbox.h).
 *
 * The front's is an allow list: what
 * libmicrohttpd, GnuTLS, OpenSSL, jansson, glibc's threads and allocator and
 * the agent's own request handling, accounts file and broker session use,
 * and what event delivery over libcurl needs (outgoing TCP, the resolver).
 * Anything else kills the whole process (SECCOMP_RET_KILL_PROCESS), so a
 * takeover of the TLS-facing code cannot open devices, create namespaces,
 * trace, load modules, execute programs, open raw or packet sockets or
 * listen on a new port.
 *
 * The broker's, loaded once it has opened everything and dropped its
 * privileges, allows what serving the front needs: its session socket and
 * signals, waiting for the front, device ioctls and reads of sysfs and the
 * trace pipe, the audit log's file work (write, sync, rotate), MCTP and
 * local sockets (sd_notify, syslog). It refuses (kills on) what the front's
 * refuses besides: no execve, no new process, no namespace, no ptrace, no
 * network socket, nothing that accepts a connection. */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/sandbox.h"

/* What both processes use. */
static const int common[] = {
	/* memory and threads */
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mprotect), SCMP_SYS(mremap),
	SCMP_SYS(madvise), SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(get_robust_list),
	SCMP_SYS(rseq), SCMP_SYS(set_tid_address), SCMP_SYS(sched_yield),
	SCMP_SYS(sched_getaffinity), SCMP_SYS(membarrier), SCMP_SYS(exit), SCMP_SYS(exit_group),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getuid), SCMP_SYS(geteuid),
	SCMP_SYS(getgid), SCMP_SYS(getegid), SCMP_SYS(getppid), SCMP_SYS(prlimit64),
	SCMP_SYS(getrlimit), SCMP_SYS(getrusage), SCMP_SYS(uname), SCMP_SYS(sysinfo),
	SCMP_SYS(getrandom), SCMP_SYS(restart_syscall),
	/* time */
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
	/* signals (sigwait, pthread_kill, the broker-gone SIGTERM to itself) */
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigtimedwait), SCMP_SYS(sigaltstack), SCMP_SYS(tgkill), SCMP_SYS(tkill),
	/* descriptors, files (accounts, service-uuid, /proc reads of glibc) */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(pread64),
	SCMP_SYS(pwrite64), SCMP_SYS(close), SCMP_SYS(dup), SCMP_SYS(dup2), SCMP_SYS(dup3),
	SCMP_SYS(fcntl), SCMP_SYS(lseek), SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx),
	SCMP_SYS(stat), SCMP_SYS(lstat), SCMP_SYS(openat), SCMP_SYS(open), SCMP_SYS(access),
	SCMP_SYS(faccessat), SCMP_SYS(faccessat2), SCMP_SYS(getdents64), SCMP_SYS(fsync),
	SCMP_SYS(fdatasync), SCMP_SYS(ftruncate), SCMP_SYS(rename), SCMP_SYS(renameat),
	SCMP_SYS(renameat2), SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(fchmod),
	SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(getcwd), SCMP_SYS(umask),
	SCMP_SYS(pipe2), SCMP_SYS(eventfd2), SCMP_SYS(ioctl),
	/* sockets already open (the session, connections, devices' MCTP) */
	SCMP_SYS(recvfrom), SCMP_SYS(sendto),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(shutdown), SCMP_SYS(setsockopt),
	SCMP_SYS(getsockopt), SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(poll),
	SCMP_SYS(ppoll), SCMP_SYS(select), SCMP_SYS(pselect6), SCMP_SYS(epoll_create1),
	SCMP_SYS(epoll_create), SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait),
	/* the front: outgoing connections (event subscriptions, the resolver,
	 * which sends its A and AAAA queries together with sendmmsg) and bind
	 * for the routing socket getaddrinfo() reads; the broker: sd_notify,
	 * syslog */
	SCMP_SYS(connect), SCMP_SYS(bind), SCMP_SYS(sendmmsg),
#if defined(__SANITIZE_ADDRESS__)
	/* The sanitizer build's leak check at exit stops the world: a helper
	 * task (a clone without CLONE_THREAD) that attaches to every thread.
	 * Never in a release build. */
	SCMP_SYS(ptrace), SCMP_SYS(wait4), SCMP_SYS(prctl), SCMP_SYS(sched_getparam),
	SCMP_SYS(getdents),
	SCMP_SYS(clone),
#endif
};

/* The front alone: the listening sockets exist already. */
static const int front_only[] = {
	SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(sendfile),
};

/* The broker alone: its signals, the front's end, the audit directory. */
static const int broker_only[] = {
	SCMP_SYS(signalfd4), SCMP_SYS(signalfd), SCMP_SYS(waitid),
#if !defined(__SANITIZE_ADDRESS__)
	SCMP_SYS(wait4),
#endif
	SCMP_SYS(mkdir), SCMP_SYS(mkdirat), SCMP_SYS(flock), SCMP_SYS(fallocate),
};

static int add_list(scmp_filter_ctx ctx, const int *list, size_t n)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < n; i++)
		if (list[i] >= 0)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, list[i], 0);
	return rc;
}

/* New sockets: local ones (syslog, libcurl's wake-up pairs); outgoing TCP
 * for event subscriptions and UDP for the resolver, over IPv4 and IPv6; and
 * the kernel's routing socket, which getaddrinfo() reads for AI_ADDRCONFIG.
 * Push delivery parses whatever a subscriber's server answers, so it stays
 * here, in the confined process, rather than in the broker: the front is
 * network-facing anyway, and an outgoing connection reaches no device and
 * no audit record. Raw and packet sockets, every other netlink family and
 * every other address family stay refused (the process is killed). No
 * listen(2): the front cannot open a new listening port. */
static int add_socket_rules(scmp_filter_ctx ctx)
{
	static const struct {
		int type, protocol;
	} inet[] = {
		{ SOCK_STREAM, 0 }, { SOCK_STREAM, IPPROTO_TCP },
		{ SOCK_DGRAM, 0 },  { SOCK_DGRAM, IPPROTO_UDP },
	};
	/* socket()'s type carries SOCK_NONBLOCK and SOCK_CLOEXEC beside it */
	const scmp_datum_t type_mask = 0xf;
	int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				  SCMP_A0(SCMP_CMP_EQ, AF_UNIX, 0));

	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1,
				      SCMP_A0(SCMP_CMP_EQ, AF_UNIX, 0));
	for (int fam = 0; fam < 2; fam++)
		for (size_t i = 0; !rc && i < sizeof(inet) / sizeof(inet[0]); i++)
			rc = seccomp_rule_add(
				ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 3,
				SCMP_A0(SCMP_CMP_EQ, fam ? AF_INET6 : AF_INET, 0),
				SCMP_A1(SCMP_CMP_MASKED_EQ, type_mask, (scmp_datum_t)inet[i].type),
				SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)inet[i].protocol, 0));
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 3,
				      SCMP_A0(SCMP_CMP_EQ, AF_NETLINK, 0),
				      SCMP_A1(SCMP_CMP_MASKED_EQ, type_mask, SOCK_RAW),
				      SCMP_A2(SCMP_CMP_EQ, NETLINK_ROUTE, 0));
	return rc;
}

/* The broker's new sockets: local ones (sd_notify, syslog) and AF_MCTP
 * datagrams to the devices' endpoints. */
static int add_broker_socket_rules(scmp_filter_ctx ctx)
{
	int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				  SCMP_A0(SCMP_CMP_EQ, AF_UNIX, 0));

	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2,
				      SCMP_A0(SCMP_CMP_EQ, AF_MCTP, 0),
				      SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_DGRAM));
	return rc;
}

static int add_common_rules(scmp_filter_ctx ctx)
{
	int rc = add_list(ctx, common, sizeof(common) / sizeof(common[0]));
	/* Threads, not processes: clone only with CLONE_THREAD (glibc's
	 * pthread_create); clone3 answers ENOSYS so glibc falls back to clone,
	 * whose flags the filter can see. */
#if !defined(__SANITIZE_ADDRESS__)
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				      SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
#endif
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
#if !defined(__SANITIZE_ADDRESS__)
	/* Thread names (glibc names the calling thread with prctl): a thread
	 * the server started just before the filter may name itself after. */
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
				      SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME, 0));
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
				      SCMP_A0(SCMP_CMP_EQ, PR_GET_NAME, 0));
#endif
	/* kill(2) goes to this process (the front's broker-gone path) */
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
				      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0));
	return rc;
}

static int add_front_rules(scmp_filter_ctx ctx, pid_t front)
{
	int rc = add_common_rules(ctx);

	(void)front;
	if (!rc)
		rc = add_list(ctx, front_only, sizeof(front_only) / sizeof(front_only[0]));
	return rc ? rc : add_socket_rules(ctx);
}

static int add_broker_rules(scmp_filter_ctx ctx, pid_t front)
{
	int rc = add_common_rules(ctx);

	if (!rc)
		rc = add_list(ctx, broker_only, sizeof(broker_only) / sizeof(broker_only[0]));
	if (!rc)
		rc = add_broker_socket_rules(ctx);
	/* ...and to the front, to stop it */
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
				      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)front, 0));
	return rc;
}

static int load(int (*add)(scmp_filter_ctx, pid_t), pid_t front, char *err, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int rc;

	if (!ctx) {
		snprintf(err, errlen, "seccomp: cannot make a filter");
		return -ENOMEM;
	}
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (!rc)
		rc = add(ctx, front);
	if (!rc)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc)
		snprintf(err, errlen, "seccomp: cannot load the system call filter: %s",
			 strerror(-rc));
	return rc;
}

int sandbox_front_filter(char *err, size_t errlen)
{
	return load(add_front_rules, 0, err, errlen);
}

int sandbox_broker_filter(pid_t front, char *err, size_t errlen)
{
	return load(add_broker_rules, front, err, errlen);
}

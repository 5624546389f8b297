#include "app/notify.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* The manager's address from NOTIFY_SOCKET: 0 and *salen set, 1 when there
 * is no manager to tell, or -errno. */
static int notify_address(struct sockaddr_un *sa, socklen_t *salen)
{
	const char *where = getenv("NOTIFY_SOCKET");
	size_t plen;

	if (!where || !where[0])
		return 1;
	if (where[0] != '/' && where[0] != '@')
		return -EAFNOSUPPORT;
	plen = strlen(where);
	if (plen >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, where, plen);
	if (where[0] == '@')
		sa->sun_path[0] = '\0';
	/* An abstract name is exactly plen bytes long; a path ends at its NUL. */
	*salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + (where[0] == '/'));
	return 0;
}

/* Send msg (len bytes), with fd beside it as SCM_RIGHTS when fd >= 0. */
static int notify_sendmsg(const char *msg, size_t len, int fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct sockaddr_un sa;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	socklen_t salen;
	ssize_t n;
	int sock, rc = notify_address(&sa, &salen);

	if (rc)
		return rc > 0 ? 0 : rc;
	mh.msg_name = &sa;
	mh.msg_namelen = salen;
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	if (n < 0)
		rc = -errno;
	else if ((size_t)n != len)
		rc = -EIO;
	close(sock);
	return rc;
}

/* The protocol is one datagram of NEWLINE-separated assignments to the
 * AF_UNIX socket named by NOTIFY_SOCKET (a path, or '@' for the abstract
 * namespace), as systemd documents it for independent implementations.
 * Speaking it directly keeps libsystemd and its compression and crypto
 * libraries out of the process: they cost about 0.8 MiB resident for
 * nothing else. */
__attribute__((format(printf, 2, 0))) static int notify_vsend(int fd, const char *fmt,
								 va_list ap)
{
	char msg[512];
	int len = vsnprintf(msg, sizeof(msg), fmt, ap);

	if (len < 0 || (size_t)len >= sizeof(msg))
		return -EMSGSIZE;
	return notify_sendmsg(msg, (size_t)len, fd);
}

__attribute__((format(printf, 1, 2))) static int notify_send(const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = notify_vsend(-1, fmt, ap);
	va_end(ap);
	return rc;
}

__attribute__((format(printf, 2, 3))) static int notify_send_fd(int fd, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = notify_vsend(fd, fmt, ap);
	va_end(ap);
	return rc;
}

int notify_ready(const char *status)
{
	return notify_send("READY=1\nSTATUS=%s", status ? status : "");
}

int notify_reloading(void)
{
	struct timespec now;

	if (clock_gettime(CLOCK_MONOTONIC, &now) < 0)
		return -errno;
	return notify_send("RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=%llu",
			   (unsigned long long)now.tv_sec * 1000000ull +
				   (unsigned long long)now.tv_nsec / 1000ull);
}

int notify_stopping(void)
{
	return notify_send("STOPPING=1\nSTATUS=stopping");
}

int notify_failed(const char *why, int errnum)
{
	return notify_send("STATUS=%s\nERRNO=%d", why ? why : "", errnum);
}

int notify_watchdog(void)
{
	return notify_send("WATCHDOG=1");
}

static int parse_u64(const char *s, unsigned long long *out)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

uint64_t notify_watchdog_usec(void)
{
	unsigned long long usec, pid;
	const char *want_pid = getenv("WATCHDOG_PID");

	if (parse_u64(getenv("WATCHDOG_USEC"), &usec) || usec == 0)
		return 0;
	/* Set by a manager for a process that then exec'd us: not ours. */
	if (want_pid && (parse_u64(want_pid, &pid) || pid != (unsigned long long)getpid()))
		return 0;
	return usec;
}

bool notify_manager_present(void)
{
	const char *where = getenv("NOTIFY_SOCKET");
	return where && where[0];
}

/* FDNAME is at most 255 characters of the portable set, no ':'. */
static bool fd_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("-_.", name[i]))
			return false;
	return true;
}

int notify_store_fd(const char *name, int fd)
{
	if (!fd_name_ok(name) || fd < 0)
		return -EINVAL;
	if (!notify_manager_present())
		return -ENOTCONN;
	return notify_send_fd(fd, "FDSTORE=1\nFDNAME=%s", name);
}

int notify_remove_fd(const char *name)
{
	if (!fd_name_ok(name))
		return -EINVAL;
	return notify_send("FDSTOREREMOVE=1\nFDNAME=%s", name);
}

int notify_barrier(int timeout_ms)
{
	struct pollfd p = { .events = POLLIN };
	int pipefd[2], rc;

	if (!notify_manager_present())
		return 0;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	rc = notify_send_fd(pipefd[1], "BARRIER=1");
	close(pipefd[1]);
	if (rc == 0) {
		/* The manager closes its copy of the write end once it has
		 * dealt with everything sent before: the read end then hangs up. */
		p.fd = pipefd[0];
		do
			rc = poll(&p, 1, timeout_ms);
		while (rc < 0 && errno == EINTR);
		rc = rc < 0 ? -errno : rc == 0 ? -ETIMEDOUT : 0;
	}
	close(pipefd[0]);
	return rc;
}

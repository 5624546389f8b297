#include "app/notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* The protocol is one datagram of NEWLINE-separated assignments to the
 * AF_UNIX socket named by NOTIFY_SOCKET (a path, or '@' for the abstract
 * namespace), as systemd documents it for independent implementations.
 * Speaking it directly keeps libsystemd and its compression and crypto
 * libraries out of the process: they cost about 0.8 MiB resident for
 * nothing else. */
__attribute__((format(printf, 1, 2))) static int notify_send(const char *fmt, ...)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *where = getenv("NOTIFY_SOCKET");
	char msg[512];
	size_t plen;
	socklen_t salen;
	va_list ap;
	ssize_t n;
	int fd, len, rc = 0;

	if (!where || !where[0])
		return 0;
	if (where[0] != '/' && where[0] != '@')
		return -EAFNOSUPPORT;
	plen = strlen(where);
	if (plen >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, where, plen);
	if (where[0] == '@')
		sa.sun_path[0] = '\0';
	/* An abstract name is exactly plen bytes long; a path ends at its NUL. */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + (where[0] == '/'));

	va_start(ap, fmt);
	len = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(msg))
		return -EMSGSIZE;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	n = sendto(fd, msg, (size_t)len, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
	if (n < 0)
		rc = -errno;
	else if (n != len)
		rc = -EIO;
	close(fd);
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

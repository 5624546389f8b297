/* The service manager's notification socket, for tests (notify_listener.h). */
#include "support/notify_listener.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "support/tmpdir.h"

void notify_listen(struct notify_listener *l)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	assert_int_equal(tmpdir_make(l->dir, sizeof(l->dir), "notify"), 0);
	snprintf(l->path, sizeof(l->path), "%s/sock", l->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", l->path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	l->fd = fcntl(fd, F_DUPFD_CLOEXEC, 200);
	assert_true(l->fd >= 200);
	close(fd);
	assert_int_equal(setenv("NOTIFY_SOCKET", l->path, 1), 0);
}

void notify_listener_close(struct notify_listener *l)
{
	close(l->fd);
	unlink(l->path);
	assert_int_equal(tmpdir_remove(l->dir), 0);
	unsetenv("NOTIFY_SOCKET");
}

int notify_receive(int sock, char *buf, size_t len, int timeout_ms)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = len - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf) };
	struct pollfd p = { .fd = sock, .events = POLLIN };
	struct cmsghdr *c;
	ssize_t n;
	int fd = -1;

	buf[0] = '\0';
	if (poll(&p, 1, timeout_ms) != 1)
		return -2;
	n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -2;
	buf[n] = '\0';
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

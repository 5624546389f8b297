/* A stand-in for the service manager's notification socket: a datagram
 * socket in a temporary directory, named by NOTIFY_SOCKET while it is open. */
#ifndef CXLA_TEST_NOTIFY_LISTENER_H
#define CXLA_TEST_NOTIFY_LISTENER_H

#include <stddef.h>

struct notify_listener {
	char dir[64];
	char path[96];
	int fd; /* at 200 or above: clear of descriptors passed at 3, 4, ... */
};

/* Bind it and set NOTIFY_SOCKET. */
void notify_listen(struct notify_listener *l);
/* Close it, remove it and unset NOTIFY_SOCKET. */
void notify_listener_close(struct notify_listener *l);
/* The next message (NUL-terminated in buf) within timeout_ms (0: only one
 * already there): the descriptor that came with it, new, or -1 without one;
 * -2 when no message came. */
int notify_receive(int sock, char *buf, size_t len, int timeout_ms);

#endif

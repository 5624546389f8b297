#include "http/tlsio.h"

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

/* GnuTLS reads the error of a failed call from errno, as with its own. */
static ssize_t tls_pull(gnutls_transport_ptr_t ptr, void *buf, size_t len)
{
	struct tls_io *io = ptr;
	ssize_t n = recv(io->fd, buf, len, 0);

	if (n > 0)
		(*io->progress)++;
	return n;
}

static ssize_t tls_vec_push(gnutls_transport_ptr_t ptr, const giovec_t *iov, int iovcnt)
{
	struct tls_io *io = ptr;
	struct msghdr msg = { 0 };
	ssize_t n;

	/* giovec_t is laid out as struct iovec. */
	msg.msg_iov = (struct iovec *)(uintptr_t)iov;
	msg.msg_iovlen = (size_t)iovcnt;
	n = sendmsg(io->fd, &msg, MSG_NOSIGNAL);
	if (n > 0)
		(*io->progress)++;
	return n;
}

static int tls_pull_timeout(gnutls_transport_ptr_t ptr, unsigned int ms)
{
	struct tls_io *io = ptr;
	return gnutls_system_recv_timeout((gnutls_transport_ptr_t)(intptr_t)io->fd, ms);
}

void tls_io_attach(gnutls_session_t session, struct tls_io *io)
{
	gnutls_transport_set_ptr(session, io);
	gnutls_transport_set_pull_function(session, tls_pull);
	gnutls_transport_set_pull_timeout_function(session, tls_pull_timeout);
	gnutls_transport_set_vec_push_function(session, tls_vec_push);
}

#include "http/tlsconn.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "util/clock.h"

struct tls_tickets {
	gnutls_datum_t key;
	unsigned lifetime_s;
};

int tls_tickets_new(unsigned lifetime_s, struct tls_tickets **out)
{
	struct tls_tickets *t;

	if (lifetime_s < 1)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	if (gnutls_session_ticket_key_generate(&t->key) != GNUTLS_E_SUCCESS) {
		free(t);
		return -EIO;
	}
	t->lifetime_s = lifetime_s;
	*out = t;
	return 0;
}

void tls_tickets_free(struct tls_tickets *t)
{
	if (!t)
		return;
	if (t->key.data) {
		gnutls_memset(t->key.data, 0, t->key.size);
		gnutls_free(t->key.data);
	}
	free(t);
}

int tls_tickets_enable(const struct tls_tickets *t, gnutls_session_t session, time_t now)
{
	static const char label[] = "cxl-agent session ticket key";
	uint64_t period = (uint64_t)(now < 0 ? 0 : now) / (3u * t->lifetime_s);
	unsigned char in[sizeof(label) + 8], key[64];
	gnutls_datum_t k = { key, sizeof(key) };
	int rc;

	memcpy(in, label, sizeof(label));
	for (int i = 0; i < 8; i++)
		in[sizeof(label) + (size_t)i] = (unsigned char)(period >> (56 - 8 * i));
	if (gnutls_hmac_fast(GNUTLS_MAC_SHA512, t->key.data, t->key.size, in, sizeof(in), key))
		return -EIO;
	/* The lifetime is both the age a ticket is accepted at and GnuTLS's
	 * rotation period, so it comes first. */
	gnutls_db_set_cache_expiration(session, (int)t->lifetime_s);
	rc = gnutls_session_ticket_enable_server(session, &k) == GNUTLS_E_SUCCESS ? 0 : -EIO;
	gnutls_memset(key, 0, sizeof(key));
	return rc;
}

int tls_tickets_enable_now(const struct tls_tickets *t, gnutls_session_t session)
{
	return tls_tickets_enable(t, session, clock_monotonic_s(NULL));
}

/* The same system calls as GnuTLS's own transport on a non-blocking socket
 * (MSG_NOSIGNAL: a peer gone is an error, not a signal). */
static ssize_t transport_pull(gnutls_transport_ptr_t ptr, void *buf, size_t len)
{
	struct tls_transport *t = ptr;
	ssize_t n = recv(t->fd, buf, len, 0);

	t->io->last = t;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		t->io->waits++;
	else
		t->io->moves++;
	return n;
}

static ssize_t transport_push(gnutls_transport_ptr_t ptr, const giovec_t *iov, int iovcnt)
{
	struct tls_transport *t = ptr;
	struct msghdr msg = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt };

	t->io->last = t;
	t->io->moves++;
	return sendmsg(t->fd, &msg, MSG_NOSIGNAL);
}

static int transport_wait(gnutls_transport_ptr_t ptr, unsigned int ms)
{
	struct tls_transport *t = ptr;
	struct pollfd p = { .fd = t->fd, .events = POLLIN };

	return poll(&p, 1, ms == GNUTLS_INDEFINITE_TIMEOUT ? -1 : (int)ms);
}

/* The client's hello, before GnuTLS parses it: the version it offers. */
static void hello_seen(struct tls_transport *t, const gnutls_datum_t *msg)
{
	/* legacy_version: 3,1 is TLS 1.0 (GNUTLS_TLS1_0 = 2), and so on. */
	if (msg->size >= 2 && msg->data[0] == 3)
		t->client_hello_version = GNUTLS_SSL3 + msg->data[1];
}

/* The client's Finished, received: GnuTLS sent its tickets with its own
 * flight, so nothing of the server's would carry the acknowledgement, and
 * the client's first request, held back by Nagle behind its Finished until
 * that arrives, would wait out a delayed ACK (40 ms). Acknowledge now. */
static void finished_seen(struct tls_transport *t)
{
	int one = 1;

	/* Only a delay is at stake here: a socket that refuses the option
	 * fails its next read, where the connection ends. */
	(void)setsockopt(t->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
}

static int handshake_seen(gnutls_session_t session, unsigned htype, unsigned when,
			  unsigned incoming, const gnutls_datum_t *msg)
{
	struct tls_transport *t = gnutls_transport_get_ptr(session);

	if (!t || !incoming)
		return GNUTLS_E_SUCCESS;
	if (htype == GNUTLS_HANDSHAKE_CLIENT_HELLO && when == GNUTLS_HOOK_PRE)
		hello_seen(t, msg);
	else if (htype == GNUTLS_HANDSHAKE_FINISHED && when == GNUTLS_HOOK_POST)
		finished_seen(t);
	return GNUTLS_E_SUCCESS;
}

void tls_transport_attach(struct tls_transport *t, gnutls_session_t session, int fd,
			  struct tls_io *io)
{
	t->session = session;
	t->fd = fd;
	t->io = io;
	t->client_hello_version = 0;
	t->waiting = false;
	t->prev_held = t->next_held = NULL;
	gnutls_transport_set_ptr(session, t);
	gnutls_transport_set_pull_function(session, transport_pull);
	gnutls_transport_set_pull_timeout_function(session, transport_wait);
	gnutls_transport_set_vec_push_function(session, transport_push);
	/* One hook per session: the client's hello before GnuTLS parses it
	 * (so also when it refuses the version), its Finished after. */
	gnutls_handshake_set_hook_function(session, GNUTLS_HANDSHAKE_ANY, GNUTLS_HOOK_BOTH,
					   handshake_seen);
}

void tls_response_hold(struct tls_transport *t)
{
	gnutls_record_cork(t->session);
}

bool tls_response_waiting(const struct tls_transport *t)
{
	return t->waiting;
}

/* The thread's loop is woken when a waiting connection's socket has room
 * again: libmicrohttpd does not watch a suspended connection's socket.
 * One-shot, armed again after each retry that still found no room. A
 * failure leaves the connection to the loop's periodic retry. */
static void watch_room(struct tls_transport *t, int op)
{
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLONESHOT, .data.fd = t->fd };

	if (t->io->epfd >= 0)
		(void)epoll_ctl(t->io->epfd, op, t->fd, &ev);
}

static void held_unlink(struct tls_transport *t)
{
	if (!t->waiting)
		return;
	if (t->io->epfd >= 0)
		(void)epoll_ctl(t->io->epfd, EPOLL_CTL_DEL, t->fd, NULL);
	if (t->prev_held)
		t->prev_held->next_held = t->next_held;
	else
		t->io->held = t->next_held;
	if (t->next_held)
		t->next_held->prev_held = t->prev_held;
	t->prev_held = t->next_held = NULL;
	t->waiting = false;
}

static void held_link(struct tls_transport *t, long long now_ms)
{
	if (t->waiting)
		return;
	t->waiting_since = now_ms;
	t->prev_held = NULL;
	t->next_held = t->io->held;
	if (t->next_held)
		t->next_held->prev_held = t;
	t->io->held = t;
	t->waiting = true;
	watch_room(t, EPOLL_CTL_ADD);
}

static void held_done(struct tls_io *io, struct tls_transport *t)
{
	held_unlink(t);
	if (io->sent)
		io->sent(t, io->sent_arg);
}

/* 0 when nothing is left corked, -EAGAIN, or -EIO. */
static int uncork(struct tls_transport *t)
{
	int zero = 0, rc;

	if (!t->session || !gnutls_record_check_corked(t->session))
		return 0;
	/* libmicrohttpd corks the socket (TCP_CORK) for some responses and
	 * pushes each one out with TCP_NODELAY before this write, which the
	 * cork would then hold for 200 ms. A socket that is not TCP has no
	 * cork. */
	(void)setsockopt(t->fd, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero));
	rc = gnutls_record_uncork(t->session, 0);
	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
		return -EAGAIN;
	return rc < 0 ? -EIO : 0;
}

int tls_response_release(struct tls_transport *t, long long now_ms)
{
	int rc = uncork(t);

	if (rc == -EAGAIN)
		held_link(t, now_ms);
	else if (t->waiting)
		held_done(t->io, t);
	return rc;
}

void tls_io_send_held(struct tls_io *io, long long now_ms, long long give_up_ms)
{
	struct tls_transport *t = io->held, *next;

	for (; t; t = next) {
		next = t->next_held;
		/* A failed session is the connection's to notice: its next
		 * read or write fails and libmicrohttpd closes it. */
		if (uncork(t) != -EAGAIN) {
			held_done(io, t);
		} else if (now_ms - t->waiting_since >= give_up_ms) {
			/* The client has not taken one answer (the only one
			 * waiting: its next request is parked) in the idle
			 * connection timeout: the connection ends, as an idle
			 * one would. */
			shutdown(t->fd, SHUT_RDWR);
			held_done(io, t);
		} else {
			watch_room(t, EPOLL_CTL_MOD);
		}
	}
}

void tls_io_release_all(struct tls_io *io)
{
	while (io->held)
		held_done(io, io->held);
}

void tls_transport_detach(struct tls_transport *t)
{
	held_unlink(t);
}

int tls_handshake_alert(const struct tls_transport *t, gnutls_protocol_t min_version)
{
	gnutls_alert_description_t why = GNUTLS_A_HANDSHAKE_FAILURE;

	if (gnutls_alert_get(t->session) != GNUTLS_A_CLOSE_NOTIFY)
		return 0;
	if (t->client_hello_version && t->client_hello_version < (unsigned)min_version)
		why = GNUTLS_A_PROTOCOL_VERSION;
	return gnutls_alert_send(t->session, GNUTLS_AL_FATAL, why) == GNUTLS_E_SUCCESS ? 0 : -EIO;
}

#include "http/tlsconn.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* GnuTLS writes a record with a few vectors (header, payload, tag). */
#define TLS_PUSH_IOV_MAX 8

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

static void held_unlink(struct tls_transport *t)
{
	if (!t->waiting)
		return;
	if (t->prev_held)
		t->prev_held->next_held = t->next_held;
	else
		t->io->held = t->next_held;
	if (t->next_held)
		t->next_held->prev_held = t->prev_held;
	t->prev_held = t->next_held = NULL;
	t->waiting = false;
}

static void held_link(struct tls_transport *t)
{
	if (t->waiting)
		return;
	t->prev_held = NULL;
	t->next_held = t->io->held;
	if (t->next_held)
		t->next_held->prev_held = t;
	t->io->held = t;
	t->waiting = true;
}

static ssize_t send_iov(struct tls_transport *t, const struct iovec *iov, size_t n)
{
	struct msghdr msg = { .msg_iov = (struct iovec *)iov, .msg_iovlen = n };

	t->io->moves++;
	return sendmsg(t->fd, &msg, MSG_NOSIGNAL);
}

static int would_block(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK;
}

/* GnuTLS already counts these bytes as written: they must reach the socket,
 * in order, before anything else of the connection. */
static int keep_pending(struct tls_transport *t, const struct iovec *iov, size_t n, size_t skip)
{
	size_t have = t->pending_len - t->pending_off, add = 0, at;
	unsigned char *p;

	for (size_t i = 0; i < n; i++)
		add += iov[i].iov_len;
	add -= skip;
	p = malloc(have + add);
	if (!p) {
		/* Losing them would corrupt the stream: end it instead. */
		shutdown(t->fd, SHUT_RDWR);
		return -ENOMEM;
	}
	if (have)
		memcpy(p, t->pending + t->pending_off, have);
	at = have;
	for (size_t i = 0; i < n; i++) {
		size_t len = iov[i].iov_len, off = skip < len ? skip : len;
		memcpy(p + at, (const unsigned char *)iov[i].iov_base + off, len - off);
		at += len - off;
		skip -= off;
	}
	free(t->pending);
	t->pending = p;
	t->pending_len = have + add;
	t->pending_off = 0;
	held_link(t);
	return 0;
}

/* 0 when nothing of t waits any more, -EAGAIN, or -errno. */
static int flush_pending(struct tls_transport *t)
{
	while (t->pending_off < t->pending_len) {
		struct iovec v = { t->pending + t->pending_off, t->pending_len - t->pending_off };
		ssize_t n = send_iov(t, &v, 1);
		if (n < 0)
			return would_block() ? -EAGAIN : -errno;
		t->pending_off += (size_t)n;
	}
	free(t->pending);
	t->pending = NULL;
	t->pending_len = t->pending_off = 0;
	held_unlink(t);
	return 0;
}

/* Send the staged record alone; what the socket does not take waits in its
 * connection. 0, -EAGAIN or -errno. */
static int flush_stage(struct tls_io *io)
{
	struct tls_transport *s = io->stager;
	struct iovec v = { io->stage, io->staged };
	ssize_t n;

	if (!s)
		return 0;
	io->stager = NULL;
	n = send_iov(s, &v, 1);
	if (n < 0 && !would_block())
		return -errno;
	if (n < 0)
		n = 0;
	if ((size_t)n == io->staged)
		return 0;
	return keep_pending(s, &v, 1, (size_t)n) ? -ENOMEM : -EAGAIN;
}

/* The staged record and this one (iov, len bytes) in one write. Returns
 * what GnuTLS is told was written of this record. */
static ssize_t send_with_stage(struct tls_transport *t, const giovec_t *giov, size_t n,
			       size_t len)
{
	struct tls_io *io = t->io;
	struct iovec iov[TLS_PUSH_IOV_MAX + 1];
	size_t staged = io->staged;
	ssize_t sent;

	iov[0].iov_base = io->stage;
	iov[0].iov_len = staged;
	memcpy(iov + 1, giov, n * sizeof(*iov));
	io->stager = NULL;
	sent = send_iov(t, iov, n + 1);
	if (sent < 0 && !would_block())
		return -1;
	if (sent < 0)
		sent = 0;
	if ((size_t)sent < staged) {
		/* This record is GnuTLS's to retry; the rest of the staged one
		 * goes first. */
		if (keep_pending(t, iov, 1, (size_t)sent))
			return -1;
		errno = EAGAIN;
		return -1;
	}
	if ((size_t)sent == staged && len) {
		errno = EAGAIN;
		return -1;
	}
	return sent - (ssize_t)staged;
}

static ssize_t transport_push(gnutls_transport_ptr_t ptr, const giovec_t *iov, int iovcnt)
{
	struct tls_transport *t = ptr;
	struct tls_io *io = t->io;
	size_t n = iovcnt > 0 ? (size_t)iovcnt : 0, len = 0;

	io->last = t;
	for (size_t i = 0; i < n; i++)
		len += iov[i].iov_len;
	/* Another connection's staged record goes first, alone: its second
	 * did not follow (libmicrohttpd moved on); its errors are its own. */
	if (io->stager && io->stager != t)
		(void)flush_stage(io);
	if (t->pending) {
		int rc = flush_pending(t);
		if (rc) {
			errno = rc == -EAGAIN ? EAGAIN : -rc;
			return -1;
		}
	}
	if (t->holding && !io->stager) {
		t->holding = false;
		if (len <= sizeof(io->stage)) {
			size_t at = 0;
			for (size_t i = 0; i < n; i++) {
				memcpy(io->stage + at, iov[i].iov_base, iov[i].iov_len);
				at += iov[i].iov_len;
			}
			io->stager = t;
			io->staged = len;
			return (ssize_t)len;
		}
	}
	if (io->stager == t && n <= TLS_PUSH_IOV_MAX)
		return send_with_stage(t, iov, n, len);
	if (io->stager == t) {
		int rc = flush_stage(io);
		if (rc) {
			errno = rc == -EAGAIN ? EAGAIN : -rc;
			return -1;
		}
	}
	return send_iov(t, (const struct iovec *)iov, n);
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
	t->holding = false;
	t->pending = NULL;
	t->pending_len = t->pending_off = 0;
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
	t->holding = true;
}

size_t tls_response_pending(const struct tls_transport *t)
{
	return t->pending_len - t->pending_off;
}

/* Bytes written outside libmicrohttpd's own sending go out at once:
 * libmicrohttpd corks the socket for some responses and only pushes the
 * data it sends itself (under the cork, these would wait 200 ms). */
static void uncork(const struct tls_transport *t)
{
	int zero = 0;

	/* A socket that is not TCP has no cork. */
	(void)setsockopt(t->fd, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero));
}

int tls_response_release(struct tls_transport *t)
{
	int rc = 0;

	t->holding = false;
	if (t->io->stager == t) {
		uncork(t);
		rc = flush_stage(t->io);
	} else if (t->pending) {
		uncork(t);
		rc = flush_pending(t);
	}
	return rc == 0 || rc == -EAGAIN ? rc : -EIO;
}

void tls_io_send_held(struct tls_io *io)
{
	struct tls_transport *t = io->held, *next;

	for (; t; t = next) {
		next = t->next_held;
		uncork(t);
		/* A failed socket is the connection's to notice: its next
		 * read or write fails and libmicrohttpd closes it. */
		if (flush_pending(t) != -EAGAIN && t->pending)
			tls_transport_detach(t);
	}
}

void tls_transport_detach(struct tls_transport *t)
{
	if (t->io->stager == t)
		t->io->stager = NULL;
	free(t->pending);
	t->pending = NULL;
	t->pending_len = t->pending_off = 0;
	t->holding = false;
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

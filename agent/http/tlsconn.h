/* What the HTTPS server adds to each TLS session that libmicrohttpd sets up:
 * resumption by session ticket under a key that exists only in memory and
 * rotates, and a transport that remembers which connection of a thread did
 * I/O last, so that a handshake libmicrohttpd gives up on can still be
 * answered with an alert. */
#ifndef CXLA_HTTP_TLSCONN_H
#define CXLA_HTTP_TLSCONN_H

#include <gnutls/gnutls.h>

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* How long a ticket is accepted, at most. Tickets are sealed with the key
 * of the current period of three lifetimes (periods of the monotonic clock,
 * which every server thread shares and no one sets: a wall clock set back
 * would bring back the key of a period that had passed, and with it the
 * tickets of a day ago), derived from a master key; a session
 * accepts tickets of the key it was given only, so a ticket also ends with
 * its period. GnuTLS's own rotation (SHA3 of a period number and the key it
 * is given) happens only inside a session that lives across a period's
 * end: a new session takes the key it is given for its whole life. */
#define TLS_TICKET_LIFETIME_S 3600

struct tls_tickets;

/* A new random master key for session tickets. It is never written
 * anywhere: a restart makes a new one and so ends every ticket handed out
 * before. lifetime_s: how long a ticket is accepted (>= 1). 0 or -errno. */
int tls_tickets_new(unsigned lifetime_s, struct tls_tickets **out);
/* Zeroes the key. */
void tls_tickets_free(struct tls_tickets *t);
/* Let the server session (borrowed) issue and accept tickets under the key
 * of the period that holds now (seconds of the monotonic clock). 0 or -EIO. */
int tls_tickets_enable(const struct tls_tickets *t, gnutls_session_t session, time_t now);
/* The same, now read from the system's monotonic clock. */
int tls_tickets_enable_now(const struct tls_tickets *t, gnutls_session_t session);

struct tls_transport;

/* What the TLS connections of one thread did on their sockets; only that
 * thread drives their sessions. */
struct tls_io {
	struct tls_transport *last; /* the connection that did I/O last */
	/* Connections with answers left to send, waiting for room. */
	struct tls_transport *held;
	/* The thread's event loop (epoll), woken when a waiting connection's
	 * socket has room; -1: none, the loop's periodic retry only. */
	int epfd;
	/* Told when a connection's answers are out after waiting (or given
	 * up on), with sent_arg. */
	void (*sent)(struct tls_transport *t, void *sent_arg);
	void *sent_arg;
	unsigned long waits; /* reads that found nothing (EAGAIN) */
	unsigned long moves; /* reads that got something, and writes */
};

/* A connection's transport: GnuTLS reads and writes fd through it, and
 * each call is counted in io. */
struct tls_transport {
	gnutls_session_t session;
	int fd;
	struct tls_io *io;
	/* The version in the client's hello (GNUTLS_SSL3 .. GNUTLS_TLS1_2;
	 * TLS 1.3 clients also say 1.2 there), 0 before it came. */
	unsigned client_hello_version;
	/* In io->held while a released response waits for room in the
	 * socket, since waiting_since (ms, the caller's clock). */
	bool waiting;
	long long waiting_since;
	struct tls_transport *prev_held, *next_held;
};

/* Route session's I/O on fd (neither owned) through t, which must outlive
 * the session's use of it (until gnutls_deinit), and note the version the
 * client's hello offers. */
void tls_transport_attach(struct tls_transport *t, gnutls_session_t session, int fd,
			  struct tls_io *io);

/* libmicrohttpd (0.9.75) sends a response's headers and its body with one
 * gnutls_record_send each: two TLS records and two writes, and a client
 * reading with OpenSSL handles each record in its own read. Between
 * tls_response_hold and tls_response_release the session gathers what is
 * sent, and the release sends it as one record in one write. GnuTLS keeps
 * the buffer it gathers in for the session's life, sized to the largest
 * response it gathered, so the body held is at most TLS_HOLD_BODY_MAX: an
 * idle connection then keeps at most about 3.5 KiB of it, and nearly every
 * resource (all but the CEL, about 10 KiB) still leaves as one record. */
#define TLS_HOLD_BODY_MAX (2u * 1024u)
void tls_response_hold(struct tls_transport *t);
/* Send what was held. 0 when it is out (or nothing was held); -EAGAIN when
 * the socket is full: the rest waits in the session, t joins its io's held
 * list (waiting since now_ms) and tls_io_send_held sends it later; -EIO
 * when the session failed (the connection fails its next operation). */
int tls_response_release(struct tls_transport *t, long long now_ms);
/* Whether t has answers waiting for room: the connection's next request
 * must wait for them (libmicrohttpd would hand its answer to the session
 * as if sent, and a client that does not read would grow it). */
bool tls_response_waiting(const struct tls_transport *t);
/* Retry the waiting answers of io's connections (after a pass of the
 * thread's event loop: a socket that has room again wakes the loop); one
 * that has waited give_up_ms without all going out is shut down. Each
 * connection that leaves the list is told through io->sent. */
void tls_io_send_held(struct tls_io *io, long long now_ms, long long give_up_ms);
/* Every connection leaves the held list, told through io->sent (the
 * thread is stopping). */
void tls_io_release_all(struct tls_io *io);
/* t's connection is closing: it leaves io's held list, untold. */
void tls_transport_detach(struct tls_transport *t);

/* Tell the peer of t's session, whose handshake has just failed, why, as
 * RFC 8446 asks instead of a bare close: protocol_version when the client's
 * hello offered a version below min_version (the lowest the server's
 * priorities allow), handshake_failure otherwise (GnuTLS does not say which
 * step failed). Nothing is sent when the peer itself ended the handshake
 * with an alert. Best effort on a non-blocking socket: 0 or -EIO. */
int tls_handshake_alert(const struct tls_transport *t, gnutls_protocol_t min_version);

#endif

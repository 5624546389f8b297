/* A connection's TLS transport through functions of ours: the same socket
 * calls GnuTLS makes by default, counting those that moved bytes, so that a
 * server thread can tell a pass that made progress from one that only found
 * its connections waiting on their peers. libmicrohttpd 0.9.75 keeps a
 * connection whose handshake waits for the client on its ready list (a
 * handshake's "would block" does not clear it), and asks for another pass
 * at once, again and again, until the client's next flight arrives. */
#ifndef CXLA_HTTP_TLSIO_H
#define CXLA_HTTP_TLSIO_H

#include <gnutls/gnutls.h>

struct tls_io {
	int fd;                  /* the connection's socket, borrowed */
	unsigned long *progress; /* borrowed: bumped when bytes move */
};

/* Route session's reads and writes through io, which must outlive the
 * session's use (libmicrohttpd deinitialises the session before it reports
 * the connection closed). */
void tls_io_attach(gnutls_session_t session, struct tls_io *io);

#endif

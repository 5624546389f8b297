/* Inside the HTTPS front end: what server.c (requests), conn.c (each
 * connection's context) and loop.c (server threads and their event loops)
 * share. Not for use outside agent/http. */
#ifndef CXLA_HTTP_SERVER_IMPL_H
#define CXLA_HTTP_SERVER_IMPL_H

#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "http/message.h"
#include "http/server.h"
#include "http/tlsconn.h"
#include "http/tlsstore.h"

#define MAX_ADDRESSES 8
#define MAX_WORKERS 64

struct worker;
struct stream_conn;

/* Per connection, from its start to its close. Its address is
 * libmicrohttpd's, which keeps it until after the close is told. */
struct conn_info {
	struct worker *worker; /* the thread that serves the connection */
	char peer[INET6_ADDRSTRLEN + 1];
	struct tls_transport tls; /* unused in the thread's "unknown" context */
	/* A request that waits, suspended, for earlier answers to go out. */
	struct MHD_Connection *parked;
};

/* One server thread: a libmicrohttpd daemon per listening address, each on
 * a duplicate of the one listening socket (whichever thread is free takes
 * the next connection), driven by this thread's event loop.
 * libmicrohttpd's internal epoll thread (0.9.75) re-waits with the blocking
 * timeout when one wait returns exactly 128 events and then stalls every
 * ready connection of that thread; MHD_run() always waits with 0, and this
 * loop does the blocking wait. */
struct worker {
	struct http_server *srv;
	pthread_t thread;
	bool started;
	int epfd;
	int wakefd; /* eventfd: quiesce or stop */
	struct MHD_Daemon *daemons[MAX_ADDRESSES];
	size_t ndaemons;
	atomic_bool quiesced;
	unsigned closed_since_trim; /* only this thread uses it */
	/* The TLS I/O of this thread's connections. The connection that did
	 * I/O last is the one whose handshake libmicrohttpd has just given up
	 * on when it says so. */
	struct tls_io tls_io;
	/* Bumped whenever the handler is given request data, which may come
	 * out of GnuTLS's buffer without a read on the socket; only this
	 * thread uses it. */
	unsigned long handled;
	long long pass_ms; /* monotonic, when the current pass began */
	/* The context of a connection whose own could not be made: not
	 * counted, shown as "unknown". */
	struct conn_info unknown;
};

struct http_server {
	struct worker workers[MAX_WORKERS];
	size_t nworkers;
	struct peer_counts *peers;
	atomic_bool stopping;
	atomic_bool quiescing;
	http_handler_fn handler;
	void (*unavailable)(void *ctx, struct http_response *resp);
	void *ctx;
	size_t max_body;
	long long give_up_ms; /* answers unread this long end the connection */
	int want_client_cert;
	atomic_uint inflight;      /* requests being handled or answered */
	atomic_uint uploading;     /* requests whose body is arriving */
	atomic_llong upload_ms;    /* monotonic, when body bytes last arrived */
	atomic_uint workers_busy; /* deferred jobs still running */
	struct workpool *jobs; /* threads that run them */
	struct tls_tickets *tickets;
	struct tls_store *tls; /* the certificate, replaced on reload */
	pthread_mutex_t streams_lock;
	struct stream_conn *streams; /* streaming responses being sent */
	atomic_uint nstreams;
	bool streams_closing;
};

/* A daemon on listening socket fd (which it then owns), in external-epoll
 * mode: its thread calls MHD_run. NULL on failure. */
struct MHD_Daemon *server_daemon_start(struct worker *w, const struct http_server_config *cfg,
				       int fd, int v6);

/* The thread's listeners, daemons and event loop descriptors: 0 or -errno,
 * err filled. */
int worker_open(struct worker *w, const struct http_server_config *cfg, char *err, size_t errlen);
void *worker_main(void *arg);
/* Make the thread look at srv->quiescing and srv->stopping. */
void worker_wake(struct worker *w);

/* The thread that serves conn (borrowed), NULL if not known. */
struct worker *server_conn_owner(struct MHD_Connection *conn);
/* conn's context (borrowed), NULL if not known. */
struct conn_info *conn_info_of(struct MHD_Connection *conn);
/* The TLS transport of info's connection, NULL for none (info NULL or the
 * thread's "unknown" context). */
struct tls_transport *info_transport(struct conn_info *info);
struct tls_transport *conn_transport(struct MHD_Connection *conn);
/* libmicrohttpd's connection callbacks (cls: the worker), its accept
 * policy (cls: the server), and the tls_io callback that lets a request
 * parked behind waiting answers go on. */
void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
		   enum MHD_ConnectionNotificationCode code);
enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
void held_sent(struct tls_transport *t, void *arg);
/* After MHD_resume_connection from another thread: in external-epoll mode
 * the resume is seen only when the owner's loop runs, so wake it (w NULL:
 * wake every thread). */
void server_wake_owner(struct http_server *srv, struct worker *w);

/* Send resp->stream on conn, taking the stream over (on MHD_NO resp still
 * owns it). Called on the thread that serves conn. */
/* Add resp's headers to r and queue it on conn; r is released either way. */
enum MHD_Result server_queue(struct MHD_Connection *conn, const struct http_response *resp,
			     struct MHD_Response *r);
enum MHD_Result stream_send(struct MHD_Connection *conn, struct http_server *srv,
			    struct http_response *resp);
/* End every stream (now and those sent later): they never finish by
 * themselves, and libmicrohttpd must not be stopped with suspended
 * connections. */
void streams_close(struct http_server *srv);

#endif

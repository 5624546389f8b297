/* Streaming responses (server-sent events): a connection parked while its
 * producer has nothing to send, resumed on the producer's wake. */
#include <microhttpd.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "http/server_impl.h"

/* A streaming response on one connection. The connection is suspended while
 * the producer has nothing to send, so an idle stream holds no thread; wake
 * resumes it. lock orders suspended/woken against wake from other threads
 * and is never held while calling into the producer. */
struct stream_conn {
	struct http_server *srv;
	struct MHD_Connection *conn;
	struct worker *worker; /* the thread that owns conn; NULL: not known */
	struct http_stream s;
	pthread_mutex_t lock;
	bool suspended;
	bool woken;
	bool closing;
	struct stream_conn *prev, *next;
};

/* Called with sc->lock held. In external-epoll mode the owning thread sees
 * the resume only when its loop runs: wake it. */
static void stream_resume(struct stream_conn *sc)
{
	sc->suspended = false;
	MHD_resume_connection(sc->conn);
	server_wake_owner(sc->srv, sc->worker);
}

static void stream_wake(void *arg)
{
	struct stream_conn *sc = arg;

	pthread_mutex_lock(&sc->lock);
	if (sc->suspended)
		stream_resume(sc);
	else
		sc->woken = true;
	pthread_mutex_unlock(&sc->lock);
}

/* Whether the client has closed its side. A parked connection is not
 * watched by libmicrohttpd, and a write to a closed peer may still succeed
 * once, so the keepalive alone would find the close a keepalive period or
 * two late. The producer's wakes (at least one a second for event streams)
 * each end here when there is nothing to send, so one poll() of the socket
 * then bounds the delay by that period, at no cost while nothing wakes it.
 * An event stream's client sends nothing after its request, so a peer that
 * shut its sending side (read hang-up) is taken as gone. */
static bool peer_gone(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *fi =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct pollfd p;

	if (!fi)
		return false;
	p = (struct pollfd){ .fd = fi->connect_fd, .events = POLLRDHUP };
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream_conn *sc = cls;
	long n;
	(void)pos;

	for (;;) {
		pthread_mutex_lock(&sc->lock);
		if (sc->closing) {
			pthread_mutex_unlock(&sc->lock);
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		sc->woken = false;
		pthread_mutex_unlock(&sc->lock);
		n = sc->s.read(sc->s.arg, buf, max);
		if (n < 0)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (n > 0)
			return (ssize_t)n;
		if (peer_gone(sc->conn))
			return MHD_CONTENT_READER_END_WITH_ERROR;
		/* Nothing pending: park the connection unless a wake came in
		 * while the producer was being asked. Returning 0 is allowed
		 * only together with a suspension (no busy loop). */
		pthread_mutex_lock(&sc->lock);
		if (!sc->woken && !sc->closing) {
			sc->suspended = true;
			MHD_suspend_connection(sc->conn);
			pthread_mutex_unlock(&sc->lock);
			return 0;
		}
		pthread_mutex_unlock(&sc->lock);
	}
}

static void stream_free(void *cls)
{
	struct stream_conn *sc = cls;
	struct http_server *srv = sc->srv;

	/* After release the producer calls wake no more. */
	sc->s.release(sc->s.arg);
	pthread_mutex_lock(&srv->streams_lock);
	if (sc->prev)
		sc->prev->next = sc->next;
	else
		srv->streams = sc->next;
	if (sc->next)
		sc->next->prev = sc->prev;
	pthread_mutex_unlock(&srv->streams_lock);
	pthread_mutex_destroy(&sc->lock);
	free(sc);
	atomic_fetch_sub(&srv->nstreams, 1);
}

enum MHD_Result stream_send(struct MHD_Connection *conn, struct http_server *srv,
			    struct http_response *resp)
{
	struct stream_conn *sc = calloc(1, sizeof(*sc));
	struct MHD_Response *r = NULL;

	if (!sc)
		return MHD_NO; /* resp still owns the stream and releases it */
	sc->srv = srv;
	sc->conn = conn;
	sc->worker = server_conn_owner(conn);
	pthread_mutex_init(&sc->lock, NULL);
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_reader, sc,
					      stream_free);
	if (!r) {
		pthread_mutex_destroy(&sc->lock);
		free(sc);
		return MHD_NO;
	}
	sc->s = resp->stream;
	memset(&resp->stream, 0, sizeof(resp->stream)); /* stream_free releases it now */
	atomic_fetch_add(&srv->nstreams, 1);
	pthread_mutex_lock(&srv->streams_lock);
	sc->closing = srv->streams_closing;
	sc->next = srv->streams;
	if (sc->next)
		sc->next->prev = sc;
	srv->streams = sc;
	pthread_mutex_unlock(&srv->streams_lock);
	if (sc->s.attach)
		sc->s.attach(sc->s.arg, stream_wake, sc);
	return server_queue(conn, resp, r);
}

void streams_close(struct http_server *srv)
{
	pthread_mutex_lock(&srv->streams_lock);
	srv->streams_closing = true;
	for (struct stream_conn *sc = srv->streams; sc; sc = sc->next) {
		pthread_mutex_lock(&sc->lock);
		sc->closing = true;
		if (sc->suspended)
			stream_resume(sc);
		pthread_mutex_unlock(&sc->lock);
	}
	pthread_mutex_unlock(&srv->streams_lock);
}

/* Each connection's context, from its start to its close: the thread that
 * serves it, its peer address (counted against the per-address limit) and
 * its TLS transport, and the request parked behind answers that wait for
 * room. */
#include "http/server_impl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/peers.h"
#include "util/log.h"

struct conn_info *conn_info_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

struct tls_transport *info_transport(struct conn_info *info)
{
	if (!info || info == &info->worker->unknown || !info->tls.session)
		return NULL;
	return &info->tls;
}

struct tls_transport *conn_transport(struct MHD_Connection *conn)
{
	return info_transport(conn_info_of(conn));
}

struct worker *server_conn_owner(struct MHD_Connection *conn)
{
	const struct conn_info *info = conn_info_of(conn);
	return info ? info->worker : NULL;
}

static void format_peer(const struct sockaddr *sa, char *buf, size_t len)
{
	const void *addr = NULL;
	if (sa->sa_family == AF_INET)
		addr = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		addr = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (!addr || !inet_ntop(sa->sa_family, addr, buf, (socklen_t)len))
		snprintf(buf, len, "unknown");
}

static void connection_started(struct worker *w, struct MHD_Connection *conn,
			       void **socket_context)
{
	struct http_server *srv = w->srv;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const union MHD_ConnectionInfo *ti =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	const union MHD_ConnectionInfo *fi =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	gnutls_session_t session = ti ? (gnutls_session_t)ti->tls_session : NULL;
	struct conn_info *info;
	int rc;

	/* Resuming TLS sessions needs session tickets enabled on every
	 * connection. */
	if (session && tls_tickets_enable_now(srv->tickets, session))
		log_warn("https: cannot enable session tickets on a connection");
	/* Every connection gets a context: the certificate callback and the
	 * wake-up of a resumed connection need its thread. */
	*socket_context = &w->unknown;
	if (!ci || !ci->client_addr)
		return;
	info = calloc(1, sizeof(*info));
	if (!info)
		return;
	rc = peer_counts_get(srv->peers, ci->client_addr);
	if (rc) {
		/* Another thread took the address's last place since the accept
		 * check: libmicrohttpd owns the socket, so end the connection
		 * through it (it sees the shutdown and closes). */
		if (rc == -EUSERS && fi)
			shutdown(fi->connect_fd, SHUT_RDWR);
		free(info);
		return;
	}
	format_peer(ci->client_addr, info->peer, sizeof(info->peer));
	info->worker = w;
	if (session && fi)
		tls_transport_attach(&info->tls, session, fi->connect_fd, &w->tls_io);
	*socket_context = info;
}

void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct worker *w = cls;
	struct conn_info *info = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		connection_started(w, conn, socket_context);
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		w->closed_since_trim++;
		if (info && info != &w->unknown) {
			const union MHD_ConnectionInfo *ci =
				MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
			tls_transport_detach(&info->tls);
			if (w->tls_io.last == &info->tls)
				w->tls_io.last = NULL;
			/* Only a connection with an address got a context. */
			if (ci && ci->client_addr)
				peer_counts_put(w->srv->peers, ci->client_addr);
			free(info);
			*socket_context = NULL;
		}
	}
}

/* A connection's waiting answers are out (or it was given up on): the
 * request parked behind them goes on. */
void held_sent(struct tls_transport *t, void *arg)
{
	struct conn_info *info = (struct conn_info *)((char *)t - offsetof(struct conn_info, tls));
	(void)arg;
	if (info->parked) {
		MHD_resume_connection(info->parked);
		info->parked = NULL;
		/* Looked at on the loop's next pass, which must not wait. */
		worker_wake(info->worker);
	}
}

enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct http_server *srv = cls;
	(void)addrlen;
	return peer_counts_allowed(srv->peers, addr) ? MHD_YES : MHD_NO;
}


#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/peers.h"
#include "http/server_impl.h"
#include "http/uri.h"
#include "util/workpool.h"
#include "util/clock.h"
#include "util/log.h"

/* libmicrohttpd's per-connection pool holds the request line and headers
 * and the response headers; bodies pass outside it. It is allocated whole
 * and zeroed after every request, so it is the largest part of an idle
 * connection's memory. It must hold the request (line and headers), about
 * 60 bytes per request header, and the response headers (about 400 bytes):
 * 6.75 KiB takes requests of up to about 6,300 bytes, then 431. */
#define CONNECTION_MEMORY 6912
#define MAX_HEADERS 64
#define MAX_QUERY 16
#define DRAIN_LIMIT (1u << 20)
/* Deferred work (device commands) runs on at most this many threads at
 * once; each waits for its device's admission queue and timeout, so this
 * bounds threads, not throughput. Idle ones end after JOB_IDLE_MS. */
#define JOB_THREADS_MAX 64
#define JOB_IDLE_MS 10000

/* The lowest version http_tls_priorities allows. */
#define TLS_MIN_VERSION GNUTLS_TLS1_2
const char http_tls_priorities[] =
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"
	"-CIPHER-ALL:+AES-128-GCM:+CHACHA20-POLY1305:+AES-256-GCM:"
	"-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:"
	"-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:%SERVER_PRECEDENCE";

/* A deferred response being produced on a worker thread. */
struct job {
	struct MHD_Connection *conn;
	struct http_server *srv;
	struct worker *worker; /* NULL: not known, wake them all */
	struct http_deferred work;
	struct http_response resp;
	atomic_int done;
};

/* Per-request state: made on the first access-handler call, freed in the
 * completion callback whatever happened in between (client gone, error). */
struct req_state {
	struct http_server *srv;
	char *body;
	size_t len;
	size_t cap;
	int too_large;
	int answered;
	bool head; /* a HEAD request: the answer has no body on the wire */
	bool counted;   /* in srv->inflight: its handler has run or runs */
	bool uploading; /* in srv->uploading: body bytes came, the handler has not run */
	struct job *job;
};

struct kv_collect {
	struct http_header *items;
	size_t n;
	size_t max;
	bool overflow; /* more arrived than fit: the request is refused, never read in part */
};

static enum MHD_Result collect_kv(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	struct kv_collect *c = cls;
	(void)kind;
	if (c->n == c->max) {
		c->overflow = true;
		return MHD_NO;
	}
	c->items[c->n].name = key;
	c->items[c->n].value = value ? value : "";
	c->n++;
	return MHD_YES;
}

/* Marks a URI part that uri_unescape refused. It replaces the first byte, so
 * the rest still shows what arrived; decoded text never holds it, because
 * control characters are refused. */
#define URI_REFUSED '\x7f'

/* libmicrohttpd's own decoding turns %00 into an early end of string; this
 * one refuses it, and everything else ambiguous, instead. */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	ssize_t n = uri_unescape(s);
	(void)cls;
	(void)conn;
	if (n >= 0)
		return (size_t)n;
	s[0] = URI_REFUSED;
	return strlen(s);
}

static bool uri_refused(const char *url, const struct http_header *query, size_t nquery)
{
	if (url[0] == URI_REFUSED || !uri_path_clean(url))
		return true;
	for (size_t i = 0; i < nquery; i++)
		if (query[i].name[0] == URI_REFUSED || query[i].value[0] == URI_REFUSED)
			return true;
	return false;
}

/* The client's address as text, formatted once when its connection
 * started rather than on every request. */
static const char *peer_address(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	const struct conn_info *info = ci ? ci->socket_context : NULL;
	return info ? info->peer : "unknown";
}

static void peer_certificate(struct MHD_Connection *conn, struct http_peer_cert *cert)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_session_t session;
	const gnutls_datum_t *peers;
	unsigned int npeers = 0, status = 0;

	memset(cert, 0, sizeof(*cert));
	if (!ci || !ci->tls_session)
		return;
	session = (gnutls_session_t)ci->tls_session;
	peers = gnutls_certificate_get_peers(session, &npeers);
	if (!peers || npeers == 0)
		return;
	cert->present = true;
	cert->der = peers[0].data;
	cert->der_len = peers[0].size;
	if (gnutls_certificate_verify_peers2(session, &status) != GNUTLS_E_SUCCESS) {
		snprintf(cert->verify_error, sizeof(cert->verify_error), "verification failed");
		return;
	}
	if (status == 0) {
		cert->verified = true;
		return;
	}
	if (status & GNUTLS_CERT_EXPIRED)
		snprintf(cert->verify_error, sizeof(cert->verify_error), "certificate expired");
	else if (status & GNUTLS_CERT_NOT_ACTIVATED)
		snprintf(cert->verify_error, sizeof(cert->verify_error), "certificate not yet valid");
	else if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA))
		snprintf(cert->verify_error, sizeof(cert->verify_error), "unknown issuer");
	else
		snprintf(cert->verify_error, sizeof(cert->verify_error), "invalid (status 0x%x)",
			 status);
}

/* Whether the client asked to close the connection after this response:
 * libmicrohttpd closes it once the response is out as far as it knows, so
 * nothing of it may be left to send then. */
static bool closes_after(struct MHD_Connection *conn)
{
	const char *c = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_CONNECTION);
	return c && strcasestr(c, "close");
}

/* hold: the response has a body to send (not an answer to HEAD). */
static enum MHD_Result send_response(struct MHD_Connection *conn, struct http_response *resp,
				     bool hold)
{
	struct MHD_Response *r;
	char *text = resp->text;
	size_t len = resp->text_len;

	if (!text && resp->json) {
		text = json_dumps(resp->json, JSON_COMPACT);
		len = text ? strlen(text) : 0;
	} else {
		resp->text = NULL; /* ownership moves to MHD */
	}
	/* The response leaves as one record in one write (http/tlsconn.h). */
	if (hold && len > 0 && len <= TLS_HOLD_BODY_MAX && !closes_after(conn)) {
		struct tls_transport *t = conn_transport(conn);
		if (t)
			tls_response_hold(t);
	}
	if (text)
		r = MHD_create_response_from_buffer_with_free_callback(len, text, free);
	else
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	return server_queue(conn, resp, r);
}

/* Add resp's headers to r and queue it on conn; r is released either way. */
enum MHD_Result server_queue(struct MHD_Connection *conn, const struct http_response *resp,
			     struct MHD_Response *r)
{
	enum MHD_Result ret;

	for (size_t i = 0; i < resp->nheaders; i++)
		MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
	if (resp->content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	ret = MHD_queue_response(conn, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* In external-epoll mode a resumed connection is only looked at when the
 * loop runs again: wake the thread that owns it. */
void server_wake_owner(struct http_server *srv, struct worker *w)
{
	if (w) {
		worker_wake(w);
		return;
	}
	for (size_t i = 0; i < srv->nworkers; i++)
		worker_wake(&srv->workers[i]);
}

/* The job's response is ready: hand the connection back to its thread. */
static void job_done(void *arg)
{
	struct job *job = arg;
	struct http_server *srv = job->srv;
	struct worker *w = job->worker;
	struct MHD_Connection *conn = job->conn;

	/* The server thread may free the job once done is set. */
	atomic_store(&job->done, 1);
	MHD_resume_connection(conn);
	server_wake_owner(srv, w);
	atomic_fetch_sub(&srv->workers_busy, 1);
}

static void job_main(void *arg)
{
	struct job *job = arg;

	job->work.run(job->work.arg, &job->resp);
	job_done(job);
}

/* A 503 for a request that is not started: the application's, or a bare
 * one. Either way it says when to try again. */
static void unavailable(struct http_server *srv, struct http_response *resp)
{
	if (srv->unavailable) {
		srv->unavailable(srv->ctx, resp);
		return;
	}
	resp->status = 503;
	http_response_header(resp, "Retry-After", "1");
}

/* Park the connection and produce its response elsewhere, started from here
 * or on a worker thread: a device command may take seconds and must not
 * stall the connections that share this server thread. */
static enum MHD_Result start_job(struct MHD_Connection *conn, struct req_state *st,
				 struct http_response *resp)
{
	struct job *job = calloc(1, sizeof(*job));
	int rc;

	if (!job) {
		http_response_release(resp);
		return MHD_NO;
	}
	job->conn = conn;
	job->srv = st->srv;
	job->worker = server_conn_owner(conn);
	job->work = resp->defer;
	memset(&resp->defer, 0, sizeof(resp->defer)); /* the job owns it now */
	http_response_release(resp);
	http_response_init(&job->resp);
	st->job = job;
	MHD_suspend_connection(conn);
	atomic_fetch_add(&st->srv->workers_busy, 1);
	if (job->work.start && job->work.start(job->work.arg, &job->resp, job_done, job) == 0)
		return MHD_YES;
	rc = workpool_submit(job->work.pool ? job->work.pool : st->srv->jobs, job_main, job);
	if (rc) {
		atomic_fetch_sub(&st->srv->workers_busy, 1);
		/* No thread could start for it (a task limit, TasksMax= or
		 * RLIMIT_NPROC): the client may try again once one ends. */
		log_warn_limited("request refused (no thread)", NULL,
				 "request refused: no thread to run it: %s", strerror(-rc));
		unavailable(st->srv, &job->resp);
		MHD_resume_connection(conn);
		server_wake_owner(st->srv, job->worker);
		atomic_store(&job->done, 1);
	}
	return MHD_YES;
}

static void job_free(struct job *job)
{
	if (!job)
		return;
	if (job->work.release)
		job->work.release(job->work.arg);
	http_response_release(&job->resp);
	free(job);
}

static enum MHD_Result dispatch(struct MHD_Connection *conn, struct req_state *st, const char *url,
				const char *method)
{
	struct http_header headers[MAX_HEADERS], query[MAX_QUERY];
	struct kv_collect hc = { headers, 0, MAX_HEADERS, false }, qc = { query, 0, MAX_QUERY, false };
	struct http_request req;
	struct http_response resp;
	enum MHD_Result ret;

	/* In flight from here: a stop gives it the grace period to finish. */
	if (st->uploading)
		atomic_fetch_sub(&st->srv->uploading, 1);
	st->uploading = false;
	atomic_fetch_add(&st->srv->inflight, 1);
	st->counted = true;
	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_kv, &hc);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_kv, &qc);
	memset(&req, 0, sizeof(req));
	req.method = http_method_parse(method);
	req.method_token = method;
	req.path = url;
	req.uri_invalid = qc.overflow || uri_refused(url, query, qc.n);
	req.headers_overflow = hc.overflow;
	req.headers = headers;
	req.nheaders = hc.n;
	req.query = query;
	req.nquery = qc.n;
	req.body = st->len ? st->body : NULL;
	req.body_len = st->len;
	req.body_too_large = st->too_large;
	req.peer = peer_address(conn);
	if (st->srv->want_client_cert)
		peer_certificate(conn, &req.cert);

	http_response_init(&resp);
	st->srv->handler(st->srv->ctx, &req, &resp);
	if (resp.defer.run)
		return start_job(conn, st, &resp);
	/* A stream answering HEAD would put a chunked body's end on the wire
	 * (libmicrohttpd 0.9.75): HEAD gets the headers only. */
	if (resp.stream.read && !st->head)
		ret = stream_send(conn, st->srv, &resp);
	else
		ret = send_response(conn, &resp, !st->head);
	http_response_release(&resp);
	st->answered = 1;
	return ret;
}

static size_t declared_length(struct MHD_Connection *conn)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	return cl ? (size_t)strtoull(cl, NULL, 10) : 0;
}

/* The server is stopping: a request that comes now, on a connection kept
 * alive, is not started (clients that keep sending would otherwise hold the
 * stop for as long as they go on, and start commands after it began). Its
 * answer, queued before any body is read, closes the connection. */
static enum MHD_Result refuse_stopping(struct http_server *srv, struct MHD_Connection *conn)
{
	struct http_response resp;
	enum MHD_Result ret = MHD_NO;

	http_response_init(&resp);
	unavailable(srv, &resp);
	if (!http_response_header(&resp, MHD_HTTP_HEADER_CONNECTION, "close"))
		ret = send_response(conn, &resp, false);
	http_response_release(&resp);
	return ret;
}

/* Body bytes came: a stop waits for this request while they keep coming,
 * not for a client that stopped sending halfway (http_server_inflight). */
static void upload_progress(struct http_server *srv, struct req_state *st)
{
	if (!st->uploading) {
		st->uploading = true;
		atomic_fetch_add(&srv->uploading, 1);
	}
	atomic_store(&srv->upload_ms, clock_monotonic_ms());
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct req_state *st = *con_cls;
	struct conn_info *info = conn_info_of(conn);
	struct worker *w = info ? info->worker : NULL;
	(void)version;

	/* Request data taken from GnuTLS's buffer moves no bytes on the socket
	 * but is progress all the same (see worker_main). */
	if (w)
		w->handled++;
	if (!st) {
		struct tls_transport *t = info_transport(info);
		/* Earlier answers still wait for room: this request waits for
		 * them, parked (held_sent resumes it), as a client that does
		 * not read must not grow its answers in memory. */
		if (t && tls_response_waiting(t)) {
			info->parked = conn;
			MHD_suspend_connection(conn);
			return MHD_YES;
		}
		if (atomic_load(&srv->quiescing))
			return refuse_stopping(srv, conn);
		/* First call: only set up. Queuing a response here makes
		 * libmicrohttpd close the connection afterwards, which would cost
		 * keep-alive on every request. */
		st = calloc(1, sizeof(*st));
		if (!st)
			return MHD_NO;
		st->srv = srv;
		st->head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
		*con_cls = st;
		size_t declared = declared_length(conn);
		if (declared > srv->max_body)
			st->too_large = 1;
		/* A modestly oversized body is read and dropped so that clients
		 * which send it without waiting for "100 Continue" still see the
		 * 413. A huge one is refused before reading: responses can only
		 * be queued before the upload starts or after it ends, and the
		 * connection is closed after this one. */
		if (declared > srv->max_body + DRAIN_LIMIT)
			return dispatch(conn, st, url, method);
		return MHD_YES;
	}
	if (st->job) {
		enum MHD_Result ret;
		*upload_data_size = 0;
		if (!atomic_load(&st->job->done))
			return MHD_YES;
		/* a request held for a password check may open an event stream */
		if (st->job->resp.stream.read && !st->head)
			ret = stream_send(conn, st->srv, &st->job->resp);
		else
			ret = send_response(conn, &st->job->resp, !st->head);
		job_free(st->job);
		st->job = NULL;
		st->answered = 1;
		return ret;
	}
	if (st->answered) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		upload_progress(srv, st);
		if (st->too_large || st->len + n > srv->max_body) {
			/* A body without Content-Length grew past the limit: drop
			 * it as it arrives and answer 413 once it has ended. */
			st->too_large = 1;
			free(st->body);
			st->body = NULL;
			st->len = 0;
			st->cap = 0;
			return MHD_YES;
		}
		if (st->len + n + 1 > st->cap) {
			size_t cap = st->cap ? st->cap : 1024;
			while (cap < st->len + n + 1)
				cap *= 2;
			char *nb = realloc(st->body, cap);
			if (!nb)
				return MHD_NO;
			st->body = nb;
			st->cap = cap;
		}
		memcpy(st->body + st->len, upload_data, n);
		st->len += n;
		st->body[st->len] = '\0';
		return MHD_YES;
	}
	return dispatch(conn, st, url, method);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;
	struct req_state *st = *con_cls;
	struct conn_info *info = conn_info_of(conn);
	struct tls_transport *tls = info_transport(info);
	(void)toe;
	/* libmicrohttpd has passed the whole response to the session: send
	 * it. A full socket keeps the rest for the thread's loop; a failed
	 * session fails the connection's next operation. */
	if (tls)
		(void)tls_response_release(tls, info->worker->pass_ms);
	if (!st)
		return;
	if (st->job) {
		/* The client went away while its job ran: wait for the worker,
		 * which still uses the job, before freeing it. */
		while (!atomic_load(&st->job->done)) {
			struct timespec t = { 0, 1000000 };
			nanosleep(&t, NULL);
		}
		job_free(st->job);
	}
	if (st->counted)
		atomic_fetch_sub(&srv->inflight, 1);
	if (st->uploading)
		atomic_fetch_sub(&srv->uploading, 1);
	free(st->body);
	free(st);
	*con_cls = NULL;
}

/* The certificate is chosen per handshake, so that a reload reaches new
 * connections without restarting the daemons. libmicrohttpd makes the
 * connection the session's pointer. */
static int select_certificate(gnutls_session_t session, const gnutls_datum_t *req_ca_dn,
			      int nreqs, const gnutls_pk_algorithm_t *pk_algos,
			      int pk_algos_length, gnutls_pcert_st **pcert,
			      unsigned int *pcert_length, gnutls_privkey_t *privkey)
{
	struct MHD_Connection *conn = gnutls_session_get_ptr(session);
	const union MHD_ConnectionInfo *ci =
		conn ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT) : NULL;
	const struct conn_info *info = ci ? ci->socket_context : NULL;
	(void)req_ca_dn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;

	if (!info)
		return -1;
	tls_store_current(info->worker->srv->tls, pcert, pcert_length, privkey);
	return 0;
}

int http_server_set_certificate(struct http_server *s, const char *cert_pem, const char *key_pem,
				char *err, size_t errlen)
{
	return tls_store_replace(s->tls, cert_pem, key_pem, err, errlen);
}

/* libmicrohttpd 0.9.75 closes a connection whose handshake failed without
 * a word to the peer; this message, logged on the connection's thread right
 * after gnutls_handshake failed and before the close, is the only sign of it
 * an application gets. */
#define MHD_HANDSHAKE_FAILED "Error: received handshake message out of context.\n"

__attribute__((format(printf, 2, 0)))
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct worker *w = cls;
	char msg[512];

	if (w && w->tls_io.last && strcmp(fmt, MHD_HANDSHAKE_FAILED) == 0) {
		/* The session that failed did I/O last: GnuTLS fails a handshake
		 * on what it has just read or written. */
		tls_handshake_alert(w->tls_io.last, TLS_MIN_VERSION);
		w->tls_io.last = NULL;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_debug("https: %s", msg);
}

struct MHD_Daemon *server_daemon_start(struct worker *w, const struct http_server_config *cfg,
				       int fd, int v6)
{
	struct http_server *srv = w->srv;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_TLS | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	unsigned limit = (cfg->connection_limit + (unsigned)srv->nworkers - 1) / (unsigned)srv->nworkers;

	if (v6)
		flags |= MHD_USE_IPv6;
	struct MHD_OptionItem opts[] = {
		{ MHD_OPTION_LISTEN_SOCKET, fd, NULL },
		{ MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)select_certificate },
		{ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)http_tls_priorities },
		{ MHD_OPTION_CONNECTION_LIMIT, limit ? limit : 1, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout_s, NULL },
		{ MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONNECTION_MEMORY, NULL },
		/* HTTP/1.1 is all there is to agree on: without ALPN a client
		 * speaks it anyway, and each session saves the copy of the
		 * protocol list libmicrohttpd would give it (320 bytes). */
		{ MHD_OPTION_TLS_NO_ALPN, 1, NULL },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, srv },
		{ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, w },
		{ MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)unescape, NULL },
		{ cfg->client_ca_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0,
		  (void *)cfg->client_ca_pem },
		{ MHD_OPTION_END, 0, NULL },
	};
	return MHD_start_daemon(flags, 0, on_accept, srv, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER,
				mhd_log, w, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
}

int http_server_start(const struct http_server_config *cfg, http_handler_fn handler, void *ctx,
		      struct http_server **out, char *err, size_t errlen)
{
	struct http_server *srv;
	int rc = 0;

	if (cfg->naddresses == 0 || cfg->naddresses > MAX_ADDRESSES) {
		snprintf(err, errlen, "between 1 and %d listen addresses are needed", MAX_ADDRESSES);
		return -EINVAL;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	pthread_mutex_init(&srv->streams_lock, NULL);
	srv->nworkers = cfg->threads < 1 ? 1 : cfg->threads > MAX_WORKERS ? MAX_WORKERS : cfg->threads;
	for (size_t i = 0; i < srv->nworkers; i++) {
		srv->workers[i].srv = srv;
		srv->workers[i].unknown.worker = &srv->workers[i];
		snprintf(srv->workers[i].unknown.peer, sizeof(srv->workers[i].unknown.peer), "unknown");
		srv->workers[i].epfd = -1;
		srv->workers[i].wakefd = -1;
		srv->workers[i].tls_io.sent = held_sent;
		srv->workers[i].tls_io.epfd = -1;
	}
	if (workpool_new(JOB_THREADS_MAX, JOB_IDLE_MS, &srv->jobs) ||
	    peer_counts_new(cfg->connections_per_address, &srv->peers)) {
		http_server_stop(srv);
		return -ENOMEM;
	}
	srv->handler = handler;
	srv->unavailable = cfg->unavailable;
	srv->ctx = ctx;
	srv->max_body = cfg->max_body;
	srv->give_up_ms = (long long)(cfg->connection_timeout_s ? cfg->connection_timeout_s : 60) * 1000;
	srv->want_client_cert = cfg->client_ca_pem != NULL;
	if (tls_tickets_new(TLS_TICKET_LIFETIME_S, &srv->tickets)) {
		snprintf(err, errlen, "cannot make a session ticket key");
		http_server_stop(srv);
		return -EIO;
	}
	if (tls_store_new(cfg->cert_pem, cfg->key_pem, &srv->tls, err, errlen)) {
		http_server_stop(srv);
		return -EINVAL;
	}

	for (size_t i = 0; i < srv->nworkers && !rc; i++)
		rc = worker_open(&srv->workers[i], cfg, err, errlen);
	for (size_t i = 0; i < srv->nworkers && !rc; i++) {
		rc = -pthread_create(&srv->workers[i].thread, NULL, worker_main, &srv->workers[i]);
		srv->workers[i].started = rc == 0;
		if (!rc) {
			char name[16];
			snprintf(name, sizeof(name), "https-%u", (unsigned)(i % MAX_WORKERS));
			pthread_setname_np(srv->workers[i].thread, name);
		}
		if (rc)
			snprintf(err, errlen, "cannot start a server thread: %s", strerror(-rc));
	}
	if (rc) {
		http_server_stop(srv);
		return rc;
	}
	*out = srv;
	return 0;
}

void http_server_quiesce(struct http_server *s)
{
	struct timespec t = { 0, 1000000 };

	streams_close(s);
	atomic_store(&s->quiescing, true);
	for (size_t i = 0; i < s->nworkers; i++) {
		worker_wake(&s->workers[i]);
		while (s->workers[i].started && !atomic_load(&s->workers[i].quiesced))
			nanosleep(&t, NULL);
	}
}

unsigned http_server_inflight(struct http_server *s)
{
	unsigned n = atomic_load(&s->inflight), up = atomic_load(&s->uploading);

	if (up && clock_monotonic_ms() - atomic_load(&s->upload_ms) < HTTP_UPLOAD_STALL_MS)
		n += up;
	return n;
}

unsigned http_server_streams(struct http_server *s)
{
	return atomic_load(&s->nstreams);
}

void http_server_stop(struct http_server *s)
{
	if (!s)
		return;
	/* Workers resume their connection when done; they are bounded by the
	 * command timeouts, so this wait ends. */
	while (atomic_load(&s->workers_busy) > 0) {
		struct timespec t = { 0, 5000000 };
		nanosleep(&t, NULL);
	}
	streams_close(s);
	for (int i = 0; i < 200 && atomic_load(&s->nstreams) > 0; i++) {
		struct timespec t = { 0, 10000000 };
		nanosleep(&t, NULL);
	}
	workpool_free(s->jobs);
	atomic_store(&s->stopping, true);
	for (size_t i = 0; i < s->nworkers; i++) {
		struct worker *w = &s->workers[i];
		worker_wake(w);
		if (w->started)
			pthread_join(w->thread, NULL);
		/* Each daemon closes the listener it was given. */
		for (size_t j = 0; j < w->ndaemons; j++)
			MHD_stop_daemon(w->daemons[j]);
		if (w->epfd >= 0)
			close(w->epfd);
		if (w->wakefd >= 0)
			close(w->wakefd);
	}
	peer_counts_free(s->peers);
	pthread_mutex_destroy(&s->streams_lock);
	tls_tickets_free(s->tickets);
	tls_store_free(s->tls);
	free(s);
}

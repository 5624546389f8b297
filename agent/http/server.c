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

#include "http/tlsstore.h"
#include "http/uri.h"
#include "util/workpool.h"
#include "util/log.h"

#define MAX_DAEMONS 8
#define MAX_HEADERS 64
#define MAX_QUERY 16
#define DRAIN_LIMIT (1u << 20)
/* Deferred work (device commands) runs on at most this many threads at
 * once; each waits for its device's admission queue and timeout, so this
 * bounds threads, not throughput. Idle ones end after JOB_IDLE_MS. */
#define JOB_THREADS_MAX 64
#define JOB_IDLE_MS 10000

const char http_tls_priorities[] =
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"
	"-CIPHER-ALL:+AES-128-GCM:+CHACHA20-POLY1305:+AES-256-GCM:"
	"-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:"
	"-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:%SERVER_PRECEDENCE";

struct http_server {
	struct MHD_Daemon *daemons[MAX_DAEMONS];
	size_t ndaemons;
	http_handler_fn handler;
	void *ctx;
	size_t max_body;
	int want_client_cert;
	atomic_uint inflight;
	atomic_uint workers;   /* deferred jobs still running */
	struct workpool *jobs; /* threads that run them */
	gnutls_datum_t ticket_key;
	struct tls_store *tls;
	pthread_mutex_t streams_lock;
	struct stream_conn *streams; /* streaming responses being sent */
	atomic_uint nstreams;
	bool streams_closing;
};

/* A streaming response on one connection. The connection is suspended while
 * the producer has nothing to send, so an idle stream holds no thread; wake
 * resumes it. lock orders suspended/woken against wake from other threads
 * and is never held while calling into the producer. */
struct stream_conn {
	struct http_server *srv;
	struct MHD_Connection *conn;
	struct http_stream s;
	pthread_mutex_t lock;
	bool suspended;
	bool woken;
	bool closing;
	struct stream_conn *prev, *next;
};

/* A deferred response being produced on a worker thread. */
struct job {
	struct MHD_Connection *conn;
	struct http_server *srv;
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
	struct job *job;
};

struct kv_collect {
	struct http_header *items;
	size_t n;
	size_t max;
};

static enum MHD_Result collect_kv(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	struct kv_collect *c = cls;
	(void)kind;
	if (c->n < c->max) {
		c->items[c->n].name = key;
		c->items[c->n].value = value ? value : "";
		c->n++;
	}
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

static void peer_address(struct MHD_Connection *conn, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(buf, len, "unknown");
	if (!ci || !ci->client_addr)
		return;
	if (ci->client_addr->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ci->client_addr;
		inet_ntop(AF_INET, &in->sin_addr, buf, (socklen_t)len);
	} else if (ci->client_addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ci->client_addr;
		inet_ntop(AF_INET6, &in6->sin6_addr, buf, (socklen_t)len);
	}
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

static enum MHD_Result send_response(struct MHD_Connection *conn, struct http_response *resp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *text = resp->text;
	size_t len = resp->text_len;

	if (!text && resp->json) {
		text = json_dumps(resp->json, JSON_COMPACT);
		len = text ? strlen(text) : 0;
	} else {
		resp->text = NULL; /* ownership moves to MHD */
	}
	if (text)
		r = MHD_create_response_from_buffer_with_free_callback(len, text, free);
	else
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	for (size_t i = 0; i < resp->nheaders; i++)
		MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
	if (resp->content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	ret = MHD_queue_response(conn, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static void stream_wake(void *arg)
{
	struct stream_conn *sc = arg;

	pthread_mutex_lock(&sc->lock);
	if (sc->suspended) {
		sc->suspended = false;
		MHD_resume_connection(sc->conn);
	} else {
		sc->woken = true;
	}
	pthread_mutex_unlock(&sc->lock);
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

static enum MHD_Result send_stream(struct MHD_Connection *conn, struct http_server *srv,
				   struct http_response *resp)
{
	struct stream_conn *sc = calloc(1, sizeof(*sc));
	struct MHD_Response *r = NULL;
	enum MHD_Result ret;

	if (!sc)
		return MHD_NO; /* resp still owns the stream and releases it */
	sc->srv = srv;
	sc->conn = conn;
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
	for (size_t i = 0; i < resp->nheaders; i++)
		MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
	if (resp->content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	ret = MHD_queue_response(conn, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* End every stream: they never finish by themselves, and libmicrohttpd must
 * not be stopped with suspended connections. */
static void close_streams(struct http_server *s)
{
	pthread_mutex_lock(&s->streams_lock);
	s->streams_closing = true;
	for (struct stream_conn *sc = s->streams; sc; sc = sc->next) {
		pthread_mutex_lock(&sc->lock);
		sc->closing = true;
		if (sc->suspended) {
			sc->suspended = false;
			MHD_resume_connection(sc->conn);
		}
		pthread_mutex_unlock(&sc->lock);
	}
	pthread_mutex_unlock(&s->streams_lock);
}

static void job_main(void *arg)
{
	struct job *job = arg;
	struct http_server *srv = job->srv;

	job->work.run(job->work.arg, &job->resp);
	atomic_store(&job->done, 1);
	MHD_resume_connection(job->conn);
	atomic_fetch_sub(&srv->workers, 1);
}

/* Park the connection and produce its response on a worker thread: a device
 * command may take seconds and must not stall the connections that share
 * this server thread. */
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
	job->work = resp->defer;
	memset(&resp->defer, 0, sizeof(resp->defer)); /* the job owns it now */
	http_response_release(resp);
	http_response_init(&job->resp);
	st->job = job;
	MHD_suspend_connection(conn);
	atomic_fetch_add(&st->srv->workers, 1);
	rc = workpool_submit(st->srv->jobs, job_main, job);
	if (rc) {
		atomic_fetch_sub(&st->srv->workers, 1);
		MHD_resume_connection(conn);
		job->resp.status = 503;
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
	struct kv_collect hc = { headers, 0, MAX_HEADERS }, qc = { query, 0, MAX_QUERY };
	char peer[INET6_ADDRSTRLEN + 1];
	struct http_request req;
	struct http_response resp;
	enum MHD_Result ret;

	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_kv, &hc);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_kv, &qc);
	peer_address(conn, peer, sizeof(peer));
	memset(&req, 0, sizeof(req));
	req.method = http_method_parse(method);
	req.method_token = method;
	req.path = url;
	req.uri_invalid = uri_refused(url, query, qc.n);
	req.headers = headers;
	req.nheaders = hc.n;
	req.query = query;
	req.nquery = qc.n;
	req.body = st->len ? st->body : NULL;
	req.body_len = st->len;
	req.body_too_large = st->too_large;
	req.peer = peer;
	if (st->srv->want_client_cert)
		peer_certificate(conn, &req.cert);

	http_response_init(&resp);
	st->srv->handler(st->srv->ctx, &req, &resp);
	if (resp.defer.run)
		return start_job(conn, st, &resp);
	if (resp.stream.read)
		ret = send_stream(conn, st->srv, &resp);
	else
		ret = send_response(conn, &resp);
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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct req_state *st = *con_cls;
	(void)version;

	if (!st) {
		/* First call: only set up. Queuing a response here makes
		 * libmicrohttpd close the connection afterwards, which would cost
		 * keep-alive on every request. */
		st = calloc(1, sizeof(*st));
		if (!st)
			return MHD_NO;
		st->srv = srv;
		atomic_fetch_add(&srv->inflight, 1);
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
		ret = send_response(conn, &st->job->resp);
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
	(void)conn;
	(void)toe;
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
	free(st->body);
	free(st);
	*con_cls = NULL;
	atomic_fetch_sub(&srv->inflight, 1);
}

/* Every connection knows its server (the certificate callback below needs
 * it), and resuming TLS sessions needs session tickets enabled on each. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http_server *srv = cls;
	const union MHD_ConnectionInfo *ci;

	if (code != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	*socket_context = srv;
	if (!srv->ticket_key.data)
		return;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci && ci->tls_session)
		gnutls_session_ticket_enable_server((gnutls_session_t)ci->tls_session,
						    &srv->ticket_key);
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
	struct http_server *srv = ci ? ci->socket_context : NULL;
	(void)req_ca_dn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;

	if (!srv)
		return -1;
	tls_store_current(srv->tls, pcert, pcert_length, privkey);
	return 0;
}

int http_server_set_certificate(struct http_server *s, const char *cert_pem, const char *key_pem,
				char *err, size_t errlen)
{
	return tls_store_replace(s->tls, cert_pem, key_pem, err, errlen);
}

__attribute__((format(printf, 2, 0)))
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_debug("https: %s", msg);
}

static int parse_address(const char *addr, unsigned port, struct sockaddr_storage *ss, int *v6)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*v6 = 0;
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*v6 = 1;
		return 0;
	}
	return -EINVAL;
}

static int ipv6_available(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return errno != EAFNOSUPPORT;
	close(fd);
	return 1;
}

int http_server_start(const struct http_server_config *cfg, http_handler_fn handler, void *ctx,
		      struct http_server **out, char *err, size_t errlen)
{
	struct http_server *srv;

	if (cfg->naddresses == 0 || cfg->naddresses > MAX_DAEMONS) {
		snprintf(err, errlen, "between 1 and %d listen addresses are needed", MAX_DAEMONS);
		return -EINVAL;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	if (workpool_new(JOB_THREADS_MAX, JOB_IDLE_MS, &srv->jobs)) {
		free(srv);
		return -ENOMEM;
	}
	srv->handler = handler;
	srv->ctx = ctx;
	srv->max_body = cfg->max_body;
	pthread_mutex_init(&srv->streams_lock, NULL);
	srv->want_client_cert = cfg->client_ca_pem != NULL;
	if (gnutls_session_ticket_key_generate(&srv->ticket_key) != GNUTLS_E_SUCCESS)
		srv->ticket_key.data = NULL;
	if (tls_store_new(cfg->cert_pem, cfg->key_pem, &srv->tls, err, errlen)) {
		http_server_stop(srv);
		return -EINVAL;
	}

	for (size_t i = 0; i < cfg->naddresses; i++) {
		struct sockaddr_storage ss;
		int v6;
		unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TLS | MHD_USE_ERROR_LOG |
				 MHD_ALLOW_SUSPEND_RESUME;
		if (parse_address(cfg->addresses[i], cfg->port, &ss, &v6)) {
			snprintf(err, errlen, "listen address \"%s\" is not a numeric IPv4 or IPv6 address",
				 cfg->addresses[i]);
			http_server_stop(srv);
			return -EINVAL;
		}
		if (v6 && !ipv6_available() && cfg->naddresses > 1) {
			/* The packaged default lists both wildcards; a host booted
			 * without IPv6 still serves on the rest. */
			log_warn("IPv6 is not available on this host: not listening on [%s]:%u",
				 cfg->addresses[i], cfg->port);
			continue;
		}
		if (v6)
			flags |= MHD_USE_IPv6;
		struct MHD_OptionItem opts[] = {
			{ MHD_OPTION_SOCK_ADDR, 0, &ss },
			{ MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)select_certificate },
			{ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)http_tls_priorities },
			{ MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, NULL },
			{ MHD_OPTION_CONNECTION_LIMIT, cfg->connection_limit, NULL },
			{ MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->connections_per_address, NULL },
			{ MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout_s, NULL },
			{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, srv },
			{ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, srv },
			{ MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL },
			{ MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)unescape, NULL },
			{ cfg->client_ca_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0,
			  (void *)cfg->client_ca_pem },
			{ MHD_OPTION_END, 0, NULL },
		};
		srv->daemons[srv->ndaemons] = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv,
						   MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
						   MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
		if (!srv->daemons[srv->ndaemons]) {
			snprintf(err, errlen,
				 "cannot listen on [%s]:%u with TLS (address in use, or a bad certificate/key)",
				 cfg->addresses[i], cfg->port);
			http_server_stop(srv);
			return -EADDRINUSE;
		}
		srv->ndaemons++;
	}
	*out = srv;
	return 0;
}

void http_server_quiesce(struct http_server *s)
{
	close_streams(s);
	for (size_t i = 0; i < s->ndaemons; i++) {
		MHD_socket fd = MHD_quiesce_daemon(s->daemons[i]);
		if (fd != MHD_INVALID_SOCKET)
			close(fd);
	}
}

unsigned http_server_inflight(struct http_server *s)
{
	return atomic_load(&s->inflight);
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
	while (atomic_load(&s->workers) > 0) {
		struct timespec t = { 0, 5000000 };
		nanosleep(&t, NULL);
	}
	close_streams(s);
	for (int i = 0; i < 200 && atomic_load(&s->nstreams) > 0; i++) {
		struct timespec t = { 0, 10000000 };
		nanosleep(&t, NULL);
	}
	workpool_free(s->jobs);
	for (size_t i = 0; i < s->ndaemons; i++)
		MHD_stop_daemon(s->daemons[i]);
	pthread_mutex_destroy(&s->streams_lock);
	if (s->ticket_key.data)
		gnutls_free(s->ticket_key.data);
	tls_store_free(s->tls);
	free(s);
}

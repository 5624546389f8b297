/* The HTTPS front end (libmicrohttpd on GnuTLS). The only module that sees
 * libmicrohttpd: it turns connections into struct http_request, calls one
 * handler, and sends its struct http_response. */
#ifndef CXLA_HTTP_SERVER_H
#define CXLA_HTTP_SERVER_H

#include <stddef.h>

#include "http/message.h"

enum http_client_auth { HTTP_CLIENT_AUTH_OFF, HTTP_CLIENT_AUTH_OPTIONAL, HTTP_CLIENT_AUTH_REQUIRED };

struct http_server_config {
	const char *const *addresses; /* numeric IPv4/IPv6 addresses */
	size_t naddresses;
	unsigned port;
	const char *cert_pem;         /* borrowed PEM text */
	const char *key_pem;
	const char *client_ca_pem;    /* NULL: no client certificates */
	enum http_client_auth client_auth;
	unsigned threads;
	unsigned connection_limit;
	unsigned connections_per_address; /* one host cannot take every slot */
	unsigned connection_timeout_s;
	size_t max_body;
	/* The answer to a request the server does not start (it is stopping,
	 * or no thread is free for it): a 503 with Retry-After that the
	 * server sends as is, with the handler's ctx. NULL: a bare one. */
	void (*unavailable)(void *ctx, struct http_response *resp);
};

/* Called once per complete request, on a server thread. The handler must
 * fill resp; the server adds nothing but transport headers. */
typedef void (*http_handler_fn)(void *ctx, const struct http_request *req,
				struct http_response *resp);

struct http_server;

int http_server_start(const struct http_server_config *cfg, http_handler_fn handler, void *ctx,
		      struct http_server **out, char *err, size_t errlen);
/* Stop accepting new connections and end streaming responses; other
 * in-flight requests continue. */
void http_server_quiesce(struct http_server *s);
/* Requests received and not yet answered, and requests whose body is still
 * arriving while any body bytes came in the last HTTP_UPLOAD_STALL_MS: what
 * a stop waits for. A client that stops sending halfway is not waited on. */
#define HTTP_UPLOAD_STALL_MS 2000
unsigned http_server_inflight(struct http_server *s);
/* Serve new connections with this certificate chain and key (PEM text,
 * borrowed); established connections keep theirs. On error nothing changes
 * and err says why. Returns 0 or -errno. */
int http_server_set_certificate(struct http_server *s, const char *cert_pem, const char *key_pem,
				char *err, size_t errlen);
/* Streaming responses being sent. */
unsigned http_server_streams(struct http_server *s);
/* End streams, close everything and free. */
void http_server_stop(struct http_server *s);

/* The priority string used for TLS: 1.2 and 1.3 only, AEAD ciphers, forward
 * secrecy. */
extern const char http_tls_priorities[];

#endif

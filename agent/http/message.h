/* HTTP requests and responses as the rest of the agent sees them. Nothing here
 * depends on libmicrohttpd: handlers and tests build and read these structs
 * directly; agent/http/server.c converts them at the edge. */
#ifndef CXLA_HTTP_MESSAGE_H
#define CXLA_HTTP_MESSAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum http_method {
	HTTP_GET = 1u << 0,
	HTTP_HEAD = 1u << 1,
	HTTP_POST = 1u << 2,
	HTTP_PATCH = 1u << 3,
	HTTP_PUT = 1u << 4,
	HTTP_DELETE = 1u << 5,
	HTTP_OTHER = 1u << 6,
};

/* Parses an HTTP method token; unknown tokens give HTTP_OTHER. */
enum http_method http_method_parse(const char *s);
/* "GET, HEAD, PATCH" style list of the methods in mask into buf. */
void http_methods_format(unsigned mask, char *buf, size_t len);

struct http_header {
	const char *name;
	const char *value;
};

/* Client certificate as presented and verified during the TLS handshake. */
struct http_peer_cert {
	bool present;
	bool verified;        /* chains to the configured client CA, in validity */
	const unsigned char *der; /* leaf certificate, borrowed */
	size_t der_len;
	char verify_error[96];
};

/* An incoming request. Every pointer is borrowed and valid until the
 * response is queued. */
struct http_request {
	enum http_method method;
	const char *method_token;
	const char *path;          /* percent-decoded, without the query */
	/* The path or a query argument was refused by uri_unescape or holds a
	 * dot segment, or more query arguments arrived than the server keeps;
	 * path then keeps the bytes as they arrived. */
	bool uri_invalid;
	/* More header fields than the server keeps: refused rather than
	 * answered on a part of them. */
	bool headers_overflow;
	const struct http_header *headers; /* request headers */
	size_t nheaders;
	const struct http_header *query;   /* decoded query arguments */
	size_t nquery;
	const char *body;          /* NULL when empty */
	size_t body_len;
	bool body_too_large;       /* larger than the configured limit: body dropped */
	const char *peer;          /* source address, text form */
	struct http_peer_cert cert;
};

/* Case-insensitive header lookup; borrowed value or NULL. */
const char *http_request_header(const struct http_request *req, const char *name);
/* A deep copy of req that outlives the connection's buffers, for work that
 * finishes the request on another thread. *out is new (http_request_free).
 * 0 or -ENOMEM. */
int http_request_copy(const struct http_request *req, struct http_request **out);
void http_request_free(struct http_request *req);

#define HTTP_MAX_RESP_HEADERS 12

struct http_response;

/* Work that would block a server thread (a device command). A handler that
 * sets http_response.defer leaves the response empty; the server parks the
 * connection, calls run on a worker thread to fill a fresh response, sends
 * it, then calls release. Other connections keep being served meanwhile. */
struct workpool;
struct http_deferred {
	void (*run)(void *arg, struct http_response *resp);
	void (*release)(void *arg);
	void *arg;
	/* Where run goes (borrowed; NULL: the server's own pool). Password
	 * checks have a small pool of their own, so that a flood of them
	 * neither waits behind device commands nor takes every CPU. */
	struct workpool *pool;
	/* Optional, for work that waits on another thread's answer rather
	 * than blocking (a command sent to the broker): called on the server
	 * thread once the connection is parked, in place of run. It returns 0
	 * when it took the work: it then fills resp and calls done(done_arg)
	 * exactly once, from any thread, possibly before it returns, and
	 * touches resp no more. Any other return means it touched nothing,
	 * and run is used. The saving is a thread hand-over each way. */
	int (*start)(void *arg, struct http_response *resp, void (*done)(void *done_arg),
		     void *done_arg);
};

/* A body produced over time (an event stream), sent until the producer ends
 * it or the client goes away. The server calls attach once, before the first
 * read, with a wake function; the producer calls wake(waker) from any thread
 * whenever read may have something new (cheap, never blocks, safe to call
 * with the producer's own locks held). read copies up to max pending bytes
 * and returns their count, 0 when nothing is pending (the connection then
 * waits for the next wake without holding a server thread), or -1 to end the
 * response. release is called exactly once, when the stream is over or was
 * never sent; wake must not be called once release has returned. */
struct http_stream {
	void (*attach)(void *arg, void (*wake)(void *waker), void *waker);
	long (*read)(void *arg, char *buf, size_t max);
	void (*release)(void *arg);
	void *arg;
};

/* A response under construction. The handler sets status and exactly one of
 * json (taken over), text/text_len (owned copy) or stream (taken over). */
struct http_response {
	int status;
	json_t *json;
	char *text;
	size_t text_len;
	const char *content_type;  /* static string; default JSON for json/errors */
	struct {
		char *name;
		char *value;
	} headers[HTTP_MAX_RESP_HEADERS];
	size_t nheaders;
	struct http_deferred defer;
	struct http_stream stream;
};

void http_response_init(struct http_response *resp);
void http_response_release(struct http_response *resp);
/* Add a header (name and value copied). Replaces an existing one of the same
 * name. Returns 0, -ENOMEM or -E2BIG. */
int http_response_header(struct http_response *resp, const char *name, const char *value);
const char *http_response_get_header(const struct http_response *resp, const char *name);
/* Set a JSON body (reference taken over) and status. */
void http_response_json(struct http_response *resp, int status, json_t *body);
/* Set a text body (copied). Returns 0 or -ENOMEM. */
int http_response_text(struct http_response *resp, int status, const char *content_type,
		       const char *text, size_t len);

#endif

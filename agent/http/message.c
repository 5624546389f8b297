#include "http/message.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	enum http_method m;
	const char *name;
} methods[] = {
	{ HTTP_GET, "GET" },     { HTTP_HEAD, "HEAD" },	{ HTTP_POST, "POST" },
	{ HTTP_PATCH, "PATCH" }, { HTTP_PUT, "PUT" },	{ HTTP_DELETE, "DELETE" },
};

enum http_method http_method_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(s, methods[i].name) == 0)
			return methods[i].m;
	return HTTP_OTHER;
}

void http_methods_format(unsigned mask, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (!(mask & methods[i].m))
			continue;
		size_t n = strlen(methods[i].name) + (off ? 2 : 0);
		if (off + n + 1 > len)
			break;
		memcpy(buf + off, off ? ", " : "", off ? 2 : 0);
		off += off ? 2 : 0;
		memcpy(buf + off, methods[i].name, strlen(methods[i].name) + 1);
		off += strlen(methods[i].name);
	}
}

const char *http_request_header(const struct http_request *req, const char *name)
{
	for (size_t i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

/* Sizes of what a copy holds after the struct, each string with its NUL. */
static size_t copy_size(const struct http_request *req)
{
	size_t n = strlen(req->method_token) + strlen(req->path) + 2;

	for (size_t i = 0; i < req->nheaders; i++)
		n += strlen(req->headers[i].name) + strlen(req->headers[i].value) + 2;
	for (size_t i = 0; i < req->nquery; i++)
		n += strlen(req->query[i].name) + strlen(req->query[i].value) + 2;
	return n + (req->peer ? strlen(req->peer) + 1 : 0) + req->body_len + 1 + req->cert.der_len;
}

static char *put(char **p, const void *src, size_t len, bool nul)
{
	char *at = *p;
	memcpy(at, src, len);
	if (nul)
		at[len] = '\0';
	*p += len + nul;
	return at;
}

static const char *put_str(char **p, const char *s)
{
	return put(p, s, strlen(s), true);
}

/* One allocation: the struct, the header and query arrays, then the bytes. */
int http_request_copy(const struct http_request *req, struct http_request **out)
{
	size_t arrays = (req->nheaders + req->nquery) * sizeof(struct http_header);
	struct http_request *c = malloc(sizeof(*c) + arrays + copy_size(req));
	struct http_header *h;
	char *p;

	if (!c)
		return -ENOMEM;
	*c = *req;
	h = (struct http_header *)(c + 1);
	p = (char *)h + arrays;
	c->headers = h;
	for (size_t i = 0; i < req->nheaders; i++, h++) {
		h->name = put_str(&p, req->headers[i].name);
		h->value = put_str(&p, req->headers[i].value);
	}
	c->query = h;
	for (size_t i = 0; i < req->nquery; i++, h++) {
		h->name = put_str(&p, req->query[i].name);
		h->value = put_str(&p, req->query[i].value);
	}
	c->method_token = put_str(&p, req->method_token);
	c->path = put_str(&p, req->path);
	c->peer = req->peer ? put_str(&p, req->peer) : NULL;
	c->body = req->body ? put(&p, req->body, req->body_len, true) : NULL;
	c->cert.der = req->cert.der_len ? (const unsigned char *)put(&p, req->cert.der,
								     req->cert.der_len, false)
					: NULL;
	*out = c;
	return 0;
}

/* The copy may hold credentials (Authorization, a login body): wiped. */
void http_request_free(struct http_request *req)
{
	if (!req)
		return;
	explicit_bzero(req, sizeof(*req) +
				    (req->nheaders + req->nquery) * sizeof(struct http_header) +
				    copy_size(req));
	free(req);
}

void http_response_init(struct http_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	resp->status = 200;
}

void http_response_release(struct http_response *resp)
{
	if (resp->defer.release)
		resp->defer.release(resp->defer.arg);
	if (resp->stream.release)
		resp->stream.release(resp->stream.arg);
	json_decref(resp->json);
	free(resp->text);
	for (size_t i = 0; i < resp->nheaders; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	memset(resp, 0, sizeof(*resp));
}

int http_response_header(struct http_response *resp, const char *name, const char *value)
{
	char *v = strdup(value);
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < resp->nheaders; i++) {
		if (strcasecmp(resp->headers[i].name, name) == 0) {
			free(resp->headers[i].value);
			resp->headers[i].value = v;
			return 0;
		}
	}
	if (resp->nheaders == HTTP_MAX_RESP_HEADERS) {
		free(v);
		return -E2BIG;
	}
	char *n = strdup(name);
	if (!n) {
		free(v);
		return -ENOMEM;
	}
	resp->headers[resp->nheaders].name = n;
	resp->headers[resp->nheaders].value = v;
	resp->nheaders++;
	return 0;
}

const char *http_response_get_header(const struct http_response *resp, const char *name)
{
	for (size_t i = 0; i < resp->nheaders; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

void http_response_json(struct http_response *resp, int status, json_t *body)
{
	json_decref(resp->json);
	free(resp->text);
	resp->text = NULL;
	resp->text_len = 0;
	resp->json = body;
	resp->status = status;
	resp->content_type = NULL;
}

int http_response_text(struct http_response *resp, int status, const char *content_type,
		       const char *text, size_t len)
{
	char *copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	json_decref(resp->json);
	resp->json = NULL;
	free(resp->text);
	resp->text = copy;
	resp->text_len = len;
	resp->status = status;
	resp->content_type = content_type;
	return 0;
}

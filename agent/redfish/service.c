#include "redfish/service.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/accounts.h"
#include "auth/authn.h"
#include "core/agent.h"
#include "http/accept.h"
#include "redfish/body_cache.h"
#include "redfish/error.h"
#include "redfish/query.h"
#include "redfish/router.h"
#include "metrics/metrics.h"
#include "util/log.h"
#include "util/workpool.h"

#define WWW_AUTHENTICATE "Basic realm=\"cxl-agent\", charset=\"UTF-8\""
#define JSON_CONTENT_TYPE "application/json; charset=utf-8"

static int is_json_media_type(const char *ct)
{
	size_t n = strlen("application/json");
	if (!ct || strncasecmp(ct, "application/json", n) != 0)
		return 0;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/* The refused URI as text safe for a message: every byte outside printable
 * ASCII as %XX, the refusal mark as the '/' it replaced. */
static void printable_uri(const char *path, char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; path[i] && o + 4 < len; i++) {
		unsigned char c = (unsigned char)path[i];
		if (i == 0 && c == 0x7f)
			buf[o++] = '/';
		else if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(buf + o, len - o, "%%%02X", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
}

/* Protocol checks that come before routing: a URI that cannot be read one
 * way only, and an OData version the service does not speak. Returns 1 when
 * resp holds the refusal. */
static int refuse_request(const struct http_request *req, struct http_response *resp)
{
	const char *odata = http_request_header(req, "OData-Version");
	char uri[256];

	if (req->headers_overflow) {
		rf_general_error(resp, 431);
		rf_error_append(resp, rf_general_error_message(
					      "The request carries more header fields than the "
					      "service accepts; nothing was done."));
		return 1;
	}
	if (req->uri_invalid) {
		printable_uri(req->path, uri, sizeof(uri));
		rf_invalid_uri(resp, uri);
		return 1;
	}
	if (odata && strcmp(odata, "4.0") != 0) {
		rf_header_invalid_precondition(resp, "OData-Version");
		return 1;
	}
	return 0;
}

/* POST to a collection's Members is POST to the collection (DSP0266),
 * with or without a trailing slash as every other path. The alias is a
 * copy of the path without "/Members", or NULL. */
static char *members_alias(const struct http_request *req)
{
	static const char suffix[] = "/Members";
	size_t n = strlen(req->path), k = sizeof(suffix) - 1;

	while (n > 1 && req->path[n - 1] == '/')
		n--;
	if (req->method != HTTP_POST || n <= k || strncmp(req->path + n - k, suffix, k) != 0)
		return NULL;
	return strndup(req->path, n - k);
}

static void unauthorized(struct http_response *resp)
{
	rf_no_valid_session(resp);
	http_response_header(resp, "WWW-Authenticate", WWW_AUTHENTICATE);
}

/* Serialise the JSON body once and derive the ETag from the bytes, so the
 * tag changes exactly when the content does. A tag the handler set itself
 * (one it also checks If-Match against) is kept. */
static int serialise(struct http_response *resp)
{
	unsigned char md[32];
	char etag[24];
	char *text;

	if (!resp->json)
		return 0;
	text = json_dumps(resp->json, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text)
		return -ENOMEM;
	json_decref(resp->json);
	resp->json = NULL;
	free(resp->text);
	resp->text = text;
	resp->text_len = strlen(text);
	if (!resp->content_type)
		resp->content_type = JSON_CONTENT_TYPE;
	if (resp->status != 200 || http_response_get_header(resp, "ETag"))
		return 0;
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, text, resp->text_len, md))
		return 0;
	snprintf(etag, sizeof(etag), "\"%02x%02x%02x%02x%02x%02x%02x%02x\"", md[0], md[1], md[2],
		 md[3], md[4], md[5], md[6], md[7]);
	return http_response_header(resp, "ETag", etag);
}

/* If-None-Match naming the current ETag: 304 without a body. */
static void conditional_get(const struct http_request *req, struct http_response *resp)
{
	const char *etag = http_response_get_header(resp, "ETag");
	const char *inm = http_request_header(req, "If-None-Match");

	if (resp->status != 200 || !etag || !inm || !(req->method & (HTTP_GET | HTTP_HEAD)))
		return;
	if (strstr(inm, etag) || strcmp(inm, "*") == 0) {
		free(resp->text);
		resp->text = NULL;
		resp->text_len = 0;
		resp->status = 304;
	}
}

/* DSP0266: a GET answer names the JSON schema of what it returns. DMTF
 * types point at DMTF's published schemas, the agent's own at the copy it
 * serves. */
static int describedby(struct http_response *resp)
{
	const char *type = json_string_value(json_object_get(resp->json, "@odata.type"));
	const char *dot;
	char link[160];

	if (!type || type[0] != '#' || !(dot = strrchr(type, '.')) || dot == type + 1)
		return 0;
	if (strncmp(type + 1, "CxlAgent.", 9) == 0)
		snprintf(link, sizeof(link), "</redfish/v1/Schemas/%.*s.json>; rel=describedby",
			 (int)(dot - type - 1), type + 1);
	else
		snprintf(link, sizeof(link),
			 "<https://redfish.dmtf.org/schemas/v1/%.*s.json>; rel=describedby",
			 (int)(dot - type - 1), type + 1);
	return http_response_header(resp, "Link", link);
}

/* Run the handler, or serve its last body when the route says the data has
 * not changed since. */
static int run_handler(struct agent *ag, const struct route *route, const struct route_ctx *ctx,
		       struct http_response *resp)
{
	uint64_t version = 0;
	int rc;

	/* A body shaped by query options is not the resource's body. */
	if (route->version && ag->bodies && !ctx->query &&
	    (ctx->req->method & (HTTP_GET | HTTP_HEAD)))
		version = route->version(ctx);
	if (version && body_cache_get(ag->bodies, ctx->req->path, version, resp))
		return 0;
	rc = route->handler(ctx, resp);
	if (!rc && resp->status == 200 && resp->json && (ctx->req->method & (HTTP_GET | HTTP_HEAD)))
		rc = describedby(resp);
	if (!rc && version && resp->status == 200 && resp->json && !resp->defer.run) {
		if ((rc = serialise(resp)))
			return rc;
		body_cache_put(ag->bodies, ctx->req->path, version, resp);
	}
	return rc;
}

/* A GET of path on behalf of the caller of parent, for $expand and only:
 * the route lookup, the privilege check and the handler (with its body
 * cache) of a direct GET by the same identity, so a query never shows what
 * the caller could not GET. Matches rf_query_get_fn. */
static int subrequest_get(void *arg, const char *path, struct rf_query *q,
			  struct http_response *resp)
{
	const struct route_ctx *parent = arg;
	struct http_request req = *parent->req;
	struct route_params params = { 0 };
	const struct route *route = NULL;
	struct route_ctx ctx = *parent;
	size_t scratch_len = strlen(path) + 1;
	char *scratch = malloc(scratch_len);
	unsigned allowed;
	char allow[64];
	int rc = 0;

	if (!scratch)
		return -ENOMEM;
	req.method = HTTP_GET;
	req.method_token = "GET";
	req.path = path;
	req.query = NULL;
	req.nquery = 0;
	req.body = NULL;
	req.body_len = 0;
	if (router_match(parent->agent->router, HTTP_GET, path, scratch, scratch_len, &route,
			 &params, &allowed) != ROUTE_FOUND) {
		rf_resource_not_found(resp, "Resource", path);
		goto out;
	}
	ctx.req = &req;
	ctx.params = &params;
	ctx.query = q;
	ctx.admitted_by = route_admits(route, parent->who->privileges);
	if (!ctx.admitted_by) {
		rf_insufficient_privilege(resp);
		goto out;
	}
	rc = run_handler(parent->agent, route, &ctx, resp);
	/* only answers with this resource: its methods, not the collection's */
	http_methods_format(allowed, allow, sizeof(allow));
	if (!rc)
		rc = http_response_header(resp, "Allow", allow);
out:
	free(scratch);
	return rc;
}

/* RFC 7232 and DSP0266: a change with If-Match goes ahead only while the
 * resource's ETag, as its GET by the same caller shows it, is among those
 * named ("*": any). Checked here for every resource, not by each handler;
 * handlers that keep their own ETag check it again under their lock. When
 * the caller cannot GET the resource the handler's own answer (404, 403)
 * stands. true when resp holds the refusal. */
static bool precondition_failed(const struct route_ctx *ctx, const char *path,
				struct http_response *resp)
{
	const char *if_match = http_request_header(ctx->req, "If-Match");
	struct http_response cur;
	const char *etag;
	bool failed = false;

	if (!if_match || !(ctx->req->method & (HTTP_PATCH | HTTP_PUT | HTTP_DELETE)))
		return false;
	http_response_init(&cur);
	if (subrequest_get((void *)ctx, path, NULL, &cur) == 0 && cur.status == 200 &&
	    serialise(&cur) == 0 && (etag = http_response_get_header(&cur, "ETag")) &&
	    !accounts_etag_match(if_match, etag)) {
		rf_precondition_failed(resp);
		failed = true;
	}
	http_response_release(&cur);
	return failed;
}

/* The media type route answers path with (type/subtype, static). */
static const char *route_media_type(const struct route *route, const char *path)
{
	size_t n;

	switch (route->methods & ROUTE_MEDIA_MASK) {
	case ROUTE_XML:
		return "application/xml";
	case ROUTE_EVENT_STREAM:
		return "text/event-stream";
	case ROUTE_OPENMETRICS:
		return "application/openmetrics-text";
	case ROUTE_MEDIA_BY_NAME:
		n = strlen(path);
		return n > 4 && strcmp(path + n - 4, ".xml") == 0 ? "application/xml"
								 : "application/json";
	default:
		return "application/json";
	}
}

/* DSP0266 and RFC 9110: a resource whose one representation the Accept
 * header excludes is answered 406 before its handler runs (a POST must not
 * act and then refuse to say what it did). true when resp holds the
 * refusal. */
static bool not_acceptable(const struct http_request *req, const struct route *route,
			   const char *path, struct http_response *resp)
{
	const char *accept = http_request_header(req, "Accept");
	const char *media;

	if (!accept)
		return false;
	media = route_media_type(route, path);
	if (http_accept_allows(accept, media))
		return false;
	rf_not_acceptable(resp, media);
	return true;
}

/* wait: NULL on a server thread, where the KDF never runs; else the
 * request's place in the check of its password, on the password pool. */
static enum authn_result authenticate(struct agent *ag, const struct http_request *req,
				      struct authn_wait *wait, struct identity *who)
{
	return wait ? authn_request_wait(ag->authn, req, wait, who)
		    : authn_request_nowait(ag->authn, req, who);
}

/* $expand and only on a public resource fetch other resources as the
 * caller, who is then worth knowing: with credentials that do not verify
 * the public resource is still served, and expands as for nobody. */
static enum authn_result public_caller(struct agent *ag, const struct http_request *req,
				       struct authn_wait *wait, struct identity *who)
{
	enum authn_result auth = authenticate(ag, req, wait, who);

	if (auth != AUTHN_OK && auth != AUTHN_WOULD_BLOCK) {
		memset(who, 0, sizeof(*who));
		who->peer = req->peer;
	}
	return auth;
}

/* The request's query options into q (q->options 0 without any). A route
 * marked ROUTE_QUERY_FILTER (borrowed, NULL when none matched) reads
 * $filter itself, so it is not an unsupported option there. 0, -ENOMEM, or
 * -EINVAL with the refusal in err. */
static int query_of(const struct http_request *req, const struct route *route,
		    struct rf_query *q, struct rf_query_error *err)
{
	struct http_header *args;
	size_t n = 0;
	int rc;

	q->options = 0;
	if (!req->nquery)
		return 0;
	if (!route || !(route->methods & ROUTE_QUERY_FILTER))
		return rf_query_parse(req->query, req->nquery, q, err);
	/* q borrows the values, never this array */
	args = calloc(req->nquery, sizeof(*args));
	if (!args)
		return -ENOMEM;
	for (size_t i = 0; i < req->nquery; i++)
		if (strcmp(req->query[i].name, "$filter") != 0)
			args[n++] = req->query[i];
	rc = rf_query_parse(args, n, q, err);
	free(args);
	return rc;
}

/* The answer of a matched and admitted route: its query refused, or the
 * handler's answer, shaped by the query options when there are any. A
 * request without them goes to run_handler() directly and pays nothing. */
static int dispatch(const struct route *route, const struct route_ctx *ctx, int qrc,
		    const struct rf_query_error *qerr, struct http_response *resp)
{
	int rc;

	if (qrc == -ENOMEM)
		return qrc; /* an internal error, not a refusal */
	if (qrc) {
		rf_query_refuse(resp, qerr);
		return 0;
	}
	if (!ctx->query)
		return run_handler(ctx->agent, route, ctx, resp);
	if (!(ctx->req->method & (HTTP_GET | HTTP_HEAD))) {
		rf_query_not_supported_on_operation(resp);
		return 0;
	}
	rc = run_handler(ctx->agent, route, ctx, resp);
	/* A failed or deferred answer is not shaped (DSP0266: errors win). */
	if (rc || resp->status != 200 || !resp->json || resp->defer.run)
		return rc;
	return rf_query_apply(ctx->query, ctx->req->path, resp, subrequest_get, (void *)ctx);
}

static void defer_password_check(struct agent *ag, const struct http_request *req,
				 struct http_response *resp);

/* Answers that authentication gives before routing goes on: a password
 * check to finish on the password pool, or the rate limit. true when resp
 * holds the answer. */
static bool auth_answered(struct agent *ag, const struct http_request *req,
			  enum authn_result auth, struct http_response *resp)
{
	if (auth == AUTHN_WOULD_BLOCK)
		defer_password_check(ag, req, resp);
	else if (auth == AUTHN_RATE_LIMITED)
		rf_too_many_requests(resp, authn_request_retry_after(ag->authn, req));
	else
		return false;
	return true;
}

/* wait: as for authenticate(). */
static void route_request(struct agent *ag, const struct http_request *req,
			  struct http_response *resp, unsigned *allowed, struct authn_wait *wait)
{
	const struct route *route = NULL;
	struct route_params params = { 0 };
	struct identity who;
	struct route_ctx ctx;
	char *alias = members_alias(req);
	const char *path = alias ? alias : req->path;
	size_t scratch_len = strlen(path) + 1;
	char *scratch = malloc(scratch_len);
	enum route_lookup found;
	enum authn_result auth = AUTHN_NO_CREDENTIALS;
	struct rf_query query;
	struct rf_query_error qerr;
	char allow[64];
	int qrc, rc;

	memset(&who, 0, sizeof(who));
	who.peer = req->peer;
	if (!scratch) {
		rf_internal_error(resp);
		free(alias);
		return;
	}
	/* A client certificate that is required, or presented and bad, is
	 * refused before anything else, public resources included. */
	if (authn_transport(ag->authn, req) != AUTHN_OK) {
		unauthorized(resp);
		goto out;
	}
	found = router_match(ag->router, req->method, path, scratch, scratch_len, &route,
			     &params, allowed);
	qrc = query_of(req, found == ROUTE_FOUND ? route : NULL, &query, &qerr);
	if (found != ROUTE_FOUND || !route_is_public(route))
		auth = authenticate(ag, req, wait, &who);
	else if (query.options & (RF_Q_EXPAND | RF_Q_ONLY))
		auth = public_caller(ag, req, wait, &who);
	if (auth_answered(ag, req, auth, resp))
		goto out;

	/* Unknown paths are 404 only for authenticated callers, so the
	 * resource tree cannot be probed anonymously. */
	if (found == ROUTE_NOT_FOUND) {
		if (auth != AUTHN_OK)
			unauthorized(resp);
		else
			rf_resource_not_found(resp, "Resource", req->path);
		goto out;
	}
	if (found == ROUTE_METHOD_NOT_ALLOWED) {
		/* Which methods a protected resource allows is not told to
		 * anonymous callers either. */
		if (!route_is_public(route) && auth != AUTHN_OK) {
			unauthorized(resp);
			goto out;
		}
		rf_operation_not_allowed(resp);
		http_methods_format(*allowed, allow, sizeof(allow));
		http_response_header(resp, "Allow", allow);
		goto out;
	}
	if (!route_is_public(route) && auth != AUTHN_OK) {
		unauthorized(resp);
		goto out;
	}
	ctx.agent = ag;
	ctx.req = req;
	ctx.params = &params;
	ctx.who = &who;
	ctx.admitted_by = route_admits(route, who.privileges);
	if (!ctx.admitted_by) {
		rf_insufficient_privilege(resp);
		goto out;
	}
	if (not_acceptable(req, route, path, resp))
		goto out;
	if (req->body_too_large) {
		rf_payload_too_large(resp);
		goto out;
	}
	/* Every POST and PATCH, empty or not: a browser form (text/plain) with
	 * cached credentials must never reach a handler. */
	if ((req->method & (HTTP_POST | HTTP_PATCH | HTTP_PUT)) &&
	    !is_json_media_type(http_request_header(req, "Content-Type"))) {
		rf_unsupported_media_type(resp);
		goto out;
	}
	ctx.query = query.options ? &query : NULL;
	if (precondition_failed(&ctx, path, resp))
		goto out;
	rc = qrc || ctx.query ? dispatch(route, &ctx, qrc, &qerr, resp)
			      : run_handler(ag, route, &ctx, resp);
	if (rc) {
		log_error("handler for %s %s failed: %s", req->method_token, req->path,
			  strerror(-rc));
		rf_internal_error(resp);
	}
out:
	free(scratch);
	free(alias);
}

/* Headers every answer carries, and the serialised body with its ETag. req
 * is NULL for deferred answers (no conditional GET on those). */
static void finish(const struct http_request *req, struct http_response *resp, unsigned allowed)
{
	char allow[64];

	if (serialise(resp)) {
		http_response_release(resp);
		http_response_init(resp);
		resp->status = 500;
	}
	if (req)
		conditional_get(req, resp);
	http_response_header(resp, "OData-Version", "4.0");
	/* Every answer may carry account or device data: no shared caching. */
	http_response_header(resp, "Cache-Control", "no-store");
	http_response_header(resp, "X-Content-Type-Options", "nosniff");
	http_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
	if (allowed && !http_response_get_header(resp, "Allow")) {
		http_methods_format(allowed, allow, sizeof(allow));
		http_response_header(resp, "Allow", allow);
	}
}

/* A request whose credential needs the KDF, finished on the password pool:
 * the HTTP thread moves on to other connections meanwhile. A request that
 * joined the check of its credential under way is parked until that check
 * ends (start), then finished on the pool without a KDF of its own. */
struct password_job {
	struct agent *agent;
	struct http_request *req; /* a copy: the connection's buffers are reused */
	struct authn_wait *wait;
	/* joined, while started: the server's response and completion */
	struct http_response *resp;
	void (*done)(void *done_arg);
	void *done_arg;
};

static void password_job_run(void *arg, struct http_response *resp)
{
	struct password_job *j = arg;
	unsigned allowed = 0;

	route_request(j->agent, j->req, resp, &allowed, j->wait);
	if (resp->defer.run) {
		/* The handler deferred its own work (a device command): this is
		 * already a worker thread, so it runs here. */
		struct http_deferred d = resp->defer;
		memset(&resp->defer, 0, sizeof(resp->defer));
		d.run(d.arg, resp);
		if (d.release)
			d.release(d.arg);
	}
}

static void joined_main(void *arg)
{
	struct password_job *j = arg;

	password_job_run(j, j->resp);
	j->done(j->done_arg);
}

/* The check the request joined has ended, on whichever thread ended it. */
static void joined_ready(void *arg)
{
	struct password_job *j = arg;

	if (workpool_submit(authn_kdf_pool(j->agent->authn), joined_main, j) == 0)
		return;
	rf_service_temporarily_unavailable(j->resp, 1);
	j->done(j->done_arg);
}

static int password_job_start(void *arg, struct http_response *resp,
			      void (*done)(void *done_arg), void *done_arg)
{
	struct password_job *j = arg;

	j->resp = resp;
	j->done = done;
	j->done_arg = done_arg;
	authn_wait_notify(j->agent->authn, j->wait, joined_ready, j);
	return 0;
}

static void password_job_release(void *arg)
{
	struct password_job *j = arg;

	authn_wait_free(j->agent->authn, j->wait);
	http_request_free(j->req);
	free(j);
}

static void defer_password_check(struct agent *ag, const struct http_request *req,
				 struct http_response *resp)
{
	struct password_job *j = calloc(1, sizeof(*j));
	int rc = j ? authn_wait_new(ag->authn, req, &j->wait) : -ENOMEM;

	if (rc == -EAGAIN) {
		log_warn_limited("request refused (password checks busy)", req->peer,
				 "request from %s refused: too many password checks waiting",
			 req->peer ? req->peer : "unknown");
		rf_service_temporarily_unavailable(resp, 1);
		free(j);
		return;
	}
	if (rc || http_request_copy(req, &j->req)) {
		if (j)
			authn_wait_free(ag->authn, j->wait);
		free(j);
		rf_internal_error(resp);
		return;
	}
	j->agent = ag;
	resp->defer = (struct http_deferred){ password_job_run, password_job_release, j,
					      authn_kdf_pool(ag->authn),
					      authn_wait_joined(j->wait) ? password_job_start
									 : NULL };
}

struct deferred_finish {
	struct http_deferred inner;
	unsigned allowed;
	struct metrics *metrics;
	/* while started: the server's response and completion */
	struct http_response *resp;
	void (*done)(void *done_arg);
	void *done_arg;
};

static void deferred_run(void *arg, struct http_response *resp)
{
	struct deferred_finish *d = arg;
	d->inner.run(d->inner.arg, resp);
	finish(NULL, resp, d->allowed);
	metrics_http(d->metrics, resp->status);
}

static void deferred_done(void *arg)
{
	struct deferred_finish *d = arg;
	finish(NULL, d->resp, d->allowed);
	metrics_http(d->metrics, d->resp->status);
	d->done(d->done_arg);
}

static int deferred_start(void *arg, struct http_response *resp, void (*done)(void *done_arg),
			  void *done_arg)
{
	struct deferred_finish *d = arg;
	d->resp = resp;
	d->done = done;
	d->done_arg = done_arg;
	return d->inner.start(d->inner.arg, resp, deferred_done, d);
}

static void deferred_release(void *arg)
{
	struct deferred_finish *d = arg;
	if (d->inner.release)
		d->inner.release(d->inner.arg);
	free(d);
}

void service_unavailable(void *ctx, struct http_response *resp)
{
	struct agent *ag = ctx;

	rf_service_temporarily_unavailable(resp, 1);
	finish(NULL, resp, 0);
	metrics_http(ag->metrics, resp->status);
}

void service_handle(void *ctx, const struct http_request *req, struct http_response *resp)
{
	struct agent *ag = ctx;
	unsigned allowed = 0;

	/* A body over the limit is refused before anything else is looked at:
	 * the connection is about to be closed and no handler may run. */
	if (req->body_too_large && !(req->method & (HTTP_GET | HTTP_HEAD)))
		rf_payload_too_large(resp);
	else if (!refuse_request(req, resp))
		route_request(ag, req, resp, &allowed, NULL);

	if (resp->defer.run) {
		struct deferred_finish *d = malloc(sizeof(*d));
		if (d) {
			d->inner = resp->defer;
			d->allowed = allowed;
			d->metrics = ag->metrics;
			/* d now belongs to the deferred work; the server releases it. */
			resp->defer = (struct http_deferred){ deferred_run, deferred_release, d,
							      d->inner.pool,
							      d->inner.start ? deferred_start : NULL };
			log_debug("%s %s %s -> deferred", req->peer, req->method_token, req->path);
			// cppcheck-suppress memleak
			return;
		}
		http_response_release(resp); /* releases the inner work */
		http_response_init(resp);
		rf_internal_error(resp);
	}
	finish(req, resp, allowed);
	metrics_http(ag->metrics, resp->status);
	if (resp->status == 401)
		metrics_auth_failure(ag->metrics);
	log_debug("%s %s %s -> %d", req->peer, req->method_token, req->path, resp->status);
}

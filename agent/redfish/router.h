/* Routing: every route is declared in a table with its methods, its URI
 * pattern and the privileges it needs, next to its handler. The table is
 * checked at start-up: a route without declared privileges or two routes
 * answering the same method on the same pattern stop the agent. */
#ifndef CXLA_REDFISH_ROUTER_H
#define CXLA_REDFISH_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include "auth/identity.h"
#include "auth/privilege.h"
#include "http/message.h"

struct agent;
struct rf_query;

#define ROUTE_MAX_PARAMS 6
#define ROUTE_MAX_SEGMENTS 16
#define ROUTE_PRIV_ALTERNATIVES 3

/* Values of the {name} segments of a matched pattern, in order. Borrowed
 * from the request path copy held by the router until the request ends. */
struct route_params {
	size_t count;
	const char *names[ROUTE_MAX_PARAMS];
	const char *values[ROUTE_MAX_PARAMS];
};
/* Value of parameter name, or NULL. */
const char *route_param(const struct route_params *p, const char *name);

struct route_ctx {
	struct agent *agent;
	const struct http_request *req;
	const struct route_params *params;
	const struct identity *who;
	/* the alternative of the route's privileges that admitted the caller
	 * (e.g. PRIV_CONFIGURE_SELF when only "self" access was granted) */
	privset_t admitted_by;
	/* The request's query options (redfish/query.h), NULL when it has
	 * none. A handler may apply $skip and $top itself (and set paged) or
	 * embed members for $expand; its route then has no body cache. */
	struct rf_query *query;
};

/* A handler fills resp. Its return value is 0, or a negative errno for an
 * unexpected failure, which the router turns into a 500 InternalError. */
typedef int (*route_handler)(const struct route_ctx *ctx, struct http_response *resp);

/* Optional, for GET routes: a number that changes whenever the resource's
 * content may have changed (0: do not cache). When it equals the version of
 * the body served last, that body is served again without the handler. */
typedef uint64_t (*route_version)(const struct route_ctx *ctx);

struct route {
	unsigned methods;   /* HTTP_GET etc.; GET implies HEAD */
	const char *pattern; /* "/redfish/v1/Systems/{system}/Memory/{dev}" */
	/* The caller needs all bits of at least one alternative; zeros end the
	 * list. {PRIV_NOAUTH} makes the route public. An all-zero list is a
	 * declaration error. */
	privset_t privileges[ROUTE_PRIV_ALTERNATIVES];
	route_handler handler;
	route_version version;
};

/* Not methods: flags a route may add to its methods. By default any "$"
 * query parameter gets 501 QueryParameterUnsupported; this one lets the
 * handler read $filter itself. */
#define ROUTE_QUERY_FILTER (1u << 15)
/* The one media type a route answers with when it succeeds, a value in
 * ROUTE_MEDIA_MASK; none named is JSON. A request whose Accept header
 * excludes it is refused with 406 before the handler runs. */
#define ROUTE_MEDIA_MASK (7u << 12)
#define ROUTE_XML (1u << 12)
#define ROUTE_EVENT_STREAM (2u << 12)
#define ROUTE_OPENMETRICS (3u << 12)
#define ROUTE_MEDIA_BY_NAME (4u << 12) /* files: XML when the path ends in ".xml", else JSON */
#define ROUTE_FLAGS (ROUTE_QUERY_FILTER | ROUTE_MEDIA_MASK)

struct router;

/* Build a router from tables (each ends with a zeroed entry). Validates every
 * route; on error returns -EINVAL and a message naming the route in err. */
int router_new(const struct route *const *tables, size_t ntables, struct router **out,
	       char *err, size_t errlen);
void router_free(struct router *r);

enum route_lookup {
	ROUTE_FOUND,
	ROUTE_NOT_FOUND,          /* no pattern matches the path */
	ROUTE_METHOD_NOT_ALLOWED, /* a pattern matches, not for this method */
};

/* Match method and path (trailing slash tolerated). On ROUTE_FOUND *route
 * and params are set; params point into scratch (at least as long as the
 * path + 1). allowed gets the union of methods of matching patterns (with
 * HEAD added where GET is). */
enum route_lookup router_match(const struct router *r, enum http_method method,
			       const char *path, char *scratch, size_t scratch_len,
			       const struct route **route, struct route_params *params,
			       unsigned *allowed);

/* Which alternative of route's privileges the holder satisfies, or 0. */
privset_t route_admits(const struct route *route, privset_t held);
/* Whether route is public (NoAuth). */
int route_is_public(const struct route *route);

/* Iterate every route (for the authorisation matrix test). */
size_t router_count(const struct router *r);
const struct route *router_at(const struct router *r, size_t i);

#endif

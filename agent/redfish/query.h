/* Redfish query parameters (DSP0266 "Query parameters"): $top, $skip,
 * $select, $expand and only, the way clients and aggregators send them.
 *
 * Parsing (query.c) is pure: it reads the decoded arguments of one request
 * and either fills a struct rf_query or says which Base message refuses
 * them. Applying (query_apply.c) works on a handler's JSON answer, in the
 * order DSP0266 gives: $skip, $top, $expand, $select; only on its own. Every
 * resource an expansion or only embeds is fetched through a function the
 * service edge supplies, which runs the same route lookup, the same
 * privilege check and the same handler as a direct GET by the same caller.
 *
 * A request without arguments never reaches any of this. */
#ifndef CXLA_REDFISH_QUERY_H
#define CXLA_REDFISH_QUERY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "http/message.h"

/* Largest $top (as bmcweb), deepest $levels (ServiceRoot's MaxLevels). */
#define RF_QUERY_MAX_TOP 1000
#define RF_QUERY_MAX_SKIP 4294967295u
#define RF_QUERY_MAX_LEVELS 2
/* $select: at most this many nodes in its tree (every distinct segment of
 * every path), segments at most this long. */
#define RF_SELECT_MAX_NODES 48
#define RF_SELECT_MAX_SEGMENT 64
/* What one $expand may cost: resources fetched and bytes they add. Larger
 * is refused (400 QueryParameterOutOfRange naming the limit), never cut. */
#define RF_EXPAND_MAX_RESOURCES 1000
#define RF_EXPAND_MAX_BYTES (4u << 20)

enum rf_query_option {
	RF_Q_ONLY = 1u << 0,
	RF_Q_TOP = 1u << 1,
	RF_Q_SKIP = 1u << 2,
	RF_Q_SELECT = 1u << 3,
	RF_Q_EXPAND = 1u << 4,
};

enum rf_expand {
	RF_EXPAND_NONE,
	RF_EXPAND_LINKS,     /* "~": only hyperlinks under Links */
	RF_EXPAND_NOT_LINKS, /* ".": every hyperlink except those under Links */
	RF_EXPAND_ALL,       /* "*" */
};

/* One segment of a $select path, a node of the selection tree. name points
 * into the request's $select value (borrowed, not NUL-terminated). Node 0
 * is the root. */
struct rf_select_node {
	const char *name;
	size_t len;
	int parent;
	bool selected; /* the path ends here: the whole value is kept */
};

struct rf_query {
	unsigned options; /* RF_Q_* present in the request */
	size_t top, skip;
	enum rf_expand expand;
	unsigned levels;
	/* The values as the client sent them (decoded, borrowed from the
	 * request), for the next-page link; NULL when absent. */
	const char *select_text;
	const char *expand_text;
	size_t nselect; /* nodes in select[], the root included */
	struct rf_select_node select[RF_SELECT_MAX_NODES];
	/* Set by a handler that applied $skip and $top itself (and linked the
	 * next page): the members it answered are the page. */
	bool paged;
};

enum rf_query_refusal {
	RF_QUERY_UNSUPPORTED,        /* 501 QueryParameterUnsupported */
	RF_QUERY_VALUE_TYPE,         /* 400 QueryParameterValueTypeError */
	RF_QUERY_VALUE_FORMAT,       /* 400 QueryParameterValueFormatError */
	RF_QUERY_OUT_OF_RANGE,       /* 400 QueryParameterOutOfRange */
	RF_QUERY_COMBINATION,        /* 400 QueryCombinationInvalid */
};

/* Why arguments were refused. param and value are borrowed from the
 * request; range is the accepted range for RF_QUERY_OUT_OF_RANGE. */
struct rf_query_error {
	enum rf_query_refusal kind;
	const char *param;
	const char *value;
	char range[32];
};

/* Read the decoded arguments of a request into q. Parameters not starting
 * with '$' other than only are ignored (DSP0266). Returns 0 (q->options may
 * be 0: nothing to do), or -EINVAL with err filled. q borrows from args. */
int rf_query_parse(const struct http_header *args, size_t nargs, struct rf_query *q,
		   struct rf_query_error *err);

/* The Base message for err, as resp's answer. */
void rf_query_refuse(struct http_response *resp, const struct rf_query_error *err);

/* ---- applying (query_apply.c) ---- */

/* GET path for the caller of the request being answered, into resp (an
 * initialised, empty response), with q as that GET's query (NULL: none).
 * resp is 200 with a JSON or serialised JSON body when the caller may see
 * the resource, else whatever a direct GET would have answered. 0, or a
 * negative errno for an internal failure. */
typedef int (*rf_query_get_fn)(void *arg, const char *path, struct rf_query *q,
			       struct http_response *resp);

/* Apply q to the handler's 200 answer in resp (resp->json set) for the
 * resource at path. On a query the resource does not support, a limit
 * exceeded or allocation failure resp becomes the error answer. Returns 0,
 * or a negative errno for an internal failure (resp then unchanged or an
 * error answer). */
int rf_query_apply(struct rf_query *q, const char *path, struct http_response *resp,
		   rf_query_get_fn get, void *arg);

/* When members of a collection remain after the answered page (skip: the
 * first member answered, count: members answered, total: all members),
 * set collection's Members@odata.nextLink: path with $skip of the next
 * page, and the request's $top, $expand and $select (q may be NULL). A
 * plain path with its query, so an aggregator can prefix it. 0 or -ENOMEM. */
int rf_query_next_link(const struct rf_query *q, const char *path, size_t skip, size_t count,
		       size_t total, json_t *collection);

#endif

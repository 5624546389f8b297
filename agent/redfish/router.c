#include "redfish/router.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct compiled_route {
	const struct route *route;
	size_t nseg;
	const char *seg[ROUTE_MAX_SEGMENTS]; /* literal, or NULL for a parameter */
	char *names[ROUTE_MAX_SEGMENTS];     /* parameter names, owned */
	size_t seglen[ROUTE_MAX_SEGMENTS];
	size_t literals;
	char *storage;                       /* owned copy of the pattern */
};

struct router {
	size_t count;
	struct compiled_route *routes;
};

const char *route_param(const struct route_params *p, const char *name)
{
	for (size_t i = 0; i < p->count; i++)
		if (strcmp(p->names[i], name) == 0)
			return p->values[i];
	return NULL;
}

privset_t route_admits(const struct route *route, privset_t held)
{
	for (size_t i = 0; i < ROUTE_PRIV_ALTERNATIVES && route->privileges[i]; i++) {
		privset_t need = route->privileges[i];
		if (need & PRIV_NOAUTH)
			return PRIV_NOAUTH;
		if ((held & need) == need)
			return need;
	}
	return 0;
}

int route_is_public(const struct route *route)
{
	return (route->privileges[0] & PRIV_NOAUTH) != 0;
}

/* Splits a pattern into segments; "{x}" segments become parameters. */
static int compile(const struct route *rt, struct compiled_route *c, char *err, size_t errlen)
{
	char *save = NULL;

	memset(c, 0, sizeof(*c));
	c->route = rt;
	if (!rt->pattern || rt->pattern[0] != '/' || !rt->handler || !rt->methods) {
		snprintf(err, errlen, "route %s: needs a pattern starting with '/', methods and a handler",
			 rt->pattern ? rt->pattern : "(null)");
		return -EINVAL;
	}
	if (!rt->privileges[0]) {
		snprintf(err, errlen, "route %s: no privileges declared (use PRIV_NOAUTH for public routes)",
			 rt->pattern);
		return -EINVAL;
	}
	c->storage = strdup(rt->pattern);
	if (!c->storage)
		return -ENOMEM;
	for (char *tok = strtok_r(c->storage, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		size_t n = strlen(tok);
		if (c->nseg == ROUTE_MAX_SEGMENTS) {
			snprintf(err, errlen, "route %s: too many segments", rt->pattern);
			return -EINVAL;
		}
		if (tok[0] == '{') {
			if (n < 3 || tok[n - 1] != '}') {
				snprintf(err, errlen, "route %s: malformed parameter %s", rt->pattern, tok);
				return -EINVAL;
			}
			if (c->nseg - c->literals == ROUTE_MAX_PARAMS) {
				snprintf(err, errlen, "route %s: too many parameters", rt->pattern);
				return -EINVAL;
			}
			tok[n - 1] = '\0';
			c->names[c->nseg] = tok + 1;
			c->seg[c->nseg] = NULL;
		} else {
			c->seg[c->nseg] = tok;
			c->seglen[c->nseg] = n;
			c->literals++;
		}
		c->nseg++;
	}
	return 0;
}

static int same_shape(const struct compiled_route *a, const struct compiled_route *b)
{
	if (a->nseg != b->nseg)
		return 0;
	for (size_t i = 0; i < a->nseg; i++) {
		if (!a->seg[i] != !b->seg[i])
			return 0;
		if (a->seg[i] && strcmp(a->seg[i], b->seg[i]) != 0)
			return 0;
	}
	return 1;
}

int router_new(const struct route *const *tables, size_t ntables, struct router **out,
	       char *err, size_t errlen)
{
	struct router *r = calloc(1, sizeof(*r));
	size_t total = 0;
	int rc = 0;

	if (!r)
		return -ENOMEM;
	for (size_t t = 0; t < ntables; t++)
		for (const struct route *rt = tables[t]; rt->pattern || rt->handler; rt++)
			total++;
	r->routes = calloc(total ? total : 1, sizeof(*r->routes));
	if (!r->routes) {
		free(r);
		return -ENOMEM;
	}
	for (size_t t = 0; t < ntables && !rc; t++) {
		for (const struct route *rt = tables[t]; (rt->pattern || rt->handler) && !rc; rt++) {
			struct compiled_route *c = &r->routes[r->count];
			rc = compile(rt, c, err, errlen);
			r->count++;
			for (size_t i = 0; !rc && i + 1 < r->count; i++) {
				const struct compiled_route *o = &r->routes[i];
				if (same_shape(o, c) && (o->route->methods & c->route->methods & ~ROUTE_FLAGS)) {
					snprintf(err, errlen, "routes %s and %s both answer the same method",
						 o->route->pattern, rt->pattern);
					rc = -EINVAL;
				}
			}
		}
	}
	if (rc) {
		router_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void router_free(struct router *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->count; i++)
		free(r->routes[i].storage);
	free(r->routes);
	free(r);
}

size_t router_count(const struct router *r)
{
	return r->count;
}

const struct route *router_at(const struct router *r, size_t i)
{
	return i < r->count ? r->routes[i].route : NULL;
}

/* Split path into segments inside scratch; empty segments (from "//" or a
 * trailing slash) are dropped. Returns the count or -1 when too long. */
static int split_path(const char *path, char *scratch, size_t scratch_len, char **segs)
{
	size_t n = strlen(path);
	int count = 0;
	char *save = NULL;

	if (n + 1 > scratch_len)
		return -1;
	memcpy(scratch, path, n + 1);
	for (char *tok = strtok_r(scratch, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (count == ROUTE_MAX_SEGMENTS)
			return -1;
		segs[count++] = tok;
	}
	return count;
}

static int matches(const struct compiled_route *c, char **segs, size_t nseg)
{
	if (c->nseg != nseg)
		return 0;
	for (size_t i = 0; i < nseg; i++)
		if (c->seg[i] && strcmp(c->seg[i], segs[i]) != 0)
			return 0;
	return 1;
}

enum route_lookup router_match(const struct router *r, enum http_method method,
			       const char *path, char *scratch, size_t scratch_len,
			       const struct route **route, struct route_params *params,
			       unsigned *allowed)
{
	char *segs[ROUTE_MAX_SEGMENTS];
	int nseg = split_path(path, scratch, scratch_len, segs);
	const struct compiled_route *best = NULL;
	size_t best_literals = 0;
	unsigned want = method == HTTP_HEAD ? HTTP_GET : method;

	*allowed = 0;
	*route = NULL;
	if (nseg < 0 || path[0] != '/')
		return ROUTE_NOT_FOUND;
	/* The most specific pattern (most literal segments) names the resource;
	 * all its routes together define the methods it allows. */
	for (size_t i = 0; i < r->count; i++) {
		const struct compiled_route *c = &r->routes[i];
		if (!matches(c, segs, (size_t)nseg))
			continue;
		if (!best || c->literals > best_literals) {
			best = c;
			best_literals = c->literals;
			*allowed = 0;
		}
		if (c->literals < best_literals)
			continue;
		*allowed |= c->route->methods & ~ROUTE_FLAGS;
		if (c->route->methods & want)
			best = c;
	}
	if (!best)
		return ROUTE_NOT_FOUND;
	if (*allowed & HTTP_GET)
		*allowed |= HTTP_HEAD;
	if (!(best->route->methods & want)) {
		*route = best->route; /* so the caller can tell a public resource */
		return ROUTE_METHOD_NOT_ALLOWED;
	}
	params->count = 0;
	for (size_t i = 0; i < best->nseg; i++) {
		if (best->seg[i])
			continue;
		params->names[params->count] = best->names[i];
		params->values[params->count] = segs[i];
		params->count++;
	}
	*route = best->route;
	return ROUTE_FOUND;
}

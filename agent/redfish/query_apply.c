/* Applying parsed query parameters to a handler's answer. The answer is
 * only ever narrowed ($skip, $top, $select) or filled in with resources
 * fetched as the caller ($expand, only): nothing reaches the caller that a
 * direct GET by the same caller would not show. */
#include "redfish/query.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redfish/error.h"

/* ---- the next-page link ---- */

struct sbuf {
	char *p;
	size_t n, cap;
	int err;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->err = -ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

/* s percent-encoded, keeping what a query or path may hold literally and
 * no parser splits on: '&', '=', '+', '#', '%' and '?' are escaped. */
static void sb_encoded(struct sbuf *b, const char *s)
{
	static const char keep[] = "-._~$,/()*@:!;'";
	char esc[4];

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    (c && strchr(keep, c))) {
			sb_put(b, (const char *)&c, 1);
			continue;
		}
		snprintf(esc, sizeof(esc), "%%%02X", c);
		sb_put(b, esc, 3);
	}
}

int rf_query_next_link(const struct rf_query *q, const char *path, size_t skip, size_t count,
		       size_t total, json_t *collection)
{
	struct sbuf b = { 0 };
	char num[32];
	int rc;

	if (count == 0 || skip + count >= total)
		return 0;
	sb_encoded(&b, path);
	snprintf(num, sizeof(num), "?$skip=%zu", skip + count);
	sb_str(&b, num);
	if (q && (q->options & RF_Q_TOP)) {
		snprintf(num, sizeof(num), "&$top=%zu", q->top);
		sb_str(&b, num);
	}
	if (q && q->expand_text) {
		sb_str(&b, "&$expand=");
		sb_encoded(&b, q->expand_text);
	}
	if (q && q->select_text) {
		sb_str(&b, "&$select=");
		sb_encoded(&b, q->select_text);
	}
	rc = b.err ? b.err
		   : json_object_set_new(collection, "Members@odata.nextLink", json_string(b.p))
		   ? -ENOMEM
		   : 0;
	free(b.p);
	return rc;
}

/* ---- $skip and $top ---- */

static size_t member_total(json_t *root, json_t *members)
{
	json_t *count = json_object_get(root, "Members@odata.count");
	if (json_is_integer(count) && json_integer_value(count) >= 0)
		return (size_t)json_integer_value(count);
	return json_array_size(members);
}

static int page(struct rf_query *q, const char *path, json_t *root, json_t *members)
{
	size_t n = json_array_size(members), total = member_total(root, members);
	size_t from = q->skip < n ? q->skip : n;
	size_t to = (q->options & RF_Q_TOP) && q->top < n - from ? from + q->top : n;
	json_t *slice;

	if (q->paged)
		return 0; /* the handler answered the page and linked the next */
	if (!(slice = json_array()))
		return -ENOMEM;
	for (size_t i = from; i < to; i++)
		if (json_array_append(slice, json_array_get(members, i))) {
			json_decref(slice);
			return -ENOMEM;
		}
	if (json_object_set_new(root, "Members", slice))
		return -ENOMEM;
	return rf_query_next_link(q, path, q->skip, to - from, total, root);
}

/* ---- only ---- */

static int only(struct http_response *resp, rf_query_get_fn get, void *arg)
{
	json_t *members = json_object_get(resp->json, "Members");
	const char *uri;
	char *member;
	int rc;

	if (!json_is_array(members)) {
		rf_query_not_supported_on_resource(resp);
		return 0;
	}
	/* Zero or several members: the collection, as without only. */
	if (member_total(resp->json, members) != 1 || json_array_size(members) != 1)
		return 0;
	uri = json_string_value(json_object_get(json_array_get(members, 0), "@odata.id"));
	if (!uri)
		return 0;
	if (!(member = strdup(uri)))
		return -ENOMEM;
	http_response_release(resp);
	http_response_init(resp);
	rc = get(arg, member, NULL, resp);
	free(member);
	return rc;
}

/* ---- $expand ---- */

struct expander {
	const struct rf_query *q;
	rf_query_get_fn get;
	void *arg;
	size_t fetched, bytes;
	bool over_limit;
	int err;
};

/* A navigation link: an object holding only @odata.id, naming a resource
 * of this service. */
static const char *link_target(json_t *o)
{
	json_t *id = json_object_get(o, "@odata.id");
	const char *uri = json_string_value(id);

	if (json_object_size(o) != 1 || !uri)
		return NULL;
	if (strcmp(uri, "/redfish/v1") != 0 && strncmp(uri, "/redfish/v1/", 12) != 0)
		return NULL;
	return strpbrk(uri, "#?") ? NULL : uri;
}

static void walk_members(struct expander *x, json_t *obj, unsigned remaining, bool in_links);

/* The body of a fetched resource (new reference) and its serialised size. */
static json_t *fetched_body(struct http_response *sub, size_t *size)
{
	json_t *body;

	if (sub->json) {
		body = sub->json;
		sub->json = NULL;
		*size = json_dumpb(body, NULL, 0, JSON_COMPACT);
		return body;
	}
	*size = sub->text_len;
	return sub->text ? json_loadb(sub->text, sub->text_len, 0, NULL) : NULL;
}

/* Replace the link with the resource as the caller would GET it; one that
 * the caller may not see, or that is gone (4xx), stays a link. */
static void expand_link(struct expander *x, json_t *link, const char *uri, unsigned remaining)
{
	struct rf_query sub_q = { 0 };
	struct http_response sub;
	json_t *body = NULL;
	char *target;
	size_t size = 0;
	int rc;

	if (x->over_limit || x->err)
		return;
	if (x->fetched == RF_EXPAND_MAX_RESOURCES) {
		x->over_limit = true;
		return;
	}
	x->fetched++;
	if (!(target = strdup(uri))) {
		x->err = -ENOMEM;
		return;
	}
	/* Deeper levels go down with the GET, so that a collection that
	 * embeds its own members (the audit log) does so. */
	sub_q.options = RF_Q_EXPAND;
	sub_q.expand = x->q->expand;
	sub_q.levels = remaining - 1;
	http_response_init(&sub);
	rc = x->get(x->arg, target, remaining > 1 ? &sub_q : NULL, &sub);
	if (rc)
		x->err = rc;
	else if (sub.status >= 500)
		x->err = -EIO; /* a failed part fails the whole, never a silent link */
	else if (sub.status == 200 && !sub.defer.run && !(body = fetched_body(&sub, &size)))
		x->err = -ENOMEM;
	if (json_is_object(body)) {
		x->bytes += size;
		if (x->bytes > RF_EXPAND_MAX_BYTES)
			x->over_limit = true;
		else if (json_object_update(link, body))
			x->err = -ENOMEM;
		else if (remaining > 1)
			walk_members(x, link, remaining - 1, false);
	}
	json_decref(body);
	http_response_release(&sub);
	free(target);
}

static void walk_value(struct expander *x, json_t *v, unsigned remaining, bool in_links)
{
	const char *uri;
	size_t i;
	json_t *e;

	if (json_is_array(v)) {
		json_array_foreach(v, i, e) walk_value(x, e, remaining, in_links);
		return;
	}
	if (!json_is_object(v))
		return;
	if ((uri = link_target(v))) {
		expand_link(x, v, uri, remaining);
		return;
	}
	/* A resource its parent already embeds is one level down. */
	if (json_object_get(v, "@odata.id")) {
		if (remaining > 1)
			walk_members(x, v, remaining - 1, false);
		return;
	}
	walk_members(x, v, remaining, in_links);
}

/* DSP0266: "." follows every link but those under Links, "~" only those,
 * "*" all. Annotations are not followed. */
static void walk_members(struct expander *x, json_t *obj, unsigned remaining, bool in_links)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		bool links = in_links || strcmp(key, "Links") == 0;

		if (strchr(key, '@'))
			continue;
		if ((x->q->expand == RF_EXPAND_NOT_LINKS && links) ||
		    (x->q->expand == RF_EXPAND_LINKS && !links))
			continue;
		walk_value(x, v, remaining, links);
	}
}

static int expand(const struct rf_query *q, struct http_response *resp, rf_query_get_fn get,
		  void *arg)
{
	struct expander x = { q, get, arg, 0, 0, false, 0 };
	char range[64];

	walk_members(&x, resp->json, q->levels, false);
	if (x.err)
		return x.err;
	if (x.over_limit) {
		snprintf(range, sizeof(range), "up to %d resources and %u bytes",
			 RF_EXPAND_MAX_RESOURCES, RF_EXPAND_MAX_BYTES);
		rf_query_parameter_out_of_range(resp, q->expand_text ? q->expand_text : "",
						"$expand", range);
	}
	return 0;
}

/* ---- $select ---- */

static int select_find(const struct rf_query *q, int parent, const char *name, size_t len)
{
	for (size_t i = 1; i < q->nselect; i++)
		if (q->select[i].parent == parent && q->select[i].len == len &&
		    memcmp(q->select[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

/* DSP0266: these are in every answer, whatever was selected. */
static bool always_kept(const char *key)
{
	return strcmp(key, "@odata.id") == 0 || strcmp(key, "@odata.type") == 0 ||
	       strcmp(key, "@odata.context") == 0 || strcmp(key, "@odata.etag") == 0;
}

static void select_apply(json_t *v, const struct rf_query *q, int node)
{
	const char *key;
	json_t *val;
	void *tmp;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, val) select_apply(val, q, node);
		return;
	}
	json_object_foreach_safe(v, tmp, key, val) {
		const char *at = strchr(key, '@');
		int child;

		if (always_kept(key))
			continue;
		/* An annotation of a property ("Members@odata.count") goes
		 * with the property. */
		if (at && at != key && select_find(q, node, key, (size_t)(at - key)) >= 0)
			continue;
		child = select_find(q, node, key, strlen(key));
		if (child >= 0 && q->select[child].selected)
			continue;
		if (child >= 0 && (json_is_object(val) || json_is_array(val))) {
			select_apply(val, q, child);
			continue;
		}
		json_object_del(v, key);
	}
}

/* ---- all of them ---- */

int rf_query_apply(struct rf_query *q, const char *path, struct http_response *resp,
		   rf_query_get_fn get, void *arg)
{
	json_t *members = json_object_get(resp->json, "Members");
	int rc;

	if (!json_is_object(resp->json))
		return 0;
	if (q->options & RF_Q_ONLY)
		return only(resp, get, arg);
	if (q->options & (RF_Q_TOP | RF_Q_SKIP)) {
		/* Paging means something only to a collection. */
		if (!json_is_array(members)) {
			rf_query_not_supported_on_resource(resp);
			return 0;
		}
		if ((rc = page(q, path, resp->json, members)))
			return rc;
	}
	if ((q->options & RF_Q_EXPAND) && (rc = expand(q, resp, get, arg)))
		return rc;
	if ((q->options & RF_Q_SELECT) && resp->status == 200)
		select_apply(resp->json, q, 0);
	return 0;
}

#include "events/filter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events/bus.h"

#define FILTER_MAX_NODES 64
#define FILTER_VALUE_MAX 256

enum fprop { FP_FORMAT, FP_MESSAGE_ID, FP_REGISTRY, FP_RESOURCE_TYPE, FP_ORIGIN };
enum fop { FO_EQ, FO_AND, FO_OR };

struct fnode {
	enum fop op;
	enum fprop prop;
	int left, right;
	char value[FILTER_VALUE_MAX];
};

struct event_filter {
	struct fnode nodes[FILTER_MAX_NODES];
	int count;
	int root; /* -1: match everything */
};

struct parser {
	const char *p;
	struct event_filter *f;
	char *err;
	size_t errlen;
};

static const char *const prop_names[] = {
	[FP_FORMAT] = "EventFormatType", [FP_MESSAGE_ID] = "MessageId",
	[FP_REGISTRY] = "RegistryPrefix", [FP_RESOURCE_TYPE] = "ResourceType",
	[FP_ORIGIN] = "OriginResource",
};

static void skip_ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t')
		ps->p++;
}

/* Consume a keyword followed by a space or an opening parenthesis. */
static bool keyword(struct parser *ps, const char *kw)
{
	size_t n = strlen(kw);
	skip_ws(ps);
	if (strncmp(ps->p, kw, n) != 0 || !(ps->p[n] == ' ' || ps->p[n] == '('))
		return false;
	ps->p += n;
	return true;
}

static int new_node(struct parser *ps, enum fop op, int left, int right)
{
	struct fnode *n;
	if (ps->f->count >= FILTER_MAX_NODES) {
		snprintf(ps->err, ps->errlen, "$filter: expression too long");
		return -EINVAL;
	}
	n = &ps->f->nodes[ps->f->count];
	n->op = op;
	n->left = left;
	n->right = right;
	return ps->f->count++;
}

static int parse_or(struct parser *ps, int depth);

static int parse_comparison(struct parser *ps)
{
	size_t i, len = 0;
	int idx, prop = -1;

	for (i = 0; i < sizeof(prop_names) / sizeof(prop_names[0]); i++) {
		size_t n = strlen(prop_names[i]);
		if (strncmp(ps->p, prop_names[i], n) == 0 && ps->p[n] == ' ') {
			prop = (int)i;
			ps->p += n;
			break;
		}
	}
	if (prop < 0) {
		snprintf(ps->err, ps->errlen,
			 "$filter: unsupported property (EventFormatType, MessageId, RegistryPrefix, "
			 "ResourceType and OriginResource are supported)");
		return -EINVAL;
	}
	if (!keyword(ps, "eq")) {
		snprintf(ps->err, ps->errlen, "$filter: only 'eq' is supported after %s",
			 prop_names[prop]);
		return -EINVAL;
	}
	skip_ws(ps);
	if (*ps->p != '\'') {
		snprintf(ps->err, ps->errlen, "$filter: a quoted value is expected after eq");
		return -EINVAL;
	}
	idx = new_node(ps, FO_EQ, -1, -1);
	if (idx < 0)
		return idx;
	ps->f->nodes[idx].prop = (enum fprop)prop;
	for (ps->p++; *ps->p && *ps->p != '\''; ps->p++) {
		if (len + 1 >= FILTER_VALUE_MAX) {
			snprintf(ps->err, ps->errlen, "$filter: value too long");
			return -EINVAL;
		}
		ps->f->nodes[idx].value[len++] = *ps->p;
	}
	if (*ps->p != '\'') {
		snprintf(ps->err, ps->errlen, "$filter: unterminated quoted value");
		return -EINVAL;
	}
	ps->p++;
	ps->f->nodes[idx].value[len] = '\0';
	return idx;
}

static int parse_term(struct parser *ps, int depth)
{
	int idx;

	skip_ws(ps);
	if (*ps->p != '(')
		return parse_comparison(ps);
	if (depth > 8) {
		snprintf(ps->err, ps->errlen, "$filter: nested too deeply");
		return -EINVAL;
	}
	ps->p++;
	idx = parse_or(ps, depth + 1);
	if (idx < 0)
		return idx;
	skip_ws(ps);
	if (*ps->p != ')') {
		snprintf(ps->err, ps->errlen, "$filter: ')' expected");
		return -EINVAL;
	}
	ps->p++;
	return idx;
}

static int parse_and(struct parser *ps, int depth)
{
	int left = parse_term(ps, depth);
	while (left >= 0 && keyword(ps, "and")) {
		int right = parse_term(ps, depth);
		if (right < 0)
			return right;
		left = new_node(ps, FO_AND, left, right);
	}
	return left;
}

static int parse_or(struct parser *ps, int depth)
{
	int left = parse_and(ps, depth);
	while (left >= 0 && keyword(ps, "or")) {
		int right = parse_and(ps, depth);
		if (right < 0)
			return right;
		left = new_node(ps, FO_OR, left, right);
	}
	return left;
}

int event_filter_parse(const char *text, struct event_filter **out, char *err, size_t errlen)
{
	struct event_filter *f = calloc(1, sizeof(*f));
	struct parser ps = { text, f, err, errlen };
	int root;

	if (!f)
		return -ENOMEM;
	f->root = -1;
	if (text) {
		skip_ws(&ps);
		if (*ps.p) {
			root = parse_or(&ps, 0);
			if (root >= 0) {
				skip_ws(&ps);
				if (*ps.p) {
					snprintf(err, errlen, "$filter: unexpected text \"%.32s\"", ps.p);
					root = -EINVAL;
				}
			}
			if (root < 0) {
				free(f);
				return -EINVAL;
			}
			f->root = root;
		}
	}
	*out = f;
	return 0;
}

void event_filter_free(struct event_filter *f)
{
	free(f);
}

/* "A.x.y.K" -> prefix "A" and key "K". */
static void split_message_id(const char *id, const char **prefix_end, const char **key)
{
	const char *dot = strchr(id, '.');
	const char *last = strrchr(id, '.');
	*prefix_end = dot ? dot : id + strlen(id);
	*key = last ? last + 1 : id;
}

bool event_message_id_match(const char *pattern, const char *id)
{
	const char *pe, *pk, *ie, *ik;

	split_message_id(pattern, &pe, &pk);
	split_message_id(id, &ie, &ik);
	return pe - pattern == ie - id && strncmp(pattern, id, (size_t)(pe - pattern)) == 0 &&
	       strcmp(pk, ik) == 0;
}

bool event_origin_match(const char *pattern, const char *origin)
{
	size_t pl = strlen(pattern), ol = strlen(origin);
	if (pl && pattern[pl - 1] == '/')
		pl--;
	if (ol && origin[ol - 1] == '/')
		ol--;
	return pl == ol && strncmp(pattern, origin, pl) == 0;
}

static bool eval(const struct event_filter *f, int idx, const struct event *ev)
{
	const struct fnode *n = &f->nodes[idx];

	switch (n->op) {
	case FO_AND:
		return eval(f, n->left, ev) && eval(f, n->right, ev);
	case FO_OR:
		return eval(f, n->left, ev) || eval(f, n->right, ev);
	case FO_EQ:
		break;
	}
	switch (n->prop) {
	case FP_FORMAT:
		return strcmp(n->value, "Event") == 0;
	case FP_MESSAGE_ID:
		return event_message_id_match(n->value, ev->message_id);
	case FP_REGISTRY:
		return strcmp(n->value, ev->registry_prefix) == 0;
	case FP_RESOURCE_TYPE:
		return strcmp(n->value, ev->resource_type) == 0;
	case FP_ORIGIN:
		return event_origin_match(n->value, ev->origin);
	}
	return false;
}

bool event_filter_match(const struct event_filter *f, const struct event *ev)
{
	if (!f || f->root < 0)
		return true;
	return eval(f, f->root, ev);
}

/* Appends the leaves of the disjunction at idx to list, all of property
 * *prop (-1: not known yet). -ENOTSUP when a conjunction or another
 * property is found under it. */
static int or_leaves(const struct event_filter *f, int idx, int *prop, json_t *list)
{
	const struct fnode *n = &f->nodes[idx];
	int rc;

	if (n->op == FO_OR)
		return (rc = or_leaves(f, n->left, prop, list)) ? rc : or_leaves(f, n->right, prop, list);
	if (n->op != FO_EQ || (*prop >= 0 && *prop != (int)n->prop))
		return -ENOTSUP;
	*prop = (int)n->prop;
	if (n->prop == FP_ORIGIN)
		rc = json_array_append_new(list, json_pack("{s:s}", "@odata.id", n->value));
	else
		rc = json_array_append_new(list, json_string(n->value));
	return rc ? -ENOMEM : 0;
}

/* Each factor of the conjunction at idx into out, under its list's name. */
static int and_factors(const struct event_filter *f, int idx, json_t *out)
{
	static const char *const list_names[] = {
		[FP_FORMAT] = NULL, [FP_MESSAGE_ID] = "MessageIds",
		[FP_REGISTRY] = "RegistryPrefixes", [FP_RESOURCE_TYPE] = "ResourceTypes",
		[FP_ORIGIN] = "OriginResources",
	};
	const struct fnode *n = &f->nodes[idx];
	json_t *list, *v;
	int rc, prop = -1;
	size_t i;

	if (n->op == FO_AND)
		return (rc = and_factors(f, n->left, out)) ? rc : and_factors(f, n->right, out);
	if (!(list = json_array()))
		return -ENOMEM;
	if ((rc = or_leaves(f, idx, &prop, list)))
		goto out;
	if (prop == FP_FORMAT) {
		/* Every event is an Event: a factor naming it is always true,
		 * one that does not is never, which no list can say. */
		rc = -ENOTSUP;
		json_array_foreach(list, i, v)
			if (strcmp(json_string_value(v), "Event") == 0)
				rc = 0;
		goto out;
	}
	/* A second factor over the same property is an intersection. */
	if (json_object_get(out, list_names[prop])) {
		rc = -ENOTSUP;
		goto out;
	}
	rc = json_object_set(out, list_names[prop], list) ? -ENOMEM : 0;
out:
	json_decref(list);
	return rc;
}

int event_filter_lists(const struct event_filter *f, json_t **out)
{
	json_t *o = json_object();
	int rc = 0;

	if (!o)
		return -ENOMEM;
	if (f && f->root >= 0)
		rc = and_factors(f, f->root, o);
	if (rc) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return 0;
}

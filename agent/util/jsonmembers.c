#include "util/jsonmembers.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define JM_PATH_MAX 16

const char *jm_kind(const json_t *v)
{
	if (!v)
		return "nothing";
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "a value";
}

const char *jm_type_name(enum jm_type t)
{
	switch (t) {
	case JM_STRING: return "a string";
	case JM_INTEGER: return "an integer";
	case JM_BOOLEAN: return "a boolean";
	case JM_OBJECT: return "an object";
	case JM_ARRAY: return "an array";
	case JM_ANY: return "a value";
	}
	return "a value";
}

static bool type_matches(enum jm_type t, const json_t *v)
{
	switch (t) {
	case JM_STRING: return json_is_string(v);
	case JM_INTEGER: return json_is_integer(v);
	case JM_BOOLEAN: return json_is_boolean(v);
	case JM_OBJECT: return json_is_object(v);
	case JM_ARRAY: return json_is_array(v);
	case JM_ANY: return true;
	}
	return false;
}

static bool size_ok(const struct jm_member *m, size_t n)
{
	return (long long)n >= m->min && (m->max <= 0 || (long long)n <= m->max);
}

static int fail(struct jm_error *e, enum jm_problem p, const char *name,
		const struct jm_member *m, const json_t *v)
{
	e->problem = p;
	e->name = name;
	e->member = m;
	e->value = v;
	return -EINVAL;
}

/* Check one present value against its declaration and fill out. */
static int read_value(const struct jm_member *m, json_t *v, struct jm_value *out,
		      struct jm_error *e)
{
	out->json = v;
	if (json_is_null(v) && (m->flags & JM_NULLABLE)) {
		out->is_null = true;
		return 0;
	}
	if (!type_matches(m->type, v))
		return fail(e, JM_WRONG_TYPE, m->name, m, v);
	switch (m->type) {
	case JM_STRING:
		out->str = json_string_value(v);
		out->len = json_string_length(v);
		/* An embedded NUL would make the C string shorter than the JSON one. */
		if (!size_ok(m, out->len) || strlen(out->str) != out->len)
			return fail(e, JM_BAD_LENGTH, m->name, m, v);
		if (m->choices) {
			for (int i = 0; m->choices[i]; i++)
				if (strcmp(m->choices[i], out->str) == 0)
					out->choice = i;
			if (out->choice < 0)
				return fail(e, JM_NOT_IN_LIST, m->name, m, v);
		}
		return 0;
	case JM_INTEGER:
		out->num = json_integer_value(v);
		if ((m->min || m->max) && (out->num < m->min || out->num > m->max))
			return fail(e, JM_OUT_OF_RANGE, m->name, m, v);
		return 0;
	case JM_BOOLEAN:
		out->flag = json_is_true(v);
		return 0;
	case JM_ARRAY:
		if (!size_ok(m, json_array_size(v)))
			return fail(e, JM_BAD_LENGTH, m->name, m, v);
		return 0;
	case JM_OBJECT:
	case JM_ANY:
		return 0;
	}
	return fail(e, JM_WRONG_TYPE, m->name, m, v);
}

/* Walk obj, recording up to max problems in errs; stops at the max-th. */
static size_t read_object(const json_t *obj, const struct jm_member *members, size_t n,
			  struct jm_value *out, struct jm_error *errs, size_t max)
{
	const char *key;
	json_t *v;
	size_t found = 0;

	for (size_t i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].choice = -1;
	}
	if (!json_is_object(obj)) {
		fail(&errs[0], JM_NOT_OBJECT, NULL, NULL, obj);
		return 1;
	}
	/* jansson's iteration does not modify; the macro only lacks a const form. */
	json_object_foreach((json_t *)obj, key, v) {
		size_t i = 0;

		while (i < n && strcmp(members[i].name, key) != 0)
			i++;
		if (i == n)
			fail(&errs[found++], JM_UNKNOWN, key, NULL, v);
		else if (read_value(&members[i], v, &out[i], &errs[found]))
			found++;
		if (found == max)
			return found;
	}
	for (size_t i = 0; i < n && found < max; i++)
		if ((members[i].flags & JM_REQUIRED) && !out[i].json)
			fail(&errs[found++], JM_MISSING, members[i].name, &members[i], NULL);
	/* A member with a problem of its own reads as absent from here on. */
	for (size_t k = 0; k < found; k++) {
		if (errs[k].member) {
			struct jm_value *bad = &out[errs[k].member - members];
			memset(bad, 0, sizeof(*bad));
			bad->choice = -1;
		}
	}
	return found;
}

int jm_read(const json_t *obj, const struct jm_member *members, size_t n, struct jm_value *out,
	    struct jm_error *e)
{
	memset(e, 0, sizeof(*e));
	return read_object(obj, members, n, out, e, 1) ? -EINVAL : 0;
}

int jm_read_all(const json_t *obj, const struct jm_member *members, size_t n,
		struct jm_value *out, struct jm_error *errs, size_t max, size_t *nerrs)
{
	*nerrs = max ? read_object(obj, members, n, out, errs, max) : 0;
	return *nerrs ? -EINVAL : 0;
}

static void join_choices(const char *const *choices, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; choices[i] && off < len; i++) {
		int k = snprintf(buf + off, len - off, "%s%s", i ? "|" : "", choices[i]);
		if (k < 0)
			return;
		off += (size_t)k;
	}
}

static void wrong_type_message(const struct jm_error *e, char *buf, size_t len)
{
	const struct jm_member *m = e->member;

	if (m->expect)
		snprintf(buf, len, "\"%s\" must be %s", e->name, m->expect);
	else
		snprintf(buf, len, "\"%s\" must be %s%s, not %s", e->name, jm_type_name(m->type),
			 m->flags & JM_NULLABLE ? " or null" : "", jm_kind(e->value));
}

static void bad_length_message(const struct jm_error *e, char *buf, size_t len)
{
	const struct jm_member *m = e->member;
	const char *unit = m->type == JM_ARRAY ? "items" : "characters";

	if (m->expect)
		snprintf(buf, len, "\"%s\" must be %s", e->name, m->expect);
	else if (m->max > 0)
		snprintf(buf, len, "\"%s\" must be %lld to %lld %s", e->name, m->min, m->max, unit);
	else
		snprintf(buf, len, "\"%s\" must be at least %lld %s", e->name, m->min, unit);
}

void jm_error_message(const struct jm_error *e, char *buf, size_t len)
{
	char list[256];

	switch (e->problem) {
	case JM_NOT_OBJECT:
		snprintf(buf, len, "expected an object, not %s", jm_kind(e->value));
		return;
	case JM_UNKNOWN:
		snprintf(buf, len, "unknown key \"%s\"", e->name);
		return;
	case JM_MISSING:
		snprintf(buf, len, "missing required key \"%s\"", e->name);
		return;
	case JM_WRONG_TYPE:
		wrong_type_message(e, buf, len);
		return;
	case JM_BAD_LENGTH:
		bad_length_message(e, buf, len);
		return;
	case JM_OUT_OF_RANGE:
		snprintf(buf, len, "\"%s\" must be between %lld and %lld", e->name, e->member->min,
			 e->member->max);
		return;
	case JM_NOT_IN_LIST:
		join_choices(e->member->choices, list, sizeof(list));
		snprintf(buf, len, "\"%s\" must be one of %s", e->name, list);
		return;
	}
	snprintf(buf, len, "invalid");
}

int jm_file_error(const struct jsonfile *jf, const char *const *path, const struct jm_error *e,
		  char *err, size_t errlen)
{
	const char *sub[JM_PATH_MAX + 2];
	size_t depth = 0;
	char msg[512];

	while (path && path[depth])
		depth++;
	if (depth > JM_PATH_MAX)
		return -E2BIG;
	if (depth)
		memcpy(sub, path, depth * sizeof(*sub));
	/* A missing member has no place of its own: the object stands for it. */
	if (e->problem != JM_NOT_OBJECT && e->problem != JM_MISSING)
		sub[depth++] = e->name;
	sub[depth] = NULL;
	jm_error_message(e, msg, sizeof(msg));
	return jsonfile_error(jf, sub, e->problem == JM_UNKNOWN, err, errlen, "%s", msg);
}

int jm_read_file(const struct jsonfile *jf, const char *const *path, const json_t *obj,
		 const struct jm_member *members, size_t n, struct jm_value *out, char *err,
		 size_t errlen)
{
	struct jm_error e;

	if (jm_read(obj, members, n, out, &e))
		return jm_file_error(jf, path, &e, err, errlen);
	return 0;
}

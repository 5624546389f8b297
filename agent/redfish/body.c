#include "redfish/body.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redfish/error.h"

json_t *rf_body_object(const struct http_request *req, struct http_response *resp)
{
	json_error_t jerr;
	json_t *body;

	if (!req->body || !req->body_len) {
		rf_malformed_json(resp);
		return NULL;
	}
	body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!body || !json_is_object(body)) {
		json_decref(body);
		rf_malformed_json(resp);
		return NULL;
	}
	if (json_object_size(body) == 0) {
		json_decref(body);
		rf_empty_json(resp);
		return NULL;
	}
	return body;
}

void rf_value_text(const json_t *v, char *buf, size_t len)
{
	char *s;
	if (json_is_string(v)) {
		snprintf(buf, len, "%s", json_string_value(v));
		return;
	}
	s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	snprintf(buf, len, "%s", s ? s : "null");
	free(s);
}

static bool in_list(const char *key, const char *const *list)
{
	for (size_t i = 0; list && list[i]; i++)
		if (strcmp(key, list[i]) == 0)
			return true;
	return false;
}

static void value_text(const struct jm_error *e, char *buf, size_t len)
{
	if (e->member && (e->member->flags & JM_SECRET))
		snprintf(buf, len, "(hidden)");
	else
		rf_value_text(e->value, buf, len);
}

static void answer_property(const struct rf_body *decl, const struct jm_error *e,
			    struct http_response *resp)
{
	char text[128];

	switch (e->problem) {
	case JM_UNKNOWN:
		if (in_list(e->name, decl->readonly) || strncmp(e->name, "@odata.", 7) == 0)
			rf_property_not_writable(resp, e->name);
		else
			rf_property_unknown(resp, e->name);
		return;
	case JM_MISSING:
		rf_create_failed_missing_req_properties(resp, e->name);
		return;
	case JM_NOT_OBJECT:
		rf_malformed_json(resp);
		return;
	default:
		break;
	}
	value_text(e, text, sizeof(text));
	switch (e->problem) {
	case JM_OUT_OF_RANGE:
		rf_property_value_out_of_range(resp, text, e->name);
		return;
	case JM_NOT_IN_LIST:
		rf_property_value_not_in_list(resp, text, e->name);
		return;
	case JM_BAD_LENGTH:
		if (json_is_string(e->value) && e->member->max > 0 &&
		    (long long)json_string_length(e->value) > e->member->max) {
			rf_string_value_too_long(resp, text, (int)e->member->max);
			return;
		}
		rf_property_value_out_of_range(resp, text, e->name);
		return;
	default:
		rf_property_value_type_error(resp, text, e->name);
		return;
	}
}

static void answer_parameter(const struct rf_body *decl, const struct jm_error *e,
			     struct http_response *resp)
{
	char text[128];

	switch (e->problem) {
	case JM_UNKNOWN:
		rf_action_parameter_unknown(resp, decl->action, e->name);
		return;
	case JM_NOT_OBJECT:
		rf_malformed_json(resp);
		return;
	case JM_WRONG_TYPE:
		value_text(e, text, sizeof(text));
		rf_action_parameter_value_type_error(resp, text, e->name, decl->action);
		return;
	default:
		rf_action_parameter_value_error(resp, e->name, decl->action);
		return;
	}
}

static void answer(const struct rf_body *decl, const struct jm_error *e,
		   struct http_response *resp)
{
	if (decl->action)
		answer_parameter(decl, e, resp);
	else
		answer_property(decl, e, resp);
}

/* The stage of a problem (see rf_body_read). */
static int stage(const struct jm_error *e)
{
	return e->problem == JM_UNKNOWN || e->problem == JM_NOT_OBJECT ? 1
	       : e->problem == JM_MISSING				 ? 3
									 : 2;
}

/* Answer the problems of the first stage that has any; returns that stage. */
static int answer_stage(const struct rf_body *decl, const struct jm_error *errs, size_t nerrs,
			struct http_response *resp)
{
	int first = 3;

	for (size_t k = 0; k < nerrs; k++)
		if (stage(&errs[k]) < first)
			first = stage(&errs[k]);
	if (first == 2) {
		/* Bad values in declaration order, so answers read like the schema. */
		for (size_t i = 0; i < decl->n; i++)
			for (size_t k = 0; k < nerrs; k++)
				if (errs[k].member == &decl->members[i] && stage(&errs[k]) == 2)
					answer(decl, &errs[k], resp);
		return first;
	}
	for (size_t k = 0; k < nerrs; k++) {
		if (stage(&errs[k]) != first)
			continue;
		answer(decl, &errs[k], resp);
		if (first == 3)
			break; /* the first missing one is enough to tell */
	}
	return first;
}

/* A new object of body's members without its annotations ("@odata.etag",
 * "Password@Redfish.AllowableValues"): DSP0266 has a service ignore them in
 * what it is asked to write. NULL: no memory. */
static json_t *without_annotations(const json_t *body)
{
	json_t *copy = json_object(), *v;
	const char *key;

	if (!copy)
		return NULL;
	/* jansson's iteration does not modify; the macro only lacks a const form. */
	json_object_foreach((json_t *)body, key, v) {
		if (strchr(key, '@'))
			continue;
		if (json_object_set(copy, key, v)) {
			json_decref(copy);
			return NULL;
		}
	}
	return copy;
}

static int read_members(const json_t *body, const struct rf_body *decl, struct jm_value *out,
			struct http_response *resp);

int rf_body_read(const json_t *body, const struct rf_body *decl, struct jm_value *out,
		 struct http_response *resp)
{
	json_t *plain;
	int rc;

	if (decl->action || !json_is_object(body))
		return read_members(body, decl, out, resp);
	plain = without_annotations(body);
	if (!plain)
		return -ENOMEM;
	if (json_object_size(plain) == 0 && json_object_size(body) > 0) {
		json_decref(plain);
		rf_no_operation(resp); /* annotations only */
		return -EINVAL;
	}
	/* out borrows the values, which body still holds after plain goes */
	rc = read_members(plain, decl, out, resp);
	json_decref(plain);
	return rc;
}

static int read_members(const json_t *body, const struct rf_body *decl, struct jm_value *out,
			struct http_response *resp)
{
	/* Every member of the body can have at most one problem, and every
	 * required member absent one more. */
	size_t max = (json_is_object(body) ? json_object_size(body) : 0) + decl->n + 1;
	struct jm_error *errs = calloc(max, sizeof(*errs));
	size_t nerrs = 0;
	int first;

	if (!errs)
		return -ENOMEM;
	if (!jm_read_all(body, decl->members, decl->n, out, errs, max, &nerrs)) {
		free(errs);
		return 0;
	}
	if (decl->action) {
		answer(decl, &errs[0], resp);
		free(errs);
		return -EINVAL;
	}
	first = answer_stage(decl, errs, nerrs, resp);
	free(errs);
	return first == 2 ? -ERANGE : -EINVAL;
}

static bool declared(const struct rf_body *decl, const char *key)
{
	for (size_t i = 0; i < decl->n; i++)
		if (strcmp(decl->members[i].name, key) == 0)
			return true;
	return false;
}

/* The messages naming body's undeclared members (new array), and body
 * without them (new) in *kept; both NULL when there are none, or when no
 * declared member is there beside them (the request is then refused
 * whole). -ENOMEM. */
static int split_undeclared(const json_t *body, const struct rf_body *decl, json_t **kept,
			    json_t **messages)
{
	struct http_response tmp;
	bool any_declared = false, any_undeclared = false;
	const char *key;
	json_t *v;

	*kept = *messages = NULL;
	json_object_foreach((json_t *)body, key, v) {
		if (strchr(key, '@'))
			continue;
		if (declared(decl, key))
			any_declared = true;
		else
			any_undeclared = true;
	}
	if (!any_declared || !any_undeclared)
		return 0;
	if (!(*kept = json_object()))
		return -ENOMEM;
	http_response_init(&tmp);
	json_object_foreach((json_t *)body, key, v) {
		if (strchr(key, '@') || declared(decl, key)) {
			if (json_object_set(*kept, key, v))
				break;
		} else if (in_list(key, decl->readonly)) {
			rf_property_not_writable(&tmp, key);
		} else {
			rf_property_unknown(&tmp, key);
		}
	}
	*messages = json_object_get(json_object_get(tmp.json, "error"), "@Message.ExtendedInfo");
	json_incref(*messages);
	http_response_release(&tmp);
	if (!*messages || json_object_size(*kept) != json_object_size(body) -
							  json_array_size(*messages)) {
		json_decref(*kept);
		json_decref(*messages);
		*kept = *messages = NULL;
		return -ENOMEM;
	}
	return 0;
}

int rf_body_read_patch(const json_t *body, const struct rf_body *decl, struct jm_value *out,
		       struct http_response *resp, json_t **ignored)
{
	json_t *kept;
	int rc = split_undeclared(body, decl, &kept, ignored);

	if (rc)
		return rc;
	rc = rf_body_read(kept ? kept : body, decl, out, resp);
	/* out borrows values that body holds as well */
	json_decref(kept);
	if (rc) {
		json_decref(*ignored);
		*ignored = NULL;
	}
	return rc;
}

void rf_annotate_ignored(struct http_response *resp, json_t *ignored)
{
	if (ignored && resp->status == 200 && json_is_object(resp->json))
		json_object_set(resp->json, "@Message.ExtendedInfo", ignored);
	json_decref(ignored);
}

#include "events/sub_validate.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "events/bus.h"
#include "events/curl_lib.h"
#include "events/messages.h"

/* Resource types this agent names in events (ResourceTypes filter). */
static const char *const resource_types[] = {
	"PCIeDevice", "Task", "Manager", "Session", "ManagerAccount", "EventDestination", NULL,
};

/* Event.EventType but MetricReport (this agent's EventFormatTypes is Event
 * alone). */
static const char *const event_types[] = {
	"StatusChange", "ResourceUpdated", "ResourceAdded", "ResourceRemoved", "Alert", "Other", NULL,
};

void sub_set_error(struct sub_error *e, int status, const char *id, const char *a1,
		      const char *a2)
{
	memset(e, 0, sizeof(*e));
	e->status = status;
	e->message_id = id;
	if (a1)
		snprintf(e->args[e->nargs++], sizeof(e->args[0]), "%s", a1);
	if (a2)
		snprintf(e->args[e->nargs++], sizeof(e->args[0]), "%s", a2);
}

bool sub_in_list(const char *const *list, const char *v)
{
	for (; *list; list++)
		if (strcmp(*list, v) == 0)
			return true;
	return false;
}

/* Whether the URL names a user or a password ("https://u:p@host/"). */
static bool has_credentials(const struct curl_lib *cl, CURLU *u)
{
	char *user = NULL, *password = NULL;
	bool has = cl->url_get(u, CURLUPART_USER, &user, 0) != CURLUE_NO_USER ||
		   cl->url_get(u, CURLUPART_PASSWORD, &password, 0) != CURLUE_NO_PASSWORD;

	cl->free(user);
	cl->free(password);
	return has;
}

int sub_check_destination(const char *dest, struct sub_error *e)
{
	const struct curl_lib *cl;
	CURLU *u;
	char *scheme = NULL, *host = NULL;
	int rc = 0;

	if (strlen(dest) > SUB_DESTINATION_MAX) {
		sub_set_error(e, 400, "StringValueTooLong", "Destination", "1024");
		return -EINVAL;
	}
	/* The URL is parsed the way the delivery will read it. */
	if (curl_lib_get(&cl))
		return -EIO;
	u = cl->url();
	if (!u || cl->url_set(u, CURLUPART_URL, dest, 0) != CURLUE_OK ||
	    cl->url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    cl->url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0]) {
		sub_set_error(e, 400, "PropertyValueFormatError", dest, "Destination");
		rc = -EINVAL;
	} else if (has_credentials(cl, u)) {
		/* A credential for the destination is not kept where every
		 * reader of the subscription (ReadOnly included) and the log
		 * see it; the refusal does not echo it either. */
		sub_set_error(e, 400, "PropertyValueFormatError", "(credentials in URL)",
			      "Destination");
		rc = -EINVAL;
	} else if (strcmp(scheme, "https") != 0) {
		/* Events name devices and users: never in clear text. */
		sub_set_error(e, 400, "PropertyValueFormatError", dest, "Destination");
		rc = -EINVAL;
	}
	cl->free(scheme);
	cl->free(host);
	if (u)
		cl->url_cleanup(u);
	return rc;
}

int sub_check_enum(json_t *body, const char *key, const char *want, struct sub_error *e)
{
	json_t *v = json_object_get(body, key);
	if (!v)
		return 0;
	if (!json_is_string(v) || strcmp(json_string_value(v), want) != 0) {
		sub_set_error(e, 400, "PropertyValueNotInList",
			  json_is_string(v) ? json_string_value(v) : "(value)", key);
		return -EINVAL;
	}
	return 0;
}

/* An array of strings, each accepted by ok (NULL: any). */
int sub_check_list(json_t *v, const char *prop, bool (*ok)(const char *), json_t **out,
		      struct sub_error *e)
{
	size_t i;
	json_t *item;

	if (!v) {
		*out = json_array();
		return *out ? 0 : -ENOMEM;
	}
	if (!json_is_array(v) || json_array_size(v) > SUB_LIST_MAX) {
		sub_set_error(e, 400, "PropertyValueTypeError", "(value)", prop);
		return -EINVAL;
	}
	json_array_foreach(v, i, item) {
		if (!json_is_string(item)) {
			sub_set_error(e, 400, "PropertyValueTypeError", "(value)", prop);
			return -EINVAL;
		}
		if (ok && !ok(json_string_value(item))) {
			sub_set_error(e, 400, "PropertyValueNotInList", json_string_value(item), prop);
			return -EINVAL;
		}
	}
	*out = json_incref(v);
	return 0;
}

int sub_check_filter_conflict(json_t *prefixes, json_t *message_ids, struct sub_error *e)
{
	if (json_array_size(prefixes) == 0 || json_array_size(message_ids) == 0)
		return 0;
	sub_set_error(e, 400, "PropertyValueConflict", "RegistryPrefixes", "MessageIds");
	return -EINVAL;
}

bool sub_known_prefix(const char *p)
{
	return event_registry_known(p) != 0;
}

bool sub_known_type(const char *t)
{
	return sub_in_list(resource_types, t);
}

bool sub_known_event_type(const char *t)
{
	return sub_in_list(event_types, t);
}

json_t *sub_event_types_json(void)
{
	json_t *a = json_array();

	for (const char *const *t = event_types; a && *t; t++)
		if (json_array_append_new(a, json_string(*t))) {
			json_decref(a);
			a = NULL;
		}
	return a;
}

bool sub_valid_message_id(const char *m)
{
	char prefix[EVENT_PREFIX_MAX];
	const char *dot = strchr(m, '.');

	if (!dot || (size_t)(dot - m) >= sizeof(prefix) || !strrchr(dot, '.')[1])
		return false;
	memcpy(prefix, m, (size_t)(dot - m));
	prefix[dot - m] = '\0';
	return event_registry_known(prefix) != 0;
}

/* OriginResources: [{"@odata.id": "/redfish/v1/..."}] -> ["/redfish/v1/..."]. */
int sub_check_origins(json_t *v, json_t **out, struct sub_error *e)
{
	size_t i;
	json_t *item;

	*out = json_array();
	if (!*out)
		return -ENOMEM;
	if (!v)
		return 0;
	if (!json_is_array(v) || json_array_size(v) > SUB_LIST_MAX)
		goto bad;
	json_array_foreach(v, i, item) {
		const char *uri = json_string_value(json_object_get(item, "@odata.id"));
		if (!json_is_object(item) || json_object_size(item) != 1 || !uri ||
		    strncmp(uri, "/redfish/v1/", 12) != 0 || strlen(uri) >= EVENT_ORIGIN_MAX) {
			sub_set_error(e, 400, "PropertyValueFormatError", uri ? uri : "(value)",
				  "OriginResources");
			goto fail;
		}
		json_array_append_new(*out, json_string(uri));
	}
	return 0;
bad:
	sub_set_error(e, 400, "PropertyValueTypeError", "(value)", "OriginResources");
fail:
	json_decref(*out);
	*out = NULL;
	return -EINVAL;
}

json_t *sub_origin_links(json_t *uris)
{
	json_t *a = json_array(), *u;
	size_t i;
	json_array_foreach(uris, i, u)
		json_array_append_new(a, json_pack("{s:O}", "@odata.id", u));
	return a;
}

/* Headers libcurl writes from the request itself: a second copy would
 * contradict it. */
static const char *const reserved_headers[] = {
	"Content-Type", "Content-Length", "Host", "Transfer-Encoding", "Connection", "Expect", NULL,
};

static bool header_name_ok(const char *n)
{
	size_t len = strlen(n);

	if (len == 0 || len > SUB_HEADER_NAME_MAX)
		return false;
	for (const char *p = n; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("!#$%&'*+-.^_`|~", *p)))
			return false;
	for (const char *const *r = reserved_headers; *r; r++)
		if (strcasecmp(n, *r) == 0)
			return false;
	return true;
}

static bool header_value_ok(const char *v)
{
	if (strlen(v) > SUB_HEADER_VALUE_MAX)
		return false;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p > 0x7e)
			return false;
	return true;
}

/* One {"Name": "value"} member onto lines. */
static int header_line(const char *name, json_t *value, json_t *lines, struct sub_error *e)
{
	char line[SUB_HEADER_NAME_MAX + SUB_HEADER_VALUE_MAX + 3];

	if (!json_is_string(value)) {
		sub_set_error(e, 400, "PropertyValueTypeError", "(value)", "HttpHeaders");
		return -EINVAL;
	}
	if (!header_name_ok(name) || !header_value_ok(json_string_value(value))) {
		sub_set_error(e, 400, "PropertyValueFormatError",
			      header_name_ok(name) ? "(value)" : "(header name)", "HttpHeaders");
		return -EINVAL;
	}
	snprintf(line, sizeof(line), "%s: %s", name, json_string_value(value));
	return json_array_append_new(lines, json_string(line)) ? -ENOMEM : 0;
}

int sub_check_headers(json_t *v, json_t **out, json_t **lines, struct sub_error *e)
{
	const char *name;
	json_t *item, *value;
	size_t i;
	int rc = 0;

	*out = NULL;
	*lines = json_array();
	if (!*lines)
		return -ENOMEM;
	if (!v) {
		*out = json_array();
		return *out ? 0 : -ENOMEM;
	}
	if (!json_is_array(v)) {
		sub_set_error(e, 400, "PropertyValueTypeError", "(value)", "HttpHeaders");
		rc = -EINVAL;
	}
	json_array_foreach(v, i, item) {
		if (rc)
			break;
		if (!json_is_object(item)) {
			sub_set_error(e, 400, "PropertyValueTypeError", "(value)", "HttpHeaders");
			rc = -EINVAL;
		}
		json_object_foreach(item, name, value)
			if (!rc && (rc = header_line(name, value, *lines, e)) == 0 &&
			    json_array_size(*lines) > SUB_HEADERS_MAX) {
				sub_set_error(e, 400, "PropertyValueFormatError", "(too many headers)",
					      "HttpHeaders");
				rc = -EINVAL;
			}
	}
	if (!rc && !(*out = json_deep_copy(v)))
		rc = -ENOMEM;
	if (rc) {
		json_decref(*lines);
		*lines = NULL;
	}
	return rc;
}

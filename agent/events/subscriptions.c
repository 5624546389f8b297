#include "events/subscriptions.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events/bus.h"
#include "events/filter.h"
#include "events/messages.h"
#include "events/sub_internal.h"
#include "events/sub_validate.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/jsonfile.h"
#include "util/log.h"

#define FILE_MAX (4u << 20)

static const char *const policy_names[RP_COUNT] = {
	"TerminateAfterRetries", "SuspendRetries", "RetryForever", "RetryForeverWithBackoff",
};

/* The file's own members: what subs_persist_locked() writes, and nothing
 * else is read. */
static const char *const file_keys[] = { "Version", "Subscriptions", NULL };

static const char *const known_keys[] = {
	"Destination", "Protocol", "Context", "RegistryPrefixes", "ResourceTypes",
	"OriginResources", "MessageIds", "DeliveryRetryPolicy", "SubscriptionType",
	"EventFormatType", "HttpHeaders", "EventTypes", "Id", "Suspended", NULL,
};

static void sub_free_fields(struct sub *sb)
{
	json_decref(sb->prefixes);
	json_decref(sb->types);
	json_decref(sb->message_ids);
	json_decref(sb->origins);
	json_decref(sb->headers);
	json_decref(sb->header_lines);
	json_decref(sb->spec);
}

/* EventTypes, deprecated since EventDestination 1.5 yet still sent by
 * older clients (OpenStack's, through sushy, send ["Alert"]): checked, kept
 * in spec and shown as given, never a filter. DSP0266 bases a subscription
 * on RegistryPrefixes and ResourceTypes, and every event here has the type
 * Other, so filtering by it would deliver nothing such a client asked for. */
static int sub_event_types(json_t *body, json_t *spec, struct sub_error *e)
{
	json_t *v = json_object_get(body, "EventTypes"), *list;
	int rc;

	if (!v)
		return 0;
	if ((rc = sub_check_list(v, "EventTypes", sub_known_event_type, &list, e)))
		return rc;
	return json_object_set_new(spec, "EventTypes", list) ? -ENOMEM : 0;
}

/* Validate body (a create request, or a persisted entry when stored is
 * true) into a new sub. Nothing is started. */
static int sub_parse(json_t *body, bool stored, struct sub **out, struct sub_error *e)
{
	const char *key, *dest, *ctx, *pol;
	json_t *v;
	struct sub *sb;
	int rc, policy;

	if (!json_is_object(body)) {
		sub_set_error(e, 400, "MalformedJSON", NULL, NULL);
		return -EINVAL;
	}
	json_object_foreach(body, key, v) {
		if (!sub_in_list(known_keys, key) ||
		    (!stored && (strcmp(key, "Id") == 0 || strcmp(key, "Suspended") == 0))) {
			sub_set_error(e, 400, "PropertyUnknown", key, NULL);
			return -EINVAL;
		}
	}
	dest = json_string_value(json_object_get(body, "Destination"));
	if (!dest) {
		sub_set_error(e, 400, "PropertyMissing", "Destination", NULL);
		return -EINVAL;
	}
	if (!json_object_get(body, "Protocol")) {
		sub_set_error(e, 400, "PropertyMissing", "Protocol", NULL);
		return -EINVAL;
	}
	if ((rc = sub_check_destination(dest, e)) ||
	    (rc = sub_check_enum(body, "Protocol", "Redfish", e)) ||
	    (rc = sub_check_enum(body, "SubscriptionType", "RedfishEvent", e)) ||
	    (rc = sub_check_enum(body, "EventFormatType", "Event", e)))
		return rc;
	v = json_object_get(body, "Context");
	if (v && !json_is_string(v)) {
		sub_set_error(e, 400, "PropertyValueTypeError", "(value)", "Context");
		return -EINVAL;
	}
	ctx = v ? json_string_value(v) : "";
	if (strlen(ctx) > SUB_CONTEXT_MAX) {
		sub_set_error(e, 400, "StringValueTooLong", "Context", "256");
		return -EINVAL;
	}
	v = json_object_get(body, "DeliveryRetryPolicy");
	pol = v ? json_string_value(v) : policy_names[RP_SUSPEND];
	for (policy = 0; pol && policy < RP_COUNT; policy++)
		if (strcmp(pol, policy_names[policy]) == 0)
			break;
	if (!pol || policy == RP_COUNT) {
		sub_set_error(e, 400, "PropertyValueNotInList", pol ? pol : "(value)",
			  "DeliveryRetryPolicy");
		return -EINVAL;
	}
	/* The exclusion is told before the lists' contents: it is the answer
	 * whatever the names in them. */
	if (!stored && (rc = sub_check_filter_conflict(json_object_get(body, "RegistryPrefixes"),
						      json_object_get(body, "MessageIds"), e)))
		return rc;
	sb = calloc(1, sizeof(*sb));
	if (!sb)
		return -ENOMEM;
	sb->policy = (enum retry_policy)policy;
	if ((rc = sub_check_list(json_object_get(body, "RegistryPrefixes"), "RegistryPrefixes",
			     sub_known_prefix, &sb->prefixes, e)) ||
	    (rc = sub_check_list(json_object_get(body, "ResourceTypes"), "ResourceTypes", sub_known_type,
			     &sb->types, e)) ||
	    (rc = sub_check_list(json_object_get(body, "MessageIds"), "MessageIds", sub_valid_message_id,
			     &sb->message_ids, e)) ||
	    (rc = sub_check_origins(json_object_get(body, "OriginResources"), &sb->origins, e)) ||
	    (rc = sub_check_headers(json_object_get(body, "HttpHeaders"), &sb->headers,
				    &sb->header_lines, e)))
		goto fail;
	sb->spec = json_pack("{s:s, s:s, s:s, s:O, s:O, s:O, s:s, s:o}", "Destination", dest,
			     "Protocol", "Redfish", "Context", ctx, "RegistryPrefixes", sb->prefixes,
			     "ResourceTypes", sb->types, "MessageIds", sb->message_ids,
			     "DeliveryRetryPolicy", policy_names[sb->policy], "OriginResources",
			     sub_origin_links(sb->origins));
	if (!sb->spec) {
		rc = -ENOMEM;
		goto fail;
	}
	if ((rc = sub_event_types(body, sb->spec, e)))
		goto fail;
	sb->destination = json_string_value(json_object_get(sb->spec, "Destination"));
	sb->context = json_string_value(json_object_get(sb->spec, "Context"));
	sb->suspended = stored && json_is_true(json_object_get(body, "Suspended"));
	/* Waits on it are timed by CLOCK_MONOTONIC: a clock set back does not
	 * stretch a retry interval. */
	if ((rc = -clock_cond_init(&sb->cond)))
		goto fail;
	pthread_mutex_init(&sb->lock, NULL);
	*out = sb;
	return 0;
fail:
	sub_free_fields(sb);
	free(sb);
	return rc;
}

void sub_free(struct sub *sb)
{
	pthread_cond_destroy(&sb->cond);
	pthread_mutex_destroy(&sb->lock);
	sub_free_fields(sb);
	free(sb);
}

static bool list_has(json_t *list, const char *v, bool (*eq)(const char *, const char *))
{
	size_t i;
	json_t *item;

	if (json_array_size(list) == 0)
		return true;
	json_array_foreach(list, i, item)
		if (eq(json_string_value(item), v))
			return true;
	return false;
}

static bool str_eq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* Under the bus lock; only immutable fields. */
static bool sub_match(void *arg, const struct event *ev)
{
	struct sub *sb = arg;
	return list_has(sb->prefixes, ev->registry_prefix, str_eq) &&
	       list_has(sb->types, ev->resource_type, str_eq) &&
	       list_has(sb->message_ids, ev->message_id, event_message_id_match) &&
	       list_has(sb->origins, ev->origin, event_origin_match);
}

static void sub_notify(void *arg)
{
	struct sub *sb = arg;
	pthread_mutex_lock(&sb->lock);
	sb->pending = true;
	pthread_cond_signal(&sb->cond);
	pthread_mutex_unlock(&sb->lock);
}

/* With s->lock held. */
int subs_persist_locked(struct subscriptions *s)
{
	json_t *doc = json_pack("{s:i, s:[]}", "Version", 1, "Subscriptions");
	json_t *arr = json_object_get(doc, "Subscriptions");
	char *text;
	int rc;

	for (struct sub *sb = s->list; doc && sb; sb = sb->next) {
		json_t *e = json_deep_copy(sb->spec);
		bool suspended;
		pthread_mutex_lock(&sb->lock);
		suspended = sb->suspended;
		pthread_mutex_unlock(&sb->lock);
		if (!e || json_object_set_new(e, "Id", json_string(sb->id)) ||
		    json_object_set_new(e, "HttpHeaders", json_deep_copy(sb->headers)) ||
		    json_object_set_new(e, "Suspended", json_boolean(suspended)) ||
		    json_array_append_new(arr, e)) {
			json_decref(doc);
			return -ENOMEM;
		}
	}
	text = doc ? json_dumps(doc, JSON_INDENT(1)) : NULL;
	json_decref(doc);
	if (!text)
		return -ENOMEM;
	rc = file_write_atomic(s->path, text, strlen(text), 0600);
	free(text);
	if (rc)
		log_error("events: cannot write %s: %s", s->path, strerror(-rc));
	return rc;
}

/* What a caller is told when persist_locked failed: a full file system
 * (-EDQUOT, told apart from the subscription limit's -ENOSPC) or -EIO. */
static int persist_error(int rc)
{
	return rc == -ENOSPC || rc == -EDQUOT ? -EDQUOT : -EIO;
}

/* With s->lock held: take sb off the list (the worker frees it). Returns
 * the link it was taken from, for relink_locked. */
struct sub **subs_unlink_locked(struct subscriptions *s, struct sub *sb)
{
	for (struct sub **p = &s->list; *p; p = &(*p)->next) {
		if (*p == sb) {
			*p = sb->next;
			s->count--;
			return p;
		}
	}
	return NULL;
}

/* With s->lock held since unlink_locked: sb back where it was. */
static void relink_locked(struct subscriptions *s, struct sub **at, struct sub *sb)
{
	sb->next = *at;
	*at = sb;
	s->count++;
}

/* With s->lock held: attach sb to the bus, start its worker, link it. */
static int start_locked(struct subscriptions *s, struct sub *sb)
{
	struct event_consumer_config cc = { .name = NULL };
	char name[48];
	pthread_attr_t attr;
	pthread_t tid;
	int rc;

	snprintf(name, sizeof(name), "subscription %s", sb->id);
	sb->owner = s;
	cc.name = name;
	cc.queue_len = s->cfg.queue_len;
	cc.match = sub_match;
	cc.notify = sub_notify;
	cc.arg = sb;
	if ((rc = event_consumer_new(s->bus, &cc, &sb->consumer)))
		return rc;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&tid, &attr, sub_worker_main, sb);
	pthread_attr_destroy(&attr);
	if (rc) {
		event_consumer_free(sb->consumer);
		return -rc;
	}
	s->workers++;
	sb->next = s->list;
	s->list = sb;
	s->count++;
	return 0;
}

static struct sub *find_locked(struct subscriptions *s, const char *id)
{
	for (struct sub *sb = s->list; sb; sb = sb->next)
		if (strcmp(sb->id, id) == 0)
			return sb;
	return NULL;
}

int subscriptions_create(struct subscriptions *s, json_t *body, char *id, size_t idlen,
			 struct sub_error *e)
{
	struct sub *sb = NULL;
	int rc = sub_parse(body, false, &sb, e);

	if (rc)
		return rc;
	pthread_mutex_lock(&s->lock);
	if (s->count >= s->cfg.max) {
		pthread_mutex_unlock(&s->lock);
		sub_free(sb);
		sub_set_error(e, 400, "CreateLimitReachedForResource", NULL, NULL);
		return -ENOSPC;
	}
	snprintf(sb->id, sizeof(sb->id), "%u", s->next_id++);
	rc = start_locked(s, sb);
	if (rc) {
		pthread_mutex_unlock(&s->lock);
		sub_free(sb);
		return rc;
	}
	snprintf(id, idlen, "%s", sb->id);
	if ((rc = subs_persist_locked(s))) {
		/* Not on disk: not created. The worker frees it. */
		subs_unlink_locked(s, sb);
		sub_worker_stop(sb);
		pthread_mutex_unlock(&s->lock);
		return persist_error(rc);
	}
	pthread_mutex_unlock(&s->lock);
	log_info("events: subscription %s created for %s", id, sb->destination);
	return 0;
}

json_t *subscriptions_get(struct subscriptions *s, const char *id)
{
	json_t *doc = NULL;
	struct sub *sb;
	char uri[256];
	bool suspended, failing;

	pthread_mutex_lock(&s->lock);
	sb = find_locked(s, id);
	if (sb) {
		pthread_mutex_lock(&sb->lock);
		suspended = sb->suspended;
		failing = sb->failing;
		pthread_mutex_unlock(&sb->lock);
		snprintf(uri, sizeof(uri), "%s/%s", s->uri_base, sb->id);
		doc = json_deep_copy(sb->spec);
	}
	pthread_mutex_unlock(&s->lock);
	if (!doc)
		return NULL;
	/* HttpHeaders is write-only: an empty array, as the schema prefers. */
	json_t *extra = json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:b, s:[], s:{s:{s:s+}}}", "@odata.id", uri,
		"@odata.type", "#EventDestination.v1_13_0.EventDestination", "Id", id, "Name",
		"Event subscription", "SubscriptionType", "RedfishEvent", "EventFormatType", "Event",
		"Status", "State", suspended ? "Disabled" : "Enabled", "Health",
		suspended ? "Critical" : failing ? "Warning" : "OK", "VerifyCertificate", 1,
		"HttpHeaders", "Actions", "#EventDestination.ResumeSubscription", "target", uri,
		"/Actions/EventDestination.ResumeSubscription");
	if (!extra || json_object_update(doc, extra)) {
		json_decref(extra);
		json_decref(doc);
		return NULL;
	}
	json_decref(extra);
	return doc;
}

json_t *subscriptions_members(struct subscriptions *s)
{
	json_t *a = json_array();
	char uri[256];

	pthread_mutex_lock(&s->lock);
	for (struct sub *sb = s->list; a && sb; sb = sb->next) {
		snprintf(uri, sizeof(uri), "%s/%s", s->uri_base, sb->id);
		if (json_array_insert_new(a, 0, json_pack("{s:s}", "@odata.id", uri))) {
			json_decref(a);
			a = NULL;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return a;
}

int subscriptions_delete(struct subscriptions *s, const char *id)
{
	struct sub *sb, **at;
	int rc;

	pthread_mutex_lock(&s->lock);
	sb = find_locked(s, id);
	if (!sb) {
		pthread_mutex_unlock(&s->lock);
		return -ENOENT;
	}
	at = subs_unlink_locked(s, sb);
	if ((rc = subs_persist_locked(s))) {
		/* Still on disk, so still here: back where it was, its worker
		 * never told to stop. */
		relink_locked(s, at, sb);
		pthread_mutex_unlock(&s->lock);
		return persist_error(rc);
	}
	/* The worker leaves on its own (a transfer in progress is aborted);
	 * nobody waits for a hanging destination here. */
	sub_worker_stop(sb);
	pthread_mutex_unlock(&s->lock);
	log_info("events: subscription %s deleted", id);
	return 0;
}

int subscriptions_resume(struct subscriptions *s, const char *id)
{
	struct sub *sb;
	bool was;
	int rc;

	pthread_mutex_lock(&s->lock);
	sb = find_locked(s, id);
	if (!sb) {
		pthread_mutex_unlock(&s->lock);
		return -ENOENT;
	}
	pthread_mutex_lock(&sb->lock);
	was = sb->suspended;
	sb->suspended = false;
	pthread_mutex_unlock(&sb->lock);
	/* The worker is woken only once the file says it runs: a resume that
	 * cannot be written is not made. */
	rc = subs_persist_locked(s);
	pthread_mutex_lock(&sb->lock);
	if (rc)
		sb->suspended = was;
	else
		pthread_cond_signal(&sb->cond);
	pthread_mutex_unlock(&sb->lock);
	pthread_mutex_unlock(&s->lock);
	return rc ? persist_error(rc) : 0;
}

void subscriptions_stats(struct subscriptions *s, struct subscriptions_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	out->count = s->count;
	out->delivered = s->delivered;
	out->failed_attempts = s->failed;
	for (struct sub *sb = s->list; sb; sb = sb->next) {
		pthread_mutex_lock(&sb->lock);
		out->delivered += sb->delivered;
		out->failed_attempts += sb->failed;
		pthread_mutex_unlock(&sb->lock);
		out->dropped += event_consumer_dropped(sb->consumer);
		out->queued += event_consumer_depth(sb->consumer);
	}
	pthread_mutex_unlock(&s->lock);
}

/* A stored Id as this file writes them: a decimal number from 1, without
 * sign or leading zero, below UINT_MAX so that the next one still fits. */
static int stored_id(const char *id, unsigned *out)
{
	size_t len = id ? strlen(id) : 0;
	unsigned long long n;

	if (len == 0 || len > 10 || id[0] == '0' || strspn(id, "0123456789") != len ||
	    (n = strtoull(id, NULL, 10)) >= UINT_MAX)
		return -EINVAL;
	*out = (unsigned)n;
	return 0;
}

/* One stored entry: what a create request is checked for, and the Id and
 * Suspended that only the file holds. */
static int load_one(struct subscriptions *s, json_t *item, struct sub_error *e)
{
	const char *id = json_string_value(json_object_get(item, "Id"));
	json_t *susp = json_object_get(item, "Suspended");
	struct sub *sb = NULL;
	unsigned n = 0;
	int rc = sub_parse(item, true, &sb, e);

	if (rc)
		return rc;
	if (stored_id(id, &n) || find_locked(s, id))
		rc = -EINVAL, e->message_id = "bad or duplicate Id", e->nargs = 0;
	else if (susp && !json_is_boolean(susp))
		rc = -EINVAL, e->message_id = "Suspended is not true or false", e->nargs = 0;
	if (rc) {
		sub_free(sb);
		return rc;
	}
	snprintf(sb->id, sizeof(sb->id), "%s", id);
	if (n >= s->next_id)
		s->next_id = n + 1;
	if ((rc = start_locked(s, sb)))
		sub_free(sb);
	return rc;
}

static int load(struct subscriptions *s, char *err, size_t errlen)
{
	struct jsonfile jf;
	json_t *arr, *item, *version;
	size_t i;
	int rc;

	file_remove_stale_temporaries(s->path);
	/* Never waited on (a FIFO is refused, not read), and never followed
	 * out of the state directory, which belongs to the service user. */
	rc = jsonfile_load_flags(s->path, O_NOFOLLOW, FILE_MAX, &jf, err, errlen);
	if (rc == -ENOENT) {
		err[0] = '\0';
		return 0;
	}
	if (rc)
		return rc;
	version = json_object_get(jf.root, "Version");
	arr = json_object_get(jf.root, "Subscriptions");
	if (!json_is_array(arr) || !json_is_integer(version) || json_integer_value(version) != 1) {
		snprintf(err, errlen, "%s: %s", s->path,
			 json_is_array(arr) ? "unsupported \"Version\" (expected 1)"
					    : "\"Subscriptions\" must be an array");
		jsonfile_release(&jf);
		return -EINVAL;
	}
	/* A member the agent never writes means another writer, or another
	 * version of the format: refused rather than dropped at the next save. */
	if ((rc = jsonfile_only_keys(&jf, NULL, jf.root, file_keys, err, errlen))) {
		jsonfile_release(&jf);
		return rc;
	}
	pthread_mutex_lock(&s->lock);
	json_array_foreach(arr, i, item) {
		struct sub_error e = { 0 };

		if ((rc = load_one(s, item, &e))) {
			snprintf(err, errlen, "%s: subscription %zu: %s%s%s", s->path, i,
				 e.message_id ? e.message_id : strerror(-rc), e.nargs ? " " : "",
				 e.nargs ? e.args[0] : "");
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	jsonfile_release(&jf);
	return rc;
}

int subscriptions_open(const struct subscriptions_config *cfg, struct event_bus *bus,
		       struct subscriptions **out, char *err, size_t errlen)
{
	struct subscriptions *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	s->path = strdup(cfg->path);
	s->ca_file = cfg->ca_file ? strdup(cfg->ca_file) : NULL;
	s->uri_base = strdup(cfg->uri_base);
	s->bus = bus;
	s->next_id = 1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->idle, NULL);
	if (!s->path || !s->uri_base || (cfg->ca_file && !s->ca_file)) {
		subscriptions_close(s);
		return -ENOMEM;
	}
	rc = load(s, err, errlen);
	if (rc) {
		subscriptions_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void subscriptions_close(struct subscriptions *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->closing = true;
	for (struct sub *sb = s->list; sb; sb = sb->next)
		sub_worker_stop(sb);
	s->list = NULL;
	s->count = 0;
	while (s->workers > 0)
		pthread_cond_wait(&s->idle, &s->lock);
	pthread_mutex_unlock(&s->lock);
	pthread_cond_destroy(&s->idle);
	pthread_mutex_destroy(&s->lock);
	free(s->path);
	free(s->ca_file);
	free(s->uri_base);
	free(s);
}

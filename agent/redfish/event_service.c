/* EventService and its server-sent event stream (DSP0266 "Server-sent
 * events"). The stream is a bus consumer with the caller's $filter; it ends
 * when the caller's session ends or the account can no longer log in. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/accounts.h"
#include "auth/sessions.h"
#include "core/agent.h"
#include "events/bus.h"
#include "events/filter.h"
#include "events/messages.h"
#include "events/subscriptions.h"
#include "events/sse.h"
#include "events/sse_dest.h"
#include "events/sub_validate.h"
#include "redfish/error.h"
#include "redfish/resource.h"
#include "redfish/routes.h"
#include "util/log.h"

#define EVENT_SERVICE_URI "/redfish/v1/EventService"
#define SSE_URI EVENT_SERVICE_URI "/SSE"
#define SUBSCRIPTIONS_URI EVENT_SERVICE_URI "/Subscriptions"
#define SUBMIT_TEST_URI EVENT_SERVICE_URI "/Actions/EventService.SubmitTestEvent"

static int h_event_service(const struct route_ctx *ctx, struct http_response *resp)
{
	const struct config *cfg = ctx->agent->cfg;
	json_t *doc;

	doc = json_pack("{s:s, s:s, s:s, s:s, s:b, s:{s:s, s:s}, s:s, s:[s], s:[s, s, s],"
			" s:[s, s, s], s:{s:b, s:b, s:b, s:b, s:b, s:b, s:b}}",
			"@odata.id", EVENT_SERVICE_URI, "@odata.type",
			"#EventService.v1_10_0.EventService", "Id", "EventService", "Name",
			"Event Service", "ServiceEnabled", 1, "Status", "State", "Enabled",
			"Health", "OK", "ServerSentEventUri", SSE_URI, "EventFormatTypes", "Event",
			"RegistryPrefixes", "ResourceEvent", "TaskEvent", "CxlAgent",
			"ResourceTypes", "PCIeDevice", "Task", "Manager",
			"SSEFilterPropertiesSupported", "EventFormatType", 1, "MessageId", 1,
			"RegistryPrefix", 1, "ResourceType", 1, "OriginResource", 1,
			"MetricReportDefinition", 0, "SubordinateResources", 0);
	if (doc && ctx->agent->subs &&
	    /* EventTypesForSubscription, deprecated like EventTypes, is what
	     * sushy's get_event_types_for_subscription() offers its callers. */
	    json_object_update_new(doc, json_pack("{s:{s:s}, s:I, s:I, s:{s:{s:s}}, s:o}",
						  "Subscriptions", "@odata.id", SUBSCRIPTIONS_URI,
						  "DeliveryRetryAttempts",
						  (json_int_t)cfg->delivery_retry_attempts,
						  "DeliveryRetryIntervalSeconds",
						  (json_int_t)cfg->delivery_retry_interval_s, "Actions",
						  "#EventService.SubmitTestEvent", "target",
						  SUBMIT_TEST_URI, "EventTypesForSubscription",
						  sub_event_types_json()))) {
		json_decref(doc);
		doc = NULL;
	}
	http_response_json(resp, 200, doc);
	return doc ? 0 : -ENOMEM;
}

/* Who opened a stream, to re-check on every tick. */
struct stream_owner {
	struct agent *ag;
	char user[IDENTITY_NAME_MAX];
	char session_id[SESSION_ID_MAX];
};

static bool owner_allowed(void *arg)
{
	struct stream_owner *o = arg;
	struct session_info si;
	struct identity who = { 0 };

	if (o->session_id[0] && sessions_get(o->ag->sessions, o->session_id, &si))
		return false;
	if (accounts_resolve(o->ag->accounts, o->user, &who) != ACCOUNT_OK)
		return false;
	return (who.privileges & PRIV_LOGIN) != 0;
}

static const char *query_value(const struct http_request *req, const char *name)
{
	for (size_t i = 0; i < req->nquery; i++)
		if (strcmp(req->query[i].name, name) == 0)
			return req->query[i].value;
	return NULL;
}

static int last_event_id(const struct http_request *req, uint64_t *out)
{
	const char *h = http_request_header(req, "Last-Event-ID");
	char *end;

	*out = 0;
	if (!h || !h[0])
		return 0;
	errno = 0;
	*out = strtoull(h, &end, 10);
	return errno || *end || h[0] == '-' ? -EINVAL : 0;
}

static int h_event_stream(const struct route_ctx *ctx, struct http_response *resp)
{
	struct agent *ag = ctx->agent;
	const char *filter_text = query_value(ctx->req, "$filter");
	struct sse_open o = { 0 };
	struct stream_owner *owner;
	char err[160];
	int rc;

	if (!ag->sse) {
		rf_service_temporarily_unavailable(resp, 60);
		return 0;
	}
	if (last_event_id(ctx->req, &o.last_event_id)) {
		rf_query_parameter_value_error(resp, "Last-Event-ID");
		json_object_set_new(json_object_get(resp->json, "error"), "message",
				    json_string("Last-Event-ID must be an event id."));
		return 0;
	}
	if (event_filter_parse(filter_text, &o.filter, err, sizeof(err))) {
		rf_query_parameter_value_error(resp, "$filter");
		json_object_set_new(json_object_get(resp->json, "error"), "message",
				    json_string(err));
		return 0;
	}
	/* HEAD answers as GET would, but a stream nobody reads is never
	 * opened: no slot taken, no subscription shown for it. */
	if (ctx->req->method == HTTP_HEAD) {
		event_filter_free(o.filter);
		resp->status = 200;
		resp->content_type = "text/event-stream";
		return http_response_header(resp, "X-Accel-Buffering", "no");
	}
	owner = calloc(1, sizeof(*owner));
	if (!owner) {
		event_filter_free(o.filter);
		return -ENOMEM;
	}
	owner->ag = ag;
	snprintf(owner->user, sizeof(owner->user), "%s", ctx->who->user);
	if (ctx->who->method == AUTH_SESSION)
		snprintf(owner->session_id, sizeof(owner->session_id), "%s", ctx->who->session_id);
	o.allowed = owner_allowed;
	o.allowed_arg = owner;
	o.owner = ctx->who->user;
	o.filter_text = filter_text;
	rc = sse_stream_open(ag->sse, &o, &resp->stream);
	if (rc == -EBUSY) {
		rf_service_temporarily_unavailable(resp, 30);
		json_object_set_new(json_object_get(resp->json, "error"), "message",
				    json_string("The limit of open event streams is reached."));
		return 0;
	}
	if (rc)
		return rc;
	resp->status = 200;
	resp->content_type = "text/event-stream";
	/* Proxies must pass events on as they come. */
	http_response_header(resp, "X-Accel-Buffering", "no");
	return 0;
}

static json_t *request_body(const struct route_ctx *ctx, struct http_response *resp)
{
	json_error_t je;
	json_t *body;

	if (!ctx->req->body) {
		rf_empty_json(resp);
		return NULL;
	}
	body = json_loadb(ctx->req->body, ctx->req->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!body || !json_is_object(body)) {
		json_decref(body);
		rf_malformed_json(resp);
		return NULL;
	}
	return body;
}

/* A refused subscription as its Base message. */
static void sub_error_reply(struct http_response *resp, const struct sub_error *e)
{
	const char *id = e->message_id, *a0 = e->args[0], *a1 = e->args[1];

	if (strcmp(id, "PropertyValueFormatError") == 0)
		rf_property_value_format_error(resp, a0, a1);
	else if (strcmp(id, "PropertyValueNotInList") == 0)
		rf_property_value_not_in_list(resp, a0, a1);
	else if (strcmp(id, "PropertyValueTypeError") == 0)
		rf_property_value_type_error(resp, a0, a1);
	else if (strcmp(id, "PropertyValueConflict") == 0)
		rf_property_value_conflict(resp, a0, a1);
	else if (strcmp(id, "PropertyUnknown") == 0)
		rf_property_unknown(resp, a0);
	else if (strcmp(id, "PropertyMissing") == 0)
		rf_create_failed_missing_req_properties(resp, a0);
	else if (strcmp(id, "StringValueTooLong") == 0)
		rf_string_value_too_long(resp, a0, atoi(a1));
	else if (strcmp(id, "CreateLimitReachedForResource") == 0)
		rf_create_limit_reached_for_resource(resp);
	else
		rf_malformed_json(resp);
}

static bool have_subscriptions(const struct route_ctx *ctx, struct http_response *resp)
{
	if (ctx->agent->subs)
		return true;
	rf_resource_not_found(resp, "EventDestinationCollection", SUBSCRIPTIONS_URI);
	return false;
}

/* Whether the caller may see and end another account's event stream. */
static bool sees_every_stream(const struct route_ctx *ctx)
{
	return (ctx->who->privileges & PRIV_CONFIGURE_MANAGER) != 0;
}

/* Push subscriptions are shown to every caller with Login, as the registry
 * says; an event stream, like a session, only to its owner and to
 * ConfigureManager: which filters another account listens with is that
 * account's business. */
static int h_subscription_collection(const struct route_ctx *ctx, struct http_response *resp)
{
	json_t *members, *streams;

	if (!have_subscriptions(ctx, resp))
		return 0;
	members = subscriptions_members(ctx->agent->subs);
	streams = sse_hub_members(ctx->agent->sse, SUBSCRIPTIONS_URI,
				  sees_every_stream(ctx) ? NULL : ctx->who->user);
	if (!members || !streams || json_array_extend(members, streams)) {
		json_decref(members);
		json_decref(streams);
		return -ENOMEM;
	}
	json_decref(streams);
	http_response_json(resp, 200,
			   rf_collection(SUBSCRIPTIONS_URI, "EventDestinationCollection",
					 "Event subscriptions", members));
	return resp->json ? 0 : -ENOMEM;
}

/* The subscription set could not be written: nothing changed. A full file
 * system is the operator's to fix (507); anything else is ours (500). */
static void persist_failed(struct http_response *resp, int rc)
{
	if (rc == -EDQUOT)
		rf_storage_full(resp);
	else
		rf_internal_error(resp);
}

static int h_subscription_create(const struct route_ctx *ctx, struct http_response *resp)
{
	struct sub_error e;
	char id[16], loc[128];
	json_t *body;
	int rc;

	if (!have_subscriptions(ctx, resp) || !(body = request_body(ctx, resp)))
		return 0;
	rc = subscriptions_create(ctx->agent->subs, body, id, sizeof(id), &e);
	json_decref(body);
	if (rc == -EINVAL || rc == -ENOSPC) {
		sub_error_reply(resp, &e);
		return 0;
	}
	if (rc == -EDQUOT || rc == -EIO) {
		persist_failed(resp, rc);
		return 0;
	}
	if (rc == -EAGAIN) {
		/* A task limit (TasksMax=, RLIMIT_NPROC): a thread may end soon. */
		log_warn_limited("subscription refused (no thread)", NULL,
				 "events: subscription refused: no thread for its deliveries");
		rf_service_temporarily_unavailable(resp, 1);
		return 0;
	}
	if (rc)
		return rc;
	snprintf(loc, sizeof(loc), SUBSCRIPTIONS_URI "/%s", id);
	event_emit(ctx->agent->events, EVM_RESOURCE_CREATED, NULL, loc, "EventDestination", NULL,
		   NULL);
	http_response_json(resp, 201, subscriptions_get(ctx->agent->subs, id));
	http_response_header(resp, "Location", loc);
	return resp->json ? 0 : -ENOMEM;
}

/* The event stream named id, for its owner or ConfigureManager, as a
 * session is: 404 when there is none, 403 when it is another's. Returns 0
 * with *n set, 1 with resp filled, or -ENOMEM. doc as sse_hub_dest's. */
static int target_stream(const struct route_ctx *ctx, const char *id, uint64_t *n, json_t **doc,
			 struct http_response *resp)
{
	char owner[IDENTITY_NAME_MAX];
	int rc = sse_dest_parse_id(id, n);

	if (!rc)
		rc = sse_hub_dest(ctx->agent->sse, *n, SUBSCRIPTIONS_URI, doc, owner, sizeof(owner));
	if (rc == -ENOMEM)
		return rc;
	if (rc) {
		rf_resource_not_found(resp, "EventDestination", id);
		return 1;
	}
	if (!sees_every_stream(ctx) && strcmp(owner, ctx->who->user) != 0) {
		if (doc)
			json_decref(*doc);
		rf_insufficient_privilege(resp);
		return 1;
	}
	return 0;
}

static int h_subscription(const struct route_ctx *ctx, struct http_response *resp)
{
	const char *id = route_param(ctx->params, "sub");
	json_t *doc = NULL;
	uint64_t n;
	int rc;

	if (!have_subscriptions(ctx, resp))
		return 0;
	if (sse_dest_is_id(id)) {
		if ((rc = target_stream(ctx, id, &n, &doc, resp)))
			return rc < 0 ? rc : 0;
		http_response_json(resp, 200, doc);
		return 0;
	}
	doc = subscriptions_get(ctx->agent->subs, id ? id : "");
	if (!doc) {
		rf_resource_not_found(resp, "EventDestination", id ? id : "");
		return 0;
	}
	http_response_json(resp, 200, doc);
	return 0;
}

/* Deleting a stream's resource ends the stream (DSP0266); its owner may,
 * with ConfigureSelf, as with a session. */
static int stream_delete(const struct route_ctx *ctx, const char *id, struct http_response *resp)
{
	uint64_t n;
	int rc;

	if ((rc = target_stream(ctx, id, &n, NULL, resp)))
		return rc < 0 ? rc : 0;
	if (sse_hub_close(ctx->agent->sse, n)) {
		rf_resource_not_found(resp, "EventDestination", id);
		return 0;
	}
	log_info("event stream %s ended by \"%s\"", id, ctx->who->user);
	resp->status = 204;
	return 0;
}

static int h_subscription_delete(const struct route_ctx *ctx, struct http_response *resp)
{
	const char *id = route_param(ctx->params, "sub");
	int rc;

	if (!have_subscriptions(ctx, resp))
		return 0;
	if (sse_dest_is_id(id))
		return stream_delete(ctx, id, resp);
	/* ConfigureSelf admits a caller to delete their own stream only: push
	 * subscriptions are created with ConfigureManager, so only it removes
	 * them. As for a session, a missing one is 404 before it is 403. */
	if (!sees_every_stream(ctx)) {
		json_t *doc = subscriptions_get(ctx->agent->subs, id ? id : "");
		if (doc)
			rf_insufficient_privilege(resp);
		else
			rf_resource_not_found(resp, "EventDestination", id ? id : "");
		json_decref(doc);
		return 0;
	}
	rc = subscriptions_delete(ctx->agent->subs, id ? id : "");
	if (rc == -ENOENT) {
		rf_resource_not_found(resp, "EventDestination", id ? id : "");
		return 0;
	}
	if (rc) {
		persist_failed(resp, rc);
		return 0;
	}
	resp->status = 204;
	return 0;
}

static int h_subscription_resume(const struct route_ctx *ctx, struct http_response *resp)
{
	const char *id = route_param(ctx->params, "sub");
	int rc;

	if (!have_subscriptions(ctx, resp))
		return 0;
	rc = subscriptions_resume(ctx->agent->subs, id ? id : "");
	if (rc == -ENOENT) {
		rf_resource_not_found(resp, "EventDestination", id ? id : "");
		return 0;
	}
	if (rc) {
		persist_failed(resp, rc);
		return 0;
	}
	resp->status = 204;
	return 0;
}

/* What SubmitTestEvent's parameters must be for the Event to be one the
 * schema allows: a severity is a Health value, the arguments strings.
 * Returns the parameter that is not, or NULL. */
static const char *test_event_invalid(const char *sev, const char *legacy_sev, json_t *args)
{
	static const char *const health[] = { "OK", "Warning", "Critical", NULL };
	const char *const sevs[] = { sev, legacy_sev };
	size_t i;
	json_t *a;

	for (i = 0; i < 2; i++) {
		const char *const *h = health;
		while (sevs[i] && *h && strcmp(*h, sevs[i]) != 0)
			h++;
		if (sevs[i] && !*h)
			return i ? "Severity" : "MessageSeverity";
	}
	if (args && !json_is_array(args))
		return "MessageArgs";
	json_array_foreach(args, i, a)
		if (!json_is_string(a))
			return "MessageArgs";
	return NULL;
}

/* SubmitTestEvent: the caller's message, published like any other so that
 * every stream and subscription whose filter matches receives it. */
static int h_submit_test_event(const struct route_ctx *ctx, struct http_response *resp)
{
	json_t *body, *args = NULL;
	const char *mid = NULL, *msg = NULL, *sev = NULL, *legacy_sev = NULL, *origin = NULL;
	const char *ignored = NULL, *bad;
	char prefix[EVENT_PREFIX_MAX] = "";
	struct event_desc d = { 0 };
	json_error_t je;
	const char *dot;

	if (!(body = request_body(ctx, resp)))
		return 0;
	if (json_unpack_ex(body, &je, JSON_STRICT, "{s:s, s?s, s?o, s?s, s?s, s?s, s?s, s?s, s?s}",
			   "MessageId", &mid, "Message", &msg, "MessageArgs", &args, "Severity",
			   &legacy_sev, "MessageSeverity", &sev, "OriginOfCondition", &origin,
			   "EventType", &ignored, "EventId", &ignored, "EventTimestamp", &ignored)) {
		rf_action_parameter_value_error(resp, "MessageId", "EventService.SubmitTestEvent");
		json_object_set_new(json_object_get(resp->json, "error"), "message",
				    json_string(je.text));
		json_decref(body);
		return 0;
	}
	if ((bad = test_event_invalid(sev, legacy_sev, args))) {
		rf_action_parameter_value_error(resp, bad, "EventService.SubmitTestEvent");
		json_decref(body);
		return 0;
	}
	if (!sev)
		sev = legacy_sev;
	dot = strchr(mid, '.');
	if (!dot || (size_t)(dot - mid) >= sizeof(prefix) || (origin && origin[0] != '/')) {
		rf_action_parameter_value_error(resp, dot ? "OriginOfCondition" : "MessageId",
						"EventService.SubmitTestEvent");
		json_decref(body);
		return 0;
	}
	memcpy(prefix, mid, (size_t)(dot - mid));
	d.registry_prefix = prefix;
	d.message_id = mid;
	d.origin = origin;
	d.record = json_pack("{s:s, s:s, s:s, s:s, s:o}", "EventType", "Other", "MessageId", mid,
			     "Message", msg ? msg : "Test event", "MessageSeverity",
			     sev ? sev : "OK", "MessageArgs",
			     args ? json_deep_copy(args) : json_array());
	if (d.record && origin)
		json_object_set_new(d.record, "OriginOfCondition", json_pack("{s:s}", "@odata.id", origin));
	event_bus_publish(ctx->agent->events, &d);
	json_decref(body);
	resp->status = 204;
	return 0;
}

#define LOGIN { PRIV_LOGIN }

/* PrivilegeRegistry 1.8.0: EventService GET is Login; the stream is read
 * with Login as well (DSP0266 lets any authenticated client open one). */
#define MANAGE { PRIV_CONFIGURE_MANAGER }
#define MANAGE_OR_SELF { PRIV_CONFIGURE_MANAGER, PRIV_CONFIGURE_SELF }
#define SUBSCRIPTION SUBSCRIPTIONS_URI "/{sub}"

/* PrivilegeRegistry 1.8.0: EventService and EventDestination reads are
 * Login; writes, SubmitTestEvent and ResumeSubscription ConfigureManager
 * (not ConfigureSelf: a subscription sends every matching event, including
 * other users' sessions and commands, to an address of the caller's
 * choosing). DELETE of an EventDestination takes the registry's
 * ConfigureManager or ConfigureSelf: with ConfigureSelf alone the handler
 * admits the caller's own event stream only. */
const struct route event_service_routes[] = {
	{ HTTP_GET | HTTP_HEAD, EVENT_SERVICE_URI, LOGIN, h_event_service, NULL },
	{ HTTP_GET | ROUTE_QUERY_FILTER | ROUTE_EVENT_STREAM, SSE_URI, LOGIN, h_event_stream, NULL },
	{ HTTP_POST, SUBMIT_TEST_URI, MANAGE, h_submit_test_event, NULL },
	{ HTTP_GET | HTTP_HEAD, SUBSCRIPTIONS_URI, LOGIN, h_subscription_collection, NULL },
	{ HTTP_POST, SUBSCRIPTIONS_URI, MANAGE, h_subscription_create, NULL },
	{ HTTP_GET | HTTP_HEAD, SUBSCRIPTION, LOGIN, h_subscription, NULL },
	{ HTTP_DELETE, SUBSCRIPTION, MANAGE_OR_SELF, h_subscription_delete, NULL },
	{ HTTP_POST, SUBSCRIPTION "/Actions/EventDestination.ResumeSubscription", MANAGE,
	  h_subscription_resume, NULL },
	{ 0 },
};

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
#include "events/filter.h"
#include "events/sse.h"
#include "redfish/error.h"
#include "redfish/event_service.h"
#include "redfish/resource.h"
#include "redfish/routes.h"

#define EVENT_SERVICE_URI "/redfish/v1/EventService"
#define SSE_URI EVENT_SERVICE_URI "/SSE"

int h_event_service(const struct route_ctx *ctx, struct http_response *resp)
{
	json_t *doc;
	(void)ctx;

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

int h_event_stream(const struct route_ctx *ctx, struct http_response *resp)
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


/* PrivilegeRegistry 1.8.0: EventService GET is Login; the stream is read
 * with Login as well (DSP0266 lets any authenticated client open one). */
const struct route event_service_routes[] = {
	{ HTTP_GET | HTTP_HEAD, EVENT_SERVICE_URI, LOGIN, h_event_service, NULL },
	{ HTTP_GET | ROUTE_QUERY_FILTER, SSE_URI, LOGIN, h_event_stream, NULL },
	{ 0 },
};

#include "events/sse_dest.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

bool sse_dest_is_id(const char *id)
{
	return id && strncmp(id, SSE_DEST_PREFIX, strlen(SSE_DEST_PREFIX)) == 0;
}

int sse_dest_parse_id(const char *id, uint64_t *n)
{
	const char *p;
	uint64_t v = 0;

	if (!sse_dest_is_id(id))
		return -EINVAL;
	p = id + strlen(SSE_DEST_PREFIX);
	/* One spelling per stream: "SSE-01" would name "SSE-1" twice. */
	if (*p < '1' || *p > '9')
		return -EINVAL;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*n = v;
	return 0;
}

json_t *sse_dest_json(const char *uri_base, uint64_t n, const char *filter_text,
		      json_t *lists)
{
	char id[32], desc[320];
	json_t *doc;

	snprintf(id, sizeof(id), SSE_DEST_PREFIX "%" PRIu64, n);
	if (filter_text && filter_text[0])
		snprintf(desc, sizeof(desc), "Server-sent event stream, $filter=%s", filter_text);
	else
		snprintf(desc, sizeof(desc), "Server-sent event stream, every event");
	/* No Destination (the stream is its own connection), no Actions
	 * (nothing to resume), HttpHeaders empty as for every destination.
	 * Context is Redfish.Required: a stream is opened without one. */
	doc = json_pack("{s:s++, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:[]}",
			"@odata.id", uri_base, "/", id, "@odata.type",
			"#EventDestination.v1_13_0.EventDestination", "Id", id, "Name",
			"Event stream", "Description", desc, "Context", "", "Protocol", "Redfish",
			"SubscriptionType", "SSE", "EventFormatType", "Event", "Status", "State",
			"Enabled", "Health", "OK", "HttpHeaders");
	if (doc && lists && json_object_update(doc, lists)) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* The EventDestination of an open event stream. DSP0266 ("Server-sent
 * events") has a service show each open stream as a member of the
 * Subscriptions collection, SubscriptionType SSE, for as long as it is open.
 * Its Id is "SSE-<n>": a number the hub counts up from 1 and never reuses
 * while the agent runs, in a space apart from push subscriptions' plain
 * numbers. Pure functions: the hub (sse.h) keeps the streams. */
#ifndef CXLA_EVENTS_SSE_DEST_H
#define CXLA_EVENTS_SSE_DEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SSE_DEST_PREFIX "SSE-"

/* Whether id is in the streams' Id space (it may still name no stream). */
bool sse_dest_is_id(const char *id);
/* "SSE-<n>" (n > 0, decimal, no sign, no leading zero) into *n: 0, or
 * -EINVAL for anything else. */
int sse_dest_parse_id(const char *id, uint64_t *n);

/* The resource of stream n under uri_base (new reference, NULL when out of
 * memory). lists: the filter as EventDestination lists (event_filter_lists;
 * NULL when it has no such form), borrowed; filter_text: the $filter the
 * stream was opened with (NULL: none), shown in Description either way. */
json_t *sse_dest_json(const char *uri_base, uint64_t n, const char *filter_text,
		      json_t *lists);

#endif

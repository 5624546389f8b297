/* Event filters: the SSE $filter expression of DSP0266 and the
 * RegistryPrefixes/ResourceTypes/OriginResources/MessageIds lists of a
 * subscription, both matched against a published event.
 *
 * $filter grammar (the subset DSP0266 defines for event streams):
 *   expr := and-expr { "or" and-expr }
 *   and-expr := term { "and" term }
 *   term := "(" expr ")" | PROPERTY "eq" 'VALUE'
 * PROPERTY is EventFormatType, MessageId, RegistryPrefix, ResourceType or
 * OriginResource. A MessageId matches on registry prefix and message key,
 * whatever the version in between. */
#ifndef CXLA_EVENTS_FILTER_H
#define CXLA_EVENTS_FILTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct event;
struct event_filter;

/* Parse text (NULL or "": matches everything). On a syntax error returns
 * -EINVAL and a message in err. Returns 0 and a new filter in *out. */
int event_filter_parse(const char *text, struct event_filter **out, char *err, size_t errlen);
void event_filter_free(struct event_filter *f);
bool event_filter_match(const struct event_filter *f, const struct event *ev);

/* The filter as an EventDestination's lists (RegistryPrefixes, MessageIds,
 * ResourceTypes, OriginResources): an event passes the lists when it
 * matches one entry of each list present, so only a conjunction of
 * disjunctions, each over one property, says the same thing. On success a
 * new object in *out ({} for a filter that passes everything); -ENOTSUP
 * when the filter has no such form (e.g. "RegistryPrefix eq 'A' or
 * MessageId eq 'B'"); -ENOMEM. */
int event_filter_lists(const struct event_filter *f, json_t **out);

/* MessageId comparison ignoring the version: "ResourceEvent.1.0.ResourceRemoved"
 * matches "ResourceEvent.1.4.ResourceRemoved". */
bool event_message_id_match(const char *pattern, const char *id);
/* OriginResource comparison tolerating one trailing slash on either side. */
bool event_origin_match(const char *pattern, const char *origin);

#endif

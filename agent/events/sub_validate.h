/* Validation of EventDestination create bodies (and of the persisted set,
 * which is checked the same way when it is loaded). */
#ifndef CXLA_EVENTS_SUB_VALIDATE_H
#define CXLA_EVENTS_SUB_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>

#include "events/subscriptions.h"

#define SUB_CONTEXT_MAX 256
#define SUB_DESTINATION_MAX 1024
#define SUB_LIST_MAX 32
#define SUB_HEADERS_MAX 16
#define SUB_HEADER_NAME_MAX 64
#define SUB_HEADER_VALUE_MAX 1024

void sub_set_error(struct sub_error *e, int status, const char *id, const char *a1,
		   const char *a2);
/* Whether v is in the NULL-terminated list. */
bool sub_in_list(const char *const *list, const char *v);
/* An absolute https:// URL with a host and no user name or password (it is
 * shown to every reader of the subscription and logged). 0, -EINVAL with e filled, or -EIO
 * when libcurl (whose parser delivery uses too) cannot be loaded. */
int sub_check_destination(const char *dest, struct sub_error *e);
/* body's key, when present, is the string want (PropertyValueNotInList). */
int sub_check_enum(json_t *body, const char *key, const char *want, struct sub_error *e);
/* An array of at most SUB_LIST_MAX strings, each accepted by ok (NULL:
 * any); *out is a new reference (an empty array when v is NULL). */
int sub_check_list(json_t *v, const char *prop, bool (*ok)(const char *), json_t **out,
		   struct sub_error *e);
/* A new subscription filters by registry or by message, never both
 * (DSP0266): when both lists are non-empty, -EINVAL with
 * PropertyValueConflict naming the two properties. Both borrowed; a
 * value that is not an array counts as empty (its type is checked later). */
int sub_check_filter_conflict(json_t *prefixes, json_t *message_ids, struct sub_error *e);
bool sub_known_prefix(const char *p);
bool sub_known_type(const char *t);
bool sub_valid_message_id(const char *m);
/* A value of the deprecated EventTypes (Event.EventType) other than
 * MetricReport: the agent publishes no metric reports. */
bool sub_known_event_type(const char *t);
/* Those values as a new array: EventService's EventTypesForSubscription. */
json_t *sub_event_types_json(void);
/* OriginResources [{"@odata.id": "/redfish/v1/..."}] to a new array of URIs. */
int sub_check_origins(json_t *v, json_t **out, struct sub_error *e);
/* The URIs back as [{"@odata.id": uri}] (new reference). */
json_t *sub_origin_links(json_t *uris);
/* HttpHeaders [{"Name": "value"}, ...]: at most SUB_HEADERS_MAX headers, each
 * name an HTTP token and each value printable ASCII (no line break can end
 * the header early), none of the headers the delivery sets itself. *out
 * (new) is the list as given, *lines (new) the "Name: value" lines to send;
 * empty arrays when v is NULL. A refusal names the header, never its value
 * (a credential, as often as not). */
int sub_check_headers(json_t *v, json_t **out, json_t **lines, struct sub_error *e);

#endif

/* Request bodies: loading one as a JSON object, and reading its declared
 * members (util/jsonmembers) with every problem answered by the Base message
 * that fits it, the way Redfish clients expect. */
#ifndef CXLA_REDFISH_BODY_H
#define CXLA_REDFISH_BODY_H

#include <jansson.h>

#include "http/message.h"
#include "util/jsonmembers.h"

/* The request body as a JSON object (new reference), or NULL with resp
 * filled (MalformedJSON). An empty object is refused as well (EmptyJSON): a
 * PATCH or POST with nothing in it is a client mistake worth telling. */
json_t *rf_body_object(const struct http_request *req, struct http_response *resp);

/* What a body may hold. */
struct rf_body {
	const struct jm_member *members;
	size_t n;
	/* Properties of the resource that exist but cannot be written: named
	 * with PropertyNotWritable, as any other "@odata." annotation is.
	 * NULL-terminated; NULL: none. */
	const char *const *readonly;
	/* Set for an action's parameters: problems are answered with the
	 * ActionParameter* messages naming it, and only the first of them. */
	const char *action;
};

/* Read body against decl into out (decl->n values). Problems are answered
 * in resp as a 400, in this order, each stage only when the ones before
 * found nothing:
 *  1. every member that is not declared (PropertyUnknown or
 *     PropertyNotWritable); returns -EINVAL;
 *  2. every declared member with a bad value, in declaration order
 *     (PropertyValueTypeError, PropertyValueOutOfRange,
 *     PropertyValueNotInList, StringValueTooLong for a long string); returns
 *     -ERANGE, and out holds the members that were fine (a bad one reads
 *     as absent), so the caller may add findings of its own;
 *  3. the first required member missing (CreateFailedMissingReqProperties);
 *     returns -EINVAL.
 * A JM_SECRET member's value is never quoted ("(hidden)"). Returns 0 when
 * the body is as declared. */
int rf_body_read(const json_t *body, const struct rf_body *decl, struct jm_value *out,
		 struct http_response *resp);

/* rf_body_read for a PATCH (DSP0266, "PATCH (update)"): members that can
 * never be written (undeclared: read-only or unknown) beside ones that can
 * are not a reason to refuse the rest. They are left out, and *ignored gets
 * the messages naming them (new array: PropertyNotWritable or
 * PropertyUnknown, as rf_body_read would answer), for the handler to add to
 * its 200 with rf_annotate_ignored. A body of such members alone is refused
 * as rf_body_read refuses it. On any refusal *ignored is NULL. */
int rf_body_read_patch(const json_t *body, const struct rf_body *decl, struct jm_value *out,
		       struct http_response *resp, json_t **ignored);
/* Add ignored (reference taken over; NULL: nothing) to a 200 answer's
 * representation in resp as its @Message.ExtendedInfo; dropped on any
 * other answer. */
void rf_annotate_ignored(struct http_response *resp, json_t *ignored);

/* A value as text for a message argument. Never used for secrets. */
void rf_value_text(const json_t *v, char *buf, size_t len);

#endif

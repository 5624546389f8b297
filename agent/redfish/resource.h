/* Small builders shared by resource handlers. Every function returns a new
 * reference (NULL on allocation failure). */
#ifndef CXLA_REDFISH_RESOURCE_H
#define CXLA_REDFISH_RESOURCE_H

#include <jansson.h>
#include <time.h>

/* {"@odata.id": <printf result>} */
json_t *rf_link(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A resource collection: @odata.id, @odata.type "#<Type>.<Type>", Name,
 * Members (taken over; an empty array when NULL) and Members@odata.count. */
json_t *rf_collection(const char *odata_id, const char *type, const char *name, json_t *members);
/* RFC 3339 UTC date-time with seconds ("2026-11-24T10:00:00Z") into buf. */
void rf_datetime(struct timespec ts, char *buf, size_t len);

#endif

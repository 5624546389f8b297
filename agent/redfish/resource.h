/* What the resource files (one per resource family, each with its route
 * table beside its handlers) share: identifiers of the singletons, route
 * declaration shorthands, JSON builders, device lookup and status, and the
 * body-cache versions (request bodies: redfish/body.h). Returned json_t are new
 * references (NULL on allocation failure) unless said otherwise. */
#ifndef CXLA_REDFISH_RESOURCE_H
#define CXLA_REDFISH_RESOURCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "cxl/device.h"
#include "redfish/body.h"
#include "redfish/router.h"

struct agent;

#define MANAGER_ID "agent"
#define CHASSIS_ID "host"
#define SYSTEM_ID "host"
#define CHASSIS_URI "/redfish/v1/Chassis/" CHASSIS_ID
#define SYSTEM_URI "/redfish/v1/Systems/" SYSTEM_ID
#define MANAGER_URI "/redfish/v1/Managers/" MANAGER_ID
/* A device's resources under the Chassis, with the chassis id literal. */
#define DEVICE_ROUTE CHASSIS_URI "/PCIeDevices/{dev}"

/* Route declaration shorthands for the tables. */
#define GET_HEAD (HTTP_GET | HTTP_HEAD)
#define NOAUTH { PRIV_NOAUTH }
#define LOGIN { PRIV_LOGIN }
#define MANAGE { PRIV_CONFIGURE_MANAGER }
#define USERS { PRIV_CONFIGURE_USERS }
/* No body cache: content depends on the caller or changes on every read. */
#define UNCACHED NULL

/* ---- builders ---- */

/* {"@odata.id": <printf result>} */
json_t *rf_link(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A resource collection: @odata.id, @odata.type "#<Type>.<Type>", Name,
 * Members (taken over; an empty array when NULL) and Members@odata.count. */
json_t *rf_collection(const char *odata_id, const char *type, const char *name, json_t *members);
/* rf_collection() as the 200 answer in resp. 0 or -ENOMEM. */
int rf_reply_collection(struct http_response *resp, const char *odata_id, const char *type,
			const char *name, json_t *members);
/* RFC 3339 UTC date-time with seconds ("2026-11-24T10:00:00Z") into buf. */
void rf_datetime(struct timespec ts, char *buf, size_t len);
/* Set body (taken over) as the answer with status and an ETag header.
 * 0, or -ENOMEM when body is NULL. */
int rf_reply_with_etag(struct http_response *resp, int status, json_t *body, const char *etag);

/* Whether route parameter param equals want; otherwise a 404 naming type
 * is written into resp and -ENOENT returned. */
int rf_check_id(const struct route_ctx *ctx, const char *param, const char *want,
		const char *type, struct http_response *resp);

/* Where only ConfigureSelf admitted the caller, the resource must be the
 * caller's own (owner is its user name): otherwise a 403 is written into
 * resp and -EACCES returned. 0 when the caller may go on. */
int rf_check_self(const struct route_ctx *ctx, const char *owner, struct http_response *resp);

/* ---- devices ---- */

/* Devices known to the agent (0 without a backend). */
size_t rf_device_count(const struct agent *ag);
/* Resolve the device named by route parameter param into info. Returns its
 * index, or -ENOENT after writing a 404 into resp. */
int rf_device_lookup(const struct route_ctx *ctx, const char *param, struct http_response *resp,
		     struct cxl_dev_info *info);
/* rf_device_lookup() of "dev" on a route beneath the Chassis, after
 * checking its "chassis" parameter. */
int rf_chassis_device(const struct route_ctx *ctx, struct http_response *resp,
		      struct cxl_dev_info *info);
/* Redfish Status of a device: Absent once gone; Health from Get Health Info
 * and the severity of kept event records, omitted when neither exists. */
json_t *rf_device_status(struct agent *ag, size_t idx, const struct cxl_dev_info *info);
/* The Health of rf_device_status(): NULL when absent or unknown. */
const char *rf_health_of(struct agent *ag, size_t idx, const struct cxl_dev_info *info);
/* The worse of two Health values (NULL: unknown, loses to any value). */
const char *rf_worse_health(const char *a, const char *b);
/* "OK", "Warning", "Critical" from decoded health info; NULL when invalid. */
const char *rf_device_health(const struct cxl_health *h);
/* The URI of a device's PCIeDevice resource into buf. */
void rf_pcie_uri(const char *dev_id, char *buf, size_t len);
/* The 200 answer: a collection at uri with one member <uri>/<device id>
 * per device. 0 or -ENOMEM. */
int rf_device_collection(const struct route_ctx *ctx, struct http_response *resp,
			 const char *uri, const char *type, const char *name);
/* Calls fn for every kept event record of device idx, oldest first; stops
 * when fn returns non-zero. 0 or a negative errno from the device layer. */
int rf_foreach_event(struct agent *ag, size_t idx, int (*fn)(const struct cxl_event *, void *),
		     void *arg);

/* ---- content versions for the body cache (route_version) ---- */

/* Content fixed for the life of the process. */
uint64_t rf_version_static(const struct route_ctx *ctx);
/* A device resource (route parameter "dev"): changes with its cached
 * inventory, health, newest event record and mailbox command count. */
uint64_t rf_version_device(const struct route_ctx *ctx);

/* ---- shared between families ---- */

/* cel.c: how this host delivers opcode to device idx
 * ({"Method", "Available", "Reason"}), and the effect flags of a CEL value
 * as booleans named after cxl_effect_names. */
json_t *cel_delivery_json(struct agent *ag, size_t idx, uint16_t opcode);
json_t *cel_effects_json(uint16_t effects);
/* tasks.c: the Task resource for id, or NULL when unknown. */
json_t *task_json(struct agent *ag, unsigned id);
/* tasks.c: what the task monitor of id answers: 202 with the Task,
 * Location and Retry-After while it runs, then the operation's final
 * response for the monitor retention time. 0, -ENOENT (unknown or no longer
 * kept; resp untouched) or -ENOMEM. */
int task_monitor_reply(struct agent *ag, unsigned id, struct http_response *resp);
struct task_info;
/* tasks.c: the TaskEvent message key for a task's state. */
const char *task_event_key(const struct task_info *ti);
/* tasks.c: the TaskEvent registry's Message for a task's state, as a Task's
 * Messages and an event carry it. */
json_t *task_event_message(const struct task_info *ti);

#endif

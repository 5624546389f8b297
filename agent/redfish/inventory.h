/* Shared pieces of the device resources (inventory.c, cel.c, vendor
 * commands): device lookup by route parameter and honest status. */
#ifndef CXLA_REDFISH_INVENTORY_H
#define CXLA_REDFISH_INVENTORY_H

#include <jansson.h>

#include "cxl/device.h"
#include "redfish/router.h"

struct agent;

/* Devices known to the agent (0 without a backend). */
size_t inventory_count(const struct agent *ag);
/* Resolve the device named by route parameter param into info. Returns its
 * index, or -ENOENT after writing a 404 into resp. */
int inventory_lookup(const struct route_ctx *ctx, const char *param, struct http_response *resp,
		     struct cxl_dev_info *info);
/* Redfish Status of a device: Absent once gone; Health from Get Health Info
 * and the severity of kept event records, omitted when neither exists.
 * New reference. */
json_t *inventory_status(struct agent *ag, size_t idx, const struct cxl_dev_info *info);
/* "OK", "Warning", "Critical" from decoded health info; NULL when invalid. */
const char *inventory_health(const struct cxl_health *h);

/* cel.c: how this host delivers opcode to device idx
 * ({"Method", "Available", "Reason"}), and the effect flags of a CEL value
 * as booleans named after cxl_effect_names. New references. */
json_t *cel_delivery_json(struct agent *ag, size_t idx, uint16_t opcode);
json_t *cel_effects_json(uint16_t effects);

#endif

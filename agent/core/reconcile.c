#include "core/reconcile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "core/agent.h"
#include "cxl/cel.h"
#include "cxl/device.h"
#include "util/log.h"

#define STATUS_TIMEOUT_MS 250

/* What the device says of its background operation (opcode 0002h: byte 0
 * bit 0 running, le16 opcode at 2, le16 return code at 4). 1 with *rc set
 * when the operation of opcode has finished, 0 when it runs or the device
 * does not say, -errno when the device cannot be asked. */
static int background_finished(struct agent *ag, size_t idx, uint16_t opcode, uint16_t *rc)
{
	struct cxl_cmd cmd = { CXL_OP_BG_OP_STATUS, NULL, 0, STATUS_TIMEOUT_MS };
	struct cxl_cmd_result res = { 0 };
	int done = 0, err = cxl_devset_submit(ag->devices, idx, &cmd, &res);

	if (err < 0 || res.transport)
		done = err < 0 ? err : res.transport;
	else if (res.mbox_rc == CXL_MBOX_SUCCESS && res.out_len >= 6 && !(res.out[0] & 1) &&
		 (uint16_t)(res.out[2] | res.out[3] << 8) == opcode) {
		*rc = (uint16_t)(res.out[4] | res.out[5] << 8);
		done = 1;
	}
	cxl_cmd_result_clear(&res);
	return done;
}

static void close_one(struct agent *ag, const struct audit_pending *p)
{
	struct audit_result r = { .intent_id = p->intent, .outcome = AUDIT_OUTCOME_UNKNOWN };
	int idx = ag->devices ? cxl_devset_find(ag->devices, p->device) : -ENODEV;
	uint16_t rc = 0;

	if (!p->background) {
		r.detail = "no result was recorded before the agent stopped";
	} else if (idx < 0) {
		r.detail = "background operation: the device is not present at start-up";
	} else if (background_finished(ag, (size_t)idx, p->opcode, &rc) == 1) {
		r.outcome = AUDIT_OUTCOME_REPORTED;
		r.mbox_rc = rc;
		r.detail = "background operation: completion read from the device at start-up";
	} else {
		r.detail = "background operation: no completion to read at start-up";
	}
	if (audit_result(ag->audit, &r, NULL))
		log_error("audit: cannot close record %s at start-up", p->intent);
	else
		log_info("audit: record %s (0x%04X on %s) closed at start-up: %s", p->intent,
			 p->opcode, p->device, r.detail);
}

int audit_reconcile(struct agent *ag)
{
	struct audit_pending *p;
	size_t n;
	int rc = audit_pending(ag->audit, &p, &n);

	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		close_one(ag, &p[i]);
	free(p);
	return (int)n;
}

#include "core/remote.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "core/agent.h"

int agent_audit_read(struct agent *ag, size_t skip, size_t max, json_t **entries,
		     size_t *total)
{
	if (ag->remote)
		return ag->remote->audit_read(ag->remote_ctx, skip, max, entries, total);
	return ag->audit ? audit_read(ag->audit, skip, max, entries, total) : -ENODEV;
}

int agent_audit_find(struct agent *ag, const char *id, json_t **entry)
{
	if (ag->remote)
		return ag->remote->audit_find(ag->remote_ctx, id, entry);
	return ag->audit ? audit_find(ag->audit, id, entry) : -ENODEV;
}

int agent_audit_status(struct agent *ag, char *msg, size_t len, char head[65])
{
	if (ag->remote)
		return ag->remote->audit_status(ag->remote_ctx, msg, len, head);
	if (!ag->audit) {
		snprintf(msg, len, "audit log not open");
		memset(head, 0, 65);
		return -ENODEV;
	}
	audit_chain_head(ag->audit, head);
	return audit_health(ag->audit, msg, len);
}

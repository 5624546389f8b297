#include "events/sources.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/commands.h"
#include "core/tasks.h"
#include "cxl/cel.h"
#include "events/messages.h"
#include "policy/policy.h"
#include "redfish/resource.h"

static void completion_text(const struct command_outcome *o, char *buf, size_t len)
{
	const char *name;

	if (o->stage == COMMAND_QUEUE_FULL) {
		snprintf(buf, len, "refused, too many commands wait for the device");
		return;
	}
	if (o->result.transport) {
		snprintf(buf, len, "the path to the device failed (%s)", strerror(-o->result.transport));
		return;
	}
	name = cxl_mbox_rc_name(o->result.mbox_rc);
	snprintf(buf, len, "mailbox return code 0x%02X (%s)", o->result.mbox_rc,
		 name ? name : "unknown");
}

void events_command(struct event_bus *bus, const char *device_id, const char *command_id,
		    uint16_t opcode, const char *user, const struct command_outcome *o)
{
	char origin[256], cmd[80], text[160];
	const char *decision_args[4] = { cmd, device_id, user, text };
	const char *done_args[3] = { cmd, device_id, text };
	bool ok;

	if (!bus)
		return;
	if (command_id)
		snprintf(cmd, sizeof(cmd), "%s", command_id);
	else
		snprintf(cmd, sizeof(cmd), "opcode 0x%04X", opcode);
	snprintf(origin, sizeof(origin),
		 "/redfish/v1/Chassis/" CHASSIS_ID "/PCIeDevices/%s%s%s", device_id,
		 command_id ? "/Oem/CxlAgent/VendorCommands/" : "", command_id ? command_id : "");
	if (o->stage == COMMAND_AUDIT_FAILED) {
		const char *args[1] = { strerror(-o->audit_error) };
		event_emit(bus, EVM_AUDIT_LOG_UNWRITABLE, NULL, "/redfish/v1/Managers/" MANAGER_ID,
			   "Manager", args, NULL);
		return;
	}
	snprintf(text, sizeof(text), "%s", policy_reason_name(o->decision.reason));
	event_emit(bus, o->stage == COMMAND_DENIED ? EVM_VENDOR_COMMAND_DENIED
						   : EVM_VENDOR_COMMAND_ALLOWED,
		   NULL, origin, "PCIeDevice", decision_args, NULL);
	if (o->stage == COMMAND_DENIED)
		return;
	completion_text(o, text, sizeof(text));
	ok = o->stage == COMMAND_SUBMITTED && o->result.transport == 0 &&
	     (o->result.mbox_rc == CXL_MBOX_SUCCESS || o->result.mbox_rc == CXL_MBOX_BACKGROUND_STARTED);
	/* As in the audit log: a command that never reached the device is
	 * critical, one the device refused or never got to run a warning. */
	event_emit(bus, EVM_VENDOR_COMMAND_COMPLETED,
		   ok ? "OK" : o->stage == COMMAND_SUBMITTED && o->result.transport &&
				       o->result.transport != -EBUSY ? "Critical" : "Warning",
		   origin, "PCIeDevice", done_args, NULL);
}

void events_task(void *bus, const struct task_info *ti)
{
	static const struct {
		const char *key;
		enum event_msg msg;
	} by_key[] = {
		{ "TaskStarted", EVM_TASK_STARTED },
		{ "TaskCompletedOK", EVM_TASK_COMPLETED_OK },
		{ "TaskCompletedWarning", EVM_TASK_COMPLETED_WARNING },
		{ "TaskAborted", EVM_TASK_ABORTED },
	};
	const char *key = task_event_key(ti);
	enum event_msg msg = EVM_TASK_ABORTED;
	char id[16], uri[64];
	const char *args[1] = { id };

	for (size_t i = 0; i < sizeof(by_key) / sizeof(by_key[0]); i++)
		if (key && strcmp(key, by_key[i].key) == 0)
			msg = by_key[i].msg;
	snprintf(id, sizeof(id), "%u", ti->id);
	snprintf(uri, sizeof(uri), "/redfish/v1/TaskService/Tasks/%u", ti->id);
	event_emit(bus, msg, NULL, uri, "Task", args, NULL);
}

void events_catalogue_reload_failed(struct event_bus *bus, const char *reason)
{
	const char *args[1] = { reason };

	event_emit(bus, EVM_CATALOGUE_RELOAD_FAILED, NULL, MANAGER_URI, "Manager", args, NULL);
}

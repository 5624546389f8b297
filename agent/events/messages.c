#include "events/messages.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events/bus.h"

static const struct event_message messages[EVM_COUNT] = {
	[EVM_RESOURCE_CREATED] = { "ResourceEvent", "1.4", "ResourceCreated", "OK", 0,
				   "The resource was created successfully." },
	[EVM_RESOURCE_REMOVED] = { "ResourceEvent", "1.4", "ResourceRemoved", "OK", 0,
				   "The resource was removed successfully." },
	[EVM_RESOURCE_CHANGED] = { "ResourceEvent", "1.4", "ResourceChanged", "OK", 0,
				   "One or more resource properties have changed." },
	[EVM_STATUS_CHANGED_OK] = { "ResourceEvent", "1.4", "ResourceStatusChangedOK", "OK", 2,
				    "The health of resource '%1' has changed to %2." },
	[EVM_STATUS_CHANGED_WARNING] = { "ResourceEvent", "1.4", "ResourceStatusChangedWarning",
					 "Warning", 2,
					 "The health of resource '%1' has changed to %2." },
	[EVM_STATUS_CHANGED_CRITICAL] = { "ResourceEvent", "1.4", "ResourceStatusChangedCritical",
					  "Critical", 2,
					  "The health of resource '%1' has changed to %2." },
	[EVM_TASK_STARTED] = { "TaskEvent", "1.0", "TaskStarted", "OK", 1,
			       "The task with Id '%1' has started." },
	[EVM_TASK_COMPLETED_OK] = { "TaskEvent", "1.0", "TaskCompletedOK", "OK", 1,
				    "The task with Id '%1' has completed." },
	[EVM_TASK_COMPLETED_WARNING] = { "TaskEvent", "1.0", "TaskCompletedWarning", "Warning", 1,
					 "The task with Id '%1' has completed with warnings." },
	[EVM_TASK_ABORTED] = { "TaskEvent", "1.0", "TaskAborted", "Critical", 1,
			       "The task with Id '%1' has completed with errors." },
	[EVM_TASK_PROGRESS_CHANGED] = { "TaskEvent", "1.0", "TaskProgressChanged", "OK", 2,
					"The task with Id '%1' has changed to progress %2 percent complete." },
	[EVM_DEVICE_EVENT_RECORD] = { "CxlAgent", "1.0", "DeviceEventRecord", "OK", 4,
				      "Device '%1' reported an event record in its %2 log: type %3, handle %4." },
	[EVM_VENDOR_COMMAND_ALLOWED] = { "CxlAgent", "1.0", "VendorCommandAllowed", "OK", 4,
					 "Vendor command '%1' on device '%2' was allowed for user '%3': %4." },
	[EVM_VENDOR_COMMAND_DENIED] = { "CxlAgent", "1.0", "VendorCommandDenied", "Warning", 4,
					"Vendor command '%1' on device '%2' was denied for user '%3': %4." },
	[EVM_VENDOR_COMMAND_COMPLETED] = { "CxlAgent", "1.0", "VendorCommandCompleted", "OK", 3,
					   "Vendor command '%1' on device '%2' completed: %3." },
	[EVM_AUDIT_LOG_UNWRITABLE] = { "CxlAgent", "1.0", "AuditLogUnwritable", "Critical", 1,
				       "The audit log cannot be written: %1. Vendor commands are refused." },
	[EVM_CATALOGUE_RELOAD_FAILED] = { "CxlAgent", "1.0", "CatalogueReloadFailed", "Warning", 1,
					  "The vendor command catalogue was not reloaded: %1. The previous catalogue stays in force." },
	[EVM_VENDOR_COMMAND_DENIALS_SUPPRESSED] = { "CxlAgent", "1.0", "VendorCommandDenialsSuppressed",
						    "Warning", 3,
						    "%1 further denials of vendor commands for user '%2' from %3 were counted, not recorded one by one." },
	[EVM_VENDOR_COMMAND_RESULT] = { "CxlAgent", "1.0", "VendorCommandResult", "OK", 2,
					"The vendor command of audit record %1 returned %2." },
	[EVM_VENDOR_COMMAND_DEVICE_ERROR] = { "CxlAgent", "1.0", "VendorCommandDeviceError", "Warning", 2,
					      "The device refused the vendor command of audit record %1: %2." },
	[EVM_VENDOR_COMMAND_NOT_DELIVERED] = { "CxlAgent", "1.0", "VendorCommandNotDelivered", "Critical", 2,
					       "The vendor command of audit record %1 did not reach the device: %2." },
	[EVM_VENDOR_COMMAND_OUTCOME_UNKNOWN] = { "CxlAgent", "1.0", "VendorCommandOutcomeUnknown", "Warning", 2,
						 "The outcome of the vendor command of audit record %1 is not known: %2." },
};

const struct event_message *event_message_get(enum event_msg msg)
{
	if ((unsigned)msg >= EVM_COUNT)
		return NULL;
	return &messages[msg];
}

int event_registry_known(const char *prefix)
{
	for (size_t i = 0; i < EVM_COUNT; i++)
		if (strcmp(messages[i].prefix, prefix) == 0)
			return 1;
	return 0;
}

void event_message_format(const char *text, const char *const *args, unsigned nargs, char *buf,
			  size_t len)
{
	size_t o = 0;

	if (len == 0)
		return;
	for (const char *p = text; *p && o + 1 < len; p++) {
		if (p[0] == '%' && p[1] >= '1' && p[1] <= '9' && (unsigned)(p[1] - '1') < nargs) {
			const char *a = args[p[1] - '1'];
			size_t n = strlen(a);
			if (n > len - 1 - o)
				n = len - 1 - o;
			memcpy(buf + o, a, n);
			o += n;
			p++;
			continue;
		}
		buf[o++] = *p;
	}
	buf[o] = '\0';
}

static json_t *message_args(const char *const *args, unsigned nargs)
{
	json_t *a = json_array();
	for (unsigned i = 0; a && i < nargs; i++) {
		if (json_array_append_new(a, json_string(args && args[i] ? args[i] : ""))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

int event_message_set(json_t *obj, enum event_msg msg, const char *const *args)
{
	const struct event_message *m = event_message_get(msg);
	char id[EVENT_MESSAGE_ID_MAX], text[512];

	if (!m)
		return -EINVAL;
	snprintf(id, sizeof(id), "%s.%s.%s", m->prefix, m->version, m->key);
	event_message_format(m->text, args, m->nargs, text, sizeof(text));
	if (json_object_set_new(obj, "MessageId", json_string(id)) ||
	    json_object_set_new(obj, "Message", json_string(text)) ||
	    json_object_set_new(obj, "MessageArgs", message_args(args, m->nargs)))
		return -ENOMEM;
	return 0;
}

/* What an emitted event's record is built from when it is first read:
 * copies of the arguments, in one allocation with their strings. */
struct emit_data {
	enum event_msg msg;
	const char *severity;
	const char *origin;     /* NULL when none */
	json_t *oem;            /* NULL when none */
	const char *args[9];
	char strings[];
};

static void emit_data_free(void *arg)
{
	struct emit_data *d = arg;

	json_decref(d->oem);
	free(d);
}

static char *put_string(char **at, const char *s)
{
	char *start = *at;
	size_t n = strlen(s) + 1;

	memcpy(start, s, n);
	*at += n;
	return start;
}

/* New, or NULL when out of memory; oem taken over in every case. */
static struct emit_data *emit_data_new(enum event_msg msg, const char *severity,
				       const char *origin, const char *const *args, json_t *oem)
{
	const struct event_message *m = event_message_get(msg);
	size_t room = strlen(severity) + 1 + (origin ? strlen(origin) + 1 : 0);
	struct emit_data *d;
	char *at;

	if (m->nargs > sizeof(d->args) / sizeof(d->args[0])) {
		json_decref(oem);
		return NULL;
	}
	for (unsigned i = 0; i < m->nargs; i++)
		room += strlen(args && args[i] ? args[i] : "") + 1;
	d = malloc(sizeof(*d) + room);
	if (!d) {
		json_decref(oem);
		return NULL;
	}
	at = d->strings;
	d->msg = msg;
	d->oem = oem;
	d->severity = put_string(&at, severity);
	d->origin = origin ? put_string(&at, origin) : NULL;
	for (unsigned i = 0; i < m->nargs; i++)
		d->args[i] = put_string(&at, args && args[i] ? args[i] : "");
	return d;
}

/* The event's record, as the registry message makes it. The Oem object is
 * copied: readers on two threads may build at once. */
static json_t *emit_record(const void *arg)
{
	const struct emit_data *d = arg;
	json_t *rec = json_pack("{s:s, s:s}", "EventType", "Other", "MessageSeverity",
				d->severity);

	if (rec && event_message_set(rec, d->msg, d->args)) {
		json_decref(rec);
		rec = NULL;
	}
	if (rec && d->origin &&
	    json_object_set_new(rec, "OriginOfCondition", json_pack("{s:s}", "@odata.id", d->origin))) {
		json_decref(rec);
		rec = NULL;
	}
	if (rec && d->oem && json_object_set_new(rec, "Oem", json_deep_copy(d->oem))) {
		json_decref(rec);
		rec = NULL;
	}
	return rec;
}

uint64_t event_emit(struct event_bus *bus, enum event_msg msg, const char *severity,
		    const char *origin, const char *resource_type, const char *const *args,
		    json_t *oem)
{
	const struct event_message *m = event_message_get(msg);
	struct event_desc d = { 0 };
	char id[EVENT_MESSAGE_ID_MAX];

	if (!bus || !m) {
		json_decref(oem);
		return 0;
	}
	snprintf(id, sizeof(id), "%s.%s.%s", m->prefix, m->version, m->key);
	d.registry_prefix = m->prefix;
	d.message_id = id;
	d.resource_type = resource_type;
	d.origin = origin;
	/* The record is built only if a stream or subscription reads the
	 * event: a vendor command's two events are mostly never read. */
	d.make = emit_record;
	d.data = emit_data_new(msg, severity ? severity : m->severity,
			       origin && origin[0] ? origin : NULL, args, oem);
	d.release = emit_data_free;
	if (!d.data)
		d.make = NULL; /* counted as a drop */
	return event_bus_publish(bus, &d);
}

/* The registry messages the agent publishes, and one call that turns a
 * message, its arguments and its origin into a published event. Message
 * text and default severity come from the registries (DMTF ResourceEvent
 * 1.4, TaskEvent 1.0, and the agent's own CxlAgent 1.0), so a MessageId
 * always names a message that exists. Log entries (audit log, device log)
 * take their MessageId from the same table. */
#ifndef CXLA_EVENTS_MESSAGES_H
#define CXLA_EVENTS_MESSAGES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct event_bus;

enum event_msg {
	EVM_RESOURCE_CREATED,
	EVM_RESOURCE_REMOVED,
	EVM_RESOURCE_CHANGED,
	EVM_STATUS_CHANGED_OK,
	EVM_STATUS_CHANGED_WARNING,
	EVM_STATUS_CHANGED_CRITICAL,
	EVM_TASK_STARTED,
	EVM_TASK_COMPLETED_OK,
	EVM_TASK_COMPLETED_WARNING,
	EVM_TASK_ABORTED,
	EVM_TASK_PROGRESS_CHANGED,
	EVM_DEVICE_EVENT_RECORD,
	EVM_VENDOR_COMMAND_ALLOWED,
	EVM_VENDOR_COMMAND_DENIED,
	EVM_VENDOR_COMMAND_COMPLETED,
	EVM_AUDIT_LOG_UNWRITABLE,
	EVM_CATALOGUE_RELOAD_FAILED,
	EVM_VENDOR_COMMAND_DENIALS_SUPPRESSED,
	EVM_VENDOR_COMMAND_RESULT,
	EVM_VENDOR_COMMAND_DEVICE_ERROR,
	EVM_VENDOR_COMMAND_NOT_DELIVERED,
	EVM_VENDOR_COMMAND_OUTCOME_UNKNOWN,
	EVM_COUNT
};

struct event_message {
	const char *prefix;    /* registry prefix */
	const char *version;   /* "1.4": major.minor as in a MessageId */
	const char *key;       /* message key */
	const char *severity;  /* default MessageSeverity */
	unsigned nargs;
	const char *text;      /* with %1..%9 */
};

/* The table entry for msg (borrowed, static), or NULL when out of range. */
const struct event_message *event_message_get(enum event_msg msg);
/* Whether a registry prefix is one this agent publishes ("ResourceEvent"). */
int event_registry_known(const char *prefix);

/* Build and publish. args must hold the message's nargs strings (borrowed).
 * severity NULL: the message's default. origin and resource_type may be
 * NULL. oem is taken over (may be NULL): it becomes the record's Oem. Returns
 * the event id or 0 (bus NULL or out of memory). */
uint64_t event_emit(struct event_bus *bus, enum event_msg msg, const char *severity,
		    const char *origin, const char *resource_type, const char *const *args,
		    json_t *oem);

/* Set MessageId, Message and MessageArgs of msg with args (borrowed, the
 * message's nargs strings; NULL reads as "") on obj, an Event record or a
 * LogEntry. 0, -EINVAL (msg out of range) or -ENOMEM. */
int event_message_set(json_t *obj, enum event_msg msg, const char *const *args);

/* Substitute %1..%9 in text with args into buf (truncated). */
void event_message_format(const char *text, const char *const *args, unsigned nargs, char *buf,
			  size_t len);

#endif

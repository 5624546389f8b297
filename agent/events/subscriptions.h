/* Push subscriptions (EventDestination, Protocol Redfish, HTTPS only): the
 * validated, persisted set, and one delivery worker per subscription.
 *
 * Each subscription is an event bus consumer with its own bounded queue and
 * its own thread, which POSTs one Event at a time with libcurl, verifying
 * the destination's certificate against the configured CA bundle (or the
 * system's). A destination that hangs or refuses delays only its own queue;
 * overflow drops are counted and logged. After DeliveryRetryAttempts failed
 * attempts an event is retried, the subscription suspended or deleted, as
 * its DeliveryRetryPolicy says. The set is rewritten atomically on every
 * change and loaded at start-up. */
#ifndef CXLA_EVENTS_SUBSCRIPTIONS_H
#define CXLA_EVENTS_SUBSCRIPTIONS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct event_bus;
struct subscriptions;

struct subscriptions_config {
	const char *path;            /* persisted set (JSON), borrowed */
	const char *ca_file;         /* CA bundle for destinations; NULL: system */
	unsigned max;                /* subscriptions at most */
	unsigned retry_attempts;     /* DeliveryRetryAttempts */
	unsigned retry_interval_s;   /* DeliveryRetryIntervalSeconds */
	unsigned queue_len;          /* events queued per subscription */
	unsigned timeout_s;          /* one delivery attempt */
	const char *uri_base;        /* ".../EventService/Subscriptions" */
};

/* Load the persisted set (a missing file is an empty set) and start a worker
 * per subscription. A corrupt file fails with a message in err. bus is
 * borrowed and must outlive the set. */
int subscriptions_open(const struct subscriptions_config *cfg, struct event_bus *bus,
		       struct subscriptions **out, char *err, size_t errlen);
/* Stop every worker (each within one delivery timeout) and free. */
void subscriptions_close(struct subscriptions *s);

/* Why a create body was refused, as a Base message and its arguments. */
struct sub_error {
	int status;
	const char *message_id;
	char args[2][160];
	unsigned nargs;
};

/* Validate body and create. On success returns 0 and the new id in id;
 * on invalid input fills e and returns -EINVAL (nothing created); -ENOSPC
 * at the limit (e filled); -EDQUOT when the file system is full, -EIO when
 * the set could not be persisted otherwise, -EAGAIN when no thread could
 * be started for its deliveries (nothing created either way). */
int subscriptions_create(struct subscriptions *s, json_t *body, char *id, size_t idlen,
			 struct sub_error *e);
/* The EventDestination resource of id (new reference), or NULL. */
json_t *subscriptions_get(struct subscriptions *s, const char *id);
/* Members of the collection: [{"@odata.id": ...}] (new reference). */
json_t *subscriptions_members(struct subscriptions *s);
/* 0, -ENOENT; -EDQUOT (file system full) or -EIO when the set could not
 * be persisted: then nothing is deleted. */
int subscriptions_delete(struct subscriptions *s, const char *id);
/* Resume a suspended subscription (its queued events are delivered).
 * 0, -ENOENT; -EDQUOT or -EIO as for delete: then it stays suspended. */
int subscriptions_resume(struct subscriptions *s, const char *id);

struct subscriptions_stats {
	unsigned count;
	uint64_t delivered;
	uint64_t failed_attempts;
	uint64_t dropped;
	size_t queued;
};
void subscriptions_stats(struct subscriptions *s, struct subscriptions_stats *out);

#endif

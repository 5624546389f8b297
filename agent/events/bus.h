/* The event bus: every part of the agent publishes Redfish events here, and
 * consumers (SSE streams, push subscriptions) read them from their own
 * bounded queues.
 *
 * publish never waits for a consumer: it takes one short mutex, stores the
 * event in a bounded ring (for Last-Event-ID replay), appends a reference to
 * the queue of each consumer whose filter matches, and calls the consumer's
 * notify hook. A full consumer queue drops the event for that consumer only;
 * the drop is counted and logged. Thread-safe: any function may be called
 * from any thread. */
#ifndef CXLA_EVENTS_BUS_H
#define CXLA_EVENTS_BUS_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define EVENT_PREFIX_MAX 32
#define EVENT_MESSAGE_ID_MAX 96
#define EVENT_TYPE_MAX 48
#define EVENT_ORIGIN_MAX 256

/* Builds a lazily rendered event's record (new; NULL when out of memory)
 * from the data its publisher gave. Called on the first read of the event's
 * text, from the reading thread, and possibly by two readers at once: it
 * must only read data. */
typedef json_t *(*event_record_fn)(const void *data);

/* The whole Event as sent, made once (event_text()). */
struct event_text {
	size_t len;
	char bytes[];
};

/* A published event. Its fields are immutable once published; the event is
 * shared by reference between the ring and the consumer queues. Its text is
 * rendered on the first read, so an event nobody reads (no stream, no
 * subscription, no replay) is never serialised. */
struct event {
	atomic_uint refs;
	uint64_t id;                            /* monotonic, the SSE id: */
	char registry_prefix[EVENT_PREFIX_MAX]; /* "ResourceEvent" */
	char message_id[EVENT_MESSAGE_ID_MAX];  /* "ResourceEvent.1.4.ResourceRemoved" */
	char resource_type[EVENT_TYPE_MAX];     /* "PCIeDevice", "" when none */
	char origin[EVENT_ORIGIN_MAX];          /* OriginOfCondition URI, "" when none */
	/* The bus's own; read through event_text(). */
	time_t published;                       /* EventTimestamp, unless the record has one */
	char *record_text;                      /* a record given whole, serialised, */
	bool has_time;                          /* with its own EventTimestamp */
	event_record_fn make;                   /* or how to build it, from data */
	void *data;
	void (*release)(void *data);
	_Atomic(struct event_text *) text;      /* NULL until first read */
};

/* Take or drop a reference. event_unref(NULL) is fine. */
struct event *event_ref(struct event *ev);
void event_unref(struct event *ev);

/* The Event as sent: {"@odata.type", "Id", "Name", "Events": [record]} with
 * EventId, MemberId and (when the record has none) EventTimestamp, the
 * publication time, added to the record last; the bytes jansson makes of
 * it compactly. Rendered on the first call (from any thread) and kept;
 * borrowed, valid while the caller holds its reference. NULL when it cannot
 * be rendered (out of memory; a later call tries again). */
const struct event_text *event_text(struct event *ev);

/* What a source publishes. Strings are borrowed and copied (truncated to the
 * sizes above). Either record, taken over (serialised at once, with EventId
 * and MemberId removed, and released), or make and data: data is taken over
 * (release, when not NULL, frees it with the event, also when publishing
 * fails) and the record is built from it only when the text is first read. */
struct event_desc {
	const char *registry_prefix;
	const char *message_id;
	const char *resource_type;
	const char *origin;
	json_t *record;
	event_record_fn make;
	void *data;
	void (*release)(void *data);
};

struct event_bus;

/* ring_size: events kept for replay (>= 1). first_id: the id of the first
 * event (event_ids_seed() gives one that keeps ids growing across restarts).
 * Returns 0, -EINVAL or -ENOMEM. */
int event_bus_new(size_t ring_size, uint64_t first_id, struct event_bus **out);
/* Reserve ids durably at path (events/event_ids.h): the first block now,
 * each next one when the last is used up, before the event that takes its
 * first id is published. Before the bus is shared. 0 or -errno (the first
 * block could not be written: nothing is kept, the caller must not start). */
int event_bus_keep_ids(struct event_bus *bus, const char *path);
/* Every consumer must have been freed first. NULL is fine. */
void event_bus_free(struct event_bus *bus);

/* Publish. Takes over desc->record and desc->data in every case. Returns
 * the event id (> 0), or 0 when the event could not be made (out of memory;
 * counted as a drop). bus NULL: the record and data are released and 0
 * returned, so sources need no checks in tools and tests that run without
 * a bus. */
uint64_t event_bus_publish(struct event_bus *bus, struct event_desc *desc);

/* Consumer hooks. match decides whether an event is queued (NULL: all).
 * notify is called after an event was queued, with the bus mutex held: it
 * must neither block nor call back into the bus. Both receive arg. */
typedef bool (*event_match_fn)(void *arg, const struct event *ev);
typedef void (*event_notify_fn)(void *arg);

struct event_consumer_config {
	const char *name;       /* for the overflow log line, copied */
	size_t queue_len;       /* bound on queued events (>= 1) */
	event_match_fn match;
	event_notify_fn notify;
	void *arg;
	/* Replay: queue the matching events still in the ring with an id
	 * greater than this (0: no replay). */
	uint64_t replay_after;
};

struct event_consumer;

/* Attach a new consumer. Returns 0, -EINVAL or -ENOMEM. */
int event_consumer_new(struct event_bus *bus, const struct event_consumer_config *cfg,
		       struct event_consumer **out);
/* Detach and free; after it returns notify is not called again. NULL fine. */
void event_consumer_free(struct event_consumer *c);
/* Oldest queued event (a new reference the caller unrefs), or NULL. */
struct event *event_consumer_next(struct event_consumer *c);
/* Events queued now, and dropped because the queue was full. */
size_t event_consumer_depth(struct event_consumer *c);
uint64_t event_consumer_dropped(struct event_consumer *c);

struct event_bus_stats {
	uint64_t published;
	uint64_t dropped;     /* over every consumer, and events not built */
	uint64_t last_id;     /* 0 before the first event */
	size_t consumers;
	size_t queued;        /* over every consumer */
};
void event_bus_stats(struct event_bus *bus, struct event_bus_stats *out);

#endif

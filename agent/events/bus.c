#include "events/bus.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"

#define EVENT_ODATA_TYPE "#Event.v1_13_0.Event"

struct event_consumer {
	struct event_bus *bus;
	struct event_consumer *next;
	char name[64];
	struct event **queue;   /* circular */
	size_t cap;
	size_t head;
	size_t count;
	uint64_t dropped;
	event_match_fn match;
	event_notify_fn notify;
	void *arg;
};

struct event_bus {
	pthread_mutex_t lock;
	struct event **ring;    /* circular, oldest at head */
	size_t ring_cap;
	size_t ring_head;
	size_t ring_count;
	uint64_t next_id;
	uint64_t published;
	uint64_t dropped;
	struct event_consumer *consumers;
};

struct event *event_ref(struct event *ev)
{
	if (ev)
		atomic_fetch_add(&ev->refs, 1);
	return ev;
}

void event_unref(struct event *ev)
{
	if (!ev || atomic_fetch_sub(&ev->refs, 1) != 1)
		return;
	free(ev->text);
	free(ev);
}

int event_bus_new(size_t ring_size, uint64_t first_id, struct event_bus **out)
{
	struct event_bus *bus;

	if (ring_size == 0 || !out)
		return -EINVAL;
	bus = calloc(1, sizeof(*bus));
	if (!bus)
		return -ENOMEM;
	bus->ring = calloc(ring_size, sizeof(*bus->ring));
	if (!bus->ring) {
		free(bus);
		return -ENOMEM;
	}
	bus->ring_cap = ring_size;
	bus->next_id = first_id ? first_id : 1;
	pthread_mutex_init(&bus->lock, NULL);
	*out = bus;
	return 0;
}

void event_bus_free(struct event_bus *bus)
{
	if (!bus)
		return;
	for (size_t i = 0; i < bus->ring_count; i++)
		event_unref(bus->ring[(bus->ring_head + i) % bus->ring_cap]);
	pthread_mutex_destroy(&bus->lock);
	free(bus->ring);
	free(bus);
}

static void copy_field(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

static void timestamp_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The Event around a record is serialised once, so that every stream sends
 * the same bytes without touching JSON again. The record is serialised
 * before the bus lock is taken (publishers on several threads do not queue
 * behind each other's JSON work); under the lock only the id, which must
 * follow ring order, and the time are stamped in. The bytes are those
 * jansson makes of {"@odata.type", "Id", "Name", "Events": [record]} with
 * EventId, MemberId and (when the record has none) EventTimestamp added to
 * the record last. */
struct event_draft {
	char *record;      /* the record compactly, "{...}" (new) */
	bool has_time;     /* the record brings its own EventTimestamp */
	char *text;        /* room for the whole Event (new) */
	size_t room;
};

static int draft_event(json_t *record, struct event_draft *d)
{
	/* The stamps are the bus's alone: a record never brings its own. */
	json_object_del(record, "EventId");
	json_object_del(record, "MemberId");
	d->record = json_dumps(record, JSON_COMPACT);
	d->has_time = json_object_get(record, "EventTimestamp") != NULL;
	if (!d->record || d->record[0] != '{')
		return -ENOMEM;
	d->room = strlen(d->record) + sizeof(EVENT_ODATA_TYPE) + 192;
	d->text = malloc(d->room);
	return d->text ? 0 : -ENOMEM;
}

/* With the bus lock held: ev->id is set. Takes over d->text. */
static int finish_event(struct event *ev, struct event_draft *d)
{
	char id[24], ts[32] = "";
	size_t rlen = strlen(d->record);
	int more = d->record[1] != '}', w;

	snprintf(id, sizeof(id), "%" PRIu64, ev->id);
	if (!d->has_time)
		timestamp_now(ts, sizeof(ts));
	/* The record's members less its closing brace, then the stamps. */
	w = snprintf(d->text, d->room,
		     "{\"@odata.type\":\"" EVENT_ODATA_TYPE "\",\"Id\":\"%s\",\"Name\":\"Event\","
		     "\"Events\":[%.*s%s\"EventId\":\"%s\",\"MemberId\":\"0\"%s%s%s}]}",
		     id, (int)(rlen - 1), d->record, more ? "," : "", id,
		     d->has_time ? "" : ",\"EventTimestamp\":\"", ts, d->has_time ? "" : "\"");
	if (w < 0 || (size_t)w >= d->room)
		return -ENOMEM;
	ev->text = d->text;
	ev->text_len = (size_t)w;
	d->text = NULL;
	return 0;
}

/* With the bus lock held. */
static void consumer_offer(struct event_consumer *c, struct event *ev)
{
	if (c->match && !c->match(c->arg, ev))
		return;
	if (c->count == c->cap) {
		c->dropped++;
		c->bus->dropped++;
		/* Powers of two: the first drop is visible, a flood is not a
		 * flood of log lines. */
		if ((c->dropped & (c->dropped - 1)) == 0)
			log_warn("events: %s: queue full (%zu), %" PRIu64 " event(s) dropped so far",
				 c->name, c->cap, c->dropped);
		return;
	}
	c->queue[(c->head + c->count) % c->cap] = event_ref(ev);
	c->count++;
}

uint64_t event_bus_publish(struct event_bus *bus, struct event_desc *desc)
{
	struct event *ev = NULL, *old = NULL;
	struct event_draft d = { 0 };
	uint64_t id = 0;

	if (!bus || !desc->record)
		goto drop;
	ev = calloc(1, sizeof(*ev));
	if (ev)
		atomic_init(&ev->refs, 1);
	if (!ev || draft_event(desc->record, &d))
		goto drop;
	json_decref(desc->record);
	desc->record = NULL;
	copy_field(ev->registry_prefix, sizeof(ev->registry_prefix), desc->registry_prefix);
	copy_field(ev->message_id, sizeof(ev->message_id), desc->message_id);
	copy_field(ev->resource_type, sizeof(ev->resource_type), desc->resource_type);
	copy_field(ev->origin, sizeof(ev->origin), desc->origin);

	pthread_mutex_lock(&bus->lock);
	ev->id = bus->next_id++;
	if (finish_event(ev, &d)) {
		bus->dropped++;
		pthread_mutex_unlock(&bus->lock);
		goto out;
	}
	if (bus->ring_count == bus->ring_cap) {
		old = bus->ring[bus->ring_head];
		bus->ring_head = (bus->ring_head + 1) % bus->ring_cap;
		bus->ring_count--;
	}
	bus->ring[(bus->ring_head + bus->ring_count) % bus->ring_cap] = ev;
	bus->ring_count++;
	bus->published++;
	id = ev->id;
	for (struct event_consumer *c = bus->consumers; c; c = c->next) {
		size_t before = c->count;
		consumer_offer(c, ev);
		if (c->count != before && c->notify)
			c->notify(c->arg);
	}
	pthread_mutex_unlock(&bus->lock);
	ev = NULL;
	event_unref(old);
	goto out;
drop:
	if (desc->record) {
		json_decref(desc->record);
		desc->record = NULL;
	}
	if (bus) {
		pthread_mutex_lock(&bus->lock);
		bus->dropped++;
		pthread_mutex_unlock(&bus->lock);
	}
out:
	event_unref(ev);
	free(d.record);
	free(d.text);
	return id;
}

int event_consumer_new(struct event_bus *bus, const struct event_consumer_config *cfg,
		       struct event_consumer **out)
{
	struct event_consumer *c;

	if (!bus || !cfg || cfg->queue_len == 0 || !out)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->queue = calloc(cfg->queue_len, sizeof(*c->queue));
	if (!c->queue) {
		free(c);
		return -ENOMEM;
	}
	c->bus = bus;
	c->cap = cfg->queue_len;
	c->match = cfg->match;
	c->notify = cfg->notify;
	c->arg = cfg->arg;
	copy_field(c->name, sizeof(c->name), cfg->name ? cfg->name : "consumer");

	pthread_mutex_lock(&bus->lock);
	if (cfg->replay_after) {
		for (size_t i = 0; i < bus->ring_count; i++) {
			struct event *ev = bus->ring[(bus->ring_head + i) % bus->ring_cap];
			if (ev->id > cfg->replay_after)
				consumer_offer(c, ev);
		}
	}
	c->next = bus->consumers;
	bus->consumers = c;
	pthread_mutex_unlock(&bus->lock);
	*out = c;
	return 0;
}

void event_consumer_free(struct event_consumer *c)
{
	struct event_bus *bus;

	if (!c)
		return;
	bus = c->bus;
	pthread_mutex_lock(&bus->lock);
	for (struct event_consumer **p = &bus->consumers; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	pthread_mutex_unlock(&bus->lock);
	for (size_t i = 0; i < c->count; i++)
		event_unref(c->queue[(c->head + i) % c->cap]);
	free(c->queue);
	free(c);
}

struct event *event_consumer_next(struct event_consumer *c)
{
	struct event *ev = NULL;

	pthread_mutex_lock(&c->bus->lock);
	if (c->count) {
		ev = c->queue[c->head];
		c->queue[c->head] = NULL;
		c->head = (c->head + 1) % c->cap;
		c->count--;
	}
	pthread_mutex_unlock(&c->bus->lock);
	return ev;
}

size_t event_consumer_depth(struct event_consumer *c)
{
	size_t n;
	pthread_mutex_lock(&c->bus->lock);
	n = c->count;
	pthread_mutex_unlock(&c->bus->lock);
	return n;
}

uint64_t event_consumer_dropped(struct event_consumer *c)
{
	uint64_t n;
	pthread_mutex_lock(&c->bus->lock);
	n = c->dropped;
	pthread_mutex_unlock(&c->bus->lock);
	return n;
}

void event_bus_stats(struct event_bus *bus, struct event_bus_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!bus)
		return;
	pthread_mutex_lock(&bus->lock);
	out->published = bus->published;
	out->dropped = bus->dropped;
	out->last_id = bus->published ? bus->next_id - 1 : 0;
	for (struct event_consumer *c = bus->consumers; c; c = c->next) {
		out->consumers++;
		out->queued += c->count;
	}
	pthread_mutex_unlock(&bus->lock);
}

#include "events/bus.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events/event_ids.h"
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
	char *mark_path;        /* where ids are reserved (event_bus_keep_ids) */
	uint64_t id_bound;      /* ids below it are reserved on disk */
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
	free(atomic_load(&ev->text));
	free(ev->record_text);
	if (ev->release)
		ev->release(ev->data);
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
	free(bus->mark_path);
	free(bus->ring);
	free(bus);
}

/* The next block of ids written to disk before its first is used. Called
 * locked, or before the bus is shared. */
static int reserve_block(struct event_bus *bus)
{
	uint64_t bound = bus->next_id + EVENT_ID_BLOCK;
	int rc = bus->next_id > EVENT_ID_MAX ? -EOVERFLOW
					     : event_ids_write_mark(bus->mark_path, bound);

	/* Failed, the block is used all the same: an event is never held back
	 * or lost for its id, and the disk is tried again at the next block,
	 * not at every event. Only a restart with the wall clock set back
	 * behind these ids could then repeat one, which the log says. */
	if (rc)
		log_error("events: ids up to %" PRIu64 " not reserved in %s: %s; after a restart "
			  "with the clock set back, ids could repeat",
			  bound, bus->mark_path, strerror(-rc));
	bus->id_bound = bound;
	return rc;
}

int event_bus_keep_ids(struct event_bus *bus, const char *path)
{
	int rc;

	if (!(bus->mark_path = strdup(path)))
		return -ENOMEM;
	pthread_mutex_lock(&bus->lock);
	rc = reserve_block(bus);
	pthread_mutex_unlock(&bus->lock);
	return rc;
}

/* src truncated to len - 1 bytes; a copy, not a format: every event
 * copies four of these. */
static void copy_field(char *dst, size_t len, const char *src)
{
	size_t n = src ? strnlen(src, len - 1) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

/* A record serialised compactly, "{...}" (new), without the stamps that
 * are the bus's alone; *has_time: it brings its own EventTimestamp. Takes
 * over record. */
static char *record_text(json_t *record, bool *has_time)
{
	char *text;

	json_object_del(record, "EventId");
	json_object_del(record, "MemberId");
	*has_time = json_object_get(record, "EventTimestamp") != NULL;
	text = json_dumps(record, JSON_COMPACT);
	json_decref(record);
	if (text && text[0] != '{') {
		free(text);
		text = NULL;
	}
	return text;
}

/* The Event around a record is serialised once, so that every stream sends
 * the same bytes without touching JSON again, and only when something reads
 * it: most events (a vendor command's decision and completion) are never
 * read when no stream or subscription is open. The bytes are those jansson
 * makes of {"@odata.type", "Id", "Name", "Events": [record]} with EventId,
 * MemberId and (when the record has none) EventTimestamp added to the record
 * last. New, or NULL when out of memory. */
static struct event_text *render(const struct event *ev)
{
	char id[24], ts[32] = "", *owned = NULL;
	const char *rec = ev->record_text;
	bool has_time = ev->has_time;
	struct event_text *t = NULL;
	size_t rlen, room;
	struct tm tm;
	int more, w;

	if (!rec) {
		json_t *record = ev->make ? ev->make(ev->data) : NULL;
		if (!record || !(rec = owned = record_text(record, &has_time)))
			return NULL;
	}
	rlen = strlen(rec);
	more = rec[1] != '}';
	room = rlen + sizeof(EVENT_ODATA_TYPE) + 192;
	snprintf(id, sizeof(id), "%" PRIu64, ev->id);
	if (!has_time && gmtime_r(&ev->published, &tm))
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	t = malloc(sizeof(*t) + room);
	/* The record's members less its closing brace, then the stamps. */
	w = t ? snprintf(t->bytes, room,
			 "{\"@odata.type\":\"" EVENT_ODATA_TYPE "\",\"Id\":\"%s\",\"Name\":\"Event\","
			 "\"Events\":[%.*s%s\"EventId\":\"%s\",\"MemberId\":\"0\"%s%s%s}]}",
			 id, (int)(rlen - 1), rec, more ? "," : "", id,
			 has_time ? "" : ",\"EventTimestamp\":\"", ts, has_time ? "" : "\"")
		  : -1;
	free(owned);
	if (w < 0 || (size_t)w >= room) {
		free(t);
		return NULL;
	}
	t->len = (size_t)w;
	return t;
}

const struct event_text *event_text(struct event *ev)
{
	struct event_text *t = atomic_load(&ev->text), *mine;

	if (t)
		return t;
	/* Two first readers may both render: the same bytes, one is kept. */
	if (!(mine = render(ev)))
		return NULL;
	if (atomic_compare_exchange_strong(&ev->text, &t, mine))
		return mine;
	free(mine);
	return t;
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
	struct timespec now;
	uint64_t id = 0;

	if (bus && (desc->record || desc->make))
		ev = calloc(1, sizeof(*ev));
	if (ev) {
		atomic_init(&ev->refs, 1);
		atomic_init(&ev->text, NULL);
		/* From here the event releases the data, whatever happens. */
		ev->make = desc->make;
		ev->data = desc->data;
		ev->release = desc->release;
		desc->data = NULL;
	}
	/* A record given whole is serialised before the bus lock is taken:
	 * publishers on several threads do not queue behind each other's
	 * JSON work. */
	if (ev && desc->record) {
		ev->record_text = record_text(desc->record, &ev->has_time);
		desc->record = NULL;
		if (!ev->record_text)
			goto drop;
	}
	if (!ev)
		goto drop;
	copy_field(ev->registry_prefix, sizeof(ev->registry_prefix), desc->registry_prefix);
	copy_field(ev->message_id, sizeof(ev->message_id), desc->message_id);
	copy_field(ev->resource_type, sizeof(ev->resource_type), desc->resource_type);
	copy_field(ev->origin, sizeof(ev->origin), desc->origin);

	pthread_mutex_lock(&bus->lock);
	/* The id follows ring order and the time with it. */
	if (bus->mark_path && bus->next_id >= bus->id_bound)
		reserve_block(bus);
	ev->id = bus->next_id++;
	clock_gettime(CLOCK_REALTIME, &now);
	ev->published = now.tv_sec;
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
	event_unref(old);
	return id;
drop:
	json_decref(desc->record);
	desc->record = NULL;
	if (desc->data && desc->release)
		desc->release(desc->data);
	desc->data = NULL;
	event_unref(ev);
	if (bus) {
		pthread_mutex_lock(&bus->lock);
		bus->dropped++;
		pthread_mutex_unlock(&bus->lock);
	}
	return 0;
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

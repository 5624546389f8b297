#include "events/sse.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events/bus.h"
#include "events/filter.h"
#include "events/sse_dest.h"
#include "util/clock.h"
#include "util/log.h"

struct sse_stream {
	struct sse_hub *hub;
	struct sse_stream *prev, *next; /* hub list, under hub->lock */
	uint64_t id;                    /* SSE-<id>; never reused */
	char *owner;                    /* account that opened it */
	char *filter_text;              /* $filter as given; NULL: none */
	json_t *lists;                  /* the filter as lists; NULL: no such form */
	bool deleted;                   /* under hub->lock: its resource is gone */
	struct event_consumer *consumer;
	struct event_filter *filter;
	sse_allowed_fn allowed;
	void *allowed_arg;
	pthread_mutex_t lock;           /* wake, waker, tick */
	void (*wake)(void *waker);
	void *waker;
	bool tick;
	bool stop;                      /* its resource was deleted: end it */
	bool opened;                    /* the opening comment was sent */
	bool ended;                     /* refused or failed: every read ends it */
	char *pending;                  /* bytes not yet handed to the server */
	size_t pending_len, pending_off;
	time_t last_write;              /* CLOCK_MONOTONIC seconds */
};

struct sse_hub {
	struct event_bus *bus;
	unsigned max_streams;
	unsigned keepalive_s;
	unsigned queue_len;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct sse_stream *streams;
	unsigned count;
	uint64_t next_id;
	bool stopping;
	pthread_t ticker;
};

static time_t mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void stream_kick(struct sse_stream *st, bool tick, bool stop)
{
	pthread_mutex_lock(&st->lock);
	if (tick)
		st->tick = true;
	if (stop)
		st->stop = true;
	if (st->wake)
		st->wake(st->waker);
	pthread_mutex_unlock(&st->lock);
}

/* Bus notify: with the bus lock held; only wakes the connection. */
static void on_event(void *arg)
{
	stream_kick(arg, false, false);
}

static bool on_match(void *arg, const struct event *ev)
{
	struct sse_stream *st = arg;
	return event_filter_match(st->filter, ev);
}

static void *ticker_main(void *arg)
{
	struct sse_hub *hub = arg;
	struct timespec until;

	pthread_mutex_lock(&hub->lock);
	while (!hub->stopping) {
		clock_deadline_ms(&until, 1000);
		pthread_cond_timedwait(&hub->cond, &hub->lock, &until);
		for (struct sse_stream *st = hub->streams; st && !hub->stopping; st = st->next)
			stream_kick(st, true, false);
	}
	pthread_mutex_unlock(&hub->lock);
	return NULL;
}

int sse_hub_new(struct event_bus *bus, unsigned max_streams, unsigned keepalive_s,
		unsigned queue_len, struct sse_hub **out)
{
	struct sse_hub *hub;
	int rc;

	if (!bus || !queue_len)
		return -EINVAL;
	hub = calloc(1, sizeof(*hub));
	if (!hub)
		return -ENOMEM;
	hub->bus = bus;
	hub->max_streams = max_streams;
	hub->keepalive_s = keepalive_s ? keepalive_s : 15;
	hub->queue_len = queue_len;
	hub->next_id = 1;
	/* The ticks count on the monotonic clock: with a wall-clock deadline
	 * a clock set back would stop them, and with them the keep-alives and
	 * the checks that a stream's caller may still read it. */
	rc = clock_cond_init(&hub->cond);
	if (rc) {
		free(hub);
		return -rc;
	}
	pthread_mutex_init(&hub->lock, NULL);
	rc = pthread_create(&hub->ticker, NULL, ticker_main, hub);
	if (rc) {
		pthread_cond_destroy(&hub->cond);
		pthread_mutex_destroy(&hub->lock);
		free(hub);
		return -rc;
	}
	*out = hub;
	return 0;
}

void sse_hub_free(struct sse_hub *hub)
{
	if (!hub)
		return;
	pthread_mutex_lock(&hub->lock);
	hub->stopping = true;
	pthread_cond_signal(&hub->cond);
	pthread_mutex_unlock(&hub->lock);
	pthread_join(hub->ticker, NULL);
	if (hub->count)
		log_warn("sse: %u stream(s) still open at shutdown", hub->count);
	pthread_cond_destroy(&hub->cond);
	pthread_mutex_destroy(&hub->lock);
	free(hub);
}

unsigned sse_hub_streams(struct sse_hub *hub)
{
	unsigned n;
	if (!hub)
		return 0;
	pthread_mutex_lock(&hub->lock);
	n = hub->count;
	pthread_mutex_unlock(&hub->lock);
	return n;
}

unsigned sse_hub_max_streams(struct sse_hub *hub)
{
	return hub ? hub->max_streams : 0;
}

static void stream_attach(void *arg, void (*wake)(void *waker), void *waker)
{
	struct sse_stream *st = arg;
	pthread_mutex_lock(&st->lock);
	st->wake = wake;
	st->waker = waker;
	pthread_mutex_unlock(&st->lock);
}

static int set_pending(struct sse_stream *st, const char *a, size_t alen, const char *b,
		       size_t blen, const char *c, size_t clen)
{
	char *p = malloc(alen + blen + clen);
	if (!p)
		return -ENOMEM;
	memcpy(p, a, alen);
	memcpy(p + alen, b, blen);
	memcpy(p + alen + blen, c, clen);
	free(st->pending);
	st->pending = p;
	st->pending_len = alen + blen + clen;
	st->pending_off = 0;
	return 0;
}

/* Refill pending: the next event, or a keepalive comment when quiet.
 * Returns 1 when there is something, 0 when not, -1 to end the stream. */
static int refill(struct sse_stream *st)
{
	static const char open_line[] = ": cxl-agent event stream\n\n";
	static const char keepalive[] = ": keepalive\n\n";
	struct event *ev;
	char head[40];
	bool tick, stop;
	int n;

	/* Sticky: a refusal found after this read already copied an event
	 * must end the stream at the next read, not wait for another tick. */
	if (st->ended)
		return -1;
	pthread_mutex_lock(&st->lock);
	tick = st->tick;
	st->tick = false;
	stop = st->stop;
	pthread_mutex_unlock(&st->lock);
	if (stop) {
		st->ended = true;
		return -1;
	}
	if (tick && st->allowed && !st->allowed(st->allowed_arg)) {
		st->ended = true;
		return -1;
	}
	if (!st->opened) {
		st->opened = true;
		return set_pending(st, open_line, sizeof(open_line) - 1, "", 0, "", 0) ? -1 : 1;
	}
	while ((ev = event_consumer_next(st->consumer))) {
		const struct event_text *text = event_text(ev);
		int rc = 0;
		/* An event that cannot be rendered (out of memory) is passed
		 * over, as one dropped from a full queue would be. */
		if (text) {
			n = snprintf(head, sizeof(head), "id: %" PRIu64 "\ndata: ", ev->id);
			rc = set_pending(st, head, (size_t)n, text->bytes, text->len, "\n\n", 2);
		}
		event_unref(ev);
		if (text)
			return rc ? -1 : 1;
	}
	if (tick && mono_s() - st->last_write >= (time_t)st->hub->keepalive_s)
		return set_pending(st, keepalive, sizeof(keepalive) - 1, "", 0, "", 0) ? -1 : 1;
	return 0;
}

/* Fills buf with as many whole or partial events as are pending, so that a
 * burst leaves in few TLS records rather than one per event. */
static long stream_read(void *arg, char *buf, size_t max)
{
	struct sse_stream *st = arg;
	size_t off = 0;

	while (off < max) {
		size_t n;
		if (st->pending_off == st->pending_len) {
			int rc = refill(st);
			if (rc < 0 && off == 0)
				return -1;
			if (rc <= 0)
				break;
		}
		n = st->pending_len - st->pending_off;
		if (n > max - off)
			n = max - off;
		memcpy(buf + off, st->pending + st->pending_off, n);
		st->pending_off += n;
		off += n;
	}
	if (off)
		st->last_write = mono_s();
	return (long)off;
}

static void stream_free_fields(struct sse_stream *st)
{
	event_filter_free(st->filter);
	free(st->allowed_arg);
	free(st->owner);
	free(st->filter_text);
	json_decref(st->lists);
}

static void stream_release(void *arg)
{
	struct sse_stream *st = arg;
	struct sse_hub *hub = st->hub;

	/* Off the bus and out of the hub first: nothing calls wake after. */
	event_consumer_free(st->consumer);
	pthread_mutex_lock(&hub->lock);
	if (st->prev)
		st->prev->next = st->next;
	else
		hub->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	hub->count--;
	pthread_mutex_unlock(&hub->lock);
	stream_free_fields(st);
	free(st->pending);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

int sse_stream_open(struct sse_hub *hub, struct sse_open *o, struct http_stream *out)
{
	struct sse_stream *st = NULL;
	struct event_consumer_config cc = { .name = "event stream" };
	int rc = -ENOMEM;

	pthread_mutex_lock(&hub->lock);
	if (hub->count >= hub->max_streams) {
		pthread_mutex_unlock(&hub->lock);
		rc = -EBUSY;
		goto fail;
	}
	hub->count++;
	pthread_mutex_unlock(&hub->lock);
	st = calloc(1, sizeof(*st));
	if (!st)
		goto fail_count;
	st->hub = hub;
	st->filter = o->filter;
	st->allowed = o->allowed;
	st->allowed_arg = o->allowed_arg;
	o->filter = NULL;
	o->allowed_arg = NULL;
	st->last_write = mono_s();
	pthread_mutex_init(&st->lock, NULL);
	st->owner = strdup(o->owner ? o->owner : "");
	st->filter_text = o->filter_text ? strdup(o->filter_text) : NULL;
	if (!st->owner || (o->filter_text && !st->filter_text))
		goto fail_stream;
	/* A filter with no list form is still shown, in Description. */
	rc = event_filter_lists(st->filter, &st->lists);
	if (rc && rc != -ENOTSUP)
		goto fail_stream;
	cc.queue_len = hub->queue_len;
	cc.match = on_match;
	cc.notify = on_event;
	cc.arg = st;
	cc.replay_after = o->last_event_id;
	rc = event_consumer_new(hub->bus, &cc, &st->consumer);
	if (rc)
		goto fail_stream;
	pthread_mutex_lock(&hub->lock);
	st->id = hub->next_id++;
	st->next = hub->streams;
	if (st->next)
		st->next->prev = st;
	hub->streams = st;
	pthread_mutex_unlock(&hub->lock);
	*out = (struct http_stream){ stream_attach, stream_read, stream_release, st };
	return 0;
fail_stream:
	pthread_mutex_destroy(&st->lock);
	stream_free_fields(st);
	free(st);
fail_count:
	pthread_mutex_lock(&hub->lock);
	hub->count--;
	pthread_mutex_unlock(&hub->lock);
	return rc;
fail:
	event_filter_free(o->filter);
	free(o->allowed_arg);
	o->filter = NULL;
	o->allowed_arg = NULL;
	return rc;
}

/* Under hub->lock: the open, undeleted stream numbered id, or NULL. */
static struct sse_stream *find_locked(struct sse_hub *hub, uint64_t id)
{
	for (struct sse_stream *st = hub->streams; st; st = st->next)
		if (st->id == id && !st->deleted)
			return st;
	return NULL;
}

json_t *sse_hub_members(struct sse_hub *hub, const char *uri_base, const char *owner)
{
	json_t *a = json_array();
	char uri[256];

	if (!hub)
		return a;
	pthread_mutex_lock(&hub->lock);
	/* The list is newest first: insert at the front to list oldest first. */
	for (struct sse_stream *st = hub->streams; a && st; st = st->next) {
		if (st->deleted || (owner && strcmp(owner, st->owner) != 0))
			continue;
		snprintf(uri, sizeof(uri), "%s/" SSE_DEST_PREFIX "%" PRIu64, uri_base, st->id);
		if (json_array_insert_new(a, 0, json_pack("{s:s}", "@odata.id", uri))) {
			json_decref(a);
			a = NULL;
		}
	}
	pthread_mutex_unlock(&hub->lock);
	return a;
}

int sse_hub_dest(struct sse_hub *hub, uint64_t id, const char *uri_base, json_t **doc,
		 char *owner, size_t ownerlen)
{
	struct sse_stream *st;
	int rc = -ENOENT;

	if (!hub)
		return rc;
	pthread_mutex_lock(&hub->lock);
	if ((st = find_locked(hub, id))) {
		snprintf(owner, ownerlen, "%s", st->owner);
		rc = 0;
		if (doc && !(*doc = sse_dest_json(uri_base, id, st->filter_text, st->lists)))
			rc = -ENOMEM;
	}
	pthread_mutex_unlock(&hub->lock);
	return rc;
}

int sse_hub_close(struct sse_hub *hub, uint64_t id)
{
	struct sse_stream *st;

	if (!hub)
		return -ENOENT;
	pthread_mutex_lock(&hub->lock);
	st = find_locked(hub, id);
	if (st) {
		/* Gone from the collection now; the connection ends as soon as
		 * its thread next asks the stream for bytes, which the kick
		 * makes at once. */
		st->deleted = true;
		stream_kick(st, false, true);
	}
	pthread_mutex_unlock(&hub->lock);
	return st ? 0 : -ENOENT;
}

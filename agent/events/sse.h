/* Server-sent event streams: each stream is an event bus consumer whose
 * events are written as "id: N" / "data: <Event JSON>" blocks of a
 * text/event-stream body. The hub bounds how many streams are open and
 * wakes every stream once a second, so a stream re-checks that its caller
 * may still read it (session alive, account still holding Login) and sends
 * a comment line when it has been quiet for keepalive_s. Each wake that
 * finds nothing to send parks the connection, and the server looks for a
 * client that went away just then (http/stream.c), so a closed client is
 * noticed within the second. Each open stream is shown as an EventDestination
 * (sse_dest.h); deleting it ends the stream. */
#ifndef CXLA_EVENTS_SSE_H
#define CXLA_EVENTS_SSE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/message.h"

struct event_bus;
struct event_filter;
struct sse_hub;

/* bus is borrowed and must outlive the hub. Starts the ticker thread. */
int sse_hub_new(struct event_bus *bus, unsigned max_streams, unsigned keepalive_s,
		unsigned queue_len, struct sse_hub **out);
/* Every stream must have been released (stop the HTTP server first). */
void sse_hub_free(struct sse_hub *hub);
unsigned sse_hub_streams(struct sse_hub *hub);
unsigned sse_hub_max_streams(struct sse_hub *hub);

/* Whether the stream's caller may still read it; called on the ticker
 * thread and on server threads, never with hub locks held. */
typedef bool (*sse_allowed_fn)(void *arg);

struct sse_open {
	struct event_filter *filter; /* taken over in every case; NULL: everything */
	const char *filter_text;     /* the $filter it was parsed from (NULL: none); copied */
	const char *owner;           /* the account opening it; copied */
	uint64_t last_event_id;      /* replay events after this (0: none) */
	sse_allowed_fn allowed;
	void *allowed_arg;           /* taken over: free()d when the stream ends */
};

/* Open a stream into out (a response's stream). Returns 0, -EBUSY when
 * max_streams are open, or -ENOMEM. */
int sse_stream_open(struct sse_hub *hub, struct sse_open *o, struct http_stream *out);

/* Each open stream is an EventDestination "SSE-<n>" under uri_base
 * (sse_dest.h) from its opening until it ends or is closed here. */

/* Members [{"@odata.id": ...}] of the open streams, oldest first; only
 * owner's when owner is not NULL. New reference; NULL when out of memory. */
json_t *sse_hub_members(struct sse_hub *hub, const char *uri_base, const char *owner);
/* Stream id's owner into owner and, when doc is not NULL, its resource (new
 * reference) into *doc. 0, -ENOENT (no such open stream), -ENOMEM. */
int sse_hub_dest(struct sse_hub *hub, uint64_t id, const char *uri_base, json_t **doc,
		 char *owner, size_t ownerlen);
/* Delete stream id's resource and end the stream: it leaves the members at
 * once, and its connection ends as soon as its server thread runs. 0 or
 * -ENOENT. */
int sse_hub_close(struct sse_hub *hub, uint64_t id);

#endif

/* Server-sent event streams: each stream is an event bus consumer whose
 * events are written as "id: N" / "data: <Event JSON>" blocks of a
 * text/event-stream body. The hub bounds how many streams are open and
 * wakes every stream once a second, so a stream re-checks that its caller
 * may still read it (session alive, account still holding Login) and sends
 * a comment line when it has been quiet for keepalive_s (which also finds
 * clients that went away). */
#ifndef CXLA_EVENTS_SSE_H
#define CXLA_EVENTS_SSE_H

#include <stdbool.h>
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
	uint64_t last_event_id;      /* replay events after this (0: none) */
	sse_allowed_fn allowed;
	void *allowed_arg;           /* taken over: free()d when the stream ends */
};

/* Open a stream into out (a response's stream). Returns 0, -EBUSY when
 * max_streams are open, or -ENOMEM. */
int sse_stream_open(struct sse_hub *hub, struct sse_open *o, struct http_stream *out);

#endif

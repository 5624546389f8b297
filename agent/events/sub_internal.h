/* What the subscription set and its delivery workers share: the two
 * structures and the few calls that cross between subscriptions.c (the set,
 * its file and the Redfish view) and sub_worker.c (one thread per
 * subscription, delivering its events). Not for other modules. */
#ifndef CXLA_EVENTS_SUB_INTERNAL_H
#define CXLA_EVENTS_SUB_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "events/bus.h"
#include "events/subscriptions.h"

enum retry_policy { RP_TERMINATE, RP_SUSPEND, RP_FOREVER, RP_BACKOFF, RP_COUNT };

struct sub {
	struct subscriptions *owner;
	struct sub *next;
	char id[16];
	/* Immutable after creation; read by the bus under its lock. */
	json_t *spec;           /* the persisted create body, normalised */
	const char *destination;
	const char *context;
	json_t *prefixes, *types, *origins, *message_ids;
	json_t *headers, *header_lines; /* write-only: persisted, sent, never shown */
	enum retry_policy policy;
	struct event_consumer *consumer;
	/* Worker state, under lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool pending;
	bool stopping;
	bool suspended;
	bool failing;
	uint64_t delivered, failed;
};

struct subscriptions {
	struct subscriptions_config cfg;
	char *path, *ca_file, *uri_base;
	struct event_bus *bus;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	struct sub *list;
	unsigned count;
	unsigned workers;
	unsigned next_id;
	uint64_t delivered, failed; /* of subscriptions gone */
	/* Set by subscriptions_close, which empties the list first: a worker
	 * giving up after that must not write the emptied set over the file. */
	bool closing;
};

/* With s->lock held: write the set to its file. 0 or -errno. */
int subs_persist_locked(struct subscriptions *s);

/* With s->lock held: take sb off the list (its worker frees it). Returns
 * the link it was taken from, for relinking, or NULL when not listed. */
struct sub **subs_unlink_locked(struct subscriptions *s, struct sub *sb);

/* Frees a sub that has no worker (or from its worker's exit). */
void sub_free(struct sub *sb);

/* The worker thread of one subscription (arg: the struct sub, owned by the
 * worker from then on: it frees it on exit). */
void *sub_worker_main(void *arg);

/* Asks sb's worker to end; it ends after its current attempt. */
void sub_worker_stop(struct sub *sb);

#endif

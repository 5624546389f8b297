/* The delivery worker of one subscription: it takes the subscription's
 * events from the bus in order and POSTs each to the destination, retrying
 * as the DeliveryRetryPolicy says. */
#include "events/sub_internal.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events/https_post.h"
#include "events/sub_validate.h"
#include "util/clock.h"
#include "util/log.h"

#define BACKOFF_MAX 32u

/* The Event with this subscription's Context, as sent. New string. */
static char *event_body(struct sub *sb, struct event *ev)
{
	const struct event_text *t = event_text(ev);
	json_t *doc = t ? json_loadb(t->bytes, t->len, 0, NULL) : NULL;
	char *text = NULL;

	if (doc && json_object_set_new(doc, "Context", json_string(sb->context)) == 0)
		text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return text;
}

static int stop_requested(void *arg)
{
	struct sub *sb = arg;
	bool stop;
	pthread_mutex_lock(&sb->lock);
	stop = sb->stopping;
	pthread_mutex_unlock(&sb->lock);
	return stop;
}

/* One POST. 0 when the destination answered 2xx. */
static int post_event(struct sub *sb, struct event *ev)
{
	const struct subscriptions *s = sb->owner;
	struct https_post p = { .url = sb->destination, .ca_file = s->ca_file,
				.timeout_s = s->cfg.timeout_s, .cancel = stop_requested,
				.cancel_arg = sb };
	const char *headers[SUB_HEADERS_MAX];
	char err[CURL_ERROR_SIZE];
	struct timespec start, end;
	int rc;

	for (; p.nheaders < json_array_size(sb->header_lines) && p.nheaders < SUB_HEADERS_MAX;
	     p.nheaders++)
		headers[p.nheaders] = json_string_value(json_array_get(sb->header_lines, p.nheaders));
	p.headers = headers;

	p.body = event_body(sb, ev);
	if (!p.body)
		return -ENOMEM;
	clock_gettime(CLOCK_MONOTONIC, &start);
	rc = https_post_json(&p, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &end);
	/* Every attempt with its duration: a late event is then told apart
	 * from one that was slow to go. */
	if (rc)
		log_debug("events: subscription %s: delivery of event %llu failed after %lld ms: %s",
			  sb->id, (unsigned long long)ev->id,
			  (long long)clock_ms_between(&start, &end), err);
	else
		log_debug("events: subscription %s: event %llu delivered in %lld ms", sb->id,
			  (unsigned long long)ev->id, (long long)clock_ms_between(&start, &end));
	free(p.body);
	return rc;
}

void sub_worker_stop(struct sub *sb)
{
	pthread_mutex_lock(&sb->lock);
	sb->stopping = true;
	pthread_cond_signal(&sb->cond);
	pthread_mutex_unlock(&sb->lock);
}

/* Wait up to seconds or until woken (stop, resume, new event when idle). */
static void wait_locked(struct sub *sb, unsigned seconds)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += seconds;
	pthread_cond_timedwait(&sb->cond, &sb->lock, &until);
}

/* The pause between two attempts at one event: only a stop cuts it short.
 * Events arriving meanwhile wake the worker too, and must not hurry a
 * retry to a destination that is failing. */
static void retry_wait_locked(struct sub *sb, unsigned seconds)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += seconds;
	while (!sb->stopping && pthread_cond_timedwait(&sb->cond, &sb->lock, &until) != ETIMEDOUT)
		;
}

/* A worker's own change (suspended, or terminated and unlinked) written
 * out, unless the set is closing: then the file keeps what it holds. */
static void worker_persist(struct subscriptions *s, struct sub *sb, bool unlink)
{
	pthread_mutex_lock(&s->lock);
	if (!s->closing) {
		if (unlink)
			subs_unlink_locked(s, sb);
		subs_persist_locked(s);
	}
	pthread_mutex_unlock(&s->lock);
}

/* After retry_attempts failed attempts: what the policy says. Returns true
 * when the subscription is to be deleted. With sb->lock held. */
static bool give_up_locked(struct sub *sb, unsigned *attempts)
{
	switch (sb->policy) {
	case RP_TERMINATE:
		log_warn("events: subscription %s: %u failed attempts, deleted (TerminateAfterRetries)",
			 sb->id, *attempts);
		return true;
	case RP_SUSPEND:
		log_warn("events: subscription %s: %u failed attempts, suspended", sb->id, *attempts);
		sb->suspended = true;
		*attempts = 0;
		return false;
	default:
		return false;
	}
}

static unsigned retry_delay(const struct sub *sb, unsigned attempts)
{
	unsigned base = sb->owner->cfg.retry_interval_s, over, factor = 1;

	if (sb->policy != RP_BACKOFF || attempts <= sb->owner->cfg.retry_attempts)
		return base;
	over = attempts - sb->owner->cfg.retry_attempts;
	while (over-- && factor < BACKOFF_MAX)
		factor *= 2;
	return base * factor;
}

static void worker_exit(struct sub *sb, bool terminated, struct event *cur)
{
	struct subscriptions *s = sb->owner;

	event_unref(cur);
	if (terminated)
		worker_persist(s, sb, true);
	event_consumer_free(sb->consumer); /* no notify after this */
	pthread_mutex_lock(&s->lock);
	s->delivered += sb->delivered;
	s->failed += sb->failed;
	s->workers--;
	pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
	sub_free(sb);
}

void *sub_worker_main(void *arg)
{
	struct sub *sb = arg;
	struct event *cur = NULL;
	unsigned attempts = 0;
	bool terminated = false;

	pthread_mutex_lock(&sb->lock);
	while (!sb->stopping) {
		if (sb->suspended) {
			wait_locked(sb, 3600);
			continue;
		}
		if (!cur) {
			sb->pending = false;
			pthread_mutex_unlock(&sb->lock);
			cur = event_consumer_next(sb->consumer);
			pthread_mutex_lock(&sb->lock);
			if (!cur) {
				while (!sb->pending && !sb->stopping)
					pthread_cond_wait(&sb->cond, &sb->lock);
				continue;
			}
		}
		pthread_mutex_unlock(&sb->lock);
		int rc = post_event(sb, cur);
		pthread_mutex_lock(&sb->lock);
		/* A transfer cut short by a stop (delete, shutdown) is not the
		 * destination's failure: it counts for nothing. */
		if (rc && sb->stopping)
			break;
		if (rc == 0) {
			sb->delivered++;
			sb->failing = false;
			attempts = 0;
			event_unref(cur);
			cur = NULL;
			continue;
		}
		sb->failed++;
		sb->failing = true;
		if (++attempts > sb->owner->cfg.retry_attempts && sb->policy <= RP_SUSPEND) {
			terminated = give_up_locked(sb, &attempts);
			if (terminated)
				break;
			pthread_mutex_unlock(&sb->lock);
			worker_persist(sb->owner, sb, false);
			pthread_mutex_lock(&sb->lock);
			continue;
		}
		retry_wait_locked(sb, retry_delay(sb, attempts));
	}
	pthread_mutex_unlock(&sb->lock);
	worker_exit(sb, terminated, cur);
	return NULL;
}

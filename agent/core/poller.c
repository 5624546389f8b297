#include "core/poller.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "cxl/device.h"
#include "util/clock.h"

/* A refresher's stack. Its deepest path (a refresh: Get Event Records, the
 * clearing, a log line) uses a few tens of KiB; glibc's default of 8 MiB
 * (the RLIMIT_STACK of the process) would reserve 512 MiB of address space
 * for 64 devices, a sixth of a 32-bit BMC's. */
#define REFRESHER_STACK_BYTES (256u * 1024u)

/* One refresher per device: a device that does not answer, or answers
 * slowly, holds only its own refresh for its timeout, never the others'
 * (inventory, health and event records of every other device stay as fresh
 * as the interval). The observer runs on a thread of its own, after any
 * refresh and at least once per interval. */
struct refresher {
	struct poller *p;
	size_t idx;
	pthread_t thread;
	bool running;               /* thread started */
	bool kicked;                /* under p->lock: the device may be stale */
	struct timespec last_done;  /* CLOCK_MONOTONIC, under p->lock */
};

struct poller {
	struct cxl_devset *devices;
	unsigned interval_ms;
	void (*observe)(void *arg);
	void *observe_arg;
	pthread_t thread;           /* the observer's */
	pthread_mutex_t lock;
	pthread_cond_t wake;        /* the observer's: a refresh ran, or stop */
	pthread_cond_t work;        /* the refreshers': a kick, or stop */
	bool stopping; /* under lock */
	bool refreshed; /* under lock: a refresh ran since the last observe */
	size_t n;
	struct refresher *r;
};

/* Refresh one device when due (stale or older than the refresh interval);
 * busy, it is retried next time. A kick that finds the device not due (a
 * command on another device kicks every refresher) keeps the deadline set
 * after the last refresh: waiting a whole interval from the kick would let
 * the data age to almost twice the interval, and with many devices some
 * device is kicked so nearly every interval. */
static void *refresh_loop(void *arg)
{
	struct refresher *r = arg;
	struct poller *p = r->p;
	struct timespec until, now;
	int rc;

	pthread_mutex_lock(&p->lock);
	clock_deadline_ms(&until, p->interval_ms);
	while (!p->stopping) {
		while (!p->stopping && !r->kicked &&
		       pthread_cond_timedwait(&p->work, &p->lock, &until) != ETIMEDOUT)
			;
		if (p->stopping)
			break;
		r->kicked = false;
		pthread_mutex_unlock(&p->lock);
		rc = cxl_devset_refresh(p->devices, r->idx, false);
		pthread_mutex_lock(&p->lock);
		clock_gettime(CLOCK_MONOTONIC, &now);
		r->last_done = now;
		if (rc == 0) {
			p->refreshed = true;
			pthread_cond_signal(&p->wake);
		}
		/* A deadline already past is renewed whatever the outcome, so a
		 * device that is not yet due is never spun on. */
		if (rc != -EAGAIN || clock_ms_between(&now, &until) <= 0)
			clock_deadline_ms(&until, p->interval_ms);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static void *observe_loop(void *arg)
{
	struct poller *p = arg;
	struct timespec until;

	pthread_mutex_lock(&p->lock);
	while (!p->stopping) {
		clock_deadline_ms(&until, p->interval_ms);
		while (!p->stopping && !p->refreshed &&
		       pthread_cond_timedwait(&p->wake, &p->lock, &until) != ETIMEDOUT)
			;
		if (p->stopping)
			break;
		p->refreshed = false;
		pthread_mutex_unlock(&p->lock);
		if (p->observe)
			p->observe(p->observe_arg);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static void kick(void *arg)
{
	struct poller *p = arg;
	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < p->n; i++)
		p->r[i].kicked = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
}

int poller_start(struct cxl_devset *devices, unsigned interval_ms, struct poller **out)
{
	return poller_start_observed(devices, interval_ms, NULL, NULL, out);
}

/* Every thread leaves its loop at its next look at stopping. */
static void tell_stop(struct poller *p)
{
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->wake);
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
}

/* Stop and join whatever threads run, then free. */
static void destroy(struct poller *p, bool observer)
{
	tell_stop(p);
	if (observer)
		pthread_join(p->thread, NULL);
	for (size_t i = 0; i < p->n; i++)
		if (p->r[i].running)
			pthread_join(p->r[i].thread, NULL);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p->r);
	free(p);
}

/* One thread per device, each on a stack of REFRESHER_STACK_BYTES. */
static int start_refreshers(struct poller *p)
{
	pthread_attr_t attr;
	int rc;

	if ((rc = pthread_attr_init(&attr)))
		return rc;
	rc = pthread_attr_setstacksize(&attr, REFRESHER_STACK_BYTES);
	for (size_t i = 0; i < p->n && !rc; i++) {
		if ((rc = pthread_create(&p->r[i].thread, &attr, refresh_loop, &p->r[i])))
			break;
		p->r[i].running = true;
	}
	pthread_attr_destroy(&attr);
	return rc;
}

int poller_start_observed(struct cxl_devset *devices, unsigned interval_ms,
			  void (*observe)(void *arg), void *arg, struct poller **out)
{
	struct poller *p = calloc(1, sizeof(*p));
	size_t n = cxl_devset_count(devices);
	struct timespec now;
	int rc;

	if (!p)
		return -ENOMEM;
	if (!(p->r = calloc(n ? n : 1, sizeof(*p->r)))) {
		free(p);
		return -ENOMEM;
	}
	p->devices = devices;
	p->interval_ms = interval_ms ? interval_ms : 1000;
	p->observe = observe;
	p->observe_arg = arg;
	p->n = n;
	/* Both are waited on with monotonic deadlines: a wall clock set back
	 * must not hold a refresh for as long as the step. */
	if ((rc = clock_cond_init(&p->wake))) {
		free(p->r);
		free(p);
		return -rc;
	}
	if ((rc = clock_cond_init(&p->work))) {
		pthread_cond_destroy(&p->wake);
		free(p->r);
		free(p);
		return -rc;
	}
	pthread_mutex_init(&p->lock, NULL);
	clock_gettime(CLOCK_MONOTONIC, &now);
	for (size_t i = 0; i < n; i++) {
		p->r[i].p = p;
		p->r[i].idx = i;
		p->r[i].last_done = now;
	}
	if ((rc = start_refreshers(p))) {
		destroy(p, false);
		return -rc;
	}
	if ((rc = pthread_create(&p->thread, NULL, observe_loop, p))) {
		destroy(p, false);
		return -rc;
	}
	cxl_devset_set_stale_hook(devices, kick, p);
	*out = p;
	return 0;
}

unsigned long long poller_idle_ms(struct poller *p)
{
	struct timespec now;
	long long worst = 0;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < p->n; i++) {
		long long ms = clock_ms_between(&p->r[i].last_done, &now);
		if (ms > worst)
			worst = ms;
	}
	pthread_mutex_unlock(&p->lock);
	return (unsigned long long)worst;
}

void poller_quiesce(struct poller *p)
{
	if (p)
		tell_stop(p);
}

void poller_stop(struct poller *p)
{
	if (!p)
		return;
	cxl_devset_set_stale_hook(p->devices, NULL, NULL);
	destroy(p, true);
}

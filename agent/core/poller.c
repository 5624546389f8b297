#include "core/poller.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "cxl/device.h"

struct poller {
	struct cxl_devset *devices;
	unsigned interval_ms;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping; /* under lock */
	bool kicked;   /* under lock: some device went stale */
	struct timespec last_round; /* CLOCK_MONOTONIC, under lock */
};

static void deadline_in(struct timespec *until, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, until);
	until->tv_sec += ms / 1000;
	until->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until->tv_nsec >= 1000000000L) {
		until->tv_sec++;
		until->tv_nsec -= 1000000000L;
	}
}

/* Refresh every device whose cache is due (stale or older than the refresh
 * interval). Busy devices are skipped and retried next round. */
static void refresh_due(struct poller *p)
{
	for (size_t i = 0; i < cxl_devset_count(p->devices); i++)
		(void)cxl_devset_refresh(p->devices, i, false);
}

static void *run(void *arg)
{
	struct poller *p = arg;
	struct timespec until;

	pthread_mutex_lock(&p->lock);
	while (!p->stopping) {
		deadline_in(&until, p->interval_ms);
		while (!p->stopping && !p->kicked &&
		       pthread_cond_timedwait(&p->wake, &p->lock, &until) != ETIMEDOUT)
			;
		if (p->stopping)
			break;
		p->kicked = false;
		pthread_mutex_unlock(&p->lock);
		refresh_due(p);
		pthread_mutex_lock(&p->lock);
		clock_gettime(CLOCK_MONOTONIC, &p->last_round);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static void kick(void *arg)
{
	struct poller *p = arg;
	pthread_mutex_lock(&p->lock);
	p->kicked = true;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
}

int poller_start(struct cxl_devset *devices, unsigned interval_ms, struct poller **out)
{
	struct poller *p = calloc(1, sizeof(*p));
	pthread_condattr_t ca;
	int rc;

	if (!p)
		return -ENOMEM;
	p->devices = devices;
	p->interval_ms = interval_ms ? interval_ms : 1000;
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->wake, &ca);
	pthread_condattr_destroy(&ca);
	clock_gettime(CLOCK_MONOTONIC, &p->last_round);
	rc = pthread_create(&p->thread, NULL, run, p);
	if (rc) {
		pthread_cond_destroy(&p->wake);
		pthread_mutex_destroy(&p->lock);
		free(p);
		return -rc;
	}
	cxl_devset_set_stale_hook(devices, kick, p);
	*out = p;
	return 0;
}

unsigned long long poller_idle_ms(struct poller *p)
{
	struct timespec now, last;

	pthread_mutex_lock(&p->lock);
	last = p->last_round;
	pthread_mutex_unlock(&p->lock);
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (unsigned long long)((now.tv_sec - last.tv_sec) * 1000LL +
				    (now.tv_nsec - last.tv_nsec) / 1000000LL);
}

void poller_stop(struct poller *p)
{
	if (!p)
		return;
	cxl_devset_set_stale_hook(p->devices, NULL, NULL);
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

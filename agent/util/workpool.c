#include "util/workpool.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util/clock.h"

struct item {
	void (*fn)(void *arg);
	void *arg;
	struct item *next;
};

struct workpool {
	pthread_mutex_t lock;
	pthread_cond_t work;  /* an item was queued, or stopping */
	pthread_cond_t ended; /* a thread ended */
	struct item *head, *tail;
	unsigned max, idle_ms;
	unsigned threads;     /* alive */
	unsigned idle;        /* waiting for work */
	unsigned pending;     /* queued or running */
	unsigned queued;      /* waiting for a thread */
	char name[16];        /* thread name ("": inherited from the creator) */
	int stopping;
	/* Threads are detached; the last thing each does is count itself out
	 * here, touching nothing of the pool afterwards, so that free() can
	 * wait for this to reach zero and then release everything. */
	atomic_uint alive;
};

int workpool_new(unsigned max_threads, unsigned idle_ms, struct workpool **out)
{
	struct workpool *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->max = max_threads ? max_threads : 1;
	p->idle_ms = idle_ms;
	/* The idle wait is timed on the monotonic clock: a wall clock set
	 * back would keep an idle thread for as long as the step. */
	if (clock_cond_init(&p->work)) {
		free(p);
		return -ENOMEM;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->ended, NULL);
	atomic_init(&p->alive, 0);
	*out = p;
	return 0;
}

static void *worker(void *arg)
{
	struct workpool *p = arg;
	struct timespec until;

	pthread_mutex_lock(&p->lock);
	if (p->name[0])
		pthread_setname_np(pthread_self(), p->name);
	for (;;) {
		struct item *it;
		int timed_out = 0;

		while (!p->head && !p->stopping && !timed_out) {
			p->idle++;
			clock_deadline_ms(&until, p->idle_ms);
			timed_out = pthread_cond_timedwait(&p->work, &p->lock, &until) == ETIMEDOUT;
			p->idle--;
		}
		if (!p->head)
			break; /* stopping, or idle long enough */
		it = p->head;
		p->queued--;
		p->head = it->next;
		if (!p->head)
			p->tail = NULL;
		pthread_mutex_unlock(&p->lock);
		it->fn(it->arg);
		free(it);
		pthread_mutex_lock(&p->lock);
		if (--p->pending == 0)
			pthread_cond_broadcast(&p->ended);
	}
	p->threads--;
	pthread_cond_broadcast(&p->ended);
	pthread_mutex_unlock(&p->lock);
	atomic_fetch_sub(&p->alive, 1);
	return NULL;
}

void workpool_name(struct workpool *p, const char *name)
{
	pthread_mutex_lock(&p->lock);
	snprintf(p->name, sizeof(p->name), "%s", name);
	pthread_mutex_unlock(&p->lock);
}

int workpool_submit(struct workpool *p, void (*fn)(void *arg), void *arg)
{
	struct item *it = malloc(sizeof(*it));
	pthread_attr_t attr;
	pthread_t tid;
	int rc = 0;

	if (!it)
		return -ENOMEM;
	it->fn = fn;
	it->arg = arg;
	it->next = NULL;
	pthread_mutex_lock(&p->lock);
	/* An idle thread that was signalled may not have taken its item yet:
	 * start another whenever the queue outnumbers the idle threads, or a
	 * burst would wait in line behind one thread. */
	if (p->queued + 1 > p->idle && p->threads < p->max) {
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		atomic_fetch_add(&p->alive, 1);
		rc = -pthread_create(&tid, &attr, worker, p);
		pthread_attr_destroy(&attr);
		if (!rc) {
			p->threads++;
		} else {
			atomic_fetch_sub(&p->alive, 1);
			if (p->threads > 0)
				rc = 0; /* the threads there are will get to it */
		}
	}
	if (rc) {
		pthread_mutex_unlock(&p->lock);
		free(it);
		return rc;
	}
	if (p->tail)
		p->tail->next = it;
	else
		p->head = it;
	p->tail = it;
	p->pending++;
	p->queued++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

unsigned workpool_pending(struct workpool *p)
{
	unsigned n;

	pthread_mutex_lock(&p->lock);
	n = p->pending;
	pthread_mutex_unlock(&p->lock);
	return n;
}

void workpool_free(struct workpool *p)
{
	struct timespec tick = { 0, 1000000 };

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	/* Items already queued still run: each holds a parked connection. */
	while (p->pending)
		pthread_cond_wait(&p->ended, &p->lock);
	p->stopping = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	while (atomic_load(&p->alive) > 0)
		nanosleep(&tick, NULL);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->ended);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

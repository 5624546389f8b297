#include "auth/kdfjoin.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct check {
	unsigned char key[KDFJOIN_KEY_LEN];
	uint64_t gen;
	unsigned refs;    /* places taken and not released; 0: the slot is free */
	unsigned joiners; /* places joined, released or not: the cap counts arrivals */
	bool ended;
	int outcome;
	uint64_t outcome_gen;
	struct kdfjoin_wait *waiting; /* joined places to notify at the end */
};

struct kdfjoin_wait {
	struct check *check;
	bool lead;
	void (*fn)(void *arg);
	void *arg;
	struct kdfjoin_wait *next;
};

struct kdfjoin {
	pthread_mutex_t lock;
	unsigned max_checks;
	unsigned joiners_per_check;
	struct check checks[];
};

int kdfjoin_new(unsigned max_checks, unsigned joiners_per_check, struct kdfjoin **out)
{
	struct kdfjoin *j;

	if (!max_checks)
		return -EINVAL;
	j = calloc(1, sizeof(*j) + max_checks * sizeof(j->checks[0]));
	if (!j)
		return -ENOMEM;
	j->max_checks = max_checks;
	j->joiners_per_check = joiners_per_check;
	pthread_mutex_init(&j->lock, NULL);
	*out = j;
	return 0;
}

void kdfjoin_free(struct kdfjoin *j)
{
	if (!j)
		return;
	pthread_mutex_destroy(&j->lock);
	OPENSSL_cleanse(j->checks, j->max_checks * sizeof(j->checks[0]));
	free(j);
}

/* Caller holds the lock. */
static struct check *joinable(struct kdfjoin *j, const unsigned char *key, uint64_t gen)
{
	for (unsigned i = 0; i < j->max_checks; i++) {
		struct check *c = &j->checks[i];
		if (c->refs && !c->ended && c->gen == gen && c->joiners < j->joiners_per_check &&
		    CRYPTO_memcmp(c->key, key, KDFJOIN_KEY_LEN) == 0)
			return c;
	}
	return NULL;
}

/* Caller holds the lock. */
static struct check *free_check(struct kdfjoin *j)
{
	for (unsigned i = 0; i < j->max_checks; i++)
		if (!j->checks[i].refs)
			return &j->checks[i];
	return NULL;
}

int kdfjoin_take(struct kdfjoin *j, const unsigned char *key, uint64_t gen, bool lead,
		 struct kdfjoin_wait **out)
{
	struct kdfjoin_wait *w = calloc(1, sizeof(*w));
	struct check *c;
	int rc = 0;

	if (!w)
		return -ENOMEM;
	pthread_mutex_lock(&j->lock);
	if ((c = joinable(j, key, gen))) {
		c->joiners++;
	} else if (!lead) {
		rc = -ENOENT;
	} else if ((c = free_check(j))) {
		memset(c, 0, sizeof(*c));
		memcpy(c->key, key, KDFJOIN_KEY_LEN);
		c->gen = gen;
		c->outcome = KDFJOIN_NONE;
		w->lead = true;
	} else {
		rc = -ENOSPC;
	}
	if (!rc) {
		c->refs++;
		w->check = c;
	}
	pthread_mutex_unlock(&j->lock);
	if (rc)
		free(w);
	else
		*out = w;
	return rc;
}

bool kdfjoin_joined(const struct kdfjoin_wait *w)
{
	return !w->lead;
}

void kdfjoin_notify(struct kdfjoin *j, struct kdfjoin_wait *w, void (*fn)(void *arg),
		    void *arg)
{
	bool now;

	pthread_mutex_lock(&j->lock);
	now = w->check->ended;
	if (!now) {
		w->fn = fn;
		w->arg = arg;
		w->next = w->check->waiting;
		w->check->waiting = w;
	}
	pthread_mutex_unlock(&j->lock);
	if (now)
		fn(arg);
}

void kdfjoin_end(struct kdfjoin *j, struct kdfjoin_wait *w, int outcome, uint64_t gen)
{
	struct check *c = w->check;

	pthread_mutex_lock(&j->lock);
	if (!w->lead || c->ended) {
		pthread_mutex_unlock(&j->lock);
		return;
	}
	c->ended = true;
	c->outcome = outcome;
	c->outcome_gen = gen;
	/* Each callback runs outside the lock (it may release its place at
	 * once), taken off the list first so that a release never frees a
	 * place still to be called. */
	while (c->waiting) {
		struct kdfjoin_wait *n = c->waiting;
		void (*fn)(void *arg) = n->fn;
		void *arg = n->arg;

		c->waiting = n->next;
		n->next = NULL;
		pthread_mutex_unlock(&j->lock);
		fn(arg);
		pthread_mutex_lock(&j->lock);
	}
	pthread_mutex_unlock(&j->lock);
}

int kdfjoin_outcome(struct kdfjoin *j, const struct kdfjoin_wait *w, uint64_t gen)
{
	int outcome = KDFJOIN_NONE;

	pthread_mutex_lock(&j->lock);
	if (w->check->ended && w->check->outcome_gen == gen && w->check->gen == gen)
		outcome = w->check->outcome;
	pthread_mutex_unlock(&j->lock);
	return outcome;
}

void kdfjoin_release(struct kdfjoin *j, struct kdfjoin_wait *w)
{
	struct kdfjoin_wait **p;

	if (!w)
		return;
	if (w->lead)
		kdfjoin_end(j, w, KDFJOIN_NONE, 0);
	pthread_mutex_lock(&j->lock);
	/* A joined place given up before the end is notified no more. */
	for (p = &w->check->waiting; *p; p = &(*p)->next) {
		if (*p == w) {
			*p = w->next;
			break;
		}
	}
	w->check->refs--;
	pthread_mutex_unlock(&j->lock);
	free(w);
}

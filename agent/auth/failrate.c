#include "auth/failrate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/authn.h"
#include "auth/identity.h"
#include "util/log.h"

#define RL_SLOTS 1024
#define RL_PROBE 8
#define RL_WINDOW_S 60
/* source address (16 bytes, IPv4 mapped) then the user name tried */
#define RL_ADDR_LEN 16
#define RL_KEY_LEN (RL_ADDR_LEN + IDENTITY_NAME_MAX)

struct rl_entry {
	unsigned char key[RL_KEY_LEN];
	bool used;
	time_t start;
	unsigned count;
};

struct failrate {
	unsigned per_minute;
	const struct clock_source *clock;
	uint64_t seed; /* keeps the slots a pair lands in unpredictable */
	pthread_mutex_t lock;
	struct rl_entry rl[RL_SLOTS];
};

int failrate_new(unsigned per_minute, const struct clock_source *clock, struct failrate **out)
{
	struct failrate *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	if (gnutls_rnd(GNUTLS_RND_KEY, &f->seed, sizeof(f->seed))) {
		free(f);
		return -EIO;
	}
	f->per_minute = per_minute;
	f->clock = clock;
	pthread_mutex_init(&f->lock, NULL);
	*out = f;
	return 0;
}

void failrate_free(struct failrate *f)
{
	if (!f)
		return;
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static void rl_key(const char *peer, const char *user, unsigned char *key)
{
	struct in6_addr in6;
	struct in_addr in4;

	memset(key, 0, RL_KEY_LEN);
	/* longer names share their first 63 bytes' counter: never fewer limits */
	if (user)
		memcpy(key + RL_ADDR_LEN, user, strnlen(user, IDENTITY_NAME_MAX - 1));
	if (!peer)
		return;
	if (inet_pton(AF_INET, peer, &in4) == 1) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &in4, 4);
	} else if (inet_pton(AF_INET6, peer, &in6) == 1) {
		memcpy(key, &in6, 16);
		/* v4-mapped addresses stay whole; other IPv6 counts per /64 */
		if (!IN6_IS_ADDR_V4MAPPED(&in6))
			memset(key + 8, 0, 8);
	}
}

static uint64_t rl_hash(const struct failrate *a, const unsigned char *key)
{
	uint64_t h = a->seed ^ 1469598103934665603ull;
	for (int i = 0; i < RL_KEY_LEN; i++) {
		h ^= key[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* Caller holds the lock. The entry for key, or NULL. */
static const struct rl_entry *rl_find(const struct failrate *a, const unsigned char *key)
{
	uint64_t h = rl_hash(a, key);
	for (size_t p = 0; p < RL_PROBE; p++) {
		const struct rl_entry *e = &a->rl[(h + p) % RL_SLOTS];
		if (e->used && memcmp(e->key, key, RL_KEY_LEN) == 0)
			return e;
	}
	return NULL;
}

/* Caller holds the lock. The entry for key, a free or stale one to reuse,
 * or the oldest among the probed slots. */
static struct rl_entry *rl_slot(struct failrate *a, const unsigned char *key, time_t now)
{
	uint64_t h = rl_hash(a, key);
	struct rl_entry *spare = NULL;

	for (size_t p = 0; p < RL_PROBE; p++) {
		struct rl_entry *e = &a->rl[(h + p) % RL_SLOTS];
		if (e->used && memcmp(e->key, key, RL_KEY_LEN) == 0)
			return e;
		if (!e->used || now - e->start >= RL_WINDOW_S) {
			if (!spare || spare->used)
				spare = e;
		} else if (!spare || (spare->used && e->start < spare->start)) {
			spare = e;
		}
	}
	memset(spare, 0, sizeof(*spare));
	memcpy(spare->key, key, RL_KEY_LEN);
	return spare;
}

unsigned failrate_wait(struct failrate *a, const char *peer, const char *user)
{
	unsigned char key[RL_KEY_LEN];
	unsigned wait = 0;
	time_t now = clock_monotonic_s(a->clock);

	if (!a->per_minute)
		return 0;
	rl_key(peer, user, key);
	pthread_mutex_lock(&a->lock);
	const struct rl_entry *e = rl_find(a, key);
	if (e && now - e->start < RL_WINDOW_S && e->count >= a->per_minute)
		wait = (unsigned)(e->start + RL_WINDOW_S - now);
	pthread_mutex_unlock(&a->lock);
	return wait;
}

void failrate_fail(struct failrate *a, const char *peer, const char *user, const char *shown)
{
	unsigned char key[RL_KEY_LEN];
	time_t now = clock_monotonic_s(a->clock);

	if (!a->per_minute)
		return;
	rl_key(peer, user, key);
	pthread_mutex_lock(&a->lock);
	struct rl_entry *e = rl_slot(a, key, now);
	if (!e->used || now - e->start >= RL_WINDOW_S) {
		e->used = true;
		e->start = now;
		e->count = 0;
	}
	e->count++;
	if (e->count == a->per_minute) {
		log_warn_limited("authentication rate limit started", peer,
				 "authentication: %u failed password attempts for \"%s\" from %s within "
			 "%d s; further attempts for that user from there refused for the rest of "
			 "the minute",
			 e->count, shown, peer ? peer : "unknown", RL_WINDOW_S);
	}
	pthread_mutex_unlock(&a->lock);
}

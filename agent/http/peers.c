#include "http/peers.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 1024

struct peer_key {
	uint8_t len; /* 4 or 16 */
	uint8_t addr[16];
};

struct peer_node {
	struct peer_node *next;
	struct peer_key key;
	unsigned count;
};

struct peer_counts {
	pthread_mutex_t lock;
	unsigned limit;
	struct peer_node *buckets[BUCKETS];
};

/* An IPv4-mapped IPv6 address counts as the IPv4 address it carries. */
static int key_of(const struct sockaddr *sa, struct peer_key *k)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(k, 0, sizeof(*k));
	if (sa->sa_family == AF_INET) {
		k->len = 4;
		memcpy(k->addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		if (memcmp(a, mapped, sizeof(mapped)) == 0) {
			k->len = 4;
			memcpy(k->addr, a + 12, 4);
		} else {
			k->len = 16;
			memcpy(k->addr, a, 16);
		}
		return 0;
	}
	return -EAFNOSUPPORT;
}

static size_t bucket_of(const struct peer_key *k)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < k->len; i++)
		h = (h ^ k->addr[i]) * 16777619u;
	return h % BUCKETS;
}

/* Caller holds the lock. */
static struct peer_node **find(struct peer_counts *p, const struct peer_key *k)
{
	struct peer_node **n = &p->buckets[bucket_of(k)];
	while (*n && !((*n)->key.len == k->len && memcmp((*n)->key.addr, k->addr, k->len) == 0))
		n = &(*n)->next;
	return n;
}

int peer_counts_new(unsigned limit, struct peer_counts **out)
{
	struct peer_counts *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (pthread_mutex_init(&p->lock, NULL)) {
		free(p);
		return -ENOMEM;
	}
	p->limit = limit;
	*out = p;
	return 0;
}

void peer_counts_free(struct peer_counts *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < BUCKETS; i++) {
		while (p->buckets[i]) {
			struct peer_node *n = p->buckets[i];
			p->buckets[i] = n->next;
			free(n);
		}
	}
	pthread_mutex_destroy(&p->lock);
	free(p);
}

unsigned peer_counts_of(struct peer_counts *p, const struct sockaddr *sa)
{
	struct peer_key k;
	unsigned count = 0;

	if (key_of(sa, &k))
		return 0;
	pthread_mutex_lock(&p->lock);
	struct peer_node *n = *find(p, &k);
	if (n)
		count = n->count;
	pthread_mutex_unlock(&p->lock);
	return count;
}

bool peer_counts_allowed(struct peer_counts *p, const struct sockaddr *sa)
{
	return peer_counts_of(p, sa) < p->limit;
}

int peer_counts_get(struct peer_counts *p, const struct sockaddr *sa)
{
	struct peer_key k;
	int rc = 0;

	rc = key_of(sa, &k);
	if (rc)
		return rc;
	pthread_mutex_lock(&p->lock);
	struct peer_node **slot = find(p, &k);
	if ((*slot ? (*slot)->count : 0) >= p->limit) {
		rc = -EUSERS;
	} else if (*slot) {
		(*slot)->count++;
	} else {
		struct peer_node *n = calloc(1, sizeof(*n));
		if (n) {
			n->key = k;
			n->count = 1;
			*slot = n;
		} else {
			rc = -ENOMEM;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return rc;
}

void peer_counts_put(struct peer_counts *p, const struct sockaddr *sa)
{
	struct peer_key k;

	if (key_of(sa, &k))
		return;
	pthread_mutex_lock(&p->lock);
	struct peer_node **slot = find(p, &k);
	if (*slot && --(*slot)->count == 0) {
		struct peer_node *n = *slot;
		*slot = n->next;
		free(n);
	}
	pthread_mutex_unlock(&p->lock);
}

#include "redfish/body_cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define JSON_CONTENT_TYPE "application/json; charset=utf-8"

struct entry {
	char *path;
	uint64_t version;
	char *text;
	size_t len;
	char *etag;
	char *link; /* "Link: <schema>; rel=describedby", or NULL */
};

struct body_cache {
	pthread_rwlock_t lock;
	size_t nslots;
	struct entry *slot;
};

static size_t slot_of(const struct body_cache *c, const char *path)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return (size_t)(h % c->nslots);
}

int body_cache_new(size_t slots, struct body_cache **out)
{
	struct body_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->slot = calloc(slots, sizeof(*c->slot));
	if (!c->slot) {
		free(c);
		return -ENOMEM;
	}
	c->nslots = slots;
	pthread_rwlock_init(&c->lock, NULL);
	*out = c;
	return 0;
}

static void clear(struct entry *e)
{
	free(e->path);
	free(e->text);
	free(e->etag);
	free(e->link);
	memset(e, 0, sizeof(*e));
}

void body_cache_free(struct body_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nslots; i++)
		clear(&c->slot[i]);
	pthread_rwlock_destroy(&c->lock);
	free(c->slot);
	free(c);
}

int body_cache_get(struct body_cache *c, const char *path, uint64_t version,
		   struct http_response *resp)
{
	struct entry *e;
	int hit = 0;

	pthread_rwlock_rdlock(&c->lock);
	e = &c->slot[slot_of(c, path)];
	if (e->path && e->version == version && strcmp(e->path, path) == 0 &&
	    http_response_text(resp, 200, JSON_CONTENT_TYPE, e->text, e->len) == 0 &&
	    http_response_header(resp, "ETag", e->etag) == 0 &&
	    (!e->link || http_response_header(resp, "Link", e->link) == 0))
		hit = 1;
	pthread_rwlock_unlock(&c->lock);
	return hit;
}

void body_cache_put(struct body_cache *c, const char *path, uint64_t version,
		    const struct http_response *resp)
{
	const char *etag = http_response_get_header(resp, "ETag");
	const char *link = http_response_get_header(resp, "Link");
	struct entry fresh = { 0 }, *e;

	if (resp->status != 200 || !resp->text || !etag)
		return;
	fresh.path = strdup(path);
	fresh.text = malloc(resp->text_len + 1);
	fresh.etag = strdup(etag);
	fresh.link = link ? strdup(link) : NULL;
	if (!fresh.path || !fresh.text || !fresh.etag || (link && !fresh.link)) {
		clear(&fresh);
		return;
	}
	memcpy(fresh.text, resp->text, resp->text_len + 1);
	fresh.len = resp->text_len;
	fresh.version = version;
	pthread_rwlock_wrlock(&c->lock);
	e = &c->slot[slot_of(c, path)];
	clear(e);
	*e = fresh;
	pthread_rwlock_unlock(&c->lock);
}

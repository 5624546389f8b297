/* Serialised response bodies kept per URI and content version, so a GET of
 * unchanged data costs neither JSON building nor serialisation nor hashing:
 * the handler runs only when the route's version function says the data
 * changed. The ETag and the Link header are stored with the body. Thread-safe. */
#ifndef CXLA_REDFISH_BODY_CACHE_H
#define CXLA_REDFISH_BODY_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "http/message.h"

struct body_cache;

/* slots: how many URIs are kept (a new one replaces whatever held its slot). */
int body_cache_new(size_t slots, struct body_cache **out);
void body_cache_free(struct body_cache *c);

/* On a hit for (path, version), give resp a copy of the body, the JSON
 * content type, the ETag and the Link header, and return 1; otherwise 0. */
int body_cache_get(struct body_cache *c, const char *path, uint64_t version,
		   struct http_response *resp);
/* Keep resp's serialised body, ETag and Link for (path, version). Best effort. */
void body_cache_put(struct body_cache *c, const char *path, uint64_t version,
		    const struct http_response *resp);

#endif

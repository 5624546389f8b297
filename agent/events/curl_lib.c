#include "events/curl_lib.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "util/log.h"

#ifndef CXLA_LIBCURL_SONAME
#define CXLA_LIBCURL_SONAME "libcurl-gnutls.so.4"
#endif

/* One per process, written once under pthread_once and read-only after:
 * libcurl's global set-up is process-wide state of its own, so a handle per
 * caller would gain nothing. */
static struct {
	pthread_once_t once;
	int rc;
	struct curl_lib api;
} loaded = { .once = PTHREAD_ONCE_INIT, .rc = -ENOENT };

struct sym {
	const char *name;
	void **slot;
};

/* ISO C has no cast between object and function pointers; POSIX guarantees
 * the representation is the same, so the bytes are copied (the portable
 * form of dlsym(3)'s "*(void **)&fn = dlsym(...)"). */
static int bind_all(void *h, const struct sym *s)
{
	for (; s->name; s++) {
		void *p = dlsym(h, s->name);

		if (!p) {
			log_error("events: %s lacks %s", CXLA_LIBCURL_SONAME, s->name);
			return -ENOENT;
		}
		memcpy(s->slot, &p, sizeof(p));
	}
	return 0;
}

static void load(void)
{
	struct curl_lib *a = &loaded.api;
	const struct sym syms[] = {
		{ "curl_easy_init", (void **)&a->easy_init },
		{ "curl_easy_setopt", (void **)&a->easy_setopt },
		{ "curl_easy_perform", (void **)&a->easy_perform },
		{ "curl_easy_getinfo", (void **)&a->easy_getinfo },
		{ "curl_easy_cleanup", (void **)&a->easy_cleanup },
		{ "curl_easy_strerror", (void **)&a->easy_strerror },
		{ "curl_slist_append", (void **)&a->slist_append },
		{ "curl_slist_free_all", (void **)&a->slist_free_all },
		{ "curl_url", (void **)&a->url },
		{ "curl_url_set", (void **)&a->url_set },
		{ "curl_url_get", (void **)&a->url_get },
		{ "curl_url_cleanup", (void **)&a->url_cleanup },
		{ "curl_free", (void **)&a->free },
		{ NULL, NULL },
	};
	CURLcode (*global_init)(long flags) = NULL;
	void *p, *h = dlopen(CXLA_LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		log_error("events: cannot load %s: %s", CXLA_LIBCURL_SONAME, dlerror());
		return;
	}
	p = dlsym(h, "curl_global_init");
	if (!p || bind_all(h, syms)) {
		log_error("events: %s is not the libcurl this agent was built for", CXLA_LIBCURL_SONAME);
		dlclose(h);
		return;
	}
	memcpy(&global_init, &p, sizeof(p));
	/* Other threads are running by now: libcurl 7.84 and later, built
	 * thread-safe as Debian's is, allow that, and once serialises ours. */
	if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		loaded.rc = -ENOMEM;
		return; /* kept loaded: a half-initialised libcurl must not be unmapped */
	}
	loaded.rc = 0;
}

int curl_lib_get(const struct curl_lib **out)
{
	int rc = pthread_once(&loaded.once, load);

	if (rc)
		return -rc;
	*out = loaded.rc ? NULL : &loaded.api;
	return loaded.rc;
}

/* libcurl, loaded when the first event destination needs it rather than at
 * start: with its protocol and authentication libraries (Kerberos, LDAP,
 * SSH, RTMP, HTTP/2, brotli...) it is about 2 MiB resident, which an agent
 * without subscriptions never uses. The entry points are the ones the event
 * code calls, with libcurl's own signatures. */
#ifndef CXLA_EVENTS_CURL_LIB_H
#define CXLA_EVENTS_CURL_LIB_H

#include <curl/curl.h>

struct curl_lib {
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *c);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *c);
	const char *(*easy_strerror)(CURLcode cc);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
	CURLU *(*url)(void);
	CURLUcode (*url_set)(CURLU *u, CURLUPart part, const char *s, unsigned int flags);
	CURLUcode (*url_get)(const CURLU *u, CURLUPart part, char **out, unsigned int flags);
	void (*url_cleanup)(CURLU *u);
	void (*free)(void *p);
};

/* The loaded library (borrowed, valid for the life of the process), loading
 * it and running its global set-up on the first call from any thread.
 * Returns 0, or -ENOENT when it cannot be loaded (the reason is logged once),
 * -ENOMEM when its set-up fails; later calls return the same. */
int curl_lib_get(const struct curl_lib **out);

#endif

/* One JSON POST over HTTPS with libcurl: https only, the peer's certificate
 * and host name verified (against ca_file alone, or the system's CA store), no
 * redirects, bounded in time, cancellable. */
#ifndef CXLA_EVENTS_HTTPS_POST_H
#define CXLA_EVENTS_HTTPS_POST_H

#include <stddef.h>

struct https_post {
	const char *url;
	char *body;                /* borrowed JSON text */
	const char *ca_file;       /* the only CAs trusted; NULL: the system's */
	const char *const *headers; /* nheaders "Name: value" lines to add */
	size_t nheaders;
	unsigned timeout_s;
	int (*cancel)(void *arg);  /* non-zero aborts the transfer; may be NULL */
	void *cancel_arg;
};

/* 0 when the server answered 2xx; -EIO otherwise (err says why), -ENOMEM. */
int https_post_json(const struct https_post *p, char *err, size_t errlen);

#endif

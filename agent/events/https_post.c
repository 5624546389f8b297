#include "events/https_post.h"

#include <errno.h>
#include <stdio.h>

#include "events/curl_lib.h"

static size_t discard_body(char *ptr, size_t size, size_t n, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * n;
}

static int progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	const struct https_post *p = arg;
	(void)dt, (void)dn, (void)ut, (void)un;
	return p->cancel && p->cancel(p->cancel_arg) ? 1 : 0;
}

int https_post_json(const struct https_post *p, char *err, size_t errlen)
{
	const struct curl_lib *cl;
	struct curl_slist *hdrs;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *c;
	CURLcode cc;
	long code = 0;
	int rc = curl_lib_get(&cl);

	if (rc) {
		snprintf(err, errlen, "libcurl unavailable");
		return rc;
	}
	rc = -EIO;
	hdrs = cl->slist_append(NULL, "Content-Type: application/json");
	for (size_t i = 0; hdrs && i < p->nheaders; i++) {
		struct curl_slist *more = cl->slist_append(hdrs, p->headers[i]);
		if (!more) {
			cl->slist_free_all(hdrs);
			hdrs = NULL;
		}
		hdrs = more;
	}
	c = cl->easy_init();
	if (!c || !hdrs) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	cl->easy_setopt(c, CURLOPT_URL, p->url);
	cl->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	cl->easy_setopt(c, CURLOPT_POSTFIELDS, p->body);
	cl->easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	cl->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	cl->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	/* A configured bundle is the only trust: libcurl also keeps its
	 * built-in CA directory (Debian's: /etc/ssl/certs) unless told
	 * otherwise, which would trust every public CA beside the bundle, and
	 * cost every delivery a parse of some 300 files (seconds under load). */
	if (p->ca_file) {
		cl->easy_setopt(c, CURLOPT_CAINFO, p->ca_file);
		cl->easy_setopt(c, CURLOPT_CAPATH, (char *)NULL);
	}
	cl->easy_setopt(c, CURLOPT_TIMEOUT, (long)p->timeout_s);
	cl->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cl->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	cl->easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_body);
	cl->easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	cl->easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	cl->easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress);
	cl->easy_setopt(c, CURLOPT_XFERINFODATA, p);
	cc = cl->easy_perform(c);
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "%s", errbuf[0] ? errbuf : cl->easy_strerror(cc));
		goto out;
	}
	cl->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code > 299) {
		snprintf(err, errlen, "HTTP status %ld", code);
		goto out;
	}
	rc = 0;
out:
	cl->slist_free_all(hdrs);
	if (c)
		cl->easy_cleanup(c);
	return rc;
}

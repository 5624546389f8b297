/* Start-up work whose memory need not outlive it. Checking the files the
 * configuration names and reading (on the first start, making) the TLS pair
 * parses certificates, keys, the catalogue and the accounts, which leaves
 * much of libcrypto and of the parsers resident in the process that did it.
 * The broker, which lives as long as the service and never serves TLS, has
 * that work done by a short-lived child and keeps only the result. */
#ifndef CXLA_APP_PRESTART_H
#define CXLA_APP_PRESTART_H

#include <stddef.h>

/* What the work hands back: NUL-terminated PEM texts, each NULL or new
 * (free(); key_pem with tls_free_secret). */
struct prestart_result {
	char *cert_pem;
	char *key_pem;
	char *client_ca_pem;
};

/* The work, run in the child: fills *out (which starts zeroed) and returns
 * 0, or -errno with a message in err. */
typedef int (*prestart_fn)(void *ctx, struct prestart_result *out, char *err, size_t errlen);

/* Run fn in a child process and wait for it. Returns fn's result with its
 * message in err and, on 0, the texts in *out (new, as above). A child that
 * dies without answering gives -ECHILD with the reason in err. */
int prestart_run(prestart_fn fn, void *ctx, struct prestart_result *out, char *err,
		 size_t errlen);
/* Free what *out holds (the key cleansed) and zero it. */
void prestart_result_release(struct prestart_result *out);

#endif

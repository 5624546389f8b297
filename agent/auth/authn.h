/* Authentication of a request: HTTP Basic against the accounts (with a
 * short-lived cache of verified credentials), later sessions and client
 * certificates. */
#ifndef CXLA_AUTH_AUTHN_H
#define CXLA_AUTH_AUTHN_H

#include "auth/accounts.h"
#include "auth/identity.h"
#include "http/message.h"

struct authn;

enum authn_result {
	AUTHN_OK = 0,
	AUTHN_NO_CREDENTIALS,
	AUTHN_FAILED,   /* wrong, unknown, malformed, locked or disabled */
};

/* accounts is borrowed and must outlive the authenticator. cache_ttl_s is the
 * lifetime of a cached verified password (0 disables the cache). */
int authn_new(struct accounts *accounts, unsigned cache_ttl_s, struct authn **out);
void authn_free(struct authn *a);

/* Authenticate req; on AUTHN_OK who is filled (who->peer set from req). */
enum authn_result authn_request(struct authn *a, const struct http_request *req,
				struct identity *who);

/* Decode an "Authorization: Basic ..." value into user and password buffers.
 * Returns 0 or -EINVAL. */
int authn_parse_basic(const char *header, char *user, size_t ulen, char *pass, size_t plen);

#endif

/* Authentication of a request: a session token (X-Auth-Token), HTTP Basic
 * against the accounts (with a short-lived keyed cache of verified
 * credentials), or a client certificate mapped to an account. Password
 * attempts are rate-limited per (source address, user name); every failure is logged
 * with its reason and never with the secret. */
#ifndef CXLA_AUTH_AUTHN_H
#define CXLA_AUTH_AUTHN_H

#include <stdbool.h>

#include "auth/accounts.h"
#include "auth/certmap.h"
#include "auth/identity.h"
#include "auth/sessions.h"
#include "http/message.h"
#include "util/clock.h"
#include "http/server.h"

struct authn;

enum authn_result {
	AUTHN_OK = 0,
	AUTHN_NO_CREDENTIALS,
	AUTHN_FAILED,       /* wrong, unknown, malformed, locked, disabled, expired */
	AUTHN_RATE_LIMITED, /* too many failed password attempts from this source */
	/* authn_request_nowait only: a password needs the KDF; authenticate
	 * again with authn_request on the password pool (authn_kdf_pool). */
	AUTHN_WOULD_BLOCK,
};

struct authn_config {
	unsigned cache_ttl_s;          /* lifetime of a cached Basic credential (0: off) */
	/* off: certificates are ignored; optional: a presented certificate must
	 * verify and map; required: every request needs one that does. */
	enum http_client_auth client_auth;
	enum certmap_field cert_identity;
	unsigned failures_per_minute;  /* per source address (IPv6: per /64) and user name;
					* 0: no limit */
	const struct clock_source *clock; /* borrowed; NULL: the system clocks */
	/* Password checks (PBKDF2) run on a pool of kdf_threads (0: 1); at most
	 * kdf_queue more wait (0: 4 per thread); beyond that authn_kdf_admit
	 * refuses. */
	unsigned kdf_threads;
	unsigned kdf_queue;
	/* Requests that may wait for one check of their credential already
	 * under way, beyond the check's own (0: 64). */
	unsigned kdf_joiners;
};

/* accounts and sessions (may be NULL: no session authentication) are
 * borrowed and must outlive the authenticator. */
int authn_new(struct accounts *accounts, struct sessions *sessions,
	      const struct authn_config *cfg, struct authn **out);
void authn_free(struct authn *a);

/* The transport gate, for every request including public ones: with
 * client_auth "required" the request must carry a verified certificate that
 * maps to an enabled account; with "optional" a certificate that is
 * presented must (a bad one is refused, not ignored). AUTHN_OK or
 * AUTHN_FAILED. */
enum authn_result authn_transport(struct authn *a, const struct http_request *req);

/* Authenticate req: X-Auth-Token first, then Authorization: Basic, then the
 * client certificate (when client_auth is not off). On AUTHN_OK who is
 * filled (who->peer set from req). */
enum authn_result authn_request(struct authn *a, const struct http_request *req,
				struct identity *who);

/* As authn_request, but never runs the KDF: a Basic credential that is not
 * in the cache gives AUTHN_WOULD_BLOCK. A cached credential in its last
 * quarter of life is verified again in the background (on the password
 * pool), so a credential in steady use never waits for a KDF. */
enum authn_result authn_request_nowait(struct authn *a, const struct http_request *req,
				       struct identity *who);

/* The pool that password checks run on (borrowed, lives as long as a). */
struct workpool *authn_kdf_pool(struct authn *a);
/* Take a place for one password check on the pool: 0, or -EAGAIN when the
 * pool and its queue are full (answer 503 with Retry-After). Every 0 is
 * paired with one authn_kdf_done when the check has finished. */
int authn_kdf_admit(struct authn *a);
void authn_kdf_done(struct authn *a);

/* Password checks run (KDF) since the authenticator was made. */
unsigned long authn_kdf_runs(struct authn *a);

/* A request's place in the check of its Basic credential on the password
 * pool. Requests with the same credential and accounts generation share one
 * check: the first leads it, the others join it and wait for its outcome
 * without a KDF of their own. */
struct authn_wait;

/* For a request that authn_request_nowait answered AUTHN_WOULD_BLOCK: join
 * the check of its credential under way when there is one with room, else
 * take a place on the password pool (as authn_kdf_admit) and lead a new
 * one. 0 with *out (new: authn_wait_free), -EAGAIN when neither (answer
 * 503 with Retry-After), -ENOMEM. */
int authn_wait_new(struct authn *a, const struct http_request *req, struct authn_wait **out);
/* Whether w waits for another request's check rather than running one. */
bool authn_wait_joined(const struct authn_wait *w);
/* Joined only: call fn(arg) once the check has ended, from the thread that
 * ended it or before returning. Authenticate then with authn_request_wait
 * (on the password pool: when the accounts changed meanwhile, or the check
 * could not run, the request is checked on its own). */
void authn_wait_notify(struct authn *a, struct authn_wait *w, void (*fn)(void *arg), void *arg);
/* authn_request for the request w was made for, on the password pool: a
 * leading request runs the check and hands its outcome to those that
 * joined; a joined one takes that outcome (right: as a cached credential;
 * wrong: refused, logged and counted by the rate limit as its own attempt). */
enum authn_result authn_request_wait(struct authn *a, const struct http_request *req,
				     struct authn_wait *w, struct identity *who);
/* Gives the place up (and the pool place it held); a leader that did not
 * run its check ends it, so joined requests check on their own. */
void authn_wait_free(struct authn *a, struct authn_wait *w);

/* A password login (session creation) from peer, under the same rate limit
 * and logging as Basic. Runs the KDF: call it on the password pool. */
enum authn_result authn_password(struct authn *a, const char *user, const char *password,
				 const char *peer, struct identity *who);

/* Seconds until peer may try a password for user again (0: now). */
unsigned authn_retry_after(struct authn *a, const char *peer, const char *user);
/* authn_retry_after() for the peer and Basic user name of req (0 without
 * Basic credentials). */
unsigned authn_request_retry_after(struct authn *a, const struct http_request *req);

/* Decode an "Authorization: Basic ..." value into user and password buffers.
 * Returns 0 or -EINVAL. */
int authn_parse_basic(const char *header, char *user, size_t ulen, char *pass, size_t plen);

/* Copy s into out (len bytes) with anything but printable ASCII replaced by
 * '?', for log lines that quote client-supplied names. */
void authn_log_safe(const char *s, char *out, size_t len);

#endif

#include "auth/authn.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/failrate.h"
#include "auth/kdfjoin.h"
#include "util/base64.h"
#include "util/log.h"
#include "util/logthrottle.h"
#include "util/workpool.h"

#define CACHE_SLOTS 256
#define MAC_LEN 32
/* Waiting checks per pool thread: a login that would wait longer than a
 * few KDF runs is better answered 503 with Retry-After at once. */
#define KDF_QUEUE_PER_THREAD 4
#define KDF_IDLE_MS 10000
/* Requests that may wait for one check of their credential: a fleet tool
 * or load generator opening its connections at once, with room to spare;
 * each holds a copy of its request until the check ends. */
#define KDF_JOINERS_DEFAULT 64

/* Kinds of log line a client without a credential can cause per request
 * (util/log.h: a few per window and address, then a count). */
#define AUTHN_KIND_LIMITED "authentication refused (rate limited)"
#define AUTHN_KIND_CERT "authentication failed (Certificate)"

/* Verifying PBKDF2 on every request would cap the agent at a few hundred
 * requests per second, so a verified (user, password) pair is remembered
 * under a keyed hash: the cache never holds the password, and its key dies
 * with the process. Entries are tied to the accounts generation, so any
 * password, role or lock change invalidates them. */
struct cache_entry {
	unsigned char mac[MAC_LEN];
	char user[IDENTITY_NAME_MAX];
	uint64_t generation;
	time_t expires;
	int used;
	bool refreshing; /* a background re-verification is under way */
};

struct authn {
	struct accounts *accounts;
	struct sessions *sessions;
	struct authn_config cfg;
	unsigned char key[32];
	pthread_mutex_t lock;
	struct cache_entry cache[CACHE_SLOTS];
	/* One verification at a time per cache slot, for the checks that are
	 * not shared (blocking callers, requests checked on their own): a
	 * second one of the same credential finds the first one's result
	 * cached instead of running the KDF again. */
	pthread_mutex_t verifying[CACHE_SLOTS];
	struct failrate *failures;
	struct workpool *kdf; /* where password checks run, off the HTTP threads */
	atomic_uint kdf_load;  /* checks admitted and not yet done */
	unsigned kdf_limit;
	atomic_ulong kdf_runs;
	struct kdfjoin *joins; /* checks that requests with one credential share */
};

struct authn_wait {
	struct kdfjoin_wait *join; /* NULL: a check of its own, not shared */
	bool admitted;             /* holds a place on the password pool */
};

int authn_new(struct accounts *accounts, struct sessions *sessions,
	      const struct authn_config *cfg, struct authn **out)
{
	struct authn *a = calloc(1, sizeof(*a));
	unsigned threads;

	if (!a)
		return -ENOMEM;
	if (gnutls_rnd(GNUTLS_RND_KEY, a->key, sizeof(a->key))) {
		free(a);
		return -EIO;
	}
	if (failrate_new(cfg->failures_per_minute, cfg->clock, &a->failures)) {
		free(a);
		return -ENOMEM;
	}
	if (workpool_new(cfg->kdf_threads ? cfg->kdf_threads : 1, KDF_IDLE_MS, &a->kdf)) {
		failrate_free(a->failures);
		free(a);
		return -ENOMEM;
	}
	workpool_name(a->kdf, "password-check");
	threads = cfg->kdf_threads ? cfg->kdf_threads : 1;
	a->kdf_limit = threads + (cfg->kdf_queue ? cfg->kdf_queue : KDF_QUEUE_PER_THREAD * threads);
	/* A check lasts until the last request that joined it is answered, a
	 * little after its leader gave its pool place back: room for both. */
	if (kdfjoin_new(2 * a->kdf_limit, cfg->kdf_joiners ? cfg->kdf_joiners : KDF_JOINERS_DEFAULT,
			&a->joins)) {
		workpool_free(a->kdf);
		failrate_free(a->failures);
		free(a);
		return -ENOMEM;
	}
	atomic_init(&a->kdf_load, 0);
	atomic_init(&a->kdf_runs, 0);
	a->accounts = accounts;
	a->sessions = sessions;
	a->cfg = *cfg;
	pthread_mutex_init(&a->lock, NULL);
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		pthread_mutex_init(&a->verifying[i], NULL);
	*out = a;
	return 0;
}

void authn_free(struct authn *a)
{
	if (!a)
		return;
	workpool_free(a->kdf); /* background checks end before what they use */
	kdfjoin_free(a->joins);
	failrate_free(a->failures);
	OPENSSL_cleanse(a->key, sizeof(a->key));
	OPENSSL_cleanse(a->cache, sizeof(a->cache));
	pthread_mutex_destroy(&a->lock);
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		pthread_mutex_destroy(&a->verifying[i]);
	free(a);
}

void authn_log_safe(const char *s, char *out, size_t len)
{
	size_t i = 0;

	if (!len)
		return;
	for (; s && s[i] && i + 1 < len; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"') ? s[i] : '?';
	out[i] = '\0';
}

unsigned authn_retry_after(struct authn *a, const char *peer, const char *user)
{
	return failrate_wait(a->failures, peer, user);
}

unsigned authn_request_retry_after(struct authn *a, const struct http_request *req)
{
	const char *hdr = http_request_header(req, "Authorization");
	char user[IDENTITY_NAME_MAX], pass[256];
	unsigned wait = 0;

	if (hdr && authn_parse_basic(hdr, user, sizeof(user), pass, sizeof(pass)) == 0)
		wait = failrate_wait(a->failures, req->peer, user);
	OPENSSL_cleanse(pass, sizeof(pass));
	return wait;
}

int authn_parse_basic(const char *header, char *user, size_t ulen, char *pass, size_t plen)
{
	unsigned char buf[512];
	size_t n, dec;
	char *colon;
	int rc = -EINVAL;

	if (strncasecmp(header, "Basic ", 6) != 0)
		return -EINVAL;
	header += 6;
	while (*header == ' ')
		header++;
	n = strlen(header);
	if (n == 0 || base64_decode_into(header, n, buf, sizeof(buf) - 1, &dec))
		goto out;
	buf[dec] = '\0';
	if (memchr(buf, '\0', dec))
		goto out;
	colon = strchr((char *)buf, ':');
	if (!colon || colon == (char *)buf)
		goto out;
	*colon = '\0';
	if (strlen((char *)buf) >= ulen || strlen(colon + 1) >= plen)
		goto out;
	memcpy(user, buf, strlen((char *)buf) + 1);
	memcpy(pass, colon + 1, strlen(colon + 1) + 1);
	rc = 0;
out:
	/* A refused credential is as secret as an accepted one: a password
	 * with a NUL or too long for the field still holds a password. */
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

static void credential_mac(const struct authn *a, const char *user, const char *pass,
			   unsigned char *mac)
{
	gnutls_hmac_hd_t h;

	memset(mac, 0, MAC_LEN);
	if (gnutls_hmac_init(&h, GNUTLS_MAC_SHA256, a->key, sizeof(a->key)) < 0)
		return;
	if (gnutls_hmac(h, user, strlen(user) + 1) < 0 || gnutls_hmac(h, pass, strlen(pass)) < 0) {
		gnutls_hmac_deinit(h, NULL);
		return;
	}
	gnutls_hmac_deinit(h, mac);
}

/* 1 on a hit, 2 on a hit whose background re-verification the caller must
 * now start (the entry is in its last quarter of life and none is under
 * way), 0 on a miss. */
static int cache_hit(struct authn *a, const unsigned char *mac, const char *user, uint64_t gen)
{
	time_t now = clock_monotonic_s(a->cfg.clock);
	time_t ahead = (time_t)(a->cfg.cache_ttl_s / 4);
	int hit = 0;
	size_t slot = mac[0] % CACHE_SLOTS;

	pthread_mutex_lock(&a->lock);
	struct cache_entry *e = &a->cache[slot];
	if (e->used && e->generation == gen && e->expires > now && strcmp(e->user, user) == 0 &&
	    CRYPTO_memcmp(e->mac, mac, MAC_LEN) == 0) {
		hit = 1;
		if (!e->refreshing && e->expires - now <= (ahead ? ahead : 1)) {
			e->refreshing = true;
			hit = 2;
		}
	}
	pthread_mutex_unlock(&a->lock);
	return hit;
}

static void cache_put(struct authn *a, const unsigned char *mac, const char *user, uint64_t gen)
{
	struct cache_entry *e = &a->cache[mac[0] % CACHE_SLOTS];
	pthread_mutex_lock(&a->lock);
	memcpy(e->mac, mac, MAC_LEN);
	snprintf(e->user, sizeof(e->user), "%s", user);
	e->generation = gen;
	e->expires = clock_monotonic_s(a->cfg.clock) + (time_t)a->cfg.cache_ttl_s;
	e->used = 1;
	e->refreshing = false;
	pthread_mutex_unlock(&a->lock);
}

/* The end of a re-verification that did not renew the entry. */
static void cache_refresh_end(struct authn *a, const unsigned char *mac)
{
	struct cache_entry *e = &a->cache[mac[0] % CACHE_SLOTS];
	pthread_mutex_lock(&a->lock);
	if (CRYPTO_memcmp(e->mac, mac, MAC_LEN) == 0)
		e->refreshing = false;
	pthread_mutex_unlock(&a->lock);
}

static enum account_check run_kdf(struct authn *a, const char *user, const char *pass,
				  struct identity *who)
{
	atomic_fetch_add(&a->kdf_runs, 1);
	return accounts_check_password(a->accounts, user, pass, who);
}

unsigned long authn_kdf_runs(struct authn *a)
{
	return atomic_load(&a->kdf_runs);
}

struct authn_refresh {
	struct authn *a;
	unsigned char mac[MAC_LEN];
	char user[IDENTITY_NAME_MAX];
	char pass[256];
	uint64_t generation;
};

/* A cached credential verified again on the password pool while its entry
 * is still valid: its requests keep hitting the cache meanwhile, and the
 * renewed entry replaces the old one before it expires. */
static void refresh_run(void *arg)
{
	struct authn_refresh *r = arg;
	struct identity who;

	memset(&who, 0, sizeof(who));
	if (run_kdf(r->a, r->user, r->pass, &who) == ACCOUNT_OK)
		cache_put(r->a, r->mac, r->user, r->generation);
	else
		cache_refresh_end(r->a, r->mac);
	authn_kdf_done(r->a);
	OPENSSL_cleanse(r, sizeof(*r));
	free(r);
}

static void refresh_ahead(struct authn *a, const unsigned char *mac, const char *user,
			  const char *pass, uint64_t gen)
{
	struct authn_refresh *r = NULL;

	if (strlen(pass) < sizeof(r->pass) && !authn_kdf_admit(a)) {
		if ((r = calloc(1, sizeof(*r)))) {
			r->a = a;
			memcpy(r->mac, mac, MAC_LEN);
			snprintf(r->user, sizeof(r->user), "%s", user);
			memcpy(r->pass, pass, strlen(pass) + 1);
			r->generation = gen;
			if (workpool_submit(a->kdf, refresh_run, r) == 0)
				return;
			OPENSSL_cleanse(r, sizeof(*r));
			free(r);
		}
		authn_kdf_done(a);
	}
	/* Not now (pool full): a later request of the credential tries again. */
	cache_refresh_end(a, mac);
}

struct workpool *authn_kdf_pool(struct authn *a)
{
	return a->kdf;
}

int authn_kdf_admit(struct authn *a)
{
	unsigned load = atomic_fetch_add(&a->kdf_load, 1);

	if (load < a->kdf_limit)
		return 0;
	atomic_fetch_sub(&a->kdf_load, 1);
	return -EAGAIN;
}

void authn_kdf_done(struct authn *a)
{
	atomic_fetch_sub(&a->kdf_load, 1);
}

static const char *check_reason(enum account_check st)
{
	switch (st) {
	case ACCOUNT_LOCKED:
		return "account locked";
	case ACCOUNT_DISABLED:
		return "account disabled";
	default:
		return "unknown user or wrong password";
	}
}

/* The user name of a failed password attempt as the log shows it: a name
 * that is no account's is left out, since a password typed into the user
 * field is the usual reason for one. */
static void log_user(struct authn *a, const char *user, char *out, size_t len)
{
	struct account_info ai;

	if (accounts_get_by_user(a->accounts, user, &ai) == 0)
		authn_log_safe(user, out, len);
	else
		snprintf(out, len, "(not an account)");
}

/* One password attempt, from Basic or a session login. */
struct attempt {
	const char *user;
	const char *pass;
	const char *peer;
	const char *how;
	bool cacheable;
	bool may_block;
	struct authn_wait *wait; /* NULL, or the request's place in a shared check */
};

/* The leader of a shared check hands its outcome, reached at generation
 * gen, to those that joined it, when the accounts did not change meanwhile.
 * Only the first outcome counts. */
static void hand_on(struct authn *a, const struct attempt *at, int outcome, uint64_t gen)
{
	struct kdfjoin_wait *lead = at->wait ? at->wait->join : NULL;

	if (!lead || kdfjoin_joined(lead))
		return;
	if (outcome != KDFJOIN_NONE && accounts_generation(a->accounts) != gen)
		outcome = KDFJOIN_NONE;
	kdfjoin_end(a->joins, lead, outcome, gen);
}

/* The KDF, for one credential at a time: a request that waited for another
 * one's verification of the same credential finds it cached (*cached).
 * mac: NULL when not cacheable. */
static enum account_check verify(struct authn *a, const struct attempt *at,
				 const unsigned char *mac, uint64_t gen, bool *cached,
				 struct identity *who)
{
	pthread_mutex_t *m = mac ? &a->verifying[mac[0] % CACHE_SLOTS] : NULL;
	enum account_check st = ACCOUNT_OK;

	*cached = false;
	if (m) {
		pthread_mutex_lock(m);
		*cached = cache_hit(a, mac, at->user, gen) != 0;
	}
	if (!*cached)
		st = run_kdf(a, at->user, at->pass, who);
	if (st == ACCOUNT_OK && mac && !*cached)
		cache_put(a, mac, at->user, gen);
	if (m)
		pthread_mutex_unlock(m);
	if (!*cached)
		hand_on(a, at, (int)st, gen);
	return st;
}

/* A joined request: the outcome of the check it waited for, when it holds
 * for the accounts as they are now; else KDFJOIN_NONE (check on its own). */
static int joined_outcome(struct authn *a, const struct attempt *at, uint64_t gen)
{
	if (!at->wait || !at->wait->join || !kdfjoin_joined(at->wait->join))
		return KDFJOIN_NONE;
	return kdfjoin_outcome(a->joins, at->wait->join, gen);
}

static enum authn_result password_attempt(struct authn *a, const struct attempt *at,
					  struct identity *who)
{
	unsigned char mac[MAC_LEN];
	enum account_check st;
	char safe[IDENTITY_NAME_MAX];
	bool cacheable = at->cacheable && a->cfg.cache_ttl_s, cached;
	uint64_t gen;
	unsigned wait;
	int hit;

	if ((wait = failrate_wait(a->failures, at->peer, at->user))) {
		log_user(a, at->user, safe, sizeof(safe));
		log_warn_limited(AUTHN_KIND_LIMITED, at->peer,
				 "authentication refused: user \"%s\" from %s (%s): rate limited for %u s",
				 safe, at->peer ? at->peer : "unknown", at->how, wait);
		return AUTHN_RATE_LIMITED;
	}
	gen = accounts_generation(a->accounts);
	if (cacheable) {
		credential_mac(a, at->user, at->pass, mac);
		if ((hit = cache_hit(a, mac, at->user, gen))) {
			if (hit == 2)
				refresh_ahead(a, mac, at->user, at->pass, gen);
			goto cached;
		}
	}
	if (!at->may_block)
		return AUTHN_WOULD_BLOCK;
	if ((hit = joined_outcome(a, at, gen)) != KDFJOIN_NONE) {
		st = (enum account_check)hit;
		if (st == ACCOUNT_OK)
			goto cached;
		goto failed;
	}
	st = verify(a, at, cacheable ? mac : NULL, gen, &cached, who);
	if (cached)
		goto cached;
	if (st == ACCOUNT_OK)
		return AUTHN_OK;
	goto failed;
cached:
	/* The credential verified at this generation: so it does for those
	 * that joined (each resolves the account itself). */
	hand_on(a, at, ACCOUNT_OK, gen);
	st = accounts_resolve(a->accounts, at->user, who);
	if (st == ACCOUNT_OK)
		return AUTHN_OK;
failed:
	log_user(a, at->user, safe, sizeof(safe));
	failrate_fail(a->failures, at->peer, at->user, safe);
	log_info_limited("authentication failed (password)", at->peer,
			 "authentication failed: user \"%s\" from %s (%s): %s", safe,
		 at->peer ? at->peer : "unknown", at->how, check_reason(st));
	return AUTHN_FAILED;
}

enum authn_result authn_password(struct authn *a, const char *user, const char *password,
				 const char *peer, struct identity *who)
{
	struct attempt at = { user, password, peer, "session login", false, true, NULL };
	enum authn_result r;

	memset(who, 0, sizeof(*who));
	who->peer = peer;
	r = password_attempt(a, &at, who);
	if (r == AUTHN_OK)
		who->method = AUTH_SESSION;
	return r;
}

static enum authn_result basic(struct authn *a, const char *header, const char *peer,
			       bool may_block, struct authn_wait *wait, struct identity *who)
{
	char user[IDENTITY_NAME_MAX], pass[256];
	struct attempt at = { user, pass, peer, "Basic", true, may_block, wait };
	enum authn_result res;

	if (authn_parse_basic(header, user, sizeof(user), pass, sizeof(pass))) {
		log_info_limited("authentication failed (malformed Basic)", peer,
				 "authentication failed from %s (Basic): malformed credentials",
			 peer ? peer : "unknown");
		return AUTHN_FAILED;
	}
	res = password_attempt(a, &at, who);
	OPENSSL_cleanse(pass, sizeof(pass));
	if (res == AUTHN_OK)
		who->method = AUTH_BASIC;
	return res;
}

static enum authn_result session_token(struct authn *a, const char *token, const char *peer,
				       struct identity *who)
{
	struct session_info si;
	enum account_check st;

	if (!a->sessions || sessions_lookup(a->sessions, token, &si)) {
		log_info_limited("authentication failed (Session)", peer,
				 "authentication failed from %s (Session): unknown, ended or expired token",
			 peer ? peer : "unknown");
		return AUTHN_FAILED;
	}
	st = accounts_resolve(a->accounts, si.user, who);
	if (st != ACCOUNT_OK) {
		/* The account went away or was disabled: so does the session. */
		sessions_delete(a->sessions, si.id);
		log_info("authentication failed: session %s of \"%s\" from %s: %s; session ended",
			 si.id, si.user, peer ? peer : "unknown", check_reason(st));
		return AUTHN_FAILED;
	}
	who->method = AUTH_SESSION;
	snprintf(who->session_id, sizeof(who->session_id), "%s", si.id);
	return AUTHN_OK;
}

/* A refused certificate's line, limited per address and reason (the key's
 * source is both), so each different reason from an address is seen. */
static void cert_refused(const char *peer, const char *reason, const char *text)
{
	char source[LOG_THROTTLE_SOURCE_MAX];

	/* cut, it is still one key for each address and reason it begins with */
	if (snprintf(source, sizeof(source), "%s (%s)", peer, reason) < 0)
		source[0] = '\0';
	log_info_limited(AUTHN_KIND_CERT, source, "authentication failed from %s (Certificate): %s",
			 peer, text);
}

/* The account a verified client certificate maps to. */
static enum authn_result certificate(struct authn *a, const struct http_request *req,
				     struct identity *who)
{
	char names[CERTMAP_NAMES_MAX][IDENTITY_NAME_MAX], text[IDENTITY_NAME_MAX + 64];
	const char *peer = req->peer ? req->peer : "unknown", *why;
	int n;

	if (!req->cert.verified) {
		why = req->cert.verify_error[0] ? req->cert.verify_error : "not verified";
		cert_refused(peer, why, why);
		return AUTHN_FAILED;
	}
	n = certmap_names(req->cert.der, req->cert.der_len, a->cfg.cert_identity, names,
			  CERTMAP_NAMES_MAX);
	if (n < 0) {
		why = n == -EKEYEXPIRED	   ? "outside its validity period"
		      : n == -EKEYREJECTED ? "not for client authentication"
		      : n == -ENOENT	   ? "no usable name"
					   : "unparsable";
		cert_refused(peer, why, why);
		return AUTHN_FAILED;
	}
	for (int i = 0; i < n; i++) {
		if (accounts_resolve(a->accounts, names[i], who) == ACCOUNT_OK) {
			who->method = AUTH_CERTIFICATE;
			return AUTHN_OK;
		}
	}
	snprintf(text, sizeof(text), "\"%s\"%s maps to no enabled account", names[0],
		 n > 1 ? " (and other names)" : "");
	cert_refused(peer, "no enabled account", text);
	memset(who->user, 0, sizeof(who->user));
	who->privileges = 0;
	return AUTHN_FAILED;
}

enum authn_result authn_transport(struct authn *a, const struct http_request *req)
{
	struct identity scratch;

	if (a->cfg.client_auth == HTTP_CLIENT_AUTH_OFF)
		return AUTHN_OK;
	if (!req->cert.present) {
		if (a->cfg.client_auth == HTTP_CLIENT_AUTH_OPTIONAL)
			return AUTHN_OK;
		log_info_limited("request refused (no client certificate)", req->peer,
				 "request from %s refused: client certificate required",
			 req->peer ? req->peer : "unknown");
		return AUTHN_FAILED;
	}
	memset(&scratch, 0, sizeof(scratch));
	return certificate(a, req, &scratch);
}

static enum authn_result request(struct authn *a, const struct http_request *req,
				 bool may_block, struct authn_wait *wait, struct identity *who)
{
	const char *token = http_request_header(req, "X-Auth-Token");
	const char *hdr = http_request_header(req, "Authorization");

	memset(who, 0, sizeof(*who));
	who->peer = req->peer;
	if (token)
		return session_token(a, token, req->peer, who);
	if (hdr) {
		if (strncasecmp(hdr, "Basic ", 6) != 0) {
			log_info_limited("authentication failed (unsupported scheme)", req->peer,
					 "authentication failed from %s: unsupported Authorization scheme",
				 req->peer ? req->peer : "unknown");
			return AUTHN_FAILED;
		}
		return basic(a, hdr, req->peer, may_block, wait, who);
	}
	if (a->cfg.client_auth != HTTP_CLIENT_AUTH_OFF && req->cert.present)
		return certificate(a, req, who);
	return AUTHN_NO_CREDENTIALS;
}

enum authn_result authn_request(struct authn *a, const struct http_request *req,
				struct identity *who)
{
	return request(a, req, true, NULL, who);
}

enum authn_result authn_request_nowait(struct authn *a, const struct http_request *req,
				       struct identity *who)
{
	return request(a, req, false, NULL, who);
}

int authn_wait_new(struct authn *a, const struct http_request *req, struct authn_wait **out)
{
	const char *hdr = http_request_header(req, "Authorization");
	char user[IDENTITY_NAME_MAX], pass[256];
	unsigned char mac[MAC_LEN];
	struct authn_wait *w = calloc(1, sizeof(*w));
	uint64_t gen = accounts_generation(a->accounts);
	bool keyed = false;
	int rc = -ENOENT;

	if (!w)
		return -ENOMEM;
	/* With the cache off every request is verified on its own. */
	if (a->cfg.cache_ttl_s && hdr && !http_request_header(req, "X-Auth-Token") &&
	    authn_parse_basic(hdr, user, sizeof(user), pass, sizeof(pass)) == 0) {
		credential_mac(a, user, pass, mac);
		keyed = true;
	}
	OPENSSL_cleanse(pass, sizeof(pass));
	if (keyed)
		rc = kdfjoin_take(a->joins, mac, gen, false, &w->join);
	if (rc == -ENOENT && (rc = authn_kdf_admit(a)) == 0) {
		w->admitted = true;
		/* Taken again with the place in hand: a check of the same
		 * credential may have begun meanwhile, and is joined. */
		if (keyed && kdfjoin_take(a->joins, mac, gen, true, &w->join))
			w->join = NULL; /* no room to share: a check of its own */
		if (w->join && kdfjoin_joined(w->join)) {
			authn_kdf_done(a);
			w->admitted = false;
		}
	}
	if (rc) {
		free(w);
		return rc;
	}
	*out = w;
	return 0;
}

bool authn_wait_joined(const struct authn_wait *w)
{
	return w->join && kdfjoin_joined(w->join);
}

void authn_wait_notify(struct authn *a, struct authn_wait *w, void (*fn)(void *arg), void *arg)
{
	if (authn_wait_joined(w))
		kdfjoin_notify(a->joins, w->join, fn, arg);
	else
		fn(arg);
}

enum authn_result authn_request_wait(struct authn *a, const struct http_request *req,
				     struct authn_wait *w, struct identity *who)
{
	enum authn_result r = request(a, req, true, w, who);

	/* A leader that reached no outcome (rate limited, say) lets those that
	 * joined check on their own. */
	if (w->join && !kdfjoin_joined(w->join))
		kdfjoin_end(a->joins, w->join, KDFJOIN_NONE, 0);
	return r;
}

void authn_wait_free(struct authn *a, struct authn_wait *w)
{
	if (!w)
		return;
	kdfjoin_release(a->joins, w->join);
	if (w->admitted)
		authn_kdf_done(a);
	free(w);
}

const char *auth_method_name(enum auth_method m)
{
	switch (m) {
	case AUTH_BASIC:
		return "Basic";
	case AUTH_SESSION:
		return "Session";
	case AUTH_CERTIFICATE:
		return "Certificate";
	default:
		return "None";
	}
}

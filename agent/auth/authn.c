#include "auth/authn.h"

#include <arpa/inet.h>
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

#include "util/base64.h"
#include "util/log.h"
#include "util/workpool.h"

#define CACHE_SLOTS 256
#define MAC_LEN 32
#define RL_SLOTS 1024
#define RL_PROBE 8
#define RL_WINDOW_S 60
/* source address (16 bytes, IPv4 mapped) then the user name tried */
#define RL_ADDR_LEN 16
#define RL_KEY_LEN (RL_ADDR_LEN + IDENTITY_NAME_MAX)
/* Waiting checks per pool thread: a login that would wait longer than a
 * few KDF runs is better answered 503 with Retry-After at once. */
#define KDF_QUEUE_PER_THREAD 4
#define KDF_IDLE_MS 10000

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

/* Failed password attempts per (source, user name): a fixed window of
 * RL_WINDOW_S seconds opened by the first failure. IPv6 sources are counted
 * per /64, since one host usually holds a whole /64. A limited pair gets 429
 * before any KDF work, for right and wrong passwords alike, so the limit
 * caps both guessing and the CPU spent on it. Keyed by the pair, guessing
 * at one user never locks out another user behind the same address (a
 * NAT), nor that user from elsewhere; guessing one user from many
 * addresses is what the account lockout counts. */
struct rl_entry {
	unsigned char key[RL_KEY_LEN];
	bool used;
	time_t start;
	unsigned count;
};

struct authn {
	struct accounts *accounts;
	struct sessions *sessions;
	struct authn_config cfg;
	unsigned char key[32];
	uint64_t rl_seed;
	pthread_mutex_t lock;
	struct cache_entry cache[CACHE_SLOTS];
	/* One verification at a time per cache slot: a burst of requests with
	 * the same new credential (a client opening many connections at once)
	 * then costs one KDF run, not one per connection. */
	pthread_mutex_t verifying[CACHE_SLOTS];
	struct rl_entry rl[RL_SLOTS];
	struct workpool *kdf; /* where password checks run, off the HTTP threads */
	atomic_uint kdf_load;  /* checks admitted and not yet done */
	unsigned kdf_limit;
};

int authn_new(struct accounts *accounts, struct sessions *sessions,
	      const struct authn_config *cfg, struct authn **out)
{
	struct authn *a = calloc(1, sizeof(*a));
	unsigned threads;

	if (!a)
		return -ENOMEM;
	if (gnutls_rnd(GNUTLS_RND_KEY, a->key, sizeof(a->key)) ||
	    gnutls_rnd(GNUTLS_RND_KEY, &a->rl_seed, sizeof(a->rl_seed))) {
		free(a);
		return -EIO;
	}
	if (workpool_new(cfg->kdf_threads ? cfg->kdf_threads : 1, KDF_IDLE_MS, &a->kdf)) {
		free(a);
		return -ENOMEM;
	}
	workpool_name(a->kdf, "password-check");
	threads = cfg->kdf_threads ? cfg->kdf_threads : 1;
	a->kdf_limit = threads + (cfg->kdf_queue ? cfg->kdf_queue : KDF_QUEUE_PER_THREAD * threads);
	atomic_init(&a->kdf_load, 0);
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

static void rl_key(const char *peer, const char *user, unsigned char *key)
{
	struct in6_addr in6;
	struct in_addr in4;

	memset(key, 0, RL_KEY_LEN);
	/* longer names share their first 63 bytes' counter: never fewer limits */
	if (user)
		memcpy(key + RL_ADDR_LEN, user, strnlen(user, IDENTITY_NAME_MAX - 1));
	if (!peer)
		return;
	if (inet_pton(AF_INET, peer, &in4) == 1) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &in4, 4);
	} else if (inet_pton(AF_INET6, peer, &in6) == 1) {
		memcpy(key, &in6, 16);
		/* v4-mapped addresses stay whole; other IPv6 counts per /64 */
		if (!IN6_IS_ADDR_V4MAPPED(&in6))
			memset(key + 8, 0, 8);
	}
}

static uint64_t rl_hash(const struct authn *a, const unsigned char *key)
{
	uint64_t h = a->rl_seed ^ 1469598103934665603ull;
	for (int i = 0; i < RL_KEY_LEN; i++) {
		h ^= key[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* Caller holds the lock. The entry for key, or NULL. */
static const struct rl_entry *rl_find(const struct authn *a, const unsigned char *key)
{
	uint64_t h = rl_hash(a, key);
	for (size_t p = 0; p < RL_PROBE; p++) {
		const struct rl_entry *e = &a->rl[(h + p) % RL_SLOTS];
		if (e->used && memcmp(e->key, key, RL_KEY_LEN) == 0)
			return e;
	}
	return NULL;
}

/* Caller holds the lock. The entry for key, a free or stale one to reuse,
 * or the oldest among the probed slots. */
static struct rl_entry *rl_slot(struct authn *a, const unsigned char *key, time_t now)
{
	uint64_t h = rl_hash(a, key);
	struct rl_entry *spare = NULL;

	for (size_t p = 0; p < RL_PROBE; p++) {
		struct rl_entry *e = &a->rl[(h + p) % RL_SLOTS];
		if (e->used && memcmp(e->key, key, RL_KEY_LEN) == 0)
			return e;
		if (!e->used || now - e->start >= RL_WINDOW_S) {
			if (!spare || spare->used)
				spare = e;
		} else if (!spare || (spare->used && e->start < spare->start)) {
			spare = e;
		}
	}
	memset(spare, 0, sizeof(*spare));
	memcpy(spare->key, key, RL_KEY_LEN);
	return spare;
}

/* Seconds the pair must wait, 0 when it may try. */
static unsigned rl_check(struct authn *a, const char *peer, const char *user)
{
	unsigned char key[RL_KEY_LEN];
	unsigned wait = 0;
	time_t now = clock_monotonic_s(a->cfg.clock);

	if (!a->cfg.failures_per_minute)
		return 0;
	rl_key(peer, user, key);
	pthread_mutex_lock(&a->lock);
	const struct rl_entry *e = rl_find(a, key);
	if (e && now - e->start < RL_WINDOW_S && e->count >= a->cfg.failures_per_minute)
		wait = (unsigned)(e->start + RL_WINDOW_S - now);
	pthread_mutex_unlock(&a->lock);
	return wait;
}

static void rl_fail(struct authn *a, const char *peer, const char *user)
{
	unsigned char key[RL_KEY_LEN];
	time_t now = clock_monotonic_s(a->cfg.clock);

	if (!a->cfg.failures_per_minute)
		return;
	rl_key(peer, user, key);
	pthread_mutex_lock(&a->lock);
	struct rl_entry *e = rl_slot(a, key, now);
	if (!e->used || now - e->start >= RL_WINDOW_S) {
		e->used = true;
		e->start = now;
		e->count = 0;
	}
	e->count++;
	if (e->count == a->cfg.failures_per_minute) {
		char safe[IDENTITY_NAME_MAX];
		authn_log_safe(user, safe, sizeof(safe));
		log_warn("authentication: %u failed password attempts for \"%s\" from %s within "
			 "%d s; further attempts for that user from there refused for the rest of "
			 "the minute",
			 e->count, safe, peer ? peer : "unknown", RL_WINDOW_S);
	}
	pthread_mutex_unlock(&a->lock);
}

unsigned authn_retry_after(struct authn *a, const char *peer, const char *user)
{
	return rl_check(a, peer, user);
}

unsigned authn_request_retry_after(struct authn *a, const struct http_request *req)
{
	const char *hdr = http_request_header(req, "Authorization");
	char user[IDENTITY_NAME_MAX], pass[256];
	unsigned wait = 0;

	if (hdr && authn_parse_basic(hdr, user, sizeof(user), pass, sizeof(pass)) == 0)
		wait = rl_check(a, req->peer, user);
	OPENSSL_cleanse(pass, sizeof(pass));
	return wait;
}

int authn_parse_basic(const char *header, char *user, size_t ulen, char *pass, size_t plen)
{
	unsigned char buf[512];
	size_t n, dec;
	char *colon;

	if (strncasecmp(header, "Basic ", 6) != 0)
		return -EINVAL;
	header += 6;
	while (*header == ' ')
		header++;
	n = strlen(header);
	if (n == 0 || base64_decode_into(header, n, buf, sizeof(buf) - 1, &dec))
		return -EINVAL;
	buf[dec] = '\0';
	if (memchr(buf, '\0', dec))
		return -EINVAL;
	colon = strchr((char *)buf, ':');
	if (!colon || colon == (char *)buf)
		return -EINVAL;
	*colon = '\0';
	if (strlen((char *)buf) >= ulen || strlen(colon + 1) >= plen)
		return -EINVAL;
	memcpy(user, buf, strlen((char *)buf) + 1);
	memcpy(pass, colon + 1, strlen(colon + 1) + 1);
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
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
	if (accounts_check_password(r->a->accounts, r->user, r->pass, &who) == ACCOUNT_OK)
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

/* One password attempt, from Basic or a session login. */
static enum authn_result password_attempt(struct authn *a, const char *user, const char *pass,
					  const char *peer, const char *how, bool cacheable,
					  bool may_block, struct identity *who)
{
	unsigned char mac[MAC_LEN];
	enum account_check st;
	char safe[IDENTITY_NAME_MAX];
	uint64_t gen;
	unsigned wait;

	authn_log_safe(user, safe, sizeof(safe));
	if ((wait = rl_check(a, peer, user))) {
		log_warn("authentication refused: user \"%s\" from %s (%s): rate limited for %u s",
			 safe, peer ? peer : "unknown", how, wait);
		return AUTHN_RATE_LIMITED;
	}
	cacheable = cacheable && a->cfg.cache_ttl_s;
	gen = accounts_generation(a->accounts);
	if (cacheable) {
		int hit;

		credential_mac(a, user, pass, mac);
		if ((hit = cache_hit(a, mac, user, gen))) {
			if (hit == 2)
				refresh_ahead(a, mac, user, pass, gen);
			goto cached;
		}
	}
	if (!may_block)
		return AUTHN_WOULD_BLOCK;
	if (cacheable) {
		pthread_mutex_lock(&a->verifying[mac[0] % CACHE_SLOTS]);
		if (cache_hit(a, mac, user, gen)) {
			pthread_mutex_unlock(&a->verifying[mac[0] % CACHE_SLOTS]);
			goto cached;
		}
	}
	st = accounts_check_password(a->accounts, user, pass, who);
	if (st == ACCOUNT_OK && cacheable)
		cache_put(a, mac, user, gen);
	if (cacheable)
		pthread_mutex_unlock(&a->verifying[mac[0] % CACHE_SLOTS]);
	if (st == ACCOUNT_OK)
		return AUTHN_OK;
	goto failed;
cached:
	st = accounts_resolve(a->accounts, user, who);
	if (st == ACCOUNT_OK)
		return AUTHN_OK;
failed:
	rl_fail(a, peer, user);
	log_info("authentication failed: user \"%s\" from %s (%s): %s", safe,
		 peer ? peer : "unknown", how, check_reason(st));
	return AUTHN_FAILED;
}

enum authn_result authn_password(struct authn *a, const char *user, const char *password,
				 const char *peer, struct identity *who)
{
	enum authn_result r;

	memset(who, 0, sizeof(*who));
	who->peer = peer;
	r = password_attempt(a, user, password, peer, "session login", false, true, who);
	if (r == AUTHN_OK)
		who->method = AUTH_SESSION;
	return r;
}

static enum authn_result basic(struct authn *a, const char *header, const char *peer,
			       bool may_block, struct identity *who)
{
	char user[IDENTITY_NAME_MAX], pass[256];
	enum authn_result res;

	if (authn_parse_basic(header, user, sizeof(user), pass, sizeof(pass))) {
		log_info("authentication failed from %s (Basic): malformed credentials",
			 peer ? peer : "unknown");
		return AUTHN_FAILED;
	}
	res = password_attempt(a, user, pass, peer, "Basic", true, may_block, who);
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
		log_info("authentication failed from %s (Session): unknown, ended or expired token",
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

/* The account a verified client certificate maps to. */
static enum authn_result certificate(struct authn *a, const struct http_request *req,
				     struct identity *who)
{
	char names[CERTMAP_NAMES_MAX][IDENTITY_NAME_MAX];
	const char *peer = req->peer ? req->peer : "unknown";
	int n;

	if (!req->cert.verified) {
		log_info("authentication failed from %s (Certificate): %s", peer,
			 req->cert.verify_error[0] ? req->cert.verify_error : "not verified");
		return AUTHN_FAILED;
	}
	n = certmap_names(req->cert.der, req->cert.der_len, a->cfg.cert_identity, names,
			  CERTMAP_NAMES_MAX);
	if (n < 0) {
		log_info("authentication failed from %s (Certificate): %s", peer,
			 n == -EKEYEXPIRED    ? "outside its validity period"
			 : n == -EKEYREJECTED ? "not for client authentication"
			 : n == -ENOENT	      ? "no usable name"
					      : "unparsable");
		return AUTHN_FAILED;
	}
	for (int i = 0; i < n; i++) {
		if (accounts_resolve(a->accounts, names[i], who) == ACCOUNT_OK) {
			who->method = AUTH_CERTIFICATE;
			return AUTHN_OK;
		}
	}
	log_info("authentication failed from %s (Certificate): \"%s\"%s maps to no enabled account",
		 peer, names[0], n > 1 ? " (and other names)" : "");
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
		log_info("request from %s refused: client certificate required",
			 req->peer ? req->peer : "unknown");
		return AUTHN_FAILED;
	}
	memset(&scratch, 0, sizeof(scratch));
	return certificate(a, req, &scratch);
}

static enum authn_result request(struct authn *a, const struct http_request *req,
				 bool may_block, struct identity *who)
{
	const char *token = http_request_header(req, "X-Auth-Token");
	const char *hdr = http_request_header(req, "Authorization");

	memset(who, 0, sizeof(*who));
	who->peer = req->peer;
	if (token)
		return session_token(a, token, req->peer, who);
	if (hdr) {
		if (strncasecmp(hdr, "Basic ", 6) != 0) {
			log_info("authentication failed from %s: unsupported Authorization scheme",
				 req->peer ? req->peer : "unknown");
			return AUTHN_FAILED;
		}
		return basic(a, hdr, req->peer, may_block, who);
	}
	if (a->cfg.client_auth != HTTP_CLIENT_AUTH_OFF && req->cert.present)
		return certificate(a, req, who);
	return AUTHN_NO_CREDENTIALS;
}

enum authn_result authn_request(struct authn *a, const struct http_request *req,
				struct identity *who)
{
	return request(a, req, true, who);
}

enum authn_result authn_request_nowait(struct authn *a, const struct http_request *req,
				       struct identity *who)
{
	return request(a, req, false, who);
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

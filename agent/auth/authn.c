#include "auth/authn.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/log.h"

#define CACHE_SLOTS 256
#define MAC_LEN 32

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
};

struct authn {
	struct accounts *accounts;
	unsigned ttl;
	unsigned char key[32];
	pthread_mutex_t lock;
	struct cache_entry cache[CACHE_SLOTS];
};

int authn_new(struct accounts *accounts, unsigned cache_ttl_s, struct authn **out)
{
	struct authn *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	if (RAND_bytes(a->key, sizeof(a->key)) != 1) {
		free(a);
		return -EIO;
	}
	a->accounts = accounts;
	a->ttl = cache_ttl_s;
	pthread_mutex_init(&a->lock, NULL);
	*out = a;
	return 0;
}

void authn_free(struct authn *a)
{
	if (!a)
		return;
	OPENSSL_cleanse(a->key, sizeof(a->key));
	pthread_mutex_destroy(&a->lock);
	free(a);
}

int authn_parse_basic(const char *header, char *user, size_t ulen, char *pass, size_t plen)
{
	unsigned char buf[512];
	size_t n;
	int dec;
	char *colon;

	if (strncasecmp(header, "Basic ", 6) != 0)
		return -EINVAL;
	header += 6;
	while (*header == ' ')
		header++;
	n = strlen(header);
	if (n == 0 || n % 4 || n / 4 * 3 >= sizeof(buf))
		return -EINVAL;
	dec = EVP_DecodeBlock(buf, (const unsigned char *)header, (int)n);
	if (dec < 0)
		return -EINVAL;
	if (header[n - 1] == '=')
		dec--;
	if (header[n - 2] == '=')
		dec--;
	buf[dec] = '\0';
	if (memchr(buf, '\0', (size_t)dec))
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
	unsigned int len = MAC_LEN;
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = m ? EVP_MAC_CTX_new(m) : NULL;
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0),
				OSSL_PARAM_construct_end() };
	size_t out = 0;

	memset(mac, 0, MAC_LEN);
	if (ctx && EVP_MAC_init(ctx, a->key, sizeof(a->key), params) == 1) {
		EVP_MAC_update(ctx, (const unsigned char *)user, strlen(user) + 1);
		EVP_MAC_update(ctx, (const unsigned char *)pass, strlen(pass));
		EVP_MAC_final(ctx, mac, &out, len);
	}
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(m);
}

static int cache_hit(struct authn *a, const unsigned char *mac, const char *user, uint64_t gen)
{
	time_t now = time(NULL);
	int hit = 0;
	size_t slot = mac[0] % CACHE_SLOTS;

	pthread_mutex_lock(&a->lock);
	struct cache_entry *e = &a->cache[slot];
	if (e->used && e->generation == gen && e->expires > now && strcmp(e->user, user) == 0 &&
	    CRYPTO_memcmp(e->mac, mac, MAC_LEN) == 0)
		hit = 1;
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
	e->expires = time(NULL) + (time_t)a->ttl;
	e->used = 1;
	pthread_mutex_unlock(&a->lock);
}

static enum authn_result basic(struct authn *a, const char *header, struct identity *who)
{
	char user[IDENTITY_NAME_MAX], pass[256];
	unsigned char mac[MAC_LEN];
	enum authn_result res = AUTHN_FAILED;
	uint64_t gen;

	if (authn_parse_basic(header, user, sizeof(user), pass, sizeof(pass)))
		return AUTHN_FAILED;
	gen = accounts_generation(a->accounts);
	if (a->ttl) {
		credential_mac(a, user, pass, mac);
		if (cache_hit(a, mac, user, gen)) {
			res = accounts_resolve(a->accounts, user, who) == ACCOUNT_OK ? AUTHN_OK
										   : AUTHN_FAILED;
			goto out;
		}
	}
	if (accounts_check_password(a->accounts, user, pass, who) == ACCOUNT_OK) {
		res = AUTHN_OK;
		if (a->ttl)
			cache_put(a, mac, user, gen);
	}
out:
	OPENSSL_cleanse(pass, sizeof(pass));
	if (res == AUTHN_OK)
		who->method = AUTH_BASIC;
	else
		log_info("authentication failed: user \"%s\" (Basic)", user);
	return res;
}

enum authn_result authn_request(struct authn *a, const struct http_request *req,
				struct identity *who)
{
	const char *hdr = http_request_header(req, "Authorization");

	memset(who, 0, sizeof(*who));
	who->peer = req->peer;
	if (!hdr)
		return AUTHN_NO_CREDENTIALS;
	return basic(a, hdr, who);
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

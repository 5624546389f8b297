#include "auth/sessions.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fileio.h"
#include "util/jsonmembers.h"

#define HASH_LEN 32

struct session {
	struct session_info info;
	unsigned char token_hash[HASH_LEN];
	time_t last_used; /* session clock */
};

struct sessions {
	pthread_mutex_t lock;
	unsigned timeout;
	unsigned max_total;
	unsigned max_per_user;
	unsigned reserved; /* places only privileged sessions may take */
	struct session *tab; /* max_total slots, the first n used, oldest first */
	size_t n;
	const struct clock_source *clock;
	char *store; /* settings file, or NULL */
};

int sessions_new(unsigned timeout_s, unsigned max_total, unsigned max_per_user,
		 struct sessions **out)
{
	struct sessions *s;

	if (!timeout_s || !max_total || !max_per_user)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->tab = calloc(max_total, sizeof(*s->tab));
	if (!s->tab) {
		free(s);
		return -ENOMEM;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->timeout = timeout_s;
	s->max_total = max_total;
	s->max_per_user = max_per_user;
	s->clock = clock_system();
	*out = s;
	return 0;
}

void sessions_free(struct sessions *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s->tab, s->max_total * sizeof(*s->tab));
	free(s->tab);
	free(s->store);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void sessions_set_clock(struct sessions *s, const struct clock_source *clock)
{
	pthread_mutex_lock(&s->lock);
	s->clock = clock ? clock : clock_system();
	pthread_mutex_unlock(&s->lock);
}

unsigned sessions_timeout(struct sessions *s)
{
	unsigned t;
	pthread_mutex_lock(&s->lock);
	t = s->timeout;
	pthread_mutex_unlock(&s->lock);
	return t;
}

#define SETTINGS_FILE_MAX 4096

enum { SET_TIMEOUT, SET__N };
static const struct jm_member settings_members[SET__N] = {
	[SET_TIMEOUT] = { "SessionTimeout", JM_INTEGER, JM_REQUIRED, SESSIONS_TIMEOUT_MIN,
			  SESSIONS_TIMEOUT_MAX, NULL, NULL },
};

/* The timeout kept in path; 0 in *timeout when there is no file. */
static int load_settings(const char *path, unsigned *timeout, char *err, size_t errlen)
{
	struct jm_value v[SET__N];
	struct jsonfile jf;
	/* Not followed out of the state directory, which the service user owns. */
	int rc = jsonfile_load_flags(path, O_NOFOLLOW, SETTINGS_FILE_MAX, &jf, err, errlen);

	*timeout = 0;
	if (rc == -ENOENT) {
		err[0] = '\0';
		return 0;
	}
	if (rc)
		return rc;
	rc = jm_read_file(&jf, NULL, jf.root, settings_members, SET__N, v, err, errlen);
	if (rc == 0)
		*timeout = (unsigned)v[SET_TIMEOUT].num;
	jsonfile_release(&jf);
	return rc;
}

int sessions_open_store(struct sessions *s, const char *path, char *err, size_t errlen)
{
	char *copy = strdup(path);
	unsigned timeout;
	int rc;

	if (!copy) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	file_remove_stale_temporaries(path);
	if ((rc = load_settings(path, &timeout, err, errlen))) {
		free(copy);
		return rc;
	}
	pthread_mutex_lock(&s->lock);
	free(s->store);
	s->store = copy;
	if (timeout)
		s->timeout = timeout;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int sessions_set_timeout(struct sessions *s, unsigned timeout_s)
{
	json_t *doc;
	char *text;
	int rc = 0;

	if (timeout_s < SESSIONS_TIMEOUT_MIN || timeout_s > SESSIONS_TIMEOUT_MAX)
		return -ERANGE;
	doc = json_pack("{s:I}", "SessionTimeout", (json_int_t)timeout_s);
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	/* the lock orders concurrent changes: the file and memory agree */
	pthread_mutex_lock(&s->lock);
	if (!text)
		rc = -ENOMEM;
	else if (s->store)
		rc = file_write_atomic(s->store, text, strlen(text), 0600);
	if (rc == 0)
		s->timeout = timeout_s;
	pthread_mutex_unlock(&s->lock);
	free(text);
	return rc;
}

static int token_hash(const char *token, unsigned char *out)
{
	return gnutls_hash_fast(GNUTLS_DIG_SHA256, token, strlen(token), out) == 0 ? 0 : -EIO;
}

static void remove_at(struct sessions *s, size_t i)
{
	memmove(&s->tab[i], &s->tab[i + 1], (s->n - i - 1) * sizeof(*s->tab));
	s->n--;
	OPENSSL_cleanse(&s->tab[s->n], sizeof(*s->tab));
}

/* Caller holds the lock. Removes every session idle for the timeout or
 * longer; returns the session clock's now. */
static time_t sweep_locked(struct sessions *s)
{
	time_t now = clock_monotonic_s(s->clock);
	size_t i = 0;

	while (i < s->n) {
		if (now - s->tab[i].last_used >= (time_t)s->timeout)
			remove_at(s, i);
		else
			i++;
	}
	return now;
}

static void info_locked(const struct sessions *s, const struct session *se, time_t now,
			struct session_info *out)
{
	*out = se->info;
	out->expires = clock_realtime_s(s->clock) + (time_t)s->timeout - (now - se->last_used);
}

static void hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void sessions_set_reserve(struct sessions *s, unsigned reserved)
{
	pthread_mutex_lock(&s->lock);
	s->reserved = reserved < s->max_total ? reserved : s->max_total - 1;
	pthread_mutex_unlock(&s->lock);
}

static int create(struct sessions *s, const char *user, const char *peer, const char *context,
		  bool privileged, char *token, size_t toklen, struct session_info *out)
{
	unsigned char raw[SESSION_TOKEN_BYTES], idraw[8];
	struct session se;
	size_t mine = 0;
	time_t now;
	int rc = 0;

	if (toklen < SESSION_TOKEN_MAX)
		return -EINVAL;
	memset(&se, 0, sizeof(se));
	if (gnutls_rnd(GNUTLS_RND_KEY, raw, sizeof(raw)) ||
	    gnutls_rnd(GNUTLS_RND_RANDOM, idraw, sizeof(idraw)))
		return -EIO;
	hex(raw, sizeof(raw), token);
	OPENSSL_cleanse(raw, sizeof(raw));
	if ((rc = token_hash(token, se.token_hash)))
		goto fail;
	hex(idraw, sizeof(idraw), se.info.id);
	snprintf(se.info.user, sizeof(se.info.user), "%s", user);
	snprintf(se.info.peer, sizeof(se.info.peer), "%s", peer ? peer : "");
	snprintf(se.info.context, sizeof(se.info.context), "%s", context ? context : "");

	pthread_mutex_lock(&s->lock);
	se.info.created = clock_realtime_s(s->clock);
	now = sweep_locked(s);
	for (size_t i = 0; i < s->n; i++)
		mine += strcmp(s->tab[i].info.user, user) == 0;
	if (mine >= s->max_per_user)
		rc = -EUSERS;
	else if (s->n >= s->max_total || (!privileged && s->n >= s->max_total - s->reserved))
		rc = -ENOSPC;
	if (!rc) {
		se.last_used = now;
		s->tab[s->n++] = se;
		if (out)
			info_locked(s, &s->tab[s->n - 1], now, out);
	}
	pthread_mutex_unlock(&s->lock);
	OPENSSL_cleanse(&se, sizeof(se));
	if (!rc)
		return 0;
fail:
	OPENSSL_cleanse(token, toklen);
	return rc;
}

int sessions_create(struct sessions *s, const char *user, const char *peer, const char *context,
		    char *token, size_t toklen, struct session_info *out)
{
	return create(s, user, peer, context, false, token, toklen, out);
}

int sessions_create_privileged(struct sessions *s, const char *user, const char *peer,
			       const char *context, char *token, size_t toklen,
			       struct session_info *out)
{
	return create(s, user, peer, context, true, token, toklen, out);
}

int sessions_lookup(struct sessions *s, const char *token, struct session_info *out)
{
	unsigned char h[HASH_LEN];
	size_t found = (size_t)-1;
	time_t now;

	if (strlen(token) != 2 * SESSION_TOKEN_BYTES || token_hash(token, h))
		return -ENOENT;
	pthread_mutex_lock(&s->lock);
	now = sweep_locked(s);
	/* Every entry is compared, so the time taken does not say where (or
	 * whether) a match was. */
	for (size_t i = 0; i < s->n; i++)
		if (CRYPTO_memcmp(s->tab[i].token_hash, h, HASH_LEN) == 0)
			found = i;
	if (found != (size_t)-1) {
		s->tab[found].last_used = now;
		if (out)
			info_locked(s, &s->tab[found], now, out);
	}
	pthread_mutex_unlock(&s->lock);
	return found != (size_t)-1 ? 0 : -ENOENT;
}

int sessions_get(struct sessions *s, const char *id, struct session_info *out)
{
	int rc = -ENOENT;
	time_t now;

	pthread_mutex_lock(&s->lock);
	now = sweep_locked(s);
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->tab[i].info.id, id) == 0) {
			if (out)
				info_locked(s, &s->tab[i], now, out);
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int sessions_list(struct sessions *s, struct session_info **out, size_t *n)
{
	time_t now;

	pthread_mutex_lock(&s->lock);
	now = sweep_locked(s);
	*out = calloc(s->n ? s->n : 1, sizeof(**out));
	if (*out) {
		for (size_t i = 0; i < s->n; i++)
			info_locked(s, &s->tab[i], now, &(*out)[i]);
		*n = s->n;
	}
	pthread_mutex_unlock(&s->lock);
	return *out ? 0 : -ENOMEM;
}

int sessions_delete(struct sessions *s, const char *id)
{
	int rc = -ENOENT;

	pthread_mutex_lock(&s->lock);
	sweep_locked(s);
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->tab[i].info.id, id) == 0) {
			remove_at(s, i);
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

size_t sessions_delete_user(struct sessions *s, const char *user, const char *keep_id)
{
	size_t removed = 0, i = 0;

	pthread_mutex_lock(&s->lock);
	sweep_locked(s);
	while (i < s->n) {
		const struct session_info *in = &s->tab[i].info;
		if (strcmp(in->user, user) == 0 && !(keep_id && strcmp(in->id, keep_id) == 0)) {
			remove_at(s, i);
			removed++;
		} else {
			i++;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return removed;
}

size_t sessions_count(struct sessions *s)
{
	size_t n;
	pthread_mutex_lock(&s->lock);
	sweep_locked(s);
	n = s->n;
	pthread_mutex_unlock(&s->lock);
	return n;
}

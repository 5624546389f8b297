/* The in-memory account store: lookup, password checks with lockout,
 * account changes and the lockout settings. */
#include "auth/accounts.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/accounts_internal.h"
#include "auth/password.h"
#include "util/clock.h"
#include "util/log.h"

struct accounts *acct_alloc(const char *path, unsigned iterations)
{
	struct accounts *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	pthread_mutex_init(&a->lock, NULL);
	a->path = strdup(path);
	a->acct = calloc(ACCOUNTS_MAX, sizeof(*a->acct));
	a->roles = calloc(ACCOUNTS_MAX, sizeof(*a->roles));
	a->iterations = iterations;
	a->lockout_threshold = 5;
	a->lockout_duration_s = 300;
	a->lockout_reset_after_s = 300;
	if (!a->path || !a->acct || !a->roles) {
		accounts_free(a);
		return NULL;
	}
	return a;
}

void accounts_free(struct accounts *a)
{
	if (!a)
		return;
	pthread_mutex_destroy(&a->lock);
	free(a->path);
	if (a->acct)
		OPENSSL_cleanse(a->acct, ACCOUNTS_MAX * sizeof(*a->acct));
	free(a->acct);
	free(a->roles);
	free(a);
}

void accounts_set_clock(struct accounts *a, const struct clock_source *clock)
{
	pthread_mutex_lock(&a->lock);
	a->clock = clock;
	pthread_mutex_unlock(&a->lock);
}

int accounts_bootstrap(struct accounts *a, const char *password, char *generated,
		       size_t genlen)
{
	char pw[25];
	struct account *ac;
	int rc;

	pthread_mutex_lock(&a->lock);
	if (a->n > 0) {
		pthread_mutex_unlock(&a->lock);
		return 0;
	}
	if (!password) {
		if ((rc = password_generate(pw, 20)))
			goto out;
		password = pw;
		snprintf(generated, genlen, "%s", pw);
	}
	ac = &a->acct[0];
	memset(ac, 0, sizeof(*ac));
	snprintf(ac->id, sizeof(ac->id), "1");
	snprintf(ac->user, sizeof(ac->user), "admin");
	snprintf(ac->role, sizeof(ac->role), "Administrator");
	ac->enabled = true;
	if ((rc = password_hash(password, a->iterations, ac->hash, sizeof(ac->hash))))
		goto out;
	a->n = 1;
	rc = acct_save_locked(a);
	if (rc)
		a->n = 0;
	else
		rc = 1;
	a->generation++;
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	pthread_mutex_unlock(&a->lock);
	return rc;
}

static struct account *find_locked(struct accounts *a, const char *user)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->acct[i].user, user) == 0)
			return &a->acct[i];
	return NULL;
}

static struct account *find_id_locked(struct accounts *a, const char *id)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->acct[i].id, id) == 0)
			return &a->acct[i];
	return NULL;
}

static void fill_identity(const struct accounts *a, const struct account *ac, struct identity *who)
{
	snprintf(who->user, sizeof(who->user), "%s", ac->user);
	snprintf(who->role, sizeof(who->role), "%s", ac->role);
	who->privileges = acct_role_privileges(a, ac->role);
}

static bool is_locked(const struct account *ac, time_t now)
{
	return ac->locked_until > now;
}

static enum account_check state_locked(struct account *ac, time_t now)
{
	if (!ac->enabled)
		return ACCOUNT_DISABLED;
	if (is_locked(ac, now))
		return ACCOUNT_LOCKED;
	return ACCOUNT_OK;
}

/* Strong entity tag from the parts, each followed by a NUL so that no two
 * different sequences hash alike. */
void acct_etag_of(const char *const *parts, size_t nparts, char *out)
{
	unsigned char md[32];
	gnutls_hash_hd_t h;
	int rc = gnutls_hash_init(&h, GNUTLS_DIG_SHA256);

	if (rc == 0) {
		for (size_t i = 0; rc == 0 && i < nparts; i++)
			rc = gnutls_hash(h, parts[i], strlen(parts[i]) + 1);
		gnutls_hash_deinit(h, md);
	}
	if (rc)
		memset(md, 0, sizeof(md));
	snprintf(out, ACCOUNT_ETAG_MAX, "\"%02x%02x%02x%02x%02x%02x%02x%02x\"", md[0], md[1],
		 md[2], md[3], md[4], md[5], md[6], md[7]);
}

/* The hash is part of the tag, so a password change (new salt) changes it;
 * the hash itself never leaves this file. */
static void info_locked(const struct account *ac, time_t now, struct account_info *out)
{
	const char *parts[6];

	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "%s", ac->id);
	snprintf(out->user, sizeof(out->user), "%s", ac->user);
	snprintf(out->role, sizeof(out->role), "%s", ac->role);
	out->enabled = ac->enabled;
	out->locked = is_locked(ac, now);
	parts[0] = ac->id;
	parts[1] = ac->user;
	parts[2] = ac->role;
	parts[3] = ac->enabled ? "1" : "0";
	parts[4] = out->locked ? "1" : "0";
	parts[5] = ac->hash;
	acct_etag_of(parts, 6, out->etag);
}

enum account_check accounts_check_password(struct accounts *a, const char *user,
					   const char *password, struct identity *who)
{
	char hash[PASSWORD_HASH_MAX];
	struct account *ac;
	enum account_check st;
	time_t now = clock_monotonic_s(a->clock);
	int ok;

	/* Every outcome costs one KDF run (unknown users one at the configured
	 * cost, disabled and locked accounts one against their own hash), so
	 * the time of a refusal does not tell which account state caused it. */
	pthread_mutex_lock(&a->lock);
	ac = find_locked(a, user);
	if (!ac) {
		pthread_mutex_unlock(&a->lock);
		password_burn(password, a->iterations);
		return ACCOUNT_BAD_CREDENTIALS;
	}
	st = state_locked(ac, now);
	memcpy(hash, ac->hash, sizeof(hash));
	pthread_mutex_unlock(&a->lock);

	/* The KDF runs without the lock: it is the slow part. */
	ok = password_verify(password, hash);
	OPENSSL_cleanse(hash, sizeof(hash));
	if (st != ACCOUNT_OK)
		return st;

	pthread_mutex_lock(&a->lock);
	ac = find_locked(a, user);
	if (!ac) {
		st = ACCOUNT_BAD_CREDENTIALS;
	} else if (ok == 1) {
		st = state_locked(ac, now);
		if (st == ACCOUNT_OK) {
			ac->failures = 0;
			fill_identity(a, ac, who);
		}
	} else {
		if (a->lockout_reset_after_s &&
		    now - ac->last_failure >= (time_t)a->lockout_reset_after_s)
			ac->failures = 0;
		ac->failures++;
		ac->last_failure = now;
		if (a->lockout_threshold && a->lockout_duration_s &&
		    ac->failures >= a->lockout_threshold && !is_locked(ac, now)) {
			ac->locked_until = now + (time_t)a->lockout_duration_s;
			ac->failures = 0;
			a->generation++;
			log_warn("account \"%s\" locked for %u s after %u failed logins", ac->user,
				 a->lockout_duration_s, a->lockout_threshold);
		}
		st = ACCOUNT_BAD_CREDENTIALS;
	}
	pthread_mutex_unlock(&a->lock);
	return st;
}

enum account_check accounts_resolve(struct accounts *a, const char *user, struct identity *who)
{
	struct account *ac;
	enum account_check st = ACCOUNT_BAD_CREDENTIALS;

	pthread_mutex_lock(&a->lock);
	ac = find_locked(a, user);
	if (ac) {
		st = ac->enabled ? ACCOUNT_OK : ACCOUNT_DISABLED;
		if (st == ACCOUNT_OK)
			fill_identity(a, ac, who);
	}
	pthread_mutex_unlock(&a->lock);
	return st;
}

uint64_t accounts_generation(struct accounts *a)
{
	uint64_t g;
	pthread_mutex_lock(&a->lock);
	g = a->generation;
	pthread_mutex_unlock(&a->lock);
	return g;
}

bool accounts_valid_user_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= IDENTITY_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-' || c == '@'))
			return false;
	}
	return true;
}

bool accounts_valid_role_id(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= IDENTITY_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int password_length_ok(const char *password)
{
	size_t n = strlen(password);
	return n >= ACCOUNT_PASSWORD_MIN && n <= ACCOUNT_PASSWORD_MAX;
}

bool accounts_etag_match(const char *if_match, const char *etag)
{
	const char *p = if_match;
	size_t elen = strlen(etag);

	while (*p) {
		const char *start, *end;
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		start = p;
		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		p = end;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end - start == 1 && *start == '*')
			return true;
		if (end - start > 2 && start[0] == 'W' && start[1] == '/')
			start += 2;
		if ((size_t)(end - start) == elen && memcmp(start, etag, elen) == 0)
			return true;
	}
	return false;
}

int accounts_list(struct accounts *a, struct account_info **out, size_t *n)
{
	time_t now = clock_monotonic_s(a->clock);

	pthread_mutex_lock(&a->lock);
	*out = calloc(a->n ? a->n : 1, sizeof(**out));
	if (!*out) {
		pthread_mutex_unlock(&a->lock);
		return -ENOMEM;
	}
	for (size_t i = 0; i < a->n; i++)
		info_locked(&a->acct[i], now, &(*out)[i]);
	*n = a->n;
	pthread_mutex_unlock(&a->lock);
	/* Numeric ids sort numerically; the table is kept in creation order. */
	for (size_t i = 1; i < *n; i++) {
		for (size_t j = i; j > 0; j--) {
			struct account_info *x = &(*out)[j - 1], *y = &(*out)[j];
			size_t lx = strlen(x->id), ly = strlen(y->id);
			if (lx < ly || (lx == ly && strcmp(x->id, y->id) <= 0))
				break;
			struct account_info t = *x;
			*x = *y;
			*y = t;
		}
	}
	return 0;
}

int accounts_get(struct accounts *a, const char *id, struct account_info *out)
{
	struct account *ac;
	int rc = -ENOENT;

	pthread_mutex_lock(&a->lock);
	if ((ac = find_id_locked(a, id))) {
		info_locked(ac, clock_monotonic_s(a->clock), out);
		rc = 0;
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int accounts_get_by_user(struct accounts *a, const char *user, struct account_info *out)
{
	struct account *ac;
	int rc = -ENOENT;

	pthread_mutex_lock(&a->lock);
	if ((ac = find_locked(a, user))) {
		info_locked(ac, clock_monotonic_s(a->clock), out);
		rc = 0;
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}

static bool is_admin_locked(const struct account *ac)
{
	return ac->enabled && strcmp(ac->role, "Administrator") == 0;
}

static size_t admins_locked(const struct accounts *a)
{
	size_t n = 0;
	for (size_t i = 0; i < a->n; i++)
		n += is_admin_locked(&a->acct[i]);
	return n;
}

int accounts_create(struct accounts *a, const char *user, const char *password,
		    const char *role, bool enabled, struct account_info *out)
{
	struct account ac;
	unsigned long next = 1;
	int rc;

	if (!accounts_valid_user_name(user))
		return -EINVAL;
	if (!password_length_ok(password))
		return -ERANGE;
	memset(&ac, 0, sizeof(ac));
	if ((rc = password_hash(password, a->iterations, ac.hash, sizeof(ac.hash))))
		return rc;
	snprintf(ac.user, sizeof(ac.user), "%s", user);
	ac.enabled = enabled;

	pthread_mutex_lock(&a->lock);
	if (strlen(role) >= sizeof(ac.role) || !acct_role_privileges(a, role)) {
		rc = -EINVAL;
		goto out;
	}
	snprintf(ac.role, sizeof(ac.role), "%s", role);
	if (find_locked(a, user)) {
		rc = -EEXIST;
		goto out;
	}
	if (a->n >= ACCOUNTS_MAX) {
		rc = -ENOSPC;
		goto out;
	}
	for (size_t i = 0; i < a->n; i++) {
		unsigned long v = strtoul(a->acct[i].id, NULL, 10);
		if (v >= next)
			next = v + 1;
	}
	snprintf(ac.id, sizeof(ac.id), "%lu", next);
	a->acct[a->n++] = ac;
	rc = acct_save_locked(a);
	if (rc) {
		a->n--;
		goto out;
	}
	a->generation++;
	if (out)
		info_locked(&a->acct[a->n - 1], clock_monotonic_s(a->clock), out);
out:
	pthread_mutex_unlock(&a->lock);
	OPENSSL_cleanse(&ac, sizeof(ac));
	return rc;
}

int accounts_update(struct accounts *a, const char *id, const struct account_change *c,
		    struct account_info *old, struct account_info *out)
{
	char hash[PASSWORD_HASH_MAX] = "";
	struct account *ac, saved;
	struct account_info cur;
	time_t now = clock_monotonic_s(a->clock);
	int rc = 0;

	if (c->user && !accounts_valid_user_name(c->user))
		return -EINVAL;
	if (c->password) {
		if (!password_length_ok(c->password))
			return -ERANGE;
		if ((rc = password_hash(c->password, a->iterations, hash, sizeof(hash))))
			return rc;
	}

	pthread_mutex_lock(&a->lock);
	ac = find_id_locked(a, id);
	if (!ac) {
		rc = -ENOENT;
		goto out;
	}
	info_locked(ac, now, &cur);
	if (old)
		*old = cur;
	if (c->if_match && !accounts_etag_match(c->if_match, cur.etag)) {
		rc = -ESTALE;
		goto out;
	}
	if (c->role && (strlen(c->role) >= sizeof(ac->role) || !acct_role_privileges(a, c->role))) {
		rc = -EINVAL;
		goto out;
	}
	if (c->user && strcmp(c->user, ac->user) != 0 && find_locked(a, c->user)) {
		rc = -EEXIST;
		goto out;
	}
	saved = *ac;
	if (c->user)
		snprintf(ac->user, sizeof(ac->user), "%s", c->user);
	if (c->role)
		snprintf(ac->role, sizeof(ac->role), "%s", c->role);
	if (c->enabled >= 0)
		ac->enabled = c->enabled != 0;
	if (c->password)
		memcpy(ac->hash, hash, sizeof(hash));
	if (c->unlock) {
		ac->locked_until = 0;
		ac->failures = 0;
	}
	if (is_admin_locked(&saved) && !is_admin_locked(ac) && admins_locked(a) == 0) {
		*ac = saved;
		rc = -EBUSY;
		goto out;
	}
	if ((rc = acct_save_locked(a))) {
		*ac = saved;
		goto out;
	}
	a->generation++;
	if (out)
		info_locked(ac, now, out);
out:
	pthread_mutex_unlock(&a->lock);
	OPENSSL_cleanse(hash, sizeof(hash));
	OPENSSL_cleanse(&saved, sizeof(saved));
	return rc;
}

int accounts_delete(struct accounts *a, const char *id, struct account_info *deleted)
{
	struct account *ac, saved;
	size_t idx;
	int rc = 0;

	pthread_mutex_lock(&a->lock);
	ac = find_id_locked(a, id);
	if (!ac) {
		rc = -ENOENT;
		goto out;
	}
	if (is_admin_locked(ac) && admins_locked(a) == 1) {
		rc = -EBUSY;
		goto out;
	}
	if (deleted)
		info_locked(ac, clock_monotonic_s(a->clock), deleted);
	idx = (size_t)(ac - a->acct);
	saved = *ac;
	memmove(&a->acct[idx], &a->acct[idx + 1], (a->n - idx - 1) * sizeof(*ac));
	a->n--;
	if ((rc = acct_save_locked(a))) {
		memmove(&a->acct[idx + 1], &a->acct[idx], (a->n - idx) * sizeof(*ac));
		a->acct[idx] = saved;
		a->n++;
	} else {
		OPENSSL_cleanse(&a->acct[a->n], sizeof(*ac));
		a->generation++;
	}
	OPENSSL_cleanse(&saved, sizeof(saved));
out:
	pthread_mutex_unlock(&a->lock);
	return rc;
}

static void settings_etag_locked(const struct accounts *a, char *etag)
{
	char buf[64];
	const char *parts[1] = { buf };

	snprintf(buf, sizeof(buf), "%u/%u/%u", a->lockout_threshold, a->lockout_duration_s,
		 a->lockout_reset_after_s);
	acct_etag_of(parts, 1, etag);
}

void accounts_settings_get(struct accounts *a, struct account_settings *s, char *etag)
{
	pthread_mutex_lock(&a->lock);
	s->lockout_threshold = a->lockout_threshold;
	s->lockout_duration_s = a->lockout_duration_s;
	s->lockout_reset_after_s = a->lockout_reset_after_s;
	if (etag)
		settings_etag_locked(a, etag);
	pthread_mutex_unlock(&a->lock);
}

int accounts_settings_set(struct accounts *a, const struct account_settings *s,
			  const char *if_match)
{
	struct account_settings before;
	char etag[ACCOUNT_ETAG_MAX];
	int rc = 0;

	if (s->lockout_duration_s && s->lockout_reset_after_s > s->lockout_duration_s)
		return -EINVAL;
	pthread_mutex_lock(&a->lock);
	settings_etag_locked(a, etag);
	if (if_match && !accounts_etag_match(if_match, etag)) {
		rc = -ESTALE;
		goto out;
	}
	before.lockout_threshold = a->lockout_threshold;
	before.lockout_duration_s = a->lockout_duration_s;
	before.lockout_reset_after_s = a->lockout_reset_after_s;
	a->lockout_threshold = s->lockout_threshold;
	a->lockout_duration_s = s->lockout_duration_s;
	a->lockout_reset_after_s = s->lockout_reset_after_s;
	if ((rc = acct_save_locked(a))) {
		a->lockout_threshold = before.lockout_threshold;
		a->lockout_duration_s = before.lockout_duration_s;
		a->lockout_reset_after_s = before.lockout_reset_after_s;
	}
out:
	pthread_mutex_unlock(&a->lock);
	return rc;
}

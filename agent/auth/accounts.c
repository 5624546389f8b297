#include "auth/accounts.h"

#include <dirent.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/password.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/jsonfile.h"
#include "util/jsonmembers.h"
#include "util/log.h"

#define ACCOUNTS_FILE_MAX (4u << 20)

struct account {
	char id[ACCOUNT_ID_MAX];
	char user[IDENTITY_NAME_MAX];
	char role[IDENTITY_NAME_MAX];
	char hash[PASSWORD_HASH_MAX];
	bool enabled;
	/* Failure counting and lockout live in memory only: persisting every
	 * failed login would turn a password guesser into a disk writer. */
	unsigned failures;
	time_t last_failure;
	time_t locked_until;
};

struct custom_role {
	char id[IDENTITY_NAME_MAX];
	privset_t privileges;
};

struct accounts {
	pthread_mutex_t lock;
	char *path;
	unsigned iterations;
	struct account *acct;
	size_t n;
	struct custom_role *roles;
	size_t nroles;
	unsigned lockout_threshold;     /* 0: no lockout */
	unsigned lockout_duration_s;
	unsigned lockout_reset_after_s;
	uint64_t generation;
	const struct clock_source *clock; /* lockout windows run on its monotonic clock */
};

static privset_t role_privileges(const struct accounts *a, const char *role)
{
	const struct role_def *def = role_predefined(role);
	if (def)
		return def->privileges;
	for (size_t i = 0; i < a->nroles; i++)
		if (strcmp(a->roles[i].id, role) == 0)
			return a->roles[i].privileges;
	return 0;
}

/* What the accounts file may hold (see save_locked for how it is written). */
enum { A_ID, A_USER, A_ROLE, A_ENABLED, A_HASH, A__N };
static const struct jm_member account_members[A__N] = {
	[A_ID] = { "Id", JM_STRING, JM_REQUIRED, 1, ACCOUNT_ID_MAX - 1, NULL, "a non-empty string" },
	[A_USER] = { "UserName", JM_STRING, JM_REQUIRED, 1, IDENTITY_NAME_MAX - 1, NULL,
		     "a non-empty string" },
	[A_ROLE] = { "RoleId", JM_STRING, JM_REQUIRED, 1, IDENTITY_NAME_MAX - 1, NULL,
		     "a non-empty string" },
	[A_ENABLED] = { "Enabled", JM_BOOLEAN, JM_REQUIRED, 0, 0, NULL, NULL },
	[A_HASH] = { "PasswordHash", JM_STRING, JM_REQUIRED, 1, PASSWORD_HASH_MAX - 1, NULL,
		     "a non-empty string" },
};
enum { R_ID, R_PRIVILEGES, R__N };
static const struct jm_member role_members[R__N] = {
	[R_ID] = { "Id", JM_STRING, JM_REQUIRED, 1, IDENTITY_NAME_MAX - 1, NULL,
		   "a string naming no predefined role" },
	[R_PRIVILEGES] = { "Privileges", JM_ARRAY, JM_REQUIRED, 1, 0, NULL,
			   "a non-empty array of privilege names" },
};
/* Lockout settings are durations in seconds: a year at most. */
#define SETTING_MAX (86400LL * 365)
static const struct jm_member settings_members[] = {
	{ "AccountLockoutThreshold", JM_INTEGER, 0, 0, SETTING_MAX, NULL, NULL },
	{ "AccountLockoutDuration", JM_INTEGER, 0, 0, SETTING_MAX, NULL, NULL },
	{ "AccountLockoutCounterResetAfter", JM_INTEGER, 0, 0, SETTING_MAX, NULL, NULL },
};
#define N_SETTINGS (sizeof(settings_members) / sizeof(settings_members[0]))
enum { F_VERSION, F_ACCOUNTS, F_ROLES, F_SETTINGS, F__N };
static const struct jm_member file_members[F__N] = {
	[F_VERSION] = { "Version", JM_INTEGER, JM_REQUIRED, 0, 0, NULL, NULL },
	[F_ACCOUNTS] = { "Accounts", JM_ARRAY, JM_REQUIRED, 0, ACCOUNTS_MAX, NULL, NULL },
	[F_ROLES] = { "Roles", JM_ARRAY, 0, 0, ACCOUNTS_MAX, NULL, NULL },
	[F_SETTINGS] = { "Settings", JM_OBJECT, 0, 0, 0, NULL, NULL },
};

static int parse_account(struct accounts *a, const struct jsonfile *jf, size_t i, json_t *o,
			 char *err, size_t errlen)
{
	char idx[24];
	const char *path[] = { "Accounts", idx, NULL, NULL };
	struct account *ac = &a->acct[a->n];
	struct jm_value v[A__N];
	int rc;

	snprintf(idx, sizeof(idx), "[%zu]", i);
	if ((rc = jm_read_file(jf, path, o, account_members, A__N, v, err, errlen)))
		return rc;
	memset(ac, 0, sizeof(*ac));
	/* the member bounds leave room for the NUL in each field */
	memcpy(ac->id, v[A_ID].str, v[A_ID].len + 1);
	memcpy(ac->user, v[A_USER].str, v[A_USER].len + 1);
	memcpy(ac->role, v[A_ROLE].str, v[A_ROLE].len + 1);
	memcpy(ac->hash, v[A_HASH].str, v[A_HASH].len + 1);
	ac->enabled = v[A_ENABLED].flag;
	path[2] = "RoleId";
	if (!role_privileges(a, ac->role))
		return jsonfile_error(jf, path, 0, err, errlen, "unknown role \"%s\"", ac->role);
	for (size_t k = 0; k < a->n; k++) {
		if (strcmp(a->acct[k].user, ac->user) == 0 || strcmp(a->acct[k].id, ac->id) == 0) {
			path[2] = "UserName";
			return jsonfile_error(jf, path, 0, err, errlen, "duplicate account \"%s\"",
					      ac->user);
		}
	}
	a->n++;
	return 0;
}

static int parse_role(struct accounts *a, const struct jsonfile *jf, size_t i, json_t *o,
		      char *err, size_t errlen)
{
	char idx[24], pidx[24];
	const char *path[] = { "Roles", idx, NULL, NULL, NULL };
	struct custom_role *r = &a->roles[a->nroles];
	struct jm_value v[R__N];
	json_t *p;
	size_t k;
	int rc;

	snprintf(idx, sizeof(idx), "[%zu]", i);
	if ((rc = jm_read_file(jf, path, o, role_members, R__N, v, err, errlen)))
		return rc;
	memset(r, 0, sizeof(*r));
	path[2] = "Id";
	if (role_predefined(v[R_ID].str))
		return jsonfile_error(jf, path, 0, err, errlen,
				      "Id must be a string naming no predefined role");
	memcpy(r->id, v[R_ID].str, v[R_ID].len + 1);
	path[2] = "Privileges";
	json_array_foreach(v[R_PRIVILEGES].json, k, p) {
		privset_t bit = json_is_string(p) ? privilege_from_name(json_string_value(p)) : 0;
		snprintf(pidx, sizeof(pidx), "[%zu]", k);
		path[3] = pidx;
		if (!bit)
			return jsonfile_error(jf, path, 0, err, errlen, "unknown privilege");
		r->privileges |= bit;
	}
	a->nroles++;
	return 0;
}

static int parse_settings(struct accounts *a, const struct jsonfile *jf, json_t *o, char *err,
			  size_t errlen)
{
	const char *path[] = { "Settings", NULL, NULL };
	unsigned *slots[N_SETTINGS] = { &a->lockout_threshold, &a->lockout_duration_s,
					&a->lockout_reset_after_s };
	struct jm_value v[N_SETTINGS];
	int rc;

	if ((rc = jm_read_file(jf, path, o, settings_members, N_SETTINGS, v, err, errlen)))
		return rc;
	for (size_t i = 0; i < N_SETTINGS; i++)
		if (v[i].json)
			*slots[i] = (unsigned)v[i].num;
	if (a->lockout_duration_s && a->lockout_reset_after_s > a->lockout_duration_s) {
		path[1] = "AccountLockoutCounterResetAfter";
		return jsonfile_error(jf, path, 0, err, errlen,
				      "must not exceed AccountLockoutDuration");
	}
	return 0;
}

static int parse_file(struct accounts *a, const struct jsonfile *jf, char *err, size_t errlen)
{
	const char *root[] = { NULL };
	struct jm_value v[F__N];
	json_t *item;
	size_t i;
	int rc;

	if ((rc = jm_read_file(jf, root, jf->root, file_members, F__N, v, err, errlen)))
		return rc;
	if (v[F_VERSION].num != 1) {
		const char *path[] = { "Version", NULL };
		return jsonfile_error(jf, path, 0, err, errlen, "unsupported Version (expected 1)");
	}
	/* Roles first: accounts name them. */
	json_array_foreach(v[F_ROLES].json, i, item) {
		if ((rc = parse_role(a, jf, i, item, err, errlen)))
			return rc;
	}
	if (v[F_SETTINGS].json && (rc = parse_settings(a, jf, v[F_SETTINGS].json, err, errlen)))
		return rc;
	json_array_foreach(v[F_ACCOUNTS].json, i, item) {
		if ((rc = parse_account(a, jf, i, item, err, errlen)))
			return rc;
	}
	return 0;
}

static json_t *privileges_json(privset_t set)
{
	json_t *arr = json_array();
	for (unsigned b = 0; arr && b < 31; b++)
		if (set & (1u << b) && privilege_name(1u << b))
			json_array_append_new(arr, json_string(privilege_name(1u << b)));
	return arr;
}

/* Caller holds the lock. */
static int save_locked(struct accounts *a)
{
	json_t *root = json_pack("{s:i, s:[], s:[], s:{s:i, s:i, s:i}}", "Version", 1,
				 "Accounts", "Roles", "Settings", "AccountLockoutThreshold",
				 (int)a->lockout_threshold, "AccountLockoutDuration",
				 (int)a->lockout_duration_s, "AccountLockoutCounterResetAfter",
				 (int)a->lockout_reset_after_s);
	char *text;
	int rc;

	if (!root)
		return -ENOMEM;
	for (size_t i = 0; i < a->n; i++) {
		const struct account *ac = &a->acct[i];
		if (json_array_append_new(json_object_get(root, "Accounts"),
					  json_pack("{s:s, s:s, s:s, s:b, s:s}", "Id", ac->id,
						    "UserName", ac->user, "RoleId", ac->role,
						    "Enabled", ac->enabled, "PasswordHash",
						    ac->hash))) {
			json_decref(root);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < a->nroles; i++) {
		if (json_array_append_new(json_object_get(root, "Roles"),
					  json_pack("{s:s, s:o}", "Id", a->roles[i].id,
						    "Privileges",
						    privileges_json(a->roles[i].privileges)))) {
			json_decref(root);
			return -ENOMEM;
		}
	}
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		return -ENOMEM;
	rc = file_write_atomic(a->path, text, strlen(text), 0600);
	OPENSSL_cleanse(text, strlen(text));
	free(text);
	if (rc)
		log_error("cannot rewrite %s: %s", a->path, strerror(-rc));
	return rc;
}

/* A crash between mkstemp and rename leaves "<file>.tmp.XXXXXX" behind; the
 * real file is intact (rename is atomic), so the leftovers only take space. */
static void remove_stale_temporaries(const char *path)
{
	char dir[4096], prefix[512];
	const char *slash = strrchr(path, '/');
	DIR *d;
	struct dirent *e;

	if (slash) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
		if (!dir[0])
			snprintf(dir, sizeof(dir), "/");
	} else {
		snprintf(dir, sizeof(dir), ".");
	}
	snprintf(prefix, sizeof(prefix), "%s.tmp.", slash ? slash + 1 : path);
	d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d))) {
		char full[4096 + 512];
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 ||
		    strlen(e->d_name) != strlen(prefix) + 6)
			continue;
		snprintf(full, sizeof(full), "%s/%s", dir, e->d_name);
		if (unlink(full) == 0)
			log_info("removed %s left by an interrupted rewrite", full);
	}
	closedir(d);
}

static struct accounts *accounts_alloc(const char *path, unsigned iterations)
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

/* Read a's file into a; a missing file leaves it empty. */
static int load_file(struct accounts *a, char *err, size_t errlen)
{
	struct jsonfile jf;
	int rc = jsonfile_load(a->path, ACCOUNTS_FILE_MAX, &jf, err, errlen);

	if (rc == -ENOENT) {
		err[0] = '\0';
		return 0;
	}
	if (!rc) {
		rc = parse_file(a, &jf, err, errlen);
		jsonfile_release(&jf);
	}
	if (rc && !err[0])
		snprintf(err, errlen, "%s: %s", a->path, strerror(-rc));
	return rc;
}

int accounts_open(const char *path, unsigned iterations, struct accounts **out, char *err,
		  size_t errlen)
{
	struct accounts *a = accounts_alloc(path, iterations);
	int rc;

	if (!a)
		return -ENOMEM;
	remove_stale_temporaries(path);
	rc = load_file(a, err, errlen);
	if (rc) {
		accounts_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

int accounts_check_file(const char *path, char *err, size_t errlen)
{
	struct accounts *a = accounts_alloc(path, 0);
	int rc;

	if (!a)
		return -ENOMEM;
	rc = load_file(a, err, errlen);
	accounts_free(a);
	return rc;
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
	rc = save_locked(a);
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
	who->privileges = role_privileges(a, ac->role);
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
static void etag_of(const char *const *parts, size_t nparts, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;

	for (size_t i = 0; ok && i < nparts; i++)
		ok = EVP_DigestUpdate(ctx, parts[i], strlen(parts[i]) + 1) == 1;
	if (ok)
		ok = EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
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
	etag_of(parts, 6, out->etag);
}

enum account_check accounts_check_password(struct accounts *a, const char *user,
					   const char *password, struct identity *who)
{
	char hash[PASSWORD_HASH_MAX];
	struct account *ac;
	enum account_check st;
	time_t now = clock_monotonic_s(a->clock);
	int ok;

	pthread_mutex_lock(&a->lock);
	ac = find_locked(a, user);
	if (!ac) {
		pthread_mutex_unlock(&a->lock);
		/* Spend the same work on unknown users so timing does not tell. */
		password_verify(password, "pbkdf2-sha256$210000$AAAAAAAAAAAAAAAAAAAAAA==$"
					  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
		return ACCOUNT_BAD_CREDENTIALS;
	}
	st = state_locked(ac, now);
	memcpy(hash, ac->hash, sizeof(hash));
	pthread_mutex_unlock(&a->lock);
	if (st != ACCOUNT_OK) {
		OPENSSL_cleanse(hash, sizeof(hash));
		return st;
	}

	/* The KDF runs without the lock: it is the slow part. */
	ok = password_verify(password, hash);
	OPENSSL_cleanse(hash, sizeof(hash));

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
	if (strlen(role) >= sizeof(ac.role) || !role_privileges(a, role)) {
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
	rc = save_locked(a);
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
	if (c->role && (strlen(c->role) >= sizeof(ac->role) || !role_privileges(a, c->role))) {
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
	if ((rc = save_locked(a))) {
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
	if ((rc = save_locked(a))) {
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

static void role_info_fill(const char *id, privset_t privileges, bool predefined,
			   struct role_info *out)
{
	char bits[16];
	const char *parts[2] = { id, bits };

	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "%s", id);
	out->privileges = privileges;
	out->predefined = predefined;
	snprintf(bits, sizeof(bits), "%08x", privileges);
	etag_of(parts, 2, out->etag);
}

static struct custom_role *find_role_locked(struct accounts *a, const char *id)
{
	for (size_t i = 0; i < a->nroles; i++)
		if (strcmp(a->roles[i].id, id) == 0)
			return &a->roles[i];
	return NULL;
}

int accounts_roles_list(struct accounts *a, struct role_info **out, size_t *n)
{
	pthread_mutex_lock(&a->lock);
	*n = predefined_role_count + a->nroles;
	*out = calloc(*n, sizeof(**out));
	if (*out) {
		for (unsigned i = 0; i < predefined_role_count; i++)
			role_info_fill(predefined_roles[i].id, predefined_roles[i].privileges, true,
				       &(*out)[i]);
		for (size_t i = 0; i < a->nroles; i++)
			role_info_fill(a->roles[i].id, a->roles[i].privileges, false,
				       &(*out)[predefined_role_count + i]);
	}
	pthread_mutex_unlock(&a->lock);
	return *out ? 0 : -ENOMEM;
}

int accounts_role_get(struct accounts *a, const char *id, struct role_info *out)
{
	const struct role_def *def = role_predefined(id);
	struct custom_role *r;
	int rc = -ENOENT;

	if (def) {
		role_info_fill(def->id, def->privileges, true, out);
		return 0;
	}
	pthread_mutex_lock(&a->lock);
	if ((r = find_role_locked(a, id))) {
		role_info_fill(r->id, r->privileges, false, out);
		rc = 0;
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int accounts_role_create(struct accounts *a, const char *id, privset_t privileges,
			 struct role_info *out)
{
	int rc = 0;

	if (!accounts_valid_role_id(id) || !privileges ||
	    (privileges & ~(PRIV_STANDARD_MASK | PRIV_OEM_MASK)))
		return -EINVAL;
	if (role_predefined(id))
		return -EEXIST;
	pthread_mutex_lock(&a->lock);
	if (find_role_locked(a, id)) {
		rc = -EEXIST;
		goto out;
	}
	if (a->nroles >= ACCOUNTS_MAX) {
		rc = -ENOSPC;
		goto out;
	}
	memset(&a->roles[a->nroles], 0, sizeof(a->roles[0]));
	snprintf(a->roles[a->nroles].id, sizeof(a->roles[0].id), "%s", id);
	a->roles[a->nroles].privileges = privileges;
	a->nroles++;
	if ((rc = save_locked(a))) {
		a->nroles--;
		goto out;
	}
	a->generation++;
	if (out)
		role_info_fill(id, privileges, false, out);
out:
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int accounts_role_update(struct accounts *a, const char *id, privset_t privileges,
			 const char *if_match, struct role_info *out)
{
	struct custom_role *r;
	struct role_info cur;
	privset_t before;
	int rc = 0;

	if (role_predefined(id))
		return -EPERM;
	if (!privileges || (privileges & ~(PRIV_STANDARD_MASK | PRIV_OEM_MASK)))
		return -EINVAL;
	pthread_mutex_lock(&a->lock);
	if (!(r = find_role_locked(a, id))) {
		rc = -ENOENT;
		goto out;
	}
	role_info_fill(r->id, r->privileges, false, &cur);
	if (if_match && !accounts_etag_match(if_match, cur.etag)) {
		rc = -ESTALE;
		goto out;
	}
	before = r->privileges;
	r->privileges = privileges;
	if ((rc = save_locked(a))) {
		r->privileges = before;
		goto out;
	}
	a->generation++;
	if (out)
		role_info_fill(r->id, r->privileges, false, out);
out:
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int accounts_role_delete(struct accounts *a, const char *id)
{
	struct custom_role *r, saved;
	size_t idx;
	int rc = 0;

	if (role_predefined(id))
		return -EPERM;
	pthread_mutex_lock(&a->lock);
	if (!(r = find_role_locked(a, id))) {
		rc = -ENOENT;
		goto out;
	}
	for (size_t i = 0; i < a->n; i++) {
		if (strcmp(a->acct[i].role, id) == 0) {
			rc = -EBUSY;
			goto out;
		}
	}
	idx = (size_t)(r - a->roles);
	saved = *r;
	memmove(&a->roles[idx], &a->roles[idx + 1], (a->nroles - idx - 1) * sizeof(*r));
	a->nroles--;
	if ((rc = save_locked(a))) {
		memmove(&a->roles[idx + 1], &a->roles[idx], (a->nroles - idx) * sizeof(*r));
		a->roles[idx] = saved;
		a->nroles++;
		goto out;
	}
	a->generation++;
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
	etag_of(parts, 1, etag);
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
	if ((rc = save_locked(a))) {
		a->lockout_threshold = before.lockout_threshold;
		a->lockout_duration_s = before.lockout_duration_s;
		a->lockout_reset_after_s = before.lockout_reset_after_s;
	}
out:
	pthread_mutex_unlock(&a->lock);
	return rc;
}

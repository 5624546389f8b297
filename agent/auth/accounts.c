#include "auth/accounts.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/password.h"
#include "util/fileio.h"
#include "util/jsonfile.h"
#include "util/log.h"

#define ACCOUNTS_MAX 256
#define ACCOUNTS_FILE_MAX (4u << 20)

struct account {
	char id[16];
	char user[IDENTITY_NAME_MAX];
	char role[IDENTITY_NAME_MAX];
	char hash[PASSWORD_HASH_MAX];
	bool enabled;
	/* Failure counting and lockout live in memory only: persisting every
	 * failed login would turn a password guesser into a disk writer. */
	unsigned failures;
	time_t first_failure;
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
};

static const char *const file_keys[] = { "Version", "Accounts", "Roles", "Settings", NULL };
static const char *const account_keys[] = { "Id", "UserName", "RoleId", "Enabled",
					    "PasswordHash", NULL };
static const char *const role_keys[] = { "Id", "Privileges", NULL };
static const char *const settings_keys[] = { "AccountLockoutThreshold",
					     "AccountLockoutDuration",
					     "AccountLockoutCounterResetAfter", NULL };

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

static int copy_str(json_t *v, char *dst, size_t len)
{
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= len)
		return -EINVAL;
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int parse_account(struct accounts *a, const struct jsonfile *jf, size_t i, json_t *o,
			 char *err, size_t errlen)
{
	char idx[24];
	const char *path[] = { "Accounts", idx, NULL, NULL };
	struct account *ac = &a->acct[a->n];
	int rc;

	snprintf(idx, sizeof(idx), "[%zu]", i);
	if (!json_is_object(o))
		return jsonfile_error(jf, path, 0, err, errlen, "account must be an object");
	rc = jsonfile_only_keys(jf, path, o, account_keys, err, errlen);
	if (rc)
		return rc;
	memset(ac, 0, sizeof(*ac));
	static const struct {
		const char *key;
		size_t off, len;
	} fields[] = {
		{ "Id", offsetof(struct account, id), sizeof(ac->id) },
		{ "UserName", offsetof(struct account, user), sizeof(ac->user) },
		{ "RoleId", offsetof(struct account, role), sizeof(ac->role) },
		{ "PasswordHash", offsetof(struct account, hash), sizeof(ac->hash) },
	};
	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		path[2] = fields[f].key;
		if (copy_str(json_object_get(o, fields[f].key), (char *)ac + fields[f].off,
			     fields[f].len))
			return jsonfile_error(jf, path, 0, err, errlen,
					      "%s must be a non-empty string", fields[f].key);
	}
	path[2] = "Enabled";
	if (!json_is_boolean(json_object_get(o, "Enabled")))
		return jsonfile_error(jf, path, 0, err, errlen, "Enabled must be a boolean");
	ac->enabled = json_is_true(json_object_get(o, "Enabled"));
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
	json_t *privs, *p;
	size_t k;
	int rc;

	snprintf(idx, sizeof(idx), "[%zu]", i);
	if (!json_is_object(o))
		return jsonfile_error(jf, path, 0, err, errlen, "role must be an object");
	rc = jsonfile_only_keys(jf, path, o, role_keys, err, errlen);
	if (rc)
		return rc;
	memset(r, 0, sizeof(*r));
	path[2] = "Id";
	if (copy_str(json_object_get(o, "Id"), r->id, sizeof(r->id)) || role_predefined(r->id))
		return jsonfile_error(jf, path, 0, err, errlen,
				      "Id must be a string naming no predefined role");
	path[2] = "Privileges";
	privs = json_object_get(o, "Privileges");
	if (!json_is_array(privs))
		return jsonfile_error(jf, path, 0, err, errlen, "Privileges must be an array");
	json_array_foreach(privs, k, p) {
		privset_t bit = json_is_string(p) ? privilege_from_name(json_string_value(p)) : 0;
		snprintf(pidx, sizeof(pidx), "[%zu]", k);
		path[3] = pidx;
		if (!bit)
			return jsonfile_error(jf, path, 0, err, errlen, "unknown privilege");
		r->privileges |= bit;
	}
	if (!r->privileges)
		return jsonfile_error(jf, path, 0, err, errlen, "a role needs privileges");
	a->nroles++;
	return 0;
}

static int parse_settings(struct accounts *a, const struct jsonfile *jf, json_t *o, char *err,
			  size_t errlen)
{
	const char *path[] = { "Settings", NULL, NULL };
	unsigned *slots[] = { &a->lockout_threshold, &a->lockout_duration_s,
			      &a->lockout_reset_after_s };
	int rc;

	if (!json_is_object(o))
		return jsonfile_error(jf, path, 0, err, errlen, "Settings must be an object");
	rc = jsonfile_only_keys(jf, path, o, settings_keys, err, errlen);
	if (rc)
		return rc;
	for (size_t i = 0; settings_keys[i]; i++) {
		json_t *v = json_object_get(o, settings_keys[i]);
		if (!v)
			continue;
		path[1] = settings_keys[i];
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 86400 * 365)
			return jsonfile_error(jf, path, 0, err, errlen,
					      "%s must be a non-negative integer", settings_keys[i]);
		*slots[i] = (unsigned)json_integer_value(v);
	}
	return 0;
}

static int parse_file(struct accounts *a, const struct jsonfile *jf, char *err, size_t errlen)
{
	const char *root[] = { NULL };
	const char *path[] = { NULL, NULL };
	json_t *accts, *roles, *v;
	size_t i;
	int rc;

	if (!json_is_object(jf->root))
		return jsonfile_error(jf, root, 0, err, errlen, "must be a JSON object");
	rc = jsonfile_only_keys(jf, root, jf->root, file_keys, err, errlen);
	if (rc)
		return rc;
	path[0] = "Version";
	if (json_integer_value(json_object_get(jf->root, "Version")) != 1)
		return jsonfile_error(jf, path, 0, err, errlen, "unsupported Version (expected 1)");
	roles = json_object_get(jf->root, "Roles");
	if (roles) {
		path[0] = "Roles";
		if (!json_is_array(roles) || json_array_size(roles) > ACCOUNTS_MAX)
			return jsonfile_error(jf, path, 0, err, errlen, "Roles must be an array");
		json_array_foreach(roles, i, v) {
			if ((rc = parse_role(a, jf, i, v, err, errlen)))
				return rc;
		}
	}
	if ((v = json_object_get(jf->root, "Settings")) &&
	    (rc = parse_settings(a, jf, v, err, errlen)))
		return rc;
	accts = json_object_get(jf->root, "Accounts");
	path[0] = "Accounts";
	if (!json_is_array(accts) || json_array_size(accts) > ACCOUNTS_MAX)
		return jsonfile_error(jf, path, 0, err, errlen,
				      "Accounts must be an array of at most %d", ACCOUNTS_MAX);
	json_array_foreach(accts, i, v) {
		if ((rc = parse_account(a, jf, i, v, err, errlen)))
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
		json_array_append_new(json_object_get(root, "Accounts"),
				      json_pack("{s:s, s:s, s:s, s:b, s:s}", "Id", ac->id,
						"UserName", ac->user, "RoleId", ac->role,
						"Enabled", ac->enabled, "PasswordHash", ac->hash));
	}
	for (size_t i = 0; i < a->nroles; i++)
		json_array_append_new(json_object_get(root, "Roles"),
				      json_pack("{s:s, s:o}", "Id", a->roles[i].id, "Privileges",
						privileges_json(a->roles[i].privileges)));
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		return -ENOMEM;
	rc = file_write_atomic(a->path, text, strlen(text), 0600);
	free(text);
	return rc;
}

int accounts_open(const char *path, unsigned iterations, struct accounts **out, char *err,
		  size_t errlen)
{
	struct accounts *a = calloc(1, sizeof(*a));
	struct jsonfile jf;
	int rc;

	if (!a)
		return -ENOMEM;
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
		return -ENOMEM;
	}
	rc = jsonfile_load(path, ACCOUNTS_FILE_MAX, &jf, err, errlen);
	if (rc == -ENOENT) {
		*out = a;
		return 0;
	}
	if (!rc) {
		rc = parse_file(a, &jf, err, errlen);
		jsonfile_release(&jf);
	}
	if (rc) {
		accounts_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

void accounts_free(struct accounts *a)
{
	if (!a)
		return;
	pthread_mutex_destroy(&a->lock);
	free(a->path);
	free(a->acct);
	free(a->roles);
	free(a);
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

static void fill_identity(const struct accounts *a, const struct account *ac, struct identity *who)
{
	snprintf(who->user, sizeof(who->user), "%s", ac->user);
	snprintf(who->role, sizeof(who->role), "%s", ac->role);
	who->privileges = role_privileges(a, ac->role);
}

static enum account_check state_locked(struct account *ac, time_t now)
{
	if (!ac->enabled)
		return ACCOUNT_DISABLED;
	if (ac->locked_until > now)
		return ACCOUNT_LOCKED;
	return ACCOUNT_OK;
}

enum account_check accounts_check_password(struct accounts *a, const char *user,
					   const char *password, struct identity *who)
{
	char hash[PASSWORD_HASH_MAX];
	struct account *ac;
	enum account_check st;
	time_t now = time(NULL);
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
	if (st != ACCOUNT_OK)
		return st;

	/* The KDF runs without the lock: it is the slow part. */
	ok = password_verify(password, hash);

	pthread_mutex_lock(&a->lock);
	ac = find_locked(a, user);
	if (!ac) {
		st = ACCOUNT_BAD_CREDENTIALS;
	} else if (ok == 1) {
		ac->failures = 0;
		st = state_locked(ac, now);
		if (st == ACCOUNT_OK)
			fill_identity(a, ac, who);
	} else {
		if (a->lockout_reset_after_s && now - ac->first_failure >= (time_t)a->lockout_reset_after_s)
			ac->failures = 0;
		if (ac->failures++ == 0)
			ac->first_failure = now;
		if (a->lockout_threshold && ac->failures >= a->lockout_threshold) {
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
		st = state_locked(ac, time(NULL));
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

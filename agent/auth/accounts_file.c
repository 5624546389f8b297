/* The accounts file: its declared members, strict loading with "file:line:
 * column" errors, and the atomic rewrite. */
#include "auth/accounts.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/accounts_internal.h"
#include "util/fileio.h"
#include "util/jsonfile.h"
#include "util/jsonmembers.h"
#include "util/log.h"

/* What the accounts file may hold (see acct_save_locked for how it is written). */
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
	path[2] = "Id";
	if (ac->id[strspn(ac->id, "0123456789")] != '\0')
		return jsonfile_error(jf, path, 0, err, errlen, "Id must be a decimal number");
	path[2] = "UserName";
	if (!accounts_valid_user_name(ac->user))
		return jsonfile_error(jf, path, 0, err, errlen,
				      "UserName must be 1 to 63 of A-Z a-z 0-9 . _ @ -");
	path[2] = "PasswordHash";
	if ((rc = password_hash_check(ac->hash)))
		return jsonfile_error(jf, path, 0, err, errlen,
				      rc == -ERANGE ? "PasswordHash iterations must be between %u and %u"
						    : "PasswordHash is not a pbkdf2-sha256 hash",
				      PASSWORD_ITERATIONS_FLOOR, PASSWORD_ITERATIONS_CEILING);
	path[2] = "RoleId";
	if (!acct_role_privileges(a, ac->role))
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
	if (!accounts_valid_role_id(v[R_ID].str))
		return jsonfile_error(jf, path, 0, err, errlen,
				      "Id must be 1 to 63 of A-Z a-z 0-9 _ -");
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
	/* Never re-create the first account over a file someone emptied: the
	 * operator must look at it (or remove it to start anew). */
	if (a->n == 0) {
		const char *path[] = { "Accounts", NULL };
		return jsonfile_error(jf, path, 0, err, errlen,
				      "no account; remove the file to have the first one created");
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
int acct_save_locked(struct accounts *a)
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
		log_error("cannot rewrite %s: %s; the change is not made", a->path, strerror(-rc));
	/* A full file system is told apart from a full store (-ENOSPC). */
	return rc == -ENOSPC ? -EDQUOT : rc;
}

/* Read a's file into a; a missing file leaves it empty. */
static int load_file(struct accounts *a, char *err, size_t errlen)
{
	struct jsonfile jf;
	/* The state directory belongs to the service user: a link there could
	 * point a root start at any file. */
	int rc = jsonfile_load_flags(a->path, O_NOFOLLOW, ACCOUNTS_FILE_MAX, &jf, err, errlen);

	if (rc == -ENOENT) {
		err[0] = '\0';
		return 0;
	}
	if (!rc && (jf.mode & 077)) {
		/* Password hashes: for the service's eyes only. */
		snprintf(err, errlen, "%s:0:0: mode %04o lets others read the password hashes "
			 "(chmod 600)", a->path, jf.mode);
		rc = -EINVAL;
	} else if (!rc) {
		rc = parse_file(a, &jf, err, errlen);
	}
	jsonfile_release(&jf); /* zeroed by a failed load */
	if (rc && !err[0])
		snprintf(err, errlen, "%s: %s", a->path, strerror(-rc));
	return rc;
}

int accounts_open(const char *path, unsigned iterations, struct accounts **out, char *err,
		  size_t errlen)
{
	struct accounts *a = acct_alloc(path, iterations);
	int rc;

	if (!a)
		return -ENOMEM;
	file_remove_stale_temporaries(path);
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
	struct accounts *a = acct_alloc(path, 0);
	int rc;

	if (!a)
		return -ENOMEM;
	rc = load_file(a, err, errlen);
	accounts_free(a);
	return rc;
}

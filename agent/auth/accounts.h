/* Local accounts, custom roles and the lockout settings, persisted in one JSON
 * file that is rewritten atomically (temp, fsync, rename) on every change.
 * Passwords are stored only as PBKDF2 hashes. Thread-safe: an internal lock
 * serialises changes and file writes; the KDF always runs outside it.
 *
 * Errors are negative errno values; the Redfish edge maps them:
 *   -ENOENT no such account/role, -EEXIST name taken, -EINVAL malformed name
 *   or unknown role, -ERANGE password length, -ESTALE If-Match mismatch,
 *   -EBUSY would remove the last enabled Administrator or delete a role in
 *   use, -EPERM predefined role, -ENOSPC store full, -EDQUOT no space on
 *   the file system for the rewrite (nothing changed), others: I/O. */
#ifndef CXLA_AUTH_ACCOUNTS_H
#define CXLA_AUTH_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "auth/identity.h"
#include "auth/privilege.h"
#include "util/clock.h"

struct accounts;

enum account_check {
	ACCOUNT_OK = 0,
	ACCOUNT_BAD_CREDENTIALS, /* unknown user or wrong password: never told apart */
	ACCOUNT_LOCKED,
	ACCOUNT_DISABLED,
};

#define ACCOUNTS_MAX 256
#define ACCOUNT_ID_MAX 16
#define ACCOUNT_PASSWORD_MIN 12
#define ACCOUNT_PASSWORD_MAX 128
/* A strong ETag: quote, 16 hex digits, quote, NUL. */
#define ACCOUNT_ETAG_MAX 20

/* Open the accounts file at path. A missing file gives an empty store; a file
 * that does not parse or validate is an error (-EINVAL, "file:line:col:
 * message" in err) and is never replaced. Stale temporary files left by a
 * crash during a rewrite are removed. iterations: PBKDF2 cost for new hashes
 * (0: default). */
int accounts_open(const char *path, unsigned iterations, struct accounts **out, char *err,
		  size_t errlen);
void accounts_free(struct accounts *a);
/* Lockout durations and the failure-counter reset run on clock's monotonic
 * clock; clock is borrowed and must outlive a (NULL: the system clocks). */
void accounts_set_clock(struct accounts *a, const struct clock_source *clock);
/* Read and validate the accounts file at path as accounts_open does, but
 * change nothing (a running agent may be rewriting it). 0 when it is
 * missing or valid; otherwise as accounts_open. */
int accounts_check_file(const char *path, char *err, size_t errlen);

/* When the store has no account, create "admin" (Administrator) with
 * password, or a generated one copied into generated (>= 25 bytes).
 * Returns 1 when created, 0 when accounts already existed, -errno. */
int accounts_bootstrap(struct accounts *a, const char *password, char *generated,
		       size_t genlen);

/* Check a user name and password (Basic authentication or session login).
 * On ACCOUNT_OK fills who (user, role, privileges). Counts failures for the
 * lockout policy: AccountLockoutThreshold failures, each within
 * AccountLockoutCounterResetAfter seconds of the previous one, lock the
 * account for AccountLockoutDuration seconds. A locked account refuses even
 * its correct password; attempts while locked do not extend the lock. */
enum account_check accounts_check_password(struct accounts *a, const char *user,
					   const char *password, struct identity *who);
/* Fill who for an existing, enabled account without a password (sessions
 * and certificates re-resolve the role on every request, so a role change or
 * a disabled account takes effect at once). Lockout is not consulted: it
 * throttles password guessing, it does not end established sessions.
 * Returns ACCOUNT_OK, ACCOUNT_BAD_CREDENTIALS (no such user) or
 * ACCOUNT_DISABLED. */
enum account_check accounts_resolve(struct accounts *a, const char *user, struct identity *who);

/* A counter that changes whenever an account's password, role or state
 * changes; credential caches key their entries on it. */
uint64_t accounts_generation(struct accounts *a);

/* A snapshot of one account (never the hash). */
struct account_info {
	char id[ACCOUNT_ID_MAX];
	char user[IDENTITY_NAME_MAX];
	char role[IDENTITY_NAME_MAX];
	bool enabled;
	bool locked;
	char etag[ACCOUNT_ETAG_MAX];
};

/* All accounts in id order: *out is a new array (free()), possibly empty. */
int accounts_list(struct accounts *a, struct account_info **out, size_t *n);
int accounts_get(struct accounts *a, const char *id, struct account_info *out);
int accounts_get_by_user(struct accounts *a, const char *user, struct account_info *out);

/* Create an account. user: 1..63 of [A-Za-z0-9._@-]; role must exist. */
int accounts_create(struct accounts *a, const char *user, const char *password,
		    const char *role, bool enabled, struct account_info *out);

/* A change to one account; NULL / -1 fields stay as they are. */
struct account_change {
	const char *user;
	const char *password;
	const char *role;
	int enabled;          /* -1, 0, 1 */
	bool unlock;          /* clear the lockout and the failure counter */
	const char *if_match; /* If-Match header value, checked under the lock */
};
/* Apply c atomically (all or nothing, in memory and on disk). out (may be
 * NULL) receives the account after the change, old (may be NULL) before. */
int accounts_update(struct accounts *a, const char *id, const struct account_change *c,
		    struct account_info *old, struct account_info *out);
/* Delete an account; deleted (may be NULL) receives what it was. */
int accounts_delete(struct accounts *a, const char *id, struct account_info *deleted);

/* Roles: the predefined ones first, then the custom ones. */
struct role_info {
	char id[IDENTITY_NAME_MAX];
	privset_t privileges;
	bool predefined;
	char etag[ACCOUNT_ETAG_MAX];
};
int accounts_roles_list(struct accounts *a, struct role_info **out, size_t *n);
int accounts_role_get(struct accounts *a, const char *id, struct role_info *out);
/* id: 1..63 of [A-Za-z0-9_-], no predefined name; privileges non-empty. */
int accounts_role_create(struct accounts *a, const char *id, privset_t privileges,
			 struct role_info *out);
int accounts_role_update(struct accounts *a, const char *id, privset_t privileges,
			 const char *if_match, struct role_info *out);
int accounts_role_delete(struct accounts *a, const char *id);

/* The lockout settings of AccountService. */
struct account_settings {
	unsigned lockout_threshold;     /* 0: never locked */
	unsigned lockout_duration_s;    /* 0: no lockout */
	unsigned lockout_reset_after_s; /* must be <= lockout_duration_s */
};
void accounts_settings_get(struct accounts *a, struct account_settings *s, char *etag);
/* -EINVAL when reset_after > duration (with a non-zero duration). */
int accounts_settings_set(struct accounts *a, const struct account_settings *s,
			  const char *if_match);

/* Whether an If-Match header value (a list of entity tags, "*", weak tags
 * compared weakly) admits etag. */
bool accounts_etag_match(const char *if_match, const char *etag);

/* Name rules, for the edge's messages. */
bool accounts_valid_user_name(const char *s);
bool accounts_valid_role_id(const char *s);

#endif

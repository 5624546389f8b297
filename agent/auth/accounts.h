/* Local accounts and roles, persisted in one JSON file that is rewritten
 * atomically on every change. Passwords are stored only as PBKDF2 hashes.
 * Thread-safe: an internal lock serialises changes and file writes. */
#ifndef CXLA_AUTH_ACCOUNTS_H
#define CXLA_AUTH_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "auth/identity.h"
#include "auth/privilege.h"

struct accounts;

enum account_check {
	ACCOUNT_OK = 0,
	ACCOUNT_BAD_CREDENTIALS, /* unknown user or wrong password: never told apart */
	ACCOUNT_LOCKED,
	ACCOUNT_DISABLED,
};

/* Open the accounts file at path. A missing file gives an empty store; a file
 * that does not parse or validate is an error (-EINVAL, message in err) and
 * is never replaced. iterations: PBKDF2 cost for new hashes (0: default). */
int accounts_open(const char *path, unsigned iterations, struct accounts **out, char *err,
		  size_t errlen);
void accounts_free(struct accounts *a);

/* When the store has no account, create "admin" (Administrator) with
 * password, or a generated one copied into generated (>= 25 bytes).
 * Returns 1 when created, 0 when accounts already existed, -errno. */
int accounts_bootstrap(struct accounts *a, const char *password, char *generated,
		       size_t genlen);

/* Check a user name and password (Basic authentication or session login).
 * On ACCOUNT_OK fills who (user, role, privileges). Counts failures for the
 * lockout policy. */
enum account_check accounts_check_password(struct accounts *a, const char *user,
					   const char *password, struct identity *who);
/* Fill who for an existing, enabled, unlocked account without a password
 * (sessions and certificates re-resolve the role on every request).
 * Returns ACCOUNT_OK or the reason. */
enum account_check accounts_resolve(struct accounts *a, const char *user, struct identity *who);

/* A counter that changes whenever an account's password, role or state
 * changes; credential caches key their entries on it. */
uint64_t accounts_generation(struct accounts *a);

#endif

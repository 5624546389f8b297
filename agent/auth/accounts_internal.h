/* What the account store's modules share: the in-memory tables and the
 * helpers each of them needs from the others. Not for use outside auth/. */
#ifndef CXLA_AUTH_ACCOUNTS_INTERNAL_H
#define CXLA_AUTH_ACCOUNTS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "auth/accounts.h"
#include "auth/password.h"

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

/* A new, empty store for the file at path (not read). NULL without memory. */
struct accounts *acct_alloc(const char *path, unsigned iterations);
/* The privileges of role (predefined or custom), 0 when it does not exist.
 * Caller holds the lock. */
privset_t acct_role_privileges(const struct accounts *a, const char *role);
/* Rewrite the file from the tables (temp, fsync, rename). Caller holds the
 * lock. 0 or -errno; on error the file is as it was. */
int acct_save_locked(struct accounts *a);
/* Strong entity tag (ACCOUNT_ETAG_MAX bytes) over parts. */
void acct_etag_of(const char *const *parts, size_t nparts, char *out);

#endif

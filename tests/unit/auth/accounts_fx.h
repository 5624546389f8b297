/* The fixture of the account-store tests: a fresh store in a temporary
 * directory with "admin" bootstrapped. */
#ifndef CXLA_TEST_ACCOUNTS_FX_H
#define CXLA_TEST_ACCOUNTS_FX_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "auth/accounts.h"
#include "support/tmpdir.h"

#define ITER 1000 /* cheap hashes: these tests are about the store */

struct fx {
	char dir[64];
	char path[128];
	struct accounts *a;
};

static inline int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[512];

	assert_int_equal(tmpdir_make(f->dir, sizeof(f->dir), "acct"), 0);
	snprintf(f->path, sizeof(f->path), "%s/accounts.json", f->dir);
	assert_int_equal(accounts_open(f->path, ITER, &f->a, err, sizeof(err)), 0);
	assert_int_equal(accounts_bootstrap(f->a, "admin-password-1", NULL, 0), 1);
	*state = f;
	return 0;
}

static inline int teardown(void **state)
{
	struct fx *f = *state;
	accounts_free(f->a);
	assert_int_equal(tmpdir_remove(f->dir), 0);
	free(f);
	return 0;
}

static inline struct accounts *reopen(struct fx *f)
{
	char err[512];
	accounts_free(f->a);
	f->a = NULL;
	assert_int_equal(accounts_open(f->path, ITER, &f->a, err, sizeof(err)), 0);
	return f->a;
}

#endif

/* Sessions: token shape and hash-only storage, sliding idle timeout with an
 * injected clock, expired entries swept, per-user and total limits, deletion
 * by id and by user. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/sessions.h"
#include "support/fake_clock.h"

static struct fake_clock clk;

static struct sessions *make(unsigned timeout, unsigned total, unsigned per_user)
{
	struct sessions *s = NULL;
	assert_int_equal(sessions_new(timeout, total, per_user, &s), 0);
	sessions_set_clock(s, &clk.source);
	return s;
}

static void test_create_lookup(void **state)
{
	struct sessions *s = make(60, 8, 4);
	char tok[SESSION_TOKEN_MAX], tok2[SESSION_TOKEN_MAX];
	struct session_info a, b, got;
	(void)state;

	assert_int_equal(sessions_create(s, "alice", "192.0.2.1", "ctx", tok, sizeof(tok), &a), 0);
	assert_int_equal(strlen(tok), 64);
	assert_true(strspn(tok, "0123456789abcdef") == 64);
	assert_int_equal(sessions_create(s, "alice", "192.0.2.1", NULL, tok2, sizeof(tok2), &b), 0);
	assert_string_not_equal(tok, tok2);
	assert_string_not_equal(a.id, b.id);
	assert_int_equal(sessions_lookup(s, tok, &got), 0);
	assert_string_equal(got.id, a.id);
	assert_string_equal(got.user, "alice");
	assert_string_equal(got.context, "ctx");
	assert_string_equal(got.peer, "192.0.2.1");
	/* A token that differs in one digit, a short one, an empty one. */
	tok[10] = tok[10] == 'a' ? 'b' : 'a';
	assert_int_equal(sessions_lookup(s, tok, NULL), -ENOENT);
	assert_int_equal(sessions_lookup(s, "abc", NULL), -ENOENT);
	assert_int_equal(sessions_lookup(s, "", NULL), -ENOENT);
	assert_int_equal(sessions_get(s, b.id, &got), 0);
	assert_int_equal(sessions_get(s, "nope", &got), -ENOENT);
	sessions_free(s);
}

/* The table must never contain the token itself. */
static void test_token_not_stored(void **state)
{
	struct sessions *s = make(60, 4, 4);
	char tok[SESSION_TOKEN_MAX];
	struct session_info *list;
	size_t n;
	(void)state;

	assert_int_equal(sessions_create(s, "bob", "::1", NULL, tok, sizeof(tok), NULL), 0);
	assert_int_equal(sessions_list(s, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_null(memmem(&list[0], sizeof(list[0]), tok, strlen(tok)));
	free(list);
	assert_int_equal(sessions_lookup(s, tok, NULL), 0);
	sessions_free(s);
}

static void test_sliding_timeout(void **state)
{
	struct sessions *s = make(30, 8, 8);
	char t1[SESSION_TOKEN_MAX], t2[SESSION_TOKEN_MAX];
	(void)state;

	assert_int_equal(sessions_create(s, "u", "", NULL, t1, sizeof(t1), NULL), 0);
	assert_int_equal(sessions_create(s, "u", "", NULL, t2, sizeof(t2), NULL), 0);
	fake_clock_advance(&clk, 20);
	assert_int_equal(sessions_lookup(s, t1, NULL), 0); /* restarts t1's timer */
	fake_clock_advance(&clk, 15); /* t2 idle 35 s, t1 15 s */
	assert_int_equal(sessions_lookup(s, t2, NULL), -ENOENT);
	assert_int_equal(sessions_lookup(s, t1, NULL), 0);
	assert_int_equal(sessions_count(s), 1);
	fake_clock_advance(&clk, 29);
	assert_int_equal(sessions_lookup(s, t1, NULL), 0);
	fake_clock_advance(&clk, 30);
	assert_int_equal(sessions_lookup(s, t1, NULL), -ENOENT);
	assert_int_equal(sessions_count(s), 0);
	sessions_free(s);
}

static void test_limits(void **state)
{
	struct sessions *s = make(30, 3, 2);
	char t[SESSION_TOKEN_MAX];
	(void)state;

	assert_int_equal(sessions_create(s, "a", "", NULL, t, sizeof(t), NULL), 0);
	assert_int_equal(sessions_create(s, "a", "", NULL, t, sizeof(t), NULL), 0);
	assert_int_equal(sessions_create(s, "a", "", NULL, t, sizeof(t), NULL), -EUSERS);
	assert_int_equal(sessions_create(s, "b", "", NULL, t, sizeof(t), NULL), 0);
	assert_int_equal(sessions_create(s, "c", "", NULL, t, sizeof(t), NULL), -ENOSPC);
	/* Expired sessions free their places: they never accumulate. */
	fake_clock_advance(&clk, 31);
	for (int i = 0; i < 2; i++)
		assert_int_equal(sessions_create(s, "a", "", NULL, t, sizeof(t), NULL), 0);
	assert_int_equal(sessions_create(s, "c", "", NULL, t, sizeof(t), NULL), 0);
	assert_int_equal(sessions_count(s), 3);
	sessions_free(s);
}

static void test_reserve(void **state)
{
	struct sessions *s = make(30, 4, 4);
	char t[SESSION_TOKEN_MAX];
	(void)state;

	sessions_set_reserve(s, 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(sessions_create(s, "a", "", NULL, t, sizeof(t), NULL), 0);
	assert_int_equal(sessions_create(s, "b", "", NULL, t, sizeof(t), NULL), -ENOSPC);
	assert_int_equal(sessions_create_privileged(s, "root", "", NULL, t, sizeof(t), NULL), 0);
	assert_int_equal(sessions_create_privileged(s, "root", "", NULL, t, sizeof(t), NULL),
			 -ENOSPC);
	sessions_free(s);
	/* A reserve as large as the table still leaves one ordinary place. */
	s = make(30, 2, 2);
	sessions_set_reserve(s, 99);
	assert_int_equal(sessions_create(s, "a", "", NULL, t, sizeof(t), NULL), 0);
	assert_int_equal(sessions_create(s, "b", "", NULL, t, sizeof(t), NULL), -ENOSPC);
	assert_int_equal(sessions_create_privileged(s, "c", "", NULL, t, sizeof(t), NULL), 0);
	sessions_free(s);
}

static void test_delete(void **state)
{
	struct sessions *s = make(30, 8, 8);
	char t1[SESSION_TOKEN_MAX], t2[SESSION_TOKEN_MAX], t3[SESSION_TOKEN_MAX];
	struct session_info a, b, c;
	(void)state;

	assert_int_equal(sessions_create(s, "x", "", NULL, t1, sizeof(t1), &a), 0);
	assert_int_equal(sessions_create(s, "x", "", NULL, t2, sizeof(t2), &b), 0);
	assert_int_equal(sessions_create(s, "y", "", NULL, t3, sizeof(t3), &c), 0);
	assert_int_equal(sessions_delete(s, a.id), 0);
	assert_int_equal(sessions_delete(s, a.id), -ENOENT);
	assert_int_equal(sessions_lookup(s, t1, NULL), -ENOENT);
	assert_int_equal(sessions_create(s, "x", "", NULL, t1, sizeof(t1), &a), 0);
	assert_int_equal(sessions_delete_user(s, "x", b.id), 1);
	assert_int_equal(sessions_lookup(s, t2, NULL), 0);
	assert_int_equal(sessions_delete_user(s, "x", NULL), 1);
	assert_int_equal(sessions_lookup(s, t3, NULL), 0);
	assert_int_equal(sessions_count(s), 1);
	sessions_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_lookup),
		cmocka_unit_test(test_token_not_stored),
		cmocka_unit_test(test_sliding_timeout),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_delete),
	};
	int failed;

	fake_clock_init(&clk);
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	fake_clock_destroy(&clk);
	return failed;
}

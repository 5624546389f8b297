/* Requests with the same Basic credential share one password check: the
 * first request whose credential is not cached leads it on the password
 * pool, the ones that come while it is under way join it and take its
 * outcome without a KDF of their own or a place in the pool's queue. Driven
 * as the service drives it (authn_request_nowait, authn_wait_new, then
 * authn_request_wait on the pool), one step at a time. */
#include <errno.h>
#include <string.h>

#include "accounts_fx.h"
#include "auth/authn.h"
#include "support/fake_clock.h"

#define N 10
/* "admin:admin-password-1" */
#define ADMIN_BASIC "Basic YWRtaW46YWRtaW4tcGFzc3dvcmQtMQ=="
/* "admin:wrong-password-1" */
#define WRONG_BASIC "Basic YWRtaW46d3JvbmctcGFzc3dvcmQtMQ=="
/* "nobody:some-password-1" */
#define OTHER_BASIC "Basic bm9ib2R5OnNvbWUtcGFzc3dvcmQtMQ=="
/* "admin:new-password-123" */
#define NEW_BASIC "Basic YWRtaW46bmV3LXBhc3N3b3JkLTEyMw=="
#define PEER "192.0.2.7"

struct jfx {
	struct fx *f;
	struct fake_clock clock;
	struct authn *authn;
	struct http_header h;
	struct http_request req;
	struct authn_wait *w[N];
	int notified[N];
};

/* One KDF thread and a queue of one: two places on the pool. */
static int jsetup_with(void **state, unsigned failures, unsigned joiners)
{
	struct jfx *k = calloc(1, sizeof(*k));
	struct authn_config cfg = { .cache_ttl_s = 60, .failures_per_minute = failures,
				    .kdf_threads = 1, .kdf_queue = 1, .kdf_joiners = joiners };

	setup((void **)&k->f);
	fake_clock_init(&k->clock);
	accounts_set_clock(k->f->a, &k->clock.source);
	cfg.clock = &k->clock.source;
	assert_int_equal(authn_new(k->f->a, NULL, &cfg, &k->authn), 0);
	k->h = (struct http_header){ "Authorization", ADMIN_BASIC };
	k->req = (struct http_request){ .method = HTTP_GET, .method_token = "GET", .path = "/",
					.headers = &k->h, .nheaders = 1, .peer = PEER };
	*state = k;
	return 0;
}

static int jsetup(void **state)
{
	return jsetup_with(state, 1000, 0);
}

static int jsetup_limit(void **state)
{
	return jsetup_with(state, N, 0);
}

static int jsetup_cap(void **state)
{
	return jsetup_with(state, 1000, 2);
}

static int jteardown(void **state)
{
	struct jfx *k = *state;
	void *f = k->f;

	for (int i = 0; i < N; i++)
		authn_wait_free(k->authn, k->w[i]);
	authn_free(k->authn);
	fake_clock_destroy(&k->clock);
	teardown(&f);
	free(k);
	return 0;
}

static void use(struct jfx *k, const char *basic)
{
	k->h.value = basic;
}

static void on_end(void *arg)
{
	(*(int *)arg)++;
}

/* Request i arrives on a server thread: not cached, so it takes a place in
 * a check. Returns authn_wait_new's result. */
static int arrive(struct jfx *k, int i)
{
	struct identity who;
	int rc;

	assert_int_equal(authn_request_nowait(k->authn, &k->req, &who), AUTHN_WOULD_BLOCK);
	rc = authn_wait_new(k->authn, &k->req, &k->w[i]);
	if (rc == 0 && authn_wait_joined(k->w[i]))
		authn_wait_notify(k->authn, k->w[i], on_end, &k->notified[i]);
	return rc;
}

static enum authn_result finish(struct jfx *k, int i, struct identity *who)
{
	return authn_request_wait(k->authn, &k->req, k->w[i], who);
}

static void done(struct jfx *k, int i)
{
	authn_wait_free(k->authn, k->w[i]);
	k->w[i] = NULL;
}

static void test_burst_costs_one_kdf(void **state)
{
	struct jfx *k = *state;
	struct identity who;

	for (int i = 0; i < N; i++)
		assert_int_equal(arrive(k, i), 0);
	assert_false(authn_wait_joined(k->w[0]));
	for (int i = 1; i < N; i++) {
		assert_true(authn_wait_joined(k->w[i]));
		assert_int_equal(k->notified[i], 0);
	}
	/* The joined requests took no place on the pool: one is left. */
	assert_int_equal(authn_kdf_admit(k->authn), 0);
	assert_int_equal(authn_kdf_admit(k->authn), -EAGAIN);
	authn_kdf_done(k->authn);

	assert_int_equal(finish(k, 0, &who), AUTHN_OK);
	assert_int_equal(authn_kdf_runs(k->authn), 1);
	for (int i = 1; i < N; i++) {
		assert_int_equal(k->notified[i], 1);
		memset(&who, 0, sizeof(who));
		assert_int_equal(finish(k, i, &who), AUTHN_OK);
		assert_string_equal(who.user, "admin");
		assert_int_equal(who.method, AUTH_BASIC);
		assert_true(who.privileges != 0);
	}
	assert_int_equal(authn_kdf_runs(k->authn), 1);
	for (int i = 0; i < N; i++)
		done(k, i);
	/* Every place is back. */
	assert_int_equal(authn_kdf_admit(k->authn), 0);
	assert_int_equal(authn_kdf_admit(k->authn), 0);
	authn_kdf_done(k->authn);
	authn_kdf_done(k->authn);
}

static void test_wrong_burst_costs_one_kdf_and_counts_every_failure(void **state)
{
	struct jfx *k = *state;
	struct identity who;

	use(k, WRONG_BASIC);
	for (int i = 0; i < N; i++)
		assert_int_equal(arrive(k, i), 0);
	for (int i = 0; i < N; i++) {
		/* The limit is N failures: each request of the burst counts. */
		assert_int_equal(authn_retry_after(k->authn, PEER, "admin"), 0);
		assert_int_equal(finish(k, i, &who), AUTHN_FAILED);
	}
	assert_int_equal(authn_kdf_runs(k->authn), 1);
	assert_true(authn_retry_after(k->authn, PEER, "admin") > 0);
	for (int i = 0; i < N; i++)
		done(k, i);
	/* A new attempt from there is limited before any KDF work. */
	assert_int_equal(authn_request_nowait(k->authn, &k->req, &who), AUTHN_RATE_LIMITED);
	assert_int_equal(authn_kdf_runs(k->authn), 1);
}

static void test_next_burst_after_a_failure_is_a_new_check(void **state)
{
	struct jfx *k = *state;
	struct identity who;

	use(k, WRONG_BASIC);
	assert_int_equal(arrive(k, 0), 0);
	assert_int_equal(arrive(k, 1), 0);
	assert_int_equal(finish(k, 0, &who), AUTHN_FAILED);
	/* Ended: a later request with the credential does not join it. */
	assert_int_equal(arrive(k, 2), 0);
	assert_false(authn_wait_joined(k->w[2]));
	assert_int_equal(finish(k, 1, &who), AUTHN_FAILED);
	assert_int_equal(finish(k, 2, &who), AUTHN_FAILED);
	assert_int_equal(authn_kdf_runs(k->authn), 2);
}

static void test_different_credentials_stay_bounded(void **state)
{
	struct jfx *k = *state;

	assert_int_equal(arrive(k, 0), 0);
	use(k, WRONG_BASIC);
	assert_int_equal(arrive(k, 1), 0);
	assert_false(authn_wait_joined(k->w[1]));
	use(k, OTHER_BASIC);
	assert_int_equal(arrive(k, 2), -EAGAIN);
	assert_null(k->w[2]);
	/* A credential already being checked is still served. */
	use(k, ADMIN_BASIC);
	assert_int_equal(arrive(k, 3), 0);
	assert_true(authn_wait_joined(k->w[3]));
}

static void test_joiners_are_capped(void **state)
{
	struct jfx *k = *state;
	struct identity who;

	/* Two may join a check: the fourth request leads a second one (the
	 * last place on the pool), the seventh finds no room at all. */
	for (int i = 0; i < 6; i++)
		assert_int_equal(arrive(k, i), 0);
	assert_false(authn_wait_joined(k->w[0]));
	assert_true(authn_wait_joined(k->w[1]) && authn_wait_joined(k->w[2]));
	assert_false(authn_wait_joined(k->w[3]));
	assert_true(authn_wait_joined(k->w[4]) && authn_wait_joined(k->w[5]));
	assert_int_equal(arrive(k, 6), -EAGAIN);

	assert_int_equal(finish(k, 0, &who), AUTHN_OK);
	assert_int_equal(k->notified[1] + k->notified[2], 2);
	assert_int_equal(k->notified[4] + k->notified[5], 0);
	/* The second leader finds the credential cached by the first. */
	assert_int_equal(finish(k, 3, &who), AUTHN_OK);
	assert_int_equal(k->notified[4] + k->notified[5], 2);
	for (int i = 0; i < 6; i++)
		if (i != 0 && i != 3)
			assert_int_equal(finish(k, i, &who), AUTHN_OK);
	assert_int_equal(authn_kdf_runs(k->authn), 1);
}

static void test_password_change_is_not_answered_from_the_check(void **state)
{
	struct jfx *k = *state;
	struct account_change c = { .password = "new-password-123", .enabled = -1 };
	struct identity who;

	assert_int_equal(arrive(k, 0), 0);
	assert_int_equal(arrive(k, 1), 0);
	assert_int_equal(finish(k, 0, &who), AUTHN_OK);
	/* The password changes before the joined request is answered: the old
	 * password's success no longer holds, and it is checked on its own. */
	assert_int_equal(accounts_update(k->f->a, "1", &c, NULL, NULL), 0);
	assert_int_equal(finish(k, 1, &who), AUTHN_FAILED);
	assert_int_equal(authn_kdf_runs(k->authn), 2);

	/* The same the other way: the new password fails in the check, and
	 * succeeds for a joined request once the accounts have changed. */
	done(k, 0);
	done(k, 1);
	use(k, NEW_BASIC);
	c.password = "admin-password-1";
	assert_int_equal(accounts_update(k->f->a, "1", &c, NULL, NULL), 0);
	assert_int_equal(arrive(k, 0), 0);
	assert_int_equal(arrive(k, 1), 0);
	assert_int_equal(finish(k, 0, &who), AUTHN_FAILED);
	c.password = "new-password-123";
	assert_int_equal(accounts_update(k->f->a, "1", &c, NULL, NULL), 0);
	assert_int_equal(finish(k, 1, &who), AUTHN_OK);
	assert_int_equal(authn_kdf_runs(k->authn), 4);
}

static void test_accounts_change_before_the_check_runs(void **state)
{
	struct jfx *k = *state;
	struct identity who;

	use(k, WRONG_BASIC);
	assert_int_equal(arrive(k, 0), 0);
	assert_int_equal(arrive(k, 1), 0);
	/* Taken at one generation, run at the next: the outcome is not handed
	 * on, the joined request is checked on its own. */
	assert_int_equal(accounts_create(k->f->a, "bob", "bob-password-1", "ReadOnly", true, NULL),
			 0);
	assert_int_equal(finish(k, 0, &who), AUTHN_FAILED);
	assert_int_equal(k->notified[1], 1);
	assert_int_equal(finish(k, 1, &who), AUTHN_FAILED);
	assert_int_equal(authn_kdf_runs(k->authn), 2);
}

static void test_leader_gone_before_its_check(void **state)
{
	struct jfx *k = *state;
	struct identity who;

	assert_int_equal(arrive(k, 0), 0);
	assert_int_equal(arrive(k, 1), 0);
	/* The leading request is dropped (its job could not be queued): the
	 * joined one is told at once and checks on its own. */
	done(k, 0);
	assert_int_equal(k->notified[1], 1);
	assert_int_equal(finish(k, 1, &who), AUTHN_OK);
	assert_int_equal(authn_kdf_runs(k->authn), 1);
	/* Notified at once when the check has already ended. */
	{
		int now = 0;
		authn_wait_notify(k->authn, k->w[1], on_end, &now);
		assert_int_equal(now, 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_burst_costs_one_kdf, jsetup, jteardown),
		cmocka_unit_test_setup_teardown(test_wrong_burst_costs_one_kdf_and_counts_every_failure,
						jsetup_limit, jteardown),
		cmocka_unit_test_setup_teardown(test_next_burst_after_a_failure_is_a_new_check, jsetup,
						jteardown),
		cmocka_unit_test_setup_teardown(test_different_credentials_stay_bounded, jsetup,
						jteardown),
		cmocka_unit_test_setup_teardown(test_joiners_are_capped, jsetup_cap, jteardown),
		cmocka_unit_test_setup_teardown(test_password_change_is_not_answered_from_the_check,
						jsetup, jteardown),
		cmocka_unit_test_setup_teardown(test_accounts_change_before_the_check_runs, jsetup,
						jteardown),
		cmocka_unit_test_setup_teardown(test_leader_gone_before_its_check, jsetup, jteardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

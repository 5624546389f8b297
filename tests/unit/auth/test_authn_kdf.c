/* Password checks and the HTTP threads: authn_request_nowait never runs the
 * KDF (an uncached Basic credential says AUTHN_WOULD_BLOCK), the password
 * pool admits a bounded number of checks, and a cached credential in
 * steady use is verified again in the background before it expires, so its
 * requests never wait for a KDF. On a fake clock. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "accounts_fx.h"
#include "auth/authn.h"
#include "support/fake_clock.h"
#include "util/workpool.h"

#define TTL 60
/* "admin:admin-password-1" */
#define ADMIN_BASIC "Basic YWRtaW46YWRtaW4tcGFzc3dvcmQtMQ=="

struct kfx {
	struct fx *f;
	struct fake_clock clock;
	struct authn *authn;
};

static int ksetup(void **state)
{
	struct kfx *k = calloc(1, sizeof(*k));
	struct authn_config cfg = { .cache_ttl_s = TTL, .failures_per_minute = 1000,
				    .kdf_threads = 1, .kdf_queue = 1 };

	setup((void **)&k->f);
	fake_clock_init(&k->clock);
	accounts_set_clock(k->f->a, &k->clock.source);
	cfg.clock = &k->clock.source;
	assert_int_equal(authn_new(k->f->a, NULL, &cfg, &k->authn), 0);
	*state = k;
	return 0;
}

static int kteardown(void **state)
{
	struct kfx *k = *state;
	void *f = k->f;

	authn_free(k->authn);
	fake_clock_destroy(&k->clock);
	teardown(&f);
	free(k);
	return 0;
}

static enum authn_result basic(struct kfx *k, bool may_block)
{
	struct http_header h = { "Authorization", ADMIN_BASIC };
	struct http_request req = { .method = HTTP_GET, .method_token = "GET", .path = "/",
				    .headers = &h, .nheaders = 1, .peer = "127.0.0.1" };
	struct identity who;

	return may_block ? authn_request(k->authn, &req, &who)
			 : authn_request_nowait(k->authn, &req, &who);
}

static void drain(struct kfx *k)
{
	for (int i = 0; i < 5000 && workpool_pending(authn_kdf_pool(k->authn)); i++)
		usleep(1000);
	assert_int_equal(workpool_pending(authn_kdf_pool(k->authn)), 0);
}

static void test_nowait_never_runs_the_kdf(void **state)
{
	struct kfx *k = *state;

	assert_int_equal(basic(k, false), AUTHN_WOULD_BLOCK);
	assert_int_equal(basic(k, false), AUTHN_WOULD_BLOCK); /* nothing was cached */
	assert_int_equal(basic(k, true), AUTHN_OK);
	assert_int_equal(basic(k, false), AUTHN_OK);
	/* Expired: the next check needs the KDF again. */
	fake_clock_advance(&k->clock, TTL + 1);
	assert_int_equal(basic(k, false), AUTHN_WOULD_BLOCK);
}

static void test_refresh_ahead(void **state)
{
	struct kfx *k = *state;

	assert_int_equal(basic(k, true), AUTHN_OK);
	/* Used through its lifetime: in its last quarter a use starts a
	 * background check, and the renewed entry outlives the first one. */
	for (int t = 0; t < 5 * TTL; t += 10) {
		fake_clock_advance(&k->clock, 10);
		if (basic(k, false) != AUTHN_OK)
			fail_msg("a credential in steady use waited for the KDF %d s after its check",
				 t + 10);
		drain(k);
	}
	/* Unused for a whole lifetime, it expires as before. */
	fake_clock_advance(&k->clock, TTL + 1);
	assert_int_equal(basic(k, false), AUTHN_WOULD_BLOCK);
}

/* The cache's lifetime is monotonic time: the wall clock set back a day
 * does not keep a verified credential for the day, nor set forward drop it
 * at once. */
static void test_cache_ignores_wall_clock_steps(void **state)
{
	struct kfx *k = *state;

	assert_int_equal(basic(k, true), AUTHN_OK);
	fake_clock_step_realtime(&k->clock, 86400);
	assert_int_equal(basic(k, false), AUTHN_OK);
	fake_clock_step_realtime(&k->clock, -2 * 86400);
	assert_int_equal(basic(k, false), AUTHN_OK);
	fake_clock_advance(&k->clock, TTL + 1);
	assert_int_equal(basic(k, false), AUTHN_WOULD_BLOCK);
}

static void test_admission_is_bounded(void **state)
{
	struct kfx *k = *state;

	/* One thread and a queue of one: two places. */
	assert_int_equal(authn_kdf_admit(k->authn), 0);
	assert_int_equal(authn_kdf_admit(k->authn), 0);
	assert_int_equal(authn_kdf_admit(k->authn), -EAGAIN);
	authn_kdf_done(k->authn);
	assert_int_equal(authn_kdf_admit(k->authn), 0);
	authn_kdf_done(k->authn);
	authn_kdf_done(k->authn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nowait_never_runs_the_kdf, ksetup, kteardown),
		cmocka_unit_test_setup_teardown(test_refresh_ahead, ksetup, kteardown),
		cmocka_unit_test_setup_teardown(test_cache_ignores_wall_clock_steps, ksetup,
						kteardown),
		cmocka_unit_test_setup_teardown(test_admission_is_bounded, ksetup, kteardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

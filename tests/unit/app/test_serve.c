/* The watchdog's health rule: a poller round may take the refresh interval
 * plus a command timeout per device (and one more), and is given that twice
 * over before the agent stops telling the service manager it is alive. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "app/serve.h"
#include "config/config.h"

static void test_limit_grows_with_devices(void **state)
{
	struct config cfg;
	(void)state;

	assert_int_equal(config_defaults(&cfg), 0);
	cfg.refresh_interval_ms = 5000;
	cfg.command_timeout_ms = 1000;
	/* No device: 2 * (5000 + 1 * 1000). */
	assert_true(serve_healthy(&cfg, 0, 0));
	assert_true(serve_healthy(&cfg, 0, 12000));
	assert_false(serve_healthy(&cfg, 0, 12001));
	/* Three devices: 2 * (5000 + 4 * 1000). */
	assert_true(serve_healthy(&cfg, 3, 18000));
	assert_false(serve_healthy(&cfg, 3, 18001));
	config_release(&cfg);
}

static void test_no_overflow_at_the_largest_settings(void **state)
{
	struct config cfg;
	(void)state;

	assert_int_equal(config_defaults(&cfg), 0);
	cfg.refresh_interval_ms = 3600000;
	cfg.command_timeout_ms = 600000;
	assert_true(serve_healthy(&cfg, 4096, 3600000ull * 2));
	assert_false(serve_healthy(&cfg, 4096, ~0ull));
	config_release(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_grows_with_devices),
		cmocka_unit_test(test_no_overflow_at_the_largest_settings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

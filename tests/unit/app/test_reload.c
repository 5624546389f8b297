/* Which changed keys a reload cannot apply: everything except the log level,
 * the TLS pair and the catalogue. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "app/reload.h"

static void load(struct config *cfg, const char *text)
{
	char err[256];
	assert_int_equal(config_defaults(cfg), 0);
	assert_int_equal(config_load_string(cfg, "t", text, err, sizeof(err)), 0);
}

static void test_restart_keys(void **state)
{
	struct config a, b;
	char out[256];
	(void)state;

	load(&a, "{\"port\": 8443, \"log_level\": \"info\"}");
	load(&b, "{\"port\": 9443, \"threads\": 4, \"log_level\": \"debug\","
		 " \"policy_file\": \"/p.json\", \"tls_certificate\": \"/c\", \"tls_key\": \"/k\"}");
	assert_int_equal(reload_restart_keys(&a, &b, out, sizeof(out)), 0);
	assert_string_equal(out, "port, threads");
	assert_int_equal(reload_restart_keys(&a, &a, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(reload_restart_keys(&a, &b, out, 8), -ENAMETOOLONG);
	config_release(&a);
	config_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

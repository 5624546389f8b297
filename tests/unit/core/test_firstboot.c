/* First start: the TLS pair in force is the configured one or the generated
 * one in the state directory (made once, in a 0700 directory), and the
 * initial password file is readable by its owner only. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "core/firstboot.h"
#include "util/fileio.h"

static void rm_rf(const char *dir)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_paths(void **state)
{
	struct config cfg;
	char cert[256], key[256], err[256];
	int gen = -1;
	(void)state;

	assert_int_equal(config_defaults(&cfg), 0);
	assert_int_equal(config_load_string(&cfg, "t", "{\"state_dir\": \"/srv/s\"}", err,
					    sizeof(err)), 0);
	assert_int_equal(firstboot_tls_paths(&cfg, cert, sizeof(cert), key, sizeof(key), &gen, err,
					     sizeof(err)), 0);
	assert_int_equal(gen, 1);
	assert_string_equal(cert, "/srv/s/tls/server.crt");
	assert_string_equal(key, "/srv/s/tls/server.key");
	config_release(&cfg);

	assert_int_equal(config_defaults(&cfg), 0);
	assert_int_equal(config_load_string(&cfg, "t",
					    "{\"tls_certificate\": \"/e/c\", \"tls_key\": \"/e/k\"}",
					    err, sizeof(err)), 0);
	assert_int_equal(firstboot_tls_paths(&cfg, cert, sizeof(cert), key, sizeof(key), &gen, err,
					     sizeof(err)), 0);
	assert_int_equal(gen, 0);
	assert_string_equal(cert, "/e/c");
	assert_string_equal(key, "/e/k");
	config_release(&cfg);

	/* Half a pair is refused by the configuration already, and again here
	 * for a struct built some other way. */
	assert_int_equal(config_defaults(&cfg), 0);
	free(cfg.tls_certificate);
	cfg.tls_certificate = strdup("/e/c");
	assert_int_equal(firstboot_tls_paths(&cfg, cert, sizeof(cert), key, sizeof(key), &gen, err,
					     sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "together"));
	config_release(&cfg);
}

static void test_generates_in_private_state_dir(void **state)
{
	struct config cfg;
	char dir[] = "/tmp/cxla-fb.XXXXXX", text[128], err[256], path[256];
	char *before = NULL, *after = NULL;
	size_t len;
	struct stat st;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(text, sizeof(text), "{\"state_dir\": \"%s/state\"}", dir);
	assert_int_equal(config_defaults(&cfg), 0);
	assert_int_equal(config_load_string(&cfg, "t", text, err, sizeof(err)), 0);
	assert_int_equal(firstboot_tls(&cfg, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/state", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/state/tls/server.crt", dir);
	assert_int_equal(file_read_all(path, 1 << 16, &before, &len), 0);
	assert_non_null(strstr(before, "BEGIN CERTIFICATE"));
	assert_int_equal(firstboot_tls(&cfg, err, sizeof(err)), 0);
	assert_int_equal(file_read_all(path, 1 << 16, &after, &len), 0);
	assert_string_equal(before, after);
	free(before);
	free(after);
	config_release(&cfg);
	rm_rf(dir);
}

static void test_password_file(void **state)
{
	char dir[] = "/tmp/cxla-fb.XXXXXX", path[64];
	char *text = NULL;
	size_t len;
	struct stat st;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/initial-admin-password", dir);
	assert_int_equal(firstboot_password_file(path, "Abcdefgh2345jkmn"), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(file_read_all(path, 1024, &text, &len), 0);
	assert_string_equal(text, "Abcdefgh2345jkmn\n");
	free(text);
	rm_rf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_generates_in_private_state_dir),
		cmocka_unit_test(test_password_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Configuration: defaults, a valid file, strict refusals placed at
 * file:line:column (cases are data: tests/data/config/invalid/<case>.json
 * with the expected "line:col: message" in <case>.err; malformed files in
 * tests/data/config/malformed/ must be reported at jansson's own position),
 * file errors, cross-key rules, and --print-config redaction and round trip. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
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
#include <jansson.h>

#include "config/config.h"

static char data_dir[1024];

static const char *data_path(const char *rel)
{
	static char buf[1024];
	snprintf(buf, sizeof(buf), "%.500s/config/%.400s", data_dir, rel);
	return buf;
}

static int setup(void **state)
{
	const char *d = getenv("CXLA_TEST_DATA");
	(void)state;
	snprintf(data_dir, sizeof(data_dir), "%s", d ? d : "tests/data");
	return 0;
}

static void test_defaults(void **state)
{
	struct config cfg;
	char buf[256];
	(void)state;

	assert_int_equal(config_defaults(&cfg), 0);
	assert_int_equal(cfg.listen_addresses_count, 2);
	assert_string_equal(cfg.listen_addresses[0], "127.0.0.1");
	assert_string_equal(cfg.listen_addresses[1], "::1");
	assert_int_equal(cfg.port, 8443);
	assert_null(cfg.tls_certificate);
	assert_null(cfg.tls_key);
	assert_null(cfg.tls_client_ca);
	assert_int_equal(cfg.tls_client_auth, HTTP_CLIENT_AUTH_OFF);
	assert_int_equal(cfg.tls_client_identity, CERTMAP_CN);
	assert_string_equal(cfg.state_dir, "/var/lib/cxl-agent");
	assert_int_equal(cfg.log_level, LOG_LVL_INFO);
	assert_int_equal(cfg.max_body_bytes, 65536);
	assert_int_equal(cfg.threads, 2);
	assert_int_equal(cfg.connection_limit, 0); /* derived from the descriptor limit */
	assert_int_equal(cfg.connections_per_address, 256);
	assert_int_equal(cfg.connection_timeout_s, 60);
	assert_int_equal(cfg.shutdown_grace_ms, 5000);
	assert_null(cfg.user);
	assert_string_equal(cfg.backend, "auto");
	assert_null(cfg.emulated_profile);
	assert_int_equal(cfg.refresh_interval_ms, 5000);
	assert_int_equal(cfg.command_timeout_ms, 5000);
	assert_int_equal(cfg.session_timeout_s, 1800);
	assert_null(cfg.policy_file);
	assert_null(cfg.audit_dir);
	assert_int_equal(cfg.audit_keep_files, 8);
	assert_null(cfg.source);

	assert_int_equal(config_state_path(&cfg, "accounts.json", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/var/lib/cxl-agent/accounts.json");
	assert_int_equal(config_state_path(&cfg, "accounts.json", buf, 10), -ENAMETOOLONG);
	config_release(&cfg);
	config_release(&cfg); /* idempotent */
}

static void test_valid_file(void **state)
{
	struct config cfg;
	char err[512] = "";
	(void)state;

	assert_int_equal(config_defaults(&cfg), 0);
	if (config_load(&cfg, data_path("valid.json"), err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(cfg.listen_addresses_count, 2);
	assert_string_equal(cfg.listen_addresses[0], "0.0.0.0");
	assert_string_equal(cfg.listen_addresses[1], "::");
	assert_int_equal(cfg.port, 9443);
	assert_string_equal(cfg.tls_certificate, "/etc/cxl-agent/cert.pem");
	assert_string_equal(cfg.tls_key, "/etc/cxl-agent/key.pem");
	assert_string_equal(cfg.tls_client_ca, "/etc/cxl-agent/ca.pem");
	assert_int_equal(cfg.tls_client_auth, HTTP_CLIENT_AUTH_OPTIONAL);
	assert_int_equal(cfg.tls_client_identity, CERTMAP_SAN);
	assert_string_equal(cfg.state_dir, "/srv/cxl-agent");
	assert_int_equal(cfg.log_level, LOG_LVL_DEBUG);
	assert_int_equal(cfg.max_body_bytes, 256);
	assert_int_equal(cfg.threads, 64);
	assert_string_equal(cfg.backend, "emulated");
	assert_null(cfg.emulated_profile);
	assert_string_equal(cfg.user, "cxla");
	assert_int_equal(cfg.audit_keep_files, 3);
	/* keys not in the file keep their defaults */
	assert_int_equal(cfg.connection_limit, 0);
	assert_int_equal(cfg.session_timeout_s, 1800);
	assert_null(cfg.policy_file);
	assert_string_equal(cfg.source, data_path("valid.json"));
	config_release(&cfg);
}

/* Every tests/data/config/invalid/<case>.json is refused with exactly
 * "<path>:" followed by the contents of <case>.err. */
static void test_invalid_cases(void **state)
{
	char dir[1024];
	DIR *d;
	struct dirent *e;
	size_t ncases = 0, nfailed = 0;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", data_path("invalid"));
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char path[1600], errpath[1600], want[2200], expect[512] = "", err[2200] = "";
		struct config cfg;
		FILE *f;
		int rc;

		if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		snprintf(errpath, sizeof(errpath), "%s/%.*s.err", dir, (int)(n - 5), e->d_name);
		f = fopen(errpath, "r");
		if (!f)
			fail_msg("%s has no .err file", path);
		if (!fgets(expect, sizeof(expect), f))
			expect[0] = '\0';
		fclose(f);
		expect[strcspn(expect, "\n")] = '\0';
		snprintf(want, sizeof(want), "%s:%s", path, expect);

		assert_int_equal(config_defaults(&cfg), 0);
		rc = config_load(&cfg, path, err, sizeof(err));
		config_release(&cfg);
		if (rc != -EINVAL || strcmp(err, want) != 0) {
			print_error("FAILED %s\n  got  (%d) %s\n  want (%d) %s\n", e->d_name, rc, err,
				    -EINVAL, want);
			nfailed++;
		}
		ncases++;
	}
	closedir(d);
	assert_true(ncases >= 10);
	if (nfailed)
		fail_msg("%zu of %zu invalid cases failed", nfailed, ncases);
}

/* Parse errors carry jansson's own line and column. */
static void test_malformed(void **state)
{
	char dir[1024];
	DIR *d;
	struct dirent *e;
	size_t seen = 0;
	(void)state;

	snprintf(dir, sizeof(dir), "%s", data_path("malformed"));
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[1600], want[2200], err[2200] = "";
		struct config cfg;
		json_error_t jerr;
		json_t *j;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
		assert_null(j);
		snprintf(want, sizeof(want), "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
		assert_int_equal(config_defaults(&cfg), 0);
		assert_int_equal(config_load(&cfg, path, err, sizeof(err)), -EINVAL);
		config_release(&cfg);
		assert_string_equal(err, want);
		seen++;
	}
	closedir(d);
	assert_true(seen >= 5);
}

static void test_missing_file(void **state)
{
	struct config cfg;
	char err[512] = "";
	const char *path = data_path("no-such-file.json");
	(void)state;

	assert_int_equal(config_defaults(&cfg), 0);
	assert_int_equal(config_load(&cfg, path, err, sizeof(err)), -ENOENT);
	assert_true(strncmp(err, path, strlen(path)) == 0);
	assert_non_null(strstr(err, "No such file"));
	/* the defaults are still in force */
	assert_int_equal(cfg.port, 8443);
	assert_null(cfg.source);
	config_release(&cfg);
}

/* A path that exists but cannot be read as a file (the tests may run as
 * root, so a mode-000 file would still be readable). */
static void test_unreadable_path(void **state)
{
	struct config cfg;
	char err[512] = "";
	const char *path = data_path("invalid");
	(void)state;

	assert_int_equal(config_defaults(&cfg), 0);
	assert_int_equal(config_load(&cfg, path, err, sizeof(err)), -EINVAL);
	assert_true(strncmp(err, path, strlen(path)) == 0);
	assert_non_null(strstr(err, "not a regular file"));
	config_release(&cfg);
}

static void test_too_large(void **state)
{
	char path[] = "/tmp/cxla-config-XXXXXX";
	int fd = mkstemp(path);
	struct config cfg;
	char err[512] = "";
	(void)state;

	assert_true(fd >= 0);
	/* valid JSON padded with whitespace past the 1 MiB limit */
	assert_int_equal(write(fd, "{}", 2), 2);
	assert_int_equal(ftruncate(fd, (1 << 20) + 1), 0);
	assert_int_equal(pwrite(fd, "\n", 1, 2), 1);
	close(fd);
	assert_int_equal(config_defaults(&cfg), 0);
	assert_int_equal(config_load(&cfg, path, err, sizeof(err)), -EFBIG);
	assert_true(strncmp(err, path, strlen(path)) == 0);
	config_release(&cfg);
	unlink(path);
}

struct string_case {
	const char *text;
	const char *error; /* NULL: accepted; else expected "line:col: message" */
};

static const struct string_case string_cases[] = {
	{ "{}", NULL },
	{ "{\"port\": 1}", NULL },
	{ "{\"port\": 65535}", NULL },
	{ "{\"port\": 0}", "1:10: \"port\" must be between 1 and 65535" },
	{ "{\"port\": -1}", "1:10: \"port\" must be between 1 and 65535" },
	{ "{\"port\": true}", "1:10: \"port\" must be an integer" },
	{ "{\"port\": null}", "1:10: \"port\" must be an integer" },
	{ "{\"max_body_bytes\": 16777216}", NULL },
	{ "{\"max_body_bytes\": 16777217}",
	  "1:20: \"max_body_bytes\" must be between 256 and 16777216" },
	{ "{\"shutdown_grace_ms\": 0}", NULL },
	{ "{\"tls_client_auth\": \"Off\"}",
	  "1:21: \"tls_client_auth\" must be one of off|optional|required" },
	{ "{\"tls_client_auth\": \"of\"}",
	  "1:21: \"tls_client_auth\" must be one of off|optional|required" },
	{ "{\"tls_client_auth\": \"off|optional\"}",
	  "1:21: \"tls_client_auth\" must be one of off|optional|required" },
	{ "{\"tls_client_auth\": null}",
	  "1:21: \"tls_client_auth\" must be a non-empty string" },
	{ "{\"tls_client_auth\": \"required\", \"tls_client_ca\": \"/ca.pem\"}", NULL },
	{ "{\"tls_client_ca\": \"/ca.pem\", \"tls_client_auth\": \"optional\"}", NULL },
	{ "{\"tls_client_auth\": \"optional\"}",
	  "1:2: tls_client_auth \"optional\" needs tls_client_ca" },
	{ "{\"tls_client_auth\": \"required\", \"tls_client_ca\": null}",
	  "1:2: tls_client_auth \"required\" needs tls_client_ca" },
	{ "{\"backend\": \"kernel\"}", NULL },
	{ "{\"backend\": \"emulated\"}", NULL },
	{ "{\"backend\": \"qemu\"}", "1:13: \"backend\" must be one of auto|kernel|emulated|mctp" },
	{ "{\"backend\": \"mctp\"}", "1:2: backend \"mctp\" needs mctp_endpoints" },
	{ "{\"backend\": \"mctp\", \"mctp_endpoints\": [\"net=1,eid=8,name=dev0\", "
	  "\"serial:/dev/ttyS2,eid=10,timeout_ms=200,retries=0\"]}", NULL },
	{ "{\"mctp_endpoints\": []}", NULL },
	{ "{\"mctp_endpoints\": [\"net=1,eid=8\",\n \"net=1,eid=255\"]}",
	  "2:2: \"mctp_endpoints\"[1]: eid must be an EID 8..254" },
	{ "{\"mctp_endpoints\": [\"net=1\"]}",
	  "1:21: \"mctp_endpoints\"[0]: eid=N is required (or serial:/path)" },
	{ "{\"mctp_endpoints\": [\"serial:tty,eid=8\"]}",
	  "1:21: \"mctp_endpoints\"[0]: serial: needs an absolute device path under 108 bytes" },
	{ "{\"mctp_endpoints\": [\"eid=8,colour=red\"]}",
	  "1:21: \"mctp_endpoints\"[0]: unknown key \"colour\" (net, eid, local, name, timeout_ms, retries)" },
	{ "{\"mctp_endpoints\": [\"eid=8,retries=9\"]}",
	  "1:21: \"mctp_endpoints\"[0]: retries must be 0..7" },
	{ "{\"mctp_endpoints\": [\"eid=8,name=a b\"]}",
	  "1:21: \"mctp_endpoints\"[0]: name must be 1 to 31 of A-Z a-z 0-9 - _" },
	{ "{\"mctp_timeout_ms\": 5}", "1:21: \"mctp_timeout_ms\" must be between 10 and 60000" },
	{ "{\"log_level\": \"warning\"}", NULL },
	{ "{\"audit_forward\": \"syslog\"}", NULL },
	{ "{\"audit_forward\": \"journal\"}", "1:19: \"audit_forward\" must be one of off|syslog" },
	{ "{\"user\": \"\"}", "1:10: \"user\" must be a non-empty string or null" },
	{ "{\"user\": null}", NULL },
	{ "{\"tls_key\": \"/k\", \"tls_certificate\": \"/c\"}", NULL },
	{ "{\"tls_key\": \"/k\", \"tls_certificate\": null}",
	  "1:2: tls_certificate and tls_key must be given together" },
	{ "{\"listen_addresses\": [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\"]}", NULL },
	{ "{\"listen_addresses\": [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]}",
	  "1:22: \"listen_addresses\" must be an array of 1 to 8 strings" },
	{ "{\"listen_addresses\": [\"a\", 1]}", "1:28: \"listen_addresses\" items must be strings" },
	{ "{\"listen_addresses\": [\"a\", null]}",
	  "1:28: \"listen_addresses\" items must be strings" },
	{ "{\"Port\": 1}", "1:2: unknown key \"Port\"" },
	{ "{\"port\": 1, \"\": 1}", "1:13: unknown key \"\"" },
	{ "[]", "1:1: configuration must be a JSON object" },
};

static void test_string_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(string_cases) / sizeof(string_cases[0]); i++) {
		const struct string_case *c = &string_cases[i];
		struct config cfg;
		char err[512] = "", want[600];
		int rc;

		assert_int_equal(config_defaults(&cfg), 0);
		rc = config_load_string(&cfg, "t.json", c->text, err, sizeof(err));
		snprintf(want, sizeof(want), "t.json:%s", c->error ? c->error : "");
		/* released before any failure: cmocka's failures do not return */
		bool source_ok = rc || (cfg.source && strcmp(cfg.source, "t.json") == 0);
		config_release(&cfg);
		if (!c->error && rc)
			fail_msg("case %zu %s: refused: %s", i, c->text, err);
		if (!c->error && !source_ok)
			fail_msg("case %zu %s: source not recorded", i, c->text);
		if (c->error && (rc != -EINVAL || strcmp(err, want) != 0))
			fail_msg("case %zu %s:\n  got  (%d) %s\n  want %s", i, c->text, rc, err,
				 want);
	}
}

/* Enum-valued keys are held as the enums their consumers take, and shown
 * under the names the file uses. */
static void test_enums(void **state)
{
	struct config cfg;
	char err[256];
	(void)state;

	assert_int_equal(config_defaults(&cfg), 0);
	assert_int_equal(cfg.audit_forward, AUDIT_FORWARD_OFF);
	assert_string_equal(cfg.backend, "auto");
	assert_string_equal(config_audit_forward_name(&cfg), "off");
	assert_int_equal(config_load_string(&cfg, "e.json",
					    "{\"audit_forward\": \"syslog\", \"log_level\": \"error\","
					    " \"backend\": \"kernel\", \"tls_client_identity\": \"san\"}",
					    err, sizeof(err)),
			 0);
	assert_int_equal(cfg.audit_forward, AUDIT_FORWARD_SYSLOG);
	assert_int_equal(cfg.log_level, LOG_LVL_ERROR);
	assert_string_equal(cfg.backend, "kernel"); /* a backend table name */
	assert_int_equal(cfg.tls_client_identity, CERTMAP_SAN);
	assert_string_equal(config_audit_forward_name(&cfg), "syslog");
	assert_string_equal(config_log_level_name(&cfg), "error");
	assert_string_equal(config_tls_client_identity_name(&cfg), "san");
	assert_string_equal(config_tls_client_auth_name(&cfg), "off");
	config_release(&cfg);
}

/* state_dir has no meaningful "unset": every state file lives under it and
 * main.c hands it to dir_ensure() unchecked (strlen(NULL): the daemon dies
 * with SIGSEGV at start-up). It must be refused where it is written. */
static void test_state_dir_null(void **state)
{
	struct config cfg;
	char err[512] = "";
	const char *prefix = "t.json:2:16: \"state_dir\"";
	int rc;
	(void)state;

	assert_int_equal(config_defaults(&cfg), 0);
	rc = config_load_string(&cfg, "t.json", "{\n  \"state_dir\": null\n}", err, sizeof(err));
	config_release(&cfg);
	if (rc != -EINVAL || strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("{\"state_dir\": null}: got (%d) \"%s\", want -EINVAL and \"%s...\"", rc, err,
			 prefix);
}

/* "backend": null means auto, and the rules between keys take it so (the
 * mctp rule once compared the null with strcmp; found by fuzz.config). */
static void test_backend_null(void **state)
{
	struct config cfg;
	char err[512] = "";
	(void)state;

	assert_int_equal(config_defaults(&cfg), 0);
	assert_int_equal(config_load_string(&cfg, "t.json", "{ \"backend\":null}", err, sizeof(err)), 0);
	assert_null(cfg.backend);
	config_release(&cfg);
	assert_int_equal(config_defaults(&cfg), 0);
	assert_int_equal(config_load_string(&cfg, "t.json", "{\"backend\": \"mctp\"}", err,
					    sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "needs mctp_endpoints"));
	config_release(&cfg);
}

/* A second file applies on top of the first; strings are replaced, not
 * leaked (the sanitizer build checks). */
static void test_layering(void **state)
{
	struct config cfg;
	char err[256];
	(void)state;

	assert_int_equal(config_defaults(&cfg), 0);
	assert_int_equal(config_load_string(&cfg, "a", "{\"state_dir\": \"/a\", \"port\": 1}", err,
					    sizeof(err)),
			 0);
	assert_int_equal(config_load_string(&cfg, "b",
					    "{\"state_dir\": \"/b\", \"listen_addresses\": [\"x\"]}",
					    err, sizeof(err)),
			 0);
	assert_string_equal(cfg.state_dir, "/b");
	assert_int_equal(cfg.port, 1);
	assert_int_equal(cfg.listen_addresses_count, 1);
	assert_string_equal(cfg.listen_addresses[0], "x");
	assert_null(cfg.listen_addresses[1]);
	assert_string_equal(cfg.source, "b");
	config_release(&cfg);
}

static void test_dump_redacts_and_round_trips(void **state)
{
	struct config cfg, back;
	char err[512] = "";
	char *dump, *dump2;
	json_t *j;
	json_error_t jerr;
	(void)state;

	assert_int_equal(config_defaults(&cfg), 0);
	assert_int_equal(config_load(&cfg, data_path("valid.json"), err, sizeof(err)), 0);
	dump = config_dump(&cfg);
	assert_non_null(dump);
	assert_null(strstr(dump, "/etc/cxl-agent/key.pem"));
	j = json_loads(dump, 0, &jerr);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "tls_key")), "(redacted)");
	assert_string_equal(json_string_value(json_object_get(j, "tls_certificate")),
			    "/etc/cxl-agent/cert.pem");
	assert_int_equal(json_integer_value(json_object_get(j, "port")), 9443);
	assert_true(json_is_null(json_object_get(j, "policy_file")));
	assert_int_equal(json_array_size(json_object_get(j, "listen_addresses")), 2);
	/* the first key of the table comes first: order is the declaration's */
	assert_true(strncmp(dump, "{\n  \"listen_addresses\"", 22) == 0);
	json_decref(j);

	/* the dump is itself a valid configuration giving the same dump */
	assert_int_equal(config_defaults(&back), 0);
	if (config_load_string(&back, "dump", dump, err, sizeof(err)))
		fail_msg("dump does not load: %s", err);
	dump2 = config_dump(&back);
	assert_non_null(dump2);
	assert_string_equal(dump, dump2);
	free(dump2);
	config_release(&back);
	free(dump);
	config_release(&cfg);

	/* and so is the dump of the defaults */
	assert_int_equal(config_defaults(&cfg), 0);
	dump = config_dump(&cfg);
	assert_non_null(dump);
	assert_int_equal(config_defaults(&back), 0);
	if (config_load_string(&back, "dump", dump, err, sizeof(err)))
		fail_msg("defaults dump does not load: %s", err);
	dump2 = config_dump(&back);
	assert_string_equal(dump, dump2);
	free(dump2);
	free(dump);
	config_release(&back);
	config_release(&cfg);
}

/* Allocation failure inside jansson: make allocation N fail, for every N.
 * config_dump must then give NULL or the complete dump, never a partial
 * configuration that --print-config would present as the one in force.
 * Output that does not even parse is jansson's own doing (its dumper ignores
 * a failed write of an object key) and is only reported. */
static size_t chaos_count, chaos_fail_at;
static int chaos_failed;

/* Fails exactly one allocation, the chaos_fail_at-th, like jansson's own
 * test_chaos.c. */
static void *chaos_malloc(size_t n)
{
	if (chaos_count++ == chaos_fail_at) {
		chaos_failed = 1;
		return NULL;
	}
	return malloc(n);
}

static void test_dump_chaos(void **state)
{
	struct config cfg;
	char *full;
	size_t partial = 0, garbled = 0, runs = 0;
	(void)state;

	assert_int_equal(config_defaults(&cfg), 0);
	full = config_dump(&cfg);
	assert_non_null(full);
	for (size_t n = 0;; n++) {
		char *out;
		chaos_count = 0;
		chaos_fail_at = n;
		chaos_failed = 0;
		json_set_alloc_funcs(chaos_malloc, free);
		out = config_dump(&cfg);
		json_set_alloc_funcs(malloc, free);
		runs++;
		if (out && strcmp(out, full) != 0) {
			json_error_t jerr;
			json_t *j = json_loads(out, 0, &jerr);
			if (j)
				partial++;
			else
				garbled++;
			json_decref(j);
		}
		free(out);
		if (!chaos_failed)
			break;
	}
	free(full);
	config_release(&cfg);
	if (garbled)
		print_message("note: %zu of %zu failures gave unparsable output (jansson)\n",
			      garbled, runs);
	if (partial)
		fail_msg("config_dump returned a valid but incomplete dump in %zu of %zu "
			 "allocation failures",
			 partial, runs);
}

static void test_tls_paths(void **state)
{
	struct config cfg;
	char cert[256], key[256], err[256];
	bool gen = false;
	(void)state;

	assert_int_equal(config_defaults(&cfg), 0);
	assert_int_equal(config_load_string(&cfg, "t", "{\"state_dir\": \"/srv/s\"}", err,
					    sizeof(err)), 0);
	assert_int_equal(config_tls_paths(&cfg, cert, sizeof(cert), key, sizeof(key), &gen), 0);
	assert_true(gen);
	assert_string_equal(cert, "/srv/s/tls/server.crt");
	assert_string_equal(key, "/srv/s/tls/server.key");
	config_release(&cfg);

	assert_int_equal(config_defaults(&cfg), 0);
	assert_int_equal(config_load_string(&cfg, "t",
					    "{\"tls_certificate\": \"/e/c\", \"tls_key\": \"/e/k\"}",
					    err, sizeof(err)), 0);
	assert_int_equal(config_tls_paths(&cfg, cert, sizeof(cert), key, sizeof(key), &gen), 0);
	assert_false(gen);
	assert_string_equal(cert, "/e/c");
	assert_string_equal(key, "/e/k");
	config_release(&cfg);

	/* Half a pair is refused by the configuration already, and again here
	 * for a struct built some other way. */
	assert_int_equal(config_defaults(&cfg), 0);
	free(cfg.tls_certificate);
	cfg.tls_certificate = strdup("/e/c");
	assert_int_equal(config_tls_paths(&cfg, cert, sizeof(cert), key, sizeof(key), &gen), -EINVAL);
	config_release(&cfg);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_valid_file),
		cmocka_unit_test(test_invalid_cases),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_unreadable_path),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_string_cases),
		cmocka_unit_test(test_enums),
		cmocka_unit_test(test_state_dir_null),
		cmocka_unit_test(test_backend_null),
		cmocka_unit_test(test_layering),
		cmocka_unit_test(test_dump_redacts_and_round_trips),
		cmocka_unit_test(test_dump_chaos),
		cmocka_unit_test(test_tls_paths),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}

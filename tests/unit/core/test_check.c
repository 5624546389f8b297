/* --check-config beyond the text: the files, names and directories the
 * configuration points to are read or looked up as start-up would, each
 * problem is named, and the check itself creates, changes and removes
 * nothing. */
#include <errno.h>
#include <pwd.h>
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
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "config/config.h"
#include "core/check.h"
#include "support/tmpdir.h"

struct fx {
	char dir[64];
	char cert[128], key[128], other_key[128];
};

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void write_key(const char *path, EVP_PKEY *k)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
}

/* A self-signed server certificate and its key, plus an unrelated key. */
static void make_pki(struct fx *fx)
{
	EVP_PKEY *k = EVP_EC_gen("P-256"), *other = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	FILE *f;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1,
				   -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, k);
	X509_sign(x, k, EVP_sha256());
	f = fopen(fx->cert, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, x), 1);
	fclose(f);
	write_key(fx->key, k);
	write_key(fx->other_key, other);
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (tmpdir_make(fx->dir, sizeof(fx->dir), "check"))
		return -1;
	snprintf(fx->cert, sizeof(fx->cert), "%s/server.crt", fx->dir);
	snprintf(fx->key, sizeof(fx->key), "%s/server.key", fx->dir);
	snprintf(fx->other_key, sizeof(fx->other_key), "%s/other.key", fx->dir);
	make_pki(fx);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	if (tmpdir_remove(fx->dir))
		return -1;
	free(fx);
	return 0;
}

/* The baseline: a good certificate, a state directory not yet created,
 * with extra keys from extra (a JSON object) on top. */
static int check_with(const struct fx *fx, const char *extra, char *err, size_t errlen)
{
	char state_dir[128];
	struct config cfg;
	json_t *doc, *more;
	char *text;
	int rc;

	snprintf(state_dir, sizeof(state_dir), "%s/state/sub", fx->dir);
	/* the user the tests run as, which the check always accepts */
	doc = json_pack("{s:s, s:s, s:s, s:s}", "tls_certificate", fx->cert, "tls_key", fx->key,
			"state_dir", state_dir, "user", getpwuid(geteuid())->pw_name);
	assert_non_null(doc);
	more = json_loads(extra ? extra : "{}", 0, NULL);
	assert_non_null(more);
	assert_int_equal(json_object_update(doc, more), 0);
	json_decref(more);
	text = json_dumps(doc, 0);
	json_decref(doc);
	assert_int_equal(config_defaults(&cfg), 0);
	rc = config_load_string(&cfg, "t.json", text, err, errlen);
	free(text);
	if (rc) {
		config_release(&cfg);
		fail_msg("configuration refused: %s", err);
	}
	rc = agent_check_config(&cfg, err, errlen);
	config_release(&cfg);
	return rc;
}

static void expect_failure(const struct fx *fx, const char *extra, int want_rc,
			   const char *want_text)
{
	char err[1024] = "";
	int rc = check_with(fx, extra, err, sizeof(err));

	if (rc != want_rc || !strstr(err, want_text))
		fail_msg("%s: got (%d) \"%s\", want (%d) containing \"%s\"", extra, rc, err,
			 want_rc, want_text);
}

static void test_good_configuration_changes_nothing(void **state)
{
	struct fx *fx = *state;
	char err[1024] = "", path[160];
	struct stat st;

	if (check_with(fx, NULL, err, sizeof(err)))
		fail_msg("baseline refused: %s", err);
	/* start-up would create the state directory; the check does not */
	snprintf(path, sizeof(path), "%s/state", fx->dir);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_user(void **state)
{
	struct fx *fx = *state;
	struct passwd *me = getpwuid(geteuid());
	char extra[256], err[1024] = "";

	expect_failure(fx, "{\"user\": \"nosuchuser-cxla\"}", -ENOENT,
		       "user: \"nosuchuser-cxla\" does not exist");
	/* the user the agent already runs as is always reachable */
	assert_non_null(me);
	snprintf(extra, sizeof(extra), "{\"user\": \"%s\"}", me->pw_name);
	if (check_with(fx, extra, err, sizeof(err)))
		fail_msg("%s refused: %s", extra, err);
	/* no user: root needs the dedicated account, as start-up does */
	if (geteuid() != 0) {
		if (check_with(fx, "{\"user\": null}", err, sizeof(err)))
			fail_msg("no user, not root: refused: %s", err);
	} else if (!getpwnam("cxl-agent")) {
		expect_failure(fx, "{\"user\": null}", -ENOENT,
			       "user: no \"user\" is configured and there is no \"cxl-agent\" account");
	} else if (check_with(fx, "{\"user\": null}", err, sizeof(err))) {
		fail_msg("no user, root with the dedicated account: refused: %s", err);
	}
	/* another user: only root can switch to it */
	if (geteuid() != 0) {
		expect_failure(fx, "{\"user\": \"root\"}", -EPERM, "not root");
	} else if (getpwnam("nobody")) {
		if (check_with(fx, "{\"user\": \"nobody\"}", err, sizeof(err)))
			fail_msg("root cannot switch to nobody: %s", err);
	}
}

static void test_emulated_profile(void **state)
{
	struct fx *fx = *state;
	char path[160], extra[320], want[200];

	snprintf(path, sizeof(path), "%s/profile.json", fx->dir);
	write_text(path, "{\n  \"devices\": [\n    {\"name\": 7}\n  ]\n}\n");
	snprintf(extra, sizeof(extra), "{\"emulated_profile\": \"%s\"}", path);
	snprintf(want, sizeof(want), "%s:3:", path);
	expect_failure(fx, extra, -EINVAL, want);
	/* auto may fall back to the emulated backend: the profile is checked too */
	snprintf(extra, sizeof(extra), "{\"emulated_profile\": \"%s\", \"backend\": \"auto\"}",
		 path);
	expect_failure(fx, extra, -EINVAL, want);
	/* a named profile must load even when the backend would not read it */
	snprintf(extra, sizeof(extra), "{\"emulated_profile\": \"%s\", \"backend\": \"kernel\"}",
		 path);
	expect_failure(fx, extra, -EINVAL, want);
	snprintf(extra, sizeof(extra), "{\"emulated_profile\": \"%s/none.json\"}", fx->dir);
	expect_failure(fx, extra, -ENOENT, "none.json:0:0: cannot open");
}

static void test_catalogue(void **state)
{
	struct fx *fx = *state;
	char path[160], extra[320], want[200];

	snprintf(path, sizeof(path), "%s/policy.json", fx->dir);
	write_text(path, "{\"version\": 1, \"commands\": 5}");
	snprintf(extra, sizeof(extra), "{\"policy_file\": \"%s\"}", path);
	snprintf(want, sizeof(want), "%s:1:", path);
	expect_failure(fx, extra, -EINVAL, want);
	expect_failure(fx, extra, -EINVAL, "\"commands\" must be an array");
}

static void test_tls(void **state)
{
	struct fx *fx = *state;
	char extra[320];
	char err[1024] = "";
	struct config cfg;

	snprintf(extra, sizeof(extra), "{\"tls_key\": \"%s\"}", fx->other_key);
	{
		char e2[1024] = "";
		assert_int_not_equal(check_with(fx, extra, e2, sizeof(e2)), 0);
		assert_non_null(strstr(e2, fx->other_key));
	}
	snprintf(extra, sizeof(extra), "{\"tls_client_ca\": \"%s/no-ca.pem\"}", fx->dir);
	expect_failure(fx, extra, -ENOENT, "no-ca.pem");
	/* No certificate configured: the first start makes the host's own pair
	 * in the state directory, so the check passes while neither half
	 * exists, and checks the pair once there is one. */
	assert_int_equal(config_defaults(&cfg), 0);
	free(cfg.state_dir);
	cfg.state_dir = strdup(fx->dir);
	assert_non_null(cfg.state_dir);
	cfg.user = strdup(getpwuid(geteuid())->pw_name);
	assert_non_null(cfg.user);
	if (agent_check_config(&cfg, err, sizeof(err)))
		fail_msg("no certificate yet refused: %s", err);
	snprintf(extra, sizeof(extra), "%s/tls", fx->dir);
	assert_int_equal(mkdir(extra, 0700), 0);
	snprintf(extra, sizeof(extra), "%s/tls/server.crt", fx->dir);
	write_text(extra, "not a certificate");
	assert_int_not_equal(agent_check_config(&cfg, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "server."));
	unlink(extra);
	snprintf(extra, sizeof(extra), "%s/tls", fx->dir);
	rmdir(extra);
	config_release(&cfg);
}

static void test_addresses(void **state)
{
	struct fx *fx = *state;
	char err[1024] = "";

	expect_failure(fx, "{\"listen_addresses\": [\"127.0.0.1\", \"localhost\"]}", -EINVAL,
		       "\"localhost\" is not a numeric");
	if (check_with(fx, "{\"listen_addresses\": [\"0.0.0.0\", \"::\"]}", err, sizeof(err)))
		fail_msg("numeric addresses refused: %s", err);
}

static void test_directories(void **state)
{
	struct fx *fx = *state;
	char file[160], extra[320];

	snprintf(file, sizeof(file), "%s/plain-file", fx->dir);
	write_text(file, "x");
	snprintf(extra, sizeof(extra), "{\"state_dir\": \"%s\"}", file);
	expect_failure(fx, extra, -ENOTDIR, "state_dir: ");
	snprintf(extra, sizeof(extra), "{\"state_dir\": \"%s/below/deeper\"}", file);
	expect_failure(fx, extra, -ENOTDIR, "is not a directory");
	snprintf(extra, sizeof(extra), "{\"audit_dir\": \"%s/audit\"}", file);
	expect_failure(fx, extra, -ENOTDIR, "audit_dir: ");
}

/* A corrupt accounts file stops start-up, so it stops the check; neither
 * it nor a rewrite's temporary beside it is touched. */
static void test_accounts_file(void **state)
{
	struct fx *fx = *state;
	char dir[160], path[200], tmp[220], extra[320], want[240];
	FILE *f;
	long n;

	snprintf(dir, sizeof(dir), "%s/acct-state", fx->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/accounts.json", dir);
	snprintf(tmp, sizeof(tmp), "%s/accounts.json.tmp.a1B2c3", dir);
	write_text(path, "{\"Version\": 1, \"Accounts\": [{\"Id\": 3}]}");
	assert_int_equal(chmod(path, 0600), 0);
	write_text(tmp, "partial");
	snprintf(extra, sizeof(extra), "{\"state_dir\": \"%s\"}", dir);
	snprintf(want, sizeof(want), "%s:1:", path);
	expect_failure(fx, extra, -EINVAL, want);
	expect_failure(fx, extra, -EINVAL, "\"Id\" must be a non-empty string");
	f = fopen(tmp, "r");
	assert_non_null(f);
	fclose(f);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fclose(f);
	assert_int_equal(n, 39);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_configuration_changes_nothing),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_emulated_profile),
		cmocka_unit_test(test_catalogue),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_directories),
		cmocka_unit_test(test_accounts_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/* The host's self-signed certificate: an EC P-256 key, the host's names and
 * addresses as SANs, a leaf for server authentication, a fingerprint equal to
 * what the openssl tool prints, files made once and never overwritten, and a key left alone by a crash
 * certified rather than refused. */
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
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "http/hostcert.h"
#include "http/tlsfiles.h"
#include "support/tmpdir.h"
#include "util/fileio.h"

static struct hostcert_names sample(void)
{
	struct hostcert_names n = { .ndns = 2, .nip = 2 };
	snprintf(n.dns[0], sizeof(n.dns[0]), "node7.example.net");
	snprintf(n.dns[1], sizeof(n.dns[1]), "localhost");
	snprintf(n.ip[0], sizeof(n.ip[0]), "192.0.2.7");
	snprintf(n.ip[1], sizeof(n.ip[1]), "2001:db8::7");
	return n;
}

static X509 *parse(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	assert_non_null(x);
	return x;
}

static void test_collect_has_loopback(void **state)
{
	struct hostcert_names n;
	int lo = 0;
	(void)state;

	assert_int_equal(hostcert_names_collect(&n), 0);
	assert_true(n.ndns >= 2);
	assert_string_equal(n.dns[1], "localhost");
	for (size_t i = 0; i < n.nip; i++) {
		lo |= strcmp(n.ip[i], "127.0.0.1") == 0;
		assert_true(strncmp(n.ip[i], "fe80:", 5) != 0);
	}
	assert_true(lo);
}

static void test_certificate_contents(void **state)
{
	struct hostcert_names n = sample();
	char *cert = NULL, *key = NULL, err[256];
	char name[64];
	X509 *x;
	EVP_PKEY *pub;
	GENERAL_NAMES *san;
	BASIC_CONSTRAINTS *bc;
	(void)state;

	assert_int_equal(hostcert_create(&n, 30, &cert, &key, err, sizeof(err)), 0);
	x = parse(cert);
	pub = X509_get0_pubkey(x);
	assert_int_equal(EVP_PKEY_get_base_id(pub), EVP_PKEY_EC);
	assert_int_equal(EVP_PKEY_get_utf8_string_param(pub, "group", name, sizeof(name), NULL), 1);
	assert_string_equal(name, "prime256v1");
	/* Self-signed with the key written next to it. */
	assert_int_equal(X509_verify(x, pub), 1);
	assert_int_equal(X509_check_host(x, "node7.example.net", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(x, "localhost", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(x, "192.0.2.7", 0), 1);
	assert_int_equal(X509_check_ip_asc(x, "2001:db8::7", 0), 1);
	assert_int_equal(X509_check_ip_asc(x, "192.0.2.8", 0), 0);
	san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	assert_int_equal(sk_GENERAL_NAME_num(san), 4);
	GENERAL_NAMES_free(san);
	bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
	assert_non_null(bc);
	assert_false(bc->ca);
	BASIC_CONSTRAINTS_free(bc);
	assert_true(X509_get_extended_key_usage(x) & XKU_SSL_SERVER);
	assert_true(X509_cmp_time(X509_get0_notAfter(x), NULL) > 0);
	X509_free(x);

	/* tls_load_pair (what the server uses) accepts the pair. */
	char dir[48], cp[64], kp[64];
	char *c2 = NULL, *k2 = NULL;
	assert_int_equal(tmpdir_make(dir, sizeof(dir), "hc"), 0);
	snprintf(cp, sizeof(cp), "%s/c", dir);
	snprintf(kp, sizeof(kp), "%s/k", dir);
	assert_int_equal(file_write_atomic(cp, cert, strlen(cert), 0600), 0);
	assert_int_equal(file_write_atomic(kp, key, strlen(key), 0600), 0);
	assert_int_equal(tls_load_pair(cp, kp, true, &c2, &k2, err, sizeof(err)), 0);
	free(c2);
	tls_free_secret(k2);
	/* The key's mode: the owner and a group of its own may read it. */
	assert_int_equal(tls_key_exposed(kp), 0);
	assert_int_equal(chmod(kp, 0640), 0);
	assert_int_equal(tls_key_exposed(kp), 0);
	assert_int_equal(chmod(kp, 0644), 0);
	assert_int_equal(tls_key_exposed(kp), 1);
	assert_int_equal(chmod(kp, 0602), 0);
	assert_int_equal(tls_key_exposed(kp), 1);
	assert_int_equal(tls_key_exposed("/nonexistent/key"), -ENOENT);
	unlink(cp);
	unlink(kp);
	rmdir(dir);
	free(cert);
	tls_free_secret(key);
}

static void test_fingerprint_matches_openssl_tool(void **state)
{
	struct hostcert_names n = sample();
	char *cert = NULL, *key = NULL, err[256], fp[100], cmd[160], tool[200] = "";
	char path[] = "/tmp/cxla-fp.XXXXXX";
	int fd;
	FILE *p;
	(void)state;

	assert_int_equal(hostcert_create(&n, 30, &cert, &key, err, sizeof(err)), 0);
	assert_int_equal(hostcert_fingerprint(cert, fp, sizeof(fp)), 0);
	assert_int_equal(strlen(fp), 95);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, cert, strlen(cert)), (ssize_t)strlen(cert));
	close(fd);
	snprintf(cmd, sizeof(cmd), "openssl x509 -noout -fingerprint -sha256 -in %s", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(tool, sizeof(tool), p));
	pclose(p);
	unlink(path);
	assert_non_null(strstr(tool, fp));
	assert_int_equal(hostcert_fingerprint("not a certificate", fp, sizeof(fp)), -EINVAL);
	free(cert);
	tls_free_secret(key);
}

static void test_ensure_once(void **state)
{
	struct hostcert_names n = sample();
	char dir[48], cp[64], kp[64], err[256];
	char *first = NULL, *again = NULL;
	size_t len;
	struct stat st;
	int created = -1;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "hc"), 0);
	snprintf(cp, sizeof(cp), "%s/server.crt", dir);
	snprintf(kp, sizeof(kp), "%s/server.key", dir);
	assert_int_equal(hostcert_ensure(cp, kp, &n, &created, err, sizeof(err)), 0);
	assert_int_equal(created, 1);
	assert_int_equal(stat(kp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(file_read_all(cp, 1 << 16, &first, &len), 0);

	/* A second start keeps the pair. */
	assert_int_equal(hostcert_ensure(cp, kp, &n, &created, err, sizeof(err)), 0);
	assert_int_equal(created, 0);
	assert_int_equal(file_read_all(cp, 1 << 16, &again, &len), 0);
	assert_string_equal(first, again);

	/* A lone certificate is reported, and no key is made to go with it. */
	assert_int_equal(unlink(kp), 0);
	assert_int_equal(hostcert_ensure(cp, kp, &n, &created, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "exists without"));
	assert_int_not_equal(access(kp, F_OK), 0);
	free(first);
	free(again);
	unlink(cp);
	rmdir(dir);
}

/* A start that ended between the key and the certificate left a key alone:
 * the next start makes the certificate for that very key (it used to refuse
 * to start until the key was removed by hand). A file that holds no key is
 * still refused, and left as it was. */
static void test_ensure_lone_key_is_certified(void **state)
{
	struct hostcert_names n = sample();
	char dir[48], cp[64], kp[64], err[256];
	char *key_before = NULL, *key_after = NULL, *cert = NULL;
	size_t len;
	int created = -1;
	BIO *b;
	EVP_PKEY *pk;
	X509 *x;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "hc"), 0);
	snprintf(cp, sizeof(cp), "%s/server.crt", dir);
	snprintf(kp, sizeof(kp), "%s/server.key", dir);
	assert_int_equal(hostcert_ensure(cp, kp, &n, &created, err, sizeof(err)), 0);
	assert_int_equal(unlink(cp), 0);
	assert_int_equal(file_read_all(kp, 1 << 16, &key_before, &len), 0);

	assert_int_equal(hostcert_ensure(cp, kp, &n, &created, err, sizeof(err)), 0);
	assert_int_equal(created, 2);
	assert_int_equal(file_read_all(kp, 1 << 16, &key_after, &len), 0);
	assert_string_equal(key_before, key_after);
	assert_int_equal(file_read_all(cp, 1 << 16, &cert, &len), 0);
	x = parse(cert);
	b = BIO_new_mem_buf(key_after, -1);
	pk = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	assert_non_null(pk);
	assert_int_equal(X509_check_private_key(x, pk), 1);
	EVP_PKEY_free(pk);
	BIO_free(b);
	X509_free(x);

	/* A key file that holds no key is refused; nothing is written. */
	assert_int_equal(unlink(cp), 0);
	assert_int_equal(file_write_atomic(kp, "torn", 4, 0600), 0);
	assert_int_equal(hostcert_ensure(cp, kp, &n, &created, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, kp));
	assert_non_null(strstr(err, "holds no private key"));
	assert_int_not_equal(access(cp, F_OK), 0);
	free(key_before);
	free(key_after);
	free(cert);
	unlink(kp);
	rmdir(dir);
}

/* A certificate that cannot be written takes its key with it: the next
 * start makes a new pair instead of refusing a key alone. */
static void test_ensure_failed_write_leaves_nothing(void **state)
{
	struct hostcert_names n = sample();
	char dir[48], cp[80], bad[80], kp[64], err[256];
	int created = -1;
	(void)state;

	assert_int_equal(tmpdir_make(dir, sizeof(dir), "hc"), 0);
	snprintf(bad, sizeof(bad), "%s/missing/server.crt", dir);
	snprintf(cp, sizeof(cp), "%s/server.crt", dir);
	snprintf(kp, sizeof(kp), "%s/server.key", dir);
	assert_int_equal(hostcert_ensure(bad, kp, &n, &created, err, sizeof(err)), -ENOENT);
	assert_int_equal(created, 0);
	assert_non_null(strstr(err, "cannot write"));
	assert_int_not_equal(access(kp, F_OK), 0);

	assert_int_equal(hostcert_ensure(cp, kp, &n, &created, err, sizeof(err)), 0);
	assert_int_equal(created, 1);
	unlink(cp);
	unlink(kp);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collect_has_loopback),
		cmocka_unit_test(test_certificate_contents),
		cmocka_unit_test(test_fingerprint_matches_openssl_tool),
		cmocka_unit_test(test_ensure_once),
		cmocka_unit_test(test_ensure_failed_write_leaves_nothing),
		cmocka_unit_test(test_ensure_lone_key_is_certified),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

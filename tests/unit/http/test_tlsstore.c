/* The swappable certificate store: the pair current is what a handshake
 * gets; a bad replacement changes nothing; replaced pairs stay readable
 * (AddressSanitizer would catch a use after free) until the store is freed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gnutls/x509.h>

#include "http/hostcert.h"
#include "http/tlsfiles.h"
#include "http/tlsstore.h"

struct pem_pair {
	char *cert;
	char *key;
};

static struct pem_pair make_pair(const char *host)
{
	struct hostcert_names n = { .ndns = 1 };
	struct pem_pair p;
	char err[256];

	snprintf(n.dns[0], sizeof(n.dns[0]), "%s", host);
	assert_int_equal(hostcert_create(&n, 1, &p.cert, &p.key, err, sizeof(err)), 0);
	return p;
}

static void pair_release(struct pem_pair *p)
{
	free(p->cert);
	tls_free_secret(p->key);
}

/* The certified host name of a chain's leaf, as GnuTLS sees it. */
static int leaf_is(gnutls_pcert_st *pcert, const char *host)
{
	gnutls_x509_crt_t crt;
	int ok;

	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_import(crt, &pcert[0].cert, GNUTLS_X509_FMT_DER), 0);
	ok = gnutls_x509_crt_check_hostname(crt, host);
	gnutls_x509_crt_deinit(crt);
	return ok;
}

static void test_swap(void **state)
{
	struct pem_pair a = make_pair("first.example"), b = make_pair("second.example");
	struct tls_store *s = NULL;
	gnutls_pcert_st *pc, *old;
	gnutls_privkey_t key, oldkey;
	unsigned n;
	char err[256];
	(void)state;

	assert_int_equal(tls_store_new(a.cert, a.key, &s, err, sizeof(err)), 0);
	tls_store_current(s, &pc, &n, &key);
	assert_int_equal(n, 1);
	assert_non_null(key);
	assert_true(leaf_is(pc, "first.example"));
	assert_int_equal(tls_store_generation(s), 1);
	old = pc;
	oldkey = key;

	assert_int_equal(tls_store_replace(s, b.cert, b.key, err, sizeof(err)), 0);
	tls_store_current(s, &pc, &n, &key);
	assert_true(leaf_is(pc, "second.example"));
	assert_ptr_not_equal(key, oldkey);
	assert_int_equal(tls_store_generation(s), 2);
	/* What an earlier handshake was given is still valid. */
	assert_true(leaf_is(old, "first.example"));

	/* A bad certificate or key leaves the current pair in force. */
	assert_int_equal(tls_store_replace(s, "garbage", b.key, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "certificate"));
	assert_int_equal(tls_store_replace(s, a.cert, "garbage", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "private key"));
	tls_store_current(s, &pc, &n, &key);
	assert_true(leaf_is(pc, "second.example"));
	assert_int_equal(tls_store_generation(s), 2);

	tls_store_free(s);
	tls_store_free(NULL);
	pair_release(&a);
	pair_release(&b);
}

static void test_new_refuses_garbage(void **state)
{
	struct tls_store *s = NULL;
	char err[256];
	(void)state;

	assert_int_equal(tls_store_new("x", "y", &s, err, sizeof(err)), -EINVAL);
	assert_null(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_swap),
		cmocka_unit_test(test_new_refuses_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

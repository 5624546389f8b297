/* Certificate to account names: CN (exactly one), SAN email/DNS entries,
 * validity period and purpose checked independently of the TLS layer,
 * hostile names refused. Certificates are made in-process with OpenSSL. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "auth/certmap.h"

struct spec {
	const char *cn, *cn2;
	const char *san; /* "email:a@b,DNS:c" or NULL */
	long from_s, to_s; /* validity, seconds from now */
	const char *eku;   /* "clientAuth", "serverAuth" or NULL (no extension) */
};

static EVP_PKEY *key(void)
{
	static EVP_PKEY *k;
	if (!k)
		k = EVP_EC_gen("P-256");
	return k;
}

static int make(const struct spec *s, unsigned char **der)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX ctx;
	int len;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), s->from_s);
	X509_gmtime_adj(X509_getm_notAfter(x), s->to_s);
	if (s->cn)
		X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)s->cn, -1, -1, 0);
	if (s->cn2)
		X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)s->cn2, -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"test", -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, key());
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (s->san) {
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, s->san);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	if (s->eku) {
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_ext_key_usage, s->eku);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	X509_sign(x, key(), EVP_sha256());
	*der = NULL;
	len = i2d_X509(x, der);
	X509_NAME_free(n);
	X509_free(x);
	return len;
}

static int names_of(const struct spec *s, enum certmap_field f, char names[][IDENTITY_NAME_MAX])
{
	unsigned char *der;
	int len = make(s, &der), rc;
	assert_true(len > 0);
	rc = certmap_names(der, (size_t)len, f, names, CERTMAP_NAMES_MAX);
	OPENSSL_free(der);
	return rc;
}

static void test_cn(void **state)
{
	char names[CERTMAP_NAMES_MAX][IDENTITY_NAME_MAX];
	struct spec s = { "fleet-client", NULL, "email:ops@example.org", -60, 3600, "clientAuth" };
	(void)state;

	assert_int_equal(names_of(&s, CERTMAP_CN, names), 1);
	assert_string_equal(names[0], "fleet-client");
	s.eku = NULL; /* no EKU: any purpose */
	assert_int_equal(names_of(&s, CERTMAP_CN, names), 1);
	s.cn2 = "admin"; /* two CNs: ambiguous */
	assert_int_equal(names_of(&s, CERTMAP_CN, names), -ENOENT);
	s.cn2 = NULL;
	s.cn = NULL;
	assert_int_equal(names_of(&s, CERTMAP_CN, names), -ENOENT);
	s.cn = "has space";
	assert_int_equal(names_of(&s, CERTMAP_CN, names), -ENOENT);
}

static void test_san(void **state)
{
	char names[CERTMAP_NAMES_MAX][IDENTITY_NAME_MAX];
	struct spec s = { "x", NULL, "IP:192.0.2.1,email:ops@example.org,DNS:node7.example", -60,
			  3600, "clientAuth" };
	(void)state;

	assert_int_equal(names_of(&s, CERTMAP_SAN, names), 2);
	assert_string_equal(names[0], "ops@example.org");
	assert_string_equal(names[1], "node7.example");
	s.san = NULL;
	assert_int_equal(names_of(&s, CERTMAP_SAN, names), -ENOENT);
}

static void test_validity_and_purpose(void **state)
{
	char names[CERTMAP_NAMES_MAX][IDENTITY_NAME_MAX];
	struct spec expired = { "a", NULL, NULL, -7200, -3600, "clientAuth" };
	struct spec future = { "a", NULL, NULL, 3600, 7200, "clientAuth" };
	struct spec server = { "a", NULL, NULL, -60, 3600, "serverAuth" };
	static const unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	(void)state;

	assert_int_equal(names_of(&expired, CERTMAP_CN, names), -EKEYEXPIRED);
	assert_int_equal(names_of(&future, CERTMAP_CN, names), -EKEYEXPIRED);
	assert_int_equal(names_of(&server, CERTMAP_CN, names), -EKEYREJECTED);
	assert_int_equal(certmap_names(junk, sizeof(junk), CERTMAP_CN, names, 1), -EINVAL);
	assert_int_equal(certmap_names(NULL, 0, CERTMAP_CN, names, 1), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cn),
		cmocka_unit_test(test_san),
		cmocka_unit_test(test_validity_and_purpose),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	EVP_PKEY_free(key());
	return rc;
}

#include "auth/certmap.h"

#include <errno.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>

/* A name is usable when it is printable ASCII without spaces and fits: an
 * embedded NUL or a control character must never reach an account lookup
 * or a log line. */
static int copy_name(const unsigned char *s, int len, char *out)
{
	if (len <= 0 || len >= IDENTITY_NAME_MAX)
		return -EINVAL;
	for (int i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return -EINVAL;
	memcpy(out, s, (size_t)len);
	out[len] = '\0';
	return 0;
}

static int common_name(X509 *x, char names[][IDENTITY_NAME_MAX])
{
	X509_NAME *subj = X509_get_subject_name(x);
	int idx = X509_NAME_get_index_by_NID(subj, NID_commonName, -1);
	ASN1_STRING *d;
	unsigned char *utf8 = NULL;
	int len, rc;

	if (idx < 0 || X509_NAME_get_index_by_NID(subj, NID_commonName, idx) >= 0)
		return -ENOENT;
	d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx));
	len = ASN1_STRING_to_UTF8(&utf8, d);
	rc = len > 0 && copy_name(utf8, len, names[0]) == 0 ? 1 : -ENOENT;
	OPENSSL_free(utf8);
	return rc;
}

static int alt_names(X509 *x, char names[][IDENTITY_NAME_MAX], size_t max)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	size_t n = 0;

	if (!gens)
		return -ENOENT;
	for (int i = 0; i < sk_GENERAL_NAME_num(gens) && n < max; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_IA5STRING *s;
		if (g->type == GEN_EMAIL)
			s = g->d.rfc822Name;
		else if (g->type == GEN_DNS)
			s = g->d.dNSName;
		else
			continue;
		if (copy_name(ASN1_STRING_get0_data(s), ASN1_STRING_length(s), names[n]) == 0)
			n++;
	}
	GENERAL_NAMES_free(gens);
	return n ? (int)n : -ENOENT;
}

int certmap_names(const unsigned char *der, size_t len, enum certmap_field field,
		  char names[][IDENTITY_NAME_MAX], size_t max)
{
	const unsigned char *p = der;
	X509 *x;
	int rc;

	if (!der || !len || !max || len > 65536)
		return -EINVAL;
	x = d2i_X509(NULL, &p, (long)len);
	if (!x || p != der + len) {
		X509_free(x);
		return -EINVAL;
	}
	if (X509_cmp_current_time(X509_get0_notBefore(x)) >= 0 ||
	    X509_cmp_current_time(X509_get0_notAfter(x)) <= 0)
		rc = -EKEYEXPIRED;
	else if (X509_check_purpose(x, X509_PURPOSE_SSL_CLIENT, 0) != 1)
		rc = -EKEYREJECTED;
	else if (field == CERTMAP_CN)
		rc = common_name(x, names);
	else
		rc = alt_names(x, names, max);
	X509_free(x);
	return rc;
}

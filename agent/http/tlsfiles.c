#include "http/tlsfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/fileio.h"
#include "util/log.h"

#define PEM_MAX (1u << 20)

static int read_pem(const char *path, int oflags, const char *what, char **out, char *err,
		    size_t errlen)
{
	size_t len;
	int rc = file_read_all_flags(path, oflags, PEM_MAX, out, &len);

	/* Without O_NOFOLLOW, -ELOOP is a loop of links, not a refused one. */
	if (rc)
		snprintf(err, errlen, "cannot read %s %s: %s", what, path,
			 rc == -ELOOP && !oflags ? strerror(-rc) : file_refusal(rc));
	return rc;
}

static X509 *first_cert(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	return x;
}

int tls_key_exposed(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	return (st.st_mode & S_IRWXO) != 0;
}

int tls_load_pair(const char *cert_path, const char *key_path, bool generated, char **cert_pem,
		  char **key_pem, char *err, size_t errlen)
{
	char *cert = NULL, *key = NULL;
	X509 *x = NULL;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	int oflags = generated ? O_NOFOLLOW : 0;
	int rc;

	if ((rc = read_pem(cert_path, oflags, "certificate", &cert, err, errlen)) ||
	    (rc = read_pem(key_path, oflags, "private key", &key, err, errlen)))
		goto fail;
	rc = -EINVAL;
	if (!(x = first_cert(cert))) {
		snprintf(err, errlen, "%s holds no PEM certificate", cert_path);
		goto fail;
	}
	bio = BIO_new_mem_buf(key, -1);
	if (!bio || !(pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL))) {
		snprintf(err, errlen, "%s holds no unencrypted PEM private key", key_path);
		goto fail;
	}
	if (X509_check_private_key(x, pkey) != 1) {
		snprintf(err, errlen, "private key %s does not match certificate %s", key_path,
			 cert_path);
		goto fail;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0) {
		snprintf(err, errlen, "certificate %s has expired", cert_path);
		goto fail;
	}
	if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0)
		log_warn("certificate %s is not valid yet", cert_path);
	/* Said at every load rather than refused: a deployment that chose the
	 * mode keeps serving, and its operator hears of it. */
	if (tls_key_exposed(key_path) == 1)
		log_warn("private key %s is open to every user of this host: make it mode 0600 "
			 "(or 0640, with a group of its own)", key_path);
	X509_free(x);
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	ERR_clear_error();
	*cert_pem = cert;
	*key_pem = key;
	return 0;
fail:
	X509_free(x);
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	ERR_clear_error();
	free(cert);
	tls_free_secret(key);
	return rc;
}

int tls_load_ca(const char *path, char **pem, char *err, size_t errlen)
{
	X509 *x;
	int rc = read_pem(path, 0, "client CA", pem, err, errlen);
	if (rc)
		return rc;
	x = first_cert(*pem);
	if (!x) {
		snprintf(err, errlen, "%s holds no PEM certificate", path);
		free(*pem);
		*pem = NULL;
		return -EINVAL;
	}
	X509_free(x);
	return 0;
}

void tls_free_secret(char *pem)
{
	if (!pem)
		return;
	OPENSSL_cleanse(pem, strlen(pem));
	free(pem);
}

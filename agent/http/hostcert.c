#include "http/hostcert.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/tlsfiles.h"
#include "util/fileio.h"

static void add_dns(struct hostcert_names *n, const char *name)
{
	if (!name[0] || n->ndns >= HOSTCERT_MAX_DNS)
		return;
	for (size_t i = 0; i < n->ndns; i++)
		if (strcmp(n->dns[i], name) == 0)
			return;
	snprintf(n->dns[n->ndns++], sizeof(n->dns[0]), "%s", name);
}

static void add_ip(struct hostcert_names *n, const struct sockaddr *sa)
{
	char text[64];
	const void *addr;

	if (sa->sa_family == AF_INET) {
		addr = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		if (IN6_IS_ADDR_LINKLOCAL(a6))
			return;
		addr = a6;
	} else {
		return;
	}
	if (n->nip >= HOSTCERT_MAX_IP || !inet_ntop(sa->sa_family, addr, text, sizeof(text)))
		return;
	for (size_t i = 0; i < n->nip; i++)
		if (strcmp(n->ip[i], text) == 0)
			return;
	snprintf(n->ip[n->nip++], sizeof(n->ip[0]), "%s", text);
}

int hostcert_names_collect(struct hostcert_names *n)
{
	char host[256] = "";
	struct ifaddrs *ifs, *i;

	memset(n, 0, sizeof(*n));
	if (gethostname(host, sizeof(host) - 1) == 0)
		add_dns(n, host);
	add_dns(n, "localhost");
	if (getifaddrs(&ifs) < 0)
		return -errno;
	for (i = ifs; i; i = i->ifa_next)
		if (i->ifa_addr)
			add_ip(n, i->ifa_addr);
	freeifaddrs(ifs);
	return 0;
}

/* "DNS:a,DNS:b,IP:1.2.3.4", the syntax X509V3_EXT_conf_nid understands. */
static int san_text(const struct hostcert_names *names, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < names->ndns + names->nip; i++) {
		int w = snprintf(buf + used, len - used, "%s%s:%s", used ? "," : "",
				 i < names->ndns ? "DNS" : "IP",
				 i < names->ndns ? names->dns[i] : names->ip[i - names->ndns]);
		if (w < 0 || (size_t)w >= len - used)
			return -ENAMETOOLONG;
		used += (size_t)w;
	}
	return used ? 0 : -EINVAL;
}

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -EINVAL;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -ENOMEM;
}

static int fill_cert(X509 *x, EVP_PKEY *key, const struct hostcert_names *names, unsigned days,
		     const char *san)
{
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	X509_NAME *subject = X509_get_subject_name(x);
	int rc = -ENOMEM;

	if (RAND_bytes(serial, sizeof(serial)) != 1)
		return -EIO;
	serial[0] &= 0x7f; /* positive, as RFC 5280 requires */
	if (!(bn = BN_bin2bn(serial, sizeof(serial), NULL)) ||
	    !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
		goto out;
	if (!X509_set_version(x, 2) || !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400L) ||
	    !X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8,
					(const unsigned char *)"cxl-agent self-signed", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
					(const unsigned char *)names->dns[0], -1, -1, 0) ||
	    !X509_set_issuer_name(x, subject) || !X509_set_pubkey(x, key))
		goto out;
	if ((rc = add_ext(x, NID_basic_constraints, "critical,CA:FALSE")) ||
	    (rc = add_ext(x, NID_key_usage, "critical,digitalSignature")) ||
	    (rc = add_ext(x, NID_ext_key_usage, "serverAuth")) ||
	    (rc = add_ext(x, NID_subject_key_identifier, "hash")) ||
	    (rc = add_ext(x, NID_subject_alt_name, san)))
		goto out;
	rc = X509_sign(x, key, EVP_sha256()) > 0 ? 0 : -EIO;
out:
	BN_free(bn);
	return rc;
}

static char *bio_text(BIO *bio)
{
	char *data;
	long n = BIO_get_mem_data(bio, &data);
	char *out = n > 0 ? malloc((size_t)n + 1) : NULL;

	if (out) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
	}
	return out;
}

/* A certificate for key (new PEM in *cert_pem) and, with key_pem set, the
 * key as new PEM in *key_pem. Returns 0 or -errno. */
static int certify(EVP_PKEY *key, const struct hostcert_names *names, unsigned days,
		   char **cert_pem, char **key_pem)
{
	char san[HOSTCERT_MAX_DNS * 260 + HOSTCERT_MAX_IP * 70];
	X509 *x = NULL;
	BIO *cb = NULL, *kb = NULL;
	int rc;

	if (names->ndns == 0 || san_text(names, san, sizeof(san)))
		return -EINVAL;
	rc = -ENOMEM;
	if (!(x = X509_new()))
		goto out;
	if ((rc = fill_cert(x, key, names, days, san)))
		goto out;
	rc = -ENOMEM;
	if (!(cb = BIO_new(BIO_s_mem())) || !PEM_write_bio_X509(cb, x) ||
	    !(*cert_pem = bio_text(cb)))
		goto out;
	if (key_pem && (!(kb = BIO_new(BIO_s_secmem())) ||
			!PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) ||
			!(*key_pem = bio_text(kb))))
		goto out;
	rc = 0;
out:
	BIO_free(cb);
	BIO_free(kb); /* secure memory: cleansed when freed */
	X509_free(x);
	return rc;
}

int hostcert_create(const struct hostcert_names *names, unsigned days, char **cert_pem,
		    char **key_pem, char *err, size_t errlen)
{
	EVP_PKEY *key = NULL;
	int rc;

	*cert_pem = *key_pem = NULL;
	if (names->ndns == 0) {
		snprintf(err, errlen, "no host name to certify");
		return -EINVAL;
	}
	rc = (key = EVP_EC_gen("P-256")) ? certify(key, names, days, cert_pem, key_pem) : -ENOMEM;
	if (rc) {
		snprintf(err, errlen, "cannot create a self-signed certificate: %s", strerror(-rc));
		free(*cert_pem);
		tls_free_secret(*key_pem);
		*cert_pem = *key_pem = NULL;
	}
	EVP_PKEY_free(key);
	return rc;
}

int hostcert_fingerprint(const char *pem, char *out, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	int rc = -EINVAL;

	if (x && X509_digest(x, EVP_sha256(), md, &n) == 1 && len >= (size_t)n * 3) {
		for (unsigned i = 0; i < n; i++)
			snprintf(out + i * 3, len - i * 3, "%02X%s", md[i], i + 1 < n ? ":" : "");
		rc = 0;
	}
	X509_free(x);
	BIO_free(bio);
	return rc;
}

/* The key written by a start that ended before its certificate (a crash
 * between the two writes) gets the certificate it lacked: made from that
 * key, it cannot be mismatched with it. */
static int certify_lone_key(const char *cert_path, const char *key_path,
			    const struct hostcert_names *names, char *err, size_t errlen)
{
	char *pem = NULL, *cert = NULL;
	size_t len;
	BIO *bio;
	EVP_PKEY *key = NULL;
	int rc = file_read_all_flags(key_path, O_NOFOLLOW, 64u << 10, &pem, &len);

	if (rc) {
		snprintf(err, errlen, "%s exists without %s and cannot be read: %s", key_path,
			 cert_path, file_refusal(rc));
		return rc;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)))
		key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	tls_free_secret(pem);
	if (!key) {
		snprintf(err, errlen, "%s exists without %s and holds no private key; remove it "
			 "to have a new pair made", key_path, cert_path);
		return -EINVAL;
	}
	rc = certify(key, names, HOSTCERT_VALID_DAYS, &cert, NULL);
	EVP_PKEY_free(key);
	if (rc)
		snprintf(err, errlen, "cannot create a certificate for %s: %s", key_path,
			 strerror(-rc));
	else if ((rc = file_write_atomic(cert_path, cert, strlen(cert), 0644)))
		snprintf(err, errlen, "cannot write %s: %s", cert_path, strerror(-rc));
	free(cert);
	return rc;
}

int hostcert_ensure(const char *cert_path, const char *key_path,
		    const struct hostcert_names *names, int *created, char *err, size_t errlen)
{
	struct stat st;
	int have_cert, have_key;
	char *cert = NULL, *key = NULL;
	int rc;

	*created = 0;
	file_remove_stale_temporaries(cert_path);
	file_remove_stale_temporaries(key_path);
	/* lstat: a link in the place of either is there, and refused when
	 * read like every state file, never written through or replaced. */
	have_cert = lstat(cert_path, &st) == 0;
	have_key = lstat(key_path, &st) == 0;
	if (have_cert && have_key)
		return 0;
	if (have_key) {
		if ((rc = certify_lone_key(cert_path, key_path, names, err, errlen)))
			return rc;
		*created = 2;
		return 0;
	}
	if (have_cert) {
		snprintf(err, errlen, "%s exists without %s; remove it to have a new pair made",
			 cert_path, key_path);
		return -EEXIST;
	}
	if ((rc = hostcert_create(names, HOSTCERT_VALID_DAYS, &cert, &key, err, errlen)))
		return rc;
	/* The key first: a crash in between leaves a key alone, which the next
	 * start certifies, never pairing it with some other certificate. */
	rc = file_write_atomic(key_path, key, strlen(key), 0600);
	if (rc) {
		snprintf(err, errlen, "cannot write %s: %s", key_path, strerror(-rc));
	} else if ((rc = file_write_atomic(cert_path, cert, strlen(cert), 0644))) {
		snprintf(err, errlen, "cannot write %s: %s", cert_path, strerror(-rc));
		/* A failed write (a full disk) leaves nothing behind, so the
		 * next start makes a whole pair afresh. Only a crash in
		 * between leaves a key alone. */
		if (unlink(key_path) < 0 && errno != ENOENT)
			snprintf(err, errlen, "cannot write %s: %s; remove %s to have a new pair made",
				 cert_path, strerror(-rc), key_path);
	} else {
		*created = 1;
	}
	free(cert);
	tls_free_secret(key);
	return rc;
}

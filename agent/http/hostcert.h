/* The host's own certificate, for a first start without configured TLS files
 * (as ssh host keys are made on install): a self-signed EC P-256 certificate
 * whose subject alternative names are the host's names and addresses, kept in
 * the state directory and reused from then on. */
#ifndef CXLA_HTTP_HOSTCERT_H
#define CXLA_HTTP_HOSTCERT_H

#include <stddef.h>

#define HOSTCERT_MAX_DNS 4
#define HOSTCERT_MAX_IP 32
#define HOSTCERT_VALID_DAYS 3650

struct hostcert_names {
	char dns[HOSTCERT_MAX_DNS][256];
	size_t ndns;
	char ip[HOSTCERT_MAX_IP][64];   /* numeric IPv4 or IPv6 */
	size_t nip;
};

/* The host name, "localhost", and every address on the host's interfaces
 * except IPv6 link-local ones (which depend on the interface). Returns 0 or
 * -errno. */
int hostcert_names_collect(struct hostcert_names *n);

/* A new key pair and self-signed certificate for names, as new PEM buffers
 * (free the key with tls_free_secret). Returns 0 or -errno. */
int hostcert_create(const struct hostcert_names *names, unsigned days, char **cert_pem,
		    char **key_pem, char *err, size_t errlen);

/* "AB:CD:..." (95 characters and NUL): the SHA-256 of the first certificate
 * in pem, as `openssl x509 -fingerprint -sha256` prints it. */
int hostcert_fingerprint(const char *pem, char *out, size_t len);

/* Leave an existing pair alone (*created = 0); with neither file present,
 * create both (key mode 0600, written first) and set *created = 1. A key
 * alone (a start that ended between the two writes) gets a certificate made
 * for it (*created = 2); a certificate alone is an error, and no key is made
 * to go with it. */
int hostcert_ensure(const char *cert_path, const char *key_path,
		    const struct hostcert_names *names, int *created, char *err, size_t errlen);

#endif

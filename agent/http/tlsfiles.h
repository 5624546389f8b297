/* Certificate and key files for the HTTPS server, checked with OpenSSL before
 * libmicrohttpd sees them so that a mismatch or an unreadable file is refused
 * at start-up with a message that says which and why. */
#ifndef CXLA_HTTP_TLSFILES_H
#define CXLA_HTTP_TLSFILES_H

#include <stdbool.h>
#include <stddef.h>

/* Read and check a certificate chain and its private key. On success
 * *cert_pem and *key_pem are new NUL-terminated buffers (free(); the key
 * buffer should be cleansed with tls_free_secret). Returns 0 or -errno with
 * a message in err. With generated set the pair is the host's own in the
 * state directory, and a symbolic link there is refused (-ELOOP) like at
 * every state file; an operator's configured pair may be links (certbot's
 * live/ directory is made of them). */
int tls_load_pair(const char *cert_path, const char *key_path, bool generated, char **cert_pem,
		  char **key_pem, char *err, size_t errlen);
/* Whether users other than the file's owner and group may read or write the
 * key file at path: 1 or 0, or -errno when it cannot be looked at. */
int tls_key_exposed(const char *path);
/* Read a PEM CA bundle holding at least one certificate. */
int tls_load_ca(const char *path, char **pem, char *err, size_t errlen);
void tls_free_secret(char *pem);

#endif

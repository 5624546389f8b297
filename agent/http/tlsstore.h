/* The server's certificate chain and key as GnuTLS handshakes use them, held
 * so that a reload can swap them while connections are being accepted: each
 * handshake takes the pair current when it starts. */
#ifndef CXLA_HTTP_TLSSTORE_H
#define CXLA_HTTP_TLSSTORE_H

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <stddef.h>

struct tls_store;

/* A store holding the pair from PEM text (borrowed). Returns 0 or -errno with
 * a message in err. */
int tls_store_new(const char *cert_pem, const char *key_pem, struct tls_store **out, char *err,
		  size_t errlen);
/* Make the pair from PEM text current. On error the current pair stays and
 * err says why. Pairs replaced stay valid until tls_store_free, because GnuTLS
 * does not copy what a handshake was given and established sessions may still
 * refer to it; a reload costs a few kilobytes. */
int tls_store_replace(struct tls_store *s, const char *cert_pem, const char *key_pem, char *err,
		      size_t errlen);
/* The current chain and key (borrowed, valid until tls_store_free). */
void tls_store_current(struct tls_store *s, gnutls_pcert_st **pcert, unsigned *n,
		       gnutls_privkey_t *key);
/* How many pairs have been made current so far (1 after tls_store_new). */
unsigned tls_store_generation(struct tls_store *s);
void tls_store_free(struct tls_store *s);

#endif

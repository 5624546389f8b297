/* Client certificates to account names: the leaf certificate (DER, already
 * verified against the client CA by the TLS layer) is parsed with OpenSSL
 * and its subject CN, or its subjectAltName entries, name the account. */
#ifndef CXLA_AUTH_CERTMAP_H
#define CXLA_AUTH_CERTMAP_H

#include <stddef.h>

#include "auth/identity.h"

enum certmap_field {
	CERTMAP_CN,  /* the single commonName of the subject */
	CERTMAP_SAN, /* rfc822Name (email) or dNSName entries, in order */
};

#define CERTMAP_NAMES_MAX 8

/* Candidate account names from der. Checks again, independently of the TLS
 * layer, that the certificate is inside its validity period and fit for
 * client authentication (extended key usage). Returns the number of names
 * (>= 1) written to names, or -EINVAL (unparsable), -EKEYEXPIRED (expired or
 * not yet valid), -EKEYREJECTED (not for client authentication), -ENOENT (no
 * usable name, or an ambiguous subject with several CNs). */
int certmap_names(const unsigned char *der, size_t len, enum certmap_field field,
		  char names[][IDENTITY_NAME_MAX], size_t max);

#endif

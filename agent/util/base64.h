/* Standard base64 (RFC 4648, with padding) for payloads carried in JSON. */
#ifndef CXLA_UTIL_BASE64_H
#define CXLA_UTIL_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Decode text (len characters) strictly: only the standard alphabet, length
 * a multiple of 4, padding only at the end. *out is a new buffer (free(),
 * non-NULL even when *outlen is 0). Returns 0, -EINVAL or -ENOMEM. */
int base64_decode(const char *text, size_t len, uint8_t **out, size_t *outlen);
/* Encode into a new NUL-terminated string (free()), or NULL. */
char *base64_encode(const uint8_t *data, size_t len);

#endif

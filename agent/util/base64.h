/* Payloads carried in JSON: standard base64 (RFC 4648, with padding), and
 * hexadecimal for operators who read payloads as bytes. */
#ifndef CXLA_UTIL_BASE64_H
#define CXLA_UTIL_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Characters in the encoding of n bytes, padding included. */
#define BASE64_ENCODED_LEN(n) (4 * (((n) + 2) / 3))

/* Encode len bytes into out, which holds BASE64_ENCODED_LEN(len) + 1
 * characters, NUL-terminated. Returns the length without the NUL. */
size_t base64_encode_into(char *out, const uint8_t *data, size_t len);
/* Decode text (len characters) as base64_decode does into out, which holds
 * outcap bytes (len / 4 * 3 always suffices). 0, -EINVAL or -ENOSPC. */
int base64_decode_into(const char *text, size_t len, uint8_t *out, size_t outcap,
		       size_t *outlen);
/* Decode text (len characters) strictly: only the standard alphabet, length
 * a multiple of 4, padding only at the end. *out is a new buffer (free(),
 * non-NULL even when *outlen is 0). Returns 0, -EINVAL or -ENOMEM. */
int base64_decode(const char *text, size_t len, uint8_t **out, size_t *outlen);
/* Encode into a new NUL-terminated string (free()), or NULL. */
char *base64_encode(const uint8_t *data, size_t len);
/* Decode hexadecimal text (len characters, an even count of 0-9 a-f A-F,
 * nothing else) like base64_decode. Returns 0, -EINVAL or -ENOMEM. */
int hex_decode(const char *text, size_t len, uint8_t **out, size_t *outlen);
/* The value of one hexadecimal digit (0-9 a-f A-F), or -1 for any other
 * character, NUL included. */
int hex_digit(char c);

#endif

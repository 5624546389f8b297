#include "util/base64.h"

#include <errno.h>
#include <nettle/base64.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Nettle (GnuTLS's own crypto library, loaded for TLS anyway) does the
 * coding; its decoder also skips white space, so the strict form is
 * checked here first. */
static bool strict_form(const char *text, size_t len, size_t *pad)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	if (len % 4)
		return false;
	*pad = 0;
	while (*pad < 2 && *pad < len && text[len - 1 - *pad] == '=')
		(*pad)++;
	for (size_t i = 0; i < len - *pad; i++)
		if (text[i] == '\0' || !strchr(alphabet, text[i]))
			return false;
	return true;
}

size_t base64_encode_into(char *out, const uint8_t *data, size_t len)
{
	size_t n = BASE64_ENCODED_LEN(len);

	nettle_base64_encode_raw(out, len, data);
	out[n] = '\0';
	return n;
}

int base64_decode_into(const char *text, size_t len, uint8_t *out, size_t outcap,
		       size_t *outlen)
{
	struct base64_decode_ctx ctx;
	size_t pad, n = outcap;

	if (!strict_form(text, len, &pad))
		return -EINVAL;
	if (len / 4 * 3 - pad > outcap)
		return -ENOSPC;
	nettle_base64_decode_init(&ctx);
	if (!nettle_base64_decode_update(&ctx, &n, out, len, text) ||
	    !nettle_base64_decode_final(&ctx))
		return -EINVAL;
	*outlen = n;
	return 0;
}

int base64_decode(const char *text, size_t len, uint8_t **out, size_t *outlen)
{
	uint8_t *buf = malloc(len / 4 * 3 + 1);
	int rc;

	if (!buf)
		return -ENOMEM;
	rc = base64_decode_into(text, len, buf, len / 4 * 3, outlen);
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

char *base64_encode(const uint8_t *data, size_t len)
{
	char *out = malloc(BASE64_ENCODED_LEN(len) + 1);

	if (out)
		base64_encode_into(out, data, len);
	return out;
}

int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode(const char *text, size_t len, uint8_t **out, size_t *outlen)
{
	uint8_t *buf;

	if (len % 2)
		return -EINVAL;
	buf = malloc(len / 2 + 1);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < len; i += 2) {
		int hi = hex_digit(text[i]), lo = hex_digit(text[i + 1]);
		if (hi < 0 || lo < 0) {
			free(buf);
			return -EINVAL;
		}
		buf[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*out = buf;
	*outlen = len / 2;
	return 0;
}

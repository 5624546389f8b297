#include "util/base64.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The 6-bit value of an alphabet character, or -1. */
static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

size_t base64_encode_into(char *out, const uint8_t *data, size_t len)
{
	size_t o = 0, i = 0;

	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = alphabet[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)data[i] << 16 | (i + 1 < len ? (uint32_t)data[i + 1] << 8 : 0);
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = i + 1 < len ? alphabet[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

int base64_decode_into(const char *text, size_t len, uint8_t *out, size_t outcap,
		       size_t *outlen)
{
	size_t pad = 0, o = 0;

	if (len % 4)
		return -EINVAL;
	while (pad < 2 && pad < len && text[len - 1 - pad] == '=')
		pad++;
	if (len / 4 * 3 - pad > outcap)
		return -ENOSPC;
	for (size_t i = 0; i < len; i += 4) {
		uint32_t v = 0;
		for (size_t k = 0; k < 4; k++) {
			int d = i + k >= len - pad ? 0 : b64_value(text[i + k]);
			if (d < 0)
				return -EINVAL;
			v = v << 6 | (uint32_t)d;
		}
		/* the bits under the padding are not looked at, as RFC 4648
		 * decoders commonly do */
		for (size_t k = 0; k < 3 && o < len / 4 * 3 - pad; k++)
			out[o++] = (uint8_t)(v >> (16 - 8 * k));
	}
	*outlen = o;
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

#include "util/base64.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static int b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

int base64_decode(const char *text, size_t len, uint8_t **out, size_t *outlen)
{
	size_t pad = 0;
	uint8_t *buf;
	int n;

	if (len % 4)
		return -EINVAL;
	while (pad < 2 && pad < len && text[len - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < len - pad; i++)
		if (!b64_char(text[i]))
			return -EINVAL;
	buf = malloc(len / 4 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	n = len ? EVP_DecodeBlock(buf, (const unsigned char *)text, (int)len) : 0;
	if (n < 0) {
		free(buf);
		return -EINVAL;
	}
	*out = buf;
	*outlen = (size_t)n - pad;
	return 0;
}

char *base64_encode(const uint8_t *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	if (!out)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
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

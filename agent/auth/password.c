#include "auth/password.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"

#define SALT_LEN 16
#define KEY_LEN 32
#define PREFIX "pbkdf2-sha256$"

static int derive(const char *password, const unsigned char *salt, size_t salt_len,
		  unsigned iterations, unsigned char *key)
{
	const gnutls_datum_t pw = { (unsigned char *)password, (unsigned)strlen(password) };
	const gnutls_datum_t sa = { (unsigned char *)salt, (unsigned)salt_len };

	return gnutls_pbkdf2(GNUTLS_MAC_SHA256, &pw, &sa, iterations, key, KEY_LEN) == 0 ? 0
											 : -EIO;
}

int password_hash(const char *password, unsigned iterations, char *out, size_t outlen)
{
	unsigned char salt[SALT_LEN], key[KEY_LEN];
	char salt_b64[BASE64_ENCODED_LEN(SALT_LEN) + 1], key_b64[BASE64_ENCODED_LEN(KEY_LEN) + 1];
	int n;

	if (!iterations)
		iterations = PASSWORD_ITERATIONS_DEFAULT;
	if (gnutls_rnd(GNUTLS_RND_RANDOM, salt, sizeof(salt)))
		return -EIO;
	if (derive(password, salt, sizeof(salt), iterations, key))
		return -EIO;
	base64_encode_into(salt_b64, salt, sizeof(salt));
	base64_encode_into(key_b64, key, sizeof(key));
	OPENSSL_cleanse(key, sizeof(key));
	n = snprintf(out, outlen, PREFIX "%u$%s$%s", iterations, salt_b64, key_b64);
	return n < 0 || (size_t)n >= outlen ? -ENOSPC : 0;
}

/* Decode base64 of a known decoded length; -EINVAL on any mismatch. */
static int b64_exact(const char *s, size_t slen, unsigned char *out, size_t want)
{
	unsigned char buf[64];
	size_t n;

	if (slen == 0 || base64_decode_into(s, slen, buf, sizeof(buf), &n) || n != want)
		return -EINVAL;
	memcpy(out, buf, want);
	return 0;
}

/* Split stored into its cost, salt and key. 0, -EINVAL or -ERANGE. */
static int parse_stored(const char *stored, unsigned long *iterations, unsigned char *salt,
			unsigned char *key)
{
	const char *p, *salt_s, *key_s;
	char *end;

	if (strncmp(stored, PREFIX, strlen(PREFIX)) != 0)
		return -EINVAL;
	p = stored + strlen(PREFIX);
	if (*p < '0' || *p > '9')
		return -EINVAL;
	errno = 0;
	*iterations = strtoul(p, &end, 10);
	if (*end != '$')
		return -EINVAL;
	if (errno || *iterations < PASSWORD_ITERATIONS_FLOOR ||
	    *iterations > PASSWORD_ITERATIONS_CEILING)
		return -ERANGE;
	salt_s = end + 1;
	key_s = strchr(salt_s, '$');
	if (!key_s)
		return -EINVAL;
	if (b64_exact(salt_s, (size_t)(key_s - salt_s), salt, SALT_LEN) ||
	    b64_exact(key_s + 1, strlen(key_s + 1), key, KEY_LEN))
		return -EINVAL;
	return 0;
}

int password_hash_check(const char *stored)
{
	unsigned char salt[SALT_LEN], key[KEY_LEN];
	unsigned long iterations;

	return parse_stored(stored, &iterations, salt, key);
}

int password_verify(const char *password, const char *stored)
{
	unsigned char salt[SALT_LEN], want[KEY_LEN], got[KEY_LEN];
	unsigned long iterations;
	int ok;

	if (parse_stored(stored, &iterations, salt, want))
		return -EINVAL;
	if (derive(password, salt, SALT_LEN, (unsigned)iterations, got))
		return -EIO;
	ok = CRYPTO_memcmp(got, want, KEY_LEN) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	return ok;
}

void password_burn(const char *password, unsigned iterations)
{
	static const unsigned char salt[SALT_LEN];
	unsigned char key[KEY_LEN], want[KEY_LEN] = { 0 };

	if (!iterations)
		iterations = PASSWORD_ITERATIONS_DEFAULT;
	if (derive(password, salt, SALT_LEN, iterations, key) == 0)
		(void)CRYPTO_memcmp(key, want, KEY_LEN); /* as verify does */
	OPENSSL_cleanse(key, sizeof(key));
}

int password_generate(char *out, size_t len)
{
	/* No 0/O, 1/l/I: passwords printed on a console get typed by people. */
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	const size_t n = sizeof(alphabet) - 1;
	size_t i = 0;

	while (i < len) {
		unsigned char b;
		if (gnutls_rnd(GNUTLS_RND_KEY, &b, 1))
			return -EIO;
		if (b >= 256 - (256 % n))
			continue; /* rejection sampling keeps the choice uniform */
		out[i++] = alphabet[b % n];
	}
	out[len] = '\0';
	return 0;
}

/* Password hashing with PBKDF2-HMAC-SHA256 (GnuTLS) and a per-password salt.
 * Stored form: "pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>". */
#ifndef CXLA_AUTH_PASSWORD_H
#define CXLA_AUTH_PASSWORD_H

#include <stddef.h>

#define PASSWORD_HASH_MAX 160
#define PASSWORD_ITERATIONS_DEFAULT 210000
#define PASSWORD_ITERATIONS_MIN 100000
/* What a stored hash may say: below the floor it is no protection, above
 * the ceiling one login costs seconds of CPU (a denial of service). */
#define PASSWORD_ITERATIONS_FLOOR 1000
#define PASSWORD_ITERATIONS_CEILING 1000000

/* Hash password into out (at least PASSWORD_HASH_MAX bytes) with iterations
 * (0: the default). Returns 0 or -errno. */
int password_hash(const char *password, unsigned iterations, char *out, size_t outlen);
/* Whether stored is a well-formed hash: 0, -EINVAL (malformed) or -ERANGE
 * (iterations outside FLOOR..CEILING). */
int password_hash_check(const char *stored);
/* 1 if password matches stored, 0 if not, -EINVAL if stored is malformed.
 * The comparison is constant-time. */
int password_verify(const char *password, const char *stored);
/* Spend the work of one password_verify against a hash of iterations
 * (0: the default) and discard the result: failures that have no hash to
 * check (unknown user) then cost what a wrong password costs. */
void password_burn(const char *password, unsigned iterations);
/* A random password of len characters from an unambiguous alphabet, from
 * GnuTLS's key generator. out must hold len + 1 bytes. Returns 0 or -EIO. */
int password_generate(char *out, size_t len);

#endif

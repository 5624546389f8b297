/* What a first start creates so that the packaged service runs with no manual
 * step: the host's self-signed certificate when no TLS files are configured,
 * and the file holding the first administrator's password. */
#ifndef CXLA_CORE_FIRSTBOOT_H
#define CXLA_CORE_FIRSTBOOT_H

#include <stddef.h>

struct config;

#define FIRSTBOOT_CERT "tls/server.crt"
#define FIRSTBOOT_KEY "tls/server.key"
#define FIRSTBOOT_PASSWORD_FILE "initial-admin-password"

/* The TLS pair in force: tls_certificate/tls_key when configured, else the
 * generated pair under state_dir. *generated tells which. -EINVAL when only
 * one of the two keys is configured. */
int firstboot_tls_paths(const struct config *cfg, char *cert, size_t certlen, char *key,
			size_t keylen, int *generated, char *err, size_t errlen);

/* With no TLS files configured, make sure the generated pair exists (creating
 * state_dir/tls and the pair on first start, logging that it did). Logs the
 * certificate in force and its SHA-256 fingerprint either way. */
int firstboot_tls(const struct config *cfg, char *err, size_t errlen);

/* Write password, once, to path with mode 0600 (owner only). Returns 0 or
 * -errno. */
int firstboot_password_file(const char *path, const char *password);

#endif

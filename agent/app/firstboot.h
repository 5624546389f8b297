/* What a first start creates so that the packaged service runs with no
 * manual step: the host's self-signed certificate when no TLS files are
 * configured (as ssh host keys are made on install), and the first
 * administrator with a password kept in a file only its owner can read. */
#ifndef CXLA_APP_FIRSTBOOT_H
#define CXLA_APP_FIRSTBOOT_H

#include <stddef.h>

#include "config/config.h"

struct accounts;

#define FIRSTBOOT_PASSWORD_FILE "initial-admin-password"

/* With no TLS files configured, make sure the generated pair exists
 * (creating state_dir/tls, mode 0700, and the pair on first start, and
 * logging that it did). Logs the certificate in force and its SHA-256
 * fingerprint either way. Returns 0 or -errno with a message in err. */
int firstboot_tls(const struct config *cfg, char *err, size_t errlen);

/* Write password, once, to path with mode 0600 (owner only). Returns 0 or
 * -errno. */
int firstboot_password_file(const char *path, const char *password);

/* When a has no account, create "admin" (Administrator) with given, or
 * with a generated password that is first written to
 * state_dir/initial-admin-password, so that a failed write never leaves an
 * account nobody can log in to; a copy goes to generated (>= 32 bytes; ""
 * when none was generated; NULL: no copy). The password is never logged.
 * Returns 1 when the account was created, 0 when accounts existed, -errno
 * with a message in err. */
int firstboot_admin(const struct config *cfg, struct accounts *a, const char *given,
		    char *generated, size_t genlen, char *err, size_t errlen);

#endif

#include "core/firstboot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "http/hostcert.h"
#include "util/fileio.h"
#include "util/log.h"

int firstboot_tls_paths(const struct config *cfg, char *cert, size_t certlen, char *key,
			size_t keylen, int *generated, char *err, size_t errlen)
{
	int rc;

	if (!cfg->tls_certificate != !cfg->tls_key) {
		snprintf(err, errlen, "tls_certificate and tls_key must be configured together");
		return -EINVAL;
	}
	*generated = !cfg->tls_certificate;
	if (!*generated) {
		if ((size_t)snprintf(cert, certlen, "%s", cfg->tls_certificate) >= certlen ||
		    (size_t)snprintf(key, keylen, "%s", cfg->tls_key) >= keylen)
			return -ENAMETOOLONG;
		return 0;
	}
	if ((rc = config_state_path(cfg, FIRSTBOOT_CERT, cert, certlen)) ||
	    (rc = config_state_path(cfg, FIRSTBOOT_KEY, key, keylen)))
		snprintf(err, errlen, "state_dir is too long");
	return rc;
}

static void log_in_force(const char *path)
{
	char *pem = NULL, fp[100];
	size_t len;

	if (file_read_all(path, 1u << 20, &pem, &len) == 0 &&
	    hostcert_fingerprint(pem, fp, sizeof(fp)) == 0)
		log_info("TLS certificate %s, SHA-256 fingerprint %s", path, fp);
	free(pem);
}

int firstboot_tls(const struct config *cfg, char *err, size_t errlen)
{
	struct hostcert_names names;
	char cert[4096], key[4096], dir[4096];
	int generated, created, rc;

	if ((rc = firstboot_tls_paths(cfg, cert, sizeof(cert), key, sizeof(key), &generated, err,
				      errlen)))
		return rc;
	if (generated) {
		/* The state directory itself first, so that it gets its own mode
		 * rather than that of a parent made on the way. */
		snprintf(dir, sizeof(dir), "%s", cfg->state_dir);
		if ((rc = dir_ensure(dir, 0700)) ||
		    (rc = config_state_path(cfg, "tls", dir, sizeof(dir))) ||
		    (rc = dir_ensure(dir, 0700))) {
			snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-rc));
			return rc;
		}
		if ((rc = hostcert_names_collect(&names))) {
			snprintf(err, errlen, "cannot list the host's addresses: %s", strerror(-rc));
			return rc;
		}
		if ((rc = hostcert_ensure(cert, key, &names, &created, err, errlen)))
			return rc;
		if (created)
			log_info("no tls_certificate configured: created a self-signed certificate for %s and %zu address(es)",
				 names.dns[0], names.nip);
	}
	log_in_force(cert);
	return 0;
}

int firstboot_password_file(const char *path, const char *password)
{
	char line[160];
	int n = snprintf(line, sizeof(line), "%s\n", password);
	int rc;

	if (n < 0 || (size_t)n >= sizeof(line))
		return -ENAMETOOLONG;
	rc = file_write_atomic(path, line, (size_t)n, 0600);
	explicit_bzero(line, sizeof(line));
	return rc;
}

#include "app/firstboot.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/accounts.h"
#include "auth/password.h"
#include "http/hostcert.h"
#include "util/fileio.h"
#include "util/log.h"

static void log_in_force(const char *path, bool generated)
{
	char *pem = NULL, fp[100];
	size_t len;

	if (file_read_all_flags(path, generated ? O_NOFOLLOW : 0, 1u << 20, &pem, &len) == 0 &&
	    hostcert_fingerprint(pem, fp, sizeof(fp)) == 0)
		log_info("TLS certificate %s, SHA-256 fingerprint %s", path, fp);
	free(pem);
}

static int generate_pair(const struct config *cfg, const char *cert, const char *key, char *err,
			 size_t errlen)
{
	struct hostcert_names names;
	char dir[4096];
	int created, rc;

	/* The state directory itself first, so that it gets its own mode
	 * rather than that of a parent made on the way. */
	snprintf(dir, sizeof(dir), "%s", cfg->state_dir);
	if ((rc = dir_ensure(dir, 0700)) || (rc = config_state_path(cfg, "tls", dir, sizeof(dir))) ||
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
	if (created == 2)
		log_info("no tls_certificate configured: %s had no certificate (a start ended "
			 "before writing it); made one for that key", key);
	else if (created)
		log_info("no tls_certificate configured: created a self-signed certificate for %s and %zu address(es)",
			 names.dns[0], names.nip);
	return 0;
}

int firstboot_tls(const struct config *cfg, char *err, size_t errlen)
{
	char cert[4096], key[4096];
	bool generated;
	int rc;

	if ((rc = config_tls_paths(cfg, cert, sizeof(cert), key, sizeof(key), &generated))) {
		snprintf(err, errlen, "tls_certificate and tls_key: %s", strerror(-rc));
		return rc;
	}
	if (generated && (rc = generate_pair(cfg, cert, key, err, errlen)))
		return rc;
	log_in_force(cert, generated);
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
	OPENSSL_cleanse(line, sizeof(line));
	return rc;
}

static int has_accounts(struct accounts *a, bool *any)
{
	struct account_info *list = NULL;
	size_t n = 0;
	int rc = accounts_list(a, &list, &n);

	free(list);
	*any = n > 0;
	return rc;
}

int firstboot_admin(const struct config *cfg, struct accounts *a, const char *given,
		    char *generated, size_t genlen, char *err, size_t errlen)
{
	char pw[32] = "", file[4096];
	bool any;
	int rc;

	if (generated && genlen)
		generated[0] = '\0';
	/* A copy a crash left before its rename holds a password nobody needs. */
	if (config_state_path(cfg, FIRSTBOOT_PASSWORD_FILE, file, sizeof(file)) == 0)
		file_remove_stale_temporaries(file);
	if ((rc = has_accounts(a, &any)) || any)
		return rc;
	if (!given) {
		if ((rc = password_generate(pw, 20)) ||
		    (rc = config_state_path(cfg, FIRSTBOOT_PASSWORD_FILE, file, sizeof(file))) ||
		    (rc = firstboot_password_file(file, pw))) {
			snprintf(err, errlen, "cannot write the initial administrator password: %s",
				 strerror(-rc));
			OPENSSL_cleanse(pw, sizeof(pw));
			return rc;
		}
	}
	rc = accounts_bootstrap(a, given ? given : pw, NULL, 0);
	if (rc == 1 && !given && generated && genlen)
		snprintf(generated, genlen, "%s", pw);
	OPENSSL_cleanse(pw, sizeof(pw));
	if (rc < 0) {
		snprintf(err, errlen, "cannot create the first account: %s", strerror(-rc));
		return rc;
	}
	if (given)
		log_info("created account \"admin\" (Administrator) with the password from CXLA_INITIAL_ADMIN_PASSWORD");
	else
		log_info("created account \"admin\" (Administrator); its password is in %s (mode 0600): log in, change it, delete the file",
			 file);
	return rc;
}

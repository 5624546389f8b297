#include "core/check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/accounts.h"
#include "broker/sandbox.h"
#include "cxl/emulated/profile.h"
#include "http/tlsfiles.h"
#include "policy/catalogue.h"

static int check_tls(const struct config *cfg, char *err, size_t errlen)
{
	char *cert = NULL, *key = NULL, *ca = NULL;
	char cert_path[4096], key_path[4096];
	struct stat st;
	bool generated;
	int rc;

	if ((rc = config_tls_paths(cfg, cert_path, sizeof(cert_path), key_path, sizeof(key_path),
				   &generated))) {
		snprintf(err, errlen, "tls_certificate and tls_key: %s", strerror(-rc));
		return rc;
	}
	/* Neither half of the host's own pair yet: the first start makes it.
	 * A link there (even a dangling one) is a half, refused at loading. */
	if (generated && lstat(cert_path, &st) != 0 && lstat(key_path, &st) != 0)
		rc = 0;
	else
		rc = tls_load_pair(cert_path, key_path, generated, &cert, &key, err, errlen);
	if (!rc && cfg->tls_client_ca)
		rc = tls_load_ca(cfg->tls_client_ca, &ca, err, errlen);
	free(cert);
	tls_free_secret(key);
	free(ca);
	return rc;
}

static int check_addresses(const struct config *cfg, char *err, size_t errlen)
{
	for (size_t i = 0; i < cfg->listen_addresses_count; i++) {
		const char *a = cfg->listen_addresses[i];
		struct in6_addr buf;

		if (inet_pton(AF_INET, a, &buf) != 1 && inet_pton(AF_INET6, a, &buf) != 1) {
			snprintf(err, errlen,
				 "listen_addresses: \"%s\" is not a numeric IPv4 or IPv6 address", a);
			return -EINVAL;
		}
	}
	return 0;
}

/* The same account switch main.c makes after start-up: the user must exist,
 * and without root the agent can only already be that user. With no user
 * configured, start-up's own choice decides (root needs the dedicated
 * account), so that a check that passes never precedes a refused start. */
static int check_user(const struct config *cfg, char *err, size_t errlen)
{
	struct passwd *pw;

	if (!cfg->user) {
		struct sandbox_user chosen;
		char why[256] = "";
		int rc = sandbox_user_resolve(NULL, &chosen, why, sizeof(why));

		if (rc)
			snprintf(err, errlen, "user: %s", why);
		return rc;
	}
	errno = 0;
	pw = getpwnam(cfg->user);
	if (!pw) {
		snprintf(err, errlen, "user: \"%s\" does not exist", cfg->user);
		return errno ? -errno : -ENOENT;
	}
	if (geteuid() != 0 && geteuid() != pw->pw_uid) {
		snprintf(err, errlen, "user: not root, so cannot switch to user \"%s\"", cfg->user);
		return -EPERM;
	}
	return 0;
}

/* A directory start-up opens, creating it and its parents when missing
 * (dir_ensure): what exists of the path must be directories, and the
 * deepest existing one must let us create or use entries. */
static int check_dir(const char *key, const char *path, char *err, size_t errlen)
{
	char p[PATH_MAX];
	struct stat st;
	int n = snprintf(p, sizeof(p), "%s", path);

	if (n <= 0 || (size_t)n >= sizeof(p)) {
		snprintf(err, errlen, "%s: path too long", key);
		return -ENAMETOOLONG;
	}
	for (;;) {
		char *slash;

		if (stat(p, &st) == 0)
			break;
		/* ENOTDIR: a file on the way, found and named a step further up. */
		if (errno != ENOENT && errno != ENOTDIR) {
			snprintf(err, errlen, "%s: %s: %s", key, p, strerror(errno));
			return -errno;
		}
		slash = strrchr(p, '/');
		if (!slash) {
			snprintf(p, sizeof(p), ".");
			continue;
		}
		if (slash == p)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: %s is not a directory (for %s)", key, p, path);
		return -ENOTDIR;
	}
	if (access(p, W_OK | X_OK) < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s: cannot create or write (for %s): %s", key, p, path,
			 strerror(e));
		return -e;
	}
	return 0;
}

static int check_state(const struct config *cfg, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int rc = check_dir("state_dir", cfg->state_dir, err, errlen);

	if (!rc && (rc = config_audit_dir(cfg, path, sizeof(path))) == 0)
		rc = check_dir(cfg->audit_dir ? "audit_dir" : "state_dir", path, err, errlen);
	if (!rc && (rc = config_state_path(cfg, "accounts.json", path, sizeof(path))) == 0)
		rc = accounts_check_file(path, err, errlen);
	if (rc == -ENAMETOOLONG && !err[0])
		snprintf(err, errlen, "state_dir: path too long");
	return rc;
}

/* A profile the configuration names must load, whatever the backend: auto
 * may fall back to it, and a named file that does not load is a mistake. */
static int check_devices(const struct config *cfg, char *err, size_t errlen)
{
	struct emu_profile p;
	int rc;

	if (!cfg->emulated_profile)
		return 0;
	rc = emu_profile_load(cfg->emulated_profile, &p, err, errlen);
	if (!rc)
		emu_profile_release(&p);
	return rc;
}

static int check_catalogue(const struct config *cfg, char *err, size_t errlen)
{
	struct policy_catalogue *cat;
	int rc;

	if (!cfg->policy_file)
		return 0;
	rc = catalogue_load(cfg->policy_file, &cat, err, errlen);
	if (!rc)
		catalogue_unref(cat);
	return rc;
}

int agent_check_documents(const struct config *cfg, char *err, size_t errlen)
{
	int rc = check_catalogue(cfg, err, errlen);

	return rc ? rc : check_devices(cfg, err, errlen);
}

int agent_check_config(const struct config *cfg, char *err, size_t errlen)
{
	int (*const checks[])(const struct config *, char *, size_t) = {
		check_tls,   check_addresses, check_catalogue, check_devices,
		check_state, check_user,
	};

	err[0] = '\0';
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		int rc = checks[i](cfg, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

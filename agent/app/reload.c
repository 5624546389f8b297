#include "app/reload.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/open.h"
#include "core/agent.h"
#include "events/sources.h"
#include "http/hostcert.h"
#include "http/tlsfiles.h"
#include "policy/catalogue.h"
#include "redfish/resource.h"
#include "util/log.h"

static const char *const live_keys[] = { "log_level", "tls_certificate", "tls_key",
					 "policy_file" };

static bool is_live(const char *key)
{
	for (size_t i = 0; i < sizeof(live_keys) / sizeof(live_keys[0]); i++)
		if (strcmp(key, live_keys[i]) == 0)
			return true;
	return false;
}

int reload_restart_keys(const struct config *running, const struct config *next, char *buf,
			size_t len)
{
	char *a_text = config_dump(running), *b_text = config_dump(next);
	json_t *a = a_text ? json_loads(a_text, 0, NULL) : NULL;
	json_t *b = b_text ? json_loads(b_text, 0, NULL) : NULL;
	const char *key;
	json_t *value;
	size_t used = 0;
	int rc = 0;

	free(a_text);
	free(b_text);
	buf[0] = '\0';
	if (!a || !b)
		rc = -ENOMEM;
	json_object_foreach(a, key, value) {
		if (rc || is_live(key) || json_equal(value, json_object_get(b, key)))
			continue;
		int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", key);
		if (w < 0 || (size_t)w >= len - used)
			rc = -ENAMETOOLONG;
		else
			used += (size_t)w;
	}
	json_decref(a);
	json_decref(b);
	return rc;
}

static int reload_tls(const struct config *cfg, struct http_server *server)
{
	char cert[4096], key[4096], err[4096] = "", fp[100] = "?";
	char *cert_pem = NULL, *key_pem = NULL;
	bool generated;
	int rc;

	/* Read, never made: this runs in the front, whose system call filter
	 * refuses creating files. A generated pair that was removed is made
	 * again by the next start, as at the first. */
	if ((rc = config_tls_paths(cfg, cert, sizeof(cert), key, sizeof(key), &generated)))
		snprintf(err, sizeof(err), "%s", strerror(-rc));
	if (!rc && (rc = tls_load_pair(cert, key, generated, &cert_pem, &key_pem, err, sizeof(err))) &&
	    generated)
		snprintf(err + strlen(err), sizeof(err) - strlen(err),
			 " (the generated pair is made again at the next start)");
	if (!rc)
		rc = http_server_set_certificate(server, cert_pem, key_pem, err, sizeof(err));
	if (rc) {
		log_error("SIGHUP: TLS certificate not reloaded, new connections keep the previous one: %s",
			  err);
	} else {
		hostcert_fingerprint(cert_pem, fp, sizeof(fp));
		log_info("SIGHUP: new connections get the certificate %s, SHA-256 fingerprint %s",
			 cert, fp);
	}
	free(cert_pem);
	tls_free_secret(key_pem);
	return rc;
}

static int reload_catalogue(const struct config *cfg, struct agent *ag)
{
	struct policy_catalogue *cat;
	char err[4096];
	int rc = agent_catalogue_load(cfg, &cat, err, sizeof(err));

	if (rc) {
		log_error("SIGHUP: catalogue not reloaded, the previous one stays in force: %s", err);
		events_catalogue_reload_failed(ag->events, err);
		return rc;
	}
	log_info("SIGHUP: %zu approved vendor command(s) now in force", catalogue_count(cat));
	catalogue_cell_replace(&ag->catalogue, cat);
	return 0;
}

int reload_apply(const struct config *running, struct agent *ag, struct http_server *server)
{
	struct config next;
	char err[4096], later[1024];
	int rc, first;

	if ((rc = config_defaults(&next)))
		return rc;
	if (running->source && (rc = config_load(&next, running->source, err, sizeof(err)))) {
		log_error("SIGHUP: configuration not reloaded, everything stays as it was: %s", err);
		config_release(&next);
		return rc;
	}
	log_set_level(next.log_level);
	first = reload_tls(&next, server);
	/* The front's catalogue is the broker's, which reloads it on its own
	 * SIGHUP and sends it. */
	if (!ag->remote && (rc = reload_catalogue(&next, ag)) && !first)
		first = rc;
	if (reload_restart_keys(running, &next, later, sizeof(later)) == 0 && later[0])
		log_warn("SIGHUP: changed keys take effect at the next start: %s", later);
	config_release(&next);
	return first;
}

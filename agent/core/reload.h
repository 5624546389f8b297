/* What SIGHUP changes in a running agent: the configuration file is read
 * again and the log level, the TLS certificate and key, and the catalogue of
 * approved commands take effect; every other key waits for a restart, and
 * the log names those that changed. Each part that fails to load keeps its
 * previous state and the log says why. */
#ifndef CXLA_CORE_RELOAD_H
#define CXLA_CORE_RELOAD_H

#include <stddef.h>

struct config;
struct http_server;
struct catalogue_cell;

struct reload_ctx {
	const char *config_path;       /* NULL: running on defaults, nothing to re-read */
	const struct config *running;  /* borrowed: the configuration started with */
	struct http_server *server;    /* borrowed */
	struct catalogue_cell *catalogue;
};

/* Returns 0 when everything was applied, else the first error (-errno). */
int reload_apply(const struct reload_ctx *r);

/* Names of keys that differ between running and next and only take effect at
 * the next start, comma-separated into buf ("" when none). Returns 0 or
 * -errno. */
int reload_restart_keys(const struct config *running, const struct config *next, char *buf,
			size_t len);

#endif

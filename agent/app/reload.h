/* What SIGHUP changes in a running agent: the configuration file is read
 * again and the log level, the TLS certificate and key, and the catalogue of
 * approved commands take effect; every other key waits for a restart, and
 * the log names those that changed. Each part that fails to load keeps its
 * previous state and the log says why. */
#ifndef CXLA_APP_RELOAD_H
#define CXLA_APP_RELOAD_H

#include <stddef.h>

#include "config/config.h"
#include "core/agent.h"
#include "http/server.h"

/* running->source is the file re-read (NULL: running on defaults, only the
 * catalogue and a generated certificate are read again). Everything is
 * borrowed. Returns 0 when everything was applied, else the first error. */
int reload_apply(const struct config *running, struct agent *ag, struct http_server *server);

/* Names of keys that differ between running and next and only take effect at
 * the next start, comma-separated into buf ("" when none). Returns 0 or
 * -errno. */
int reload_restart_keys(const struct config *running, const struct config *next, char *buf,
			size_t len);

#endif

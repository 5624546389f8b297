/* What --check-config checks beyond the text of the configuration: every
 * file, name and directory it points to, read or looked up the way start-up
 * does (certificates and keys, listen addresses, the catalogue, the emulated
 * profile, the accounts file, the user to switch to, the state and audit
 * directories), so that a start does not fail on something the check
 * passed. Nothing is created, changed or removed, so it is safe to run
 * beside a running agent. What the check cannot foresee: a port in use, and
 * kernel devices that are present at check time but not at start. */
#ifndef CXLA_CORE_CHECK_H
#define CXLA_CORE_CHECK_H

#include <stddef.h>

#include "config/config.h"

/* 0 when everything cfg names is usable; else -errno with the first problem
 * in err (naming the key and, for files, file:line:column). */
int agent_check_config(const struct config *cfg, char *err, size_t errlen);

/* Only the documents the operator writes beside the configuration (the
 * catalogue, the emulated profile): unlike a missing address or a directory
 * not yet mounted, one that does not load will not load on a later try. As
 * above. */
int agent_check_documents(const struct config *cfg, char *err, size_t errlen);

#endif

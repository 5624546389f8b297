/* The service UUID: random on first start, then read back from the state
 * directory so it stays the same across restarts. */
#ifndef CXLA_CORE_UUID_H
#define CXLA_CORE_UUID_H

#include <stddef.h>

/* Load or create path; writes the canonical 36-character form into out
 * (at least 37 bytes). Only a missing file is created: -EBADMSG when it
 * holds no UUID, -EINVAL (-EISDIR for a directory) when it is not a regular
 * file, -ELOOP when it is a symbolic link, which is never followed (none of
 * them changed), other -errno from reading or writing. */
int service_uuid_load(const char *path, char *out, size_t len);

#endif

/* Who the host is, for aggregators that key on it: a stable system UUID
 * (the DMI product UUID when readable, else a name-based UUID derived from
 * /etc/machine-id, which is never shown itself), the chassis's DMI serial
 * number, manufacturer and model when readable, and the kernel's host name.
 * Every file is read under a root directory: "/" on a real host, a prepared
 * tree in tests. */
#ifndef CXLA_CORE_HOST_H
#define CXLA_CORE_HOST_H

#include <stdbool.h>
#include <stddef.h>

#define HOST_FIELD_MAX 65

struct host_identity {
	char root[256];
	char uuid[37];                   /* "" when neither source was readable */
	bool uuid_from_dmi;
	char serial[HOST_FIELD_MAX];     /* "" when not readable or a placeholder */
	char manufacturer[HOST_FIELD_MAX];
	char model[HOST_FIELD_MAX];
};

/* Read everything at start-up (DMI files are often readable by root only,
 * and do not change). root NULL means "/". 0, or -ENAMETOOLONG. Unreadable
 * sources leave their fields empty: not an error. */
int host_identity_read(const char *root, struct host_identity *out);
/* The host name now (it may change while the agent runs) into buf. 0 or
 * -errno. */
int host_name(const struct host_identity *h, char *buf, size_t len);

#endif

#include "util/secretenv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int secretenv_take(const char *name, char *out, size_t len)
{
	size_t nlen = strlen(name);
	char *entry = NULL;
	int rc = -ENOENT;

	if (len)
		out[0] = '\0';
	for (char **e = environ; e && *e; e++) {
		if (strncmp(*e, name, nlen) == 0 && (*e)[nlen] == '=') {
			entry = *e;
			break;
		}
	}
	if (!entry)
		return rc;
	if (strlen(entry + nlen + 1) < len) {
		memcpy(out, entry + nlen + 1, strlen(entry + nlen + 1) + 1);
		rc = 0;
	} else {
		rc = -E2BIG;
	}
	/* unsetenv only drops the pointer: the bytes stay where the kernel put
	 * them, and that is what /proc/PID/environ reads. */
	unsetenv(name);
	explicit_bzero(entry, strlen(entry));
	return rc;
}

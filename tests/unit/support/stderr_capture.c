#include "support/stderr_capture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int stderr_capture_start(struct stderr_capture *c)
{
	const char *base = getenv("TMPDIR");
	char path[512];

	if (snprintf(path, sizeof(path), "%s/cxla-stderr-XXXXXX", base && *base ? base : "/tmp") >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	c->fd = mkstemp(path);
	if (c->fd < 0)
		return -errno;
	unlink(path);
	fflush(stderr);
	c->saved = dup(2);
	if (c->saved < 0 || dup2(c->fd, 2) < 0) {
		int rc = -errno;
		if (c->saved >= 0)
			close(c->saved);
		close(c->fd);
		return rc;
	}
	return 0;
}

int stderr_capture_stop(struct stderr_capture *c, const char *what)
{
	char line[2048];
	int found = 0;
	FILE *f;

	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	if (!(f = fdopen(c->fd, "r"))) {
		close(c->fd);
		return -ENOMEM;
	}
	rewind(f);
	while (fgets(line, sizeof(line), f))
		found += strstr(line, what) != NULL;
	fclose(f);
	return found;
}

#include "support/tmpdir.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tmpdir_make(char *dir, size_t len, const char *tag)
{
	const char *base = getenv("TMPDIR");
	int n;

	if (!base || !*base)
		base = "/tmp";
	n = snprintf(dir, len, "%s/cxla-%s-XXXXXX", base, tag);
	if (n < 0 || (size_t)n >= len) {
		fprintf(stderr, "tmpdir_make: %s/cxla-%s-XXXXXX does not fit %zu bytes\n", base,
			tag, len);
		if (len)
			dir[0] = '\0';
		return -ENAMETOOLONG;
	}
	if (!mkdtemp(dir)) {
		int rc = -errno;

		fprintf(stderr, "tmpdir_make: %s: %s\n", dir, strerror(-rc));
		dir[0] = '\0';
		return rc;
	}
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) ? errno : 0;
}

int tmpdir_remove(const char *dir)
{
	int rc;

	if (!dir || !dir[0])
		return 0;
	/* FTW_DEPTH: a directory's entries go before the directory itself. */
	rc = nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	if (rc > 0)
		rc = -rc;
	else if (rc < 0)
		rc = -errno;
	if (rc)
		fprintf(stderr, "tmpdir_remove: %s: %s\n", dir, strerror(-rc));
	return rc;
}

#include "core/uuid.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fileio.h"

static int valid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return 0;
	}
	return s[sizeof(shape) - 1] == '\0' || s[sizeof(shape) - 1] == '\n';
}

int service_uuid_load(const char *path, char *out, size_t len)
{
	unsigned char b[16];
	char *text = NULL;
	size_t n;
	int rc;

	if (len < 37)
		return -ENOSPC;
	file_remove_stale_temporaries(path);
	/* A link is not followed: the state directory is the service user's,
	 * and what it holds is read from there or not at all. */
	rc = file_read_all_flags(path, O_NOFOLLOW, 64, &text, &n);
	if (!rc && valid(text)) {
		memcpy(out, text, 36);
		out[36] = '\0';
		free(text);
		return 0;
	}
	free(text);
	/* Only a missing file is made anew: clients know the service by its
	 * UUID, so one that is unreadable or damaged is for the operator to
	 * look at, never silently replaced. */
	if (rc == -EFBIG || !rc)
		return -EBADMSG;
	if (rc != -ENOENT)
		return rc;
	if (gnutls_rnd(GNUTLS_RND_RANDOM, b, sizeof(b)))
		return -EIO;
	b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(out, len,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
		 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
	char line[38];
	snprintf(line, sizeof(line), "%s\n", out);
	return file_write_atomic(path, line, 37, 0644);
}

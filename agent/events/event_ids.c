#include "events/event_ids.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/fileio.h"

/* The mark at path, or 0 when there is none. */
static int read_mark(const char *path, uint64_t *out)
{
	char *text = NULL, *end;
	size_t len;
	unsigned long long v;
	int rc;

	*out = 0;
	if ((rc = file_read_all_flags(path, O_NOFOLLOW, 32, &text, &len)) == -ENOENT)
		return 0;
	if (rc)
		return rc;
	errno = 0;
	v = strtoull(text, &end, 10);
	/* Only what event_ids_write_mark writes: digits and one newline. */
	if (end == text || text[0] < '0' || text[0] > '9' || (*end && strcmp(end, "\n")) ||
	    errno || v < 1 || v > EVENT_ID_MAX)
		rc = -EBADMSG;
	else
		*out = (uint64_t)v;
	free(text);
	return rc;
}

int event_ids_seed(const struct clock_source *clock, const char *path, uint64_t *first)
{
	struct timespec now;
	uint64_t mark, us;
	int rc;

	file_remove_stale_temporaries(path);
	if ((rc = read_mark(path, &mark)))
		return rc;
	clock_realtime(clock, &now);
	us = now.tv_sec > 0 ? (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u : 1;
	*first = us > mark ? us : mark;
	return 0;
}

int event_ids_write_mark(const char *path, uint64_t mark)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "%" PRIu64 "\n", mark);

	return file_write_atomic(path, text, (size_t)n, 0600);
}

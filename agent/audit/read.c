/* Reading the audit log back: every file, oldest first, as one snapshot
 * taken under the log's lock. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "audit/internal.h"
#include "util/fileio.h"
#include "util/log.h"

/* Slack over max_bytes when reading a file back: a single record may be
 * larger than a tiny max_bytes. */
#define READ_SLACK_BYTES (1u << 20)
/* Read-back bound for a log that never rotates. */
#define UNROTATED_READ_MAX (64u << 20)

/* Contents of every file, oldest first, read under the lock so a rotation
 * cannot move lines between files mid-read. */
struct snapshot {
	char **text;
	size_t *len;
	size_t n;
};

static void snapshot_free(struct snapshot *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->text[i]);
	free(s->text);
	free(s->len);
}

static int snapshot_take(struct audit_log *log, struct snapshot *s)
{
	size_t cap = (log->max_bytes ? log->max_bytes : UNROTATED_READ_MAX) + READ_SLACK_BYTES;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	s->text = calloc(log->keep + 1u, sizeof(*s->text));
	s->len = calloc(log->keep + 1u, sizeof(*s->len));
	if (!s->text || !s->len) {
		snapshot_free(s);
		return -ENOMEM;
	}
	pthread_mutex_lock(&log->lock);
	for (unsigned i = log->keep + 1; i-- > 0;) {
		char path[PATH_MAX];
		char *text;
		size_t len;

		if (audit_rotated_path(log, i, path, sizeof(path)))
			continue;
		/* Never through a link: the log is its own files only. */
		rc = file_read_all_flags(path, O_NOFOLLOW, cap, &text, &len);
		if (rc == -ENOENT) {
			rc = 0;
			continue;
		}
		if (rc == -EFBIG) {
			log_warn("audit: %s is larger than %zu bytes; not read back", path, cap);
			rc = 0;
			continue;
		}
		if (rc)
			break;
		s->text[s->n] = text;
		s->len[s->n] = len;
		s->n++;
	}
	pthread_mutex_unlock(&log->lock);
	if (rc)
		snapshot_free(s);
	return rc;
}

/* Calls fn for every parseable record, oldest first, until fn returns
 * nonzero. fn takes over nothing; rec is borrowed. */
static int snapshot_each(struct snapshot *s, int (*fn)(json_t *rec, void *arg), void *arg)
{
	for (size_t f = 0; f < s->n; f++) {
		const char *t = s->text[f];
		size_t pos = 0, len = s->len[f];

		while (pos < len) {
			const char *nl = memchr(t + pos, '\n', len - pos);
			size_t end = nl ? (size_t)(nl - t) : len;
			int stop = 0;

			/* a line without its newline is a torn write: skip */
			if (nl && end > pos) {
				json_t *rec = json_loadb(t + pos, end - pos, 0, NULL);
				if (json_is_object(rec) && json_is_string(json_object_get(rec, "id")))
					stop = fn(rec, arg);
				json_decref(rec);
			}
			if (stop)
				return stop;
			pos = end + 1;
		}
	}
	return 0;
}

struct read_ctx {
	size_t skip, max, seen;
	json_t *out;
	int err;
};

static int read_one(json_t *rec, void *arg)
{
	struct read_ctx *c = arg;

	if (c->seen >= c->skip && c->seen - c->skip < c->max &&
	    json_array_append(c->out, rec) < 0) {
		c->err = -ENOMEM;
		return 1;
	}
	c->seen++;
	return 0;
}

int audit_read(struct audit_log *log, size_t skip, size_t max, json_t **entries,
	       size_t *total)
{
	struct snapshot s;
	struct read_ctx c = { skip, max, 0, json_array(), 0 };
	int rc;

	*entries = NULL;
	if (!c.out)
		return -ENOMEM;
	rc = snapshot_take(log, &s);
	if (rc) {
		json_decref(c.out);
		return rc;
	}
	snapshot_each(&s, read_one, &c);
	snapshot_free(&s);
	if (c.err) {
		json_decref(c.out);
		return c.err;
	}
	*entries = c.out;
	if (total)
		*total = c.seen;
	return 0;
}

struct find_ctx {
	const char *id;
	json_t *found;
};

static int find_one(json_t *rec, void *arg)
{
	struct find_ctx *c = arg;

	if (strcmp(json_string_value(json_object_get(rec, "id")), c->id) != 0)
		return 0;
	c->found = json_incref(rec);
	return 1;
}

int audit_find(struct audit_log *log, const char *id, json_t **entry)
{
	struct snapshot s;
	struct find_ctx c = { id, NULL };
	int rc;

	*entry = NULL;
	rc = snapshot_take(log, &s);
	if (rc)
		return rc;
	snapshot_each(&s, find_one, &c);
	snapshot_free(&s);
	if (!c.found)
		return -ENOENT;
	*entry = c.found;
	return 0;
}

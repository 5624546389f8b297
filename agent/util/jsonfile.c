#include "util/jsonfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A cursor over already-valid JSON text (jansson accepted it first), so the
 * scanner only needs to skip values, not to validate them. */
struct cursor {
	const char *s;
	size_t len;
	size_t pos;
};

static void skip_ws(struct cursor *c)
{
	while (c->pos < c->len && strchr(" \t\r\n", c->s[c->pos]) && c->s[c->pos])
		c->pos++;
}

static void skip_string(struct cursor *c)
{
	c->pos++; /* opening quote */
	while (c->pos < c->len && c->s[c->pos] != '"') {
		if (c->s[c->pos] == '\\')
			c->pos++;
		c->pos++;
	}
	c->pos++; /* closing quote */
}

static void skip_value(struct cursor *c)
{
	skip_ws(c);
	if (c->pos >= c->len)
		return;
	char ch = c->s[c->pos];
	if (ch == '"') {
		skip_string(c);
		return;
	}
	if (ch == '{' || ch == '[') {
		int depth = 0;
		while (c->pos < c->len) {
			ch = c->s[c->pos];
			if (ch == '"') {
				skip_string(c);
				continue;
			}
			if (ch == '{' || ch == '[')
				depth++;
			else if (ch == '}' || ch == ']') {
				if (--depth == 0) {
					c->pos++;
					return;
				}
			}
			c->pos++;
		}
		return;
	}
	while (c->pos < c->len && !strchr(",}] \t\r\n", c->s[c->pos]))
		c->pos++;
}

/* Compare a quoted JSON key (quotes included) with key; escaped keys are
 * decoded first so "\u0070ort" matches "port". */
static int key_matches(const char *quoted, size_t qlen, const char *key, size_t klen)
{
	json_t *decoded;
	int match;

	if (!memchr(quoted, '\\', qlen))
		return qlen - 2 == klen && memcmp(quoted + 1, key, klen) == 0;
	decoded = json_loadb(quoted, qlen, JSON_DECODE_ANY, NULL);
	match = json_is_string(decoded) && json_string_length(decoded) == klen &&
		memcmp(json_string_value(decoded), key, klen) == 0;
	json_decref(decoded);
	return match;
}

/* With the cursor on '{', move to the value (or key) of member key. */
static int seek_key(struct cursor *c, const char *key, int key_pos)
{
	size_t klen = strlen(key);
	c->pos++;
	for (;;) {
		skip_ws(c);
		if (c->pos >= c->len || c->s[c->pos] != '"')
			return -ENOENT;
		size_t kstart = c->pos + 1;
		skip_string(c);
		size_t kend = c->pos - 1;
		int match = key_matches(c->s + kstart - 1, kend - kstart + 2, key, klen);
		if (match && key_pos) {
			c->pos = kstart - 1;
			return 0;
		}
		skip_ws(c);
		c->pos++; /* ':' */
		skip_ws(c);
		if (match)
			return 0;
		skip_value(c);
		skip_ws(c);
		if (c->pos < c->len && c->s[c->pos] == ',')
			c->pos++;
		else
			return -ENOENT;
	}
}

static int seek_index(struct cursor *c, long idx)
{
	c->pos++;
	for (long i = 0;; i++) {
		skip_ws(c);
		if (c->pos >= c->len || c->s[c->pos] == ']')
			return -ENOENT;
		if (i == idx)
			return 0;
		skip_value(c);
		skip_ws(c);
		if (c->pos < c->len && c->s[c->pos] == ',')
			c->pos++;
		else
			return -ENOENT;
	}
}

static void pos_to_line_col(const char *text, size_t pos, int *line, int *col)
{
	int l = 1, k = 1;
	for (size_t i = 0; i < pos && text[i]; i++) {
		if (text[i] == '\n') {
			l++;
			k = 1;
		} else {
			k++;
		}
	}
	*line = l;
	*col = k;
}

int jsonpos_locate(const char *text, size_t len, const char *const *path, size_t depth,
		   int key_pos, int *line, int *col)
{
	struct cursor c = { text, len, 0 };
	int rc = 0;
	skip_ws(&c);
	for (size_t i = 0; i < depth; i++) {
		size_t here = c.pos;
		const char *seg = path[i];
		int last = i + 1 == depth;
		if (seg[0] == '[' && c.pos < len && text[c.pos] == '[') {
			rc = seek_index(&c, strtol(seg + 1, NULL, 10));
		} else if (c.pos < len && text[c.pos] == '{') {
			rc = seek_key(&c, seg, last && key_pos);
		} else {
			rc = -ENOENT;
		}
		if (rc) {
			c.pos = here;
			break;
		}
	}
	pos_to_line_col(text, c.pos, line, col);
	return rc;
}

static size_t path_depth(const char *const *path)
{
	size_t n = 0;
	while (path && path[n])
		n++;
	return n;
}

int jsonfile_error(const struct jsonfile *jf, const char *const *path, int key_pos,
		   char *err, size_t errlen, const char *fmt, ...)
{
	int line = 1, col = 1;
	char msg[512];
	va_list ap;

	jsonpos_locate(jf->text, jf->len, path, path_depth(path), key_pos, &line, &col);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s:%d:%d: %s", jf->path, line, col, msg);
	return -EINVAL;
}

int jsonfile_only_keys(const struct jsonfile *jf, const char *const *path, json_t *obj,
		       const char *const *allowed, char *err, size_t errlen)
{
	const char *key;
	json_t *val;
	const char *sub[16];
	size_t depth = path_depth(path);

	if (depth + 2 > sizeof(sub) / sizeof(sub[0]))
		return -E2BIG;
	json_object_foreach(obj, key, val) {
		size_t i = 0;
		while (allowed[i] && strcmp(allowed[i], key) != 0)
			i++;
		if (allowed[i])
			continue;
		if (depth) /* path may be NULL for the root, as for jsonfile_error */
			memcpy(sub, path, depth * sizeof(*sub));
		sub[depth] = key;
		sub[depth + 1] = NULL;
		return jsonfile_error(jf, sub, 1, err, errlen, "unknown key \"%s\"", key);
	}
	return 0;
}

int jsonfile_parse(const char *name, const char *text, size_t len, struct jsonfile *jf,
		   char *err, size_t errlen)
{
	json_error_t jerr;

	memset(jf, 0, sizeof(*jf));
	jf->path = strdup(name);
	jf->text = malloc(len + 1);
	if (!jf->path || !jf->text) {
		jsonfile_release(jf);
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	memcpy(jf->text, text, len);
	jf->text[len] = '\0';
	jf->len = len;
	jf->root = json_loadb(jf->text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!jf->root) {
		snprintf(err, errlen, "%s:%d:%d: %s", name, jerr.line, jerr.column, jerr.text);
		jsonfile_release(jf);
		return -EINVAL;
	}
	return 0;
}

int jsonfile_load(const char *path, size_t max_bytes, struct jsonfile *jf, char *err,
		  size_t errlen)
{
	return jsonfile_load_flags(path, 0, max_bytes, jf, err, errlen);
}

int jsonfile_load_flags(const char *path, int oflags, size_t max_bytes, struct jsonfile *jf,
			char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int rc;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | oflags);

	memset(jf, 0, sizeof(*jf));
	if (fd < 0) {
		rc = -errno;
		if (rc == -ELOOP && (oflags & O_NOFOLLOW))
			snprintf(err, errlen, "%s:0:0: is a symbolic link (refused here)", path);
		else
			snprintf(err, errlen, "%s:0:0: cannot open: %s", path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s:0:0: not a regular file", path);
		rc = -EINVAL;
		goto out;
	}
	if ((size_t)st.st_size > max_bytes) {
		snprintf(err, errlen, "%s:0:0: larger than %zu bytes", path, max_bytes);
		rc = -EFBIG;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s:0:0: out of memory", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			snprintf(err, errlen, "%s:0:0: read failed", path);
			goto out;
		}
		got += (size_t)n;
	}
	rc = jsonfile_parse(path, buf, got, jf, err, errlen);
	jf->mode = (unsigned)(st.st_mode & 07777);
out:
	free(buf);
	close(fd);
	return rc;
}

void jsonfile_release(struct jsonfile *jf)
{
	free(jf->path);
	free(jf->text);
	json_decref(jf->root);
	memset(jf, 0, sizeof(*jf));
}

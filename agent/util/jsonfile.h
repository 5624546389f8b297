/* Strict JSON files: load with jansson, and report any problem as
 * "file:line:column: message", also for errors found after parsing (unknown
 * key, wrong type), which jansson alone cannot place. */
#ifndef CXLA_UTIL_JSONFILE_H
#define CXLA_UTIL_JSONFILE_H

#include <jansson.h>
#include <stddef.h>

struct jsonfile {
	char *path;   /* owned */
	char *text;   /* owned, NUL-terminated raw file contents */
	size_t len;
	json_t *root; /* owned reference */
	unsigned mode; /* the file's permission bits as loaded */
};

/* Read and parse path (at most max_bytes). On failure returns -errno or
 * -EINVAL and writes "path:line:col: message" into err. */
int jsonfile_load(const char *path, size_t max_bytes, struct jsonfile *jf, char *err,
		  size_t errlen);
/* The same with extra open(2) flags (O_NOFOLLOW for a file in a directory
 * another user may write). Anything but a regular file is refused without
 * blocking: a FIFO is opened non-blocking, never waited on. */
int jsonfile_load_flags(const char *path, int oflags, size_t max_bytes, struct jsonfile *jf,
			char *err, size_t errlen);
/* Same, from a buffer; name is used in messages. */
int jsonfile_parse(const char *name, const char *text, size_t len, struct jsonfile *jf,
		   char *err, size_t errlen);
void jsonfile_release(struct jsonfile *jf);

/* Locate a value by path inside the raw text. path is a list of object keys
 * and array indexes written as "[N]". With key_pos set, points at the key
 * itself rather than its value. Returns 0 with 1-based line/col, or -ENOENT
 * (line/col then point at the start of the deepest container found). */
int jsonpos_locate(const char *text, size_t len, const char *const *path, size_t depth,
		   int key_pos, int *line, int *col);

/* Format "path:line:col: message" for the element at path (NULL-terminated
 * list of segments) into err. Always returns -EINVAL for convenient
 * "return jsonfile_error(...)". */
int jsonfile_error(const struct jsonfile *jf, const char *const *path, int key_pos,
		   char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Check that obj (found at path; NULL for the root) holds only the keys in
 * allowed (NULL terminated). Returns 0 or the jsonfile_error for the first
 * unknown key. */
int jsonfile_only_keys(const struct jsonfile *jf, const char *const *path, json_t *obj,
		       const char *const *allowed, char *err, size_t errlen);

#endif

/* One reader for JSON objects with declared members. A caller declares each
 * member once (name, type, whether it is required or may be null, an integer
 * range or a length, the strings it may take) and gets either typed values or
 * one precise error: which member, and what was wrong with it. Nested objects
 * and array items are the caller's: it reads them with another declaration.
 *
 * The error is data, so each edge words it its own way: files through
 * jm_file_error() ("file:line:column: message", via util/jsonfile), request
 * bodies as the Redfish message that fits the problem. */
#ifndef CXLA_UTIL_JSONMEMBERS_H
#define CXLA_UTIL_JSONMEMBERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/jsonfile.h"

enum jm_type {
	JM_STRING = 1,
	JM_INTEGER,
	JM_BOOLEAN,
	JM_OBJECT,
	JM_ARRAY,
	JM_ANY, /* any JSON value, null included */
};

#define JM_REQUIRED 0x1u /* absent is an error */
#define JM_NULLABLE 0x2u /* null is accepted (the value then has json set, is_null true) */
#define JM_SECRET 0x4u   /* the value is never quoted back (passwords) */

struct jm_member {
	const char *name;
	enum jm_type type;
	unsigned flags;
	/* JM_INTEGER: the value must lie in [min, max], unless both are 0.
	 * JM_STRING: length in bytes at least min, and at most max when max > 0.
	 * JM_ARRAY: item count, the same way. */
	long long min, max;
	/* JM_STRING: the values allowed, NULL-terminated; NULL: any. */
	const char *const *choices;
	/* What the value must be, for messages about its type or length ("a
	 * non-empty string or null"); NULL: worded from type and bounds. */
	const char *expect;
};

/* What was found for one declared member. Everything is borrowed from the
 * object that was read. */
struct jm_value {
	json_t *json;    /* NULL: absent */
	bool is_null;    /* JM_NULLABLE member given as null */
	const char *str; /* JM_STRING */
	size_t len;
	long long num;   /* JM_INTEGER */
	bool flag;       /* JM_BOOLEAN */
	int choice;      /* JM_STRING with choices: index into them; else -1 */
};

enum jm_problem {
	JM_NOT_OBJECT = 1, /* the value read is not an object */
	JM_UNKNOWN,        /* a member that is not declared */
	JM_MISSING,        /* a required member is absent */
	JM_WRONG_TYPE,
	JM_OUT_OF_RANGE,   /* integer outside [min, max] */
	JM_BAD_LENGTH,     /* string length or array size outside its bounds */
	JM_NOT_IN_LIST,    /* string not among the choices */
};

struct jm_error {
	enum jm_problem problem;
	const char *name;               /* borrowed: the member; NULL for JM_NOT_OBJECT */
	const struct jm_member *member; /* its declaration; NULL for JM_UNKNOWN, JM_NOT_OBJECT */
	const json_t *value;            /* borrowed: what was found; NULL for JM_MISSING */
};

/* Read obj against the n declared members into out[n] (out[i] for
 * members[i]). Members are checked in the object's own order, so the error
 * is the first problem in the document; required members missing are
 * reported after that, in declaration order. Returns 0, or -EINVAL with e
 * filled (out is then partly filled and must not be used). Duplicate names
 * never reach the reader: jansson keeps one (util/jsonfile refuses them). */
int jm_read(const json_t *obj, const struct jm_member *members, size_t n, struct jm_value *out,
	    struct jm_error *e);

/* The same, reporting every problem rather than the first, for answers
 * that list them all: up to max of them into errs, their count in *nerrs.
 * Returns 0 when there is none, else -EINVAL. A member with a problem of
 * its own reads as absent in out; the others are read as usual. */
int jm_read_all(const json_t *obj, const struct jm_member *members, size_t n,
		struct jm_value *out, struct jm_error *errs, size_t max, size_t *nerrs);

/* The problem in words ("\"port\" must be between 1 and 65535"), into buf. */
void jm_error_message(const struct jm_error *e, char *buf, size_t len);

/* Report e as "file:line:column: message", placed at the offending value, at
 * the key of an unknown member, or at the object for a missing one. path
 * names the object read inside jf (NULL-terminated segments, as for
 * jsonfile_error). Returns -EINVAL, or -E2BIG for a path too deep. */
int jm_file_error(const struct jsonfile *jf, const char *const *path, const struct jm_error *e,
		  char *err, size_t errlen);

/* jm_read, with any error reported by jm_file_error. */
int jm_read_file(const struct jsonfile *jf, const char *const *path, const json_t *obj,
		 const struct jm_member *members, size_t n, struct jm_value *out, char *err,
		 size_t errlen);

/* "a string", "an integer", "null", ...: the kind of v, for messages. */
const char *jm_kind(const json_t *v);
/* "a string", "an integer", ...: the kind a member of type t must be. */
const char *jm_type_name(enum jm_type t);

#endif

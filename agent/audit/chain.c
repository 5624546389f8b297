#include "audit/chain.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "audit/audit.h"
#include "audit/journal.h"
#include "util/fileio.h"

/* Rotated files are numbered from 1; past this the search stops. */
#define ROTATED_MAX 10000

int audit_chain_hash(const char *line, size_t len, char out[AUDIT_CHAIN_HEX])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];

	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, line, len, md))
		return -EIO;
	for (unsigned i = 0; i < sizeof(md); i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	return 0;
}

struct verifier {
	struct audit_verify_report *rep;
	char prev[AUDIT_CHAIN_HEX]; /* hash of the last record seen */
	int chained;                /* a chained record has been seen */
};

static int broken(struct verifier *v, const char *file, size_t lineno, const char *id,
		  const char *why)
{
	struct audit_verify_report *rep = v->rep;

	snprintf(rep->broken_file, sizeof(rep->broken_file), "%s", file);
	rep->broken_line = lineno;
	snprintf(rep->broken_id, sizeof(rep->broken_id), "%s", id ? id : "?");
	snprintf(rep->broken_why, sizeof(rep->broken_why), "%s", why);
	return 1;
}

/* One line: 0 to go on, 1 when the chain breaks here, -errno. */
static int verify_line(struct verifier *v, const char *file, size_t lineno, const char *line,
		       size_t len)
{
	json_t *rec = json_loadb(line, len, 0, NULL);
	const char *id = json_string_value(json_object_get(rec, "id"));
	const char *prev = json_string_value(json_object_get(rec, AUDIT_CHAIN_MEMBER));
	char why[160];
	int rc = 0;

	if (!rec || !id) {
		v->rep->torn++;
		json_decref(rec);
		return 0;
	}
	if (!prev) {
		/* Records from before the chain may only lead the log. */
		if (v->chained)
			rc = broken(v, file, lineno, id, "record without prev_sha256 inside the chain");
		else
			v->rep->unchained++;
	} else if (!v->chained && v->rep->records == v->rep->unchained) {
		/* The oldest kept chained record: what it links to was rotated
		 * away (or is the genesis), unless unchained records precede. */
		snprintf(v->rep->first_prev, sizeof(v->rep->first_prev), "%s", prev);
		if (v->rep->unchained && strcmp(prev, v->prev) != 0)
			rc = broken(v, file, lineno, id, "first chained record does not link to the record before it");
	} else if (strcmp(prev, v->prev) != 0) {
		snprintf(why, sizeof(why), "prev_sha256 %.16s... but the record before hashes to %.16s...",
			 prev, v->prev);
		rc = broken(v, file, lineno, id, why);
	}
	if (prev)
		v->chained = 1;
	v->rep->records++;
	if (!rc && audit_chain_hash(line, len, v->prev) < 0)
		rc = -EIO;
	json_decref(rec);
	return rc;
}

static int verify_file(struct verifier *v, const char *path, const char *name)
{
	char *text = NULL;
	size_t len = 0, start = 0, lineno = 0;
	int rc = file_read_all_flags(path, O_NOFOLLOW, SIZE_MAX / 2, &text, &len);

	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	while (start < len) {
		const char *nl = memchr(text + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - text) : len;
		lineno++;
		if (end > start && (rc = verify_line(v, name, lineno, text + start, end - start)))
			break;
		start = end + 1;
	}
	free(text);
	return rc;
}

int audit_verify(const char *dir, struct audit_verify_report *rep)
{
	struct verifier v = { NULL, AUDIT_CHAIN_GENESIS, 0 };
	char path[PATH_MAX], name[64];
	unsigned oldest = 0;
	struct stat st;
	int rc;

	memset(rep, 0, sizeof(*rep));
	v.rep = rep;
	for (unsigned n = 1; n <= ROTATED_MAX; n++) {
		snprintf(path, sizeof(path), "%s/%s.%u", dir, AUDIT_FILE_NAME, n);
		if (lstat(path, &st) < 0)
			break;
		oldest = n;
	}
	for (unsigned n = oldest; n >= 1; n--) {
		snprintf(name, sizeof(name), "%s.%u", AUDIT_FILE_NAME, n);
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if ((rc = verify_file(&v, path, name)))
			return rc;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, AUDIT_FILE_NAME);
	if ((rc = verify_file(&v, path, AUDIT_FILE_NAME)))
		return rc;
	snprintf(rep->head, sizeof(rep->head), "%s", v.prev);
	return 0;
}

int audit_verify_print(const char *dir, FILE *out)
{
	struct audit_verify_report rep = { 0 };
	size_t pending = 0;
	int rc = audit_verify(dir, &rep);

	if (rc < 0) {
		fprintf(out, "cannot read the audit log in %s: %s\n", dir, strerror(-rc));
		return 2;
	}
	if (rc) {
		fprintf(out, "chain broken at %s line %zu, record %s: %s\n", rep.broken_file,
			rep.broken_line, rep.broken_id, rep.broken_why);
		fprintf(out, "%zu records before it are intact\n", rep.records - 1);
		return 1;
	}
	fprintf(out, "chain intact: %zu records", rep.records);
	if (rep.unchained)
		fprintf(out, " (the first %zu from before the chain)", rep.unchained);
	if (rep.torn)
		fprintf(out, ", %zu torn lines passed over", rep.torn);
	fprintf(out, "\nhead %s\n", rep.head);
	if (rep.first_prev[0])
		fprintf(out, "oldest kept record links to %s\n", rep.first_prev);
	rc = journal_pending(dir, rep.head, &pending);
	if (rc < 0)
		fprintf(out, "cannot read %s/%s: %s\n", dir, AUDIT_JOURNAL_NAME, file_refusal(rc));
	else if (pending)
		fprintf(out, "%zu more record(s) in %s continue the chain past the log's end (lost "
			"from it in a crash): the agent appends them when it next starts\n",
			pending, AUDIT_JOURNAL_NAME);
	return rc < 0 ? 2 : 0;
}

/* Which allowed commands the log leaves open: the agent stopped (or was
 * killed) between writing an intent and its result, or a background
 * operation was never seen to finish. Start-up closes them. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"

static const char *str(json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

static ssize_t find(const struct audit_pending *p, size_t n, const char *intent)
{
	for (size_t i = n; i-- > 0;)
		if (strcmp(p[i].intent, intent) == 0)
			return (ssize_t)i;
	return -1;
}

static int add(struct audit_pending **p, size_t *n, size_t *cap, json_t *rec)
{
	const char *opcode = str(rec, "opcode");
	struct audit_pending *e;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct audit_pending *np = realloc(*p, ncap * sizeof(*np));
		if (!np)
			return -ENOMEM;
		*p = np;
		*cap = ncap;
	}
	e = &(*p)[(*n)++];
	memset(e, 0, sizeof(*e));
	snprintf(e->intent, sizeof(e->intent), "%s", str(rec, "id"));
	snprintf(e->device, sizeof(e->device), "%s", str(rec, "device") ? str(rec, "device") : "");
	e->opcode = opcode ? (uint16_t)strtoul(opcode, NULL, 16) : 0;
	return 0;
}

/* A result either closes its intent or, as "Background Command Started" or
 * an abandonment at shutdown, leaves a background operation open. */
static void apply_result(struct audit_pending *p, size_t *n, json_t *rec)
{
	const char *intent = str(rec, "intent"), *outcome = str(rec, "outcome");
	const char *transport = str(rec, "transport");
	json_t *mbox = json_object_get(rec, "mbox_rc");
	ssize_t i = intent ? find(p, *n, intent) : -1;

	if (i < 0)
		return;
	if (outcome && strcmp(outcome, "AbandonedAtShutdown") == 0) {
		p[i].background = true;
		return;
	}
	if (!outcome && transport && strcmp(transport, "OK") == 0 && json_is_integer(mbox) &&
	    json_integer_value(mbox) == 1) {
		p[i].background = true;
		return;
	}
	p[i] = p[--(*n)];
}

int audit_pending_in(json_t *records, struct audit_pending **out, size_t *count)
{
	struct audit_pending *p = NULL;
	size_t n = 0, cap = 0, i;
	json_t *rec;

	json_array_foreach(records, i, rec) {
		const char *type = str(rec, "type"), *decision = str(rec, "decision");
		if (!type || !str(rec, "id"))
			continue;
		if (strcmp(type, "Intent") == 0 && decision && strcmp(decision, "Allowed") == 0) {
			if (add(&p, &n, &cap, rec) < 0) {
				free(p);
				return -ENOMEM;
			}
		} else if (strcmp(type, "Result") == 0) {
			apply_result(p, &n, rec);
		}
	}
	*out = p;
	*count = n;
	return 0;
}

int audit_pending(struct audit_log *log, struct audit_pending **out, size_t *count)
{
	json_t *recs = NULL;
	int rc = audit_read(log, 0, SIZE_MAX, &recs, NULL);

	*out = NULL;
	*count = 0;
	if (rc)
		return rc;
	rc = audit_pending_in(recs, out, count);
	json_decref(recs);
	return rc;
}

/* Audit records: what an intent, a result and a summary of suppressed
 * denials hold. The file mechanics (ids, chain, rotation, sync) are in
 * audit.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "audit/audit.h"
#include "audit/internal.h"
#include "cxl/cel.h"
#include "util/log.h"

/* A JSON string for s: null for NULL; invalid UTF-8 bytes become '?'. */
static json_t *jstr(const char *s)
{
	json_t *v;
	char *copy;

	if (!s)
		return json_null();
	v = json_string(s);
	if (v)
		return v;
	copy = strdup(s);
	if (!copy)
		return NULL;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
			*p = '?';
	v = json_string(copy);
	free(copy);
	return v;
}

static int sha256_hex(const void *data, size_t len, char out[65])
{
	return audit_chain_hash(data ? data : "", data ? len : 0, out);
}

static json_t *effects_json(uint16_t effects)
{
	json_t *names = json_array();

	if (!names)
		return NULL;
	for (const struct cxl_effect_name *e = cxl_effect_names; e->name; e++)
		if (e->bit < 16 && (effects & (1u << e->bit)) &&
		    json_array_append_new(names, json_string(e->name)) < 0) {
			json_decref(names);
			return NULL;
		}
	return json_pack("{s:i, s:o}", "raw", (int)effects, "names", names);
}

static void write_summary(struct audit_log *log, const struct denial_summary *d)
{
	char first[40], last[40];
	struct timespec t;
	json_t *rec;

	t.tv_sec = (time_t)(d->first_us / 1000000u);
	t.tv_nsec = (long)(d->first_us % 1000000u) * 1000L;
	audit_format_time(&t, first, sizeof(first));
	t.tv_sec = (time_t)(d->last_us / 1000000u);
	t.tv_nsec = (long)(d->last_us % 1000000u) * 1000L;
	audit_format_time(&t, last, sizeof(last));
	rec = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s}", "user", d->user, "source", d->source,
			"decision", "Denied", "suppressed", (int)d->suppressed, "first", first,
			"last", last);
	if (audit_write_record(log, rec, "Suppressed", NULL, 0))
		log_error("audit: %u suppressed denials of %s could not be recorded", d->suppressed,
			  d->user);
}

void audit_flush_denials(struct audit_log *log, int all)
{
	struct denial_summary batch[16];
	size_t n;

	do {
		n = audit_drain_denials(log, all, batch, 16);
		for (size_t i = 0; i < n; i++)
			write_summary(log, &batch[i]);
	} while (n == 16);
}

int audit_intent(struct audit_log *log, const struct audit_intent *in,
		 char id_out[AUDIT_ID_MAX])
{
	char opcode[8], digest[65];
	json_t *rec;

	if (sha256_hex(in->payload, in->payload_len, digest) < 0)
		return -EIO;
	if (!in->allowed) {
		struct denial_summary flush;
		int write;

		write = audit_admit_denial(log, in->user, in->source, &flush);
		if (flush.suppressed)
			write_summary(log, &flush);
		if (!write) {
			id_out[0] = '\0';
			return 0;
		}
	}
	snprintf(opcode, sizeof(opcode), "0x%04X", in->opcode);
	rec = json_pack("{s:o, s:o, s:o, s:o, s:s, s:o, s:I, s:s, s:o, s:s, s:o}",
			"user", jstr(in->user), "auth", jstr(in->auth_method), "source",
			jstr(in->source), "device", jstr(in->device), "opcode", opcode,
			"command", jstr(in->command_id), "payload_bytes",
			(json_int_t)in->payload_len, "payload_sha256", digest, "effects",
			in->in_cel ? effects_json(in->effects) : json_null(), "decision",
			in->allowed ? "Allowed" : "Denied", "reason",
			jstr(in->reason ? in->reason : "Unknown"));
	if (rec && in->scope && json_object_set_new(rec, "scope", jstr(in->scope)) < 0) {
		json_decref(rec);
		rec = NULL;
	}
	if (rec && in->detail && json_object_set_new(rec, "detail", jstr(in->detail)) < 0) {
		json_decref(rec);
		rec = NULL;
	}
	return audit_write_record(log, rec, "Intent", id_out, 1);
}

static void errno_name(int err, char *buf, size_t len)
{
	const char *name = strerrorname_np(err);

	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "E%d", err);
}

static const char *const outcome_names[] = {
	[AUDIT_OUTCOME_REPORTED] = NULL,
	[AUDIT_OUTCOME_UNKNOWN] = "Unknown",
	[AUDIT_OUTCOME_ABANDONED_AT_SHUTDOWN] = "AbandonedAtShutdown",
};

/* transport, errno, mailbox code and name, as the device layer reported. */
static int add_status(json_t *rec, const struct audit_result *res)
{
	int err = res->transport < 0 ? -res->transport : res->transport;
	char transport[32];

	if (err)
		errno_name(err, transport, sizeof(transport));
	else
		snprintf(transport, sizeof(transport), "OK");
	if (json_object_set_new(rec, "transport", json_string(transport)) < 0 ||
	    json_object_set_new(rec, "errno", json_integer(err)) < 0)
		return -ENOMEM;
	if (!err && (json_object_set_new(rec, "mbox_rc", json_integer(res->mbox_rc)) < 0 ||
		     json_object_set_new(rec, "mbox_rc_name",
					 jstr(cxl_mbox_rc_name(res->mbox_rc))) < 0))
		return -ENOMEM;
	return json_object_set_new(rec, "duration_us", json_integer((json_int_t)res->duration_us));
}

int audit_result(struct audit_log *log, const struct audit_result *res,
		 char id_out[AUDIT_ID_MAX])
{
	json_t *rec = json_pack("{s:o}", "intent", jstr(res->intent_id));
	int rc = rec ? 0 : -ENOMEM;

	/* An outcome the agent could not observe carries no transport or
	 * mailbox status: it would claim something nobody saw. */
	if (!rc && res->outcome == AUDIT_OUTCOME_REPORTED)
		rc = add_status(rec, res);
	else if (!rc)
		rc = json_object_set_new(rec, "outcome", json_string(outcome_names[res->outcome]));
	if (!rc && res->detail)
		rc = json_object_set_new(rec, "detail", jstr(res->detail));
	if (rc) {
		json_decref(rec);
		rec = NULL;
	}
	return audit_write_record(log, rec, "Result", id_out, 0);
}

#include "core/commands.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "core/agent.h"
#include "core/remote.h"
#include "events/sources.h"
#include "metrics/metrics.h"
#include "policy/catalogue.h"
#include "util/log.h"

struct command_queues {
	size_t n;
	unsigned max_waiting;
	atomic_uint *waiting; /* commands admitted and not finished, per device */
};

int command_queues_new(size_t ndevices, unsigned max_waiting, struct command_queues **out)
{
	struct command_queues *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->waiting = calloc(ndevices ? ndevices : 1, sizeof(*q->waiting));
	if (!q->waiting) {
		free(q);
		return -ENOMEM;
	}
	q->n = ndevices;
	q->max_waiting = max_waiting;
	*out = q;
	return 0;
}

void command_queues_free(struct command_queues *q)
{
	if (!q)
		return;
	free(q->waiting);
	free(q);
}

/* Admission: at most max_waiting commands (running or queued) per device;
 * past that the caller is told to come back rather than pile up threads. */
static int admit(struct command_queues *q, size_t idx)
{
	unsigned now = atomic_fetch_add(&q->waiting[idx], 1);
	if (now >= q->max_waiting) {
		atomic_fetch_sub(&q->waiting[idx], 1);
		return 0;
	}
	return 1;
}

static void leave(struct command_queues *q, size_t idx)
{
	atomic_fetch_sub(&q->waiting[idx], 1);
}

void command_outcome_clear(struct command_outcome *out)
{
	cxl_cmd_result_clear(&out->result);
}

/* The audit intent of a decided command; its strings are borrowed from the
 * arguments (entry's only while the CEL it is in lives). */
static void intent_of(const struct identity *who, const char *device, uint16_t opcode,
		      const struct policy_command *approval, const uint8_t *payload,
		      size_t payload_len, const struct cxl_cel_entry *entry,
		      const struct policy_decision *d, struct audit_intent *intent)
{
	memset(intent, 0, sizeof(*intent));
	intent->user = who->user;
	intent->auth_method = auth_method_name(who->method);
	intent->source = who->peer ? who->peer : "";
	intent->device = device;
	intent->opcode = opcode;
	intent->command_id = approval ? approval->id : NULL;
	intent->payload = payload;
	intent->payload_len = payload_len;
	intent->in_cel = entry != NULL;
	intent->effects = entry ? entry->effects : 0;
	intent->allowed = policy_allowed(d);
	intent->reason = policy_reason_name(d->reason);
	intent->scope = policy_scope_name(d->scope);
	intent->detail = d->detail;
}

/* Write the intent, timed for the audit write metric. 0 or -errno. */
static int write_intent(struct agent *ag, const struct audit_intent *intent,
			struct command_outcome *out)
{
	struct timespec t0, t1;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = audit_intent(ag->audit, intent, out->audit_id);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	out->audit_us = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000u +
			(uint64_t)((t1.tv_nsec - t0.tv_nsec) / 1000);
	return rc;
}

static int submit_audited(struct agent *ag, const struct identity *who, size_t idx,
			  const struct policy_command *approval, const uint8_t *payload,
			  size_t payload_len, unsigned timeout_ms, struct command_outcome *out)
{
	struct cxl_dev_info info;
	struct cxl_cel cel = { 0 };
	struct policy_device dev;
	struct policy_request req;
	const struct cxl_cel_entry *entry;
	struct audit_intent intent;
	struct audit_result result;
	uint16_t opcode = approval ? approval->opcode : 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (ag->remote) {
		/* The broker decides again and audits; the outcome it returns is the
		 * one that counts (and the one the caller is told). */
		if ((rc = cxl_devset_info(ag->devices, idx, &info)) < 0)
			return rc;
		return ag->remote->submit(ag->remote_ctx, who, idx, info.id,
					  approval ? approval->id : NULL, payload, payload_len,
					  timeout_ms, out);
	}
	if ((rc = cxl_devset_info(ag->devices, idx, &info)) < 0)
		return rc;
	if ((rc = cxl_devset_cel(ag->devices, idx, &cel)) < 0)
		return rc;
	policy_device_from_info(&info, &dev);
	req.opcode = opcode;
	req.payload_len = payload_len;
	entry = cxl_cel_find(&cel, opcode);
	policy_decide(approval, entry, &dev, who->privileges, &req, &out->decision);

	intent_of(who, info.id, opcode, approval, payload, payload_len, entry, &out->decision,
		  &intent);
	cxl_cel_free(&cel);

	/* The intent is on disk before the device sees anything; denials are
	 * recorded the same way. */
	if ((rc = write_intent(ag, &intent, out))) {
		out->audit_error = rc;
		out->audit_id[0] = '\0';
		out->stage = COMMAND_AUDIT_FAILED;
		log_error("audit: cannot record command 0x%04x for %s on %s: %s; refused", opcode,
			  who->user, info.id, strerror(-rc));
		return 0;
	}
	if (!intent.allowed) {
		out->stage = COMMAND_DENIED;
		log_info("command 0x%04x by %s on %s denied: %s", opcode, who->user, info.id,
			 intent.reason);
		return 0;
	}
	if (!admit(ag->queues, idx)) {
		out->stage = COMMAND_QUEUE_FULL;
		memset(&result, 0, sizeof(result));
		result.intent_id = out->audit_id;
		result.transport = -EBUSY;
		audit_result(ag->audit, &result, NULL);
		return 0;
	}
	{
		struct cxl_cmd cmd = { opcode, payload, payload_len, timeout_ms };
		rc = cxl_devset_submit(ag->devices, idx, &cmd, &out->result);
	}
	leave(ag->queues, idx);
	if (rc < 0) {
		out->result.transport = rc;
		out->result.out = NULL;
		out->result.out_len = 0;
	}
	out->stage = COMMAND_SUBMITTED;
	memset(&result, 0, sizeof(result));
	result.intent_id = out->audit_id;
	result.transport = out->result.transport;
	result.mbox_rc = out->result.mbox_rc;
	result.duration_us = out->result.duration_us;
	if (audit_result(ag->audit, &result, NULL))
		log_error("audit: result of record %s could not be written", out->audit_id);
	/* The audit log is the record of every command (and forwards it to
	 * syslog when asked); at thousands a second this line is for debugging. */
	log_debug("command 0x%04x by %s on %s: transport %d, mailbox 0x%02x, %llu us (audit %s)",
		  opcode, who->user, info.id, out->result.transport, out->result.mbox_rc,
		  (unsigned long long)out->result.duration_us, out->audit_id);
	return 0;
}

static void count_outcome(struct metrics *m, uint16_t opcode, const struct command_outcome *o)
{
	enum command_result r = CMD_RESULT_OK;

	if (o->stage == COMMAND_AUDIT_FAILED) {
		metrics_command(m, opcode, CMD_RESULT_AUDIT_FAILED, 0, 0);
		return;
	}
	metrics_decision(m, o->decision.reason);
	if (o->stage == COMMAND_DENIED)
		r = CMD_RESULT_DENIED;
	else if (o->stage == COMMAND_QUEUE_FULL || o->result.transport == -EBUSY)
		r = CMD_RESULT_BUSY;
	else if (o->result.transport)
		r = CMD_RESULT_TRANSPORT_ERROR;
	else if (o->result.mbox_rc != CXL_MBOX_SUCCESS &&
		 o->result.mbox_rc != CXL_MBOX_BACKGROUND_STARTED)
		r = CMD_RESULT_DEVICE_ERROR;
	metrics_command(m, opcode, r, o->result.duration_us,
			o->stage == COMMAND_SUBMITTED && o->result.transport != -EBUSY);
}

/* What every submission leaves behind once its outcome is known: counted
 * before the caller hears of it, so that metrics read after the answer
 * include the command... */
static void count(struct agent *ag, uint16_t opcode, const struct command_outcome *out)
{
	/* The audit write is timed where it happens (the broker's, behind
	 * one) and counted where the metrics are served. */
	metrics_audit_write(ag->metrics, out->audit_us);
	count_outcome(ag->metrics, opcode, out);
}

/* ...and published: after the audit trail is written, so an event never
 * names a command the audit log does not know. */
static void publish(struct agent *ag, const char *user, size_t idx, uint16_t opcode,
		    const char *command_id, const struct command_outcome *out)
{
	struct cxl_dev_info info;

	if (cxl_devset_info(ag->devices, idx, &info) == 0)
		events_command(ag->events, info.id, command_id, opcode, user, out);
}

int command_submit(struct agent *ag, const struct identity *who, size_t idx,
		   const struct policy_command *approval, const uint8_t *payload,
		   size_t payload_len, unsigned timeout_ms, struct command_outcome *out)
{
	int rc = submit_audited(ag, who, idx, approval, payload, payload_len, timeout_ms, out);

	if (rc == 0) {
		count(ag, approval ? approval->opcode : 0, out);
		publish(ag, who->user, idx, approval ? approval->opcode : 0,
			approval ? approval->id : NULL, out);
	}
	return rc;
}

bool command_can_start(const struct agent *ag)
{
	return ag->remote && ag->remote->submit_start;
}

/* A started command until its outcome comes back. */
struct started {
	struct agent *ag;
	size_t idx;
	uint16_t opcode;
	bool approved;
	char command_id[POLICY_ID_MAX + 1];
	char user[IDENTITY_NAME_MAX];
	command_done_fn done;
	void *arg;
};

static void started_done(void *arg, int rc, struct command_outcome *out)
{
	struct started *st = arg;

	if (rc == 0)
		count(st->ag, st->opcode, out);
	st->done(st->arg, rc, rc ? NULL : out);
	/* The answer is on its way meanwhile: publishing the two events (and
	 * the notes of the streams that will read them) is not the caller's
	 * wait. */
	if (rc == 0)
		publish(st->ag, st->user, st->idx, st->opcode,
			st->approved ? st->command_id : NULL, out);
	free(st);
}

int command_submit_start(struct agent *ag, const struct identity *who, size_t idx,
			 const struct policy_command *approval, const uint8_t *payload,
			 size_t payload_len, unsigned timeout_ms, command_done_fn done, void *arg)
{
	struct cxl_dev_info info;
	struct started *st;
	int rc;

	if (!command_can_start(ag))
		return -ENOTSUP;
	if ((rc = cxl_devset_info(ag->devices, idx, &info)) < 0)
		return rc;
	if (!(st = calloc(1, sizeof(*st))))
		return -ENOMEM;
	st->ag = ag;
	st->idx = idx;
	st->opcode = approval ? approval->opcode : 0;
	st->approved = approval != NULL;
	if (approval)
		snprintf(st->command_id, sizeof(st->command_id), "%s", approval->id);
	snprintf(st->user, sizeof(st->user), "%s", who->user);
	st->done = done;
	st->arg = arg;
	rc = ag->remote->submit_start(ag->remote_ctx, who, idx, info.id,
				      approval ? approval->id : NULL, payload, payload_len,
				      timeout_ms, started_done, st);
	if (rc)
		free(st);
	return rc;
}

int command_record_completion(struct agent *ag, const char *intent_id, int transport,
			      uint16_t mbox_rc, uint64_t duration_us)
{
	struct audit_result result = { .intent_id = intent_id, .transport = transport,
				       .mbox_rc = mbox_rc, .duration_us = duration_us };
	int rc;

	/* Behind a broker, a completion the device reported was recorded by the
	 * broker when it answered the poll (and logged there if that failed);
	 * only a loss is the front's to say. */
	if (ag->remote) {
		if (!transport)
			return 0;
		rc = ag->remote->bg_close(ag->remote_ctx, intent_id, REMOTE_BG_LOST, transport,
					  duration_us);
		return rc == -ENOENT ? 0 : rc;
	}
	rc = audit_result(ag->audit, &result, NULL);
	if (rc)
		log_error("audit: completion of record %s could not be written", intent_id);
	return rc;
}

void command_record_abandoned(struct agent *ag, const char *intent_id)
{
	struct audit_result result = { .intent_id = intent_id,
				       .outcome = AUDIT_OUTCOME_ABANDONED_AT_SHUTDOWN,
				       .detail = "background operation still running at shutdown" };
	if (ag->remote) {
		ag->remote->bg_close(ag->remote_ctx, intent_id, REMOTE_BG_ABANDONED, 0, 0);
		return;
	}
	if (audit_result(ag->audit, &result, NULL))
		log_error("audit: abandonment of record %s could not be written", intent_id);
}

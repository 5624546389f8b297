/* Append-only audit log of device commands, as JSON lines in <dir>/audit.log.
 *
 * Protocol for the caller (fail closed):
 *   1. decide with policy_decide();
 *   2. audit_intent() with the decision; if it fails, do not submit (the
 *      command is refused, e.g. 503) and the failure shows in audit_health();
 *   3. if allowed, submit, then audit_result() with the intent's id.
 * A denial is one intent record with "decision": "Denied" and no result.
 * Every record is built with jansson and written with one write(). An
 * intent returns only once it is durable: written with the records before
 * it to the journal beside the log (audit/journal.h: overwritten in place
 * and synced, which does not commit the file system's journal as syncing
 * a growing file does), or covered by the log's own fdatasync when that
 * cannot be used; concurrent intents share one sync (group commit). Other
 * records return at once and are covered by the next intent's sync, or by
 * the log's sync within about 20 ms: a crash before that can lose only
 * results, and start-up closes their intents (audit_pending()). What a
 * crash takes from the end of audit.log that the journal holds is put back
 * at open.
 *
 * Intent record:
 *   {"id": "1733912345678901", "type": "Intent",
 *    "time": "2025-01-01T12:00:00.123Z",       RFC 3339, UTC, milliseconds
 *    "prev_sha256": "<64 hex>",                the previous record's line
 *    "user": "alice", "auth": "Basic"|"Session"|"Certificate",
 *    "source": "192.0.2.7", "device": "1000000000000001",
 *    "opcode": "0xC000", "command": "read-telemetry"   (catalogue id, if any)
 *    "payload_bytes": 16, "payload_sha256": "<64 hex>",
 *    "effects": {"raw": 16, "names": ["ImmediateLogChange"]}  (null: not in CEL)
 *    "decision": "Allowed"|"Denied", "reason": "Allowed"|"NotApproved"|...,
 *    "scope": "Read"|..., "detail": "..."}          (scope/detail if given)
 * Result record:
 *   {"id": "...", "type": "Result", "time": "...", "intent": "<intent id>",
 *    "transport": "OK" or the errno name ("ETIMEDOUT"), "errno": 0 or 110,
 *    "mbox_rc": 0, "mbox_rc_name": "Success",   (only when transport is OK)
 *    "duration_us": 1234, "detail": "..."}      (detail optional)
 * or, for an outcome nobody observed,
 *   {..., "intent": "<intent id>", "outcome": "Unknown"|"AbandonedAtShutdown",
 *    "detail": "..."}
 * A background operation has two results: "Background Command Started"
 * (mbox_rc 1) when it starts, and its completion. See audit_pending().
 *
 * Every record also carries "prev_sha256", the hash chain of audit/chain.h.
 *
 * Record ids are decimal strings, strictly increasing, unique across
 * restarts: each id is max(previous id + 1, current time in microseconds),
 * and at open the previous id is the last one found in audit.log (or
 * audit.log.1), so ids survive restarts and even deleted logs as long as the
 * clock does not go back.
 *
 * Rotation: before a record would take audit.log past max_bytes (0: never),
 * audit.log.N-1 -> audit.log.N ... audit.log -> audit.log.1 and a new
 * audit.log is started; keep_files rotated files are kept (0: none).
 * Files are mode 0600 in a directory created 0700; opened with O_NOFOLLOW.
 * The journal is dir/audit.journal (1 MiB, made by the first intent).
 * A line torn by a crash is skipped by readers; the next record starts on a
 * new line.
 *
 * Thread-safe: every function may be called from any thread. */
#ifndef CXLA_AUDIT_AUDIT_H
#define CXLA_AUDIT_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define AUDIT_ID_MAX 24 /* room for a uint64 in decimal and the NUL */
#define AUDIT_FILE_NAME "audit.log"

struct audit_log;

/* What is about to be (or was refused to be) sent. Strings are borrowed and
 * may be NULL (written as null), except reason. Invalid UTF-8 is replaced. */
struct audit_intent {
	const char *user;
	const char *auth_method; /* "Basic", "Session", "Certificate" */
	const char *source;      /* client address */
	const char *device;      /* device id */
	uint16_t opcode;
	const char *command_id;  /* catalogue id; NULL when none (not approved) */
	const void *payload;     /* hashed, never stored */
	size_t payload_len;
	int in_cel;              /* nonzero: effects holds the CEL effects */
	uint16_t effects;
	int allowed;             /* the policy decision */
	const char *reason;      /* policy_reason_name() */
	const char *scope;       /* policy_scope_name(), optional */
	const char *detail;      /* policy decision detail, optional */
};

/* How a result came to be known. */
enum audit_outcome {
	AUDIT_OUTCOME_REPORTED,   /* the device layer reported transport and status */
	AUDIT_OUTCOME_UNKNOWN,    /* no result was ever seen (the agent stopped first) */
	AUDIT_OUTCOME_ABANDONED_AT_SHUTDOWN, /* a background operation still running */
};

struct audit_result {
	const char *intent_id;   /* id returned by audit_intent() */
	int transport;           /* 0 or -errno from the device layer */
	uint16_t mbox_rc;        /* meaningful when transport == 0 */
	uint64_t duration_us;
	enum audit_outcome outcome; /* not REPORTED: "outcome" instead of the status */
	const char *detail;      /* optional words, e.g. how the result was found */
};

struct audit_stats {
	uint64_t records;   /* records written and synced since open */
	uint64_t syncs;     /* successful fdatasync()s of records (one covers many) */
	uint64_t durable;   /* records a completed fdatasync covers */
	uint64_t failures;  /* records that could not be written */
	uint64_t rotations;
};

/* Create dir (0700) if needed and open dir/audit.log for appending.
 * max_bytes: rotation threshold (0: never rotate); keep_files: rotated files
 * kept. Returns 0 and a new handle in *out, or -errno. */
int audit_open(const char *dir, size_t max_bytes, unsigned keep_files, struct audit_log **out);
/* The same, and on failure file (of filelen bytes) names the file at fault:
 * one of the log's files, which are never read through a symbolic link
 * (-ELOOP) and must be regular files (-EINVAL), or dir itself. */
int audit_open_naming(const char *dir, size_t max_bytes, unsigned keep_files,
		      struct audit_log **out, char *file, size_t filelen);
void audit_close(struct audit_log *log);

#define AUDIT_DENIAL_BURST 10    /* denials written per caller per window */
#define AUDIT_DENIAL_WINDOW_S 60
/* Each record's line, called under the log's lock right after the record is
 * durable. Must not block for long or call back into the log. */
typedef void (*audit_forward_fn)(void *ctx, const char *line);
/* Forward every record as written (NULL: stop). */
void audit_set_forward(struct audit_log *log, audit_forward_fn fn, void *ctx);
/* Where records go besides the log (configuration key audit_forward). */
enum audit_forward { AUDIT_FORWARD_OFF, AUDIT_FORWARD_SYSLOG };
/* Forward every record to syslog (journald under systemd), facility
 * authpriv, ident "cxl-agent-audit": a copy the agent cannot rewrite later. */
void audit_forward_to_syslog(struct audit_log *log);

/* Change the per-caller denial burst (0: write every denial) and window. */
void audit_set_denial_limit(struct audit_log *log, unsigned burst, unsigned window_s);
/* Write the summaries of windows that have ended (all: every window, as at
 * close). Call it now and then so that a count does not wait for the
 * caller's next denial. */
void audit_flush_denials(struct audit_log *log, int all);

/* Append and sync an intent record. On success writes the new record id into
 * id_out (AUDIT_ID_MAX bytes) and returns 0. Returns -errno when the record
 * is not durably written; the caller must then refuse the command.
 * A denial past its caller's burst (same user and source, see
 * audit_set_denial_limit) is counted instead of written: 0 with an empty
 * id_out. The count is written as one "Suppressed" record
 *   {"type": "Suppressed", "user", "source", "decision": "Denied",
 *    "suppressed": N, "first": time, "last": time}
 * when that caller's window ends, by audit_flush_denials or at close. */
int audit_intent(struct audit_log *log, const struct audit_intent *in,
		 char id_out[AUDIT_ID_MAX]);
/* Append a result record, synced soon after without holding the caller
 * (see above); id_out may be NULL. 0 or -errno. */
int audit_result(struct audit_log *log, const struct audit_result *res,
		 char id_out[AUDIT_ID_MAX]);

/* An allowed command whose outcome the log does not hold. */
struct audit_pending {
	char intent[AUDIT_ID_MAX];
	char device[40];
	uint16_t opcode;
	bool background; /* started in the background, never seen to finish */
};
/* The open commands of the whole log (or of records, an array of records
 * oldest first): allowed intents without a result, and background
 * operations whose only results are their start or an abandonment at
 * shutdown. *out is a new array of *count (free()). 0 or -errno. */
int audit_pending(struct audit_log *log, struct audit_pending **out, size_t *count);
int audit_pending_in(json_t *records, struct audit_pending **out, size_t *count);

/* Wait until every record written so far is covered by a sync. 0, or the
 * error of a failed sync. */
int audit_sync(struct audit_log *log);

/* Entries oldest first (rotated files first, then audit.log), skipping the
 * first skip and returning at most max. *entries is a new array (of record
 * objects, as written); *total (may be NULL) is the number of readable
 * entries in all files. Unparseable (torn) lines are skipped. 0 or -errno. */
int audit_read(struct audit_log *log, size_t skip, size_t max, json_t **entries,
	       size_t *total);
/* The entry with this id as a new object, or -ENOENT. */
int audit_find(struct audit_log *log, const char *id, json_t **entry);

/* 0 when the last write worked; otherwise the -errno of the last failure and
 * a message ("write /path/audit.log: No space left on device at <time>")
 * in buf. Turns back to 0 after the next successful write. */
int audit_health(struct audit_log *log, char *buf, size_t len);
void audit_get_stats(struct audit_log *log, struct audit_stats *out);
/* The hash of the last record written (AUDIT_CHAIN_HEX bytes with the NUL):
 * the chain head that the next record will link to. */
void audit_chain_head(struct audit_log *log, char out[65]);

/* Format t (CLOCK_REALTIME) as RFC 3339 UTC with milliseconds into buf
 * (at least 25 bytes). Exposed for tests and other log writers. */
void audit_format_time(const struct timespec *t, char *buf, size_t len);

#endif

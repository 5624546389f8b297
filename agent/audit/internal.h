/* Between the audit log's file mechanics (audit.c), its record builders
 * (records.c) and its reader (read.c). Not for use outside agent/audit. */
#ifndef CXLA_AUDIT_INTERNAL_H
#define CXLA_AUDIT_INTERNAL_H

#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/types.h>

#include "audit/audit.h"
#include "audit/chain.h"
#include "audit/journal.h"
#include "audit/limiter.h"

/* A writer waiting until a sync covers its record (audit_wait_durable). */
struct audit_waiter {
	uint64_t seq;
	char *line;          /* the record's line (room for a NUL at len), or NULL */
	size_t len;
	int rc;              /* the sync's outcome for seq */
	int settled;         /* rc is set and the record finished */
	int lead;            /* woken to run the next sync, not settled */
	sem_t wake;
	struct audit_waiter *next;
};

struct audit_log {
	pthread_mutex_t lock;
	char dir[PATH_MAX];
	char path[PATH_MAX];
	size_t max_bytes;
	unsigned keep;
	int fd;             /* -1 when closed after a failure: reopened next write */
	off_t size;
	int need_newline;   /* file ends with a torn line */
	uint64_t last_id;
	char head[AUDIT_CHAIN_HEX]; /* hash of the last record written: the chain head */
	struct denial_limiter denials;
	/* Group commit: writers append under the lock and count written_seq.
	 * A writer that must wait for durability (an intent) runs the sync
	 * itself unless one is in progress, covering everything written so
	 * far (in the journal, or the log's own fdatasync), and advances
	 * synced_seq: concurrent intents share a sync. Records nobody waits
	 * for are left to the next such sync; the syncer thread syncs the log
	 * itself after a short delay (log_synced_seq). */
	pthread_cond_t work;      /* unsynced records for the syncer, or stopping */
	int syncer_armed;         /* the syncer will look within LAZY_SYNC_MS */
	pthread_cond_t synced;    /* synced_seq moved */
	struct audit_waiter *waiters; /* in record order, until a sync covers them */
	int lead_woken;           /* a waiter was woken to run the next sync */
	struct audit_waiter *lead_waiter; /* that waiter, off the list, until it runs
					   * or a sync covers it first */
	pthread_t syncer;
	int syncer_started;
	int syncing;              /* a sync for waiters in progress outside the lock */
	int log_syncing;          /* audit.log's own fdatasync in progress */
	int stopping;
	uint64_t written_seq, synced_seq;
	uint64_t log_synced_seq;  /* durable in audit.log itself, not just the journal */
	struct audit_journal *journal; /* audit/journal.h */
	struct {
		uint64_t from, to; /* records (from, to] whose sync failed */
		int rc;
	} sync_failures[8];
	unsigned nsync_failures;
	audit_forward_fn forward; /* NULL: records stay in the files only */
	void *forward_ctx;
	int health_err;     /* 0 or -errno of the last failure */
	char health_msg[PATH_MAX + 128];
	struct audit_stats stats;
};

/* Path of rotated file n (0: the current audit.log). 0 or -ENAMETOOLONG. */
int audit_rotated_path(const struct audit_log *log, unsigned n, char *buf, size_t len);

/* CLOCK_REALTIME in microseconds. */
uint64_t audit_now_us(void);
/* Assign the next id, stamp rec with id, type, time and the chain link and
 * append it. durable: return only once an fdatasync covers it (and its
 * error if that failed); otherwise the syncer settles it soon after. Takes
 * over rec (NULL: -ENOMEM). */
int audit_write_record(struct audit_log *log, json_t *rec, const char *type,
		       char id_out[AUDIT_ID_MAX], int durable);
/* Health: a failure of what (open, write, sync...) with -errno err, or
 * none any more. log->lock held. */
void audit_set_failure(struct audit_log *log, int err, const char *what);
void audit_clear_failure(struct audit_log *log);

/* Wait until a sync covers record w->seq, running it here when none is in
 * progress: the first writer to find the log unsynced leads and covers
 * everything appended so far; those who append while it syncs wait, and
 * whoever's sync covers them finishes their records (forwarded, counted)
 * and wakes each of them alone; when some are left, the first is woken to
 * lead the next sync. So concurrent writers share one fdatasync, and none
 * takes the lock again once its record is durable. log->lock held on
 * entry, released on return. The error of a failed sync that covered the
 * record, or 0. w->seq, w->line and w->len set by the caller. */
int audit_wait_durable(struct audit_log *log, struct audit_waiter *w);
/* The syncer thread: audit.log's own fdatasync soon after records that
 * nobody waits for. */
void *audit_syncer_main(void *arg);
/* Before the file changes under the syncer (rotation, reopening): wait for
 * a sync in progress, then sync what is left, so every record written to
 * the old file is settled. log->lock held. */
void audit_settle_locked(struct audit_log *log);

/* denial_limiter_admit / _drain under the log's lock. */
int audit_admit_denial(struct audit_log *log, const char *user, const char *source,
		       struct denial_summary *flush);
size_t audit_drain_denials(struct audit_log *log, int all, struct denial_summary *out,
			   size_t max);

#endif

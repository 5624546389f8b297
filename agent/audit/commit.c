/* Group commit of the audit log: who syncs, who waits, and who is told
 * what. The file mechanics are in audit.c. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/internal.h"

/* How long a record nobody waits for may stay unsynced when no intent's
 * sync comes along to cover it. A crash before then loses at most results,
 * whose intents start-up reconciliation closes as outcome Unknown. */
#define LAZY_SYNC_MS 20

/* The error of a failed sync that covered record seq, or 0. Only the last
 * few failures are kept: a writer wakes long before eight more go by. */
static int sync_error_of(const struct audit_log *log, uint64_t seq)
{
	unsigned n = log->nsync_failures < 8 ? log->nsync_failures : 8;

	for (unsigned i = 0; i < n; i++)
		if (seq > log->sync_failures[i].from && seq <= log->sync_failures[i].to)
			return log->sync_failures[i].rc;
	return 0;
}

static int sync_log_fd(void *arg)
{
	int fd = *(const int *)arg;

	if (fd < 0)
		return -EBADF;
	return fdatasync(fd) < 0 ? -errno : 0;
}

/* A durable record's last steps, once a sync covers it: forwarded (in the
 * order its group was written, so a copy elsewhere shows any later rewrite
 * of the file) and counted. log->lock held. */
static void record_durable(struct audit_log *log, char *line, size_t len)
{
	if (log->forward) {
		line[len] = '\0';
		log->forward(log->forward_ctx, line);
	}
	log->stats.records++;
	audit_clear_failure(log);
}

/* A waiter's record covered by a sync: its outcome set and, if the sync
 * worked, the record finished. log->lock held. */
static void settle(struct audit_log *log, struct audit_waiter *w)
{
	w->rc = sync_error_of(log, w->seq);
	if (!w->rc && w->line)
		record_durable(log, w->line, w->len);
	w->settled = 1;
}

/* Tell the waiters a sync covered (the list is in record order) what it
 * did, finishing their records for them: a waiter woken this way needs the
 * lock no more, so a group's writers do not queue for it one after another
 * when their sync ends. When waiters are left and no sync runs, the first of
 * them is to run the next one. Returns the waiters to wake, chained, for
 * wake() once the lock is let go (a woken writer would otherwise preempt
 * the one that holds it). log->lock held. */
static struct audit_waiter *settle_waiters(struct audit_log *log)
{
	struct audit_waiter *w, *woken = NULL, **tail = &woken;

	/* The one woken to lead but not running yet precedes every waiter
	 * left: finished first, in its place in the order. Its wake-up is
	 * already on its way. */
	if ((w = log->lead_waiter) && w->seq <= log->synced_seq) {
		log->lead_waiter = NULL;
		settle(log, w);
	}
	while ((w = log->waiters) && w->seq <= log->synced_seq) {
		log->waiters = w->next;
		settle(log, w);
		*tail = w;
		tail = &w->next;
	}
	if (w && !log->syncing && !log->lead_woken) {
		log->waiters = w->next;
		log->lead_woken = 1;
		log->lead_waiter = w;
		w->lead = 1;
		*tail = w;
		tail = &w->next;
	}
	*tail = NULL;
	return woken;
}

/* Wake the waiters settle_waiters() took off the list. A waiter may return
 * the moment it is woken: its link is read first. */
static void wake(struct audit_waiter *w)
{
	while (w) {
		struct audit_waiter *next = w->next;
		sem_post(&w->wake);
		w = next;
	}
}

/* Records (from, to] were synced with result rc (0, or the error, which
 * each of them then carries for whoever waits for it). Part of them may
 * have been made durable meanwhile by the other kind of sync. The waiters
 * to wake either way (settle_waiters()). log->lock held. */
static struct audit_waiter *settle_records(struct audit_log *log, uint64_t from, uint64_t to,
					   int rc)
{
	if (from < log->synced_seq)
		from = log->synced_seq;
	if (to > from && rc) {
		unsigned i = log->nsync_failures++ % 8;
		log->sync_failures[i].from = from;
		log->sync_failures[i].to = to;
		log->sync_failures[i].rc = rc;
		log->stats.failures += to - from;
	} else if (to > from) {
		log->stats.syncs++;
		log->stats.durable += to - from;
	}
	if (rc)
		audit_set_failure(log, rc, "sync");
	if (to > log->synced_seq)
		log->synced_seq = to;
	pthread_cond_broadcast(&log->synced);
	return settle_waiters(log);
}

/* audit.log itself holds records up to to: the journal may let them go. */
static void log_settled(struct audit_log *log, uint64_t to)
{
	if (to <= log->log_synced_seq)
		return;
	log->log_synced_seq = to;
	if (log->journal)
		journal_settled(log->journal, to);
}

/* Make everything written so far durable for those who wait: in the
 * journal (the lines not yet durable, overwritten in place), or when it
 * cannot take them, by audit.log's own fdatasync. log->lock held (let go
 * of meanwhile), no such sync running; the log's own may be. The waiters
 * to wake. */
static struct audit_waiter *sync_durable(struct audit_log *log)
{
	uint64_t from = log->synced_seq, to = log->written_seq, logged = log->log_synced_seq;
	int fd = log->fd, rc = -EAGAIN, log_synced = 0, journal;

	if (to <= from)
		return NULL;
	journal = log->journal && journal_take(log->journal) == 0;
	log->syncing = 1;
	pthread_mutex_unlock(&log->lock);
	if (journal)
		rc = journal_commit(log->journal, logged, sync_log_fd, &fd, &log_synced);
	if (rc) /* covers everything written, whatever the journal holds */
		log_synced = !(rc = sync_log_fd(&fd));
	pthread_mutex_lock(&log->lock);
	log->syncing = 0;
	if (log_synced)
		log_settled(log, to);
	return settle_records(log, from, to, rc);
}

/* audit.log's own fdatasync of everything written so far (the syncer's,
 * or before the file changes). It runs beside a journal sync: the two
 * touch different files, and an intent never waits for this one.
 * log->lock held; unlock: let go of meanwhile. The waiters to wake. */
static struct audit_waiter *sync_log_locked(struct audit_log *log, int unlock)
{
	uint64_t from = log->synced_seq, to = log->written_seq;
	int fd = log->fd, rc;

	if (to <= log->log_synced_seq)
		return NULL;
	log->log_syncing = 1;
	if (unlock)
		pthread_mutex_unlock(&log->lock);
	rc = sync_log_fd(&fd);
	if (unlock)
		pthread_mutex_lock(&log->lock);
	log->log_syncing = 0;
	if (!rc)
		log_settled(log, to);
	return settle_records(log, from, to, rc);
}

/* In record order: a group's records are finished in the order written. */
static void add_waiter(struct audit_log *log, struct audit_waiter *w)
{
	struct audit_waiter **p = &log->waiters;

	while (*p && (*p)->seq < w->seq)
		p = &(*p)->next;
	w->next = *p;
	*p = w;
}

int audit_wait_durable(struct audit_log *log, struct audit_waiter *w)
{
	struct audit_waiter *woken = NULL;

	w->settled = 0;
	w->lead = 0;
	w->rc = 0;
	sem_init(&w->wake, 0, 0);
	for (;;) {
		if (w->settled || log->synced_seq >= w->seq) {
			/* Covered while woken to lead (another sync came
			 * first and finished this record in its place): the
			 * lead passes on to whoever is left. */
			if (!w->settled)
				settle(log, w);
			woken = settle_waiters(log);
			break;
		}
		add_waiter(log, w);
		if (!log->syncing) {
			/* Lead: the sync covers this record (settled with the
			 * others it covers; its own wake-up is never waited
			 * for). */
			woken = sync_durable(log);
			break;
		}
		pthread_mutex_unlock(&log->lock);
		while (sem_wait(&w->wake) < 0 && errno == EINTR)
			;
		if (!w->lead) { /* settled before the wake-up was sent */
			sem_destroy(&w->wake);
			return w->rc;
		}
		/* Woken to run the next sync: taken off the list already, and
		 * perhaps settled since (read under the lock). */
		pthread_mutex_lock(&log->lock);
		log->lead_woken = 0;
		w->lead = 0;
		if (log->lead_waiter == w)
			log->lead_waiter = NULL;
	}
	pthread_mutex_unlock(&log->lock);
	wake(woken);
	sem_destroy(&w->wake);
	return w->rc;
}

/* Records nobody waits for (results, summaries) lie unsynced for up to
 * LAZY_SYNC_MS: the next intent's sync covers them as well, so a caller who
 * submits again at once does not queue behind a sync of the previous
 * command's result, and the syncer is woken once per window, not once per
 * record (writers wake it only while it is not armed). Then audit.log
 * itself is synced, which lets the journal's ring come round. */
void *audit_syncer_main(void *arg)
{
	struct audit_log *log = arg;
	struct audit_waiter *woken;
	struct timespec until;

	pthread_mutex_lock(&log->lock);
	for (;;) {
		while (log->written_seq == log->log_synced_seq && !log->stopping) {
			log->syncer_armed = 0;
			pthread_cond_wait(&log->work, &log->lock);
		}
		if (log->written_seq == log->log_synced_seq && log->stopping)
			break;
		log->syncer_armed = 1;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += LAZY_SYNC_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		while (!log->stopping &&
		       pthread_cond_timedwait(&log->work, &log->lock, &until) != ETIMEDOUT)
			;
		/* The lock is free during the sync: writers append meanwhile
		 * and share the following one. */
		/* After a sync for waiters rather than beside it: what it
		 * covers need not be synced twice. */
		if (log->syncing || log->log_syncing) {
			pthread_cond_wait(&log->synced, &log->lock);
		} else if ((woken = sync_log_locked(log, 1))) {
			pthread_mutex_unlock(&log->lock);
			wake(woken);
			pthread_mutex_lock(&log->lock);
		}
	}
	pthread_mutex_unlock(&log->lock);
	return NULL;
}

void audit_settle_locked(struct audit_log *log)
{
	while (log->syncing || log->log_syncing)
		pthread_cond_wait(&log->synced, &log->lock);
	/* Rare (rotation, reopening): woken under the lock. */
	wake(sync_log_locked(log, 0));
}

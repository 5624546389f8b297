/* The audit log's journal: what makes an intent durable without growing a
 * file. Appending to audit.log and syncing it changes the file's size, so
 * every such sync commits the file system's journal as well; overwriting
 * blocks that are already allocated and written does not, and costs about
 * half. So a record is appended to audit.log as before (same bytes, same
 * format for every reader) and, when someone waits for it, the lines not
 * yet durable are also written to dir/audit.journal, a file of fixed size
 * written once and then only overwritten in place (a ring), and that is
 * synced. audit.log itself is synced soon after, off the caller's path.
 *
 * On the file: block 0 holds the epoch; each write is one or more whole
 * blocks starting with a header (epoch, sequence number, length, SHA-256 of
 * header and lines), so a torn or stale write is recognised and ignored.
 * A block is overwritten only once the records it holds are durable in
 * audit.log itself, so the journal holds every record audit.log may have
 * lost in a crash. At open, the journal's lines that continue audit.log's
 * hash chain (the first whose prev_sha256 is the log's head, and those
 * linked after it) are appended to audit.log and synced; then a new epoch
 * starts, which retires every earlier write.
 *
 * Not thread-safe: the audit log calls it under its lock, or with its sync
 * in progress (one at a time), as noted per function. */
#ifndef CXLA_AUDIT_JOURNAL_H
#define CXLA_AUDIT_JOURNAL_H

#include <stdint.h>
#include <sys/types.h>

#include "audit/chain.h"

#define AUDIT_JOURNAL_NAME "audit.journal"
#define AUDIT_JOURNAL_BLOCK 4096u
#define AUDIT_JOURNAL_BLOCKS 256u /* 1 MiB */

struct audit_journal;

/* A journal for dir (new), whose log is open as log_fd. The file is
 * created by the first write, so that a log never written to leaves no
 * journal behind. None (NULL) for a log in memory (tmpfs, ramfs): a sync
 * there costs nothing and a crash keeps nothing. 0 or -errno. */
int journal_new(const char *dir, int log_fd, struct audit_journal **out);
void journal_free(struct audit_journal *j);

/* What an existing journal adds to the log open as fd: its lines that
 * continue the chain at head are appended (a newline first when *torn) and
 * synced; head, *last_id, *size and *torn then describe the log's new end.
 * *count: records appended. Then a new epoch starts. No journal: 0 and
 * nothing done. 0 or -errno (the log is left as it was found). */
int journal_replay(struct audit_journal *j, int fd, char head[AUDIT_CHAIN_HEX],
		   uint64_t *last_id, off_t *size, int *torn, size_t *count);

/* Everything written is durable in audit.log, which is about to be
 * rotated: retire the journal's writes (a new epoch), so that none links to
 * a log that is gone. Under the log's lock, no sync in progress. 0 or
 * -errno (the journal is then removed and no longer used). */
int journal_retire(struct audit_journal *j);

/* How many records the journal in dir holds past head, the hash of the
 * last record in audit.log: what a power cut took from the log's end and
 * the next open puts back. Reads only. 0 (and 0 records when there is no
 * journal or it is not one) or -errno. */
int journal_pending(const char *dir, const char *head, size_t *count);

/* A line (without its newline) appended to audit.log as record seq, kept
 * until it is durable. Under the log's lock. 0 or -ENOMEM (the journal can
 * then not be used until the log has been synced: journal_settled). */
int journal_add(struct audit_journal *j, uint64_t seq, const char *line, size_t len);
/* Records up to seq are durable in audit.log itself: their lines are
 * dropped. Under the log's lock. */
void journal_settled(struct audit_journal *j, uint64_t seq);
/* Take the lines kept so far for the next journal_commit(). Under the
 * log's lock, with no commit in progress. 0, or -EAGAIN when they cannot
 * be written there (too large, or a line was not kept): sync the log. */
int journal_take(struct audit_journal *j);

/* A callback that syncs audit.log (0 or -errno). */
typedef int (*journal_sync_log_fn)(void *arg);
/* Write the taken lines and sync the journal. Outside the log's lock, as
 * the one sync in progress. log_synced: the last record durable in
 * audit.log; when the ring must reuse a block holding later records,
 * sync_log is called first and *log_was_synced set. 0 or -errno; either
 * way the taken lines are given up (on failure, syncing the log covers
 * them). */
int journal_commit(struct audit_journal *j, uint64_t log_synced, journal_sync_log_fn sync_log,
		   void *arg, int *log_was_synced);

#endif

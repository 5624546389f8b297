#include "audit/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>


#include "audit/chain.h"
#include "audit/internal.h"
#include "audit/limiter.h"
#include "cxl/cel.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/log.h"

/* How much of the end of a file is scanned for the last id at open. */
#define TAIL_SCAN_BYTES 65536


void audit_format_time(const struct timespec *t, char *buf, size_t len)
{
	struct tm tm;
	char base[32];

	gmtime_r(&t->tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	/* tv_nsec < 1e9, so the milliseconds are three digits. */
	snprintf(buf, len, "%s.%03uZ", base, (unsigned)(t->tv_nsec / 1000000L) % 1000u);
}

static void now_string(char *buf, size_t len)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	audit_format_time(&t, buf, len);
}

static uint64_t clock_us(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

uint64_t audit_now_us(void)
{
	return clock_us(CLOCK_REALTIME);
}

/* What the denial windows count on: a wall clock stepped must neither end
 * a window at once nor hold it for the step. */
static uint64_t mono_us(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

void audit_set_failure(struct audit_log *log, int err, const char *what)
{
	char when[40];

	now_string(when, sizeof(when));
	log->health_err = err;
	snprintf(log->health_msg, sizeof(log->health_msg), "%s %s: %s at %s", what, log->path,
		 strerror(-err), when);
	log_error("audit: %s", log->health_msg);
}

void audit_clear_failure(struct audit_log *log)
{
	if (log->health_err)
		log_info("audit: writing %s works again", log->path);
	log->health_err = 0;
	log->health_msg[0] = '\0';
}

int audit_rotated_path(const struct audit_log *log, unsigned n, char *buf, size_t len)
{
	int w = n ? snprintf(buf, len, "%s.%u", log->path, n) : snprintf(buf, len, "%s", log->path);
	return w < 0 || (size_t)w >= len ? -ENAMETOOLONG : 0;
}

/* The id of the last parseable record in text (0: none) and the hash of its
 * line into head (left alone when there is none). */
static uint64_t last_id_in(const char *text, size_t len, char head[AUDIT_CHAIN_HEX])
{
	size_t end = len;

	while (end > 0) {
		size_t start = end;
		while (start > 0 && text[start - 1] != '\n')
			start--;
		if (end > start) {
			json_t *rec = json_loadb(text + start, end - start, 0, NULL);
			const char *id = json_string_value(json_object_get(rec, "id"));
			uint64_t v = id ? strtoull(id, NULL, 10) : 0;
			json_decref(rec);
			if (v && audit_chain_hash(text + start, end - start, head) == 0)
				return v;
		}
		end = start ? start - 1 : 0;
	}
	return 0;
}

/* Scan the tail of path for the last id and the chain head; sets *torn when
 * the file does not end with a newline. Missing file: 0. */
static int scan_tail(const char *path, uint64_t *id, char head[AUDIT_CHAIN_HEX], int *torn)
{
	struct stat st;
	char *buf;
	off_t from;
	ssize_t n;
	size_t got = 0, want;
	int rc = 0, fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	*id = 0;
	if (torn)
		*torn = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto out;
	}
	from = st.st_size > TAIL_SCAN_BYTES ? st.st_size - TAIL_SCAN_BYTES : 0;
	want = (size_t)(st.st_size - from);
	buf = malloc(want + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	while (got < want) {
		n = pread(fd, buf + got, want - got, from + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (torn && got && buf[got - 1] != '\n')
		*torn = 1;
	*id = last_id_in(buf, got, head);
	free(buf);
out:
	close(fd);
	return rc;
}

/* Open (creating) audit.log; log->lock held or not yet shared. */
static int open_current(struct audit_log *log)
{
	struct stat st;
	int created = 0, fd;

	/* Non-blocking: a FIFO in the log's place (no reader: ENXIO) is refused,
	 * never waited on. It changes nothing for a regular file. */
	fd = open(log->path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT) {
		fd = open(log->path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
			  0600);
		created = 1;
	}
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode) || fcntl(fd, F_SETFL, O_APPEND) < 0) {
		close(fd);
		return -EINVAL;
	}
	if ((st.st_mode & 07777) != 0600 && fchmod(fd, 0600) < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	if (created) {
		int rc = dir_sync(log->dir);
		if (rc) {
			close(fd);
			return rc;
		}
	}
	log->fd = fd;
	log->size = st.st_size;
	return 0;
}

static int rotate(struct audit_log *log)
{
	char from[PATH_MAX], to[PATH_MAX];
	int rc;

	if (log->journal && (rc = journal_retire(log->journal)))
		return rc;
	if (log->keep == 0) {
		if (unlink(log->path) < 0 && errno != ENOENT)
			return -errno;
	}
	for (unsigned i = log->keep; i >= 1; i--) {
		if (audit_rotated_path(log, i - 1, from, sizeof(from)) ||
		    audit_rotated_path(log, i, to, sizeof(to)))
			return -ENAMETOOLONG;
		if (rename(from, to) < 0 && errno != ENOENT)
			return -errno;
	}
	close(log->fd);
	log->fd = -1;
	log->need_newline = 0;
	log->stats.rotations++;
	rc = dir_sync(log->dir);
	if (rc)
		return rc;
	return open_current(log);
}

/* The journal, after it has given the log what the log lost in a crash. */
static int open_journal(struct audit_log *log)
{
	size_t n = 0;
	int rc = journal_new(log->dir, log->fd, &log->journal);

	if (!rc && log->journal)
		rc = journal_replay(log->journal, log->fd, log->head, &log->last_id, &log->size,
				    &log->need_newline, &n);
	if (rc)
		log_error("audit: cannot replay %s/%s: %s", log->dir, AUDIT_JOURNAL_NAME,
			  file_refusal(rc));
	else if (n)
		log_warn("audit: %zu record(s) the log had lost recovered from %s/%s", n, log->dir,
			 AUDIT_JOURNAL_NAME);
	return rc;
}

/* The rotated files are read back whole later (GET of the log's entries):
 * one that is a link or not a regular file is refused now, at start, rather
 * than failing every read of the log after. */
static int check_rotated(const struct audit_log *log, char *file, size_t filelen)
{
	for (unsigned i = 1; i <= log->keep; i++) {
		char path[PATH_MAX];
		struct stat st;

		if (audit_rotated_path(log, i, path, sizeof(path)))
			return -ENAMETOOLONG;
		if (lstat(path, &st) < 0) {
			if (errno == ENOENT)
				continue;
			snprintf(file, filelen, "%s", path);
			return -errno;
		}
		if (!S_ISREG(st.st_mode)) {
			snprintf(file, filelen, "%s", path);
			return S_ISLNK(st.st_mode) ? -ELOOP : -EINVAL;
		}
	}
	return 0;
}

int audit_open(const char *dir, size_t max_bytes, unsigned keep_files, struct audit_log **out)
{
	char file[PATH_MAX];

	return audit_open_naming(dir, max_bytes, keep_files, out, file, sizeof(file));
}

int audit_open_naming(const char *dir, size_t max_bytes, unsigned keep_files,
		      struct audit_log **out, char *file, size_t filelen)
{
	struct audit_log *log;
	char p1[PATH_MAX];
	int rc, torn = 0;
	uint64_t id1 = 0;

	*out = NULL;
	snprintf(file, filelen, "%s", dir);
	log = calloc(1, sizeof(*log));
	if (!log)
		return -ENOMEM;
	log->fd = -1;
	denial_limiter_init(&log->denials, AUDIT_DENIAL_BURST, AUDIT_DENIAL_WINDOW_S * 1000000ull);
	log->max_bytes = max_bytes;
	log->keep = keep_files;
	if (snprintf(log->dir, sizeof(log->dir), "%s", dir) >= (int)sizeof(log->dir) ||
	    snprintf(log->path, sizeof(log->path), "%s/%s", dir, AUDIT_FILE_NAME) >=
		    (int)sizeof(log->path)) {
		rc = -ENAMETOOLONG;
		goto fail;
	}
	rc = dir_ensure(dir, 0700);
	if (rc || (rc = check_rotated(log, file, filelen)))
		goto fail;
	memcpy(log->head, AUDIT_CHAIN_GENESIS, sizeof(log->head));
	snprintf(file, filelen, "%s", log->path);
	rc = scan_tail(log->path, &log->last_id, log->head, &torn);
	if (!rc && !log->last_id && keep_files) {
		if (!audit_rotated_path(log, 1, p1, sizeof(p1))) {
			snprintf(file, filelen, "%s", p1);
			rc = scan_tail(p1, &id1, log->head, NULL);
		}
		log->last_id = id1;
	}
	if (rc)
		goto fail;
	log->need_newline = torn;
	snprintf(file, filelen, "%s", log->path);
	rc = open_current(log);
	if (rc)
		goto fail;
	snprintf(file, filelen, "%s/%s", log->dir, AUDIT_JOURNAL_NAME);
	if ((rc = open_journal(log))) {
		close(log->fd);
		goto fail;
	}
	file[0] = '\0';
	rc = pthread_mutex_init(&log->lock, NULL);
	if (rc) {
		rc = -rc;
		close(log->fd);
		goto fail;
	}
	/* The syncer's waits are timed: against a clock that setting the
	 * time of day does not move. */
	rc = -clock_cond_init(&log->work);
	if (rc) {
		pthread_mutex_destroy(&log->lock);
		close(log->fd);
		goto fail;
	}
	rc = -pthread_cond_init(&log->synced, NULL);
	if (rc) {
		pthread_cond_destroy(&log->work);
		pthread_mutex_destroy(&log->lock);
		close(log->fd);
		goto fail;
	}
	rc = -pthread_create(&log->syncer, NULL, audit_syncer_main, log);
	if (rc) {
		pthread_cond_destroy(&log->work);
		pthread_cond_destroy(&log->synced);
		pthread_mutex_destroy(&log->lock);
		close(log->fd);
		goto fail;
	}
	log->syncer_started = 1;
	*out = log;
	return 0;
fail:
	journal_free(log->journal);
	free(log);
	return rc;
}

static void forward_syslog(void *ctx, const char *line)
{
	(void)ctx;
	syslog(LOG_AUTHPRIV | LOG_NOTICE, "%s", line);
}

void audit_set_forward(struct audit_log *log, audit_forward_fn fn, void *ctx)
{
	pthread_mutex_lock(&log->lock);
	log->forward = fn;
	log->forward_ctx = ctx;
	pthread_mutex_unlock(&log->lock);
}

void audit_forward_to_syslog(struct audit_log *log)
{
	openlog("cxl-agent-audit", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
	audit_set_forward(log, forward_syslog, NULL);
}

int audit_admit_denial(struct audit_log *log, const char *user, const char *source,
		       struct denial_summary *flush)
{
	int write;

	pthread_mutex_lock(&log->lock);
	write = denial_limiter_admit(&log->denials, user, source, mono_us(), audit_now_us(),
				     flush);
	pthread_mutex_unlock(&log->lock);
	return write;
}

size_t audit_drain_denials(struct audit_log *log, int all, struct denial_summary *out, size_t max)
{
	size_t n;

	pthread_mutex_lock(&log->lock);
	n = denial_limiter_drain(&log->denials, mono_us(), all, out, max);
	pthread_mutex_unlock(&log->lock);
	return n;
}

void audit_set_denial_limit(struct audit_log *log, unsigned burst, unsigned window_s)
{
	pthread_mutex_lock(&log->lock);
	denial_limiter_init(&log->denials, burst, (uint64_t)window_s * 1000000u);
	pthread_mutex_unlock(&log->lock);
}

void audit_close(struct audit_log *log)
{
	if (!log)
		return;
	audit_flush_denials(log, 1);
	pthread_mutex_lock(&log->lock);
	log->stopping = 1;
	pthread_cond_signal(&log->work);
	pthread_mutex_unlock(&log->lock);
	if (log->syncer_started)
		pthread_join(log->syncer, NULL);
	if (log->fd >= 0)
		close(log->fd);
	journal_free(log->journal);
	pthread_cond_destroy(&log->work);
	pthread_cond_destroy(&log->synced);
	pthread_mutex_destroy(&log->lock);
	denial_limiter_release(&log->denials);
	free(log);
}

static int must_rotate(const struct audit_log *log, size_t len)
{
	return log->max_bytes && log->size > 0 &&
	       (size_t)log->size + len + 1 + (size_t)log->need_newline > log->max_bytes;
}

/* An open file with room for len more bytes. Settling may let go of the
 * lock for a moment, so the state is looked at again afterwards. log->lock
 * held. */
static int prepare_file(struct audit_log *log, size_t len)
{
	int rc;

	if (log->fd < 0) {
		audit_settle_locked(log);
		if (log->fd < 0 && (rc = open_current(log))) {
			audit_set_failure(log, rc, "open");
			return rc;
		}
	}
	if (!must_rotate(log, len))
		return 0;
	audit_settle_locked(log);
	if (!must_rotate(log, len))
		return 0;
	rc = rotate(log);
	if (rc && log->fd < 0) {
		audit_set_failure(log, rc, "rotate");
		return rc;
	}
	if (rc)
		log_warn("audit: cannot rotate %s: %s; appending", log->path, strerror(-rc));
	return 0;
}

/* Room for the stamp build_line puts before a body of body_len bytes, the
 * newlines around the line and the NUL. */
static size_t line_room(size_t body_len, const char *type)
{
	return body_len + strlen(type) + AUDIT_ID_MAX + AUDIT_CHAIN_HEX + 96;
}

/* The record's line: body (an object serialised compactly, members in
 * order) stamped with the next id, type, time and the link to the chain
 * head, written at buf + 1 (buf has line_room() bytes; buf[0] is kept for
 * the newline that ends a torn line). The same bytes jansson would make of
 * the stamp followed by the body's members; serialising the body before
 * the lock is taken keeps the lock short. Returns the line's length (0:
 * it did not fit, which line_room() rules out). log->lock held. */
static size_t build_line(struct audit_log *log, const char *body, const char *type,
			 uint64_t *next, char id[AUDIT_ID_MAX], char *buf, size_t room)
{
	char when[40];
	int more = body[1] != '}';
	int w;

	*next = audit_now_us();
	if (*next <= log->last_id)
		*next = log->last_id + 1;
	snprintf(id, AUDIT_ID_MAX, "%" PRIu64, *next);
	now_string(when, sizeof(when));
	w = snprintf(buf + 1, room - 2,
		     "{\"id\":\"%s\",\"type\":\"%s\",\"time\":\"%s\",\"" AUDIT_CHAIN_MEMBER
		     "\":\"%s\"%s%s",
		     id, type, when, log->head, more ? "," : "}", more ? body + 1 : "");
	return w > 0 && (size_t)w < room - 2 ? (size_t)w : 0;
}

/* Append the line at buf + 1 (len bytes) and its newline, with a newline
 * before when the file ends torn. On failure a partial line is taken back
 * and the file closed, to be reopened by the next write: the fd may point
 * at a file that was replaced or a filesystem that went away.
 * log->lock held. 0 or -errno. */
static int append_line(struct audit_log *log, char *buf, size_t len)
{
	char *from = log->need_newline ? buf : buf + 1;
	size_t n = len + 1 + (size_t)log->need_newline;
	off_t before = log->size;
	int rc;

	buf[0] = '\n';
	buf[1 + len] = '\n';
	rc = file_append(log->fd, from, n);
	if (rc) {
		if (ftruncate(log->fd, before) < 0)
			log->need_newline = 1;
		audit_settle_locked(log);
		close(log->fd);
		log->fd = -1;
		audit_set_failure(log, rc, "write");
		return rc;
	}
	log->size = before + (off_t)n;
	log->need_newline = 0;
	return 0;
}

int audit_write_record(struct audit_log *log, json_t *rec, const char *type,
		       char id_out[AUDIT_ID_MAX], int durable)
{
	char id[AUDIT_ID_MAX];
	char *body, *buf = NULL, *line;
	size_t len, room = 0;
	uint64_t next, seq, gen;
	int rc = -ENOMEM;

	if (!rec)
		return -ENOMEM;
	body = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(rec);
	if (body && body[0] == '{') {
		room = line_room(strlen(body), type);
		buf = malloc(room);
	}
	pthread_mutex_lock(&log->lock);
	if (!buf)
		goto out;
	line = buf + 1;
	/* Getting the file ready may wait for a sync, and another writer may
	 * append meanwhile: then the id and the chain link are taken again. */
	do {
		len = build_line(log, body, type, &next, id, buf, room);
		if (!len) {
			rc = -EOVERFLOW;
			goto out;
		}
		gen = log->written_seq;
		if ((rc = prepare_file(log, len)))
			goto out;
	} while (gen != log->written_seq || next <= log->last_id);
	rc = append_line(log, buf, len);
	log->last_id = next; /* never reuse an id, even one that failed to land */
	if (rc)
		goto out;
	seq = ++log->written_seq;
	if (log->journal)
		journal_add(log->journal, seq, line, len);
	/* audit.log itself is synced soon after every record, an intent's
	 * too: the journal only holds what audit.log may still lose. */
	if (!log->syncer_armed) {
		log->syncer_armed = 1;
		pthread_cond_signal(&log->work);
	}
	if (audit_chain_hash(line, len, log->head) < 0)
		log_error("audit: cannot hash record %s; the chain will break here", id);
	/* An intent returns only once a sync covers it (which forwards and
	 * counts it); other records are settled soon after without holding
	 * their caller. */
	if (durable) {
		struct audit_waiter w = { .seq = seq, .line = line, .len = len };
		rc = audit_wait_durable(log, &w);
		goto done;
	}
	/* Forwarded in write order, so a copy elsewhere shows any later
	 * rewrite of the file. */
	if (log->forward) {
		line[len] = '\0';
		log->forward(log->forward_ctx, line);
	}
	log->stats.records++;
	if (!log->health_err)
		audit_clear_failure(log);
out:
	if (rc)
		log->stats.failures++;
	pthread_mutex_unlock(&log->lock);
done:
	if (!rc && id_out)
		memcpy(id_out, id, sizeof(id));
	free(buf);
	free(body);
	return rc;
}

int audit_health(struct audit_log *log, char *buf, size_t len)
{
	int rc;

	pthread_mutex_lock(&log->lock);
	rc = log->health_err;
	if (buf && len)
		snprintf(buf, len, "%s", rc ? log->health_msg : "OK");
	pthread_mutex_unlock(&log->lock);
	return rc;
}

void audit_chain_head(struct audit_log *log, char out[AUDIT_CHAIN_HEX])
{
	pthread_mutex_lock(&log->lock);
	memcpy(out, log->head, AUDIT_CHAIN_HEX);
	pthread_mutex_unlock(&log->lock);
}

int audit_sync(struct audit_log *log)
{
	struct audit_waiter w = { 0 };

	pthread_mutex_lock(&log->lock);
	w.seq = log->written_seq;
	return audit_wait_durable(log, &w);
}

void audit_get_stats(struct audit_log *log, struct audit_stats *out)
{
	pthread_mutex_lock(&log->lock);
	*out = log->stats;
	pthread_mutex_unlock(&log->lock);
}

#include "audit/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <limits.h>
#include <linux/magic.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "util/fileio.h"
#include "util/log.h"

#define FILE_BYTES ((size_t)AUDIT_JOURNAL_BLOCKS * AUDIT_JOURNAL_BLOCK)
#define HEADER_BYTES 64u
/* One write takes at most half the ring, so that the ring always holds the
 * write before it as well; more than that goes to audit.log's own sync. */
#define WRITE_BLOCKS_MAX ((AUDIT_JOURNAL_BLOCKS - 1) / 2)
#define PAYLOAD_MAX ((size_t)WRITE_BLOCKS_MAX * AUDIT_JOURNAL_BLOCK - HEADER_BYTES)
#define DIGEST_BYTES 32u
#define ZERO_CHUNK 65536u
static const char epoch_magic[8] = { 'C', 'X', 'L', 'A', 'J', 'N', 'L', '1' };
static const char write_magic[8] = { 'C', 'X', 'L', 'A', 'J', 'W', '0', '1' };

struct lines {
	char *text;
	size_t len, cap;
};

struct audit_journal {
	char dir[PATH_MAX];
	char path[PATH_MAX];
	int fd;               /* -1 until the first write opens or creates the file */
	int direct;           /* fd bypasses the page cache (O_DIRECT) */
	int failing;          /* the last write failed (said once) */
	int disabled;         /* no new epoch could be started: never written */
	uint64_t epoch;
	uint64_t next_seq;
	unsigned pos;         /* next block of the ring (1 .. BLOCKS-1) */
	uint64_t held[AUDIT_JOURNAL_BLOCKS]; /* last record in each block; 0: none */
	struct lines pend;    /* lines of records not yet durable (under the log's lock) */
	uint64_t pend_last;   /* the record of pend's last line */
	size_t pend_count;    /* lines in pend */
	int pend_lost;        /* a line could not be kept */
	struct lines out;     /* taken for the commit in progress */
	uint64_t out_last;
	unsigned char *buf;   /* aligned for O_DIRECT */
	size_t buf_cap;
};

/* Whether the log lives in memory (tmpfs, ramfs). */
static int in_memory(int fd)
{
	struct statfs fs;

	return fstatfs(fd, &fs) == 0 &&
	       (fs.f_type == (__typeof__(fs.f_type))TMPFS_MAGIC ||
		fs.f_type == (__typeof__(fs.f_type))RAMFS_MAGIC);
}

int journal_new(const char *dir, int log_fd, struct audit_journal **out)
{
	struct audit_journal *j;

	*out = NULL;
	if (in_memory(log_fd))
		return 0;
	if (!(j = calloc(1, sizeof(*j))))
		return -ENOMEM;
	if (snprintf(j->dir, sizeof(j->dir), "%s", dir) >= (int)sizeof(j->dir) ||
	    snprintf(j->path, sizeof(j->path), "%s/%s", dir, AUDIT_JOURNAL_NAME) >=
		    (int)sizeof(j->path)) {
		free(j);
		return -ENAMETOOLONG;
	}
	j->fd = -1;
	j->epoch = 1;
	j->next_seq = 1;
	j->pos = 1;
	*out = j;
	return 0;
}

void journal_free(struct audit_journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	free(j->pend.text);
	free(j->out.text);
	free(j->buf);
	free(j);
}

static int lines_add(struct lines *l, const char *text, size_t len)
{
	if (l->len + len > l->cap) {
		size_t cap = l->cap ? l->cap : 4096;
		char *n;
		while (cap < l->len + len)
			cap *= 2;
		if (!(n = realloc(l->text, cap)))
			return -ENOMEM;
		l->text = n;
		l->cap = cap;
	}
	memcpy(l->text + l->len, text, len);
	l->len += len;
	return 0;
}

static int digest(const unsigned char *head, size_t head_len, const void *body, size_t len,
		  unsigned char out[DIGEST_BYTES])
{
	gnutls_hash_hd_t h;

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256))
		return -EIO;
	if (gnutls_hash(h, head, head_len) || (len && gnutls_hash(h, body, len))) {
		gnutls_hash_deinit(h, NULL);
		return -EIO;
	}
	gnutls_hash_deinit(h, out);
	return 0;
}

/* At least n bytes of zeroed, block-aligned buffer. */
static int buffer(struct audit_journal *j, size_t n)
{
	if (n > j->buf_cap) {
		void *p = NULL;
		if (posix_memalign(&p, AUDIT_JOURNAL_BLOCK, n))
			return -ENOMEM;
		free(j->buf);
		j->buf = p;
		j->buf_cap = n;
	}
	memset(j->buf, 0, n);
	return 0;
}

/* Block 0: the epoch whose writes count. */
static int write_epoch(struct audit_journal *j, int fd)
{
	int rc = buffer(j, AUDIT_JOURNAL_BLOCK);

	if (rc)
		return rc;
	memcpy(j->buf, epoch_magic, sizeof(epoch_magic));
	memcpy(j->buf + 8, &j->epoch, sizeof(j->epoch));
	if ((rc = digest(j->buf, 16, NULL, 0, j->buf + 16)))
		return rc;
	if (pwrite(fd, j->buf, AUDIT_JOURNAL_BLOCK, 0) != (ssize_t)AUDIT_JOURNAL_BLOCK)
		return errno ? -errno : -EIO;
	return fsync(fd) < 0 ? -errno : 0;
}

/* Written in full once (zeros and the epoch), so that later writes only
 * overwrite blocks the file system has already allocated. */
static int create_file(struct audit_journal *j)
{
	int fd = open(j->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	char *zeros = calloc(1, ZERO_CHUNK);
	int rc = 0;

	if (fd < 0 || !zeros) {
		rc = fd < 0 ? -errno : -ENOMEM;
		free(zeros);
		if (fd >= 0)
			goto fail;
		return rc;
	}
	for (size_t off = 0; off < FILE_BYTES && !rc; off += ZERO_CHUNK)
		if (pwrite(fd, zeros, ZERO_CHUNK, (off_t)off) != (ssize_t)ZERO_CHUNK)
			rc = errno ? -errno : -EIO;
	free(zeros);
	if (rc || (rc = write_epoch(j, fd)))
		goto fail;
	close(fd);
	return 0;
fail:
	close(fd);
	unlink(j->path);
	return rc;
}

/* The journal opened for writing, made first when it does not exist. */
static int open_file(struct audit_journal *j)
{
	struct stat st;
	int rc, fd = open(j->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_DIRECT);

	j->direct = 1;
	if (fd < 0 && errno == EINVAL) {
		/* a file system without direct I/O: the page cache and the sync */
		fd = open(j->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
		j->direct = 0;
	}
	if (fd < 0 && errno == ENOENT) {
		if ((rc = create_file(j)) || (rc = dir_sync(j->dir)))
			return rc;
		return open_file(j);
	}
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size != FILE_BYTES) {
		close(fd);
		return -EINVAL;
	}
	j->fd = fd;
	return 0;
}

int journal_add(struct audit_journal *j, uint64_t seq, const char *line, size_t len)
{
	j->pend_last = seq;
	if (j->pend_lost)
		return -ENOMEM;
	if (j->pend.len + len + 1 > PAYLOAD_MAX || lines_add(&j->pend, line, len) ||
	    lines_add(&j->pend, "\n", 1)) {
		j->pend_lost = 1;
		return -ENOMEM;
	}
	j->pend_count++;
	return 0;
}

void journal_settled(struct audit_journal *j, uint64_t seq)
{
	uint64_t first = j->pend_last - j->pend_count + 1;
	size_t drop = 0;
	char *p = j->pend.text;

	if (seq >= j->pend_last) {
		j->pend.len = 0;
		j->pend_count = 0;
		j->pend_lost = 0;
		return;
	}
	if (j->pend_lost || seq < first)
		return;
	for (uint64_t n = seq - first + 1; n > 0; n--) {
		char *nl = memchr(p, '\n', j->pend.len - (size_t)(p - j->pend.text));
		p = nl + 1;
		j->pend_count--;
	}
	drop = (size_t)(p - j->pend.text);
	memmove(j->pend.text, p, j->pend.len - drop);
	j->pend.len -= drop;
}

int journal_take(struct audit_journal *j)
{
	struct lines t;

	if (j->disabled || j->pend_lost || !j->pend.len)
		return -EAGAIN;
	t = j->out;
	j->out = j->pend;
	j->pend = t;
	j->pend.len = 0;
	j->pend_count = 0;
	j->out_last = j->pend_last;
	return 0;
}

/* The taken lines as one write at block pos of need blocks. */
static int write_taken(struct audit_journal *j, unsigned need)
{
	size_t bytes = (size_t)need * AUDIT_JOURNAL_BLOCK;
	uint32_t len = (uint32_t)j->out.len;
	int rc = buffer(j, bytes);

	if (rc)
		return rc;
	memcpy(j->buf, write_magic, sizeof(write_magic));
	memcpy(j->buf + 8, &j->epoch, 8);
	memcpy(j->buf + 16, &j->next_seq, 8);
	memcpy(j->buf + 24, &len, 4);
	memcpy(j->buf + 28, &need, 4);
	memcpy(j->buf + HEADER_BYTES, j->out.text, j->out.len);
	if ((rc = digest(j->buf, 32, j->out.text, j->out.len, j->buf + 32)))
		return rc;
	if (pwrite(j->fd, j->buf, bytes, (off_t)j->pos * AUDIT_JOURNAL_BLOCK) != (ssize_t)bytes)
		return errno ? -errno : -EIO;
	return fdatasync(j->fd) < 0 ? -errno : 0;
}

int journal_commit(struct audit_journal *j, uint64_t log_synced, journal_sync_log_fn sync_log,
		   void *arg, int *log_was_synced)
{
	unsigned need = (unsigned)((HEADER_BYTES + j->out.len + AUDIT_JOURNAL_BLOCK - 1) /
				   AUDIT_JOURNAL_BLOCK);
	int rc = 0;

	*log_was_synced = 0;
	if (!j->out.len)
		return 0;
	if (j->fd < 0)
		rc = open_file(j);
	if (!rc && j->pos + need > AUDIT_JOURNAL_BLOCKS)
		j->pos = 1;
	for (unsigned i = j->pos; !rc && i < j->pos + need; i++)
		if (j->held[i] > log_synced) {
			/* The ring comes round to records audit.log may not
			 * hold yet: make them durable there first. */
			if (!(rc = sync_log(arg)))
				*log_was_synced = 1;
			break;
		}
	if (!rc)
		rc = write_taken(j, need);
	j->out.len = 0;
	if (rc) {
		if (!j->failing)
			log_warn("audit: cannot write %s: %s; syncing the log instead", j->path,
				 strerror(-rc));
		j->failing = 1;
		if (j->fd >= 0)
			close(j->fd);
		j->fd = -1; /* opened again by the next write */
		return rc;
	}
	if (j->failing)
		log_info("audit: writing %s works again", j->path);
	j->failing = 0;
	for (unsigned i = j->pos; i < j->pos + need; i++)
		j->held[i] = j->out_last;
	j->pos += need;
	j->next_seq++;
	return 0;
}

/* ---- replay at open ---- */

struct jwrite {
	uint64_t seq;
	size_t off;
	uint32_t len;
};

static int by_seq(const void *a, const void *b)
{
	const struct jwrite *x = a, *y = b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The write whose header is block i of data, if it is one of epoch: its
 * block count (0: none). *seen: the highest epoch any header names. */
static unsigned parse_write(const unsigned char *data, unsigned i, uint64_t epoch,
			    uint64_t *seen, struct jwrite *w)
{
	const unsigned char *b = data + (size_t)i * AUDIT_JOURNAL_BLOCK;
	unsigned char md[DIGEST_BYTES];
	uint64_t e;
	uint32_t len, n;

	if (CRYPTO_memcmp(b, write_magic, sizeof(write_magic)))
		return 0;
	memcpy(&e, b + 8, 8);
	memcpy(&w->seq, b + 16, 8);
	memcpy(&len, b + 24, 4);
	memcpy(&n, b + 28, 4);
	if (e > *seen)
		*seen = e;
	if (e != epoch || n == 0 || n > AUDIT_JOURNAL_BLOCKS - i ||
	    (size_t)len > (size_t)n * AUDIT_JOURNAL_BLOCK - HEADER_BYTES ||
	    digest(b, 32, b + HEADER_BYTES, len, md) || CRYPTO_memcmp(md, b + 32, DIGEST_BYTES))
		return 0;
	w->off = (size_t)i * AUDIT_JOURNAL_BLOCK + HEADER_BYTES;
	w->len = len;
	return n;
}

/* Whether line links to head: its prev_sha256 member is head. */
static int links_to(const char *line, size_t len, const char *head)
{
	static const char member[] = "\"" AUDIT_CHAIN_MEMBER "\":\"";
	const char *p = memmem(line, len, member, sizeof(member) - 1);

	if (!p)
		return 0;
	p += sizeof(member) - 1;
	return (size_t)(line + len - p) >= 64 && CRYPTO_memcmp(p, head, 64) == 0;
}

/* The lines of the writes (in order) that continue the chain at head,
 * into out; head moves to the last one's hash. */
static int chained_lines(const unsigned char *data, const struct jwrite *w, size_t nw,
			 char head[AUDIT_CHAIN_HEX], struct lines *out, size_t *count)
{
	int started = 0, rc = 0;

	for (size_t k = 0; k < nw && !rc; k++) {
		const char *p = (const char *)data + w[k].off, *end = p + w[k].len;
		while (p < end && !rc) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
			if (links_to(p, len, head)) {
				started = 1;
				if (!(rc = lines_add(out, p, len)) && !(rc = lines_add(out, "\n", 1)))
					rc = audit_chain_hash(p, len, head);
				(*count)++;
			} else if (started) {
				return rc; /* a gap: nothing after it can be linked */
			}
			p += len + 1;
		}
	}
	return rc;
}

static uint64_t id_of(const char *line, size_t len)
{
	json_t *rec = json_loadb(line, len, 0, NULL);
	const char *id = json_string_value(json_object_get(rec, "id"));
	uint64_t v = id ? strtoull(id, NULL, 10) : 0;

	json_decref(rec);
	return v;
}

/* Append the recovered lines to the log and sync it. */
static int append_recovered(int fd, struct lines *l, char head[AUDIT_CHAIN_HEX],
			    const char *old_head, uint64_t *last_id, off_t *size, int *torn)
{
	const char *last;
	size_t from = *torn ? 0 : 1;
	int rc;

	/* l->text[0] is the newline that ends a torn line, when there is one. */
	rc = file_append(fd, l->text + from, l->len - from);
	if (!rc && fdatasync(fd) < 0)
		rc = -errno;
	if (rc) {
		memcpy(head, old_head, AUDIT_CHAIN_HEX);
		return rc;
	}
	*size += (off_t)(l->len - from);
	*torn = 0;
	last = l->text + l->len - 1;
	while (last > l->text && last[-1] != '\n')
		last--;
	*last_id = id_of(last, (size_t)(l->text + l->len - 1 - last));
	return 0;
}

/* A new epoch, later than any the file names: every write so far retired. */
static int restart(struct audit_journal *j, uint64_t seen)
{
	int rc;

	j->epoch = seen + 1;
	j->pos = 1;
	j->next_seq = 1;
	memset(j->held, 0, sizeof(j->held));
	if (j->fd < 0 && (rc = open_file(j)))
		return rc;
	return write_epoch(j, j->fd);
}

/* Read the journal at path and collect into found its lines that continue
 * the chain at head (head then moves to the last one's hash). *seen: the
 * highest epoch the file names. -ENOENT: no journal; -EBADMSG: a regular
 * file this agent did not finish writing as a journal (it holds nothing);
 * -EINVAL, -EISDIR, -ELOOP: no regular file (nothing this agent made). */
static int scan(const char *path, char head[AUDIT_CHAIN_HEX], struct lines *found,
		size_t *count, uint64_t *seen)
{
	struct jwrite *w = NULL;
	char *text = NULL;
	const unsigned char *data;
	size_t len = 0, nw = 0;
	uint64_t epoch = 0;
	unsigned char md[DIGEST_BYTES];
	/* O_NOFOLLOW: a link's target is no journal this log wrote. */
	int rc = file_read_all_flags(path, O_NOFOLLOW, FILE_BYTES, &text, &len);

	*count = 0;
	if (rc == -EFBIG || (!rc && len != FILE_BYTES))
		rc = -EBADMSG;
	if (rc) {
		free(text);
		return rc;
	}
	data = (const unsigned char *)text;
	if (!CRYPTO_memcmp(data, epoch_magic, sizeof(epoch_magic)) &&
	    !digest(data, 16, NULL, 0, md) &&
	    !CRYPTO_memcmp(md, data + 16, DIGEST_BYTES))
		memcpy(&epoch, data + 8, 8);
	*seen = epoch;
	w = calloc(AUDIT_JOURNAL_BLOCKS, sizeof(*w));
	if (!w) {
		free(text);
		return -ENOMEM;
	}
	for (unsigned i = 1; i < AUDIT_JOURNAL_BLOCKS;) {
		unsigned n = epoch ? parse_write(data, i, epoch, seen, &w[nw]) : 0;
		if (!n && !epoch)
			parse_write(data, i, UINT64_MAX, seen, &w[nw]);
		nw += n ? 1 : 0;
		i += n ? n : 1;
	}
	qsort(w, nw, sizeof(*w), by_seq);
	rc = chained_lines(data, w, nw, head, found, count);
	free(w);
	free(text);
	return rc;
}

int journal_replay(struct audit_journal *j, int fd, char head[AUDIT_CHAIN_HEX],
		   uint64_t *last_id, off_t *size, int *torn, size_t *count)
{
	struct lines found = { 0 };
	char old_head[AUDIT_CHAIN_HEX];
	uint64_t seen = 0;
	int rc;

	*count = 0;
	memcpy(old_head, head, AUDIT_CHAIN_HEX);
	rc = lines_add(&found, "\n", 1);
	if (!rc)
		rc = scan(j->path, head, &found, count, &seen);
	if (rc == -ENOENT) {
		free(found.text);
		return 0;
	}
	if (rc == -EBADMSG) {
		log_warn("audit: %s is not a journal; starting a new one", j->path);
		free(found.text);
		return unlink(j->path) < 0 ? -errno : 0;
	}
	if (!rc && *count)
		rc = append_recovered(fd, &found, head, old_head, last_id, size, torn);
	if (rc) {
		memcpy(head, old_head, AUDIT_CHAIN_HEX);
		*count = 0;
	}
	free(found.text);
	if (!rc && (rc = restart(j, seen))) {
		/* Writes under the old epoch would be lost to the next replay. */
		log_warn("audit: cannot start a new epoch in %s: %s; intents are synced in the log "
			 "itself", j->path, strerror(-rc));
		j->disabled = 1;
		rc = 0;
	}
	return rc;
}

int journal_pending(const char *dir, const char *head, size_t *count)
{
	struct lines found = { 0 };
	char path[PATH_MAX], at[AUDIT_CHAIN_HEX];
	uint64_t seen = 0;
	int rc;

	*count = 0;
	if (snprintf(path, sizeof(path), "%s/%s", dir, AUDIT_JOURNAL_NAME) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	memcpy(at, head, AUDIT_CHAIN_HEX);
	rc = scan(path, at, &found, count, &seen);
	free(found.text);
	return rc == -ENOENT || rc == -EBADMSG ? 0 : rc;
}

int journal_retire(struct audit_journal *j)
{
	int rc;

	if (j->disabled || (j->fd < 0 && access(j->path, F_OK) < 0 && errno == ENOENT))
		return 0;
	if ((rc = restart(j, j->epoch))) {
		/* Its writes must not link to a log that is about to go. */
		log_warn("audit: cannot retire the writes in %s: %s; removing it", j->path,
			 strerror(-rc));
		j->disabled = 1;
		if (unlink(j->path) < 0 && errno != ENOENT)
			return -errno;
	}
	return 0;
}
